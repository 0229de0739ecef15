//! The rough edges a new user hits first, through the real binary: secrets
//! on disk, the `init` -> `introspect` path without a terminal, exit codes
//! of database refusals, output streams, tables on odd terminals, and the
//! flags CI needs. SQLite always; PostgreSQL (and MariaDB where it matters)
//! on the test servers.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::baas;
use crate::support::postgres::TempDatabase as Postgres;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `baas` in `dir`, asserts its exit code, returns (stdout, stderr).
#[track_caller]
fn expect(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let output: Output = baas(dir).args(args).output().unwrap();
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

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn sqlite(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// Writes `migrations/<id>/` with `up.sql` and `down.sql`.
fn migration(dir: &Path, id: &str, up: &str, down: &str) -> PathBuf {
    let path = dir.join("migrations").join(id);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("up.sql"), up).unwrap();
    std::fs::write(path.join("down.sql"), down).unwrap();
    path
}

const HEADER: &str = "[manifest]\nformat = 1\nversion = 1\n\n[project]\nname = \"shop\"\n";

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------------------
// Secrets on disk and the `init --url` -> `introspect` path

#[test]
fn init_url_then_introspect_needs_no_force_and_no_terminal_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sqlite(
        &dir.path().join("shop.db"),
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL);",
    );
    expect(dir.path(), &["init", "--url", "sqlite://shop.db"], 0);
    let (_, stderr) = expect(dir.path(), &["introspect"], 0);
    assert!(stderr.contains("Wrote baas.toml"), "{stderr}");
    let manifest = read(dir.path(), "baas.toml");
    assert!(manifest.contains("[entities.book]"), "{manifest}");
    assert!(
        manifest.contains("url = \"sqlite://shop.db\""),
        "{manifest}"
    );
    let (_, stderr) = expect(dir.path(), &["introspect"], 0);
    assert!(stderr.contains("Unchanged"), "{stderr}");
    // Once it has entities, a different schema still needs --force.
    sqlite(
        &dir.path().join("shop.db"),
        "CREATE TABLE author (id INTEGER PRIMARY KEY);",
    );
    let (_, stderr) = expect(dir.path(), &["introspect"], 2);
    assert!(stderr.contains("--force"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn postgres_password_goes_to_a_private_env_file_and_introspect_keeps_working() {
    let Some(database) = Postgres::create("secret") else {
        return;
    };
    database.query("CREATE TABLE book (id int PRIMARY KEY, title text NOT NULL)");
    let user = database.user().to_owned();
    let url = database.url_as(&user, "hunter2secret");
    let dir = tempfile::tempdir().unwrap();
    expect(dir.path(), &["init", "--url", &url], 0);
    let manifest = read(dir.path(), "baas.toml");
    assert!(!manifest.contains("hunter2secret"), "{manifest}");
    assert!(manifest.contains(":${DATABASE_PASSWORD}@"), "{manifest}");
    assert_eq!(
        read(dir.path(), ".env"),
        "DATABASE_PASSWORD='hunter2secret'\n"
    );
    assert_eq!(mode(&dir.path().join(".env")), 0o600);
    // The documented path: no terminal, no --force.
    expect(dir.path(), &["introspect"], 0);
    let introspected = read(dir.path(), "baas.toml");
    assert!(introspected.contains("[entities.book]"), "{introspected}");
    assert!(
        introspected.contains(":${DATABASE_PASSWORD}@"),
        "{introspected}"
    );
    // Again, and with the URL spelled out: the same convention each time.
    expect(dir.path(), &["introspect"], 0);
    expect(dir.path(), &["introspect", &url], 0);
    assert_eq!(read(dir.path(), "baas.toml"), introspected);
    assert_eq!(
        read(dir.path(), ".env"),
        "DATABASE_PASSWORD='hunter2secret'\n"
    );

    // `introspect URL` in a new project writes the password the same way, so
    // the next bare `introspect` finds it.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join(".env"), "OTHER=1\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(
            other.path().join(".env"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
    }
    let (stdout, stderr) = expect(other.path(), &["introspect", &url], 0);
    assert!(!format!("{stdout}{stderr}").contains("hunter2secret"));
    assert_eq!(
        read(other.path(), ".env"),
        "OTHER=1\nDATABASE_PASSWORD='hunter2secret'\n"
    );
    assert_eq!(mode(&other.path().join(".env")), 0o640, "mode changed");
    expect(other.path(), &["introspect"], 0);
    assert!(read(other.path(), "baas.toml").contains(":${DATABASE_PASSWORD}@"));
}

#[test]
fn init_refuses_an_empty_connection_string() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["", "   "] {
        let (_, stderr) = expect(dir.path(), &["init", "--url", url], 2);
        assert!(stderr.contains("empty"), "{stderr}");
        assert!(!dir.path().join("baas.toml").exists());
    }
}

/// The wizard on a pseudo-terminal (`script`): a blank connection string is
/// asked again, never written as an empty manifest.
#[cfg(unix)]
#[test]
fn init_wizard_asks_again_for_a_blank_connection_string() {
    let dir = tempfile::tempdir().unwrap();
    let command = format!("{} init", shell_quote(env!("CARGO_BIN_EXE_baas")));
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env_remove("BAAS_MANIFEST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux)");
    let mut stdin = child.stdin.take().unwrap();
    // Project name (default), first choice (a database), a blank answer,
    // then a real one.
    for keys in ["\r", "\r", "\r", "sqlite://shop.db\r"] {
        std::thread::sleep(Duration::from_millis(700));
        use std::io::Write as _;
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    std::thread::sleep(Duration::from_millis(700));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap_or_default();
    assert!(
        manifest.contains("url = \"sqlite://shop.db\""),
        "manifest:\n{manifest}\noutput:\n{}",
        text(&output.stdout)
    );
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

// ---------------------------------------------------------------------------
// Database refusals and the history table

#[test]
fn postgres_permission_denied_is_a_refusal_with_its_cause() {
    let Some(mut database) = Postgres::create("denied") else {
        return;
    };
    let role = database.role("limited", "pw");
    let url = database.url_as(&role, "pw");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), HEADER).unwrap();
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id int PRIMARY KEY);",
        "DROP TABLE book;",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--url", &url], 3);
    assert!(stderr.contains("permission denied"), "{stderr}");
    assert!(stderr.contains("GRANT"), "{stderr}");
    assert!(!stderr.contains("bug"), "{stderr}");
    assert!(!database.has_table("_baas_migrations"));
}

