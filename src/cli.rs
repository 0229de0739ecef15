//! The command line: the clap parser, assembled from the parts that live
//! with their users. Each command's own arguments live in its file under
//! `commands/`, next to its `run`; the subcommand enum lives with the
//! dispatcher (`commands::Command`); the global flags live with the
//! [`Context`](crate::context::Context) they configure. Nothing imports
//! `cli` back, so the dependencies run one way: `cli -> commands -> context`.

use clap::{CommandFactory as _, Parser};

use crate::commands;
use crate::context::GlobalArgs;

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
    pub command: commands::Command,
}

/// The whole command line as a clap command (for completion scripts).
pub fn command() -> clap::Command {
    Cli::command()
}
