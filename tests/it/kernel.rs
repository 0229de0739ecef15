//! The serve kernel: every request is one operation through policy, store
//! and events. A test policy narrows rows with a scope and refuses some
//! actions; the answers must show it on every route (list, view, update,
//! delete, expand, count), and every committed write must publish one
//! change with the row before and after.

use std::sync::Arc;

use baas::manifest::Manifest;
use baas::query::{Filter, Op, Value as Typed};
use baas::serve::events::{ChangeKind, Received};
use baas::serve::kernel::{Action, Operation, Schema};
use baas::serve::policy::{Decision, Permissions, Policy, Principal};
use baas::serve::store::Store;
use baas::serve::store::resolver::Single;
use baas::serve::{AppState, router};
use serde_json::json;

use crate::serve::{call, get, raw};

/// Books of author 1 only; tags may not be created; authors are open.
struct AuthorOneOnly;

impl Policy for AuthorOneOnly {
    fn decide(&self, _: &Schema, operation: &Operation) -> Decision {
        match (operation.entity.as_str(), operation.action) {
            ("tag", Action::Create) => Decision::Deny {
                reason: "tags are curated: you may not create one".into(),
            },
            ("book", _) => Decision::Allow {
                scope: Some(Filter::Compare {
                    field: "author_id".into(),
                    op: Op::Eq,
                    value: Typed::Int(1),
                }),
            },
            _ => Decision::Allow { scope: None },
        }
    }

    fn permissions(&self, _: &Schema, _: &Principal, entity: &str) -> Permissions {
        Permissions {
            read: true,
            create: entity != "tag",
            update: true,
            delete: true,
        }
    }
}

