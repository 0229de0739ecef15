//! `baas check`: drift detection for CI.

use serde_json::json;

use crate::ExitStatus;
use crate::backend::introspect;
use crate::commands::shared::{
    MigrationsDir, TenantsArgs, changes_table, open_tenants, selected_tenants, shown, summary,
    summary_line,
};
use crate::context::Context;
use crate::diff::{Change, Safety};
use crate::manifest::{self, Manifest};
use crate::migrate::MigrateError;
use crate::migrate::folder;
use crate::source::IntrospectOptions;
use crate::source::SourceLocation;
use crate::tenancy::fanout;
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
/// For a manifest imported from an API document (OpenAPI, GraphQL) or
/// served from an upstream (`[source] engine = "http"`), --url takes the
/// document's URL or file: what the upstream changed since baas.toml was
/// made (entities, fields and types, operations) is the drift, "add" being
/// what the upstream added.
///
/// With --tenants (`all`, or `a,b`), checks the live schema of every tenant
/// named against baas.toml, N at a time (--concurrency), and names the
/// tenants that drifted (someone changed one by hand); --json prints an
/// array, one object per tenant.
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
    pub tenants: TenantsArgs,
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
    if let Some(selection) = &args.tenants.tenants {
        return tenants(&args, selection, cx).await;
    }
    let working = manifest::load_file(&cx.manifest_path)?.manifest;
    let manifest_name = cx.display_path(&cx.manifest_path);
    let (against, changes, fix) = match &args.db {
        Some(url) => {
            let location = SourceLocation::parse(url, &cx.cwd)?;
            if crate::backend::Backend::of(&location).is_none()
                && crate::upstream::drift::is_api_manifest(&working)
            {
                // The document of the upstream API the manifest serves.
                let spec = live_schema(&location, Vec::new(), cx).await?;
                (
                    format!("the upstream document `{}`", shown(&location, cx)),
                    crate::upstream::drift::drift(&working, &spec),
                    "the upstream API changed: read its document in again (`baas introspect \
                     URL`), or change baas.toml to match it",
                )
            } else {
                let shown = shown(&location, cx);
                let schemas = working
                    .source
                    .as_ref()
                    .map(|s| s.schemas.clone())
                    .unwrap_or_default();
                let mut live = live_schema(&location, schemas, cx).await?;
                // The database's tables under the manifest's names.
                crate::diff::named_like(&mut live, &working);
                (
                    format!("the database `{shown}`"),
                    // The database is "before": the changes are what it takes
                    // to get to baas.toml.
                    crate::diff::diff(&live, &working),
                    "plan and apply the missing migrations (`baas migrate apply`), or, if the database \
                 was changed by hand, bring it back or read it in with `baas introspect`",
                )
            }
        }
        None => {
            let dir = args.migrations.resolve(cx);
            folder::list(&dir).map_err(MigrateError::from)?;
            match folder::latest_snapshot(&dir)? {
                Some((migration, snapshot)) => (
                    format!("migration `{}`", migration.id()),
                    crate::diff::diff(&snapshot, &working),
                    "plan the changes: `baas migrate plan --name NAME`",
                ),
                None => (
                    format!("`{}` (no migrations yet)", cx.display_path(&dir)),
                    crate::diff::diff(
                        &Manifest {
                            project: working.project.clone(),
                            source: working.source.clone(),
                            ..Manifest::default()
                        },
                        &working,
                    ),
                    "plan the changes: `baas migrate plan --name NAME`",
                ),
            }
        }
    };
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

