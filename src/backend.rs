//! The one place a source picks the code that handles it (DESIGN.md §6).
//!
//! A connection string's scheme is read once, by `SourceLocation::parse`;
//! [`Backend::of`] turns a location that is a database into one backend
//! value, and that value hands out everything engine-specific: its
//! introspector, the target its scripts are rendered for, its migration
//! runner and its store. A new engine is one arm here plus its files. A
//! schema file or an `http(s)://` document has no backend: [`introspect`]
//! sends it to its parser.

use std::path::PathBuf;
use std::sync::Arc;

use url::Url;

use crate::introspect::{Introspector as _, mongo, mysql, postgres, sqlite};
use crate::manifest::{Manifest, SourceEngine};
use crate::migrate::runner::{Migrate, Missing, Runner};
use crate::migrate::{MigrateError, Target};
use crate::serve::store::{self, Store, StoreError};
use crate::source::{IntrospectError, IntrospectOptions, Introspection, SourceLocation};
use crate::ui::Progress;

/// A database baas can introspect, migrate and serve, with where it is.
///
/// Which database it is, without the location, is a
/// [`crate::database::Database`] ([`Backend::target`]): the value the
/// modules this one imports match on (they cannot import this module back).
/// [`Backend::engine`] is the [`SourceEngine`] a manifest records, a wider
/// kind that also names schema-file formats.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    Sqlite {
        path: PathBuf,
    },
    Postgres {
        url: Url,
    },
    /// MySQL and MariaDB.
    Mysql {
        url: Url,
    },
    /// Kept as text: a MongoDB connection string may name several hosts.
    Mongodb {
        url: String,
    },
}

impl Backend {
    /// The backend of `location`; `None` for a schema file or an
    /// `http(s)://` document.
    pub fn of(location: &SourceLocation) -> Option<Self> {
        match location {
            SourceLocation::Sqlite { path } => Some(Self::Sqlite { path: path.clone() }),
            SourceLocation::Postgres { url } => Some(Self::Postgres { url: url.clone() }),
            SourceLocation::Mysql { url } => Some(Self::Mysql { url: url.clone() }),
            SourceLocation::Mongodb { url } => Some(Self::Mongodb { url: url.clone() }),
            SourceLocation::Http { .. } | SourceLocation::File { .. } => None,
        }
    }

    /// The engine a manifest read from this database records in `[source]`.
    pub fn engine(&self) -> SourceEngine {
        match self {
            Self::Sqlite { .. } => SourceEngine::Sqlite,
            Self::Postgres { .. } => SourceEngine::Postgres,
            Self::Mysql { .. } => SourceEngine::Mysql,
            Self::Mongodb { .. } => SourceEngine::Mongodb,
        }
    }

    /// The engine migration scripts for this database are rendered for.
    pub fn target(&self) -> Target {
        match self {
            Self::Sqlite { .. } => Target::Sqlite,
            Self::Postgres { .. } => Target::Postgres,
            Self::Mysql { .. } => Target::Mysql,
            Self::Mongodb { .. } => Target::Mongodb,
        }
    }

    /// Reads the database's schema with its engine's introspector.
    pub async fn introspect(
        &self,
        options: &IntrospectOptions,
        progress: &Progress,
    ) -> Result<Introspection, IntrospectError> {
        match self {
            Self::Sqlite { path } => {
                sqlite::SqliteIntrospector::new(path.clone())
                    .introspect(options, progress)
                    .await
            }
            Self::Postgres { url } => {
                postgres::PostgresIntrospector::new(url.clone())
                    .introspect(options, progress)
                    .await
            }
            Self::Mysql { url } => {
                let mut introspection = mysql::MysqlIntrospector::new(url.clone())
                    .introspect(options, progress)
                    .await?;
                // As a dump of the database imports (a view's JSON column).
                crate::parse::sql_ddl::mysql_json_fields(&mut introspection.manifest);
                Ok(introspection)
            }
            Self::Mongodb { url } => {
                mongo::MongoIntrospector::new(url.clone())
                    .introspect(options, progress)
                    .await
            }
        }
    }

