//! Administering tenants: `/api/_system` closes a tenant's pool when it
//! deactivates it (as `/api/_tenants` does) and names the client's path in
//! its problems; a failed `migrate apply --tenants` leaves the registry's
//! schema version where the tenant's history is.

use serde_json::{Value, json};

use crate::tenancy::{
    As, AsServer, SECRET, SERVICE_KEY, create_tenant, run_ok, send, tenant_manifest,
};

fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(5) {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// A database tenant deactivated by a PATCH of `/api/_system/tenants`
/// holds no connection to its database afterwards, without waiting for
/// the idle eviction (300 s).
#[test]
fn deactivating_through_the_system_api_closes_the_tenants_pool_at_once() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_sysoff") else {
        return;
    };
    let tenant_db = format!("{}_acme", db.name());
    let _cleanup = crate::support::tenancy::TenantDatabases(&db, vec![tenant_db.clone()]);
    let (dir, env) = crate::support::tenancy::planned(
        &tenant_manifest(crate::tenancy::PG_SOURCE, "database"),
        &db.url(),
        &[],
    );
    create_tenant(dir.path(), &env, "acme");
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    let (status, note) = send(
        &server,
        "POST",
        "/api/note",
        As::Service("acme"),
        Some(json!({ "title": "open the pool" })),
    );
    assert_eq!(status, 201, "{note}");
    let connections = || -> usize {
        db.query(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{tenant_db}' \
             AND application_name LIKE 'baas serve%'"
        ))
        .trim()
        .parse()
        .unwrap()
    };
    assert!(connections() >= 1, "the request opened acme's pool");

    let (status, list) = send(
        &server,
        "GET",
        "/api/_system/tenants?slug=eq.acme",
        As::Key,
        None,
    );
    assert_eq!(status, 200, "{list}");
    let id = &list["data"][0]["id"];
    let (status, row) = send(
        &server,
        "PATCH",
        &format!("/api/_system/tenants/{id}"),
        As::Key,
        Some(json!({ "active": false })),
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["active"], false, "{row}");
    assert!(
        eventually(|| connections() == 0),
        "acme's pool is still open: {} connection(s)",
        connections()
    );
    let (status, _) = send(&server, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 404, "a deactivated tenant is not served");
}

/// A problem of `/api/_system/...` names the path the client asked for
/// (it was `/api/tenants...`, the route the registry is served by).
#[test]
fn system_api_problems_name_the_requested_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    create_tenant(dir.path(), &env, "acme");
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    for (method, path, body, status) in [
        ("GET", "/api/_system/tenants/999", None, 404),
        ("GET", "/api/_system/tenants?nosuch=eq.1", None, 400),
        (
            "PATCH",
            "/api/_system/tenants/999",
            Some(json!({ "name": "x" })),
            404,
        ),
    ] {
        let (got, problem) = send(&server, method, path, As::Key, body);
        assert_eq!(got, status, "{method} {path}: {problem}");
        let expected = path.split('?').next().unwrap_or_default();
        assert_eq!(problem["instance"], expected, "{method} {path}: {problem}");
    }
}

/// `migrate apply --tenants` where the third migration fails after the
/// second applied: each tenant's registry row says version 2, as its
/// history and `migrate status --tenants` do; after the fix a rerun
/// brings both to 3.
#[test]
fn a_failed_fan_out_leaves_the_registry_at_the_tenants_real_version() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    for slug in ["acme", "globex"] {
        create_tenant(dir.path(), &env, slug);
    }
    let write = |name: &str, up: &str| {
        let folder = dir.path().join("migrations").join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("up.sql"), up).unwrap();
        std::fs::write(folder.join("down.sql"), "SELECT 1;\n").unwrap();
    };
    write("0002_shelf", "CREATE TABLE shelf (id integer);\n");
    write("0003_broken", "INSERT INTO no_such_table VALUES (1);\n");
    let output = crate::support::baas(dir.path())
        .envs(env)
        .args(["migrate", "apply", "--tenants", "all", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "two tenants failed");
    let versions = || -> Vec<(String, Value)> {
        let list = run_ok(dir.path(), &env, &["tenants", "list", "--json"]);
        let list: Value = serde_json::from_str(list.trim()).unwrap();
        list["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["slug"].as_str().unwrap().to_owned(),
                    t["schema_version"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        versions(),
        [("acme".into(), json!(2)), ("globex".into(), json!(2))]
    );
    let status = run_ok(
        dir.path(),
        &env,
        &["migrate", "status", "--tenants", "all", "--json"],
    );
    let status: Value = serde_json::from_str(status.trim()).unwrap();
    for row in status.as_array().unwrap() {
        assert_eq!(row["version"], 2, "{row}");
        assert_eq!(row["pending"], json!(["0003_broken"]), "{row}");
    }
    write("0003_broken", "CREATE TABLE fixed (id integer);\n");
    run_ok(dir.path(), &env, &["migrate", "apply", "--tenants", "all"]);
    assert_eq!(
        versions(),
        [("acme".into(), json!(3)), ("globex".into(), json!(3))]
    );
}
