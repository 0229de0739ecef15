//! `baas migrate` and `baas check` through the real binary and real
//! databases: SQLite files, and the PostgreSQL and MariaDB servers that
//! `tests/servers/start.sh` runs (each test gets a database of its own).
//!
//! Most migrations here are written by hand, as users write and edit them;
//! the planned ones come from the renderer.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tempfile::TempDir;

use crate::support::baas;
use crate::support::mongo::TempDatabase as Mongo;
use crate::support::mysql::TempDatabase as Mysql;
use crate::support::postgres::TempDatabase as Postgres;

// ---------------------------------------------------------------------------
// Helpers

const MANIFEST: &str = r#"[manifest]
format = 1
version = 1

[project]
name = "shop"

[source]
engine = "sqlite"
url = "sqlite://shop.db"

[entities.book]
table = "book"
primary_key = ["id"]

[entities.book.fields]
id = { type = "int64" }
title = { type = "text" }
"#;

/// A project folder with a `baas.toml`.
fn project(manifest: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    dir
}

/// Writes `migrations/<id>/` with `up.sql`, `down.sql` and, when given, a snapshot.
fn migration(dir: &Path, id: &str, up: &str, down: &str) -> PathBuf {
    let path = dir.join("migrations").join(id);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("up.sql"), up).unwrap();
    std::fs::write(path.join("down.sql"), down).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `baas` in `dir` and returns its output, whatever the exit code.
fn run(dir: &Path, args: &[&str]) -> Output {
    baas(dir).args(args).output().unwrap()
}

/// Runs `baas` and asserts its exit code; returns (stdout, stderr).
#[track_caller]
fn expect(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let output = run(dir, args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(code),
        "`baas {}` exited {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        args.join(" "),
        output.status.code()
    );
    (stdout, stderr)
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn sha256(path: &Path) -> String {
    baas::migrate::folder::checksum(&std::fs::read(path).unwrap())
}

/// `(number, name, checksum)` of every history row of a SQLite file.
fn sqlite_history(path: &Path) -> Vec<(i64, String, String)> {
    let connection = Connection::open(path).unwrap();
    let exists: bool = connection
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE name = '_baas_migrations'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    if !exists {
        return Vec::new();
    }
    let mut statement = connection
        .prepare("SELECT number, name, checksum FROM _baas_migrations ORDER BY number")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The tables of a SQLite file, without SQLite's own.
fn sqlite_tables(path: &Path) -> Vec<String> {
    let connection = Connection::open(path).unwrap();
    let mut statement = connection
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The schema of a database as `baas introspect` writes it.
fn introspected(dir: &Path, url: &str) -> String {
    let (stdout, _) = expect(dir, &["introspect", url, "--dry-run"], 0);
    stdout
}

/// The rows of a PostgreSQL database's migration history (none when the
/// table does not exist yet).
fn pg_history(database: &Postgres) -> String {
    if !database.has_table("_baas_migrations") {
        return String::new();
    }
    database.query("SELECT number, name, checksum, version, execution_ms >= 0 FROM _baas_migrations ORDER BY number")
}

/// Starts `baas` in the background with stderr piped.
fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_baas"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env_remove("BAAS_MANIFEST")
        .env_remove("BAAS_DATABASE_URL")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads the child's stderr until a line contains `needle`; returns what was read.
fn wait_for_line(child: &mut Child, needle: &str) -> String {
    let stderr = child.stderr.take().unwrap();
    let mut reader = BufReader::new(stderr);
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).unwrap();
        seen.push_str(&line);
        if read == 0 || line.contains(needle) {
            return seen;
        }
    }
}

/// Two `baas migrate apply` started together; both must succeed.
fn apply_twice_at_once(dir: &Path, url: &str) -> (String, String) {
    let first = spawn(dir, &["migrate", "apply", "--url", url, "--yes"]);
    let second = spawn(dir, &["migrate", "apply", "--url", url, "--yes"]);
    let outputs: Vec<Output> = [first, second]
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    for output in &outputs {
        assert!(
            output.status.success(),
            "a concurrent apply failed: {}",
            text(&output.stderr)
        );
    }
    (text(&outputs[0].stderr), text(&outputs[1].stderr))
}

// ---------------------------------------------------------------------------
// plan and check (no database)

#[test]
fn plan_writes_a_migration_and_bumps_only_the_version() {
    let dir = project(&MANIFEST.replace("version = 1", "version = 1 # bumped by plan"));
    let (_, stderr) = expect(dir.path(), &["migrate", "plan", "--name", "init"], 0);
    let folder = dir.path().join("migrations/0001_init");
    assert!(stderr.contains("migrations/0001_init"), "{stderr}");
    for file in ["up.sql", "down.sql", "baas.toml"] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    let up = std::fs::read_to_string(folder.join("up.sql")).unwrap();
    assert!(up.to_ascii_uppercase().contains("CREATE TABLE"), "{up}");
    let working = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert_eq!(
        working,
        MANIFEST.replace("version = 1", "version = 2 # bumped by plan"),
        "only the version changes, comment kept"
    );
    let snapshot = std::fs::read_to_string(folder.join("baas.toml")).unwrap();
    assert!(snapshot.contains("version = 2"), "{snapshot}");

    // Nothing changed since: nothing written.
    let (_, stderr) = expect(dir.path(), &["migrate", "plan", "--name", "again"], 0);
    assert!(stderr.contains("No changes"), "{stderr}");
    assert!(!dir.path().join("migrations/0002_again").exists());
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "plan", "--name", "again", "--json"],
        0,
    );
    assert_eq!(json(&stdout)["migration"], serde_json::Value::Null);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("baas.toml")).unwrap(),
        working
    );
    expect(dir.path(), &["check"], 0);

    // A new field: the next number, version 3.
    std::fs::write(
        dir.path().join("baas.toml"),
        format!("{working}price = {{ type = \"float64\", nullable = true }}\n"),
    )
    .unwrap();
    expect(dir.path(), &["check"], 1);
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "plan", "--name", "add_price", "--json"],
        0,
    );
    let body = json(&stdout);
    assert_eq!(body["migration"]["number"], 2);
    assert_eq!(body["version"], 3);
    assert_eq!(body["changes"][0]["kind"], "add_field");
    assert!(
        dir.path()
            .join("migrations/0002_add_price/up.sql")
            .is_file()
    );
    expect(dir.path(), &["check"], 0);
}

