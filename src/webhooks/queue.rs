//! `_baas_outbox` as the delivery worker and `baas webhooks` see it, on
//! every engine: claim due deliveries, record how they went, list, retry
//! and purge. Opened on its own connection to the served database.
//!
//! Claiming is safe across processes: a claimed row gets a lease
//! (`lease_until`) and its attempt counted in the same statement or
//! transaction, and another worker only takes rows whose lease has run
//! out. PostgreSQL and MariaDB/MySQL select the rows `FOR UPDATE SKIP
//! LOCKED`, so two workers polling at once take different rows instead of
//! waiting on each other; SQLite's single writer makes its one `UPDATE ...
//! RETURNING` atomic; MongoDB claims each document with one
//! `findOneAndUpdate`. A worker that dies mid-delivery leaves its lease to
//! expire, and the delivery is attempted again (at least once).

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use futures::TryStreamExt as _;
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;
use sqlx::Row as _;

use super::outbox::{self, TABLE, now_ms};
use crate::query::sql::SqlDialect;
use crate::source::SourceLocation;

/// A delivery taken by a worker: its lease runs, its attempt is counted.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub webhook: String,
    pub event: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// A failed attempt to record.
#[derive(Debug, Clone)]
pub struct Failure {
    pub id: String,
    pub error: String,
    /// When to try again; `None`: the delivery is dead.
    pub next_attempt_at: Option<i64>,
}

/// One row of the outbox, as `baas webhooks list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub webhook: String,
    pub event: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: u32,
    /// Unix milliseconds.
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// The outbox of one database.
#[derive(Clone)]
pub enum Queue {
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
    Postgres(sqlx::PgPool),
    Mysql(sqlx::MySqlPool),
    Mongo(mongodb::Database),
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "Queue::Sqlite",
            Self::Postgres(_) => "Queue::Postgres",
            Self::Mysql(_) => "Queue::Mysql",
            Self::Mongo(_) => "Queue::Mongo",
        })
    }
}

/// Runs `$body` once per sqlx engine with `$pool` bound to its pool and
/// `$sql` to a function that writes `?` placeholders the engine's way.
macro_rules! on_sqlx {
    ($queue:expr, $pool:ident, $sql:ident => $body:expr, $($other:pat => $or:expr),+ $(,)?) => {
        match $queue {
            Queue::Postgres($pool) => {
                let $sql = numbered;
                $body
            }
            Queue::Mysql($pool) => {
                let $sql = |text: &str| text.to_owned();
                $body
            }
            $($other => $or),+
        }
    };
}

