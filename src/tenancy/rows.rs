//! The rows of a `strategy = "row"` tenant: `baas tenants drop` (and
//! `DELETE /api/_tenants/{slug}`) deletes them from every entity, as a
//! dropped schema or database takes its tenant's rows with it; `create`
//! first checks that the shared tables are there to hold them
//! ([`check_tables`]).
//!
//! On the SQL engines every entity's `DELETE ... WHERE column = slug` runs
//! in one transaction: all of the tenant's rows go, or none. Entities are
//! emptied before the ones they reference, so a foreign key without
//! `ON DELETE` does not stop the deletion. MongoDB has no transaction
//! here: each collection's `deleteMany` commits on its own, and the
//! registry row is removed only after the last one, so a drop stopped
//! halfway leaves the tenant registered with some of its rows; running
//! `drop` again deletes the rest.

use std::sync::Arc;

use sqlx::Connection as _;

use super::{Place, Slug, TenancyError, Tenants};
use crate::manifest::Manifest;
use crate::query::sql::SqlDialect;
use crate::query::{Filter, ListQuery, Op, Value};
use crate::serve::store::StoreError;
use crate::source::{SourceLocation, redact};

/// Refuses a `row` tenant of a database that lacks the tables, the tenant
/// column or another column the manifest names (`baas migrate apply` was
/// never run, or the tables were changed by hand): each entity is read
/// through the store the server uses, no row asked for, so what a request
/// would fail on is named now rather than at its first write. The embedded
/// development database is left alone (`baas serve` brings it up to the
/// manifest), and so is MongoDB (a collection is made by its first write).
pub async fn check_tables(
    tenants: &Tenants,
    place: &Place,
    slug: &Slug,
) -> Result<(), TenancyError> {
    let Place::Row { column } = place else {
        return Ok(());
    };
    if tenants.server.is_none() {
        return Ok(());
    }
    let location = place.connection(tenants)?;
    let Some(backend) = crate::backend::Backend::of(&location) else {
        return Ok(());
    };
    if matches!(location, SourceLocation::Mongodb { .. }) {
        return Ok(());
    }
    let shown = redact(&location.to_string());
    let failed = |error: StoreError| {
        TenancyError::Database(format!(
            "checking the tables of `{shown}` for tenant `{slug}`: {}",
            redact(&format!("{:#}", anyhow::Error::new(error)))
        ))
    };
    let manifest = Arc::new(tenants.manifest.clone());
    let store = backend.store(&manifest).await.map_err(failed)?;
    let mine = Filter::Compare {
        field: column.clone(),
        op: Op::Eq,
        value: Value::Text(slug.to_string()),
    };
    let mut missing = Vec::new();
    for name in manifest.entities.keys() {
        let probe = ListQuery::matching(mine.clone(), 0);
        match store.list(&manifest, name, &probe).await {
            Ok(_) => {}
            Err(error @ StoreError::NotMigrated { .. }) => {
                missing.push(format!("entity `{name}`: {error}"));
            }
            Err(error) => return Err(failed(error)),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(TenancyError::refused(
        format!(
            "tenant `{slug}` cannot be made: the database `{shown}` lacks what the manifest names for its rows (tenant column `{column}`):\n  {}",
            missing.join("\n  ")
        ),
        "row tenants share the deployment's tables: make them with `baas migrate apply` (after `baas migrate plan` when there are no migrations yet), then create the tenant",
    ))
}

/// How many rows were deleted from each entity, in the order deleted.
pub type Deleted = Vec<(String, u64)>;

/// `{"entity": rows, ...}`, as `--json` and `/api/_tenants` show it.
pub fn deleted_json(deleted: &Deleted) -> serde_json::Value {
    deleted
        .iter()
        .map(|(entity, rows)| (entity.clone(), serde_json::Value::from(*rows)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Deletes every row whose `column` is `slug` from each entity of
/// `manifest` in the database at `location`.
pub async fn delete(
    location: &SourceLocation,
    manifest: &Manifest,
    column: &str,
    slug: &str,
) -> Result<Deleted, TenancyError> {
    let order = children_first(manifest);
    let mine = Filter::Compare {
        field: column.to_owned(),
        op: Op::Eq,
        value: Value::Text(slug.to_owned()),
    };
    let what = format!("deleting the rows of tenant `{slug}`");
    match location {
        SourceLocation::Sqlite { path } => {
            let statements = statements(SqlDialect::Sqlite, manifest, &order, &mine)?;
            let path = path.clone();
            tokio::task::spawn_blocking(move || sqlite(&path, &statements))
                .await
                .map_err(|error| TenancyError::Database(format!("{what} stopped: {error}")))?
                .map_err(|error| TenancyError::Database(format!("{what} failed: {error}")))
        }
        SourceLocation::Postgres { url } => {
            let statements = statements(SqlDialect::Postgres, manifest, &order, &mine)?;
            sqlx_delete::<sqlx::Postgres>(url, &statements, &what, |done| done.rows_affected())
                .await
        }
        SourceLocation::Mysql { url } => {
            let statements = statements(SqlDialect::Mysql, manifest, &order, &mine)?;
            sqlx_delete::<sqlx::MySql>(url, &statements, &what, |done| done.rows_affected()).await
        }
        SourceLocation::Mongodb { url } => mongo(url, manifest, &order, &mine, &what).await,
        SourceLocation::Http { .. } | SourceLocation::File { .. } => Err(TenancyError::refused(
            format!(
                "{what}: `{}` is not a database",
                redact(&location.to_string())
            ),
            "point `[source] url` at the database the tenants are served from",
        )),
    }
}

/// The entities in an order that deletes every entity's rows before those
/// of the entities it references (a cycle: the rest in name order).
fn children_first(manifest: &Manifest) -> Vec<String> {
    let mut left: Vec<&String> = manifest.entities.keys().collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let referenced = |name: &String| {
            left.iter().any(|other| {
                *other != name
                    && manifest.entities[other.as_str()]
                        .relations
                        .iter()
                        .any(|relation| relation.references.entity == *name)
            })
        };
        let next = left.iter().position(|name| !referenced(name)).unwrap_or(0);
        order.push(left.remove(next).clone());
    }
    order
}

/// One `DELETE` per entity (views are left out: they have no rows of
/// their own).
fn statements(
    dialect: SqlDialect,
    manifest: &Manifest,
    order: &[String],
    mine: &Filter,
) -> Result<Vec<(String, crate::query::sql::Statement)>, TenancyError> {
    order
        .iter()
        .filter(|name| !manifest.entities[name.as_str()].is_read_only())
        .map(|name| {
            crate::query::sql::delete_matching(dialect, manifest, name, mine)
                .map(|statement| (name.clone(), statement))
                .map_err(|error| {
                    TenancyError::Database(format!("deleting the rows of `{name}`: {error}"))
                })
        })
        .collect()
}

fn sqlite(
    path: &std::path::Path,
    statements: &[(String, crate::query::sql::Statement)],
) -> rusqlite::Result<Deleted> {
    let mut connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection.execute_batch("PRAGMA foreign_keys = ON;")?;
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut deleted = Vec::with_capacity(statements.len());
    for (entity, (sql, values)) in statements {
        let params = crate::serve::store::sqlite::sqlite_params(values);
        let count = transaction.execute(sql, rusqlite::params_from_iter(params))?;
        deleted.push((entity.clone(), count as u64));
    }
    transaction.commit()?;
    Ok(deleted)
}

/// The statements run in one transaction on a new connection to `url`
/// (`affected`: the rows a statement deleted).
async fn sqlx_delete<DB>(
    url: &url::Url,
    statements: &[(String, crate::query::sql::Statement)],
    what: &str,
    affected: fn(&DB::QueryResult) -> u64,
) -> Result<Deleted, TenancyError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    sea_query_sqlx::SqlxValues: for<'q> sqlx::IntoArguments<DB>,
{
    let fail = |error: sqlx::Error| super::server::failed(url, what, &error);
    let mut connection =
        super::server::connect::<<DB::Connection as sqlx::Connection>::Options>(url, what).await?;
    let mut transaction = connection.begin().await.map_err(fail)?;
    let mut deleted = Vec::with_capacity(statements.len());
    for (entity, (sql, values)) in statements {
        let done = sqlx::query_with(
            sqlx::AssertSqlSafe(sql.clone()),
            sea_query_sqlx::SqlxValues(values.clone()),
        )
        .execute(&mut *transaction)
        .await
        .map_err(fail)?;
        deleted.push((entity.clone(), affected(&done)));
    }
    transaction.commit().await.map_err(fail)?;
    let _ = connection.close().await;
    Ok(deleted)
}

/// One `deleteMany` per collection, each committed on its own.
async fn mongo(
    url: &str,
    manifest: &Manifest,
    order: &[String],
    mine: &Filter,
    what: &str,
) -> Result<Deleted, TenancyError> {
    let failed = |error: mongodb::error::Error| {
        TenancyError::Database(format!(
            "{what} on `{}` failed: {} (run the drop again to delete the rest)",
            redact(url),
            redact(&error.to_string())
        ))
    };
    let client = super::server::mongo_client(url, what).await?;
    let Some(database) = client.default_database() else {
        return Err(TenancyError::refused(
            format!(
                "{what}: the MongoDB URL `{}` names no database",
                redact(url)
            ),
            "write it as `mongodb://host:port/DATABASE`",
        ));
    };
    let mut deleted = Vec::with_capacity(order.len());
    for entity_name in order {
        let entity = &manifest.entities[entity_name.as_str()];
        if entity.is_read_only() {
            continue;
        }
        let filter = crate::query::mongo::filter_document(manifest, entity_name, mine);
        let done = database
            .collection::<mongodb::bson::Document>(&entity.table)
            .delete_many(filter)
            .await
            .map_err(failed)?;
        deleted.push((entity_name.clone(), done.deleted_count));
    }
    Ok(deleted)
}
