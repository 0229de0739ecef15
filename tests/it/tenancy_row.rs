//! `strategy = "row"`: every tenant in the same tables, told apart by the
//! tenant column, which the kernel enforces like a rule on every engine. The
//! attacks: a token for one tenant with a header naming another, a body
//! naming another tenant, a filter on the tenant column, an expand into
//! another tenant's row, another tenant's row by key, and realtime.

use std::path::Path;

use serde_json::{Value, json};

use crate::tenancy::{
    As, AsServer, SECRET, SERVICE_KEY, create_tenant, run_ok, send, tenant_manifest, titles,
};

/// The test manifest with `strategy = "row"` and a `tenant_id` column on
/// both entities.
pub(crate) fn row_manifest(source: &str) -> String {
    tenant_manifest(source, "row")
        .replace(
            "name = { type = \"string\" }\n",
            "name = { type = \"string\" }\ntenant_id = { type = \"string\" }\n",
        )
        .replace(
            "title = { type = \"string\" }\n",
            "title = { type = \"string\" }\ntenant_id = { type = \"string\" }\n",
        )
}

fn encoded(filter: &Value) -> String {
    url::form_urlencoded::byte_serialize(filter.to_string().as_bytes()).collect()
}

fn assert_row_isolated(server: &AsServer) {
    let mut authors = std::collections::BTreeMap::new();
    let mut notes = std::collections::BTreeMap::new();
    for tenant in ["acme", "globex"] {
        let (status, author) = send(
            server,
            "POST",
            "/api/author",
            As::Service(tenant),
            Some(json!({ "name": format!("{tenant} author") })),
        );
        assert_eq!(status, 201, "{author}");
        assert_eq!(author["tenant_id"], tenant, "create stamps the tenant");
        let (status, note) = send(
            server,
            "POST",
            "/api/note",
            As::Service(tenant),
            Some(json!({ "title": format!("{tenant} secret"), "author_id": author["id"] })),
        );
        assert_eq!(status, 201, "{note}");
        authors.insert(tenant, author["id"].clone());
        notes.insert(tenant, note["id"].as_i64().unwrap());
    }
    let acme = As::User(Some("acme"), None);

    // A body naming another tenant: 403, for the service key too (it names
    // its tenant by header, the body may not contradict it).
    for who in [acme, As::Service("acme")] {
        let (status, problem) = send(
            server,
            "POST",
            "/api/note",
            who,
            Some(json!({ "title": "smuggled", "tenant_id": "globex" })),
        );
        assert_eq!(status, 403, "{problem}");
    }
    let (status, problem) = send(
        server,
        "POST",
        "/api/note",
        acme,
        Some(json!({ "title": "null tenant", "tenant_id": null })),
    );
    assert_eq!(status, 403, "{problem}");
    // Naming its own tenant is fine.
    let (status, own) = send(
        server,
        "POST",
        "/api/note",
        acme,
        Some(json!({ "title": "acme own", "tenant_id": "acme" })),
    );
    assert_eq!(status, 201, "{own}");
    let own_id = own["id"].as_i64().unwrap();
    // A row may not be moved to another tenant.
    let (status, _) = send(
        server,
        "PATCH",
        &format!("/api/note/{own_id}"),
        acme,
        Some(json!({ "tenant_id": "globex" })),
    );
    assert_eq!(status, 403);

    // Lists and counts: acme's rows only, whatever the filter says.
    let (status, list) = send(server, "GET", "/api/note?count=exact", acme, None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["acme secret", "acme own"]);
    assert_eq!(list["count"], 2);
    for query in [
        "tenant_id=neq.acme".to_owned(),
        "tenant_id=eq.globex".to_owned(),
        format!(
            "where={}",
            encoded(&json!({ "or": [{ "tenant_id": "globex" }, { "title": { "like": "%" } }] }))
        ),
    ] {
        let (status, list) = send(
            server,
            "GET",
            &format!("/api/note?count=exact&{query}"),
            acme,
            None,
        );
        assert_eq!(status, 200, "{query}: {list}");
        assert!(
            !list.to_string().contains("globex secret"),
            "{query}: {list}"
        );
    }

    // Another tenant's row by key: not found, for every action.
    let globex_note = notes["globex"];
    for method in ["GET", "PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({ "title": "hijacked" }));
        let (status, problem) = send(
            server,
            method,
            &format!("/api/note/{globex_note}"),
            acme,
            body,
        );
        assert_eq!(status, 404, "{method}: {problem}");
    }
    // Filtered bulk writes reach acme's rows only: a filter naming globex's
    // row or the tenant column writes nothing of globex's.
    for query in ["title=eq.globex%20secret", "tenant_id=neq.acme"] {
        let (status, written) = send(
            server,
            "PATCH",
            &format!("/api/note?{query}"),
            acme,
            Some(json!({ "title": "bulk hijacked" })),
        );
        assert_eq!(status, 200, "{query}: {written}");
        assert_eq!(written["data"], json!([]), "{query}: {written}");
        let (status, deleted) = send(server, "DELETE", &format!("/api/note?{query}"), acme, None);
        assert_eq!(status, 200, "{query}: {deleted}");
        assert_eq!(deleted["data"], json!([]), "{query}: {deleted}");
    }
    let (status, written) = send(
        server,
        "PATCH",
        "/api/note?title=like.*secret",
        acme,
        Some(json!({ "tenant_id": "globex" })),
    );
    assert_eq!(status, 403, "a bulk write may not move rows: {written}");

    // A link to another tenant's row is refused as a missing key (the
    // reads of rows already pointing across: tenancy_row_attack).
    let (status, pointing) = send(
        server,
        "POST",
        "/api/note",
        acme,
        Some(json!({ "title": "acme pointing", "author_id": authors["globex"] })),
    );
    assert_eq!(status, 409, "{pointing}");
    let (status, row) = send(
        server,
        "GET",
        &format!("/api/note/{}?expand=author", notes["acme"]),
        acme,
        None,
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["author"]["name"], "acme author", "{row}");

    // A forged header or path with acme's token: 403.
    for (path, header) in [("/api/note", Some("globex")), ("/t/globex/api/note", None)] {
        let (status, problem) = send(server, "GET", path, As::User(Some("acme"), header), None);
        assert_eq!(status, 403, "{path}: {problem}");
    }

    // globex still has exactly its own row, untouched.
    crate::tenancy::assert_globex_keeps_only_its_own_row(server);

    // Realtime: acme's subscriber sees acme's change and never globex's.
    crate::tenancy::assert_realtime_stays_in_the_tenant(server);

    // An unknown tenant is 404, no tenant at all 400.
    let (status, _) = send(server, "GET", "/api/note", As::Service("nosuch"), None);
    assert_eq!(status, 404);
    let (status, _) = send(server, "GET", "/api/note", As::User(None, None), None);
    assert_eq!(status, 400);
}

