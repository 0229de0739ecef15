//! The MySQL/MariaDB store: a small sqlx pool, statements from the one SQL
//! builder ([`crate::query::sql`]). MySQL has no `RETURNING`: writes run in
//! a transaction that reads the old row `FOR UPDATE` and the new row back by
//! its key (`LAST_INSERT_ID()` for an auto-increment key).

use std::str::FromStr as _;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool};

use super::sqlx_common as common;
use super::{ListResult, Outbox, Row, StoreError, Updated, Values};
use crate::manifest::{Entity, Manifest};
use crate::query::sql::{self, SqlDialect};
use crate::query::{Filter, ListQuery, Value};
use crate::webhooks::outbox::{Entry, Write};

const DIALECT: SqlDialect = SqlDialect::Mysql;

/// `baas serve` on a MySQL or MariaDB database.
#[derive(Debug, Clone)]
pub struct MysqlStore {
    pool: MySqlPool,
}

impl MysqlStore {
    /// One transaction for the writes of a bulk operation.
    async fn begin_bulk(&self) -> Result<Option<super::Bulk>, StoreError> {
        common::begin_bulk(&self.pool).await
    }

    /// A pool on `url` (opened lazily, checked with one connection now).
    /// sqlx sets the session time zone to UTC.
    pub async fn connect(url: &str, _manifest: &Manifest) -> Result<Self, StoreError> {
        Self::connect_sized(url, None).await
    }

    /// [`MysqlStore::connect`] with a pool of `size` connections at most
    /// (a tenant's pool options; the default when `None`).
    pub async fn connect_sized(url: &str, size: Option<u32>) -> Result<Self, StoreError> {
        let options = MySqlConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(error.into()))?;
        let pool = common::open_pool(options, size).await?;
        Ok(Self { pool })
    }

    async fn list_rows(
        &self,
        manifest: &Manifest,
        entity: &str,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let entity_name = entity;
        let entity = common::entity(manifest, entity_name)?;
        let fields = sql::selected_fields(entity, query.select.as_deref());
        let (text, values) =
            common::sqlx_statement(sql::select(DIALECT, manifest, entity_name, query))?;
        let rows = sqlx::query_with(text, values)
            .fetch_all(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        let rows = rows
            .iter()
            .map(|row| common::wire_row(&fields, common::read_cells(row, &fields)?))
            .collect::<Result<Vec<_>, _>>()?;
        let count = if query.count {
            let (text, values) = common::sqlx_statement(sql::count(
                DIALECT,
                manifest,
                entity_name,
                query.filter.as_ref(),
            ))?;
            let (count,): (i64,) = sqlx::query_as_with(text, values)
                .fetch_one(&self.pool)
                .await
                .map_err(|error| map_error(entity, error))?;
            Some(u64::try_from(count).unwrap_or_default())
        } else {
            None
        };
        Ok(ListResult { rows, count })
    }

    /// The optimizer's row estimate of `query`'s filter: `rows` of
    /// `EXPLAIN` for the matching rows, the same bound filter (times
    /// `filtered` where MySQL gives it).
    async fn estimate_rows(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        query: &ListQuery,
    ) -> Result<Option<u64>, StoreError> {
        use sqlx::Row as _;
        let entity = common::entity(manifest, entity_name)?;
        let (text, values) = common::sqlx_statement(sql::matching(
            DIALECT,
            manifest,
            entity_name,
            query.filter.as_ref(),
        ))?;
        let explain = sqlx::AssertSqlSafe(format!("EXPLAIN {}", text.0));
        let rows = sqlx::query_with(explain, values)
            .fetch_all(&self.pool)
            .await
            .map_err(|error| map_error(entity, error))?;
        // The first line is the entity's own table (later ones are the
        // subqueries of `!inner` embeddings).
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        // Decoded by the column's type (MySQL and MariaDB differ).
        let number = |name: &str| -> Option<f64> {
            if let Ok(Some(value)) = row.try_get::<Option<u64>, _>(name) {
                return Some(value as f64);
            }
            if let Ok(Some(value)) = row.try_get::<Option<i64>, _>(name) {
                return Some(value as f64);
            }
            if let Ok(Some(value)) = row.try_get::<Option<f32>, _>(name) {
                return Some(f64::from(value));
            }
            if let Ok(Some(value)) = row.try_get::<Option<f64>, _>(name) {
                return Some(value);
            }
            row.try_get::<Option<String>, _>(name)
                .ok()
                .flatten()
                .and_then(|text| text.trim().parse().ok())
        };
        let Some(estimate) = number("rows") else {
            return Ok(None);
        };
        let filtered = number("filtered").unwrap_or(100.0);
        Ok(Some((estimate * filtered / 100.0).round() as u64))
    }

    async fn get_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(common::sqlx_error)?;
        read_back(&mut connection, manifest, entity, key, scope, false).await
    }

    async fn insert_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Row, StoreError> {
        let entity = common::entity(manifest, entity_name)?;
        let (text, bound) =
            common::sqlx_statement(sql::insert(DIALECT, manifest, entity_name, values))?;
        let mut transaction = common::WriteTx::begin(&self.pool).await?;
        let done = sqlx::query_with(text, bound)
            .execute(transaction.connection())
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
        let row = read_back(
            transaction.connection(),
            manifest,
            entity_name,
            &key,
            None,
            false,
        )
        .await?
        .ok_or_else(|| {
            common::internal(format!("the row inserted into `{}` is gone", entity.table))
        })?;
        let entries = outbox.entries(entity_name, entity, Write::Create, None, Some(&row));
        record_outbox(transaction.connection(), &entries).await?;
        transaction.commit().await?;
        Ok(row)
    }

    /// The old row is read `FOR UPDATE`, changed and read back in one
    /// transaction.
    #[allow(clippy::too_many_arguments)]
    async fn update_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        scope: Option<&Filter>,
        check: Option<&Filter>,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Option<Updated>, StoreError> {
        let entity = common::entity(manifest, entity_name)?;
        let write = sql::update_by_key(DIALECT, manifest, entity_name, key, scope, values);
        let mut transaction = common::WriteTx::begin(&self.pool).await?;
        let Some(old) = read_back(
            transaction.connection(),
            manifest,
            entity_name,
            key,
            scope,
            true,
        )
        .await?
        else {
            return Ok(None);
        };
        if !values.is_empty() {
            let (text, bound) = common::sqlx_statement(write)?;
            sqlx::query_with(text, bound)
                .execute(transaction.connection())
                .await
                .map_err(|error| map_error(entity, error))?;
        }
        // Affected rows do not tell "no such row" from "no change": read back.
        let key = common::key_after_update(entity, key, values);
        let row = read_back(
            transaction.connection(),
            manifest,
            entity_name,
            &key,
            None,
            false,
        )
        .await?;
        // Dropped uncommitted, the transaction rolls back.
        if row.is_some()
            && check.is_some()
            && read_back(
                transaction.connection(),
                manifest,
                entity_name,
                &key,
                check,
                false,
            )
            .await?
            .is_none()
        {
            return Err(StoreError::Refused);
        }
        if let Some(new) = &row {
            let entries = outbox.entries(entity_name, entity, Write::Update, Some(&old), Some(new));
            record_outbox(transaction.connection(), &entries).await?;
        }
        transaction.commit().await?;
        Ok(row.map(|new| Updated { old, new }))
    }

    /// The row is read `FOR UPDATE` and deleted in one transaction.
    async fn delete_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        scope: Option<&Filter>,
        outbox: &Outbox,
    ) -> Result<Option<Row>, StoreError> {
        let entity = common::entity(manifest, entity_name)?;
        let (text, values) = common::sqlx_statement(sql::delete_by_key(
            DIALECT,
            manifest,
            entity_name,
            key,
            scope,
        ))?;
        let mut transaction = common::WriteTx::begin(&self.pool).await?;
        let Some(old) = read_back(
            transaction.connection(),
            manifest,
            entity_name,
            key,
            scope,
            true,
        )
        .await?
        else {
            return Ok(None);
        };
        let done = sqlx::query_with(text, values)
            .execute(transaction.connection())
            .await
            .map_err(|error| map_error(entity, error))?;
        if done.rows_affected() > 0 {
            let entries = outbox.entries(entity_name, entity, Write::Delete, Some(&old), None);
            record_outbox(transaction.connection(), &entries).await?;
        }
        transaction.commit().await?;
        Ok((done.rows_affected() > 0).then_some(old))
    }
}

