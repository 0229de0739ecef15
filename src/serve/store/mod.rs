//! The storage behind the API: one trait, one implementation per engine.
//! Engines receive queries already checked and typed against the manifest
//! ([`crate::query`]); they build bound statements and decode rows to JSON
//! by field type (docs/api.md, "Wire values").

pub mod graphql;
pub mod http;
pub mod mongo;
pub mod mysql;
pub mod postgres;
pub mod resolver;
pub mod sqlite;
pub(crate) mod sqlx_common;

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::manifest::{Entity, Manifest};
use crate::query::{ListQuery, Value};
pub use crate::webhooks::outbox::Outbox;

/// A row as the API returns it: field name → wire value, in field order.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// Typed field values for an insert or update, in field order.
pub type Values = indexmap::IndexMap<String, Value>;

/// The answer to a list query.
#[derive(Debug, Clone, Default)]
pub struct ListResult {
    pub rows: Vec<Row>,
    /// Present when the query asked for `count`.
    pub count: Option<u64>,
}

/// A read's answer as [`Store::list_verbatim`] and [`Store::get_verbatim`]
/// give it: the upstream's own body, which already is the API's response
/// byte for byte, or the rows as [`Store::list`] and [`Store::get`] read them.
#[derive(Debug)]
pub enum Verbatim<T> {
    Body(axum::body::Bytes),
    Parsed(T),
}

/// A reference violation on `entity`'s side of the constraint named
/// `constraint` (or of `relation` when the store knows it), described by the
/// manifest's relation where it can be found.
pub fn reference(entity: &crate::manifest::Entity, constraint: Option<&str>) -> StoreError {
    let relation = constraint.map(|name| {
        entity
            .relations
            .iter()
            .find(|relation| relation.name.as_deref() == Some(name))
            .map_or_else(
                || format!("`{name}`"),
                |relation| describe_relation(entity, relation),
            )
    });
    StoreError::Reference { relation }
}

/// `name` (`table.a, b` -> `target`) of a manifest relation.
pub fn describe_relation(
    entity: &crate::manifest::Entity,
    relation: &crate::manifest::Relation,
) -> String {
    let name = relation
        .name
        .as_deref()
        .map(|name| format!("`{name}` "))
        .unwrap_or_default();
    format!(
        "{name}(`{}.{}` -> `{}`)",
        entity.table,
        relation.fields.join(", "),
        relation.references.entity
    )
}

/// The statement that reads the row an update made back through `check`
/// (the update rule's row conditions), in the update's transaction: no row
/// means the new row does not pass, and the transaction is rolled back.
/// `None` without a check.
pub(crate) fn check_statement(
    dialect: crate::query::sql::SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    values: &Values,
    check: Option<&crate::query::Filter>,
) -> Option<Result<crate::query::sql::Statement, crate::query::QueryError>> {
    let check = check?;
    let entity = manifest.entities.get(entity_name)?;
    let key = sqlx_common::key_after_update(entity, key, values);
    Some(crate::query::sql::select_by_key(
        dialect,
        manifest,
        entity_name,
        &key,
        Some(check),
        false,
    ))
}

/// A row before and after an update.
#[derive(Debug, Clone)]
pub struct Updated {
    pub old: Row,
    pub new: Row,
}

tokio::task_local! {
    /// The bulk transaction the writes of this task join ([`Bulk::scope`]).
    static BULK: Arc<dyn std::any::Any + Send + Sync>;
}

/// A transaction held open across the writes of one bulk operation (the
/// rows of one request's insert, update or delete): the writes a store
/// makes inside [`Bulk::scope`] join it, [`Bulk::commit`] commits them all,
/// and a `Bulk` dropped without a commit rolls them all back.
pub struct Bulk {
    /// The engine's transaction, which its writes find in the task's scope.
    state: Arc<dyn std::any::Any + Send + Sync>,
    commit: Box<dyn FnOnce() -> BoxFuture<'static, Result<(), StoreError>> + Send + Sync>,
}

impl Bulk {
    /// A bulk transaction whose writes find `state` (of the engine's own
    /// type) through [`joined`], and that `commit` commits.
    pub(crate) fn new(
        state: Arc<dyn std::any::Any + Send + Sync>,
        commit: impl FnOnce() -> BoxFuture<'static, Result<(), StoreError>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            state,
            commit: Box::new(commit),
        }
    }

    /// Runs `work` with the store's writes joining this transaction.
    pub async fn scope<F: std::future::Future>(&self, work: F) -> F::Output {
        BULK.scope(self.state.clone(), work).await
    }

    /// Commits every write made in [`Bulk::scope`].
    pub async fn commit(self) -> Result<(), StoreError> {
        let Self { state, commit } = self;
        // The engine's commit may need to be the state's last owner.
        drop(state);
        commit().await
    }
}

/// The bulk transaction of this task, when it is an engine's `T`.
pub(crate) fn joined<T: std::any::Any + Send + Sync>() -> Option<Arc<T>> {
    BULK.try_with(|state| state.clone().downcast::<T>().ok())
        .ok()
        .flatten()
}

