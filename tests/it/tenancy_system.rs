//! The platform as tenant "system" (DESIGN.md §5b "Tenancy"): the
//! `[tenancy] admin` rule for `/api/_tenants` and `/api/_system`, the
//! registry served by the kernel under `/api/_system/tenants`, `[tenancy]`
//! hot reload, and the generated clients' `tenant` option.

use std::path::Path;

use serde_json::{Value, json};

use crate::auth::{AuthServer, agent, answer};
use crate::tenancy::{HEADER, SECRET, SERVICE_KEY, create_tenant, run_ok, tenant_manifest};

const ADMIN_RULE: &str = "@auth.role = 'admin'";

fn env() -> [(&'static str, &'static str); 2] {
    [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)]
}

/// File tenants with `[tenancy] admin = "@auth.role = 'admin'"`.
fn admin_manifest() -> String {
    tenant_manifest("", "file").replace(
        "resolve = [\"claim:tenant\", \"header:x-tenant\", \"path\"]\n",
        &format!("resolve = [\"claim:tenant\", \"header:x-tenant\", \"path\"]\nadmin = \"{ADMIN_RULE}\"\n"),
    )
}

/// A token signed with `secret`, expiring in `ttl` seconds (negative:
/// expired), with `claims` besides `sub` and `exp`.
fn signed(secret: &str, ttl: i64, claims: Value) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut all = json!({ "sub": "admin-1", "exp": now + ttl });
    for (key, value) in claims.as_object().unwrap() {
        all[key] = value.clone();
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &all,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn admin_token() -> String {
    signed(SECRET, 600, json!({ "role": "admin" }))
}

/// Who calls: a bearer token, the service key, or nobody.
#[derive(Clone, Copy)]
enum Who<'a> {
    Bearer(&'a str),
    Key,
    Anonymous,
}

fn call(
    server: &AuthServer,
    method: &str,
    path: &str,
    who: Who<'_>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(server.url(path));
    match who {
        Who::Bearer(token) => request = request.header("authorization", format!("Bearer {token}")),
        Who::Key => request = request.header("apikey", SERVICE_KEY),
        Who::Anonymous => {}
    }
    let response = match body {
        Some(body) => agent().run(
            request
                .header("content-type", "application/json")
                .body(body.to_string())
                .unwrap(),
        ),
        None => agent().run(request.body(()).unwrap()),
    }
    .unwrap();
    let (status, body, _) = answer(response);
    (status, body)
}

/// A server over `manifest` with tenants `acme` and `globex` made.
fn server_with_tenants(manifest: &str) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    run_ok(
        dir.path(),
        &env(),
        &["migrate", "plan", "--name", "init", "--dialect", "sqlite"],
    );
    for slug in ["acme", "globex"] {
        create_tenant(dir.path(), &env(), slug);
    }
    AuthServer::start_in(dir, &env())
}

