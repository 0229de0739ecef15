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

/// `method path` with the service key and a JSON `body`.
fn as_service(server: &AuthServer, method: &str, path: &str, body: Value) -> (u16, Value) {
    request(server, method, path, &[("apikey", SERVICE_KEY)], Some(body))
}

/// Adds a payroll `row` with the service key.
fn add_payroll(server: &AuthServer, row: Value) {
    let (status, row) = as_service(server, "POST", "/api/payroll", row);
    assert_eq!(status, 201, "{row}");
}

/// `baas serve` of [`USERS`] with one payroll row of 250000.
fn users_with_payroll() -> AuthServer {
    let server = AuthServer::start(
        USERS,
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    add_payroll(&server, json!({ "id": 1, "salary": 250000 }));
    server
}

#[test]
fn signing_up_cannot_choose_the_role_or_the_tenant_of_the_token() {
    let server = users_with_payroll();

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
    let (status, row) = as_service(
        &server,
        "PATCH",
        &format!("/api/account/{id}"),
        json!({ "role": "admin" }),
    );
    assert_eq!(status, 200, "{row}");
    let session = log_in(&server, "eve@example.com");
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

// ---------------------------------------------------------------------------
// Upstream APIs: the credential stays with the upstream's origin and path

/// Records `METHOD path x-api-key` of every request an axum app gets.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Serves `app` on a port of its own, in a thread; its base URL.
fn serve_app(app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    base
}

/// An app answering every request with `answer(path)` and recording it
/// (`METHOD path x-api-key authorization`, `-` for a header not sent).
fn recording<F>(seen: Seen, answer: F) -> axum::Router
where
    F: Fn(&str, &str) -> axum::response::Response + Clone + Send + Sync + 'static,
{
    axum::Router::new().fallback(
        move |method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            let answer = answer.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_owned()
                };
                let (key, authorization) = (header("x-api-key"), header("authorization"));
                seen.lock()
                    .unwrap()
                    .push(format!("{method} {} {key} {authorization}", uri.path()));
                answer(method.as_str(), uri.path())
            }
        },
    )
}

/// A fake upstream under `/v1` (its list's paging link names `thief`,
/// another origin), `baas serve` over it with an API key, and the
/// requests the upstream got.
fn docs_upstream(
    thief: &str,
) -> (
    crate::upstream::Served,
    Seen,
    tempfile::TempDir,
    &'static str,
) {
    use axum::response::IntoResponse;
    let seen: Seen = Seen::default();
    let next = format!("<{thief}/steal>; rel=\"next\"");
    let upstream = serve_app(recording(seen.clone(), move |method, path| {
        match (method, path) {
            ("GET", "/v1/docs") => (
                [(axum::http::header::LINK, next.clone())],
                axum::Json(json!([{ "id": "a", "title": "first page" }])),
            )
                .into_response(),
            (_, "/v1/docs/a") => {
                axum::Json(json!({ "id": "a", "title": "one doc" })).into_response()
            }
            (_, path) if path.starts_with("/v1/docs/") => {
                axum::http::StatusCode::NOT_FOUND.into_response()
            }
            _ => axum::Json(json!({ "id": "root", "title": "not a doc" })).into_response(),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), DOCS).unwrap();
    let key = "upstream-api-key-never-elsewhere";
    let upstream_base = format!("{upstream}/v1");
    let served = crate::upstream::Served::start(
        dir.path(),
        &[],
        &[("UPSTREAM_URL", upstream_base.as_str()), ("DOC_KEY", key)],
    );
    (served, seen, dir, key)
}

const DOCS: &str = r#"[manifest]
format = 1
version = 1

[source]
engine = "http"
url = "${UPSTREAM_URL}"

[entities.doc]
table = "doc"
primary_key = ["id"]

[entities.doc.fields]
id = { type = "string" }
title = { type = "string" }

[api]

[api.upstream]
timeout_seconds = 2
retries = 0
max_pages = 3
credentials = { in = "header", name = "X-API-Key", value = "${DOC_KEY}" }

[[api.operations]]
method = "GET"
path = "/docs"
entity = "doc"
action = "list"
pagination = { style = "link" }

[[api.operations]]
method = "GET"
path = "/docs/{id}"
entity = "doc"
action = "get"

[[api.operations]]
method = "DELETE"
path = "/docs/{id}"
entity = "doc"
action = "delete"
"#;

#[test]
fn an_upstream_paging_link_to_another_origin_is_not_followed_with_the_credential() {
    use axum::response::IntoResponse;
    let stolen: Seen = Seen::default();
    let thief = serve_app(recording(stolen.clone(), |_, _| {
        axum::Json(json!([{ "id": "stolen", "title": "from the thief" }])).into_response()
    }));
    let (served, seen, _dir, key) = docs_upstream(&thief);
    let (status, filtered, body) = served.get("/api/doc?limit=10");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["id"], "a", "{body}");
    assert!(
        !body.to_string().contains("stolen"),
        "rows of the other origin were served: {body}"
    );
    assert_eq!(filtered.as_deref(), Some("local; complete=false"), "{body}");
    assert!(
        stolen.lock().unwrap().is_empty(),
        "the other origin was called: {:?}",
        stolen.lock().unwrap()
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "{:?}", seen.lock().unwrap());
    assert!(!served.log().contains(key), "the key is in the log");
}

#[test]
fn an_upstream_key_of_dots_does_not_walk_the_upstream_path() {
    let (served, seen, _dir, _) = docs_upstream("http://127.0.0.1:9");
    // Sent encoded, so that no client folds the dots away first.
    for method in ["GET", "DELETE"] {
        for key in ["%2E%2E", "%2e", "..%2F..", "%2E%2E%2Fdocs%2Fa"] {
            let (status, _, body) = served.send(method, &format!("/api/doc/{key}"), None);
            assert!(
                status == 400 || status == 404,
                "{method} {key}: {status} {body}"
            );
        }
    }
    let (status, _, body) = served.get("/api/doc/a");
    assert_eq!(status, 200, "{body}");
    let paths = seen.lock().unwrap().clone();
    assert!(
        paths.iter().all(|line| line
            .split(' ')
            .nth(1)
            .is_some_and(|p| p.starts_with("/v1/docs/"))),
        "the upstream was called outside /v1/docs/: {paths:?}"
    );
}

/// Loops inside built-ins (a sparse array searched to 2^32, an array-like
/// to 2^53) and `Atomics.wait` do not outlast the time limit.
#[test]
fn a_hook_in_a_long_native_loop_is_stopped_at_its_time_limit() {
    use baas::hooks::{HookSet, Hooks};

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("hooks")).unwrap();
    let cases = [
        (
            "includes",
            "function hook() { return { r: new Array(2 ** 32 - 1).includes(1) }; }",
        ),
        (
            "index_of",
            "function hook() { return { r: Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1) }; }",
        ),
        (
            "atomics",
            "function hook() { return { r: Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) }; }",
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
    let hooks = Hooks::default();
    for script in set.matching("post", "create", baas::manifest::HookPhase::Before) {
        let started = std::time::Instant::now();
        let result = crate::support::block_on(hooks.call(script, &json!({})));
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(3),
            "{}: {result:?} after {took:?}",
            script.run
        );
        assert!(result.is_err(), "{}: {result:?}", script.run);
    }
}

#[test]
fn an_upstream_url_password_is_never_shown_in_a_problem_or_the_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), DOCS).unwrap();
    let password = "Upstream-Pw-0815";
    let closed = format!(
        "http://token-user:{password}@127.0.0.1:{}/v1",
        crate::support::free_port()
    );
    let served = crate::upstream::Served::start(
        dir.path(),
        &[],
        &[("UPSTREAM_URL", closed.as_str()), ("DOC_KEY", "k")],
    );
    for path in ["/api/doc", "/api/doc/a"] {
        let (status, _, problem) = served.get(path);
        assert_eq!(status, 502, "{path}: {problem}");
        let text = problem.to_string();
        assert!(text.contains("cannot be reached"), "{text}");
        assert!(
            !text.contains(password) && !text.contains("token-user"),
            "{path}: {text}"
        );
    }
    let log = served.log();
    assert!(
        !log.contains(password),
        "the password is in the log:\n{log}"
    );
}