#[test]
fn plan_without_changes_writes_nothing() {
    let dir = project(MANIFEST);
    let snapshot = MANIFEST.replace("version = 1", "version = 2");
    let folder = migration(
        dir.path(),
        "0001_init",
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL);",
        "DROP TABLE book;",
    );
    std::fs::write(folder.join("baas.toml"), &snapshot).unwrap();
    let (_, stderr) = expect(dir.path(), &["migrate", "plan", "--name", "next"], 0);
    assert!(stderr.contains("No changes since `0001_init`"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("migrations"))
            .unwrap()
            .count(),
        1
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("baas.toml")).unwrap(),
        MANIFEST
    );
}

#[test]
fn plan_needs_a_database_engine_or_a_dialect() {
    let dir = project(&MANIFEST.replace("engine = \"sqlite\"", "engine = \"openapi\""));
    let (_, stderr) = expect(dir.path(), &["migrate", "plan", "--name", "init"], 2);
    assert!(stderr.contains("--dialect"), "{stderr}");
    let (_, stderr) = expect(dir.path(), &["migrate", "plan", "--name", "bad name"], 2);
    assert!(stderr.contains("cannot name a migration"), "{stderr}");
    assert!(!dir.path().join("migrations").exists());
}

#[test]
fn check_without_a_database_compares_with_the_last_migration() {
    let dir = project(MANIFEST);
    // No migrations at all: everything is unplanned.
    let (stdout, stderr) = expect(dir.path(), &["check"], 1);
    assert!(
        stdout.contains("add entity") && stdout.contains("book"),
        "{stdout}"
    );
    assert!(stderr.contains("migrate plan"), "{stderr}");

    let folder = migration(
        dir.path(),
        "0001_init",
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL);",
        "DROP TABLE book;",
    );
    std::fs::write(folder.join("baas.toml"), MANIFEST).unwrap();
    let (_, stderr) = expect(dir.path(), &["check"], 0);
    assert!(stderr.contains("No drift"), "{stderr}");
    let (stdout, _) = expect(dir.path(), &["check", "--json"], 0);
    assert_eq!(json(&stdout)["drift"], false);

    // An unplanned, safe edit: drift, unless only destructive drift fails.
    let edited = format!("{MANIFEST}price = {{ type = \"float64\", nullable = true }}\n");
    std::fs::write(dir.path().join("baas.toml"), &edited).unwrap();
    let (stdout, _) = expect(dir.path(), &["check", "--json"], 1);
    let body = json(&stdout);
    assert_eq!(body["drift"], true);
    assert_eq!(body["changes"][0]["kind"], "add_field");
    assert_eq!(body["changes"][0]["field"], "price");
    let (_, stderr) = expect(dir.path(), &["check", "--fail-on", "destructive"], 0);
    assert!(stderr.contains("warning:"), "{stderr}");

    // A destructive one fails either way.
    std::fs::write(
        dir.path().join("baas.toml"),
        MANIFEST.replace("title = { type = \"text\" }\n", ""),
    )
    .unwrap();
    let (stdout, _) = expect(dir.path(), &["check", "--fail-on", "destructive"], 1);
    assert!(stdout.contains("DESTRUCTIVE"), "{stdout}");

    // Bad input: a manifest that does not load, a snapshot that does not.
    std::fs::write(dir.path().join("baas.toml"), "[manifest\n").unwrap();
    expect(dir.path(), &["check"], 2);
    std::fs::write(dir.path().join("baas.toml"), MANIFEST).unwrap();
    std::fs::write(folder.join("baas.toml"), "[entities.x]\nnope = 1\n").unwrap();
    expect(dir.path(), &["check"], 2);
    std::fs::write(folder.join("baas.toml"), MANIFEST).unwrap();
    std::fs::create_dir(dir.path().join("migrations/not-a-migration")).unwrap();
    expect(dir.path(), &["check"], 2);
}

#[test]
fn check_cannot_connect_is_exit_3() {
    let dir = project(MANIFEST);
    let (_, stderr) = expect(
        dir.path(),
        &[
            "check",
            "--url",
            "postgres://app:s3cret-pw@127.0.0.1:1/shop",
        ],
        3,
    );
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    expect(
        dir.path(),
        &[
            "migrate",
            "apply",
            "--url",
            "postgres://app@127.0.0.1:1/shop",
        ],
        3,
    );
    expect(
        dir.path(),
        &[
            "migrate",
            "status",
            "--url",
            "mysql://root@127.0.0.1:1/shop",
        ],
        3,
    );
}

