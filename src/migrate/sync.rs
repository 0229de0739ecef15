//! Bringing a SQLite database straight up to a manifest, without a
//! migrations folder: how `baas serve` keeps its embedded dev database in
//! step with `baas.toml`, at start-up and on every reload.
//!
//! It is the `migrate` pipeline with the folder left out: the manifest the
//! database was last brought up to (kept in the database, in
//! [`SNAPSHOT_TABLE`], as a migration folder keeps its `baas.toml`) is
//! diffed with the new one, the changes are rendered for SQLite as
//! `migrate plan` renders them, and the script runs through the SQLite
//! runner as one step of `migrate apply` does: under the runner's lock, in
//! a savepoint with its `_baas_migrations` row, foreign keys checked. The
//! new snapshot is written in the same transaction, so the database and its
//! snapshot never disagree.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _};

use super::folder::{Migration, MigrationDir};
use super::runner::sqlite::SqliteRunner;
use super::runner::{Direction, Missing};
use super::{MigrateError, Target, steps};
use crate::diff::{Change, Safety};
use crate::manifest::Manifest;

/// The table holding the manifest the database was last brought up to.
pub const SNAPSHOT_TABLE: &str = "_baas_dev";

/// The name of every step a sync records in `_baas_migrations`.
pub const STEP_NAME: &str = "dev_sync";

/// How long a sync waits for another writer's lock.
const LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// The manifest change would lose data: nothing was applied.
#[derive(Debug, thiserror::Error)]
#[error("the manifest change would lose data in the dev database ({} change(s) refused)", changes.len())]
pub struct LosesData {
    /// The changes that are not safe.
    pub changes: Vec<Change>,
}

/// Brings the SQLite database at `path` (created when missing) from the
/// manifest it was last brought up to (none: an empty database) to
/// `manifest`; the changes applied, none when it was up to date. A change
/// that is not [`Safety::Safe`] is refused with [`LosesData`] unless
/// `accept_data_loss`; then nothing is applied.
pub fn sync(
    path: &Path,
    manifest: &Manifest,
    accept_data_loss: bool,
) -> anyhow::Result<Vec<Change>> {
    let mut runner = SqliteRunner::open(path, Missing::Create)?;
    let before = snapshot(runner.connection())?.unwrap_or_else(|| Manifest {
        version: 0,
        ..Manifest::default()
    });
    let changes = crate::diff::diff(&before, manifest);
    if changes.is_empty() {
        return Ok(changes);
    }
    let risky: Vec<Change> = changes
        .iter()
        .filter(|change| change.safety != Safety::Safe)
        .cloned()
        .collect();
    if !risky.is_empty() && !accept_data_loss {
        return Err(LosesData { changes: risky }.into());
    }
    let plan = super::render(Target::Sqlite, &before, manifest, &changes)?;
    runner.lock(LOCK_TIMEOUT, &|| {})?;
    let result = apply(&mut runner, path, manifest, &plan.up.to_sql());
    // Commits what `apply` did, or nothing when its step was rolled back.
    let unlocked = runner.unlock();
    result?;
    unlocked?;
    Ok(changes)
}

/// Runs `script` as the next step of the history, then writes `manifest`
/// as the snapshot; under the runner's lock.
fn apply(
    runner: &mut SqliteRunner,
    path: &Path,
    manifest: &Manifest,
    script: &str,
) -> anyhow::Result<()> {
    if !script.trim().is_empty() {
        let number = runner
            .applied()?
            .last()
            .map_or(1, |last| last.number.saturating_add(1));
        let migration = Migration::in_memory(
            MigrationDir {
                number,
                name: STEP_NAME.to_owned(),
                path: path.to_owned(),
            },
            script.to_owned(),
            Some(manifest.version),
        );
        let step = steps::prepare(&migration, Direction::Up, Target::Sqlite, true)?;
        if let Err(failure) = runner.run(&step) {
            let what = failure.statement.as_ref().map_or_else(
                || "its history row".to_owned(),
                |statement| format!("`{}`", statement.first_line()),
            );
            return Err(MigrateError::Database(format!(
                "the dev database refused {what}: {}; nothing of the change was applied",
                failure.reason
            ))
            .into());
        }
    }
    write_snapshot(runner.connection(), manifest)
        .map_err(|error| MigrateError::Database(format!("cannot record the manifest: {error}")))?;
    Ok(())
}

/// The manifest stored by the last sync, if any.
fn snapshot(connection: &Connection) -> anyhow::Result<Option<Manifest>> {
    let exists: bool = connection.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [SNAPSHOT_TABLE],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    let text: Option<String> = connection
        .query_row(
            &format!("SELECT manifest FROM \"{SNAPSHOT_TABLE}\" WHERE id = 1"),
            [],
            |row| row.get(0),
        )
        .optional()?;
    let Some(text) = text else {
        return Ok(None);
    };
    let loaded = crate::manifest::load_str(Path::new(SNAPSHOT_TABLE), text).map_err(|d| {
        anyhow::anyhow!("the manifest stored in the dev database does not load: {d}")
    })?;
    Ok(Some(loaded.manifest))
}

fn write_snapshot(connection: &Connection, manifest: &Manifest) -> rusqlite::Result<()> {
    connection.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS \"{SNAPSHOT_TABLE}\" (id INTEGER PRIMARY KEY CHECK (id = 1), manifest TEXT NOT NULL)"
    ))?;
    connection.execute(
        &format!("INSERT OR REPLACE INTO \"{SNAPSHOT_TABLE}\" (id, manifest) VALUES (1, ?1)"),
        [crate::manifest::to_toml(manifest)],
    )?;
    Ok(())
}