// ---------------------------------------------------------------------------
// Built-in users: the fields a token's claims come from are the service
// key's to write, whatever the rules let a user edit

/// `baas serve --postgrest` of `manifest` with [`SECRET`] and
/// [`SERVICE_KEY`].
fn with_postgrest(manifest: &str) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    AuthServer::start_with(
        dir,
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
        &["--postgrest"],
    )
}

/// Signs in as `email` (signed up with [`sign_up`]'s password): the session.
fn log_in(server: &AuthServer, email: &str) -> Value {
    let credentials = json!({ "email": email, "password": "a long password" });
    let (status, session) = post_json(server, "/api/_auth/login", credentials, None);
    assert_eq!(status, 200, "{session}");
    session
}

/// Signs up with `fields` and a password: the `Authorization` value of
/// the session and its user.
fn sign_up(server: &AuthServer, mut fields: Value) -> (String, Value) {
    fields["password"] = json!("a long password");
    let (status, session) = post_json(server, "/api/_auth/signup", fields, None);
    assert_eq!(status, 201, "{session}");
    let token = session["access_token"].as_str().unwrap();
    (bearer(token), session["user"].clone())
}

/// [`USERS`] with keys the client gives, and a rule letting every user
/// edit her own account (a profile page).
fn self_editing_users() -> String {
    let manifest = USERS
        .replace(
            r#"id = { type = "int64", generated = "identity" }"#,
            r#"id = { type = "int64" }"#,
        )
        .replace(
            "view = \"id = @auth.id\"\n",
            "view = \"id = @auth.id\"\nlist = \"id = @auth.id\"\nupdate = \"id = @auth.id\"\ncreate = \"true\"\n",
        );
    assert!(manifest.contains("update = \"id = @auth.id\""));
    assert!(!manifest.contains("identity"));
    manifest
}

