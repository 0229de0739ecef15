//! The PostgreSQL engine: a small sqlx pool, statements from
//! [`super::sqlx_common`] built with sea-query's PostgreSQL builder, and
//! `RETURNING` for the row as stored.

use std::str::FromStr as _;

use sea_query::PostgresQueryBuilder;
use sea_query_sqlx::SqlxBinder as _;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::sqlx_common::{self as common, Flavor};
use super::{ListResult, Row, StoreError, Updated, Values};
use crate::manifest::{Entity, Manifest};
use crate::query::{ListQuery, Value};

const FLAVOR: Flavor = Flavor::Postgres;

/// `baas serve` on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// A pool on `url` (opened lazily, checked with one connection now).
    pub async fn connect(url: &str, _manifest: &Manifest) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(error.into()))?
            // Timestamps without an offset are read and written as UTC.
            .options([("TimeZone", "UTC")])
            .application_name("baas serve");
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .acquire_timeout(crate::settings::connect_timeout())
            .connect_lazy_with(options.clone());
        // A refused connection fails at once, with its cause (the pool
        // would retry it until the timeout).
        let first =
            crate::settings::within_connect_timeout(sqlx::ConnectOptions::connect(&options))
                .await
                .map_err(|timed_out| StoreError::Unavailable(timed_out.into()))?
                .map_err(common::sqlx_error)?;
        let _ = sqlx::Connection::close(first).await;
        // One connection now: an unreachable server is reported at start,
        // and the first request does not pay for the handshake.
        drop(pool.acquire().await.map_err(common::sqlx_error)?);
        Ok(Self { pool })
    }

    async fn list_rows(
        &self,
        manifest: &Manifest,
        entity: &str,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let entity = common::entity(manifest, entity)?;
        let (statement, fields) = common::list_statement(FLAVOR, manifest, entity, query)?;
        let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .fetch_all(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        let rows = rows
            .iter()
            .map(|row| common::wire_row(&fields, common::read_cells(row, &fields)?))
            .collect::<Result<Vec<_>, _>>()?;
        let count = if query.count {
            let statement =
                common::count_statement(FLAVOR, manifest, entity, query.filter.as_ref())?;
            let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
            let (count,): (i64,) = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), values)
                .fetch_one(&self.pool)
                .await
                .map_err(|error| map_error(entity, error))?;
            Some(u64::try_from(count).unwrap_or_default())
        } else {
            None
        };
        Ok(ListResult { rows, count })
    }

    async fn get_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let entity = common::entity(manifest, entity)?;
        let (statement, fields) = common::get_statement(FLAVOR, manifest, entity, key)?;
        let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
        let row = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        row.map(|row| common::wire_row(&fields, common::read_cells(&row, &fields)?))
            .transpose()
    }

    async fn insert_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        values: &Values,
    ) -> Result<Row, StoreError> {
        let entity = common::entity(manifest, entity)?;
        let (statement, fields) = common::insert_statement(FLAVOR, manifest, entity, values)?;
        let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
        let row = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .fetch_one(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        common::wire_row(&fields, common::read_cells(&row, &fields)?)
    }

    async fn update_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
        values: &Values,
    ) -> Result<Option<Updated>, StoreError> {
        let Some(old) = self.get_row(manifest, entity_name, key, None).await? else {
            return Ok(None);
        };
        if values.is_empty() {
            return Ok(Some(Updated {
                new: old.clone(),
                old,
            }));
        }
        let entity = common::entity(manifest, entity_name)?;
        let (statement, fields) = common::update_statement(FLAVOR, manifest, entity, key, values)?;
        let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
        let row = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        row.map(|row| common::wire_row(&fields, common::read_cells(&row, &fields)?))
            .transpose()
            .map(|new| new.map(|new| Updated { old, new }))
    }

    async fn delete_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let Some(old) = self.get_row(manifest, entity, key, None).await? else {
            return Ok(None);
        };
        let entity = common::entity(manifest, entity)?;
        let statement = common::delete_statement(FLAVOR, manifest, entity, key)?;
        let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
        let done = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .execute(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        Ok((done.rows_affected() > 0).then_some(old))
    }
}

/// SQLSTATE → engine error: 23505 unique, 23503 foreign key, class 08 and
/// shutdown codes unavailable.
fn map_error(entity: &Entity, error: sqlx::Error) -> StoreError {
    let Some(database) = error.as_database_error() else {
        return common::sqlx_error(error);
    };
    let code = database
        .code()
        .map(|code| code.into_owned())
        .unwrap_or_default();
    match code.as_str() {
        "23505" => {
            let postgres = database.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
            let mut fields = postgres
                .and_then(|postgres| postgres.detail())
                .map(|detail| common::fields_of_columns(entity, &key_columns(detail)))
                .unwrap_or_default();
            if fields.is_empty()
                && let Some(constraint) = database.constraint()
            {
                fields = common::fields_of_constraint(entity, constraint);
            }
            StoreError::Conflict {
                fields: common::in_field_order(entity, fields),
            }
        }
        "23503" => StoreError::Reference,
        code if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03") => {
            StoreError::Unavailable(error.into())
        }
        _ => StoreError::Internal(error.into()),
    }
}

/// The columns of a unique violation's detail:
/// `Key (a, b)=(1, 2) already exists.` → `["a", "b"]`.
fn key_columns(detail: &str) -> Vec<&str> {
    detail
        .strip_prefix("Key (")
        .and_then(|rest| rest.split_once(")=("))
        .map(|(columns, _)| {
            columns
                .split(", ")
                .map(|column| column.trim_matches('"'))
                .collect()
        })
        .unwrap_or_default()
}

impl PostgresStore {
    /// A cheap round trip to the database.
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(common::sqlx_error)
    }
}

super::store_from_inherent_methods!(PostgresStore);

#[cfg(test)]
mod tests {
    use super::key_columns;

    #[test]
    fn unique_violation_detail_names_the_columns() {
        assert_eq!(key_columns("Key (isbn)=(978-1) already exists."), ["isbn"]);
        assert_eq!(
            key_columns("Key (a, \"B c\")=(1, 2) already exists."),
            ["a", "B c"]
        );
        assert!(key_columns("something else").is_empty());
    }
}