/// The scope of [`AuthorOneOnly`] on a store loaded with the example rows
/// (books 1 and 2 are author 1's; 3, 4 and 5 are not). Leaves the rows as
/// it found them.
pub async fn scoped_suite(manifest: Arc<Manifest>, store: Arc<dyn Store>) {
    let state = AppState::with(
        manifest.clone(),
        Arc::new(AuthorOneOnly),
        Arc::new(Single(store.clone())),
    );
    let router = router(state);
    let router = &router;

    // list and count see only the scope.
    let list = get(router, "/api/book?order=id&count=exact").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.column("id"), [json!(1), json!(2)]);
    assert_eq!(list.body["count"], 2);
    // A client filter is ANDed with the scope, never ORed around it.
    let widened = get(router, "/api/book?or=(author_id.eq.2,id.eq.3)").await;
    assert_eq!(widened.data().len(), 0, "{}", widened.body);
    let body = json!({ "where": { "or": [{ "id": 3 }, { "id": 1 }] } });
    let queried = call(router, "POST", "/api/book/_query", Some(body)).await;
    assert_eq!(queried.column("id"), [json!(1)]);

    // view, update and delete of a row outside the scope: not found, and
    // nothing changes.
    get(router, "/api/book/3").await.problem(404, "not-found");
    get(router, "/api/book/1").await;
    call(
        router,
        "PATCH",
        "/api/book/3",
        Some(json!({ "title": "Stolen" })),
    )
    .await
    .problem(404, "not-found");
    call(
        router,
        "PUT",
        "/api/book/4",
        Some(json!({ "title": "Stolen", "isbn": "0", "author_id": 1 })),
    )
    .await
    .problem(404, "not-found");
    call(router, "DELETE", "/api/book/5", None)
        .await
        .problem(404, "not-found");
    // Moving a row out of the scope is allowed for a row inside it, and the
    // row is then out of reach.
    let moved = call(
        router,
        "PATCH",
        "/api/book/2",
        Some(json!({ "author_id": 2 })),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    get(router, "/api/book/2").await.problem(404, "not-found");

    // expand obeys the scope of the related entity.
    let authors = get(router, "/api/author?order=id&expand=book").await;
    let per_author: Vec<usize> = authors
        .data()
        .iter()
        .map(|a| a["book"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(per_author, [1, 0, 0], "{}", authors.body);
    let one = get(router, "/api/author/2?expand=book").await;
    assert_eq!(one.body["book"], json!([]), "{}", one.body);

    // A refused create is a 403 problem and writes nothing.
    let refused = call(
        router,
        "POST",
        "/api/tag",
        Some(json!({ "label": "banned" })),
    )
    .await;
    refused.problem(403, "forbidden");
    assert!(refused.body["detail"].as_str().unwrap().contains("curated"));
    let tags = get(router, "/api/tag?label=eq.banned").await;
    assert_eq!(tags.data().len(), 0);

    // Discovery reports the policy's permissions.
    let discovery = get(router, "/api/_discovery").await;
    let tag = discovery.body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "tag")
        .unwrap();
    assert_eq!(tag["permissions"]["create"], false);

    // Put the moved row back, past the policy.
    let mut values = baas::serve::store::Values::new();
    values.insert("author_id".into(), Typed::Int(1));
    let restored = store
        .update(&manifest, "book", &[Typed::Int(2)], None, &values)
        .await
        .unwrap()
        .expect("book 2 is still there");
    assert_eq!(restored.old["author_id"], 2);
    assert_eq!(restored.new["author_id"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_scope_narrows_every_route_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    scoped_suite(manifest, store).await;
}

/// The example manifest and rows in a fresh SQLite file under `dir`.
fn example_store(dir: &std::path::Path) -> (Arc<Manifest>, Arc<dyn Store>) {
    let manifest = baas::serve::example_manifest().unwrap();
    let path = dir.join("example.sqlite3");
    let (store, _) = baas::serve::SqliteStore::dev(&path, &manifest, false).unwrap();
    store
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    (Arc::new(manifest), Arc::new(store))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_committed_write_publishes_one_change_with_the_row_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    let state = AppState::new(manifest, store);
    let mut changes = state.kernel.events.subscribe();
    let router = router(state);
    let router = &router;

    let created = call(
        router,
        "POST",
        "/api/tag",
        Some(json!({ "label": "new-label" })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].clone();
    let patched = call(
        router,
        "PATCH",
        &format!("/api/tag/{id}"),
        Some(json!({ "label": "renamed" })),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    // Refused and failed writes publish nothing.
    call(
        router,
        "POST",
        "/api/tag",
        Some(json!({ "label": "renamed" })),
    )
    .await
    .problem(409, "conflict");
    call(
        router,
        "PATCH",
        "/api/tag/999",
        Some(json!({ "label": "x" })),
    )
    .await
    .problem(404, "not-found");
    let deleted = call(router, "DELETE", &format!("/api/tag/{id}"), None).await;
    assert_eq!(deleted.status, 204);

    let mut seen = Vec::new();
    for _ in 0..3 {
        match tokio::time::timeout(std::time::Duration::from_secs(5), changes.next()).await {
            Ok(Received::Change(change)) => seen.push(change),
            other => panic!("expected a change, got {other:?}"),
        }
    }
    let kinds: Vec<ChangeKind> = seen.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Create, ChangeKind::Update, ChangeKind::Delete]
    );
    assert!(
        seen.iter()
            .all(|c| c.entity == "tag" && c.key == vec![id.clone()])
    );
    assert_eq!(seen[0].old, None);
    assert_eq!(seen[0].new.as_ref().unwrap()["label"], "new-label");
    assert_eq!(seen[1].old.as_ref().unwrap()["label"], "new-label");
    assert_eq!(seen[1].new.as_ref().unwrap()["label"], "renamed");
    assert_eq!(seen[2].old.as_ref().unwrap()["label"], "renamed");
    assert_eq!(seen[2].new, None);
    // Nothing more: the refused writes published nothing.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(200), changes.next())
            .await
            .is_err()
    );
}

// ---------------------------------------------------------------------------
// HTTP guards and shapes

#[tokio::test(flavor = "multi_thread")]
async fn writes_take_json_only_and_other_sites_cannot_call_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    let router = router(AppState::new(manifest, store));
    let router = &router;
    let body = json!({ "label": "from-a-form" }).to_string().into_bytes();
    // A "simple" cross-site request: text/plain needs no preflight.
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let mut request = axum::http::Request::builder()
            .method("POST")
            .uri("/api/tag")
            .header("content-type", content_type)
            .body(axum::body::Body::from(body.clone()))
            .unwrap();
        request.headers_mut().remove("x-request-id");
        let answer = tower::ServiceExt::oneshot(router.clone(), request)
            .await
            .unwrap();
        assert_eq!(answer.status(), 415, "{content_type}");
    }
    // No content type at all.
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/api/tag")
        .body(axum::body::Body::from(body.clone()))
        .unwrap();
    let answer = tower::ServiceExt::oneshot(router.clone(), request)
        .await
        .unwrap();
    assert_eq!(answer.status(), 415);
    // Another origin, even with JSON.
    raw(
        router,
        "POST",
        "/api/tag",
        Some(body.clone()),
        &[("origin", "https://evil.example")],
    )
    .await
    .problem(403, "origin");
    raw(
        router,
        "GET",
        "/api/tag",
        None,
        &[("origin", "https://evil.example")],
    )
    .await
    .problem(403, "origin");
    // DNS rebinding: a page on attacker.example resolved to 127.0.0.1.
    raw(
        router,
        "GET",
        "/api/tag",
        None,
        &[("host", "attacker.example:8080")],
    )
    .await
    .problem(421, "unknown-host");
    assert_eq!(
        get(router, "/api/tag?label=eq.from-a-form")
            .await
            .data()
            .len(),
        0
    );
    // The same page from localhost works, and preflights are answered.
    let local = raw(
        router,
        "POST",
        "/api/tag",
        Some(body.clone()),
        &[
            ("origin", "http://localhost:3000"),
            ("host", "localhost:8080"),
        ],
    )
    .await;
    assert_eq!(local.status, 201, "{}", local.body);
    let preflight = axum::http::Request::builder()
        .method("OPTIONS")
        .uri("/api/tag")
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(axum::body::Body::empty())
        .unwrap();
    let answer = tower::ServiceExt::oneshot(router.clone(), preflight)
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_ids_and_paths_never_reflect_arbitrary_input() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    let router = router(AppState::new(manifest, store));
    let router = &router;
    let script = format!("<script>{}</script>", "x".repeat(10_000));
    for id in [script.as_str(), "a\"b", &"y".repeat(129)] {
        let answer = raw(router, "GET", "/api/_health", None, &[("x-request-id", id)]).await;
        let echoed = answer.header("x-request-id").unwrap();
        assert_ne!(echoed, id);
        assert!(echoed.len() <= 128 && !echoed.contains('<'));
    }
    let fine = raw(
        router,
        "GET",
        "/api/_health",
        None,
        &[("x-request-id", "trace-42")],
    )
    .await;
    assert_eq!(fine.header("x-request-id"), Some("trace-42"));
    // Invalid percent-encoding in a path: a problem document, not text.
    get(router, "/api/%FF").await.problem(400, "bad-path");
    get(router, "/api/book/%FF%FE")
        .await
        .problem(404, "not-found");
    // An unknown entity gets the closest name.
    let answer = get(router, "/api/bok").await;
    answer.problem(404, "not-found");
    assert!(answer.body["detail"].as_str().unwrap().contains("`book`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_index_and_the_cached_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    let state = AppState::new(manifest.clone(), store);
    let router = router(state.clone());
    let router = &router;
    let index = get(router, "/api").await;
    assert_eq!(index.status, 200);
    let names: Vec<&str> = index.body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        manifest
            .entities
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert_eq!(index.body["entities"][0]["href"], "/api/author");

    let first = get(router, "/api/_openapi.json").await;
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(
        first.body,
        baas::codegen::openapi::document(&manifest),
        "the served document is the generated one"
    );
    let again = raw(
        router,
        "GET",
        "/api/_openapi.json",
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, 304);
    // A new manifest version is a new document and a new tag.
    let mut changed = (*manifest).clone();
    changed.entities.remove("tag");
    changed.entities.remove("book_tag");
    state.swap_manifest(Arc::new(changed));
    let after = raw(
        router,
        "GET",
        "/api/_openapi.json",
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag").unwrap(), etag);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_row_takes_select_and_expand_and_put_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    let router = router(AppState::new(manifest, store));
    let router = &router;
    let row = get(router, "/api/book/1?select=id,title&expand=author").await;
    assert_eq!(row.status, 200, "{}", row.body);
    let keys: Vec<&String> = row.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "title", "author"]);
    assert_eq!(row.body["author"]["id"], 1);
    get(router, "/api/book/1?expand=publisher")
        .await
        .problem(400, "bad-query");
    get(router, "/api/book/1?select=nope")
        .await
        .problem(400, "bad-query");
    get(router, "/api/book/1?limit=5")
        .await
        .problem(400, "bad-query");

    // PUT replaces: a nullable field left out becomes null.
    let before = get(router, "/api/book/1").await;
    assert!(!before.body["pages"].is_null(), "{}", before.body);
    let put = call(
        router,
        "PUT",
        "/api/book/1",
        Some(json!({
            "title": "Replaced",
            "isbn": before.body["isbn"],
            "author_id": 1,
        })),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["title"], "Replaced");
    assert_eq!(put.body["pages"], serde_json::Value::Null);
    assert_eq!(put.body["metadata"], serde_json::Value::Null);
    // Fields with a default keep their value.
    assert_eq!(put.body["price"], before.body["price"]);
}

// ---------------------------------------------------------------------------
// The real binary on a real port: slow clients, floods, start-up errors

/// Reads until the server closes the connection; what it sent.
fn read_until_closed(stream: &mut std::net::TcpStream) -> Option<String> {
    use std::io::Read as _;
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        // A reset also means closed; a timeout means still held open.
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {
            Some(String::from_utf8_lossy(&answer).into_owned())
        }
        Err(_) => None,
    }
}

