//! MongoDB: commands (`createIndexes`, `collMod`, ...) cannot share a
//! transaction, so a migration runs command by command, stops at the first
//! failure and is recorded only when every command ran. The lock is a
//! document with a fixed `_id` in `_baas_migrations_lock`: a second insert
//! fails on the unique `_id` until the first runner deletes it.

use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use mongodb::bson::{Bson, DateTime, Document, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

use futures::future::LocalBoxFuture;

use super::{Direction, LockWait, Row, Step, StepFailure, millis, unsigned};
use crate::migrate::history::{AppliedMigration, LOCK_COLLECTION, TABLE};
use crate::migrate::{MigrateError, Target};
use crate::source::redact;

const LOCK_ID: &str = "baas_migrations";
/// The server's code for a duplicate key.
const DUPLICATE_KEY: i32 = 11000;

pub struct MongoRunner {
    target: String,
    database: Database,
    locked: bool,
}

impl MongoRunner {
    pub async fn connect(url: &str) -> Result<Self, MigrateError> {
        let target = redact(url);
        let connect_error = |error: mongodb::error::Error| MigrateError::Connect {
            target: target.clone(),
            reason: describe(&error),
        };
        let mut options = ClientOptions::parse(url).await.map_err(connect_error)?;
        crate::connect::refuse_closed_ports(&crate::connect::mongodb_addresses(&options))
            .await
            .map_err(|reason| MigrateError::Connect {
                target: target.clone(),
                reason,
            })?;
        let timeout = crate::connect::connect_timeout();
        options.server_selection_timeout.get_or_insert(timeout);
        options.connect_timeout.get_or_insert(timeout);
        options
            .app_name
            .get_or_insert_with(|| "baas migrate".to_owned());
        let name = match options.default_database.clone() {
            Some(name) if !name.is_empty() => name,
            _ => {
                return Err(MigrateError::refused(
                    format!("`{target}` names no database"),
                    "put it in the path, e.g. `mongodb://host:27017/shop`",
                ));
            }
        };
        let client = Client::with_options(options).map_err(connect_error)?;
        let database = client.database(&name);
        database
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(connect_error)?;
        Ok(Self {
            target,
            database,
            locked: false,
        })
    }

    pub async fn applied(&mut self) -> Result<Vec<AppliedMigration>, MigrateError> {
        let documents: Vec<Document> = self
            .database
            .collection::<Document>(TABLE)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .map_err(database_error)?
            .try_collect()
            .await
            .map_err(database_error)?;
        Ok(documents
            .iter()
            .map(|document| {
                let integer = |key: &str| match document.get(key) {
                    Some(Bson::Int32(value)) => Some(i64::from(*value)),
                    Some(Bson::Int64(value)) => Some(*value),
                    Some(Bson::Double(value)) => Some(*value as i64),
                    _ => None,
                };
                let text = |key: &str| document.get_str(key).unwrap_or_default().to_owned();
                AppliedMigration {
                    number: u32::try_from(integer("_id").unwrap_or_default()).unwrap_or_default(),
                    name: text("name"),
                    checksum: text("checksum"),
                    version: integer("version").map(unsigned),
                    applied_at: text("applied_at"),
                    execution_ms: integer("execution_ms").map_or(0, unsigned),
                }
            })
            .collect())
    }

    pub async fn lock(
        &mut self,
        timeout: Duration,
        waiting: &dyn Fn(),
    ) -> Result<(), MigrateError> {
        let locks = self.database.collection::<Document>(LOCK_COLLECTION);
        let mut wait = LockWait::new(timeout, waiting);
        loop {
            let lock = doc! {
                "_id": LOCK_ID,
                "pid": i64::from(std::process::id()),
                "since": DateTime::now(),
            };
            match locks.insert_one(lock).await {
                Ok(_) => break,
                Err(error) if is_duplicate(&error) => {}
                Err(error) => return Err(database_error(error)),
            }
            if wait.again().await {
                continue;
            }
            return Err(MigrateError::refused(
                format!(
                    "another `baas migrate` held the migration lock of `{}` for {} s",
                    self.target,
                    timeout.as_secs()
                ),
                format!(
                    "if no other run is going on, a run that died left its lock behind: delete it with \
                     `db.{LOCK_COLLECTION}.deleteOne({{_id: \"{LOCK_ID}\"}})`"
                ),
            ));
        }
        self.locked = true;
        Ok(())
    }

    pub async fn run(&mut self, step: &Step<'_>) -> Result<Duration, StepFailure> {
        let started = Instant::now();
        for (ran, statement) in step.statements.iter().enumerate() {
            let failure = |reason: String| StepFailure {
                statement: Some(statement.clone()),
                reason,
                kept: ran,
                denied: false,
            };
            let command = serde_json::from_str::<serde_json::Value>(&statement.text)
                .map_err(|e| e.to_string())
                .and_then(|value| Bson::try_from(value).map_err(|e| e.to_string()))
                .and_then(|bson| match bson {
                    Bson::Document(document) => Ok(document),
                    _ => Err("a command must be a JSON object".to_owned()),
                })
                .map_err(failure)?;
            self.database
                .run_command(command)
                .await
                .map_err(|error| failure(describe(&error)))?;
        }
        let elapsed = started.elapsed();
        let row = Row::of(step.migration);
        let history = self.database.collection::<Document>(TABLE);
        let result = match step.direction {
            Direction::Up => {
                let applied_at = DateTime::now()
                    .try_to_rfc3339_string()
                    .unwrap_or_default()
                    .chars()
                    .take(19)
                    .collect::<String>()
                    + "Z";
                let mut document = doc! {
                    "_id": row.number,
                    "name": row.name,
                    "checksum": row.checksum,
                    "applied_at": applied_at,
                    "execution_ms": millis(elapsed),
                };
                if let Some(version) = row.version {
                    document.insert("version", version);
                }
                history.insert_one(document).await.map(|_| ())
            }
            Direction::Down => history
                .delete_one(doc! { "_id": row.number })
                .await
                .map(|_| ()),
        };
        result.map_err(|error| StepFailure {
            statement: None,
            reason: describe(&error),
            kept: step.statements.len(),
            denied: false,
        })?;
        Ok(elapsed)
    }

    pub async fn unlock(&mut self) -> Result<(), MigrateError> {
        if std::mem::take(&mut self.locked) {
            self.database
                .collection::<Document>(LOCK_COLLECTION)
                .delete_one(doc! { "_id": LOCK_ID })
                .await
                .map_err(database_error)?;
        }
        Ok(())
    }
}

fn is_duplicate(error: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) => write.code == DUPLICATE_KEY,
        ErrorKind::Command(command) => command.code == DUPLICATE_KEY,
        _ => false,
    }
}