/// `?` placeholders as PostgreSQL's `$1, $2, ...`.
fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut count = 0;
    for c in text.chars() {
        if c == '?' {
            count += 1;
            out.push_str(&format!("${count}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// `?, ?, ?` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

const DUE: &str =
    "state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)";
const COLUMNS: &str =
    "id, webhook, event, state, attempts, next_attempt_at, last_error, created_at, delivered_at";

fn sql_error(what: &str) -> impl Fn(sqlx::Error) -> anyhow::Error + '_ {
    move |error| anyhow::anyhow!("{what} in `{TABLE}`: {error}")
}

fn attempts(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

impl Queue {
    /// Opens the outbox of the database at `location` (SQLite file,
    /// PostgreSQL, MySQL/MariaDB or MongoDB).
    pub async fn open(location: &SourceLocation) -> anyhow::Result<Self> {
        let redacted = location.to_string();
        let opened = match location {
            SourceLocation::Sqlite { path } => Self::open_sqlite(path),
            SourceLocation::Postgres { url } => {
                let options = sqlx::postgres::PgConnectOptions::from_str(url.as_str())?
                    .application_name("baas webhooks");
                Ok(Self::Postgres(pool_options().connect_with(options).await?))
            }
            SourceLocation::Mysql { url } => {
                let options = sqlx::mysql::MySqlConnectOptions::from_str(url.as_str())?;
                Ok(Self::Mysql(pool_options().connect_with(options).await?))
            }
            SourceLocation::Mongodb { url } => {
                let mut options = mongodb::options::ClientOptions::parse(url).await?;
                options
                    .server_selection_timeout
                    .get_or_insert(crate::connect::connect_timeout());
                options.app_name = Some("baas webhooks".to_owned());
                let name = options.default_database.clone().ok_or_else(|| {
                    anyhow::anyhow!(
                        "the MongoDB URL names no database (`mongodb://host:port/DATABASE`)"
                    )
                })?;
                Ok(Self::Mongo(
                    mongodb::Client::with_options(options)?.database(&name),
                ))
            }
            other => Err(anyhow::anyhow!(
                "`{other}` is not a database: webhooks keep their outbox in a postgres://, mysql://, mongodb:// or sqlite:// database"
            )),
        };
        opened.with_context(|| format!("cannot open the webhook outbox of `{redacted}`"))
    }

    fn open_sqlite(path: &Path) -> anyhow::Result<Self> {
        let connection = rusqlite::Connection::open(PathBuf::from(path))?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        // As the dev database's own connections do: in WAL mode a commit
        // need not wait for the disk (the write-ahead log keeps it safe
        // from a crashed process).
        let journal: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if journal.eq_ignore_ascii_case("wal") {
            connection.execute_batch("PRAGMA synchronous = NORMAL")?;
        }
        Ok(Self::Sqlite(Arc::new(Mutex::new(connection))))
    }

    /// Runs `work` on the SQLite connection, on the blocking thread pool.
    async fn sqlite<T: Send + 'static>(
        connection: &Arc<Mutex<rusqlite::Connection>>,
        work: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let connection = Arc::clone(connection);
        tokio::task::spawn_blocking(move || {
            let mut connection = connection
                .lock()
                .map_err(|_| anyhow::anyhow!("the outbox connection lock is poisoned"))?;
            work(&mut connection).map_err(|error| anyhow::anyhow!("in `{TABLE}`: {error}"))
        })
        .await?
    }

    /// Creates the outbox table (and index, or the MongoDB index) when missing.
    pub async fn ensure(&self) -> anyhow::Result<()> {
        on_sqlx!(self, pool, _sql => {
            let dialect = if matches!(self, Self::Postgres(_)) { SqlDialect::Postgres } else { SqlDialect::Mysql };
            for statement in outbox::create_table(dialect) {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*statement))
                    .execute(pool)
                    .await
                    .map_err(sql_error("creating the table"))?;
            }
            Ok(())
        },
        Self::Sqlite(connection) => Self::sqlite(connection, |connection| {
            for statement in outbox::create_table(SqlDialect::Sqlite) {
                connection.execute_batch(statement)?;
            }
            Ok(())
        }).await,
        Self::Mongo(database) => {
            let index = mongodb::IndexModel::builder()
                .keys(doc! { "state": 1, "next_attempt_at": 1 })
                .build();
            database
                .collection::<Document>(TABLE)
                .create_index(index)
                .await
                .with_context(|| format!("creating the index of `{TABLE}`"))?;
            Ok(())
        })
    }

    /// Takes up to `limit` due deliveries for `lease_ms` milliseconds and
    /// counts their attempt.
    pub async fn claim(&self, limit: usize, lease_ms: i64) -> anyhow::Result<Vec<Claimed>> {
        let now = now_ms();
        let lease = now + lease_ms;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match self {
            Self::Postgres(pool) => {
                let text = numbered(&format!(
                    "UPDATE {TABLE} SET lease_until = ?, attempts = attempts + 1 WHERE id IN \
                     (SELECT id FROM {TABLE} WHERE {DUE} ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) \
                     RETURNING id, webhook, event, payload, attempts"
                ));
                let rows = sqlx::query(sqlx::AssertSqlSafe(text))
                    .bind(lease)
                    .bind(now)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await
                    .map_err(sql_error("claiming deliveries"))?;
                rows.iter()
                    .map(|row| {
                        Ok(Claimed {
                            id: row.try_get(0)?,
                            webhook: row.try_get(1)?,
                            event: row.try_get(2)?,
                            payload: row.try_get(3)?,
                            attempts: attempts(i64::from(row.try_get::<i32, _>(4)?)),
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(sql_error("reading claimed deliveries"))
            }
            Self::Mysql(pool) => {
                let mut transaction = pool
                    .begin()
                    .await
                    .map_err(sql_error("claiming deliveries"))?;
                let text = format!(
                    "SELECT id, webhook, event, payload, attempts FROM {TABLE} WHERE {DUE} \
                     ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(text))
                    .bind(now)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&mut *transaction)
                    .await
                    .map_err(sql_error("claiming deliveries"))?;
                let claimed = rows
                    .iter()
                    .map(|row| {
                        Ok(Claimed {
                            id: row.try_get(0)?,
                            webhook: row.try_get(1)?,
                            event: row.try_get(2)?,
                            payload: row.try_get(3)?,
                            attempts: attempts(i64::from(row.try_get::<i32, _>(4)?) + 1),
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
                    .map_err(sql_error("reading claimed deliveries"))?;
                if !claimed.is_empty() {
                    let text = format!(
                        "UPDATE {TABLE} SET lease_until = ?, attempts = attempts + 1 WHERE id IN ({})",
                        placeholders(claimed.len())
                    );
                    let mut update = sqlx::query(sqlx::AssertSqlSafe(text)).bind(lease);
                    for row in &claimed {
                        update = update.bind(&row.id);
                    }
                    update
                        .execute(&mut *transaction)
                        .await
                        .map_err(sql_error("claiming deliveries"))?;
                }
                transaction
                    .commit()
                    .await
                    .map_err(sql_error("claiming deliveries"))?;
                Ok(claimed)
            }
            Self::Sqlite(connection) => {
                let text = format!(
                    "UPDATE {TABLE} SET lease_until = ?1, attempts = attempts + 1 WHERE id IN \
                     (SELECT id FROM {TABLE} WHERE state = 'pending' AND next_attempt_at <= ?2 \
                     AND (lease_until IS NULL OR lease_until < ?2) ORDER BY next_attempt_at LIMIT ?3) \
                     RETURNING id, webhook, event, payload, attempts"
                );
                Self::sqlite(connection, move |connection| {
                    let mut statement = connection.prepare_cached(&text)?;
                    let rows =
                        statement.query_map(rusqlite::params![lease, now, limit], |row| {
                            Ok(Claimed {
                                id: row.get(0)?,
                                webhook: row.get(1)?,
                                event: row.get(2)?,
                                payload: row.get(3)?,
                                attempts: attempts(row.get(4)?),
                            })
                        })?;
                    rows.collect()
                })
                .await
            }
            Self::Mongo(database) => {
                let collection = database.collection::<Document>(TABLE);
                let mut claimed = Vec::new();
                for _ in 0..limit {
                    let filter = doc! {
                        "state": "pending",
                        "next_attempt_at": { "$lte": now },
                        "$or": [ { "lease_until": Bson::Null }, { "lease_until": { "$lt": now } } ],
                    };
                    let taken = collection
                        .find_one_and_update(
                            filter,
                            doc! { "$set": { "lease_until": lease }, "$inc": { "attempts": 1 } },
                        )
                        .sort(doc! { "next_attempt_at": 1 })
                        .return_document(mongodb::options::ReturnDocument::After)
                        .await
                        .with_context(|| format!("claiming deliveries in `{TABLE}`"))?;
                    let Some(document) = taken else { break };
                    claimed.push(Claimed {
                        id: text_of(&document, "_id"),
                        webhook: text_of(&document, "webhook"),
                        event: text_of(&document, "event"),
                        payload: text_of(&document, "payload"),
                        attempts: attempts(int_of(&document, "attempts").unwrap_or(1)),
                    });
                }
                Ok(claimed)
            }
        }
    }

    /// Marks `ids` delivered.
    pub async fn delivered(&self, ids: &[String]) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let text = format!(
            "UPDATE {TABLE} SET state = 'delivered', delivered_at = ?, lease_until = NULL, \
             last_error = NULL WHERE id IN ({})",
            placeholders(ids.len())
        );
        on_sqlx!(self, pool, sql => {
            let mut update = sqlx::query(sqlx::AssertSqlSafe(sql(&text))).bind(now);
            for id in ids {
                update = update.bind(id);
            }
            update.execute(pool).await.map_err(sql_error("recording deliveries"))?;
            Ok(())
        },
        Self::Sqlite(connection) => {
            let ids = ids.to_vec();
            Self::sqlite(connection, move |connection| {
                let mut values: Vec<rusqlite::types::Value> = vec![now.into()];
                values.extend(ids.into_iter().map(Into::into));
                connection.execute(&text, rusqlite::params_from_iter(values))?;
                Ok(())
            }).await
        },
        Self::Mongo(database) => {
            database
                .collection::<Document>(TABLE)
                .update_many(
                    doc! { "_id": { "$in": ids } },
                    doc! { "$set": { "state": "delivered", "delivered_at": now, "lease_until": Bson::Null, "last_error": Bson::Null } },
                )
                .await
                .with_context(|| format!("recording deliveries in `{TABLE}`"))?;
            Ok(())
        })
    }

    /// Records failed attempts, in one transaction: each due again at its
    /// `next_attempt_at`, or dead when that is `None`.
    pub async fn failed(&self, failures: &[Failure]) -> anyhow::Result<()> {
        if failures.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let text = format!(
            "UPDATE {TABLE} SET state = ?, next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ?"
        );
        let rows: Vec<(&'static str, i64, String, String)> = failures
            .iter()
            .map(|failure| match failure.next_attempt_at {
                Some(at) => ("pending", at, failure.error.clone(), failure.id.clone()),
                None => ("dead", now, failure.error.clone(), failure.id.clone()),
            })
            .collect();
        on_sqlx!(self, pool, sql => {
            let text = sql(&text);
            let mut transaction = pool.begin().await.map_err(sql_error("recording failed deliveries"))?;
            for (state, next, error, id) in &rows {
                sqlx::query(sqlx::AssertSqlSafe(text.as_str()))
                    .bind(*state)
                    .bind(*next)
                    .bind(error)
                    .bind(id)
                    .execute(&mut *transaction)
                    .await
                    .map_err(sql_error("recording failed deliveries"))?;
            }
            transaction.commit().await.map_err(sql_error("recording failed deliveries"))?;
            Ok(())
        },
        Self::Sqlite(connection) => Self::sqlite(connection, move |connection| {
            let transaction = connection.transaction()?;
            {
                let mut statement = transaction.prepare_cached(&text)?;
                for (state, next, error, id) in rows {
                    statement.execute(rusqlite::params![state, next, error, id])?;
                }
            }
            transaction.commit()
        }).await,
        Self::Mongo(database) => {
            let collection = database.collection::<Document>(TABLE);
            for (state, next, error, id) in rows {
                collection
                    .update_one(
                        doc! { "_id": id },
                        doc! { "$set": { "state": state, "next_attempt_at": next, "lease_until": Bson::Null, "last_error": error } },
                    )
                    .await
                    .with_context(|| format!("recording a failed delivery in `{TABLE}`"))?;
            }
            Ok(())
        })
    }

    /// The newest `limit` deliveries, of one state when given.
    pub async fn list(&self, state: Option<&str>, limit: u32) -> anyhow::Result<Vec<Delivery>> {
        let filter = if state.is_some() {
            "WHERE state = ?"
        } else {
            ""
        };
        let text = format!(
            "SELECT {COLUMNS} FROM {TABLE} {filter} ORDER BY created_at DESC, id LIMIT {limit}"
        );
        let state = state.map(str::to_owned);
        on_sqlx!(self, pool, sql => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql(&text)));
            if let Some(state) = &state {
                query = query.bind(state);
            }
            let rows = query.fetch_all(pool).await.map_err(sql_error("listing deliveries"))?;
            rows.iter()
                .map(|row| {
                    Ok(Delivery {
                        id: row.try_get(0)?,
                        webhook: row.try_get(1)?,
                        event: row.try_get(2)?,
                        state: row.try_get(3)?,
                        attempts: attempts(i64::from(row.try_get::<i32, _>(4)?)),
                        next_attempt_at: row.try_get(5)?,
                        last_error: row.try_get(6)?,
                        created_at: row.try_get(7)?,
                        delivered_at: row.try_get(8)?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(sql_error("reading deliveries"))
        },
        Self::Sqlite(connection) => Self::sqlite(connection, move |connection| {
            let mut statement = connection.prepare(&text)?;
            let rows = statement.query_map(rusqlite::params_from_iter(state), |row| {
                Ok(Delivery {
                    id: row.get(0)?,
                    webhook: row.get(1)?,
                    event: row.get(2)?,
                    state: row.get(3)?,
                    attempts: attempts(row.get(4)?),
                    next_attempt_at: row.get(5)?,
                    last_error: row.get(6)?,
                    created_at: row.get(7)?,
                    delivered_at: row.get(8)?,
                })
            })?;
            rows.collect()
        }).await,
        Self::Mongo(database) => {
            let filter = state.map(|state| doc! { "state": state }).unwrap_or_default();
            let cursor = database
                .collection::<Document>(TABLE)
                .find(filter)
                .sort(doc! { "created_at": -1, "_id": 1 })
                .limit(i64::from(limit))
                .await
                .with_context(|| format!("listing deliveries in `{TABLE}`"))?;
            let documents: Vec<Document> = cursor
                .try_collect()
                .await
                .with_context(|| format!("listing deliveries in `{TABLE}`"))?;
            Ok(documents
                .iter()
                .map(|document| Delivery {
                    id: text_of(document, "_id"),
                    webhook: text_of(document, "webhook"),
                    event: text_of(document, "event"),
                    state: text_of(document, "state"),
                    attempts: attempts(int_of(document, "attempts").unwrap_or_default()),
                    next_attempt_at: int_of(document, "next_attempt_at").unwrap_or_default(),
                    last_error: document.get_str("last_error").ok().map(str::to_owned),
                    created_at: int_of(document, "created_at").unwrap_or_default(),
                    delivered_at: int_of(document, "delivered_at"),
                })
                .collect())
        })
    }

    /// Makes deliveries due again now with their attempts reset: the given
    /// ids (any state), or every dead one. Returns how many.
    pub async fn retry(&self, ids: Option<&[String]>) -> anyhow::Result<u64> {
        let now = now_ms();
        let which = match ids {
            Some([]) => return Ok(0),
            Some(ids) => format!("id IN ({})", placeholders(ids.len())),
            None => "state = 'dead'".to_owned(),
        };
        let text = format!(
            "UPDATE {TABLE} SET state = 'pending', attempts = 0, next_attempt_at = ?, \
             lease_until = NULL WHERE {which}"
        );
        let ids: Vec<String> = ids.map(<[String]>::to_vec).unwrap_or_default();
        on_sqlx!(self, pool, sql => {
            let mut update = sqlx::query(sqlx::AssertSqlSafe(sql(&text))).bind(now);
            for id in &ids {
                update = update.bind(id);
            }
            Ok(update.execute(pool).await.map_err(sql_error("retrying deliveries"))?.rows_affected())
        },
        Self::Sqlite(connection) => Self::sqlite(connection, move |connection| {
            let mut values: Vec<rusqlite::types::Value> = vec![now.into()];
            values.extend(ids.into_iter().map(Into::into));
            Ok(connection.execute(&text, rusqlite::params_from_iter(values))? as u64)
        }).await,
        Self::Mongo(database) => {
            let filter = if ids.is_empty() { doc! { "state": "dead" } } else { doc! { "_id": { "$in": ids } } };
            let done = database
                .collection::<Document>(TABLE)
                .update_many(
                    filter,
                    doc! { "$set": { "state": "pending", "attempts": 0, "next_attempt_at": now, "lease_until": Bson::Null } },
                )
                .await
                .with_context(|| format!("retrying deliveries in `{TABLE}`"))?;
            Ok(done.modified_count)
        })
    }

    /// Deletes the delivered deliveries, and the dead ones with `dead`.
    /// Returns how many.
    pub async fn purge(&self, dead: bool) -> anyhow::Result<u64> {
        let which = if dead {
            "state IN ('delivered', 'dead')"
        } else {
            "state = 'delivered'"
        };
        let text = format!("DELETE FROM {TABLE} WHERE {which}");
        on_sqlx!(self, pool, _sql => {
            Ok(sqlx::query(sqlx::AssertSqlSafe(text))
                .execute(pool)
                .await
                .map_err(sql_error("purging deliveries"))?
                .rows_affected())
        },
        Self::Sqlite(connection) => Self::sqlite(connection, move |connection| {
            Ok(connection.execute(&text, [])? as u64)
        }).await,
        Self::Mongo(database) => {
            let states: Vec<&str> = if dead { vec!["delivered", "dead"] } else { vec!["delivered"] };
            let done = database
                .collection::<Document>(TABLE)
                .delete_many(doc! { "state": { "$in": states } })
                .await
                .with_context(|| format!("purging deliveries in `{TABLE}`"))?;
            Ok(done.deleted_count)
        })
    }

    /// How many deliveries are in each state.
    pub async fn counts(&self) -> anyhow::Result<std::collections::BTreeMap<String, u64>> {
        let text = format!("SELECT state, COUNT(*) FROM {TABLE} GROUP BY state");
        on_sqlx!(self, pool, _sql => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(text))
                .fetch_all(pool)
                .await
                .map_err(sql_error("counting deliveries"))?;
            rows.iter()
                .map(|row| Ok((row.try_get::<String, _>(0)?, attempts_count(row.try_get::<i64, _>(1)?))))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(sql_error("counting deliveries"))
        },
        Self::Sqlite(connection) => Self::sqlite(connection, move |connection| {
            let mut statement = connection.prepare(&text)?;
            let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, attempts_count(row.get(1)?))))?;
            rows.collect()
        }).await,
        Self::Mongo(database) => {
            let mut counts = std::collections::BTreeMap::new();
            for state in ["pending", "delivered", "dead"] {
                let n = database
                    .collection::<Document>(TABLE)
                    .count_documents(doc! { "state": state })
                    .await
                    .with_context(|| format!("counting deliveries in `{TABLE}`"))?;
                if n > 0 {
                    counts.insert(state.to_owned(), n);
                }
            }
            Ok(counts)
        })
    }
}

fn attempts_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .max_connections(4)
        .acquire_timeout(crate::connect::connect_timeout())
}

fn text_of(document: &Document, key: &str) -> String {
    match document.get(key) {
        Some(Bson::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn int_of(document: &Document, key: &str) -> Option<i64> {
    match document.get(key)? {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(f) => Some(*f as i64),
        _ => None,
    }
}

/// The outbox document of an entry (MongoDB).
pub fn document(entry: &outbox::Entry) -> Document {
    doc! {
        "_id": &entry.id,
        "webhook": &entry.webhook,
        "event": &entry.event,
        "payload": &entry.payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": entry.created_at,
        "lease_until": Bson::Null,
        "last_error": Bson::Null,
        "created_at": entry.created_at,
        "delivered_at": Bson::Null,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            super::numbered("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }
}
