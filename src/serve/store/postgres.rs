//! The PostgreSQL store: a small sqlx pool, statements from the one SQL
//! builder ([`crate::query::sql`]), `RETURNING` for the row as stored and
//! the row deleted, the old row of an update read `FOR UPDATE` in the
//! update's transaction.

use std::str::FromStr as _;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sqlx::{PgTransaction, Postgres, pool::PoolConnection};

use super::sqlx_common as common;
use super::{ListResult, Outbox, Row, StoreError, Updated, Values};
use crate::manifest::{Entity, Manifest};
use crate::query::sql::{self, SqlDialect};
use crate::query::{Filter, ListQuery, Value};
use crate::webhooks::outbox::{Entry, Write};

const DIALECT: SqlDialect = SqlDialect::Postgres;

tokio::task_local! {
    /// What the database is told about the caller, per transaction: set by
    /// the kernel around an operation when the manifest has `[auth] rls =
    /// true` or database roles.
    pub static SESSION: DbSession;
}

/// The caller, as the database's row-level security policies see it.
#[derive(Debug, Clone)]
pub struct DbSession {
    /// The caller's claims, as JSON (empty for anonymous and the service
    /// key).
    pub claims: Arc<str>,
    /// The role the transaction switches to (`[auth] service_role` for the
    /// service key, `[auth] user_role` for everyone else): a name from
    /// the manifest, checked when it was loaded, never from a request.
    pub role: Option<Arc<str>>,
}

/// A connection for one operation: in a schema tenant's store, or with a
/// [`DbSession`], a transaction that has entered the tenant's schema (its
/// `search_path`) and set the claims (`set_config('request.jwt.claims',
/// $1, true)`, the bound form of `SET LOCAL`) and the role (`set_config('role', $2,
/// true)`, `SET LOCAL ROLE`), so both end with it; a transaction too when a
/// write records webhook deliveries with its row; else a pooled
/// connection.
enum Session {
    Plain(PoolConnection<Postgres>),
    Claims(PgTransaction<'static>),
    /// A savepoint of the task's bulk transaction ([`super::Bulk`]).
    Bulk(tokio::sync::OwnedMutexGuard<common::Held<Postgres>>),
}

impl Session {
    async fn open(store: &PostgresStore) -> Result<Self, StoreError> {
        Self::open_for(store, Outbox::none()).await
    }

    /// A session for a write that records `outbox` (a transaction when
    /// it is not empty).
    async fn open_for(store: &PostgresStore, outbox: &Outbox) -> Result<Self, StoreError> {
        if let Some(bulk) = Self::bulk(store).await? {
            return Ok(bulk);
        }
        let session = SESSION.try_with(DbSession::clone).ok();
        if session.is_none() && outbox.is_empty() {
            let mut connection = store.pool.acquire().await.map_err(common::sqlx_error)?;
            // A schema tenant's plain statement needs no transaction: the
            // connection enters the tenant's schema for the session (one
            // round trip instead of BEGIN, SET LOCAL and COMMIT). Every
            // use of a shared pool's connection enters its own schema
            // first, here or in a transaction, so none runs in the schema
            // its previous user left.
            if let Some(path) = &store.search_path {
                sqlx::query("SELECT set_config('search_path', $1, false)")
                    .bind(&**path)
                    .execute(&mut *connection)
                    .await
                    .map_err(common::sqlx_error)?;
            }
            return Ok(Self::Plain(connection));
        }
        Ok(Self::Claims(store.begin_with(session.as_ref()).await?))
    }

    /// A transaction for a write: its own, or a savepoint of the bulk
    /// transaction.
    async fn transaction(store: &PostgresStore) -> Result<Self, StoreError> {
        if let Some(bulk) = Self::bulk(store).await? {
            return Ok(bulk);
        }
        let session = SESSION.try_with(DbSession::clone).ok();
        Ok(Self::Claims(store.begin_with(session.as_ref()).await?))
    }

    /// A savepoint of the task's bulk transaction, in the store's schema
    /// and with the caller's claims set (they are per transaction), if
    /// there is one.
    async fn bulk(store: &PostgresStore) -> Result<Option<Self>, StoreError> {
        let Some(mut held) = common::bulk_write::<Postgres>().await? else {
            return Ok(None);
        };
        let session = SESSION.try_with(DbSession::clone).ok();
        enter(
            held.connection(),
            store.search_path.as_deref(),
            session.as_ref(),
        )
        .await?;
        Ok(Some(Self::Bulk(held)))
    }

    fn connection(&mut self) -> &mut PgConnection {
        match self {
            Self::Plain(connection) => connection,
            Self::Claims(transaction) => transaction,
            Self::Bulk(held) => held.connection(),
        }
    }

