//! Live introspection: read a running database into a [`Manifest`] plus a
//! [`Ledger`] of what could not be represented.
//!
//! One [`Introspector`] per engine, each in a file named after it. Nothing
//! downstream knows which one produced a manifest.

use std::future::Future;

use crate::ledger::Ledger;
use crate::manifest::Manifest;
use crate::source::SourceLocation;
use crate::ui::Progress;

pub mod mongo;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// What an introspection produced.
#[derive(Debug, Clone)]
pub struct Introspection {
    pub manifest: Manifest,
    pub ledger: Ledger,
}

/// Knobs shared by all engines; each uses those that apply to it.
#[derive(Debug, Clone, Default)]
pub struct IntrospectOptions {
    /// Schemas (Postgres) to read; empty means the engine's default.
    pub schemas: Vec<String>,
    /// Documents to sample per collection (MongoDB).
    pub sample: Option<usize>,
    /// The format of a schema file, when not detected from its name and content.
    pub format: Option<crate::parse::SourceFormat>,
    /// The SQL dialect of a dump, when not detected (`postgres`, `mysql`, `sqlite`).
    pub dialect: Option<String>,
    /// Fail on statements or constructs a schema file parser skips.
    pub strict: bool,
    /// API key of a hosted source (Supabase).
    pub key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// The database could not be reached or opened (exit code 3).
    #[error("cannot connect to `{target}`: {reason}")]
    Connect { target: String, reason: String },
    /// The database answered, but a catalog query failed.
    #[error("failed to read the catalog of `{target}`: {reason}")]
    Catalog { target: String, reason: String },
    /// `baas` has no introspector for this kind of input (yet).
    #[error("{0}")]
    Unsupported(String),
    /// A schema file could not be read as its format; the problems say where.
    #[error("{0}")]
    Invalid(#[source] crate::manifest::Diagnostics),
}

/// Reads a live database into a manifest.
pub trait Introspector {
    fn introspect(
        &self,
        options: &IntrospectOptions,
        progress: &Progress,
    ) -> impl Future<Output = Result<Introspection, IntrospectError>> + Send;
}

/// Introspects whatever `location` points at. `baas migrate`'s own tables
/// (`_baas_migrations`, and on MongoDB its lock collection) are bookkeeping,
/// not part of the schema, and are left out.
pub async fn introspect(
    location: &SourceLocation,
    options: &IntrospectOptions,
    progress: &Progress,
) -> Result<Introspection, IntrospectError> {
    let mut introspection = read(location, options, progress).await?;
    if location.engine().is_some() {
        introspection.manifest.entities.retain(|_, entity| {
            entity.table != crate::migrate::history::TABLE
                && entity.table != crate::migrate::history::LOCK_COLLECTION
        });
    }
    Ok(introspection)
}

async fn read(
    location: &SourceLocation,
    options: &IntrospectOptions,
    progress: &Progress,
) -> Result<Introspection, IntrospectError> {
    match location {
        SourceLocation::Sqlite { path } => {
            sqlite::SqliteIntrospector::new(path.clone())
                .introspect(options, progress)
                .await
        }
        SourceLocation::Postgres { url } => {
            postgres::PostgresIntrospector::new(url.clone())
                .introspect(options, progress)
                .await
        }
        SourceLocation::Mysql { url } => {
            mysql::MysqlIntrospector::new(url.clone())
                .introspect(options, progress)
                .await
        }
        SourceLocation::Mongodb { url } => {
            mongo::MongoIntrospector::new(url.clone())
                .introspect(options, progress)
                .await
        }
        SourceLocation::File { path } => crate::parse::parse_file(path, options).await,
        SourceLocation::Http { url } => crate::parse::fetch(url, options).await,
    }
}
