//! PostgreSQL: each step is one transaction with its history row, so a
//! failure (or a killed process) leaves the database and `_baas_migrations`
//! exactly as before. The lock is a session advisory lock on a connection
//! of its own, released by the server when that connection ends. Its key is
//! made from the schema the history table lives in (the first schema of
//! the connection's `search_path`): advisory locks are per database, and
//! several tenants' schemas in one database must not wait for each other.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Row as _};
use url::Url;

use futures::future::LocalBoxFuture;

use super::{Direction, LockWait, Row, Step, StepFailure, millis, unsigned};
use crate::migrate::history::AppliedMigration;
use crate::migrate::{MigrateError, Target};
use crate::source::redact;

/// The advisory lock key of the migrations of `schema`: "baasmigr" as
/// bytes, mixed with the schema's name (FNV-1a), so that runners on other
/// schemas of the same database take other locks. Advisory locks are per
/// database, so runners on different databases never wait for each other.
fn lock_key(schema: &str) -> i64 {
    const BASE: u64 = 0x6261_6173_6d69_6772;
    let hash = schema
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    i64::from_ne_bytes((BASE ^ hash).to_ne_bytes())
}

/// The schema unqualified names are created in: where `_baas_migrations` is.
const LOCK_SCHEMA: &str = "SELECT coalesce(current_schema(), current_setting('search_path'))";

const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS _baas_migrations (
    number integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    version bigint,
    applied_at timestamptz NOT NULL DEFAULT now(),
    execution_ms bigint NOT NULL
)";

const READ_HISTORY: &str = "SELECT number::bigint AS number, name, checksum, version, \
     to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS applied_at, \
     execution_ms FROM _baas_migrations ORDER BY number";

pub struct PostgresRunner {
    target: String,
    options: PgConnectOptions,
    connection: PgConnection,
    /// The lock's connection and key while it is held.
    lock: Option<(PgConnection, i64)>,
}

impl PostgresRunner {
    pub async fn connect(url: &Url) -> Result<Self, MigrateError> {
        let target = redact(url.as_str());
        let connect_error = |reason: String| MigrateError::Connect {
            target: target.clone(),
            reason: redact(&reason),
        };
        let options = PgConnectOptions::from_url(url)
            .map_err(|error| connect_error(error.to_string()))?
            .application_name("baas migrate");
        let connection = open(&options).await.map_err(connect_error)?;
        Ok(Self {
            target,
            options,
            connection,
            lock: None,
        })
    }

