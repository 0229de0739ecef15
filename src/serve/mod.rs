//! `baas serve`: the HTTP API of a manifest (docs/api.md).

pub mod engine;