// ---------------------------------------------------------------------------
// SQLite

const BOOK_UP: &str = "-- the first table\nCREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT 'a;b');\nINSERT INTO book (title) VALUES ('it''s; fine');\n";
const BOOK_DOWN: &str = "-- baas:destructive drops `book` and its rows\nDROP TABLE book;\n";
const AUTHOR_UP: &str = "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT);\nCREATE INDEX author_name ON author (name);\n";
const AUTHOR_DOWN: &str =
    "DROP INDEX author_name;\n-- baas:destructive drops `author`\nDROP TABLE author;\n";

#[test]
fn sqlite_apply_status_and_down() {
    let dir = project(MANIFEST);
    let one = migration(dir.path(), "0001_book", BOOK_UP, BOOK_DOWN);
    let two = migration(dir.path(), "0002_author", AUTHOR_UP, AUTHOR_DOWN);
    let database = dir.path().join("shop.db");

    // Dry run: the statements, nothing done (the file is not even created).
    let (stdout, _) = expect(dir.path(), &["migrate", "apply", "--dry-run"], 0);
    assert!(!database.exists());
    assert!(stdout.contains("-- 0001_book (up.sql)"), "{stdout}");
    assert!(
        stdout.contains("INSERT INTO book (title) VALUES ('it''s; fine');"),
        "{stdout}"
    );
    assert!(sqlite_tables(&database).is_empty());

    // Apply (the URL comes from `[source] url`), in order, with checksums.
    let (_, stderr) = expect(dir.path(), &["migrate", "apply"], 0);
    assert!(stderr.contains("0001_book: applied in"), "{stderr}");
    assert!(stderr.contains("Applied 2 migration(s)"), "{stderr}");
    assert_eq!(
        sqlite_history(&database),
        [
            (1, "book".to_owned(), sha256(&one.join("up.sql"))),
            (2, "author".to_owned(), sha256(&two.join("up.sql"))),
        ]
    );
    assert_eq!(
        sqlite_tables(&database),
        ["_baas_migrations", "author", "book"]
    );
    let title: String = Connection::open(&database)
        .unwrap()
        .query_row("SELECT title FROM book", [], |row| row.get(0))
        .unwrap();
    assert_eq!(title, "it's; fine");

    // Again: nothing to do.
    let (_, stderr) = expect(dir.path(), &["migrate", "apply"], 0);
    assert!(stderr.contains("nothing to apply"), "{stderr}");
    let (stdout, _) = expect(dir.path(), &["migrate", "status", "--json"], 0);
    let body = json(&stdout);
    let states: Vec<&str> = body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["applied", "applied"]);

    // A new migration is pending; an edited applied one is refused.
    migration(
        dir.path(),
        "0003_tag",
        "CREATE TABLE tag (name TEXT PRIMARY KEY);",
        "DROP TABLE tag;",
    );
    let (stdout, _) = expect(dir.path(), &["migrate", "status"], 0);
    assert!(stdout.contains("pending"), "{stdout}");
    std::fs::write(one.join("up.sql"), format!("{BOOK_UP}-- edited\n")).unwrap();
    let (_, stderr) = expect(dir.path(), &["migrate", "apply"], 2);
    assert!(
        stderr.contains("0001_book") && stderr.contains("checksum"),
        "{stderr}"
    );
    let (stdout, _) = expect(dir.path(), &["migrate", "status"], 1);
    assert!(stdout.contains("modified"), "{stdout}");
    assert!(!sqlite_tables(&database).contains(&"tag".to_owned()));
    std::fs::write(one.join("up.sql"), BOOK_UP).unwrap();
    expect(dir.path(), &["migrate", "apply"], 0);
    assert_eq!(sqlite_history(&database).len(), 3);

    // Down: newest first; a destructive statement needs --yes without a terminal.
    expect(dir.path(), &["migrate", "down"], 0);
    assert_eq!(sqlite_history(&database).len(), 2);
    let (_, stderr) = expect(dir.path(), &["migrate", "down"], 2);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(sqlite_history(&database).len(), 2);
    let (stdout, _) = expect(dir.path(), &["migrate", "down", "2", "--dry-run"], 0);
    assert!(
        stdout.find("0002_author").unwrap() < stdout.find("0001_book").unwrap(),
        "{stdout}"
    );
    expect(dir.path(), &["migrate", "down", "2", "--yes"], 0);
    assert!(sqlite_history(&database).is_empty());
    assert_eq!(sqlite_tables(&database), ["_baas_migrations"]);

    // A folder whose applied migration is gone.
    expect(dir.path(), &["migrate", "apply"], 0);
    std::fs::remove_dir_all(dir.path().join("migrations/0003_tag")).unwrap();
    let (stdout, _) = expect(dir.path(), &["migrate", "status"], 1);
    assert!(stdout.contains("missing-file"), "{stdout}");
    expect(dir.path(), &["migrate", "apply"], 2);
}

