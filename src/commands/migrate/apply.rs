//! `baas migrate apply`: run the pending migrations.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{ApplyArgs, steps};
use crate::ExitStatus;
use crate::commands::shared::{changes_table, database, human_duration, shown, summary_line};
use crate::context::Context;
use crate::migrate::folder::{self, Migration};
use crate::migrate::history::{self, AppliedMigration, Conflict};
use crate::migrate::runner::{Direction, Missing, Runner, Step};
use crate::migrate::{MigrateError, Target};
use crate::source::SourceLocation;
use crate::tenancy::fanout::Work;

pub async fn run(args: ApplyArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    if let Some(selection) = &args.tenants.tenants {
        if args.baseline {
            return Err(crate::diagnostics::UsageError::new(
                "--baseline works on one database, not with --tenants",
            )
            .with_hint("baseline each tenant's database with `--db URL`")
            .into());
        }
        let request = super::tenants::Request {
            tenants: &args.tenants,
            selection,
            dir: args.migrations.resolve(cx),
            work: Work::Apply {
                dry_run: args.dry_run,
            },
            lock_timeout: Duration::from_secs(args.lock_timeout),
            fail_on_pending: false,
        };
        return super::tenants::run(request, cx).await;
    }
    let location = database(args.db.as_deref(), cx)?;
    let shown = shown(&location, cx);
    let dir = args.migrations.resolve(cx);
    let missing = if args.dry_run {
        Missing::Fail
    } else {
        Missing::Create
    };
    if args.dry_run
        && let SourceLocation::Sqlite { path } = &location
        && !path.exists()
    {
        // A database to be created: everything is pending.
        let migrations = folder::load(&dir, Target::Sqlite).map_err(MigrateError::from)?;
        let pending: Vec<&Migration> = migrations.iter().collect();
        if pending.is_empty() {
            return nothing_to_do(cx, &shown, 0);
        }
        let steps = prepare_all(&pending, Target::Sqlite, true)?;
        return dry_run(
            cx,
            &steps,
            Target::Sqlite,
            &format!("{shown} (to be created)"),
        );
    }
    let mut runner = crate::backend::runner(&location, missing).await?;
    let target = runner.target();
    let migrations = folder::load(&dir, target).map_err(MigrateError::from)?;

    // A first look, without the lock: what to confirm, or that there is nothing to do.
    let applied = runner.applied().await?;
    let pending = pending(&migrations, &applied)?;
    if pending.is_empty() {
        return nothing_to_do(cx, &shown, migrations.len());
    }
    if args.baseline {
        let timeout = Duration::from_secs(args.lock_timeout);
        return baseline(cx, &mut runner, &location, &pending, &shown, timeout).await;
    }
    let steps = prepare_all(&pending, target, runner.transactional())?;
    if args.dry_run {
        return dry_run(cx, &steps, target, &shown);
    }
    let mut confirmed = steps::confirm_destructive(cx, &steps, target)?;

    let started = Instant::now();
    let printer = &cx.printer;
    runner
        .lock(Duration::from_secs(args.lock_timeout), &|| {
            printer.status("Waiting for another `baas migrate` to finish...");
        })
        .await?;
    // Under the lock: another runner may have applied some meanwhile.
    let result = locked(cx, &mut runner, &migrations, target, &mut confirmed).await;
    let unlocked = runner.unlock().await;
    let done = match result {
        Ok(done) => done,
        // The first apply on the database baas.toml was read from: its
        // tables are there already ("already exists"), and `--baseline`
        // is what was meant.
        Err(error)
            if applied.is_empty()
                && error
                    .downcast_ref::<MigrateError>()
                    .is_some_and(|e| matches!(e, MigrateError::Failed { .. })) =>
        {
            return Err(
                match already_applied(cx, &location, &pending, &error).await {
                    Some(refusal) => refusal.into(),
                    None => error,
                },
            );
        }
        Err(error) => return Err(error),
    };
    unlocked?;

    if cx.printer.json_mode() {
        let applied: Vec<_> = done
            .iter()
            .map(|d| json!({"number": d.number, "name": d.name, "execution_ms": d.elapsed.as_millis() as u64}))
            .collect();
        cx.printer
            .json(&json!({ "ok": true, "database": shown.clone(), "applied": applied }))?;
    } else if done.is_empty() {
        cx.printer.success(
            "Up to date:",
            &format!("another runner applied the pending migrations to `{shown}`"),
        );
    } else {
        cx.printer.success(
            "Applied",
            &format!(
                "{} migration(s) to `{shown}` in {}",
                done.len(),
                human_duration(started.elapsed())
            ),
        );
    }
    Ok(ExitStatus::Success)
}