fn make_tenants(dir: &Path, env: &[(&str, &str)]) {
    for slug in ["acme", "globex"] {
        a_row_tenant(&create_tenant(dir, env, slug));
    }
}

fn a_row_tenant(record: &Value) {
    assert_eq!(record["state"], "active", "{record}");
    assert_eq!(record["location"], "#row=tenant_id", "{record}");
}

/// A server over the row manifest with `source` (a server database at
/// `url`, migrated) and tenants `acme` and `globex`.
fn row_server(source: &str, url: &str) -> AsServer {
    crate::tenancy::serve_two_tenants(&row_manifest(source), Some(url), a_row_tenant)
}

#[test]
fn row_tenants_are_isolated_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), row_manifest("")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    make_tenants(dir.path(), &env);
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    assert_row_isolated(&server);
}

#[test]
fn row_tenants_are_isolated_on_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_row") else {
        return;
    };
    let url = db.url();
    let server = row_server(crate::tenancy::PG_SOURCE, &url);
    assert_row_isolated(&server);
    assert!(db.has_table("public.note"), "one set of tables for all");
}

#[test]
fn row_tenants_are_isolated_on_mysql() {
    let Some(db) = crate::support::mysql::TempDatabase::create("tenancy_row") else {
        return;
    };
    let url = db.url();
    let server = row_server(
        "\n[source]\nengine = \"mysql\"\nurl = \"${TENANTS_DB}\"\n",
        &url,
    );
    assert_row_isolated(&server);
}

