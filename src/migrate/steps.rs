//! Running a list of migration steps: reading each migration's script for
//! the direction, then running the steps in order, stopping at the first
//! failure with what ran and what was undone. Callers show progress through
//! [`Event`]s.

use std::time::Duration;

use super::folder::{self, Migration};
use super::runner::{Direction, Runner, Step};
use super::split;
use super::{MigrateError, Target};

/// What [`run`] reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Event<'s, 'm> {
    /// The step is about to run.
    Started(&'s Step<'m>),
    /// The step ran in this long.
    Finished(&'s Step<'m>, Duration),
}

/// Reads the script of `migration` for `direction`, refusing transaction
/// control where the runner owns the transaction.
pub fn prepare<'a>(
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

pub fn file_name(direction: Direction, target: Target) -> String {
    folder::script_name(
        match direction {
            Direction::Up => "up",
            Direction::Down => "down",
        },
        target,
    )
}

/// A step that ran.
pub struct Done {
    pub number: u32,
    pub name: String,
    pub elapsed: Duration,
}

/// Runs `steps` in order with a progress line each; stops at the first
/// failure with a report of what ran and what was undone.
pub async fn run(
    runner: &mut Runner,
    steps: &[Step<'_>],
    report: &mut dyn FnMut(Event<'_, '_>),
) -> Result<Vec<Done>, MigrateError> {
    let target = runner.target();
    let verb = |direction| match direction {
        Direction::Up => "applied",
        Direction::Down => "undone",
    };
    let mut done = Vec::new();
    for step in steps {
        let id = step.migration.id();
        report(Event::Started(step));
        match runner.run(step).await {
            Ok(elapsed) => {
                report(Event::Finished(step, elapsed));
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
                        hint: format!("{}; {state}", super::error::DENIED_HINT),
                    });
                }
                return Err(MigrateError::Failed { message, hint });
            }
        }
    }
    Ok(done)
}
