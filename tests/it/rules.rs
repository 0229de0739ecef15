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
use baas::migrate::render::Target;
use baas::serve::http::routes::Caller;
use baas::serve::policy::Principal;
use baas::serve::store::mongo::MongoStore;
use baas::serve::store::mysql::MysqlStore;
use baas::serve::store::postgres::PostgresStore;
use baas::serve::store::{Store, Values};
use serde_json::{Value, json};

use crate::serve::{call, get};
use crate::support::create_statements;
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
    load(MANIFEST)
}

fn load(text: &str) -> Arc<Manifest> {
    Arc::new(
        baas::manifest::load_str(Path::new("baas.toml"), text.to_owned())
            .unwrap_or_else(|diagnostics| panic!("{diagnostics:?}"))
            .manifest,
    )
}

/// An HMAC secret and a service key for the tests (in a `.env` file beside
/// the manifest, so no test sets the process environment).
pub(crate) const SECRET: &str = "rules-test-secret-of-at-least-thirty-two-bytes";
pub(crate) const SERVICE_KEY: &str = "rules-test-service-key";

/// [`MANIFEST`] with `[auth]`: identities come from bearer JWTs, and the
/// actions without a rule (every org action, author writes) are refused.
pub fn manifest_with_auth() -> Arc<Manifest> {
    load(&format!(
        "{MANIFEST}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\n"
    ))
}

/// An `exp` claim `seconds` from now.
pub(crate) fn expires_in(seconds: u64) -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + seconds
}

pub(crate) fn hs256(claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// `router` sending `Authorization: Bearer <credential>` on every request.
fn bearer(router: Router, credential: &str) -> Router {
    let value = axum::http::HeaderValue::from_str(&format!("Bearer {credential}")).unwrap();
    router.layer(axum::middleware::map_request(
        move |mut request: axum::extract::Request| {
            let value = value.clone();
            async move {
                request
                    .headers_mut()
                    .insert(axum::http::header::AUTHORIZATION, value);
                request
            }
        },
    ))
}

pub(crate) async fn load_rows(store: &dyn Store, manifest: &Arc<Manifest>) {
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
    /// Callers with verified tokens and the service key, through the
    /// identity layer of a manifest with `[auth]`.
    fn with_tokens(manifest: &Arc<Manifest>, store: &Arc<dyn Store>, dir: &Path) -> Self {
        std::fs::write(
            dir.join(".env"),
            format!("BAAS_RULES_TEST_SECRET={SECRET}\nBAAS_RULES_TEST_SERVICE_KEY={SERVICE_KEY}\n"),
        )
        .unwrap();
        let state = baas::serve::AppState::new(manifest.clone(), store.clone());
        state.use_manifest_dir(dir).unwrap();
        let router = baas::serve::router(state);
        let exp = expires_in(600);
        let token = |claims: Value| {
            let mut claims = claims;
            claims["exp"] = json!(exp);
            hs256(&claims)
        };
        Self {
            anonymous: router.clone(),
            ada: bearer(router.clone(), &token(json!({ "sub": "1", "org": 1 }))),
            bob: bearer(router.clone(), &token(json!({ "sub": "2", "org": 2 }))),
            admin: bearer(
                router.clone(),
                &token(json!({ "sub": "9", "role": "admin", "org": 3 })),
            ),
            service: bearer(router, SERVICE_KEY),
        }
    }

    /// Callers set on the request directly (a manifest without `[auth]`).
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

/// The matrix on one store loaded with [`load_rows`], with `[auth]` and
/// real tokens; then what `[auth]` adds: an action without a rule is
/// refused to all but the service key.
pub async fn matrix_with_tokens(store: Arc<dyn Store>) {
    let manifest = manifest_with_auth();
    let dir = tempfile::tempdir().unwrap();
    let callers = Callers::with_tokens(&manifest, &store, dir.path());
    matrix(&callers).await;
    let Callers {
        anonymous,
        ada,
        service,
        ..
    } = &callers;
    get(anonymous, "/api/org").await.problem(403, "forbidden");
    get(ada, "/api/org/1").await.problem(403, "forbidden");
    let orgs = get(service, "/api/org?order=id").await;
    assert_eq!(ids(&orgs), [json!(1), json!(2)]);
    call(
        ada,
        "POST",
        "/api/author",
        Some(json!({ "id": 5, "name": "Eve", "org_id": 1 })),
    )
    .await
    .problem(403, "forbidden");
    // Expanding into an entity the caller may not read shows nothing of it.
    let expanded = get(ada, "/api/author/1?expand=org").await;
    assert_eq!(expanded.status, 200, "{}", expanded.body);
    assert_eq!(expanded.body["org"], Value::Null, "{}", expanded.body);
    let expanded = get(service, "/api/author/1?expand=org").await;
    assert_eq!(expanded.body["org"]["name"], "one", "{}", expanded.body);
    let permissions = get(ada, "/api/_discovery").await;
    let org = permissions.body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "org")
        .unwrap()
        .clone();
    assert_eq!(
        org["permissions"],
        json!({ "read": false, "create": false, "update": false, "delete": false })
    );
    // A forged token is refused before any rule runs.
    let forged = bearer(
        anonymous.clone(),
        &format!("{}x", hs256(&json!({ "sub": "1" }))),
    );
    assert_eq!(get(&forged, "/api/post").await.status, 401);
}

/// The matrix on one store loaded with [`load_rows`].
async fn matrix(callers: &Callers) {
    let Callers {
        anonymous,
        ada,
        bob,
        admin,
        service,
    } = callers;

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
    // The admin's delete rule holds for every post, but a draft it cannot
    // read is not found, as PostgreSQL's SELECT policies hide it.
    call(admin, "DELETE", "/api/post/2", None)
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
    // Without `[auth]`: callers set on the request, rules still apply.
    matrix(&Callers::new(&manifest, &store)).await;
    // Again on fresh rows, with `[auth]` and tokens.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rules.sqlite3"), &manifest, false).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    load_rows(&*store, &manifest).await;
    matrix_with_tokens(store).await;
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
    matrix_with_tokens(store).await;
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
    matrix_with_tokens(store).await;
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
    matrix_with_tokens(store).await;
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
        (
            r#"list   = "published = true || author_id = @auth.id""#,
            r#"list   = "published = true || author_id:length > 1""#,
            "39:31",
            "`:length` counts the characters of a text or the items of an array, and `author_id` is int64",
        ),
        (
            r#"view   = "published = true || author_id = @auth.id""#,
            r#"view   = "published = true || author.org_id = author_id""#,
            "40:31",
            "must be of one row",
        ),
        (
            r#"view   = "published = true || author_id = @auth.id""#,
            r#"view   = "published = true || title > published""#,
            "40:31",
            "cannot be compared: `title` is string and `published` is bool",
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

/// The rules as PostgreSQL row-level security: a client connected with a
/// role of its own, having set the caller's claims, reads and writes what
/// the API lets that caller read and write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rls_policies_let_a_sql_client_see_what_the_api_shows() {
    use sqlx::{Connection as _, Row as _};

    let Some(mut database) = PostgresDatabase::create_async("rules_rls").await else {
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
    let role = database.role("api", "api-password");
    let links = baas::manifest::links::links(&manifest);
    let mut statements = Vec::new();
    for (name, entity) in &manifest.entities {
        let table = baas::rules::rls::table(entity);
        statements.push(format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"));
        statements.push(format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO \"{role}\""
        ));
        let claims = baas::rules::rls::ClaimNames::default();
        for policy in baas::rules::rls::policies(&manifest, &links, name, &claims) {
            statements.push(policy.create);
        }
    }
    database.execute(&statements).await;
    let mut client = sqlx::PgConnection::connect(&database.url_as(&role, "api-password"))
        .await
        .unwrap();

    let callers = Callers::new(&manifest, &store);
    let cases = [
        (&callers.anonymous, None),
        (&callers.ada, Some(json!({ "sub": "1", "org": 1 }))),
        (&callers.bob, Some(json!({ "sub": "2", "org": 2 }))),
        (
            &callers.admin,
            Some(json!({ "sub": "9", "role": "admin", "org": 3 })),
        ),
    ];
    for (router, claims) in &cases {
        let api = ids(&get(router, "/api/post?order=id").await);
        let mut tx = client.begin().await.unwrap();
        let claims_text = claims.as_ref().map(Value::to_string).unwrap_or_default();
        sqlx::query("SELECT set_config('request.jwt.claims', $1, true)")
            .bind(&claims_text)
            .execute(&mut *tx)
            .await
            .unwrap();
        let rows = sqlx::query("SELECT id FROM post ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let sql: Vec<Value> = rows.iter().map(|r| json!(r.get::<i64, _>(0))).collect();
        assert_eq!(sql, api, "claims {claims_text}");

        // delete: the org rule through the relation path.
        let deleted = sqlx::query("DELETE FROM post WHERE id = 4")
            .execute(&mut *tx)
            .await
            .unwrap()
            .rows_affected();
        let admin_or_org_two = claims
            .as_ref()
            .is_some_and(|c| c["role"] == "admin" || c["org"] == 2);
        assert_eq!(deleted, u64::from(admin_or_org_two), "claims {claims_text}");
        tx.rollback().await.unwrap();

        // create: only as oneself.
        for author in [1, 2] {
            let mut tx = client.begin().await.unwrap();
            sqlx::query("SELECT set_config('request.jwt.claims', $1, true)")
                .bind(&claims_text)
                .execute(&mut *tx)
                .await
                .unwrap();
            let inserted = sqlx::query(
                "INSERT INTO post (id, title, published, author_id) VALUES (20, 'x', false, $1)",
            )
            .bind(author)
            .execute(&mut *tx)
            .await;
            let me = claims.as_ref().map(|c| c["sub"].clone());
            let allowed = me == Some(json!(author.to_string()));
            assert_eq!(
                inserted.is_ok(),
                allowed,
                "claims {claims_text}, author {author}"
            );
            let _ = tx.rollback().await;
        }
    }
}

/// `[auth] rls = true`: `migrate plan` (the diff from nothing, rendered for
/// PostgreSQL) enables row-level security and creates a policy per rule;
/// the database introspected afterwards has no policy drift, and a changed
/// rule is a policy dropped and one created. A server whose role does not
/// own the tables passes each caller's claims per transaction, so the
/// database's policies agree with the API's rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rls_is_planned_checked_for_drift_and_fed_the_claims_on_postgres() {
    use baas::diff::ChangeKind;
    use baas::introspect::postgres::PostgresIntrospector;
    use baas::introspect::{IntrospectOptions, Introspector as _};

    let Some(mut database) = PostgresDatabase::create_async("rules_rls_plan").await else {
        return;
    };
    let text = format!(
        "{MANIFEST}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\nrls = true\n"
    );
    let manifest = load(&text);
    let statements = create_statements(Target::Postgres, &manifest);
    let script = statements.join(";\n");
    for table in ["org", "author", "post"] {
        assert!(
            script.contains(&format!(
                "ALTER TABLE \"{table}\" ENABLE ROW LEVEL SECURITY"
            )),
            "{script}"
        );
    }
    assert_eq!(script.matches("CREATE POLICY").count(), 7, "{script}");
    database.execute(&statements).await;

    let policy_changes = |before: &Manifest, after: &Manifest| -> Vec<String> {
        diff(before, after)
            .into_iter()
            .filter_map(|change| match change.kind {
                ChangeKind::AddPolicy { entity, name } => Some(format!("+{entity}.{name}")),
                ChangeKind::DropPolicy { entity, name } => Some(format!("-{entity}.{name}")),
                ChangeKind::SetRowSecurity { entity, enabled } => {
                    Some(format!("{entity} rls {enabled}"))
                }
                _ => None,
            })
            .collect()
    };
    let introspected = PostgresIntrospector::new(database.parsed_url())
        .introspect(&IntrospectOptions::default(), &baas::ui::Progress::hidden())
        .await
        .unwrap()
        .manifest;
    assert_eq!(introspected.entities["post"].policies.len(), 5);
    assert!(introspected.entities["post"].row_level_security);
    assert_eq!(
        policy_changes(&introspected, &manifest),
        Vec::<String>::new()
    );
    // The database lost a policy, and a rule changed: both are drift.
    let changed = load(&text.replace(
        "list   = \"published = true || author_id = @auth.id\"",
        "list   = \"published = true\"",
    ));
    let drift = policy_changes(&introspected, &changed);
    assert_eq!(drift.len(), 2, "{drift:?}");
    assert!(drift[0].starts_with("-post.baas_list_") && drift[1].starts_with("+post.baas_list_"));

    // The server as a role that does not own the tables: RLS applies to
    // it, with the claims it sets per transaction.
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&database.url(), &manifest)
            .await
            .unwrap(),
    );
    load_rows(&*store, &manifest).await;
    let role = database.role("server", "server-password");
    database
        .execute(&[format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON org, author, post TO \"{role}\""
        )])
        .await;
    let restricted: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&database.url_as(&role, "server-password"), &manifest)
            .await
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let callers = Callers::with_tokens(&manifest, &restricted, dir.path());
    let list = get(&callers.ada, "/api/post?order=id").await;
    assert_eq!(ids(&list), [json!(1), json!(2), json!(4)], "{}", list.body);
    let list = get(&callers.anonymous, "/api/post?order=id").await;
    assert_eq!(ids(&list), [json!(1), json!(4)], "{}", list.body);
    let created = call(
        &callers.ada,
        "POST",
        "/api/post",
        Some(json!({ "id": 10, "title": "x", "published": false, "author_id": 1 })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        call(&callers.bob, "DELETE", "/api/post/3", None)
            .await
            .status,
        204
    );
    // Without claims (the policies' view of an anonymous caller) the
    // server's role sees the published rows only: RLS is really on.
    let query = baas::query::ListQuery {
        filter: None,
        select: None,
        order: Vec::new(),
        limit: 100,
        offset: 0,
        count: false,
        expand: Vec::new(),
    };
    let rows = restricted
        .list(&manifest, "post", &query)
        .await
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 2, "{rows:?}");
}

