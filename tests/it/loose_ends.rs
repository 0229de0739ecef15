//! Small contract fixes across the server: what a problem's `instance`
//! names under the tenant path prefix, PostgREST logic trees naming an
//! embedded resource, the tenant fan-out's report, RLS policies under row
//! tenancy, and where nulls sort on every engine.

use serde_json::{Value, json};

use crate::auth::AuthServer;
use crate::tenancy::{
    As, AsServer, SECRET, SERVICE_KEY, create_tenant, run_ok, send, tenant_manifest,
};

/// Every problem answered under `/t/{tenant}/api/...` names the path the
/// client asked for, prefix included: from a handler (a missing row, an
/// unknown entity, an invalid body) and from the layers before the routes
/// (an unknown tenant, a refused token).
#[test]
fn problems_under_the_tenant_path_name_the_path_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    create_tenant(dir.path(), &env, "acme");
    let server = AsServer(AuthServer::start_in(dir, &env));
    let key = As::Key;
    let (status, _) = send(
        &server,
        "POST",
        "/t/acme/api/note",
        key,
        Some(json!({ "title": "first" })),
    );
    assert_eq!(status, 201);
    let cases: [(&str, &str, Option<Value>, u16); 4] = [
        ("GET", "/t/acme/api/note/999", None, 404),
        ("GET", "/t/acme/api/nosuch", None, 404),
        ("POST", "/t/acme/api/note", Some(json!({ "title": 5 })), 422),
        ("GET", "/t/nobody/api/note", None, 404),
    ];
    for (method, path, body, expected) in cases {
        let (status, problem) = send(&server, method, path, key, body);
        assert_eq!(status, expected, "{method} {path}: {problem}");
        assert_eq!(problem["instance"], path, "{method} {path}: {problem}");
    }
    // A token that does not verify is refused before the tenant is known.
    let response = crate::auth::agent()
        .get(&server.0.url("/t/acme/api/note"))
        .header("authorization", "Bearer not-a-token")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let problem: Value =
        serde_json::from_str(&response.into_body().read_to_string().unwrap()).unwrap();
    assert_eq!(problem["instance"], "/t/acme/api/note", "{problem}");
    // Without the prefix, the instance is the path as before.
    let (status, problem) = send(&server, "GET", "/api/note/999", As::Service("acme"), None);
    assert_eq!(status, 404);
    assert_eq!(problem["instance"], "/api/note/999");
}

/// `migrate apply --tenants` that runs no migration but makes a schema
/// tenant's dropped realtime trigger again says so for that tenant (in the
/// table and in `--json`), and "up to date" for the others and once done.
#[test]
fn tenant_apply_reports_realtime_triggers_it_restored() {
    let Some((db, url, _)) = crate::tenancy::pg_with_password("loose_rt_report") else {
        return;
    };
    let manifest = format!(
        "{}\n[realtime]\nexternal = true\n",
        tenant_manifest(crate::tenancy::PG_SOURCE, "schema")
    );
    let (dir, env) = crate::support::tenancy::planned(&manifest, &url, &[]);
    let dir = dir.path();
    run_ok(dir, &env, &["tenants", "create", "acme"]);
    run_ok(dir, &env, &["tenants", "create", "globex"]);
    let row = |table: &str, tenant: &str| -> String {
        table
            .lines()
            .find(|line| line.contains(tenant))
            .unwrap_or_else(|| panic!("no row for {tenant}:\n{table}"))
            .to_owned()
    };
    db.query("DROP TRIGGER baas_realtime ON globex.note");
    let table = run_ok(dir, &env, &["migrate", "apply", "--tenants", "all"]);
    assert!(
        row(&table, "globex").contains("realtime triggers restored"),
        "{table}"
    );
    assert!(row(&table, "acme").contains("up to date"), "{table}");
    let table = run_ok(dir, &env, &["migrate", "apply", "--tenants", "all"]);
    assert!(row(&table, "globex").contains("up to date"), "{table}");

    db.query("DROP TRIGGER baas_realtime ON acme.author");
    let json = run_ok(
        dir,
        &env,
        &["--json", "migrate", "apply", "--tenants", "all"],
    );
    let start = json.find('[').unwrap();
    let rows: Vec<Value> = serde_json::Deserializer::from_str(&json[start..])
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let of = |tenant: &str| {
        rows.iter()
            .find(|r| r["tenant"] == tenant)
            .unwrap_or_else(|| panic!("no {tenant} in {json}"))
            .clone()
    };
    assert_eq!(
        of("acme")["realtime_made"],
        json!(["trigger baas_realtime ON acme.author"]),
        "{json}"
    );
    assert!(of("globex").get("realtime_made").is_none(), "{json}");
}

