//! What `baas serve` shares between requests: the [`Kernel`] (policy,
//! stores, events: one per process) and the served manifest with what is
//! derived from it ([`State`]: one per manifest version, swapped
//! atomically by a hot reload; each request keeps the snapshot it started
//! with).

use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use sha2::Digest as _;

use super::kernel::{Kernel, Schema};
use super::policy::Policy;
use super::policy::rules::Rules;
use super::store::Store;
use super::store::resolver::{Single, StoreResolver};
use crate::manifest::Manifest;

/// The OpenAPI document of one manifest version, serialized once.
#[derive(Debug)]
pub struct OpenApi {
    pub body: Bytes,
    /// A strong validator of `body` (quoted, as the header carries it).
    pub etag: String,
}

impl OpenApi {
    /// Builds the document: CPU work proportional to the manifest, so it
    /// runs on the blocking pool, never on a request thread.
    fn build(manifest: &Manifest) -> Self {
        let document = crate::codegen::openapi::document(manifest);
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let digest = sha2::Sha256::digest(&body);
        let etag = format!(
            "\"{}\"",
            digest
                .iter()
                .take(12)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Self {
            body: Bytes::from(body),
            etag,
        }
    }
}

/// One manifest version as served.
pub struct State {
    pub schema: Schema,
    openapi: tokio::sync::OnceCell<Arc<OpenApi>>,
}

impl State {
    pub fn new(manifest: Arc<Manifest>) -> Self {
        Self {
            schema: Schema::new(manifest),
            openapi: tokio::sync::OnceCell::new(),
        }
    }

    pub fn manifest(&self) -> &Arc<Manifest> {
        &self.schema.manifest
    }

    /// The OpenAPI document, built once per manifest version (concurrent
    /// callers wait for the one build).
    pub async fn openapi(&self) -> Arc<OpenApi> {
        self.openapi
            .get_or_init(|| async {
                let manifest = self.schema.manifest.clone();
                match tokio::task::spawn_blocking(move || OpenApi::build(&manifest)).await {
                    Ok(document) => Arc::new(document),
                    // The build panicked (a bug): build it here rather than
                    // answer nothing.
                    Err(_) => Arc::new(OpenApi::build(&self.schema.manifest)),
                }
            })
            .await
            .clone()
    }
}

/// The state shared by every request.
pub struct AppState {
    pub kernel: Kernel,
    current: RwLock<Arc<State>>,
}

impl AppState {
    /// One store, the manifest's rules (everything allowed without rules
    /// and `[auth]`).
    pub fn new(manifest: Arc<Manifest>, store: Arc<dyn Store>) -> Arc<Self> {
        Self::with(manifest, Arc::new(Rules), Arc::new(Single(store)))
    }

    pub fn with(
        manifest: Arc<Manifest>,
        policy: Arc<dyn Policy>,
        stores: Arc<dyn StoreResolver>,
    ) -> Arc<Self> {
        let state = Arc::new(State::new(manifest));
        prepare(&state);
        Arc::new(Self {
            kernel: Kernel::new(policy, stores),
            current: RwLock::new(state),
        })
    }

    /// The state a request works on from start to end.
    pub fn snapshot(&self) -> Arc<State> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Serves `manifest` from now on.
    pub fn swap_manifest(&self, manifest: Arc<Manifest>) {
        let next = Arc::new(State::new(manifest));
        prepare(&next);
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// Starts building what a state serves lazily (the OpenAPI document) in
/// the background, so the first request for it rarely waits.
fn prepare(state: &Arc<State>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let state = state.clone();
        runtime.spawn(async move {
            state.openapi().await;
        });
    }
}
