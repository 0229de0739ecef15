//! SQLite: the run holds one `BEGIN IMMEDIATE` transaction (the write lock:
//! a second runner waits for it), and each step is a savepoint inside it
//! with its history row. A failing step is rolled back to its savepoint and
//! the steps before it are committed; a killed process commits nothing, so
//! no migration is ever half applied.
//!
//! Foreign keys are switched off for the run (they cannot be inside a
//! transaction), as SQLite's own procedure for rebuilding a table asks, and
//! each step fails if it leaves more foreign key violations than it found.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, params};

use futures::future::LocalBoxFuture;

use super::{Direction, Missing, Row, Step, StepFailure, millis, unsigned};
use crate::migrate::history::AppliedMigration;
use crate::migrate::{MigrateError, Target};

const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS _baas_migrations (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    version INTEGER,
    applied_at TEXT NOT NULL,
    execution_ms INTEGER NOT NULL
)";

pub struct SqliteRunner {
    path: PathBuf,
    connection: Connection,
    /// Inside the run's transaction.
    locked: bool,
    /// `PRAGMA foreign_keys` before the run, restored after it.
    foreign_keys: bool,
}

impl SqliteRunner {
    pub fn open(path: &Path, missing: Missing) -> Result<Self, MigrateError> {
        let connect_error = |reason: String| MigrateError::Connect {
            target: path.display().to_string(),
            reason,
        };
        let exists = path.exists();
        if path.is_dir() {
            return Err(connect_error(
                "is a directory, not a SQLite database file".into(),
            ));
        }
        if !exists && missing == Missing::Fail {
            return Err(connect_error("no such file".into()));
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if missing == Missing::Create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let connection =
            Connection::open_with_flags(path, flags).map_err(|e| connect_error(e.to_string()))?;
        // No double-quoted string literals: an unknown "column" is an error.
        for option in [
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML,
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL,
        ] {
            connection
                .set_db_config(option, false)
                .map_err(|e| connect_error(e.to_string()))?;
        }
        // Reading the schema now makes "file is not a database" a connection error.
        connection
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(|e| connect_error(e.to_string()))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| connect_error(e.to_string()))?;
        Ok(Self {
            path: path.to_owned(),
            connection,
            locked: false,
            foreign_keys: true,
        })
    }

    /// The connection the run holds: a caller that writes inside the run's
    /// transaction (the dev database's snapshot, `migrate::sync`) uses it
    /// between [`Self::lock`] and [`Self::unlock`].
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    // The methods below block; the `Migrate` impl calls them through
    // `block_in_place`, `migrate::sync` directly (it runs off the async
    // workers, or in a current-thread runtime where that would panic).

    pub fn applied(&mut self) -> Result<Vec<AppliedMigration>, MigrateError> {
        read_history(&self.connection).map_err(database_error)
    }

    pub fn lock(&mut self, timeout: Duration, waiting: &dyn Fn()) -> Result<(), MigrateError> {
        let connection = &self.connection;
        self.foreign_keys = connection
            .query_row("PRAGMA foreign_keys", [], |row| row.get::<_, bool>(0))
            .map_err(database_error)?;
        connection
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(database_error)?;
        // First without waiting, to say so when another runner holds it.
        connection
            .busy_timeout(Duration::ZERO)
            .map_err(database_error)?;
        let first = connection.execute_batch("BEGIN IMMEDIATE");
        connection.busy_timeout(timeout).map_err(database_error)?;
        match first {
            Ok(()) => {}
            Err(error) if is_busy(&error) => {
                waiting();
                connection
                    .execute_batch("BEGIN IMMEDIATE")
                    .map_err(|error| {
                        if is_busy(&error) {
                            MigrateError::LockTimeout {
                                target: self.path.display().to_string(),
                                seconds: timeout.as_secs(),
                            }
                        } else {
                            database_error(error)
                        }
                    })?;
            }
            Err(error) => return Err(database_error(error)),
        }
        self.locked = true;
        connection
            .execute_batch(CREATE_HISTORY)
            .map_err(database_error)
    }