#[test]
fn sqlite_asks_before_destructive_steps_and_refuses_transaction_control() {
    let dir = project(MANIFEST);
    migration(dir.path(), "0001_book", BOOK_UP, BOOK_DOWN);
    migration(
        dir.path(),
        "0002_drop",
        "-- baas:destructive drops `book` and every row in it\nDROP TABLE book;",
        "",
    );
    let (_, stderr) = expect(
        dir.path(),
        &["migrate", "apply", "--url", "sqlite://shop.db"],
        2,
    );
    assert!(
        stderr.contains("destructive") && stderr.contains("--yes"),
        "{stderr}"
    );
    let database = dir.path().join("shop.db");
    assert!(
        sqlite_history(&database).is_empty(),
        "nothing applied before asking"
    );
    expect(dir.path(), &["migrate", "apply", "--yes"], 0);
    assert_eq!(sqlite_history(&database).len(), 2);

    migration(
        dir.path(),
        "0003_tx",
        "BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;",
        "",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply"], 2);
    assert!(stderr.contains("controls the transaction"), "{stderr}");
}

/// A migration whose third statement fails leaves the schema and the
/// history exactly as they were.
#[test]
fn sqlite_failing_third_statement_changes_nothing() {
    let dir = project(MANIFEST);
    migration(dir.path(), "0001_book", BOOK_UP, BOOK_DOWN);
    expect(dir.path(), &["migrate", "apply"], 0);
    let database = dir.path().join("shop.db");
    let schema = introspected(dir.path(), "sqlite://shop.db");
    let history = sqlite_history(&database);

    migration(
        dir.path(),
        "0002_broken",
        "CREATE TABLE one (x int);\nINSERT INTO book (title) VALUES ('two');\nINSERT INTO nowhere VALUES (3);\nCREATE TABLE four (x int);\n",
        "",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply"], 2);
    assert!(stderr.contains("statement 3 of 4"), "{stderr}");
    assert!(stderr.contains("INSERT INTO nowhere"), "{stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");
    assert_eq!(introspected(dir.path(), "sqlite://shop.db"), schema);
    assert_eq!(sqlite_history(&database), history);
    let rows: i64 = Connection::open(&database)
        .unwrap()
        .query_row("SELECT count(*) FROM book", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1, "the insert of statement 2 was rolled back too");
}

/// SIGKILL in the middle of a slow migration: applied whole or not at all.
#[test]
fn sqlite_killed_mid_migration_is_never_half_applied() {
    let dir = project(MANIFEST);
    migration(
        dir.path(),
        "0001_slow",
        "CREATE TABLE first (x int);\n\
         CREATE TABLE big (x int);\n\
         INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT x FROM c;\n\
         CREATE TABLE last (x int);\n",
        "",
    );
    let mut child = spawn(
        dir.path(),
        &["migrate", "apply", "--url", "sqlite://shop.db"],
    );
    let seen = wait_for_line(&mut child, "0001_slow: running");
    assert!(seen.contains("running"), "{seen}");
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let database = dir.path().join("shop.db");
    let history = sqlite_history(&database);
    let tables = sqlite_tables(&database);
    let applied = history.len() == 1;
    for table in ["first", "big", "last"] {
        assert_eq!(
            tables.contains(&table.to_owned()),
            applied,
            "half applied: history {history:?}, tables {tables:?}"
        );
    }
    // Killed mid-statement (the insert takes far longer than we waited):
    // the whole migration is gone.
    assert!(status.code().is_none(), "not killed: {status:?}");
    assert!(!applied, "recorded after a kill: {history:?}");
}

#[test]
fn sqlite_baseline_is_refused_when_the_database_differs() {
    let dir = project(MANIFEST);
    let folder = migration(
        dir.path(),
        "0001_init",
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL);",
        "DROP TABLE book;",
    );
    std::fs::write(folder.join("baas.toml"), MANIFEST).unwrap();
    let database = dir.path().join("shop.db");
    Connection::open(&database)
        .unwrap()
        .execute_batch("CREATE TABLE book (id INTEGER PRIMARY KEY)")
        .unwrap();
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--baseline"], 2);
    assert!(
        stderr.contains("does not match the snapshot of `0001_init`"),
        "{stderr}"
    );
    assert!(stderr.contains("book.title"), "{stderr}");
    assert!(sqlite_history(&database).is_empty());
}

#[test]
fn sqlite_two_runners_apply_each_migration_once() {
    let dir = project(MANIFEST);
    migration(dir.path(), "0001_book", BOOK_UP, BOOK_DOWN);
    migration(
        dir.path(),
        "0002_slow",
        "CREATE TABLE slow (x int);\nINSERT INTO slow WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT x FROM c;",
        "DROP TABLE slow;",
    );
    Connection::open(dir.path().join("shop.db")).unwrap();
    let (first, second) = apply_twice_at_once(dir.path(), "sqlite://shop.db");
    let history = sqlite_history(&dir.path().join("shop.db"));
    assert_eq!(
        history.iter().map(|h| h.0).collect::<Vec<_>>(),
        [1, 2],
        "{first}\n{second}"
    );
    let count: i64 = Connection::open(dir.path().join("shop.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM slow", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 300000);
}

#[test]
fn sqlite_check_url_after_apply_and_after_a_hand_edit() {
    let dir = project(MANIFEST);
    migration(dir.path(), "0001_book", BOOK_UP, BOOK_DOWN);
    expect(dir.path(), &["migrate", "apply"], 0);
    // baas's own tables (here the built-in users' refresh tokens, as
    // `serve` creates them) are neither schema nor drift.
    Connection::open(dir.path().join("shop.db"))
        .unwrap()
        .execute_batch("CREATE TABLE _baas_refresh_tokens (hash TEXT PRIMARY KEY)")
        .unwrap();
    // The manifest as the database now is (what `plan` would have written).
    expect(dir.path(), &["introspect", "--force"], 0);
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(!manifest.contains("_baas_"), "{manifest}");
    let url = "sqlite://shop.db";
    let (_, stderr) = expect(dir.path(), &["check", "--url", url], 0);
    assert!(stderr.contains("No drift"), "{stderr}");
    Connection::open(dir.path().join("shop.db"))
        .unwrap()
        .execute_batch("ALTER TABLE book ADD COLUMN isbn TEXT")
        .unwrap();
    let (stdout, _) = expect(dir.path(), &["check", "--url", url, "--json"], 1);
    let body = json(&stdout);
    assert_eq!(body["drift"], true);
    assert!(stdout.contains("isbn"), "{stdout}");
}

// ---------------------------------------------------------------------------
// PostgreSQL

#[test]
fn postgres_apply_status_down_and_refusals() {
    let Some(database) = Postgres::create("cycle") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    let one = migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL DEFAULT 'a;b');\n\
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.title := NEW.title || ';';\n  RETURN NEW;\nEND;\n$$;\n\
         INSERT INTO book (title) VALUES ('it''s');\n",
        "DROP FUNCTION touch();\n-- baas:destructive drops `book`\nDROP TABLE book;\n",
    );
    migration(
        dir.path(),
        "0002_author",
        "CREATE TABLE author (id int PRIMARY KEY);",
        "DROP TABLE author;",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    assert!(stderr.contains("Applied 2 migration(s)"), "{stderr}");
    let history = pg_history(&database);
    assert!(
        history.starts_with(&format!(
            "1|book|{}||t\n2|author|",
            sha256(&one.join("up.sql"))
        )),
        "{history}"
    );
    assert_eq!(database.tables(), "_baas_migrations\nauthor\nbook\n");

    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    assert!(stderr.contains("nothing to apply"), "{stderr}");
    assert_eq!(pg_history(&database), history);

    std::fs::write(one.join("up.sql"), "CREATE TABLE book (id int);").unwrap();
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 2);
    assert!(stderr.contains("checksum"), "{stderr}");
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--json"],
        1,
    );
    assert_eq!(json(&stdout)["migrations"][0]["state"], "modified");
    assert_eq!(json(&stdout)["migrations"][1]["state"], "applied");
    let (_, stderr) = expect(dir.path(), &["migrate", "down", "--url", &url], 0);
    assert!(stderr.contains("0002_author: undone"), "{stderr}");
    let (_, stderr) = expect(dir.path(), &["migrate", "down", "--url", &url, "--yes"], 2);
    assert!(
        stderr.contains("0001_book"),
        "the edited migration is not undone: {stderr}"
    );
    assert_eq!(database.tables(), "_baas_migrations\nbook\n");
}