/// Whether this task is inside a bulk transaction already (a bulk write
/// nested in another joins the outer one).
pub(crate) fn in_bulk() -> bool {
    BULK.try_with(|_| ()).is_ok()
}

/// How a database operation failed, mapped to HTTP by the server.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or primary key violation; the fields when known.
    #[error("a row with the same unique value already exists")]
    Conflict { fields: Vec<String> },
    /// A foreign key violation; `relation` says which reference, when the
    /// database names it (``book_author_fkey` (`book.author_id` -> `author`)`).
    #[error("the change breaks a reference between rows")]
    Reference { relation: Option<String> },
    /// The database cannot be reached.
    #[error("the database cannot be reached")]
    Unavailable(#[source] anyhow::Error),
    /// The database refused baas's credentials.
    #[error("the database refused the credentials")]
    Credentials(#[source] anyhow::Error),
    /// The row an update would make does not satisfy the update rule
    /// (`check`): nothing was written (403).
    #[error("the row as updated would not satisfy the update rule")]
    Refused,
    /// A table or column a statement names is not in the database (never
    /// migrated, or changed by hand): `what` names it as the statement
    /// did (a manifest name), `message` is the database's, for the log.
    #[error("the database has no {what}")]
    NotMigrated { what: String, message: String },
    /// Anything else; never shown to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// The query asks for something this engine cannot do (a dotted path
    /// on SQL, `contains` with an object on SQLite): a 400 naming it.
    #[error(transparent)]
    Query(crate::query::QueryError),
    /// An upstream API (the HTTP store) answered an error or none: its
    /// status is kept; `detail` never holds a credential.
    #[error("{detail}")]
    Upstream { status: u16, detail: String },
}

/// One database serving one manifest. `manifest` is passed on every call so
/// a hot reload swaps it without rebuilding the engine; `entity` is a key of
/// `manifest.entities`; `key` holds the primary key values in order.
pub trait Store: Send + Sync + 'static {
    fn list<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<ListResult, StoreError>>;

    fn get<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a crate::query::Filter>,
    ) -> BoxFuture<'a, Result<Option<Row>, StoreError>>;

    /// Inserts one row and returns it as stored (defaults, generated values).
    fn insert<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        values: &'a Values,
    ) -> BoxFuture<'a, Result<Row, StoreError>> {
        self.insert_with_outbox(manifest, entity, values, Outbox::none())
    }

    /// Sets `values` on the row with `key` that also matches `scope`;
    /// `None` when there is no such row. Returns the row before and after.
    fn update<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a crate::query::Filter>,
        values: &'a Values,
    ) -> BoxFuture<'a, Result<Option<Updated>, StoreError>> {
        self.update_with_outbox(manifest, entity, key, scope, None, values, Outbox::none())
    }

    /// Deletes the row with `key` that also matches `scope`; returns it,
    /// or `None` when there was no such row.
    fn delete<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a crate::query::Filter>,
    ) -> BoxFuture<'a, Result<Option<Row>, StoreError>> {
        self.delete_with_outbox(manifest, entity, key, scope, Outbox::none())
    }

    /// [`Store::insert`], recording the deliveries of `outbox` (webhooks)
    /// with the row in the write's own transaction: both are committed or
    /// neither (SQL engines; see the MongoDB store for its fallback).
    fn insert_with_outbox<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        values: &'a Values,
        outbox: &'a Outbox,
    ) -> BoxFuture<'a, Result<Row, StoreError>>;

    /// [`Store::update`], recording `outbox` as [`Store::insert_with_outbox`] does.
    /// When `check` is given, the row as updated must match it (the update
    /// rule's row conditions, as PostgreSQL's `WITH CHECK`), or nothing is
    /// written and the answer is [`StoreError::Refused`].
    #[allow(clippy::too_many_arguments)]
    fn update_with_outbox<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a crate::query::Filter>,
        check: Option<&'a crate::query::Filter>,
        values: &'a Values,
        outbox: &'a Outbox,
    ) -> BoxFuture<'a, Result<Option<Updated>, StoreError>>;

    /// [`Store::delete`], recording `outbox` as [`Store::insert_with_outbox`] does.
    fn delete_with_outbox<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        scope: Option<&'a crate::query::Filter>,
        outbox: &'a Outbox,
    ) -> BoxFuture<'a, Result<Option<Row>, StoreError>>;

    /// A cheap round trip to the database.
    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The database planner's estimate of the rows `query`'s filter
    /// matches (no paging), for PostgREST's `Prefer: count=planned`;
    /// `None` when the engine has no planner to ask (the count is then
    /// exact).
    fn estimate<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        let _ = (manifest, entity, query);
        Box::pin(async { Ok(None) })
    }

    /// [`Store::list`] of a read the kernel has nothing to do to (no scope,
    /// projection or expansion: `kernel::pass_through`): a store may answer
    /// with the body it received when that is the response as it stands.
    fn list_verbatim<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<Verbatim<ListResult>, StoreError>> {
        Box::pin(async move {
            self.list(manifest, entity, query)
                .await
                .map(Verbatim::Parsed)
        })
    }

    /// [`Store::get`] (unscoped) as [`Store::list_verbatim`] is to a list.
    fn get_verbatim<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
    ) -> BoxFuture<'a, Result<Verbatim<Option<Row>>, StoreError>> {
        Box::pin(async move {
            self.get(manifest, entity, key, None)
                .await
                .map(Verbatim::Parsed)
        })
    }

    /// Opens one transaction for the writes of a bulk operation ([`Bulk`]);
    /// `None` when the engine writes row by row (or the task is in a bulk
    /// transaction already, which the writes then join).
    fn begin(&self) -> BoxFuture<'_, Result<Option<Bulk>, StoreError>> {
        Box::pin(async { Ok(None) })
    }
}

