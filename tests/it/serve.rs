//! `baas serve`: the HTTP API on every engine.
