//! Migrations: turning a diff into scripts, and running them.
//!
//! - [`render`]: pure. `(before, after, changes)` → an up and a down script
//!   for one engine (SQL for Postgres/MySQL/SQLite, commands for MongoDB).
//! - the folder (`migrations/NNNN_name/`), the `_baas_migrations` table, the
//!   locks and the runner live beside it.

pub mod render;

pub use render::{Plan, RenderError, Script, Statement, Target, render};
