//! Running migrations against a live database: the history table, the lock
//! that keeps two runners apart, and one step (a migration's up or down
//! script plus its history row) at a time.
//!
//! | engine | lock | one step |
//! |---|---|---|
//! | PostgreSQL | `pg_advisory_lock` keyed by database and schema, on a connection of its own, held for the run | one transaction: statements + history row |
//! | SQLite | `BEGIN IMMEDIATE` held for the run | a savepoint: statements + history row |
//! | MySQL/MariaDB | `GET_LOCK` on a connection of its own | statement by statement (DDL commits at once), history row last |
//! | MongoDB | a lock document with a fixed `_id` | command by command, history document last |
//!
//! Each engine implements [`Migrate`] in its own file; [`Runner`] wraps the
//! one `backend::Backend::runner` picks for a database.

use std::time::Duration;

use futures::future::LocalBoxFuture;

use super::folder::Migration;
use super::history::AppliedMigration;
use super::split::FileStatement;
use super::{MigrateError, Target};

pub mod mongo;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// Which script of a migration a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The up script, then the history row is written.
    Up,
    /// The down script, then the history row is removed.
    Down,
}

/// One migration's script, ready to run.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub migration: &'a Migration,
    pub direction: Direction,
    pub statements: Vec<FileStatement>,
}

/// How a step failed.
#[derive(Debug, Clone)]
pub struct StepFailure {
    /// The statement that failed; `None` when the history write did.
    pub statement: Option<FileStatement>,
    /// The server's message.
    pub reason: String,
    /// Statements that ran before the failure and were not undone (engines
    /// without transactional DDL); 0 when everything was rolled back.
    pub kept: usize,
    /// The database refused for lack of a privilege (not a mistake in the script).
    pub denied: bool,
}

/// One engine's side of running migrations, modelled on sqlx's `Migrate`
/// trait: the history table, the lock, the applied list, and one step at a
/// time. Each engine implements it in its own file.
pub trait Migrate: Send {
    /// The engine the scripts must be written for.
    fn target(&self) -> Target;

    /// Whether a step is all-or-nothing.
    fn transactional(&self) -> bool;

    /// The history, oldest first; empty when the table does not exist yet.
    fn applied(&mut self) -> LocalBoxFuture<'_, Result<Vec<AppliedMigration>, MigrateError>>;

    /// Takes the migration lock, waiting up to `timeout` (calling `waiting`
    /// once if it has to wait), and creates the history table if missing.
    fn lock<'a>(
        &'a mut self,
        timeout: Duration,
        waiting: &'a dyn Fn(),
    ) -> LocalBoxFuture<'a, Result<(), MigrateError>>;

    /// Runs one step (a migration's up script and its new history row, or
    /// its down script and the row's removal); returns how long the
    /// statements took.
    fn run<'a>(
        &'a mut self,
        step: &'a Step<'_>,
    ) -> LocalBoxFuture<'a, Result<Duration, StepFailure>>;

    /// Releases the lock (and, on SQLite, commits the run).
    fn unlock(&mut self) -> LocalBoxFuture<'_, Result<(), MigrateError>>;
}

/// A connection to the database being migrated: the engine's [`Migrate`].
pub struct Runner(Box<dyn Migrate>);

/// What the runner will do with a SQLite file that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Create it (`apply`): a fresh database.
    Create,
    /// Report it as a connection error (`status`, `down`, dry runs).
    Fail,
}

impl Runner {
    /// A runner over one engine's [`Migrate`] (`backend::Backend::runner`
    /// picks it).
    pub fn new(engine: Box<dyn Migrate>) -> Self {
        Self(engine)
    }

    /// The engine the scripts must be written for.
    pub fn target(&self) -> Target {
        self.0.target()
    }

    /// Whether a step is all-or-nothing.
    pub fn transactional(&self) -> bool {
        self.0.transactional()
    }

    /// The history, oldest first; empty when the table does not exist yet.
    pub async fn applied(&mut self) -> Result<Vec<AppliedMigration>, MigrateError> {
        self.0.applied().await
    }

    /// Takes the migration lock, waiting up to `timeout` (calling `waiting`
    /// once if it has to wait), and creates the history table if missing.
    pub async fn lock(
        &mut self,
        timeout: Duration,
        waiting: &dyn Fn(),
    ) -> Result<(), MigrateError> {
        self.0.lock(timeout, waiting).await
    }

    /// Runs one step with its history change; returns how long the
    /// statements took.
    pub async fn run(&mut self, step: &Step<'_>) -> Result<Duration, StepFailure> {
        self.0.run(step).await
    }

    /// Releases the lock (and, on SQLite, commits the run).
    pub async fn unlock(&mut self) -> Result<(), MigrateError> {
        self.0.unlock().await
    }

    /// Records each of `migrations`, in order, as applied (`Up`: its
    /// history row written) or undone (`Down`: removed) without running a
    /// statement of it: a baseline. `recorded` is told of each as it is
    /// recorded; the ids recorded come back. Stops at the first one whose
    /// history could not be written (those before it stay recorded).
    pub async fn record_applied<'m>(
        &mut self,
        migrations: impl IntoIterator<Item = &'m Migration>,
        direction: Direction,
        recorded: &mut dyn FnMut(&Migration),
    ) -> Result<Vec<String>, NotRecorded> {
        let mut ids = Vec::new();
        for migration in migrations {
            let step = Step {
                migration,
                direction,
                statements: Vec::new(),
            };
            self.run(&step).await.map_err(|failure| NotRecorded {
                id: migration.id(),
                reason: failure.reason,
            })?;
            recorded(migration);
            ids.push(migration.id());
        }
        Ok(ids)
    }
}

/// A migration [`Runner::record_applied`] could not record, and why.
#[derive(Debug, Clone)]
pub struct NotRecorded {
    pub id: String,
    /// The server's message.
    pub reason: String,
}

/// Milliseconds of `duration`, for the history row.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A history value read from the database as a signed integer.
fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// The history row of `step` (for `Direction::Up`).
struct Row<'a> {
    number: i64,
    name: &'a str,
    checksum: &'a str,
    version: Option<i64>,
}

impl<'a> Row<'a> {
    fn of(migration: &'a Migration) -> Self {
        Self {
            number: i64::from(migration.number()),
            name: &migration.dir.name,
            checksum: &migration.checksum,
            version: migration
                .version
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
        }
    }
}

/// Waits between attempts at a lock, up to a timeout.
struct LockWait<'a> {
    started: std::time::Instant,
    timeout: Duration,
    waiting: &'a dyn Fn(),
    announced: bool,
}

impl<'a> LockWait<'a> {
    fn new(timeout: Duration, waiting: &'a dyn Fn()) -> Self {
        Self {
            started: std::time::Instant::now(),
            timeout,
            waiting,
            announced: false,
        }
    }

    /// After a failed attempt: `false` when the time is up, otherwise
    /// waits a moment (saying so the first time) for the next attempt.
    async fn again(&mut self) -> bool {
        if self.started.elapsed() >= self.timeout {
            return false;
        }
        if !self.announced {
            (self.waiting)();
            self.announced = true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        true
    }
}
