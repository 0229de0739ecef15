//! MySQL and MariaDB: DDL commits at once, so a migration runs statement by
//! statement, stops at the first failure, and is recorded only when every
//! statement ran. The lock is `GET_LOCK` on a connection of its own; the
//! server releases it when that connection ends.

use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Row as _};
use url::Url;

use futures::future::LocalBoxFuture;

use super::{Direction, LockWait, Row, Step, StepFailure, millis, unsigned};
use crate::migrate::history::AppliedMigration;
use crate::migrate::{MigrateError, Target};
use crate::source::redact;

const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS _baas_migrations (
    number INT NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    checksum CHAR(64) NOT NULL,
    version BIGINT NULL,
    applied_at DATETIME NOT NULL,
    execution_ms BIGINT NOT NULL
)";

const READ_HISTORY: &str = "SELECT CAST(number AS SIGNED) AS number, name, checksum, version, \
     DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%sZ') AS applied_at, execution_ms \
     FROM _baas_migrations ORDER BY number";

pub struct MysqlRunner {
    target: String,
    options: MySqlConnectOptions,
    connection: MySqlConnection,
    lock: Option<MySqlConnection>,
    /// `GET_LOCK` names are server-wide: one per database.
    lock_name: String,
}

impl MysqlRunner {
    pub async fn connect(url: &Url) -> Result<Self, MigrateError> {
        let target = redact(url.as_str());
        let database = url.path().trim_start_matches('/').to_owned();
        if database.is_empty() {
            return Err(MigrateError::refused(
                format!("`{target}` names no database"),
                "put it in the path, e.g. `mysql://user@host:3306/shop`",
            ));
        }
        let options =
            MySqlConnectOptions::from_url(url).map_err(|error| MigrateError::Connect {
                target: target.clone(),
                reason: redact(&error.to_string()),
            })?;
        let connection = open(&options)
            .await
            .map_err(|reason| MigrateError::Connect {
                target: target.clone(),
                reason,
            })?;
        let mut lock_name = format!("baas_migrations.{database}");
        lock_name.truncate(64);
        Ok(Self {
            target,
            options,
            connection,
            lock: None,
            lock_name,
        })
    }

    pub async fn applied(&mut self) -> Result<Vec<AppliedMigration>, MigrateError> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = '_baas_migrations'",
        )
        .fetch_one(&mut self.connection)
        .await
        .map_err(database_error)?;
        if exists == 0 {
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
        let mut wait = LockWait::new(timeout, waiting);
        loop {
            let acquired: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
                .bind(&self.lock_name)
                .fetch_one(&mut lock)
                .await
                .map_err(database_error)?;
            if acquired == Some(1) {
                break;
            }
            if !wait.again().await {
                return Err(MigrateError::LockTimeout {
                    target: self.target.clone(),
                    seconds: timeout.as_secs(),
                });
            }
        }
        self.lock = Some(lock);
        sqlx::raw_sql(CREATE_HISTORY)
            .execute(&mut self.connection)
            .await
            .map_err(database_error)?;
        Ok(())
    }

    pub async fn run(&mut self, step: &Step<'_>) -> Result<Duration, StepFailure> {
        let started = Instant::now();
        for (ran, statement) in step.statements.iter().enumerate() {
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(statement.text.clone()))
                .execute(&mut self.connection)
                .await
                && !is_empty_query(&error)
            {
                return Err(StepFailure {
                    statement: Some(statement.clone()),
                    reason: describe(&error),
                    kept: ran,
                    denied: is_denied(&error),
                });
            }
        }
        let elapsed = started.elapsed();
        let row = Row::of(step.migration);
        let history = match step.direction {
            Direction::Up => sqlx::query(
                "INSERT INTO _baas_migrations (number, name, checksum, version, applied_at, execution_ms) \
                 VALUES (?, ?, ?, ?, UTC_TIMESTAMP(), ?)",
            )
            .bind(row.number)
            .bind(row.name)
            .bind(row.checksum)
            .bind(row.version)
            .bind(millis(elapsed)),
            Direction::Down => {
                sqlx::query("DELETE FROM _baas_migrations WHERE number = ?").bind(row.number)
            }
        };
        history
            .execute(&mut self.connection)
            .await
            .map_err(|error| StepFailure {
                statement: None,
                reason: describe(&error),
                kept: step.statements.len(),
                denied: is_denied(&error),
            })?;
        Ok(elapsed)
    }

    pub async fn unlock(&mut self) -> Result<(), MigrateError> {
        if let Some(mut lock) = self.lock.take() {
            let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                .bind(&self.lock_name)
                .execute(&mut lock)
                .await;
            let _ = lock.close().await;
        }
        Ok(())
    }
}

async fn open(options: &MySqlConnectOptions) -> Result<MySqlConnection, String> {
    crate::connect::within_connect_timeout(MySqlConnection::connect_with(options))
        .await
        .map_err(|timed_out| timed_out.to_string())?
        .map_err(|error| describe(&error))
}

fn describe(error: &sqlx::Error) -> String {
    let text = match error.as_database_error() {
        Some(database) => match database.code() {
            Some(code) => format!("{} [{code}]", database.message()),
            None => database.message().to_owned(),
        },
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

/// The server's "access denied" errors: to a database (1044), a table
/// (1142), a column (1143), or for want of a privilege like SUPER (1227).
/// Whether the server found nothing to run: a statement of executable
/// comments it skips (`/*!80023 ... */` on an older server, MariaDB's
/// `/*M!100301 ... */` on MySQL), as the `mysql` client skips it.
fn is_empty_query(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|database| database.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .is_some_and(|mysql| mysql.number() == 1065)
}

fn is_denied(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|database| database.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .is_some_and(|mysql| matches!(mysql.number(), 1044 | 1142 | 1143 | 1227))
}

impl super::Migrate for MysqlRunner {
    fn target(&self) -> Target {
        Target::Mysql
    }

    fn transactional(&self) -> bool {
        false
    }

    fn applied(&mut self) -> LocalBoxFuture<'_, Result<Vec<AppliedMigration>, MigrateError>> {
        Box::pin(MysqlRunner::applied(self))
    }

    fn lock<'a>(
        &'a mut self,
        timeout: Duration,
        waiting: &'a dyn Fn(),
    ) -> LocalBoxFuture<'a, Result<(), MigrateError>> {
        Box::pin(MysqlRunner::lock(self, timeout, waiting))
    }

    fn run<'a>(
        &'a mut self,
        step: &'a Step<'_>,
    ) -> LocalBoxFuture<'a, Result<Duration, StepFailure>> {
        Box::pin(MysqlRunner::run(self, step))
    }

    fn unlock(&mut self) -> LocalBoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(MysqlRunner::unlock(self))
    }
}
