//! `strategy = "database"`: a database per tenant on PostgreSQL,
//! MySQL/MariaDB and MongoDB, made with every migration applied (or not at
//! all), isolated over HTTP, dropped on request; no password in the
//! registry, the CLI's output or the server's log.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::baas;
use crate::support::tenancy::TenantDatabases;
use crate::tenancy::{
    As, AsServer, HEADER, SECRET, SERVICE_KEY, assert_isolated, break_migrations, create_tenant,
    run_ok, send, tenant_manifest, titles,
};

/// The text of everything the CLI, the server and the registry said, none
/// of which may hold `password`.
fn assert_no_password(password: &str, dir: &Path, said: &str, log: &str) {
    let registry = std::fs::read(dir.join(".baas/registry.sqlite3")).unwrap();
    for (what, text) in [
        ("the CLI output", said.to_owned()),
        ("the server log", log.to_owned()),
        (
            "the registry",
            String::from_utf8_lossy(&registry).into_owned(),
        ),
    ] {
        assert!(!text.contains(password), "{what} holds the password");
    }
}

/// `baas tenants create SLUG` that must fail; its stderr.
fn create_fails(dir: &Path, env: &[(&str, &str)], slug: &str) -> String {
    let output = baas(dir)
        .envs(env.iter().copied())
        .args(["tenants", "create", slug])
        .output()
        .unwrap();
    assert!(!output.status.success(), "create {slug} should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn no_tenants(dir: &Path, env: &[(&str, &str)]) {
    let list = run_ok(dir, env, &["tenants", "list", "--json"]);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["tenants"], json!([]), "{list}");
}

// ---- PostgreSQL ----

/// Tenant databases made on the PostgreSQL test server, dropped at the end
/// even when the test fails.
fn pg_database_exists(db: &crate::support::postgres::TempDatabase, name: &str) -> bool {
    db.query(&format!(
        "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
    ))
    .trim()
        == "1"
}

#[test]
fn postgres_database_tenants_are_isolated_dropped_and_never_leak_the_password() {
    let Some(mut db) = crate::support::postgres::TempDatabase::create("tenancy_pgdb") else {
        return;
    };
    let password = "Tenancy-Db-Pw-0815-secret";
    let role = db.role("maker", password);
    db.query(&format!("ALTER ROLE \"{role}\" CREATEDB"));
    let url = db.url_as(&role, password);
    let base = db.name().to_owned();
    let names: Vec<String> = ["acme", "globex", "broken", "taken"]
        .iter()
        .map(|slug| format!("{base}_{slug}"))
        .collect();
    let _cleanup = TenantDatabases(&db, names.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        tenant_manifest(crate::tenancy::PG_SOURCE, "database"),
    )
    .unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url.as_str()),
    ];
    let mut said = run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);

    // A migration failing halfway leaves neither a database nor a row.
    let broken = break_migrations(dir.path(), "SELECT * FROM no_such_table;");
    let stderr = create_fails(dir.path(), &env, "broken");
    assert!(stderr.contains("0002_broken"), "{stderr}");
    assert!(!stderr.contains(password), "{stderr}");
    assert!(
        !pg_database_exists(&db, &names[2]),
        "the database is dropped"
    );
    no_tenants(dir.path(), &env);
    std::fs::remove_dir_all(&broken).unwrap();

    // A database that was there before is never taken over nor dropped.
    db.query(&format!("CREATE DATABASE \"{}\"", names[3]));
    create_fails(dir.path(), &env, "taken");
    assert!(pg_database_exists(&db, &names[3]));
    no_tenants(dir.path(), &env);

    for slug in ["acme", "globex"] {
        let record = create_tenant(dir.path(), &env, slug);
        assert_eq!(record["state"], "active", "{record}");
        assert_eq!(
            record["location"],
            format!("${{TENANTS_DB}}#database={base}_{slug}")
        );
        assert_eq!(record["schema_version"], 1, "{record}");
    }
    assert!(pg_database_exists(&db, &names[0]));
    assert!(
        !db.has_table("public.note"),
        "nothing lands in the server's database"
    );
    said.push_str(&run_ok(dir.path(), &env, &["tenants", "list"]));
    said.push_str(&run_ok(
        dir.path(),
        &env,
        &["tenants", "show", "acme", "--json"],
    ));
    let path = dir.path().to_owned();
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    assert_isolated(&server, &path, &env);

    // Drop asks first; with --yes the database goes, even with the
    // server's pool still open on it.
    let output = baas(&path)
        .envs(env)
        .args(["tenants", "drop", "acme"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "no terminal to ask on");
    assert!(pg_database_exists(&db, &names[0]));
    said.push_str(&run_ok(&path, &env, &["tenants", "drop", "acme", "--yes"]));
    assert!(!pg_database_exists(&db, &names[0]));
    let (status, _) = send(&server, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 404, "a dropped tenant is not served");
    run_ok(&path, &env, &["tenants", "drop", "globex", "--yes"]);
    assert!(!pg_database_exists(&db, &names[1]));
    assert_no_password(password, &path, &said, &server.0.log());
}