#[test]
fn a_user_editing_her_own_account_cannot_write_her_role_tenant_or_key() {
    let server = with_postgrest(&self_editing_users());
    add_payroll(&server, json!({ "id": 1, "salary": 250000 }));
    let (eve, _) = sign_up(&server, json!({ "id": 7, "email": "eve@example.com" }));
    let eve_sends = |method: &str, path: &str, body: Value| {
        request(
            &server,
            method,
            path,
            &[("authorization", &eve)],
            Some(body),
        )
    };
    // The service key gives eve a role and a tenant.
    let (status, row) = as_service(
        &server,
        "PATCH",
        "/api/account/7",
        json!({ "role": "auditor", "tenant": "acme" }),
    );
    assert_eq!(status, 200, "{row}");

    // Her own row, through every write: the claims' fields are refused.
    for (field, value) in [
        ("role", json!("admin")),
        ("role", Value::Null),
        ("tenant", json!("globex")),
        ("tenant", Value::Null),
        ("id", json!(99)),
    ] {
        let body = json!({ field: value, "nickname": "eve" });
        let (status, problem) = eve_sends("PATCH", "/api/account/7", body);
        assert_eq!(status, 422, "PATCH {field}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        let mut body = json!({ "id": 7, "email": "eve@example.com" });
        body[field] = value.clone();
        let (status, problem) = eve_sends("PUT", "/api/account/7", body);
        assert_eq!(status, 422, "PUT {field}: {problem}");
        let body = json!({ field: value });
        let (status, problem) = eve_sends("PATCH", "/rest/v1/account?id=eq.7", body);
        assert_eq!(status, 400, "/rest/v1 PATCH {field}: {problem}");
    }
    // An upsert over her row, and a bulk insert of new rows.
    for (prefer, id, email) in [
        ("resolution=merge-duplicates", 7, "eve@example.com"),
        ("resolution=ignore-duplicates", 9, "trudy@example.com"),
    ] {
        let (status, problem) = request(
            &server,
            "POST",
            "/rest/v1/account?on_conflict=email",
            &[("authorization", &eve), ("prefer", prefer)],
            Some(json!([{ "id": id, "email": email, "role": "admin" }])),
        );
        assert_eq!(status, 400, "{prefer}: {problem}");
    }
    // Nor is a new account made with a role (the key is the creator's to
    // give, as at sign-up).
    let (status, problem) = eve_sends(
        "POST",
        "/api/account",
        json!({ "id": 8, "email": "mallory@example.com", "role": "admin" }),
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "role", "{problem}");

    // What she may edit she still edits; a PUT leaves the claims' fields
    // as they are, and sending their stored values is no change.
    let (status, row) = eve_sends(
        "PUT",
        "/api/account/7",
        json!({ "id": 7, "email": "eve@example.com", "nickname": "evie" }),
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(
        (&row["role"], &row["tenant"], &row["nickname"]),
        (&json!("auditor"), &json!("acme"), &json!("evie")),
        "{row}"
    );
    let (status, row) = eve_sends(
        "PATCH",
        "/api/account/7",
        json!({ "id": 7, "role": "auditor", "tenant": "acme", "nickname": "eve" }),
    );
    assert_eq!(status, 200, "{row}");

    // Signed in again, her token carries what the service key gave.
    let session = log_in(&server, "eve@example.com");
    assert_eq!(session["user"]["id"], 7, "{session}");
    assert_eq!(session["user"]["role"], "auditor", "{session}");
    assert_eq!(session["user"]["tenant"], "acme", "{session}");
    let token = session["access_token"].as_str().unwrap();
    let (status, list, _) = server.get("/api/payroll", &[("authorization", &bearer(token))]);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"], json!([]), "{list}");
}

// ---------------------------------------------------------------------------
// Oracles: what a caller may not read is not learnt through filters,
// embeddings, order or counts

/// [`USERS`] with readable accounts, each with payroll rows only an admin
/// reads.
fn payroll_of_accounts() -> String {
    let manifest = USERS
        .replace(
            "view = \"id = @auth.id\"\n",
            "view = \"true\"\nlist = \"true\"\n",
        )
        .replace(
            "salary = { type = \"int64\" }\n",
            "salary = { type = \"int64\" }\naccount_id = { type = \"int64\" }\n\n\
             [[entities.payroll.relations]]\nfields = [\"account_id\"]\n\
             references = { entity = \"account\", fields = [\"id\"] }\n",
        );
    assert!(manifest.contains("list = \"true\"") && manifest.contains("relations"));
    manifest
}

#[test]
fn hidden_rows_and_the_password_field_are_no_oracle_on_the_postgrest_profile() {
    let server = with_postgrest(&payroll_of_accounts());
    let (eve, user) = sign_up(&server, json!({ "email": "eve@example.com" }));
    let id = user["id"].as_i64().unwrap();
    add_payroll(
        &server,
        json!({ "id": 1, "salary": 250000, "account_id": id }),
    );

    // Eve's account has a payroll row she may not read: no query tells.
    for query in [
        "select=id,payroll(salary)",
        "select=id,payroll!inner(id)",
        "select=id,payroll!inner(id)&payroll.salary=gt.100000",
        "select=id,payroll(id)&payroll=not.is.null",
        "select=id,payroll(id)&or=(payroll.not.is.null,id.eq.0)",
        "select=id,payroll(id)&payroll.order=salary.desc&payroll.limit=1",
    ] {
        let (status, rows) = request(
            &server,
            "GET",
            &format!("/rest/v1/account?{query}"),
            &[("authorization", &eve)],
            None,
        );
        assert_eq!(status, 200, "{query}: {rows}");
        assert!(
            rows.as_array().unwrap().iter().all(|row| row
                .get("payroll")
                .is_none_or(|p| p.is_null() || p == &json!([]))),
            "{query}: {rows}"
        );
        assert!(!rows.to_string().contains("250000"), "{query}: {rows}");
    }
    let (status, list, _) = server.get(
        "/api/payroll?salary=gt.1&count=exact",
        &[("authorization", &eve)],
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!((&list["data"], &list["count"]), (&json!([]), &json!(0)));

    // The password field is unknown to every part of a query.
    for query in [
        "/rest/v1/account?select=id,password_hash",
        "/rest/v1/account?select=id,h:password_hash::text",
        "/rest/v1/account?select=id&password_hash=like.*argon*",
        "/rest/v1/account?select=id&order=password_hash",
        "/rest/v1/account?select=id&or=(and(password_hash.like.*argon*,id.gt.0))",
        "/rest/v1/payroll?select=id,account(password_hash)",
        "/rest/v1/payroll?select=id,account!inner(id)&account.password_hash=like.*argon*",
        "/rest/v1/payroll?select=id,account(id)&account.order=password_hash",
    ] {
        let (status, body) = request(&server, "GET", query, &[("apikey", SERVICE_KEY)], None);
        assert_eq!(status, 400, "{query}: {body}");
        assert!(!body.to_string().contains("$argon2"), "{query}: {body}");
    }
}

// ---------------------------------------------------------------------------
// HTTP: one request per message, and no file outside the embedded assets

/// What the server answers to the raw bytes of `request`, read until it
/// closes the connection or goes quiet.
fn raw_exchange(server: &AuthServer, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let address = server.url("").trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn smuggled_requests_and_asset_path_traversal_are_refused() {
    let server = users_with_payroll();
    // A body framed two ways (or by two lengths) gets one answer and the
    // connection is closed: the request hidden after it is never answered.
    let smuggled = "GET /api/payroll HTTP/1.1\r\nHost: 127.0.0.1\r\napikey: {KEY}\r\n\r\n"
        .replace("{KEY}", SERVICE_KEY);
    for framing in [
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
        "Content-Length: 0\r\nContent-Length: 5\r\n\r\n",
        "Transfer-Encoding: xchunked\r\n\r\n",
    ] {
        let answer = raw_exchange(
            &server,
            format!("POST /api/note HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n{framing}{smuggled}")
                .as_bytes(),
        );
        assert_eq!(
            answer.matches("HTTP/1.1 ").count(),
            1,
            "{framing:?}: {answer}"
        );
        assert!(!answer.contains("250000"), "{framing:?}: {answer}");
    }
    // The studio's files are the embedded ones only.
    for path in [
        "/_studio/../baas.toml",
        "/_studio/v/1/..%2F..%2Fbaas.toml",
        "/_studio/v/1/%2e%2e%2f%2e%2e%2fbaas.toml",
        "/_studio/v/..%2F..%2F/baas.toml",
        "/_studio/v/1/..%5C..%5Cbaas.toml",
        "/_studio/v/1/%2Fetc%2Fpasswd",
        "/_studio/v/1/baas.toml",
    ] {
        let answer = raw_exchange(
            &server,
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert!(
            answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"),
            "{path}: {answer}"
        );
        assert!(
            !answer.contains("jwt_secret") && !answer.contains("root:"),
            "{path}: {answer}"
        );
    }
}

// ---------------------------------------------------------------------------
// Upstream credentials forwarded: baas's own service key never leaves baas

/// `[api.upstream] credentials = { in = "forward" }` sends the caller's
/// `Authorization` on to the upstream. A caller using baas's service key
/// as a bearer token must not hand that key to a third party: the call
/// goes upstream without it, while a user's token is still forwarded.
#[test]
fn the_service_key_is_never_forwarded_to_an_upstream() {
    use axum::response::IntoResponse;
    let seen: Seen = Seen::default();
    let upstream = serve_app(recording(seen.clone(), |_, path| match path {
        "/v1/docs" => axum::Json(json!([{ "id": "a", "title": "first" }])).into_response(),
        _ => axum::Json(json!({ "id": "a", "title": "first" })).into_response(),
    }));
    let manifest = DOCS
        .replace(
            r#"credentials = { in = "header", name = "X-API-Key", value = "${DOC_KEY}" }"#,
            r#"credentials = { in = "forward" }"#,
        )
        .replace(
            "[api]\n",
            "[entities.doc.rules]\nlist = \"@auth.id != null\"\nview = \"@auth.id != null\"\n\n\
             [auth]\njwt_secret = \"${JWT_SECRET}\"\nservice_key = \"${BAAS_SERVICE_KEY}\"\n\n[api]\n",
        );
    assert!(manifest.contains(r#"in = "forward""#), "{manifest}");
    let upstream_base = format!("{upstream}/v1");
    let server = AuthServer::start(
        &manifest,
        &[
            ("UPSTREAM_URL", upstream_base.as_str()),
            ("JWT_SECRET", SECRET),
            ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ],
    );
    let service = bearer(SERVICE_KEY);
    let user = bearer(
        &jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "sub": "user-1", "exp": 4_000_000_000_u64 }),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        )
        .unwrap(),
    );
    for path in ["/api/doc?limit=5", "/api/doc/a"] {
        for (who, authorization) in [("service key", &service), ("user", &user)] {
            let (status, body) = request(
                &server,
                "GET",
                path,
                &[("authorization", authorization)],
                None,
            );
            assert_eq!(status, 200, "{who} {path}: {body}");
        }
    }
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(
        calls.iter().all(|call| !call.contains(SERVICE_KEY)),
        "the service key reached the upstream: {calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|call| call.ends_with(user.as_str()))
            .count(),
        2,
        "a user's token is forwarded: {calls:?}"
    );
    assert_eq!(
        calls.iter().filter(|call| call.ends_with(" -")).count(),
        2,
        "the service key's calls go without an Authorization: {calls:?}"
    );
}

// ---------------------------------------------------------------------------
// Every engine: the attack classes above, live on PostgreSQL, MariaDB and
// the MongoDB wire server (one server per engine per scenario)

const PG_SOURCE: &str = "\n[source]\nengine = \"postgres\"\nurl = \"${TENANTS_DB}\"\n";
const MYSQL_SOURCE: &str = "\n[source]\nengine = \"mysql\"\nurl = \"${TENANTS_DB}\"\n";
const MONGO_SOURCE: &str = "\n[source]\nengine = \"mongodb\"\nurl = \"${TENANTS_DB}\"\n";

/// Keys the client gives (a generated identity is not on every engine).
fn without_identity(manifest: &str) -> String {
    manifest.replace(
        r#"{ type = "int64", generated = "identity" }"#,
        r#"{ type = "int64" }"#,
    )
}

/// `manifest` on `source` at `url` with the PostgREST profile, migrated
/// first on a SQL engine: the served directory and its environment.
fn on_engine(manifest: &str, source: &str, url: &str) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!("{manifest}{source}\n[api]\npostgrest = true\n");
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url),
    ];
    if source != MONGO_SOURCE {
        crate::tenancy::run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
        crate::tenancy::run_ok(dir.path(), &env, &["migrate", "apply"]);
    }
    AuthServer::start_in(dir, &env)
}

/// Readable accounts a user edits herself (minus the claims' fields), and
/// payroll rows only an admin reads.
fn engine_users() -> String {
    let manifest = without_identity(&payroll_of_accounts()).replace(
        "view = \"true\"\nlist = \"true\"\n",
        "view = \"true\"\nlist = \"true\"\nupdate = \"id = @auth.id\"\ncreate = \"true\"\n",
    );
    assert!(manifest.contains("update = \"id = @auth.id\"") && !manifest.contains("identity"));
    manifest
}

/// Sign-up and self-editing cannot set the token's claims; what a caller
/// may not read is learnt through no filter, negated tree, embedding,
/// order, count or expand; the password field is unknown to queries.
fn assert_users_hold(server: &AuthServer) {
    for (id, field, value) in [(20, "role", "admin"), (21, "tenant", "globex")] {
        let (status, body) = post_json(
            server,
            "/api/_auth/signup",
            json!({ "id": id, "email": format!("{field}@example.com"), "password": "a long password", field: value }),
            None,
        );
        assert_eq!(status, 422, "sign-up set `{field}`: {body}");
        assert!(body.get("access_token").is_none(), "{body}");
    }
    let (eve, _) = sign_up(server, json!({ "id": 7, "email": "eve@example.com" }));
    sign_up(
        server,
        json!({ "id": 8, "email": "mallory@example.com", "nickname": "mal" }),
    );
    let (status, row) = as_service(
        server,
        "PATCH",
        "/api/account/7",
        json!({ "role": "auditor", "tenant": "acme" }),
    );
    assert_eq!(status, 200, "{row}");
    add_payroll(
        server,
        json!({ "id": 1, "salary": 250000, "account_id": 7 }),
    );
    let eve_sends = |method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>| {
        let mut all = vec![("authorization", eve.as_str())];
        all.extend_from_slice(headers);
        request(server, method, path, &all, body)
    };

    // Mass assignment of the claims' fields, on every write path.
    for (field, value) in [
        ("role", json!("admin")),
        ("tenant", json!("globex")),
        ("tenant", Value::Null),
        ("id", json!(99)),
    ] {
        let (status, problem) = eve_sends(
            "PATCH",
            "/api/account/7",
            &[],
            Some(json!({ field: value, "nickname": "eve" })),
        );
        assert_eq!(status, 422, "PATCH {field}: {problem}");
        let (status, problem) = eve_sends(
            "PATCH",
            "/rest/v1/account?id=eq.7",
            &[],
            Some(json!({ field: value })),
        );
        assert_eq!(status, 400, "/rest/v1 PATCH {field}: {problem}");
        let mut row = json!({ "id": 7, "email": "eve@example.com" });
        row[field] = value.clone();
        let (status, problem) = eve_sends(
            "POST",
            "/rest/v1/account?on_conflict=email",
            &[("prefer", "resolution=merge-duplicates")],
            Some(json!([row])),
        );
        assert_eq!(status, 400, "upsert {field}: {problem}");
    }
    // Another user's row is not hers to edit.
    let (status, _) = eve_sends(
        "PATCH",
        "/api/account/8",
        &[],
        Some(json!({ "nickname": "pwned" })),
    );
    assert!(status == 403 || status == 404, "{status}");
    eve_sends(
        "PATCH",
        "/rest/v1/account?id=eq.8",
        &[],
        Some(json!({ "nickname": "pwned" })),
    );
    let (_, mallory) = request(
        server,
        "GET",
        "/api/account/8",
        &[("apikey", SERVICE_KEY)],
        None,
    );
    assert_eq!(mallory["nickname"], "mal", "{mallory}");

    // Her account has a payroll row she may not read: no query tells.
    for path in [
        "/rest/v1/account?select=id,payroll(salary)",
        "/rest/v1/account?select=id,payroll!inner(id)&payroll.salary=gt.100000",
        "/rest/v1/account?select=id,payroll!inner(id)&payroll.not.or=(salary.lte.100000)",
        "/rest/v1/account?select=id,payroll(id)&payroll=not.is.null",
        "/rest/v1/account?select=id,payroll(id)&not.or=(payroll.is.null,id.eq.0)",
        "/rest/v1/account?select=id,payroll(id)&payroll.order=salary.desc&payroll.limit=1",
        "/rest/v1/payroll?not.or=(salary.lt.0,id.eq.0)",
        "/rest/v1/payroll?not.and=(salary.lt.0,id.lt.0)&order=salary.desc",
        "/api/payroll?salary=gt.1&count=exact",
        "/api/payroll?not.or=(salary.lt.0,id.eq.0)&count=exact",
        "/api/payroll?not.and=(salary.lt.0,id.lt.0)&order=salary.desc&count=exact",
        "/api/account/7?expand=payroll",
        "/api/account?expand=payroll&count=exact",
    ] {
        let (status, body) = eve_sends("GET", path, &[], None);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!body.to_string().contains("250000"), "{path}: {body}");
        let rows = body.get("data").unwrap_or(&body);
        if path.contains("payroll?") {
            assert_eq!(rows, &json!([]), "{path}: {body}");
        }
        if let Some(rows) = rows.as_array().filter(|_| path.contains("account?")) {
            assert!(
                rows.iter().all(|row| row
                    .get("payroll")
                    .is_none_or(|p| p.is_null() || p == &json!([]))),
                "{path}: {body}"
            );
            if path.contains("!inner") {
                assert_eq!(rows, &Vec::<Value>::new(), "{path}: {body}");
            }
        }
        if path.contains("count=exact") && path.contains("payroll?") {
            assert_eq!(body["count"], 0, "{path}: {body}");
        }
    }
    // The password field is unknown to every part of a query.
    for path in [
        "/rest/v1/account?select=id,password_hash",
        "/rest/v1/account?select=id&password_hash=like.*argon*",
        "/rest/v1/account?select=id&not.or=(password_hash.like.*argon*,id.lt.0)",
        "/rest/v1/account?select=id&order=password_hash",
        "/rest/v1/payroll?select=id,account!inner(id)&account.not.or=(password_hash.is.null)",
        "/api/account?password_hash=like.*argon*",
        "/api/account?not.or=(password_hash.is.null,id.lt.0)",
        "/api/account?order=password_hash",
    ] {
        let (status, body) = request(server, "GET", path, &[("apikey", SERVICE_KEY)], None);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(!body.to_string().contains("$argon2"), "{path}: {body}");
    }
    // Not vacuous: the service key reads the salary the same way.
    let (status, rows) = request(
        server,
        "GET",
        "/rest/v1/account?select=id,payroll(salary)&id=eq.7",
        &[("apikey", SERVICE_KEY)],
        None,
    );
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows[0]["payroll"][0]["salary"], 250000, "{rows}");
    // Signed in again, her token carries what the service key gave.
    let session = log_in(server, "eve@example.com");
    assert_eq!(
        (&session["user"]["role"], &session["user"]["tenant"]),
        (&json!("auditor"), &json!("acme")),
        "{session}"
    );
}

