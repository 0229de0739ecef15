//! The SQLite engine: rusqlite connections in a small pool of readers plus
//! one writer connection that writes queue for in-process (FIFO), each
//! call run on the blocking thread pool; statements from the shared
//! sea-query builders
//! ([`crate::query::sql`]), rows decoded by field type to the wire values of
//! docs/api.md. Also opens the embedded dev database, which the migration
//! runner brings up to the manifest (`migrate::sync`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use futures::future::BoxFuture;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value as Json;
use tokio::sync::Semaphore;

use super::{ListResult, Outbox, Row, Store, StoreError, Updated, Values};
use crate::diff::Change;
use crate::manifest::{Entity, Field, FieldType, Manifest};
use crate::query::sql::{self, SqlDialect};
use crate::query::{Filter, ListQuery, Value};
use crate::webhooks::outbox::{Entry, Write, insert_statement};

/// A pool of connections to one SQLite file: readers, and one writer.
///
/// Writes go through the one writer connection, queued in order on an
/// async lock. SQLite lets one connection write at a time; with several
/// writing connections the losers wait in SQLite's busy handler, which
/// sleeps 1, 2, 5, 10, 15, 20, 25… ms between retries whatever the
/// lock's holder is doing: a 0.4 ms insert then waits up to tens of
/// milliseconds (p99 17 ms against a 0.37 ms median at 4 connections).
/// Queued in-process, a writer starts the moment the previous one ends.
pub struct SqliteStore {
    path: PathBuf,
    // Shared with the blocking tasks: a connection goes back to the pool,
    // and its permit is released, inside the task itself, so a request
    // cancelled mid-query (the client went away) never loses a connection.
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
    // The same for the writer: the guard is dropped inside the task.
    writer: Arc<tokio::sync::Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Reading connections per file: enough for readers on every core (WAL
/// lets them go on while the writer writes).
fn pool_size() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(2, 8)
}

/// How a pool opens its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// baas's own dev database: switched to WAL (readers go on while one
    /// writes).
    Wal,
    /// A user's file (`serve --db sqlite://file`): its journal mode is left
    /// as found (WAL is persistent: switching would change the file for good).
    AsFound,
}

fn open(path: &Path, create: bool, journal: Journal) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let connection = Connection::open_with_flags(path, flags)?;
    strict_quotes(&connection)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    if journal == Journal::Wal {
        connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    }
    connection.execute_batch("PRAGMA foreign_keys = ON;")?;
    connection.set_prepared_statement_cache_capacity(256);
    regexp(&connection)?;
    Ok(connection)
}

/// `x REGEXP pattern` (the `match`/`imatch` filters): SQLite has the
/// operator but no function behind it. A null operand gives null; the
/// pattern was checked when the filter was parsed.
pub fn regexp(connection: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    connection.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let pattern: Option<String> = context.get(0)?;
            let text: Option<String> = context.get(1)?;
            let (Some(pattern), Some(text)) = (pattern, text) else {
                return Ok(None);
            };
            let regex = crate::query::regex_of(&pattern, false).ok_or_else(|| {
                rusqlite::Error::UserFunctionError(
                    format!("not a regular expression: {pattern}").into(),
                )
            })?;
            Ok(Some(regex.is_match(&text)))
        },
    )
}

/// Turns off SQLite's double-quoted string literals: an unknown
/// `"column"` is then an error, not the string `'column'` (a manifest
/// field missing from the table would otherwise read as its own name).
pub fn strict_quotes(connection: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    Ok(())
}

