//! The studio (`/_studio`): how its files are served (policy, caching,
//! gzip, the `/` redirect, `--no-studio`), `baas studio`, and the
//! end-to-end flows in a real headless Chromium (tests/studio/*.mjs, run
//! with node and playwright-core from `tests/tools/setup.sh`).

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::serve::Server;

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(router: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::builder().uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn example(options: baas::serve::http::HttpOptions) -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = baas::serve::example_manifest().unwrap();
    let (engine, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("example.sqlite3"), &manifest, false)
            .unwrap();
    let state = baas::serve::AppState::new(Arc::new(manifest), Arc::new(engine));
    (dir, baas::serve::http::router_with(state, options))
}

/// The `/_studio/v/{version}/{file}` URLs the page names.
fn asset_urls(page: &str) -> Vec<String> {
    page.split('"')
        .filter(|part| part.starts_with("/_studio/v/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_page_is_revalidated_and_its_files_are_immutable_gzipped_and_scriptable_only_from_here()
{
    let (_dir, router) = example(Default::default());
    let page = get(&router, "/_studio/", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-cache");
    let policy = page.header("content-security-policy");
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(part), "{policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert!(
        !page.text().contains("<script>") && !page.text().contains(" style="),
        "inline code would be refused by the policy"
    );
    let etag = page.header("etag").to_owned();
    let again = get(&router, "/_studio", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let urls = asset_urls(&page.text());
    assert!(urls.iter().any(|u| u.ends_with("/app.js")), "{urls:?}");
    for url in &urls {
        let plain = get(&router, url, &[]).await;
        assert_eq!(plain.status, StatusCode::OK, "{url}");
        assert_eq!(
            plain.header("cache-control"),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        let expected = match url.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected file {other:?}"),
        };
        assert_eq!(plain.header("content-type"), expected, "{url}");
        assert_eq!(plain.header("content-encoding"), "", "{url}");
        let packed = get(&router, url, &[("accept-encoding", "br, gzip")]).await;
        if packed.header("content-encoding") == "gzip" {
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(&packed.body[..])
                .read_to_end(&mut unpacked)
                .unwrap();
            assert_eq!(unpacked, plain.body, "{url}");
            assert!(packed.body.len() < plain.body.len());
        } else {
            assert!(url.ends_with(".svg"), "{url} is not gzipped");
        }
        let refused = get(&router, url, &[("accept-encoding", "gzip;q=0")]).await;
        assert_eq!(refused.header("content-encoding"), "", "{url}");
    }
    // A file of another version is served but not kept.
    let old = urls[0].replacen("/v/", "/v/0ld", 1);
    assert_eq!(
        get(&router, &old, &[]).await.header("cache-control"),
        "no-cache"
    );
    let missing = get(&router, "/_studio/v/x/nothing.js", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_root_redirects_to_the_studio_unless_it_is_turned_off() {
    let (_dir, router) = example(Default::default());
    let root = get(&router, "/", &[]).await;
    assert_eq!(root.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(root.header("location"), "/_studio/");

    let options = baas::serve::http::HttpOptions {
        studio: false,
        ..Default::default()
    };
    let (_dir, router) = example(options);
    for path in ["/", "/_studio/", "/_studio/schema.json"] {
        let answer = get(&router, path, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.header("content-type"), "application/problem+json");
    }
    assert_eq!(get(&router, "/api/book", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_schema_document_has_what_discovery_leaves_out() {
    let (_dir, router) = example(Default::default());
    let answer = get(&router, "/_studio/schema.json", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let schema: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    let book = &schema["entities"]["book"];
    assert_eq!(book["relations"][0]["references"]["entity"], "author");
    assert_eq!(book["indexes"][0]["name"], "book_title_idx");
    assert_eq!(schema["enums"]["genre"]["values"][2], "poetry");
    assert_eq!(schema["auth"], serde_json::Value::Null);
    assert_eq!(
        schema["entities"]["book_in_stock"]["kind"], "view",
        "{schema}"
    );
}

#[test]
fn studio_command_prints_the_url_and_says_when_no_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--example"]);
    let port = server.port.to_string();
    let output = crate::support::baas(dir.path())
        .args(["studio", "--no-open", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("http://127.0.0.1:{port}/_studio/\n")
    );
    drop(server);
    let output = crate::support::baas(dir.path())
        .args(["studio", "--no-open", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("baas serve"),
        "{output:?}"
    );
}

// ---------------------------------------------------------------------------
// The administrator's answers: migrations and the ledger

const SHOP: &str = r#"[manifest]
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

[entities.book.rules]
list = "true"

[auth]
jwt_secret = "${JWT_SECRET}"
service_key = "${BAAS_SERVICE_KEY}"
"#;

const SERVICE_KEY: &str = "studio-service-key-0123456789";
const JWT_SECRET: &str = "studio-jwt-secret-0123456789abcdef";

/// `GET path` with an optional bearer: (status, JSON body).
fn get_as(server: &Server, path: &str, bearer: Option<&str>) -> (u16, serde_json::Value) {
    let mut request = crate::auth::agent().get(&server.url(path));
    if let Some(bearer) = bearer {
        request = request.header("authorization", &format!("Bearer {bearer}"));
    }
    let (status, body, _) = crate::auth::answer(request.call().unwrap());
    (status, body)
}

fn user_token() -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({ "sub": "1", "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[track_caller]
fn cli(dir: &Path, args: &[&str]) {
    let output = crate::support::baas(dir).args(args).output().unwrap();
    assert!(output.status.success(), "baas {args:?}: {output:?}");
}

/// One applied migration, one planned after it, a table and a trigger made
/// by hand: `/api/_migrations` shows each migration's state and checksums
/// and the drift both ways; the ledger names the trigger on its entity; an
/// edited applied migration is `modified`; only the service key may look.
#[test]
fn the_migrations_answer_has_states_checksums_and_drift_for_the_service_key_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), SHOP).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("JWT_SECRET={JWT_SECRET}\nBAAS_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    cli(dir.path(), &["migrate", "plan", "--name", "init"]);
    cli(dir.path(), &["migrate", "apply", "--yes"]);
    let working = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        working.replace(
            "title = { type = \"text\" }",
            "title = { type = \"text\" }\nprice = { type = \"float64\", nullable = true }",
        ),
    )
    .unwrap();
    cli(dir.path(), &["migrate", "plan", "--name", "add_price"]);
    let shop = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    shop.execute_batch(
        "CREATE TABLE scratch (id INTEGER PRIMARY KEY);
         CREATE TRIGGER book_touch AFTER INSERT ON book BEGIN SELECT 1; END;",
    )
    .unwrap();
    drop(shop);
    let server = Server::start(dir.path(), &[]);

    for path in ["/api/_migrations", "/_studio/ledger.json"] {
        let (status, body) = get_as(&server, path, None);
        assert_eq!(status, 401, "{path}: {body}");
        let (status, body) = get_as(&server, path, Some(&user_token()));
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["type"], "urn:baas:problem:forbidden", "{body}");
    }

    let (status, report) = get_as(&server, "/api/_migrations", Some(SERVICE_KEY));
    assert_eq!(status, 200, "{report}");
    let up = |id: &str| {
        baas::migrate::folder::checksum(
            &std::fs::read(dir.path().join("migrations").join(id).join("up.sql")).unwrap(),
        )
    };
    let first = &report["migrations"][0];
    assert_eq!(first["id"], "0001_init", "{report}");
    assert_eq!(first["state"], "applied", "{report}");
    assert_eq!(first["checksum"], up("0001_init"), "{report}");
    assert_eq!(first["applied_checksum"], first["checksum"], "{report}");
    assert!(first["applied_at"].is_string(), "{report}");
    let second = &report["migrations"][1];
    assert_eq!(second["id"], "0002_add_price", "{report}");
    assert_eq!(second["state"], "pending", "{report}");
    assert_eq!(second["checksum"], up("0002_add_price"), "{report}");
    assert_eq!(second["applied_checksum"], serde_json::Value::Null);
    assert_eq!(report["summary"]["applied"], 1, "{report}");
    assert_eq!(report["summary"]["pending"], 1, "{report}");
    assert!(
        report["database"].as_str().unwrap().contains("shop.db"),
        "{report}"
    );
    let reasons: Vec<&str> = report["drift"]["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes: {report}"))
        .iter()
        .filter_map(|change| change["reason"].as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("price")),
        "the pending field is not drift: {reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("scratch")),
        "the table made by hand is not drift: {reasons:?}"
    );

    let (status, ledger) = get_as(&server, "/_studio/ledger.json", Some(SERVICE_KEY));
    assert_eq!(status, 200, "{ledger}");
    let kinds: Vec<&str> = ledger["entities"]["book"]["entity"]
        .as_array()
        .unwrap_or_else(|| panic!("nothing about book: {ledger}"))
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"trigger"), "{ledger}");

    // An applied migration edited afterwards.
    let applied = dir.path().join("migrations/0001_init/up.sql");
    let text = std::fs::read_to_string(&applied).unwrap();
    std::fs::write(&applied, format!("{text}\n-- edited\n")).unwrap();
    let (_, report) = get_as(&server, "/api/_migrations", Some(SERVICE_KEY));
    let first = &report["migrations"][0];
    assert_eq!(first["state"], "modified", "{report}");
    assert_ne!(first["checksum"], first["applied_checksum"], "{report}");
}

#[test]
fn a_server_without_a_known_database_says_the_migrations_are_not_available() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--example"]);
    let (status, body) = get_as(&server, "/api/_migrations", None);
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["type"], "urn:baas:problem:not-available", "{body}");
}

// ---------------------------------------------------------------------------
// In the browser

/// Paths of node, the installed packages and Chromium, from
/// `tests/tools/setup.sh` (which installs them; once per test run).
fn tools() -> Option<(String, String)> {
    static TOOLS: std::sync::OnceLock<Option<(String, String)>> = std::sync::OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/setup.sh");
            let output = std::process::Command::new("bash")
                .arg(script)
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&output.stdout);
            let value = |name: &str| {
                text.lines()
                    .find_map(|line| line.strip_prefix(&format!("{name}=")))
                    .map(str::to_owned)
            };
            let (modules, chromium) = (value("NODE_MODULES")?, value("CHROMIUM")?);
            Path::new(&chromium)
                .is_file()
                .then_some((modules, chromium))
        })
        .clone()
}

/// Runs `tests/studio/{script}` against `url`; its screenshots go to
/// `target/studio/{name}` (the path is printed).
#[allow(clippy::print_stderr)]
fn browser(script: &str, url: &str, env: &[(&str, &str)]) {
    let Some((modules, chromium)) = tools() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "node, playwright-core or chromium is missing (tests/tools/setup.sh installs them)"
        );
        eprintln!("skipped: no chromium (tests/tools/setup.sh installs it)");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let artefacts = root
        .join("target/studio")
        .join(script.trim_end_matches(".mjs"));
    let _ = std::fs::remove_dir_all(&artefacts);
    let output = std::process::Command::new("node")
        .arg(root.join("tests/studio").join(script))
        .env("BAAS_URL", url)
        .env("NODE_MODULES", modules)
        .env("CHROMIUM", chromium)
        .env("ARTEFACTS", &artefacts)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}{stderr}screenshots: {}", artefacts.display());
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{stderr}"
    );
}

