//! The PostgREST-compatible profile (docs/postgrest.md) at `/rest/v1`,
//! through the router on the embedded SQLite engine with the example
//! manifest and rows: PostgREST's wire rules call by call (bare arrays,
//! `select` with renames and embeddings, `Prefer`, `Range`, single
//! objects, bulk writes, its error body).

use std::sync::Arc;

use axum::Router;
use serde_json::{Value, json};

use crate::serve::{Answer, raw};

/// The example on SQLite, served with the profile at `/rest/v1`.
fn example(dir: &std::path::Path) -> Router {
    let manifest = baas::serve::example_manifest().unwrap();
    let path = dir.join("example.sqlite3");
    let (engine, _) = baas::serve::SqliteStore::dev(&path, &manifest, false).unwrap();
    engine
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    let state = baas::serve::AppState::new(Arc::new(manifest), Arc::new(engine));
    baas::serve::http::router_with(
        state,
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    )
}

async fn get(router: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    raw(router, "GET", uri, None, headers).await
}

/// Asserts PostgREST's error body: `code`, `message`, `details`, `hint`.
#[track_caller]
fn pg_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert!(answer.body["message"].is_string(), "{}", answer.body);
    let object = answer.body.as_object().unwrap();
    assert!(object.contains_key("details") && object.contains_key("hint"));
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

