//! `baas diff`: compare two schemas and classify every change.

use serde_json::json;

use crate::ExitStatus;
use crate::backend::introspect;
use crate::commands::shared::{
    MigrationsDir, SqlDialect, describe, safety_label, summary, summary_line,
};
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::diff::Change;
use crate::manifest::{self, Manifest};
use crate::migrate::render::Target;
use crate::source::IntrospectOptions;
use crate::source::SourceLocation;
use crate::ui::{Progress, table};

/// Compare two schemas and classify every change as safe, needs-review or destructive.
///
/// Each side is a manifest file (`*.toml`), a migration folder
/// (`migrations/0002_add_bio`, read through its `baas.toml` snapshot), a
/// live database URL or a schema file (read as `baas introspect` reads it).
/// By default "before" is the snapshot of the newest migration (an empty
/// schema when there is none) and "after" is the working baas.toml, so a
/// bare `baas diff` shows what `baas migrate plan` would write. Examples:
///
///   baas diff                                         # last migration → baas.toml
///   baas diff --db postgres://app@localhost/shop      # database → baas.toml
///   baas diff --from migrations/0001_init --to migrations/0002_add_bio
///   baas --json diff --from old.toml
///
/// `--format sql` prints the script that carries the changes out;
/// `--rename` says which drop + add pairs are renames.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DiffArgs {
    /// The "before" side: manifest path, migration folder, database URL or schema file [default: the newest migration's snapshot]
    #[arg(long, value_name = "SCHEMA")]
    pub from: Option<String>,
    /// The "after" side: manifest path, migration folder, database URL or schema file [default: the working manifest]
    #[arg(long, value_name = "SCHEMA")]
    pub to: Option<String>,
    /// A database as the "before" side (the same as --from URL)
    #[arg(long, value_name = "URL", conflicts_with = "from")]
    pub db: Option<String>,
    /// Output format (for JSON, use the global --json)
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// SQL dialect for `--format sql` [default: the manifest's engine]
    #[arg(long, value_enum)]
    pub dialect: Option<SqlDialect>,
    /// Treat a dropped and an added field or entity as a rename (repeatable), e.g. `--rename film.title=film.name`
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    /// A table for humans
    Table,
    /// The change list as JSON (the same as the global --json)
    #[value(hide = true)]
    Json,
    /// The SQL that would apply the changes
    Sql,
}

pub async fn run(args: DiffArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let renames = parse_renames(&args.rename)?;
    let after = match args.to.as_deref() {
        Some(to) => side(to, Vec::new(), cx).await?,
        None => manifest::load_file(&cx.manifest_path)?.manifest,
    };
    let before = match args.from.as_deref().or(args.db.as_deref()) {
        Some(from) => {
            // A database is read in the schemas the manifest lists.
            let database = from.contains("://");
            let schemas = match &after.source {
                Some(source) if database => source.schemas.clone(),
                _ => Vec::new(),
            };
            let mut before = side(from, schemas, cx).await?;
            if database {
                // A database's tables under the manifest's names.
                crate::diff::named_like(&mut before, &after);
            }
            before
        }
        None => last_snapshot(&args, &after, cx)?,
    };
    let changes = crate::diff::diff_with_renames(&before, &after, &renames);
    if matches!(args.format, DiffFormat::Sql) || args.dialect.is_some() {
        return print_sql(&args, &before, &after, &changes, cx);
    }
    if cx.printer.json_mode() || matches!(args.format, DiffFormat::Json) {
        cx.printer.json(&json!({
            "changes": changes,
            "summary": summary(&changes),
        }))?;
        return Ok(ExitStatus::Success);
    }
    if changes.is_empty() {
        cx.printer.status("No changes.");
        return Ok(ExitStatus::Success);
    }
    let mut rows = table::new(&["safety", "change", "object", "reason"]);
    for change in &changes {
        let (what, object) = describe(change);
        rows.add_row(vec![
            safety_label(change.safety).to_owned(),
            what,
            object,
            change.reason.clone(),
        ]);
    }
    cx.printer.data(&format!("{rows}\n"))?;
    cx.printer.status(&summary_line(&changes));
    Ok(ExitStatus::Success)
}

