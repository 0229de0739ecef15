//! Which database: the engine values every part of the pipeline that
//! depends on the database matches on.
//!
//! [`crate::backend`] hands out each database's parts (introspector,
//! migration runner, store), and so imports the modules that build them; the
//! values themselves live here, in a module that imports none of the crate,
//! so that those modules (the SQL parser, the query builders, the renderers)
//! can name a database without an import cycle (`tests/it/layout.rs`).
//!
//! What is not "which database" stays its own type:
//! `manifest::SourceEngine` is the kind of thing a manifest was read from (a
//! schema file format as well as a database), `codegen::Target` a language,
//! and `introspect::mysql::Flavor` a property of one engine (MySQL or
//! MariaDB).

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