#[test]
fn postgres_failing_third_statement_changes_nothing() {
    let Some(database) = Postgres::create("third") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id int PRIMARY KEY, title text);\nINSERT INTO book VALUES (1, 'one');",
        "DROP TABLE book;",
    );
    expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    let schema = introspected(dir.path(), &url);
    let history = pg_history(&database);
    migration(
        dir.path(),
        "0002_broken",
        "CREATE TABLE one (x int);\nALTER TABLE book ADD COLUMN isbn text;\nINSERT INTO book VALUES (1, 'duplicate key');\nCREATE TABLE four (x int);\n",
        "",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 2);
    assert!(stderr.contains("statement 3 of 4"), "{stderr}");
    assert!(stderr.contains("23505"), "the server's SQLSTATE: {stderr}");
    assert_eq!(introspected(dir.path(), &url), schema);
    assert_eq!(pg_history(&database), history);
    assert_eq!(database.query("SELECT count(*) FROM book"), "1\n");
}

#[test]
fn postgres_killed_mid_migration_is_never_half_applied() {
    let Some(database) = Postgres::create("kill") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    migration(
        dir.path(),
        "0001_slow",
        "CREATE TABLE first (x int);\nSELECT pg_sleep(5);\nCREATE TABLE last (x int);\n",
        "",
    );
    let mut child = spawn(dir.path(), &["migrate", "apply", "--url", &url]);
    wait_for_line(&mut child, "0001_slow: running");
    // Wait until the server is inside the sleep, then kill.
    let started = Instant::now();
    while !database
        .query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")
        .starts_with('1')
    {
        assert!(started.elapsed() < Duration::from_secs(20), "pg_sleep never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The server notices the closed connection and rolls back.
    let started = Instant::now();
    while database
        .query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'baas migrate'")
        .trim()
        != "0"
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the connection stayed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let tables = database.tables();
    let history = pg_history(&database);
    assert!(history.is_empty(), "recorded after a kill: {history}");
    assert!(!tables.contains("first"), "half applied: {tables}");
    // The lock died with the process: a new run applies it.
    expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    assert_eq!(database.tables(), "_baas_migrations\nfirst\nlast\n");
}

#[test]
fn postgres_two_runners_apply_each_migration_once() {
    let Some(database) = Postgres::create("race") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id int);\nSELECT pg_sleep(1);",
        "DROP TABLE book;",
    );
    migration(
        dir.path(),
        "0002_author",
        "CREATE TABLE author (id int);",
        "DROP TABLE author;",
    );
    let (first, second) = apply_twice_at_once(dir.path(), &url);
    let numbers = database.query("SELECT number FROM _baas_migrations ORDER BY number");
    assert_eq!(numbers, "1\n2\n", "{first}\n{second}");
    let both = format!("{first}{second}");
    assert_eq!(both.matches("0001_book: applied").count(), 1, "{both}");
    assert_eq!(both.matches("0002_author: applied").count(), 1, "{both}");
}

