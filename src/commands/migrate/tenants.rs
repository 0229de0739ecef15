//! `baas migrate apply|status|down --tenants`: the same command on every
//! tenant named (the work is in [`crate::tenancy::fanout`]), with a
//! progress bar, a table (a JSON array with --json) and an exit code that
//! names the tenants that failed.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use super::steps;
use crate::ExitStatus;
use crate::commands::shared::{TenantsArgs, human_duration, open_tenants, selected_tenants};
use crate::context::Context;
use crate::migrate::MigrateError;
use crate::migrate::runner::Direction;
use crate::tenancy::fanout::{self, FanOut, Folders, Outcome, Work};
use crate::tenancy::{Place, TenancyError, TenantRecord};
use crate::ui::{Progress, table};

/// What the command was asked, beside `--tenants`.
pub(super) struct Request<'a> {
    pub tenants: &'a TenantsArgs,
    pub selection: &'a str,
    pub dir: PathBuf,
    pub work: Work,
    pub lock_timeout: Duration,
    /// `status --fail-on pending`.
    pub fail_on_pending: bool,
}

pub(super) async fn run(request: Request<'_>, cx: &Context) -> anyhow::Result<ExitStatus> {
    let tenants = open_tenants(cx, request.dir.clone())?;
    let records = selected_tenants(&tenants, request.selection)?;
    let folders = Folders::load(&tenants, &records).map_err(TenancyError::into_error)?;
    let confirmed = confirm(cx, &request.work, &records, &folders)?;
    let fan_out = FanOut {
        work: request.work.clone(),
        lock_timeout: request.lock_timeout,
        concurrency: usize::from(request.tenants.concurrency),
        confirmed,
    };
    let count = records.len();
    let progress = Progress::new(cx.printer.progress_allowed(), verb(&request.work).0);
    progress.set_length(count as u64);
    let started = Instant::now();
    let outcomes = fanout::run(&tenants, records, &folders, &fan_out, &|outcome| {
        progress.set_message(outcome.record.slug.clone());
        progress.inc(1);
    })
    .await;
    progress.finish();
    print(cx, &request.work, &outcomes)?;
    finish(cx, &request, &outcomes, started.elapsed())
}

/// What a run does, for the progress bar and the summary.
fn verb(work: &Work) -> (&'static str, &'static str) {
    match work {
        Work::Apply { dry_run: false } => ("migrating tenants", "applied"),
        Work::Apply { dry_run: true } => ("reading tenants", "to apply"),
        Work::Down { dry_run: false, .. } => ("undoing on tenants", "undone"),
        Work::Down { dry_run: true, .. } => ("reading tenants", "to undo"),
        Work::Status => ("reading tenants", "applied"),
    }
}

/// Asks once, before any tenant is touched, for the destructive statements
/// the tenants may run: those of the migrations above a tenant's version in
/// the registry (apply), or of its newest applied ones (down). A tenant that
/// would run another one is refused on its own.
fn confirm(
    cx: &Context,
    work: &Work,
    records: &[TenantRecord],
    folders: &Folders,
) -> anyhow::Result<BTreeSet<u32>> {
    let versions: Vec<i64> = records
        .iter()
        .map(|r| r.schema_version.unwrap_or(0))
        .collect();
    let mut confirmed = BTreeSet::new();
    for (target, migrations) in folders.by_target() {
        let wanted = |number: u32| match work {
            Work::Apply { dry_run: false } => versions.iter().any(|v| i64::from(number) > *v),
            Work::Down {
                count,
                dry_run: false,
            } => versions.iter().any(|v| {
                i64::from(number) <= *v
                    && migrations
                        .iter()
                        .filter(|m| m.number() > number && i64::from(m.number()) <= *v)
                        .count()
                        < *count
            }),
            _ => false,
        };
        let direction = match work {
            Work::Down { .. } => Direction::Down,
            _ => Direction::Up,
        };
        let chosen = migrations
            .iter()
            .filter(|m| wanted(m.number()))
            .map(|m| crate::migrate::steps::prepare(m, direction, target, false))
            .collect::<Result<Vec<_>, _>>()?;
        confirmed.extend(steps::confirm_destructive(cx, &chosen, target)?);
    }
    Ok(confirmed)
}

