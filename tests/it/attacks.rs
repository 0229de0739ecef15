//! Attacks on the platform that the feature tests do not make: each test
//! is the attack, through the real binary or the real sandbox, and says
//! what must hold instead.

use serde_json::{Value, json};

use crate::auth::{AuthServer, post_json};

const SECRET: &str = "attack-test-secret-0123456789abcdef-0123";
const SERVICE_KEY: &str = "attack-service-key-0123456789";

// ---------------------------------------------------------------------------
// Built-in users: sign-up is not a way to choose one's role or tenant

const USERS: &str = r#"[manifest]
format = 1
version = 1

[entities.account]
table = "account"
primary_key = ["id"]

[entities.account.fields]
id = { type = "int64", generated = "identity" }
email = { type = "string", max_length = 254, unique = true }
password_hash = { type = "string", max_length = 255, nullable = true }
role = { type = "string", nullable = true }
tenant = { type = "string", nullable = true }
nickname = { type = "string", nullable = true }

[entities.account.rules]
view = "id = @auth.id"

[entities.payroll]
table = "payroll"
primary_key = ["id"]

[entities.payroll.fields]
id = { type = "int64" }
salary = { type = "int64" }

[entities.payroll.rules]
list = "@auth.role = 'admin'"
view = "@auth.role = 'admin'"

