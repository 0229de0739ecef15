//! Rules (`[entities.X.rules]`): the rule matrix — anonymous, a user,
//! another user, an admin and the service key × list, view, create,
//! update, delete × their own and others' rows — through HTTP on SQLite,
//! PostgreSQL, MariaDB and the MongoDB-wire server; expand, count and
//! `_query` cannot reveal a hidden row; discovery reports what the caller
//! may do; rule errors point into baas.toml.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use baas::diff::diff;
use baas::manifest::Manifest;
use baas::migrate::render::{Target, render};
use baas::serve::http::routes::Caller;
use baas::serve::policy::Principal;
use baas::serve::store::mongo::MongoStore;
use baas::serve::store::mysql::MysqlStore;
use baas::serve::store::postgres::PostgresStore;
use baas::serve::store::{Store, Values};
use serde_json::{Value, json};

use crate::serve::{call, get};
use crate::support::mongo::TempDatabase as MongoDatabase;
use crate::support::mysql::TempDatabase as MysqlDatabase;
use crate::support::postgres::TempDatabase as PostgresDatabase;

/// Orgs 1 and 2; author 1 in org 1, author 2 in org 2; posts 1 (author 1,
/// published), 2 (author 1, draft), 3 (author 2, draft), 4 (author 2,
/// published). The post rules are DESIGN.md's example.
pub const MANIFEST: &str = r#"
[manifest]
format = 1
version = 1

[entities.org]
table = "org"
primary_key = ["id"]
[entities.org.fields]
id = { type = "int64" }
name = { type = "string" }

[entities.author]
table = "author"
primary_key = ["id"]
[entities.author.fields]
id = { type = "int64" }
name = { type = "string" }
org_id = { type = "int64" }
[[entities.author.relations]]
fields = ["org_id"]
references = { entity = "org", fields = ["id"] }
[entities.author.rules]
list = "true"
view = "true"

[entities.post]
table = "post"
primary_key = ["id"]
[entities.post.fields]
id = { type = "int64" }
title = { type = "string" }
published = { type = "bool" }
author_id = { type = "int64" }
[[entities.post.relations]]
fields = ["author_id"]
references = { entity = "author", fields = ["id"] }
[entities.post.rules]
list   = "published = true || author_id = @auth.id"
view   = "published = true || author_id = @auth.id"
create = "@auth.id != null && @body.author_id = @auth.id"
update = "author_id = @auth.id && @body.author_id:unchanged"
delete = "@auth.role = 'admin' || author.org_id = @auth.org"
"#;

pub fn manifest() -> Arc<Manifest> {
    Arc::new(
        baas::manifest::load_str(Path::new("baas.toml"), MANIFEST.to_owned())
            .unwrap_or_else(|diagnostics| panic!("{diagnostics:?}"))
            .manifest,
    )
}

fn create_statements(target: Target, manifest: &Manifest) -> Vec<String> {
    let empty = Manifest::default();
    let plan = render(target, &empty, manifest, &diff(&empty, manifest))
        .unwrap_or_else(|error| panic!("render for {target:?}: {error}"));
    plan.up.statements.into_iter().map(|s| s.text).collect()
}

async fn load_rows(store: &dyn Store, manifest: &Arc<Manifest>) {
    let rows = json!({
        "org": [{ "id": 1, "name": "one" }, { "id": 2, "name": "two" }],
        "author": [
            { "id": 1, "name": "Ada", "org_id": 1 },
            { "id": 2, "name": "Bob", "org_id": 2 },
        ],
        "post": [
            { "id": 1, "title": "Ada's news", "published": true, "author_id": 1 },
            { "id": 2, "title": "Ada's draft", "published": false, "author_id": 1 },
            { "id": 3, "title": "Bob's draft", "published": false, "author_id": 2 },
            { "id": 4, "title": "Bob's news", "published": true, "author_id": 2 },
        ],
    });
    for entity in ["org", "author", "post"] {
        for row in rows[entity].as_array().unwrap() {
            let mut values = Values::new();
            for (name, json) in row.as_object().unwrap() {
                let field = &manifest.entities[entity].fields[name];
                values.insert(
                    name.clone(),
                    baas::query::value_from_json(field, json).unwrap(),
                );
            }
            store.insert(manifest, entity, &values).await.unwrap();
        }
    }
}

/// The callers of the matrix.
struct Callers {
    anonymous: Router,
    ada: Router,
    bob: Router,
    admin: Router,
    service: Router,
}

fn user(id: &str, role: Option<&str>, org: i64) -> Principal {
    let mut claims = serde_json::Map::new();
    claims.insert("org".into(), json!(org));
    Principal::User {
        id: Some(id.to_owned()),
        role: role.map(str::to_owned),
        claims,
    }
}