#[test]
fn half_sent_requests_are_cut_off_and_the_server_keeps_answering() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let served = crate::serve::Server::start(dir.path(), &["--example", "--header-timeout", "1"]);
    // Slow-loris: 300 connections that never finish their headers.
    let mut slow: Vec<std::net::TcpStream> = (0..300)
        .map(|_| {
            let mut stream = served.connect();
            stream
                .write_all(b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\nx-slow: ")
                .unwrap();
            stream
        })
        .collect();
    // The server still answers others meanwhile.
    assert_eq!(served.health(), Some(200));
    // Each slow connection is closed by the server after the header timeout
    // (the read returns instead of timing out after 10 s).
    let started = std::time::Instant::now();
    for stream in &mut slow {
        assert!(
            read_until_closed(stream).is_some(),
            "a half-sent request was still held open after {:?}",
            started.elapsed()
        );
    }
    // Idle keep-alive connections go the same way.
    let mut idle = served.connect();
    idle.write_all(b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut idle).expect("an idle connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(served.health(), Some(200));
}

#[test]
fn connections_over_the_cap_get_a_503_problem_and_the_server_recovers() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let served = crate::serve::Server::start(
        dir.path(),
        &[
            "--example",
            "--max-connections",
            "20",
            "--header-timeout",
            "30",
        ],
    );
    // Twenty keep-alive connections, each proven accepted by an answer.
    let held: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            use std::io::Read as _;
            let mut stream = served.connect();
            stream
                .write_all(b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\n\r\n")
                .unwrap();
            let mut seen = Vec::new();
            let mut buffer = [0u8; 512];
            while !String::from_utf8_lossy(&seen).contains("\"ok\"") {
                let n = stream.read(&mut buffer).unwrap();
                assert!(n > 0, "closed before answering");
                seen.extend_from_slice(&buffer[..n]);
            }
            stream
        })
        .collect();
    let mut over = served.connect();
    let answer = read_until_closed(&mut over).expect("the extra connection is answered and closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap();
    let problem: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["status"], 503);
    drop(held);
    let started = std::time::Instant::now();
    while served.health() != Some(200) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the server did not recover after the held connections closed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_busy_port_is_a_usage_error_with_a_port_hint() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["serve", "--example", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["serve", "--example", "--host", "203.0.113.7", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn serving_a_manifest_on_an_unreachable_database_exits_3_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), baas::serve::EXAMPLE_MANIFEST).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    for url in [
        format!("postgres://app:secret-pw@127.0.0.1:{port}/app"),
        format!("mysql://app:secret-pw@127.0.0.1:{port}/app"),
        "sqlite://missing/nope.db".to_owned(),
    ] {
        let started = std::time::Instant::now();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .args(["serve", "--port", "0", "--db", &url])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{url}: {stderr}");
        assert!(!stderr.contains("secret-pw"), "{stderr}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(4),
            "{url}: took {:?} to fail",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_refuses_the_login_is_a_503_problem_never_a_500() {
    let Some(database) = crate::support::postgres::TempDatabase::create_async("refused").await
    else {
        return;
    };
    let role = format!("{}_role", database.name());
    database
        .execute(&[
            format!("CREATE ROLE \"{role}\" LOGIN"),
            format!("GRANT ALL ON SCHEMA public TO \"{role}\""),
            "CREATE TABLE tag (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label text NOT NULL)".into(),
            format!("GRANT ALL ON tag TO \"{role}\""),
        ])
        .await;
    let mut url = database.parsed_url();
    url.set_username(&role).unwrap();
    let manifest = baas::serve::example_manifest().unwrap();
    let mut manifest = manifest;
    manifest.entities.retain(|name, _| name == "tag");
    let manifest = Arc::new(manifest);
    let store = baas::backend::store(url.as_str(), &manifest).await.unwrap();
    let router = router(AppState::new(manifest.clone(), store));
    assert_eq!(get(&router, "/api/tag").await.status, 200);
    // The role may no longer log in, and its sessions are gone: the pool
    // must reconnect and is refused.
    database
        .execute(&[
            format!("ALTER ROLE \"{role}\" NOLOGIN"),
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            ),
        ])
        .await;
    for path in ["/api/tag", "/api/_health"] {
        let answer = get(&router, path).await;
        answer.problem(503, "unavailable");
        assert!(
            answer.body["detail"]
                .as_str()
                .unwrap()
                .contains("refused the credentials"),
            "{}",
            answer.body
        );
    }
    // At start-up the same refusal is a connect error, not a crash.
    let error = baas::backend::store(url.as_str(), &manifest)
        .await
        .err()
        .expect("a role that may not log in cannot serve");
    assert!(format!("{error:#}").contains("cannot connect"), "{error:#}");
    database
        .execute(&[
            format!("DROP OWNED BY \"{role}\""),
            format!("DROP ROLE \"{role}\""),
        ])
        .await;
}

#[test]
fn a_manifest_written_in_two_steps_never_drops_data_and_a_real_drop_is_backed_up() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("baas.toml");
    let full = baas::serve::EXAMPLE_MANIFEST;
    let cut = &full[..full.find("[entities.tag]").unwrap()];
    std::fs::write(&manifest_path, full).unwrap();
    let served = crate::serve::Server::start(dir.path(), &["--accept-data-loss"]);
    let base = format!("http://127.0.0.1:{}", served.port);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let created = agent
        .post(&format!("{base}/api/tag"))
        .content_type("application/json")
        .send(r#"{"label":"keep-me"}"#)
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let tags = |agent: &ureq::Agent| -> (u16, String) {
        let mut answer = agent.get(&format!("{base}/api/tag")).call().unwrap();
        (
            answer.status().as_u16(),
            answer.body_mut().read_to_string().unwrap_or_default(),
        )
    };

    // A save in two steps: the first half is a valid manifest without
    // `tag`; the rest follows 300 ms later.
    std::fs::write(&manifest_path, cut).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(&manifest_path, full).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let (status, body) = tags(&agent);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("keep-me"), "the rows survived: {body}");
    assert!(!dir.path().join(".baas/backups").exists());

    // A drop the user means: applied once the file settles, after a backup.
    std::fs::write(&manifest_path, cut).unwrap();
    let started = std::time::Instant::now();
    while tags(&agent).0 != 404 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "the settled drop was never applied"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let backups: Vec<_> = std::fs::read_dir(dir.path().join(".baas/backups"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let backup = rusqlite::Connection::open(&backups[0]).unwrap();
    let label: String = backup
        .query_row("SELECT label FROM tag", [], |row| row.get(0))
        .unwrap();
    assert_eq!(label, "keep-me");
}

// ---------------------------------------------------------------------------
// Random filters over HTTP: only 200 or a 4xx problem, and the server stays up

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIELDS: &[&str] = &[
    "id",
    "title",
    "isbn",
    "genre",
    "price",
    "in_stock",
    "pages",
    "metadata",
    "keywords",
    "author_id",
    "published_at",
    "nope",
    "metadata.series",
    "",
];
const OPERATORS: &[&str] = &[
    "eq", "neq", "gt", "gte", "lt", "lte", "in", "nin", "like", "ilike", "is", "contains",
    "between", "not.eq", "not.in",
];
const VALUES: &[&str] = &[
    "1",
    "-1",
    "0",
    "18446744073709551616",
    "1e309",
    "abc",
    "",
    "%00",
    "a%00b",
    "\\",
    "ab\\",
    "%FF%FE",
    "*",
    "**",
    "null",
    "true",
    "fiction",
    "(1,2,3)",
    "()",
    "(",
    "'; DROP TABLE book;--",
    "\u{202e}x",
    "2024-13-45",
    "9.999999999999999999999",
    "[1,2]",
    "{\"a\":1}",
    "%5C%25",
];

/// A random shorthand term, or a random group up to `depth` levels.
fn term(random: &mut Random, depth: usize) -> String {
    if depth > 0 && random.below(4) == 0 {
        let group = *random.pick(&["or", "and", "not.or", "not.and"]);
        let count = 1 + random.below(4);
        let terms: Vec<String> = (0..count).map(|_| term(random, depth - 1)).collect();
        return format!("{group}({})", terms.join(","));
    }
    let value = match random.below(3) {
        0 => {
            let count = random.below(6);
            let items: Vec<&str> = (0..count).map(|_| *random.pick(VALUES)).collect();
            format!("({})", items.join(","))
        }
        _ => (*random.pick(VALUES)).to_owned(),
    };
    format!("{}.{}.{value}", random.pick(FIELDS), random.pick(OPERATORS))
}

/// A random JSON filter value.
fn json_filter(random: &mut Random, depth: usize) -> serde_json::Value {
    if depth > 0 && random.below(3) == 0 {
        let group = *random.pick(&["and", "or", "not"]);
        let items: Vec<serde_json::Value> = (0..1 + random.below(3))
            .map(|_| json_filter(random, depth - 1))
            .collect();
        return if group == "not" {
            json!({ "not": items[0] })
        } else {
            json!({ group: items })
        };
    }
    let value = match random.below(7) {
        0 => json!(null),
        1 => json!(random.next() as i64),
        2 => json!(f64::from_bits(random.next() & 0x7fef_ffff_ffff_ffff)),
        3 => json!(*random.pick(VALUES)),
        4 => json!([*random.pick(VALUES), random.below(100)]),
        5 => json!({ "x": "\u{0000}" }),
        _ => json!(true),
    };
    let operator = random.pick(OPERATORS).trim_start_matches("not.");
    json!({ *random.pick(FIELDS): { operator: value } })
}

/// Sends `requests` random list requests (shorthand, `where` JSON, `_query`
/// bodies, with huge breadth now and then) to `router`; every answer must
/// be 200 or a 4xx problem, and `_health` must still answer at the end.
pub async fn random_filters_never_break_the_server(
    router: &axum::Router,
    seed: u64,
    requests: usize,
) {
    let mut random = Random(seed | 1);
    for n in 0..requests {
        let (method, uri, body) = match random.below(4) {
            0 => {
                let terms: Vec<String> = (0..1 + random.below(3))
                    .map(|_| term(&mut random, 3))
                    .collect();
                let query: Vec<String> = terms
                    .iter()
                    .map(|t| match t.split_once('.') {
                        Some((field, rest))
                            if !t.starts_with("or(")
                                && !t.starts_with("and(")
                                && !t.starts_with("not.") =>
                        {
                            format!(
                                "{}={}",
                                crate::serve::encode(field),
                                crate::serve::encode(rest)
                            )
                        }
                        _ => format!("and={}", crate::serve::encode(&format!("({t})"))),
                    })
                    .collect();
                ("GET", format!("/api/book?{}", query.join("&")), None)
            }
            1 => {
                let filter = json_filter(&mut random, 4);
                (
                    "GET",
                    format!(
                        "/api/book?where={}",
                        crate::serve::encode(&filter.to_string())
                    ),
                    None,
                )
            }
            2 => {
                let filter = json_filter(&mut random, 4);
                let limit = random
                    .pick(&[
                        json!(1),
                        json!(-1),
                        json!(1001),
                        json!("x"),
                        json!(u64::MAX),
                    ])
                    .clone();
                (
                    "POST",
                    "/api/book/_query".to_owned(),
                    Some(json!({ "where": filter, "limit": limit })),
                )
            }
            _ => {
                // Breadth around and beyond the limits.
                let count = *random.pick(&[999usize, 1000, 1001, 5000]);
                let terms = vec!["id.eq.1"; count].join(",");
                ("GET", format!("/api/book?or=({terms})"), None)
            }
        };
        let answer = call(router, method, &uri, body).await;
        let status = answer.status.as_u16();
        assert!(
            status == 200 || (400..500).contains(&status),
            "request {n} (seed {seed}) {method} {}: {status} {}",
            &uri[..uri.len().min(300)],
            answer.body
        );
        if status != 200 {
            answer.problem(
                status,
                answer.body["type"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("urn:baas:problem:"),
            );
        }
    }
    assert_eq!(get(router, "/api/_health").await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn random_filters_answer_200_or_a_4xx_problem_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, store) = example_store(dir.path());
    let router = router(AppState::new(manifest, store));
    random_filters_never_break_the_server(&router, 0x5eed_0001, 400).await;
}

#[test]
fn serve_json_prints_one_ready_event_on_stdout_and_json_logs_on_stderr() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let mut served = crate::support::Spawned::start(
        std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("BAAS_LOG", "info")
            .args(["--json", "serve", "--example", "--port", "0"])
            .stderr(std::process::Stdio::piped()),
    );
    let line = &served.line;
    let event: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(event["event"], "ready");
    assert_eq!(event["entities"], 5);
    let url = event["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api"),
        "{url}"
    );
    let address = url.trim_start_matches("http://").trim_end_matches("/api");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    served.stop();
    let mut logs = String::new();
    served
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let request = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["path"] == "/api/_health");
    assert!(request.is_some(), "no JSON request log line in:\n{logs}");
}

