//! `baas migrate down`: undo the newest applied migrations.

use std::time::{Duration, Instant};

use serde_json::json;

use super::apply::refusal;
use super::{DownArgs, steps};
use crate::ExitStatus;
use crate::commands::shared::{database, human_duration, shown};
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::migrate::folder::{self, Migration};
use crate::migrate::history::{self, AppliedMigration};
use crate::migrate::runner::{Direction, Missing, Runner, Step};
use crate::migrate::{MigrateError, Target};

pub async fn run(args: DownArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    if args.count == 0 {
        return Err(UsageError::new("nothing to undo: the count is 0")
            .with_hint("`baas migrate down` undoes the newest applied migration, `down 3` the newest three")
            .into());
    }
    if let Some(selection) = &args.tenants.tenants {
        let request = super::tenants::Request {
            tenants: &args.tenants,
            selection,
            dir: args.migrations.resolve(cx),
            work: crate::tenancy::fanout::Work::Down {
                count: args.count,
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
    let mut runner = crate::backend::runner(&location, Missing::Fail).await?;
    let target = runner.target();
    let migrations = folder::load(&dir, target).map_err(MigrateError::from)?;

    let applied = runner.applied().await?;
    let chosen = newest_applied(&migrations, &applied, args.count)?;
    if chosen.is_empty() {
        if cx.printer.json_mode() {
            cx.printer.json(&json!({ "ok": true, "undone": [] }))?;
        } else {
            cx.printer.success(
                "Nothing to undo",
                &format!("`{shown}` has no applied migration"),
            );
        }
        return Ok(ExitStatus::Success);
    }
    if chosen.len() < args.count {
        // Undo what there is, and say that it is less than asked.
        cx.printer.warn(&format!(
            "asked to undo {} migration(s), but only {} {} applied to `{shown}`: undoing {}",
            args.count,
            chosen.len(),
            if chosen.len() == 1 { "is" } else { "are" },
            if chosen.len() == 1 { "it" } else { "them" }
        ));
    }
    let numbers: Vec<u32> = chosen.iter().map(|m| m.number()).collect();
    let steps = prepare_all(&chosen, target, runner.transactional())?;
    if args.dry_run {
        steps::print_dry_run(cx, &steps, target)?;
        cx.printer.status(&format!(
            "Dry run: {} migration(s) would be undone on `{shown}`; nothing was changed",
            steps.len()
        ));
        return Ok(ExitStatus::Success);
    }
    steps::confirm_destructive(cx, &steps, target)?;

    let started = Instant::now();
    let printer = &cx.printer;
    runner
        .lock(Duration::from_secs(args.lock_timeout), &|| {
            printer.status("Waiting for another `baas migrate` to finish...");
        })
        .await?;
    let result = locked(cx, &mut runner, &migrations, &numbers, target).await;
    let unlocked = runner.unlock().await;
    let done = result?;
    unlocked?;

    if cx.printer.json_mode() {
        let undone: Vec<_> = done
            .iter()
            .map(|d| json!({"number": d.number, "name": d.name, "execution_ms": d.elapsed.as_millis() as u64}))
            .collect();
        cx.printer.json(&json!({
            "ok": true,
            "database": shown.clone(),
            "requested": args.count,
            "undone": undone,
        }))?;
    } else {
        cx.printer.success(
            "Undid",
            &format!(
                "{} migration(s) on `{shown}` in {}",
                done.len(),
                human_duration(started.elapsed())
            ),
        );
    }
    Ok(ExitStatus::Success)
}

/// Under the lock: undo those of `numbers` still applied, provided nothing
/// newer was applied meanwhile.
async fn locked(
    cx: &Context,
    runner: &mut Runner,
    migrations: &[Migration],
    numbers: &[u32],
    target: Target,
) -> anyhow::Result<Vec<crate::migrate::steps::Done>> {
    let applied = runner.applied().await?;
    let still: Vec<&Migration> = migrations
        .iter()
        .rev()
        .filter(|m| numbers.contains(&m.number()) && applied.iter().any(|a| a.number == m.number()))
        .collect();
    if let Some(oldest) = still.last()
        && let Some(newer) = applied
            .iter()
            .find(|a| a.number > oldest.number() && !numbers.contains(&a.number))
    {
        return Err(MigrateError::refused(
            format!(
                "`{}` was applied while this command waited for the lock",
                folder::folder_name(newer.number, &newer.name)
            ),
            "run `baas migrate status` and `baas migrate down` again",
        )
        .into());
    }
    let steps = prepare_all(&still, target, runner.transactional())?;
    Ok(steps::run(cx, runner, &steps).await?)
}

/// The newest `count` applied migrations, newest first, each with its files
/// as they were applied.
fn newest_applied<'a>(
    migrations: &'a [Migration],
    applied: &[AppliedMigration],
    count: usize,
) -> Result<Vec<&'a Migration>, MigrateError> {
    history::newest_applied(migrations, applied, count).map_err(refusal)
}

fn prepare_all<'a>(
    chosen: &[&'a Migration],
    target: Target,
    transactional: bool,
) -> Result<Vec<Step<'a>>, MigrateError> {
    chosen
        .iter()
        .map(|m| crate::migrate::steps::prepare(m, Direction::Down, target, transactional))
        .collect()
}