#[cfg(unix)]
#[test]
fn postgres_killed_first_apply_leaves_no_history_table() {
    let Some(database) = Postgres::create("killfirst") else {
        return;
    };
    let url = database.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), HEADER).unwrap();
    migration(
        dir.path(),
        "0001_slow",
        "CREATE TABLE first (x int);\nSELECT pg_sleep(3);\n",
        "DROP TABLE first;",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_baas"))
        .args(["migrate", "apply", "--url", &url])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("apply ended early").unwrap();
        if line.contains("0001_slow: running") {
            break;
        }
    }
    let started = Instant::now();
    while !database
        .query(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active' \
             AND datname = current_database()",
        )
        .starts_with('1')
    {
        assert!(started.elapsed() < Duration::from_secs(20), "never slept");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let started = Instant::now();
    while database
        .query(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = 'baas migrate' AND datname = current_database()",
        )
        .trim()
        != "0"
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "connection stayed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !database.has_table("_baas_migrations"),
        "a killed first apply left `_baas_migrations` behind"
    );
    assert!(!database.has_table("first"));
}

// ---------------------------------------------------------------------------
// `migrate status`

#[test]
fn sqlite_status_of_a_file_not_created_yet_lists_every_migration_pending() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        format!("{HEADER}\n[source]\nengine = \"sqlite\"\nurl = \"sqlite://new.db\"\n"),
    )
    .unwrap();
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id INTEGER PRIMARY KEY);",
        "DROP TABLE book;",
    );
    migration(
        dir.path(),
        "0002_author",
        "CREATE TABLE author (id INTEGER PRIMARY KEY);",
        "DROP TABLE author;",
    );
    let (stdout, stderr) = expect(dir.path(), &["migrate", "status"], 0);
    assert!(
        stdout.contains("0001") && stdout.contains("pending"),
        "{stdout}"
    );
    assert!(stderr.contains("2 pending"), "{stderr}");
    assert!(
        !dir.path().join("new.db").exists(),
        "status created the file"
    );
    let (stdout, _) = expect(dir.path(), &["--json", "migrate", "status"], 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["pending"], 2);
    assert_eq!(report["exists"], false);
    // CI asks "is it up to date?"
    expect(
        dir.path(),
        &["migrate", "status", "--fail-on", "pending"],
        1,
    );
    expect(dir.path(), &["migrate", "apply"], 0);
    expect(
        dir.path(),
        &["migrate", "status", "--fail-on", "pending"],
        0,
    );
}