/// Row tenancy with `[auth] rls = true` on PostgreSQL: a rule's relation
/// path, rendered into a policy by `migrate plan`, matches related rows of
/// the caller's tenant (the `tenant` claim) only, as the API's does. A
/// `psql` client connected as a role the policies apply to, with the
/// claims of acme's user, does not see acme's note that points at a
/// globex author, nor globex's note, although that author's owner is the
/// caller.
#[test]
fn rls_relation_paths_stay_in_the_callers_tenant() {
    let Some(mut db) = crate::support::postgres::TempDatabase::create("loose_rls_row") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let manifest = r#"[manifest]
format = 1
version = 1

[source]
engine = "postgres"
url = "${DATABASE_URL}"

[tenancy]
strategy = "row"

[auth]
jwt_secret = "${JWT_SECRET}"
rls = true

[entities.author]
table = "author"
primary_key = ["id"]

[entities.author.fields]
id = { type = "int64" }
owner = { type = "string" }
tenant_id = { type = "string" }

[entities.author.rules]
list = "true"

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = { type = "int64" }
author_id = { type = "int64" }
tenant_id = { type = "string" }

[[entities.note.relations]]
name = "note_author_id_fkey"
fields = ["author_id"]
references = { entity = "author", fields = ["id"] }

[entities.note.rules]
list = "author.owner = @auth.id"
"#;
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str()), ("JWT_SECRET", SECRET)];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_init/up.sql")).unwrap();
    assert!(up.contains("\"_baas_r1\".\"tenant_id\"::text"), "{up}");
    run_ok(dir.path(), &env, &["migrate", "apply", "--yes"]);
    db.query(
        "INSERT INTO author (id, owner, tenant_id) VALUES (1, 'u1', 'acme'), (2, 'u1', 'globex'); \
         INSERT INTO note (id, author_id, tenant_id) VALUES (10, 1, 'acme'), (11, 2, 'acme'), (12, 2, 'globex')",
    );
    let role = db.role("api", "api-password");
    db.query(&format!("GRANT SELECT ON author, note TO \"{role}\""));
    let seen = |claims: &str| -> String {
        let output = std::process::Command::new("psql")
            .arg(db.url_as(&role, "api-password"))
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!(
                "SELECT set_config('request.jwt.claims', '{claims}', false); \
                 SELECT string_agg(id::text, ',' ORDER BY id) FROM note"
            ))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The first line is `set_config`'s answer.
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        stdout.lines().nth(1).unwrap_or_default().to_owned()
    };
    assert_eq!(seen(r#"{"sub": "u1", "tenant": "acme"}"#), "10");
    assert_eq!(seen(r#"{"sub": "u1", "tenant": "globex"}"#), "12");
    assert_eq!(seen(r#"{"sub": "u1"}"#), "");
}

/// Where a null of the sort field lands on `router` (the example over any
/// engine; book 5 has no `pages`): after every value ascending, before
/// every value descending, as PostgreSQL and PostgREST place them
/// (docs/api.md), on every engine; `.nullsfirst`/`.nullslast` move it.
pub async fn nulls_sort_after_every_value(router: &axum::Router, engine: &str) {
    let cases: [(&str, [i64; 5]); 4] = [
        ("order=pages", [3, 1, 4, 2, 5]),
        ("order=pages.desc", [5, 2, 4, 1, 3]),
        ("order=pages.asc.nullsfirst", [5, 3, 1, 4, 2]),
        ("order=pages.desc.nullslast", [2, 4, 1, 3, 5]),
    ];
    for (query, expected) in cases {
        for base in ["/api/book?select=id", "/api/book?select=id,title"] {
            let uri = format!("{base}&{query}");
            let answer = crate::serve::get(router, &uri).await;
            assert_eq!(answer.status, 200, "{engine} {uri}: {}", answer.body);
            let ids: Vec<i64> = answer.body["data"]
                .as_array()
                .unwrap_or_else(|| panic!("{engine} {uri}: {}", answer.body))
                .iter()
                .map(|row| row["id"].as_i64().unwrap())
                .collect();
            assert_eq!(ids, expected, "{engine} {uri}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nulls_sort_after_every_value_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (router, _) = crate::serve::example_sqlite(dir.path());
    nulls_sort_after_every_value(&router, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nulls_sort_after_every_value_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create_async("loose_nulls").await
    else {
        return;
    };
    let manifest = baas::serve::example_manifest()
        .map(std::sync::Arc::new)
        .unwrap();
    let store = crate::serve_engines::example_on_postgres(&database, &manifest).await;
    let router = baas::serve::router_for(manifest, store);
    nulls_sort_after_every_value(&router, "postgres").await;
}

/// A token issued in the future (`iat` later than now beyond the leeway)
/// is refused with 401, as an expired or not-yet-valid one is: a clock
/// set ahead on the issuer, or a token minted to outlive its key. Within
/// the leeway it passes; a malformed `iat` is refused too.
#[test]
fn tokens_issued_in_the_future_are_refused() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let manifest = r#"[manifest]
format = 1
version = 1

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = { type = "int64", generated = "identity" }

[entities.note.rules]
list = "true"

[auth]
jwt_secret = "${JWT_SECRET}"
leeway_seconds = 5
"#;
    let server = AuthServer::start(manifest, &[("JWT_SECRET", SECRET)]);
    let now = jsonwebtoken::get_current_timestamp();
    let token = |iat: Value| {
        let claims = json!({ "sub": "u1", "exp": now + 7200, "iat": iat });
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    for (what, iat, expected) in [
        ("issued now", json!(now), 200),
        ("issued 2 s ahead (in the leeway)", json!(now + 2), 200),
        ("issued an hour ago", json!(now - 3600), 200),
        ("issued 60 s ahead", json!(now + 60), 401),
        ("issued a year ahead", json!(now + 365 * 86400), 401),
        ("iat a string", json!("now"), 401),
    ] {
        let (status, body, challenge) = server.get_with("/api/note", &token(iat));
        assert_eq!(status, expected, "{what}: {body}");
        if expected == 401 {
            assert_eq!(
                challenge.as_deref(),
                Some("Bearer error=\"invalid_token\""),
                "{what}"
            );
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("`iat`"),
                "{what}: {body}"
            );
        }
    }
}