/// Row tenants (a token naming `acme`): no negated tree, header, upsert or
/// body reaches `globex`'s rows, on either profile.
fn assert_row_tenants_hold(server: &crate::tenancy::AsServer) {
    use crate::tenancy::{As, send};
    for (tenant, id) in [("acme", 1), ("globex", 2)] {
        let (status, note) = send(
            server,
            "POST",
            "/api/note",
            As::Service(tenant),
            Some(json!({ "id": id, "title": format!("{tenant} secret") })),
        );
        assert_eq!(status, 201, "{note}");
    }
    let acme = As::User(Some("acme"), None);
    let token = bearer(&crate::tenancy::token(Some("acme")));
    let acme_sends = |method: &str, path: &str, prefer: &str, body: Option<Value>| {
        request(
            &server.0,
            method,
            path,
            &[("authorization", &token), ("prefer", prefer)],
            body,
        )
    };
    for path in [
        "/api/note?count=exact&not.or=(tenant_id.eq.acme)",
        "/api/note?count=exact&not.and=(tenant_id.eq.acme,id.gt.0)",
        "/api/note?count=exact&not.or=(title.eq.none,and(tenant_id.eq.acme,id.gt.0))",
        "/api/note?count=exact&or=(tenant_id.neq.acme,id.eq.2)",
        "/api/note/2",
        "/rest/v1/note?not.or=(tenant_id.eq.acme)",
        "/rest/v1/note?not.and=(tenant_id.eq.acme,id.gt.0)",
        "/rest/v1/note?or=(tenant_id.eq.globex,id.eq.2)",
        "/rest/v1/note?id=eq.2",
    ] {
        let (status, body) = send(server, "GET", path, acme, None);
        assert!(status == 200 || status == 404, "{path}: {status} {body}");
        assert!(!body.to_string().contains("globex"), "{path}: {body}");
        if path.contains("count=exact") {
            assert_eq!(body["count"], 0, "{path}: {body}");
        }
    }
    for path in ["/api/note", "/rest/v1/note", "/t/globex/api/note"] {
        let header = (!path.starts_with("/t/")).then_some("globex");
        let (status, body) = send(server, "GET", path, As::User(Some("acme"), header), None);
        assert_eq!(status, 403, "{path}: {body}");
    }
    // Filtered writes through negated trees, and writes naming globex's
    // key or tenant: nothing of globex's changes.
    for (method, path) in [
        ("PATCH", "/api/note?not.or=(tenant_id.eq.acme)"),
        ("DELETE", "/api/note?not.and=(tenant_id.eq.acme,id.gt.0)"),
        ("PATCH", "/rest/v1/note?not.or=(tenant_id.eq.acme)"),
        ("DELETE", "/rest/v1/note?not.or=(tenant_id.eq.acme)"),
        ("PATCH", "/rest/v1/note?id=eq.2"),
        ("DELETE", "/rest/v1/note?id=eq.2"),
    ] {
        let body = (method == "PATCH").then(|| json!({ "title": "hijacked" }));
        let (status, answer) = acme_sends(method, path, "return=representation", body);
        assert!(status < 300, "{method} {path}: {status} {answer}");
        assert!(!answer.to_string().contains("globex"), "{path}: {answer}");
    }
    for (method, path, prefer, body) in [
        (
            "POST",
            "/api/note",
            "",
            json!({ "id": 3, "title": "smuggled", "tenant_id": "globex", "author_id": null }),
        ),
        (
            "PUT",
            "/api/note/1",
            "",
            json!({ "id": 1, "title": "moved", "tenant_id": "globex", "author_id": null }),
        ),
        (
            "PUT",
            "/api/note/2",
            "",
            json!({ "id": 2, "title": "hijacked", "author_id": null }),
        ),
        (
            "POST",
            "/rest/v1/note",
            "",
            json!([{ "id": 4, "title": "smuggled", "tenant_id": "globex", "author_id": null }]),
        ),
        (
            "PATCH",
            "/rest/v1/note?id=eq.1",
            "",
            json!({ "tenant_id": "globex" }),
        ),
        (
            "POST",
            "/rest/v1/note?on_conflict=id",
            "resolution=merge-duplicates",
            json!([{ "id": 2, "title": "hijacked", "tenant_id": "globex", "author_id": null }]),
        ),
    ] {
        let (status, answer) = acme_sends(method, path, prefer, Some(body));
        assert!(
            (400..500).contains(&status),
            "{method} {path}: {status} {answer}"
        );
    }
    // An upsert onto globex's key without naming a tenant: globex's row is
    // no conflict target of acme's.
    let (status, answer) = acme_sends(
        "POST",
        "/rest/v1/note?on_conflict=id",
        "resolution=merge-duplicates,return=representation",
        Some(json!([{ "id": 2, "title": "hijacked", "author_id": null }])),
    );
    assert!(!answer.to_string().contains("globex"), "{status}: {answer}");
    crate::tenancy::assert_globex_keeps_only_its_own_row(server);
}