#[test]
fn postgres_status_fails_on_pending_when_asked() {
    let Some(database) = Postgres::create("pending") else {
        return;
    };
    let url = database.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), HEADER).unwrap();
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id int PRIMARY KEY);",
        "DROP TABLE book;",
    );
    expect(dir.path(), &["migrate", "status", "--url", &url], 0);
    expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--fail-on", "pending"],
        1,
    );
    expect(dir.path(), &["migrate", "apply", "--url", &url], 0);
    expect(
        dir.path(),
        &["migrate", "status", "--url", &url, "--fail-on", "pending"],
        0,
    );
}

// ---------------------------------------------------------------------------
// Output

#[test]
fn quiet_check_prints_no_table() {
    let dir = tempfile::tempdir().unwrap();
    expect(dir.path(), &["init", "--template", "bookshop"], 0);
    let (stdout, stderr) = expect(dir.path(), &["check"], 1);
    assert!(
        stdout.contains("add entity"),
        "the drift table is data: {stdout}"
    );
    assert!(stderr.contains("error:"), "{stderr}");
    let (stdout, stderr) = expect(dir.path(), &["-q", "check"], 1);
    assert_eq!(stdout, "", "-q printed the table");
    assert!(
        stderr.contains("drift"),
        "the error still says why: {stderr}"
    );
}

/// A pseudo-terminal that reports no size (what `script` gives without a
/// terminal around it): tables keep their rows on one line each.
#[cfg(unix)]
#[test]
fn tables_stay_readable_when_the_terminal_reports_no_size() {
    let dir = tempfile::tempdir().unwrap();
    expect(dir.path(), &["init", "--template", "bookshop"], 0);
    let command = format!("{} show", shell_quote(env!("CARGO_BIN_EXE_baas")));
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("HOME", dir.path())
        .env_remove("BAAS_MANIFEST")
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux)");
    let shown = text(&output.stdout);
    assert!(
        shown
            .lines()
            .any(|line| line.contains("entity") && line.contains("relations")),
        "the header is cut into pieces:\n{shown}"
    );
    assert!(shown.lines().any(|line| line.contains("author")), "{shown}");
}

#[test]
fn the_license_the_readme_links_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("(`LICENSE`)"), "the README links LICENSE");
    let license = std::fs::read_to_string(root.join("LICENSE")).expect("LICENSE exists");
    assert!(license.starts_with("MIT License"), "{license}");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT\""));
}

// ---------------------------------------------------------------------------
// One connect timeout for every engine and command

/// A port where nothing listens (bound, then closed again).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A port that accepts connections and never says a word (held open until
/// the test ends).
fn silent_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// Every command that connects, for a database URL.
fn connecting_commands(url: &str) -> Vec<Vec<String>> {
    let owned = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    vec![
        owned(&["introspect", url]),
        owned(&["diff", "--from", url, "--to", "baas.toml"]),
        owned(&["check", "--url", url]),
        owned(&["migrate", "status", "--url", url]),
        owned(&["migrate", "apply", "--url", url]),
        // Without a manifest: serve reads the database's schema first.
        owned(&[
            "--manifest",
            "none/baas.toml",
            "serve",
            "--db",
            url,
            "--port",
            "0",
        ]),
    ]
}

/// Runs `args` and returns (exit code, seconds, stderr).
fn timed(dir: &Path, args: &[String], timeout: &str) -> (Option<i32>, f64, String) {
    let started = Instant::now();
    let output = baas(dir)
        .args(args)
        .env("BAAS_CONNECT_TIMEOUT", timeout)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        output.status.code(),
        started.elapsed().as_secs_f64(),
        text(&output.stderr),
    )
}

#[test]
fn every_engine_fails_at_once_on_a_closed_port_and_waits_the_one_timeout_on_a_silent_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), HEADER).unwrap();
    let (closed, silent) = (closed_port(), silent_port());
    let mut slow = Vec::new();
    for scheme in ["postgres://app@", "mysql://app@", "mongodb://"] {
        for args in connecting_commands(&format!("{scheme}127.0.0.1:{closed}/shop")) {
            let (code, seconds, stderr) = timed(dir.path(), &args, "20");
            assert_eq!(code, Some(3), "{args:?}: {stderr}");
            if seconds > 3.0 {
                slow.push(format!("{args:?} took {seconds:.1} s to see a closed port"));
            }
        }
        for args in connecting_commands(&format!("{scheme}127.0.0.1:{silent}/shop")) {
            let (code, seconds, stderr) = timed(dir.path(), &args, "1");
            assert_eq!(code, Some(3), "{args:?}: {stderr}");
            if !(0.9..6.0).contains(&seconds) {
                slow.push(format!(
                    "{args:?} gave up on a silent server after {seconds:.1} s, not ~1 s"
                ));
            }
        }
    }
    assert!(slow.is_empty(), "{}", slow.join("\n"));
}