impl SqliteStore {
    /// Opens an existing database file.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if !path.is_file() {
            anyhow::bail!("there is no SQLite database at `{}`", path.display());
        }
        Self::open_or_create(path, Journal::AsFound)
    }

    fn open_or_create(path: &Path, journal: Journal) -> anyhow::Result<Self> {
        let size = pool_size();
        let mut connections = Vec::with_capacity(size);
        for _ in 0..size {
            connections.push(
                open(path, true, journal)
                    .map_err(|e| anyhow::anyhow!("cannot open `{}`: {e}", path.display()))?,
            );
        }
        let writer = open(path, true, journal)
            .map_err(|e| anyhow::anyhow!("cannot open `{}`: {e}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            idle: Arc::new(Mutex::new(connections)),
            permits: Arc::new(Semaphore::new(size)),
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on a pooled connection, on the blocking thread pool.
    async fn with<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Internal(e.into()))?;
        let mut connection = self
            .idle
            .lock()
            .map_err(|_| StoreError::Internal(anyhow::anyhow!("the pool lock is poisoned")))?
            .pop()
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("the pool is empty")))?;
        let idle = Arc::clone(&self.idle);
        tokio::task::spawn_blocking(move || {
            let result = work(&mut connection);
            if let Ok(mut idle) = idle.lock() {
                idle.push(connection);
            }
            drop(permit);
            result
        })
        .await
        .map_err(|e| StoreError::Internal(e.into()))?
    }

    /// Runs `work` on the writer connection, after the writes queued
    /// before it, on the blocking thread pool; inside a bulk write, on the
    /// writer its transaction holds.
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        if let Some(bulk) = super::joined::<SqliteBulk>() {
            return bulk.write(work).await;
        }
        let mut writer = Arc::clone(&self.writer).lock_owned().await;
        tokio::task::spawn_blocking(move || work(&mut writer))
            .await
            .map_err(|e| StoreError::Internal(e.into()))?
    }

    /// One transaction for the writes of a bulk operation: the writer
    /// connection, held (other writes queue behind it) in `BEGIN
    /// IMMEDIATE` until the commit.
    async fn begin_bulk(&self) -> Result<Option<super::Bulk>, StoreError> {
        if super::in_bulk() {
            return Ok(None);
        }
        let writer = Arc::clone(&self.writer).lock_owned().await;
        // Made in the blocking task, so that a request dropped meanwhile
        // still rolls the transaction back (`SqliteBulk`'s drop).
        let bulk = tokio::task::spawn_blocking(move || {
            writer
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| StoreError::Internal(e.into()))?;
            Ok::<_, StoreError>(Arc::new(SqliteBulk {
                writer: Mutex::new(Some(writer)),
            }))
        })
        .await
        .map_err(|e| StoreError::Internal(e.into()))??;
        let state = bulk.clone();
        Ok(Some(super::Bulk::new(state, move || {
            Box::pin(async move { bulk.commit().await })
        })))
    }

    /// Runs `work` on a connection, outside the async world (start-up, reload).
    fn blocking<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut connection = open(&self.path, false, Journal::AsFound)?;
        work(&mut connection)
    }
}

/// The writer connection of a bulk write, in its transaction; rolled back
/// when dropped uncommitted (a failed row, a request gone away).
struct SqliteBulk {
    writer: Mutex<Option<tokio::sync::OwnedMutexGuard<Connection>>>,
}

impl SqliteBulk {
    fn take(&self) -> Result<tokio::sync::OwnedMutexGuard<Connection>, StoreError> {
        self.writer
            .lock()
            .ok()
            .and_then(|mut writer| writer.take())
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("the bulk transaction is busy")))
    }

    /// Runs `work` on the transaction's connection, on the blocking thread
    /// pool; the connection goes back inside the task itself.
    async fn write<T, F>(self: Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let mut writer = self.take()?;
        tokio::task::spawn_blocking(move || {
            let result = work(&mut writer);
            if let Ok(mut slot) = self.writer.lock() {
                *slot = Some(writer);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Internal(e.into()))?
    }

    async fn commit(self: Arc<Self>) -> Result<(), StoreError> {
        let writer = self.take()?;
        tokio::task::spawn_blocking(move || {
            let result = writer.execute_batch("COMMIT");
            if result.is_err() {
                let _ = writer.execute_batch("ROLLBACK");
            }
            result.map_err(|e| StoreError::Internal(e.into()))
        })
        .await
        .map_err(|e| StoreError::Internal(e.into()))?
    }
}

impl Drop for SqliteBulk {
    fn drop(&mut self) {
        if let Ok(slot) = self.writer.get_mut()
            && let Some(writer) = slot.take()
        {
            // A short statement; the writer stays locked until it is done.
            let _ = writer.execute_batch("ROLLBACK");
        }
    }
}

/// A write's transaction on the writer: its own (`BEGIN IMMEDIATE`), or
/// a savepoint inside a bulk write's transaction.
enum WriteTx<'c> {
    Own(rusqlite::Transaction<'c>),
    Nested(rusqlite::Savepoint<'c>),
}

impl WriteTx<'_> {
    fn begin(connection: &mut Connection) -> rusqlite::Result<WriteTx<'_>> {
        if connection.is_autocommit() {
            connection
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map(WriteTx::Own)
        } else {
            connection.savepoint().map(WriteTx::Nested)
        }
    }

    fn commit(self) -> rusqlite::Result<()> {
        match self {
            Self::Own(transaction) => transaction.commit(),
            Self::Nested(savepoint) => savepoint.commit(),
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Self::Own(transaction) => transaction,
            Self::Nested(savepoint) => savepoint,
        }
    }
}