#[test]
fn row_strategy_defaults_its_column_and_names_an_entity_without_it() {
    let text = row_manifest("").replace("tenant_id = { type = \"string\" }\n", "");
    let error =
        baas::manifest::load_str(Path::new("baas.toml"), text).expect_err("no tenant column");
    let rendered = baas::diagnostics::render_problems(&error, false);
    assert!(
        rendered.contains("entity `author` has no tenant column `tenant_id`"),
        "{rendered}"
    );
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), row_manifest("")).unwrap();
    assert_eq!(
        loaded.manifest.tenancy.unwrap().row_column(),
        Some("tenant_id")
    );
}

// ---- `baas tenants drop` of a row tenant ----

/// `tenant_id:count` of `table` per tenant, in tenant order (`query` runs
/// one SQL statement and gives its rows as text, one a line).
fn per_tenant(query: &dyn Fn(&str) -> String, table: &str) -> String {
    query(&format!(
        "SELECT tenant_id || ':' || count(*) FROM {table} GROUP BY tenant_id ORDER BY tenant_id"
    ))
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(",")
}

/// Three tenants with an author and two notes each; `drop acme` deletes
/// acme's rows from both tables in one go (asking first: without a
/// terminal it needs `--yes`), `drop initech --keep-rows` keeps them, and
/// globex's rows are untouched throughout.
fn assert_drop_deletes_the_tenants_rows(
    server: &AsServer,
    env: &[(&str, &str)],
    query: &dyn Fn(&str) -> String,
) {
    let dir = server.0.dir.path();
    run_ok(dir, env, &["tenants", "create", "initech"]);
    for tenant in ["acme", "globex", "initech"] {
        let (status, author) = send(
            server,
            "POST",
            "/api/author",
            As::Service(tenant),
            Some(json!({ "name": format!("{tenant} author") })),
        );
        assert_eq!(status, 201, "{author}");
        for n in 1..=2 {
            let (status, note) = send(
                server,
                "POST",
                "/api/note",
                As::Service(tenant),
                Some(json!({ "title": format!("{tenant} {n}"), "author_id": author["id"] })),
            );
            assert_eq!(status, 201, "{note}");
        }
    }
    let all = ("acme:1,globex:1,initech:1", "acme:2,globex:2,initech:2");
    assert_eq!(
        (per_tenant(query, "author"), per_tenant(query, "note")),
        (all.0.to_owned(), all.1.to_owned())
    );

    // Without a terminal and without --yes: refused, nothing deleted.
    let output = crate::support::baas(dir)
        .envs(env.iter().copied())
        .args(["tenants", "drop", "acme"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "drop without --yes");
    assert_eq!(per_tenant(query, "note"), all.1);

    let dropped = run_ok(dir, env, &["tenants", "drop", "acme", "--yes", "--json"]);
    let dropped: Value = serde_json::from_str(dropped.trim()).unwrap();
    assert_eq!(dropped["dropped"]["slug"], "acme", "{dropped}");
    assert_eq!(
        dropped["deleted"],
        json!({ "note": 2, "author": 1 }),
        "{dropped}"
    );
    assert_eq!(per_tenant(query, "author"), "globex:1,initech:1");
    assert_eq!(per_tenant(query, "note"), "globex:2,initech:2");

    run_ok(
        dir,
        env,
        &["tenants", "drop", "initech", "--yes", "--keep-rows"],
    );
    assert_eq!(per_tenant(query, "note"), "globex:2,initech:2", "kept");
    let list = run_ok(dir, env, &["tenants", "list", "--json"]);
    assert!(
        !list.contains("initech") && !list.contains("acme"),
        "{list}"
    );

    let (status, _) = send(server, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 404, "a dropped tenant is not served");
    let (status, list) = send(server, "GET", "/api/note", As::Service("globex"), None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["globex 1", "globex 2"]);
}

#[test]
fn dropping_a_row_tenant_deletes_its_rows_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), row_manifest("")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    make_tenants(dir.path(), &env);
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    let database = server.0.dir.path().join(".baas/dev.sqlite3");
    let query = |sql: &str| {
        let connection = rusqlite::Connection::open(&database).unwrap();
        let mut statement = connection.prepare(sql).unwrap();
        let rows: Vec<String> = statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.join("\n")
    };
    assert_drop_deletes_the_tenants_rows(&server, &env, &query);
}

#[test]
fn dropping_a_row_tenant_deletes_its_rows_on_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_rowdrop") else {
        return;
    };
    let url = db.url();
    let server = row_server(crate::tenancy::PG_SOURCE, &url);
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url.as_str()),
    ];
    assert_drop_deletes_the_tenants_rows(&server, &env, &|sql| db.query(sql));
}