// ---------------------------------------------------------------------------
// `diff` sides, flags spelled one way, safety names

const BOOK_MANIFEST: &str = r#"[manifest]
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

#[test]
fn diff_without_from_compares_with_the_last_migration_and_takes_migration_folders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), BOOK_MANIFEST).unwrap();
    // No migrations yet: everything in baas.toml is new.
    let (stdout, _) = expect(dir.path(), &["diff"], 0);
    assert!(
        stdout.contains("add entity") && stdout.contains("book"),
        "{stdout}"
    );
    // Tables are data on stdout, for `migrate plan` as for `diff`.
    let (stdout, stderr) = expect(dir.path(), &["migrate", "plan", "--name", "init"], 0);
    assert!(stdout.contains("add entity"), "{stdout}");
    assert!(!stderr.contains("add entity"), "{stderr}");
    let (_, stderr) = expect(dir.path(), &["diff"], 0);
    assert!(stderr.contains("No changes"), "{stderr}");
    let edited = read(dir.path(), "baas.toml").replace(
        "title = { type = \"text\" }",
        "title = { type = \"text\" }\nisbn = { type = \"text\", nullable = true }",
    );
    std::fs::write(dir.path().join("baas.toml"), edited).unwrap();
    let (stdout, _) = expect(dir.path(), &["diff"], 0);
    assert!(stdout.contains("book.isbn"), "{stdout}");
    expect(dir.path(), &["migrate", "plan", "--name", "isbn"], 0);
    // Migration folders as sides, either way round.
    let (stdout, _) = expect(
        dir.path(),
        &[
            "--json",
            "diff",
            "--from",
            "migrations/0001_init",
            "--to",
            "migrations/0002_isbn",
        ],
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["changes"].as_array().unwrap().len(), 1, "{stdout}");
    assert_eq!(report["changes"][0]["kind"], "add_field");
    let (stdout, _) = expect(dir.path(), &["diff", "--from", "migrations/0002_isbn/"], 0);
    assert_eq!(
        stdout, "",
        "the working manifest equals the newest snapshot"
    );
    let (_, stderr) = expect(dir.path(), &["diff", "--from", "migrations"], 2);
    assert!(stderr.contains("snapshot"), "{stderr}");
    // `--format json` still works, and says the same as `--json`.
    let (json_format, _) = expect(
        dir.path(),
        &["diff", "--from", "migrations/0001_init", "--format", "json"],
        0,
    );
    let (json_flag, _) = expect(
        dir.path(),
        &["--json", "diff", "--from", "migrations/0001_init"],
        0,
    );
    assert_eq!(json_format, json_flag);
}

#[test]
fn one_database_flag_and_one_name_per_safety_level() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), BOOK_MANIFEST).unwrap();
    expect(dir.path(), &["migrate", "plan", "--name", "book"], 0);
    // `--db` everywhere; the old `--url` still works.
    expect(
        dir.path(),
        &["migrate", "apply", "--db", "sqlite://shop.db"],
        0,
    );
    expect(
        dir.path(),
        &["migrate", "status", "--db", "sqlite://shop.db"],
        0,
    );
    expect(
        dir.path(),
        &["migrate", "status", "--url", "sqlite://shop.db"],
        0,
    );
    // (SQLite's rowid key reads back as generated: a change to review.)
    let destructive = ["--fail-on", "destructive"];
    expect(
        dir.path(),
        &[&["check", "--db", "sqlite://shop.db"][..], &destructive].concat(),
        0,
    );
    expect(
        dir.path(),
        &[&["check", "--url", "sqlite://shop.db"][..], &destructive].concat(),
        0,
    );
    expect(dir.path(), &["diff", "--db", "sqlite://shop.db"], 0);
    expect(
        dir.path(),
        &["introspect", "--db", "sqlite://shop.db", "--dry-run"],
        0,
    );
    for command in [
        &["migrate", "apply"][..],
        &["migrate", "status"],
        &["migrate", "down"],
        &["check"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let (help, _) = expect(dir.path(), &args, 0);
        assert!(help.contains("--db <URL>"), "{command:?}: {help}");
        assert!(
            !help.contains("--url"),
            "{command:?} documents --url: {help}"
        );
    }
    let other = tempfile::tempdir().unwrap();
    expect(other.path(), &["init", "--db", "sqlite://x.db"], 0);
    let (help, _) = expect(dir.path(), &["diff", "--help"], 0);
    assert!(!help.contains("[possible values: table, json"), "{help}");

    // A change to review: one name in the table, the summary and JSON.
    let review = read(dir.path(), "baas.toml").replace(
        "title = { type = \"text\" }",
        "title = { type = \"text\" }\nisbn = { type = \"text\" }",
    );
    std::fs::write(dir.path().join("baas.toml"), review).unwrap();
    let (stdout, stderr) = expect(dir.path(), &["diff", "--db", "sqlite://shop.db"], 0);
    assert!(stdout.contains("needs-review"), "{stdout}");
    assert!(stderr.contains(" needs-review, 0 destructive"), "{stderr}");
    assert!(!format!("{stdout}{stderr}").contains("to review"));
    let (stdout, _) = expect(
        dir.path(),
        &["--json", "diff", "--db", "sqlite://shop.db"],
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["summary"]["needs-review"].as_u64().unwrap() >= 1,
        "{stdout}"
    );
    assert!(report["summary"].get("needs_review").is_none(), "{stdout}");
    assert!(
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["safety"] == "needs-review"),
        "{stdout}"
    );
    // Every spelling is accepted as input.
    for level in ["needs-review", "needs_review", "review"] {
        expect(
            dir.path(),
            &["check", "--db", "sqlite://shop.db", "--fail-on", level],
            1,
        );
    }
    expect(
        dir.path(),
        &[
            "check",
            "--db",
            "sqlite://shop.db",
            "--fail-on",
            "destructive",
        ],
        0,
    );
}