/// `[auth] service_role` and `user_role`: a server connected with a role
/// that owns nothing and may read no table switches, per transaction, to
/// a `BYPASSRLS` role for the service key and to a role held to the
/// policies for everyone else. The service key sees every row, a user her
/// own and the published ones, and a `psql` session as the server's login
/// with the user role and a user's claims sees exactly what the API lists.
/// An update whose new row the update policy's `WITH CHECK` refuses is a
/// 403 (the database refuses it before the API's own check).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_switches_to_the_service_and_user_roles_under_rls() {
    let Some(mut database) = PostgresDatabase::create_async("rules_roles").await else {
        return;
    };
    let service_role = database.role("svc", "unused-password");
    let user_role = database.role("usr", "unused-password");
    let login = database.role("srv", "srv-password");
    let text = format!(
        "{}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\nrls = true\n\
         service_role = \"{service_role}\"\nuser_role = \"{user_role}\"\n",
        MANIFEST.replace(
            "update = \"author_id = @auth.id && @body.author_id:unchanged\"",
            NEW_ROW_RULE,
        )
    );
    let manifest = load(&text);
    database
        .execute(&create_statements(Target::Postgres, &manifest))
        .await;
    let owner: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&database.url(), &load(MANIFEST))
            .await
            .unwrap(),
    );
    load_rows(&*owner, &manifest).await;
    database
        .execute(&[
            format!("ALTER ROLE \"{service_role}\" NOLOGIN BYPASSRLS"),
            format!("ALTER ROLE \"{user_role}\" NOLOGIN"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON org, author, post \
                 TO \"{service_role}\", \"{user_role}\""
            ),
            // As PostgREST's authenticator: it inherits nothing, and may
            // only switch to the two roles.
            format!("ALTER ROLE \"{login}\" NOINHERIT"),
            format!("GRANT \"{service_role}\", \"{user_role}\" TO \"{login}\""),
        ])
        .await;
    let server: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&database.url_as(&login, "srv-password"), &manifest)
            .await
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let callers = Callers::with_tokens(&manifest, &server, dir.path());

    let all = get(&callers.service, "/api/post?order=id").await;
    assert_eq!(
        ids(&all),
        [json!(1), json!(2), json!(3), json!(4)],
        "{}",
        all.body
    );
    assert_eq!(get(&callers.service, "/api/org?order=id").await.status, 200);
    let ada = get(&callers.ada, "/api/post?order=id").await;
    assert_eq!(ids(&ada), [json!(1), json!(2), json!(4)], "{}", ada.body);
    let anonymous = get(&callers.anonymous, "/api/post?order=id").await;
    assert_eq!(ids(&anonymous), [json!(1), json!(4)], "{}", anonymous.body);
    // The service key writes what no user's policy allows.
    let created = call(
        &callers.service,
        "POST",
        "/api/post",
        Some(json!({ "id": 10, "title": "x", "published": false, "author_id": 2 })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        call(&callers.service, "DELETE", "/api/post/10", None)
            .await
            .status,
        204
    );

    // The update policy's WITH CHECK refuses the row as updated: 403.
    let before = get(&callers.service, "/api/post/2").await.body;
    let locked = call(
        &callers.ada,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "locked" })),
    )
    .await;
    assert_eq!(locked.status, 403, "{}", locked.body);
    assert_eq!(get(&callers.service, "/api/post/2").await.body, before);
    let renamed = call(
        &callers.ada,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "renamed" })),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);

    // The server's login alone may read nothing: the role switch is what
    // lets it work at all.
    let query = baas::query::ListQuery {
        filter: None,
        select: None,
        order: Vec::new(),
        limit: 100,
        offset: 0,
        count: false,
        expand: Vec::new(),
    };
    assert!(server.list(&manifest, "post", &query).await.is_err());

    // psql as the server's login, with the user role and Ada's claims.
    let output = std::process::Command::new("psql")
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(database.url_as(&login, "srv-password"))
        .args(["-c", &format!(
            "SET ROLE \"{user_role}\"; SET request.jwt.claims = '{{\"sub\": \"1\", \"org\": 1}}'; \
             SELECT string_agg(id::text, ',' ORDER BY id) FROM post"
        )])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .trim()
        .split(',')
        .map(|id| json!(id.parse::<i64>().unwrap()))
        .collect();
    assert_eq!(listed, ids(&ada));
}

