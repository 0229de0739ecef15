//! The real binary, run the way users run it: exit codes, JSON output, files
//! written or left alone, and no password anywhere.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

/// A temporary project directory and a `baas` command that runs in it with
/// no terminal, no colors and a private HOME.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn baas(&self) -> Command {
        let mut command = Command::cargo_bin("baas").unwrap();
        command
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("HOME", self.dir.path())
            .env_remove("BAAS_MANIFEST")
            .env_remove("BAAS_DATABASE_URL");
        command
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// An SQLite database built from `sql` through rusqlite.
    fn sqlite(&self, name: &str, sql: &str) -> PathBuf {
        let path = self.path(name);
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection.execute_batch(sql).unwrap();
        path
    }
}

const SMALL_SCHEMA: &str = "
    CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE book (
        id INTEGER PRIMARY KEY,
        title VARCHAR(200) NOT NULL,
        author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE
    );
    CREATE INDEX book_title_idx ON book(title);
";

fn json(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(output)
        )
    })
}

#[test]
fn help_lists_every_command() {
    let project = Project::new();
    let assert = project.baas().arg("--help").assert().success();
    let help = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for command in [
        "init",
        "introspect",
        "show",
        "validate",
        "diff",
        "migrate",
        "check",
        "codegen",
        "serve",
        "completions",
    ] {
        assert!(
            help.contains(command),
            "`{command}` missing from --help:\n{help}"
        );
    }
    project
        .baas()
        .args(["migrate", "--help"])
        .assert()
        .success()
        .stdout(
            contains("plan")
                .and(contains("apply"))
                .and(contains("status")),
        );
}

#[test]
fn unknown_flags_are_usage_errors() {
    Project::new()
        .baas()
        .args(["validate", "--frobnicate"])
        .assert()
        .code(2);
}