#[test]
fn studio_flow_on_the_example_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--example"]);
    browser("example.mjs", &server.url(""), &[]);
}

#[test]
fn studio_follows_a_manifest_change_without_a_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("baas.toml");
    std::fs::write(&manifest, baas::serve::EXAMPLE_MANIFEST).unwrap();
    let server = Server::start(dir.path(), &[]);
    browser(
        "reload.mjs",
        &server.url(""),
        &[("BAAS_MANIFEST", manifest.to_str().unwrap())],
    );
}

#[test]
fn studio_flow_on_pagila_in_chromium() {
    let Some(database) = crate::support::postgres::TempDatabase::create("studio_pagila") else {
        return;
    };
    database.psql_file(&crate::support::corpus_file(
        "sql/postgres/pagila-schema.sql",
    ));
    database.psql_file(&crate::support::corpus_file("sql/postgres/pagila-data.sql"));
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--db", &database.url()]);
    browser("pagila.mjs", &server.url(""), &[]);
}

/// The example with `[auth]`: built-in users (`account`), notes each user
/// owns (`note`, rules on the owner), the service key.
const AUTH: &str = r#"
[entities.account]
table = "account"
primary_key = ["id"]

[entities.account.fields]
id = { type = "int64", generated = "identity" }
email = { type = "string", max_length = 254, unique = true }
password_hash = { type = "string", max_length = 255, nullable = true }