impl Callers {
    fn new(manifest: &Arc<Manifest>, store: &Arc<dyn Store>) -> Self {
        let state = baas::serve::AppState::new(manifest.clone(), store.clone());
        let as_caller = |principal: Principal| {
            baas::serve::router(state.clone()).layer(axum::Extension(Caller(Arc::new(principal))))
        };
        Self {
            anonymous: baas::serve::router(state.clone()),
            ada: as_caller(user("1", None, 1)),
            bob: as_caller(user("2", None, 2)),
            admin: as_caller(user("9", Some("admin"), 3)),
            service: as_caller(Principal::Service),
        }
    }
}

fn ids(answer: &crate::serve::Answer) -> Vec<Value> {
    answer.column("id")
}

/// The matrix on one store loaded with [`load_rows`].
pub async fn matrix(manifest: Arc<Manifest>, store: Arc<dyn Store>) {
    let callers = Callers::new(&manifest, &store);
    let Callers {
        anonymous,
        ada,
        bob,
        admin,
        service,
    } = &callers;

    // list: published rows, plus the caller's own drafts.
    for (router, expected) in [
        (anonymous, vec![1, 4]),
        (ada, vec![1, 2, 4]),
        (bob, vec![1, 3, 4]),
        (admin, vec![1, 4]),
        (service, vec![1, 2, 3, 4]),
    ] {
        let list = get(router, "/api/post?order=id&count=exact").await;
        assert_eq!(list.status, 200, "{}", list.body);
        let expected: Vec<Value> = expected.into_iter().map(Value::from).collect();
        assert_eq!(ids(&list), expected);
        // count counts what the list shows, never more.
        assert_eq!(list.body["count"], expected.len(), "{}", list.body);
    }
    // A client filter cannot widen the rule; `_query` obeys it too.
    let widened = get(anonymous, "/api/post?or=(published.eq.false,id.eq.2)").await;
    assert_eq!(ids(&widened), Vec::<Value>::new());
    let queried = call(
        anonymous,
        "POST",
        "/api/post/_query",
        Some(json!({ "where": { "published": false }, "count": "exact" })),
    )
    .await;
    assert_eq!(queried.status, 200, "{}", queried.body);
    assert_eq!(ids(&queried), Vec::<Value>::new());

    // view: a hidden row is not found, exactly like a missing one.
    get(anonymous, "/api/post/2")
        .await
        .problem(404, "not-found");
    get(bob, "/api/post/2").await.problem(404, "not-found");
    get(admin, "/api/post/2").await.problem(404, "not-found");
    assert_eq!(get(ada, "/api/post/2").await.body["title"], "Ada's draft");
    assert_eq!(
        get(service, "/api/post/3").await.body["title"],
        "Bob's draft"
    );
    assert_eq!(get(anonymous, "/api/post/4").await.status, 200);

    // expand follows the post rules from the author's side.
    let expanded = get(anonymous, "/api/author?order=id&expand=post").await;
    assert_eq!(expanded.status, 200, "{}", expanded.body);
    let posts: Vec<Vec<Value>> = expanded
        .data()
        .iter()
        .map(|author| {
            author["post"]
                .as_array()
                .unwrap_or_else(|| panic!("{}", expanded.body))
                .iter()
                .map(|post| post["id"].clone())
                .collect()
        })
        .collect();
    assert_eq!(posts, [vec![json!(1)], vec![json!(4)]]);
    let own = get(ada, "/api/author/1?expand=post").await;
    assert_eq!(
        own.body["post"].as_array().map(Vec::len),
        Some(2),
        "{}",
        own.body
    );

    // discovery: what each caller may do with posts at all.
    let permissions = |answer: crate::serve::Answer| {
        let entities = answer.body["entities"].as_array().unwrap().clone();
        entities
            .into_iter()
            .find(|e| e["name"] == "post")
            .map(|e| e["permissions"].clone())
            .unwrap_or_else(|| panic!("{}", answer.body))
    };
    assert_eq!(
        permissions(get(anonymous, "/api/_discovery").await),
        json!({ "read": true, "create": false, "update": false, "delete": false })
    );
    assert_eq!(
        permissions(get(ada, "/api/_discovery").await),
        json!({ "read": true, "create": true, "update": true, "delete": true })
    );

    // create: decided on the body; refused is 403 and writes nothing.
    let draft = |id: i64, author: i64| {
        Some(json!({ "id": id, "title": "new", "published": false, "author_id": author }))
    };
    call(anonymous, "POST", "/api/post", draft(10, 1))
        .await
        .problem(403, "forbidden");
    call(bob, "POST", "/api/post", draft(10, 1))
        .await
        .problem(403, "forbidden");
    call(admin, "POST", "/api/post", draft(10, 1))
        .await
        .problem(403, "forbidden");
    let created = call(ada, "POST", "/api/post", draft(10, 1)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let created = call(service, "POST", "/api/post", draft(11, 2)).await;
    assert_eq!(created.status, 201, "{}", created.body);

    // update: only one's own rows, and author_id may not move.
    for router in [anonymous, bob, admin] {
        call(
            router,
            "PATCH",
            "/api/post/2",
            Some(json!({ "title": "taken" })),
        )
        .await
        .problem(404, "not-found");
    }
    call(ada, "PATCH", "/api/post/2", Some(json!({ "author_id": 2 })))
        .await
        .problem(404, "not-found");
    let renamed = call(
        ada,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "mine" })),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let same = call(
        ada,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "still mine", "author_id": 1 })),
    )
    .await;
    assert_eq!(same.status, 200, "{}", same.body);
    let moved = call(
        service,
        "PATCH",
        "/api/post/11",
        Some(json!({ "author_id": 1 })),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);

    // delete: an admin, or anyone of the author's org (a relation path).
    call(anonymous, "DELETE", "/api/post/3", None)
        .await
        .problem(404, "not-found");
    call(ada, "DELETE", "/api/post/3", None)
        .await
        .problem(404, "not-found");
    assert_eq!(call(bob, "DELETE", "/api/post/3", None).await.status, 204);
    assert_eq!(call(admin, "DELETE", "/api/post/4", None).await.status, 204);
    assert_eq!(call(ada, "DELETE", "/api/post/11", None).await.status, 204);
    call(bob, "DELETE", "/api/post/10", None)
        .await
        .problem(404, "not-found");
    assert_eq!(
        call(service, "DELETE", "/api/post/10", None).await.status,
        204
    );

    // What is left, and nothing a refused write touched.
    let left = get(service, "/api/post?order=id").await;
    assert_eq!(ids(&left), [json!(1), json!(2)]);
    assert_eq!(
        left.column("title"),
        [json!("Ada's news"), json!("still mine")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_matrix_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest();
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rules.sqlite3"), &manifest, false).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    load_rows(&*store, &manifest).await;
    matrix(manifest, store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_matrix_holds_on_postgres() {
    let Some(database) = PostgresDatabase::create_async("rules_matrix").await else {
        return;
    };
    let manifest = manifest();
    database
        .execute(&create_statements(Target::Postgres, &manifest))
        .await;
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&database.url(), &manifest)
            .await
            .unwrap(),
    );
    load_rows(&*store, &manifest).await;
    matrix(manifest, store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_matrix_holds_on_mariadb() {
    let Some(database) = MysqlDatabase::create_async("rules_matrix").await else {
        return;
    };
    let manifest = manifest();
    database
        .execute(&create_statements(Target::Mysql, &manifest))
        .await;
    let store: Arc<dyn Store> = Arc::new(
        MysqlStore::connect(&database.url(), &manifest)
            .await
            .unwrap(),
    );
    load_rows(&*store, &manifest).await;
    matrix(manifest, store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_matrix_holds_on_the_mongo_wire_server() {
    let Some(database) = MongoDatabase::create("rules_matrix") else {
        return;
    };
    let manifest = manifest();
    let store: Arc<dyn Store> = Arc::new(
        MongoStore::connect(database.url(), &manifest)
            .await
            .unwrap(),
    );
    load_rows(&*store, &manifest).await;
    matrix(manifest, store).await;
}

/// A rule that does not parse or names something the manifest lacks is a
/// load error at the line and column of the offending bytes.
#[test]
fn rule_errors_point_into_baas_toml() {
    let cases = [
        // (replace, with, line:column, message)
        (
            r#"list   = "published = true || author_id = @auth.id""#,
            r#"list   = "published = true || writer_id = @auth.id""#,
            "39:31",
            "`post` has no field `writer_id`",
        ),
        (
            r#"delete = "@auth.role = 'admin' || author.org_id = @auth.org""#,
            r#"delete = "@auth.role = 'admin' || autor.org_id = @auth.org""#,
            "43:35",
            "`post` has no relation `autor`",
        ),
        (
            r#"create = "@auth.id != null && @body.author_id = @auth.id""#,
            r#"create = "@auth.id != null & @body.author_id = @auth.id""#,
            "41:28",
            "unexpected character `&`",
        ),
        (
            r#"update = "author_id = @auth.id && @body.author_id:unchanged""#,
            r#"update = "author_id = @auth.id && @body.author_id:same""#,
            "42:51",
            "unknown modifier `:same`",
        ),
    ];
    for (from, to, at, message) in cases {
        assert!(MANIFEST.contains(from), "{from}");
        let text = MANIFEST.replace(from, to);
        let diagnostics = baas::manifest::load_str(Path::new("baas.toml"), text).unwrap_err();
        let problem = &diagnostics.problems[0];
        assert!(problem.message.contains(message), "{problem:?}");
        let span = problem.span.clone().unwrap();
        let (line, column) = diagnostics.line_column(span.start);
        assert_eq!(format!("{line}:{column}"), at, "{problem:?}");
    }
    // Rules survive a save and load unchanged.
    let manifest = manifest();
    let saved = baas::manifest::to_toml(&manifest);
    let again = baas::manifest::load_str(Path::new("baas.toml"), saved).unwrap();
    assert_eq!(again.manifest, *manifest);
}
