//! The OpenAPI 3.1 document of the served API (docs/api.md).

use crate::manifest::Manifest;

/// The document `baas serve` exposes at `/api/_openapi.json` and
/// `baas codegen openapi` writes.
pub fn document(manifest: &Manifest) -> serde_json::Value {
    serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": manifest.project.name.clone().unwrap_or_else(|| "baas".into()), "version": manifest.version.to_string() },
        "paths": {}
    })
}
