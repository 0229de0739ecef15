//! `baas codegen`: SDKs, OpenAPI and JSON Schema rendered from the manifest.

pub mod jsonschema;
pub mod openapi;
