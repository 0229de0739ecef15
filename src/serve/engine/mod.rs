//! The storage behind the API: one trait, one implementation per engine.
//! Engines receive queries already checked and typed against the manifest
//! ([`crate::query`]); they build bound statements and decode rows to JSON
//! by field type (docs/api.md, "Wire values").

pub mod mongo;
pub mod mysql;
pub mod postgres;
pub mod sqlite;
mod sqlx_common;

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::manifest::Manifest;
use crate::query::{ListQuery, Value};

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

/// How a database operation failed, mapped to HTTP by the server.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A unique or primary key violation; the fields when known.
    #[error("a row with the same unique value already exists")]
    Conflict { fields: Vec<String> },
    /// A foreign key violation.
    #[error("the change breaks a reference between rows")]
    Reference,
    /// The database cannot be reached.
    #[error("the database cannot be reached")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else; never shown to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// The query asks for something this engine cannot do (a dotted path
    /// on SQL, `contains` with an object on SQLite): a 400 naming it.
    #[error(transparent)]
    Query(crate::query::QueryError),
}

/// One database serving one manifest. `manifest` is passed on every call so
/// a hot reload swaps it without rebuilding the engine; `entity` is a key of
/// `manifest.entities`; `key` holds the primary key values in order.
pub trait Engine: Send + Sync + 'static {
    fn list<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<ListResult, EngineError>>;

    fn get<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
    ) -> BoxFuture<'a, Result<Option<Row>, EngineError>>;

    /// Inserts one row and returns it as stored (defaults, generated values).
    fn insert<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        values: &'a Values,
    ) -> BoxFuture<'a, Result<Row, EngineError>>;

    /// Sets `values` on the row with `key`; `None` when there is no such row.
    fn update<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
        values: &'a Values,
    ) -> BoxFuture<'a, Result<Option<Row>, EngineError>>;

    /// `false` when there was no such row.
    fn delete<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
    ) -> BoxFuture<'a, Result<bool, EngineError>>;

    /// A cheap round trip to the database.
    fn health(&self) -> BoxFuture<'_, Result<(), EngineError>>;
}

/// Implements [`Engine`] for an engine type whose inherent async methods
/// do the work: `list_rows`, `get_row`, `insert_row`, `update_row`,
/// `delete_row` and `ping`, with the trait methods' arguments. The trait
/// needs boxed futures (it is used as `dyn Engine`); this writes the boxing
/// once instead of in every engine.
macro_rules! engine_from_inherent_methods {
    ($engine:ty) => {
        impl $crate::serve::engine::Engine for $engine {
            fn list<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                query: &'a $crate::query::ListQuery,
            ) -> futures::future::BoxFuture<
                'a,
                Result<$crate::serve::engine::ListResult, $crate::serve::engine::EngineError>,
            > {
                Box::pin(self.list_rows(manifest, entity, query))
            }

            fn get<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                key: &'a [$crate::query::Value],
            ) -> futures::future::BoxFuture<
                'a,
                Result<Option<$crate::serve::engine::Row>, $crate::serve::engine::EngineError>,
            > {
                Box::pin(self.get_row(manifest, entity, key))
            }

            fn insert<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                values: &'a $crate::serve::engine::Values,
            ) -> futures::future::BoxFuture<
                'a,
                Result<$crate::serve::engine::Row, $crate::serve::engine::EngineError>,
            > {
                Box::pin(self.insert_row(manifest, entity, values))
            }

            fn update<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                key: &'a [$crate::query::Value],
                values: &'a $crate::serve::engine::Values,
            ) -> futures::future::BoxFuture<
                'a,
                Result<Option<$crate::serve::engine::Row>, $crate::serve::engine::EngineError>,
            > {
                Box::pin(self.update_row(manifest, entity, key, values))
            }

            fn delete<'a>(
                &'a self,
                manifest: &'a std::sync::Arc<$crate::manifest::Manifest>,
                entity: &'a str,
                key: &'a [$crate::query::Value],
            ) -> futures::future::BoxFuture<'a, Result<bool, $crate::serve::engine::EngineError>>
            {
                Box::pin(self.delete_row(manifest, entity, key))
            }

            fn health(
                &self,
            ) -> futures::future::BoxFuture<'_, Result<(), $crate::serve::engine::EngineError>>
            {
                Box::pin(self.ping())
            }
        }
    };
}
pub(crate) use engine_from_inherent_methods;