// ---- /api/_tenants ----

#[test]
fn the_tenants_api_provisions_with_the_service_key_only_and_leaves_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    run_ok(
        dir.path(),
        &env,
        &["migrate", "plan", "--name", "init", "--dialect", "sqlite"],
    );
    let path = dir.path().to_owned();
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    let acme = json!({ "slug": "acme", "name": "Acme Inc." });

    // No rights: 403 for anonymous callers and users alike.
    for who in [As::User(Some("acme"), None), As::User(None, None)] {
        for (method, body) in [("GET", None), ("POST", Some(acme.clone()))] {
            let (status, problem) = send(&server, method, "/api/_tenants", who, body);
            assert_eq!(status, 403, "{method}: {problem}");
            assert_eq!(problem["status"], 403, "a problem: {problem}");
        }
    }
    assert!(!path.join(".baas/tenants/acme.sqlite3").exists());

    let (status, record) = send(
        &server,
        "POST",
        "/api/_tenants",
        As::Key,
        Some(acme.clone()),
    );
    assert_eq!(status, 201, "{record}");
    assert_eq!(record["state"], "active");
    assert_eq!(record["name"], "Acme Inc.");
    assert_eq!(record["schema_version"], 1, "{record}");
    assert!(path.join(".baas/tenants/acme.sqlite3").is_file());
    // Served at once.
    let (status, note) = send(
        &server,
        "POST",
        "/api/note",
        As::Service("acme"),
        Some(json!({ "title": "first" })),
    );
    assert_eq!(status, 201, "{note}");

    for (body, expected) in [
        (acme.clone(), 409),
        (json!({ "slug": "Bad-Slug" }), 400),
        (json!({ "slug": "system" }), 400),
        (json!({ "slug": "ok", "owner": "x" }), 400),
        (json!({ "name": "no slug" }), 400),
    ] {
        let (status, problem) = send(&server, "POST", "/api/_tenants", As::Key, Some(body));
        assert_eq!(status, expected, "{problem}");
        assert!(
            problem["type"]
                .as_str()
                .unwrap_or_default()
                .starts_with("urn:baas:problem:"),
            "{problem}"
        );
    }

    // A file that is there already is never taken over.
    std::fs::write(path.join(".baas/tenants/taken.sqlite3"), b"keep").unwrap();
    let (status, problem) = send(
        &server,
        "POST",
        "/api/_tenants",
        As::Key,
        Some(json!({ "slug": "taken" })),
    );
    assert_eq!(status, 409, "{problem}");
    assert_eq!(
        std::fs::read(path.join(".baas/tenants/taken.sqlite3")).unwrap(),
        b"keep"
    );

    // A migration failing halfway: 422, and neither a file nor a row.
    let broken = crate::tenancy::break_migrations(&path, "INSERT INTO no_such_table VALUES (1);");
    let (status, problem) = send(
        &server,
        "POST",
        "/api/_tenants",
        As::Key,
        Some(json!({ "slug": "broken" })),
    );
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("0002_broken"),
        "{problem}"
    );
    assert!(!path.join(".baas/tenants/broken.sqlite3").exists());
    std::fs::remove_dir_all(&broken).unwrap();

    let (status, list) = send(&server, "GET", "/api/_tenants", As::Key, None);
    assert_eq!(status, 200, "{list}");
    let slugs: Vec<&str> = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme"]);
    let (status, shown) = send(&server, "GET", "/api/_tenants/acme", As::Key, None);
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["location"], ".baas/tenants/acme.sqlite3");
    let (status, _) = send(&server, "GET", "/api/_tenants/nosuch", As::Key, None);
    assert_eq!(status, 404);

    // Deactivate, activate, drop.
    let (status, record) = send(
        &server,
        "POST",
        "/api/_tenants/acme/deactivate",
        As::Key,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["state"], "inactive");
    let (status, _) = send(&server, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 404, "a deactivated tenant is not served");
    let (status, record) = send(
        &server,
        "POST",
        "/api/_tenants/acme/activate",
        As::Key,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{record}");
    let (status, list) = send(&server, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["first"]);
    let (status, _) = send(
        &server,
        "DELETE",
        "/api/_tenants/acme",
        As::User(Some("acme"), None),
        None,
    );
    assert_eq!(status, 403);
    let (status, dropped) = send(&server, "DELETE", "/api/_tenants/acme", As::Key, None);
    assert_eq!(status, 200, "{dropped}");
    assert_eq!(dropped["dropped"]["slug"], "acme");
    assert!(!path.join(".baas/tenants/acme.sqlite3").exists());
    let (status, _) = send(&server, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 404, "a dropped tenant is not served");
}