/// `[auth] service_role` and `user_role` are role names the server
/// switches to by name: anything but a plain identifier is refused when
/// the manifest is loaded.
#[test]
fn database_roles_must_be_plain_identifiers() {
    for (value, valid) in [
        ("baas_service", true),
        ("Service2", true),
        ("svc\\\" ; DROP TABLE post; --", false),
        ("2fast", false),
        ("with space", false),
        ("x".repeat(64).as_str(), false),
    ] {
        let text = format!(
            "{MANIFEST}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\nservice_role = \"{value}\"\n"
        );
        match baas::manifest::load_str(Path::new("baas.toml"), text) {
            Ok(loaded) => {
                assert!(valid, "{value} was accepted");
                let auth = loaded.manifest.auth.clone().unwrap();
                assert_eq!(auth.service_role.as_deref(), Some(value));
                // Saved and loaded again unchanged.
                let saved = baas::manifest::to_toml(&loaded.manifest);
                assert!(
                    saved.contains(&format!("service_role = \"{value}\"")),
                    "{saved}"
                );
            }
            Err(diagnostics) => {
                assert!(!valid, "{value}: {diagnostics:?}");
                let problem = &diagnostics.problems[0];
                assert!(
                    problem.message.contains("PostgreSQL role name"),
                    "{problem:?}"
                );
                assert!(problem.span.is_some(), "{problem:?}");
            }
        }
    }
}

/// The cases of `baas rules test`: the matrix's answers, as a file.
fn case_file(extra: &str) -> String {
    let rows = r#"rows = { org = [{ id = 1, name = "one" }, { id = 2, name = "two" }], author = [{ id = 1, name = "Ada", org_id = 1 }, { id = 2, name = "Bob", org_id = 2 }] }"#;
    let ada = r#"claims = { sub = "1", org = 1 }"#;
    let bob = r#"claims = { sub = "2", org = 2 }"#;
    let draft = r#"row = { id = 2, title = "draft", published = false, author_id = 1 }"#;
    let cases = [
        (
            "anonymous views a published post",
            "view",
            "",
            r#"row = { id = 1, title = "news", published = true, author_id = 1 }"#,
            "",
            "allow",
        ),
        ("anonymous lists a draft", "list", "", draft, "", "deny"),
        (
            "the author lists her draft",
            "list",
            ada,
            draft,
            "",
            "allow",
        ),
        (
            "another user views the draft",
            "view",
            bob,
            draft,
            "",
            "deny",
        ),
        (
            "the author renames her draft",
            "update",
            ada,
            draft,
            r#"body = { title = "renamed" }"#,
            "allow",
        ),
        (
            "the author gives her draft away",
            "update",
            ada,
            draft,
            r#"body = { author_id = 2 }"#,
            "deny",
        ),
        (
            "another user edits the draft",
            "update",
            bob,
            draft,
            r#"body = { title = "mine" }"#,
            "deny",
        ),
        (
            "the author posts as herself",
            "create",
            ada,
            "",
            r#"body = { id = 9, title = "t", published = false, author_id = 1 }"#,
            "allow",
        ),
        (
            "a user posts as another",
            "create",
            bob,
            "",
            r#"body = { id = 9, title = "t", published = false, author_id = 1 }"#,
            "deny",
        ),
        (
            "anonymous posts",
            "create",
            "",
            "",
            r#"body = { id = 9, title = "t", published = false, author_id = 1 }"#,
            "deny",
        ),
        (
            "the org deletes its post",
            "delete",
            ada,
            draft,
            "",
            "allow",
        ),
        (
            "another org deletes the post",
            "delete",
            bob,
            draft,
            "",
            "deny",
        ),
        (
            "the service key deletes",
            "delete",
            "service = true",
            draft,
            "",
            "allow",
        ),
    ];
    let mut text = String::new();
    for (name, action, who, row, body, expect) in cases {
        text.push_str(&format!(
            "[[case]]\nname = \"{name}\"\nentity = \"post\"\naction = \"{action}\"\n{who}\n{row}\n{body}\n{rows}\nexpect = \"{expect}\"\n\n"
        ));
    }
    text.push_str(extra);
    text
}

