//! Migration SQL per dialect, and round trips through real databases:
//! introspect a corpus schema, render it from an empty manifest, apply the
//! up script to a fresh database, introspect that, and compare.

use std::path::{Path, PathBuf};

use baas::diff::{Change, ChangeKind, diff, diff_with_renames};
use baas::introspect::sqlite::SqliteIntrospector;
use baas::introspect::{IntrospectOptions, Introspection, Introspector};
use baas::manifest::{Manifest, load_file};
use baas::migrate::render::{Plan, SQLITE_FOREIGN_KEYS_OFF, Script, Target, render};
use baas::ui::Progress;
use rusqlite::Connection;

use crate::support::corpus_file;
use crate::support::sqlite;

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
// Snapshots: every diff fixture, per dialect

fn fixture_case(before_path: &Path) -> (String, Manifest, Manifest) {
    let case = before_path.parent().unwrap();
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let before = load_file(before_path).unwrap().manifest;
    let after = load_file(&case.join("after.toml")).unwrap().manifest;
    (name, before, after)
}

/// The up and down scripts and the lossy lines, as one text.
fn plan_text(plan: &Plan) -> String {
    let lossy: String = plan.lossy.iter().map(|l| format!("-- {l}\n")).collect();
    format!(
        "-- up\n\n{}-- down\n\n{}-- lossy\n{lossy}",
        plan.up.to_sql(),
        plan.down.to_sql()
    )
}

#[test]
fn each_diff_case_renders_up_and_down_sql_per_dialect() {
    insta::glob!("../../fixtures/diff", "*/before.toml", |before_path| {
        let (_, before, after) = fixture_case(before_path);
        let changes = diff(&before, &after);
        for target in [Target::Postgres, Target::Mysql, Target::Sqlite] {
            let plan = render(target, &before, &after, &changes).unwrap();
            // The same inputs give the same scripts.
            assert_eq!(plan, render(target, &before, &after, &changes).unwrap());
            insta::assert_snapshot!(target.name(), plan_text(&plan));
        }
    });
}

#[test]
fn renames_come_from_renamed_from_or_from_the_caller() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/renames");
    let (_, before, after) = fixture_case(&dir.join("before.toml"));
    let kinds = |changes: &[Change]| -> Vec<ChangeKind> {
        changes.iter().map(|c| c.kind.clone()).collect()
    };
    // `renamed_from` on `writer` and `writer.full_name`; `post.title` →
    // `post.headline` is only a candidate...
    let changes = kinds(&diff(&before, &after));
    assert!(changes.contains(&ChangeKind::RenameEntity {
        from: "author".into(),
        to: "writer".into()
    }));
    assert!(changes.contains(&ChangeKind::RenameField {
        entity: "writer".into(),
        from: "name".into(),
        to: "full_name".into()
    }));
    assert!(changes.contains(&ChangeKind::RenameFieldCandidate {
        entity: "post".into(),
        from: "title".into(),
        to: "headline".into()
    }));
    // ...the index on the renamed field is not rebuilt...
    assert!(
        !changes
            .iter()
            .any(|c| matches!(c, ChangeKind::DropIndex { .. }))
    );
    // ...until the caller says so.
    let renamed = kinds(&diff_with_renames(
        &before,
        &after,
        &[("post.title".into(), "post.headline".into())],
    ));
    assert!(renamed.contains(&ChangeKind::RenameField {
        entity: "post".into(),
        from: "title".into(),
        to: "headline".into()
    }));
    assert!(!renamed.iter().any(|c| matches!(
        c,
        ChangeKind::DropField { .. }
            | ChangeKind::AddField { .. }
            | ChangeKind::RenameFieldCandidate { .. }
    )));
    // Renames in SQL keep the rows.
    let changes = diff_with_renames(&before, &after, &[("post.title".into(), "headline".into())]);
    let plan = render(Target::Postgres, &before, &after, &changes).unwrap();
    let up = plan.up.to_sql();
    assert!(
        up.contains("ALTER TABLE \"author\" RENAME TO \"writer\""),
        "{up}"
    );
    assert!(
        up.contains("RENAME COLUMN \"name\" TO \"full_name\""),
        "{up}"
    );
    assert!(
        up.contains("RENAME COLUMN \"title\" TO \"headline\""),
        "{up}"
    );
    assert!(!up.contains("DROP"), "{up}");
    let down = plan.down.to_sql();
    assert!(
        down.contains("ALTER TABLE \"writer\" RENAME TO \"author\""),
        "{down}"
    );
    assert!(
        down.contains("RENAME COLUMN \"headline\" TO \"title\""),
        "{down}"
    );
}