/// `check --tenants`: every tenant's live schema against baas.toml.
async fn tenants(args: &CheckArgs, selection: &str, cx: &Context) -> anyhow::Result<ExitStatus> {
    let tenants = open_tenants(cx, args.migrations.resolve(cx))?;
    let records = selected_tenants(&tenants, selection)?;
    let progress = Progress::new(cx.printer.progress_allowed(), "reading tenants");
    progress.set_length(records.len() as u64);
    let drifts = fanout::drift(
        &tenants,
        records,
        usize::from(args.tenants.concurrency),
        &|drift| {
            progress.set_message(drift.record.slug.clone());
            progress.inc(1);
        },
    )
    .await;
    progress.finish();
    let failing = |changes: &[Change]| changes.iter().any(|c| args.fail_on.fails(c.safety));
    if cx.printer.json_mode() {
        let rows: Vec<_> = drifts
            .iter()
            .map(|drift| match &drift.result {
                Ok(changes) => json!({
                    "tenant": drift.record.slug,
                    "drift": !changes.is_empty(),
                    "failed": failing(changes),
                    "changes": changes,
                    "summary": summary(changes),
                }),
                Err(error) => json!({
                    "tenant": drift.record.slug,
                    "error": error.to_string(),
                }),
            })
            .collect();
        cx.printer.json(&rows)?;
    } else {
        for drift in &drifts {
            match &drift.result {
                Ok(changes) if changes.is_empty() => {}
                Ok(changes) => {
                    cx.printer.status(&format!(
                        "tenant `{}`: {}",
                        drift.record.slug,
                        summary_line(changes)
                    ));
                    if !cx.printer.quiet() {
                        cx.printer
                            .data(&format!("{}\n", changes_table(changes, cx)))?;
                    }
                }
                Err(error) => cx.printer.stderr(&format!(
                    "{} tenant `{}`: {error}",
                    cx.printer.red("failed:"),
                    drift.record.slug
                )),
            }
        }
    }
    let named = |keep: &dyn Fn(&fanout::Drift) -> bool| -> Vec<String> {
        drifts
            .iter()
            .filter(|d| keep(d))
            .map(|d| format!("`{}`", d.record.slug))
            .collect()
    };
    let unread = named(&|d| d.result.is_err());
    let drifted = named(&|d| d.result.as_ref().is_ok_and(|c| failing(c)));
    let warned = named(&|d| {
        d.result
            .as_ref()
            .is_ok_and(|c| !c.is_empty() && !failing(c))
    });
    let total = drifts.len();
    if !unread.is_empty() && cx.printer.json_mode() {
        // One JSON document on stdout (the array); the error on stderr.
        cx.printer.stderr(&format!(
            "error: {} of {total} tenant(s) could not be read: {}",
            unread.len(),
            unread.join(", ")
        ));
        return Ok(ExitStatus::CannotConnect);
    }
    if !unread.is_empty() {
        return Err(MigrateError::Connect {
            target: format!("tenant(s) {}", unread.join(", ").replace('`', "")),
            reason: format!(
                "{} of {total} tenant(s) could not be read{}",
                unread.len(),
                if drifted.is_empty() {
                    String::new()
                } else {
                    format!("; drift in {}", drifted.join(", "))
                }
            ),
        }
        .into());
    }
    if !warned.is_empty() && !cx.printer.json_mode() {
        cx.printer.warn(&format!(
            "drift in {} below `--fail-on`, so it passes",
            warned.join(", ")
        ));
    }
    if drifted.is_empty() {
        if !cx.printer.json_mode() {
            cx.printer.success(
                "No drift:",
                &format!(
                    "{total} tenant(s) match {}",
                    cx.display_path(&cx.manifest_path)
                ),
            );
        }
        return Ok(ExitStatus::Success);
    }
    if !cx.printer.json_mode() {
        cx.printer.stderr(&format!(
            "{} drift in {} of {total} tenant(s): {}\n\n{} a tenant's schema was changed by hand \
             (or a migration was not applied to it): bring it back, or run `baas migrate apply \
             --tenants {}`",
            cx.printer.red("error:"),
            drifted.len(),
            drifted.join(", "),
            cx.printer.cyan("hint:"),
            drifted.join(",").replace('`', "")
        ));
    }
    Ok(ExitStatus::Found)
}
