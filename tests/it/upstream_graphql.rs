//! GraphQL upstreams: what the SDL import (and the introspection of a live
//! endpoint) keeps for serving (per entity the query and mutation fields,
//! their arguments, paging and filters), and `baas serve` in front of a
//! real GraphQL server (graphql-yoga, tests/graphql/server.cjs): reads,
//! filters passed on and applied locally, paging over Relay cursors and
//! offsets, orders and counts passed on, composite keys, writes, and
//! upstream failures as problems.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baas::introspect::IntrospectOptions;
use baas::manifest::{
    self, GraphqlOperationType, GraphqlOrderStyle, Manifest, OperationAction, PaginationStyle,
};
use baas::parse::SourceFile;
use serde_json::{Value, json};

use crate::support;
use crate::upstream::Served;

fn app_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graphql")
}

fn import_sdl(path: &Path) -> baas::introspect::Introspection {
    import_sdl_text(path, std::fs::read_to_string(path).unwrap())
}

fn import_sdl_text(path: &Path, text: String) -> baas::introspect::Introspection {
    let file = SourceFile {
        path: path.to_owned(),
        text: Arc::new(text),
    };
    baas::parse::graphql::parse(&file, &IntrospectOptions::default()).unwrap_or_else(|d| {
        panic!(
            "{} should import:\n{}",
            path.display(),
            baas::diagnostics::render_problems(&d, false)
        )
    })
}

/// The `[api]` part of the manifest's TOML: the operations as written.
fn api_text(manifest: &Manifest) -> String {
    let text = manifest::to_toml(manifest);
    let start = text.find("\n[api]").expect("an [api] section");
    text[start..].trim_start().to_owned()
}

#[test]
fn the_sdl_import_keeps_list_get_and_mutation_fields_per_entity() {
    let introspection = import_sdl(&app_dir().join("schema.graphql"));
    let manifest = &introspection.manifest;
    support::assert_valid_and_round_trips(manifest);
    insta::assert_snapshot!("graphql_app_operations", api_text(manifest));
    let operations = &manifest.api.as_ref().unwrap().operations;
    let find = |entity: &str, action: OperationAction| {
        operations
            .iter()
            .find(|op| op.entity.as_deref() == Some(entity) && op.action == Some(action))
            .unwrap_or_else(|| panic!("no {action} of {entity}"))
    };
    // Books: a Relay connection with a filter input object.
    let books = find("Book", OperationAction::List);
    let graphql = books.graphql.as_ref().unwrap();
    assert!(graphql.connection);
    assert_eq!(graphql.filter.as_deref(), Some("where"));
    assert_eq!(books.query, ["genre", "authorId"]);
    let pagination = books.pagination.as_ref().unwrap();
    assert_eq!(pagination.style, PaginationStyle::Cursor);
    assert_eq!(
        (pagination.limit.as_deref(), pagination.cursor.as_deref()),
        (Some("first"), Some("after"))
    );
    // Authors: a plain list paged by limit/offset, filtered by an argument.
    let authors = find("Author", OperationAction::List);
    assert_eq!(authors.query, ["name"]);
    assert_eq!(
        authors.pagination.as_ref().unwrap().style,
        PaginationStyle::Offset
    );
    let create = find("Book", OperationAction::Create)
        .graphql
        .as_ref()
        .unwrap();
    assert_eq!(create.operation, GraphqlOperationType::Mutation);
    assert_eq!(create.input.as_deref(), Some("input"));
    assert_eq!(create.input_fields, ["title", "genre", "price", "authorId"]);
    let delete = find("Book", OperationAction::Delete)
        .graphql
        .as_ref()
        .unwrap();
    assert_eq!(
        (delete.key.as_slice(), delete.returns.as_str()),
        (&["id".to_owned()][..], "Boolean!")
    );
    // The upstream assigns keys: the create inputs take none.
    for name in ["Book", "Author"] {
        assert!(manifest.entities[name].fields["id"].optional, "{name}");
    }
    // Orders and counts: an input object and a connection's totalCount
    // (books), a Hasura-style list and an aggregate field (memberships),
    // none (authors).
    let order = books.graphql.as_ref().unwrap().order.as_ref().unwrap();
    assert_eq!(
        (order.argument.as_str(), order.style, order.list),
        ("orderBy", GraphqlOrderStyle::Input, false)
    );
    assert_eq!(order.fields, ["id", "title", "price"]);
    assert_eq!(
        (order.asc.as_deref(), order.desc.as_deref()),
        (Some("ASC"), Some("DESC"))
    );
    assert_eq!(
        books.graphql.as_ref().unwrap().count.as_deref(),
        Some("totalCount")
    );
    let authors = authors.graphql.as_ref().unwrap();
    assert_eq!((&authors.order, &authors.count), (&None, &None));
    let memberships = find("Membership", OperationAction::List)
        .graphql
        .as_ref()
        .unwrap();
    let order = memberships.order.as_ref().unwrap();
    assert_eq!(
        (order.argument.as_str(), order.style, order.list),
        ("order_by", GraphqlOrderStyle::Input, true)
    );
    assert_eq!(
        (order.asc.as_deref(), order.desc.as_deref()),
        (Some("asc"), Some("desc"))
    );
    assert_eq!(
        (
            memberships.count_field.as_deref(),
            memberships.count.as_deref()
        ),
        (Some("membershipsAggregate"), Some("aggregate.count"))
    );
    assert!(!manifest.entities.contains_key("MembershipAggregate"));
    // A get by two arguments: a composite key, used by update and delete.
    assert_eq!(
        manifest.entities["Membership"].primary_key,
        ["userId", "groupId"]
    );
    for action in [
        OperationAction::Get,
        OperationAction::Update,
        OperationAction::Delete,
    ] {
        let graphql = find("Membership", action).graphql.as_ref().unwrap();
        assert_eq!(graphql.key, ["userId", "groupId"], "{action}");
    }
}

