//! `baas codegen`: generated SDKs, OpenAPI and JSON Schema.