async fn locked(
    cx: &Context,
    runner: &mut Runner,
    migrations: &[Migration],
    target: Target,
    confirmed: &mut std::collections::BTreeSet<u32>,
) -> Result<Vec<crate::migrate::steps::Done>, anyhow::Error> {
    let applied = runner.applied().await?;
    let pending = pending(migrations, &applied)?;
    let steps = prepare_all(&pending, target, runner.transactional())?;
    let unconfirmed: Vec<Step<'_>> = steps
        .iter()
        .filter(|s| {
            !confirmed.contains(&s.migration.number())
                && s.statements.iter().any(|st| st.destructive.is_some())
        })
        .cloned()
        .collect();
    confirmed.extend(steps::confirm_destructive(cx, &unconfirmed, target)?);
    if !steps.is_empty() && !runner.transactional() {
        let engine = if target == Target::Mongodb {
            "MongoDB"
        } else {
            "MySQL"
        };
        cx.printer.status(&format!(
            "note: {engine} cannot run a migration in a transaction; statements run one by one \
             and a failure stops at the failing one"
        ));
    }
    Ok(steps::run(cx, runner, &steps).await?)
}

/// When the first migration failed on a database that already has its
/// schema (the newest pending snapshot equals the live database, or the
/// failing first migration's does), the refusal that says to use
/// `--baseline`.
async fn already_applied(
    cx: &Context,
    location: &SourceLocation,
    pending: &[&Migration],
    failure: &anyhow::Error,
) -> Option<MigrateError> {
    let first = pending.first()?;
    let newest = pending.last()?;
    let options = crate::source::IntrospectOptions::default();
    let live = crate::backend::introspect(location, &options, &crate::ui::Progress::hidden())
        .await
        .ok()?
        .manifest;
    if live.entities.is_empty() {
        return None;
    }
    let matches = |migration: &Migration| {
        let path = migration.dir.snapshot_path();
        path.is_file()
            && crate::manifest::load_file(&path)
                .is_ok_and(|snapshot| crate::diff::diff(&live, &snapshot.manifest).is_empty())
    };
    let (which, all) = if matches(newest) {
        (newest, true)
    } else if matches(first) {
        (first, false)
    } else {
        return None;
    };
    let shown = shown(location, cx);
    let hint = if all {
        "it is the database baas.toml was introspected from: record the migrations as applied \
         without running them with `baas migrate apply --baseline` (it checks the schema first)"
            .to_owned()
    } else {
        format!(
            "it is the database baas.toml was introspected from: record `{}` as applied without \
             running it (`baas migrate apply --baseline` with only it in the folder, then the rest)",
            which.id()
        )
    };
    Some(MigrateError::refused(
        format!(
            "`{shown}` already has the schema of `{}`, so running it failed ({failure})",
            which.id()
        ),
        hint,
    ))
}

