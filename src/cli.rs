//! The command line: clap types only. Each command's own arguments live in
//! its file under `commands/`, next to its `run`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Schema-as-code for the database you already have.
///
/// baas reads a database or schema file into `baas.toml`, a manifest that
/// lives in your repository, then diffs and migrates it, checks it for drift
/// in CI, generates typed clients from it, and serves a REST API that follows
/// it.
#[derive(Debug, Parser)]
#[command(
    name = "baas",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Start with `baas init`, or `baas introspect sqlite://app.db` for a database you have.\n\
                  Exit codes: 0 ok, 1 found something (drift, lossy, stale), 2 bad input, 3 cannot connect, 4 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Path of the manifest to read or write
    #[arg(
        long,
        global = true,
        env = "BAAS_MANIFEST",
        default_value = "baas.toml",
        value_name = "PATH"
    )]
    pub manifest: PathBuf,
    /// Print machine-readable JSON on stdout instead of tables and prose
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors and requested data
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Answer yes to every question (never prompt); needed for risky steps without a terminal
    #[arg(long, short, global = true)]
    pub yes: bool,
    /// Never use colors (also when the NO_COLOR environment variable is set)
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a baas.toml: interactively, or from flags
    Init(commands::init::InitArgs),
    /// Read a database or schema file into baas.toml
    Introspect(commands::introspect::IntrospectArgs),
    /// Show the entities of the manifest, or one entity in detail
    Show(commands::show::ShowArgs),
    /// Check baas.toml and report every problem with its line and column
    Validate(commands::validate::ValidateArgs),
    /// Compare two schemas (manifests, live databases, schema files) and classify every change
    Diff(commands::diff::DiffArgs),
    /// Plan, apply and inspect migrations
    #[command(subcommand)]
    Migrate(commands::migrate::MigrateCommand),
    /// Fail when the schema drifted (for CI)
    Check(commands::check::CheckArgs),
    /// Generate typed clients and API documents from the manifest
    Codegen(commands::codegen::CodegenArgs),
    /// Serve a REST API that follows the manifest, reloading when it changes
    Serve(commands::serve::ServeArgs),
    /// Print a shell completion script
    Completions(commands::completions::CompletionsArgs),
}
