//! `baas diff`: compare two schemas and classify every change.

use crate::ExitStatus;
use crate::context::Context;

/// Compare two schemas and classify every change as safe, needs-review or destructive.
///
/// Each side is a manifest file, a migration snapshot (`migrations/0003_x`) or a
/// live database URL. By default the last migration snapshot is compared with
/// the working baas.toml.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The "before" side: manifest path, migration folder or database URL [default: last migration snapshot]
    #[arg(long, value_name = "SCHEMA")]
    pub from: Option<String>,
    /// The "after" side: manifest path, migration folder or database URL [default: the working manifest]
    #[arg(long, value_name = "SCHEMA")]
    pub to: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// SQL dialect for `--format sql` [default: the manifest's engine]
    #[arg(long, value_enum)]
    pub dialect: Option<SqlDialect>,
    /// Treat a dropped and an added field or entity as a rename (repeatable), e.g. `--rename film.title=film.name`
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    /// A table for humans
    Table,
    /// The change list as JSON
    Json,
    /// The SQL that would apply the changes
    Sql,
}

/// SQL dialects `baas` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlDialect {
    Postgres,
    Mysql,
    Sqlite,
}

impl SqlDialect {
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
        }
    }
}

pub fn run(_args: DiffArgs, _cx: &Context) -> anyhow::Result<ExitStatus> {
    crate::diagnostics::not_available("diff")
}