/// The shapes of an order argument the import recognises, and the ones it
/// leaves to baas.
#[test]
fn order_arguments_are_recognised_in_their_common_shapes() {
    let sdl = |argument: &str, extra: &str| {
        format!(
            "type Book {{ id: ID! title: String! price: Float author: Author }}\n\
             type Author {{ id: ID! name: String! }}\n{extra}\n\
             type Query {{ books({argument}): [Book!]! book(id: ID!): Book }}\n"
        )
    };
    let order_of = |argument: &str, extra: &str| {
        let introspection = import_sdl_text(Path::new("shapes.graphql"), sdl(argument, extra));
        let operations = introspection.manifest.api.unwrap().operations;
        let list = operations
            .into_iter()
            .find(|op| {
                op.entity.as_deref() == Some("Book") && op.action == Some(OperationAction::List)
            })
            .unwrap();
        list.graphql.unwrap().order
    };
    // `sort: "-title"`: every field of the book's own (not `author_id`,
    // read through `author.id`).
    let order = order_of("sort: String", "").unwrap();
    assert_eq!(
        (order.style, order.list),
        (GraphqlOrderStyle::String, false)
    );
    assert_eq!(order.fields, ["id", "title", "price"]);
    // PostGraphile's enum, in a list.
    let order = order_of(
        "orderBy: [BooksOrderBy!]",
        "enum BooksOrderBy { NATURAL ID_ASC ID_DESC TITLE_ASC TITLE_DESC PRICE_ASC }",
    )
    .unwrap();
    assert_eq!((order.style, order.list), (GraphqlOrderStyle::Enum, true));
    assert_eq!(order.fields, ["id", "title"], "PRICE has no _DESC");
    assert_eq!(order.enum_value("title", true), "TITLE_DESC");
    // Hasura's `order_by: [books_order_by!]` of `asc`/`desc` and more.
    let order = order_of(
        "order_by: [books_order_by!]",
        "enum order_by { asc asc_nulls_first desc desc_nulls_last }\n\
         input books_order_by { title: order_by price: order_by author: Author_order_by }\n\
         input Author_order_by { name: order_by }",
    )
    .unwrap();
    assert_eq!((order.style, order.list), (GraphqlOrderStyle::Input, true));
    assert_eq!(order.fields, ["title", "price"]);
    assert_eq!(
        (order.asc.as_deref(), order.desc.as_deref()),
        (Some("asc"), Some("desc"))
    );
    // Hasura's and PostGraphile's directions that place nulls.
    assert_eq!(
        order.nulls.0,
        [
            Some("asc_nulls_first".to_owned()),
            None,
            None,
            Some("desc_nulls_last".to_owned())
        ]
    );
    let order = order_of(
        "orderBy: [BooksOrderBy!]",
        "enum BooksOrderBy { ID_ASC ID_DESC TITLE_ASC TITLE_DESC TITLE_ASC_NULLS_FIRST \
         TITLE_ASC_NULLS_LAST TITLE_DESC_NULLS_FIRST TITLE_DESC_NULLS_LAST \
         ID_ASC_NULLS_FIRST }",
    )
    .unwrap();
    assert_eq!(order.fields, ["id", "title"]);
    assert_eq!(
        order.nulls.0,
        [Some("ASC_NULLS_FIRST".to_owned()), None, None, None],
        "only what every field has"
    );
    // GitHub's `{field: TITLE, direction: ASC}`: the field enum's values
    // that name fields of the book (`PRICE_IN_CENTS` names none).
    let order = order_of(
        "orderBy: BookOrder",
        "enum Direction { ASC DESC } enum BookOrderField { TITLE PRICE_IN_CENTS }\n\
         input BookOrder { field: BookOrderField! direction: Direction! }",
    )
    .unwrap();
    let field_shape = |order: &manifest::GraphqlOrder| {
        assert_eq!(order.style, GraphqlOrderStyle::Field);
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        (
            order.list,
            order.fields.join(","),
            text(&order.by),
            text(&order.direction),
        )
    };
    assert_eq!(
        field_shape(&order),
        (false, "title".into(), "field".into(), "direction".into())
    );
    assert_eq!(order.values.get("title").map(String::as_str), Some("TITLE"));
    let order = order_of(
        "sort: [BookSort!]",
        "enum Direction { asc desc } enum BookSortField { title price }\n\
         input BookSort { by: BookSortField! order: Direction }",
    )
    .unwrap();
    assert_eq!(
        field_shape(&order),
        (true, "title,price".into(), "by".into(), "order".into())
    );
    assert_eq!(
        order_of(
            "orderBy: BookOrder",
            "enum Direction { ASC DESC } enum BookOrderField { STARS }\n\
             input BookOrder { field: BookOrderField! direction: Direction! }",
        ),
        None
    );
    assert_eq!(order_of("first: Int", ""), None);
}

#[test]
fn a_reference_without_its_own_key_field_is_read_through_a_path() {
    let introspection = import_sdl(&support::corpus_file("graphql/swapi.schema.graphql"));
    let operations = &introspection.manifest.api.as_ref().unwrap().operations;
    let person = operations
        .iter()
        .find(|op| {
            op.entity.as_deref() == Some("Person") && op.action == Some(OperationAction::Get)
        })
        .expect("a get of Person");
    let graphql = person.graphql.as_ref().unwrap();
    assert_eq!(graphql.field, "person");
    assert_eq!(graphql.key, ["id"]);
    assert_eq!(
        graphql.paths.get("homeworld_id").map(String::as_str),
        Some("homeworld.id")
    );
    let films = operations
        .iter()
        .find(|op| op.entity.as_deref() == Some("Film") && op.action == Some(OperationAction::List))
        .expect("a list of Film");
    assert!(films.graphql.as_ref().unwrap().connection);
}

const OPERATION: &str = r#"[manifest]
format = 1
version = 1

[source]
engine = "graphql"

[entities.Book]
table = "Book"
primary_key = ["id"]

[entities.Book.fields]
id = { type = "string" }

[[api.operations]]
method = "POST"
path = "/graphql"
entity = "Book"
action = "get"

[api.operations.graphql]
operation = "query"
field = "book"
arguments = { id = "ID!" }
returns = "Book"
key = "id"
"#;

