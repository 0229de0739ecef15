//! What the PostgreSQL and MySQL stores share on the driver side: rows
//! decoded by field type into wire values (docs/api.md, "Wire values") and
//! the error mapping helpers. Statements come from the one SQL builder,
//! [`crate::query::sql`].
//!
//! Every column is read back as text (or raw bytes for `bytes`), as the
//! builder's select lists for these two engines produce it, then converted
//! by the manifest's field type: one decoding path for both engines, and
//! no sqlx type features needed.

use std::sync::Arc;

use base64::Engine as _;
use indexmap::IndexMap;

use super::{Row, StoreError, Values};
use crate::manifest::{Entity, Field, FieldType, Manifest};
use crate::query::Value;
use crate::query::sql::Statement;
use crate::webhooks::outbox;

/// The entity named `entity`, or an internal error (the server checks names
/// before calling the store).
pub(crate) fn entity<'a>(manifest: &'a Manifest, entity: &str) -> Result<&'a Entity, StoreError> {
    manifest
        .entities
        .get(entity)
        .ok_or_else(|| internal(format!("unknown entity `{entity}`")))
}

pub(crate) fn internal(message: impl Into<String>) -> StoreError {
    StoreError::Internal(anyhow::anyhow!(message.into()))
}

/// A built statement as sqlx SQL and arguments (a query the builder
/// refused is a 400).
pub(crate) fn sqlx_statement(
    built: Result<Statement, crate::query::QueryError>,
) -> Result<(sqlx::AssertSqlSafe<String>, sea_query_sqlx::SqlxValues), StoreError> {
    let (sql, values) = built.map_err(StoreError::Query)?;
    Ok((sqlx::AssertSqlSafe(sql), sea_query_sqlx::SqlxValues(values)))
}

/// The key of a row after an update: the old key with any changed key
/// fields replaced.
pub(crate) fn key_after_update(entity: &Entity, key: &[Value], values: &Values) -> Vec<Value> {
    entity
        .primary_key
        .iter()
        .zip(key)
        .map(|(name, old)| values.get(name).unwrap_or(old).clone())
        .collect()
}

/// One column as read by the decoder.
pub(crate) enum Cell {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// Reads the cells of `row` for `fields` (text, or bytes for `bytes`).
pub(crate) fn read_cells<R>(row: &R, fields: &[(&str, &Field)]) -> Result<Vec<Cell>, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fields
        .iter()
        .enumerate()
        .map(|(index, (name, field))| {
            let cell = if field.ty == FieldType::Bytes {
                row.try_get_unchecked::<Option<Vec<u8>>, _>(index)
                    .map(Cell::Bytes)
            } else {
                row.try_get_unchecked::<Option<String>, _>(index)
                    .map(Cell::Text)
            };
            cell.map_err(|error| internal(format!("reading field `{name}`: {error}")))
        })
        .collect()
}

/// Cells → a wire row keyed by field name.
pub(crate) fn wire_row(fields: &[(&str, &Field)], cells: Vec<Cell>) -> Result<Row, StoreError> {
    let mut row = Row::with_capacity(fields.len());
    for ((name, field), cell) in fields.iter().zip(cells) {
        let value = match cell {
            Cell::Bytes(None) | Cell::Text(None) => serde_json::Value::Null,
            Cell::Bytes(Some(bytes)) => base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into(),
            Cell::Text(Some(text)) => wire_value(field, text)
                .map_err(|message| internal(format!("field `{name}`: {message}")))?,
        };
        row.insert((*name).to_owned(), value);
    }
    Ok(row)
}

/// The wire value of a field's text as the select list reads it.
fn wire_value(field: &Field, text: String) -> Result<serde_json::Value, String> {
    Ok(match field.ty {
        FieldType::Bool => match text.as_str() {
            "t" | "true" | "1" => true.into(),
            "f" | "false" | "0" => false.into(),
            other => return Err(format!("`{other}` is not a boolean")),
        },
        FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
            if let Ok(number) = text.parse::<i64>() {
                number.into()
            } else if let Ok(number) = text.parse::<u64>() {
                number.into()
            } else {
                return Err(format!("`{text}` is not an integer"));
            }
        }
        FieldType::Float32 | FieldType::Float64 => {
            let number = text
                .parse::<f64>()
                .map_err(|_| format!("`{text}` is not a number"))?;
            serde_json::Number::from_f64(number).map_or(serde_json::Value::Null, Into::into)
        }
        FieldType::Timestamp | FieldType::Time => timestamp_text(&text).into(),
        FieldType::Timestamptz => {
            let mut text = timestamp_text(&text);
            for suffix in ["+00:00", "+00", "Z"] {
                if let Some(stripped) = text.strip_suffix(suffix) {
                    text = stripped.to_owned();
                    break;
                }
            }
            text.push('Z');
            text.into()
        }
        FieldType::Json | FieldType::Array | FieldType::Object => {
            serde_json::from_str(&text).map_err(|error| format!("not JSON: {error}"))?
        }
        _ => text.into(),
    })
}