/// The row-tenant manifest with client keys and the PostgREST profile.
fn row_tenants_on(source: &str, url: &str) -> crate::tenancy::AsServer {
    let manifest = format!(
        "{}\n[api]\npostgrest = true\n",
        without_identity(&crate::tenancy_row::row_manifest(source))
    );
    crate::tenancy::serve_two_tenants(&manifest, Some(url), |_| {})
}

#[test]
fn the_attack_classes_hold_on_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("attacks_users") else {
        return;
    };
    assert_users_hold(&on_engine(&engine_users(), PG_SOURCE, &db.url()));
    let Some(db) = crate::support::postgres::TempDatabase::create("attacks_rows") else {
        return;
    };
    assert_row_tenants_hold(&row_tenants_on(PG_SOURCE, &db.url()));
}

#[test]
fn the_attack_classes_hold_on_mariadb() {
    let Some(db) = crate::support::mysql::TempDatabase::create("attacks_users") else {
        return;
    };
    assert_users_hold(&on_engine(&engine_users(), MYSQL_SOURCE, &db.url()));
    let Some(db) = crate::support::mysql::TempDatabase::create("attacks_rows") else {
        return;
    };
    assert_row_tenants_hold(&row_tenants_on(MYSQL_SOURCE, &db.url()));
}