fn slugs(list: &Value) -> Vec<String> {
    list["tenants"]
        .as_array()
        .or_else(|| list["data"].as_array())
        .unwrap_or(&Vec::new())
        .iter()
        .map(|t| t["slug"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_admin_rule_is_checked_with_line_and_column() {
    let base = admin_manifest();
    for (rule, expected) in [
        ("title = 'x'", "cannot name a field"),
        ("@body.role = 'admin'", "reads `@auth` claims"),
        ("@auth.role = ", "baas.toml:"),
    ] {
        let text = base.replace(ADMIN_RULE, rule);
        let error = baas::manifest::load_str(Path::new("baas.toml"), text.clone()).unwrap_err();
        let rendered = baas::diagnostics::render_problems(&error, false);
        assert!(rendered.contains(expected), "{rule}: {rendered}");
        let line = text
            .lines()
            .position(|l| l.starts_with("admin = "))
            .unwrap()
            + 1;
        assert!(
            rendered.contains(&format!("baas.toml:{line}:")),
            "{rule}: {rendered}"
        );
    }
    // Without [auth] nobody signs in: the rule cannot be met.
    let no_auth = format!("{HEADER}\n[tenancy]\nstrategy = \"file\"\nadmin = \"{ADMIN_RULE}\"\n");
    let error = baas::manifest::load_str(Path::new("baas.toml"), no_auth).unwrap_err();
    let rendered = baas::diagnostics::render_problems(&error, false);
    assert!(rendered.contains("without `[auth]`"), "{rendered}");
    // It round-trips.
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), base).unwrap();
    assert_eq!(
        loaded.manifest.tenancy.as_ref().unwrap().admin.as_deref(),
        Some(ADMIN_RULE)
    );
    let saved = baas::manifest::to_toml(&loaded.manifest);
    let again = baas::manifest::load_str(Path::new("baas.toml"), saved).unwrap();
    assert_eq!(again.manifest, loaded.manifest);
}

#[test]
fn the_admin_rule_opens_the_tenants_api_to_admins_only() {
    let server = server_with_tenants(&admin_manifest());
    let admin = admin_token();
    let (status, list) = call(&server, "GET", "/api/_tenants", Who::Bearer(&admin), None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(slugs(&list), ["acme", "globex"]);
    // The token of the platform (tenant `system`) is an admin's too.
    let system = signed(SECRET, 600, json!({ "role": "admin", "tenant": "system" }));
    let (status, _) = call(
        &server,
        "GET",
        "/api/_tenants/acme",
        Who::Bearer(&system),
        None,
    );
    assert_eq!(status, 200);

    // Attacks: a forged signature and an expired token are 401 whatever
    // they claim; another role, or an admin of one tenant, is 403.
    let forged = signed(
        "another-secret-that-is-long-enough-too",
        600,
        json!({ "role": "admin" }),
    );
    let expired = signed(SECRET, -600, json!({ "role": "admin" }));
    let editor = signed(SECRET, 600, json!({ "role": "editor" }));
    let tenant_admin = signed(SECRET, 600, json!({ "role": "admin", "tenant": "acme" }));
    for (who, expected) in [
        (Who::Bearer(&forged), 401),
        (Who::Bearer(&expired), 401),
        (Who::Anonymous, 401),
        (Who::Bearer(&editor), 403),
        (Who::Bearer(&tenant_admin), 403),
    ] {
        for (method, path, body) in [
            ("GET", "/api/_tenants", None),
            ("POST", "/api/_tenants", Some(json!({ "slug": "evil" }))),
            ("DELETE", "/api/_tenants/globex", None),
        ] {
            let (status, problem) = call(&server, method, path, who, body);
            assert_eq!(status, expected, "{method} {path}: {problem}");
            assert!(problem["tenants"].is_null(), "{problem}");
        }
    }
    // Nothing was made or dropped by them.
    let (status, list) = call(&server, "GET", "/api/_tenants", Who::Key, None);
    assert_eq!(status, 200);
    assert_eq!(slugs(&list), ["acme", "globex"]);

    // The admin provisions and deactivates as the service key does.
    let (status, record) = call(
        &server,
        "POST",
        "/api/_tenants",
        Who::Bearer(&admin),
        Some(json!({ "slug": "initech" })),
    );
    assert_eq!(status, 201, "{record}");
    let (status, record) = call(
        &server,
        "POST",
        "/api/_tenants/initech/deactivate",
        Who::Bearer(&admin),
        Some(json!({})),
    );
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["state"], "inactive");
}

#[test]
fn without_an_admin_rule_the_tenants_api_stays_service_key_only() {
    let server = server_with_tenants(&tenant_manifest("", "file"));
    let (status, problem) = call(
        &server,
        "GET",
        "/api/_tenants",
        Who::Bearer(&admin_token()),
        None,
    );
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no `[tenancy] admin`"),
        "{problem}"
    );
    let (status, _) = call(&server, "GET", "/api/_tenants", Who::Key, None);
    assert_eq!(status, 200);
}

