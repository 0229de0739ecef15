//! `baas serve`: the HTTP API of docs/api.md, through the router (no port)
//! on the embedded SQLite engine, plus a few runs of the real binary.
//!
//! [`suite`] is the engine-neutral part: it expects the example manifest
//! (`templates/example/baas.toml`) with the example rows freshly loaded, and
//! is run against the server engines from `serve_engines.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// An answer: status, headers, body parsed as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The rows of a list envelope.
    pub fn data(&self) -> &Vec<Value> {
        self.body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list envelope: {}", self.body))
    }

    /// One field of every row of a list envelope.
    pub fn column(&self, field: &str) -> Vec<Value> {
        self.data().iter().map(|row| row[field].clone()).collect()
    }

    /// Asserts a problem+json answer of `status` and `kind`.
    #[track_caller]
    pub fn problem(&self, status: u16, kind: &str) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {kind}, got {}: {}",
            self.status,
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(
            self.body["type"],
            format!("urn:baas:problem:{kind}"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
        assert!(
            self.body["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
        self
    }

    /// The fields named in `errors`, with their codes.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().to_owned(),
                            e["code"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends one request through the router.
pub async fn call(router: &Router, method: &str, uri: &str, body: Option<Value>) -> Answer {
    let body = body.map(|b| b.to_string());
    raw(router, method, uri, body.map(String::into_bytes), &[]).await
}

pub async fn raw(
    router: &Router,
    method: &str,
    uri: &str,
    body: Option<Vec<u8>>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{method} {uri}: the body is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(router: &Router, uri: &str) -> Answer {
    call(router, "GET", uri, None).await
}

#[track_caller]
fn ok(answer: &Answer) {
    assert!(
        answer.status.is_success(),
        "expected a success, got {}: {}",
        answer.status,
        answer.body
    );
}

/// Percent-encodes a query-string value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The ids of the books a list answer holds.
async fn book_ids(router: &Router, query: &str) -> Vec<i64> {
    let answer = get(router, &format!("/api/book?{query}")).await;
    ok(&answer);
    answer
        .column("id")
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------
// The engine-neutral suite

/// Every route and error of docs/api.md over the example manifest and rows;
/// `engine` names the engine in failure messages. Reads run first, then the
/// writes (the suite leaves the rows changed).
#[allow(clippy::print_stderr)]
pub async fn suite(router: Router, engine: &str) {
    eprintln!("serve suite on {engine}");
    fixed_routes(&router).await;
    reads(&router).await;
    filters(&router).await;
    expands(&router).await;
    query_errors(&router).await;
    writes(&router).await;
    write_errors(&router).await;
    reference_names(&router, engine).await;
    composite_keys(&router).await;
    views(&router).await;
    injection(&router).await;
}

pub async fn fixed_routes(router: &Router) {
    let health = get(router, "/api/_health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({ "status": "ok" }));
    assert!(
        health
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    let echoed = raw(
        router,
        "GET",
        "/api/_health",
        None,
        &[("x-request-id", "abc-123")],
    )
    .await;
    assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
    // CORS answers localhost origins; another site's requests are refused
    // before they reach the data.
    let local = raw(
        router,
        "GET",
        "/api/_health",
        None,
        &[("origin", "http://localhost:5173")],
    )
    .await;
    assert_eq!(local.status, StatusCode::OK);
    assert_eq!(
        local.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let foreign = raw(
        router,
        "GET",
        "/api/_health",
        None,
        &[("origin", "http://example.com")],
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(foreign.header("access-control-allow-origin"), None);

    let discovery = get(router, "/api/_discovery").await;
    assert_eq!(discovery.status, StatusCode::OK);
    let entities = discovery.body["entities"].as_array().unwrap();
    let book = entities.iter().find(|e| e["name"] == "book").unwrap();
    assert_eq!(book["kind"], "table");
    assert_eq!(book["primary_key"], json!(["id"]));
    let id = &book["fields"][0];
    assert_eq!(
        (
            id["name"].clone(),
            id["generated"].clone(),
            id["required_on_insert"].clone()
        ),
        (json!("id"), json!(true), json!(false))
    );
    let title = book["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "title")
        .unwrap();
    assert_eq!(title["required_on_insert"], true);
    assert!(
        book["links"]
            .as_array()
            .unwrap()
            .contains(&json!({ "name": "author", "to": "author", "many": false }))
    );
    let view = entities
        .iter()
        .find(|e| e["name"] == "book_in_stock")
        .unwrap();
    assert_eq!(view["permissions"]["create"], false);
    assert_eq!(view["permissions"]["read"], true);

    let openapi = get(router, "/api/_openapi.json").await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert!(openapi.body["openapi"].as_str().unwrap().starts_with("3.1"));

    get(router, "/api/nothing").await.problem(404, "not-found");
    get(router, "/nowhere").await.problem(404, "not-found");
    call(router, "PUT", "/api/book", Some(serde_json::json!({})))
        .await
        .problem(405, "method-not-allowed");
}

pub async fn reads(router: &Router) {
    let list = get(router, "/api/book?order=id").await;
    ok(&list);
    assert_eq!(list.data().len(), 5);
    assert!(list.body.get("count").is_none(), "no count unless asked");
    let first = &list.data()[0];
    // Field order and wire values (docs/api.md).
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
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
            "published_at"
        ]
    );
    assert_eq!(first["id"], 1);
    assert_eq!(first["price"], "8.99");
    assert_eq!(first["in_stock"], true);
    assert_eq!(first["genre"], "fiction");
    assert_eq!(
        first["metadata"],
        json!({ "series": "Earthsea", "volume": 1 })
    );
    assert_eq!(first["published_at"], "1968-11-01T00:00:00Z");
    assert_eq!(
        first["keywords"],
        json!(["wizard", "magic", "coming of age"])
    );
    assert_eq!(list.data()[4]["pages"], Value::Null);

    let one = get(router, "/api/book/2").await;
    ok(&one);
    assert_eq!(one.body["title"], "The Left Hand of Darkness");
    assert_eq!(one.body["price"], "12.50");
    let author = get(router, "/api/author/3").await;
    assert_eq!(author.body["born_on"], "1923-07-02");
    assert_eq!(author.body["name"], "Wisława Szymborska");
    get(router, "/api/book/999").await.problem(404, "not-found");
    get(router, "/api/book/abc").await.problem(404, "not-found");

    // select, order, paging, count
    let narrow = get(router, "/api/book?select=id,title&order=id&limit=1").await;
    assert_eq!(
        narrow.body["data"],
        json!([{ "id": 1, "title": "A Wizard of Earthsea" }])
    );
    assert_eq!(book_ids(router, "order=price.desc").await, [4, 2, 5, 3, 1]);
    assert_eq!(
        book_ids(router, "order=author_id.desc,id").await,
        [5, 3, 4, 1, 2]
    );
    assert_eq!(
        book_ids(router, "order=pages.desc.nullslast,id").await,
        [2, 4, 1, 3, 5]
    );
    assert_eq!(
        book_ids(router, "order=pages.asc.nullsfirst,id").await,
        [5, 3, 1, 4, 2]
    );
    assert_eq!(book_ids(router, "order=id&limit=2&offset=2").await, [3, 4]);
    let counted = get(
        router,
        "/api/book?order=id&limit=2&count=exact&in_stock=is.true",
    )
    .await;
    assert_eq!(counted.data().len(), 2);
    assert_eq!(counted.body["count"], 4);
}

pub async fn filters(router: &Router) {
    // Shorthand, every operator.
    assert_eq!(book_ids(router, "order=id&author_id=eq.1").await, [1, 2]);
    assert_eq!(
        book_ids(router, "order=id&author_id=neq.1").await,
        [3, 4, 5]
    );
    assert_eq!(book_ids(router, "order=id&price=gt.11").await, [2, 4]);
    assert_eq!(book_ids(router, "order=id&price=gte.11").await, [2, 4, 5]);
    assert_eq!(book_ids(router, "order=id&pages=lt.183").await, [3]);
    assert_eq!(book_ids(router, "order=id&pages=lte.183").await, [1, 3]);
    assert_eq!(book_ids(router, "order=id&id=in.(1,3,5)").await, [1, 3, 5]);
    assert_eq!(book_ids(router, "order=id&id=nin.(1,3,5)").await, [2, 4]);
    assert_eq!(book_ids(router, "order=id&title=like.*Earth*").await, [1]);
    assert_eq!(book_ids(router, "order=id&title=ilike.*CITIES*").await, [3]);
    assert_eq!(book_ids(router, "order=id&pages=is.null").await, [5]);
    assert_eq!(book_ids(router, "order=id&in_stock=is.false").await, [3]);
    assert_eq!(book_ids(router, "order=id&genre=not.eq.fiction").await, [5]);
    assert_eq!(book_ids(router, "order=id&genre=eq.poetry").await, [5]);
    assert_eq!(
        book_ids(
            router,
            &format!(
                "order=id&published_at=lt.{}",
                encode("1970-01-01T00:00:00Z")
            )
        )
        .await,
        [1, 2]
    );
    assert_eq!(
        book_ids(router, "order=id&keywords=contains.{travel}").await,
        [3]
    );
    assert_eq!(
        book_ids(router, "order=id&keywords=contains.(magic,wizard)").await,
        [1]
    );
    assert_eq!(
        book_ids(router, "order=id&or=(id.eq.1,id.eq.4)").await,
        [1, 4]
    );
    assert_eq!(
        book_ids(
            router,
            "order=id&and=(author_id.eq.2,or(pages.gt.200,pages.is.null))"
        )
        .await,
        [4]
    );
    assert_eq!(
        book_ids(
            router,
            &format!(
                "order=id&title=eq.{}",
                encode("If on a winter's night a traveler")
            )
        )
        .await,
        [4]
    );
    // Inside a group, a quoted value may hold `,` `(` `)`.
    assert_eq!(
        book_ids(
            router,
            &format!(
                "order=id&or=({})",
                encode("title.eq.\"Invisible Cities\",title.eq.\"a, (b)\"")
            )
        )
        .await,
        [3]
    );
    // Filters from several places are ANDed.
    assert_eq!(
        book_ids(
            router,
            &format!(
                "order=id&author_id=eq.1&where={}",
                encode(r#"{"price":{"gt":"10"}}"#)
            )
        )
        .await,
        [2]
    );

    // JSON form, every operator.
    let cases = [
        (json!({ "author_id": 1 }), vec![1, 2]),
        (json!({ "author_id": { "eq": 1 } }), vec![1, 2]),
        (json!({ "author_id": { "neq": 1 } }), vec![3, 4, 5]),
        (json!({ "price": { "gt": "11" } }), vec![2, 4]),
        (json!({ "price": { "gte": 11 } }), vec![2, 4, 5]),
        (json!({ "pages": { "lt": 183 } }), vec![3]),
        (json!({ "pages": { "lte": 183, "gt": 170 } }), vec![1]),
        (
            json!({ "genre": { "in": ["poetry", "children"] } }),
            vec![5],
        ),
        (json!({ "id": { "nin": [1, 2, 3] } }), vec![4, 5]),
        (json!({ "title": { "like": "%Earth%" } }), vec![1]),
        (json!({ "title": { "ilike": "%darkness" } }), vec![2]),
        (json!({ "published_at": { "is": null } }), vec![4]),
        (json!({ "in_stock": { "is": false } }), vec![3]),
        (json!({ "or": [{ "id": 1 }, { "id": 5 }] }), vec![1, 5]),
        (
            json!({ "and": [{ "author_id": 2 }, { "pages": { "gt": 200 } }] }),
            vec![4],
        ),
        (json!({ "not": { "author_id": 1 } }), vec![3, 4, 5]),
        (json!({ "keywords": { "contains": ["winter"] } }), vec![2]),
        (
            json!({ "keywords": { "contains": ["wizard", "magic"] } }),
            vec![1],
        ),
        (
            json!({ "keywords": { "contains": ["wizard", "poems"] } }),
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let ids = book_ids(
            router,
            &format!("order=id&where={}", encode(&filter.to_string())),
        )
        .await;
        assert_eq!(ids, expected, "where={filter}");
        let body = json!({ "where": filter, "order": ["id"], "select": ["id"] });
        let answer = call(router, "POST", "/api/book/_query", Some(body)).await;
        ok(&answer);
        let ids: Vec<i64> = answer
            .column("id")
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(ids, expected, "_query where={filter}");
    }
    let body = json!({ "where": { "in_stock": true }, "select": ["id", "price"], "order": ["price.desc"],
        "limit": 2, "offset": 1, "count": "exact" });
    let answer = call(router, "POST", "/api/book/_query", Some(body)).await;
    ok(&answer);
    assert_eq!(
        answer.body["data"],
        json!([{ "id": 2, "price": "12.50" }, { "id": 5, "price": "11.00" }])
    );
    assert_eq!(answer.body["count"], 4);
}

pub async fn expands(router: &Router) {
    // To one.
    let books = get(router, "/api/book?order=id&expand=author&select=id,title").await;
    ok(&books);
    assert_eq!(books.data()[0]["author"]["name"], "Ursula K. Le Guin");
    assert_eq!(books.data()[4]["author"]["id"], 3);
    // The key field was needed for the expansion, not asked for.
    assert!(books.data()[0].get("author_id").is_none());
    // To many.
    let authors = get(router, "/api/author?order=id&expand=book").await;
    ok(&authors);
    let titles: Vec<&str> = authors.data()[1]["book"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Invisible Cities", "If on a winter's night a traveler"]
    );
    // Nested, both ways, through the composite-key entity.
    let tags = get(router, "/api/tag?order=id&expand=book_tag.book.author").await;
    ok(&tags);
    let translated = &tags.data()[2]["book_tag"];
    assert_eq!(translated.as_array().unwrap().len(), 3);
    assert_eq!(translated[0]["book"]["author"]["name"], "Italo Calvino");
    let links = get(router, "/api/book_tag?order=book_id,tag_id&expand=book,tag").await;
    assert_eq!(links.data()[2]["tag"]["label"], "award-winner");
    assert_eq!(links.data()[2]["book"]["id"], 2);
    let body = json!({ "expand": ["book"], "where": { "id": 3 } });
    let answer = call(router, "POST", "/api/author/_query", Some(body)).await;
    assert_eq!(answer.data()[0]["book"][0]["id"], 5);
    get(router, "/api/book?expand=publisher")
        .await
        .problem(400, "bad-query");
}

pub async fn query_errors(router: &Router) {
    let cases = [
        "nope=eq.1",
        "title=between.1",
        "price=gt.abc",
        "in_stock=gt.true",
        "title=contains.x",
        "pages=like.1*",
        "limit=1001",
        "limit=-1",
        "select=id,nope",
        "order=nope.desc",
        "where=%7Bnot%20json",
        "where=%7B%22nope%22%3A1%7D",
        "pages=gt.99999999999999999999999",
        "genre=eq.opera",
        "count=maybe",
    ];
    for query in cases {
        let answer = get(router, &format!("/api/book?{query}")).await;
        answer.problem(400, "bad-query");
    }
    let unknown = get(router, "/api/book?nope=eq.1").await;
    assert!(
        unknown.body["detail"].as_str().unwrap().contains("nope"),
        "{}",
        unknown.body
    );
    call(
        router,
        "POST",
        "/api/book/_query",
        Some(json!({ "where": { "nope": 1 } })),
    )
    .await
    .problem(400, "bad-query");
    call(
        router,
        "POST",
        "/api/book/_query",
        Some(json!({ "limit": 5000 })),
    )
    .await
    .problem(400, "bad-query");
    raw(router, "POST", "/api/book/_query", Some(b"{".to_vec()), &[])
        .await
        .problem(400, "bad-body");
}

fn new_book(isbn: &str) -> Value {
    json!({ "title": "The Dispossessed", "isbn": isbn, "author_id": 1 })
}

pub async fn writes(router: &Router) {
    // Insert: defaults filled, Location points at the row.
    let created = call(
        router,
        "POST",
        "/api/book",
        Some(new_book("978-0-06-051275-0")),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/book/{id}").as_str())
    );
    assert_eq!(created.body["genre"], "fiction");
    assert_eq!(created.body["price"], "9.99");
    assert_eq!(created.body["in_stock"], true);
    assert_eq!(created.body["metadata"], Value::Null);
    let fetched = get(router, &format!("/api/book/{id}")).await;
    assert_eq!(fetched.body, created.body);

    // Every wire type in, the same out.
    let full = json!({ "title": "Always Coming Home", "isbn": "978-0-520-22735-0", "genre": "fiction",
        "price": 21.5, "in_stock": false, "pages": 562, "metadata": { "tags": ["a", 1, null], "deep": { "x": true } },
        "keywords": ["utopia", "Kesh", "ünïcødé"],
        "author_id": 1, "published_at": "1985-09-01T10:30:00Z" });
    let stored = call(router, "POST", "/api/book", Some(full.clone())).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    assert_eq!(stored.body["price"], "21.50");
    assert_eq!(stored.body["metadata"], full["metadata"]);
    assert_eq!(stored.body["keywords"], full["keywords"]);
    assert_eq!(stored.body["published_at"], "1985-09-01T10:30:00Z");
    assert_eq!(stored.body["in_stock"], false);

    // PATCH changes what is given.
    let patched = call(
        router,
        "PATCH",
        &format!("/api/book/{id}"),
        Some(json!({ "price": "7.25", "pages": 387 })),
    )
    .await;
    ok(&patched);
    assert_eq!(patched.body["price"], "7.25");
    assert_eq!(patched.body["pages"], 387);
    assert_eq!(patched.body["title"], "The Dispossessed");
    // A generated field may be sent with its own value.
    let same = call(
        router,
        "PATCH",
        &format!("/api/book/{id}"),
        Some(json!({ "id": id, "in_stock": false })),
    )
    .await;
    ok(&same);
    assert_eq!(same.body["in_stock"], false);
    // PUT replaces.
    let replaced = call(router, "PUT", &format!("/api/book/{id}"), Some(json!({ "title": "The Dispossessed: An Ambiguous Utopia",
        "isbn": "978-0-06-051275-0", "author_id": 1, "genre": "fiction", "price": "8.00", "in_stock": true,
        "pages": null, "metadata": null, "keywords": null, "published_at": null }))).await;
    ok(&replaced);
    assert_eq!(
        replaced.body["title"],
        "The Dispossessed: An Ambiguous Utopia"
    );
    assert_eq!(replaced.body["pages"], Value::Null);
    call(
        router,
        "PATCH",
        "/api/book/999",
        Some(json!({ "pages": 1 })),
    )
    .await
    .problem(404, "not-found");

    // DELETE.
    let deleted = call(router, "DELETE", &format!("/api/book/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);
    get(router, &format!("/api/book/{id}"))
        .await
        .problem(404, "not-found");
    call(router, "DELETE", &format!("/api/book/{id}"), None)
        .await
        .problem(404, "not-found");
}

pub async fn write_errors(router: &Router) {
    let books_before = get(router, "/api/book?count=exact&limit=1").await.body["count"].clone();
    // Per-field validation, all at once.
    let body = json!({ "id": 77, "title": "x".repeat(301), "genre": "opera", "price": "cheap",
        "in_stock": "yes", "pages": 3_000_000_000_i64, "colour": "red", "author_id": 1 });
    let answer = call(router, "POST", "/api/book", Some(body)).await;
    answer.problem(422, "validation");
    let errors = answer.field_errors();
    for (field, code) in [
        ("id", "read_only"),
        ("title", "max_length"),
        ("genre", "enum"),
        ("price", "type"),
        ("in_stock", "type"),
        ("pages", "range"),
        ("colour", "unknown"),
        ("isbn", "required"),
    ] {
        assert!(
            errors.contains(&(field.to_owned(), code.to_owned())),
            "no `{code}` error on `{field}` in {errors:?}"
        );
    }
    call(router, "PATCH", "/api/book/1", Some(json!({ "id": 2 })))
        .await
        .problem(422, "validation");
    call(
        router,
        "PUT",
        "/api/book/1",
        Some(json!({ "title": "only a title" })),
    )
    .await
    .problem(422, "validation");
    call(
        router,
        "PATCH",
        "/api/book/1",
        Some(json!({ "title": null })),
    )
    .await
    .problem(422, "validation");

    // Bodies that are not JSON objects.
    raw(router, "POST", "/api/book", Some(b"not json".to_vec()), &[])
        .await
        .problem(400, "bad-body");
    call(router, "POST", "/api/book", Some(json!([new_book("1")])))
        .await
        .problem(400, "bad-body");
    // Over the limit.
    let huge = json!({ "title": "x".repeat(1024 * 1024 + 10) })
        .to_string()
        .into_bytes();
    raw(router, "POST", "/api/book", Some(huge), &[])
        .await
        .problem(413, "too-large");

    // Unique violation names the field.
    let duplicate = call(
        router,
        "POST",
        "/api/book",
        Some(new_book("978-0-553-38304-7")),
    )
    .await;
    duplicate.problem(409, "conflict");
    assert_eq!(
        duplicate.field_errors(),
        [("isbn".to_owned(), "unique".to_owned())]
    );
    let taken = call(
        router,
        "POST",
        "/api/tag",
        Some(json!({ "label": "classic" })),
    )
    .await;
    taken.problem(409, "conflict");
    // References: to a missing row, and from rows that remain.
    call(
        router,
        "POST",
        "/api/book",
        Some(json!({ "title": "Orphan", "isbn": "0", "author_id": 999 })),
    )
    .await
    .problem(409, "reference");
    call(router, "DELETE", "/api/author/1", None)
        .await
        .problem(409, "reference");
    assert_eq!(get(router, "/api/author/1").await.status, StatusCode::OK);
    // Nothing of the failed writes was stored.
    let count = get(router, "/api/book?count=exact&limit=1").await;
    assert_eq!(count.body["count"], books_before);
}

/// A reference problem names the relation where the database names it
/// (SQLite does not).
pub async fn reference_names(router: &Router, engine: &str) {
    let orphan = call(
        router,
        "POST",
        "/api/book",
        Some(json!({ "title": "Orphan", "isbn": "0", "author_id": 999 })),
    )
    .await;
    orphan.problem(409, "reference");
    let detail = orphan.body["detail"].as_str().unwrap();
    assert_eq!(
        detail.contains("book_author_fkey"),
        engine != "sqlite",
        "{engine}: {detail}"
    );
}

pub async fn composite_keys(router: &Router) {
    let link = get(router, "/api/book_tag/2,2").await;
    ok(&link);
    assert_eq!(link.body, json!({ "book_id": 2, "tag_id": 2 }));
    get(router, "/api/book_tag/2,3")
        .await
        .problem(404, "not-found");
    get(router, "/api/book_tag/2")
        .await
        .problem(404, "not-found");
    let created = call(
        router,
        "POST",
        "/api/book_tag",
        Some(json!({ "book_id": 5, "tag_id": 1 })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("location"), Some("/api/book_tag/5,1"));
    call(
        router,
        "POST",
        "/api/book_tag",
        Some(json!({ "book_id": 5, "tag_id": 1 })),
    )
    .await
    .problem(409, "conflict");
    let deleted = call(router, "DELETE", "/api/book_tag/5,1", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    get(router, "/api/book_tag/5,1")
        .await
        .problem(404, "not-found");
}

pub async fn views(router: &Router) {
    let view = get(router, "/api/book_in_stock?order=id").await;
    ok(&view);
    let ids: Vec<i64> = view
        .column("id")
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(!ids.contains(&3), "book 3 is not in stock: {ids:?}");
    assert_eq!(view.data()[0]["price"], "8.99");
    let answer = call(
        router,
        "POST",
        "/api/book_in_stock/_query",
        Some(json!({ "where": { "id": 1 } })),
    )
    .await;
    assert_eq!(answer.data().len(), 1);
    call(
        router,
        "POST",
        "/api/book_in_stock",
        Some(json!({ "title": "x" })),
    )
    .await
    .problem(405, "read-only");
    call(
        router,
        "PATCH",
        "/api/book_in_stock/1",
        Some(json!({ "title": "x" })),
    )
    .await
    .problem(405, "read-only");
    call(router, "DELETE", "/api/book_in_stock/1", None)
        .await
        .problem(405, "read-only");
}

/// Hostile text in filters and bodies is data, never SQL.
pub async fn injection(router: &Router) {
    let before = get(router, "/api/book?count=exact&limit=1").await.body["count"].clone();
    let hostile = [
        "'; DROP TABLE book; --",
        "\" OR 1=1 --",
        "1); DELETE FROM book; --",
        "Robert'); DROP TABLE author;--",
        "💥 ünïcødé ' \" \\ %",
    ];
    for text in hostile {
        for query in [
            format!("title=eq.{}", encode(text)),
            format!("title=like.{}", encode(text)),
            format!(
                "or=(title.eq.{},id.eq.0)",
                encode(&format!("\"{}\"", text.replace('"', "")))
            ),
            format!("where={}", encode(&json!({ "title": text }).to_string())),
            format!(
                "where={}",
                encode(&json!({ "title": { "in": [text, "x"] } }).to_string())
            ),
        ] {
            let answer = get(router, &format!("/api/book?{query}")).await;
            assert!(
                answer.status == StatusCode::OK || answer.status == StatusCode::BAD_REQUEST,
                "{query}: {} {}",
                answer.status,
                answer.body
            );
            if answer.status == StatusCode::OK {
                assert_eq!(answer.data().len(), 0, "{query} matched rows");
            }
        }
        // Field names that are not fields never reach SQL.
        get(router, &format!("/api/book?{}=eq.1", encode(text)))
            .await
            .problem(400, "bad-query");
        get(router, &format!("/api/book?order={}", encode(text)))
            .await
            .problem(400, "bad-query");
        get(router, &format!("/api/book?select={}", encode(text)))
            .await
            .problem(400, "bad-query");
    }
    // Stored as given, and read back the same.
    for (index, text) in hostile.iter().enumerate() {
        let body = json!({ "title": text, "isbn": format!("inj-{index}"), "author_id": 2 });
        let created = call(router, "POST", "/api/book", Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["title"], *text);
        let found = get(
            router,
            &format!("/api/book?select=title&title=eq.{}", encode(text)),
        )
        .await;
        assert_eq!(found.body["data"], json!([{ "title": text }]), "{text}");
    }
    let after = get(router, "/api/book?count=exact&limit=1").await;
    assert_eq!(
        after.body["count"],
        before.as_i64().unwrap() + hostile.len() as i64
    );
    assert_eq!(
        get(router, "/api/author?count=exact&limit=1").await.body["count"],
        3
    );
    // Huge numbers are refused, not wrapped.
    call(
        router,
        "POST",
        "/api/book",
        Some(json!({ "title": "big", "isbn": "big", "author_id": 1, "pages": 1e300 })),
    )
    .await
    .problem(422, "validation");
}

// ---------------------------------------------------------------------------
// SQLite: the embedded engine

/// A fresh copy of the example (manifest and rows) in `dir`.
pub fn example_sqlite(dir: &Path) -> (Router, PathBuf) {
    let manifest = baas::serve::example_manifest().unwrap();
    let path = dir.join("example.sqlite3");
    let (engine, sync) = baas::serve::SqliteStore::dev(&path, &manifest, false).unwrap();
    assert!(sync.created);
    engine
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    (
        baas::serve::router_for(Arc::new(manifest), Arc::new(engine)),
        path,
    )
}

fn sqlite_count(path: &Path, table: &str) -> i64 {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |row| {
            row.get(0)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_suite_passes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (router, path) = example_sqlite(dir.path());
    suite(router, "sqlite").await;
    // 5 example books, 1 left by the writes, 5 hostile titles stored as data.
    assert_eq!(sqlite_count(&path, "book"), 11);
    assert_eq!(sqlite_count(&path, "author"), 3);
}

macro_rules! part {
    ($name:ident, $part:ident) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            let dir = tempfile::tempdir().unwrap();
            let (router, _) = example_sqlite(dir.path());
            $part(&router).await;
        }
    };
}

part!(health_discovery_openapi_and_unknown_routes, fixed_routes);
part!(lists_select_order_paging_and_count, reads);
part!(every_operator_in_shorthand_and_json, filters);
part!(expands_to_one_to_many_and_nested, expands);
part!(bad_queries_are_400_naming_the_culprit, query_errors);
part!(insert_patch_put_delete_answer_the_stored_row, writes);
part!(
    validation_conflicts_references_and_limits_are_problems,
    write_errors
);
part!(composite_keys_address_rows, composite_keys);
part!(views_are_read_only, views);

#[tokio::test(flavor = "multi_thread")]
async fn injection_never_reaches_sql() {
    let dir = tempfile::tempdir().unwrap();
    let (router, path) = example_sqlite(dir.path());
    injection(&router).await;
    assert_eq!(sqlite_count(&path, "book"), 10);
    assert_eq!(sqlite_count(&path, "author"), 3);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let stored: String = connection
        .query_row("SELECT title FROM book WHERE isbn = 'inj-0'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(stored, "'; DROP TABLE book; --");
}

#[tokio::test(flavor = "multi_thread")]
async fn contains_with_an_object_is_a_named_400_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (router, _) = example_sqlite(dir.path());
    let filter = json!({ "metadata": { "contains": { "series": "Earthsea" } } });
    let answer = get(
        &router,
        &format!("/api/book?where={}", encode(&filter.to_string())),
    )
    .await;
    answer.problem(400, "bad-query");
    assert!(answer.body["detail"].as_str().unwrap().contains("metadata"));
}

#[test]
fn the_dev_database_follows_safe_changes_and_refuses_destructive_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".baas/dev.sqlite3");
    let manifest = baas::serve::example_manifest().unwrap();
    let (engine, sync) = baas::serve::SqliteStore::dev(&path, &manifest, false).unwrap();
    assert!(sync.created && !sync.applied.is_empty());
    engine
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    drop(engine);
    // Reopening with the same manifest changes nothing.
    let (_, sync) = baas::serve::SqliteStore::dev(&path, &manifest, false).unwrap();
    assert!(!sync.created && sync.applied.is_empty());
    // A new nullable field is safe: applied, rows kept.
    let mut added = manifest.clone();
    let mut subtitle = baas::manifest::Field::new(baas::manifest::FieldType::String);
    subtitle.nullable = true;
    added
        .entities
        .get_mut("book")
        .unwrap()
        .fields
        .insert("subtitle".into(), subtitle);
    let (_, sync) = baas::serve::SqliteStore::dev(&path, &added, false).unwrap();
    assert_eq!(sync.applied.len(), 1, "{:?}", sync.applied);
    assert_eq!(sqlite_count(&path, "book"), 5);
    // Dropping an entity loses rows: refused, unless accepted.
    let mut dropped = added.clone();
    dropped.entities.remove("book_tag");
    let refused = baas::serve::SqliteStore::dev(&path, &dropped, false).unwrap_err();
    assert!(
        refused
            .downcast_ref::<baas::migrate::sync::LosesData>()
            .is_some(),
        "{refused:#}"
    );
    assert_eq!(sqlite_count(&path, "book_tag"), 6);
    baas::serve::SqliteStore::dev(&path, &dropped, true).unwrap();
    let connection = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = connection
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'book_tag'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
    // Each sync that changed the schema ran as one step of the migration
    // runner: created, the new field, the drop.
    assert_eq!(sqlite_count(&path, "_baas_migrations"), 3);
}

/// A sync whose script the database refuses leaves the tables, the rows,
/// the runner's history and the stored manifest as they were, and the
/// next sync still starts from the manifest the database really has.
#[test]
fn a_dev_database_sync_that_fails_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".baas/dev.sqlite3");
    let manifest = baas::serve::example_manifest().unwrap();
    let (engine, _) = baas::serve::SqliteStore::dev(&path, &manifest, false).unwrap();
    engine
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute("UPDATE author SET name = 'same' WHERE id IN (1, 2)", [])
        .unwrap();
    let history = sqlite_count(&path, "_baas_migrations");
    // A nullable field (safe) and a unique name (which two rows break), in
    // one change: the index fails, so the new column must not stay either.
    let mut changed = manifest.clone();
    let author = changed.entities.get_mut("author").unwrap();
    let mut nickname = baas::manifest::Field::new(baas::manifest::FieldType::String);
    nickname.nullable = true;
    author.fields.insert("nickname".into(), nickname);
    author.fields.get_mut("name").unwrap().unique = true;
    let error = engine.sync(&changed, true).unwrap_err();
    assert!(
        format!("{error:#}").contains("dev database refused"),
        "{error:#}"
    );
    let columns: i64 = connection
        .query_row(
            "SELECT count(*) FROM pragma_table_info('author') WHERE name = 'nickname'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(columns, 0, "the failed step left its column behind");
    assert_eq!(sqlite_count(&path, "_baas_migrations"), history);
    assert_eq!(sqlite_count(&path, "author"), 3);
    // The stored manifest is still the old one: the field alone applies.
    changed
        .entities
        .get_mut("author")
        .unwrap()
        .fields
        .get_mut("name")
        .unwrap()
        .unique = false;
    let applied = engine.sync(&changed, false).unwrap();
    assert_eq!(applied.len(), 1, "{applied:?}");
    assert_eq!(sqlite_count(&path, "_baas_migrations"), history + 1);
}

// ---------------------------------------------------------------------------
// The real binary

use crate::support::free_port;

/// A running `baas serve`, killed on drop.
pub struct Server {
    child: std::process::Child,
    pub port: u16,
    base: String,
}

impl Server {
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        let port = free_port();
        // Like `support::baas`, as a plain child process.
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_baas"));
        command
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("HOME", dir)
            .env_remove("BAAS_MANIFEST")
            .env_remove("BAAS_DATABASE_URL")
            .args(["serve", "--port", &port.to_string()])
            .args(args)
            .env("BAAS_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let child = command.spawn().unwrap();
        let server = Self {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(30) {
            if ureq::get(&server.url("/api/_health")).call().is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("`baas serve` did not answer within 30 s");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A raw connection to the server, reads timing out after 10 s.
    pub fn connect(&self) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream
    }

    /// The status of `GET /api/_health` on a new connection, if any answer
    /// (a raw request: the server may answer with a bare 503 or close).
    pub fn health(&self) -> Option<u16> {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .ok()?;
        stream
            .write_all(b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.split_whitespace().nth(1)?.parse().ok()
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent.get(&self.url(path)).call().unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post(agent: &ureq::Agent, url: &str, body: Value) -> ureq::http::Response<ureq::Body> {
    agent
        .post(url)
        .content_type("application/json")
        .send(body.to_string())
        .unwrap()
}

#[test]
fn serve_example_answers_through_a_real_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--example"]);
    let (status, body) = server.get("/api/book?order=id&limit=2&count=exact&expand=author");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 5);
    assert_eq!(body["data"][0]["author"]["name"], "Ursula K. Le Guin");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut created = post(&agent, &server.url("/api/tag"), json!({ "label": "e2e" }));
    assert_eq!(created.status().as_u16(), 201);
    let location = created
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let row: Value = serde_json::from_str(&created.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(row["label"], "e2e");
    let (status, again) = server.get(&location);
    assert_eq!((status, &again), (200, &row));
    let (status, problem) = server.get("/api/nothing");
    assert_eq!(status, 404);
    assert_eq!(problem["type"], "urn:baas:problem:not-found");
    assert!(dir.path().join(".baas/example.sqlite3").is_file());
}

#[test]
fn serve_keeps_the_example_rows_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = Server::start(dir.path(), &["--example"]);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let response = post(&agent, &server.url("/api/tag"), json!({ "label": "kept" }));
        assert_eq!(response.status().as_u16(), 201);
    }
    let server = Server::start(dir.path(), &["--example"]);
    let (_, body) = server.get("/api/tag?label=eq.kept&count=exact");
    assert_eq!(body["count"], 1);
    let (_, books) = server.get("/api/book?count=exact&limit=1");
    assert_eq!(books["count"], 5);
}

#[test]
fn serve_without_a_manifest_or_database_explains_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    super::support::baas(dir.path())
        .args(["serve", "--port", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("baas serve --example"));
}

/// Edits of baas.toml while a client loops: no request fails, a new field
/// appears, a broken edit keeps the previous manifest serving.
#[test]
#[allow(clippy::print_stderr)]
fn hot_reload_swaps_the_manifest_without_failing_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("baas.toml");
    std::fs::write(&manifest_path, baas::serve::EXAMPLE_MANIFEST).unwrap();
    let server = Server::start(dir.path(), &[]);
    assert!(dir.path().join(".baas/dev.sqlite3").is_file());
    let (status, _) = server.get("/api/author?limit=1");
    assert_eq!(status, 200);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let stop = stop.clone();
        let url = server.url("/api/author?limit=5");
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let (mut done, mut failed) = (0, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match agent.get(&url).call() {
                    Ok(response) if response.status().as_u16() == 200 => done += 1,
                    Ok(response) => failed.push(response.status().to_string()),
                    Err(error) => failed.push(error.to_string()),
                }
            }
            (done, failed)
        })
    };

    // Add a field: it appears, and the row written with it reads back.
    let edited = baas::serve::EXAMPLE_MANIFEST.replace(
        "born_on = { type = \"date\", nullable = true }",
        "born_on = { type = \"date\", nullable = true }\nwebsite = { type = \"string\", nullable = true }",
    );
    let saved = std::time::Instant::now();
    std::fs::write(&manifest_path, &edited).unwrap();
    let mut seen = None;
    while saved.elapsed() < std::time::Duration::from_secs(10) {
        let (_, body) = server.get("/api/_discovery");
        let author = body["entities"]
            .as_array()
            .and_then(|e| e.iter().find(|e| e["name"] == "author").cloned())
            .unwrap_or_default();
        if author["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["name"] == "website"))
        {
            seen = Some(saved.elapsed());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let latency = seen.expect("the new field never appeared");
    eprintln!("save-to-new-field latency: {} ms", latency.as_millis());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let created = post(
        &agent,
        &server.url("/api/author"),
        json!({ "name": "New", "website": "https://example.com" }),
    );
    assert_eq!(created.status().as_u16(), 201);

    // A broken edit: the previous manifest keeps serving.
    std::fs::write(&manifest_path, format!("{edited}\n[entities.broken\n")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let (status, body) =
        server.get("/api/author?select=id,website&website=eq.https%3A%2F%2Fexample.com");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 1);

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (done, failed) = client.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} requests failed: {failed:?}",
        failed.len()
    );
    assert!(done > 10, "the client made only {done} requests");
}

/// A client that goes away mid-request drops the handler's future while its
/// query still runs on the blocking pool: the connection must still go back
/// to the pool, or the server ends up answering 500 "the pool is empty".
#[tokio::test(flavor = "multi_thread")]
async fn cancelled_requests_give_their_connections_back() {
    let dir = tempfile::tempdir().unwrap();
    let (router, _) = example_sqlite(dir.path());
    for round in 0..64u64 {
        // Poll the request once or a few times (the first poll starts the
        // query on the blocking pool), then drop it, as a server does when
        // the client disconnects.
        let mut request = Box::pin(get(&router, "/api/book?count=exact"));
        for _ in 0..=(round % 3) {
            if futures::poll!(&mut request).is_ready() {
                break;
            }
            tokio::task::yield_now().await;
        }
        drop(request);
    }
    for _ in 0..32 {
        let answer = get(&router, "/api/book?limit=1").await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    }
}
