//! `strategy = "row"` through relations: a relation path (a rule's
//! `author.owner = @auth.id`, an `!inner` embedding's filter
//! `author.name=eq.X`) is an EXISTS over the related table, which every
//! tenant shares. It must only match related rows of the request's tenant,
//! on every engine: a row of one tenant pointing at another tenant's row
//! reads as pointing at nothing, as `expand` has it.

use serde_json::{Value, json};

use crate::tenancy::{
    As, AsServer, HEADER, SECRET, SERVICE_KEY, create_tenant, run_ok, send, titles,
};

/// `note` is open to everyone of its tenant; `secret` is shown to the
/// owner of its author only (`author.owner = @auth.id`, an EXISTS).
fn attack_manifest(source: &str) -> String {
    format!(
        r#"{HEADER}
{source}
[tenancy]
strategy = "row"
resolve = ["claim:tenant", "header:x-tenant", "path"]

[auth]
jwt_secret = "${{JWT_SECRET}}"
service_key = "${{BAAS_SERVICE_KEY}}"

[entities.author]
table = "author"
primary_key = ["id"]

[entities.author.fields]
id = {{ type = "int64" }}
name = {{ type = "string" }}
owner = {{ type = "string" }}
tenant_id = {{ type = "string" }}

[entities.author.rules]
list = "true"
view = "true"
create = "true"
update = "true"
delete = "true"

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = {{ type = "int64" }}
title = {{ type = "string" }}
author_id = {{ type = "int64", nullable = true }}
tenant_id = {{ type = "string" }}

[[entities.note.relations]]
name = "note_author_id_fkey"
fields = ["author_id"]
references = {{ entity = "author", fields = ["id"] }}

[entities.note.rules]
list = "true"
view = "true"
create = "true"
update = "true"
delete = "true"

[entities.secret]
table = "secret"
primary_key = ["id"]

[entities.secret.fields]
id = {{ type = "int64" }}
title = {{ type = "string" }}
author_id = {{ type = "int64", nullable = true }}
tenant_id = {{ type = "string" }}

[[entities.secret.relations]]
name = "secret_author_id_fkey"
fields = ["author_id"]
references = {{ entity = "author", fields = ["id"] }}

[entities.secret.rules]
list = "author.owner = @auth.id"
view = "author.owner = @auth.id"
create = "true"
update = "author.owner = @auth.id"
delete = "author.owner = @auth.id"
"#
    )
}

/// Serves the attack manifest with tenants `acme` and `globex`;
/// `database` is the URL of a server database (`None`: embedded SQLite).
fn serve(source: &str, database: Option<&str>) -> AsServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), attack_manifest(source)).unwrap();
    let mut env = vec![("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    if let Some(url) = database {
        env.push(("TENANTS_DB", url));
        run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
        run_ok(dir.path(), &env, &["migrate", "apply"]);
    }
    for slug in ["acme", "globex"] {
        create_tenant(dir.path(), &env, slug);
    }
    AsServer(crate::auth::AuthServer::start_in(dir, &env))
}

fn create(server: &AsServer, tenant: &str, entity: &str, row: Value) {
    let (status, body) = send(
        server,
        "POST",
        &format!("/api/{entity}"),
        As::Service(tenant),
        Some(row),
    );
    assert_eq!(status, 201, "{entity} in {tenant}: {body}");
}