/// The table (or the JSON array) of outcomes, one row per tenant.
fn print(cx: &Context, work: &Work, outcomes: &[Outcome]) -> anyhow::Result<()> {
    if cx.printer.json_mode() {
        let rows: Vec<_> = outcomes.iter().map(outcome_json).collect();
        cx.printer.json(&rows)?;
        return Ok(());
    }
    if outcomes.is_empty() {
        return Ok(());
    }
    let status = matches!(work, Work::Status);
    // `status`: how many are applied and which are pending; the others:
    // what this run did (or would) and how many are still pending.
    let headers = if status {
        ["tenant", "state", "applied", "pending", "version", "time"]
    } else {
        [
            "tenant",
            "result",
            verb(work).1,
            "pending",
            "version",
            "time",
        ]
    };
    let mut output = table::new(&headers);
    let red = |text: &str| {
        if cx.printer.color() {
            cx.printer.red(text)
        } else {
            text.to_owned()
        }
    };
    for outcome in outcomes {
        let (result, listed, pending, version) = match &outcome.result {
            Ok(report) => {
                let result = if !report.modified.is_empty() || !report.missing_file.is_empty() {
                    red(&format!(
                        "{} modified, {} missing-file",
                        report.modified.len(),
                        report.missing_file.len()
                    ))
                } else if status && !report.synced.is_empty() && !report.pending.is_empty() {
                    // `apply` records a baseline first (`tenancy::baseline`).
                    "synced from the manifest: apply records a baseline".to_owned()
                } else if status && !report.synced.is_empty() {
                    "synced from the manifest".to_owned()
                } else if status || !report.done.is_empty() || !report.baselined.is_empty() {
                    "ok".to_owned()
                } else if !report.realtime_made.is_empty() {
                    // No migration ran, yet the tenant was not as the
                    // manifest asks: its realtime triggers were made again.
                    "realtime triggers restored".to_owned()
                } else if !report.realtime_dropped.is_empty() {
                    "realtime triggers removed".to_owned()
                } else {
                    "up to date".to_owned()
                };
                let (listed, pending) = if status {
                    (report.applied.to_string(), report.pending.join(", "))
                } else {
                    let baselined = report.baselined.iter().map(|id| format!("{id} (baseline)"));
                    let listed: Vec<String> =
                        baselined.chain(report.done.iter().cloned()).collect();
                    (listed.join(", "), report.pending.len().to_string())
                };
                (
                    result,
                    listed,
                    pending,
                    report.version.map(|v| v.to_string()).unwrap_or_default(),
                )
            }
            Err(_) => (red("failed"), String::new(), String::new(), String::new()),
        };
        output.add_row(vec![
            outcome.record.slug.clone(),
            result,
            listed,
            pending,
            version,
            human_duration(outcome.elapsed),
        ]);
    }
    cx.printer.data(&format!("{output}\n"))?;
    for outcome in outcomes {
        if let Err(error) = &outcome.result {
            cx.printer.stderr(&format!(
                "{} tenant `{}`: {error}",
                cx.printer.red("failed:"),
                outcome.record.slug
            ));
        }
    }
    Ok(())
}

fn outcome_json(outcome: &Outcome) -> serde_json::Value {
    let mut value = json!({
        "tenant": outcome.record.slug,
        "location": Place::parse(&outcome.record.location).shown(),
        "ok": outcome.result.is_ok(),
        "elapsed_ms": outcome.elapsed.as_millis() as u64,
    });
    match &outcome.result {
        Ok(report) => {
            if let (Some(object), Ok(serde_json::Value::Object(fields))) =
                (value.as_object_mut(), serde_json::to_value(report))
            {
                object.extend(fields);
            }
        }
        Err(error) => {
            value["error"] = json!(error.to_string());
            if let Some(hint) = hint(error) {
                value["hint"] = json!(hint);
            }
        }
    }
    value
}

