//! `baas check`: drift detection for CI.

use serde_json::json;

use crate::ExitStatus;
use crate::backend::introspect;
use crate::commands::shared::{MigrationsDir, changes_table, shown, summary, summary_line};
use crate::context::Context;
use crate::diff::{Change, Safety};
use crate::manifest::{self, Manifest};
use crate::migrate::MigrateError;
use crate::migrate::folder;
use crate::source::IntrospectOptions;
use crate::source::SourceLocation;
use crate::ui::Progress;

/// Fail when the schema drifted; made for CI.
///
/// Without --db, checks that every change in baas.toml is planned: the
/// working manifest must equal the snapshot of the newest migration (no
/// database needed). With --db, checks the live database against
/// baas.toml (the `_baas_migrations` history table is not part of the
/// schema). Drift is printed as a table, or as JSON with --json:
/// {"drift": bool, "failed": bool, "changes": [...]}.
///
/// Exit codes: 0 clean, 1 drift, 2 bad input (a manifest or migration that
/// does not load), 3 cannot connect.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CheckArgs {
    /// Database to compare with the manifest [default: no database, compare with migrations]
    #[arg(
        long,
        alias = "url",
        env = "BAAS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub db: Option<String>,
    /// Which drift fails the check; below that level, drift is only a warning
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FailOn {
    /// Fail only when drift includes destructive changes
    Destructive,
    /// Fail when drift includes destructive changes or changes to review
    #[value(alias = "needs_review", alias = "review")]
    NeedsReview,
    /// Fail on any drift
    Any,
}

impl FailOn {
    fn fails(self, safety: Safety) -> bool {
        match self {
            Self::Destructive => safety == Safety::Destructive,
            Self::NeedsReview => safety >= Safety::NeedsReview,
            Self::Any => true,
        }
    }
}

pub async fn run(args: CheckArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let working = manifest::load_file(&cx.manifest_path)?.manifest;
    let manifest_name = cx.display_path(&cx.manifest_path);
    let (against, before, fix) = match &args.db {
        Some(url) => {
            let location = SourceLocation::parse(url, &cx.cwd)?;
            let shown = shown(&location, cx);
            let schemas = working
                .source
                .as_ref()
                .map(|s| s.schemas.clone())
                .unwrap_or_default();
            let live = live_schema(&location, schemas, cx).await?;
            (
                format!("the database `{shown}`"),
                live,
                "plan and apply the missing migrations (`baas migrate apply`), or, if the database \
                 was changed by hand, bring it back or read it in with `baas introspect`",
            )
        }
        None => {
            let dir = args.migrations.resolve(cx);
            folder::list(&dir).map_err(MigrateError::from)?;
            match folder::latest_snapshot(&dir)? {
                Some((migration, snapshot)) => (
                    format!("migration `{}`", migration.id()),
                    snapshot,
                    "plan the changes: `baas migrate plan --name NAME`",
                ),
                None => (
                    format!("`{}` (no migrations yet)", cx.display_path(&dir)),
                    Manifest {
                        project: working.project.clone(),
                        source: working.source.clone(),
                        ..Manifest::default()
                    },
                    "plan the changes: `baas migrate plan --name NAME`",
                ),
            }
        }
    };
    // The database (or last migration) is "before": the changes are what
    // it takes to get to baas.toml.
    let changes = crate::diff::diff(&before, &working);
    let failing: Vec<&Change> = changes
        .iter()
        .filter(|c| args.fail_on.fails(c.safety))
        .collect();
    let failed = !failing.is_empty();
    let status = if failed {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    };
    if cx.printer.json_mode() {
        cx.printer.json(&json!({
            "drift": !changes.is_empty(),
            "failed": failed,
            "against": against,
            "changes": changes,
            "summary": summary(&changes),
        }))?;
        return Ok(status);
    }
    if changes.is_empty() {
        cx.printer
            .success("No drift:", &format!("{manifest_name} matches {against}"));
        return Ok(status);
    }
    // `--quiet`: the exit code and the error line say it all.
    if !cx.printer.quiet() {
        cx.printer
            .data(&format!("{}\n", changes_table(&changes, cx)))?;
    }
    let line = format!(
        "drift between {against} and {manifest_name}: {}",
        summary_line(&changes)
    );
    if failed {
        cx.printer.stderr(&format!(
            "{} {line}\n\n{} {fix}",
            cx.printer.red("error:"),
            cx.printer.cyan("hint:")
        ));
    } else {
        let option = match args.fail_on {
            FailOn::Destructive => "destructive",
            FailOn::NeedsReview => "needs-review",
            FailOn::Any => "any",
        };
        cx.printer.warn(&format!(
            "{line}; none fails `--fail-on {option}`, so the check passes"
        ));
    }
    Ok(status)
}

/// The live schema.
async fn live_schema(
    location: &SourceLocation,
    schemas: Vec<String>,
    cx: &Context,
) -> anyhow::Result<Manifest> {
    let options = IntrospectOptions {
        schemas,
        ..IntrospectOptions::default()
    };
    let progress = Progress::new(cx.printer.progress_allowed(), "reading");
    let result = introspect(location, &options, &progress).await;
    progress.finish();
    // `_baas_migrations` is left out by the introspector.
    Ok(result?.manifest)
}
