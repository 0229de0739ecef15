//! `strategy = "row"` through relations: a relation path (a rule's
//! `author.owner = @auth.id`, an `!inner` embedding's filter
//! `author.name=eq.X`) is an EXISTS over the related table, which every
//! tenant shares. It must only match related rows of the request's tenant,
//! on every engine: a row of one tenant pointing at another tenant's row
//! reads as pointing at nothing, as `expand` has it.

use serde_json::{Value, json};

use crate::tenancy::{As, AsServer, HEADER, send, titles};

/// `note` is open to everyone of its tenant; `secret` is shown to the
/// owner of its author only (`author.owner = @auth.id`, an EXISTS).
fn attack_manifest(source: &str) -> String {
    format!(
        r#"{HEADER}
{source}
[api]
postgrest = true

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
    crate::tenancy::serve_two_tenants(&attack_manifest(source), database, |_| {})
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

/// Sets `author_id` of the row titled `title` in `table` straight in the
/// database, past the API (which refuses a link to another tenant's row):
/// rows written before that check, or by hand, may still point across.
type Repoint<'a> = &'a dyn Fn(&str, &str, i64);

/// Both tenants have a user `user-1` (the tokens' `sub`): acme's author 1
/// and globex's author 2 are each owned by their tenant's `user-1`. acme's
/// note 10 and secret 30 point at globex's author 2 (a key is only a
/// number); globex's note 21 points at acme's author 1 (set by `repoint`).
fn assert_relations_stay_in_the_tenant(server: &AsServer, repoint: Repoint) {
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
        let own = if tenant == "acme" { 1 } else { 2 };
        create(
            server,
            tenant,
            entity,
            json!({ "id": id, "title": title, "author_id": own }),
        );
        if author != own {
            repoint(entity, title, author);
        }
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

/// The problem a write answers, with its status.
/// (`request_id`, which differs on every request, left out).
fn answer(server: &AsServer, method: &str, path: &str, row: Value) -> (u16, Value) {
    let (status, mut body) = send(server, method, path, As::Service("acme"), Some(row));
    if let Some(problem) = body.as_object_mut() {
        problem.remove("request_id");
    }
    (status, body)
}

/// After [`assert_relations_stay_in_the_tenant`]: acme may not link a row
/// to globex's author 2, by create, PATCH or bulk insert. Each is answered
/// exactly as a key naming no row (so acme learns nothing of globex's
/// keys), writes nothing, and leaves globex's rows as they were; links to
/// acme's own author still work.
fn assert_links_stay_in_the_tenant(server: &AsServer) {
    let globex = |path: &str| send(server, "GET", path, As::Service("globex"), None);
    let (_, globex_before) = globex("/api/note?order=id");
    let (_, author_before) = globex("/api/author/2");

    // Create: another tenant's key reads as no key.
    let missing = answer(
        server,
        "POST",
        "/api/note",
        json!({ "id": 50, "title": "t", "author_id": 999 }),
    );
    assert!(missing.0 == 409, "a missing author: {missing:?}");
    let foreign = answer(
        server,
        "POST",
        "/api/note",
        json!({ "id": 50, "title": "t", "author_id": 2 }),
    );
    assert_eq!(foreign, missing, "globex's author answers as a missing one");
    // A user of acme, not only the service key.
    let (status, problem) = send(
        server,
        "POST",
        "/api/note",
        As::User(Some("acme"), None),
        Some(json!({ "id": 50, "title": "t", "author_id": 2 })),
    );
    assert_eq!(status, missing.0, "{problem}");
    let (status, _) = send(server, "GET", "/api/note/50", As::Service("acme"), None);
    assert_eq!(status, 404, "nothing written");

    // Bulk insert (`/rest/v1`): one row linking across refuses them all,
    // as one naming no row does.
    let bulk = |author: i64| {
        answer(
            server,
            "POST",
            "/rest/v1/note",
            json!([
                { "id": 60, "title": "bulk own", "author_id": 1 },
                { "id": 61, "title": "bulk other", "author_id": author }
            ]),
        )
    };
    let missing = bulk(999);
    assert!(missing.0 == 409, "a missing author: {missing:?}");
    assert_eq!(bulk(2), missing, "globex's author answers as a missing one");
    for id in [60, 61] {
        let (status, _) = send(
            server,
            "GET",
            &format!("/api/note/{id}"),
            As::Service("acme"),
            None,
        );
        assert_eq!(status, 404, "bulk row {id} not written");
    }

    // Both of acme's own authors in one bulk insert: written.
    create(
        server,
        "acme",
        "author",
        json!({ "id": 3, "name": "acme second", "owner": "user-2" }),
    );
    let (status, written) = bulk(3);
    assert_eq!(status, 201, "{written}");
    for id in [60, 61] {
        let (status, row) = send(
            server,
            "DELETE",
            &format!("/api/note/{id}"),
            As::Service("acme"),
            None,
        );
        assert!(status < 300, "{row}");
    }

    // PATCH: note 11 (acme's, on author 1) may not move to globex's author.
    let missing = answer(server, "PATCH", "/api/note/11", json!({ "author_id": 999 }));
    assert!(missing.0 == 409, "a missing author: {missing:?}");
    let foreign = answer(server, "PATCH", "/api/note/11", json!({ "author_id": 2 }));
    assert_eq!(foreign, missing, "globex's author answers as a missing one");
    let (status, row) = send(server, "GET", "/api/note/11", As::Service("acme"), None);
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["author_id"], 1, "unchanged: {row}");

    // Own-tenant links and null still work.
    let (status, row) = answer(
        server,
        "POST",
        "/api/note",
        json!({ "id": 50, "title": "own", "author_id": 1 }),
    );
    assert_eq!(status, 201, "{row}");
    let (status, row) = answer(
        server,
        "PATCH",
        "/api/note/11",
        json!({ "author_id": null }),
    );
    assert_eq!(status, 200, "{row}");
    let (status, row) = answer(
        server,
        "PATCH",
        "/api/note/11",
        json!({ "author_id": 1, "title": "acme own" }),
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["author_id"], 1, "{row}");
    // A row already pointing across (written past the API) may still be
    // edited where its link is left alone.
    let (status, row) = answer(
        server,
        "PATCH",
        "/api/note/10",
        json!({ "title": "acme pointing" }),
    );
    assert_eq!(status, 200, "{row}");

    // globex's rows are as they were.
    assert_eq!(globex("/api/note?order=id").1, globex_before);
    assert_eq!(globex("/api/author/2").1, author_before);
}

#[test]
fn row_relation_paths_stay_in_the_tenant_on_sqlite() {
    let server = serve("", None);
    let file = server.0.dir.path().join(".baas/dev.sqlite3");
    let repoint = |table: &str, title: &str, author: i64| {
        let db = rusqlite::Connection::open(&file).unwrap();
        let sql = format!("UPDATE {table} SET author_id = ?1 WHERE title = ?2");
        assert_eq!(
            db.execute(&sql, rusqlite::params![author, title]).unwrap(),
            1
        );
    };
    assert_relations_stay_in_the_tenant(&server, &repoint);
    assert_links_stay_in_the_tenant(&server);
}

/// `UPDATE ... SET author_id` by a SQL client of the server database.
fn sql_repoint(run: &dyn Fn(&str) -> String) -> impl Fn(&str, &str, i64) + '_ {
    move |table, title, author| {
        run(&format!(
            "UPDATE {table} SET author_id = {author} WHERE title = '{title}'"
        ));
    }
}

#[test]
fn row_relation_paths_stay_in_the_tenant_on_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_rel") else {
        return;
    };
    let server = serve(crate::tenancy::PG_SOURCE, Some(&db.url()));
    let run = |sql: &str| db.query(sql);
    assert_relations_stay_in_the_tenant(&server, &sql_repoint(&run));
    assert_links_stay_in_the_tenant(&server);
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
    let run = |sql: &str| db.query(sql);
    assert_relations_stay_in_the_tenant(&server, &sql_repoint(&run));
    assert_links_stay_in_the_tenant(&server);
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
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let repoint = |table: &str, title: &str, author: i64| {
        runtime.block_on(async {
            let updated = db
                .connect()
                .await
                .collection::<mongodb::bson::Document>(table)
                .update_one(
                    mongodb::bson::doc! { "title": title },
                    mongodb::bson::doc! { "$set": { "author_id": author } },
                )
                .await
                .unwrap();
            assert_eq!(updated.modified_count, 1);
        });
    };
    assert_relations_stay_in_the_tenant(&server, &repoint);
    assert_links_stay_in_the_tenant(&server);
}
