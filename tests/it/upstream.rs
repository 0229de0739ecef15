//! Existing APIs as a source: what an OpenAPI import keeps for serving the
//! API through baas (per entity, the operations with their action, query
//! parameters, pagination, rows key and error pointer), on the public specs
//! of the corpus and on baas's own OpenAPI document.

use std::path::Path;

use baas::introspect::IntrospectOptions;
use baas::manifest::{self, Manifest};
use baas::parse::openapi;

use crate::import_jsonschema::source;
use crate::support;

fn import(name: &str, text: String) -> Manifest {
    let introspection = openapi::parse(
        &source(Path::new(name), text),
        &IntrospectOptions::default(),
    )
    .unwrap_or_else(|d| {
        panic!(
            "{name} should import:\n{}",
            baas::diagnostics::render_problems(&d, false)
        )
    });
    support::assert_valid_and_round_trips(&introspection.manifest);
    introspection.manifest
}

/// One line per mapped operation, by entity then action.
fn mapped(manifest: &Manifest) -> String {
    let api = manifest.api.as_ref().expect("an [api] section");
    let mut lines: Vec<String> = api
        .operations
        .iter()
        .filter_map(|op| {
            let action = op.action?;
            let mut line = format!(
                "{} {:<7} {} {}",
                op.entity.as_deref().unwrap_or("-"),
                action.as_str(),
                op.method,
                op.path
            );
            if !op.query.is_empty() {
                line.push_str(&format!(" query={}", op.query.join(",")));
            }
            if let Some(p) = &op.pagination {
                let names: Vec<String> = [
                    ("limit", &p.limit),
                    ("offset", &p.offset),
                    ("page", &p.page),
                    ("cursor", &p.cursor),
                    ("next", &p.next),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                .collect();
                line.push_str(&format!(" pagination={}({})", p.style, names.join(",")));
            }
            if let Some(rows) = &op.rows {
                line.push_str(&format!(" rows={rows}"));
            }
            if let Some(error) = &op.error {
                line.push_str(&format!(" error={error}"));
            }
            Some(line)
        })
        .collect();
    lines.sort();
    format!(
        "base_url: {}\n{}\n",
        api.base_url.as_deref().unwrap_or("-"),
        lines.join("\n")
    )
}

fn corpus(relative: &str) -> String {
    let path = support::corpus_file(relative);
    mapped(&import(relative, std::fs::read_to_string(path).unwrap()))
}

#[test]
fn petstore_variants_map_list_get_create_and_delete() {
    insta::assert_snapshot!(
        "petstore_3_0_operations",
        corpus("openapi/petstore-oas3.0.yaml")
    );
    insta::assert_snapshot!(
        "petstore_expanded_operations",
        corpus("openapi/petstore-expanded-oas3.0.yaml")
    );
    insta::assert_snapshot!(
        "petstore_swagger_2_0_operations",
        corpus("openapi/petstore-swagger2.0.json")
    );
}

#[test]
fn harbor_maps_its_link_header_paging_and_error_list() {
    insta::assert_snapshot!(
        "harbor_operations",
        corpus("openapi/harbor-v2.0.swagger2.0.yaml")
    );
}

#[test]
fn twilio_maps_its_wrapped_lists_and_next_page_urls() {
    insta::assert_snapshot!(
        "twilio_operations",
        corpus("openapi/twilio_messaging_v1.oas3.0.json")
    );
}

#[test]
fn baas_own_openapi_document_maps_every_entity_with_offset_paging() {
    let example = baas::serve::example_manifest().unwrap();
    let document = baas::codegen::openapi::document(&example);
    let manifest = import("bookshop.json", serde_json::to_string(&document).unwrap());
    let text = mapped(&manifest);
    insta::assert_snapshot!("baas_example_operations", text);
    // Every list of a table keeps its rows under `data` and pages by
    // limit/offset (a view has no `get` naming its inline row schema).
    let api = manifest.api.unwrap();
    let lists: Vec<_> = api
        .operations
        .iter()
        .filter(|op| op.action == Some(manifest::OperationAction::List))
        .collect();
    let tables = example
        .entities
        .values()
        .filter(|entity| entity.kind != manifest::EntityKind::View)
        .count();
    assert_eq!(lists.len(), tables, "{text}");
    assert!(lists.iter().all(|op| op.rows.as_deref() == Some("data")));
}

/// A property listing the keys of another entity the API serves
/// (`Post.tagIds: [string]` of `Tag` keyed by a string `id`, `label_ids:
/// [integer]`) is a many-to-many link by key, which the manifest has no
/// relation for: a ledger line names it. Keys of an entity the API does
/// not serve, of no entity, or typed unlike its key link nothing.
#[test]
fn lists_of_keys_of_a_served_entity_are_named_in_the_ledger() {
    let rows = |schema: &str| {
        json!({"200": {"description": "ok", "content": {"application/json": {"schema":
            {"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}}}}}})
    };
    let row = |schema: &str| {
        json!({"200": {"description": "ok", "content": {"application/json": {"schema":
            {"$ref": format!("#/components/schemas/{schema}")}}}}})
    };
    let keyed = |ty: &str, schema: &str| {
        json!({"get": {"parameters": [{"name": "id", "in": "path", "required": true,
            "schema": {"type": ty}}], "responses": row(schema)}})
    };
    let ids = |ty: &str| json!({"type": "array", "items": {"type": ty}});
    let document = json!({
        "openapi": "3.0.3",
        "info": {"title": "Blog", "version": "1"},
        "paths": {
            "/posts": {"get": {"responses": rows("Post")}},
            "/posts/{id}": keyed("integer", "Post"),
            "/tags": {"get": {"responses": rows("Tag")}},
            "/tags/{id}": keyed("string", "Tag"),
            "/labels/{id}": keyed("integer", "Label"),
            "/categories": {"get": {"responses": rows("Category")}},
        },
        "components": {"schemas": {
            "Post": {"type": "object", "required": ["id", "title"], "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "tagIds": ids("string"),
                "label_ids": ids("integer"),
                "noteIds": ids("integer"),
                "editorIds": ids("integer"),
                "categoryIds": ids("integer"),
            }},
            "Tag": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
            "Label": {"type": "object", "properties": {"id": {"type": "integer"}, "text": {"type": "string"}}},
            "Note": {"type": "object", "properties": {"id": {"type": "integer"}, "body": {"type": "string"}}},
            "Category": {"type": "object", "properties": {"id": {"type": "string"}}},
        }},
    });
    let introspection = openapi::parse(
        &source(Path::new("blog.json"), document.to_string()),
        &IntrospectOptions::default(),
    )
    .unwrap_or_else(|d| panic!("{}", baas::diagnostics::render_problems(&d, false)));
    support::assert_valid_and_round_trips(&introspection.manifest);
    let mut linked: Vec<String> = support::ledger_kinds(&introspection)
        .into_iter()
        .filter(|(_, kind)| kind == "id_list")
        .map(|(object, _)| object)
        .collect();
    linked.sort();
    assert_eq!(linked, ["Post.label_ids", "Post.tagIds"]);
    let ledger = support::ledger_text(&introspection);
    assert!(
        ledger.contains("`Post.tagIds` lists keys of `Tag` rows (`Tag.id`)"),
        "{ledger}"
    );
}

/// The top of a manifest served from an upstream at `${UPSTREAM_URL}`.
macro_rules! http_source {
    () => {
        r#"[manifest]
format = 1
version = 1

[source]
engine = "http"
url = "${UPSTREAM_URL}"
"#
    };
}

const SERVED: &str = concat!(
    http_source!(),
    r#"
[entities.pet]
table = "pet"
primary_key = ["id"]

[entities.pet.fields]
id = { type = "int64" }
name = { type = "string" }

[api]

[api.upstream]
timeout_seconds = 2
max_concurrency = 8
retries = 1
max_pages = 3
expose_errors = true
credentials = { in = "header", name = "X-API-Key", value = "${PET_KEY}" }

[[api.operations]]
method = "GET"
path = "/pets"
entity = "pet"
action = "list"
query = ["name"]
pagination = { style = "page", limit = "per_page", page = "page" }
rows = "items"
error = "/message"
"#
);

#[test]
fn upstream_keys_round_trip_through_the_manifest() {
    let loaded = manifest::load_str(Path::new("baas.toml"), SERVED.to_owned()).unwrap();
    let manifest = loaded.manifest;
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        manifest::SourceEngine::Http
    );
    let api = manifest.api.as_ref().unwrap();
    let upstream = api.upstream.as_ref().unwrap();
    assert_eq!(upstream.max_pages, Some(3));
    assert!(upstream.expose_errors);
    let credentials = upstream.credentials.as_ref().unwrap();
    assert_eq!(credentials.location, manifest::CredentialsIn::Header);
    let list = &api.operations[0];
    assert_eq!(
        list.pagination.as_ref().unwrap().style,
        manifest::PaginationStyle::Page
    );
    assert_eq!(list.rows.as_deref(), Some("items"));
    support::assert_valid_and_round_trips(&manifest);
}

#[test]
fn bad_upstream_keys_are_reported_at_their_line_and_column() {
    for (from, to, expected) in [
        (r#"style = "page""#, r#"style = "pages""#, "`pages`"),
        (
            r#"value = "${PET_KEY}""#,
            r#"value = "hunter2""#,
            "environment reference",
        ),
        (r#"action = "list""#, r#"action = "browse""#, "`browse`"),
        (
            r#"error = "/message""#,
            r#"error = "message""#,
            "not a JSON pointer",
        ),
        (r#"name = "X-API-Key", "#, "", "need a `name`"),
        ("retries = 1", "retries = \"1\"", "retries"),
    ] {
        assert!(SERVED.contains(from), "{from}");
        let text = SERVED.replacen(from, to, 1);
        let diagnostics = match manifest::load_str(Path::new("baas.toml"), text) {
            Ok(_) => panic!("`{to}` should be refused"),
            Err(diagnostics) => diagnostics,
        };
        assert!(
            diagnostics.problems.iter().all(|p| p.span.is_some()),
            "{to}: {:?}",
            diagnostics.problems
        );
        let rendered = baas::diagnostics::render_problems(&diagnostics, false);
        assert!(rendered.contains(expected), "{to}: {rendered}");
        assert!(
            rendered.contains("baas.toml:"),
            "{to}: no position in {rendered}"
        );
    }
}

// ---------------------------------------------------------------------------
// Serving an upstream through the binary

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A `baas serve` in `dir`, its stderr kept in `dir/serve.log`, killed on drop.
pub(crate) struct Served {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Served {
    pub(crate) fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_on(support::free_port(), dir, args, env)
    }

    /// [`Served::start`] with the studio.
    fn start_with_studio(dir: &Path, args: &[&str]) -> Self {
        let mut args = args.to_vec();
        args.push("--with-studio");
        Self::start_on(support::free_port(), dir, &args, &[])
    }

    /// [`Served::start`] on a given port (an upstream restarted where it was).
    fn start_on(port: u16, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = dir.join(format!("serve-{port}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_baas"));
        command
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("HOME", dir)
            .env("BAAS_LOG", "debug")
            .env_remove("BAAS_MANIFEST")
            .env_remove("BAAS_DATABASE_URL")
            .args(["serve", "--port", &port.to_string()])
            .args(args.iter().filter(|arg| **arg != "--with-studio"));
        if !args.contains(&"--with-studio") {
            command.arg("--no-studio");
        }
        command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut served = Self {
            child: command.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        support::await_serving(
            &mut served.child,
            &served.log,
            &served.base,
            Duration::from_secs(60),
        );
        served
    }

    /// Status, `X-Baas-Filtered` header and JSON body.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Option<String>, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let url = format!("{}{path}", self.base);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("content-type", "application/json")
            .body(body.map(|b| b.to_string()).unwrap_or_default())
            .unwrap();
        let mut response = agent.run(request).unwrap();
        let status = response.status().as_u16();
        let filtered = response
            .headers()
            .get("x-baas-filtered")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            filtered,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    pub(crate) fn get(&self, path: &str) -> (u16, Option<String>, Value) {
        self.send("GET", path, None)
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `data` of each event of the realtime stream `/api/_realtime?QUERY`,
    /// read by a thread of its own; the stream is open when this returns.
    pub(crate) fn realtime(&self, query: &str) -> std::sync::mpsc::Receiver<String> {
        use std::io::BufRead;
        let response = ureq::get(&format!("{}/api/_realtime?{query}", self.base))
            .call()
            .unwrap();
        let (sender, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let reader = std::io::BufReader::new(response.into_body().into_reader());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if let Some(data) = line.strip_prefix("data:")
                    && sender.send(data.trim().to_owned()).is_err()
                {
                    return;
                }
            }
        });
        // The subscription is open once the stream answered; the caller
        // writes after.
        std::thread::sleep(Duration::from_millis(200));
        events
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {body}"))
        .iter()
        .map(|row| row["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn a_baas_upstream_is_read_written_and_filtered_through_the_http_store() {
    let upstream_dir = tempfile::tempdir().unwrap();
    let upstream = Served::start(upstream_dir.path(), &["--example"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("{}/api/_openapi.json", upstream.base);
    support::baas(dir.path())
        .args(["introspect", &spec, "--yes"])
        .assert()
        .success();
    // The spec's insert form marks `id` read-only: the import makes it
    // generated, so creates need no id; and its relative server URL is
    // the upstream's address.
    let manifest_path = dir.path().join("baas.toml");
    let manifest = manifest::load_file(&manifest_path).unwrap().manifest;
    assert_eq!(
        manifest.entities["tag"].fields["id"].generated,
        Some(manifest::Generated::Kind(manifest::GeneratedKind::Identity))
    );
    assert_eq!(
        manifest.api.as_ref().unwrap().base_url.as_deref(),
        Some(upstream.base.as_str())
    );
    // The entities are named as in the upstream's own manifest.
    let names: Vec<&String> = manifest.entities.keys().collect();
    for name in ["author", "book", "book_tag", "tag"] {
        assert!(manifest.entities.contains_key(name), "{names:?}");
    }
    assert!(
        !names.iter().any(|name| name.starts_with("Tag")
            || name.starts_with("Author")
            || name.starts_with("BookTag")
            || name.starts_with("BookRow")
            || name.starts_with("BookInsert")
            || name.starts_with("BookList")),
        "{names:?}"
    );
    let served = Served::start(dir.path(), &["--upstream", &upstream.base], &[]);

    // Reads passed on: filter, order, page and count.
    let path = "/api/book?order=price.desc&limit=2&offset=1&count=exact&in_stock=eq.true";
    let (status, filtered, body) = served.get(path);
    let (_, _, direct) =
        upstream.get("/api/book?order=price.desc&limit=2&offset=1&count=exact&in_stock=eq.true");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered, None, "a filter the upstream takes is passed on");
    assert_eq!(ids(&body), ids(&direct));
    assert_eq!(body["count"], direct["count"]);
    let (status, _, row) = served.get("/api/book/1");
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["title"], upstream.get("/api/book/1").2["title"]);
    let (status, _, missing) = served.get("/api/book/99999");
    assert_eq!(status, 404, "{missing}");

    // Writes.
    let (status, _, created) = served.send("POST", "/api/tag", Some(json!({"label": "upstream"})));
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        upstream.get(&format!("/api/tag/{id}")).2["label"],
        "upstream"
    );
    let (status, _, changed) = served.send(
        "PATCH",
        &format!("/api/tag/{id}"),
        Some(json!({"label": "renamed"})),
    );
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["label"], "renamed");
    assert_eq!(
        upstream.get(&format!("/api/tag/{id}")).2["label"],
        "renamed"
    );
    let (status, _, _) = served.send("DELETE", &format!("/api/tag/{id}"), None);
    assert_eq!(status, 204);
    // A create with only what the insert form requires: the defaults the
    // document names are the upstream's, a decimal stays a decimal, and a
    // field the form lets out is the upstream's to fill.
    let book = &manifest.entities["book"].fields;
    assert_eq!(book["price"].ty, manifest::FieldType::Decimal);
    assert!(book["in_stock"].default.is_some(), "{:?}", book["in_stock"]);
    assert!(book["metadata"].optional, "{:?}", book["metadata"]);
    let (status, _, created) = served.send(
        "POST",
        "/api/book",
        Some(json!({"title": "Minimal", "isbn": "000-upstream", "author_id": 1})),
    );
    assert_eq!(status, 201, "{created}");
    let stored = upstream.get(&format!("/api/book/{}", created["id"])).2;
    assert_eq!(stored["in_stock"], true, "{stored}");
    assert_eq!(stored["genre"], "fiction", "{stored}");
    let gone = served.send("DELETE", &format!("/api/book/{}", created["id"]), None);
    assert_eq!(gone.0, 204);
    assert_eq!(upstream.get(&format!("/api/tag/{id}")).0, 404);
    assert_eq!(
        served.send("DELETE", &format!("/api/tag/{id}"), None).0,
        404
    );

    // The same filter applied by baas when the operation declares no
    // `where`: the rows agree with the upstream's and the header says so.
    drop(served);
    let mut manifest = manifest::load_file(&manifest_path).unwrap().manifest;
    for operation in &mut manifest.api.as_mut().unwrap().operations {
        operation
            .query
            .retain(|name| name != "where" && name != "order");
    }
    std::fs::write(&manifest_path, manifest::to_toml(&manifest)).unwrap();
    let served = Served::start(dir.path(), &["--upstream", &upstream.base], &[]);
    let (status, filtered, body) =
        served.get("/api/book?order=price.desc&limit=2&offset=1&count=exact&in_stock=eq.true");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(ids(&body), ids(&direct));
    assert_eq!(body["count"], direct["count"]);
}

/// A misbehaving upstream: slow, failing, malformed, paging forever, and
/// echoing the API key it was sent.
fn misbehaving_upstream() -> String {
    use axum::response::IntoResponse;
    use axum::routing::get;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/slow",
                    get(|| async {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        "[]"
                    }),
                )
                .route(
                    "/boom",
                    get(|| async {
                        (
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            r#"{"message":"db password is hunter2"}"#,
                        )
                    }),
                )
                .route(
                    "/bad",
                    get(|| async { (axum::http::StatusCode::OK, "[{\"id\": 1,") }),
                )
                .route(
                    "/loop",
                    get(
                        |axum::extract::RawQuery(query): axum::extract::RawQuery| async move {
                            let page: u64 = query
                                .as_deref()
                                .and_then(|q| q.strip_prefix("page="))
                                .and_then(|p| p.parse().ok())
                                .unwrap_or(0);
                            let link = format!("</loop?page={}>; rel=\"next\"", page + 1);
                            (
                                [(axum::http::header::LINK, link)],
                                axum::Json(json!([{"id": page, "name": "p"}])),
                            )
                                .into_response()
                        },
                    ),
                )
                .route(
                    "/echo",
                    get(|headers: axum::http::HeaderMap| async move {
                        let key = headers
                            .get("x-api-key")
                            .map(|v| v.to_str().unwrap().to_owned());
                        axum::Json(json!([{"id": 1, "name": key}]))
                    }),
                );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    base
}

const MISBEHAVING: &str = concat!(
    http_source!(),
    r#"
[api]

[api.upstream]
timeout_seconds = 1
retries = 1
max_pages = 4
credentials = { in = "header", name = "X-API-Key", value = "${PET_KEY}" }
"#
);

#[test]
fn upstream_failures_are_problems_within_the_timeout_and_the_server_stays_up() {
    let base = misbehaving_upstream();
    let dir = tempfile::tempdir().unwrap();
    let mut text = MISBEHAVING.to_owned();
    for name in ["slow", "boom", "bad", "loop", "echo"] {
        text.push_str(&format!(
            "\n[entities.{name}]\ntable = \"{name}\"\nprimary_key = [\"id\"]\n\n[entities.{name}.fields]\nid = {{ type = \"int64\" }}\nname = {{ type = \"string\", nullable = true }}\n"
        ));
    }
    for name in ["slow", "boom", "bad", "loop", "echo"] {
        let pagination = if name == "loop" {
            "pagination = { style = \"link\" }\n"
        } else {
            ""
        };
        text.push_str(&format!(
            "\n[[api.operations]]\nmethod = \"GET\"\npath = \"/{name}\"\nentity = \"{name}\"\naction = \"list\"\n{pagination}"
        ));
    }
    // `[api.upstream]` must come before the operations' array of tables.
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    let secret = "s3cret-upstream-key";
    let served = Served::start(
        dir.path(),
        &[],
        &[("UPSTREAM_URL", base.as_str()), ("PET_KEY", secret)],
    );

    let started = Instant::now();
    let (status, _, problem) = served.get("/api/slow");
    assert_eq!(status, 504, "{problem}");
    // One call and one retry of one second each, plus the backoff.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{problem}"
    );

    let (status, _, problem) = served.get("/api/boom");
    assert_eq!(status, 500, "{problem}");
    assert!(
        !problem.to_string().contains("hunter2"),
        "the upstream body leaked: {problem}"
    );

    let (status, _, problem) = served.get("/api/bad");
    assert_eq!(status, 502, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("not JSON"),
        "{problem}"
    );

    let (status, filtered, body) = served.get("/api/loop?limit=100");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=false"));
    assert_eq!(body["data"].as_array().unwrap().len(), 4, "{body}");

    let (status, _, body) = served.get("/api/echo");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"][0]["name"], secret,
        "the API key was sent upstream"
    );

    assert_eq!(served.get("/api/_health").0, 200, "the server stays up");
    let log = served.log();
    assert!(!log.contains(secret), "the API key is in the log:\n{log}");

    // Nothing listens: a 502 naming the upstream, quickly.
    let closed = format!("http://127.0.0.1:{}", support::free_port());
    let refused = Served::start(
        dir.path(),
        &["--upstream", &closed],
        &[("UPSTREAM_URL", base.as_str()), ("PET_KEY", secret)],
    );
    let started = Instant::now();
    let (status, _, problem) = refused.get("/api/echo");
    assert_eq!(status, 502, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{problem}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ---------------------------------------------------------------------------
// `baas check --url SPEC`: drift between baas.toml and the upstream's document

/// The bundled example manifest written as `dir/baas.toml`, `edit`ed first.
fn write_example(dir: &Path, edit: impl FnOnce(&mut Manifest)) {
    let mut example = baas::serve::example_manifest().unwrap();
    edit(&mut example);
    std::fs::write(dir.join("baas.toml"), manifest::to_toml(&example)).unwrap();
}

fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = support::baas(dir).arg("check").args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_url_reports_what_the_upstream_changed_in_its_document() {
    let upstream_dir = tempfile::tempdir().unwrap();
    write_example(upstream_dir.path(), |_| {});
    let port = support::free_port();
    let upstream = Served::start_on(port, upstream_dir.path(), &[], &[]);
    let spec = format!("{}/api/_openapi.json", upstream.base);
    let dir = tempfile::tempdir().unwrap();
    support::baas(dir.path())
        .args(["introspect", &spec, "--yes"])
        .assert()
        .success();
    let (code, stdout, stderr) = check(dir.path(), &["--url", &spec]);
    assert_eq!(
        code, 0,
        "no drift while nothing changed:\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("No drift"), "{stderr}");
    // The document saved as a file is read the same way.
    let (_, _, document) = upstream.get("/api/_openapi.json");
    std::fs::write(dir.path().join("spec.json"), document.to_string()).unwrap();
    let (code, _, stderr) = check(dir.path(), &["--url", "spec.json"]);
    assert_eq!(code, 0, "{stderr}");

    // The upstream gains `tag.color`, loses `author.bio`, and is restarted
    // where it was.
    drop(upstream);
    write_example(upstream_dir.path(), |example| {
        let tag = example.entities.get_mut("tag").unwrap();
        let mut color = manifest::Field::new(manifest::FieldType::String);
        color.nullable = true;
        tag.fields.insert("color".to_owned(), color);
        let author = example.entities.get_mut("author").unwrap();
        assert!(author.fields.shift_remove("bio").is_some());
    });
    std::fs::remove_dir_all(upstream_dir.path().join(".baas")).unwrap();
    let _upstream = Served::start_on(port, upstream_dir.path(), &[], &[]);

    let (code, stdout, stderr) = check(dir.path(), &["--url", &spec, "--json"]);
    assert_eq!(code, 1, "drift is exit 1:\n{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["drift"], true, "{report}");
    let changes = report["changes"].as_array().unwrap();
    let has = |kind: &str, entity: &str, field: &str| {
        changes
            .iter()
            .any(|c| c["kind"] == kind && c["entity"] == entity && c["field"] == field)
    };
    let (tag, author) = entity_names(dir.path());
    assert!(has("add_field", &tag, "color"), "{report:#}");
    assert!(has("drop_field", &author, "bio"), "{report:#}");
    let dropped = changes.iter().find(|c| c["kind"] == "drop_field").unwrap();
    assert_eq!(dropped["safety"], "destructive", "{dropped}");
    // baas's per-field parameters take a filter grammar (`bio=eq.x`), so
    // they are not in an operation's `query`: no operation changed.
    assert!(
        !changes.iter().any(|c| c["kind"] == "alter_object"),
        "{report:#}"
    );
    // The table names the same changes.
    let (code, stdout, stderr) = check(dir.path(), &["--url", &spec]);
    assert_eq!(code, 1);
    assert!(stdout.contains(&format!("{tag}.color")), "{stdout}");
    assert!(stderr.contains("the upstream document"), "{stderr}");
    // Below `--fail-on destructive`? No: a dropped field is destructive.
    assert_eq!(
        check(dir.path(), &["--url", &spec, "--fail-on", "destructive"]).0,
        1
    );
    // An upstream that cannot be reached is exit 3.
    let closed = format!(
        "http://127.0.0.1:{}/api/_openapi.json",
        support::free_port()
    );
    assert_eq!(check(dir.path(), &["--url", &closed]).0, 3);
}

/// The imported names of the example's `tag` and `author` entities.
fn entity_names(dir: &Path) -> (String, String) {
    let manifest = manifest::load_file(&dir.join("baas.toml"))
        .unwrap()
        .manifest;
    let named = |table: &str| {
        manifest
            .api
            .as_ref()
            .unwrap()
            .operations
            .iter()
            .find(|op| op.path == format!("/api/{table}") && op.method == "GET")
            .and_then(|op| op.entity.clone())
            .unwrap()
    };
    (named("tag"), named("author"))
}

// ---------------------------------------------------------------------------
// Everything else works on the upstream store: rules, hooks, webhooks,
// realtime, expand, hot reload, the studio

/// A `baas serve --example` upstream and a `baas serve --upstream` of the
/// manifest imported from its document, `edit`ed first (the directory is
/// passed for hook files). `via` is where the served one calls (the
/// upstream itself, or a proxy in front of it).
struct Pair {
    upstream: Served,
    served: Served,
    dir: tempfile::TempDir,
    _upstream_dir: tempfile::TempDir,
}

fn pair(
    via: Option<&dyn Fn(&str) -> String>,
    edit: impl FnOnce(&mut Manifest, &Path),
    env: &[(&str, &str)],
) -> Pair {
    let upstream_dir = tempfile::tempdir().unwrap();
    let upstream = Served::start(upstream_dir.path(), &["--example"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("{}/api/_openapi.json", upstream.base);
    support::baas(dir.path())
        .args(["introspect", &spec, "--yes"])
        .assert()
        .success();
    let path = dir.path().join("baas.toml");
    let mut manifest = manifest::load_file(&path).unwrap().manifest;
    edit(&mut manifest, dir.path());
    std::fs::write(&path, manifest::to_toml(&manifest)).unwrap();
    let base = match via {
        Some(via) => via(&upstream.base),
        None => upstream.base.clone(),
    };
    let served = Served::start(dir.path(), &["--upstream", base.as_str()], env);
    Pair {
        upstream,
        served,
        dir,
        _upstream_dir: upstream_dir,
    }
}

#[test]
fn rules_narrow_lists_and_refuse_writes_on_an_upstream() {
    let pair = pair(
        None,
        |manifest, _| {
            let tag = manifest.entities.get_mut("tag").unwrap();
            tag.rules.list = Some("label != 'classic'".to_owned());
            tag.rules.view = Some("label != 'classic'".to_owned());
            tag.rules.create = Some("label != 'forbidden'".to_owned());
        },
        &[],
    );
    let (_, _, direct) = pair.upstream.get("/api/tag?limit=100");
    let labels = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|row| row["label"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(labels(&direct).contains(&"classic".to_owned()), "{direct}");
    let (status, _, body) = pair.served.get("/api/tag?limit=100");
    assert_eq!(status, 200, "{body}");
    let served = labels(&body);
    assert!(!served.contains(&"classic".to_owned()), "{body}");
    assert_eq!(served.len() + 1, labels(&direct).len(), "{body}");
    let hidden = direct["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["label"] == "classic")
        .unwrap()["id"]
        .clone();
    assert_eq!(pair.served.get(&format!("/api/tag/{hidden}")).0, 404);
    let (status, _, problem) =
        pair.served
            .send("POST", "/api/tag", Some(json!({"label": "forbidden"})));
    assert_eq!(status, 403, "{problem}");
    let (_, _, after) = pair.upstream.get("/api/tag?label=eq.forbidden");
    assert_eq!(
        after["data"],
        json!([]),
        "the refused write reached the upstream"
    );
}

/// An order by a JSON path (`metadata->>series`) orders by the value at
/// the path, not by the whole field: passed on to an upstream whose list
/// takes baas's `order`, and applied by baas to one whose list does not.
#[test]
fn a_json_path_orders_by_the_value_at_the_path_passed_on_or_locally() {
    let Pair {
        upstream,
        served,
        dir,
        _upstream_dir,
    } = pair(None, |_, _| {}, &[]);
    // The example's books: metadata {series, volume} (1), {awards} (2),
    // null (3, 5), {translator} (4); ordered as whole objects they would
    // come 4, 1, 2 (by their JSON text), which none of these orders gives.
    let orders = [
        ("metadata->volume.desc.nullslast,id", vec![1, 2, 3, 4, 5]),
        ("metadata->>series.nullsfirst,id", vec![2, 3, 4, 5, 1]),
        ("metadata->awards->0.desc.nullslast,id", vec![2, 1, 3, 4, 5]),
    ];
    let path = |order: &str| format!("/api/book?select=id&order={}", order.replace('>', "%3E"));
    for (order, expected) in &orders {
        let (status, _, direct) = upstream.get(&path(order));
        assert_eq!(status, 200, "{direct}");
        assert_eq!(&ids(&direct), expected, "the upstream itself, {order}");
        let (status, filtered, body) = served.get(&path(order));
        assert_eq!(status, 200, "{body}");
        assert_eq!(filtered, None, "{order} is passed on");
        assert_eq!(&ids(&body), expected, "passed on: {order}");
    }
    drop(served);
    let manifest_path = dir.path().join("baas.toml");
    let mut manifest = manifest::load_file(&manifest_path).unwrap().manifest;
    for operation in &mut manifest.api.as_mut().unwrap().operations {
        operation
            .query
            .retain(|name| name != "where" && name != "order");
    }
    std::fs::write(&manifest_path, manifest::to_toml(&manifest)).unwrap();
    let served = Served::start(dir.path(), &["--upstream", &upstream.base], &[]);
    for (order, expected) in &orders {
        let (status, filtered, body) = served.get(&path(order));
        assert_eq!(status, 200, "{body}");
        assert_eq!(filtered.as_deref(), Some("local; complete=true"));
        assert_eq!(&ids(&body), expected, "ordered by baas: {order}");
    }
}

#[test]
fn a_before_hook_changes_the_body_the_upstream_receives() {
    let pair = pair(
        None,
        |manifest, dir| {
            std::fs::create_dir_all(dir.join("hooks")).unwrap();
            std::fs::write(
                dir.join("hooks/tag.js"),
                "function hook(event) {\n  return { ...event.body, label: event.body.label.toUpperCase() };\n}\n",
            )
            .unwrap();
            manifest.hooks.push(manifest::Hook {
                on: "tag.create.before".to_owned(),
                run: "hooks/tag.js".to_owned(),
                timeout_ms: None,
                memory_mb: None,
            });
        },
        &[],
    );
    let (status, _, created) =
        pair.served
            .send("POST", "/api/tag", Some(json!({"label": "shouted"})));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["label"], "SHOUTED");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        pair.upstream.get(&format!("/api/tag/{id}")).2["label"],
        "SHOUTED",
        "the hook's body reached the upstream"
    );
}

/// Receives webhook posts on a local port; returns its URL and the bodies.
fn webhook_receiver() -> (String, std::sync::mpsc::Receiver<Value>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().route(
                "/hook",
                axum::routing::post(move |body: axum::body::Bytes| {
                    let sender = sender.clone();
                    async move {
                        let _ = sender.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
                        "ok"
                    }
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (url, received)
}

#[test]
fn webhooks_are_delivered_for_writes_made_through_an_upstream() {
    let (url, received) = webhook_receiver();
    let pair = pair(
        None,
        |manifest, _| {
            manifest.webhooks.push(manifest::Webhook {
                name: Some("tags".to_owned()),
                on: vec!["tag.create".to_owned(), "tag.delete".to_owned()],
                url: url.clone(),
                secret: Some("${HOOK_SECRET}".to_owned()),
                max_attempts: None,
                timeout_seconds: None,
            });
        },
        &[("HOOK_SECRET", "webhook-secret-for-the-upstream-test")],
    );
    let (status, _, created) =
        pair.served
            .send("POST", "/api/tag", Some(json!({"label": "hooked"})));
    assert_eq!(status, 201, "{created}");
    let event = received
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("no delivery:\n{}", pair.served.log()));
    assert_eq!(event["type"], "create", "{event}");
    assert_eq!(event["entity"], "tag", "{event}");
    assert_eq!(event["row"]["label"], "hooked", "{event}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        pair.served
            .send("DELETE", &format!("/api/tag/{id}"), None)
            .0,
        204
    );
    let event = received.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(event["type"], "delete", "{event}");
    assert_eq!(event["old"]["id"], id, "{event}");
    assert!(pair.dir.path().join(".baas/outbox.sqlite3").is_file());
    // `baas webhooks list` reads the same outbox.
    let output = support::baas(pair.dir.path())
        .args(["webhooks", "list", "--db", "sqlite://.baas/outbox.sqlite3"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(listed.contains("tag.create"), "{listed}");
    // And by default: the manifest is an upstream API's, so its outbox is
    // the file beside it, for list, retry and purge alike.
    // (The worker marks a delivery delivered once the receiver answered.)
    let started = Instant::now();
    loop {
        let output = support::baas(pair.dir.path())
            .args(["webhooks", "list", "--json"])
            .output()
            .unwrap();
        let listed: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!(
                "webhooks list without --db: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        if listed["counts"]["delivered"] == 2 || started.elapsed() > Duration::from_secs(10) {
            assert_eq!(listed["counts"]["delivered"], 2, "{listed}");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = support::baas(pair.dir.path())
        .args(["webhooks", "purge", "--json"])
        .output()
        .unwrap();
    let purged: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(purged["purged"], 2, "{purged}");
    // `[source] engine = "http"` with no outbox yet: said so, not another
    // database read instead.
    drop(pair.served);
    let manifest_path = pair.dir.path().join("baas.toml");
    let mut manifest = manifest::load_file(&manifest_path).unwrap().manifest;
    manifest.source.as_mut().unwrap().engine = manifest::SourceEngine::Http;
    std::fs::write(&manifest_path, manifest::to_toml(&manifest)).unwrap();
    std::fs::remove_file(pair.dir.path().join(".baas/outbox.sqlite3")).unwrap();
    let output = support::baas(pair.dir.path())
        .args(["webhooks", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("no webhook outbox at `.baas/outbox.sqlite3`"),
        "{stderr}"
    );
}

#[test]
fn realtime_subscribers_see_writes_made_through_an_upstream() {
    let pair = pair(None, |_, _| {}, &[]);
    let events = pair.served.realtime("subscribe=tag");
    let (status, _, created) = pair
        .served
        .send("POST", "/api/tag", Some(json!({"label": "live"})));
    assert_eq!(status, 201, "{created}");
    let started = Instant::now();
    loop {
        let data = events
            .recv_timeout(Duration::from_secs(10))
            .expect("no realtime event");
        let event: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
        if event["type"] == "create" {
            assert_eq!(event["entity"], "tag", "{event}");
            assert_eq!(event["row"]["label"], "live", "{event}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

/// A proxy in front of an upstream that logs every call (`GET /api/author/3`)
/// and answers a list-by-ids call (`?ids=1,2`) as a filter the baas
/// upstream understands (`?id=in.(1,2)`).
fn counting_proxy(upstream: &str) -> (String, Arc<Mutex<Vec<String>>>) {
    rewriting_proxy(upstream, |path_and_query| {
        match path_and_query.split_once("ids=") {
            Some((head, tail)) => {
                let (ids, rest) = tail.split_once('&').unwrap_or((tail, ""));
                let ids = ids.replace("%2C", ",");
                format!("{head}id=in.({ids})&{rest}")
            }
            None => path_and_query,
        }
    })
}

/// A [`pair`] whose upstream is reached through a [`counting_proxy`], and
/// the proxy's log of calls.
fn counted_pair(edit: impl FnOnce(&mut Manifest)) -> (Pair, Arc<Mutex<Vec<String>>>) {
    let proxy: std::cell::RefCell<Option<Arc<Mutex<Vec<String>>>>> = Default::default();
    let via = |base: &str| {
        let (url, calls) = counting_proxy(base);
        *proxy.borrow_mut() = Some(calls);
        url
    };
    let pair = pair(Some(&via), |manifest, _| edit(manifest), &[]);
    let calls = proxy.borrow().clone().unwrap();
    (pair, calls)
}

/// A proxy to `upstream` that logs each call and sends it on with its
/// path and query rewritten by `rewrite`.
fn rewriting_proxy(
    upstream: &str,
    rewrite: fn(String) -> String,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let calls: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.to_owned();
    let log = calls.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().fallback(
                move |method: axum::http::Method, uri: axum::http::Uri, body: axum::body::Bytes| {
                    let upstream = upstream.clone();
                    let log = log.clone();
                    async move {
                        let path_and_query = uri.path_and_query().unwrap().to_string();
                        log.lock()
                            .unwrap()
                            .push(format!("{method} {path_and_query}"));
                        let forwarded = rewrite(path_and_query);
                        let url = format!("{upstream}{forwarded}");
                        let (status, text) = tokio::task::spawn_blocking(move || {
                            let agent: ureq::Agent = ureq::Agent::config_builder()
                                .http_status_as_error(false)
                                .build()
                                .into();
                            let request = ureq::http::Request::builder()
                                .method(method.as_str())
                                .uri(&url)
                                .header("content-type", "application/json")
                                .body(body.to_vec())
                                .unwrap();
                            let mut response = agent.run(request).unwrap();
                            (
                                response.status().as_u16(),
                                response.body_mut().read_to_string().unwrap_or_default(),
                            )
                        })
                        .await
                        .unwrap();
                        (
                            axum::http::StatusCode::from_u16(status).unwrap(),
                            [(axum::http::header::CONTENT_TYPE, "application/json")],
                            text,
                        )
                    }
                },
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, calls)
}

use std::sync::{Arc, Mutex};

/// `book.author_id` refers to `author` (the document of a baas
/// upstream has no `$ref` for it), and the lists declare no `where`, so
/// baas cannot pass a key filter on.
fn books_by_author(manifest: &mut Manifest, ids_parameter: bool) {
    manifest
        .entities
        .get_mut("book")
        .unwrap()
        .relations
        .push(manifest::Relation {
            name: None,
            fields: vec!["author_id".to_owned()],
            references: manifest::RelationTarget {
                entity: "author".to_owned(),
                fields: vec!["id".to_owned()],
            },
            on_delete: manifest::ReferentialAction::NoAction,
            on_update: manifest::ReferentialAction::NoAction,
            deferrable: false,
            deferred: false,
            comment: None,
        });
    for operation in &mut manifest.api.as_mut().unwrap().operations {
        operation
            .query
            .retain(|name| name != "where" && name != "order");
        if ids_parameter && operation.path == "/api/author" && operation.method == "GET" {
            operation.query.push("ids".to_owned());
        }
    }
}

#[test]
fn expand_reads_related_upstream_rows_by_ids_or_by_bounded_gets() {
    let (pair, calls) = counted_pair(|manifest| books_by_author(manifest, false));
    let (_, _, direct) = pair.upstream.get("/api/book?limit=100");
    let mut authors: Vec<i64> = direct["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|book| book["author_id"].as_i64().unwrap())
        .collect();
    authors.sort_unstable();
    authors.dedup();
    assert!(authors.len() > 1, "{direct}");

    calls.lock().unwrap().clear();
    let (status, _, body) = pair.served.get("/api/book?limit=100&expand=author");
    assert_eq!(status, 200, "{body}");
    for book in body["data"].as_array().unwrap() {
        assert_eq!(book["author"]["id"], book["author_id"], "{book}");
    }
    let made = calls.lock().unwrap().clone();
    let gets = made
        .iter()
        .filter(|call| call.starts_with("GET /api/author/"))
        .count();
    assert_eq!(gets, authors.len(), "one get per author: {made:#?}");
    assert!(
        !made.iter().any(|call| call.starts_with("GET /api/author?")),
        "no list of every author: {made:#?}"
    );

    // With a list-by-ids parameter: one call for all the authors.
    drop(pair.served);
    let path = pair.dir.path().join("baas.toml");
    let mut manifest = manifest::load_file(&path).unwrap().manifest;
    books_by_author(&mut manifest, true);
    manifest.entities.get_mut("book").unwrap().relations.pop();
    std::fs::write(&path, manifest::to_toml(&manifest)).unwrap();
    let (proxied, calls) = counting_proxy(&pair.upstream.base);
    let served = Served::start(pair.dir.path(), &["--upstream", &proxied], &[]);
    let (status, _, again) = served.get("/api/book?limit=100&expand=author");
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"], body["data"]);
    let made = calls.lock().unwrap().clone();
    let author_calls: Vec<&String> = made
        .iter()
        .filter(|call| call.starts_with("GET /api/author"))
        .collect();
    assert_eq!(author_calls.len(), 1, "{made:#?}");
    assert!(author_calls[0].contains("ids="), "{made:#?}");
}

#[test]
fn the_manifest_reloads_and_the_studio_serves_an_upstream() {
    let pair = pair(None, |_, _| {}, &[]);
    let (_, _, before) = pair.served.get("/api/tag?limit=100");
    let count = before["data"].as_array().unwrap().len();
    // A rule added while serving hides a row without a restart.
    let path = pair.dir.path().join("baas.toml");
    let mut manifest = manifest::load_file(&path).unwrap().manifest;
    manifest.entities.get_mut("tag").unwrap().rules.list = Some("label != 'classic'".to_owned());
    std::fs::write(&path, manifest::to_toml(&manifest)).unwrap();
    let started = Instant::now();
    loop {
        let (status, _, body) = pair.served.get("/api/tag?limit=100");
        assert_eq!(status, 200, "{body}");
        if body["data"].as_array().unwrap().len() + 1 == count {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the reload was not seen:\n{}",
            pair.served.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let studio = Served::start_with_studio(pair.dir.path(), &["--upstream", &pair.upstream.base]);
    let mut page = ureq::get(&format!("{}/_studio/", studio.base))
        .call()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.body_mut().read_to_string().unwrap().contains("<html"));
    let (status, _, schema) = studio.get("/_studio/schema.json");
    assert_eq!(status, 200, "{schema}");
    assert!(schema.to_string().contains("tag"), "{schema}");
    let (status, _, rows) = studio.get("/api/tag?limit=5");
    assert_eq!(status, 200, "{rows}");
}

// ---------------------------------------------------------------------------
// Pass-through: a read baas has nothing to do to is the upstream's body

/// A list (baas's envelope) and a row, pretty-printed: kept byte for byte
/// only when baas passes them through (a parsed answer is compact).
const PRETTY_LIST: &str = "{\n  \"data\": [\n    { \"id\": 1, \"name\": \"a\" },\n    { \"id\": 2, \"name\": \"b\" }\n  ]\n}";
const PRETTY_ROW: &str = "{ \"id\": 1, \"name\": \"a\" }";

/// An upstream answering every list with [`PRETTY_LIST`] and `/pets/1`
/// with [`PRETTY_ROW`].
fn pretty_upstream() -> String {
    use axum::routing::get;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let json = || [(axum::http::header::CONTENT_TYPE, "application/json")];
            let app = axum::Router::new()
                .route("/pets", get(move || async move { (json(), PRETTY_LIST) }))
                .route(
                    "/pets/{id}",
                    get(
                        move |axum::extract::Path(id): axum::extract::Path<String>| async move {
                            match id.as_str() {
                                "1" => (axum::http::StatusCode::OK, json(), PRETTY_ROW),
                                _ => (axum::http::StatusCode::NOT_FOUND, json(), "{}"),
                            }
                        },
                    ),
                );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    base
}

/// Status, the header names and the body text, unparsed.
fn raw(base: &str, path: &str) -> (u16, Vec<String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(&format!("{base}{path}")).call().unwrap();
    let mut names: Vec<String> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "content-length" | "x-request-id"))
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
        .collect();
    names.sort();
    let text = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), names, text)
}

fn pretty_manifest(rule: Option<&str>) -> String {
    let mut text = concat!(
        http_source!(),
        r#"
[entities.pet]
table = "pet"
primary_key = ["id"]

[entities.pet.fields]
id = { type = "int64" }
name = { type = "string" }
"#
    )
    .to_owned();
    if let Some(rule) = rule {
        text.push_str(&format!(
            "\n[entities.pet.rules]\nlist = \"{rule}\"\nview = \"{rule}\"\n"
        ));
    }
    text.push_str(
        r#"
[[api.operations]]
method = "GET"
path = "/pets"
entity = "pet"
action = "list"
pagination = { style = "offset", limit = "limit", offset = "offset" }
rows = "data"

[[api.operations]]
method = "GET"
path = "/pets/{id}"
entity = "pet"
action = "get"
"#,
    );
    text
}

#[test]
fn a_plain_read_is_the_upstream_body_byte_for_byte_and_a_rule_turns_that_off() {
    let base = pretty_upstream();
    let env = [("UPSTREAM_URL", base.as_str())];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), pretty_manifest(None)).unwrap();
    let served = Served::start(dir.path(), &[], &env);
    let (status, list_headers, list) = raw(&served.base, "/api/pet?limit=2");
    assert_eq!(status, 200, "{list}");
    assert_eq!(list, PRETTY_LIST, "a plain list is the upstream's body");
    let (status, row_headers, row) = raw(&served.base, "/api/pet/1");
    assert_eq!(status, 200, "{row}");
    assert_eq!(row, PRETTY_ROW, "a plain get is the upstream's body");
    assert_eq!(raw(&served.base, "/api/pet/2").0, 404);
    // A projection is baas's work: the rows are parsed, and the response
    // carries the same headers as a body passed through.
    let (status, headers, selected) = raw(&served.base, "/api/pet?select=name&limit=2");
    assert_eq!(status, 200, "{selected}");
    assert_eq!(selected, r#"{"data":[{"name":"a"},{"name":"b"}]}"#);
    assert_eq!(headers, list_headers);
    assert_eq!(headers, row_headers);
    assert!(
        headers.contains(&"content-type: application/json".to_owned()),
        "{headers:?}"
    );
    drop(served);

    // A rule with a row condition: baas filters, nothing is passed through.
    std::fs::write(
        dir.path().join("baas.toml"),
        pretty_manifest(Some("name != 'a'")),
    )
    .unwrap();
    let served = Served::start(dir.path(), &[], &env);
    let (status, _, list) = raw(&served.base, "/api/pet?limit=2");
    assert_eq!(status, 200, "{list}");
    assert_eq!(list, r#"{"data":[{"id":2,"name":"b"}]}"#);
    assert_eq!(raw(&served.base, "/api/pet/1").0, 404);
}

/// An offset-paged upstream that gives at most 10 rows whatever limit it is
/// asked for: baas asks again from the rows it received, and stops at the
/// first page smaller than the cap, so a local filter sees every row.
#[test]
fn an_upstream_that_caps_its_pages_is_read_to_its_last_row() {
    let proxy: std::cell::RefCell<Option<Arc<Mutex<Vec<String>>>>> = Default::default();
    let via = |base: &str| {
        let (url, calls) = rewriting_proxy(base, |path_and_query| {
            let (path, query) = path_and_query
                .split_once('?')
                .unwrap_or((&path_and_query, ""));
            let capped: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("limit", limit)) if limit.parse::<u64>().unwrap() > 10 => {
                        "limit=10".to_owned()
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", capped.join("&"))
        });
        *proxy.borrow_mut() = Some(calls);
        url
    };
    let pair = pair(
        Some(&via),
        |manifest, _| books_by_author(manifest, false),
        &[],
    );
    let calls = proxy.borrow().clone().unwrap();
    // 25 books in all: pages of 10, 10 and 5.
    for n in 0..20 {
        let (status, _, body) = pair.upstream.send(
            "POST",
            "/api/book",
            Some(
                json!({"title": format!("Extra {n}"), "isbn": format!("isbn-{n}"), "author_id": 1}),
            ),
        );
        assert_eq!(status, 201, "{body}");
    }
    let (_, _, direct) = pair.upstream.get("/api/book?limit=100&order=id.asc");
    let every: Vec<i64> = ids(&direct);
    assert_eq!(every.len(), 25, "{direct}");

    calls.lock().unwrap().clear();
    // `gt` is no equality: baas filters every upstream page itself.
    let (status, filtered, body) = pair.served.get("/api/book?id=gt.0&order=id.asc&limit=100");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(ids(&body), every);
    let made = calls.lock().unwrap().clone();
    let offsets: Vec<&str> = made
        .iter()
        .filter_map(|call| call.split("offset=").nth(1))
        .map(|rest| rest.split('&').next().unwrap())
        .collect();
    assert_eq!(offsets, ["0", "10", "20"], "{made:#?}");
}

/// A small REST API in Python that gives at most 20 rows a call (10 on
/// `/tiny` and `/linked`) whatever it is asked for, with no sign that more
/// follow but a next cursor or link, and writes each call's path and query
/// to the file named first. `/items`, `/tiny` and `/sheets` answer arrays
/// paged by offset or page number; `/cursored` answers `{"data": [..],
/// "next": cursor}` (the cursor is the last id, `null` after the last row);
/// `/linked` and `/away` answer arrays with a `Link: <..>; rel="next"`
/// header, `/away`'s on another origin (`localhost` for `127.0.0.1`).
const CAPPING_UPSTREAM: &str = r#"
import json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs

ROWS = [{"id": n, "name": f"item {n}", "kind": "a" if n % 2 else "b"} for n in range(1, 46)]
CAPS = {"/items": 20, "/tiny": 10, "/sheets": 20, "/cursored": 20, "/linked": 10, "/away": 20}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        cap = CAPS[url.path]
        rows = [row for row in ROWS if query.get("kind", row["kind"]) == row["kind"]]
        asked = int(query.get("limit", query.get("per_page", cap)))
        size = min(asked, cap)
        if "page" in query:
            start = (int(query["page"]) - 1) * size
        elif "cursor" in query:
            start = next(n for n, row in enumerate(rows) if str(row["id"]) == query["cursor"]) + 1
        else:
            start = int(query.get("offset", query.get("start", 0)))
        page = rows[start:start + size]
        more = start + size < len(rows)
        headers = {}
        if url.path == "/cursored":
            body = {"data": page, "next": str(page[-1]["id"]) if more and page else None}
        else:
            body = page
        if url.path in ("/linked", "/away") and more:
            host = self.headers["Host"]
            if url.path == "/away":
                host = host.replace("127.0.0.1", "localhost")
            headers["Link"] = f'<http://{host}{url.path}?limit={asked}&start={start + size}>; rel="next"'
        body = json.dumps(body).encode()
        with open(sys.argv[1], "a") as log:
            log.write(self.path + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A list passed on whole to an upstream that caps its pages (asked 100,
/// gives 20) is read on from the rows received until it is full or the
/// upstream's rows end; when `max_pages` runs out first the answer says so,
/// and a page-paged list past its first page is read by baas itself.
#[test]
fn a_list_passed_on_to_an_upstream_that_caps_its_pages_is_never_silently_short() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("upstream.py");
    let calls = dir.path().join("calls.log");
    std::fs::write(&script, CAPPING_UPSTREAM).unwrap();
    let upstream = support::Spawned::start(Command::new("python3").arg(&script).arg(&calls));
    let base = format!("http://127.0.0.1:{}", upstream.line);

    let mut text = concat!(http_source!(), "\n[api]\n\n[api.upstream]\nmax_pages = 3\n").to_owned();
    let link = r#"{ style = "link", limit = "limit" }"#;
    for (entity, path, pagination) in [
        (
            "item",
            "/items",
            r#"{ style = "offset", limit = "limit", offset = "offset" }"#,
        ),
        (
            "tiny",
            "/tiny",
            r#"{ style = "offset", limit = "limit", offset = "offset" }"#,
        ),
        (
            "sheet",
            "/sheets",
            r#"{ style = "page", limit = "per_page", page = "page" }"#,
        ),
        (
            "cursored",
            "/cursored",
            r#"{ style = "cursor", limit = "limit", cursor = "cursor", next = "/next" }
rows = "data""#,
        ),
        ("linked", "/linked", link),
        ("away", "/away", link),
    ] {
        text.push_str(&format!(
            "\n[[api.operations]]\nmethod = \"GET\"\npath = \"{path}\"\nentity = \"{entity}\"\naction = \"list\"\nquery = [\"kind\"]\npagination = {pagination}\n"
        ));
    }
    for entity in ["item", "tiny", "sheet", "cursored", "linked", "away"] {
        text.push_str(&format!(
            "\n[entities.{entity}]\ntable = \"{entity}\"\nprimary_key = [\"id\"]\n\n[entities.{entity}.fields]\nid = {{ type = \"int64\" }}\nname = {{ type = \"string\" }}\nkind = {{ type = \"string\" }}\n"
        ));
    }
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    let served = Served::start(dir.path(), &[], &[("UPSTREAM_URL", base.as_str())]);
    let made = || {
        let text = std::fs::read_to_string(&calls).unwrap_or_default();
        std::fs::remove_file(&calls).ok();
        text.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let range = |from: i64, to: i64| (from..=to).collect::<Vec<_>>();

    // Asked 100, given 20, 20 and 5: every row, one call per page, no header.
    let (status, filtered, body) = served.get("/api/item?limit=100");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered, None);
    assert_eq!(ids(&body), range(1, 45));
    assert_eq!(
        made(),
        [
            "/items?limit=100&offset=0",
            "/items?limit=100&offset=20",
            "/items?limit=100&offset=40"
        ]
    );
    // An offset, an equality passed on, and a limit the rows fill.
    let (_, filtered, body) = served.get("/api/item?limit=30&offset=10");
    assert_eq!((filtered, ids(&body)), (None, range(11, 40)));
    let (_, filtered, body) = served.get("/api/item?kind=eq.b&limit=100");
    let even: Vec<i64> = (1..=22).map(|n| n * 2).collect();
    assert_eq!((filtered, ids(&body)), (None, even));
    made();
    // Pages of 10 run out of `max_pages` (3) first: the answer says so.
    let (status, filtered, body) = served.get("/api/tiny?limit=100");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("upstream; complete=false"));
    assert_eq!(ids(&body), range(1, 30));
    assert_eq!(made().len(), 3);
    // Pages by number: the next pages keep the size asked.
    let (_, filtered, body) = served.get("/api/sheet?limit=100");
    assert_eq!((filtered, ids(&body)), (None, range(1, 45)));
    assert_eq!(
        made(),
        [
            "/sheets?per_page=100&page=1",
            "/sheets?per_page=100&page=2",
            "/sheets?per_page=100&page=3"
        ]
    );
    // Page 2 of 30 came back as the upstream's page 2 of 20 (rows 21-40):
    // baas reads the pages itself and answers rows 31-45.
    let (status, filtered, body) = served.get("/api/sheet?limit=30&offset=30");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(ids(&body), range(31, 45));
    made();

    // An order the upstream does not take is baas's, and the equality on a
    // declared parameter still goes upstream: the 22 rows of kind b come
    // in pages of 10 within `max_pages` (3), where all 45 rows would not.
    let (status, filtered, body) =
        served.get("/api/tiny?kind=eq.b&id=gt.2&order=id.desc&limit=100");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    let even_down: Vec<i64> = (2..=22).rev().map(|n| n * 2).collect();
    assert_eq!(ids(&body), even_down);
    assert_eq!(
        made(),
        [
            "/tiny?kind=b&limit=100&offset=0",
            "/tiny?kind=b&limit=100&offset=10",
            "/tiny?kind=b&limit=100&offset=20"
        ]
    );

    // A cursor-paged upstream is followed cursor after cursor until the
    // page is full or the cursors end: asked 100, given 20, 20 and 5.
    let (status, filtered, body) = served.get("/api/cursored?limit=100");
    assert_eq!(status, 200, "{body}");
    assert_eq!((filtered, ids(&body)), (None, range(1, 45)));
    assert_eq!(
        made(),
        [
            "/cursored?limit=100",
            "/cursored?limit=100&cursor=20",
            "/cursored?limit=100&cursor=40"
        ]
    );
    let (_, filtered, body) = served.get("/api/cursored?limit=30&kind=eq.a");
    let odd: Vec<i64> = (0..23).map(|n| n * 2 + 1).collect();
    assert_eq!((filtered, ids(&body)), (None, odd));
    made();
    // A link-paged one follows its `next` links: pages of 10 run out of
    // `max_pages` (3) first, and the answer says so.
    let (status, filtered, body) = served.get("/api/linked?limit=25");
    assert_eq!(status, 200, "{body}");
    assert_eq!((filtered, ids(&body)), (None, range(1, 25)));
    assert_eq!(made().len(), 3);
    let (_, filtered, body) = served.get("/api/linked?limit=100");
    assert_eq!(filtered.as_deref(), Some("upstream; complete=false"));
    assert_eq!(ids(&body), range(1, 30));
    assert_eq!(made().len(), 3);
    // A `next` link to another origin is not followed: the rows read are
    // answered, incomplete.
    let (_, filtered, body) = served.get("/api/away?limit=100");
    assert_eq!(filtered.as_deref(), Some("upstream; complete=false"));
    assert_eq!(ids(&body), range(1, 20));
    assert_eq!(made(), ["/away?limit=100"]);

    // A count over pages that ran out before the rows did is of the rows
    // read: the header says it is partial.
    let (_, filtered, body) = served.get("/api/tiny?id=gt.0&count=exact&limit=5");
    assert_eq!(
        filtered.as_deref(),
        Some("local; complete=false; count=partial")
    );
    assert_eq!((ids(&body), &body["count"]), (range(1, 5), &json!(30)));
    let (_, filtered, body) = served.get("/api/item?id=gt.0&count=exact&limit=5");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(body["count"], 45, "{body}");
}

/// A rule comparing two fields of a row (`id != author_id`) is no `where`
/// an upstream takes, so baas filters the list itself; the client's own
/// filter still goes upstream with the call, and only those rows are read.
#[test]
fn a_list_filtered_locally_still_passes_on_what_the_upstream_takes() {
    let (pair, calls) = counted_pair(|manifest| {
        let book = manifest.entities.get_mut("book").unwrap();
        book.rules.list = Some("id != author_id".to_owned());
    });
    calls.lock().unwrap().clear();
    // Author 1 wrote books 1 and 2; book 1's id is its author's.
    let (status, filtered, body) = pair.served.get("/api/book?author_id=eq.1");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(ids(&body), [2]);
    let made = calls.lock().unwrap().clone();
    assert_eq!(made.len(), 1, "{made:#?}");
    let query = made[0].split_once('?').map_or("", |(_, query)| query);
    let passed: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(name, _)| name == "where")
        .collect();
    let expected = json!({"and": [{"author_id": {"eq": 1}}]}).to_string();
    assert_eq!(passed, [("where".to_owned(), expected)], "{made:#?}");
}
