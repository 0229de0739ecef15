//! SQL dumps: importing a script must give the manifest that loading the same
//! script into the engine and introspecting it gives.

use std::path::Path;

use baas::introspect::{IntrospectOptions, Introspection, introspect};
use baas::manifest::Manifest;
use baas::source::SourceLocation;
use baas::ui::Progress;

use crate::support::corpus_file;

async fn import(path: &Path, options: &IntrospectOptions) -> Introspection {
    let location = SourceLocation::parse(&path.display().to_string(), Path::new("/")).unwrap();
    introspect(&location, options, &Progress::hidden())
        .await
        .unwrap()
}

/// The same script loaded into a real SQLite file and introspected live.
async fn live_sqlite(script: &Path) -> Introspection {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("live.db");
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection
        .execute_batch(&std::fs::read_to_string(script).unwrap())
        .unwrap();
    drop(connection);
    let introspection = import(&database, &IntrospectOptions::default()).await;
    drop(dir);
    introspection
}

/// Only what says where a manifest came from may differ.
fn without_provenance(mut manifest: Manifest) -> Manifest {
    manifest.project.name = None;
    manifest.source = None;
    manifest
}

#[tokio::test]
async fn sqlite_dumps_import_exactly_like_the_live_databases() {
    for (script, entities, relations) in [
        ("sql/sqlite/Chinook_Sqlite.sql", 11, 11),
        ("sql/sqlite/northwind-sqlite-create.sql", 29, 13),
    ] {
        let path = corpus_file(script);
        let dump = import(&path, &IntrospectOptions::default()).await;
        let live = live_sqlite(&path).await;
        assert_eq!(dump.manifest.entities.len(), entities, "{script}");
        assert_eq!(dump.manifest.relation_count(), relations, "{script}");
        assert!(
            dump.ledger.is_empty(),
            "{script}: {:?}",
            dump.ledger.entries()
        );
        assert_eq!(
            without_provenance(dump.manifest.clone()),
            without_provenance(live.manifest),
            "{script}: dump import and live introspection differ"
        );
        assert_eq!(dump.ledger, live.ledger, "{script}");
        let source = dump.manifest.source.unwrap();
        assert_eq!(source.engine, baas::manifest::SourceEngine::Sqlite);
    }
}

#[tokio::test]
async fn statements_sqlite_rejects_are_ledgered_with_their_line_or_fail_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sql");
    std::fs::write(
        &path,
        "-- a hand-written SQLite schema\nCREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);\n\nCREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id),, oops);\nINSERT INTO a (name) VALUES ('x');\nCREATE INDEX a_name ON a(name);\n",
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("sqlite".into()),
        ..IntrospectOptions::default()
    };
    let Introspection { manifest, ledger } = import(&path, &options).await;
    assert_eq!(manifest.entities.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(manifest.entities["a"].indexes[0].name, "a_name");
    let entries = ledger.entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].object, "schema.sql:4");
    assert_eq!(entries[0].kind, "skipped_statement");

    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["introspect", "schema.sql", "--strict", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("schema.sql:4:1"), "{stderr}");
    assert!(
        stderr.contains("SQLite rejected this statement"),
        "{stderr}"
    );
}

#[test]
fn the_binary_imports_a_dump_and_refuses_dialects_it_cannot_read_yet() {
    let dir = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(dir.path())
        .args(["introspect"])
        .arg(corpus_file("sql/sqlite/Chinook_Sqlite.sql"))
        .args(["--dry-run"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let toml = String::from_utf8(output.stdout).unwrap();
    assert!(toml.contains("[entities.PlaylistTrack]"), "{toml}");

    for script in [
        "sql/postgres/pagila-schema.sql",
        "sql/postgres/Chinook_PostgreSql.sql",
    ] {
        let output = assert_cmd::Command::cargo_bin("baas")
            .unwrap()
            .current_dir(dir.path())
            .arg("introspect")
            .arg(corpus_file(script))
            .args(["--dry-run"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{script}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("not available yet"),
            "{script}"
        );
    }
}

#[tokio::test]
async fn mysql_dumps_import_without_a_server() {
    let Introspection { manifest, ledger } = import(
        &corpus_file("sql/mysql/sakila-schema.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        baas::manifest::SourceEngine::Mysql
    );
    assert_eq!(
        manifest.project.name.as_deref(),
        Some("sakila"),
        "named by `CREATE SCHEMA sakila`"
    );
    assert_eq!(manifest.entities.len(), 23);
    assert_eq!(manifest.relation_count(), 22);
    assert_eq!(
        manifest.enums["film_rating"].values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    let kinds: Vec<&str> = ledger.entries().iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "view_columns").count(),
        7,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "trigger").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "routine").count(),
        1,
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"skipped_statement"),
        "{:?}",
        ledger.entries()
    );
    assert_eq!(baas::manifest::validate(&manifest), vec![]);

    // The data file adds rows and three triggers, and changes no table.
    let data = import(
        &corpus_file("sql/mysql/sakila-data.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    let data_kinds: Vec<&str> = data
        .ledger
        .entries()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        data_kinds.iter().filter(|k| **k == "trigger").count(),
        3,
        "{data_kinds:?}"
    );
    assert!(
        !data_kinds.contains(&"skipped_statement"),
        "{:?}",
        data.ledger.entries()
    );
}