    async fn finish(self) -> Result<(), StoreError> {
        match self {
            Self::Plain(_) => Ok(()),
            Self::Claims(transaction) => transaction.commit().await.map_err(common::sqlx_error),
            Self::Bulk(mut held) => held.release().await,
        }
    }
}

/// Sets, for the rest of the transaction and in one round trip, the
/// schema a tenant's statements resolve in and the session's claims and
/// role. Every value is bound.
async fn enter(
    connection: &mut PgConnection,
    search_path: Option<&str>,
    session: Option<&DbSession>,
) -> Result<(), StoreError> {
    let claims = session.map(|session| &*session.claims);
    let role = session.and_then(|session| session.role.as_deref());
    let text = match (search_path.is_some(), claims.is_some(), role.is_some()) {
        (false, false, _) => return Ok(()),
        (true, false, _) => "SELECT set_config('search_path', $1, true)",
        (false, true, false) => "SELECT set_config('request.jwt.claims', $1, true)",
        (false, true, true) => {
            "SELECT set_config('request.jwt.claims', $1, true), set_config('role', $2, true)"
        }
        (true, true, false) => {
            "SELECT set_config('search_path', $1, true), set_config('request.jwt.claims', $2, true)"
        }
        (true, true, true) => {
            "SELECT set_config('search_path', $1, true), \
             set_config('request.jwt.claims', $2, true), set_config('role', $3, true)"
        }
    };
    let query = [search_path, claims, role]
        .into_iter()
        .flatten()
        .fold(sqlx::query(text), |query, value| query.bind(value));
    query
        .execute(connection)
        .await
        .map_err(common::sqlx_error)?;
    Ok(())
}

/// `baas serve` on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// A schema tenant's `search_path` (its quoted schema name), set per
    /// transaction: the tenants of one server share its pool, so serving a
    /// thousand schemas opens no more connections than serving one.
    search_path: Option<Arc<str>>,
}

impl PostgresStore {
    /// A pool on `url` (opened lazily, checked with one connection now).
    pub async fn connect(url: &str, _manifest: &Manifest) -> Result<Self, StoreError> {
        Self::connect_sized(url, None).await
    }

    /// [`PostgresStore::connect`] with a pool of `size` connections at most
    /// (a tenant's pool options; the default when `None`).
    pub async fn connect_sized(url: &str, size: Option<u32>) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(error.into()))?
            // Timestamps without an offset are read and written as UTC.
            .options([("TimeZone", "UTC")])
            // The realtime triggers tell this process's writes by it.
            .application_name(crate::realtime::origin());
        let pool = common::open_pool(options, size).await?;
        Ok(Self {
            pool,
            search_path: None,
        })
    }

    /// This store's pool, serving the tables of `schema` (a schema tenant).
    pub fn in_schema(&self, schema: &str) -> Self {
        Self {
            pool: self.pool.clone(),
            search_path: Some(quote_identifier(schema).into()),
        }
    }

    /// A transaction that has entered the store's schema and `session`.
    async fn begin_with(
        &self,
        session: Option<&DbSession>,
    ) -> Result<PgTransaction<'static>, StoreError> {
        let mut transaction = self.pool.begin().await.map_err(common::sqlx_error)?;
        enter(&mut transaction, self.search_path.as_deref(), session).await?;
        Ok(transaction)
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
        let mut session = Session::open(self).await?;
        let rows = sqlx::query_with(text, values)
            .fetch_all(session.connection())
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
                .fetch_one(session.connection())
                .await
                .map_err(|error| map_error(entity, error))?;
            Some(u64::try_from(count).unwrap_or_default())
        } else {
            None
        };
        session.finish().await?;
        Ok(ListResult { rows, count })
    }

    /// The planner's row estimate of `query`'s filter: the table's
    /// `pg_class.reltuples` (as of its last ANALYZE or VACUUM) when
    /// unfiltered, else the `Plan Rows` of `EXPLAIN (FORMAT JSON)` of the
    /// matching rows, the same bound filter.
    async fn estimate_rows(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        query: &ListQuery,
    ) -> Result<Option<u64>, StoreError> {
        let entity = common::entity(manifest, entity_name)?;
        let mut session = Session::open(self).await?;
        let mut estimate = None;
        if query.filter.is_none() {
            let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
            let name = match &entity.schema {
                Some(schema) => format!("{}.{}", quote(schema), quote(&entity.table)),
                None => quote(&entity.table),
            };
            // -1: never analyzed; the plan then estimates from the pages.
            let tuples: Option<(f32,)> =
                sqlx::query_as("SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)")
                    .bind(name)
                    .fetch_optional(session.connection())
                    .await
                    .map_err(|error| map_error(entity, error))?;
            estimate = tuples
                .filter(|(tuples,)| *tuples >= 0.0)
                .map(|(tuples,)| tuples.round() as u64);
        }
        if estimate.is_none() {
            let (text, values) = common::sqlx_statement(sql::matching(
                DIALECT,
                manifest,
                entity_name,
                query.filter.as_ref(),
            ))?;
            let explain = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {}", text.0));
            let row = sqlx::query_with(explain, values)
                .fetch_one(session.connection())
                .await
                .map_err(|error| map_error(entity, error))?;
            let plan: String = sqlx::Row::try_get_unchecked(&row, 0)
                .map_err(|error| common::internal(format!("reading the plan: {error}")))?;
            let plan: serde_json::Value = serde_json::from_str(&plan)
                .map_err(|error| common::internal(format!("reading the plan: {error}")))?;
            estimate = plan
                .pointer("/0/Plan/Plan Rows")
                .and_then(serde_json::Value::as_f64)
                .map(|rows| rows.round() as u64);
        }
        session.finish().await?;
        Ok(estimate)
    }

    async fn get_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let statement = sql::select_by_key(DIALECT, manifest, entity, key, scope, false);
        let entity = common::entity(manifest, entity)?;
        let mut session = Session::open(self).await?;
        let row = fetch_row(session.connection(), entity, statement).await?;
        session.finish().await?;
        Ok(row)
    }

    async fn insert_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Row, StoreError> {
        let statement = sql::insert(DIALECT, manifest, entity_name, values);
        let entity = common::entity(manifest, entity_name)?;
        let mut session = Session::open_for(self, outbox).await?;
        let row = fetch_row(session.connection(), entity, statement)
            .await?
            .ok_or_else(|| common::internal("the insert returned no row"))?;
        let entries = outbox.entries(entity_name, entity, Write::Create, None, Some(&row));
        record_outbox(session.connection(), &entries).await?;
        session.finish().await?;
        Ok(row)
    }

    /// The old row is read `FOR UPDATE` and changed in one transaction.
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
        let read = sql::select_by_key(DIALECT, manifest, entity_name, key, scope, true);
        let checked = super::check_statement(DIALECT, manifest, entity_name, key, values, check);
        let write = sql::update_by_key(DIALECT, manifest, entity_name, key, scope, values);
        let mut session = Session::transaction(self).await?;
        let Some(old) = fetch_row(session.connection(), entity, read).await? else {
            return Ok(None);
        };
        let new = if values.is_empty() {
            Some(old.clone())
        } else {
            fetch_row(session.connection(), entity, write).await?
        };
        // Dropped uncommitted, the transaction rolls back.
        if new.is_some()
            && let Some(checked) = checked
            && fetch_row(session.connection(), entity, checked)
                .await?
                .is_none()
        {
            return Err(StoreError::Refused);
        }
        if let Some(new) = &new {
            let entries = outbox.entries(entity_name, entity, Write::Update, Some(&old), Some(new));
            record_outbox(session.connection(), &entries).await?;
        }
        session.finish().await?;
        Ok(new.map(|new| Updated { old, new }))
    }

    /// One `DELETE ... RETURNING`: the deleted row.
    async fn delete_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        scope: Option<&Filter>,
        outbox: &Outbox,
    ) -> Result<Option<Row>, StoreError> {
        let statement = sql::delete_by_key(DIALECT, manifest, entity_name, key, scope);
        let entity = common::entity(manifest, entity_name)?;
        let mut session = Session::open_for(self, outbox).await?;
        let row = fetch_row(session.connection(), entity, statement).await?;
        if let Some(old) = &row {
            let entries = outbox.entries(entity_name, entity, Write::Delete, Some(old), None);
            record_outbox(session.connection(), &entries).await?;
        }
        session.finish().await?;
        Ok(row)
    }
}