/// `baas rules test`: the cases pass on the rules (SQLite) and on the
/// PostgreSQL policies; a wrong expectation fails with exit 1, and so does
/// a case on which the rules and the policies disagree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_test_runs_the_cases_on_the_rules_and_on_postgres() {
    let Some(database) = PostgresDatabase::create_async("rules_cli").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{MANIFEST}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\nrls = true\n"
    );
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    std::fs::write(dir.path().join("rules.test.toml"), case_file("")).unwrap();
    database
        .execute(&create_statements(Target::Postgres, &load(&text)))
        .await;

    let run = |args: &[&str]| {
        let output = crate::support::baas(dir.path())
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stdout, stderr)
    };
    let (code, stdout, stderr) = run(&["rules", "test"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout.matches("ok ").count(), 13, "{stdout}");

    let url = database.url();
    let (code, stdout, stderr) = run(&["--json", "rules", "test", "--url", &url]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 13);
    assert!(
        cases
            .iter()
            .all(|c| c["postgres"] == c["rules"] || c["postgres"] == "n/a"),
        "{report}"
    );
    assert_eq!(cases[12]["postgres"], "n/a");

    // A wrong expectation fails.
    std::fs::write(
        dir.path().join("wrong.toml"),
        case_file("").replace(
            "name = \"anonymous lists a draft\"\nentity = \"post\"\naction = \"list\"\n\n",
            "name = \"anonymous lists a draft\"\nentity = \"post\"\naction = \"list\"\nclaims = { sub = \"1\" }\n",
        ),
    )
    .unwrap();
    let (code, stdout, _) = run(&["rules", "test", "wrong.toml"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("FAIL anonymous lists a draft"), "{stdout}");

    // An admin's delete rule lets it delete any post, but not one it
    // cannot read: the API finds no such row, as PostgreSQL's SELECT
    // policies hide it from the DELETE.
    let admin = "[[case]]\nname = \"an admin deletes a draft\"\nentity = \"post\"\naction = \"delete\"\n\
                 claims = { sub = \"9\", role = \"admin\" }\n\
                 row = { id = 2, title = \"draft\", published = false, author_id = 1 }\n\
                 rows = { org = [{ id = 1, name = \"one\" }], author = [{ id = 1, name = \"Ada\", org_id = 1 }] }\n\
                 expect = \"deny\"\n";
    std::fs::write(dir.path().join("admin.toml"), admin).unwrap();
    let (code, stdout, _) = run(&["rules", "test", "admin.toml", "--url", &url]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("rules deny, postgres deny"), "{stdout}");
}

/// The whole rule matrix (anonymous, a user, another user, an admin, the
/// service key × list, view, create, update, delete × the caller's own and
/// others' rows) as `rules test` cases, with the answers the HTTP matrix
/// gets: the rules and PostgreSQL's policies agree on every one. Then a
/// policy edited by hand in the database: `rules test --url` fails on the
/// cases where it disagrees, and `baas check --db` reports it as drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_test_agrees_with_row_level_security_on_the_whole_matrix() {
    let Some(database) = PostgresDatabase::create_async("rules_matrix_cli").await else {
        return;
    };
    let manifest = format!(
        "{MANIFEST}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\n"
    );
    let dir = rls_project(&database, &manifest).await;

    let rows = [
        (
            "Ada's draft",
            "{ id = 2, title = \"d\", published = false, author_id = 1 }",
        ),
        (
            "Bob's draft",
            "{ id = 3, title = \"d\", published = false, author_id = 2 }",
        ),
        (
            "Bob's news",
            "{ id = 4, title = \"n\", published = true, author_id = 2 }",
        ),
    ];
    // Per caller: list, view, update, delete of each row above (a = allow),
    // then create as author 1 and as author 2.
    let callers = [
        ("anonymous", "", ["dda", "dda", "ddd", "ddd"], "dd"),
        (
            "Ada",
            "claims = { sub = \"1\", org = 1 }",
            ["ada", "ada", "add", "add"],
            "ad",
        ),
        (
            "Bob",
            "claims = { sub = \"2\", org = 2 }",
            ["daa", "daa", "daa", "daa"],
            "da",
        ),
        (
            "an admin",
            "claims = { sub = \"9\", role = \"admin\", org = 3 }",
            ["dda", "dda", "ddd", "dda"],
            "dd",
        ),
        (
            "the service key",
            "service = true",
            ["aaa", "aaa", "aaa", "aaa"],
            "aa",
        ),
    ];
    let context = r#"rows = { org = [{ id = 1, name = "one" }, { id = 2, name = "two" }], author = [{ id = 1, name = "Ada", org_id = 1 }, { id = 2, name = "Bob", org_id = 2 }] }"#;
    let word = |c: u8| if c == b'a' { "allow" } else { "deny" };
    let mut file = String::new();
    let mut case = |name: String, action: &str, who: &str, row: &str, body: &str, expect| {
        file.push_str(&format!(
            "[[case]]\nname = \"{name}\"\nentity = \"post\"\naction = \"{action}\"\n{who}\n{row}\n{body}\n{context}\nexpect = \"{expect}\"\n\n"
        ));
    };
    for (caller, who, answers, creates) in callers {
        for (action, answers) in ["list", "view", "update", "delete"]
            .into_iter()
            .zip(answers)
        {
            for ((row_name, row), answer) in rows.iter().zip(answers.bytes()) {
                let body = if action == "update" {
                    "body = { title = \"renamed\" }"
                } else {
                    ""
                };
                let row = format!("row = {row}");
                case(
                    format!("{caller} {action}s {row_name}"),
                    action,
                    who,
                    &row,
                    body,
                    word(answer),
                );
            }
        }
        for (author, answer) in [1, 2].into_iter().zip(creates.bytes()) {
            let body = format!(
                "body = {{ id = 9, title = \"t\", published = false, author_id = {author} }}"
            );
            case(
                format!("{caller} posts as author {author}"),
                "create",
                who,
                "",
                &body,
                word(answer),
            );
        }
    }
    std::fs::write(dir.path().join("matrix.toml"), &file).unwrap();

    let run = |args: &[&str]| {
        let output = crate::support::baas(dir.path())
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stdout, stderr)
    };
    let url = database.url();
    let (code, stdout, stderr) = run(&["--json", "rules", "test", "matrix.toml", "--url", &url]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 70, "{report}");
    for case in cases {
        assert_eq!(case["passed"], true, "{case}");
        let service = case["name"]
            .as_str()
            .unwrap()
            .starts_with("the service key");
        let expected = if service {
            json!("n/a")
        } else {
            case["rules"].clone()
        };
        assert_eq!(case["postgres"], expected, "{case}");
    }
    let (code, stdout, stderr) = run(&["check", "--db", &url]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");

    // The list policy edited by hand: everyone may read every post.
    let list_policy = database.query(
        "SELECT polname FROM pg_policy WHERE polname LIKE 'baas_list_%' \
         AND polrelid = 'post'::regclass",
    );
    let list_policy = list_policy.trim();
    assert!(list_policy.starts_with("baas_list_"), "{list_policy}");
    database
        .execute(&[format!(
            "ALTER POLICY \"{list_policy}\" ON post USING (true)"
        )])
        .await;
    let (code, stdout, _) = run(&["rules", "test", "matrix.toml", "--url", &url]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL anonymous lists Ada's draft (list post): expected deny, rules deny, postgres allow"),
        "{stdout}"
    );
    assert!(stdout.contains("ok   Ada lists Ada's draft"), "{stdout}");
    let (code, stdout, stderr) = run(&["check", "--db", &url]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let report = format!("{stdout}{stderr}");
    assert!(report.contains(list_policy), "{report}");
}

/// `@query` reads the request's query-string parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_reads_the_query_string() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = load(&MANIFEST.replace(
        "list   = \"published = true || author_id = @auth.id\"",
        "list   = \"published = true || @query.limit = '2'\"",
    ));
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rules.sqlite3"), &manifest, false).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    load_rows(&*store, &manifest).await;
    let router = baas::serve::router(baas::serve::AppState::new(manifest, store));
    let two = get(&router, "/api/post?order=id&limit=2").await;
    assert_eq!(ids(&two), [json!(1), json!(2)], "{}", two.body);
    let three = get(&router, "/api/post?order=id&limit=3").await;
    assert_eq!(ids(&three), [json!(1), json!(4)], "{}", three.body);
}

/// `!(author.org_id = 1)` is NOT EXISTS: a post without an author passes
/// it on SQL, and on the Mongo-wire server too (where the relation is
/// resolved into keys first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negated_relation_path_lets_rows_without_the_relation_through() {
    let text = MANIFEST
        .replace(
            "author_id = { type = \"int64\" }",
            "author_id = { type = \"int64\", nullable = true }",
        )
        .replace(
            "list   = \"published = true || author_id = @auth.id\"",
            "list   = \"!(author.org_id = 1)\"",
        );
    let manifest = load(&text);
    let orphan = |store: Arc<dyn Store>, manifest: Arc<Manifest>| async move {
        load_rows(&*store, &manifest).await;
        let mut values = Values::new();
        values.insert("id".into(), baas::query::Value::Int(5));
        values.insert("title".into(), baas::query::Value::Text("orphan".into()));
        values.insert("published".into(), baas::query::Value::Bool(false));
        values.insert("author_id".into(), baas::query::Value::Null);
        store.insert(&manifest, "post", &values).await.unwrap();
        let router = baas::serve::router(baas::serve::AppState::new(manifest, store));
        ids(&get(&router, "/api/post?order=id").await)
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rules.sqlite3"), &manifest, false).unwrap();
    let expected = [json!(3), json!(4), json!(5)];
    assert_eq!(orphan(Arc::new(sqlite), manifest.clone()).await, expected);
    let Some(database) = MongoDatabase::create("rules_not_exists") else {
        return;
    };
    let mongo = MongoStore::connect(database.url(), &manifest)
        .await
        .unwrap();
    assert_eq!(orphan(Arc::new(mongo), manifest.clone()).await, expected);
}