/// Implements [`Store`] for an engine type whose inherent async methods
/// do the work: `list_rows`, `get_row`, `insert_row`, `update_row`,
/// `delete_row` (these three with the outbox), `ping` and `begin_bulk`, with the trait
/// methods' arguments; with `, estimate`, `estimate_rows` too. The trait
/// needs boxed futures (it is used as `dyn Store`); this writes the boxing
/// once instead of in every engine.
macro_rules! store_from_inherent_methods {
    ($engine:ty) => {
        $crate::serve::store::store_from_inherent_methods!($engine, {});
    };
    ($engine:ty, estimate) => {
        $crate::serve::store::store_from_inherent_methods!($engine, {
            fn estimate<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                query: &'a $crate::query::ListQuery,
            ) -> futures::future::BoxFuture<
                'a,
                Result<Option<u64>, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.estimate_rows(manifest, entity, query))
            }
        });
    };
    ($engine:ty, { $($extra:tt)* }) => {
        impl $crate::serve::store::Store for $engine {
            fn list<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                query: &'a $crate::query::ListQuery,
            ) -> futures::future::BoxFuture<
                'a,
                Result<$crate::serve::store::ListResult, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.list_rows(manifest, entity, query))
            }

            fn get<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                key: &'a [$crate::query::Value],
                scope: Option<&'a $crate::query::Filter>,
            ) -> futures::future::BoxFuture<
                'a,
                Result<Option<$crate::serve::store::Row>, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.get_row(manifest, entity, key, scope))
            }

            fn insert_with_outbox<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                values: &'a $crate::serve::store::Values,
                outbox: &'a $crate::serve::store::Outbox,
            ) -> futures::future::BoxFuture<
                'a,
                Result<$crate::serve::store::Row, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.insert_row(manifest, entity, values, outbox))
            }

            fn update_with_outbox<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                key: &'a [$crate::query::Value],
                scope: Option<&'a $crate::query::Filter>,
                check: Option<&'a $crate::query::Filter>,
                values: &'a $crate::serve::store::Values,
                outbox: &'a $crate::serve::store::Outbox,
            ) -> futures::future::BoxFuture<
                'a,
                Result<Option<$crate::serve::store::Updated>, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.update_row(manifest, entity, key, scope, check, values, outbox))
            }

            fn delete_with_outbox<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                key: &'a [$crate::query::Value],
                scope: Option<&'a $crate::query::Filter>,
                outbox: &'a $crate::serve::store::Outbox,
            ) -> futures::future::BoxFuture<
                'a,
                Result<Option<$crate::serve::store::Row>, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.delete_row(manifest, entity, key, scope, outbox))
            }

            fn health(
                &self,
            ) -> futures::future::BoxFuture<'_, Result<(), $crate::serve::store::StoreError>> {
                Box::pin(self.ping())
            }

            fn begin(
                &self,
            ) -> futures::future::BoxFuture<
                '_,
                Result<Option<$crate::serve::store::Bulk>, $crate::serve::store::StoreError>,
            > {
                Box::pin(self.begin_bulk())
            }

            $($extra)*
        }
    };
}
pub(crate) use store_from_inherent_methods;

/// [`StoreError::NotMigrated`] of a database `message` saying a table or
/// column (`kind`) of a statement on `entity` is missing. The name is the
/// identifier quoted after `after` (`relation "note"`, `Table 'db.note'`,
/// `no such column: note.tenant_id`), its last part: every identifier
/// baas writes comes from the manifest, so it is shown, while the message
/// (which may name the database) only reaches the log.
pub(crate) fn not_migrated(entity: &Entity, kind: &str, message: &str, after: &str) -> StoreError {
    let named = message.find(after).and_then(|at| {
        let rest = &message[at + after.len()..];
        let name = match rest.chars().next() {
            Some(quote @ ('"' | '\'' | '`')) => rest[1..].split(quote).next(),
            _ => rest.split_whitespace().next(),
        }?;
        name.rsplit('.').next().filter(|name| !name.is_empty())
    });
    let what = match named {
        Some(name) if kind == "table" => format!("table `{name}`"),
        Some(name) => format!("column `{name}` (in a statement on `{}`)", entity.table),
        None => format!("{kind} of a statement on `{}`", entity.table),
    };
    StoreError::NotMigrated {
        what,
        message: message.to_owned(),
    }
}