// ---- discovery and OpenAPI ----

#[test]
fn openapi_and_discovery_name_the_tenant_header_on_every_entity_route() {
    let loaded =
        baas::manifest::load_str(Path::new("baas.toml"), tenant_manifest("", "file")).unwrap();
    let document = baas::codegen::openapi::document(&loaded.manifest);
    assert_eq!(
        document["components"]["parameters"]["Tenant"]["name"],
        "x-tenant"
    );
    assert_eq!(document["x-baas-tenancy"]["claim"], "tenant");
    assert_eq!(document["x-baas-tenancy"]["path"], "/t/{tenant}/api");
    let paths = document["paths"].as_object().unwrap();
    let mut entity_routes = 0;
    for (path, item) in paths {
        let named = item["parameters"].as_array().is_some_and(|list| {
            list.iter()
                .any(|p| p["$ref"] == "#/components/parameters/Tenant")
        });
        assert_eq!(named, !path.starts_with("/api/_"), "{path}: {item}");
        entity_routes += usize::from(named);
    }
    assert!(entity_routes >= 4, "{entity_routes}");
    // Without [tenancy], no tenant parameter.
    let plain = tenant_manifest("", "file").replace("[tenancy]\nstrategy = \"file\"\nresolve = [\"claim:tenant\", \"header:x-tenant\", \"path\"]\n", "");
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), plain).unwrap();
    let document = baas::codegen::openapi::document(&loaded.manifest);
    assert!(document["components"]["parameters"].get("Tenant").is_none());
    assert!(document.get("x-baas-tenancy").is_none());

    // Discovery says how to name the tenant.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    let (status, discovery) = send(&server, "GET", "/api/_discovery", As::Key, None);
    assert_eq!(status, 200, "{discovery}");
    assert_eq!(
        discovery["tenancy"],
        json!({ "strategy": "file", "claim": "tenant", "header": "x-tenant", "path": "/t/{tenant}/api", "subdomain": false })
    );
}

/// A bulk insert judged as a whole (its rows' links looked up together,
/// one `in` lookup per relation) is written without looking each row's
/// links up again. Shown by a row repointed at another tenant's author
/// after the judgement (no request can do that: the check and the write
/// see one body): it is written as judged, while the same row never judged
/// is refused as naming no row.
#[tokio::test(flavor = "multi_thread")]
async fn a_judged_bulk_insert_does_not_look_up_its_links_again() {
    use std::sync::Arc;

    use baas::query::WriteMode;
    use baas::serve::kernel::{Action, Body, Kernel, Operation, Outcome, Schema};
    use baas::serve::policy::{Open, Principal};
    use baas::serve::store::resolver::StoreResolver;
    use baas::serve::store::{Store, StoreError};

    /// One database for every tenant, as `strategy = "row"` serves them.
    struct Shared(Arc<dyn Store>);
    impl StoreResolver for Shared {
        fn resolve<'a>(
            &'a self,
            _: Option<&'a str>,
        ) -> futures::future::BoxFuture<'a, Result<Arc<dyn Store>, StoreError>> {
            Box::pin(async { Ok(self.0.clone()) })
        }
        fn default_store(&self) -> Arc<dyn Store> {
            self.0.clone()
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let manifest = baas::manifest::load_str(Path::new("baas.toml"), row_manifest(""))
        .unwrap()
        .manifest;
    let (store, _) =
        baas::serve::SqliteStore::dev(&dir.path().join("rows.sqlite3"), &manifest, false).unwrap();
    let kernel = Kernel::new(Arc::new(Open), Arc::new(Shared(Arc::new(store))));
    let schema = Schema::new(Arc::new(manifest));
    let create = |tenant: &str, entity: &str, json: Value| {
        let mut operation = Operation::new(Arc::new(Principal::Service), entity, Action::Create);
        operation.tenant = Some(tenant.to_owned());
        operation.body = Some(Body {
            json,
            mode: WriteMode::Insert,
        });
        operation
    };
    let mut authors = Vec::new();
    for tenant in ["acme", "globex"] {
        let author = create(tenant, "author", json!({ "name": tenant }));
        let created = kernel.run(&schema, author).await;
        let Ok(Outcome::Row(row)) = created else {
            panic!("the author of `{tenant}` was not created: {created:?}");
        };
        authors.push(row["id"].clone());
    }
    let mut notes: Vec<Operation> = (0..2)
        .map(|n| {
            create(
                "acme",
                "note",
                json!({ "title": format!("note {n}"), "author_id": authors[0] }),
            )
        })
        .collect();
    kernel.check_creates(&schema, &mut notes).await.unwrap();

    let repointed = json!({ "title": "repointed", "author_id": authors[1] });
    let never_judged = create("acme", "note", repointed.clone());
    let refused = kernel.run(&schema, never_judged).await;
    assert!(refused.is_err(), "{refused:?}");
    let mut judged = notes.pop().unwrap();
    judged.body.as_mut().unwrap().json = repointed;
    let written = kernel.run(&schema, judged).await;
    assert!(matches!(written, Ok(Outcome::Row(_))), "{written:?}");
}