/// The PostgREST profile with `[auth]`, called as Supabase's clients call
/// it: the project key as `apikey` on every request (the service key, or a
/// JWT such as an anon key) and the user's token as `Authorization:
/// Bearer`; the bearer decides who asks, and the rules hold on `/rest/v1`
/// as on `/api`, bulk writes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgrest_profile_reads_supabase_credentials_and_keeps_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_with_auth();
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rules.sqlite3"), &manifest, false).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    load_rows(&*store, &manifest).await;
    std::fs::write(
        dir.path().join(".env"),
        format!("BAAS_RULES_TEST_SECRET={SECRET}\nBAAS_RULES_TEST_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    let state = baas::serve::AppState::new(manifest, store);
    state.use_manifest_dir(dir.path()).unwrap();
    let router = baas::serve::http::router_with(
        state,
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    );
    let exp = expires_in(600);
    let anon_key = hs256(&json!({ "role": "anon", "exp": exp }));
    let ada = format!(
        "Bearer {}",
        hs256(&json!({ "sub": "1", "org": 1, "exp": exp }))
    );
    let forged = format!(
        "Bearer {}",
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "sub": "2", "org": 2, "exp": exp }),
            &jsonwebtoken::EncodingKey::from_secret(b"another-secret-of-at-least-thirty-two-bytes")
                .unwrap(),
        )
        .unwrap()
    );
    let list = |headers: Vec<(&'static str, String)>| {
        let router = router.clone();
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            crate::serve::raw(
                &router,
                "GET",
                "/rest/v1/post?select=id&order=id",
                None,
                &headers,
            )
            .await
        }
    };
    let ids_of = |answer: &crate::serve::Answer| -> Vec<i64> {
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["id"].as_i64().unwrap())
            .collect()
    };
    // The anon key alone: no user, so published posts only.
    let anon = list(vec![("apikey", anon_key.clone())]).await;
    assert_eq!(ids_of(&anon), [1, 4]);
    // The anon key beside Ada's token: Ada's rows too.
    let as_ada = list(vec![
        ("apikey", anon_key.clone()),
        ("authorization", ada.clone()),
    ])
    .await;
    assert_eq!(ids_of(&as_ada), [1, 2, 4]);
    // The service key as `apikey`: every row; beside a user's token, the user.
    let service = list(vec![("apikey", SERVICE_KEY.to_owned())]).await;
    assert_eq!(ids_of(&service), [1, 2, 3, 4]);
    let service_and_ada = list(vec![
        ("apikey", SERVICE_KEY.to_owned()),
        ("authorization", ada.clone()),
    ])
    .await;
    assert_eq!(ids_of(&service_and_ada), [1, 2, 4]);
    // Attacks: a made-up `apikey`, a token signed with another secret in
    // either header: 401, never a row.
    for headers in [
        vec![("apikey", "not-the-key".to_owned())],
        vec![
            ("apikey", "not-the-key".to_owned()),
            ("authorization", ada.clone()),
        ],
        vec![
            ("apikey", anon_key.clone()),
            ("authorization", forged.clone()),
        ],
        vec![("apikey", forged["Bearer ".len()..].to_owned())],
    ] {
        let answer = list(headers.clone()).await;
        assert_eq!(answer.status.as_u16(), 401, "{headers:?}: {}", answer.body);
    }
    // A filtered bulk delete as Ada reaches only what her rules let her
    // delete: Bob's draft (hidden from her) stays.
    let headers = [
        ("apikey", anon_key.as_str()),
        ("authorization", ada.as_str()),
    ];
    let deleted =
        crate::serve::raw(&router, "DELETE", "/rest/v1/post?id=gte.2", None, &headers).await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    let left = list(vec![("apikey", SERVICE_KEY.to_owned())]).await;
    assert_eq!(ids_of(&left), [1, 3, 4]);
}

/// Events whose rules compare two fields of a row and lengths of fields:
/// a string, an array and a json field. Rows (owner, reviewer, start →
/// end, tags, links):
/// 1 "standup"    1, 2     10 → 11, [a]     null          public
/// 2 "retro"      1, 1     10 → 11, []      [x, y]        public (links)
/// 3 "backwards"  2, null  12 → 11, [x, y]  null          ends before it starts
/// 4 "open ended" 2, 2     10 → null, [z]   {a, b}        no end
/// 5 "empty"      2, 2     10 → 11, []      [only]        too few tags and links
pub const EVENTS: &str = r#"
[manifest]
format = 1
version = 1

[entities.event]
table = "event"
primary_key = ["id"]
[entities.event.fields]
id = { type = "int64" }
title = { type = "string" }
tags = { type = "array", items = { type = "string" }, nullable = true }
links = { type = "json", nullable = true }
owner = { type = "int64" }
reviewer = { type = "int64", nullable = true }
start_at = { type = "timestamptz" }
end_at = { type = "timestamptz", nullable = true }
[entities.event.rules]
list   = "owner = @auth.id || (end_at > start_at && (tags:length > 0 || links:length >= 2))"
view   = "owner = @auth.id || (!(end_at <= start_at) && !(tags:length < 1 && links:length < 2))"
create = "owner = @auth.id && title:length <= 12 && end_at > start_at"
update = "owner = @auth.id && reviewer != owner && @body.title:length <= 12"
delete = "@auth.id != null && !(title:length < 6) && reviewer = owner"

[auth]
jwt_secret = "${BAAS_RULES_TEST_SECRET}"
service_key = "${BAAS_RULES_TEST_SERVICE_KEY}"
"#;

fn event_rows() -> Value {
    let at = |hour: i64| json!(format!("2026-01-01T{hour:02}:00:00Z"));
    json!([
        { "id": 1, "title": "standup", "owner": 1, "reviewer": 2, "start_at": at(10), "end_at": at(11), "tags": ["a"], "links": null },
        { "id": 2, "title": "retro", "owner": 1, "reviewer": 1, "start_at": at(10), "end_at": at(11), "tags": [], "links": ["x", "y"] },
        { "id": 3, "title": "backwards", "owner": 2, "reviewer": null, "start_at": at(12), "end_at": at(11), "tags": ["x", "y"], "links": null },
        { "id": 4, "title": "open ended", "owner": 2, "reviewer": 2, "start_at": at(10), "end_at": null, "tags": ["z"], "links": { "a": 1, "b": 2 } },
        { "id": 5, "title": "empty", "owner": 2, "reviewer": 2, "start_at": at(10), "end_at": at(11), "tags": [], "links": ["only"] },
    ])
}

