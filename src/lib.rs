//! `baas`: schema-as-code for the database you already have.
//!
//! The pipeline, and where each part lives:
//!
//! ```text
//!  source      what the user pointed at (URL, database file, schema file), and
//!              what reading it takes and gives (IntrospectOptions -> Introspection)
//!  database    which database (SqlDialect): the values the modules below match on
//!  backend     the one place a database picks its backend (introspector, script
//!              target, migration runner, store); schema files go to their parser
//!    introspect::{postgres, mysql, sqlite, mongo}   live databases     ┐
//!    parse::{sql_ddl, prisma, json_schema, openapi, graphql, supabase} ├─> manifest::Manifest
//!    ledger      what a source could not represent                     ┘   (baas.toml)
//!  manifest::{model, load, validate, save, diagnostics}                        │
//!        ┌──────────────────────────────┬─────────────────────────────────────┤
//!  diff (current, desired)          codegen::{ts, rust, openapi, ...}   serve: http -> kernel
//!        │ Vec<Change>                                                   -> policy -> store
//!  migrate::render (per engine, dialect:: rules)                         -> events; query
//!        │ up/down scripts, migrations/NNNN_name/ (migrate::folder)      compiles filters
//!  migrate::steps + migrate::runner (trait Migrate per engine: history, lock, one step)
//!
//!  tenancy     [tenancy]: the registry, provisioning, a store per tenant (its resolver)
//!  commands::{init, introspect, show, validate, diff, check, migrate, codegen, serve}
//!      thin: one file per command, what several share in commands::shared
//!  cli (the clap parser), context (global flags, printer, cwd, manifest path), settings (.env, flags),
//!  connect (the connect timeout every engine uses), error (UsageError), hooks (the
//!  `[[hooks]]` JavaScript sandbox the kernel calls), realtime (the PostgreSQL
//!  triggers of `[realtime] external`), memory (the
//!  allocator tuned to return freed pages),
//!  diagnostics (errors -> terminal output and exit codes), ui (printer, tables, prompts)
//! ```
//!
//! No module imports one that imports it back: the front end runs one way,
//! `cli` (the parser) -> `commands` (each command's arguments and `run`, the
//! dispatcher's `Command`) -> `context` (global flags, printer);
//! `tests/it/layout.rs` checks it.
//!
//! [`run`] is the whole program: `main.rs` only maps its [`ExitStatus`] to a
//! process exit code.

pub mod admin;
pub mod backend;
pub mod cli;
pub mod codegen;
pub mod commands;
pub mod connect;
pub mod context;
pub mod database;
pub mod diagnostics;
pub mod dialect;
pub mod diff;
pub mod error;
pub mod hooks;
pub mod introspect;
pub mod ledger;
pub mod manifest;
pub mod memory;
pub mod migrate;
pub mod parse;
pub mod query;
pub mod realtime;
pub mod rules;
pub mod serve;
pub mod settings;
pub mod source;
pub mod tenancy;
pub mod ui;
pub mod upstream;
pub mod webhooks;

use std::ffi::OsString;

use clap::Parser as _;

/// Exit codes, the same for every command (DESIGN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything went fine.
    Success = 0,
    /// The command found something: drift, lossy introspection, stale files.
    Found = 1,
    /// Bad input or usage.
    BadInput = 2,
    /// A database or server could not be reached.
    CannotConnect = 3,
    /// A bug or an unexpected failure.
    Internal = 4,
}

/// The stack of each runtime thread (workers and the blocking pool).
const RUNTIME_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Runs `baas` with the given command line and returns how it ended.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitStatus {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => return diagnostics::clap_error(&error),
    };
    let cx = match context::Context::new(&cli.global) {
        Ok(cx) => cx,
        Err(error) => return diagnostics::report(&error, &ui::Printer::fallback()),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // A request's future is polled on these threads' stacks, deeply
        // nested (router, layers, kernel, store); tokio's 2 MiB is less
        // than a PostgREST upsert takes unoptimised, and an overflow
        // aborts the whole server. Only the pages used are committed.
        .thread_stack_size(RUNTIME_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return diagnostics::report(&error.into(), &cx.printer),
    };
    let result = runtime.block_on(commands::run(cli.command, &cx, cli::command));
    match result {
        Ok(status) => status,
        Err(error) => diagnostics::report(&error, &cx.printer),
    }
}