// ---- MySQL / MariaDB ----

struct MysqlTenantDatabases<'a>(&'a crate::support::mysql::TempDatabase, Vec<String>);

impl Drop for MysqlTenantDatabases<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            self.0.query(&format!("DROP DATABASE IF EXISTS `{name}`"));
        }
    }
}

fn mysql_database_exists(db: &crate::support::mysql::TempDatabase, name: &str) -> bool {
    db.query(&format!(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{name}'"
    ))
    .trim()
        == "1"
}

#[test]
fn mysql_database_tenants_are_isolated_and_a_failed_one_leaves_nothing() {
    let Some(db) = crate::support::mysql::TempDatabase::create("tenancy_mydb") else {
        return;
    };
    let base = db.name().to_owned();
    let names: Vec<String> = ["acme", "globex", "broken"]
        .iter()
        .map(|slug| format!("{base}_{slug}"))
        .collect();
    let _cleanup = MysqlTenantDatabases(&db, names.clone());
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        tenant_manifest(
            "\n[source]\nengine = \"mysql\"\nurl = \"${TENANTS_DB}\"\n",
            "database",
        ),
    )
    .unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url.as_str()),
    ];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    let broken = break_migrations(dir.path(), "SELECT * FROM no_such_table;");
    let stderr = create_fails(dir.path(), &env, "broken");
    assert!(stderr.contains("0002_broken"), "{stderr}");
    assert!(!mysql_database_exists(&db, &names[2]));
    no_tenants(dir.path(), &env);
    std::fs::remove_dir_all(&broken).unwrap();

    for slug in ["acme", "globex"] {
        let record = create_tenant(dir.path(), &env, slug);
        assert_eq!(
            record["location"],
            format!("${{TENANTS_DB}}#database={base}_{slug}")
        );
    }
    assert!(mysql_database_exists(&db, &names[0]));
    let path = dir.path().to_owned();
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    assert_isolated(&server, &path, &env);
    run_ok(&path, &env, &["tenants", "drop", "acme", "--yes"]);
    assert!(!mysql_database_exists(&db, &names[0]));
    assert!(mysql_database_exists(&db, &names[1]), "globex is kept");
}

// ---- MongoDB ----

fn mongo_manifest() -> String {
    format!(
        r#"{HEADER}
[source]
engine = "mongodb"
url = "${{TENANTS_DB}}"

[tenancy]
strategy = "database"
resolve = ["claim:tenant", "header:x-tenant", "path"]

[auth]
jwt_secret = "${{JWT_SECRET}}"
service_key = "${{BAAS_SERVICE_KEY}}"

[entities.note]
table = "note"
primary_key = ["_id"]

[entities.note.fields]
_id = {{ type = "object_id", optional = true }}
title = {{ type = "string" }}

[entities.note.rules]
list = "true"
view = "true"
create = "true"
update = "true"
delete = "true"
"#
    )
}

fn mongo_databases(url: &str) -> Vec<String> {
    crate::support::block_on(async {
        let client = mongodb::Client::with_uri_str(url).await.unwrap();
        client.list_database_names().await.unwrap()
    })
}

#[test]
fn mongo_database_tenants_are_isolated_and_dropped() {
    let Some(db) = crate::support::mongo::TempDatabase::create("tenancy_mgdb") else {
        return;
    };
    let base = db.name().to_owned();
    let url = db.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), mongo_manifest()).unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url.as_str()),
    ];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    for slug in ["acme", "globex"] {
        let record = create_tenant(dir.path(), &env, slug);
        assert_eq!(
            record["location"],
            format!("${{TENANTS_DB}}#database={base}_{slug}")
        );
    }
    let names = mongo_databases(&url);
    for slug in ["acme", "globex"] {
        assert!(
            names.contains(&format!("{base}_{slug}")),
            "the migrations made {slug}'s database: {names:?}"
        );
    }
    // A second create of a database that exists outside the registry is
    // refused and leaves it alone.
    let path = dir.path().to_owned();
    let registry = rusqlite::Connection::open(path.join(".baas/registry.sqlite3")).unwrap();
    registry
        .execute("DELETE FROM _baas_tenants WHERE slug = 'globex'", [])
        .unwrap();
    create_fails(&path, &env, "globex");
    assert!(mongo_databases(&url).contains(&format!("{base}_globex")));
    create_tenant(&path, &env, "initech");
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    for tenant in ["acme", "initech"] {
        let (status, note) = send(
            &server,
            "POST",
            "/api/note",
            As::Service(tenant),
            Some(json!({ "title": format!("{tenant} secret") })),
        );
        assert_eq!(status, 201, "{note}");
    }
    let acme = As::User(Some("acme"), None);
    let (status, list) = send(&server, "GET", "/api/note?count=exact", acme, None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["acme secret"]);
    assert_eq!(list["count"], 1);
    let (status, _) = send(
        &server,
        "GET",
        "/api/note",
        As::User(Some("acme"), Some("initech")),
        None,
    );
    assert_eq!(status, 403, "a forged header is refused");
    run_ok(&path, &env, &["tenants", "drop", "acme", "--yes"]);
    run_ok(&path, &env, &["tenants", "drop", "initech", "--yes"]);
    let names = mongo_databases(&url);
    assert!(!names.contains(&format!("{base}_acme")), "{names:?}");
    assert!(!names.contains(&format!("{base}_initech")), "{names:?}");
    crate::support::block_on(async {
        let client = mongodb::Client::with_uri_str(&url).await.unwrap();
        client
            .database(&format!("{base}_globex"))
            .drop()
            .await
            .unwrap();
    });
}