/// The default "before": the newest migration's snapshot, or an empty
/// schema (with the working manifest's project and source) before the first.
fn last_snapshot(args: &DiffArgs, working: &Manifest, cx: &Context) -> anyhow::Result<Manifest> {
    let dir = args.migrations.resolve(cx);
    crate::migrate::folder::list(&dir).map_err(crate::migrate::MigrateError::from)?;
    Ok(match crate::migrate::folder::latest_snapshot(&dir)? {
        Some((migration, snapshot)) => {
            cx.printer.status(&format!(
                "Comparing migration `{}` with {}",
                migration.id(),
                cx.display_path(&cx.manifest_path)
            ));
            snapshot
        }
        None => Manifest {
            project: working.project.clone(),
            source: working.source.clone(),
            ..Manifest::default()
        },
    })
}

/// `--rename old=new` pairs; each side is `entity` or `entity.field`.
fn parse_renames(renames: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    renames
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((old, new)) if !old.trim().is_empty() && !new.trim().is_empty() => {
                Ok((old.trim().to_owned(), new.trim().to_owned()))
            }
            _ => Err(
                UsageError::new(format!("`--rename {pair}` is not `old=new`"))
                    .with_hint(
                        "name an entity (`--rename author=writer`) or a field \
                         (`--rename film.title=film.name`)",
                    )
                    .into(),
            ),
        })
        .collect()
}

/// `--format sql`: the up script for the dialect, lossy conversions on stderr.
fn print_sql(
    args: &DiffArgs,
    before: &Manifest,
    after: &Manifest,
    changes: &[Change],
    cx: &Context,
) -> anyhow::Result<ExitStatus> {
    let engine = |m: &Manifest| {
        m.source
            .as_ref()
            .and_then(|source| Target::of_engine(source.engine))
            .filter(|target| *target != Target::Mongodb)
    };
    let target = match args.dialect {
        Some(dialect) => Target::from(dialect),
        None => match engine(after).or_else(|| engine(before)) {
            Some(target) => target,
            None => {
                return Err(UsageError::new("no SQL dialect to write the changes in")
                    .with_hint("pass --dialect postgres, mysql or sqlite")
                    .into());
            }
        },
    };
    let plan = crate::migrate::render::render(target, before, after, changes)?;
    if cx.printer.json_mode() {
        cx.printer.json(&json!({
            "dialect": target,
            "up": plan.up.to_sql(),
            "down": plan.down.to_sql(),
            "lossy": plan.lossy,
            "changes": changes,
        }))?;
        return Ok(ExitStatus::Success);
    }
    if plan.up.is_empty() {
        cx.printer.status("No changes.");
        return Ok(ExitStatus::Success);
    }
    cx.printer.data(&plan.up.to_sql())?;
    for line in &plan.lossy {
        cx.printer.warn(&format!("lossy on {target}: {line}"));
    }
    Ok(ExitStatus::Success)
}

/// One side of the comparison: a manifest file, a migration folder (its
/// snapshot), or anything `introspect` reads.
async fn side(spec: &str, schemas: Vec<String>, cx: &Context) -> anyhow::Result<Manifest> {
    let path = cx.cwd.join(spec);
    if spec.ends_with(".toml") {
        return Ok(manifest::load_file(&path)?.manifest);
    }
    if path.is_dir() {
        let snapshot = path.join("baas.toml");
        if !snapshot.is_file() {
            return Err(UsageError::new(format!(
                "`{spec}` is a folder without a `baas.toml` snapshot"
            ))
            .with_hint(
                "pass a migration folder (`migrations/0002_name`), a manifest file, \
                 a database URL or a schema file",
            )
            .into());
        }
        return Ok(manifest::load_file(&snapshot)?.manifest);
    }
    let location = SourceLocation::parse(spec, &cx.cwd)?;
    let progress = Progress::new(cx.printer.progress_allowed(), "reading");
    let options = IntrospectOptions {
        schemas,
        ..IntrospectOptions::default()
    };
    let result = introspect(&location, &options, &progress).await;
    progress.finish();
    Ok(result?.manifest)
}
