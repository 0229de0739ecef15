//! Migration fan-out over tenants (`baas migrate apply|status|down
//! --tenants`, `baas check --tenants`) on real databases: a broken tenant
//! does not stop the others and is named, a rerun applies only what is
//! pending, two fan-outs at once apply nothing twice, tenants in one
//! database do not wait for each other's lock, and a tenant changed by
//! hand is found.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::baas;
use crate::support::postgres::TempDatabase;

fn manifest(source: &str, strategy: &str, extra: &str) -> String {
    format!(
        r#"[manifest]
format = 1
version = 1

[project]
name = "shop"
{source}
[tenancy]
strategy = "{strategy}"
resolve = ["header:x-tenant"]

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = {{ type = "int64", generated = "identity" }}
title = {{ type = "string" }}
{extra}"#
    )
}

const TAG: &str = r#"
[entities.tag]
table = "tag"
primary_key = ["id"]

[entities.tag.fields]
id = { type = "int64", generated = "identity" }
label = { type = "string" }
"#;

const PG_SOURCE: &str = "\n[source]\nengine = \"postgres\"\nurl = \"${TENANTS_DB}\"\n";

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    baas(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run_ok(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let output = run(dir, env, args);
    assert!(output.status.success(), "baas {args:?}: {}", said(&output));
    output
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", said(output)))
}

/// The tenant's row of a fan-out's JSON array.
fn row<'a>(rows: &'a Value, tenant: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["tenant"] == tenant)
        .unwrap_or_else(|| panic!("no row for `{tenant}` in {rows}"))
}

fn done(rows: &Value, tenant: &str) -> Vec<String> {
    row(rows, tenant)["done"]
        .as_array()
        .unwrap_or_else(|| panic!("{rows}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Each tenant's `schema_version` in the registry.
fn versions(dir: &Path, env: &[(&str, &str)]) -> Vec<(String, Option<i64>)> {
    let list = json(&run_ok(dir, env, &["tenants", "list", "--json"]));
    list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["slug"].as_str().unwrap().to_owned(),
                t["schema_version"].as_i64(),
            )
        })
        .collect()
}

/// A PostgreSQL deployment with schema tenants `slugs` made from the
/// migration `0001_init`.
fn pg_tenants(label: &str, slugs: &[String]) -> Option<(TempDatabase, tempfile::TempDir, String)> {
    let db = TempDatabase::create(label)?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        manifest(PG_SOURCE, "schema", ""),
    )
    .unwrap();
    let url = db.url();
    let env = [("TENANTS_DB", url.as_str())];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    let mut create = vec!["tenants", "create"];
    create.extend(slugs.iter().map(String::as_str));
    run_ok(dir.path(), &env, &create);
    Some((db, dir, url))
}

fn slugs(count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("t{i:02}")).collect()
}