fn hint(error: &TenancyError) -> Option<String> {
    match error {
        TenancyError::Migrate(
            MigrateError::Refused { hint, .. }
            | MigrateError::Failed { hint, .. }
            | MigrateError::Denied { hint, .. },
        ) => Some(hint.clone()),
        other => other.hint(),
    }
}

/// Whether the tenant could not be reached (rather than refused or failed).
fn unreachable(error: &TenancyError) -> bool {
    matches!(
        error,
        TenancyError::Database(_)
            | TenancyError::Migrate(
                MigrateError::Connect { .. } | MigrateError::LockTimeout { .. }
            )
    )
}

/// The summary line and the exit: an error naming the tenants that failed
/// (exit 2, or 3 when none of them could be reached), 1 when `status` found
/// a modified or missing migration (or a pending one, with --fail-on
/// pending), else 0.
fn finish(
    cx: &Context,
    request: &Request<'_>,
    outcomes: &[Outcome],
    elapsed: Duration,
) -> anyhow::Result<ExitStatus> {
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    let reports: Vec<&fanout::Report> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .collect();
    let done: usize = reports.iter().map(|r| r.done.len()).sum();
    let pending: usize = reports.iter().map(|r| r.pending.len()).sum();
    let broken = |r: &&&fanout::Report| !r.modified.is_empty() || !r.missing_file.is_empty();
    let troubled = reports.iter().filter(broken).count();
    let failing = troubled
        + reports
            .iter()
            .filter(|r| !broken(r) && request.fail_on_pending && !r.pending.is_empty())
            .count();
    let total = outcomes.len();
    if total == 0 {
        cx.printer
            .status("No tenants to work on: make one with `baas tenants create SLUG`");
        return Ok(ExitStatus::Success);
    }
    let ok = total - failed.len();
    let elapsed = human_duration(elapsed);
    let (label, line) = match &request.work {
        Work::Apply { dry_run: false } => (
            "Applied",
            format!("{done} migration(s) over {ok} of {total} tenant(s) in {elapsed}"),
        ),
        Work::Down { dry_run: false, .. } => (
            "Undid",
            format!("{done} migration(s) over {ok} of {total} tenant(s) in {elapsed}"),
        ),
        Work::Apply { dry_run: true } => (
            "Dry run:",
            format!(
                "{done} migration(s) would be applied over {total} tenant(s); nothing was changed"
            ),
        ),
        Work::Down { dry_run: true, .. } => (
            "Dry run:",
            format!(
                "{done} migration(s) would be undone over {total} tenant(s); nothing was changed"
            ),
        ),
        Work::Status => (
            "Read",
            format!(
                "{ok} of {total} tenant(s): {pending} migration(s) pending, {troubled} tenant(s) with a modified or missing migration"
            ),
        ),
    };
    if failed.is_empty() {
        cx.printer.success(label, &line);
        return Ok(if failing > 0 {
            ExitStatus::Found
        } else {
            ExitStatus::Success
        });
    }
    let line = format!("{label} {line}");
    cx.printer.status(&line);
    let names = failed
        .iter()
        .map(|o| format!("`{}`", o.record.slug))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!("{} of {total} tenant(s) failed: {names}", failed.len());
    let hint = "the others are done; fix what the lines above say and run the same command \
                again: only what is still pending runs"
        .to_owned();
    let unreachable = failed
        .iter()
        .all(|o| o.result.as_ref().err().is_some_and(unreachable));
    if cx.printer.json_mode() {
        // One JSON document on stdout (the array); the error on stderr.
        cx.printer.stderr(&format!("error: {message}"));
        return Ok(if unreachable {
            ExitStatus::CannotConnect
        } else {
            ExitStatus::BadInput
        });
    }
    let error = if unreachable {
        MigrateError::Connect {
            target: format!("tenant(s) {}", names.replace('`', "")),
            reason: message,
        }
    } else {
        MigrateError::Failed { message, hint }
    };
    Err(error.into())
}