#[test]
fn postgres_check_url_clean_after_apply_and_drift_after_a_hand_edit() {
    let Some(database) = Postgres::create("check") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id bigint PRIMARY KEY, title text NOT NULL);",
        "DROP TABLE book;",
    );
    expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    expect(dir.path(), &["introspect", &url, "--force"], 0);
    expect(dir.path(), &["check", "--url", &url], 0);
    database.query("ALTER TABLE book DROP COLUMN title");
    let (stdout, _) = expect(dir.path(), &["check", "--url", &url], 1);
    assert!(stdout.contains("title"), "{stdout}");
    // Adding `title` back is not destructive (NOT NULL over existing rows is
    // for review), so the destructive grade passes.
    expect(
        dir.path(),
        &["check", "--url", &url, "--fail-on", "destructive"],
        0,
    );
}

#[test]
fn postgres_check_url_reports_each_engine_object_changed_by_hand() {
    let Some(database) = Postgres::create("objects_drift") else {
        return;
    };
    let url = database.url().to_owned();
    database.psql(&crate::migrate_render::structure_sql());
    let dir = project(MANIFEST);
    expect(dir.path(), &["introspect", &url, "--force"], 0);
    expect(dir.path(), &["check", "--url", &url], 0);
    for (by_hand, object) in [
        (
            "CREATE OR REPLACE FUNCTION public.word_count(body text) RETURNS integer \
             LANGUAGE sql IMMUTABLE AS $$ SELECT 0 $$",
            "function public.word_count(body text)",
        ),
        (
            "DROP TRIGGER users_set_updated_at ON public.users",
            "trigger users_set_updated_at ON public.users",
        ),
        (
            "ALTER DOMAIN public.slug DROP CONSTRAINT slug_format",
            "domain public.slug",
        ),
        (
            "ALTER SEQUENCE public.invoice_number_seq INCREMENT BY 5",
            "sequence public.invoice_number_seq",
        ),
        ("CREATE EXTENSION hstore", "extension hstore"),
        (
            "CREATE PROCEDURE public.noop() LANGUAGE sql AS 'SELECT 1'",
            "procedure public.noop()",
        ),
        ("ALTER TABLE public.sessions SET LOGGED", "sessions"),
        ("ALTER TABLE public.sessions RESET (fillfactor)", "sessions"),
        (
            "ALTER TABLE public.articles DROP CONSTRAINT fk_rails_3d31dad1cc, \
             ADD CONSTRAINT fk_rails_3d31dad1cc FOREIGN KEY (user_id) REFERENCES public.users(id)",
            "articles",
        ),
        (
            "DROP INDEX public.index_users_on_lower_email_pattern; \
             CREATE INDEX index_users_on_lower_email_pattern ON public.users (lower(email::text))",
            "index_users_on_lower_email_pattern",
        ),
        (
            "ALTER INDEX public.index_articles_on_user_id_including_title SET (fillfactor = 80)",
            "index_articles_on_user_id_including_title",
        ),
        (
            "DROP INDEX public.index_invoices_on_user_id_and_total; \
             CREATE UNIQUE INDEX index_invoices_on_user_id_and_total ON public.invoices (user_id, total)",
            "index_invoices_on_user_id_and_total",
        ),
        // A partition's own index dropped, one made, its own check and
        // foreign key dropped.
        ("DROP INDEX public.index_events_2025_on_kind", "events"),
        (
            "CREATE INDEX index_events_default_on_kind ON public.events_default (kind)",
            "events",
        ),
        (
            "ALTER TABLE public.events_2025 DROP CONSTRAINT events_2025_id_positive",
            "events",
        ),
        (
            "ALTER TABLE public.events_default DROP CONSTRAINT fk_events_default_user",
            "events",
        ),
        // Partitioning: a partition added, one dropped, one attached with
        // another bound, a sub-partition added.
        (
            "CREATE TABLE public.events_2026 PARTITION OF public.events \
             FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
            "events",
        ),
        ("DROP TABLE public.events_default", "events"),
        (
            "ALTER TABLE public.events DETACH PARTITION public.events_2025; \
             ALTER TABLE public.events ATTACH PARTITION public.events_2025 \
             FOR VALUES FROM ('2025-01-01') TO ('2025-07-01')",
            "events",
        ),
        (
            "CREATE TABLE public.events_2024_login PARTITION OF public.events_2024 \
             FOR VALUES IN ('login')",
            "events",
        ),
    ] {
        database.query(by_hand);
        let (stdout, _) = expect(dir.path(), &["check", "--url", &url, "--json"], 1);
        let body = json(&stdout);
        assert_eq!(body["drift"], true, "{by_hand}\n{stdout}");
        assert!(
            stdout.contains(&format!("\"{object}\"")),
            "{by_hand}: `{object}` not reported\n{stdout}"
        );
        // The manifest catches up; the next change is on its own.
        expect(dir.path(), &["introspect", &url, "--force"], 0);
        expect(dir.path(), &["check", "--url", &url], 0);
    }
}

