//! `baas migrate`: plan, apply and inspect migrations.

use crate::ExitStatus;
use crate::commands::shared::{MigrationsDir, TenantsArgs};
use crate::context::Context;

mod apply;
mod down;
mod plan;
mod status;
mod steps;
mod tenants;

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

/// Write the next migration from the changes in baas.toml.
///
/// Compares the working baas.toml with the snapshot of the newest migration
/// (an empty schema when there is none) and writes `migrations/NNNN_NAME/`:
/// `up.sql`, `down.sql` (MongoDB: `up.json`, `down.json`) and `baas.toml`,
/// the manifest after the migration. Then bumps `[manifest] version` in
/// baas.toml, changing nothing else in it. Destructive statements are marked
/// `-- baas:destructive <reason>`; `migrate apply` asks before running them.
/// With no changes, nothing is written.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct PlanArgs {
    /// Name of the migration, e.g. `add_author_bio` (letters, digits, `_`, `-`)
    #[arg(long)]
    pub name: String,
    /// Engine to write the scripts for [default: `[source] engine` of the manifest]
    #[arg(long, value_enum)]
    pub dialect: Option<Dialect>,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

/// The engines migrations are written for.
pub use crate::database::Database as Dialect;

/// Apply pending migrations to a database.
///
/// Runs every migration not yet recorded in the database's `_baas_migrations`
/// table, in order. On PostgreSQL and SQLite each migration runs in one
/// transaction with its history row: a failure leaves the database exactly as
/// it was. MySQL commits DDL at once: apply stops at the failing statement,
/// says which statements already ran, and does not record the migration.
/// A lock keeps two runners apart; the second one waits, then finds the work
/// done. Statements marked `-- baas:destructive` are confirmed first (on a
/// terminal, or with --yes). For the database baas.toml was introspected
/// from, which already has the schema, --baseline records the migrations as
/// applied without running them.
///
/// With --tenants, applies to every tenant named (`all`, or `a,b`), N at a
/// time (--concurrency), each under a lock of its own; a tenant that fails
/// does not stop the others. A table (a JSON array with --json) says what
/// each tenant got; a rerun applies only what is still pending.
///
/// Exit codes: 0 applied (or nothing to do), 2 refused (an applied migration
/// was edited or is missing, a statement failed, destructive steps not
/// confirmed; with --tenants: a tenant failed, the error names them), 3
/// cannot connect or the lock was not free in time.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ApplyArgs {
    /// Database to migrate [default: `[source] url` of the manifest]
    #[arg(
        long,
        alias = "url",
        env = "BAAS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub db: Option<String>,
    /// Print what would run, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Record the pending migrations as applied without running them, for a database that
    /// already has their schema (refused unless it matches the newest snapshot)
    #[arg(long, conflicts_with = "dry_run")]
    pub baseline: bool,
    /// Seconds to wait for another runner's lock
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub lock_timeout: u64,
    #[command(flatten)]
    pub tenants: TenantsArgs,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

/// Show which migrations are applied, pending or modified.
///
/// States: applied; pending (not yet in the database); modified (applied,
/// but its up file changed since: `apply` refuses to run); missing-file
/// (applied, but its folder is gone).
///
/// A SQLite file that does not exist yet is reported with every migration
/// pending (`apply` creates it).
///
/// With --tenants, reads every tenant named (`all`, or `a,b`) and shows
/// one row per tenant (a JSON array with --json).
///
/// Exit codes: 0 when every migration is applied or pending, 1 when one is
/// modified or missing-file (or pending, with --fail-on pending), 3 cannot
/// connect.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct StatusArgs {
    /// Also exit with code 1 when a migration is pending (for CI: "is this database up to date?")
    #[arg(long, value_enum, value_name = "STATE")]
    pub fail_on: Option<StatusFailOn>,
    /// Database to inspect [default: `[source] url` of the manifest]
    #[arg(
        long,
        alias = "url",
        env = "BAAS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub db: Option<String>,
    #[command(flatten)]
    pub tenants: TenantsArgs,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

/// What else makes `migrate status` exit with code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFailOn {
    /// A migration not applied yet
    Pending,
}

impl StatusArgs {
    fn fail_on_pending(&self) -> bool {
        self.fail_on == Some(StatusFailOn::Pending)
    }
}

/// Undo the last N applied migrations.
///
/// Runs the down scripts of the newest applied migrations, newest first, with
/// the same care as `apply`: one transaction each where the engine allows,
/// the lock, and confirmation of destructive statements. When fewer than N
/// are applied, it undoes those there are and says so (a warning, and
/// `"requested"` next to `"undone"` in --json). With --tenants, undoes the
/// newest N on every tenant named, as `apply --tenants` applies.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DownArgs {
    /// How many applied migrations to undo
    #[arg(default_value_t = 1)]
    pub count: usize,
    /// Database to migrate [default: `[source] url` of the manifest]
    #[arg(
        long,
        alias = "url",
        env = "BAAS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub db: Option<String>,
    /// Print what would run, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds to wait for another runner's lock
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub lock_timeout: u64,
    #[command(flatten)]
    pub tenants: TenantsArgs,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

pub async fn run(command: MigrateCommand, cx: &Context) -> anyhow::Result<ExitStatus> {
    match command {
        MigrateCommand::Plan(args) => plan::run(args, cx),
        MigrateCommand::Apply(args) => apply::run(args, cx).await,
        MigrateCommand::Status(args) => status::run(args, cx).await,
        MigrateCommand::Down(args) => down::run(args, cx).await,
    }
}