/// The row with `key` matching `scope`, on the given connection (inside a
/// write's transaction); `lock` reads it `FOR UPDATE`.
async fn read_back(
    connection: &mut MySqlConnection,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    scope: Option<&Filter>,
    lock: bool,
) -> Result<Option<Row>, StoreError> {
    let entity = common::entity(manifest, entity_name)?;
    let fields = sql::selected_fields(entity, None);
    let (text, values) = common::sqlx_statement(sql::select_by_key(
        DIALECT,
        manifest,
        entity_name,
        key,
        scope,
        lock,
    ))?;
    let row = sqlx::query_with(text, values)
        .fetch_optional(connection)
        .await
        .map_err(|error| map_error(entity, error))?;
    row.map(|row| common::wire_row(&fields, common::read_cells(&row, &fields)?))
        .transpose()
}

/// Error numbers → engine errors: 1062 duplicate key, 1451/1452 foreign
/// key, 1146/1054 a table or column not migrated, 2002/2003/2006/2013 and
/// server shutdown unavailable.
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
        1451 | 1452 | 1216 | 1217 => super::reference(entity, constraint_name(mysql.message())),
        1053 | 1077 | 2002 | 2003 | 2006 | 2013 => StoreError::Unavailable(error.into()),
        // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
        1146 => super::not_migrated(entity, "table", mysql.message(), "Table "),
        1054 => super::not_migrated(entity, "column", mysql.message(), "Unknown column "),
        _ => common::sqlx_error(error),
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

/// Records webhook deliveries inside the write's transaction.
async fn record_outbox(
    connection: &mut MySqlConnection,
    entries: &[Entry],
) -> Result<(), StoreError> {
    if let Some((text, values)) = common::outbox_statement(DIALECT, entries) {
        sqlx::query_with(text, values)
            .execute(connection)
            .await
            .map_err(common::outbox_error)?;
    }
    Ok(())
}

super::store_from_inherent_methods!(MysqlStore, estimate);

/// The constraint a MySQL foreign-key error names: `CONSTRAINT `x` FOREIGN`.
fn constraint_name(message: &str) -> Option<&str> {
    let rest = &message[message.find("CONSTRAINT `")? + "CONSTRAINT `".len()..];
    Some(&rest[..rest.find('`')?])
}

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