#[test]
fn bad_graphql_operation_keys_are_reported_at_their_line_and_column() {
    manifest::load_str(Path::new("baas.toml"), OPERATION.to_owned()).unwrap();
    for (from, to, expected) in [
        (
            r#"key = "id""#,
            r#"key = "ident""#,
            "not one of the field's `arguments`",
        ),
        (
            r#"operation = "query""#,
            r#"operation = "subscription""#,
            "`subscription`",
        ),
        ("returns = \"Book\"\n", "", "has no `returns`"),
        (
            r#"field = "book""#,
            "field = \"book\"\nselect = \"id\"",
            "unknown key `select`",
        ),
        (
            r#"arguments = { id = "ID!" }"#,
            r#"arguments = { id = 1 }"#,
            "string",
        ),
        (
            r#"key = "id""#,
            r#"key = ["id", "groupId"]"#,
            "`key = \"groupId\"` is not one of the field's `arguments`",
        ),
        (
            r#"key = "id""#,
            "key = \"id\"\norder = { argument = \"sort\", style = \"input\", fields = [\"id\"] }",
            "`order = \"sort\"` is not one of the field's `arguments`",
        ),
        (
            r#"key = "id""#,
            "key = \"id\"\norder = { argument = \"id\", style = \"sideways\", fields = [] }",
            "`sideways`",
        ),
        (
            r#"key = "id""#,
            "key = \"id\"\norder = { argument = \"id\", style = \"field\", fields = [\"id\"], \
             values = {}, by = \"field\", direction = \"direction\" }",
            "names each of its `fields` by an enum value in `values`; `id` has none",
        ),
        (
            r#"key = "id""#,
            "key = \"id\"\norder = { argument = \"id\", style = \"field\", fields = [] }",
            "`by`",
        ),
        (
            r#"key = "id""#,
            "key = \"id\"\noperators = { eq = \"_eq\", equals = \"_eq\" }",
            "`equals` is not a filter operator a comparison object takes",
        ),
    ] {
        assert!(OPERATION.contains(from), "{from}");
        let text = OPERATION.replacen(from, to, 1);
        let diagnostics = match manifest::load_str(Path::new("baas.toml"), text) {
            Ok(_) => panic!("`{to}` should be refused"),
            Err(diagnostics) => diagnostics,
        };
        let rendered = baas::diagnostics::render_problems(&diagnostics, false);
        assert!(rendered.contains(expected), "{to}: {rendered}");
        assert!(
            diagnostics.problems.iter().all(|p| p.span.is_some()),
            "{to}: {rendered}"
        );
        assert!(
            rendered.contains("baas.toml:"),
            "{to}: no position in {rendered}"
        );
    }
}

// ---------------------------------------------------------------------------
// A real GraphQL server

/// tests/graphql/server.cjs on a free port, killed on drop.
struct GraphqlServer {
    _process: support::Spawned,
    base: String,
}