// ---------------------------------------------------------------------------
// MySQL / MariaDB: no transactional DDL

#[test]
fn mysql_apply_stops_at_the_failing_statement_and_says_what_ran() {
    let Some(database) = Mysql::create("cycle") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    let one = migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id INT PRIMARY KEY, title VARCHAR(20) DEFAULT 'a;b');\nINSERT INTO book VALUES (1, 'it''s');",
        "DROP TABLE book;",
    );
    expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    assert_eq!(
        database.query("SELECT number, name, checksum FROM _baas_migrations"),
        format!("1\tbook\t{}\n", sha256(&one.join("up.sql")))
    );
    migration(
        dir.path(),
        "0002_broken",
        "CREATE TABLE one (x INT);\nCREATE TABLE two (x INT);\nINSERT INTO nowhere VALUES (3);\nCREATE TABLE four (x INT);\n",
        "DROP TABLE two;\nDROP TABLE one;",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 2);
    assert!(stderr.contains("statement 3 of 4"), "{stderr}");
    assert!(stderr.contains("INSERT INTO nowhere"), "{stderr}");
    assert!(stderr.contains("1-2"), "which statements stay: {stderr}");
    assert_eq!(database.tables(), "_baas_migrations\nbook\none\ntwo\n");
    assert_eq!(
        database.query("SELECT count(*) FROM _baas_migrations"),
        "1\n"
    );

    // Fixed by hand: the rest applies, then down undoes.
    database.query("DROP TABLE one; DROP TABLE two;");
    migration(
        dir.path(),
        "0002_broken",
        "CREATE TABLE one (x INT);\nCREATE TABLE two (x INT);",
        "DROP TABLE two;\nDROP TABLE one;",
    );
    expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--json"],
        0,
    );
    assert_eq!(json(&stdout)["summary"]["applied"], 2, "{stdout}");
    expect(dir.path(), &["migrate", "down", "--url", &url], 0);
    assert_eq!(database.tables(), "_baas_migrations\nbook\n");
    assert_eq!(
        database.query("SELECT count(*) FROM _baas_migrations"),
        "1\n"
    );
}

// ---------------------------------------------------------------------------
// End to end: a real schema planned from nothing, applied, checked

/// Chinook (SQLite) → `introspect` → `plan` from an empty schema → `apply`
/// on a fresh SQLite file → `check --url` is clean; the same manifest with
/// its source switched to PostgreSQL plans and applies on a fresh database,
/// and that database, read back and planned again, rebuilds a second one
/// that `check --url` finds clean.
#[test]
fn chinook_plans_from_nothing_applies_and_checks_clean() {
    let script =
        std::fs::read_to_string(crate::support::corpus_file("sql/sqlite/Chinook_Sqlite.sql"))
            .unwrap();
    let dir = TempDir::new().unwrap();
    Connection::open(dir.path().join("chinook.db"))
        .unwrap()
        .execute_batch(script.trim_start_matches('\u{feff}'))
        .unwrap();
    expect(dir.path(), &["introspect", "sqlite://chinook.db"], 0);
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "plan", "--name", "init", "--json"],
        0,
    );
    let body = json(&stdout);
    assert_eq!(body["migration"]["number"], 1);
    assert_eq!(body["summary"]["safe"], 11, "{stdout}");
    let (_, stderr) = expect(
        dir.path(),
        &["migrate", "apply", "--url", "sqlite://fresh.db"],
        0,
    );
    assert!(stderr.contains("Applied 1 migration(s)"), "{stderr}");
    // The database it was read from has the schema already: record, don't run.
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--baseline"], 0);
    assert!(
        stderr.contains("0001_init: recorded as applied"),
        "{stderr}"
    );
    assert_eq!(sqlite_history(&dir.path().join("chinook.db")).len(), 1);
    let (_, stderr) = expect(dir.path(), &["migrate", "apply"], 0);
    assert!(stderr.contains("nothing to apply"), "{stderr}");
    let (_, stderr) = expect(dir.path(), &["check", "--url", "sqlite://fresh.db"], 0);
    assert!(stderr.contains("No drift"), "{stderr}");
    expect(dir.path(), &["check"], 0);
    expect(
        dir.path(),
        &["migrate", "status", "--url", "sqlite://fresh.db"],
        0,
    );

    let Some(first) = Postgres::create("chinook") else {
        return;
    };
    let Some(second) = Postgres::create("chinook_again") else {
        return;
    };
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml"))
        .unwrap()
        .replace("engine = \"sqlite\"", "engine = \"postgres\"")
        .replace(
            "url = \"sqlite://chinook.db\"",
            &format!("url = \"{}\"", first.url()),
        );
    let pg = dir.path().join("pg");
    std::fs::create_dir(&pg).unwrap();
    std::fs::write(pg.join("baas.toml"), manifest).unwrap();
    expect(&pg, &["migrate", "plan", "--name", "init"], 0);
    expect(&pg, &["migrate", "apply"], 0);
    assert_eq!(first.tables().lines().count(), 12, "{}", first.tables());
    // Across engines: the SQLite manifest against the PostgreSQL database it
    // was applied to. Pinned native types (NVARCHAR(160)) and each engine's
    // way of numbering keys cannot be compared, the portable model can.
    let (stdout, _) = expect(dir.path(), &["check", "--url", &first.url(), "--json"], 0);
    assert_eq!(json(&stdout)["drift"], false, "{stdout}");

    // PostgreSQL to PostgreSQL: no translation left, so no drift either.
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap();
    expect(&again, &["introspect", &first.url()], 0);
    expect(&again, &["migrate", "plan", "--name", "init"], 0);
    expect(&again, &["migrate", "apply", "--url", &second.url()], 0);
    let (_, stderr) = expect(&again, &["check", "--url", &second.url()], 0);
    assert!(stderr.contains("No drift"), "{stderr}");
    expect(&again, &["check", "--url", &first.url()], 0);
}