/// The event rules through HTTP on one store: lists, views, creates,
/// updates and deletes decided by two fields of a row and by lengths,
/// with null fields (no end, no reviewer, links that are not an array)
/// holding neither a comparison nor its negation.
async fn event_matrix(store: Arc<dyn Store>) {
    let manifest = load(EVENTS);
    for row in event_rows().as_array().unwrap() {
        let mut values = Values::new();
        for (name, json) in row.as_object().unwrap() {
            let field = &manifest.entities["event"].fields[name];
            values.insert(
                name.clone(),
                baas::query::value_from_json(field, json).unwrap(),
            );
        }
        store.insert(&manifest, "event", &values).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let Callers {
        anonymous,
        ada,
        bob,
        admin,
        service,
    } = &Callers::with_tokens(&manifest, &store, dir.path());

    for (router, expected) in [
        (anonymous, vec![1, 2]),
        (ada, vec![1, 2]),
        (bob, vec![1, 2, 3, 4, 5]),
        (admin, vec![1, 2]),
        (service, vec![1, 2, 3, 4, 5]),
    ] {
        let list = get(router, "/api/event?order=id&count=exact").await;
        assert_eq!(list.status, 200, "{}", list.body);
        let expected: Vec<Value> = expected.into_iter().map(Value::from).collect();
        assert_eq!(ids(&list), expected, "{}", list.body);
        assert_eq!(list.body["count"], expected.len(), "{}", list.body);
    }
    // view, the list rule with negations: event 4, whose end is null,
    // holds neither `end_at <= start_at` nor its negation.
    for (id, status) in [(1, 200), (2, 200), (3, 404), (4, 404), (5, 404)] {
        let answer = get(anonymous, &format!("/api/event/{id}")).await;
        assert_eq!(answer.status, status, "event {id}: {}", answer.body);
    }
    // The PostgREST profile plans its own queries and keeps the rule.
    let state = baas::serve::AppState::new(manifest.clone(), store.clone());
    state.use_manifest_dir(dir.path()).unwrap();
    let postgrest = baas::serve::http::router_with(
        state,
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    );
    let bob_token = format!(
        "Bearer {}",
        hs256(&json!({ "sub": "2", "exp": expires_in(600) }))
    );
    for (headers, expected) in [
        (vec![], vec![1, 2]),
        (
            vec![("authorization", bob_token.as_str())],
            vec![1, 2, 3, 4, 5],
        ),
    ] {
        let answer = crate::serve::raw(
            &postgrest,
            "GET",
            "/rest/v1/event?select=id&order=id",
            None,
            &headers,
        )
        .await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
        let got: Vec<Value> = answer
            .body
            .as_array()
            .unwrap_or_else(|| panic!("{}", answer.body))
            .iter()
            .map(|row| row["id"].clone())
            .collect();
        let expected: Vec<Value> = expected.into_iter().map(Value::from).collect();
        assert_eq!(got, expected, "{}", answer.body);
    }

    // create: the body's title length and its two timestamps.
    let event = |id: i64, title: &str, owner: i64, end: &str| {
        Some(json!({
            "id": id, "title": title, "owner": owner,
            "start_at": "2026-02-01T10:00:00Z", "end_at": end,
        }))
    };
    let later = "2026-02-01T11:00:00Z";
    let earlier = "2026-02-01T09:00:00Z";
    for (body, who) in [
        (event(10, "a title far too long", 1, later), "a long title"),
        (event(10, "planning", 1, earlier), "an end before the start"),
        (event(10, "planning", 2, later), "another owner"),
    ] {
        let refused = call(ada, "POST", "/api/event", body).await;
        assert_eq!(refused.status, 403, "{who}: {}", refused.body);
    }
    let created = call(ada, "POST", "/api/event", event(10, "planning", 1, later)).await;
    assert_eq!(created.status, 201, "{}", created.body);

    // update: the stored reviewer differs from the owner (a null reviewer
    // does not), and the new title is short enough.
    let rename = |title: &str| Some(json!({ "title": title }));
    let renamed = call(ada, "PATCH", "/api/event/1", rename("daily")).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    for (router, id) in [(ada, 2), (bob, 3), (bob, 4)] {
        let refused = call(router, "PATCH", &format!("/api/event/{id}"), rename("x")).await;
        assert_eq!(refused.status, 404, "event {id}: {}", refused.body);
    }
    let long = call(ada, "PATCH", "/api/event/1", rename("a title far too long")).await;
    assert_eq!(long.status, 404, "{}", long.body);

    // delete: `!(title:length < 6)` and `reviewer = owner`.
    for (router, id) in [(ada, 2), (bob, 3), (bob, 5), (anonymous, 4)] {
        let refused = call(router, "DELETE", &format!("/api/event/{id}"), None).await;
        assert_eq!(refused.status, 404, "event {id}: {}", refused.body);
    }
    assert_eq!(call(bob, "DELETE", "/api/event/4", None).await.status, 204);

    let left = get(service, "/api/event?order=id").await;
    assert_eq!(
        ids(&left),
        [json!(1), json!(2), json!(3), json!(5), json!(10)]
    );
    assert_eq!(left.data()[0]["title"], "daily", "{}", left.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_comparisons_and_lengths_hold_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = load(EVENTS);
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("events.sqlite3"), &manifest, false)
            .unwrap();
    event_matrix(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_comparisons_and_lengths_hold_on_postgres() {
    let Some(database) = PostgresDatabase::create_async("rules_events").await else {
        return;
    };
    let manifest = load(EVENTS);
    database
        .execute(&create_statements(Target::Postgres, &manifest))
        .await;
    let store = PostgresStore::connect(&database.url(), &manifest)
        .await
        .unwrap();
    event_matrix(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_comparisons_and_lengths_hold_on_mariadb() {
    let Some(database) = MysqlDatabase::create_async("rules_events").await else {
        return;
    };
    let manifest = load(EVENTS);
    database
        .execute(&create_statements(Target::Mysql, &manifest))
        .await;
    let store = MysqlStore::connect(&database.url(), &manifest)
        .await
        .unwrap();
    event_matrix(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_comparisons_and_lengths_hold_on_the_mongo_wire_server() {
    let Some(database) = MongoDatabase::create("rules_events") else {
        return;
    };
    let manifest = load(EVENTS);
    let store = MongoStore::connect(database.url(), &manifest)
        .await
        .unwrap();
    event_matrix(Arc::new(store)).await;
}

/// The event rules (two fields of a row, lengths of a string, an array
/// and a json field) as `rules test` cases: the rules and PostgreSQL's
/// policies agree on each, allowed and denied, including rows whose
/// compared fields are null.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_test_agrees_with_row_level_security_on_field_comparisons_and_lengths() {
    let rows: Vec<String> = event_rows()
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let fields: Vec<String> = row
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(name, value)| format!("{name} = {}", toml_value(value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        })
        .collect();
    let (ada, bob) = (
        "claims = { sub = \"1\" }".to_owned(),
        "claims = { sub = \"2\" }".to_owned(),
    );
    let anonymous = String::new();
    let body = |title: &str, owner: i64, end: &str| {
        format!(
            "body = {{ id = 10, title = \"{title}\", owner = {owner}, start_at = \"2026-02-01T10:00:00Z\", end_at = \"{end}\" }}"
        )
    };
    // (name, action, who, row index, body, expected)
    type Case<'a> = (&'a str, &'a str, &'a String, Option<usize>, String, &'a str);
    let cases: Vec<Case> = vec![
        (
            "anonymous lists a public event",
            "list",
            &anonymous,
            Some(0),
            String::new(),
            "allow",
        ),
        (
            "anonymous lists an event public by its links",
            "list",
            &anonymous,
            Some(1),
            String::new(),
            "allow",
        ),
        (
            "anonymous lists a backwards event",
            "list",
            &anonymous,
            Some(2),
            String::new(),
            "deny",
        ),
        (
            "anonymous lists an event without an end",
            "list",
            &anonymous,
            Some(3),
            String::new(),
            "deny",
        ),
        (
            "anonymous lists an event without tags or links",
            "list",
            &anonymous,
            Some(4),
            String::new(),
            "deny",
        ),
        (
            "the owner lists her backwards event",
            "list",
            &bob,
            Some(2),
            String::new(),
            "allow",
        ),
        (
            "anonymous views a public event",
            "view",
            &anonymous,
            Some(0),
            String::new(),
            "allow",
        ),
        (
            "anonymous views an event without tags or links",
            "view",
            &anonymous,
            Some(4),
            String::new(),
            "deny",
        ),
        (
            "anonymous views an event without an end",
            "view",
            &anonymous,
            Some(3),
            String::new(),
            "deny",
        ),
        (
            "the owner creates a short event",
            "create",
            &ada,
            None,
            body("planning", 1, "2026-02-01T11:00:00Z"),
            "allow",
        ),
        (
            "the owner creates a long title",
            "create",
            &ada,
            None,
            body("a title far too long", 1, "2026-02-01T11:00:00Z"),
            "deny",
        ),
        (
            "the owner creates an event ending first",
            "create",
            &ada,
            None,
            body("planning", 1, "2026-02-01T09:00:00Z"),
            "deny",
        ),
        (
            "the owner renames an event reviewed by another",
            "update",
            &ada,
            Some(0),
            "body = { title = \"daily\" }".into(),
            "allow",
        ),
        (
            "the owner renames an event she reviews",
            "update",
            &ada,
            Some(1),
            "body = { title = \"daily\" }".into(),
            "deny",
        ),
        (
            "the owner renames an event without a reviewer",
            "update",
            &bob,
            Some(2),
            "body = { title = \"daily\" }".into(),
            "deny",
        ),
        (
            "the owner deletes an event with a long title she reviews",
            "delete",
            &bob,
            Some(3),
            String::new(),
            "allow",
        ),
        (
            "the owner deletes an event with a short title",
            "delete",
            &bob,
            Some(4),
            String::new(),
            "deny",
        ),
        (
            "the owner deletes an event without a reviewer",
            "delete",
            &bob,
            Some(2),
            String::new(),
            "deny",
        ),
    ];
    let mut file = String::new();
    for (name, action, who, row, body, expect) in &cases {
        let row = row
            .map(|index| format!("row = {}", rows[index]))
            .unwrap_or_default();
        file.push_str(&format!(
            "[[case]]\nname = \"{name}\"\nentity = \"event\"\naction = \"{action}\"\n{who}\n{row}\n{body}\nexpect = \"{expect}\"\n\n"
        ));
    }
    rules_test_agrees_on_postgres("rules_events_cli", EVENTS, &file, cases.len()).await;
}

/// A project directory for `manifest` (whose `[auth]` is last) with `rls =
/// true` added, the test secrets in its `.env`, and its tables made in
/// `database`.
async fn rls_project(database: &PostgresDatabase, manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{manifest}rls = true\n");
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("BAAS_RULES_TEST_SECRET={SECRET}\nBAAS_RULES_TEST_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    database
        .execute(&create_statements(Target::Postgres, &load(&text)))
        .await;
    dir
}

/// Runs `baas rules test --url` with the `count` cases of `file` over
/// `manifest` (with `rls = true` added to its `[auth]`) on a fresh
/// PostgreSQL database: every case passes, and the rules and the policies
/// give each the same answer.
async fn rules_test_agrees_on_postgres(label: &str, manifest: &str, file: &str, count: usize) {
    let Some(database) = PostgresDatabase::create_async(label).await else {
        return;
    };
    let dir = rls_project(&database, manifest).await;
    std::fs::write(dir.path().join("cases.toml"), file).unwrap();
    let output = crate::support::baas(dir.path())
        .args([
            "--json",
            "rules",
            "test",
            "cases.toml",
            "--url",
            &database.url(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let results = report["cases"].as_array().unwrap();
    assert_eq!(results.len(), count, "{report}");
    for case in results {
        assert_eq!(case["passed"], true, "{case}");
        assert_eq!(case["postgres"], case["rules"], "{case}");
    }
}

/// A JSON value written as TOML (rows of `rules test` cases).
fn toml_value(value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(members) => format!(
            "{{ {} }}",
            members
                .iter()
                .map(|(name, value)| format!("{name} = {}", toml_value(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Realtime delivers only the events the subscriber's list rule lets
/// through when it compares two fields and lengths: the matcher decides
/// them over each row in memory. A short-lived token ends the stream, so
/// the whole stream can be read.
#[test]
fn realtime_obeys_field_comparisons_and_lengths() {
    use std::io::Read as _;

    let server = crate::auth::AuthServer::start(
        EVENTS,
        &[
            ("BAAS_RULES_TEST_SECRET", SECRET),
            ("BAAS_RULES_TEST_SERVICE_KEY", SERVICE_KEY),
        ],
    );
    let exp = expires_in(4);
    // Someone who owns no event: only the public ones.
    let token = hs256(&json!({ "sub": "9", "exp": exp }));
    let response = crate::auth::agent()
        .get(&server.url("/api/_realtime?subscribe=event"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    for row in event_rows().as_array().unwrap() {
        let (status, body) =
            crate::auth::post_json(&server, "/api/event", row.clone(), Some(SERVICE_KEY));
        assert_eq!(status, 201, "{body}");
    }
    let mut stream = String::new();
    response
        .into_body()
        .into_reader()
        .read_to_string(&mut stream)
        .unwrap();
    let created: Vec<Value> = stream
        .split("\n\n")
        .filter(|event| event.contains("event: create"))
        .filter_map(|event| {
            let data = event.lines().find_map(|line| line.strip_prefix("data:"))?;
            let data: Value = serde_json::from_str(data.trim()).ok()?;
            Some(data["row"]["id"].clone())
        })
        .collect();
    assert_eq!(created, [json!(1), json!(2)], "{stream}");
    assert!(stream.contains("token-expired"), "{stream}");
}

/// Notes whose list rule reads `@auth.id`, `@auth.role`, `@auth.tenant`
/// and a claim of its own, under `[auth] claims` names of its own.
const NOTES: &str = r#"
[manifest]
format = 1
version = 1

[entities.note]
table = "note"
primary_key = ["id"]
[entities.note.fields]
id = { type = "int64" }
owner = { type = "string" }
org = { type = "string" }
level = { type = "int64" }
[entities.note.rules]
list = "owner = @auth.id || @auth.role = 'auditor' || (org = @auth.tenant && level <= @auth.clearance) || @auth.groups:length >= 3"

[auth]
jwt_secret = "${BAAS_RULES_TEST_SECRET}"
claims = { id = "uid", role = "app.role", tenant = "org" }
"#;

/// `[auth] claims` names the claims behind `@auth.id`, `@auth.role` and
/// `@auth.tenant` (a dotted name reaches into an object claim); any other
/// claim is `@auth.<claim>`. Verified tokens through HTTP on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_map_to_auth_id_role_tenant_and_any_claim() {
    let manifest = load(NOTES);
    let dir = tempfile::tempdir().unwrap();
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("notes.sqlite3"), &manifest, false).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    for (id, owner, org, level) in [
        (1, "u1", "acme", 1),
        (2, "u2", "acme", 3),
        (3, "u3", "acme", 2),
        (4, "u4", "other", 1),
    ] {
        let mut values = Values::new();
        values.insert("id".into(), baas::query::Value::Int(id));
        values.insert("owner".into(), baas::query::Value::Text(owner.into()));
        values.insert("org".into(), baas::query::Value::Text(org.into()));
        values.insert("level".into(), baas::query::Value::Int(level));
        store.insert(&manifest, "note", &values).await.unwrap();
    }
    std::fs::write(
        dir.path().join(".env"),
        format!("BAAS_RULES_TEST_SECRET={SECRET}\n"),
    )
    .unwrap();
    let state = baas::serve::AppState::new(manifest.clone(), store);
    state.use_manifest_dir(dir.path()).unwrap();
    let router = baas::serve::router(state);
    let exp = expires_in(600);
    for (claims, expected) in [
        (json!({ "uid": "u2" }), vec![2]),
        // `sub` is not the id claim of this manifest.
        (json!({ "sub": "u2" }), vec![]),
        (json!({ "app": { "role": "auditor" } }), vec![1, 2, 3, 4]),
        (json!({ "role": "auditor" }), vec![]),
        (json!({ "org": "acme", "clearance": 2 }), vec![1, 3]),
        (json!({ "org": "acme" }), vec![]),
        (
            json!({ "uid": "u4", "org": "acme", "clearance": 1 }),
            vec![1, 4],
        ),
        (json!({ "groups": ["a", "b", "c"] }), vec![1, 2, 3, 4]),
        (json!({ "groups": ["a", "b"] }), vec![]),
    ] {
        let mut claims = claims;
        claims["exp"] = json!(exp);
        let caller = bearer(router.clone(), &hs256(&claims));
        let list = get(&caller, "/api/note?order=id").await;
        assert_eq!(list.status, 200, "{claims}: {}", list.body);
        let expected: Vec<Value> = expected.into_iter().map(Value::from).collect();
        assert_eq!(ids(&list), expected, "{claims}");
    }
}

/// `rules test --url` with `[auth] claims` names: the rules and the
/// policies read `@auth.role` and `@auth.tenant` through the same claims,
/// so a claim merely called `role` or `tenant` grants nothing on either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_test_agrees_with_row_level_security_on_claim_names() {
    let row = "row = { id = 3, owner = \"u3\", org = \"acme\", level = 2 }";
    let cases = [
        ("the owner", "{ uid = \"u3\" }", "allow"),
        (
            "a `sub` that is not the id claim",
            "{ sub = \"u3\" }",
            "deny",
        ),
        (
            "the tenant's cleared reader",
            "{ org = \"acme\", clearance = 2 }",
            "allow",
        ),
        (
            "a claim called tenant",
            "{ tenant = \"acme\", clearance = 2 }",
            "deny",
        ),
        ("an auditor", "{ app = { role = \"auditor\" } }", "allow"),
        ("a claim called role", "{ role = \"auditor\" }", "deny"),
        (
            "three groups",
            "{ groups = [\"a\", \"b\", \"c\"] }",
            "allow",
        ),
        ("two groups", "{ groups = [\"a\", \"b\"] }", "deny"),
    ];
    let mut file = String::new();
    for (name, claims, expect) in cases {
        file.push_str(&format!(
            "[[case]]\nname = \"{name}\"\nentity = \"note\"\naction = \"list\"\nclaims = {claims}\n{row}\nexpect = \"{expect}\"\n\n"
        ));
    }
    rules_test_agrees_on_postgres("rules_claims_cli", NOTES, &file, cases.len()).await;
}

/// `baas rules test` on a file it cannot use exits 2 (DESIGN.md's
/// unexpected failure) and says what is wrong and where; a missing file
/// too.
#[test]
fn rules_test_exits_2_on_a_malformed_case_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), MANIFEST).unwrap();
    let files = [
        ("syntax.toml", "this is = = not toml\n", "line 1, column 6"),
        (
            "action.toml",
            "[[case]]\nname = \"x\"\nentity = \"post\"\naction = \"fly\"\nexpect = \"allow\"\n",
            "case 1 `action` must be list, view, create, update or delete",
        ),
        ("empty.toml", "", "no `[[case]]` tables"),
    ];
    for (name, text, message) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
        let output = crate::support::baas(dir.path())
            .args(["rules", "test", name])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(message),
            "{name}: {stderr}"
        );
    }
    let output = crate::support::baas(dir.path())
        .args(["rules", "test", "missing.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read `missing.toml`"), "{stderr}");
}

/// [`MANIFEST`] whose update rule does not pin the author with
/// `:unchanged`, and excludes a title: the row as updated must pass it too
/// (PostgreSQL's `WITH CHECK`), a relation path included.
const NEW_ROW_RULE: &str =
    "update = \"author_id = @auth.id && title != 'locked' && author.org_id = @auth.org\"";

fn new_row_manifest() -> Arc<Manifest> {
    load(&MANIFEST.replace(
        "update = \"author_id = @auth.id && @body.author_id:unchanged\"",
        NEW_ROW_RULE,
    ))
}

/// Ada owns post 2: moving it to Bob, or to a title the rule excludes, is
/// refused with 403 and writes nothing; renaming it is allowed. The same
/// through the PostgREST profile's filtered PATCH (`sqlite` only: the
/// profile runs the same kernel update on every engine).
async fn the_row_as_updated_must_pass_the_update_rule(store: Arc<dyn Store>, postgrest: bool) {
    let manifest = new_row_manifest();
    load_rows(&*store, &manifest).await;
    let callers = Callers::new(&manifest, &store);
    let stored = || async { get(&callers.service, "/api/post/2").await.body };
    let before = stored().await;
    for body in [
        json!({ "author_id": 2 }),
        json!({ "title": "locked" }),
        json!({ "author_id": 2, "title": "moved" }),
    ] {
        let answer = call(&callers.ada, "PATCH", "/api/post/2", Some(body.clone())).await;
        assert_eq!(answer.status, 403, "{body}: {}", answer.body);
        assert_eq!(stored().await, before, "{body} was written");
        let answer = call(
            &callers.ada,
            "PUT",
            "/api/post/2",
            Some({
                let mut row = before.clone();
                for (name, value) in body.as_object().unwrap() {
                    row[name] = value.clone();
                }
                row
            }),
        )
        .await;
        assert_eq!(answer.status, 403, "PUT {body}: {}", answer.body);
        assert_eq!(stored().await, before, "PUT {body} was written");
    }
    // Bob cannot reach Ada's draft at all: not found, as before.
    let answer = call(
        &callers.bob,
        "PATCH",
        "/api/post/2",
        Some(json!({ "author_id": 2 })),
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let answer = call(
        &callers.ada,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "renamed" })),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stored().await["title"], "renamed");
    // The service key passes every rule.
    let answer = call(
        &callers.service,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "locked" })),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    if !postgrest {
        return;
    }
    call(
        &callers.service,
        "PATCH",
        "/api/post/2",
        Some(json!({ "title": "d" })),
    )
    .await;
    let state = baas::serve::AppState::new(manifest.clone(), store.clone());
    let rest = baas::serve::http::router_with(
        state,
        baas::serve::http::HttpOptions {
            postgrest: Some("/rest/v1".into()),
            ..Default::default()
        },
    )
    .layer(axum::Extension(Caller(Arc::new(user("1", None, 1)))));
    let before = stored().await;
    let answer = call(
        &rest,
        "PATCH",
        "/rest/v1/post?id=eq.2",
        Some(json!({ "author_id": 2 })),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(stored().await, before);
    // An upsert that updates (merge-duplicates) is an update too.
    let upsert =
        serde_json::to_vec(&json!([{ "id": 2, "title": "d", "published": false, "author_id": 2 }]))
            .unwrap();
    let answer = crate::serve::raw(
        &rest,
        "POST",
        "/rest/v1/post",
        Some(upsert),
        &[("prefer", "resolution=merge-duplicates")],
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(stored().await, before);
    let answer = call(
        &rest,
        "PATCH",
        "/rest/v1/post?author_id=eq.1",
        Some(json!({ "title": "bulk" })),
    )
    .await;
    assert!(answer.status.is_success(), "{}", answer.body);
    assert_eq!(stored().await["title"], "bulk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_into_a_row_the_rule_refuses_is_403_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = new_row_manifest();
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rules.sqlite3"), &manifest, false).unwrap();
    the_row_as_updated_must_pass_the_update_rule(Arc::new(store), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_into_a_row_the_rule_refuses_is_403_on_postgres() {
    let Some(database) = PostgresDatabase::create_async("rules_new_row").await else {
        return;
    };
    let manifest = new_row_manifest();
    database
        .execute(&create_statements(Target::Postgres, &manifest))
        .await;
    let store = PostgresStore::connect(&database.url(), &manifest)
        .await
        .unwrap();
    the_row_as_updated_must_pass_the_update_rule(Arc::new(store), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_into_a_row_the_rule_refuses_is_403_on_mariadb() {
    let Some(database) = MysqlDatabase::create_async("rules_new_row").await else {
        return;
    };
    let manifest = new_row_manifest();
    database
        .execute(&create_statements(Target::Mysql, &manifest))
        .await;
    let store = MysqlStore::connect(&database.url(), &manifest)
        .await
        .unwrap();
    the_row_as_updated_must_pass_the_update_rule(Arc::new(store), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_into_a_row_the_rule_refuses_is_403_on_the_mongo_wire_server() {
    let Some(database) = MongoDatabase::create("rules_new_row") else {
        return;
    };
    let manifest = new_row_manifest();
    let store = MongoStore::connect(database.url(), &manifest)
        .await
        .unwrap();
    the_row_as_updated_must_pass_the_update_rule(Arc::new(store), false).await;
}

/// `rules test --url` on the update rule's new-row cases: the API (its
/// check of the row as updated) and the policy's `WITH CHECK` give each
/// case the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_test_agrees_with_row_level_security_on_the_row_as_updated() {
    let manifest = format!(
        "{}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\n",
        MANIFEST.replace(
            "update = \"author_id = @auth.id && @body.author_id:unchanged\"",
            NEW_ROW_RULE,
        )
    );
    let context = r#"rows = { org = [{ id = 1, name = "one" }, { id = 2, name = "two" }], author = [{ id = 1, name = "Ada", org_id = 1 }, { id = 2, name = "Bob", org_id = 2 }] }"#;
    let cases = [
        ("Ada hands her draft to Bob", "{ author_id = 2 }", "deny"),
        ("Ada locks her draft", "{ title = \"locked\" }", "deny"),
        ("Ada renames her draft", "{ title = \"renamed\" }", "allow"),
        (
            "Ada keeps herself as the author",
            "{ author_id = 1 }",
            "allow",
        ),
    ];
    let file: String = cases
        .iter()
        .map(|(name, body, expect)| {
            format!(
                "[[case]]\nname = \"{name}\"\nentity = \"post\"\naction = \"update\"\n\
                 claims = {{ sub = \"1\", org = 1 }}\n\
                 row = {{ id = 2, title = \"d\", published = false, author_id = 1 }}\n\
                 body = {body}\n{context}\nexpect = \"{expect}\"\n\n"
            )
        })
        .collect();
    rules_test_agrees_on_postgres("rules_new_row_cli", &manifest, &file, cases.len()).await;
}

/// An update the update rule allows but that would hide the row from the
/// one making it: PostgreSQL asks its SELECT policies of the row an UPDATE
/// reads back, and the API asks the read rules of the row as updated.
#[tokio::test]
async fn rules_test_agrees_with_row_level_security_on_an_update_that_hides_the_row() {
    let manifest = format!(
        "{}\n[auth]\njwt_secret = \"${{BAAS_RULES_TEST_SECRET}}\"\n\
         service_key = \"${{BAAS_RULES_TEST_SERVICE_KEY}}\"\n",
        MANIFEST.replace(
            "update = \"author_id = @auth.id && @body.author_id:unchanged\"",
            "update = \"author.org_id = @auth.org\"",
        )
    );
    let context = r#"rows = { org = [{ id = 1, name = "one" }], author = [{ id = 1, name = "Ada", org_id = 1 }, { id = 3, name = "Cy", org_id = 1 }] }"#;
    let cases = [
        (
            "Ada hands her draft to Cy and can no longer read it",
            "{ author_id = 3 }",
            "deny",
        ),
        (
            "Ada hands her post to Cy and publishes it",
            "{ author_id = 3, published = true }",
            "allow",
        ),
        ("Ada renames her draft", "{ title = \"renamed\" }", "allow"),
    ];
    let file: String = cases
        .iter()
        .map(|(name, body, expect)| {
            format!(
                "[[case]]\nname = \"{name}\"\nentity = \"post\"\naction = \"update\"\n\
                 claims = {{ sub = \"1\", org = 1 }}\n\
                 row = {{ id = 2, title = \"d\", published = false, author_id = 1 }}\n\
                 body = {body}\n{context}\nexpect = \"{expect}\"\n\n"
            )
        })
        .collect();
    rules_test_agrees_on_postgres("rules_hiding_update", &manifest, &file, cases.len()).await;
}
