//! What `apply` and `down` share on the terminal: confirming destructive
//! statements, printing a dry run, and a progress line for each step that
//! [`crate::migrate::steps::run`] runs.

use std::collections::BTreeSet;

use serde_json::json;

use crate::commands::shared::human_duration;
use crate::context::Context;
use crate::migrate::runner::{Direction, Runner, Step};
use crate::migrate::split::{self, FileStatement};
use crate::migrate::steps::{Done, Event, file_name};
use crate::migrate::{MigrateError, Target};

/// Asks once for every destructive statement of `steps` (all of them listed
/// first); returns the numbers of the migrations confirmed.
pub(crate) fn confirm_destructive(
    cx: &Context,
    steps: &[Step<'_>],
    target: Target,
) -> anyhow::Result<BTreeSet<u32>> {
    let mut lines = Vec::new();
    let mut numbers = BTreeSet::new();
    for step in steps {
        for statement in step.statements.iter().filter(|s| s.destructive.is_some()) {
            numbers.insert(step.migration.number());
            lines.push(format!(
                "  {} {} line {}: {}  ({})",
                step.migration.id(),
                file_name(step.direction, target),
                statement.line,
                statement.first_line(),
                statement.destructive.as_deref().unwrap_or_default()
            ));
        }
    }
    if lines.is_empty() {
        return Ok(numbers);
    }
    if !cx.yes {
        cx.printer.warn(&format!(
            "{} destructive statement(s) will run:\n{}",
            lines.len(),
            lines.join("\n")
        ));
    }
    let question = format!("Run {} destructive statement(s)?", lines.len());
    if !cx.confirm(
        &question,
        "pass --yes to run destructive statements without a terminal (review them first, or try --dry-run)",
    )? {
        return Err(MigrateError::refused(
            "destructive statements not confirmed; nothing was run",
            "review the statements marked `-- baas:destructive`, then run again (or pass --yes)",
        )
        .into());
    }
    Ok(numbers)
}

/// The statements that would run, as SQL (or JSON commands) on stdout.
pub(crate) fn print_dry_run(
    cx: &Context,
    steps: &[Step<'_>],
    target: Target,
) -> anyhow::Result<()> {
    if cx.printer.json_mode() {
        let migrations: Vec<_> = steps
            .iter()
            .map(|step| {
                json!({
                    "number": step.migration.number(),
                    "name": step.migration.dir.name,
                    "file": file_name(step.direction, target),
                    "statements": step.statements.iter().map(statement_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        cx.printer
            .json(&json!({ "ok": true, "dry_run": true, "migrations": migrations }))?;
        return Ok(());
    }
    let comment = if target == Target::Mongodb {
        "//"
    } else {
        "--"
    };
    let mut text = String::new();
    for step in steps {
        text.push_str(&format!(
            "{comment} {} ({})\n",
            step.migration.id(),
            file_name(step.direction, target)
        ));
        for statement in &step.statements {
            if let Some(reason) = &statement.destructive {
                text.push_str(&format!(
                    "{comment} {} {reason}\n",
                    split::DESTRUCTIVE_MARKER
                ));
            }
            text.push_str(&statement.text);
            text.push_str(if target == Target::Mongodb {
                "\n"
            } else {
                ";\n"
            });
        }
        text.push('\n');
    }
    cx.printer.data(&text)?;
    Ok(())
}

fn statement_json(statement: &FileStatement) -> serde_json::Value {
    json!({
        "number": statement.number,
        "line": statement.line,
        "text": statement.text,
        "destructive": statement.destructive,
    })
}

/// Runs `steps` in order ([`crate::migrate::steps::run`]) with a progress
/// line each.
pub(crate) async fn run(
    cx: &Context,
    runner: &mut Runner,
    steps: &[Step<'_>],
) -> Result<Vec<Done>, MigrateError> {
    let target = runner.target();
    crate::migrate::steps::run(runner, steps, &mut |event| match event {
        Event::Started(step) => cx.printer.status(&format!(
            "  {}: running {} statement(s) of {}...",
            step.migration.id(),
            step.statements.len(),
            file_name(step.direction, target)
        )),
        Event::Finished(step, elapsed) => cx.printer.status(&format!(
            "  {}: {} in {}",
            step.migration.id(),
            match step.direction {
                Direction::Up => "applied",
                Direction::Down => "undone",
            },
            human_duration(elapsed)
        )),
    })
    .await
}