    pub fn run(&mut self, step: &Step<'_>) -> Result<Duration, StepFailure> {
        let connection = &self.connection;
        let failure = |statement, error: rusqlite::Error| StepFailure {
            statement,
            reason: error.to_string(),
            kept: 0,
            denied: false,
        };
        // Without the run's transaction (never, through `Runner`), the
        // savepoint would be a transaction of its own: still atomic.
        connection
            .execute_batch("SAVEPOINT baas_step")
            .map_err(|e| failure(None, e))?;
        let undo = |connection: &Connection| {
            let _ = connection.execute_batch("ROLLBACK TO baas_step; RELEASE baas_step");
        };
        let violations_before = violations(connection).map_err(|e| failure(None, e))?;
        let started = Instant::now();
        for statement in &step.statements {
            if let Err(reason) = execute(connection, &statement.text) {
                undo(connection);
                return Err(StepFailure {
                    statement: Some(statement.clone()),
                    reason,
                    kept: 0,
                    denied: false,
                });
            }
        }
        let elapsed = started.elapsed();
        match violations(connection) {
            Ok(after) if after > violations_before => {
                undo(connection);
                return Err(StepFailure {
                    statement: None,
                    reason: format!(
                        "it leaves {} row(s) whose foreign keys point nowhere \
                         (see `PRAGMA foreign_key_check`)",
                        after - violations_before
                    ),
                    kept: 0,
                    denied: false,
                });
            }
            Ok(_) => {}
            Err(error) => {
                undo(connection);
                return Err(failure(None, error));
            }
        }
        let row = Row::of(step.migration);
        let history = match step.direction {
            Direction::Up => connection.execute(
                "INSERT INTO _baas_migrations (number, name, checksum, version, applied_at, execution_ms) \
                 VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?5)",
                params![row.number, row.name, row.checksum, row.version, millis(elapsed)],
            ),
            Direction::Down => connection.execute(
                "DELETE FROM _baas_migrations WHERE number = ?1",
                params![row.number],
            ),
        };
        if let Err(error) = history {
            undo(connection);
            return Err(failure(None, error));
        }
        connection
            .execute_batch("RELEASE baas_step")
            .map_err(|e| failure(None, e))?;
        Ok(elapsed)
    }

    pub fn unlock(&mut self) -> Result<(), MigrateError> {
        // A failure SQLite answers by rolling back the whole transaction
        // (a full disk) leaves nothing to commit.
        if std::mem::take(&mut self.locked) && !self.connection.is_autocommit() {
            self.connection
                .execute_batch("COMMIT")
                .map_err(database_error)?;
        }
        if self.foreign_keys {
            self.connection
                .execute_batch("PRAGMA foreign_keys = ON")
                .map_err(database_error)?;
        }
        Ok(())
    }
}

/// Runs one statement to the end, reading and dropping any rows it returns,
/// except `PRAGMA foreign_key_check`, whose every row is a broken
/// reference: the step fails on the first.
fn execute(connection: &Connection, sql: &str) -> Result<(), String> {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    let check = words.len() == 2
        && words[0] == "pragma"
        && words[1]
            .trim_start_matches("main.")
            .starts_with("foreign_key_check");
    let mut statement = connection.prepare(sql).map_err(|e| e.to_string())?;
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        if check {
            let table: String = row.get(0).unwrap_or_default();
            let rowid: Option<i64> = row.get(1).unwrap_or_default();
            let parent: String = row.get(2).unwrap_or_default();
            return Err(format!(
                "a foreign key of `{table}` (row {}) points at no row of `{parent}`",
                rowid.map_or_else(|| "?".to_owned(), |r| r.to_string())
            ));
        }
    }
    Ok(())
}

fn violations(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
        row.get(0)
    })
}

fn read_history(connection: &Connection) -> rusqlite::Result<Vec<AppliedMigration>> {
    let exists: bool = connection.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = '_baas_migrations'",
        [],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut statement = connection.prepare(
        "SELECT number, name, checksum, version, applied_at, execution_ms \
         FROM _baas_migrations ORDER BY number",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(AppliedMigration {
            number: u32::try_from(row.get::<_, i64>(0)?).unwrap_or_default(),
            name: row.get(1)?,
            checksum: row.get(2)?,
            version: row.get::<_, Option<i64>>(3)?.map(unsigned),
            applied_at: row.get(4)?,
            execution_ms: unsigned(row.get(5)?),
        })
    })?;
    rows.collect()
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn database_error(error: rusqlite::Error) -> MigrateError {
    MigrateError::Database(error.to_string())
}

impl Drop for SqliteRunner {
    fn drop(&mut self) {
        // An error path that did not unlock: commit what the earlier steps
        // did (each failed step was already rolled back to its savepoint).
        if self.locked && !self.connection.is_autocommit() {
            let _ = self.connection.execute_batch("COMMIT");
        }
    }
}

impl super::Migrate for SqliteRunner {
    fn target(&self) -> Target {
        Target::Sqlite
    }

    fn transactional(&self) -> bool {
        true
    }

    fn applied(&mut self) -> LocalBoxFuture<'_, Result<Vec<AppliedMigration>, MigrateError>> {
        Box::pin(std::future::ready(tokio::task::block_in_place(|| {
            SqliteRunner::applied(self)
        })))
    }

    fn lock<'a>(
        &'a mut self,
        timeout: Duration,
        waiting: &'a dyn Fn(),
    ) -> LocalBoxFuture<'a, Result<(), MigrateError>> {
        Box::pin(std::future::ready(tokio::task::block_in_place(|| {
            SqliteRunner::lock(self, timeout, waiting)
        })))
    }

    fn run<'a>(
        &'a mut self,
        step: &'a Step<'_>,
    ) -> LocalBoxFuture<'a, Result<Duration, StepFailure>> {
        Box::pin(std::future::ready(tokio::task::block_in_place(|| {
            SqliteRunner::run(self, step)
        })))
    }

    fn unlock(&mut self) -> LocalBoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(std::future::ready(tokio::task::block_in_place(|| {
            SqliteRunner::unlock(self)
        })))
    }
}