/// A row tenant of a database `baas migrate apply` never ran on is refused
/// (exit 2) naming what is missing and what to run, and nothing is
/// registered; once migrated it is made. A column or a table dropped by
/// hand afterwards refuses the next tenant naming it, and a request that
/// touches it is a problem naming it (500 `not-migrated`), never the bare
/// internal error, while the other entity keeps being served. `run_sql`
/// runs a statement on the database at `url`.
fn unmigrated_row_database(source: &str, url: &str, run_sql: &dyn Fn(&str)) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), row_manifest(source)).unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url),
    ];
    let refused = |slug: &str, names: &[&str]| {
        let output = crate::support::baas(dir.path())
            .envs(env)
            .args(["tenants", "create", slug])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("baas migrate apply"), "{stderr}");
        for name in names {
            assert!(stderr.contains(name), "{name}: {stderr}");
        }
        assert!(!stderr.contains("internal"), "{stderr}");
    };
    refused("acme", &["entity `author`", "entity `note`"]);
    let listed = run_ok(dir.path(), &env, &["--json", "tenants", "list"]);
    assert!(!listed.contains("acme"), "{listed}");
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    run_ok(dir.path(), &env, &["migrate", "apply"]);
    a_row_tenant(&create_tenant(dir.path(), &env, "acme"));
    run_sql("ALTER TABLE note DROP COLUMN tenant_id");
    refused("globex", &["entity `note`", "tenant_id"]);

    let server = AsServer(crate::auth::AuthServer::start_in(dir, &env));
    let not_migrated = |method: &str, body: Option<Value>, name: &str| {
        let (status, problem) = send(&server, method, "/api/note", As::Service("acme"), body);
        assert_eq!(status, 500, "{method}: {problem}");
        assert_eq!(
            problem["type"], "urn:baas:problem:not-migrated",
            "{problem}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(name), "{method}: {problem}");
        assert!(detail.contains("baas migrate apply"), "{problem}");
    };
    not_migrated("POST", Some(json!({ "title": "first" })), "tenant_id");
    not_migrated("GET", None, "tenant_id");
    let (status, body) = send(
        &server,
        "POST",
        "/api/author",
        As::Service("acme"),
        Some(json!({ "name": "Ann" })),
    );
    assert_eq!(status, 201, "{body}");
    run_sql("DROP TABLE note");
    not_migrated("GET", None, "note");
    assert!(
        server.0.log().contains("baas migrate apply"),
        "{}",
        server.0.log()
    );
}

#[test]
fn an_unmigrated_database_is_named_for_row_tenants_on_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("row_unmigrated") else {
        return;
    };
    unmigrated_row_database(crate::tenancy::PG_SOURCE, &db.url(), &|sql| {
        db.query(sql);
    });
}

#[test]
fn an_unmigrated_database_is_named_for_row_tenants_on_mysql() {
    let Some(db) = crate::support::mysql::TempDatabase::create("row_unmigrated") else {
        return;
    };
    unmigrated_row_database(
        "\n[source]\nengine = \"mysql\"\nurl = \"${TENANTS_DB}\"\n",
        &db.url(),
        &|sql| {
            db.query(sql);
        },
    );
}
