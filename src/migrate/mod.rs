//! Migrations: turning a diff into scripts, and running them.
//!
//! - [`render`]: pure. `(before, after, changes)` → an up and a down script
//!   for one engine (SQL for Postgres/MySQL/SQLite, commands for MongoDB).
//! - the folder (`migrations/NNNN_name/`), the `_baas_migrations` table, the
//!   locks and the runner live beside it.
//! - [`sync`]: the same diff, render and runner without a folder, for the
//!   embedded dev database of `baas serve`.

pub mod error;
pub mod folder;
pub mod history;
pub mod render;
pub mod runner;
pub mod split;
pub mod steps;
pub mod sync;

pub use error::MigrateError;

pub use render::{Plan, RenderError, Script, Statement, Target, render};