#[test]
fn fan_out_over_fifty_schema_tenants_passes_a_broken_one_names_it_and_resumes() {
    let slugs = slugs(50);
    let Some((db, dir, url)) = pg_tenants("fanout_pg", &slugs) else {
        return;
    };
    let dir = dir.path();
    let env = [("TENANTS_DB", url.as_str())];
    // A second migration: a new table.
    std::fs::write(dir.join("baas.toml"), manifest(PG_SOURCE, "schema", TAG)).unwrap();
    run_ok(dir, &env, &["migrate", "plan", "--name", "tag"]);
    // Someone made a `tag` of their own in t17: the migration fails there.
    db.query("CREATE TABLE t17.tag (mine integer)");

    let output = run(
        dir,
        &env,
        &[
            "migrate",
            "apply",
            "--tenants",
            "all",
            "--concurrency",
            "8",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 of 50 tenant(s) failed: `t17`"),
        "{stderr}"
    );
    let rows = json(&output);
    assert_eq!(rows.as_array().unwrap().len(), 50);
    for slug in &slugs {
        let row = row(&rows, slug);
        if slug == "t17" {
            assert_eq!(row["ok"], false, "{row}");
            assert!(row["error"].as_str().unwrap().contains("0002_tag"), "{row}");
        } else {
            assert_eq!(row["ok"], true, "{row}");
            assert_eq!(done(&rows, slug), ["0002_tag"], "{row}");
            assert!(db.has_table(&format!("{slug}.tag")), "{slug}.tag");
        }
    }
    assert_eq!(
        db.query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 't17' AND table_name = 'tag'")
            .trim(),
        "1",
        "the failed tenant's own table is untouched"
    );
    for (slug, version) in versions(dir, &env) {
        let expected = if slug == "t17" { 1 } else { 2 };
        assert_eq!(version, Some(expected), "registry version of {slug}");
    }

    // Status names what is pending where; --fail-on pending fails on t17.
    let output = run(
        dir,
        &env,
        &[
            "migrate",
            "status",
            "--tenants",
            "all",
            "--fail-on",
            "pending",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", said(&output));
    let rows = json(&output);
    assert_eq!(row(&rows, "t17")["pending"][0], "0002_tag");
    assert_eq!(row(&rows, "t01")["pending"].as_array().unwrap().len(), 0);

    // Fixed by hand: the rerun applies only t17's migration.
    db.query("DROP TABLE t17.tag");
    let output = run_ok(
        dir,
        &env,
        &["migrate", "apply", "--tenants", "all", "--json"],
    );
    let rows = json(&output);
    for slug in &slugs {
        let expected: &[&str] = if slug == "t17" { &["0002_tag"] } else { &[] };
        assert_eq!(done(&rows, slug), expected, "{slug}");
    }
    assert!(versions(dir, &env).iter().all(|(_, v)| *v == Some(2)));
    // The human table says it too.
    let output = run_ok(dir, &env, &["migrate", "status", "--tenants", "t17,t18"]);
    let text = said(&output);
    assert!(text.contains("t17") && text.contains("t18"), "{text}");
    assert!(!text.contains("t19"), "{text}");

    // `down` on two tenants undoes there only, and the registry follows.
    let output = run_ok(
        dir,
        &env,
        &["migrate", "down", "--tenants", "t01,t02", "--json", "--yes"],
    );
    let rows = json(&output);
    assert_eq!(done(&rows, "t01"), ["0002_tag"]);
    assert!(!db.has_table("t01.tag") && db.has_table("t03.tag"));
    let versions = versions(dir, &env);
    assert!(
        versions.contains(&("t02".to_owned(), Some(1))),
        "{versions:?}"
    );
    assert!(
        versions.contains(&("t03".to_owned(), Some(2))),
        "{versions:?}"
    );
}

#[test]
fn check_over_schema_tenants_names_the_one_changed_by_hand() {
    let slugs = slugs(4);
    let Some((db, dir, url)) = pg_tenants("fanout_check", &slugs) else {
        return;
    };
    let dir = dir.path();
    let env = [("TENANTS_DB", url.as_str())];
    let output = run(dir, &env, &["check", "--tenants", "all"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));

    db.query("ALTER TABLE t03.note ADD COLUMN secret text");
    let output = run(dir, &env, &["check", "--tenants", "all"]);
    assert_eq!(output.status.code(), Some(1), "{}", said(&output));
    let text = said(&output);
    assert!(text.contains("drift in 1 of 4 tenant(s): `t03`"), "{text}");
    let output = run(dir, &env, &["check", "--tenants", "all", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", said(&output));
    let rows = json(&output);
    assert_eq!(row(&rows, "t03")["drift"], true, "{rows}");
    for slug in ["t01", "t02", "t04"] {
        assert_eq!(row(&rows, slug)["drift"], false, "{rows}");
    }
    // Unknown tenants are refused before anything is read.
    let output = run(dir, &env, &["check", "--tenants", "t01,nobody"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(said(&output).contains("nobody"));
}

/// A migration of `number` that makes table `name` and sleeps `seconds`
/// inside its transaction.
fn slow_migration(dir: &Path, number: u32, name: &str, seconds: f64) {
    let folder = dir.join(format!("migrations/{number:04}_{name}"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("up.sql"),
        format!("CREATE TABLE {name} (id integer);\nSELECT pg_sleep({seconds});\n"),
    )
    .unwrap();
    std::fs::write(folder.join("down.sql"), format!("DROP TABLE {name};\n")).unwrap();
}

fn spawn(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("baas"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env_remove("BAAS_MANIFEST")
        .env_remove("BAAS_DATABASE_URL")
        .envs(env.iter().copied())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn two_fan_outs_at_once_apply_each_migration_once() {
    let slugs = slugs(8);
    let Some((db, dir, url)) = pg_tenants("fanout_twice", &slugs) else {
        return;
    };
    let dir = dir.path();
    let env = [("TENANTS_DB", url.as_str())];
    slow_migration(dir, 2, "slow", 0.2);
    let args = [
        "migrate",
        "apply",
        "--tenants",
        "all",
        "--concurrency",
        "3",
        "--json",
    ];
    let first = spawn(dir, &env, &args);
    let second = spawn(dir, &env, &args);
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for output in &outputs {
        assert!(output.status.success(), "{}", said(output));
    }
    let rows: Vec<Value> = outputs.iter().map(json).collect();
    for slug in &slugs {
        let applied: Vec<String> = rows.iter().flat_map(|r| done(r, slug)).collect();
        assert_eq!(applied, ["0002_slow"], "{slug}: applied once in all");
        assert_eq!(
            db.query(&format!("SELECT count(*) FROM {slug}._baas_migrations"))
                .trim(),
            "2",
            "{slug}"
        );
    }
}

#[test]
fn tenants_in_one_database_do_not_wait_for_each_others_lock() {
    let slugs = slugs(2);
    let Some((_db, dir, url)) = pg_tenants("fanout_locks", &slugs) else {
        return;
    };
    let dir = dir.path();
    let env = [("TENANTS_DB", url.as_str())];
    slow_migration(dir, 2, "slow", 4.0);
    // t01's migration holds its lock for 4 s ...
    let slow = spawn(dir, &env, &["migrate", "apply", "--tenants", "t01"]);
    std::thread::sleep(Duration::from_millis(1500));
    // ... while t02 (same database, another schema) takes its own at once.
    // With one lock per database this waited for t01 and timed out.
    let started = Instant::now();
    let output = run(
        dir,
        &env,
        &[
            "migrate",
            "apply",
            "--tenants",
            "t02",
            "--lock-timeout",
            "1",
            "--json",
        ],
    );
    let other = slow.wait_with_output().unwrap();
    assert!(other.status.success(), "{}", said(&other));
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(done(&json(&output), "t02"), ["0002_slow"]);
    assert!(started.elapsed() < Duration::from_secs(30));
}

// ---------------------------------------------------------------------------
// SQLite: a file per tenant.

fn sqlite(dir: &Path, slug: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(format!(".baas/tenants/{slug}.sqlite3"))).unwrap()
}

#[test]
fn fan_out_over_file_tenants_names_a_broken_one_resumes_and_finds_drift() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("baas.toml"), manifest("", "file", "")).unwrap();
    run_ok(
        dir,
        &[],
        &["migrate", "plan", "--name", "init", "--dialect", "sqlite"],
    );
    run_ok(
        dir,
        &[],
        &["tenants", "create", "acme", "globex", "initech"],
    );
    std::fs::write(dir.join("baas.toml"), manifest("", "file", TAG)).unwrap();
    run_ok(
        dir,
        &[],
        &["migrate", "plan", "--name", "tag", "--dialect", "sqlite"],
    );
    sqlite(dir, "globex")
        .execute_batch("CREATE TABLE tag (mine integer)")
        .unwrap();

    // A dry run says what each would run and changes nothing.
    let rows = json(&run_ok(
        dir,
        &[],
        &[
            "migrate",
            "apply",
            "--tenants",
            "all",
            "--dry-run",
            "--json",
        ],
    ));
    for slug in ["acme", "globex", "initech"] {
        assert_eq!(done(&rows, slug), ["0002_tag"], "{slug}");
    }
    assert!(versions(dir, &[]).iter().all(|(_, v)| *v == Some(1)));
    // An unknown tenant is refused before any is touched.
    let output = run(dir, &[], &["migrate", "apply", "--tenants", "acme,nobody"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(said(&output).contains("there is no tenant `nobody`"));
    assert!(versions(dir, &[]).iter().all(|(_, v)| *v == Some(1)));

    let output = run(dir, &[], &["migrate", "apply", "--tenants", "all"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let text = said(&output);
    assert!(text.contains("1 of 3 tenant(s) failed: `globex`"), "{text}");
    assert!(text.contains("0002_tag"), "{text}");
    let versions_now = versions(dir, &[]);
    assert_eq!(
        versions_now,
        [
            ("acme".to_owned(), Some(2)),
            ("globex".to_owned(), Some(1)),
            ("initech".to_owned(), Some(2)),
        ]
    );

    sqlite(dir, "globex")
        .execute_batch("DROP TABLE tag")
        .unwrap();
    let rows = json(&run_ok(
        dir,
        &[],
        &["migrate", "apply", "--tenants", "all", "--json"],
    ));
    assert_eq!(done(&rows, "globex"), ["0002_tag"]);
    assert!(done(&rows, "acme").is_empty() && done(&rows, "initech").is_empty());

    run_ok(dir, &[], &["check", "--tenants", "all"]);
    sqlite(dir, "initech")
        .execute_batch("ALTER TABLE note ADD COLUMN secret text")
        .unwrap();
    let output = run(dir, &[], &["check", "--tenants", "all"]);
    assert_eq!(output.status.code(), Some(1), "{}", said(&output));
    assert!(
        said(&output).contains("drift in 1 of 3 tenant(s): `initech`"),
        "{}",
        said(&output)
    );
    // Without [tenancy], --tenants is refused.
    std::fs::write(
        dir.join("baas.toml"),
        "[manifest]\nformat = 1\nversion = 1\n\n[project]\nname = \"shop\"\n",
    )
    .unwrap();
    let output = run(dir, &[], &["migrate", "status", "--tenants", "all"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
}

/// File tenants made before the deployment had a migrations folder got
/// the manifest's tables directly (a `dev_sync` step in their history).
/// When migrations arrive, status lists them as pending beside the synced
/// step (nothing "modified"), and apply records the migration whose
/// snapshot the tenant's tables match as its baseline, running only the
/// later ones: `0001_init` never runs on tables that exist, and the rows
/// stay. A tenant whose tables match no snapshot is refused, unchanged.
#[test]
fn file_tenants_synced_from_the_manifest_get_a_baseline_when_migrations_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("baas.toml"), manifest("", "file", "")).unwrap();
    run_ok(dir, &[], &["tenants", "create", "acme", "globex"]);
    sqlite(dir, "acme")
        .execute_batch("INSERT INTO note (title) VALUES ('kept')")
        .unwrap();
    // globex's tables were changed by hand: they match no migration.
    sqlite(dir, "globex")
        .execute_batch("ALTER TABLE note ADD COLUMN mine text")
        .unwrap();
    run_ok(
        dir,
        &[],
        &["migrate", "plan", "--name", "init", "--dialect", "sqlite"],
    );
    let shelf = dir.join("migrations/0002_shelf");
    std::fs::create_dir_all(&shelf).unwrap();
    std::fs::write(
        shelf.join("up.sql"),
        "CREATE TABLE shelf (id integer PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(shelf.join("down.sql"), "DROP TABLE shelf;\n").unwrap();

    let rows = json(&run_ok(
        dir,
        &[],
        &["migrate", "status", "--tenants", "all", "--json"],
    ));
    for slug in ["acme", "globex"] {
        let row = row(&rows, slug);
        assert_eq!(row["synced"], serde_json::json!(["0001_dev_sync"]), "{row}");
        assert_eq!(
            row["pending"],
            serde_json::json!(["0001_init", "0002_shelf"]),
            "{row}"
        );
        assert_eq!(row["modified"], serde_json::json!([]), "{row}");
        assert_eq!(row["missing_file"], serde_json::json!([]), "{row}");
    }
    let table = said(&run_ok(
        dir,
        &[],
        &["migrate", "status", "--tenants", "all"],
    ));
    assert!(table.contains("apply records a baseline"), "{table}");

    let output = run(
        dir,
        &[],
        &["migrate", "apply", "--tenants", "all", "--json"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let rows = json(&output);
    let acme = row(&rows, "acme");
    assert_eq!(acme["ok"], true, "{acme}");
    assert_eq!(
        acme["baselined"],
        serde_json::json!(["0001_init"]),
        "{acme}"
    );
    assert_eq!(done(&rows, "acme"), ["0002_shelf"]);
    let globex = row(&rows, "globex");
    assert_eq!(globex["ok"], false, "{globex}");
    let error = globex["error"].as_str().unwrap();
    assert!(
        error.contains("match the snapshot of none of the migrations")
            && error.contains("`0001_init` would run it on tables that exist"),
        "{globex}"
    );
    assert!(
        globex["hint"]
            .as_str()
            .unwrap()
            .contains("baas check --tenants globex"),
        "{globex}"
    );

    // acme: its row kept, 0001 recorded without running, 0002 run.
    let acme_db = sqlite(dir, "acme");
    let title: String = acme_db
        .query_row("SELECT title FROM note", [], |r| r.get(0))
        .unwrap();
    assert_eq!(title, "kept");
    let history: Vec<String> = acme_db
        .prepare("SELECT number || '_' || name FROM _baas_migrations ORDER BY number")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(history, ["1_init", "2_shelf"]);
    // globex: untouched.
    let globex_history: Vec<String> = sqlite(dir, "globex")
        .prepare("SELECT name FROM _baas_migrations")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(globex_history, ["dev_sync"]);
    assert_eq!(
        versions(dir, &[]),
        [("acme".to_owned(), Some(2)), ("globex".to_owned(), None)]
    );

    // Put back in line with 0001's snapshot, globex gets its baseline too.
    sqlite(dir, "globex")
        .execute_batch("ALTER TABLE note DROP COLUMN mine")
        .unwrap();
    let rows = json(&run_ok(
        dir,
        &[],
        &["migrate", "apply", "--tenants", "all", "--json"],
    ));
    assert_eq!(
        row(&rows, "globex")["baselined"],
        serde_json::json!(["0001_init"])
    );
    assert_eq!(done(&rows, "globex"), ["0002_shelf"]);
    assert!(done(&rows, "acme").is_empty(), "acme is up to date");
    assert_eq!(
        versions(dir, &[]),
        [("acme".to_owned(), Some(2)), ("globex".to_owned(), Some(2))]
    );
}

/// A schema tenant cannot be made from the manifest (only SQLite file
/// tenants are): without migrations `tenants create` is refused, says
/// what to run, and leaves no schema and no registry row; made from
/// `0001_init` it has no `dev_sync` step, so a later migration applies on
/// top of its history as usual.
#[test]
fn a_schema_tenant_needs_migrations_and_applies_on_its_history() {
    let Some(db) = TempDatabase::create("tenancy_schema_baseline") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("baas.toml"), manifest(PG_SOURCE, "schema", "")).unwrap();
    let url = db.url();
    let env = [("TENANTS_DB", url.as_str())];
    let output = run(dir, &env, &["tenants", "create", "acme"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(
        said(&output).contains("baas migrate plan --name init"),
        "{}",
        said(&output)
    );
    assert_eq!(
        db.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'acme'")
            .trim(),
        "0"
    );
    assert!(versions(dir, &env).is_empty());

    run_ok(dir, &env, &["migrate", "plan", "--name", "init"]);
    run_ok(dir, &env, &["tenants", "create", "acme"]);
    std::fs::write(dir.join("baas.toml"), manifest(PG_SOURCE, "schema", TAG)).unwrap();
    run_ok(dir, &env, &["migrate", "plan", "--name", "tag"]);
    let rows = json(&run_ok(
        dir,
        &env,
        &["migrate", "status", "--tenants", "all", "--json"],
    ));
    let acme = row(&rows, "acme");
    assert_eq!(acme["pending"], serde_json::json!(["0002_tag"]), "{acme}");
    assert!(acme.get("synced").is_none(), "{acme}");
    let rows = json(&run_ok(
        dir,
        &env,
        &["migrate", "apply", "--tenants", "all", "--json"],
    ));
    assert_eq!(done(&rows, "acme"), ["0002_tag"]);
    assert!(row(&rows, "acme").get("baselined").is_none());
    assert!(db.has_table("acme.tag"));
}