#[test]
fn introspect_writes_a_manifest_that_validates_and_shows() {
    let project = Project::new();
    project.sqlite("shop.db", SMALL_SCHEMA);
    project
        .baas()
        .args(["introspect", "sqlite://shop.db"])
        .assert()
        .success()
        .stdout("")
        .stderr(contains("Wrote baas.toml").and(contains("2 entities, 1 relations")));
    let manifest = project.read("baas.toml");
    assert!(
        manifest.contains("url = \"sqlite://shop.db\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("[[entities.book.relations]]"),
        "{manifest}"
    );
    project
        .baas()
        .arg("validate")
        .assert()
        .success()
        .stderr(contains("2 entities"));
    project
        .baas()
        .args(["show", "book"])
        .assert()
        .success()
        .stdout(contains("author_id").and(contains("on delete cascade")));
    project
        .baas()
        .args(["show", "bok"])
        .assert()
        .code(2)
        .stderr(contains("no entity `bok`").and(contains("did you mean `book`?")));
}

#[test]
fn introspect_dry_run_prints_the_manifest_and_writes_nothing() {
    let project = Project::new();
    project.sqlite("shop.db", SMALL_SCHEMA);
    project
        .baas()
        .args(["introspect", "shop.db", "--dry-run"])
        .assert()
        .success()
        .stdout(contains("[manifest]\nformat = 1\n").and(contains("[entities.author.fields]")));
    assert!(!project.path("baas.toml").exists());
}

#[test]
fn introspect_json_is_machine_readable() {
    let project = Project::new();
    project.sqlite("shop.db", SMALL_SCHEMA);
    let output = project
        .baas()
        .args([
            "introspect",
            "sqlite://shop.db",
            "--json",
            "-o",
            "out/baas.toml",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let body = json(&output.stdout);
    assert_eq!(body["ok"], true);
    assert_eq!(body["outcome"], "written");
    assert_eq!(body["counts"]["entities"], 2);
    assert_eq!(body["counts"]["relations"], 1);
    assert_eq!(body["lossy"], false);
    assert!(body["ledger"].as_array().unwrap().is_empty());
    assert!(project.path("out/baas.toml").is_file());
    // The SQLite path is recorded relative to the manifest.
    assert!(
        project
            .read("out/baas.toml")
            .contains("url = \"sqlite://../shop.db\"")
    );
}

#[test]
fn fail_on_lossy_exits_1_when_the_ledger_is_not_empty() {
    let project = Project::new();
    project.sqlite(
        "lossy.db",
        &format!(
            "{SMALL_SCHEMA}
            CREATE TABLE audit (at TEXT);
            CREATE TRIGGER book_audit AFTER INSERT ON book BEGIN INSERT INTO audit VALUES (datetime('now')); END;"
        ),
    );
    project.sqlite("clean.db", SMALL_SCHEMA);
    project
        .baas()
        .args([
            "introspect",
            "clean.db",
            "-o",
            "clean.toml",
            "--fail-on-lossy",
        ])
        .assert()
        .code(0);
    let output = project
        .baas()
        .args([
            "introspect",
            "lossy.db",
            "-o",
            "lossy.toml",
            "--fail-on-lossy",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let body = json(&output.stdout);
    assert_eq!(body["lossy"], true);
    let ledger = body["ledger"].as_array().unwrap();
    assert!(
        ledger.iter().any(
            |e| e["kind"] == "trigger" && e["message"].as_str().unwrap().contains("book_audit")
        ),
        "{ledger:?}"
    );
    // The manifest is still written: the ledger says what it lacks.
    assert!(project.path("lossy.toml").is_file());
    // Without --json, the ledger is printed after the summary.
    project
        .baas()
        .args([
            "introspect",
            "lossy.db",
            "-o",
            "lossy.toml",
            "--fail-on-lossy",
        ])
        .assert()
        .code(1)
        .stderr(contains("Fidelity ledger").and(contains("book_audit")));
}

#[test]
fn introspection_is_deterministic_across_runs() {
    let project = Project::new();
    let script =
        std::fs::read_to_string(crate::support::corpus_file("sql/sqlite/Chinook_Sqlite.sql"))
            .unwrap();
    project.sqlite("chinook.db", &script);
    project
        .baas()
        .args(["introspect", "sqlite://chinook.db", "-o", "a.toml"])
        .assert()
        .success();
    project
        .baas()
        .args(["introspect", "sqlite://chinook.db", "-o", "b.toml"])
        .assert()
        .success();
    assert_eq!(project.read("a.toml"), project.read("b.toml"));
    // Running again onto the same file changes nothing and needs no --force.
    project
        .baas()
        .args(["introspect", "sqlite://chinook.db", "-o", "a.toml"])
        .assert()
        .success()
        .stderr(contains("Unchanged"));
}

#[test]
fn introspect_never_replaces_a_different_manifest_without_force() {
    let project = Project::new();
    project.sqlite("shop.db", SMALL_SCHEMA);
    let hand_written = "[manifest]\nformat = 1\nversion = 5\n\n[project]\nname = \"mine\"\n";
    project.write("baas.toml", hand_written);
    project
        .baas()
        .args(["introspect", "shop.db"])
        .assert()
        .code(2)
        .stderr(contains("--force"));
    assert_eq!(project.read("baas.toml"), hand_written);
    project
        .baas()
        .args(["introspect", "shop.db", "--force"])
        .assert()
        .success();
    let replaced = project.read("baas.toml");
    // The project's own settings survive a re-introspection.
    assert!(replaced.contains("version = 5"), "{replaced}");
    assert!(replaced.contains("name = \"mine\""), "{replaced}");
    // Without a source argument, `[source] url` of the manifest is read again.
    project
        .baas()
        .arg("introspect")
        .assert()
        .success()
        .stderr(contains("Unchanged"));
}

#[test]
fn missing_database_file_cannot_connect_and_is_not_created() {
    let project = Project::new();
    project
        .baas()
        .args(["introspect", "sqlite://nowhere.db"])
        .assert()
        .code(3)
        .stderr(contains("nowhere.db"));
    assert!(!project.path("nowhere.db").exists());
}

#[test]
fn passwords_never_reach_output_or_files() {
    let project = Project::new();
    for args in [
        &[
            "introspect",
            "postgres://app:hunter2secret@127.0.0.1:1/shop",
        ][..],
        &[
            "introspect",
            "mysql://root:hunter2secret@127.0.0.1:1/shop",
            "--json",
        ],
        &["introspect", "ftp://u:hunter2secret@host/x"],
    ] {
        let output = project.baas().args(args).output().unwrap();
        // Nothing listens on port 1 (exit 3); `ftp://` is not a database (exit 2).
        let expected = if args[1].starts_with("ftp") { 2 } else { 3 };
        assert_eq!(output.status.code(), Some(expected), "{args:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !all.contains("hunter2secret"),
            "password leaked by {args:?}:\n{all}"
        );
    }
    project
        .baas()
        .args([
            "init",
            "--url",
            "postgres://app:hunter2secret@db.internal/shop",
        ])
        .assert()
        .success();
    let manifest = project.read("baas.toml");
    assert!(!manifest.contains("hunter2secret"), "{manifest}");
    assert!(
        manifest.contains("url = \"postgres://app:${DATABASE_PASSWORD}@db.internal/shop\""),
        "{manifest}"
    );
    assert_eq!(project.read(".env"), "DATABASE_PASSWORD='hunter2secret'\n");
}

#[test]
fn broken_manifest_points_at_file_line_and_column() {
    let project = Project::new();
    project.write(
        "baas.toml",
        "[manifest]\nformat = 1\nversion = 1\n\n[entities.film]\ntable = \"film\"\n\n[entities.film.fields]\nid = { type = \"integer\" }\n",
    );
    project.baas().arg("validate").assert().code(2).stderr(
        contains("baas.toml:9:15")
            .and(contains("unknown type `integer`"))
            .and(contains("use `int32` or `int64`")),
    );
    let output = project
        .baas()
        .args(["validate", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let body = json(&output.stdout);
    assert_eq!(body["ok"], false);
    let problem = &body["problems"][0];
    assert_eq!(problem["file"], "baas.toml");
    assert_eq!(problem["line"], 9);
    assert_eq!(problem["column"], 15);
    assert_eq!(problem["code"], "manifest::unknown-type");
    assert_eq!(problem["path"], "entities.film.fields.id.type");
}

#[test]
fn validate_without_a_manifest_explains_how_to_get_one() {
    Project::new()
        .baas()
        .arg("validate")
        .assert()
        .code(2)
        .stderr(contains("baas init"));
}

#[test]
fn validate_json_reports_counts() {
    let project = Project::new();
    project
        .baas()
        .args(["init", "--template", "bookshop", "--name", "shop"])
        .assert()
        .success();
    let output = project
        .baas()
        .args(["validate", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let body = json(&output.stdout);
    assert_eq!(body["ok"], true);
    assert_eq!(body["counts"]["entities"], 3);
    assert_eq!(body["counts"]["relations"], 2);
    let shown = json(
        &project
            .baas()
            .args(["show", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(shown["project"]["name"], "shop");
    assert_eq!(
        shown["entities"]["book"]["fields"]["genre"]["enum"],
        "genre"
    );
}

#[test]
fn init_works_without_a_terminal_and_never_overwrites() {
    let project = Project::new();
    project
        .baas()
        .args(["init", "--name", "shop"])
        .assert()
        .success();
    let first = project.read("baas.toml");
    assert_eq!(
        first,
        "[manifest]\nformat = 1\nversion = 1\n\n[project]\nname = \"shop\"\n"
    );
    project
        .baas()
        .args(["init", "--name", "other"])
        .assert()
        .code(2)
        .stderr(contains("already exists").and(contains("--force")));
    assert_eq!(project.read("baas.toml"), first);
    project
        .baas()
        .args([
            "init",
            "--name",
            "other",
            "--template",
            "bookshop",
            "--force",
        ])
        .assert()
        .success();
    assert!(project.read("baas.toml").contains("[entities.book]"));
    // No flags and no terminal: defaults, no questions.
    let other = Project::new();
    other.baas().arg("init").assert().success();
    assert!(other.read("baas.toml").contains("[manifest]"));
}

#[test]
fn manifest_flag_and_env_choose_the_file() {
    let project = Project::new();
    project
        .baas()
        .args(["--manifest", "conf/app.toml", "init", "--name", "x"])
        .assert()
        .success();
    assert!(project.path("conf/app.toml").is_file());
    project
        .baas()
        .env("BAAS_MANIFEST", "conf/app.toml")
        .arg("validate")
        .assert()
        .success();
}

#[test]
fn quiet_mode_prints_nothing_on_success() {
    let project = Project::new();
    project.sqlite("shop.db", SMALL_SCHEMA);
    project
        .baas()
        .args(["--quiet", "introspect", "shop.db"])
        .assert()
        .success()
        .stdout("")
        .stderr("");
}

#[test]
fn diff_compares_a_database_with_its_manifest_and_classifies_changes() {
    let project = Project::new();
    project.sqlite("shop.db", SMALL_SCHEMA);
    project
        .baas()
        .args(["introspect", "shop.db"])
        .assert()
        .success();
    // A database against its own introspection: nothing to report.
    project
        .baas()
        .args(["diff", "--from", "shop.db"])
        .assert()
        .success()
        .stderr(contains("No changes."));
    // Edit the manifest: drop a field, add a NOT NULL one.
    let edited = project
        .read("baas.toml")
        .replace("name = { type = \"text\" }\n", "")
        .replace(
            "[entities.author.fields]\n",
            "[entities.author.fields]\nbio = { type = \"text\" }\n",
        );
    project.write("baas.toml", &edited);
    let output = project
        .baas()
        .args(["diff", "--from", "shop.db", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body = json(&output.stdout);
    let kinds: Vec<(String, String)> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["safety"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("add_field".into(), "needs-review".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("drop_field".into(), "destructive".into())),
        "{kinds:?}"
    );
    assert_eq!(body["summary"]["destructive"], 1);
    project
        .baas()
        .args(["diff", "--from", "shop.db"])
        .assert()
        .success()
        .stdout(contains("DESTRUCTIVE").and(contains("author.name")));
    // Without --from: the last migration's snapshot (none yet: an empty schema).
    project
        .baas()
        .arg("diff")
        .assert()
        .success()
        .stdout(contains("add entity").and(contains("author")));
}
