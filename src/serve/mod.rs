//! `baas serve`: the HTTP API of a manifest (docs/api.md), on one kernel
//! (DESIGN.md §5):
//!
//! ```text
//! http ─> kernel::Operation ─> policy ─> store (per tenant) ─> events
//! ```
//!
//! - [`http`]: routes, request parsing, problems, discovery, OpenAPI
//! - [`operation`]: an operation, its principal and the manifest it runs on
//! - [`kernel`]: the one path every operation takes, `expand`
//! - [`policy`]: who may do what (a scope filter per operation)
//! - [`store`]: the storage trait, one executor per engine, the resolver
//! - [`events`]: the change of every committed write, fanned out
//! - [`state`]: the served manifest, swapped atomically by [`reload`]

pub mod cases;
pub mod events;
pub mod http;
pub mod kernel;
pub mod listen;
pub mod operation;
pub mod policy;
pub mod realtime;
pub mod reload;
pub mod state;
pub mod store;

use std::sync::Arc;

pub use http::router;
pub use state::{AppState, State};
pub use store::sqlite::SqliteStore;
pub use store::{Store, StoreError};

use crate::manifest::Manifest;

/// The example manifest of `baas serve --example`.
pub const EXAMPLE_MANIFEST: &str = include_str!("../../templates/example/baas.toml");

/// The example rows: `{"entity": [row, ...]}` in an order that satisfies
/// the references.
pub const EXAMPLE_ROWS: &str = include_str!("../../templates/example/rows.json");

/// The example manifest, parsed.
pub fn example_manifest() -> anyhow::Result<Manifest> {
    crate::manifest::load_str(
        std::path::Path::new("templates/example/baas.toml"),
        EXAMPLE_MANIFEST.to_owned(),
    )
    .map(|loaded| loaded.manifest)
    .map_err(|d| anyhow::anyhow!("the bundled example manifest does not load: {d}"))
}

/// The example rows, parsed.
pub fn example_rows() -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(EXAMPLE_ROWS)
        .map_err(|e| anyhow::anyhow!("the bundled example rows are not JSON: {e}"))
}

/// A router over `manifest` and `engine` (what tests and other engines use).
pub fn router_for(manifest: Arc<Manifest>, engine: Arc<dyn Store>) -> axum::Router {
    router(AppState::new(manifest, engine))
}