/// `YYYY-MM-DD HH:MM:SS.000000` → `YYYY-MM-DDTHH:MM:SS` (fraction kept when
/// not zero).
fn timestamp_text(text: &str) -> String {
    let text = text.replacen(' ', "T", 1);
    match text.find(".000000") {
        Some(at) => format!("{}{}", &text[..at], &text[at + 7..]),
        None => text,
    }
}

/// Field names of the columns in `columns` (unknown columns are skipped).
pub(crate) fn fields_of_columns(entity: &Entity, columns: &[&str]) -> Vec<String> {
    columns
        .iter()
        .filter_map(|column| {
            entity
                .field_by_column(column)
                .map(|(name, _)| name.to_owned())
        })
        .collect()
}

/// Field names of the unique constraint or index called `name`.
pub(crate) fn fields_of_constraint(entity: &Entity, name: &str) -> Vec<String> {
    if entity.primary_key_name.as_deref() == Some(name) || name.eq_ignore_ascii_case("PRIMARY") {
        return entity.primary_key.clone();
    }
    if let Some(unique) = entity
        .uniques
        .iter()
        .find(|unique| unique.name.as_deref() == Some(name))
    {
        return unique.fields.clone();
    }
    if let Some(index) = entity.indexes.iter().find(|index| index.name == name) {
        return index
            .fields
            .iter()
            .filter_map(|part| match part {
                crate::manifest::IndexPart::Field { field, .. } => Some(field.clone()),
                _ => None,
            })
            .collect();
    }
    match entity.field_by_column(name) {
        Some((field, _)) => vec![field.to_owned()],
        None => Vec::new(),
    }
}

/// The connections a store's pool holds at most, unless the tenant's
/// registry row says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// A pool of `size` connections at most ([`DEFAULT_POOL_SIZE`] when
/// `None`) on `options`, opened lazily, with one connection made now:
/// a refused connection fails at once with its cause (the pool would retry
/// it until its timeout), and the first request does not pay for the
/// handshake.
pub(crate) async fn open_pool<DB: sqlx::Database>(
    options: <DB::Connection as sqlx::Connection>::Options,
    size: Option<u32>,
) -> Result<sqlx::Pool<DB>, StoreError> {
    let pool = sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(size.unwrap_or(DEFAULT_POOL_SIZE).max(1))
        .min_connections(0)
        .acquire_timeout(crate::connect::connect_timeout())
        .connect_lazy_with(options.clone());
    let first = crate::connect::within_connect_timeout(sqlx::ConnectOptions::connect(&options))
        .await
        .map_err(|timed_out| StoreError::Unavailable(timed_out.into()))?
        .map_err(sqlx_error)?;
    let _ = sqlx::Connection::close(first).await;
    drop(pool.acquire().await.map_err(sqlx_error)?);
    Ok(pool)
}

pub(crate) fn sqlx_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.into()),
        // SQLSTATE class 28: invalid authorization (a wrong or rotated
        // password, a role that may not log in).
        sqlx::Error::Database(ref database)
            if database.code().is_some_and(|code| code.starts_with("28")) =>
        {
            StoreError::Credentials(error.into())
        }
        other => StoreError::Internal(other.into()),
    }
}

/// The statement recording webhook deliveries (one multi-row `INSERT`
/// into the outbox), run by the store on a write's own connection inside
/// its transaction; `None` when there is nothing to record.
pub(crate) fn outbox_statement(
    dialect: crate::query::sql::SqlDialect,
    entries: &[outbox::Entry],
) -> Option<(sqlx::AssertSqlSafe<String>, sea_query_sqlx::SqlxValues)> {
    if entries.is_empty() {
        return None;
    }
    let (text, values) = outbox::insert_statement(dialect, entries);
    Some((
        sqlx::AssertSqlSafe(text),
        sea_query_sqlx::SqlxValues(values),
    ))
}

pub(crate) fn outbox_error(error: sqlx::Error) -> StoreError {
    internal(format!("recording webhook deliveries: {error}"))
}

/// Fields in manifest order (for deterministic error lists).
pub(crate) fn in_field_order(entity: &Entity, mut names: Vec<String>) -> Vec<String> {
    let order: IndexMap<&str, usize> = entity
        .fields
        .keys()
        .enumerate()
        .map(|(index, name)| (name.as_str(), index))
        .collect();
    names.sort_by_key(|name| order.get(name.as_str()).copied().unwrap_or(usize::MAX));
    names.dedup();
    names
}