/// `tenants create --pool-size 2`: the registry keeps it, `tenants show`
/// says it, and however many requests wait at once the server holds no
/// more than 2 connections to the tenant's database (the default pool
/// would open 8). Out of range or on a tenant with no pool of its own, it
/// is refused.
#[test]
fn a_database_tenant_with_pool_size_two_never_holds_more_than_two_connections() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_pool") else {
        return;
    };
    let tenant_db = format!("{}_small", db.name());
    let _cleanup = TenantDatabases(&db, vec![tenant_db.clone(), format!("{}_sized", db.name())]);
    let (dir, env) = crate::support::tenancy::planned(
        &tenant_manifest(crate::tenancy::PG_SOURCE, "database"),
        &db.url(),
        &[],
    );
    for size in ["0", "101"] {
        let output = baas(dir.path())
            .envs(env.iter().copied())
            .args(["tenants", "create", "small", "--pool-size", size])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "--pool-size {size}");
    }
    no_tenants(dir.path(), &env);
    run_ok(
        dir.path(),
        &env,
        &["tenants", "create", "small", "--pool-size", "2"],
    );
    let shown = run_ok(dir.path(), &env, &["tenants", "show", "small", "--json"]);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["pool_options"], json!({ "pool_size": 2 }), "{shown}");
    let text = run_ok(dir.path(), &env, &["tenants", "show", "small"]);
    assert!(text.contains("\"pool_size\":2"), "{text}");

    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    let (status, body) = send(
        &server,
        "POST",
        "/api/note",
        As::Service("small"),
        Some(json!({ "title": "one" })),
    );
    assert_eq!(status, 201, "{body}");
    // Every request waits on a lock held for a while, each holding a
    // connection of the pool meanwhile.
    let mut tenant_url = db.parsed_url();
    tenant_url.set_path(&tenant_db);
    let mut locker = std::process::Command::new("psql")
        .args([
            tenant_url.as_str(),
            "-c",
            "BEGIN; LOCK TABLE note IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let held = format!(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE d.datname = '{tenant_db}' AND l.mode = 'AccessExclusiveLock' AND l.granted"
    );
    let started = std::time::Instant::now();
    while db.query(&held).trim() == "0" {
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let backends = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{tenant_db}' \
         AND application_name LIKE 'baas serve%'"
    );
    let (most, statuses) = std::thread::scope(|scope| {
        let requests: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| send(&server, "GET", "/api/note", As::Service("small"), None).0)
            })
            .collect();
        let mut most = 0;
        let sampling = std::time::Instant::now();
        while sampling.elapsed() < std::time::Duration::from_millis(1200) {
            let now: usize = db.query(&backends).trim().parse().unwrap();
            most = most.max(now);
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let statuses: Vec<u16> = requests.into_iter().map(|r| r.join().unwrap()).collect();
        (most, statuses)
    });
    locker.wait().unwrap();
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    assert!(
        most >= 1,
        "the requests were waiting on the tenant's database"
    );
    assert!(most <= 2, "{most} connections to a tenant with pool size 2");

    // The same through /api/_tenants.
    for bad in [json!(0), json!(101), json!("2")] {
        let (status, body) = send(
            &server,
            "POST",
            "/api/_tenants",
            As::Key,
            Some(json!({ "slug": "sized", "pool_size": bad })),
        );
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, record) = send(
        &server,
        "POST",
        "/api/_tenants",
        As::Key,
        Some(json!({ "slug": "sized", "pool_size": 3 })),
    );
    assert_eq!(status, 201, "{record}");
    assert_eq!(
        record["pool_options"],
        json!({ "pool_size": 3 }),
        "{record}"
    );
}

/// A pool size is refused for tenants that have no pool of their own.
#[test]
fn a_pool_size_is_refused_for_file_tenants() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let output = baas(dir.path())
        .args(["tenants", "create", "acme", "--pool-size", "2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("database"), "{stderr}");
    no_tenants(dir.path(), &[]);
    assert!(!dir.path().join(".baas/tenants/acme.sqlite3").exists());
}
