//! What several commands share: finding the database to work on, showing a
//! list of changes, durations. Commands import this, never each other.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::diff::{Change, ChangeKind, Safety};
use crate::manifest;
use crate::settings::{self, DotenvWrite, Environment};
use crate::source::SourceLocation;
use crate::ui::table;

/// Options shared by every migrate command.
#[derive(Debug, clap::Args)]
pub struct MigrationsDir {
    /// Folder holding the migrations [default: `migrations` beside the manifest]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl MigrationsDir {
    /// The folder: `--dir` (from the working directory), or `migrations`
    /// beside the manifest.
    pub fn resolve(&self, cx: &Context) -> PathBuf {
        match &self.dir {
            Some(dir) => cx.cwd.join(dir),
            None => manifest_dir(cx).join("migrations"),
        }
    }
}

/// SQL dialects `baas` renders.
pub use crate::database::SqlDialect;

/// The folder of the manifest.
fn manifest_dir(cx: &Context) -> PathBuf {
    cx.manifest_path
        .parent()
        .map_or_else(|| cx.cwd.clone(), Path::to_owned)
}

/// The database to work on: `--db` (or `BAAS_DATABASE_URL`), else the
/// manifest's `[source] url` with `${VAR}` resolved (SQLite paths relative
/// to the manifest).
pub(crate) fn database(url: Option<&str>, cx: &Context) -> anyhow::Result<SourceLocation> {
    if let Some(url) = url {
        return Ok(SourceLocation::parse(url, &cx.cwd)?);
    }
    let path = &cx.manifest_path;
    let text = std::fs::read_to_string(path).map_err(|source| manifest::LoadError::Read {
        path: path.clone(),
        source,
    })?;
    let header = match manifest::load::load_header(path, &text) {
        Some(header) => header,
        // Not a manifest: load it in full for the problems, with their lines.
        None => manifest::load_file(path)?.manifest,
    };
    let no_url = || {
        UsageError::new("no database to migrate").with_hint(
            "pass --db URL (or set BAAS_DATABASE_URL), or set `[source] url` in baas.toml",
        )
    };
    let url = header.source.and_then(|s| s.url).ok_or_else(no_url)?;
    let directory = manifest_dir(cx);
    let resolved = Environment::load(&directory)?
        .interpolate(&url)
        .map_err(|e| {
            UsageError::new(format!("cannot resolve `[source] url`: {e}"))
                .with_hint("set the variable in the environment or in .env beside baas.toml")
        })?;
    Ok(SourceLocation::parse(&resolved, &directory)?)
}

/// The database as messages show it: a SQLite file relative to the working
/// directory, a URL without its password.
pub(crate) fn shown(location: &SourceLocation, cx: &Context) -> String {
    match location {
        SourceLocation::Sqlite { path } => cx.display_path(path),
        _ => location.to_string(),
    }
}

/// The changes as a table, destructive ones in red.
pub(crate) fn changes_table(changes: &[Change], cx: &Context) -> String {
    let mut rows = table::new(&["safety", "change", "object", "reason"]);
    for change in changes {
        let (what, object) = describe(change);
        let label = safety_label(change.safety);
        let label = if change.safety == Safety::Destructive && cx.printer.color() {
            cx.printer.red(label)
        } else {
            label.to_owned()
        };
        rows.add_row(vec![label, what, object, change.reason.clone()]);
    }
    rows.to_string()
}

/// `{safe, needs-review, destructive}` counts (the names `Safety` serializes to).
pub(crate) fn summary(changes: &[Change]) -> serde_json::Value {
    let count = |safety: Safety| changes.iter().filter(|c| c.safety == safety).count();
    serde_json::json!({
        "safe": count(Safety::Safe),
        "needs-review": count(Safety::NeedsReview),
        "destructive": count(Safety::Destructive),
    })
}

/// `3 change(s): 2 safe, 0 needs-review, 1 destructive`
pub(crate) fn summary_line(changes: &[Change]) -> String {
    let count = |safety: Safety| changes.iter().filter(|c| c.safety == safety).count();
    format!(
        "{} change(s): {} safe, {} needs-review, {} destructive",
        changes.len(),
        count(Safety::Safe),
        count(Safety::NeedsReview),
        count(Safety::Destructive)
    )
}