/// The bulk transaction of a sqlx pool (PostgreSQL, MySQL), shared by the
/// writes of one bulk operation ([`super::Bulk`]). Each write runs in a
/// savepoint of it, so a write that fails (and that the kernel may skip,
/// as a duplicate ignored) does not spoil the transaction for the next
/// ones: PostgreSQL refuses every statement after an error until the
/// savepoint is rolled back.
pub(crate) struct SqlxBulk<DB: sqlx::Database> {
    held: Arc<tokio::sync::Mutex<Held<DB>>>,
}

/// The open transaction of a bulk write, and whether a write left its
/// savepoint open (it failed before releasing it).
pub(crate) struct Held<DB: sqlx::Database> {
    transaction: sqlx::Transaction<'static, DB>,
    savepoint: bool,
}

impl<DB: sqlx::Database> Held<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    /// The transaction's connection.
    pub(crate) fn connection(&mut self) -> &mut DB::Connection {
        &mut self.transaction
    }

    /// Rolls back what a failed write left, then opens a savepoint for the
    /// next write.
    async fn enter(&mut self) -> Result<(), StoreError> {
        self.close_failed().await?;
        sqlx::Executor::execute(&mut *self.transaction, "SAVEPOINT baas_write")
            .await
            .map_err(sqlx_error)?;
        self.savepoint = true;
        Ok(())
    }

    /// Keeps what the write did.
    pub(crate) async fn release(&mut self) -> Result<(), StoreError> {
        sqlx::Executor::execute(&mut *self.transaction, "RELEASE SAVEPOINT baas_write")
            .await
            .map_err(sqlx_error)?;
        self.savepoint = false;
        Ok(())
    }

    async fn close_failed(&mut self) -> Result<(), StoreError> {
        if self.savepoint {
            sqlx::Executor::execute(&mut *self.transaction, "ROLLBACK TO SAVEPOINT baas_write")
                .await
                .map_err(sqlx_error)?;
            self.release().await?;
        }
        Ok(())
    }
}

/// Opens a bulk transaction on `pool` (`None` inside one already).
pub(crate) async fn begin_bulk<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<Option<super::Bulk>, StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    if super::in_bulk() {
        return Ok(None);
    }
    let transaction = pool.begin().await.map_err(sqlx_error)?;
    let held = Arc::new(tokio::sync::Mutex::new(Held {
        transaction,
        savepoint: false,
    }));
    let state = Arc::new(SqlxBulk { held: held.clone() });
    Ok(Some(super::Bulk::new(state, move || {
        Box::pin(async move {
            let mut held = Arc::try_unwrap(held)
                .map_err(|_| internal("a bulk transaction is still in use at its commit"))?
                .into_inner();
            held.close_failed().await?;
            held.transaction.commit().await.map_err(sqlx_error)
        })
    })))
}

/// The bulk transaction of this task for a write, inside a fresh
/// savepoint; `None` outside a bulk operation.
pub(crate) async fn bulk_write<DB: sqlx::Database>()
-> Result<Option<tokio::sync::OwnedMutexGuard<Held<DB>>>, StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let Some(bulk) = super::joined::<SqlxBulk<DB>>() else {
        return Ok(None);
    };
    let mut held = bulk.held.clone().lock_owned().await;
    held.enter().await?;
    Ok(Some(held))
}

/// A write's transaction: its own, or a savepoint of the task's bulk
/// transaction.
pub(crate) enum WriteTx<DB: sqlx::Database> {
    Own(sqlx::Transaction<'static, DB>),
    Bulk(tokio::sync::OwnedMutexGuard<Held<DB>>),
}

impl<DB: sqlx::Database> WriteTx<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    pub(crate) async fn begin(pool: &sqlx::Pool<DB>) -> Result<Self, StoreError> {
        match bulk_write::<DB>().await? {
            Some(held) => Ok(Self::Bulk(held)),
            None => Ok(Self::Own(pool.begin().await.map_err(sqlx_error)?)),
        }
    }

    pub(crate) fn connection(&mut self) -> &mut DB::Connection {
        match self {
            Self::Own(transaction) => transaction,
            Self::Bulk(held) => held.connection(),
        }
    }

    /// Commits the write's own transaction, or releases its savepoint (the
    /// bulk transaction commits them all at its end).
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Own(transaction) => transaction.commit().await.map_err(sqlx_error),
            Self::Bulk(mut held) => held.release().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_rfc3339() {
        let field = Field::new(FieldType::Timestamptz);
        assert_eq!(
            wire_value(&field, "2024-01-02 03:04:05.000000".into()).unwrap(),
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            wire_value(&field, "2024-01-02 03:04:05.5+00".into()).unwrap(),
            "2024-01-02T03:04:05.5Z"
        );
        let field = Field::new(FieldType::Timestamp);
        assert_eq!(
            wire_value(&field, "2024-01-02 03:04:05.120000".into()).unwrap(),
            "2024-01-02T03:04:05.120000"
        );
    }
}