// ---------------------------------------------------------------------------
// The dev database

/// What happened to the dev database when it was brought up to a manifest.
#[derive(Debug, Default)]
pub struct DevSync {
    /// The database file did not exist and was created.
    pub created: bool,
    /// The changes applied.
    pub applied: Vec<Change>,
}

impl SqliteStore {
    /// Opens (creating when missing) the dev database at `path` and brings
    /// its tables up to `manifest` through the migration runner
    /// ([`crate::migrate::sync`]): created from scratch the first time,
    /// else the diff from the manifest stored in it is applied, refusing
    /// changes that lose data (`migrate::sync::LosesData`) unless `accept_data_loss`.
    pub fn dev(
        path: &Path,
        manifest: &Manifest,
        accept_data_loss: bool,
    ) -> anyhow::Result<(Self, DevSync)> {
        let created = !path.exists();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", parent.display()))?;
        }
        let engine = Self::open_or_create(path, Journal::Wal)?;
        let applied = engine.sync(manifest, accept_data_loss)?;
        Ok((engine, DevSync { created, applied }))
    }

    /// Brings the dev database from its stored manifest to `manifest`; the
    /// changes applied (none when it is up to date).
    pub fn sync(&self, manifest: &Manifest, accept_data_loss: bool) -> anyhow::Result<Vec<Change>> {
        crate::migrate::sync::sync(&self.path, manifest, accept_data_loss)
    }

    /// Inserts `rows` (`{"entity": [{...}, ...], ...}`, in order) as given,
    /// generated keys included; used for the example rows.
    pub fn load_rows(&self, manifest: &Manifest, rows: &Json) -> anyhow::Result<usize> {
        self.blocking(|connection| load_rows(connection, manifest, rows))
    }
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn load_rows(
    connection: &mut Connection,
    manifest: &Manifest,
    rows: &Json,
) -> anyhow::Result<usize> {
    let Some(tables) = rows.as_object() else {
        anyhow::bail!("the rows must be an object of entity name → array of rows");
    };
    let transaction = connection.transaction()?;
    let mut count = 0;
    for (name, list) in tables {
        let entity = manifest
            .entities
            .get(name)
            .ok_or_else(|| anyhow::anyhow!("the rows name an unknown entity `{name}`"))?;
        for row in list.as_array().into_iter().flatten() {
            let Some(object) = row.as_object() else {
                anyhow::bail!("a row of `{name}` is not an object");
            };
            let mut columns = Vec::new();
            let mut values = Vec::new();
            for (field_name, value) in object {
                let field = entity
                    .fields
                    .get(field_name)
                    .ok_or_else(|| anyhow::anyhow!("`{name}` has no field `{field_name}`"))?;
                columns.push(quote(field.column_name(field_name)));
                values.push(json_to_sql(value));
            }
            let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                quote(&entity.table),
                columns.join(", "),
                placeholders.join(", ")
            );
            transaction.execute(&sql, rusqlite::params_from_iter(values))?;
            count += 1;
        }
    }
    transaction.commit()?;
    Ok(count)
}

fn json_to_sql(value: &Json) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Json::Null => V::Null,
        Json::Bool(b) => V::Integer(i64::from(*b)),
        Json::Number(n) => n
            .as_i64()
            .map_or_else(|| V::Real(n.as_f64().unwrap_or_default()), V::Integer),
        Json::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

// ---------------------------------------------------------------------------
// Rows and errors