impl GraphqlServer {
    fn start(modules: &Path) -> Self {
        let port = support::free_port();
        let process = support::Spawned::start(
            Command::new("node")
                .arg(app_dir().join("server.cjs"))
                .env("PORT", port.to_string())
                .env("NODE_PATH", modules)
                .stderr(Stdio::inherit()),
        );
        assert!(
            process.line.starts_with("listening"),
            "the server said: {}",
            process.line
        );
        Self {
            _process: process,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {body}"))
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

fn range(numbers: impl IntoIterator<Item = u32>) -> Vec<String> {
    numbers.into_iter().map(|n| n.to_string()).collect()
}

/// `[api.upstream]` settings written into the manifest at `path`.
fn set_upstream(path: &Path, upstream: manifest::Upstream) {
    let mut manifest = manifest::load_file(path).unwrap().manifest;
    manifest.api.as_mut().unwrap().upstream = Some(upstream);
    std::fs::write(path, manifest::to_toml(&manifest)).unwrap();
}

#[test]
fn a_graphql_server_is_introspected_read_written_and_filtered_through_baas() {
    let Some(modules) = crate::postgrest::node_modules() else {
        return;
    };
    let upstream = GraphqlServer::start(modules);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("{}/graphql", upstream.base);
    support::baas(dir.path())
        .args(["introspect", &endpoint, "--yes"])
        .assert()
        .success();
    let manifest_path = dir.path().join("baas.toml");
    let live = manifest::load_file(&manifest_path).unwrap().manifest;
    // The live schema maps as its SDL file does; the endpoint is kept.
    let file = import_sdl(&app_dir().join("schema.graphql")).manifest;
    let api = live.api.as_ref().unwrap();
    assert_eq!(api.base_url.as_deref(), Some(upstream.base.as_str()));
    assert_eq!(api.operations, file.api.as_ref().unwrap().operations);
    assert_eq!(live.entities, file.entities);

    // No drift against the endpoint; a field whose signature changed is.
    support::baas(dir.path())
        .args(["check", "--url", &endpoint])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let drifted = text.replacen(r#"returns = "Book!""#, r#"returns = "BookPayload!""#, 1);
    assert_ne!(text, drifted);
    std::fs::write(&manifest_path, &drifted).unwrap();
    let output = support::baas(dir.path())
        .args(["check", "--url", &endpoint])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("mutation createBook"), "{stdout}");
    std::fs::write(&manifest_path, &text).unwrap();

    let served = Served::start(dir.path(), &[], &[]);
    // Reads passed on: the first page, one row, no row.
    let (status, filtered, body) = served.get("/api/Book?limit=3");
    assert_eq!((status, filtered), (200, None), "{body}");
    assert_eq!(ids(&body), range(1..=3));
    let (status, _, row) = served.get("/api/Book/4");
    assert_eq!(status, 200, "{row}");
    assert_eq!(
        row,
        json!({"id": "4", "title": "Book 4", "genre": "SCIENCE", "price": 6.0, "authorId": "2"})
    );
    assert_eq!(served.get("/api/Book/999").0, 404);
    // A page across the connection's 10-row pages (cursor after cursor),
    // and a filter it takes.
    let (status, filtered, body) = served.get("/api/Book?limit=12&offset=9");
    assert_eq!((status, filtered), (200, None), "{body}");
    assert_eq!(ids(&body), range(10..=21));
    let (status, filtered, body) = served.get("/api/Book?genre=eq.SCIENCE&limit=12&offset=1");
    assert_eq!((status, filtered), (200, None), "{body}");
    assert_eq!(ids(&body), range((4..=25).step_by(3)));
    let (_, filtered, body) = served.get("/api/Author?name=eq.Carl");
    assert_eq!(filtered, None);
    assert_eq!(ids(&body), ["2"]);
    let (_, _, body) = served.get("/api/Author?limit=2&offset=1");
    assert_eq!(ids(&body), ["2", "3"]);
    // What the upstream cannot take is applied by baas over every page.
    let (status, filtered, body) =
        served.get("/api/Book?order=price.desc&limit=2&count=exact&price=gt.3");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(ids(&body), ["25", "24"]);
    assert_eq!(body["count"], 23);
    let (_, _, body) = served.get("/api/Book?expand=author&id=eq.5");
    assert_eq!(body["data"][0]["author"]["name"], "Mary", "{body}");

    // Writes: an input object (books), arguments of their own (authors).
    let (status, _, created) = served.send(
        "POST",
        "/api/Book",
        Some(json!({"title": "New", "genre": "FICTION", "price": 2.5, "authorId": "1"})),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(served.get(&format!("/api/Book/{id}")).2["title"], "New");
    let (status, _, changed) = served.send(
        "PATCH",
        &format!("/api/Book/{id}"),
        Some(json!({"title": "Renamed"})),
    );
    assert_eq!(
        (status, &changed["title"]),
        (200, &json!("Renamed")),
        "{changed}"
    );
    assert_eq!(
        served.send("DELETE", &format!("/api/Book/{id}"), None).0,
        204
    );
    assert_eq!(served.get(&format!("/api/Book/{id}")).0, 404);
    assert_eq!(
        served.send("DELETE", &format!("/api/Book/{id}"), None).0,
        404
    );
    let (status, _, author) = served.send("POST", "/api/Author", Some(json!({"name": "Zed"})));
    assert_eq!(status, 201, "{author}");
    let author_path = format!("/api/Author/{}", author["id"].as_str().unwrap());
    let (status, _, renamed) = served.send("PATCH", &author_path, Some(json!({"name": "Zoe"})));
    assert_eq!(
        (status, &renamed["name"]),
        (200, &json!("Zoe")),
        "{renamed}"
    );
    assert_eq!(served.send("DELETE", &author_path, None).0, 204);
    assert_eq!(served.get(&author_path).0, 404);

    // A GraphQL error answered with 200 is a problem; its message stays
    // upstream unless expose_errors.
    let negative = json!({"title": "Bad", "genre": "FICTION", "price": -1, "authorId": "1"});
    let (status, _, problem) = served.send("POST", "/api/Book", Some(negative.clone()));
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["type"], "urn:baas:problem:upstream");
    assert!(
        !problem.to_string().contains("negative"),
        "the upstream message leaked: {problem}"
    );
    drop(served);

    // Bounded reads, exposed errors, and failing upstreams.
    set_upstream(
        &manifest_path,
        manifest::Upstream {
            timeout_seconds: Some(1),
            retries: Some(0),
            max_pages: Some(2),
            expose_errors: true,
            ..manifest::Upstream::default()
        },
    );
    let served = Served::start(dir.path(), &[], &[]);
    let (_, filtered, body) = served.get("/api/Book?price=gt.0&limit=100");
    assert_eq!(filtered.as_deref(), Some("local; complete=false"));
    assert_eq!(body["data"].as_array().unwrap().len(), 20, "{body}");
    let (status, _, problem) = served.send("POST", "/api/Book", Some(negative));
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("price must not be negative"),
        "{problem}"
    );

    let failing = format!("{}/status500", upstream.base);
    let broken = Served::start(dir.path(), &["--upstream", &failing], &[]);
    let (status, _, problem) = broken.get("/api/Book");
    assert_eq!(status, 500, "{problem}");
    assert_eq!(problem["type"], "urn:baas:problem:upstream");
    drop(broken);

    let slow = format!("{}/slow", upstream.base);
    let slow = Served::start(dir.path(), &["--upstream", &slow], &[]);
    let started = Instant::now();
    let (status, _, problem) = slow.get("/api/Book/1");
    assert_eq!(status, 504, "{problem}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slow.get("/api/_health").0, 200, "the server stays up");
    drop(slow);

    let closed = format!("http://127.0.0.1:{}", support::free_port());
    let refused = Served::start(dir.path(), &["--upstream", &closed], &[]);
    let (status, _, problem) = refused.get("/api/Author");
    assert_eq!(status, 502, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{problem}"
    );
    assert_eq!(refused.get("/api/_health").0, 200, "the server stays up");
    assert_eq!(served.get("/api/Book/2").0, 200);
    let log = served.log();
    assert!(!log.contains("hunter2"), "{log}");
}

/// baas.toml of `endpoint`'s schema in a new folder, with `[api.upstream]`
/// and without the lines `drop` starts.
fn introspected(endpoint: &str, upstream: manifest::Upstream, drop: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::baas(dir.path())
        .args(["introspect", endpoint, "--yes"])
        .assert()
        .success();
    let path = dir.path().join("baas.toml");
    set_upstream(&path, upstream);
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| !drop.iter().any(|start| line.starts_with(start)))
        .collect();
    assert!(text.lines().count() - kept.len() >= drop.len(), "{text}");
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    dir
}

/// `baas check --url` in `dir` against the test server's schema changed
/// by `edits` (each replaced once): drift, the reason of each change by
/// its object.
fn drift_reasons(dir: &Path, edits: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut drifted = std::fs::read_to_string(app_dir().join("schema.graphql")).unwrap();
    for (from, to) in edits {
        assert!(drifted.contains(from), "{from}");
        drifted = drifted.replacen(from, to, 1);
    }
    let changed = dir.join("changed.graphql");
    std::fs::write(&changed, drifted).unwrap();
    let output = support::baas(dir)
        .args(["check", "--url", changed.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            let text = |key: &str| change[key].as_str().unwrap_or_default().to_owned();
            (text("object"), text("reason"))
        })
        .collect()
}

/// The reason of the change of `object` among `reasons`.
fn reason_of(reasons: &[(String, String)], object: &str) -> String {
    reasons
        .iter()
        .find(|(changed, _)| changed == object)
        .map(|(_, reason)| reason.clone())
        .unwrap_or_else(|| panic!("no change of `{object}` in {reasons:?}"))
}

#[test]
fn graphql_orders_and_counts_go_upstream_and_composite_keys_are_served() {
    let Some((_upstream, endpoint)) = GraphqlServer::started() else {
        return;
    };
    // One page of 10 books at most: what baas orders or counts itself
    // sees only the first 10.
    let one_page = manifest::Upstream {
        max_pages: Some(1),
        ..manifest::Upstream::default()
    };
    let dir = introspected(&endpoint, one_page.clone(), &[]);
    let served = Served::start(dir.path(), &[], &[]);
    // The same schema with no order and no count recorded: baas does
    // them, over every page.
    let unordered = introspected(
        &endpoint,
        manifest::Upstream::default(),
        &["order = ", "count = ", "count_field = "],
    );
    let local = Served::start(unordered.path(), &[], &[]);
    for path in [
        "/api/Book?order=price.desc&limit=3",
        "/api/Book?genre=eq.HISTORY&order=title.asc&limit=4&count=exact",
        "/api/Book?order=price.asc&limit=5&offset=3&count=exact",
        "/api/Membership?order=groupId.asc,userId.desc",
        "/api/Membership?userId=eq.2&order=role.desc&count=exact",
    ] {
        let (status, filtered, body) = served.get(path);
        assert_eq!((status, filtered), (200, None), "{path}: {body}");
        let (status, filtered, expected) = local.get(path);
        assert_eq!(status, 200, "{path}: {expected}");
        assert_eq!(filtered.as_deref(), Some("local; complete=true"), "{path}");
        assert_eq!(body, expected, "{path}");
    }
    // The upstream was asked: over one page, baas's own order and count
    // would have seen books 1-10 only.
    let (_, _, body) =
        served.get("/api/Book?order=price.desc&limit=3&genre=eq.SCIENCE&count=exact");
    assert_eq!(ids(&body), ["25", "22", "19"], "{body}");
    assert_eq!(body["count"], 9, "{body}");
    let (_, _, body) = served.get("/api/Membership?order=groupId.asc,userId.desc&limit=4");
    let pairs: Vec<(&str, &str)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["groupId"].as_str().unwrap(),
                row["userId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(pairs, [("1", "3"), ("1", "2"), ("1", "1"), ("2", "3")]);
    // A count the upstream answers `null` (author 3's books) is counted
    // by baas over the pages read, here the one page of the two rows: the
    // header says that count is partial.
    let (status, filtered, body) = served.get("/api/Book?authorId=eq.3&count=exact&limit=2");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        filtered.as_deref(),
        Some("local; complete=false; count=partial")
    );
    assert_eq!(
        (ids(&body), &body["count"]),
        (vec!["2".to_owned(), "5".to_owned()], &json!(2))
    );
    let (_, filtered, body) = served.get("/api/Membership?groupId=eq.1&count=exact&limit=1");
    assert_eq!((filtered, &body["count"]), (None, &json!(3)), "{body}");
    // What the upstream cannot order by (authors take no order, a book's
    // order by genre is not in its `orderBy`) is ordered by baas.
    let (_, filtered, body) = served.get("/api/Author?order=name.asc");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(ids(&body), ["2", "3", "1"]);
    let (_, filtered, _) = served.get("/api/Book?order=genre.asc&limit=3");
    assert_eq!(filtered.as_deref(), Some("local; complete=false"));

    // A composite key: `/api/Membership/2,3` is `membership(userId: "2",
    // groupId: "3")`, for reads and writes.
    let (status, _, row) = served.get("/api/Membership/2,3");
    assert_eq!(status, 200, "{row}");
    assert_eq!(row, json!({"userId": "2", "groupId": "3", "role": "r2"}));
    assert_eq!(served.get("/api/Membership/3,2").2["role"], "r4");
    assert_eq!(served.get("/api/Membership/2,9").0, 404);
    let (status, _, changed) = served.send(
        "PATCH",
        "/api/Membership/2,3",
        Some(json!({"role": "owner"})),
    );
    assert_eq!(
        (status, &changed["role"]),
        (200, &json!("owner")),
        "{changed}"
    );
    assert_eq!(served.get("/api/Membership/2,3").2["role"], "owner");
    assert_eq!(
        served.get("/api/Membership/3,2").2["role"],
        "r4",
        "one row changed"
    );
    assert_eq!(served.send("DELETE", "/api/Membership/2,3", None).0, 204);
    assert_eq!(served.get("/api/Membership/2,3").0, 404);
    assert_eq!(served.send("DELETE", "/api/Membership/2,3", None).0, 404);
    let (_, _, body) = served.get("/api/Membership?userId=eq.2&count=exact");
    assert_eq!(body["count"], 2, "{body}");
    let new = json!({"userId": "7", "groupId": "8", "role": "guest"});
    let (status, _, created) = served.send("POST", "/api/Membership", Some(new.clone()));
    assert_eq!((status, &created), (201, &new));
    assert_eq!(served.get("/api/Membership/7,8").2, new);
    assert_eq!(served.send("POST", "/api/Membership", Some(new)).0, 409);

    // Drift: an upstream whose books lost their order argument, whose
    // memberships lost their count, and whose membership is read by one
    // argument.
    let schema = std::fs::read_to_string(app_dir().join("schema.graphql")).unwrap();
    let same = dir.path().join("same.graphql");
    std::fs::write(&same, &schema).unwrap();
    support::baas(dir.path())
        .args(["check", "--url", same.to_str().unwrap()])
        .assert()
        .code(0);
    let reasons = drift_reasons(
        dir.path(),
        &[
            (", orderBy: BookOrder", ""),
            (
                "  membershipsAggregate(where: MembershipFilter): MembershipAggregate!\n",
                "",
            ),
            (
                "membership(userId: ID!, groupId: ID!)",
                "membership(userId: ID!)",
            ),
        ],
    );
    let reason = |object: &str| reason_of(&reasons, object);
    let books = reason("operation query books /graphql");
    assert!(
        books.contains("orderBy: BookOrder") && books.contains("order orderBy"),
        "{books}"
    );
    let memberships = reason("operation query memberships /graphql");
    assert!(
        memberships.contains("count membershipsAggregate"),
        "{memberships}"
    );
    let get = reason("operation query membership /graphql");
    assert!(get.contains("key (userId, groupId)"), "{get}");
}

#[test]
fn a_get_by_two_arguments_is_a_composite_key_and_a_reference_to_half_of_it_no_relation() {
    let sdl = "type Membership { userId: ID! groupId: ID! role: String! }\n\
               type Audit { id: ID! membership: Membership note: String }\n\
               type Query { membership(userId: ID!, groupId: ID!): Membership \
               audits: [Audit!]! audit(id: ID!, note: String!): Audit }\n";
    let introspection = import_sdl_text(Path::new("composite.graphql"), sdl.to_owned());
    let manifest = &introspection.manifest;
    support::assert_valid_and_round_trips(manifest);
    assert_eq!(
        manifest.entities["Membership"].primary_key,
        ["userId", "groupId"]
    );
    // Audit has its own `id`: a get by (id, note) does not change its key.
    let audit = &manifest.entities["Audit"];
    assert_eq!(audit.primary_key, ["id"]);
    // `membership_id` holds `membership.userId`: many memberships.
    assert!(audit.fields.contains_key("membership_id"));
    assert!(audit.relations.is_empty(), "{:?}", audit.relations);
    let kinds: Vec<(&str, &str)> = introspection
        .ledger
        .entries()
        .iter()
        .map(|entry| (entry.object.as_str(), entry.kind.as_str()))
        .collect();
    assert!(
        kinds.contains(&("Membership", "composite_key")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("Audit.membership_id", "composite_key")),
        "{kinds:?}"
    );
}

/// A page passed on whole that needs more upstream pages than `max_pages`
/// allows says it is short; one that fits says nothing.
#[test]
fn a_page_passed_on_says_when_the_upstream_pages_ran_out() {
    let Some(modules) = crate::postgrest::node_modules() else {
        return;
    };
    let upstream = GraphqlServer::start(modules);
    let dir = tempfile::tempdir().unwrap();
    support::baas(dir.path())
        .args(["introspect", &format!("{}/graphql", upstream.base), "--yes"])
        .assert()
        .success();
    set_upstream(
        &dir.path().join("baas.toml"),
        manifest::Upstream {
            max_pages: Some(1),
            ..manifest::Upstream::default()
        },
    );
    let served = Served::start(dir.path(), &[], &[]);
    // The connection gives 10 rows a page: 12 need two calls.
    let (status, filtered, body) = served.get("/api/Book?limit=12");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("upstream; complete=false"));
    assert_eq!(ids(&body), range(1..=10));
    let (status, filtered, body) = served.get("/api/Book?limit=10");
    assert_eq!((status, filtered), (200, None), "{body}");
    assert_eq!(ids(&body), range(1..=10));
}

impl GraphqlServer {
    /// A server and its endpoint (`http://127.0.0.1:PORT/graphql`); none
    /// without the test tools, outside CI.
    fn started() -> Option<(Self, String)> {
        let server = Self::start(crate::postgrest::node_modules()?);
        let endpoint = format!("{}/graphql", server.base);
        Some((server, endpoint))
    }