    /// Connects the engine's migration runner.
    pub async fn runner(&self, missing: Missing) -> Result<Runner, MigrateError> {
        use crate::migrate::runner::{
            mongo::MongoRunner, mysql::MysqlRunner, postgres::PostgresRunner, sqlite::SqliteRunner,
        };
        let engine: Box<dyn Migrate> = match self {
            Self::Sqlite { path } => Box::new(SqliteRunner::open(path, missing)?),
            Self::Postgres { url } => Box::new(PostgresRunner::connect(url).await?),
            Self::Mysql { url } => Box::new(MysqlRunner::connect(url).await?),
            Self::Mongodb { url } => Box::new(MongoRunner::connect(url).await?),
        };
        Ok(Runner::new(engine))
    }

    /// Opens the engine's store for serving `manifest`.
    pub async fn store(&self, manifest: &Manifest) -> Result<Arc<dyn Store>, StoreError> {
        self.store_sized(manifest, None).await
    }

    /// [`Backend::store`] with a pool of `size` connections at most (a
    /// tenant's pool options; SQLite keeps its own reader count).
    pub async fn store_sized(
        &self,
        _manifest: &Manifest,
        size: Option<u32>,
    ) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Self::Sqlite { path } => {
                Arc::new(store::sqlite::SqliteStore::open(path).map_err(StoreError::Unavailable)?)
            }
            Self::Postgres { url } => {
                Arc::new(store::postgres::PostgresStore::connect_sized(url.as_str(), size).await?)
            }
            Self::Mysql { url } => {
                Arc::new(store::mysql::MysqlStore::connect_sized(url.as_str(), size).await?)
            }
            Self::Mongodb { url } => {
                Arc::new(store::mongo::MongoStore::connect_sized(url.as_str(), size).await?)
            }
        })
    }
}

/// The prefix of the tables and collections baas keeps for itself.
pub const BOOKKEEPING_PREFIX: &str = "_baas_";

/// Introspects whatever `location` points at: a database with its
/// backend's introspector, a schema file or document with its parser.
/// baas's own tables and collections (every name starting `_baas_`: the
/// migration history and its MongoDB lock, the built-in users' refresh
/// tokens, ...) are bookkeeping, not part of the schema, and are left out,
/// from a database and from a dump of one alike.
pub async fn introspect(
    location: &SourceLocation,
    options: &IntrospectOptions,
    progress: &Progress,
) -> Result<Introspection, IntrospectError> {
    let mut introspection = match (Backend::of(location), location) {
        (Some(backend), _) => backend.introspect(options, progress).await?,
        (None, SourceLocation::Http { url }) => crate::parse::fetch(url, options).await?,
        (None, SourceLocation::File { path }) => crate::parse::parse_file(path, options).await?,
        (None, other) => {
            return Err(IntrospectError::Unsupported(format!(
                "`{other}` names a database baas has no backend for"
            )));
        }
    };
    introspection
        .manifest
        .entities
        .retain(|_, entity| !entity.table.starts_with(BOOKKEEPING_PREFIX));
    Ok(introspection)
}

/// The migration runner for the database at `location`.
pub async fn runner(location: &SourceLocation, missing: Missing) -> Result<Runner, MigrateError> {
    match Backend::of(location) {
        Some(backend) => backend.runner(missing).await,
        None => Err(MigrateError::refused(
            format!("`{location}` is not a database"),
            "migrations run against postgres://, mysql://, sqlite:// or mongodb:// URLs \
             (pass one with --db)",
        )),
    }
}

/// The store for a connection string: SQLite files, PostgreSQL, MySQL or
/// MariaDB, MongoDB.
pub async fn store(url: &str, manifest: &Manifest) -> anyhow::Result<Arc<dyn Store>> {
    let cwd = std::env::current_dir()?;
    let location = SourceLocation::parse(url, &cwd)?;
    let redacted = crate::source::redact(url);
    let Some(backend) = Backend::of(&location) else {
        return Err(crate::error::UsageError::new(format!(
            "`{redacted}` is not a database: `baas serve --db` takes a postgres://, mysql://, mongodb:// or sqlite:// URL"
        ))
        .into());
    };
    backend.store(manifest).await.map_err(|error| {
        anyhow::Error::new(error).context(format!("cannot connect to `{redacted}`"))
    })
}
