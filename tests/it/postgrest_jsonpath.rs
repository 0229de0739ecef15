//! JSON paths (`data->address->>city`, `data->tags->0`) in `select`,
//! filters and `order`, on both HTTP profiles and the four engines: the
//! same rows from each, PostgreSQL's jsonb order for `->` comparisons
//! (a number above any string, a boolean above any number), keys holding
//! quotes, `;` and `$` bound rather than spliced, and paths into non-json
//! fields refused with the field named. The realtime matcher is held to
//! the answers of the engines.

use std::sync::Arc;

use axum::Router;
use baas::manifest::Manifest;
use serde_json::{Value, json};

use crate::serve::{Answer, call, encode, raw};

const MANIFEST: &str = r#"
[manifest]
format = 1
version = 1

[entities.doc]
table = "doc"
primary_key = ["id"]

[entities.doc.fields]
id = { type = "int64" }
name = { type = "string", max_length = 40 }
data = { type = "json", nullable = true }

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = { type = "int64" }
doc_id = { type = "int64" }
meta = { type = "json", nullable = true }

[[entities.note.relations]]
name = "note_doc_id_fkey"
fields = ["doc_id"]
references = { entity = "doc", fields = ["id"] }
"#;

/// The key that tries to break out of a quoted path or literal.
const WEIRD: &str = "we'ird;$\"key";

fn rows() -> Vec<Value> {
    vec![
        json!({"id": 1, "name": "paris", "data": {"address": {"city": "Paris"}, "age": 4, "tags": ["a", "b"], WEIRD: "x1", "active": true}}),
        json!({"id": 2, "name": "lyon", "data": {"address": {"city": "Lyon"}, "age": 30, "tags": ["b"], "active": false}}),
        json!({"id": 3, "name": "rome", "data": {"address": {"city": "Rome"}, "age": 100, "tags": [], WEIRD: "x3"}}),
        json!({"id": 4, "name": "text", "data": {"age": "abc", "address": null}}),
        json!({"id": 5, "name": "none", "data": null}),
        json!({"id": 6, "name": "flag", "data": {"age": true}}),
    ]
}

fn router(manifest: Arc<Manifest>, engine: Arc<dyn baas::serve::Store>) -> Router {
    baas::serve::http::router_with(
        baas::serve::AppState::new(manifest, engine),
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    )
}

/// `?k=v&...` with keys and values percent-encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect();
    format!("?{}", parts.join("&"))
}

async fn rest(router: &Router, pairs: &[(&str, &str)]) -> Answer {
    raw(
        router,
        "GET",
        &format!("/rest/v1/doc{}", query(pairs)),
        None,
        &[],
    )
    .await
}

fn ids(answer: &Answer) -> Vec<i64> {
    let rows = answer
        .body
        .as_array()
        .or_else(|| answer.body["data"].as_array())
        .unwrap_or_else(|| panic!("not rows ({}): {}", answer.status, answer.body));
    rows.iter().map(|row| row["id"].as_i64().unwrap()).collect()
}

