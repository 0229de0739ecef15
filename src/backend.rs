//! The one place a source picks the code that reads it: a database URL goes
//! to its engine's introspector, a schema file or an `http(s)://` document to
//! its parser.

use crate::introspect::{Introspector as _, mongo, mysql, postgres, sqlite};
use crate::source::{IntrospectError, IntrospectOptions, Introspection, SourceLocation};
use crate::ui::Progress;

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