#[test]
fn down_with_more_than_applied_says_how_many_it_undid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), BOOK_MANIFEST).unwrap();
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL);",
        "DROP TABLE book;",
    );
    expect(dir.path(), &["migrate", "apply"], 0);
    let (_, stderr) = expect(dir.path(), &["--yes", "migrate", "down", "5"], 0);
    assert!(
        stderr.contains("asked to undo 5 migration(s), but only 1 is applied"),
        "{stderr}"
    );
    expect(dir.path(), &["migrate", "apply"], 0);
    let (stdout, _) = expect(dir.path(), &["--yes", "--json", "migrate", "down", "5"], 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["requested"], 5);
    assert_eq!(report["undone"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------
// introspect -> migrate plan -> migrate apply on the same database

#[track_caller]
fn first_apply_points_to_baseline(dir: &Path, url: &str) {
    expect(dir, &["introspect", url], 0);
    expect(dir, &["migrate", "plan", "--name", "init"], 0);
    let (_, stderr) = expect(dir, &["migrate", "apply", "--db", url], 2);
    assert!(
        stderr.contains("already has the schema of `0001_init`"),
        "{stderr}"
    );
    assert!(stderr.contains("--baseline"), "{stderr}");
    assert!(!stderr.contains("fix up.sql"), "{stderr}");
    expect(dir, &["migrate", "apply", "--db", url, "--baseline"], 0);
    expect(
        dir,
        &["migrate", "status", "--db", url, "--fail-on", "pending"],
        0,
    );
}

#[test]
fn sqlite_first_apply_on_the_introspected_database_points_to_baseline() {
    let dir = tempfile::tempdir().unwrap();
    sqlite(
        &dir.path().join("shop.db"),
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT NOT NULL);",
    );
    first_apply_points_to_baseline(dir.path(), "sqlite://shop.db");
}

#[test]
fn postgres_first_apply_on_the_introspected_database_points_to_baseline() {
    let Some(database) = Postgres::create("baseline") else {
        return;
    };
    database.query("CREATE TABLE book (id int PRIMARY KEY, title text NOT NULL)");
    let dir = tempfile::tempdir().unwrap();
    first_apply_points_to_baseline(dir.path(), &database.url());
}

#[test]
fn mariadb_permission_denied_is_a_refusal_with_its_cause() {
    let Some(mut database) = crate::support::mysql::TempDatabase::create("denied") else {
        return;
    };
    // A user that may read the database but not create tables in it.
    let user = database.user("ro", "pw");
    database.query(&format!(
        "GRANT SELECT ON `{}`.* TO '{user}'@'%';",
        database.name()
    ));
    let url = database.url_as(&user, "pw");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), HEADER).unwrap();
    migration(
        dir.path(),
        "0001_book",
        "CREATE TABLE book (id int PRIMARY KEY);",
        "DROP TABLE book;",
    );
    let (_, stderr) = expect(dir.path(), &["migrate", "apply", "--db", &url], 3);
    assert!(stderr.contains("denied"), "{stderr}");
    assert!(stderr.contains("GRANT"), "{stderr}");
    assert!(!stderr.contains("bug"), "{stderr}");
}