fn ids(answer: &Answer) -> Vec<i64> {
    answer
        .body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", answer.body))
        .iter()
        .map(|row| row["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_are_bare_arrays_with_content_range() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let all = get(&router, "/rest/v1/book", &[]).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(ids(&all), [1, 2, 3, 4, 5]);
    assert_eq!(all.header("content-range"), Some("0-4/*"));
    assert_eq!(all.body[0]["price"], "8.99");

    let star = get(
        &router,
        "/rest/v1/book?select=*&id=gte.4&order=id.desc",
        &[],
    )
    .await;
    assert_eq!(ids(&star), [5, 4]);
    assert_eq!(star.body[0].as_object().unwrap().len(), 11);

    // A window by query string, or by `Range` when there is none; a count
    // makes a partial window a 206.
    let page = get(
        &router,
        "/rest/v1/book?select=id&order=id&limit=2&offset=1",
        &[("prefer", "count=exact")],
    )
    .await;
    assert_eq!(page.status, 206);
    assert_eq!(page.body, json!([{"id": 2}, {"id": 3}]));
    assert_eq!(page.header("content-range"), Some("1-2/5"));
    let ranged = get(
        &router,
        "/rest/v1/book?select=id&order=id",
        &[("range", "3-9")],
    )
    .await;
    assert_eq!(ids(&ranged), [4, 5]);
    assert_eq!(ranged.header("content-range"), Some("3-4/*"));
    let whole = get(
        &router,
        "/rest/v1/book?select=id",
        &[("prefer", "count=planned")],
    )
    .await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-range"), Some("0-4/5"));
    let none = get(
        &router,
        "/rest/v1/book?title=eq.nothing",
        &[("prefer", "count=exact")],
    )
    .await;
    assert_eq!((none.status.as_u16(), none.body.clone()), (200, json!([])));
    assert_eq!(none.header("content-range"), Some("*/0"));
    let beyond = get(
        &router,
        "/rest/v1/book?offset=9",
        &[("prefer", "count=exact")],
    )
    .await;
    pg_error(&beyond, 416, "PGRST103");
}

#[tokio::test(flavor = "multi_thread")]
async fn select_renames_casts_and_keeps_the_order_asked() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let answer = get(
        &router,
        "/rest/v1/book?select=name:title,%20id,pages::text&id=eq.1",
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        serde_json::to_string(&answer.body).unwrap(),
        r#"[{"name":"A Wizard of Earthsea","id":1,"pages":"183"}]"#
    );
    pg_error(
        &get(&router, "/rest/v1/book?select=nope", &[]).await,
        400,
        "42703",
    );
    pg_error(
        &get(&router, "/rest/v1/book?select=id,", &[]).await,
        400,
        "PGRST100",
    );
    pg_error(
        &get(&router, "/rest/v1/book?nope=eq.1", &[]).await,
        400,
        "42703",
    );
    pg_error(
        &get(&router, "/rest/v1/book?id=zz.1", &[]).await,
        400,
        "PGRST100",
    );
    let missing = get(&router, "/rest/v1/bok", &[]).await;
    pg_error(&missing, 404, "PGRST205");
    assert_eq!(
        missing.body["hint"],
        "Perhaps you meant the table 'public.book'"
    );
    pg_error(
        &get(&router, "/rest/v1/rpc/hello", &[]).await,
        404,
        "PGRST202",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_follow_postgrest_operators() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let cases: &[(&str, &[i64])] = &[
        ("id=eq.2", &[2]),
        ("id=neq.2", &[1, 3, 4, 5]),
        ("pages=gt.200", &[2, 4]),
        ("pages=gte.260", &[2, 4]),
        ("pages=lt.183", &[3]),
        ("pages=lte.183", &[1, 3]),
        ("title=like.*Earth*", &[1]),
        ("title=ilike.*CITIES*", &[3]),
        ("id=in.(1,3,9)", &[1, 3]),
        ("pages=is.null", &[5]),
        ("pages=not.is.null", &[1, 2, 3, 4]),
        ("in_stock=is.false", &[3]),
        ("id=not.in.(1,2)", &[3, 4, 5]),
        ("or=(id.eq.1,pages.is.null)", &[1, 5]),
        ("and=(id.gt.1,or(genre.eq.poetry,pages.lt.200))", &[3, 5]),
        ("genre=eq.fiction&pages=lt.200", &[1, 3]),
        ("keywords=cs.{magic}", &[1]),
        ("title=match.^The", &[2]),
        ("title=imatch.^the", &[2]),
        ("pages=isdistinct.183", &[2, 3, 4, 5]),
    ];
    for (query, expected) in cases {
        let answer = get(
            &router,
            &format!("/rest/v1/book?select=id&order=id&{query}"),
            &[],
        )
        .await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(ids(&answer), *expected, "{query}");
    }
    for unsupported in ["title=fts.wizard", "title=plfts.a", "keywords=ov.{a}"] {
        let answer = get(&router, &format!("/rest/v1/book?{unsupported}"), &[]).await;
        pg_error(&answer, 400, "PGRST100");
        assert!(
            answer.body["message"]
                .as_str()
                .unwrap()
                .contains("not supported"),
            "{unsupported}: {}",
            answer.body
        );
    }
}

/// `op(any).{a,b}` / `op(all).{a,b}`: the operator over the list, OR-ed or
/// AND-ed, on `router` (any engine over the example rows).
pub async fn any_and_all_modifiers(router: &Router) {
    let cases: &[(&str, &[i64])] = &[
        ("id=eq(any).{1,3,9}", &[1, 3]),
        ("title=like(any).{*Earth*,*Cities*}", &[1, 3]),
        ("title=like(all).{*a*,*of*}", &[1, 2, 5]),
        ("title=ilike(any).{%22*cities*%22,%22*SAND*%22}", &[3, 5]),
        ("pages=gt(any).{300,250}", &[2, 4]),
        ("pages=lt(all).{200,170}", &[3]),
        ("pages=gte(all).{183,260}", &[2, 4]),
        ("title=match(any).{^The,Cities$}", &[2, 3]),
        ("id=not.eq(any).{1,2}", &[3, 4, 5]),
        ("or=(id.eq(any).{1,2},pages.is.null)", &[1, 2, 5]),
        ("id=eq(any).{}", &[]),
        ("id=eq(all).{}", &[1, 2, 3, 4, 5]),
    ];
    for (query, expected) in cases {
        let answer = get(
            router,
            &format!("/rest/v1/book?select=id&order=id&{query}"),
            &[],
        )
        .await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(ids(&answer), *expected, "{query}");
    }
    for (wrong, says) in [
        ("id=in(any).{1}", "modifier applies to"),
        ("id=eq(any).1", "takes a list"),
        ("id=eq(all).{1,x}", "must be an integer"),
    ] {
        let answer = get(router, &format!("/rest/v1/book?{wrong}"), &[]).await;
        pg_error(&answer, 400, "PGRST100");
        let message = answer.body["message"].as_str().unwrap();
        assert!(message.contains(says), "{wrong}: {}", answer.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn any_and_all_modifiers_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    any_and_all_modifiers(&example(dir.path())).await;
}

/// The example on PostgreSQL, served with the profile at `/rest/v1`.
async fn example_on_postgres(database: &crate::support::postgres::TempDatabase) -> Router {
    let manifest = Arc::new(baas::serve::example_manifest().unwrap());
    let engine = crate::serve_engines::example_on_postgres(database, &manifest).await;
    baas::serve::http::router_with(
        baas::serve::AppState::new(manifest, engine),
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn any_and_all_modifiers_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create_async("pg_pgrst_any").await
    else {
        return;
    };
    any_and_all_modifiers(&example_on_postgres(&database).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn embeds_follow_relations_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let to_one = get(
        &router,
        "/rest/v1/book?select=title,writer:author(name)&id=lt.3&order=id",
        &[],
    )
    .await;
    assert_eq!(to_one.status, 200, "{}", to_one.body);
    assert_eq!(
        to_one.body,
        json!([
            {"title": "A Wizard of Earthsea", "writer": {"name": "Ursula K. Le Guin"}},
            {"title": "The Left Hand of Darkness", "writer": {"name": "Ursula K. Le Guin"}},
        ])
    );
    // By the key field, by the foreign key's name; spread.
    for select in ["author_id(name)", "author!book_author_fkey(name)"] {
        let answer = get(
            &router,
            &format!("/rest/v1/book?select=id,{select}&id=eq.3"),
            &[],
        )
        .await;
        assert_eq!(answer.status, 200, "{select}: {}", answer.body);
        assert_eq!(
            answer.body[0].as_object().unwrap().values().nth(1).unwrap()["name"],
            "Italo Calvino",
            "{select}"
        );
    }
    let spread = get(
        &router,
        "/rest/v1/book?select=id,...author(name)&id=eq.3",
        &[],
    )
    .await;
    assert_eq!(spread.body, json!([{"id": 3, "name": "Italo Calvino"}]));

    // To many, with a filter, an order and a window per parent.
    let to_many = get(
        &router,
        "/rest/v1/author?select=name,book(title)&book.order=title.desc&book.limit=1&book.pages=gt.170&order=id",
        &[],
    )
    .await;
    assert_eq!(to_many.status, 200, "{}", to_many.body);
    assert_eq!(
        to_many.body,
        json!([
            {"name": "Ursula K. Le Guin", "book": [{"title": "The Left Hand of Darkness"}]},
            {"name": "Italo Calvino", "book": [{"title": "If on a winter's night a traveler"}]},
            {"name": "Wisława Szymborska", "book": []},
        ])
    );
    // `!inner` drops the parents with no matching row, and the count too.
    let inner = get(
        &router,
        "/rest/v1/author?select=id,book!inner(id)&book.title=ilike.*cities*",
        &[("prefer", "count=exact")],
    )
    .await;
    assert_eq!(
        inner.body,
        json!([{"id": 2, "book": [{"id": 3}]}]),
        "{}",
        inner.body
    );
    assert_eq!(inner.header("content-range"), Some("0-0/1"));
    // Nested two levels, through the composite-key entity.
    let nested = get(
        &router,
        "/rest/v1/tag?select=label,book_tag(book(title))&id=eq.2",
        &[],
    )
    .await;
    assert_eq!(
        nested.body,
        json!([{"label": "award-winner", "book_tag": [{"book": {"title": "The Left Hand of Darkness"}}]}]),
        "{}",
        nested.body
    );
    pg_error(
        &get(&router, "/rest/v1/book?select=id,nope(id)", &[]).await,
        400,
        "PGRST200",
    );
    pg_error(
        &get(&router, "/rest/v1/author?select=...book(id)", &[]).await,
        400,
        "PGRST119",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn single_objects_are_406_unless_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let accept = [("accept", "application/vnd.pgrst.object+json")];
    let one = get(&router, "/rest/v1/book?select=id,title&id=eq.3", &accept).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, json!({"id": 3, "title": "Invisible Cities"}));
    assert_eq!(
        one.header("content-type"),
        Some("application/vnd.pgrst.object+json; charset=utf-8")
    );
    for query in ["id=gt.1", "id=eq.99"] {
        let answer = get(&router, &format!("/rest/v1/book?{query}"), &accept).await;
        pg_error(&answer, 406, "PGRST116");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_profile_is_off_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (router, _) = crate::serve::example_sqlite(dir.path());
    let answer = get(&router, "/rest/v1/book", &[]).await;
    assert_eq!(answer.status, 404);
    let other = tempfile::tempdir().unwrap();
    let root = get(&example(other.path()), "/rest/v1/", &[]).await;
    assert_eq!(root.status, 200);
    assert!(root.body["openapi"].is_string(), "{}", root.body);
    let _: Value = root.body;
}

/// The named parameters of an operation (`$ref`s resolved).
fn parameter_names(document: &Value, operation: &Value) -> Vec<(String, String)> {
    operation["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("no parameters: {operation}"))
        .iter()
        .map(|parameter| match parameter["$ref"].as_str() {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap();
                document["components"]["parameters"][name].clone()
            }
            None => parameter.clone(),
        })
        .map(|p| {
            (
                p["in"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_root_describes_the_profile_in_its_own_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let root = get(&router, "/rest/v1/", &[]).await;
    assert_eq!(root.status, 200, "{}", root.body);
    assert_eq!(
        root.header("content-type"),
        Some("application/openapi+json; charset=utf-8")
    );
    let document = root.body.clone();
    // A valid OpenAPI 3.0 document, as the `openapiv3` crate reads it.
    let parsed: openapiv3::OpenAPI = serde_json::from_value(document.clone())
        .unwrap_or_else(|e| panic!("not an OpenAPI 3.0 document: {e}"));
    assert_eq!(parsed.openapi, "3.0.3");
    assert_eq!(parsed.servers[0].url, "/rest/v1");

    // Each entity once, at PostgREST's path, and nothing of `/api`.
    let mut paths: Vec<&str> = parsed.paths.paths.keys().map(String::as_str).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/",
            "/author",
            "/book",
            "/book_in_stock",
            "/book_tag",
            "/rpc/{function}",
            "/tag"
        ]
    );
    let book = &document["paths"]["/book"];
    for method in ["get", "post", "patch", "delete"] {
        assert!(book[method].is_object(), "{method}");
    }
    let view = &document["paths"]["/book_in_stock"];
    assert!(view["get"].is_object() && view["post"].is_null() && view["patch"].is_null());

    // Reads: PostgREST's parameters, a filter per column in its grammar.
    let read = parameter_names(&document, &book["get"]);
    for (place, name) in [
        ("query", "select"),
        ("query", "order"),
        ("query", "limit"),
        ("query", "offset"),
        ("header", "Range"),
        ("header", "Range-Unit"),
        ("header", "Prefer"),
        ("query", "title"),
        ("query", "metadata"),
        ("query", "author_id"),
    ] {
        assert!(
            read.contains(&(place.to_owned(), name.to_owned())),
            "{place} {name}: {read:?}"
        );
    }
    let title = book["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "title")
        .unwrap();
    let pattern = regex::Regex::new(title["schema"]["pattern"].as_str().unwrap()).unwrap();
    for good in [
        "eq.x",
        "not.ilike.*a*",
        "in.(a,b)",
        "is.null",
        "like(any).{a*,b*}",
    ] {
        assert!(pattern.is_match(good), "{good}");
    }
    for bad in ["fts.word", "x", "eq"] {
        assert!(!pattern.is_match(bad), "{bad}");
    }
    let description = title["description"].as_str().unwrap();
    assert!(description.contains("ilike") && description.contains("isdistinct"));
    // Writes: `on_conflict`, `columns` and `Prefer` on inserts; filters on
    // bulk updates and deletes.
    let insert = parameter_names(&document, &book["post"]);
    for name in ["on_conflict", "columns", "Prefer"] {
        assert!(insert.iter().any(|(_, n)| n == name), "{name}: {insert:?}");
    }
    let prefer = document["components"]["parameters"]["preferInsert"]["description"]
        .as_str()
        .unwrap();
    for token in [
        "return=representation",
        "resolution=merge-duplicates",
        "missing=default",
    ] {
        assert!(prefer.contains(token), "{prefer}");
    }
    for method in ["patch", "delete"] {
        let names = parameter_names(&document, &book[method]);
        assert!(names.iter().any(|(_, n)| n == "title"), "{method}");
        assert!(
            book[method]["description"]
                .as_str()
                .unwrap()
                .contains("21000")
        );
    }

    // Answers: bare arrays with `Content-Range`; PostgREST's error body.
    let ok = &book["get"]["responses"]["200"];
    assert_eq!(ok["content"]["application/json"]["schema"]["type"], "array");
    assert_eq!(
        ok["content"]["application/json"]["schema"]["items"]["$ref"],
        "#/components/schemas/BookRow"
    );
    assert_eq!(ok["headers"]["Content-Range"]["required"], true);
    assert!(book["get"]["responses"]["206"].is_object());
    assert_eq!(
        document["components"]["schemas"]["Error"]["required"],
        json!(["code", "message", "details", "hint"])
    );
    let row = &document["components"]["schemas"]["BookRow"]["properties"];
    assert_eq!(row["pages"]["nullable"], true);
    assert_eq!(
        (
            &row["pages"]["type"],
            &row["title"]["type"],
            &row["keywords"]["items"]["type"]
        ),
        (&json!("integer"), &json!("string"), &json!("string"))
    );
    assert!(row["id"]["description"].as_str().unwrap().contains("<pk/>"));
    assert!(
        row["author_id"]["description"]
            .as_str()
            .unwrap()
            .contains("<fk table='author' column='id'/>")
    );
    assert_eq!(
        document["paths"]["/rpc/{function}"]["post"]["responses"]["404"]["$ref"],
        "#/components/responses/NoFunction"
    );

    // Served once per manifest version, with an `ETag`.
    let etag = root.header("etag").unwrap().to_owned();
    let again = get(&router, "/rest/v1", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);

    // The native document is untouched, and the mount path is the server's.
    let native = get(&router, "/api/_openapi.json", &[]).await;
    assert_eq!(native.body["openapi"], "3.1.0");
    assert!(native.body["paths"]["/api/book"].is_object());
    let manifest = baas::serve::example_manifest().unwrap();
    let mounted = baas::serve::http::postgrest::openapi::document(&manifest, "/db/v1");
    assert_eq!(mounted["servers"][0]["url"], "/db/v1");

    // openapi-spec-validator agrees.
    crate::support::assert_valid_openapi(&document, dir.path());
}

async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    raw(
        router,
        method,
        uri,
        body.map(|b| b.to_string().into_bytes()),
        headers,
    )
    .await
}

const REPRESENTATION: (&str, &str) = ("prefer", "return=representation");

#[tokio::test(flavor = "multi_thread")]
async fn inserts_one_or_many_with_the_answer_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    // Minimal by default: 201, no body.
    let minimal = send(
        &router,
        "POST",
        "/rest/v1/author",
        Some(json!({"name": "A"})),
        &[],
    )
    .await;
    assert_eq!(minimal.status, 201, "{}", minimal.body);
    assert_eq!(minimal.body, Value::Null);
    // Headers only: where the row is.
    let located = send(
        &router,
        "POST",
        "/rest/v1/author",
        Some(json!({"name": "B"})),
        &[("prefer", "return=headers-only")],
    )
    .await;
    assert_eq!(located.status, 201);
    assert_eq!(located.header("location"), Some("/author?id=eq.5"));
    // An array: every row, shaped by `select` (with an embedding).
    let many = send(
        &router,
        "POST",
        "/rest/v1/book?select=title,author(name)",
        Some(json!([
            {"title": "T1", "isbn": "i-1", "author_id": 4},
            {"title": "T2", "isbn": "i-2", "author_id": 5},
        ])),
        &[REPRESENTATION],
    )
    .await;
    assert_eq!(many.status, 201, "{}", many.body);
    assert_eq!(
        many.body,
        json!([
            {"title": "T1", "author": {"name": "A"}},
            {"title": "T2", "author": {"name": "B"}},
        ])
    );
    // `.single()` on an insert of one row: the object.
    let single = send(
        &router,
        "POST",
        "/rest/v1/tag",
        Some(json!({"label": "new"})),
        &[
            REPRESENTATION,
            ("accept", "application/vnd.pgrst.object+json"),
        ],
    )
    .await;
    assert_eq!(single.body, json!({"id": 4, "label": "new"}));
    // `columns` keeps only the named keys.
    let columns = send(
        &router,
        "POST",
        "/rest/v1/tag?columns=label",
        Some(json!({"label": "c", "id": 99})),
        &[REPRESENTATION],
    )
    .await;
    assert_eq!(columns.body, json!([{"id": 5, "label": "c"}]));
}

/// A field one object of a bulk insert leaves out takes its default, even
/// when another object names it, with `Prefer: missing=default` and
/// without it (baas always inserts as `missing=default`; PostgREST without
/// it would write NULL there).
#[tokio::test(flavor = "multi_thread")]
async fn bulk_inserts_give_left_out_fields_their_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    for (n, prefer) in [
        "return=representation",
        "return=representation,missing=default",
    ]
    .into_iter()
    .enumerate()
    {
        let answer = send(
            &router,
            "POST",
            "/rest/v1/book?select=title,genre,in_stock",
            Some(json!([
                {"title": format!("D{n}a"), "isbn": format!("d{n}-a"), "author_id": 1,
                 "genre": "poetry", "in_stock": false},
                {"title": format!("D{n}b"), "isbn": format!("d{n}-b"), "author_id": 1},
            ])),
            &[("prefer", prefer)],
        )
        .await;
        assert_eq!(answer.status, 201, "{prefer}: {}", answer.body);
        assert_eq!(
            answer.body,
            json!([
                {"title": format!("D{n}a"), "genre": "poetry", "in_stock": false},
                {"title": format!("D{n}b"), "genre": "fiction", "in_stock": true},
            ]),
            "{prefer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn upserts_merge_or_ignore_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let merged = send(
        &router,
        "POST",
        "/rest/v1/tag?on_conflict=label",
        Some(json!([{"label": "classic"}, {"label": "fresh"}])),
        &[(
            "prefer",
            "return=representation,resolution=merge-duplicates",
        )],
    )
    .await;
    assert_eq!(merged.status, 201, "{}", merged.body);
    assert_eq!(
        merged.body,
        json!([{"id": 1, "label": "classic"}, {"id": 4, "label": "fresh"}])
    );
    let updated = send(
        &router,
        "POST",
        "/rest/v1/author",
        Some(json!({"id": 2, "name": "I. Calvino"})),
        &[
            ("prefer", "return=representation"),
            ("prefer", "resolution=merge-duplicates"),
        ],
    )
    .await;
    assert_eq!(updated.body[0]["name"], "I. Calvino", "{}", updated.body);
    assert_eq!(updated.body[0]["born_on"], "1923-10-15");
    let ignored = send(
        &router,
        "POST",
        "/rest/v1/tag?on_conflict=label",
        Some(json!([{"label": "classic"}, {"label": "other"}])),
        &[(
            "prefer",
            "return=representation,resolution=ignore-duplicates",
        )],
    )
    .await;
    assert_eq!(ignored.body, json!([{"id": 5, "label": "other"}]));
    // Without a resolution, a duplicate is PostgreSQL's 23505 as 409.
    let conflict = send(
        &router,
        "POST",
        "/rest/v1/tag",
        Some(json!({"label": "classic"})),
        &[],
    )
    .await;
    pg_error(&conflict, 409, "23505");
}

#[tokio::test(flavor = "multi_thread")]
async fn filtered_updates_and_deletes_touch_every_matching_row() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let updated = send(
        &router,
        "PATCH",
        "/rest/v1/book?author_id=eq.1&select=id,in_stock",
        Some(json!({"in_stock": false})),
        &[REPRESENTATION],
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        updated.body,
        json!([{"id": 1, "in_stock": false}, {"id": 2, "in_stock": false}])
    );
    let minimal = send(
        &router,
        "PATCH",
        "/rest/v1/book?id=eq.3",
        Some(json!({"pages": 166})),
        &[("prefer", "count=exact")],
    )
    .await;
    assert_eq!(minimal.status, 204);
    assert_eq!(minimal.header("content-range"), Some("*/1"));
    let stock = get(
        &router,
        "/rest/v1/book?select=id&in_stock=is.false&order=id",
        &[],
    )
    .await;
    assert_eq!(ids(&stock), [1, 2, 3]);

    // Without a filter: refused, as PostgreSQL's safe update does.
    for method in ["PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({"pages": 1}));
        let answer = send(&router, method, "/rest/v1/book", body, &[]).await;
        pg_error(&answer, 400, "21000");
    }
    let invalid = send(
        &router,
        "PATCH",
        "/rest/v1/book?id=eq.1",
        Some(json!({"pages": "many"})),
        &[],
    )
    .await;
    pg_error(&invalid, 400, "22P02");

    let deleted = send(
        &router,
        "DELETE",
        "/rest/v1/book_tag?tag_id=eq.3&select=book_id",
        None,
        &[REPRESENTATION],
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        deleted.body,
        json!([{"book_id": 3}, {"book_id": 4}, {"book_id": 5}])
    );
    let gone = send(
        &router,
        "DELETE",
        "/rest/v1/book_tag?tag_id=eq.3",
        None,
        &[],
    )
    .await;
    assert_eq!(gone.status, 204);
    // A reference that would break: 409 23503.
    let referenced = send(&router, "DELETE", "/rest/v1/author?id=eq.1", None, &[]).await;
    pg_error(&referenced, 409, "23503");
    let not_json = send(
        &router,
        "POST",
        "/rest/v1/tag",
        None,
        &[("content-type", "application/json")],
    )
    .await;
    pg_error(&not_json, 400, "PGRST102");
}

// ---------------------------------------------------------------------------
// The real clients: tests/postgrest/client.cjs with `@supabase/postgrest-js`
// and `@supabase/supabase-js` from tests/tools/setup.sh.

/// `tests/tools/node_modules`, installed by setup.sh once per run; `None`
/// (with a note) when it cannot be had outside CI.
#[allow(clippy::print_stderr)]
pub(crate) fn node_modules() -> Option<&'static std::path::Path> {
    static MODULES: std::sync::OnceLock<Result<std::path::PathBuf, String>> =
        std::sync::OnceLock::new();
    let result = MODULES.get_or_init(|| {
        crate::support::tools_output()?
            .lines()
            .find_map(|line| line.strip_prefix("NODE_MODULES="))
            .map(std::path::PathBuf::from)
            .ok_or_else(|| "setup.sh printed no NODE_MODULES".to_owned())
    });
    match result {
        Ok(path) => Some(path),
        Err(error) if std::env::var_os("CI").is_some() => panic!("{error}"),
        Err(error) => {
            eprintln!("skipping: {error}");
            None
        }
    }
}

/// Runs the client program against `base` (`http://127.0.0.1:PORT`).
fn run_clients(base: &str, modules: &std::path::Path) {
    let program =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/postgrest/client.cjs");
    let output = std::process::Command::new("node")
        .arg(&program)
        .env("BAAS_URL", base)
        .env("NODE_PATH", modules)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the PostgREST clients failed against {base}:\n{stderr}\nanswers:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        stderr.contains("calls answered as PostgREST documents"),
        "{stderr}"
    );
}

#[test]
fn the_real_clients_work_on_sqlite() {
    let Some(modules) = node_modules() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = crate::serve::Server::start(dir.path(), &["--example", "--postgrest"]);
    run_clients(&server.url(""), modules);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_clients_work_on_postgres() {
    let Some(modules) = node_modules() else {
        return;
    };
    let Some(database) = crate::support::postgres::TempDatabase::create_async("pg_postgrest").await
    else {
        return;
    };
    let router = example_on_postgres(&database).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let modules = modules.to_owned();
    tokio::task::spawn_blocking(move || run_clients(&base, &modules))
        .await
        .unwrap();
    server.abort();
}

// ---------------------------------------------------------------------------
// The same operations on the native profile (`/api`, docs/api.md):
// embedding by relation name in `select`, filtered bulk writes.

/// The native profile's embedding and filtered bulk writes on `router`
/// (any engine), over rows it creates and removes again: leaves the
/// example rows as it found them.
pub async fn native_many_rows(router: &Router, engine: &str) {
    use crate::serve::call;
    let author = call(
        router,
        "POST",
        "/api/author",
        Some(json!({"name": "Bulk Writer"})),
    )
    .await;
    assert_eq!(author.status, 201, "{engine}: {}", author.body);
    let author_id = author.body["id"].as_i64().unwrap();
    let mut book_ids = Vec::new();
    for (n, pages) in [(1, 10), (2, 20), (3, 30)] {
        let book = call(
            router,
            "POST",
            "/api/book",
            Some(json!({
                "title": format!("Bulk {n}"),
                "isbn": format!("bulk-{engine}-{n}"),
                "pages": pages,
                "author_id": author_id,
            })),
        )
        .await;
        assert_eq!(book.status, 201, "{engine}: {}", book.body);
        book_ids.push(book.body["id"].as_i64().unwrap());
    }

    // Embedding by relation name, both ways, with a filter and an order on
    // the embedded rows; and the same rows as `expand` nests them.
    let embedded = call(
        router,
        "GET",
        &format!("/api/book?select=title,writer:author(name)&author_id=eq.{author_id}&order=id&limit=2&count=exact"),
        None,
    )
    .await;
    assert_eq!(embedded.status, 200, "{engine}: {}", embedded.body);
    assert_eq!(
        embedded.body,
        json!({"data": [
            {"title": "Bulk 1", "writer": {"name": "Bulk Writer"}},
            {"title": "Bulk 2", "writer": {"name": "Bulk Writer"}},
        ], "count": 3}),
        "{engine}"
    );
    let to_many = call(
        router,
        "GET",
        &format!("/api/author?select=name,book(title,pages)&id=eq.{author_id}&book.pages=gte.20&book.order=pages.desc"),
        None,
    )
    .await;
    assert_eq!(
        to_many.body,
        json!({"data": [{"name": "Bulk Writer", "book": [
            {"title": "Bulk 3", "pages": 30},
            {"title": "Bulk 2", "pages": 20},
        ]}]}),
        "{engine}"
    );
    let one = format!("/api/book/{}", book_ids[0]);
    let by_select = call(router, "GET", &format!("{one}?select=id,author(*)"), None).await;
    let by_expand = call(
        router,
        "GET",
        &format!("{one}?select=id&expand=author"),
        None,
    )
    .await;
    assert_eq!(by_select.status, 200, "{engine}: {}", by_select.body);
    assert_eq!(by_select.body, by_expand.body, "{engine}");
    assert_eq!(by_select.body["author"]["name"], "Bulk Writer", "{engine}");
    call(router, "GET", "/api/book?select=title,nothing(name)", None)
        .await
        .problem(400, "bad-query");

    // A filtered bulk update: every matching row, the rows as updated.
    let updated = call(
        router,
        "PATCH",
        &format!("/api/book?author_id=eq.{author_id}&pages=gte.20&select=title,in_stock"),
        Some(json!({"in_stock": false})),
    )
    .await;
    assert_eq!(updated.status, 200, "{engine}: {}", updated.body);
    let mut titles = updated.column("title");
    titles.sort_by_key(|t| t.to_string());
    assert_eq!(titles, [json!("Bulk 2"), json!("Bulk 3")], "{engine}");
    assert!(
        updated
            .column("in_stock")
            .iter()
            .all(|v| v == &json!(false)),
        "{engine}: {}",
        updated.body
    );
    let stock = call(
        router,
        "GET",
        &format!("/api/book?author_id=eq.{author_id}&in_stock=eq.true&select=title"),
        None,
    )
    .await;
    assert_eq!(stock.column("title"), [json!("Bulk 1")], "{engine}");
    // An invalid body is refused before any row changes.
    call(
        router,
        "PATCH",
        &format!("/api/book?author_id=eq.{author_id}"),
        Some(json!({"pages": "many"})),
    )
    .await
    .problem(422, "validation");
    // Without a filter: refused (no `[api] unfiltered_writes`).
    call(router, "PATCH", "/api/book", Some(json!({"pages": 1})))
        .await
        .problem(400, "bad-query");
    call(router, "DELETE", "/api/book", None)
        .await
        .problem(400, "bad-query");
    call(router, "DELETE", "/api/book_in_stock?id=eq.1", None)
        .await
        .problem(405, "read-only");
    // A delete that would break a reference: nothing deleted.
    call(
        router,
        "DELETE",
        &format!("/api/author?id=eq.{author_id}"),
        None,
    )
    .await
    .problem(409, "reference");

    let deleted = call(
        router,
        "DELETE",
        &format!("/api/book?author_id=eq.{author_id}&select=title"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200, "{engine}: {}", deleted.body);
    assert_eq!(deleted.data().len(), 3, "{engine}: {}", deleted.body);
    let left = call(
        router,
        "GET",
        &format!("/api/book?author_id=eq.{author_id}"),
        None,
    )
    .await;
    assert!(left.data().is_empty(), "{engine}: {}", left.body);
    let gone = call(router, "DELETE", &format!("/api/author/{author_id}"), None).await;
    assert_eq!(gone.status, 204, "{engine}: {}", gone.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_native_profile_embeds_and_writes_many_rows_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    native_many_rows(&example(dir.path()), "sqlite").await;
}

/// `[api] unfiltered_writes = true` lets a bulk write run without a filter,
/// on both profiles.
#[tokio::test(flavor = "multi_thread")]
async fn unfiltered_writes_are_allowed_only_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = baas::serve::example_manifest().unwrap();
    manifest
        .api
        .get_or_insert_with(Default::default)
        .unfiltered_writes = true;
    let (engine, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("u.sqlite3"), &manifest, false).unwrap();
    engine
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    let state = baas::serve::AppState::new(Arc::new(manifest), Arc::new(engine));
    let router = baas::serve::http::router_with(
        state,
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    );
    let native = crate::serve::call(&router, "PATCH", "/api/book", Some(json!({"pages": 7}))).await;
    assert_eq!(native.status, 200, "{}", native.body);
    assert_eq!(native.data().len(), 5);
    let profile = send(&router, "DELETE", "/rest/v1/book_tag", None, &[]).await;
    assert_eq!(profile.status, 204, "{}", profile.body);
    let tags = get(&router, "/rest/v1/book_tag", &[]).await;
    assert_eq!(tags.body, json!([]));
}

/// Rules judge every row of a native bulk write: a user changes and
/// deletes only the rows their rules allow; the others stay as they were.
#[tokio::test(flavor = "multi_thread")]
async fn native_bulk_writes_apply_the_rules_per_row() {
    use crate::rules::{SECRET, SERVICE_KEY};
    let dir = tempfile::tempdir().unwrap();
    let manifest = crate::rules::manifest_with_auth();
    std::fs::write(
        dir.path().join(".env"),
        format!("BAAS_RULES_TEST_SECRET={SECRET}\nBAAS_RULES_TEST_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("r.sqlite3"), &manifest, false).unwrap();
    crate::rules::load_rows(&store, &manifest).await;
    let state = baas::serve::AppState::new(manifest, Arc::new(store));
    state.use_manifest_dir(dir.path()).unwrap();
    let router = baas::serve::router(state);
    let exp = crate::rules::expires_in(600);
    let ada = format!(
        "Bearer {}",
        crate::rules::hs256(&json!({"sub": "1", "org": 1, "exp": exp}))
    );
    let as_ada = [("authorization", ada.as_str())];
    let body = |json: Value| Some(json.to_string().into_bytes());
    // Ada sees posts 1, 2 and 4 and may update her own: 1 and 2.
    let updated = raw(
        &router,
        "PATCH",
        "/api/post?id=gte.1&select=id",
        body(json!({"title": "edited"})),
        &as_ada,
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.column("id"), [json!(1), json!(2)]);
    let service_key = format!("Bearer {SERVICE_KEY}");
    let service = [("authorization", service_key.as_str())];
    let titles = raw(
        &router,
        "GET",
        "/api/post?order=id&select=title",
        None,
        &service,
    )
    .await;
    assert_eq!(
        titles.column("title"),
        [
            json!("edited"),
            json!("edited"),
            json!("Bob's draft"),
            json!("Bob's news")
        ]
    );
    // She may delete the posts of her org's authors: 2, not Bob's 4 (nor
    // his draft 3, which she cannot even see).
    let deleted = raw(
        &router,
        "DELETE",
        "/api/post?id=gte.2&select=id",
        None,
        &as_ada,
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.column("id"), [json!(2)]);
    let left = raw(
        &router,
        "GET",
        "/api/post?order=id&select=id",
        None,
        &service,
    )
    .await;
    assert_eq!(left.column("id"), [json!(1), json!(3), json!(4)]);
}

/// The labels of the tags whose label starts with `tx-`, in order.
async fn tx_labels(router: &Router) -> Value {
    get(
        router,
        "/rest/v1/tag?label=like.tx-*&select=label&order=label",
        &[],
    )
    .await
    .body
}

/// Bulk writes are one transaction on the SQL engines (a failing row
/// leaves no row of the request behind) and row by row on MongoDB; an
/// invalid row is refused before any row is written, on every engine.
/// Leaves the rows as it found them.
pub async fn bulk_writes_are_one_transaction(
    manifest: Arc<baas::manifest::Manifest>,
    store: Arc<dyn baas::serve::Store>,
    engine: &str,
) {
    let router = baas::serve::http::router_with(
        baas::serve::AppState::new(manifest, store),
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    );
    let long = "x".repeat(41);
    let invalid = send(
        &router,
        "POST",
        "/rest/v1/tag",
        Some(json!([{"label": "tx-a"}, {"label": long}, {"label": "tx-z"}])),
        &[],
    )
    .await;
    pg_error(&invalid, 400, "22001");
    assert_eq!(tx_labels(&router).await, json!([]), "{engine}");

    // A duplicate in the batch fails at the third row, in the database.
    let duplicate = send(
        &router,
        "POST",
        "/rest/v1/tag",
        Some(json!([{"label": "tx-b"}, {"label": "tx-c"}, {"label": "tx-b"}])),
        &[],
    )
    .await;
    pg_error(&duplicate, 409, "23505");
    let left = tx_labels(&router).await;
    if engine == "mongodb" {
        assert_eq!(left, json!([{"label": "tx-b"}, {"label": "tx-c"}]));
    } else {
        assert_eq!(
            left,
            json!([]),
            "{engine}: the rows before the failure stay"
        );
    }
    send(&router, "DELETE", "/rest/v1/tag?label=like.tx-*", None, &[]).await;

    // A bulk update whose second row fails leaves the first as it was.
    let created = send(
        &router,
        "POST",
        "/rest/v1/tag",
        Some(json!([{"label": "tx-d"}, {"label": "tx-e"}])),
        &[],
    )
    .await;
    assert_eq!(created.status, 201, "{engine}: {}", created.body);
    let same = send(
        &router,
        "PATCH",
        "/rest/v1/tag?label=like.tx-*&order=label",
        Some(json!({"label": "tx-same"})),
        &[],
    )
    .await;
    pg_error(&same, 409, "23505");
    let left = tx_labels(&router).await;
    if engine == "mongodb" {
        assert_eq!(left, json!([{"label": "tx-e"}, {"label": "tx-same"}]));
    } else {
        assert_eq!(
            left,
            json!([{"label": "tx-d"}, {"label": "tx-e"}]),
            "{engine}: the first update stays"
        );
    }
    // A bulk write that succeeds is committed whole.
    let deleted = send(&router, "DELETE", "/rest/v1/tag?label=like.tx-*", None, &[]).await;
    assert_eq!(deleted.status, 204, "{engine}: {}", deleted.body);
    assert_eq!(tx_labels(&router).await, json!([]), "{engine}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_writes_are_one_transaction_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = baas::serve::example_manifest().unwrap();
    let (engine, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("tx.sqlite3"), &manifest, false).unwrap();
    engine
        .load_rows(&manifest, &baas::serve::example_rows().unwrap())
        .unwrap();
    bulk_writes_are_one_transaction(Arc::new(manifest), Arc::new(engine), "sqlite").await;
}

/// One table of numbered rows, for counts.
const COUNTED: &str = r#"
[manifest]
format = 1
version = 1

[project]
name = "counted"

[entities.item]
table = "item"
primary_key = ["id"]

[entities.item.fields]
id = { type = "int64" }
n = { type = "int32" }
"#;

fn counted_router(store: Arc<dyn baas::serve::Store>) -> Router {
    let manifest = baas::manifest::load_str(std::path::Path::new("baas.toml"), COUNTED.into())
        .unwrap()
        .manifest;
    baas::serve::http::router_with(
        baas::serve::AppState::new(Arc::new(manifest), store),
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    )
}

/// The total of `Content-Range` for `uri` with `Prefer: count=<count>`
/// (one row read).
async fn total(router: &Router, uri: &str, count: &str) -> u64 {
    let prefer = format!("count={count}");
    let answer = get(router, uri, &[("prefer", &prefer)]).await;
    assert!(answer.status.is_success(), "{uri}: {}", answer.body);
    let range = answer.header("content-range").unwrap_or_default();
    range
        .rsplit_once('/')
        .and_then(|(_, total)| total.parse().ok())
        .unwrap_or_else(|| panic!("{uri} ({count}): Content-Range `{range}` has no number"))
}

/// `count=planned` is PostgreSQL's estimate (the table's `reltuples` as
/// of its last ANALYZE when unfiltered, the plan's rows when filtered),
/// `count=estimated` exact up to 1,000 rows and planned above.
#[tokio::test(flavor = "multi_thread")]
async fn planned_and_estimated_counts_ask_the_postgres_planner() {
    let Some(database) =
        crate::support::postgres::TempDatabase::create_async("pg_pgrst_count").await
    else {
        return;
    };
    // 100 rows analyzed (n 0..9, ten each), then 1,400 rows of n = 42
    // the statistics do not know of.
    database
        .execute(&[
            "CREATE TABLE item (id bigint PRIMARY KEY, n integer NOT NULL) WITH (autovacuum_enabled = false)".into(),
            "INSERT INTO item SELECT i, i % 10 FROM generate_series(1, 100) AS i".into(),
            "ANALYZE item".into(),
            "INSERT INTO item SELECT i, 42 FROM generate_series(101, 1500) AS i".into(),
        ])
        .await;
    let store = baas::serve::store::postgres::PostgresStore::connect(
        &database.url(),
        &baas::manifest::Manifest::default(),
    )
    .await
    .unwrap();
    let router = counted_router(Arc::new(store));
    let all = "/rest/v1/item?select=id&limit=1";
    assert_eq!(total(&router, all, "exact").await, 1500);
    assert_eq!(total(&router, all, "planned").await, 100);
    assert_eq!(total(&router, all, "estimated").await, 100);
    // Filtered: the plan's estimate, the filter bound as in the read.
    let new = "/rest/v1/item?select=id&limit=1&n=eq.42";
    assert_eq!(total(&router, new, "exact").await, 1400);
    let planned = total(&router, new, "planned").await;
    assert!(
        planned < 100,
        "the planner cannot know of n = 42: {planned}"
    );
    assert_eq!(total(&router, new, "estimated").await, planned);
    // At most 1,000 rows: `estimated` is exact.
    let few = "/rest/v1/item?select=id&limit=1&n=eq.3";
    assert_eq!(total(&router, few, "estimated").await, 10);
    let mixed = "/rest/v1/item?select=id&limit=1&or=(n.eq.3,id.gt.1400)";
    assert_eq!(total(&router, mixed, "estimated").await, 110);
    // An estimate short of an offset still answers the rows there.
    let far = get(
        &router,
        "/rest/v1/item?select=id&n=eq.42&order=id&offset=500&limit=2",
        &[("prefer", "count=planned")],
    )
    .await;
    assert_eq!(far.body, json!([{"id": 601}, {"id": 602}]));
    assert_eq!(far.status, 200, "{:?}", far.header("content-range"));
}

/// `count=planned` on MariaDB is `EXPLAIN`'s rows: a full scan of the
/// table for a filter on a column without an index.
#[tokio::test(flavor = "multi_thread")]
async fn planned_counts_ask_the_mariadb_optimizer() {
    let Some(database) = crate::support::mysql::TempDatabase::create_async("my_pgrst_count").await
    else {
        return;
    };
    let values: Vec<String> = (1..=200).map(|i| format!("({i}, {})", i % 10)).collect();
    database
        .execute(&[
            "CREATE TABLE item (id bigint PRIMARY KEY, n integer NOT NULL)".into(),
            format!("INSERT INTO item VALUES {}", values.join(", ")),
            "ANALYZE TABLE item".into(),
        ])
        .await;
    let store = baas::serve::store::mysql::MysqlStore::connect(
        &database.url(),
        &baas::manifest::Manifest::default(),
    )
    .await
    .unwrap();
    let router = counted_router(Arc::new(store));
    let few = "/rest/v1/item?select=id&limit=1&n=eq.3";
    assert_eq!(total(&router, few, "exact").await, 20);
    assert_eq!(total(&router, few, "estimated").await, 20);
    let planned = total(&router, few, "planned").await;
    assert!(planned > 20, "EXPLAIN estimates the scan: {planned}");
    let all = total(&router, "/rest/v1/item?select=id&limit=1", "planned").await;
    assert!((100..=400).contains(&all), "EXPLAIN of the table: {all}");
}

/// `Preference-Applied` names the preferences honoured, in PostgREST's
/// order: `count` on reads; `resolution` and `missing` on inserts;
/// `return` and `count` on writes; nothing it ignores.
#[tokio::test(flavor = "multi_thread")]
async fn preference_applied_lists_what_was_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let applied = |answer: &Answer| answer.header("preference-applied").map(str::to_owned);
    let plain = get(&router, "/rest/v1/book?select=id", &[]).await;
    assert_eq!(applied(&plain), None);
    let counted = get(
        &router,
        "/rest/v1/book?select=id",
        &[(
            "prefer",
            "count=planned, return=representation, tx=rollback",
        )],
    )
    .await;
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert_eq!(applied(&counted).as_deref(), Some("count=planned"));

    let upsert = send(
        &router,
        "POST",
        "/rest/v1/tag?on_conflict=label&select=label",
        Some(json!([{"label": "applied"}])),
        &[
            ("prefer", "count=exact,return=representation"),
            (
                "prefer",
                "missing=default, resolution=merge-duplicates, handling=strict",
            ),
        ],
    )
    .await;
    assert_eq!(upsert.status, 201, "{}", upsert.body);
    assert_eq!(
        applied(&upsert).as_deref(),
        Some("resolution=merge-duplicates, missing=default, return=representation, count=exact")
    );
    let minimal = send(
        &router,
        "PATCH",
        "/rest/v1/tag?label=eq.applied",
        Some(json!({"label": "applied-too"})),
        &[("prefer", "return=minimal, missing=default")],
    )
    .await;
    assert_eq!(minimal.status, 204, "{}", minimal.body);
    assert_eq!(applied(&minimal).as_deref(), Some("return=minimal"));
    let deleted = send(
        &router,
        "DELETE",
        "/rest/v1/tag?label=eq.applied-too",
        None,
        &[("prefer", "return=headers-only,count=exact")],
    )
    .await;
    assert_eq!(deleted.header("content-range"), Some("*/1"));
    assert_eq!(
        applied(&deleted).as_deref(),
        Some("return=headers-only, count=exact")
    );
    let refused = get(&router, "/rest/v1/nothing", &[("prefer", "count=exact")]).await;
    pg_error(&refused, 404, "PGRST205");
    assert_eq!(applied(&refused), None);
}

/// `GET uri` with `Accept: accept`: the status, `Content-Type` and body.
async fn text(router: &Router, uri: &str, accept: &str) -> (u16, String, String) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let request = axum::http::Request::builder()
        .uri(uri)
        .header("accept", accept)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, media, String::from_utf8(bytes.to_vec()).unwrap())
}

/// `Accept: text/csv` answers CSV with a header row, RFC 4180 quoting and
/// empty nulls; an Accept of nothing served is 406 `PGRST107`.
#[tokio::test(flavor = "multi_thread")]
async fn lists_answer_csv_when_asked_and_406_for_other_media() {
    let dir = tempfile::tempdir().unwrap();
    let router = example(dir.path());
    let created = send(
        &router,
        "POST",
        "/rest/v1/tag",
        Some(json!([{"label": "csv, \"quoted\"\nnext"}, {"label": "csv plain"}])),
        &[],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (status, media, body) = text(
        &router,
        "/rest/v1/tag?select=name:label&label=like.csv*&order=label",
        "text/csv",
    )
    .await;
    assert_eq!((status, media.as_str()), (200, "text/csv; charset=utf-8"));
    assert_eq!(body, "name\ncsv plain\n\"csv, \"\"quoted\"\"\nnext\"");

    let (_, _, body) = text(
        &router,
        "/rest/v1/book?select=id,pages,metadata,title&id=in.(4,5)&order=id",
        "application/xml;q=0.9, text/csv",
    )
    .await;
    assert_eq!(
        body,
        "id,pages,metadata,title\n\
         4,260,\"{\"\"translator\"\":\"\"William Weaver\"\"}\",If on a winter's night a traveler\n\
         5,,,View with a Grain of Sand"
    );
    // The preferred type served wins; `*/*` is JSON.
    let (status, media, _) = text(&router, "/rest/v1/book", "text/html, */*;q=0.8").await;
    assert_eq!(
        (status, media.as_str()),
        (200, "application/json; charset=utf-8")
    );
    let (status, media, body) = text(&router, "/rest/v1/book", "application/xml, text/html").await;
    assert_eq!(
        (status, media.as_str()),
        (406, "application/json; charset=utf-8")
    );
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "PGRST107", "{error}");
    assert_eq!(
        error["message"],
        "None of these media types are available: application/xml, text/html"
    );
}

/// Every operator inside `or=(...)`/`and=(...)` groups, `isdistinct` and
/// `not.` forms too, nested, on `router` (any engine over the example).
pub async fn operators_inside_groups(router: &Router) {
    let cases: &[(&str, &[i64])] = &[
        ("and=(pages.isdistinct.183,genre.eq.fiction)", &[2, 3, 4]),
        ("or=(pages.not.isdistinct.183,id.eq.5)", &[1, 5]),
        ("or=(title.imatch.^the,keywords.cs.{poems})", &[2, 5]),
        (
            "or=(not.and(id.lt.3,pages.isdistinct.183),id.eq.1)",
            &[1, 3, 4, 5],
        ),
        ("and=(id.not.in.(1,2),title.not.like.*Cities*)", &[4, 5]),
        (
            "or=(in_stock.is.false,and(pages.not.is.null,pages.gte.260))",
            &[2, 3, 4],
        ),
        (
            "and=(or(pages.isdistinct.304,id.eq.2),title.ilike.*the*)",
            &[2],
        ),
    ];
    for (query, expected) in cases {
        let answer = get(
            router,
            &format!("/rest/v1/book?select=id&order=id&{query}"),
            &[],
        )
        .await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(ids(&answer), *expected, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_inside_groups_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    operators_inside_groups(&example(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_inside_groups_on_postgres() {
    let Some(database) =
        crate::support::postgres::TempDatabase::create_async("pg_pgrst_groups").await
    else {
        return;
    };
    operators_inside_groups(&example_on_postgres(&database).await).await;
}

/// `tree` (`or=(...)`) on books with their author embedded, naming a
/// column of the author: PostgREST's parse error, stopped at `column`.
async fn refused_tree(router: &Router, tree: &str, column: usize) -> Answer {
    let uri = format!("/rest/v1/book?select=id,author(name)&{tree}");
    let refused = get(router, &uri, &[]).await;
    pg_error(&refused, 400, "PGRST100");
    let value = tree.split_once('=').map_or(tree, |(_, value)| value);
    assert_eq!(
        refused.body["message"],
        format!("\"failed to parse logic tree ({value})\" (line 1, column {column})")
    );
    refused
}

/// `not.or=(...)` and `not.and=(...)` at the top of a read, as PostgREST
/// reads them: the whole tree negated, SQL's `NOT (a OR b)`, so a row
/// where the tree is unknown (book 5 has no `pages`) is in neither the
/// tree nor its negation; also on an embedded resource's own tree, with a
/// null test of an embedded resource, in a filtered update, and its parse
/// errors, on `router` (any engine over the example).
pub async fn negated_logic_trees(router: &Router) {
    let cases: &[(&str, &str, &[i64])] = &[
        ("book", "not.or=(pages.gt.300,genre.eq.poetry)", &[1, 3, 4]),
        ("book", "not.or=(pages.gt.300,id.eq.1)", &[3, 4]),
        (
            "book",
            "not.and=(id.lt.3,pages.isdistinct.183)",
            &[1, 3, 4, 5],
        ),
        (
            "book",
            "not.and=(genre.eq.fiction,pages.lt.200)",
            &[2, 4, 5],
        ),
        ("book", "not.or=(id.eq.1,id.eq.2)&in_stock=is.true", &[4, 5]),
        (
            "book",
            "not.or=(not.and(id.lt.3,pages.isdistinct.183),id.eq.1)",
            &[2],
        ),
        (
            "book",
            "or=(not.and(genre.eq.fiction,pages.lt.200),id.eq.1)",
            &[1, 2, 4, 5],
        ),
        // A null test of an embedded resource inside the negated tree.
        (
            "book",
            "select=id,author(name)&author.name=eq.Italo%20Calvino&not.or=(author.not.is.null,id.eq.5)",
            &[1, 2],
        ),
        // The embedded resource's own negated tree filters its rows only.
        (
            "author",
            "select=id,book(id)&book.not.or=(genre.eq.poetry,pages.gt.200)",
            &[1, 2, 3],
        ),
    ];
    for (table, query, expected) in cases {
        let separator = if query.starts_with("select=") {
            "&"
        } else {
            "&select=id&"
        };
        let uri = format!("/rest/v1/{table}?order=id{separator}{query}");
        let answer = get(router, &uri, &[]).await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(ids(&answer), *expected, "{query}");
    }
    let embedded = get(
        router,
        "/rest/v1/author?select=id,book(id)&book.not.or=(genre.eq.poetry,pages.gt.200)&order=id",
        &[],
    )
    .await;
    assert_eq!(
        embedded.body,
        json!([
            { "id": 1, "book": [{ "id": 1 }] },
            { "id": 2, "book": [{ "id": 3 }] },
            { "id": 3, "book": [] },
        ])
    );
    let unlisted = get(router, "/rest/v1/book?not.or=pages.gt.300", &[]).await;
    assert_eq!(unlisted.status, 400, "{}", unlisted.body);
    assert!(
        unlisted.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not.or"),
        "{}",
        unlisted.body
    );
    refused_tree(router, "not.or=(author.name.eq.x,id.eq.5)", 15).await;
    // A filtered update chooses its rows by the negated tree.
    let updated = send(
        router,
        "PATCH",
        "/rest/v1/book?not.and=(genre.eq.fiction,pages.lt.300)&select=id,in_stock",
        Some(json!({ "in_stock": false })),
        &[REPRESENTATION],
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let mut changed: Vec<i64> = ids(&updated);
    changed.sort_unstable();
    assert_eq!(changed, [2, 5], "{}", updated.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn negated_logic_trees_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    negated_logic_trees(&example(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn negated_logic_trees_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create_async("pg_pgrst_not").await
    else {
        return;
    };
    negated_logic_trees(&example_on_postgres(&database).await).await;
}

/// Logic trees and embedded resources, as PostgREST reads them: a tree
/// groups the columns of one level (`book.or=(...)` is the embedded
/// resource's own), an embedded resource takes part in its parent's tree
/// only by a null test (`or=(author.not.is.null,...)`, also as a plain
/// parameter `book=not.is.null`), and a column of an embedded resource in
/// the parent's tree is PostgREST's parse error, on `router` (any engine).
pub async fn logic_trees_and_embedded_resources(router: &Router) {
    let cases: &[(&str, &str, &[i64])] = &[
        // The embedded resource's own tree filters its rows only.
        (
            "author",
            "select=id,book(id)&book.or=(genre.eq.poetry,pages.gt.300)",
            &[1, 2, 3],
        ),
        // A null test in the parent's tree: the author's filter decides.
        (
            "book",
            "select=id,author(name)&author.name=eq.Italo%20Calvino&or=(author.not.is.null,id.eq.5)",
            &[3, 4, 5],
        ),
        (
            "book",
            "select=id,author(name)&author.name=eq.Italo%20Calvino&or=(and(author.not.is.null,id.gt.3),id.eq.1)",
            &[1, 4],
        ),
        (
            "book",
            "select=id,author(name)&author.name=eq.Italo%20Calvino&and=(author.is.null,id.lt.3)",
            &[1, 2],
        ),
        // A null test as a parameter, to many.
        (
            "author",
            "select=id,book(id)&book.genre=eq.poetry&book=not.is.null",
            &[3],
        ),
        (
            "author",
            "select=id,book(id)&book.genre=eq.poetry&book=is.null",
            &[1, 2],
        ),
    ];
    for (table, query, expected) in cases {
        let answer = get(router, &format!("/rest/v1/{table}?{query}&order=id"), &[]).await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(ids(&answer), *expected, "{query}");
    }
    let embedded = get(
        router,
        "/rest/v1/author?select=id,book(id)&book.or=(genre.eq.poetry,pages.gt.300)&order=id",
        &[],
    )
    .await;
    assert_eq!(embedded.body[0]["book"], json!([{ "id": 2 }]));
    assert_eq!(embedded.body[1]["book"], json!([]));
    let tested = get(
        router,
        "/rest/v1/book?select=id,author(name)&author.name=eq.Italo%20Calvino&or=(author.not.is.null,id.eq.5)&order=id",
        &[],
    )
    .await;
    assert_eq!(tested.body[0]["author"]["name"], "Italo Calvino");
    assert_eq!(tested.body[2]["author"], Value::Null);

    // A column of the embedded resource in the parent's tree.
    let refused = refused_tree(router, "or=(author.name.eq.x,id.eq.5)", 11).await;
    assert_eq!(
        refused.body["details"],
        "unexpected \"n\" expecting \"not\" or operator (eq, gt, ...)"
    );
    let nested = get(
        router,
        "/rest/v1/book?select=id,author(name)&and=(id.gt.1,or(id.eq.5,author.name.eq.x))",
        &[],
    )
    .await;
    pg_error(&nested, 400, "PGRST100");
    assert!(
        nested.body["message"]
            .as_str()
            .unwrap()
            .ends_with("(line 1, column 31)"),
        "{}",
        nested.body
    );
    // Not embedded: `author` is no column (as before).
    let plain = get(router, "/rest/v1/book?or=(author.not.is.null,id.eq.5)", &[]).await;
    pg_error(&plain, 400, "42703");
}

#[tokio::test(flavor = "multi_thread")]
async fn logic_trees_and_embedded_resources_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    logic_trees_and_embedded_resources(&example(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logic_trees_and_embedded_resources_on_postgres() {
    let Some(database) =
        crate::support::postgres::TempDatabase::create_async("pg_pgrst_trees").await
    else {
        return;
    };
    logic_trees_and_embedded_resources(&example_on_postgres(&database).await).await;
}
