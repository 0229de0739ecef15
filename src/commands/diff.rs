//! `baas diff`: compare two schemas and classify every change.

use serde_json::json;

use crate::ExitStatus;
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::diff::{Change, ChangeKind, Safety};
use crate::introspect::{IntrospectOptions, introspect};
use crate::manifest::{self, Manifest};
use crate::migrate::render::Target;
use crate::source::SourceLocation;
use crate::ui::{Progress, table};

/// Compare two schemas and classify every change as safe, needs-review or destructive.
///
/// Each side is a manifest file (`*.toml`), a live database URL or a schema
/// file (read as `baas introspect` reads it). By default the working
/// baas.toml is the "after" side. Examples:
///
///   baas diff --from postgres://app@localhost/shop      # database → baas.toml
///   baas diff --from old.toml --to baas.toml --format json
///
/// `--format sql` prints the script that carries the changes out;
/// `--rename` says which drop + add pairs are renames. Migration snapshots
/// as sides come with `baas migrate`.
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

pub async fn run(args: DiffArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let renames = parse_renames(&args.rename)?;
    let Some(from) = args.from.as_deref() else {
        return Err(UsageError::new("no \"before\" side to compare")
            .with_hint(
                "pass --from with a manifest, a database URL or a schema file; \
                 comparing with the last migration comes with `baas migrate`",
            )
            .into());
    };
    let before = side(from, cx).await?;
    let after = match args.to.as_deref() {
        Some(to) => side(to, cx).await?,
        None => manifest::load_file(&cx.manifest_path)?.manifest,
    };
    let changes = crate::diff::diff_with_renames(&before, &after, &renames);
    if matches!(args.format, DiffFormat::Sql) || args.dialect.is_some() {
        return print_sql(&args, &before, &after, &changes, cx);
    }
    let count = |safety: Safety| changes.iter().filter(|c| c.safety == safety).count();
    if cx.printer.json_mode() || matches!(args.format, DiffFormat::Json) {
        cx.printer.json(&json!({
            "changes": changes,
            "summary": {
                "safe": count(Safety::Safe),
                "needs_review": count(Safety::NeedsReview),
                "destructive": count(Safety::Destructive),
            },
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
    cx.printer.status(&format!(
        "{} change(s): {} safe, {} to review, {} destructive",
        changes.len(),
        count(Safety::Safe),
        count(Safety::NeedsReview),
        count(Safety::Destructive)
    ));
    Ok(ExitStatus::Success)
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
        Some(SqlDialect::Postgres) => Target::Postgres,
        Some(SqlDialect::Mysql) => Target::Mysql,
        Some(SqlDialect::Sqlite) => Target::Sqlite,
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

/// One side of the comparison: a manifest file, or anything `introspect` reads.
async fn side(spec: &str, cx: &Context) -> anyhow::Result<Manifest> {
    let path = cx.cwd.join(spec);
    if spec.ends_with(".toml") {
        return Ok(manifest::load_file(&path)?.manifest);
    }
    let location = SourceLocation::parse(spec, &cx.cwd)?;
    let progress = Progress::new(cx.printer.progress_allowed(), "reading");
    let result = introspect(&location, &IntrospectOptions::default(), &progress).await;
    progress.finish();
    Ok(result?.manifest)
}

pub(crate) fn safety_label(safety: Safety) -> &'static str {
    match safety {
        Safety::Safe => "safe",
        Safety::NeedsReview => "review",
        Safety::Destructive => "DESTRUCTIVE",
    }
}

/// A short name for the change and the object it touches.
pub(crate) fn describe(change: &Change) -> (String, String) {
    let pair = |what: &str, object: String| (what.to_owned(), object);
    match &change.kind {
        ChangeKind::AddEnum { name } => pair("add enum", name.clone()),
        ChangeKind::DropEnum { name } => pair("drop enum", name.clone()),
        ChangeKind::AddEnumValue { name, value } => {
            pair("add enum value", format!("{name}.{value}"))
        }
        ChangeKind::RemoveEnumValue { name, value } => {
            pair("remove enum value", format!("{name}.{value}"))
        }
        ChangeKind::AddEntity { entity } => pair("add entity", entity.clone()),
        ChangeKind::DropEntity { entity } => pair("drop entity", entity.clone()),
        ChangeKind::RenameEntityCandidate { from, to } => pair("rename?", format!("{from} → {to}")),
        ChangeKind::RenameEntity { from, to } => pair("rename entity", format!("{from} → {to}")),
        ChangeKind::AddField { entity, field } => pair("add field", format!("{entity}.{field}")),
        ChangeKind::DropField { entity, field } => pair("drop field", format!("{entity}.{field}")),
        ChangeKind::AlterField { entity, field, .. } => {
            pair("alter field", format!("{entity}.{field}"))
        }
        ChangeKind::RenameFieldCandidate { entity, from, to } => {
            pair("rename?", format!("{entity}.{from} → {entity}.{to}"))
        }
        ChangeKind::RenameField { entity, from, to } => {
            pair("rename field", format!("{entity}.{from} → {entity}.{to}"))
        }
        ChangeKind::ChangePrimaryKey { entity, .. } => pair("primary key", entity.clone()),
        ChangeKind::AddIndex { entity, index } => pair("add index", format!("{entity}.{index}")),
        ChangeKind::DropIndex { entity, index } => pair("drop index", format!("{entity}.{index}")),
        ChangeKind::AddRelation {
            entity,
            fields,
            target,
        } => pair(
            "add relation",
            format!("{entity}({}) → {target}", fields.join(", ")),
        ),
        ChangeKind::DropRelation {
            entity,
            fields,
            target,
        } => pair(
            "drop relation",
            format!("{entity}({}) → {target}", fields.join(", ")),
        ),
        ChangeKind::AddUnique { entity, fields } => {
            pair("add unique", format!("{entity}({})", fields.join(", ")))
        }
        ChangeKind::DropUnique { entity, fields } => {
            pair("drop unique", format!("{entity}({})", fields.join(", ")))
        }
        ChangeKind::AddCheck { entity, .. } => pair("add check", entity.clone()),
        ChangeKind::DropCheck { entity, .. } => pair("drop check", entity.clone()),
        ChangeKind::AlterEntity { entity, .. } => pair("alter entity", entity.clone()),
    }
}