    pub async fn applied(&mut self) -> Result<Vec<AppliedMigration>, MigrateError> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_baas_migrations') IS NOT NULL")
            .fetch_one(&mut self.connection)
            .await
            .map_err(database_error)?;
        if !exists {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(READ_HISTORY)
            .fetch_all(&mut self.connection)
            .await
            .map_err(database_error)?;
        rows.iter()
            .map(|row| {
                Ok(AppliedMigration {
                    number: u32::try_from(row.try_get::<i64, _>("number")?).unwrap_or_default(),
                    name: row.try_get("name")?,
                    checksum: row.try_get("checksum")?,
                    version: row.try_get::<Option<i64>, _>("version")?.map(unsigned),
                    applied_at: row.try_get("applied_at")?,
                    execution_ms: unsigned(row.try_get("execution_ms")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(database_error)
    }

    pub async fn lock(
        &mut self,
        timeout: Duration,
        waiting: &dyn Fn(),
    ) -> Result<(), MigrateError> {
        let mut lock = open(&self.options)
            .await
            .map_err(|reason| MigrateError::Connect {
                target: self.target.clone(),
                reason,
            })?;
        let schema: String = sqlx::query_scalar(LOCK_SCHEMA)
            .fetch_one(&mut lock)
            .await
            .map_err(database_error)?;
        let key = lock_key(&schema);
        let mut wait = LockWait::new(timeout, waiting);
        loop {
            let acquired: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut lock)
                .await
                .map_err(database_error)?;
            if acquired {
                break;
            }
            if !wait.again().await {
                return Err(MigrateError::LockTimeout {
                    target: self.target.clone(),
                    seconds: timeout.as_secs(),
                });
            }
        }
        // The history table is created by the first step, in its
        // transaction: a run killed before it commits leaves nothing.
        self.lock = Some((lock, key));
        Ok(())
    }

    pub async fn run(&mut self, step: &Step<'_>) -> Result<Duration, StepFailure> {
        let failure = |statement, error: sqlx::Error| StepFailure {
            statement,
            reason: describe(&error),
            kept: 0,
            denied: is_denied(&error),
        };
        let mut transaction = self
            .connection
            .begin()
            .await
            .map_err(|e| failure(None, e))?;
        let started = Instant::now();
        for statement in &step.statements {
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(statement.text.clone()))
                .execute(&mut *transaction)
                .await
            {
                // Dropping the transaction rolls it back.
                let _ = transaction.rollback().await;
                return Err(failure(Some(statement.clone()), error));
            }
        }
        let elapsed = started.elapsed();
        if step.direction == Direction::Up
            && let Err(error) = sqlx::raw_sql(CREATE_HISTORY)
                .execute(&mut *transaction)
                .await
        {
            let _ = transaction.rollback().await;
            return Err(failure(None, error));
        }
        let row = Row::of(step.migration);
        let history = match step.direction {
            Direction::Up => sqlx::query(
                "INSERT INTO _baas_migrations (number, name, checksum, version, execution_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(row.number as i32)
            .bind(row.name)
            .bind(row.checksum)
            .bind(row.version)
            .bind(millis(elapsed)),
            Direction::Down => sqlx::query("DELETE FROM _baas_migrations WHERE number = $1")
                .bind(row.number as i32),
        };
        if let Err(error) = history.execute(&mut *transaction).await {
            let _ = transaction.rollback().await;
            return Err(failure(None, error));
        }
        transaction.commit().await.map_err(|e| failure(None, e))?;
        Ok(elapsed)
    }

    pub async fn unlock(&mut self) -> Result<(), MigrateError> {
        if let Some((mut lock, key)) = self.lock.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut lock)
                .await;
            let _ = lock.close().await;
        }
        Ok(())
    }
}

async fn open(options: &PgConnectOptions) -> Result<PgConnection, String> {
    crate::connect::within_connect_timeout(PgConnection::connect_with(options))
        .await
        .map_err(|timed_out| timed_out.to_string())?
        .map_err(|error| redact(&describe(&error)))
}

/// The server's message (with its SQLSTATE) for a database error.
fn describe(error: &sqlx::Error) -> String {
    let text = match error.as_database_error() {
        Some(database) => {
            let mut text = database.message().to_owned();
            if let Some(detail) = database
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|postgres| postgres.detail())
            {
                text.push_str(&format!(" ({detail})"));
            }
            match database.code() {
                Some(code) => format!("{text} [SQLSTATE {code}]"),
                None => text,
            }
        }
        None => error.to_string(),
    };
    redact(&text)
}

fn database_error(error: sqlx::Error) -> MigrateError {
    if is_denied(&error) {
        return MigrateError::denied(describe(&error));
    }
    MigrateError::Database(describe(&error))
}

/// `insufficient_privilege` (42501): the role may not do this.
fn is_denied(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|database| database.code())
        .is_some_and(|code| code == "42501")
}

impl super::Migrate for PostgresRunner {
    fn target(&self) -> Target {
        Target::Postgres
    }

    fn transactional(&self) -> bool {
        true
    }

    fn applied(&mut self) -> LocalBoxFuture<'_, Result<Vec<AppliedMigration>, MigrateError>> {
        Box::pin(PostgresRunner::applied(self))
    }

    fn lock<'a>(
        &'a mut self,
        timeout: Duration,
        waiting: &'a dyn Fn(),
    ) -> LocalBoxFuture<'a, Result<(), MigrateError>> {
        Box::pin(PostgresRunner::lock(self, timeout, waiting))
    }

    fn run<'a>(
        &'a mut self,
        step: &'a Step<'_>,
    ) -> LocalBoxFuture<'a, Result<Duration, StepFailure>> {
        Box::pin(PostgresRunner::run(self, step))
    }

    fn unlock(&mut self) -> LocalBoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(PostgresRunner::unlock(self))
    }
}