/// A reload on a `[source] url` database compares it with the new
/// manifest too: a field the database lacks is a drift warning in the log
/// (with `--json`, a JSON event naming it), not a surprise at the first
/// request that touches it.
#[test]
fn a_reload_that_adds_a_field_the_database_lacks_logs_the_drift() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    connection
        .execute_batch("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .unwrap();
    drop(connection);
    let manifest = |extra: &str| {
        format!(
            "[manifest]\nformat = 1\nversion = 1\n\n[source]\nengine = \"sqlite\"\nurl = \"sqlite://shop.db\"\n\n[entities.item]\ntable = \"item\"\nprimary_key = [\"id\"]\n\n[entities.item.fields]\nid = {{ type = \"int64\", generated = \"rowid\" }}\nname = {{ type = \"text\" }}\n{extra}"
        )
    };
    let path = dir.path().join("baas.toml");
    std::fs::write(&path, manifest("")).unwrap();
    let mut served = crate::support::Spawned::start(
        std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("BAAS_LOG", "info")
            .args(["--json", "serve", "--port", "0"])
            .stderr(std::process::Stdio::piped()),
    );
    assert!(served.line.contains("\"ready\""), "{}", served.line);
    let (lines, received) = std::sync::mpsc::channel::<String>();
    let stderr = served.child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // Let the watcher start, then add a field the table does not have.
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(
        &path,
        manifest("released = { type = \"date\", nullable = true }\n"),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    let mut drift = None;
    while drift.is_none() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
            && event["fields"]["event"] == "drift"
        {
            drift = Some(event);
        }
        seen.push(line);
    }
    served.stop();
    let drift =
        drift.unwrap_or_else(|| panic!("no drift event after the reload:\n{}", seen.join("\n")));
    assert_eq!(drift["level"], "WARN", "{drift}");
    assert_eq!(drift["fields"]["differences"], 1, "{drift}");
    let message = drift["fields"]["message"].as_str().unwrap();
    assert!(
        message.contains("differs from the manifest") && message.contains("released"),
        "{message}"
    );
}

#[test]
fn serving_a_database_that_lacks_a_manifest_column_warns_with_the_drift() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shop.db");
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection
        .execute_batch("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .unwrap();
    drop(connection);
    std::fs::write(
        dir.path().join("baas.toml"),
        "[manifest]\nformat = 1\nversion = 1\n\n[entities.item]\ntable = \"item\"\nprimary_key = [\"id\"]\n\n[entities.item.fields]\nid = { type = \"int64\", generated = \"rowid\" }\nname = { type = \"text\" }\nreleased = { type = \"date\", nullable = true }\n",
    )
    .unwrap();
    let url = format!("sqlite://{}", database.display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("BAAS_LOG", "warn")
        .args(["serve", "--port", "0", "--db", &url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let started = std::time::Instant::now();
    while !seen.contains("Serving") && started.elapsed() < std::time::Duration::from_secs(30) {
        use std::io::BufRead as _;
        if stderr.read_line(&mut seen).unwrap_or(0) == 0 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("differs from the manifest"), "{seen}");
    assert!(seen.contains("released"), "{seen}");
}
