//! `_baas_migrations`: which migrations a database has, and how that
//! compares with the migrations folder. The table itself is created and read
//! by the runner of each engine; this module is pure.

use serde::Serialize;

use super::MigrateError;
use super::folder::Migration;

/// The history table (a collection on MongoDB).
pub const TABLE: &str = "_baas_migrations";
/// The lock document's collection on MongoDB (other engines lock without a table).
pub const LOCK_COLLECTION: &str = "_baas_migrations_lock";

/// One row of `_baas_migrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub number: u32,
    pub name: String,
    /// sha256 of the up file as it was applied.
    pub checksum: String,
    /// `[manifest].version` of the migration's snapshot.
    pub version: Option<u64>,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub applied_at: String,
    pub execution_ms: u64,
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Applied,
    Pending,
    /// Applied, but its up file changed since.
    Modified,
    /// Applied, but its folder is gone.
    MissingFile,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Pending => "pending",
            Self::Modified => "modified",
            Self::MissingFile => "missing-file",
        }
    }
}

/// One line of `migrate status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub number: u32,
    pub name: String,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

impl StatusRow {
    pub fn id(&self) -> String {
        super::folder::folder_name(self.number, &self.name)
    }
}

/// Folder and history side by side, by number.
pub fn status(files: &[Migration], applied: &[AppliedMigration]) -> Vec<StatusRow> {
    let mut rows: Vec<StatusRow> = files
        .iter()
        .map(|file| {
            let row = applied.iter().find(|a| a.number == file.number());
            StatusRow {
                number: file.number(),
                name: file.dir.name.clone(),
                state: match row {
                    None => State::Pending,
                    Some(row) if row.checksum != file.checksum => State::Modified,
                    Some(_) => State::Applied,
                },
                applied_at: row.map(|r| r.applied_at.clone()),
                execution_ms: row.map(|r| r.execution_ms),
                version: file.version.or_else(|| row.and_then(|r| r.version)),
            }
        })
        .collect();
    for row in applied {
        if !files.iter().any(|f| f.number() == row.number) {
            rows.push(StatusRow {
                number: row.number,
                name: row.name.clone(),
                state: State::MissingFile,
                applied_at: Some(row.applied_at.clone()),
                execution_ms: Some(row.execution_ms),
                version: row.version,
            });
        }
    }
    rows.sort_by_key(|r| r.number);
    rows
}

/// Why the folder cannot be applied as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// These applied migrations were edited after they were applied.
    Modified(Vec<String>),
    /// These applied migrations have no folder any more.
    MissingFile(Vec<String>),
    /// `pending` is older than `applied`, which already ran.
    OutOfOrder { pending: String, applied: String },
}

/// The migrations still to apply, in order; or why none may be applied.
pub fn pending<'a>(
    files: &'a [Migration],
    applied: &[AppliedMigration],
) -> Result<Vec<&'a Migration>, Conflict> {
    let rows = status(files, applied);
    let of = |state: State| -> Vec<String> {
        rows.iter()
            .filter(|r| r.state == state)
            .map(StatusRow::id)
            .collect()
    };
    let modified = of(State::Modified);
    if !modified.is_empty() {
        return Err(Conflict::Modified(modified));
    }
    let missing = of(State::MissingFile);
    if !missing.is_empty() {
        return Err(Conflict::MissingFile(missing));
    }
    let newest_applied = rows.iter().rev().find(|r| r.state == State::Applied);
    let pending: Vec<&Migration> = files
        .iter()
        .filter(|f| !applied.iter().any(|a| a.number == f.number()))
        .collect();
    if let (Some(first), Some(newest)) = (pending.first(), newest_applied)
        && first.number() < newest.number
    {
        return Err(Conflict::OutOfOrder {
            pending: first.id(),
            applied: newest.id(),
        });
    }
    Ok(pending)
}

impl Conflict {
    /// The refusal `apply` and `down` give for it (exit 2).
    pub fn into_error(self) -> MigrateError {
        match self {
            Conflict::Modified(ids) => MigrateError::refused(
                format!(
                    "applied migration(s) {} changed since they were applied (checksum mismatch)",
                    quoted(&ids)
                ),
                "an applied migration must not be edited: restore its files (e.g. `git checkout`) and \
             put the new change in a new migration (`baas migrate plan`); `baas migrate status` \
             shows which are modified",
            ),
            Conflict::MissingFile(ids) => MigrateError::refused(
                format!(
                    "applied migration(s) {} have no folder in the migrations folder",
                    quoted(&ids)
                ),
                "restore the folders (e.g. from git), or check that --dir points at this database's migrations",
            ),
            Conflict::OutOfOrder { pending, applied } => MigrateError::refused(
                format!("`{pending}` is pending, but the newer `{applied}` is already applied"),
                "migrations apply in number order: renumber the pending one after the newest applied \
             (rename its folder), then run apply again",
            ),
        }
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The newest `count` applied migrations, newest first, each with its
/// files as they were applied; refused when one of them was edited or has
/// no folder any more.
pub fn newest_applied<'a>(
    files: &'a [Migration],
    applied: &[AppliedMigration],
    count: usize,
) -> Result<Vec<&'a Migration>, Conflict> {
    let rows = status(files, applied);
    let mut chosen = Vec::new();
    for row in rows
        .iter()
        .rev()
        .filter(|r| r.state != State::Pending)
        .take(count)
    {
        match row.state {
            State::Modified => return Err(Conflict::Modified(vec![row.id()])),
            State::MissingFile => return Err(Conflict::MissingFile(vec![row.id()])),
            _ => {}
        }
        if let Some(migration) = files.iter().find(|m| m.number() == row.number) {
            chosen.push(migration);
        }
    }
    Ok(chosen)
}