/// Both tenants have a user `user-1` (the tokens' `sub`): acme's author 1
/// and globex's author 2 are each owned by their tenant's `user-1`. acme's
/// note 10 and secret 30 point at globex's author 2 (a key is only a
/// number); globex's note 21 points at acme's author 1.
fn assert_relations_stay_in_the_tenant(server: &AsServer) {
    create(
        server,
        "acme",
        "author",
        json!({ "id": 1, "name": "acme author", "owner": "user-1" }),
    );
    create(
        server,
        "globex",
        "author",
        json!({ "id": 2, "name": "globex author", "owner": "user-1" }),
    );
    for (tenant, entity, id, title, author) in [
        ("acme", "note", 10, "acme pointing", 2),
        ("acme", "note", 11, "acme own", 1),
        ("globex", "note", 20, "globex own", 2),
        ("globex", "note", 21, "globex pointing", 1),
        ("acme", "secret", 30, "acme pointing secret", 2),
        ("acme", "secret", 31, "acme own secret", 1),
        ("globex", "secret", 40, "globex own secret", 2),
    ] {
        create(
            server,
            tenant,
            entity,
            json!({ "id": id, "title": title, "author_id": author }),
        );
    }
    let acme = As::User(Some("acme"), None);

    // A rule's relation path: acme's secret pointing at globex's author
    // (owned by globex's user-1) is not acme's user-1's.
    let (status, list) = send(
        server,
        "GET",
        "/api/secret?count=exact&order=id",
        acme,
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["acme own secret"], "{list}");
    assert_eq!(list["count"], 1, "{list}");
    let (status, list) = send(server, "POST", "/api/secret/_query", acme, Some(json!({})));
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["acme own secret"], "{list}");
    for method in ["GET", "PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({ "title": "hijacked" }));
        let (status, problem) = send(server, method, "/api/secret/30", acme, body);
        assert_eq!(status, 404, "{method} through globex's author: {problem}");
    }
    let (status, row) = send(server, "GET", "/api/secret/31", acme, None);
    assert_eq!(status, 200, "its own tenant's relation still counts: {row}");

    // An `!inner` embedding's filter: acme cannot find (nor probe the name
    // of) globex's author through its own note, the service key neither.
    for who in [acme, As::Service("acme")] {
        let (status, list) = send(
            server,
            "GET",
            "/api/note?select=title,author!inner(name)&author.name=eq.globex%20author&count=exact",
            who,
            None,
        );
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["data"], json!([]), "{list}");
        assert_eq!(list["count"], 0, "{list}");
        let (status, list) = send(
            server,
            "GET",
            "/api/note?select=title,author!inner(name)&author.name=like.g*",
            who,
            None,
        );
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["data"], json!([]), "{list}");
        let (status, list) = send(
            server,
            "GET",
            "/api/note?select=title,author!inner(name)&order=id",
            who,
            None,
        );
        assert_eq!(status, 200, "{list}");
        assert_eq!(titles(&list), ["acme own"], "{list}");
    }
    // The other way round: globex cannot find acme's author either.
    let (status, list) = send(
        server,
        "GET",
        "/api/note?select=title,author!inner(name)&author.name=eq.acme%20author",
        As::User(Some("globex"), None),
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"], json!([]), "{list}");

    // Embedding and expand, to one and to many: another tenant's related
    // rows are never pulled in.
    for query in [
        "/api/note?select=title,author(name,owner)&order=id",
        "/api/note?expand=author&order=id",
        "/api/author?select=name,note(title),secret(title)",
        "/api/author?expand=note,secret",
    ] {
        let (status, list) = send(server, "GET", query, As::Service("acme"), None);
        assert_eq!(status, 200, "{query}: {list}");
        let text = list.to_string();
        assert!(!text.contains("globex"), "{query}: {list}");
        assert!(text.contains("acme"), "{query}: {list}");
    }
    let (status, row) = send(
        server,
        "GET",
        "/api/note/10?select=title,author(name)",
        acme,
        None,
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["author"], Value::Null, "{row}");

    // globex's own rows are all there.
    let (status, list) = send(
        server,
        "GET",
        "/api/secret?order=id",
        As::User(Some("globex"), None),
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["globex own secret"], "{list}");
}

#[test]
fn row_relation_paths_stay_in_the_tenant_on_sqlite() {
    assert_relations_stay_in_the_tenant(&serve("", None));
}

#[test]
fn row_relation_paths_stay_in_the_tenant_on_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_rel") else {
        return;
    };
    let server = serve(crate::tenancy::PG_SOURCE, Some(&db.url()));
    assert_relations_stay_in_the_tenant(&server);
}

#[test]
fn row_relation_paths_stay_in_the_tenant_on_mariadb() {
    let Some(db) = crate::support::mysql::TempDatabase::create("tenancy_rel") else {
        return;
    };
    let server = serve(
        "\n[source]\nengine = \"mysql\"\nurl = \"${TENANTS_DB}\"\n",
        Some(&db.url()),
    );
    assert_relations_stay_in_the_tenant(&server);
}

#[test]
fn row_relation_paths_stay_in_the_tenant_on_the_mongo_wire_server() {
    let Some(db) = crate::support::mongo::TempDatabase::create("tenancy_rel") else {
        return;
    };
    let server = serve(
        "\n[source]\nengine = \"mongodb\"\nurl = \"${TENANTS_DB}\"\n",
        Some(db.url()),
    );
    assert_relations_stay_in_the_tenant(&server);
}