#[test]
fn diff_prints_sql_for_a_dialect_with_renames() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/renames");
    let output = crate::support::baas(&dir)
        .args([
            "diff",
            "--from",
            "before.toml",
            "--to",
            "after.toml",
            "--format",
            "sql",
            "--dialect",
            "sqlite",
            "--rename",
            "post.title=post.headline",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    insta::assert_snapshot!("cli_diff_sql_sqlite_renames", stdout);
    crate::support::baas(&dir)
        .args([
            "diff",
            "--from",
            "before.toml",
            "--to",
            "after.toml",
            "--rename",
            "title",
        ])
        .assert()
        .code(2);
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
fn sqlite_corpus(relative: &str) -> (sqlite::TempDatabase, PathBuf) {
    let script = std::fs::read_to_string(corpus_file(relative)).unwrap();
    let database = sqlite::TempDatabase::with_script("source.db", &script);
    let path = database.path().to_owned();
    (database, path)
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
fn sqlite_round_trip(source: &Manifest) -> (Plan, Manifest, sqlite::TempDatabase, PathBuf) {
    let plan = create_plan(Target::Sqlite, source);
    let database = sqlite::TempDatabase::create("fresh.db");
    let path = database.path().to_owned();
    let mut connection = database.connect();
    sqlite_apply(&mut connection, &plan.up);
    drop(connection);
    let again = sqlite_introspect(&path).manifest;
    (plan, again, database, path)
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

// ---------------------------------------------------------------------------
// What a round trip may leave behind

/// The object a change is about: `entity`, `entity.field` or `entity.index`.
fn change_object(change: &Change) -> String {
    let value = serde_json::to_value(&change.kind).unwrap();
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    match (text("entity"), text("field").or_else(|| text("index"))) {
        (Some(entity), Some(part)) => format!("{entity}.{part}"),
        (Some(entity), None) => entity,
        _ => text("name")
            .or_else(|| text("to"))
            .or_else(|| text("object"))
            .unwrap_or_default(),
    }
}

/// The changes no lossy line accounts for. A lossy line names its object
/// first (`film.fulltext: ...`); an enum is accounted for by any line that
/// names it (`enum `mpaa_rating``).
fn unexplained(changes: &[Change], lossy: &[String]) -> Vec<Change> {
    changes
        .iter()
        .filter(|change| {
            let object = change_object(change);
            let entity = object.split('.').next().unwrap_or_default().to_owned();
            !lossy.iter().any(|line| {
                line.starts_with(&format!("{object}:"))
                    || line.starts_with(&format!("{entity}:"))
                    || line.starts_with(&format!("{entity}."))
                    || line.contains(&format!("`{object}`"))
            })
        })
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------
// PostgreSQL

pub(crate) mod pg {
    use baas::introspect::postgres::PostgresIntrospector;
    use baas::introspect::{IntrospectOptions, Introspector};
    use baas::manifest::Manifest;
    use baas::migrate::render::Script;
    use baas::ui::Progress;
    use sqlx::Connection as _;

    pub use crate::support::postgres::TempDatabase as Database;

    /// Runs `script` in one transaction, as `migrate apply` does.
    pub async fn apply(database: &Database, script: &Script) {
        let mut connection = database.connect().await;
        let mut transaction = connection.begin().await.unwrap();
        for statement in &script.statements {
            if let Err(error) = sqlx::raw_sql(sqlx::AssertSqlSafe(statement.text.clone()))
                .execute(&mut *transaction)
                .await
            {
                panic!("{error}\n{}\n\nin:\n{}", statement.text, script.to_sql());
            }
        }
        transaction.commit().await.unwrap();
        connection.close().await.unwrap();
    }

    pub async fn introspect(database: &Database) -> Manifest {
        PostgresIntrospector::new(database.parsed_url())
            .introspect(
                &IntrospectOptions {
                    schemas: vec!["public".into()],
                    ..IntrospectOptions::default()
                },
                &Progress::hidden(),
            )
            .await
            .unwrap()
            .manifest
    }
}

fn pg_chinook_script() -> String {
    let script =
        std::fs::read_to_string(corpus_file("sql/postgres/Chinook_PostgreSql.sql")).unwrap();
    script
        .lines()
        .filter(|line| {
            !matches!(
                line.trim(),
                "DROP DATABASE IF EXISTS chinook;" | "CREATE DATABASE chinook;" | "\\c chinook;"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn pagila_schema() -> String {
    std::fs::read_to_string(corpus_file("sql/postgres/pagila-schema.sql")).unwrap()
}

/// Loads `script` into a fresh database and introspects it.
async fn pg_source(label: &str, script: &str) -> Option<(pg::Database, Manifest)> {
    let database = pg::Database::create_async(label).await?;
    database.psql(script);
    let manifest = pg::introspect(&database).await;
    Some((database, manifest))
}

/// Creates `source` on a fresh database with the rendered up script,
/// introspects it, runs the down script and checks that nothing is left.
async fn pg_round_trip(label: &str, source: &Manifest, prelude: &str) -> (Plan, Vec<Change>) {
    let plan = create_plan(Target::Postgres, source);
    let fresh = pg::Database::create_async(label).await.unwrap();
    if !prelude.is_empty() {
        fresh.psql(prelude);
    }
    pg::apply(&fresh, &plan.up).await;
    let again = pg::introspect(&fresh).await;
    let changes = diff(source, &again);
    pg::apply(&fresh, &plan.down).await;
    let left = pg::introspect(&fresh).await;
    assert!(
        left.entities.is_empty() && left.enums.is_empty() && left.postgres.is_empty(),
        "the down script left {:?} {:?} {:?}",
        left.entities.keys().collect::<Vec<_>>(),
        left.enums.keys().collect::<Vec<_>>(),
        left.postgres
    );
    (plan, changes)
}

/// `tests/fixtures/postgres/structure.sql`: a Rails-style schema dump
/// with extensions, a domain, sequences, functions, an aggregate, triggers.
pub(crate) fn structure_sql() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/postgres/structure.sql"),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_structure_sql_round_trips_through_a_fresh_database() {
    let Some((_source_db, source)) = pg_source("structure", &structure_sql()).await else {
        return;
    };
    let keys: Vec<String> = source.postgres.objects.iter().map(|o| o.key()).collect();
    for expected in [
        "domain public.slug",
        "sequence public.invoice_number_seq",
        "function public.set_updated_at()",
        "function public.word_count(body text)",
        "aggregate public.lines(text)",
        "trigger articles_set_updated_at ON public.articles",
    ] {
        assert!(
            keys.iter().any(|k| k == expected),
            "{expected} in {keys:#?}"
        );
    }
    assert_eq!(
        source.postgres.extensions.keys().collect::<Vec<_>>(),
        ["citext", "pg_trgm", "pgcrypto"]
    );
    let articles = &source.entities["articles"];
    let index = |name: &str| {
        articles
            .indexes
            .iter()
            .chain(&source.entities["users"].indexes)
            .chain(&source.entities["invoices"].indexes)
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no index {name}"))
    };
    assert_eq!(
        index("index_articles_on_title_trgm")
            .options
            .operator_classes,
        ["gin_trgm_ops"]
    );
    assert_eq!(
        index("index_articles_on_user_id_including_title").options,
        baas::manifest::IndexOptions {
            include: vec!["title".into()],
            storage_parameters: vec!["fillfactor=90".into()],
            ..Default::default()
        }
    );
    assert!(
        index("index_invoices_on_user_id_and_total")
            .options
            .nulls_not_distinct
    );
    assert!(source.entities["sessions"].unlogged);
    assert_eq!(
        source.entities["sessions"].storage_parameters,
        ["fillfactor=70"]
    );
    assert!(
        articles
            .relations
            .iter()
            .all(|r| r.deferred && r.deferrable)
    );
    // Partitioning: the key, every partition (sub-partitions after the
    // partition they belong to) and the index made on the parent alone.
    let events = &source.entities["events"];
    assert_eq!(events.partition_by.as_deref(), Some("RANGE (occurred_at)"));
    let partitions: Vec<(&str, Option<&str>, &str, Option<&str>)> = events
        .partitions
        .iter()
        .map(|p| {
            (
                p.table.as_str(),
                p.of.as_deref(),
                p.bound.as_str(),
                p.partition_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        partitions,
        [
            (
                "events_2024",
                None,
                "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')",
                Some("LIST (kind)")
            ),
            (
                "events_2025",
                None,
                "FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')",
                None
            ),
            ("events_default", None, "DEFAULT", None),
            ("events_2024_other", Some("events_2024"), "DEFAULT", None),
            (
                "events_2024_signup",
                Some("events_2024"),
                "FOR VALUES IN ('signup')",
                None
            ),
        ]
    );
    assert_eq!(
        events.indexes.iter().map(|i| &i.name).collect::<Vec<_>>(),
        ["index_events_on_user_id"]
    );
    // What partitions have of their own; the parent's index and foreign
    // key, which PostgreSQL copies to every partition, are not repeated.
    let names = |names: Vec<&str>| names.join(" ");
    let own: Vec<String> = events
        .partitions
        .iter()
        .map(|p| {
            format!(
                "{}: indexes [{}] checks [{}] foreign keys [{}]",
                p.table,
                names(p.indexes.iter().map(|i| i.name.as_str()).collect()),
                names(p.checks.iter().filter_map(|c| c.name.as_deref()).collect()),
                names(
                    p.relations
                        .iter()
                        .filter_map(|r| r.name.as_deref())
                        .collect()
                ),
            )
        })
        .collect();
    assert_eq!(
        own,
        [
            "events_2024: indexes [] checks [] foreign keys []",
            "events_2025: indexes [index_events_2025_on_kind] checks [events_2025_id_positive] \
             foreign keys []",
            "events_default: indexes [] checks [] foreign keys [fk_events_default_user]",
            "events_2024_other: indexes [] checks [] foreign keys []",
            "events_2024_signup: indexes [] checks [] foreign keys []",
        ]
    );
    assert_eq!(
        source.entities["api_keys"].partition_by.as_deref(),
        Some("HASH (id)")
    );
    assert!(
        !source.entities.contains_key("events_2024")
            && !source.entities.contains_key("api_keys_p0"),
        "partitions are not entities"
    );
    let (plan, changes) = pg_round_trip("structure_copy", &source, "").await;
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_chinook_round_trips_through_a_fresh_database() {
    let Some((_source_db, source)) = pg_source("chinook", &pg_chinook_script()).await else {
        return;
    };
    let (plan, changes) = pg_round_trip("chinook_copy", &source, "").await;
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pagila_round_trips_through_a_fresh_database() {
    let Some((_source_db, source)) = pg_source("pagila", &pagila_schema()).await else {
        return;
    };
    // The manifest carries pagila's functions, aggregate, triggers and
    // domain: the plan applies to an empty database with no manual step.
    let (plan, changes) = pg_round_trip("pagila_copy", &source, "").await;
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(!source.postgres.objects.is_empty());
    assert!(unexplained(&changes, &plan.lossy).is_empty());
}

// ---------------------------------------------------------------------------
// MySQL (MariaDB)

mod my {
    use baas::backend::introspect as introspect_location;
    use baas::introspect::IntrospectOptions;
    use baas::manifest::Manifest;
    use baas::migrate::render::Script;
    use baas::source::SourceLocation;
    use baas::ui::Progress;
    use sqlx::Connection as _;

    pub use crate::support::mysql::TempDatabase as Database;

    /// Runs every statement in order (MySQL DDL commits as it goes).
    pub async fn apply(database: &Database, script: &Script) {
        let mut connection = database.connect().await;
        for statement in &script.statements {
            if let Err(error) = sqlx::raw_sql(sqlx::AssertSqlSafe(statement.text.clone()))
                .execute(&mut connection)
                .await
            {
                panic!("{error}\n{}\n\nin:\n{}", statement.text, script.to_sql());
            }
        }
        connection.close().await.unwrap();
    }

    pub async fn introspect(database: &Database) -> Manifest {
        let location = SourceLocation::parse(&database.url(), std::path::Path::new("/")).unwrap();
        introspect_location(
            &location,
            &IntrospectOptions::default(),
            &Progress::hidden(),
        )
        .await
        .unwrap()
        .manifest
    }

    /// A corpus script without the statements that pick its own database.
    pub fn into_this_database(script: &str, own_name: &str) -> String {
        script
            .lines()
            .filter(|line| {
                let upper = line.trim_start().to_ascii_uppercase();
                !(upper.starts_with("DROP SCHEMA")
                    || upper.starts_with("CREATE SCHEMA")
                    || upper.starts_with("DROP DATABASE")
                    || upper.starts_with("CREATE DATABASE")
                    || upper.starts_with("USE "))
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&format!("{own_name}."), "")
    }
}

fn corpus_text(relative: &str) -> String {
    std::fs::read_to_string(corpus_file(relative)).unwrap()
}

/// Creates `source` on a fresh MariaDB database, introspects it, runs the
/// down script and checks that nothing is left.
async fn mysql_round_trip(label: &str, source: &Manifest) -> (Plan, Vec<Change>, Manifest) {
    let plan = create_plan(Target::Mysql, source);
    let fresh = my::Database::create(label).unwrap();
    my::apply(&fresh, &plan.up).await;
    let mut again = my::introspect(&fresh).await;
    // The project is named after the database.
    again.project = source.project.clone();
    let changes = diff(source, &again);
    my::apply(&fresh, &plan.down).await;
    let left = my::introspect(&fresh).await;
    assert!(
        left.entities.is_empty(),
        "the down script left {:?}",
        left.entities.keys().collect::<Vec<_>>()
    );
    (plan, changes, again)
}

async fn mysql_source(
    label: &str,
    relative: &str,
    own_name: &str,
) -> Option<(my::Database, Manifest)> {
    let database = my::Database::create(label)?;
    database.load(&my::into_this_database(&corpus_text(relative), own_name));
    let manifest = my::introspect(&database).await;
    Some((database, manifest))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_character_sets_and_collations_round_trip_and_a_change_is_drift() {
    let Some(database) = my::Database::create("collations") else {
        return;
    };
    database.load(
        "CREATE TABLE legacy (\
             id INT PRIMARY KEY, \
             name VARCHAR(40) NOT NULL, \
             code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_general_cs NOT NULL\
         ) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;\n\
         CREATE TABLE modern (\
             id INT PRIMARY KEY, \
             token VARCHAR(64) COLLATE utf8mb4_bin NOT NULL, \
             label VARCHAR(40) CHARACTER SET utf8mb3 NOT NULL, \
             body TEXT\
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;",
    );
    let source = my::introspect(&database).await;
    let legacy = &source.entities["legacy"];
    assert_eq!(legacy.collation.as_deref(), Some("latin1_swedish_ci"));
    assert_eq!(legacy.fields["name"].collation, None);
    assert_eq!(
        legacy.fields["code"].collation.as_deref(),
        Some("latin1_general_cs")
    );
    let modern = &source.entities["modern"];
    assert_eq!(modern.collation, None);
    assert_eq!(
        modern.fields["token"].collation.as_deref(),
        Some("utf8mb4_bin")
    );
    assert_eq!(
        modern.fields["label"].collation.as_deref(),
        Some("utf8mb3_general_ci")
    );
    assert_eq!(modern.fields["body"].collation, None);

    let (plan, changes, _) = mysql_round_trip("collations_copy", &source).await;
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );

    // Changed by hand: the column's collation (case sensitivity), then the
    // table's character set.
    database
        .query("ALTER TABLE modern MODIFY token VARCHAR(64) COLLATE utf8mb4_general_ci NOT NULL");
    let changed = my::introspect(&database).await;
    let objects: Vec<String> = diff(&source, &changed).iter().map(change_object).collect();
    assert_eq!(objects, ["modern.token"]);
    database.query("ALTER TABLE legacy DEFAULT CHARSET=utf8mb4");
    let changed = my::introspect(&database).await;
    let objects: Vec<String> = diff(&source, &changed).iter().map(change_object).collect();
    assert!(objects.contains(&"legacy".to_owned()), "{objects:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_sakila_round_trips_through_a_fresh_database() {
    let Some((_source_db, source)) =
        mysql_source("sakila", "sql/mysql/sakila-schema.sql", "sakila").await
    else {
        return;
    };
    let (plan, changes, _) = mysql_round_trip("sakila_copy", &source).await;
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_chinook_round_trips_through_a_fresh_database() {
    let Some((_source_db, source)) =
        mysql_source("chinook", "sql/mysql/Chinook_MySql.sql", "Chinook").await
    else {
        return;
    };
    let (plan, changes, _) = mysql_round_trip("chinook_copy", &source).await;
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
}

// ---------------------------------------------------------------------------
// Across engines: pagila's manifest on SQLite and MySQL

/// Every difference left after a cross-engine round trip is one of the
/// plan's lossy conversions.
fn assert_only_lossy(changes: &[Change], plan: &Plan, label: &str) {
    let left = unexplained(changes, &plan.lossy);
    assert!(
        left.is_empty(),
        "{label}: differences no lossy line explains:\n{}\n\nlossy:\n{}\n\nup:\n{}",
        show(&left),
        plan.lossy.join("\n"),
        plan.up.to_sql()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pagila_applies_to_sqlite_with_only_its_lossy_conversions() {
    let Some((_source_db, source)) = pg_source("pagila_to_sqlite", &pagila_schema()).await else {
        return;
    };
    let (plan, again, _dir, path) = tokio::task::spawn_blocking(move || {
        let (plan, again, dir, path) = sqlite_round_trip(&source);
        (plan, (source, again), dir, path)
    })
    .await
    .unwrap();
    let (source, again) = again;
    let changes = diff(&source, &again);
    assert_only_lossy(&changes, &plan, "pagila on sqlite");
    insta::assert_snapshot!("pagila_on_sqlite_lossy", plan.lossy.join("\n"));
    tokio::task::spawn_blocking(move || sqlite_down_leaves_nothing(&plan, &path))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pagila_applies_to_mysql_with_only_its_lossy_conversions() {
    let Some((_source_db, source)) = pg_source("pagila_to_mysql", &pagila_schema()).await else {
        return;
    };
    let (plan, changes, _) = mysql_round_trip("pagila_from_pg", &source).await;
    assert_only_lossy(&changes, &plan, "pagila on mysql");
    insta::assert_snapshot!("pagila_on_mysql_lossy", plan.lossy.join("\n"));
}

// ---------------------------------------------------------------------------
// Every diff fixture, applied: create `before`, migrate up, check, migrate
// down, check.

/// The diff fixtures with what each engine cannot apply, and why.
fn appliable_cases(target: Target) -> Vec<(String, Manifest, Manifest)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| fixture_case(&entry.unwrap().path().join("before.toml")))
        .filter(|(name, ..)| {
            !match (name.as_str(), target) {
                // A kitchen sink of every manifest feature (documents, a
                // second schema, PostgreSQL extension functions): a
                // snapshot case, not a database.
                ("unchanged", _) => true,
                // The foreign key references `author(id)`, which the new
                // composite key `(id, email)` no longer makes unique:
                // PostgreSQL and SQLite refuse it (MySQL takes it, as the
                // key starts with `id`). `constraints` covers the same
                // statements on a sound schema.
                ("keys_and_indexes", Target::Postgres | Target::Sqlite) => true,
                _ => false,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// `expected` and what the database holds differ only by `lossy` lines.
fn assert_holds(expected: &Manifest, found: &Manifest, lossy: &[String], label: &str) {
    let changes = diff(expected, found);
    // A lossy line about an entity also holds under its new name.
    let mut lossy = lossy.to_vec();
    for (name, entity) in &expected.entities {
        if let Some(from) = &entity.renamed_from {
            let renamed: Vec<String> = lossy
                .iter()
                .filter_map(|line| {
                    line.strip_prefix(from.as_str())
                        .filter(|rest| rest.starts_with(['.', ':']))
                        .map(|rest| format!("{name}{rest}"))
                })
                .collect();
            lossy.extend(renamed);
        }
    }
    let lossy = &lossy;
    let left = unexplained(&changes, lossy);
    assert!(
        left.is_empty(),
        "{label}: the database differs from the manifest:\n{}\nlossy:\n{}",
        show(&left),
        lossy.join("\n")
    );
}

#[test]
fn sqlite_applies_every_diff_case_up_and_down() {
    for (name, before, after) in appliable_cases(Target::Sqlite) {
        let create = create_plan(Target::Sqlite, &before);
        let changes = diff(&before, &after);
        let plan = render(Target::Sqlite, &before, &after, &changes).unwrap();
        let database = sqlite::TempDatabase::create("case.db");
        let path = database.path().to_owned();
        let mut connection = database.connect();
        sqlite_apply(&mut connection, &create.up);
        sqlite_apply(&mut connection, &plan.up);
        let lossy: Vec<String> = create.lossy.iter().chain(&plan.lossy).cloned().collect();
        assert_holds(
            &after,
            &sqlite_introspect(&path).manifest,
            &lossy,
            &format!("{name} up"),
        );
        sqlite_apply(&mut connection, &plan.down);
        assert_holds(
            &before,
            &sqlite_introspect(&path).manifest,
            &lossy,
            &format!("{name} down"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_applies_every_diff_case_up_and_down() {
    if crate::support::server_url("BAAS_TEST_POSTGRES_URL").is_none() {
        return;
    }
    for (name, before, after) in appliable_cases(Target::Postgres) {
        let create = create_plan(Target::Postgres, &before);
        let changes = diff(&before, &after);
        let plan = render(Target::Postgres, &before, &after, &changes).unwrap();
        let database = pg::Database::create_async(&name).await.unwrap();
        pg::apply(&database, &create.up).await;
        pg::apply(&database, &plan.up).await;
        let lossy: Vec<String> = create.lossy.iter().chain(&plan.lossy).cloned().collect();
        assert_holds(
            &after,
            &pg::introspect(&database).await,
            &lossy,
            &format!("{name} up"),
        );
        pg::apply(&database, &plan.down).await;
        assert_holds(
            &before,
            &pg::introspect(&database).await,
            &lossy,
            &format!("{name} down"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_applies_every_diff_case_up_and_down() {
    if crate::support::server_url("BAAS_TEST_MYSQL_URL").is_none() {
        return;
    }
    for (name, before, after) in appliable_cases(Target::Mysql) {
        let create = create_plan(Target::Mysql, &before);
        let changes = diff(&before, &after);
        let plan = render(Target::Mysql, &before, &after, &changes).unwrap();
        let database = my::Database::create(&name).unwrap();
        my::apply(&database, &create.up).await;
        my::apply(&database, &plan.up).await;
        let lossy: Vec<String> = create.lossy.iter().chain(&plan.lossy).cloned().collect();
        assert_holds(
            &after,
            &my::introspect(&database).await,
            &lossy,
            &format!("{name} up"),
        );
        my::apply(&database, &plan.down).await;
        assert_holds(
            &before,
            &my::introspect(&database).await,
            &lossy,
            &format!("{name} down"),
        );
    }
}

// ---------------------------------------------------------------------------
// MongoDB

#[test]
fn mongodb_commands_for_a_case_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/entities_and_enums");
    let (_, before, after) = fixture_case(&dir.join("before.toml"));
    let plan = render(Target::Mongodb, &before, &after, &diff(&before, &after)).unwrap();
    for statement in plan.up.statements.iter().chain(&plan.down.statements) {
        let command: serde_json::Value = serde_json::from_str(&statement.text).unwrap();
        assert!(command.is_object(), "{}", statement.text);
    }
    insta::assert_snapshot!("mongodb_entities_and_enums", plan_text(&plan));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongodb_collections_are_created_with_their_validator_and_indexes() {
    use baas::introspect::mongo::MongoIntrospector;
    let Some(temp) = crate::support::mongo::TempDatabase::create("render") else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/renames");
    let (_, before, _) = fixture_case(&dir.join("before.toml"));
    let plan = create_plan(Target::Mongodb, &before);
    let database = temp.connect().await;
    for statement in &plan.up.statements {
        let value: serde_json::Value = serde_json::from_str(&statement.text).unwrap();
        let command = mongodb::bson::to_document(&value).unwrap();
        database
            .run_command(command)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", statement.text));
    }
    let again = MongoIntrospector::new(temp.url().to_owned())
        .introspect(&IntrospectOptions::default(), &Progress::hidden())
        .await
        .unwrap()
        .manifest;
    for statement in &plan.down.statements {
        let value: serde_json::Value = serde_json::from_str(&statement.text).unwrap();
        database
            .run_command(mongodb::bson::to_document(&value).unwrap())
            .await
            .unwrap();
    }
    let author = again
        .entities
        .get("author")
        .unwrap_or_else(|| panic!("{:#?}", again.entities.keys().collect::<Vec<_>>()));
    assert_eq!(
        author
            .fields
            .keys()
            .filter(|k| *k != "_id")
            .collect::<Vec<_>>(),
        ["id", "name", "email"]
    );
    assert!(author.fields["email"].nullable);
    assert_eq!(author.fields["name"].max_length, Some(100));
    assert!(author.indexes.iter().any(|i| i.name == "author_name_idx"));
}

// ---------------------------------------------------------------------------
// Data survives

fn manifest_from(text: &str) -> Manifest {
    baas::manifest::load_str(Path::new("baas.toml"), text.to_owned())
        .unwrap_or_else(|d| panic!("{}", baas::diagnostics::render_problems(&d, false)))
        .manifest
}

const SQLITE_BEFORE: &str = r#"
[manifest]
format = 1
version = 1

[source]
engine = "sqlite"

[entities.parent]
table = "parent"
primary_key = ["id"]

[entities.parent.fields]
id = { type = "int64", generated = "rowid" }
name = { type = "string", max_length = 50 }

[entities.child]
table = "child"
primary_key = ["id"]

[entities.child.fields]
id = { type = "int64", generated = "rowid" }
parent_id = { type = "int64", nullable = true }
qty = { type = "int16" }
note = { type = "text", nullable = true }

[[entities.child.indexes]]
name = "child_parent_idx"
fields = ["parent_id"]

[[entities.child.relations]]
fields = ["parent_id"]
references = { entity = "parent", fields = ["id"] }
on_delete = "cascade"
"#;

/// The same tables, with `parent.name` and `child.qty` of wider types,
/// `child.note` NOT NULL with a default, and `child`'s foreign key gone:
/// both tables are rebuilt.
const SQLITE_AFTER: &str = r#"
[manifest]
format = 1
version = 2

[source]
engine = "sqlite"

[entities.parent]
table = "parent"
primary_key = ["id"]

[entities.parent.fields]
id = { type = "int64", generated = "rowid" }
name = { type = "text" }

[entities.child]
table = "child"
primary_key = ["id"]

[entities.child.fields]
id = { type = "int64", generated = "rowid" }
parent_id = { type = "int64", nullable = true }
qty = { type = "int64" }
note = { type = "text", default = "none" }

[[entities.child.indexes]]
name = "child_parent_idx"
fields = ["parent_id"]
"#;

type ChildRow = (i64, Option<i64>, i64, Option<String>);

fn sqlite_rows(connection: &Connection) -> (Vec<(i64, String)>, Vec<ChildRow>) {
    let parents = connection
        .prepare("SELECT id, name FROM parent ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let children = connection
        .prepare("SELECT id, parent_id, qty, note FROM child ORDER BY id")
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (parents, children)
}

/// A checksum of rows: SHA-256 of their debug text.
fn checksum(rows: &impl std::fmt::Debug) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{rows:?}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sqlite_table_rebuilds_keep_every_row() {
    let before = manifest_from(SQLITE_BEFORE);
    let after = manifest_from(SQLITE_AFTER);
    let database = sqlite::TempDatabase::create("data.db");
    let path = database.path().to_owned();
    let mut connection = database.connect();
    // Enforced, as `migrate apply` finds them on a connection of its own.
    connection
        .execute_batch("PRAGMA foreign_keys = ON")
        .unwrap();
    sqlite_apply(&mut connection, &create_plan(Target::Sqlite, &before).up);
    {
        let transaction = connection.transaction().unwrap();
        for id in 1..=50 {
            transaction
                .execute(
                    "INSERT INTO parent (id, name) VALUES (?1, ?2)",
                    rusqlite::params![id, format!("parent {id}")],
                )
                .unwrap();
        }
        for id in 1..=2000_i64 {
            let note = (id % 3 != 0).then(|| format!("note {id}"));
            transaction
                .execute(
                    "INSERT INTO child (id, parent_id, qty, note) VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![id, id % 50 + 1, id % 300, note],
                )
                .unwrap();
        }
        transaction.commit().unwrap();
    }
    let (parents, children) = sqlite_rows(&connection);

    let plan = render(Target::Sqlite, &before, &after, &diff(&before, &after)).unwrap();
    let up = plan.up.to_sql();
    assert!(up.contains("INSERT INTO \"_baas_new_parent\""), "{up}");
    assert!(up.contains("INSERT INTO \"_baas_new_child\""), "{up}");
    sqlite_apply(&mut connection, &plan.up);

    // Every row is still there, as it was; the notes that were NULL took
    // the new default (the column became NOT NULL with one). The parent's
    // rebuild did not cascade into the children.
    let (parents_after, children_after) = sqlite_rows(&connection);
    assert_eq!(parents_after.len(), 50);
    assert_eq!(checksum(&parents_after), checksum(&parents));
    let expected: Vec<ChildRow> = children
        .iter()
        .map(|(id, parent, qty, note)| {
            (
                *id,
                *parent,
                *qty,
                Some(note.clone().unwrap_or_else(|| "none".into())),
            )
        })
        .collect();
    assert_eq!(children_after.len(), 2000);
    assert_eq!(checksum(&children_after), checksum(&expected));
    let foreign_keys: bool = connection
        .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .unwrap();
    assert!(foreign_keys, "enforcement is back on after the migration");
    let again = sqlite_introspect(&path).manifest;
    assert!(
        diff(&after, &again).is_empty(),
        "{}",
        show(&diff(&after, &again))
    );

    // And back: the foreign key returns, every row with it.
    sqlite_apply(&mut connection, &plan.down);
    let (parents_back, children_back) = sqlite_rows(&connection);
    assert_eq!(checksum(&parents_back), checksum(&parents));
    assert_eq!(checksum(&children_back), checksum(&expected));
    let again = sqlite_introspect(&path).manifest;
    assert!(
        diff(&before, &again).is_empty(),
        "{}",
        show(&diff(&before, &again))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_type_widening_keeps_every_row() {
    let before = manifest_from(
        r#"
[manifest]
format = 1
version = 1

[entities.ledger]
table = "ledger"
primary_key = ["id"]

[entities.ledger.fields]
id = { type = "int32" }
code = { type = "string", max_length = 20 }
amount = { type = "int32" }
"#,
    );
    let after = manifest_from(
        r#"
[manifest]
format = 1
version = 2

[entities.ledger]
table = "ledger"
primary_key = ["id"]

[entities.ledger.fields]
id = { type = "int64" }
code = { type = "string", max_length = 40 }
amount = { type = "int64" }
"#,
    );
    let Some(database) = pg::Database::create_async("widening").await else {
        return;
    };
    pg::apply(&database, &create_plan(Target::Postgres, &before).up).await;
    database.psql(
        "INSERT INTO ledger SELECT n, 'code-' || n, n * 7 - 2147483 FROM generate_series(1, 20000) AS n",
    );
    let fingerprint = "SELECT count(*)::text || ':' || md5(string_agg(id::text || '/' || code || '/' || amount::text, ',' ORDER BY id)) FROM ledger";
    let mut connection = database.connect().await;
    let before_rows: String = sqlx::query_scalar(fingerprint)
        .fetch_one(&mut connection)
        .await
        .unwrap();

    let changes = diff(&before, &after);
    assert!(
        changes.iter().all(|c| c.safety == baas::diff::Safety::Safe),
        "{}",
        show(&changes)
    );
    let plan = render(Target::Postgres, &before, &after, &changes).unwrap();
    assert!(plan.up.statements.iter().all(|s| !s.destructive));
    pg::apply(&database, &plan.up).await;
    let after_rows: String = sqlx::query_scalar(fingerprint)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert!(after_rows.starts_with("20000:"), "{after_rows}");
    assert_eq!(after_rows, before_rows);
    let again = pg::introspect(&database).await;
    assert!(
        diff(&after, &again).is_empty(),
        "{}",
        show(&diff(&after, &again))
    );
    // A value only the wider types hold.
    database
        .psql("INSERT INTO ledger VALUES (3000000000, 'a-code-of-thirty-chars-or-so', 5000000000)");
}

// ---------------------------------------------------------------------------
// Any manifest makes a SQLite database (what `baas serve` starts from)

/// The manifests the importers make of the corpus, and this repository's
/// example manifests.
fn imported_manifests() -> Vec<(String, Manifest)> {
    let corpus = crate::support::corpus();
    let mut manifests: Vec<(String, Manifest)> = Vec::new();
    let runtime = runtime();
    use baas::parse::SourceFormat;
    for (folder, format) in [
        ("prisma", SourceFormat::Prisma),
        ("openapi", SourceFormat::Openapi),
        ("graphql", SourceFormat::Graphql),
        ("jsonschema", SourceFormat::Jsonschema),
    ] {
        let options = IntrospectOptions {
            format: Some(format),
            ..IntrospectOptions::default()
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let imported = runtime
                .block_on(baas::parse::parse_file(&file, &options))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            manifests.push((file.display().to_string(), imported.manifest));
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "fixtures/manifests/bookshop.toml",
        "fixtures/manifests/kitchen_sink.toml",
    ] {
        manifests.push((
            file.to_owned(),
            load_file(&root.join(file)).unwrap().manifest,
        ));
    }
    manifests
}

#[test]
fn every_imported_schema_creates_a_sqlite_database() {
    for (name, manifest) in imported_manifests() {
        let plan = create_plan(Target::Sqlite, &manifest);
        let database = sqlite::TempDatabase::create("dev.db");
        let path = database.path().to_owned();
        let mut connection = database.connect();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sqlite_apply(&mut connection, &plan.up)
        }));
        assert!(
            result.is_ok(),
            "{name}: the up script fails on SQLite:\n{}",
            plan.up.to_sql()
        );
        let tables = sqlite_introspect(&path)
            .manifest
            .entities
            .values()
            .filter(|e| !e.is_read_only())
            .count();
        let expected = manifest
            .entities
            .values()
            .filter(|e| !e.is_read_only())
            .count();
        assert_eq!(tables, expected, "{name}");
        sqlite_apply(&mut connection, &plan.down);
    }
}

#[test]
fn every_imported_schema_creates_a_postgres_and_a_mysql_database() {
    if crate::support::server_url("BAAS_TEST_POSTGRES_URL").is_none()
        || crate::support::server_url("BAAS_TEST_MYSQL_URL").is_none()
    {
        return;
    }
    // The kitchen sink is a manifest of every key, not of one engine: a
    // PostgreSQL source with SQLite's NOCASE collation and a CHECK naming a
    // mixed-case column unquoted. SQLite takes it; the servers do not.
    let manifests: Vec<_> = imported_manifests()
        .into_iter()
        .filter(|(name, _)| !name.ends_with("kitchen_sink.toml"))
        .collect();
    runtime().block_on(async {
        for (name, manifest) in manifests {
            let plan = create_plan(Target::Postgres, &manifest);
            let database = pg::Database::create_async("imported").await.unwrap();
            pg::apply(&database, &plan.up).await;
            pg::apply(&database, &plan.down).await;
            let plan = create_plan(Target::Mysql, &manifest);
            let database = my::Database::create("imported").unwrap();
            my::apply(&database, &plan.up).await;
            my::apply(&database, &plan.down).await;
            let _ = name;
        }
    });
}

/// A plan between two manifests that differ only in what partitions have
/// of their own: indexes dropped, rebuilt and made, checks and foreign keys
/// dropped and added. Applied, the database reads back as the new manifest;
/// the down script gives the old one back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plan_changes_what_partitions_have_of_their_own() {
    use baas::manifest::{Check, Index, IndexPart, Relation, RelationTarget};
    let Some((database, before)) = pg_source("partition_own", &structure_sql()).await else {
        return;
    };
    let mut after = before.clone();
    let events = after.entities.get_mut("events").unwrap();
    let partition = |events: &mut baas::manifest::Entity, table: &str| {
        let found = events.partitions.iter().position(|p| p.table == table);
        found.unwrap_or_else(|| panic!("no partition {table}"))
    };
    // events_2025: its index rebuilt on another key, its check dropped.
    let at = partition(events, "events_2025");
    events.partitions[at].indexes[0].fields = vec![IndexPart::field("user_id")];
    events.partitions[at].checks.clear();
    // events_default: its foreign key dropped; a unique index and a check.
    let at = partition(events, "events_default");
    events.partitions[at].relations.clear();
    events.partitions[at].indexes.push(Index {
        unique: true,
        ..index("index_events_default_on_id", "id")
    });
    events.partitions[at].checks.push(Check {
        name: Some("events_default_kind_set".into()),
        sql: "(kind)::text <> ''::text".into(),
        ..Check::default()
    });
    // A sub-partition's own foreign key.
    let at = partition(events, "events_2024_signup");
    events.partitions[at].relations.push(Relation {
        name: Some("fk_signup_user".into()),
        fields: vec!["user_id".into()],
        references: RelationTarget {
            entity: "users".into(),
            fields: vec!["id".into()],
        },
        ..before.entities["events"].relations[0].clone()
    });
    assert!(baas::manifest::validate(&after).is_empty());

    let changes = diff(&before, &after);
    assert_eq!(changes.len(), 1, "{}", show(&changes));
    assert_eq!(
        changes[0].reason,
        "`events`: partition `events_2025`: index `index_events_2025_on_kind` changed, check \
         `events_2025_id_positive` dropped, partition `events_default`: index \
         `index_events_default_on_id` added, check `events_default_kind_set` added, foreign key \
         `fk_events_default_user` dropped, partition `events_2024_signup`: foreign key \
         `fk_signup_user` added"
    );
    let plan = render(Target::Postgres, &before, &after, &changes).unwrap();
    pg::apply(&database, &plan.up).await;
    let changed = pg::introspect(&database).await;
    let left = diff(&after, &changed);
    assert!(left.is_empty(), "{}\n{}", show(&left), plan.up.to_sql());
    pg::apply(&database, &plan.down).await;
    let back = pg::introspect(&database).await;
    let left = diff(&before, &back);
    assert!(left.is_empty(), "{}\n{}", show(&left), plan.down.to_sql());
}

fn index(name: &str, field: &str) -> baas::manifest::Index {
    baas::manifest::Index {
        name: name.into(),
        fields: vec![baas::manifest::IndexPart::field(field)],
        unique: false,
        predicate: None,
        method: None,
        expire_after_seconds: None,
        options: Default::default(),
    }
}

/// MySQL keys no whole `TEXT` column: a `text` field in a primary key, a
/// unique key or a foreign key (either end) is created as `varchar(191)`,
/// so the unique key covers the whole value and the foreign key exists; a
/// plain index keeps the column `text` and indexes a prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_text_keys_are_varchar_and_plain_indexes_take_a_prefix() {
    let manifest = manifest_from(
        r#"
[manifest]
format = 1
version = 1

[source]
engine = "postgres"

[entities.account]
table = "account"
primary_key = ["id"]

[entities.account.fields]
id = { type = "text" }
email = { type = "text", unique = true }
team = { type = "text" }
handle = { type = "text" }
bio = { type = "text" }

[[entities.account.uniques]]
fields = ["team", "handle"]

[[entities.account.indexes]]
name = "account_bio_idx"
fields = ["bio"]

[entities.post]
table = "post"
primary_key = ["id"]

[entities.post.fields]
id = { type = "int32" }
account_id = { type = "text" }

[[entities.post.relations]]
fields = ["account_id"]
references = { entity = "account", fields = ["id"] }
"#,
    );
    let Some(database) = my::Database::create_async("text_keys").await else {
        return;
    };
    let plan = create_plan(Target::Mysql, &manifest);
    my::apply(&database, &plan.up).await;
    let live = my::introspect(&database).await;
    let account = &live.entities["account"];
    for key in ["id", "email", "team", "handle"] {
        let field = &account.fields[key];
        assert_eq!(
            (field.ty, field.max_length),
            (baas::manifest::FieldType::String, Some(191)),
            "account.{key}\n{}",
            plan.up.to_sql()
        );
    }
    assert_eq!(
        account.fields["bio"].ty,
        baas::manifest::FieldType::Text,
        "{}",
        plan.up.to_sql()
    );
    assert!(
        plan.up.to_sql().contains("(`bio`(255))"),
        "{}",
        plan.up.to_sql()
    );
    assert!(
        account.fields["email"].unique,
        "the whole value is unique\n{}",
        plan.up.to_sql()
    );
    let post = &live.entities["post"];
    assert_eq!(post.fields["account_id"].max_length, Some(191));
    assert_eq!(post.relations.len(), 1, "{}", plan.up.to_sql());
    assert!(
        plan.lossy
            .iter()
            .any(|line| line.starts_with("account.email:") && line.contains("varchar(191)")),
        "{:?}",
        plan.lossy
    );
    my::apply(&database, &plan.down).await;
}

/// A PostgreSQL manifest with every detail only PostgreSQL makes: table
/// storage and replication settings, options of its keys' and indexes'
/// indexes, an identity's sequence options.
const POSTGRES_DETAILS: &str = r#"
[manifest]
format = 1
version = 1
[project]
name = "details"
[source]
engine = "postgres"

[entities.sessions]
table = "sessions"
primary_key = ["id"]
primary_key_include = ["note"]
primary_key_with = ["fillfactor=80"]
unlogged = true
with = ["fillfactor=70"]
replica_identity = "FULL"
cluster_on = "sessions_by_code"

[entities.sessions.fields]
id = { type = "int64", generated = "identity", identity_options = "INCREMENT BY 10 START WITH 100", sequence_comment = "numbers sessions" }
code = { type = "string" }
note = { type = "string", nullable = true }

[[entities.sessions.uniques]]
fields = ["code"]
include = ["note"]
nulls_not_distinct = true
with = ["fillfactor=60"]

[[entities.sessions.indexes]]
name = "sessions_by_code"
fields = ["code", "note"]
operator_classes = ["text_pattern_ops", ""]
include = ["id"]
with = ["fillfactor=90"]
"#;

/// Plans for MySQL, SQLite and MongoDB leave out what only PostgreSQL
/// makes and say so, one lossy line each; a PostgreSQL plan makes them all
/// and says nothing. Before, the other engines' plans left them out in
/// silence.
#[test]
fn postgres_details_left_out_elsewhere_are_lossy_lines() {
    let manifest = baas::manifest::load_str(Path::new("baas.toml"), POSTGRES_DETAILS.to_owned())
        .unwrap()
        .manifest;
    let details = [
        "`UNLOGGED`",
        "`REPLICA IDENTITY FULL`",
        "`CLUSTER ON sessions_by_code`",
        "`WITH (fillfactor=70)`",
        "`INCLUDE (note)` of the primary key",
        "`WITH (fillfactor=80)` of the primary key",
        "`INCLUDE (note)` of unique key (code)",
        "`NULLS NOT DISTINCT` of unique key (code)",
        "`WITH (fillfactor=60)` of unique key (code)",
        "operator class `text_pattern_ops` of index `sessions_by_code`",
        "`INCLUDE (id)` of index `sessions_by_code`",
        "`WITH (fillfactor=90)` of index `sessions_by_code`",
        "identity `INCREMENT BY 10 START WITH 100` of `id`",
        "the comment on the sequence of `id`",
    ];
    for target in [Target::Mysql, Target::Sqlite, Target::Mongodb] {
        let plan = create_plan(target, &manifest);
        for detail in details {
            let line = format!("`sessions`: {detail} is PostgreSQL's; {target} has none");
            assert!(
                plan.lossy.iter().any(|l| l.starts_with(&line)),
                "{target}: no `{line}` in {:#?}",
                plan.lossy
            );
        }
    }
    let plan = create_plan(Target::Postgres, &manifest);
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    let up = plan_text(&plan);
    for made in [
        "UNLOGGED",
        "REPLICA IDENTITY FULL",
        "NULLS NOT DISTINCT",
        "text_pattern_ops",
        "COMMENT ON SEQUENCE \"sessions_id_seq\" IS 'numbers sessions'",
    ] {
        assert!(up.contains(made), "{made}:\n{up}");
    }
}

const MYSQL_AND_SQLITE_DETAILS: &str = r#"
[manifest]
format = 1
version = 1
[project]
name = "details"
[source]
engine = "mysql"

[entities.posts]
table = "posts"
primary_key = ["id"]
row_format = "COMPRESSED"
collation = "latin1_swedish_ci"

[entities.posts.fields]
id = { type = "int64" }
slug = { type = "string", max_length = 200, collation = "utf8mb4_bin" }
secret = { type = "string", max_length = 20, nullable = true, invisible = true }
touched = { type = "timestamp", nullable = true, on_update = "CURRENT_TIMESTAMP" }
views = { type = "int32", native = "int(8) unsigned zerofill" }

[[entities.posts.indexes]]
name = "posts_by_slug"
fields = [{ field = "slug", prefix_length = 50 }]
invisible = true
comment = "lookups by slug"

[entities.notes]
table = "notes"
primary_key = ["id"]
without_rowid = true
strict = true

[entities.notes.fields]
id = { type = "string" }
"#;

/// Plans leave out what only MySQL or only SQLite makes of a table (and
/// MongoDB what it has no place for in a field) and say so, one lossy line
/// each; the engine that makes it says nothing. Before, `ROW_FORMAT`, the
/// table collation, `WITHOUT ROWID` and `STRICT` were left out in silence
/// on the other SQL engines, and MongoDB plans dropped a field's engine
/// type, collation, invisibility and `ON UPDATE` without a word.
#[test]
fn mysql_and_sqlite_details_left_out_elsewhere_are_lossy_lines() {
    let manifest =
        baas::manifest::load_str(Path::new("baas.toml"), MYSQL_AND_SQLITE_DETAILS.to_owned())
            .unwrap()
            .manifest;
    let mysql = [
        "`posts`: `ROW_FORMAT=COMPRESSED` is MySQL's",
        "`posts`: the collation `latin1_swedish_ci` is MySQL's",
    ];
    let sqlite = [
        "`notes`: `WITHOUT ROWID` is SQLite's",
        "`notes`: `STRICT` is SQLite's",
    ];
    let mongodb = [
        "posts.views: `int(8) unsigned zerofill` is a mysql type",
        "posts.slug: MongoDB has no per-field collations",
        "posts.secret: MongoDB has no invisible fields",
        "posts.touched: MongoDB has no ON UPDATE",
    ];
    for target in [
        Target::Postgres,
        Target::Mysql,
        Target::Sqlite,
        Target::Mongodb,
    ] {
        let plan = create_plan(target, &manifest);
        let expected = match target {
            Target::Mysql => sqlite.to_vec(),
            Target::Sqlite => mysql.to_vec(),
            Target::Postgres => [mysql, sqlite].concat(),
            Target::Mongodb => [&mysql[..], &sqlite, &mongodb].concat(),
        };
        for line in &expected {
            assert!(
                plan.lossy.iter().any(|l| l.starts_with(line)),
                "{target}: no `{line}` in {:#?}",
                plan.lossy
            );
        }
        let unexpected = match target {
            Target::Mysql => mysql.to_vec(),
            Target::Sqlite => sqlite.to_vec(),
            _ => Vec::new(),
        };
        for line in unexpected {
            assert!(
                !plan.lossy.iter().any(|l| l.starts_with(line)),
                "{target} makes it: `{line}` in {:#?}",
                plan.lossy
            );
        }
    }
}

/// Tables that inherit (`INHERITS`): a PostgreSQL plan makes the parents
/// first, each child with only its own columns and checks; a MySQL, SQLite
/// or MongoDB plan makes each child a plain table with all its columns and
/// checks, and names the inheritance and the `NO INHERIT` checks it leaves
/// out in lossy lines.
#[test]
fn inheritance_is_planned_on_postgres_and_a_lossy_line_elsewhere() {
    let manifest = baas::manifest::load_str(
        Path::new("baas.toml"),
        r#"
[manifest]
format = 1
version = 1
[project]
name = "inherits"
[source]
engine = "postgres"

[entities.a_child]
table = "a_child"
inherits = ["parent"]

[entities.a_child.fields]
id = { type = "int32", inherited = true }
note = { type = "text", inherited = true }
own = { type = "text", nullable = true }

[[entities.a_child.checks]]
name = "parent_id"
sql = "id > 0"
inherited = true

[entities.parent]
table = "parent"

[entities.parent.fields]
id = { type = "int32" }
note = { type = "text", nullable = true }

[[entities.parent.checks]]
name = "parent_id"
sql = "id > 0"

[[entities.parent.checks]]
name = "parent_small"
sql = "id < 100"
no_inherit = true
"#
        .to_owned(),
    )
    .unwrap()
    .manifest;
    for target in [Target::Mysql, Target::Sqlite, Target::Mongodb] {
        let plan = create_plan(target, &manifest);
        for line in [
            format!("`a_child`: `INHERITS (parent)` is PostgreSQL's; {target} has none"),
            format!(
                "`parent`: `NO INHERIT` of check `parent_small` is PostgreSQL's; {target} has none"
            ),
        ] {
            assert!(
                plan.lossy.iter().any(|l| l.starts_with(&line)),
                "{target}: no `{line}` in {:#?}",
                plan.lossy
            );
        }
        if target != Target::Mongodb {
            let up = plan.up.to_sql();
            let child = &up[up
                .find("CREATE TABLE `a_child`")
                .or(up.find("CREATE TABLE \"a_child\""))
                .unwrap()..];
            let child = &child[..child.find(';').unwrap()];
            for made in ["id", "note", "own", "parent_id"] {
                assert!(child.contains(made), "{target}: {made}:\n{up}");
            }
        }
    }
    let plan = create_plan(Target::Postgres, &manifest);
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    let up = plan.up.to_sql();
    let parent = up.find("CREATE TABLE \"parent\"").unwrap();
    let child = up.find("CREATE TABLE \"a_child\"").unwrap();
    assert!(parent < child, "{up}");
    assert!(
        up.contains(
            "CREATE TABLE \"a_child\" (\n    \"own\" text\n) INHERITS (\"parent\");\n\n\
             ALTER TABLE ONLY \"a_child\" ALTER COLUMN \"note\" SET NOT NULL;"
        ),
        "{up}"
    );
    assert!(
        up.contains("CONSTRAINT \"parent_small\" CHECK (id < 100) NO INHERIT"),
        "{up}"
    );
}

/// A virtual generated column of a PostgreSQL manifest (read from
/// PostgreSQL 18 or later, the only ones that have them) is planned
/// `VIRTUAL` for PostgreSQL, so the plan applied gives it back; one of
/// another engine's manifest (MySQL) is planned `STORED` with a lossy
/// line, as PostgreSQL before 18 has only those. Before, both were planned
/// `STORED`, and a PostgreSQL 18 database planned from its own manifest
/// drifted.
#[test]
fn virtual_columns_stay_virtual_for_postgres_from_a_postgres_manifest() {
    for (engine, expected, lossy) in [
        ("postgres", "GENERATED ALWAYS AS (n * 2) VIRTUAL", false),
        ("mysql", "GENERATED ALWAYS AS (n * 2) STORED", true),
    ] {
        let text = format!(
            "[manifest]\nformat = 1\nversion = 1\n\n[source]\nengine = \"{engine}\"\n\n\
             [entities.t]\ntable = \"t\"\nprimary_key = [\"id\"]\n\n[entities.t.fields]\n\
             id = {{ type = \"int32\" }}\nn = {{ type = \"int32\" }}\n\
             doubled = {{ type = \"int32\", nullable = true, generated = {{ sql = \"n * 2\", stored = false }} }}\n"
        );
        let manifest = baas::manifest::load_str(Path::new("baas.toml"), text)
            .unwrap()
            .manifest;
        let plan = create_plan(Target::Postgres, &manifest);
        let up = plan_text(&plan);
        assert!(up.contains(expected), "{engine}:\n{up}");
        assert_eq!(
            plan.lossy
                .iter()
                .any(|line| line.contains("only stored generated columns")),
            lossy,
            "{engine}: {:#?}",
            plan.lossy
        );
    }
}
