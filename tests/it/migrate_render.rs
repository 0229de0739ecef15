//! Migration SQL per dialect, and round trips through real databases:
//! introspect a corpus schema, render it from an empty manifest, apply the
//! up script to a fresh database, introspect that, and compare.

use std::path::{Path, PathBuf};

use baas::diff::{Change, diff};
use baas::introspect::sqlite::SqliteIntrospector;
use baas::introspect::{IntrospectOptions, Introspection, Introspector};
use baas::manifest::Manifest;
use baas::migrate::render::{Plan, SQLITE_FOREIGN_KEYS_OFF, Script, Target, render};
use baas::ui::Progress;
use rusqlite::Connection;
use tempfile::TempDir;

use crate::support::corpus_file;

/// An empty manifest of the same project and source as `manifest`.
fn empty_like(manifest: &Manifest) -> Manifest {
    Manifest {
        project: manifest.project.clone(),
        source: manifest.source.clone(),
        ..Manifest::default()
    }
}

/// The plan that creates `manifest` from nothing on `target`.
fn create_plan(target: Target, manifest: &Manifest) -> Plan {
    let empty = empty_like(manifest);
    render(target, &empty, manifest, &diff(&empty, manifest))
        .unwrap_or_else(|e| panic!("render for {target}: {e}"))
}

fn show(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------
// SQLite

fn sqlite_introspect(path: &Path) -> Introspection {
    runtime()
        .block_on(
            SqliteIntrospector::new(path.to_owned())
                .introspect(&IntrospectOptions::default(), &Progress::hidden()),
        )
        .unwrap()
}

/// A database file built from a corpus script.
fn sqlite_corpus(relative: &str) -> (TempDir, PathBuf) {
    let script = std::fs::read_to_string(corpus_file(relative)).unwrap();
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("source.db");
    let connection = Connection::open(&path).unwrap();
    connection.execute_batch(&script).unwrap();
    (dir, path)
}

/// Runs `script` the way `migrate apply` does on SQLite: in one
/// transaction, with the foreign-key PRAGMAs of a rebuild outside it, and
/// any row of `PRAGMA foreign_key_check` failing the migration.
fn sqlite_apply(connection: &mut Connection, script: &Script) {
    let mut statements: &[baas::migrate::render::Statement] = &script.statements;
    let mut after = None;
    if script.sqlite_foreign_keys_off() {
        connection.execute_batch(SQLITE_FOREIGN_KEYS_OFF).unwrap();
        after = statements.last().map(|s| s.text.clone());
        statements = &statements[1..statements.len() - 1];
    }
    let transaction = connection.transaction().unwrap();
    for statement in statements {
        if statement.text.starts_with("PRAGMA foreign_key_check") {
            let mut query = transaction.prepare(&statement.text).unwrap();
            let broken: Vec<String> = query
                .query_map([], |row| row.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(broken.is_empty(), "broken references in {broken:?}");
            continue;
        }
        transaction
            .execute_batch(&statement.text)
            .unwrap_or_else(|e| panic!("{e}\n{}", statement.text));
    }
    transaction.commit().unwrap();
    if let Some(after) = after {
        connection.execute_batch(&after).unwrap();
    }
}

/// Introspect `source`, create it on a fresh SQLite file, introspect that.
fn sqlite_round_trip(source: &Manifest) -> (Plan, Manifest, TempDir, PathBuf) {
    let plan = create_plan(Target::Sqlite, source);
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("fresh.db");
    let mut connection = Connection::open(&path).unwrap();
    sqlite_apply(&mut connection, &plan.up);
    drop(connection);
    let again = sqlite_introspect(&path).manifest;
    (plan, again, dir, path)
}

fn sqlite_down_leaves_nothing(plan: &Plan, path: &Path) {
    let mut connection = Connection::open(path).unwrap();
    sqlite_apply(&mut connection, &plan.down);
    drop(connection);
    let left = sqlite_introspect(path).manifest;
    assert!(
        left.entities.is_empty(),
        "the down script left {:?}",
        left.entities.keys().collect::<Vec<_>>()
    );
}

#[test]
fn sqlite_chinook_round_trips_through_a_fresh_database() {
    let (_dir, path) = sqlite_corpus("sql/sqlite/Chinook_Sqlite.sql");
    let source = sqlite_introspect(&path).manifest;
    let (plan, again, _fresh, fresh_path) = sqlite_round_trip(&source);
    let changes = diff(&source, &again);
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    sqlite_down_leaves_nothing(&plan, &fresh_path);
}

#[test]
fn sqlite_northwind_round_trips_through_a_fresh_database() {
    let (_dir, path) = sqlite_corpus("sql/sqlite/northwind-sqlite-create.sql");
    let source = sqlite_introspect(&path).manifest;
    let (plan, again, _fresh, fresh_path) = sqlite_round_trip(&source);
    let changes = diff(&source, &again);
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    sqlite_down_leaves_nothing(&plan, &fresh_path);
}