[entities.account.rules]
list = "id = @auth.id"
view = "id = @auth.id"

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = { type = "int64", generated = "identity" }
owner_id = { type = "int64" }
body = { type = "text" }

[[entities.note.relations]]
name = "note_owner_fkey"
fields = ["owner_id"]
references = { entity = "account", fields = ["id"] }

[entities.note.rules]
list = "owner_id = @auth.id"
view = "owner_id = @auth.id"
create = "@body.owner_id = @auth.id"
update = "owner_id = @auth.id"
delete = "owner_id = @auth.id"

[auth]
jwt_secret = "${JWT_SECRET}"
service_key = "${BAAS_SERVICE_KEY}"
users = { entity = "account", email = "email", password = "password_hash" }
"#;

fn post_as(
    server: &Server,
    path: &str,
    body: serde_json::Value,
    bearer: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = crate::auth::agent()
        .post(&server.url(path))
        .content_type("application/json");
    if let Some(bearer) = bearer {
        request = request.header("authorization", &format!("Bearer {bearer}"));
    }
    let (status, body, _) = crate::auth::answer(request.send(body.to_string()).unwrap());
    (status, body)
}

#[test]
fn studio_sign_in_with_a_user_or_the_service_key_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        format!("{}{AUTH}", baas::serve::EXAMPLE_MANIFEST),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("JWT_SECRET={JWT_SECRET}\nBAAS_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    let server = Server::start(dir.path(), &[]);
    let password = "correct horse battery";
    let mut ids = Vec::new();
    for email in ["ada@example.com", "bob@example.com"] {
        let (status, session) = post_as(
            &server,
            "/api/_auth/signup",
            serde_json::json!({ "email": email, "password": password }),
            None,
        );
        assert_eq!(status, 201, "{session}");
        ids.push(session["user"]["id"].clone());
    }
    // Ada owns two notes, Bob one.
    for (owner, body) in [(&ids[0], "ada 1"), (&ids[0], "ada 2"), (&ids[1], "bob 1")] {
        let (status, note) = post_as(
            &server,
            "/api/note",
            serde_json::json!({ "owner_id": owner, "body": body }),
            Some(SERVICE_KEY),
        );
        assert_eq!(status, 201, "{note}");
    }
    browser(
        "auth.mjs",
        &server.url(""),
        &[
            ("SERVICE_KEY", SERVICE_KEY),
            ("USER_EMAIL", "Ada@Example.com"),
            ("USER_PASSWORD", password),
            ("USER_NOTES", "2"),
            ("ALL_NOTES", "3"),
        ],
    );
}

#[test]
fn studio_tenants_page_and_switcher_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        r#"[manifest]
format = 1
version = 1

[entities.item]
table = "item"
primary_key = ["id"]

[entities.item.fields]
id = { type = "int64", generated = "identity" }
label = { type = "string" }

[tenancy]
strategy = "file"

[auth]
jwt_secret = "${JWT_SECRET}"
service_key = "${BAAS_SERVICE_KEY}"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("JWT_SECRET={JWT_SECRET}\nBAAS_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    cli(dir.path(), &["tenants", "create", "acme"]);
    cli(dir.path(), &["tenants", "create", "globex"]);
    let server = Server::start(dir.path(), &[]);
    let request = crate::auth::agent()
        .post(&server.url("/api/item"))
        .header("authorization", &format!("Bearer {SERVICE_KEY}"))
        .header("x-tenant", "acme")
        .content_type("application/json");
    let (status, body, _) = crate::auth::answer(
        request
            .send(serde_json::json!({ "label": "only in acme" }).to_string())
            .unwrap(),
    );
    assert_eq!(status, 201, "{body}");
    browser(
        "tenants.mjs",
        &server.url(""),
        &[("SERVICE_KEY", SERVICE_KEY)],
    );
}