/// Tenants acme, globex and initech (deactivated); acme's location holds
/// a password written there by hand, which no response may show.
#[test]
fn the_registry_is_served_as_tenant_system_to_admins_only() {
    let server = server_with_tenants(&admin_manifest());
    let admin = admin_token();
    let (status, _) = call(
        &server,
        "POST",
        "/api/_tenants",
        Who::Key,
        Some(json!({ "slug": "initech", "name": "Initech" })),
    );
    assert_eq!(status, 201);
    let (status, _) = call(
        &server,
        "POST",
        "/api/_tenants/initech/deactivate",
        Who::Key,
        Some(json!({})),
    );
    assert_eq!(status, 200);
    let password = "Registry-Pw-9931";
    rusqlite::Connection::open(server.dir.path().join(".baas/registry.sqlite3"))
        .unwrap()
        .execute(
            "UPDATE _baas_tenants SET location = ?1 WHERE slug = 'acme'",
            [format!("postgres://app:{password}@db/app#schema=acme")],
        )
        .unwrap();
    let mut seen = String::new();

    // Filters, order, paging and count, as on any entity.
    let (status, list) = call(
        &server,
        "GET",
        "/api/_system/tenants?active=eq.true&order=slug.desc&count=exact",
        Who::Bearer(&admin),
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(slugs(&list), ["globex", "acme"]);
    assert_eq!(list["count"], 2);
    seen.push_str(&list.to_string());
    let (status, list) = call(
        &server,
        "GET",
        "/api/_system/tenants?order=slug&limit=1&offset=1&select=*",
        Who::Key,
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(slugs(&list), ["globex"]);
    seen.push_str(&list.to_string());
    let (status, list) = call(
        &server,
        "POST",
        "/api/_system/tenants/_query",
        Who::Bearer(&admin),
        Some(json!({ "where": { "active": { "eq": false } } })),
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(slugs(&list), ["initech"]);
    let row = &list["data"][0];
    assert_eq!(row["name"], "Initech");
    for key in [
        "id",
        "slug",
        "active",
        "ready",
        "schema_version",
        "created_at",
        "updated_at",
    ] {
        assert!(row.get(key).is_some(), "{key}: {row}");
    }
    let (status, all) = call(
        &server,
        "GET",
        "/api/_system/tenants?slug=eq.acme",
        Who::Key,
        None,
    );
    assert_eq!(status, 200);
    let acme = all["data"][0]["id"].clone();
    let (status, row) = call(
        &server,
        "GET",
        &format!("/api/_system/tenants/{acme}"),
        Who::Bearer(&admin),
        None,
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["slug"], "acme");
    seen.push_str(&row.to_string());

    // The location is no field: not shown, not selectable, not filterable.
    for path in [
        "/api/_system/tenants?select=location",
        "/api/_system/tenants?location=like.*Pw*",
        "/api/_system/tenants?order=pool_options",
    ] {
        let (status, problem) = call(&server, "GET", path, Who::Key, None);
        assert_eq!(status, 400, "{path}: {problem}");
        seen.push_str(&problem.to_string());
    }
    assert!(!seen.contains("location\":"), "{seen}");
    assert!(
        !seen.contains(password),
        "a response shows the password: {seen}"
    );
    assert!(!seen.contains("postgres://"), "{seen}");

    // Anonymous 401; another role, a tenant's admin, a tenant's user 403.
    let editor = signed(SECRET, 600, json!({ "role": "editor" }));
    let tenant_admin = signed(SECRET, 600, json!({ "role": "admin", "tenant": "acme" }));
    let user = crate::tenancy::token(Some("acme"));
    for (who, expected) in [
        (Who::Anonymous, 401),
        (Who::Bearer(&editor), 403),
        (Who::Bearer(&tenant_admin), 403),
        (Who::Bearer(&user), 403),
    ] {
        for path in ["/api/_system/tenants", "/t/acme/api/_system/tenants"] {
            let (status, problem) = call(&server, "GET", path, who, None);
            assert_eq!(status, expected, "{path}: {problem}");
            assert!(problem.get("data").is_none(), "{problem}");
        }
    }

    // Writes: name and active only; create and delete are /api/_tenants'.
    let (status, row) = call(
        &server,
        "PATCH",
        &format!("/api/_system/tenants/{acme}"),
        Who::Bearer(&admin),
        Some(json!({ "name": "Acme Corp", "active": false })),
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["name"], "Acme Corp");
    assert_eq!(row["active"], false);
    let (status, _) = call(
        &server,
        "GET",
        "/api/note",
        Who::Bearer(&crate::tenancy::token(Some("acme"))),
        None,
    );
    assert_eq!(
        status, 404,
        "a tenant deactivated through /api/_system is not served"
    );
    for (method, path, body, expected) in [
        (
            "PATCH",
            format!("/api/_system/tenants/{acme}"),
            Some(json!({ "slug": "hijack" })),
            403,
        ),
        (
            "PATCH",
            format!("/api/_system/tenants/{acme}"),
            Some(json!({ "location": "sqlite://elsewhere" })),
            403,
        ),
        (
            "POST",
            "/api/_system/tenants".to_owned(),
            Some(json!({ "slug": "evil" })),
            405,
        ),
        ("DELETE", format!("/api/_system/tenants/{acme}"), None, 405),
        (
            "PUT",
            format!("/api/_system/tenants/{acme}"),
            Some(json!({})),
            405,
        ),
    ] {
        let (status, problem) = call(&server, method, &path, Who::Key, body);
        assert_eq!(status, expected, "{method} {path}: {problem}");
    }
    let (status, list) = call(&server, "GET", "/api/_tenants", Who::Key, None);
    assert_eq!(status, 200);
    assert_eq!(slugs(&list), ["acme", "globex", "initech"]);
    let (status, editor_patch) = call(
        &server,
        "PATCH",
        &format!("/api/_system/tenants/{acme}"),
        Who::Bearer(&editor),
        Some(json!({ "active": true })),
    );
    assert_eq!(status, 403, "{editor_patch}");
}

/// Polls `check` for up to ten seconds (a reload follows a save within
/// milliseconds; the rest is slack for a loaded machine).
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(10) {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

fn get_header(server: &AuthServer, path: &str, header: (&str, &str)) -> u16 {
    let (status, _, _) = server.get(path, &[("apikey", SERVICE_KEY), header]);
    status
}

#[test]
fn tenancy_reloads_live_and_a_strategy_change_keeps_the_old_one_serving() {
    let text = tenant_manifest("", "file");
    let server = server_with_tenants(&text);
    let manifest = server.dir.path().join("baas.toml");
    assert_eq!(get_header(&server, "/api/note", ("x-tenant", "acme")), 200);
    let admin = admin_token();
    let (status, _) = call(&server, "GET", "/api/_tenants", Who::Bearer(&admin), None);
    assert_eq!(status, 403);

    // A strategy change cannot apply live: the old manifest keeps serving
    // (its header still names the tenant, the new one does not) and the
    // log says why.
    let moved = text
        .replace(
            "strategy = \"file\"",
            "strategy = \"schema\"\nurl = \"${TENANTS_URL}\"",
        )
        .replace("\"header:x-tenant\"", "\"header:x-org\"");
    std::fs::write(&manifest, &moved).unwrap();
    assert!(
        eventually(|| server
            .log()
            .contains("`[tenancy] strategy` changed from `file` to `schema`")),
        "{}",
        server.log()
    );
    assert!(server.log().contains("still serving the previous manifest"));
    assert_eq!(get_header(&server, "/api/note", ("x-tenant", "acme")), 200);
    assert_eq!(get_header(&server, "/api/note", ("x-org", "acme")), 400);

    // A new header and an admin rule apply on the next requests.
    let live = text
        .replace("\"header:x-tenant\"", "\"header:x-org\"")
        .replace(
            "resolve = [",
            &format!("admin = \"{ADMIN_RULE}\"\nresolve = ["),
        );
    std::fs::write(&manifest, &live).unwrap();
    assert!(
        eventually(|| get_header(&server, "/api/note", ("x-org", "acme")) == 200),
        "{}",
        server.log()
    );
    assert_eq!(
        get_header(&server, "/api/note", ("x-tenant", "acme")),
        400,
        "the old header names no tenant any more"
    );
    let (status, list) = call(&server, "GET", "/api/_tenants", Who::Bearer(&admin), None);
    assert_eq!(status, 200, "{list}");
    let (status, _) = call(
        &server,
        "GET",
        "/api/_system/tenants",
        Who::Bearer(&admin),
        None,
    );
    assert_eq!(status, 200);
}