/// Reads every row of `statement`; column `i` holds field `fields[i]`
/// (the builders return one column per field, in manifest field order).
fn read_rows(
    statement: &mut rusqlite::Statement<'_>,
    entity: &Entity,
    fields: &[String],
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Row>> {
    let decoders: Vec<(&str, &Field)> = fields
        .iter()
        .filter_map(|name| {
            entity
                .fields
                .get_key_value(name)
                .map(|(n, f)| (n.as_str(), f))
        })
        .collect();
    let mut rows = statement.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut map = Row::with_capacity(decoders.len());
        for (index, (name, field)) in decoders.iter().enumerate() {
            map.insert((*name).to_owned(), decode(field, row.get_ref(index)?));
        }
        out.push(map);
    }
    Ok(out)
}

/// A stored value as the wire value of its field's type (docs/api.md).
pub fn decode(field: &Field, value: ValueRef<'_>) -> Json {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    match (field.ty, value) {
        (_, ValueRef::Null) => Json::Null,
        (FieldType::Bool, ValueRef::Integer(i)) => Json::Bool(i != 0),
        (FieldType::Bool, ValueRef::Real(f)) => Json::Bool(f != 0.0),
        (FieldType::Bool, ValueRef::Text(t)) => {
            Json::Bool(matches!(&*text(t).to_ascii_lowercase(), "1" | "true" | "t"))
        }
        (FieldType::Decimal, ValueRef::Text(t)) => Json::String(text(t)),
        (FieldType::Decimal, ValueRef::Integer(i)) => Json::String(match field.scale {
            Some(scale) if scale > 0 => format!("{i}.{}", "0".repeat(scale as usize)),
            _ => i.to_string(),
        }),
        (FieldType::Decimal, ValueRef::Real(f)) => Json::String(match field.scale {
            Some(scale) => format!("{f:.*}", scale as usize),
            None => f.to_string(),
        }),
        (FieldType::Json | FieldType::Array | FieldType::Object, ValueRef::Text(t)) => {
            let t = text(t);
            serde_json::from_str(&t).unwrap_or(Json::String(t))
        }
        (FieldType::Bytes, ValueRef::Blob(b) | ValueRef::Text(b)) => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (FieldType::Timestamptz, ValueRef::Text(t)) => Json::String(timestamptz(&text(t))),
        (FieldType::Timestamp, ValueRef::Text(t)) => Json::String(text(t).replacen(' ', "T", 1)),
        (ty, ValueRef::Integer(i)) if ty.is_numeric() || ty == FieldType::Json => Json::from(i),
        (ty, ValueRef::Real(f)) if ty.is_numeric() || ty == FieldType::Json => {
            serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
        }
        (ty, ValueRef::Text(t)) if ty.is_integer() => {
            let t = text(t);
            t.parse::<i64>().map_or(Json::String(t), Json::from)
        }
        (_, ValueRef::Text(t)) => Json::String(text(t)),
        (_, ValueRef::Integer(i)) => Json::String(i.to_string()),
        (_, ValueRef::Real(f)) => Json::String(f.to_string()),
        (_, ValueRef::Blob(b)) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// RFC 3339 with `Z` for UTC: `2024-01-02 03:04:05` (SQLite's
/// `CURRENT_TIMESTAMP`, UTC) and `...+00:00` become `2024-01-02T03:04:05Z`.
fn timestamptz(text: &str) -> String {
    let mut out = text.replacen(' ', "T", 1);
    if let Some(stem) = out
        .strip_suffix("+00:00")
        .or_else(|| out.strip_suffix("+0000"))
    {
        out = format!("{stem}Z");
    }
    let has_offset = out.ends_with('Z')
        || out
            .get(10..)
            .is_some_and(|rest| rest.contains('+') || rest.contains('-'));
    if !has_offset && out.len() >= 19 {
        out.push('Z');
    }
    out
}

/// Maps a rusqlite failure; constraint messages name `table.column`.
fn engine_error(entity: &Entity, error: rusqlite::Error) -> StoreError {
    // A missing table or column fails the statement's preparation (with
    // the place in the SQL when SQLite gives it).
    let message = match &error {
        rusqlite::Error::SqliteFailure(_, Some(message))
        | rusqlite::Error::SqlInputError { msg: message, .. } => Some(message.as_str()),
        _ => None,
    };
    let missing = [
        ("table", "no such table: "),
        ("column", "no such column: "),
        ("column", " has no column named "),
    ];
    if let Some(message) = message
        && let Some((kind, after)) = missing.iter().find(|(_, after)| message.contains(after))
    {
        return super::not_migrated(entity, kind, message, after);
    }
    if let rusqlite::Error::SqliteFailure(failure, message) = &error {
        match failure.extended_code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                let fields = message
                    .as_deref()
                    .and_then(|m| m.split_once(": "))
                    .map(|(_, columns)| {
                        columns
                            .split(", ")
                            .filter_map(|c| c.rsplit_once('.').map(|(_, column)| column))
                            .map(|column| {
                                entity
                                    .field_by_column(column)
                                    .map_or_else(|| column.to_owned(), |(name, _)| name.to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                return StoreError::Conflict { fields };
            }
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                return StoreError::Reference { relation: None };
            }
            // `ON DELETE RESTRICT` fails as a trigger would.
            _ if message
                .as_deref()
                .is_some_and(|m| m.contains("FOREIGN KEY constraint failed")) =>
            {
                return StoreError::Reference { relation: None };
            }
            _ => {}
        }
        // SQLite reports a missing table or column as a generic error
        // while preparing the statement.
        if matches!(
            failure.code,
            rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
        ) {
            return StoreError::Unavailable(error.into());
        }
    }
    StoreError::Internal(error.into())
}

fn entity_of<'a>(manifest: &'a Manifest, name: &str) -> Result<&'a Entity, StoreError> {
    manifest
        .entities
        .get(name)
        .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("unknown entity `{name}`")))
}

