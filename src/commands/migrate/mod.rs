//! `baas migrate`: plan, apply and inspect migrations.

use std::path::PathBuf;

use crate::ExitStatus;
use crate::context::Context;

#[derive(Debug, clap::Subcommand)]
pub enum MigrateCommand {
    /// Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml
    Plan(PlanArgs),
    /// Apply pending migrations to a database, each in a transaction where the engine allows
    Apply(ApplyArgs),
    /// Show which migrations are applied, pending or modified since they were applied
    Status(StatusArgs),
    /// Undo the last N applied migrations with their down scripts
    Down(DownArgs),
}

/// Options shared by every migrate command.
#[derive(Debug, clap::Args)]
pub struct MigrationsDir {
    /// Folder holding the migrations
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Name of the migration, e.g. `add_author_bio`
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Database to migrate [default: `[source] url` of the manifest]
    #[arg(long, env = "BAAS_DATABASE_URL", value_name = "URL")]
    pub url: Option<String>,
    /// Print what would run, change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Database to inspect [default: `[source] url` of the manifest]
    #[arg(long, env = "BAAS_DATABASE_URL", value_name = "URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// How many applied migrations to undo
    #[arg(default_value_t = 1)]
    pub count: usize,
    /// Database to migrate [default: `[source] url` of the manifest]
    #[arg(long, env = "BAAS_DATABASE_URL", value_name = "URL")]
    pub url: Option<String>,
    /// Print what would run, change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

pub fn run(command: MigrateCommand, _cx: &Context) -> anyhow::Result<ExitStatus> {
    match command {
        MigrateCommand::Plan(_) => crate::diagnostics::not_available("migrate plan"),
        MigrateCommand::Apply(_) => crate::diagnostics::not_available("migrate apply"),
        MigrateCommand::Status(_) => crate::diagnostics::not_available("migrate status"),
        MigrateCommand::Down(_) => crate::diagnostics::not_available("migrate down"),
    }
}