#[test]
fn the_attack_classes_hold_on_the_mongo_wire_server() {
    let Some(db) = crate::support::mongo::TempDatabase::create("attacks_users") else {
        return;
    };
    assert_users_hold(&on_engine(&engine_users(), MONGO_SOURCE, db.url()));
    let Some(db) = crate::support::mongo::TempDatabase::create("attacks_rows") else {
        return;
    };
    assert_row_tenants_hold(&row_tenants_on(MONGO_SOURCE, db.url()));
}

// ---------------------------------------------------------------------------
// Credentials: one per header, spelt one way

#[test]
fn two_credentials_of_one_kind_and_misspelt_bearers_are_refused() {
    let server = users_with_payroll();
    let admin = bearer(
        &jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "sub": "1", "role": "admin", "exp": 4_000_000_000_u64 }),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        )
        .unwrap(),
    );
    let token = admin.trim_start_matches("Bearer ").to_owned();
    let service = bearer(SERVICE_KEY);
    let read = |headers: &[(&str, &str)]| request(&server, "GET", "/api/payroll", headers, None);
    // Two of one header: which one counts is not for the server to guess
    // (a proxy before it may have read the other).
    for headers in [
        [
            ("authorization", "Bearer not-a-token"),
            ("authorization", service.as_str()),
        ],
        [
            ("authorization", service.as_str()),
            ("authorization", "Bearer not-a-token"),
        ],
        [
            ("authorization", admin.as_str()),
            ("authorization", service.as_str()),
        ],
        [("apikey", "not-a-key"), ("apikey", SERVICE_KEY)],
        [("apikey", SERVICE_KEY), ("apikey", SERVICE_KEY)],
    ] {
        let (status, body) = read(&headers);
        assert_eq!(status, 401, "{headers:?}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("more than one"),
            "{body}"
        );
    }
    // The scheme is case-insensitive (RFC 9110); anything else about the
    // value must be exact.
    for good in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer {SERVICE_KEY}"),
    ] {
        let (status, body) = read(&[("authorization", &good)]);
        assert_eq!(status, 200, "{good}: {body}");
        assert_eq!(body["data"][0]["salary"], 250000, "{good}: {body}");
    }
    for bad in [
        format!("Bearer {token}x"),
        format!("Bearer {token} {token}"),
        format!("Bearer\t{token}"),
        format!("Bearer{token}"),
        format!("Bearer,{token}"),
        format!("Basic {token}"),
        format!("Token {SERVICE_KEY}"),
        format!("Bearer {}", SERVICE_KEY.to_uppercase()),
        format!("Bearer {SERVICE_KEY}x"),
        format!("Bearer \"{SERVICE_KEY}\""),
        "Bearer".to_owned(),
        String::new(),
    ] {
        let (status, body) = read(&[("authorization", &bad)]);
        assert_eq!(status, 401, "{bad:?}: {body}");
        // With a valid apikey beside it the bad bearer still decides.
        let (status, body) = read(&[("apikey", SERVICE_KEY), ("authorization", &bad)]);
        assert_eq!(status, 401, "apikey + {bad:?}: {body}");
    }
    for bad in [service.as_str(), admin.as_str()] {
        let (status, body) = read(&[("apikey", bad)]);
        assert_eq!(status, 401, "apikey {bad:?}: {body}");
    }
}

// ---------------------------------------------------------------------------
// JWKS: fetched from the configured address only, `kid` only a name

/// A loopback HTTP server answering every request with `answer(path)`
/// (a whole HTTP/1.1 response); its base URL and the paths it was asked.
fn raw_host(answer: impl Fn(&str) -> String + Send + 'static) -> (String, Seen) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let paths = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { continue };
            let mut head = [0u8; 4096];
            let n = stream.read(&mut head).unwrap_or(0);
            let head = String::from_utf8_lossy(&head[..n]).into_owned();
            let path = head.split(' ').nth(1).unwrap_or("").to_owned();
            paths.lock().unwrap().push(path.clone());
            let _ = stream.write_all(answer(&path).as_bytes());
        }
    });
    (base, seen)
}

/// A JWKS of the fixture RSA key under `kid`, and that key.
fn rsa_jwks(kid: &str) -> (String, jsonwebtoken::EncodingKey) {
    let pem = std::fs::read(crate::support::project_fixtures().join("auth/rsa.pem")).unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap();
    let mut jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    (json!({ "keys": [jwk] }).to_string(), key)
}