// ---------------------------------------------------------------------------
// The engine

type Built = (
    String,
    rusqlite::ParamsFromIter<Vec<rusqlite::types::Value>>,
);

/// A built statement as SQL and rusqlite parameters (a query the builder
/// refused is a 400).
fn built(statement: Result<sql::Statement, crate::query::QueryError>) -> Result<Built, StoreError> {
    let (sql, values) = statement.map_err(StoreError::Query)?;
    Ok((sql, rusqlite::params_from_iter(sqlite_params(&values))))
}

/// sea-query values as rusqlite parameters (booleans as 0/1, JSON as text).
pub fn sqlite_params(values: &sea_query::Values) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value as S;
    use sea_query::Value as V;
    values
        .0
        .iter()
        .map(|value| match value {
            V::Bool(Some(b)) => S::Integer(i64::from(*b)),
            V::TinyInt(Some(v)) => S::Integer(i64::from(*v)),
            V::SmallInt(Some(v)) => S::Integer(i64::from(*v)),
            V::Int(Some(v)) => S::Integer(i64::from(*v)),
            V::BigInt(Some(v)) => S::Integer(*v),
            V::TinyUnsigned(Some(v)) => S::Integer(i64::from(*v)),
            V::SmallUnsigned(Some(v)) => S::Integer(i64::from(*v)),
            V::Unsigned(Some(v)) => S::Integer(i64::from(*v)),
            V::BigUnsigned(Some(v)) => match i64::try_from(*v) {
                Ok(v) => S::Integer(v),
                Err(_) => S::Text(v.to_string()),
            },
            V::Float(Some(v)) => S::Real(f64::from(*v)),
            V::Double(Some(v)) => S::Real(*v),
            V::String(Some(v)) => S::Text(v.clone()),
            V::Char(Some(v)) => S::Text(v.to_string()),
            V::Bytes(Some(v)) => S::Blob(v.clone()),
            V::Json(Some(v)) => S::Text(v.to_string()),
            _ => S::Null,
        })
        .collect()
}