    /// The GraphQL requests the server received since the last look, as
    /// `{query, variables}`.
    fn calls(&self) -> Vec<Value> {
        let mut answer = ureq::get(&format!("{}/_calls", self.base)).call().unwrap();
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
    }
}

/// The root field each call asked for (`books`, `membership`).
fn fields_of(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|call| {
            let query = call["query"].as_str().unwrap();
            let body = &query[query.find('{').unwrap() + 1..];
            body.trim_start()
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// GitHub's `orderBy: {field: CREATED_AT, direction: DESC}` and an order
/// with null placements Hasura spells (`{rank: asc_nulls_first}`) are
/// recorded, passed on, and drift when the upstream changes them.
#[test]
fn graphql_orders_by_a_field_enum_and_with_null_placements_go_upstream() {
    let Some((upstream, endpoint)) = GraphqlServer::started() else {
        return;
    };
    let dir = introspected(&endpoint, manifest::Upstream::default(), &[]);
    let text = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(
        text.contains(
            r#"order = { argument = "orderBy", style = "field", fields = ["createdAt", "title"], values = { createdAt = "CREATED_AT", title = "TITLE" }, by = "field", direction = "direction", asc = "ASC", desc = "DESC" }"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"asc_nulls_first = "asc_nulls_first""#),
        "{text}"
    );
    let served = Served::start(dir.path(), &[], &[]);
    // The same schema with no order recorded: baas orders, over every page.
    let unordered = introspected(&endpoint, manifest::Upstream::default(), &["order = "]);
    let local = Served::start(unordered.path(), &[], &[]);
    upstream.calls();
    for (path, passed) in [
        (
            "/api/Issue?order=createdAt.desc&limit=3",
            json!({"field": "CREATED_AT", "direction": "DESC"}),
        ),
        (
            "/api/Issue?order=title.asc&limit=12&offset=1",
            json!({"field": "TITLE", "direction": "ASC"}),
        ),
        (
            "/api/Label?order=rank.asc.nullsfirst,name.desc",
            json!([{"rank": "asc_nulls_first"}, {"name": "desc"}]),
        ),
        (
            "/api/Label?order=rank.desc.nullslast,name.asc&limit=5&offset=2",
            json!([{"rank": "desc_nulls_last"}, {"name": "asc"}]),
        ),
        (
            "/api/Label?order=rank.asc.nullslast,name.asc",
            json!([{"rank": "asc_nulls_last"}, {"name": "asc"}]),
        ),
    ] {
        let (status, filtered, body) = served.get(path);
        assert_eq!((status, filtered), (200, None), "{path}: {body}");
        let calls = upstream.calls();
        let argument = if path.contains("Issue") {
            "orderBy"
        } else {
            "order_by"
        };
        assert!(
            calls
                .iter()
                .all(|call| call["variables"][argument] == passed),
            "{path}: {calls:?}"
        );
        let (status, filtered, expected) = local.get(path);
        assert_eq!(status, 200, "{path}: {expected}");
        assert_eq!(filtered.as_deref(), Some("local; complete=true"), "{path}");
        assert_eq!(body, expected, "{path}");
        upstream.calls();
    }
    let (_, _, body) = served.get("/api/Label?order=rank.asc.nullsfirst,name.asc&limit=4");
    assert_eq!(ids(&body), ["4", "8", "12", "5"], "{body}");
    // An order the upstream cannot say (by `id`) is baas's.
    let (_, filtered, _) = served.get("/api/Issue?order=id.desc&limit=2");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));

    // Drift: the field enum lost TITLE, the directions their nulls.
    let reasons = drift_reasons(
        dir.path(),
        &[
            ("  CREATED_AT\n  TITLE\n", "  CREATED_AT\n"),
            ("  asc_nulls_first\n", ""),
        ],
    );
    let reason = |object: &str| reason_of(&reasons, object);
    let issues = reason("operation query issues /graphql");
    assert!(
        issues.contains(
            "order orderBy field by createdAt, title (field: CREATED_AT, TITLE; direction)"
        ),
        "{issues}"
    );
    let labels = reason("operation query labels /graphql");
    assert!(
        labels.contains("nulls asc_nulls_first, asc_nulls_last"),
        "{labels}"
    );
}

/// `expand` into an entity of a composite key reads a batch of keys in
/// one call where the list's filter takes `or`, else one get per key;
/// never the whole list.
#[test]
fn an_expand_into_a_composite_key_batches_its_keys() {
    let Some((upstream, endpoint)) = GraphqlServer::started() else {
        return;
    };
    let relation = "\n[[entities.Grant.relations]]\n\
                    fields = [\"userId\", \"groupId\"]\n\
                    references = { entity = \"Membership\", fields = [\"userId\", \"groupId\"] }\n";
    let with_relation = |drop: &[&str]| {
        let dir = introspected(&endpoint, manifest::Upstream::default(), drop);
        let path = dir.path().join("baas.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find("\n[entities.Issue]").unwrap();
        std::fs::write(&path, format!("{}{relation}{}", &text[..at], &text[at..])).unwrap();
        dir
    };
    // (userId, groupId) of grants 1-6: (2,3) (3,1) (1,2), twice each.
    let expected = [("2", "3", "r2"), ("3", "1", "r8"), ("1", "2", "r8")];
    let check = |body: &Value| {
        let rows = body["data"].as_array().unwrap();
        assert_eq!(rows.len(), 6, "{body}");
        for row in rows {
            let membership = &row["Membership"];
            let key = (
                row["userId"].as_str().unwrap(),
                row["groupId"].as_str().unwrap(),
            );
            let role = expected
                .iter()
                .find(|(user, group, _)| (*user, *group) == key)
                .map(|(_, _, role)| *role);
            assert_eq!(membership["role"].as_str(), role, "{body}");
            assert_eq!(
                (&membership["userId"], &membership["groupId"]),
                (&row["userId"], &row["groupId"]),
                "{body}"
            );
        }
    };
    // The calls an expand of every grant makes, its answer checked.
    let expand_calls = |drop: &[&str]| {
        let dir = with_relation(drop);
        let served = Served::start(dir.path(), &[], &[]);
        upstream.calls();
        let (status, _, body) = served.get("/api/Grant?expand=Membership");
        assert_eq!(status, 200, "{body}");
        check(&body);
        upstream.calls()
    };
    let calls = expand_calls(&[]);
    assert_eq!(fields_of(&calls), ["grants", "memberships"], "{calls:?}");
    let mut any: Vec<Value> = calls[1]["variables"]["where"]["or"]
        .as_array()
        .unwrap_or_else(|| panic!("no `or` in {calls:?}"))
        .clone();
    any.sort_by_key(Value::to_string);
    assert_eq!(
        any,
        [
            json!({"userId": "1", "groupId": "2"}),
            json!({"userId": "2", "groupId": "3"}),
            json!({"userId": "3", "groupId": "1"}),
        ]
    );
    // Without `or`: one get per key.
    let calls = expand_calls(&["filter_or = "]);
    let mut fields = fields_of(&calls);
    fields.sort();
    assert_eq!(
        fields,
        ["grants", "membership", "membership", "membership"],
        "{calls:?}"
    );
}

/// A count the upstream answers `null` is counted over the rows of the
/// same pass that reads the page: the list is read once.
#[test]
fn a_null_count_is_counted_in_the_pass_that_reads_the_page() {
    let Some((upstream, endpoint)) = GraphqlServer::started() else {
        return;
    };
    let dir = introspected(&endpoint, manifest::Upstream::default(), &[]);
    let served = Served::start(dir.path(), &[], &[]);
    upstream.calls();
    // Author 3's books (a connection's `totalCount: null`): the page of
    // two, then the rest of the same query, counted.
    let (status, filtered, body) = served.get("/api/Book?authorId=eq.3&count=exact&limit=2");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!((ids(&body), &body["count"]), (range([2, 5]), &json!(8)));
    let calls = upstream.calls();
    assert_eq!(fields_of(&calls), ["books", "books"], "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|call| call["variables"]["where"] == json!({"authorId": "3"})),
        "{calls:?}"
    );
    // Group 3's memberships (an aggregate's `count: null`): the count
    // asked first, then one pass of the list.
    let (status, filtered, body) =
        served.get("/api/Membership?groupId=eq.3&count=exact&limit=1&offset=1&order=userId.asc");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(body["count"], 3, "{body}");
    assert_eq!(
        body["data"],
        json!([{"userId": "2", "groupId": "3", "role": "r2"}])
    );
    let calls = upstream.calls();
    assert_eq!(
        fields_of(&calls),
        ["membershipsAggregate", "memberships"],
        "{calls:?}"
    );
    // A count the upstream gives: no header, the page alone.
    let (_, filtered, body) = served.get("/api/Membership?groupId=eq.2&count=exact&limit=1");
    assert_eq!((filtered, &body["count"]), (None, &json!(3)), "{body}");
    assert_eq!(upstream.calls().len(), 2);
}

/// Comparison objects in the SDL (Hasura's `where: {name: {_eq: ..}}`,
/// PostGraphile's `filter: {title: {equalTo: ..}}`) are recorded with the
/// operators every filtered field spells, and filters made of those go
/// upstream (with `and`, `or`, `in` and `is.null`), the count too (the
/// aggregate field, a connection's `totalCount`); pg-aggregates' types are
/// no entities. A filter the upstream cannot take is applied by baas.
#[test]
fn comparison_filters_of_hasura_and_postgraphile_go_upstream() {
    let Some((upstream, endpoint)) = GraphqlServer::started() else {
        return;
    };
    let dir = introspected(&endpoint, manifest::Upstream::default(), &[]);
    let text = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    for recorded in [
        r#"operators = { eq = "_eq", neq = "_neq", gt = "_gt", gte = "_gte", lt = "_lt", lte = "_lte", in = "_in", nin = "_nin", is = "_is_null" }"#,
        r#"operators = { eq = "equalTo", neq = "notEqualTo", gt = "greaterThan", gte = "greaterThanOrEqualTo", lt = "lessThan", lte = "lessThanOrEqualTo", in = "in", nin = "notIn", is = "isNull" }"#,
        r#"count_field = "tracks_aggregate""#,
    ] {
        assert!(text.contains(recorded), "{recorded} in:\n{text}");
    }
    for figures in [
        "AlbumAggregates",
        "AlbumSumAggregates",
        "AlbumDistinctCountAggregates",
    ] {
        assert!(!text.contains(&format!("[entities.{figures}]")), "{text}");
    }
    let served = Served::start(dir.path(), &[], &[]);
    upstream.calls();
    let numbers = crate::upstream::ids;
    // The test server's rows: track n is on album n % 4 + 1 (none when n
    // is a multiple of 5); album n is of 1990 + n (none for multiples of 6).
    let track_album = |n: i64| (n % 5 != 0).then_some(n % 4 + 1);
    let album_year = |n: i64| (n % 6 != 0).then_some(1990 + n);

    let (status, filtered, body) =
        served.get("/api/tracks?milliseconds=gte.5000&album_id=in.(1,2)&order=id.asc&limit=100");
    assert_eq!((status, filtered), (200, None), "{body}");
    let expected: Vec<i64> = (5..=30)
        .filter(|n| matches!(track_album(*n), Some(1 | 2)))
        .collect();
    assert_eq!(numbers(&body), expected);
    let calls = upstream.calls();
    assert_eq!(
        calls[0]["variables"]["where"],
        json!({"milliseconds": {"_gte": 5000}, "album_id": {"_in": [1, 2]}}),
        "{calls:?}"
    );
    let (_, filtered, body) = served.get("/api/tracks?or=(id.lt.3,id.gt.28)&order=id.desc");
    assert_eq!((filtered, numbers(&body)), (None, vec![30, 29, 2, 1]));
    let calls = upstream.calls();
    assert_eq!(
        calls[0]["variables"]["where"],
        json!({"_or": [{"id": {"_lt": 3}}, {"id": {"_gt": 28}}]}),
        "{calls:?}"
    );
    // `is.null` and a count, from the aggregate field with the same filter.
    let (_, filtered, body) = served.get("/api/tracks?album_id=is.null&count=exact&limit=2");
    assert_eq!(filtered, None, "{body}");
    assert_eq!((numbers(&body), &body["count"]), (vec![5, 10], &json!(6)));
    let calls = upstream.calls();
    assert_eq!(
        fields_of(&calls),
        ["tracks_aggregate", "tracks"],
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .all(|call| call["variables"]["where"] == json!({"album_id": {"_is_null": true}})),
        "{calls:?}"
    );
    // `like` is not an operator every field has: baas filters.
    let (_, filtered, body) = served.get("/api/tracks?name=like.A1*&order=id.asc");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(numbers(&body), [12, 15, 18]);
    upstream.calls();

    // PostGraphile: `filter` (not `condition`) takes the comparisons; the
    // count is the connection's `totalCount`.
    let (status, filtered, body) =
        served.get("/api/Album?year=gt.2000&id=nin.(12,14)&order=id.desc&count=exact&limit=100");
    assert_eq!((status, filtered), (200, None), "{body}");
    let mut expected: Vec<i64> = (1..=24)
        .filter(|n| album_year(*n).is_some_and(|year| year > 2000) && ![12, 14].contains(n))
        .collect();
    expected.reverse();
    assert_eq!(body["count"], expected.len(), "{body}");
    assert_eq!(numbers(&body), expected);
    let calls = upstream.calls();
    assert_eq!(
        calls[0]["variables"]["filter"],
        json!({"year": {"greaterThan": 2000}, "id": {"notIn": [12, 14]}}),
        "{calls:?}"
    );
    assert_eq!(
        calls[0]["variables"]["orderBy"],
        json!(["ID_DESC"]),
        "{calls:?}"
    );
}

/// An order the upstream cannot take (a JSON path) is applied by baas over
/// at most `max_pages` pages, saying so in the header, with or without a
/// filter it passes; a realtime subscriber filtering by a JSON path sees
/// the writes made through the upstream that match.
#[test]
fn json_path_orders_and_realtime_filters_over_a_graphql_upstream() {
    let Some((upstream, endpoint)) = GraphqlServer::started() else {
        return;
    };
    let dir = introspected(&endpoint, manifest::Upstream::default(), &[]);
    let served = Served::start(dir.path(), &[], &[]);
    // Track n's `meta` is `{"rank": n * 7 % 11}`; 10 tracks a call.
    let by_rank = |tracks: &mut Vec<i64>| {
        tracks.sort_by_key(|n| (std::cmp::Reverse(n * 7 % 11), *n));
    };
    let mut every: Vec<i64> = (1..=30).collect();
    by_rank(&mut every);
    let (status, filtered, body) = served.get("/api/tracks?order=meta-%3Erank.desc,id.asc&limit=5");
    assert_eq!(status, 200, "{body}");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    assert_eq!(crate::upstream::ids(&body), every[..5]);
    // The filter the upstream takes still goes upstream: one call reads
    // album 1's tracks, which baas orders.
    upstream.calls();
    let (_, filtered, body) =
        served.get("/api/tracks?album_id=eq.1&order=meta-%3E%3Erank.asc,id.asc");
    assert_eq!(filtered.as_deref(), Some("local; complete=true"));
    let calls = upstream.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0]["variables"]["where"],
        json!({"album_id": {"_eq": 1}}),
        "{calls:?}"
    );
    let mut first: Vec<i64> = (1..=30).filter(|n| n % 5 != 0 && n % 4 == 0).collect();
    // `->>` orders the ranks as text: "10" before "2".
    first.sort_by_key(|n| ((n * 7 % 11).to_string(), *n));
    assert_eq!(crate::upstream::ids(&body), first);
    // Two pages of the three: the order is of the rows read.
    let bounded = introspected(
        &endpoint,
        manifest::Upstream {
            max_pages: Some(2),
            ..manifest::Upstream::default()
        },
        &[],
    );
    let short = Served::start(bounded.path(), &[], &[]);
    let (_, filtered, body) = short.get("/api/tracks?order=meta-%3Erank.desc,id.asc&limit=5");
    assert_eq!(filtered.as_deref(), Some("local; complete=false"));
    let mut read: Vec<i64> = (1..=20).collect();
    by_rank(&mut read);
    assert_eq!(crate::upstream::ids(&body), read[..5]);

    let events = served
        .realtime("subscribe=tracks&tracks.where=%7B%22meta-%3Erank%22%3A%7B%22gte%22%3A5%7D%7D");
    for (id, rank) in [(31, 2), (32, 9)] {
        let (status, _, created) = served.send(
            "POST",
            "/api/tracks",
            Some(json!({"id": id, "name": format!("N{id}"), "milliseconds": 1, "meta": {"rank": rank}})),
        );
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["meta"], json!({"rank": rank}), "{created}");
    }
    let data = events
        .recv_timeout(Duration::from_secs(10))
        .expect("no realtime event");
    let event: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        (&event["type"], &event["row"]["id"]),
        (&json!("create"), &json!(32)),
        "{event}"
    );
    assert!(
        events.recv_timeout(Duration::from_millis(300)).is_err(),
        "a second event"
    );
}