fn rs256(key: &jsonwebtoken::EncodingKey, kid: &str) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let claims = json!({ "sub": "user-1", "exp": 4_000_000_000_u64 });
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn ok_json(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

const JWKS_NOTES: &str = "[manifest]\nformat = 1\nversion = 1\n\n\
    [entities.note]\ntable = \"note\"\nprimary_key = [\"id\"]\n\n\
    [entities.note.fields]\nid = { type = \"int64\" }\n\n\
    [entities.note.rules]\nlist = \"@auth.id != null\"\n\n\
    [auth]\njwks = \"${JWKS_URL}\"\n";

#[test]
fn a_jwks_url_redirect_is_not_followed_and_its_password_is_never_logged() {
    let (jwks, key) = rsa_jwks("one");
    // Where a redirect would lead: a loopback (or metadata) address.
    let (inside, inside_seen) = raw_host(move |_| ok_json(&jwks));
    let (outside, outside_seen) = raw_host(move |_| {
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {inside}/jwks.json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
    });
    let password = "Jwks-Pw-4711";
    let url = outside.replace("http://", &format!("http://jwks-user:{password}@")) + "/jwks.json";
    let server = AuthServer::start(JWKS_NOTES, &[("JWKS_URL", url.as_str())]);
    let (status, body, _) = server.get_with("/api/note", &rs256(&key, "one"));
    assert_eq!(status, 503, "the redirected set was used: {body}");
    assert!(!body.to_string().contains(password), "{body}");
    assert_eq!(outside_seen.lock().unwrap().len(), 1);
    assert!(
        inside_seen.lock().unwrap().is_empty(),
        "the redirect was followed: {:?}",
        inside_seen.lock().unwrap()
    );
    let log = server.log();
    assert!(log.contains("redirects are not followed"), "{log}");
    assert!(
        !log.contains(password),
        "the JWKS password is in the log:\n{log}"
    );
}

#[test]
fn a_kid_is_only_a_name_looked_up_in_the_fetched_set() {
    let (jwks, key) = rsa_jwks("one");
    let (host, seen) = raw_host(move |_| ok_json(&jwks));
    let url = format!("{host}/jwks.json");
    let server = AuthServer::start(JWKS_NOTES, &[("JWKS_URL", url.as_str())]);
    let (status, body, _) = server.get_with("/api/note", &rs256(&key, "one"));
    assert_eq!(status, 200, "{body}");
    let long = "k".repeat(4000);
    for kid in [
        "../../../../etc/passwd",
        "/etc/passwd",
        "jwks.json",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/jwks.json",
        "' OR '1'='1",
        "one\u{0}",
        "one ",
        "ONE",
        "%6Fne",
        long.as_str(),
    ] {
        let (status, body, _) = server.get_with("/api/note", &rs256(&key, kid));
        assert_eq!(status, 401, "{kid:?}: {body}");
    }
    // A storm of unknown kids reads the set again at most once per
    // interval, and only from its own address.
    for n in 0..40 {
        let (status, _, _) = server.get_with("/api/note", &rs256(&key, &format!("storm-{n}")));
        assert_eq!(status, 401);
    }
    let paths = seen.lock().unwrap().clone();
    assert!(paths.len() <= 2, "{} fetches: {paths:?}", paths.len());
    assert!(paths.iter().all(|p| p == "/jwks.json"), "{paths:?}");
    let (status, _, _) = server.get_with("/api/note", &rs256(&key, "one"));
    assert_eq!(status, 200);
}

// ---------------------------------------------------------------------------
// Hooks: what a hook throws is reported as what it is

#[test]
fn a_hook_throwing_a_deep_value_is_stopped_by_its_memory_limit_not_reported_as_null() {
    use baas::hooks::{Engine, HookError, HookSet};

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("hooks")).unwrap();
    let nest = "let o = {}; for (let i = 0; i < 200000; i++) o = { a: o };";
    let cases = [
        ("object", format!("function hook() {{ {nest} throw o; }}"), 8),
        (
            "array",
            "function hook() { let a = []; for (let i = 0; i < 200000; i++) a = [a]; throw a; }"
                .to_owned(),
            8,
        ),
        (
            "inside_error",
            format!("function hook() {{ {nest} const e = new Error('deep'); e.o = o; throw e; }}"),
            8,
        ),
        ("returned", format!("function hook() {{ {nest} return o; }}"), 8),
        (
            "in_a_job",
            format!("async function hook() {{ await null; {nest} throw o; }}"),
            8,
        ),
        // Deep but within the memory: too deep for JSON, told by its type.
        (
            "deep_fits",
            "function hook() { let o = {}; for (let i = 0; i < 20000; i++) o = { a: o }; throw o; }"
                .to_owned(),
            64,
        ),
        (
            "plain",
            "function hook() { throw { code: 7, why: 'no' }; }".to_owned(),
            8,
        ),
        ("number", "function hook() { throw 42; }".to_owned(), 8),
        ("symbol", "function hook() { throw Symbol('s'); }".to_owned(), 8),
    ];
    let mut manifest = String::from(
        "[manifest]\nformat = 1\nversion = 1\n\n[entities.post]\ntable = \"post\"\n[entities.post.fields]\nid = { type = \"int64\" }\n",
    );
    for (name, source, mb) in &cases {
        std::fs::write(dir.path().join(format!("hooks/{name}.js")), source).unwrap();
        manifest.push_str(&format!(
            "\n[[hooks]]\non = \"post.create.before\"\nrun = \"hooks/{name}.js\"\ntimeout_ms = 2000\nmemory_mb = {mb}\n"
        ));
    }
    let manifest = baas::manifest::load_str(std::path::Path::new("baas.toml"), manifest)
        .unwrap()
        .manifest;
    let set = HookSet::load(&manifest, dir.path()).unwrap();
    let engine = Engine::new().unwrap();
    let run = |name: &str| {
        let script = set
            .matching("post", "create", baas::manifest::HookPhase::Before)
            .find(|script| script.run == format!("hooks/{name}.js"))
            .unwrap();
        engine.run(script, "{}")
    };
    for name in ["object", "array", "inside_error", "returned", "in_a_job"] {
        let result = run(name);
        assert!(
            matches!(result, Err(HookError::Memory { mb: 8, .. })),
            "{name}: {result:?}"
        );
    }
    for (name, message) in [
        ("deep_fits", "an object was thrown"),
        ("plain", r#"{"code":7,"why":"no"}"#),
        ("number", "42"),
        ("symbol", "a symbol was thrown"),
    ] {
        let result = run(name);
        assert!(
            matches!(&result, Err(HookError::Thrown { message: m, .. }) if m == message),
            "{name}: {result:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// PostgREST writes: an embedding's parameters shape the answer whatever
// its name begins with

#[test]
fn a_writes_answer_keeps_the_parameters_of_embeddings_named_like_or_and_and() {
    let manifest = "[manifest]\nformat = 1\nversion = 1\n\n\
        [entities.customer]\ntable = \"customer\"\nprimary_key = [\"id\"]\n\
        [entities.customer.fields]\nid = { type = \"int64\" }\nname = { type = \"string\" }\n\n\
        [entities.orders]\ntable = \"orders\"\nprimary_key = [\"id\"]\n\
        [entities.orders.fields]\nid = { type = \"int64\" }\ncustomer_id = { type = \"int64\" }\n\
        [[entities.orders.relations]]\nfields = [\"customer_id\"]\n\
        references = { entity = \"customer\", fields = [\"id\"] }\n\n\
        [entities.android]\ntable = \"android\"\nprimary_key = [\"id\"]\n\
        [entities.android.fields]\nid = { type = \"int64\" }\ncustomer_id = { type = \"int64\" }\n\
        [[entities.android.relations]]\nfields = [\"customer_id\"]\n\
        references = { entity = \"customer\", fields = [\"id\"] }\n";
    let server = with_postgrest(manifest);
    let post = |path: &str, body: Value| {
        let (status, answer) = request(&server, "POST", path, &[], Some(body));
        assert_eq!(status, 201, "{path}: {answer}");
    };
    post("/rest/v1/customer", json!({ "id": 1, "name": "Ada" }));
    for id in 1..=3 {
        post("/rest/v1/orders", json!({ "id": id, "customer_id": 1 }));
        post(
            "/rest/v1/android",
            json!({ "id": id + 10, "customer_id": 1 }),
        );
    }
    let shaped = "select=id,orders(id),android(id)&orders.order=id.desc&orders.limit=1\
                  &android.order=id.desc&android.offset=1";
    for (method, path) in [
        ("PATCH", format!("/rest/v1/customer?id=eq.1&{shaped}")),
        ("POST", format!("/rest/v1/customer?on_conflict=id&{shaped}")),
    ] {
        let (status, rows) = request(
            &server,
            method,
            &path,
            &[(
                "prefer",
                "return=representation,resolution=merge-duplicates",
            )],
            Some(json!({ "id": 1, "name": "Ada Lovelace" })),
        );
        assert!(status == 200 || status == 201, "{method}: {status} {rows}");
        assert_eq!(
            rows,
            json!([{ "id": 1, "orders": [{ "id": 3 }], "android": [{ "id": 12 }, { "id": 11 }] }]),
            "{method}"
        );
    }
}

// ---------------------------------------------------------------------------
// Upstream keys encoded twice, or with backslashes, stay one segment

#[test]
fn an_upstream_key_encoded_twice_or_with_backslashes_stays_one_segment() {
    let (served, seen, _dir, _) = docs_upstream("http://127.0.0.1:9");
    for key in [
        "..%5C..",
        "..%5C..%5Cv1",
        "%5C..%5C",
        "%252e%252e",
        "%252E%252E%252Fdocs%252Fa",
        "%2e%2e%5c%2e%2e",
        ".%2e",
        "%2e.",
        "%25%32%65%25%32%65",
        "%C0%AE%C0%AE",
        "..%00",
        "..;",
        "a%2F..%2F..",
    ] {
        for method in ["GET", "DELETE"] {
            let (status, _, body) = served.send(method, &format!("/api/doc/{key}"), None);
            assert!(
                status == 400 || status == 404,
                "{method} {key}: {status} {body}"
            );
        }
        let (status, _, body) = served.get(&format!("/api/doc?id=eq.{key}"));
        assert!(status < 500, "?id=eq.{key}: {status} {body}");
    }
    let paths = seen.lock().unwrap().clone();
    for line in &paths {
        let path = line.split(' ').nth(1).unwrap_or_default();
        if path == "/v1/docs" {
            continue;
        }
        let segment = path
            .strip_prefix("/v1/docs/")
            .unwrap_or_else(|| panic!("the upstream was called outside /v1/docs/: {paths:?}"));
        // Decoded once (what the upstream reads), still one segment that
        // is not a dot segment.
        let decoded: String = url::form_urlencoded::parse(format!("k={segment}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        assert!(
            decoded != "." && decoded != ".." && !decoded.contains(['/', '\\']),
            "{path} reads as {decoded:?}: {paths:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Realtime: a tenant no longer served keeps no open subscription

/// The lines of an SSE stream of `note` opened with `bearer`, as they
/// come; the channel ends when the server closes the stream.
fn sse_lines(server: &AuthServer, bearer: &str) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead as _;
    let response = crate::auth::agent()
        .get(&server.url("/api/_realtime?subscribe=note"))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Whether `lines` say `tenant-not-served` and then end, within 10 s.
fn closed_as_not_served(lines: &std::sync::mpsc::Receiver<String>) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut said = false;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                said |= line.starts_with("data:") && line.contains("tenant-not-served");
                seen.push(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) if said => return Ok(()),
            Err(_) => return Err(format!("still open or closed silently: {seen:?}")),
        }
    }
}

#[test]
fn a_deactivated_or_dropped_tenants_open_subscriptions_are_closed() {
    use crate::realtime::{WsClient, WsRead};
    use crate::tenancy::{As, AsServer, create_tenant, send, tenant_manifest, token};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [
        ("JWT_SECRET", crate::tenancy::SECRET),
        ("BAAS_SERVICE_KEY", crate::tenancy::SERVICE_KEY),
        ("BAAS_REALTIME_HEARTBEAT_MS", "200"),
    ];
    for slug in ["acme", "globex", "initech"] {
        create_tenant(dir.path(), &env, slug);
    }
    let server = AsServer(AuthServer::start_in(dir, &env));
    let acme_sse = sse_lines(&server.0, &token(Some("acme")));
    let initech_sse = sse_lines(&server.0, &token(Some("initech")));
    let globex_sse = sse_lines(&server.0, &token(Some("globex")));
    let mut sockets: Vec<WsClient> = ["acme", "initech", "globex"]
        .into_iter()
        .map(|tenant| {
            let mut socket = WsClient::open(&server.0, Some(&token(Some(tenant))));
            socket.send(&json!({ "subscribe": ["note"] }));
            assert!(matches!(socket.read(), WsRead::Json(_)));
            socket
        })
        .collect();
    let (status, body) = send(
        &server,
        "POST",
        "/api/_tenants/acme/deactivate",
        As::Key,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&server, "DELETE", "/api/_tenants/initech", As::Key, None);
    assert_eq!(status, 200, "{body}");
    for (tenant, lines) in [("acme", &acme_sse), ("initech", &initech_sse)] {
        closed_as_not_served(lines).unwrap_or_else(|e| panic!("{tenant} SSE: {e}"));
    }
    for (tenant, socket) in ["acme", "initech"].into_iter().zip(&mut sockets) {
        let closed = (0..50)
            .map_while(|_| socket.read_within(std::time::Duration::from_secs(10)))
            .find(|read| matches!(read, WsRead::Closed(..)));
        assert!(
            matches!(&closed, Some(WsRead::Closed(4403, reason)) if reason.contains("tenant-not-served")),
            "{tenant} WebSocket: {closed:?}"
        );
    }
    // The tenant still served keeps its streams, and gets its changes.
    let (status, note) = send(
        &server,
        "POST",
        "/api/note",
        As::Service("globex"),
        Some(json!({ "title": "globex live" })),
    );
    assert_eq!(status, 201, "{note}");
    let live = (0..100)
        .map_while(|_| {
            globex_sse
                .recv_timeout(std::time::Duration::from_secs(10))
                .ok()
        })
        .find(|line| line.contains("globex live"));
    assert!(live.is_some(), "globex's SSE stream stopped");
    let globex = &mut sockets[2];
    let live = (0..100)
        .map_while(|_| globex.read_within(std::time::Duration::from_secs(10)))
        .find(|read| !matches!(read, WsRead::Json(m) if m["row"]["title"] != "globex live"));
    assert!(
        matches!(&live, Some(WsRead::Json(m)) if m["row"]["title"] == "globex live"),
        "globex's WebSocket: {live:?}"
    );
}

// ---------------------------------------------------------------------------
// Slow clients: a header or a body trickled a byte at a time is cut off

/// Sends `head` then `trickle` a byte every 100 ms on a new connection:
/// how long until the server closed it (`None`: still open after 8 s).
fn trickled(
    served: &crate::serve::Server,
    head: &[u8],
    trickle: &[u8],
) -> Option<std::time::Duration> {
    use std::io::{Read as _, Write as _};
    let mut stream = served.connect();
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(10)))
        .unwrap();
    let started = std::time::Instant::now();
    stream.write_all(head).unwrap();
    let mut buffer = [0u8; 1024];
    for byte in trickle.iter().cycle() {
        if started.elapsed() > std::time::Duration::from_secs(8) {
            return None;
        }
        if stream.write_all(&[*byte]).is_err() {
            return Some(started.elapsed());
        }
        match stream.read(&mut buffer) {
            Ok(0) => return Some(started.elapsed()),
            Err(error)
                if !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Some(started.elapsed());
            }
            _ => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

#[test]
fn a_header_or_body_trickled_a_byte_at_a_time_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let served = crate::serve::Server::start(
        dir.path(),
        &[
            "--example",
            "--header-timeout",
            "1",
            "--request-timeout",
            "2",
        ],
    );
    // Every byte comes before the header timeout would fire for an idle
    // connection: the timeout is the whole header's, not a gap's.
    let header = trickled(
        &served,
        b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\n",
        b"x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
    );
    assert!(
        header.is_some_and(|took| took < std::time::Duration::from_secs(4)),
        "a trickled header held the connection: {header:?}"
    );
    // A body promised long and sent slowly ends with the request's time.
    let body = trickled(
        &served,
        b"POST /api/author HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"name\":\"",
        b"a",
    );
    assert!(
        body.is_some_and(|took| took < std::time::Duration::from_secs(6)),
        "a trickled body held the connection: {body:?}"
    );
    assert_eq!(served.health(), Some(200));
}
