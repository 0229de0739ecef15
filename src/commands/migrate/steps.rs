//! What `apply` and `down` share: reading the scripts to run, confirming
//! destructive statements, printing a dry run, and running the steps with a
//! progress line each.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use super::human_duration;
use crate::context::Context;
use crate::migrate::folder::{self, Migration};
use crate::migrate::runner::{Direction, Runner, Step};
use crate::migrate::split::{self, FileStatement};
use crate::migrate::{MigrateError, Target};
use crate::ui::prompt;

/// Reads the script of `migration` for `direction`, refusing transaction
/// control where the runner owns the transaction.
pub(crate) fn prepare<'a>(
    migration: &'a Migration,
    direction: Direction,
    target: Target,
    transactional: bool,
) -> Result<Step<'a>, MigrateError> {
    let statements = match direction {
        Direction::Up => migration.up_statements(target)?,
        Direction::Down => migration.down_statements(target)?,
    };
    if transactional
        && let Some(statement) = statements.iter().find(|s| split::is_transaction_control(s))
    {
        return Err(MigrateError::refused(
            format!(
                "{} of `{}` controls the transaction itself (line {}: `{}`)",
                file_name(direction, target),
                migration.id(),
                statement.line,
                statement.first_line()
            ),
            "baas runs each migration in a transaction of its own: remove BEGIN/COMMIT/ROLLBACK \
             from the file",
        ));
    }
    Ok(Step {
        migration,
        direction,
        statements,
    })
}

pub(crate) fn file_name(direction: Direction, target: Target) -> String {
    folder::script_name(
        match direction {
            Direction::Up => "up",
            Direction::Down => "down",
        },
        target,
    )
}

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
    if !prompt::confirm(
        cx,
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

/// A step that ran.
pub(crate) struct Done {
    pub number: u32,
    pub name: String,
    pub elapsed: Duration,
}

/// Runs `steps` in order with a progress line each; stops at the first
/// failure with a report of what ran and what was undone.
pub(crate) async fn run(
    cx: &Context,
    runner: &mut Runner,
    steps: &[Step<'_>],
) -> Result<Vec<Done>, MigrateError> {
    let target = runner.target();
    let verb = |direction| match direction {
        Direction::Up => "applied",
        Direction::Down => "undone",
    };
    let mut done = Vec::new();
    for step in steps {
        let id = step.migration.id();
        cx.printer.status(&format!(
            "  {id}: running {} statement(s) of {}...",
            step.statements.len(),
            file_name(step.direction, target)
        ));
        match runner.run(step).await {
            Ok(elapsed) => {
                cx.printer.status(&format!(
                    "  {id}: {} in {}",
                    verb(step.direction),
                    human_duration(elapsed)
                ));
                done.push(Done {
                    number: step.migration.number(),
                    name: step.migration.dir.name.clone(),
                    elapsed,
                });
            }
            Err(failure) => {
                let file = file_name(step.direction, target);
                let total = step.statements.len();
                let message = match &failure.statement {
                    Some(statement) => format!(
                        "`{id}` failed at statement {} of {total} ({file} line {}: `{}`): {}",
                        statement.number,
                        statement.line,
                        statement.first_line(),
                        failure.reason
                    ),
                    None => format!("`{id}` failed: {}", failure.reason),
                };
                let history = match step.direction {
                    Direction::Up => "`_baas_migrations` does not record it",
                    Direction::Down => "`_baas_migrations` still records it as applied",
                };
                let mut hint = if runner.transactional() {
                    format!(
                        "nothing of `{id}` is left in the database: its transaction was rolled back, \
                         and {history}; fix {file} and run the command again"
                    )
                } else if failure.kept == 0 {
                    format!(
                        "no statement of `{id}` ran, and {history}; fix {file} and run the command again"
                    )
                } else {
                    let engine = if target == Target::Mongodb {
                        "MongoDB commands"
                    } else {
                        "MySQL DDL"
                    };
                    format!(
                        "{engine} cannot be rolled back: statement(s) 1-{} of {file} ran and stay \
                         in the database, and {history}. Undo them by hand (or run the rest by \
                         hand), fix {file}, then run the command again",
                        failure.kept
                    )
                };
                if !done.is_empty() {
                    let ids: Vec<String> = done
                        .iter()
                        .map(|d: &Done| folder::folder_name(d.number, &d.name))
                        .collect();
                    hint.push_str(&format!(
                        ". Before it, this run {} {}",
                        verb(step.direction),
                        ids.join(", ")
                    ));
                }
                if failure.denied {
                    // Not the script's fault: say what is left, not "fix it".
                    let state = if failure.kept == 0 {
                        format!("nothing of `{id}` was left in the database, and {history}")
                    } else {
                        format!(
                            "statement(s) 1-{} of {file} ran and stay in the database, and {history}",
                            failure.kept
                        )
                    };
                    return Err(MigrateError::Denied {
                        message: format!("the database refused: {message}"),
                        hint: format!("{}; {state}", crate::migrate::error::DENIED_HINT),
                    });
                }
                return Err(MigrateError::Failed { message, hint });
            }
        }
    }
    Ok(done)
}
