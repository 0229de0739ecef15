//! `baas.toml`: the manifest, the one intermediate representation.
//!
//! - [`model`]: the typed model ([`Manifest`], [`Entity`], [`Field`], ...)
//! - [`load`]: TOML text → model, with a span for every key and value
//! - [`validate`]: every problem at once, each with a location and a hint
//! - [`rules`]: the language of `[entities.X.rules]`, parsed and checked at load
//! - [`save`]: model → canonical TOML (same model, same bytes)
//! - [`interpolate`]: `${VAR}` references, resolved only when used

pub mod diagnostics;
pub mod interpolate;
pub mod links;
pub mod load;
pub mod model;
pub mod path;
pub mod rules;
pub mod save;
pub mod validate;

pub use diagnostics::{Diagnostics, Problem, ProblemKind};
pub use load::{LoadError, LoadedManifest, load_file, load_str};
pub use model::*;
pub use save::to_toml;
pub use validate::validate;