// ---------------------------------------------------------------------------
// MongoDB: command files, no transactions

#[test]
fn mongodb_applies_command_files_and_stops_at_a_failing_command() {
    let Some(database) = Mongo::create("commands") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project("[manifest]\nformat = 1\nversion = 1\n");
    let folder = dir.path().join("migrations/0001_books");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("up.json"),
        r#"[{"create": "books"},
            {"//": "titles are looked up often", "createIndexes": "books",
             "indexes": [{"key": {"title": 1}, "name": "title_1"}]}]"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("down.json"),
        r#"[{"baas:destructive": "drops `books` and its documents", "drop": "books"}]"#,
    )
    .unwrap();
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    assert!(stderr.contains("0001_books: applied"), "{stderr}");
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--json"],
        0,
    );
    let body = json(&stdout);
    assert_eq!(body["migrations"][0]["state"], "applied");
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    assert!(stderr.contains("nothing to apply"), "{stderr}");
    // The history collection is not part of the schema.
    let (stdout, _) = expect(dir.path(), &["check", "--url", &url, "--json"], 1);
    let body = json(&stdout);
    assert_eq!(body["changes"].as_array().unwrap().len(), 1, "{stdout}");
    assert_eq!(body["changes"][0]["entity"], "books", "{stdout}");

    // The second command fails: the first stays, nothing is recorded.
    let broken = dir.path().join("migrations/0002_broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("up.json"),
        r#"[{"create": "authors"}, {"nonsenseCommand": 1}, {"create": "tags"}]"#,
    )
    .unwrap();
    std::fs::write(broken.join("down.json"), "[]").unwrap();
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 2);
    assert!(stderr.contains("statement 2 of 3"), "{stderr}");
    assert!(stderr.contains("1-1"), "{stderr}");
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--json"],
        0,
    );
    assert_eq!(json(&stdout)["migrations"][1]["state"], "pending");
    std::fs::remove_dir_all(&broken).unwrap();

    let (_, stderr) = expect(dir.path(), &["migrate", "down", "--url", &url], 2);
    assert!(stderr.contains("--yes"), "{stderr}");
    expect(dir.path(), &["migrate", "down", "--url", &url, "--yes"], 0);
    let (stdout, _) = expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--json"],
        0,
    );
    assert_eq!(json(&stdout)["migrations"][0]["state"], "pending");
}

#[test]
fn mysql_two_runners_apply_each_migration_once() {
    let Some(database) = Mysql::create("race") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(MANIFEST);
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id INT);\nSELECT SLEEP(1);",
        "DROP TABLE book;",
    );
    migration(
        dir.path(),
        "0002_author",
        "CREATE TABLE author (id INT);",
        "DROP TABLE author;",
    );
    let (first, second) = apply_twice_at_once(dir.path(), &url);
    assert_eq!(
        database.query("SELECT number FROM _baas_migrations ORDER BY number"),
        "1\n2\n",
        "{first}\n{second}"
    );
    let both = format!("{first}{second}");
    assert_eq!(both.matches("0001_book: applied").count(), 1, "{both}");
}

#[test]
fn mongodb_plans_applies_and_checks_clean() {
    let Some(database) = Mongo::create("plan") else {
        return;
    };
    let url = database.url().to_owned();
    let dir = project(&format!(
        "[manifest]\nformat = 1\nversion = 1\n\n[source]\nengine = \"mongodb\"\nurl = \"{url}\"\n\n\
         [entities.books]\ntable = \"books\"\nprimary_key = [\"_id\"]\n\n\
         [entities.books.fields]\n_id = {{ type = \"object_id\" }}\ntitle = {{ type = \"string\" }}\n\n\
         [[entities.books.indexes]]\nname = \"title_1\"\nfields = [\"title\"]\n"
    ));
    expect(dir.path(), &["migrate", "plan", "--name", "init"], 0);
    let folder = dir.path().join("migrations/0001_init");
    let down = std::fs::read_to_string(folder.join("down.json")).unwrap();
    assert!(down.contains("\"baas:destructive\""), "{down}");
    expect(dir.path(), &["migrate", "apply"], 0);
    let (_, stderr) = expect(dir.path(), &["check", "--url", &url], 0);
    assert!(stderr.contains("No drift"), "{stderr}");
    expect(dir.path(), &["migrate", "down", "--yes"], 0);
    expect(dir.path(), &["check", "--url", &url], 1);
}
