//! Upstream APIs served through baas (`[source] engine = "http"`): what
//! does not belong to one store or one parser.
//!
//! - [`drift`]: `baas check --url SPEC` for a manifest imported from an API
//!   document: what the upstream's document says now against what
//!   baas.toml serves (entities, fields and types, operations).

pub mod drift;