[auth]
jwt_secret = "${JWT_SECRET}"
service_key = "${BAAS_SERVICE_KEY}"
users = { entity = "account", email = "email", password = "password_hash" }
"#;

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `method path` with `headers` and a JSON `body`: the status and the JSON
/// answer.
fn request(
    server: &AuthServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(server.url(path))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = crate::auth::agent()
        .run(request.body(body).unwrap())
        .unwrap();
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn signing_up_cannot_choose_the_role_or_the_tenant_of_the_token() {
    let server = AuthServer::start(
        USERS,
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    let (status, row) = request(
        &server,
        "POST",
        "/api/payroll",
        &[("apikey", SERVICE_KEY)],
        Some(json!({ "id": 1, "salary": 250000 })),
    );
    assert_eq!(status, 201, "{row}");

    for (field, value) in [("role", "admin"), ("tenant", "globex")] {
        let (status, body) = post_json(
            &server,
            "/api/_auth/signup",
            json!({ "email": format!("{field}@example.com"), "password": "a long password", field: value }),
            None,
        );
        assert_eq!(status, 422, "sign-up set `{field}`: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
        assert!(body.get("access_token").is_none(), "{body}");
    }
    // Neither account was made: signing in fails.
    let (status, _) = post_json(
        &server,
        "/api/_auth/login",
        json!({ "email": "role@example.com", "password": "a long password" }),
        None,
    );
    assert_eq!(status, 401);

    // Other fields of the entity are still the user's to give, and the
    // token of a plain sign-up reads no payroll.
    let (status, session) = post_json(
        &server,
        "/api/_auth/signup",
        json!({ "email": "eve@example.com", "password": "a long password", "nickname": "eve" }),
        None,
    );
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["user"]["nickname"], "eve");
    assert_eq!(session["user"]["role"], Value::Null, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let (status, list, _) = server.get("/api/payroll", &[("authorization", &bearer(token))]);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"], json!([]), "{list}");

    // The service key gives the role; the next sign-in carries it.
    let id = session["user"]["id"].as_i64().unwrap();
    let (status, row) = request(
        &server,
        "PATCH",
        &format!("/api/account/{id}"),
        &[("apikey", SERVICE_KEY)],
        Some(json!({ "role": "admin" })),
    );
    assert_eq!(status, 200, "{row}");
    let (status, session) = post_json(
        &server,
        "/api/_auth/login",
        json!({ "email": "eve@example.com", "password": "a long password" }),
        None,
    );
    assert_eq!(status, 200, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let (status, list, _) = server.get("/api/payroll", &[("authorization", &bearer(token))]);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"][0]["salary"], 250000, "{list}");
}

// ---------------------------------------------------------------------------
// Tenancy: a token that names a tenant binds the request to it

#[test]
fn a_token_naming_a_tenant_is_not_overridden_by_a_header_when_resolve_lists_no_claim() {
    use crate::tenancy::{As, AsServer, SERVICE_KEY, create_tenant, send, tenant_manifest, titles};
    let dir = tempfile::tempdir().unwrap();
    let manifest = tenant_manifest("", "file").replace(
        r#"resolve = ["claim:tenant", "header:x-tenant", "path"]"#,
        r#"resolve = ["header:x-tenant", "path"]"#,
    );
    assert!(manifest.contains(r#"resolve = ["header:x-tenant", "path"]"#));
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let env = [
        ("JWT_SECRET", crate::tenancy::SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
    ];
    for slug in ["acme", "globex"] {
        create_tenant(dir.path(), &env, slug);
    }
    let server = AsServer(AuthServer::start_in(dir, &env));
    for tenant in ["acme", "globex"] {
        let (status, note) = send(
            &server,
            "POST",
            "/api/note",
            As::Service(tenant),
            Some(json!({ "title": format!("{tenant} secret") })),
        );
        assert_eq!(status, 201, "{note}");
    }
    // acme's token, globex named by the header or the path: refused.
    for (path, header) in [
        ("/api/note", Some("globex")),
        ("/t/globex/api/note", None),
        ("/api/note/1", Some("globex")),
    ] {
        let (status, problem) = send(&server, "GET", path, As::User(Some("acme"), header), None);
        assert_eq!(status, 403, "{path}: {problem}");
        assert!(!problem.to_string().contains("globex secret"), "{problem}");
    }
    let (status, _) = send(
        &server,
        "DELETE",
        "/api/note/1",
        As::User(Some("acme"), Some("globex")),
        None,
    );
    assert_eq!(status, 403);
    let (_, list) = send(&server, "GET", "/api/note", As::Service("globex"), None);
    assert_eq!(titles(&list), ["globex secret"], "globex's note stays");
    // The token's own tenant, named or not, is served.
    for header in [None, Some("acme")] {
        let (status, list) = send(
            &server,
            "GET",
            "/api/note",
            As::User(Some("acme"), header),
            None,
        );
        assert_eq!(status, 200, "{list}");
        assert_eq!(titles(&list), ["acme secret"]);
    }
}

// ---------------------------------------------------------------------------
// Hooks: what one call leaves queued does not run in the next one

#[test]
fn a_hooks_left_over_promise_jobs_never_run_in_the_next_call() {
    use baas::hooks::{Engine, HookError, HookSet};

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("hooks")).unwrap();
    let cases = [
        // Returns at once and leaves a job that never ends.
        (
            "poison",
            "function hook() { Promise.resolve().then(() => { for (;;) {} }); return { ok: true }; }",
        ),
        // Leaves a job that ends: it runs within the call that queued it.
        (
            "tidy",
            "function hook(event) { Promise.resolve().then(() => console.log('tidy job ran')); return event; }",
        ),
        (
            "innocent",
            "async function hook(event) { const n = await Promise.resolve(event.n); return { n }; }",
        ),
    ];
    let mut manifest = String::from(
        "[manifest]\nformat = 1\nversion = 1\n\n[entities.post]\ntable = \"post\"\n[entities.post.fields]\nid = { type = \"int64\" }\n",
    );
    for (name, source) in cases {
        std::fs::write(dir.path().join(format!("hooks/{name}.js")), source).unwrap();
        manifest.push_str(&format!(
            "\n[[hooks]]\non = \"post.create.before\"\nrun = \"hooks/{name}.js\"\ntimeout_ms = 200\nmemory_mb = 8\n"
        ));
    }
    let manifest = baas::manifest::load_str(std::path::Path::new("baas.toml"), manifest)
        .unwrap()
        .manifest;
    let set = HookSet::load(&manifest, dir.path()).unwrap();
    let script = |name: &str| {
        set.matching("post", "create", baas::manifest::HookPhase::Before)
            .find(|script| script.run == format!("hooks/{name}.js"))
            .unwrap()
            .clone()
    };
    let engine = Engine::new().unwrap();
    // The poisoner is stopped in its own call, at its own limit.
    let poisoned = engine.run(&script("poison"), "{}");
    assert!(
        matches!(poisoned, Err(HookError::Timeout { ms: 200, .. })),
        "{poisoned:?}"
    );
    // The next call on the same engine is not charged for it.
    let innocent = engine.run(&script("innocent"), r#"{"n": 7}"#);
    assert_eq!(innocent.unwrap().as_deref(), Some(r#"{"n":7}"#));
    let tidy = engine.run(&script("tidy"), r#"{"n": 1}"#);
    assert_eq!(tidy.unwrap().as_deref(), Some(r#"{"n":1}"#));
    let innocent = engine.run(&script("innocent"), r#"{"n": 8}"#);
    assert_eq!(innocent.unwrap().as_deref(), Some(r#"{"n":8}"#));
}