/// A duration for progress lines: `12 ms`, `5.01 s`.
pub(crate) fn human_duration(duration: Duration) -> String {
    if duration.as_secs() >= 1 {
        format!("{:.2} s", duration.as_secs_f64())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// How a change's safety reads in a table.
pub(crate) fn safety_label(safety: Safety) -> &'static str {
    match safety {
        Safety::Safe => "safe",
        Safety::NeedsReview => "needs-review",
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
        ChangeKind::AddObject { object } => pair("add", object.clone()),
        ChangeKind::DropObject { object } => pair("drop", object.clone()),
        ChangeKind::AlterObject { object } => pair("alter", object.clone()),
        ChangeKind::AddPolicy { entity, name } => pair("add policy", format!("{entity}.{name}")),
        ChangeKind::DropPolicy { entity, name } => pair("drop policy", format!("{entity}.{name}")),
        ChangeKind::SetRowSecurity { entity, enabled } => pair(
            if *enabled {
                "enable row security"
            } else {
                "disable row security"
            },
            entity.clone(),
        ),
    }
}

/// Says where the password went (`init` and `introspect` say the same).
pub(crate) fn report_dotenv(cx: &Context, write: DotenvWrite, directory: &Path, password: &str) {
    let env = cx.display_path(&directory.join(".env"));
    let variable = settings::PASSWORD_VARIABLE;
    let what = match write {
        DotenvWrite::Added => format!("went to `{env}` as {variable}"),
        DotenvWrite::Unchanged => format!("is already in `{env}` as {variable}"),
        DotenvWrite::Replaced => format!("replaced the value of {variable} in `{env}`"),
    };
    cx.printer.status(&format!(
        "{} the connection string's password {what}; baas.toml refers to ${{{variable}}}. \
         Keep .env out of git.",
        cx.printer.cyan("note:")
    ));
    if std::env::var(variable).is_ok_and(|value| value != password) {
        cx.printer.warn(&format!(
            "{variable} is also set in the environment, which wins over `{env}`"
        ));
    }
}

/// `--tenants` and `--concurrency`: the commands that work on one database
/// can work on the tenants of the registry instead.
#[derive(Debug, clap::Args)]
pub struct TenantsArgs {
    /// Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas
    #[arg(long, value_name = "all|SLUG,...", conflicts_with = "db")]
    pub tenants: Option<String>,
    /// How many tenants to work on at once (with --tenants)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        value_parser = clap::value_parser!(u16).range(1..=256)
    )]
    pub concurrency: u16,
}

/// The tenants of the manifest (its `[tenancy]`, registry and migrations
/// folder `migrations`); refused without `[tenancy]`.
pub(crate) fn open_tenants(
    cx: &Context,
    migrations: PathBuf,
) -> anyhow::Result<crate::tenancy::Tenants> {
    let manifest = manifest::load_file(&cx.manifest_path)?.manifest;
    crate::tenancy::Tenants::open(&manifest, &cx.manifest_path, migrations)
        .map_err(crate::tenancy::TenancyError::into_error)?
        .ok_or_else(|| {
            UsageError::new(format!(
                "`{}` has no `[tenancy]` section",
                cx.display_path(&cx.manifest_path)
            ))
            .with_hint(
                "add `[tenancy]` with `strategy = \"file\"` (SQLite) or `\"schema\"` (PostgreSQL)",
            )
            .into()
        })
}

/// The tenants `--tenants` names, refused (before any is touched) when one
/// is unknown or not provisioned.
pub(crate) fn selected_tenants(
    tenants: &crate::tenancy::Tenants,
    text: &str,
) -> anyhow::Result<Vec<crate::tenancy::TenantRecord>> {
    use crate::tenancy::{TenancyError, fanout};
    let selection = fanout::Selection::parse(text).map_err(TenancyError::into_error)?;
    fanout::select(tenants, &selection).map_err(TenancyError::into_error)
}