/// The names of the fields a statement returns, in column order.
fn field_names(entity: &Entity, select: Option<&[String]>) -> Vec<String> {
    sql::selected_fields(entity, select)
        .into_iter()
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The first row of a statement returning every field of `entity`.
fn first_row(
    connection: &Connection,
    entity: &Entity,
    (sql, params): Built,
) -> Result<Option<Row>, StoreError> {
    let fail = |e| engine_error(entity, e);
    let fields = field_names(entity, None);
    let mut statement = connection.prepare_cached(&sql).map_err(fail)?;
    Ok(read_rows(&mut statement, entity, &fields, params)
        .map_err(fail)?
        .into_iter()
        .next())
}

impl SqliteStore {
    /// Runs one statement returning at most one row of every field, on a
    /// reader or (`writes`) the writer.
    async fn row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        statement: Built,
        writes: bool,
    ) -> Result<Option<Row>, StoreError> {
        let manifest = manifest.clone();
        let entity = entity.to_owned();
        let work = move |connection: &mut Connection| {
            let entity = entity_of(&manifest, &entity)?;
            first_row(connection, entity, statement)
        };
        if writes {
            self.write(work).await
        } else {
            self.with(work).await
        }
    }

    /// Runs one write returning at most one row of every field on the
    /// writer, recording the deliveries of `outbox` for it in the same
    /// transaction.
    async fn write_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        statement: Built,
        outbox: &Outbox,
        write: Write,
    ) -> Result<Option<Row>, StoreError> {
        if outbox.is_empty() {
            return self.row(manifest, entity, statement, true).await;
        }
        let manifest = manifest.clone();
        let entity_name = entity.to_owned();
        let outbox = outbox.clone();
        self.write(move |connection| {
            let entity = entity_of(&manifest, &entity_name)?;
            let fail = |e| engine_error(entity, e);
            let transaction = WriteTx::begin(connection).map_err(fail)?;
            let row = first_row(&transaction, entity, statement)?;
            if let Some(row) = &row {
                let (old, new) = match write {
                    Write::Delete => (Some(row), None),
                    _ => (None, Some(row)),
                };
                let entries = outbox.entries(&entity_name, entity, write, old, new);
                record_outbox(&transaction, &entries).map_err(fail)?;
            }
            transaction.commit().map_err(fail)?;
            Ok(row)
        })
        .await
    }
}

/// Records webhook deliveries in the outbox, inside the write's transaction.
fn record_outbox(connection: &Connection, entries: &[Entry]) -> rusqlite::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (sql, values) = insert_statement(SqlDialect::Sqlite, entries);
    connection.execute(&sql, rusqlite::params_from_iter(sqlite_params(&values)))?;
    Ok(())
}

impl Store for SqliteStore {
    fn list<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<ListResult, StoreError>> {
        Box::pin(async move {
            let target = entity_of(manifest, entity)?;
            let fields = field_names(target, query.select.as_deref());
            let (sql, params) = built(sql::select(SqlDialect::Sqlite, manifest, entity, query))?;
            let count = if query.count {
                Some(built(sql::count(
                    SqlDialect::Sqlite,
                    manifest,
                    entity,
                    query.filter.as_ref(),
                ))?)
            } else {
                None
            };
            let manifest = manifest.clone();
            let entity = entity.to_owned();
            self.with(move |connection| {
                let entity = entity_of(&manifest, &entity)?;
                let fail = |e| engine_error(entity, e);
                let mut statement = connection.prepare_cached(&sql).map_err(fail)?;
                let rows = read_rows(&mut statement, entity, &fields, params).map_err(fail)?;
                let count = match count {
                    Some((sql, params)) => {
                        let mut statement = connection.prepare_cached(&sql).map_err(fail)?;
                        let total: i64 = statement
                            .query_row(params, |row| row.get(0))
                            .map_err(fail)?;
                        Some(total.max(0) as u64)
                    }
                    None => None,
                };
                Ok(ListResult { rows, count })
            })
            .await
        })
    }