/// The filters the engines and the realtime matcher must agree on, with
/// the rows each matches (PostgreSQL's answer, as PostgREST gives it).
fn filters() -> Vec<(&'static str, String, Vec<i64>)> {
    let weird = format!("data->>\"{}\"", WEIRD.replace('"', "\\\""));
    vec![
        ("data->address->>city", "eq.Paris".into(), vec![1]),
        ("data->address->>city", "in.(Paris,Rome)".into(), vec![1, 3]),
        ("data->address->>city", "like.*o*".into(), vec![2, 3]),
        ("data->address->>city", "ilike.*PAR*".into(), vec![1]),
        ("data->address->>city", "is.null".into(), vec![4, 5, 6]),
        ("data->address", "is.null".into(), vec![5, 6]),
        // `->` compares jsonb: numbers as numbers (4 < 30 < 100), a string
        // below every number, a boolean above.
        ("data->age", "gt.30".into(), vec![3, 6]),
        ("data->age", "lt.30".into(), vec![1, 4]),
        ("data->age", "eq.30".into(), vec![2]),
        ("data->age", "eq.\"abc\"".into(), vec![4]),
        ("data->age", "neq.30".into(), vec![1, 3, 4, 6]),
        ("data->age", "not.gt.30".into(), vec![1, 2, 4]),
        ("data->age", "in.(4,100)".into(), vec![1, 3]),
        // `->>` compares text: 30's text is "30".
        ("data->>age", "eq.30".into(), vec![2]),
        ("data->>active", "eq.true".into(), vec![1]),
        ("data->active", "eq.false".into(), vec![2]),
        ("data->tags->0", "eq.\"b\"".into(), vec![2]),
        ("data->tags->>1", "eq.b".into(), vec![1]),
        (leak(weird), "eq.x3".into(), vec![3]),
        ("data->>a');DROP TABLE doc;--", "eq.1".into(), vec![]),
    ]
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Every case on one engine's router (loaded with [`rows`] first).
async fn cases(router: &Router, engine: &str) {
    for row in rows() {
        let answer = call(router, "POST", "/api/doc", Some(row)).await;
        assert_eq!(answer.status, 201, "{engine}: {}", answer.body);
    }

    // select: a path's key is its last step unless aliased; a missing
    // value (or one inside a null) is null.
    let selected = rest(
        router,
        &[
            (
                "select",
                "id,data->address->>city,town:data->address->city,first:data->tags->0",
            ),
            ("order", "id"),
        ],
    )
    .await;
    assert_eq!(selected.status, 200, "{engine}: {}", selected.body);
    assert_eq!(
        selected.body,
        json!([
            {"id": 1, "city": "Paris", "town": "Paris", "first": "a"},
            {"id": 2, "city": "Lyon", "town": "Lyon", "first": "b"},
            {"id": 3, "city": "Rome", "town": "Rome", "first": null},
            {"id": 4, "city": null, "town": null, "first": null},
            {"id": 5, "city": null, "town": null, "first": null},
            {"id": 6, "city": null, "town": null, "first": null},
        ]),
        "{engine}"
    );
    let typed = rest(
        router,
        &[
            ("select", "id,data->age,text:data->>age"),
            ("id", "lte.2"),
            ("order", "id"),
        ],
    )
    .await;
    assert_eq!(
        typed.body,
        json!([{"id": 1, "age": 4, "text": "4"}, {"id": 2, "age": 30, "text": "30"}]),
        "{engine}"
    );

    // Filters, in the query string of both profiles and in `where`.
    for (path, operand, expected) in filters() {
        let answer = rest(
            router,
            &[("select", "id"), (path, &operand), ("order", "id")],
        )
        .await;
        assert_eq!(
            answer.status, 200,
            "{engine}: {path}={operand}: {}",
            answer.body
        );
        assert_eq!(
            ids(&answer),
            expected,
            "{engine}: /rest/v1 {path}={operand}"
        );
        let native = raw(
            router,
            "GET",
            &format!("/api/doc{}", query(&[(path, &operand), ("order", "id")])),
            None,
            &[],
        )
        .await;
        assert_eq!(
            native.status, 200,
            "{engine}: /api {path}={operand}: {}",
            native.body
        );
        assert_eq!(ids(&native), expected, "{engine}: /api {path}={operand}");
    }
    let grouped = rest(
        router,
        &[
            ("or", "(data->address->>city.eq.Rome,data->age.eq.\"abc\")"),
            ("order", "id"),
        ],
    )
    .await;
    assert_eq!(ids(&grouped), [3, 4], "{engine}: {}", grouped.body);
    let json_form = raw(
        router,
        "GET",
        &format!(
            "/api/doc{}",
            query(&[
                (
                    "where",
                    r#"{"data->age": {"gte": 4, "lte": 30}, "data->>active": {"eq": true}}"#
                ),
                ("select", "id,city:data->address->>city"),
            ])
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(json_form.status, 200, "{engine}: {}", json_form.body);
    assert_eq!(
        json_form.body["data"],
        json!([{"id": 1, "city": "Paris"}]),
        "{engine}"
    );

    // order: by text, nulls last; by a number among numbers.
    let by_city = rest(
        router,
        &[
            ("select", "id"),
            ("order", "data->address->>city.asc.nullslast,id"),
        ],
    )
    .await;
    assert_eq!(
        ids(&by_city),
        [2, 1, 3, 4, 5, 6],
        "{engine}: {}",
        by_city.body
    );
    let by_age = rest(
        router,
        &[
            ("select", "id"),
            ("data->age", "gte.0"),
            ("data->age", "lte.1000"),
            ("order", "data->age.desc"),
        ],
    )
    .await;
    assert_eq!(ids(&by_age), [3, 2, 1], "{engine}: {}", by_age.body);

    // A bulk write through a path filter.
    let patched = raw(
        router,
        "PATCH",
        &format!(
            "/rest/v1/doc{}",
            query(&[("data->address->>city", "eq.Lyon")])
        ),
        Some(json!({"name": "lyon2"}).to_string().into_bytes()),
        &[("prefer", "return=representation")],
    )
    .await;
    assert_eq!(patched.status, 200, "{engine}: {}", patched.body);
    assert_eq!(ids(&patched), [2], "{engine}");

    // Refused with the field named: paths into a non-json field, a `->`
    // operand that is not JSON, a pattern on `->`.
    for (key, value) in [
        ("name->>x", "eq.1"),
        ("select", "id,name->>x"),
        ("order", "id->x"),
        ("data->age", "eq.abc"),
        ("data->age", "like.*1*"),
    ] {
        let answer = rest(router, &[(key, value)]).await;
        assert_eq!(
            answer.status, 400,
            "{engine}: {key}={value}: {}",
            answer.body
        );
        assert_eq!(answer.body["code"], "PGRST100", "{engine}: {}", answer.body);
        let native = raw(
            router,
            "GET",
            &format!("/api/doc{}", query(&[(key, value)])),
            None,
            &[],
        )
        .await;
        assert_eq!(
            native.status, 400,
            "{engine}: /api {key}={value}: {}",
            native.body
        );
        assert!(
            native
                .header("content-type")
                .is_some_and(|media| media.starts_with("application/problem+json")),
            "{engine}"
        );
        let text = native.body.to_string();
        let named = if key == "data->age" {
            "data->age"
        } else {
            "`name`"
        };
        let named = if key == "order" { "`id`" } else { named };
        assert!(text.contains(named), "{engine}: {key}={value}: {text}");
    }

    // The rows are all still there.
    let all = rest(router, &[("select", "id")]).await;
    assert_eq!(ids(&all).len(), 6, "{engine}");
}

/// JSON paths inside embedded resources (in their `select`, filters and
/// `order`, on both profiles), and the forms refused on paths (`cs`,
/// `cd`, `(any)`/`(all)`) with a 400 naming the path, at the top and
/// inside an embedding. Runs after [`cases`] (its `doc` rows).
async fn embedded_cases(router: &Router, engine: &str) {
    for note in [
        json!({"id": 1, "doc_id": 1, "meta": {"k": "b", "n": 2, "tags": ["x"]}}),
        json!({"id": 2, "doc_id": 1, "meta": {"k": "a", "n": 1}}),
        json!({"id": 3, "doc_id": 2, "meta": {"k": "c"}}),
    ] {
        let answer = call(router, "POST", "/api/note", Some(note)).await;
        assert_eq!(answer.status, 201, "{engine}: {}", answer.body);
    }
    let many = [
        ("select", "id,note(id,k:meta->>k)"),
        ("id", "lte.2"),
        ("order", "id"),
        ("note.order", "meta->>k"),
    ];
    let expected = json!([
        {"id": 1, "note": [{"id": 2, "k": "a"}, {"id": 1, "k": "b"}]},
        {"id": 2, "note": [{"id": 3, "k": "c"}]},
    ]);
    let rest_many = rest(router, &many).await;
    assert_eq!(rest_many.status, 200, "{engine}: {}", rest_many.body);
    assert_eq!(rest_many.body, expected, "{engine}");
    let native_many = raw(
        router,
        "GET",
        &format!("/api/doc{}", query(&many)),
        None,
        &[],
    )
    .await;
    assert_eq!(native_many.status, 200, "{engine}: {}", native_many.body);
    assert_eq!(native_many.body["data"], expected, "{engine}: /api");

    let inner = [
        ("select", "id,note!inner(id)"),
        ("note.meta->n", "gt.1"),
        ("order", "id"),
    ];
    let rest_inner = rest(router, &inner).await;
    assert_eq!(
        rest_inner.body,
        json!([{"id": 1, "note": [{"id": 1}]}]),
        "{engine}: {}",
        rest_inner.body
    );
    let native_inner = raw(
        router,
        "GET",
        &format!("/api/doc{}", query(&inner)),
        None,
        &[],
    )
    .await;
    assert_eq!(
        native_inner.body["data"],
        json!([{"id": 1, "note": [{"id": 1}]}]),
        "{engine}: /api {}",
        native_inner.body
    );
    // Without `!inner` the filter empties the embedding, not the parents.
    let outer = raw(
        router,
        "GET",
        &format!(
            "/rest/v1/note{}",
            query(&[
                ("select", "id,doc(city:data->address->>city)"),
                ("doc.data->address->>city", "eq.Lyon"),
                ("order", "id"),
            ])
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(
        outer.body,
        json!([
            {"id": 1, "doc": null},
            {"id": 2, "doc": null},
            {"id": 3, "doc": {"city": "Lyon"}},
        ]),
        "{engine}: {}",
        outer.body
    );

    // Refused, naming the form and the path: at the top and embedded.
    for (table, key, value, named) in [
        ("doc", "data->tags", "cs.[\"a\"]", "data->tags"),
        ("doc", "data", "cd.{\"a\":1}", "cd"),
        ("doc", "data->address", "cd.{\"city\":\"Paris\"}", "cd"),
        ("doc", "data->>name", "eq(any).{a,b}", "eq(any)"),
        ("doc", "data->age", "gt(all).{1,2}", "gt(all)"),
        ("doc", "note.meta->>k", "like(all).{a*,b*}", "like(all)"),
        ("doc", "note.meta->tags", "cs.[\"x\"]", "meta->tags"),
        ("doc", "note.meta->k", "cd.[\"x\"]", "cd"),
    ] {
        let pairs = [("select", "id,note!inner(id)"), (key, value)];
        let answer = raw(
            router,
            "GET",
            &format!("/rest/v1/{table}{}", query(&pairs)),
            None,
            &[],
        )
        .await;
        assert_eq!(
            answer.status, 400,
            "{engine}: {key}={value}: {}",
            answer.body
        );
        assert_eq!(answer.body["code"], "PGRST100", "{engine}: {}", answer.body);
        let text = answer.body["message"].as_str().unwrap();
        assert!(text.contains(named), "{engine}: {key}={value}: {text}");
        let native = raw(
            router,
            "GET",
            &format!("/api/{table}{}", query(&pairs)),
            None,
            &[],
        )
        .await;
        assert_eq!(
            native.status, 400,
            "{engine}: /api {key}={value}: {}",
            native.body
        );
        assert!(
            native.body.to_string().contains(named),
            "{engine}: /api {key}={value}: {}",
            native.body
        );
    }
}

fn manifest() -> Arc<Manifest> {
    crate::serve_engines::load(MANIFEST)
}

#[tokio::test(flavor = "multi_thread")]
async fn json_paths_on_sqlite_and_the_realtime_matcher_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest();
    let (engine, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("doc.sqlite3"), &manifest, false).unwrap();
    let router = router(manifest.clone(), Arc::new(engine));
    cases(&router, "sqlite").await;
    embedded_cases(&router, "sqlite").await;

    // The matcher over the rows as written gives the engines' answers.
    let entity = &manifest.entities["doc"];
    for (path, operand, expected) in filters() {
        let pairs = vec![(path.to_owned(), operand.clone())];
        let filter = baas::query::parse_query_string(&manifest, "doc", &pairs)
            .unwrap()
            .filter
            .unwrap();
        let matched: Vec<i64> = rows()
            .into_iter()
            .filter(|row| {
                baas::serve::realtime::matches(entity, &filter, row.as_object().unwrap()).unwrap()
            })
            .map(|row| row["id"].as_i64().unwrap())
            .collect();
        assert_eq!(matched, expected, "matcher: {path}={operand}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_paths_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create_async("pg_jsonpath").await
    else {
        return;
    };
    let manifest = manifest();
    let engine = database.store_of(&manifest).await;
    let router = router(manifest, Arc::new(engine));
    cases(&router, "postgres").await;
    embedded_cases(&router, "postgres").await;
    assert_eq!(database.scalar("SELECT count(*) FROM doc").await, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_paths_on_mariadb() {
    let Some(database) = crate::support::mysql::TempDatabase::create_async("my_jsonpath").await
    else {
        return;
    };
    let manifest = manifest();
    let engine = database.store_of(&manifest).await;
    cases(&router(manifest, Arc::new(engine)), "mariadb").await;
    assert_eq!(database.scalar("SELECT count(*) FROM doc").await, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_paths_on_the_mongo_wire_server() {
    let Some(database) = crate::support::mongo::TempDatabase::create("mongo_jsonpath") else {
        return;
    };
    let manifest = manifest();
    let engine = baas::serve::store::mongo::MongoStore::connect(database.url(), &manifest)
        .await
        .unwrap();
    cases(&router(manifest, Arc::new(engine)), "mongodb").await;
}
