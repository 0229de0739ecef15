//! Which database: the engine values every part of the pipeline that
//! depends on the database matches on.
//!
//! [`Database`] is the database a script is rendered for, a migration
//! folder is written for and a runner runs against; [`SqlDialect`] the SQL
//! ones of them (what the SQL parser reads, the query builders write).
//!
//! [`crate::backend`] hands out each database's parts (introspector,
//! migration runner, store), and so imports the modules that build them; the
//! values themselves live here, in a module that imports only the manifest
//! (a leaf), so that those modules (the SQL parser, the query builders, the renderers)
//! can name a database without an import cycle (`tests/it/layout.rs`).
//!
//! What is not "which database" stays its own type:
//! `manifest::SourceEngine` is the kind of thing a manifest was read from (a
//! schema file format as well as a database), `codegen::Target` a language,
//! and `introspect::mysql::Flavor` a property of one engine (MySQL or
//! MariaDB).

use serde::Serialize;

use crate::manifest::SourceEngine;

/// A database baas renders scripts for and migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Database {
    Postgres,
    Mysql,
    Sqlite,
    Mongodb,
}

impl Database {
    /// The name `--dialect` takes and scripts are labelled with (`postgres`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
            Self::Mongodb => "mongodb",
        }
    }

    /// The database whose native types and SQL a manifest read from `engine`
    /// carries; `None` for sources without an engine of their own (OpenAPI,
    /// GraphQL, ...).
    pub fn of_engine(engine: SourceEngine) -> Option<Self> {
        match engine {
            SourceEngine::Postgres | SourceEngine::Supabase => Some(Self::Postgres),
            SourceEngine::Mysql => Some(Self::Mysql),
            SourceEngine::Sqlite => Some(Self::Sqlite),
            SourceEngine::Mongodb => Some(Self::Mongodb),
            _ => None,
        }
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl From<SqlDialect> for Database {
    fn from(dialect: SqlDialect) -> Self {
        match dialect {
            SqlDialect::Postgres => Self::Postgres,
            SqlDialect::Mysql => Self::Mysql,
            SqlDialect::Sqlite => Self::Sqlite,
        }
    }
}

/// An SQL database: the dialect a script, a dump or a query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum SqlDialect {
    Postgres,
    Mysql,
    Sqlite,
}

impl SqlDialect {
    /// The name `--dialect` takes (`postgres`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
        }
    }

    /// The name in messages (`PostgreSQL`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MySQL",
            Self::Sqlite => "SQLite",
        }
    }
}

impl std::fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