    fn get<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a Filter>,
    ) -> BoxFuture<'a, Result<Option<Row>, StoreError>> {
        Box::pin(async move {
            let statement = built(sql::select_by_key(
                SqlDialect::Sqlite,
                manifest,
                entity,
                key,
                scope,
                false,
            ))?;
            self.row(manifest, entity, statement, false).await
        })
    }

    fn insert_with_outbox<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        values: &'a Values,
        outbox: &'a Outbox,
    ) -> BoxFuture<'a, Result<Row, StoreError>> {
        Box::pin(async move {
            let statement = built(sql::insert(SqlDialect::Sqlite, manifest, entity, values))?;
            self.write_row(manifest, entity, statement, outbox, Write::Create)
                .await?
                .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("the insert returned no row")))
        })
    }

    /// The old row is read and changed in one write transaction (`BEGIN
    /// IMMEDIATE`: no other writer in between).
    fn update_with_outbox<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a Filter>,
        check: Option<&'a Filter>,
        values: &'a Values,
        outbox: &'a Outbox,
    ) -> BoxFuture<'a, Result<Option<Updated>, StoreError>> {
        Box::pin(async move {
            let read = built(sql::select_by_key(
                SqlDialect::Sqlite,
                manifest,
                entity,
                key,
                scope,
                true,
            ))?;
            let write = built(sql::update_by_key(
                SqlDialect::Sqlite,
                manifest,
                entity,
                key,
                scope,
                values,
            ))?;
            let checked =
                super::check_statement(SqlDialect::Sqlite, manifest, entity, key, values, check)
                    .map(built)
                    .transpose()?;
            let unchanged = values.is_empty();
            let manifest = manifest.clone();
            let entity_name = entity.to_owned();
            let outbox = outbox.clone();
            self.write(move |connection| {
                let entity = entity_of(&manifest, &entity_name)?;
                let fail = |e| engine_error(entity, e);
                let transaction = WriteTx::begin(connection).map_err(fail)?;
                let Some(old) = first_row(&transaction, entity, read)? else {
                    return Ok(None);
                };
                let new = if unchanged {
                    Some(old.clone())
                } else {
                    first_row(&transaction, entity, write)?
                };
                // Dropped uncommitted, the transaction rolls back.
                if new.is_some()
                    && let Some(checked) = checked
                    && first_row(&transaction, entity, checked)?.is_none()
                {
                    return Err(StoreError::Refused);
                }
                if let Some(new) = &new {
                    let entries =
                        outbox.entries(&entity_name, entity, Write::Update, Some(&old), Some(new));
                    record_outbox(&transaction, &entries).map_err(fail)?;
                }
                transaction.commit().map_err(fail)?;
                Ok(new.map(|new| Updated { old, new }))
            })
            .await
        })
    }

    /// One `DELETE ... RETURNING`: the deleted row.
    fn delete_with_outbox<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a Filter>,
        outbox: &'a Outbox,
    ) -> BoxFuture<'a, Result<Option<Row>, StoreError>> {
        Box::pin(async move {
            let statement = built(sql::delete_by_key(
                SqlDialect::Sqlite,
                manifest,
                entity,
                key,
                scope,
            ))?;
            self.write_row(manifest, entity, statement, outbox, Write::Delete)
                .await
        })
    }

    fn begin(&self) -> BoxFuture<'_, Result<Option<super::Bulk>, StoreError>> {
        Box::pin(self.begin_bulk())
    }

    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.with(|connection| {
                connection
                    .query_row("SELECT 1", [], |row| row.get::<_, i64>(0))
                    .map(|_| ())
                    .map_err(|e| StoreError::Unavailable(e.into()))
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::StoreError;

    /// A statement naming a table or column the database lacks is
    /// `NotMigrated`, naming it as the statement did, whichever form
    /// SQLite's message takes.
    #[test]
    fn a_missing_table_or_column_is_named() {
        let text = "[manifest]\nformat = 1\nversion = 1\n\n[entities.note]\ntable = \"note\"\nprimary_key = [\"id\"]\n[entities.note.fields]\nid = { type = \"int64\" }\n";
        let manifest = crate::manifest::load_str(std::path::Path::new("baas.toml"), text.into())
            .unwrap()
            .manifest;
        let entity = &manifest.entities["note"];
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        super::strict_quotes(&connection).unwrap();
        connection
            .execute_batch("CREATE TABLE note (id INTEGER PRIMARY KEY)")
            .unwrap();
        let column = "column `tenant_id` (in a statement on `note`)";
        for (sql, expected) in [
            (r#"SELECT "tenant_id" FROM "note""#, column),
            (r#"SELECT "note"."tenant_id" FROM "note""#, column),
            (
                r#"INSERT INTO "note" ("id", "tenant_id") VALUES (1, 'a')"#,
                column,
            ),
            (r#"SELECT 1 FROM "main"."author""#, "table `author`"),
            (r#"DELETE FROM "author""#, "table `author`"),
        ] {
            let error = connection.prepare(sql).err().unwrap();
            match super::engine_error(entity, error) {
                StoreError::NotMigrated { what, .. } => assert_eq!(what, expected, "{sql}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }

    /// The bundled SQLite is built as `.cargo/config.toml` says: without
    /// the global memory statistics whose mutex every allocation takes.
    #[test]
    fn sqlite_is_built_without_the_memory_statistics_mutex() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        let mut statement = connection.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            options.iter().any(|option| option == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }
}