/// Records the pending migrations as applied without running them, for a
/// database that already has their schema (the one baas.toml was read
/// from). Refuses unless the database equals the newest one's snapshot.
async fn baseline(
    cx: &Context,
    runner: &mut Runner,
    location: &SourceLocation,
    pending: &[&Migration],
    shown: &str,
    timeout: Duration,
) -> anyhow::Result<ExitStatus> {
    let Some(newest) = pending.last() else {
        return nothing_to_do(cx, shown, 0);
    };
    let snapshot_path = newest.dir.snapshot_path();
    if !snapshot_path.is_file() {
        return Err(MigrateError::refused(
            format!(
                "`{}` has no `baas.toml` snapshot to compare the database with",
                newest.id()
            ),
            "--baseline records migrations as applied only when the database already matches \
             the newest snapshot; plan the migrations with `baas migrate plan`",
        )
        .into());
    }
    let snapshot = crate::manifest::load_file(&snapshot_path)?.manifest;
    let options = crate::source::IntrospectOptions {
        schemas: snapshot
            .source
            .as_ref()
            .map(|s| s.schemas.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    let progress = crate::ui::Progress::new(cx.printer.progress_allowed(), "reading");
    let live = crate::backend::introspect(location, &options, &progress).await;
    progress.finish();
    let changes = crate::diff::diff(&live?.manifest, &snapshot);
    if !changes.is_empty() {
        cx.printer.status(&changes_table(&changes, cx));
        return Err(MigrateError::refused(
            format!(
                "`{shown}` does not match the snapshot of `{}`: {}",
                newest.id(),
                summary_line(&changes)
            ),
            "--baseline is for a database that already has the migrations' schema; apply them \
             instead, or bring the database in line first",
        )
        .into());
    }
    let printer = &cx.printer;
    runner
        .lock(timeout, &|| {
            printer.status("Waiting for another `baas migrate` to finish...");
        })
        .await?;
    let result = record(cx, runner, pending).await;
    let unlocked = runner.unlock().await;
    let recorded = result?;
    unlocked?;
    if cx.printer.json_mode() {
        cx.printer
            .json(&json!({ "ok": true, "database": shown, "baseline": recorded }))?;
    } else {
        cx.printer.success(
            "Baselined",
            &format!(
                "{} migration(s) recorded as applied on `{shown}`; nothing was run",
                recorded.len()
            ),
        );
    }
    Ok(ExitStatus::Success)
}

/// Under the lock: a history row for each migration still pending.
async fn record(
    cx: &Context,
    runner: &mut Runner,
    pending: &[&Migration],
) -> Result<Vec<String>, MigrateError> {
    let applied = runner.applied().await?;
    let pending = pending
        .iter()
        .copied()
        .filter(|migration| !applied.iter().any(|a| a.number == migration.number()));
    runner
        .record_applied(pending, Direction::Up, &mut |migration| {
            cx.printer
                .status(&format!("  {}: recorded as applied", migration.id()));
        })
        .await
        .map_err(|failure| MigrateError::Failed {
            message: format!("`{}` could not be recorded: {}", failure.id, failure.reason),
            hint: "nothing was run; the migrations recorded before it stay recorded".into(),
        })
}

fn dry_run(
    cx: &Context,
    steps: &[Step<'_>],
    target: Target,
    shown: &str,
) -> anyhow::Result<ExitStatus> {
    steps::print_dry_run(cx, steps, target)?;
    cx.printer.status(&format!(
        "Dry run: {} migration(s) would be applied to `{shown}`; nothing was changed",
        steps.len()
    ));
    Ok(ExitStatus::Success)
}

fn prepare_all<'a>(
    pending: &[&'a Migration],
    target: Target,
    transactional: bool,
) -> Result<Vec<Step<'a>>, MigrateError> {
    pending
        .iter()
        .map(|m| crate::migrate::steps::prepare(m, Direction::Up, target, transactional))
        .collect()
}

/// The pending migrations, or why the folder must not be applied.
fn pending<'a>(
    migrations: &'a [Migration],
    applied: &[AppliedMigration],
) -> Result<Vec<&'a Migration>, MigrateError> {
    history::pending(migrations, applied).map_err(refusal)
}

pub(crate) fn refusal(conflict: Conflict) -> MigrateError {
    conflict.into_error()
}

fn nothing_to_do(cx: &Context, database: &str, count: usize) -> anyhow::Result<ExitStatus> {
    if cx.printer.json_mode() {
        cx.printer
            .json(&json!({ "ok": true, "database": database, "applied": [] }))?;
    } else {
        cx.printer.success(
            "Up to date:",
            &format!("`{database}` has all {count} migration(s); nothing to apply"),
        );
    }
    Ok(ExitStatus::Success)
}
