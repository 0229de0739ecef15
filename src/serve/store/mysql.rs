//! The MySQL/MariaDB engine: a small sqlx pool, statements from
//! [`super::sqlx_common`] built with sea-query's MySQL builder. MySQL has no
//! `RETURNING`: writes run in a transaction that reads the row back by its
//! key (`LAST_INSERT_ID()` for an auto-increment key).

use std::str::FromStr as _;

use sea_query::MysqlQueryBuilder;
use sea_query_sqlx::SqlxBinder as _;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool, MySqlPoolOptions};

use super::sqlx_common::{self as common, Flavor};
use super::{ListResult, Row, StoreError, Updated, Values};
use crate::manifest::{Entity, Manifest};
use crate::query::{ListQuery, Value};

const FLAVOR: Flavor = Flavor::Mysql;

/// `baas serve` on a MySQL or MariaDB database.
#[derive(Debug, Clone)]
pub struct MysqlStore {
    pool: MySqlPool,
}

impl MysqlStore {
    /// A pool on `url` (opened lazily, checked with one connection now).
    /// sqlx sets the session time zone to UTC.
    pub async fn connect(url: &str, _manifest: &Manifest) -> Result<Self, StoreError> {
        let options = MySqlConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(error.into()))?;
        let pool = MySqlPoolOptions::new()
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
        let (sql, values) = statement.build_sqlx(MysqlQueryBuilder);
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
            let (sql, values) = statement.build_sqlx(MysqlQueryBuilder);
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
        let mut connection = self.pool.acquire().await.map_err(common::sqlx_error)?;
        read_back(&mut connection, manifest, entity, key).await
    }

    async fn insert_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        values: &Values,
    ) -> Result<Row, StoreError> {
        let entity = common::entity(manifest, entity)?;
        let (statement, _) = common::insert_statement(FLAVOR, manifest, entity, values)?;
        let (sql, bound) = statement.build_sqlx(MysqlQueryBuilder);
        let mut transaction = self.pool.begin().await.map_err(common::sqlx_error)?;
        let done = sqlx::query_with(sqlx::AssertSqlSafe(sql), bound)
            .execute(&mut *transaction)
            .await
            .map_err(|error| map_error(entity, error))?;
        let key = entity
            .primary_key
            .iter()
            .map(|name| match values.get(name) {
                Some(value) => Ok(value.clone()),
                None if entity.primary_key.len() == 1 => i64::try_from(done.last_insert_id())
                    .map(Value::Int)
                    .map_err(|_| common::internal("the inserted key does not fit an int64")),
                None => Err(common::internal(format!(
                    "cannot read back a row of `{}`: key field `{name}` was not given",
                    entity.table
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if key.is_empty() {
            return Err(common::internal(format!(
                "cannot read back a row of `{}`: it has no primary key",
                entity.table
            )));
        }
        let row = read_back(&mut transaction, manifest, entity, &key)
            .await?
            .ok_or_else(|| {
                common::internal(format!("the row inserted into `{}` is gone", entity.table))
            })?;
        transaction.commit().await.map_err(common::sqlx_error)?;
        Ok(row)
    }

    async fn update_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
        values: &Values,
    ) -> Result<Option<Updated>, StoreError> {
        let entity = common::entity(manifest, entity)?;
        let mut transaction = self.pool.begin().await.map_err(common::sqlx_error)?;
        let Some(old) = read_back(&mut transaction, manifest, entity, key).await? else {
            return Ok(None);
        };
        if !values.is_empty() {
            let (statement, _) = common::update_statement(FLAVOR, manifest, entity, key, values)?;
            let (sql, bound) = statement.build_sqlx(MysqlQueryBuilder);
            sqlx::query_with(sqlx::AssertSqlSafe(sql), bound)
                .execute(&mut *transaction)
                .await
                .map_err(|error| map_error(entity, error))?;
        }
        // Affected rows do not tell "no such row" from "no change": read back.
        let key = common::key_after_update(entity, key, values);
        let row = read_back(&mut transaction, manifest, entity, &key).await?;
        transaction.commit().await.map_err(common::sqlx_error)?;
        Ok(row.map(|new| Updated { old, new }))
    }

    async fn delete_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let entity = common::entity(manifest, entity)?;
        let mut transaction = self.pool.begin().await.map_err(common::sqlx_error)?;
        let Some(old) = read_back(&mut transaction, manifest, entity, key).await? else {
            return Ok(None);
        };
        let statement = common::delete_statement(FLAVOR, manifest, entity, key)?;
        let (sql, values) = statement.build_sqlx(MysqlQueryBuilder);
        let done = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .execute(&mut *transaction)
            .await
            .map_err(|error| map_error(entity, error))?;
        transaction.commit().await.map_err(common::sqlx_error)?;
        Ok((done.rows_affected() > 0).then_some(old))
    }
}

/// The row with `key`, on the given connection (inside a write's transaction).
async fn read_back(
    connection: &mut MySqlConnection,
    manifest: &Manifest,
    entity: &Entity,
    key: &[Value],
) -> Result<Option<Row>, StoreError> {
    let (statement, fields) = common::get_statement(FLAVOR, manifest, entity, key)?;
    let (sql, values) = statement.build_sqlx(MysqlQueryBuilder);
    let row = sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
        .fetch_optional(connection)
        .await
        .map_err(|error| map_error(entity, error))?;
    row.map(|row| common::wire_row(&fields, common::read_cells(&row, &fields)?))
        .transpose()
}

/// Error numbers → engine errors: 1062 duplicate key, 1451/1452 foreign
/// key, 2002/2003/2006/2013 and server shutdown unavailable.
fn map_error(entity: &Entity, error: sqlx::Error) -> StoreError {
    let Some(database) = error.as_database_error() else {
        return common::sqlx_error(error);
    };
    let Some(mysql) = database.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() else {
        return StoreError::Internal(error.into());
    };
    match mysql.number() {
        1062 | 1586 => {
            let fields = duplicate_key_name(mysql.message())
                .map(|name| common::fields_of_constraint(entity, name))
                .unwrap_or_default();
            StoreError::Conflict {
                fields: common::in_field_order(entity, fields),
            }
        }
        1451 | 1452 | 1216 | 1217 => StoreError::Reference,
        1053 | 1077 | 2002 | 2003 | 2006 | 2013 => StoreError::Unavailable(error.into()),
        _ => StoreError::Internal(error.into()),
    }
}

/// The key of `Duplicate entry 'x' for key 'name'` (MySQL 8 writes
/// `table.name`).
fn duplicate_key_name(message: &str) -> Option<&str> {
    let name = message.rsplit_once(" for key '")?.1.strip_suffix('\'')?;
    Some(name.rsplit_once('.').map_or(name, |(_, name)| name))
}

impl MysqlStore {
    /// A cheap round trip to the database.
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(common::sqlx_error)
    }
}

super::store_from_inherent_methods!(MysqlStore);

#[cfg(test)]
mod tests {
    use super::duplicate_key_name;

    #[test]
    fn duplicate_entry_names_the_key() {
        assert_eq!(
            duplicate_key_name("Duplicate entry 'x' for key 'isbn'"),
            Some("isbn")
        );
        assert_eq!(
            duplicate_key_name("Duplicate entry '1' for key 'book.PRIMARY'"),
            Some("PRIMARY")
        );
        assert_eq!(duplicate_key_name("nothing"), None);
    }
}
