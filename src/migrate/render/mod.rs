//! From a list of changes to up/down scripts for one engine.

use serde::Serialize;

use crate::diff::Change;
use crate::manifest::Manifest;

/// The engine a script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Postgres,
    Mysql,
    Sqlite,
    Mongodb,
}

/// One statement (SQL text, or a MongoDB command as JSON text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The statement, without a trailing `;`.
    pub text: String,
    /// Loses data (drop, narrowing...): written with a warning comment, and
    /// `migrate apply` asks before running it.
    pub destructive: bool,
    /// A one-line note written above the statement (`-- note`).
    pub comment: Option<String>,
}

/// Statements in the order they run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Script {
    pub statements: Vec<Statement>,
}

/// The scripts that take a database from `before` to `after` and back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub target: Target,
    pub up: Script,
    pub down: Script,
    /// What the target engine cannot express exactly (a Postgres enum on
    /// SQLite becomes TEXT with a CHECK...), one line each.
    pub lossy: Vec<String>,
}

/// A change the target engine cannot carry out at all.
#[derive(Debug, thiserror::Error)]
#[error("{target:?} cannot {what}")]
pub struct RenderError {
    pub target: Target,
    pub what: String,
}

/// Renders the scripts for `changes` (as returned by `diff(before, after)`).
pub fn render(
    target: Target,
    before: &Manifest,
    after: &Manifest,
    changes: &[Change],
) -> Result<Plan, RenderError> {
    let _ = (before, after, changes);
    Err(RenderError {
        target,
        what: "render migrations yet (renderer not written)".into(),
    })
}