/// Runs a statement returning at most one row of every field of `entity`.
async fn fetch_row<'c, E>(
    executor: E,
    entity: &Entity,
    statement: Result<sql::Statement, crate::query::QueryError>,
) -> Result<Option<Row>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    let fields = sql::selected_fields(entity, None);
    let (text, values) = common::sqlx_statement(statement)?;
    let row = sqlx::query_with(text, values)
        .fetch_optional(executor)
        .await
        .map_err(|error| map_error(entity, error))?;
    row.map(|row| common::wire_row(&fields, common::read_cells(&row, &fields)?))
        .transpose()
}

/// SQLSTATE → engine error: 23505 unique, 23503 foreign key, 42P01/42703
/// a table or column not migrated, class 08 and shutdown codes unavailable.
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
        "23503" => super::reference(entity, database.constraint()),
        // undefined_table, undefined_column
        "42P01" => super::not_migrated(entity, "table", database.message(), "relation "),
        "42703" => super::not_migrated(entity, "column", database.message(), "column "),
        // A policy's `WITH CHECK` refused the row written (`[auth] rls`).
        "42501" if database.message().contains("row-level security") => StoreError::Refused,
        code if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03") => {
            StoreError::Unavailable(error.into())
        }
        _ => common::sqlx_error(error),
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
    /// One transaction for the writes of a bulk operation.
    async fn begin_bulk(&self) -> Result<Option<super::Bulk>, StoreError> {
        common::begin_bulk(&self.pool).await
    }

    /// A cheap round trip to the database.
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(common::sqlx_error)
    }
}

/// `name` as a PostgreSQL identifier, in double quotes (a `search_path`
/// entry).
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Records webhook deliveries inside the write's transaction.
async fn record_outbox(connection: &mut PgConnection, entries: &[Entry]) -> Result<(), StoreError> {
    if let Some((text, values)) = common::outbox_statement(DIALECT, entries) {
        sqlx::query_with(text, values)
            .execute(connection)
            .await
            .map_err(common::outbox_error)?;
    }
    Ok(())
}

super::store_from_inherent_methods!(PostgresStore, estimate);

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
