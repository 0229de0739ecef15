//! `baas codegen`: typed clients and documents from the manifest.

use std::path::PathBuf;

use crate::ExitStatus;
use crate::context::Context;

/// Generate typed clients and API documents from the manifest.
///
/// Output is deterministic: the same manifest gives the same bytes, so the
/// generated files can be committed and checked in CI with `--check`.
#[derive(Debug, clap::Args)]
pub struct CodegenArgs {
    /// What to generate
    #[arg(value_enum)]
    pub target: CodegenTarget,
    /// Directory to write into [default: generated/<target>]
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write nothing; exit 1 when the files on disk are stale (for CI)
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CodegenTarget {
    /// TypeScript types and a zero-dependency fetch client
    Ts,
    /// A Rust crate: serde structs and an async reqwest client
    Rust,
    /// The OpenAPI 3.1 document of the served API
    Openapi,
    /// JSON Schema (2020-12) per entity
    Jsonschema,
}

pub fn run(_args: CodegenArgs, _cx: &Context) -> anyhow::Result<ExitStatus> {
    crate::diagnostics::not_available("codegen")
}