fn describe(error: &mongodb::error::Error) -> String {
    use mongodb::error::ErrorKind;
    let text = match error.kind.as_ref() {
        ErrorKind::Command(command) => {
            format!(
                "{} ({}): {}",
                command.code_name, command.code, command.message
            )
        }
        other => other.to_string(),
    };
    redact(&text)
}

fn database_error(error: mongodb::error::Error) -> MigrateError {
    MigrateError::Database(describe(&error))
}

impl super::Migrate for MongoRunner {
    fn target(&self) -> Target {
        Target::Mongodb
    }

    fn transactional(&self) -> bool {
        false
    }

    fn applied(&mut self) -> LocalBoxFuture<'_, Result<Vec<AppliedMigration>, MigrateError>> {
        Box::pin(MongoRunner::applied(self))
    }

    fn lock<'a>(
        &'a mut self,
        timeout: Duration,
        waiting: &'a dyn Fn(),
    ) -> LocalBoxFuture<'a, Result<(), MigrateError>> {
        Box::pin(MongoRunner::lock(self, timeout, waiting))
    }

    fn run<'a>(
        &'a mut self,
        step: &'a Step<'_>,
    ) -> LocalBoxFuture<'a, Result<Duration, StepFailure>> {
        Box::pin(MongoRunner::run(self, step))
    }

    fn unlock(&mut self) -> LocalBoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(MongoRunner::unlock(self))
    }
}
