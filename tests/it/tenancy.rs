//! Multi-tenancy (DESIGN.md §5b "Tenancy"): the `[tenancy]` section, the
//! registry and provisioning (`baas tenants`), and isolation over HTTP on
//! every strategy: a request scoped to one tenant never reaches another's
//! rows.

use std::path::Path;

use baas::manifest::{self, TenancyStrategy, TenantSource, load_str};

pub(crate) const HEADER: &str =
    "[manifest]\nformat = 1\nversion = 1\n\n[project]\nname = \"shop\"\n";

fn problems(text: &str) -> String {
    let error = load_str(Path::new("baas.toml"), text.to_owned()).unwrap_err();
    baas::diagnostics::render_problems(&error, false)
}

#[test]
fn tenancy_section_loads_and_round_trips() {
    let text = format!(
        "{HEADER}\n[source]\nengine = \"postgres\"\nurl = \"${{DATABASE_URL}}\"\n\n[tenancy]\nstrategy = \"schema\"\nresolve = [\"claim:org\", \"header:X-Tenant\", \"subdomain\", \"path\"]\nregistry = \"${{REGISTRY_URL}}\"\nmax_pools = 50\nidle_seconds = 60\n"
    );
    let loaded = load_str(Path::new("baas.toml"), text).unwrap();
    let tenancy = loaded.manifest.tenancy.clone().unwrap();
    assert_eq!(tenancy.strategy, TenancyStrategy::Schema);
    assert_eq!(
        tenancy.sources(),
        vec![
            TenantSource::Claim("org".into()),
            TenantSource::Header("x-tenant".into()),
            TenantSource::Subdomain,
            TenantSource::Path,
        ]
    );
    assert_eq!(tenancy.max_pools, Some(50));
    let saved = manifest::to_toml(&loaded.manifest);
    let again = load_str(Path::new("baas.toml"), saved.clone()).unwrap();
    assert_eq!(again.manifest, loaded.manifest);
    assert_eq!(manifest::to_toml(&again.manifest), saved);
}

#[test]
fn tenancy_problems_point_at_line_and_column() {
    let rendered = problems(&format!(
        "{HEADER}\n[tenancy]\nstrategy = \"schemas\"\nresolve = [\"header:x-tenant\", \"cookie\"]\npools = 3\n"
    ));
    // strategy on line 9, the bad resolve entry on line 10, the unknown key on 11.
    assert!(rendered.contains("baas.toml:9:12"), "{rendered}");
    assert!(rendered.contains("did you mean `schema`"), "{rendered}");
    assert!(rendered.contains("baas.toml:10:31"), "{rendered}");
    assert!(
        rendered.contains("`cookie` is not a way to name a tenant"),
        "{rendered}"
    );
    assert!(rendered.contains("baas.toml:11:1"), "{rendered}");
}

#[test]
fn tenancy_strategy_must_fit_the_engine() {
    let rendered = problems(&format!(
        "{HEADER}\n[source]\nengine = \"sqlite\"\nurl = \"app.db\"\n\n[tenancy]\nstrategy = \"schema\"\n"
    ));
    assert!(
        rendered.contains("strategy `schema` does not work on `sqlite`"),
        "{rendered}"
    );
    assert!(rendered.contains("baas.toml:13:12"), "{rendered}");

    let rendered = problems(&format!(
        "{HEADER}\n[tenancy]\nstrategy = \"row\"\ncolumn = \"tenant_id\"\n\n[entities.book]\ntable = \"book\"\nprimary_key = [\"id\"]\n\n[entities.book.fields]\nid = {{ type = \"int64\" }}\n"
    ));
    assert!(
        rendered.contains("entity `book` has no tenant column `tenant_id`"),
        "{rendered}"
    );

    let rendered = problems(&format!(
        "{HEADER}\n[source]\nengine = \"postgres\"\nurl = \"${{DATABASE_URL}}\"\n\n[tenancy]\nstrategy = \"schema\"\n\n[entities.book]\ntable = \"book\"\nschema = \"public\"\nprimary_key = [\"id\"]\n\n[entities.book.fields]\nid = {{ type = \"int64\" }}\n"
    ));
    assert!(
        rendered.contains("entity `book` is pinned to schema `public`"),
        "{rendered}"
    );
}

// ---------------------------------------------------------------------------
// Provisioning and isolation over HTTP (a real `baas serve`).

use std::io::BufRead as _;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::auth::{AuthServer, agent};
use crate::support::baas;

pub(crate) const SECRET: &str = "tenancy-test-secret-that-is-long-enough";
pub(crate) const SERVICE_KEY: &str = "tenancy-service-key";

/// A manifest with `[tenancy]` (`source` and `strategy` given), `[auth]`
/// and two related entities every rule opens (tenancy alone must isolate).
pub(crate) fn tenant_manifest(source: &str, strategy: &str) -> String {
    format!(
        r#"{HEADER}
{source}
[tenancy]
strategy = "{strategy}"
resolve = ["claim:tenant", "header:x-tenant", "path"]

[auth]
jwt_secret = "${{JWT_SECRET}}"
service_key = "${{BAAS_SERVICE_KEY}}"

[entities.author]
table = "author"
primary_key = ["id"]

[entities.author.fields]
id = {{ type = "int64", generated = "identity" }}
name = {{ type = "string" }}

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
id = {{ type = "int64", generated = "identity" }}
title = {{ type = "string" }}
author_id = {{ type = "int64", nullable = true }}

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
"#
    )
}

pub(crate) fn token(tenant: Option<&str>) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let mut claims = json!({ "sub": "user-1", "exp": exp });
    if let Some(tenant) = tenant {
        claims["tenant"] = json!(tenant);
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// Who sends a request, and which tenant it names outside the token.
#[derive(Clone, Copy)]
pub(crate) enum As<'a> {
    /// The service key, naming a tenant by header.
    Service(&'a str),
    /// The service key, naming no tenant.
    Key,
    /// A token for a tenant (or none), plus an optional `x-tenant` header.
    User(Option<&'a str>, Option<&'a str>),
}

pub(crate) fn send(
    server: &AsServer,
    method: &str,
    path: &str,
    who: As<'_>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = server.0.url(path);
    let mut request = ureq::http::Request::builder().method(method).uri(&url);
    match who {
        As::Service(tenant) => {
            request = request
                .header("apikey", SERVICE_KEY)
                .header("x-tenant", tenant);
        }
        As::Key => {
            request = request.header("apikey", SERVICE_KEY);
        }
        As::User(claim, header) => {
            request = request.header("authorization", format!("Bearer {}", token(claim)));
            if let Some(header) = header {
                request = request.header("x-tenant", header);
            }
        }
    }
    let response = match body {
        Some(body) => agent().run(
            request
                .header("content-type", "application/json")
                .body(body.to_string())
                .unwrap(),
        ),
        None => agent().run(request.body(()).unwrap()),
    }
    .unwrap();
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) struct AsServer(pub(crate) AuthServer);

pub(crate) fn titles(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|row| row["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Makes tenant `slug` with the CLI in `dir`.
pub(crate) fn create_tenant(dir: &Path, env: &[(&str, &str)], slug: &str) -> Value {
    let output = baas(dir)
        .envs(env.iter().copied())
        .args(["tenants", "create", slug, "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tenants create {slug}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Two tenants with a note (id 1 in each) and an author each; no request
/// scoped to `acme` may read, write, count, expand or subscribe to
/// `globex`'s rows, whatever header or path it forges.
pub(crate) fn assert_isolated(server: &AsServer, dir: &Path, env: &[(&str, &str)]) {
    for tenant in ["acme", "globex"] {
        let (status, author) = send(
            server,
            "POST",
            "/api/author",
            As::Service(tenant),
            Some(json!({ "name": format!("{tenant} author") })),
        );
        assert_eq!(status, 201, "{author}");
        let (status, note) = send(
            server,
            "POST",
            "/api/note",
            As::Service(tenant),
            Some(json!({ "title": format!("{tenant} secret"), "author_id": author["id"] })),
        );
        assert_eq!(status, 201, "{note}");
        assert_eq!(note["id"], 1, "each tenant numbers its own rows: {note}");
    }
    let acme = As::User(Some("acme"), None);

    // Read and count: only acme's rows.
    let (status, list) = send(server, "GET", "/api/note?count=exact", acme, None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["acme secret"]);
    assert_eq!(list["count"], 1);
    let (status, row) = send(server, "GET", "/api/note/1?expand=author", acme, None);
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["title"], "acme secret");
    assert_eq!(row["author"]["name"], "acme author", "{row}");

    // Forged header or path naming globex with acme's token: 403.
    for (path, header) in [
        ("/api/note", Some("globex")),
        ("/t/globex/api/note", None),
        ("/t/globex/api/note/1", Some("globex")),
    ] {
        let (status, problem) = send(server, "GET", path, As::User(Some("acme"), header), None);
        assert_eq!(status, 403, "{path}: {problem}");
        assert_eq!(
            problem["type"]
                .as_str()
                .map(|t| t.ends_with("tenant-mismatch")),
            Some(true),
            "{problem}"
        );
        assert!(!problem.to_string().contains("globex secret"));
    }
    let (status, _) = send(
        server,
        "PATCH",
        "/api/note/1",
        As::User(Some("acme"), Some("globex")),
        Some(json!({ "title": "hijacked" })),
    );
    assert_eq!(status, 403);
    let (status, _) = send(server, "DELETE", "/t/globex/api/note/1", acme, None);
    assert_eq!(status, 403);
    // The path naming the token's own tenant is fine.
    let (status, list) = send(server, "GET", "/t/acme/api/note", acme, None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["acme secret"]);

    // A token without a tenant claim may not pick one by header.
    let (status, _) = send(
        server,
        "GET",
        "/api/note",
        As::User(None, Some("globex")),
        None,
    );
    assert_eq!(status, 403);

    // Writes land in acme only.
    let (status, _) = send(
        server,
        "PATCH",
        "/api/note/1",
        acme,
        Some(json!({ "title": "acme edited" })),
    );
    assert_eq!(status, 200);
    let (status, _) = send(
        server,
        "POST",
        "/api/note",
        acme,
        Some(json!({ "title": "acme second" })),
    );
    assert_eq!(status, 201);
    assert_globex_keeps_only_its_own_row(server);

    // Realtime: acme's subscriber sees acme's change and never globex's
    // (globex's write is published first, so a leak would arrive first).
    assert_realtime_stays_in_the_tenant(server);

    // Unknown, inactive, or no tenant at all.
    let (status, problem) = send(server, "GET", "/api/note", As::Service("nosuch"), None);
    assert_eq!(status, 404, "{problem}");
    let (status, _) = send(
        server,
        "GET",
        "/api/note",
        As::User(Some("nosuch"), None),
        None,
    );
    assert_eq!(status, 404);
    let output = baas(dir)
        .envs(env.iter().copied())
        .args(["tenants", "deactivate", "globex"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A PostgreSQL registry tells the server by a notification, which may
    // arrive a moment after the command returns; well under the 5 s
    // re-read, so only the notification can make it.
    let refused = Instant::now();
    let status = loop {
        let (status, _) = send(server, "GET", "/api/note", As::Service("globex"), None);
        if status == 404 || refused.elapsed() > Duration::from_millis(2500) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status, 404, "a deactivated tenant is not served");
    let (status, problem) = send(server, "GET", "/api/note", As::User(None, None), None);
    assert_eq!(status, 400, "an entity route needs a tenant: {problem}");
    let (status, _) = send(server, "GET", "/api/_health", As::User(None, None), None);
    assert_eq!(status, 200);
}

/// globex, the tenant every attack aims at, still has exactly its own row.
pub(crate) fn assert_globex_keeps_only_its_own_row(server: &AsServer) {
    let (status, list) = send(
        server,
        "GET",
        "/api/note?count=exact",
        As::Service("globex"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["globex secret"], "{list}");
    assert_eq!(list["count"], 1, "{list}");
}

/// Acme's realtime subscriber gets acme's new note, never globex's
/// (globex's write is published first, so a leak would arrive first).
pub(crate) fn assert_realtime_stays_in_the_tenant(server: &AsServer) {
    let events = subscribe(server, &token(Some("acme")));
    send(
        server,
        "POST",
        "/api/note",
        As::Service("globex"),
        Some(json!({ "title": "globex live" })),
    );
    send(
        server,
        "POST",
        "/api/note",
        As::Service("acme"),
        Some(json!({ "title": "acme live" })),
    );
    let first = events
        .recv_timeout(Duration::from_secs(10))
        .expect("an event for acme");
    assert_eq!(first["row"]["title"], "acme live", "{first}");
}

/// A server over `manifest` (its baas.toml) with the tenants `acme` and
/// `globex`, each record handed to `made`; `database` is the URL of a
/// server database (`TENANTS_DB`), migrated first (`None`: embedded SQLite).
pub(crate) fn serve_two_tenants(
    manifest: &str,
    database: Option<&str>,
    made: impl Fn(&Value),
) -> AsServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let mut env = vec![("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    if let Some(url) = database {
        env.push(("TENANTS_DB", url));
        run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
        run_ok(dir.path(), &env, &["migrate", "apply"]);
    }
    for slug in ["acme", "globex"] {
        made(&create_tenant(dir.path(), &env, slug));
    }
    AsServer(AuthServer::start_in(dir, &env))
}

/// The data of each `create` event of an SSE subscription to `note`.
pub(crate) fn subscribe(server: &AsServer, bearer: &str) -> mpsc::Receiver<Value> {
    let response = agent()
        .get(&server.0.url("/api/_realtime?subscribe=note"))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(value) = serde_json::from_str::<Value>(data.trim())
                && value["type"] == "create"
                && sender.send(value).is_err()
            {
                return;
            }
        }
    });
    receiver
}

/// `manifest` with `[tenancy] registry = "${REGISTRY_URL}"`.
pub(crate) fn with_registry(manifest: &str) -> String {
    manifest.replacen(
        "resolve = [",
        "registry = \"${REGISTRY_URL}\"\nresolve = [",
        1,
    )
}

/// The slugs in a PostgreSQL registry, as `slug:state` lines.
fn registered(db: &crate::support::postgres::TempDatabase) -> String {
    db.query(
        "SELECT slug || ':' || CASE WHEN ready AND active THEN 'active' ELSE 'other' END \
         FROM _baas_tenants ORDER BY slug",
    )
    .trim()
    .to_owned()
}

/// Two file tenants, isolated over HTTP; with `registry`, the registry is
/// kept in that PostgreSQL database instead of `.baas/registry.sqlite3`.
fn file_tenants_isolated(registry: Option<&crate::support::postgres::TempDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = tenant_manifest("", "file");
    let manifest = match registry {
        Some(_) => with_registry(&manifest),
        None => manifest,
    };
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let registry_url = registry.map(|db| db.url()).unwrap_or_default();
    let mut env = vec![("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    if registry.is_some() {
        env.push(("REGISTRY_URL", registry_url.as_str()));
    }
    for slug in ["acme", "globex"] {
        let record = create_tenant(dir.path(), &env, slug);
        assert_eq!(record["state"], "active", "{record}");
        assert!(
            dir.path()
                .join(format!(".baas/tenants/{slug}.sqlite3"))
                .is_file()
        );
    }
    if let Some(db) = registry {
        assert!(!dir.path().join(".baas/registry.sqlite3").exists());
        assert_eq!(registered(db), "acme:active\nglobex:active");
    }
    let path = dir.path().to_owned();
    let server = AsServer(AuthServer::start_in(dir, &env));
    assert_isolated(&server, &path, &env);
}

#[test]
fn file_tenants_are_isolated_over_http() {
    file_tenants_isolated(None);
}

#[test]
fn file_tenants_are_isolated_over_http_with_a_postgres_registry() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_pg_registry") else {
        return;
    };
    file_tenants_isolated(Some(&db));
}

/// Adds `migrations/0002_broken`: it makes a table, then runs `failing`;
/// its folder.
pub(crate) fn break_migrations(dir: &Path, failing: &str) -> std::path::PathBuf {
    let broken = dir.join("migrations/0002_broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("up.sql"),
        format!("CREATE TABLE half_done (id integer);\n{failing}\n"),
    )
    .unwrap();
    std::fs::write(broken.join("down.sql"), "DROP TABLE half_done;\n").unwrap();
    broken
}

/// File tenants are SQLite files: `migrate plan` needs no `--dialect` for
/// a manifest that has them and no `[source]`.
#[test]
fn migrate_plan_writes_sqlite_for_file_tenants_without_a_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_init/up.sql")).unwrap();
    assert!(up.contains("CREATE TABLE"), "{up}");
    create_tenant(dir.path(), &env, "acme");
    let status = run_ok(
        dir.path(),
        &env,
        &["migrate", "status", "--tenants", "all", "--json"],
    );
    assert!(!status.contains("missing-file"), "{status}");
}

/// A file tenant made without a migrations folder gets the manifest's
/// tables directly: `migrate status --tenants` says so instead of calling
/// the step a migration whose folder is missing.
#[test]
fn a_file_tenant_made_without_migrations_is_synced_not_missing_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    create_tenant(dir.path(), &[], "acme");
    let status = run_ok(
        dir.path(),
        &[],
        &["migrate", "status", "--tenants", "all", "--json"],
    );
    let rows: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(rows[0]["tenant"], "acme", "{status}");
    assert_eq!(rows[0]["missing_file"], json!([]), "{status}");
    assert_eq!(rows[0]["synced"], json!(["0001_dev_sync"]), "{status}");
    let table = run_ok(dir.path(), &[], &["migrate", "status", "--tenants", "all"]);
    assert!(table.contains("synced from the manifest"), "{table}");
}

pub(crate) fn run_ok(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let output = baas(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "baas {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub(crate) const PG_SOURCE: &str = "\n[source]\nengine = \"postgres\"\nurl = \"${TENANTS_DB}\"\n";

/// A database with a login role that has a password and may create
/// schemas; its URL (with the password) and the password.
pub(crate) fn pg_with_password(
    label: &str,
) -> Option<(crate::support::postgres::TempDatabase, String, String)> {
    let mut db = crate::support::postgres::TempDatabase::create(label)?;
    let password = "Tenancy-Pw-4711-secret";
    let role = db.role("app", password);
    db.query(&format!(
        "GRANT CREATE ON DATABASE \"{}\" TO \"{role}\"",
        db.name()
    ));
    let url = db.url_as(&role, password);
    Some((db, url, password.to_owned()))
}

fn schema_exists(db: &crate::support::postgres::TempDatabase, schema: &str) -> bool {
    db.query(&format!(
        "SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'"
    ))
    .trim()
        == "1"
}

#[test]
fn schema_tenants_are_isolated_over_http_and_no_password_leaks() {
    let Some((db, url, password)) = pg_with_password("tenancy_schema") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        tenant_manifest(PG_SOURCE, "schema"),
    )
    .unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url.as_str()),
    ];
    let mut said = run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    for slug in ["acme", "globex"] {
        let record = create_tenant(dir.path(), &env, slug);
        assert_eq!(record["location"], format!("${{TENANTS_DB}}#schema={slug}"));
        assert!(db.has_table(&format!("{slug}.note")), "{slug}.note");
        assert!(db.has_table(&format!("{slug}._baas_migrations")));
    }
    assert!(!db.has_table("public.note"), "nothing lands in public");
    said.push_str(&run_ok(dir.path(), &env, &["tenants", "list", "--json"]));
    said.push_str(&run_ok(dir.path(), &env, &["tenants", "show", "acme"]));
    let path = dir.path().to_owned();
    let server = AsServer(AuthServer::start_in(dir, &env));
    assert_isolated(&server, &path, &env);
    let registry = std::fs::read(path.join(".baas/registry.sqlite3")).unwrap();
    let log = server.0.log();
    for (what, text) in [
        ("the CLI output", said),
        ("the server log", log),
        (
            "the registry",
            String::from_utf8_lossy(&registry).into_owned(),
        ),
    ] {
        assert!(!text.contains(&password), "{what} holds the password");
    }
}

/// Schema tenants on one server share its pool: serving twenty of them
/// opens no more connections than serving one, and each still sees only
/// its own schema (the schema is entered per transaction).
#[test]
fn schema_tenants_share_one_pool_and_stay_isolated() {
    let Some((db, url, _)) = pg_with_password("tenancy_shared_pool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        tenant_manifest(PG_SOURCE, "schema"),
    )
    .unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url.as_str()),
    ];
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    let slugs: Vec<String> = (1..=20).map(|n| format!("s{n:02}")).collect();
    let mut create = vec!["tenants", "create"];
    create.extend(slugs.iter().map(String::as_str));
    run_ok(dir.path(), &env, &create);
    let server = AsServer(AuthServer::start_in(dir, &env));
    for (n, slug) in slugs.iter().enumerate() {
        // Tenant n gets n + 1 rows.
        for row in 0..=n {
            let (status, body) = send(
                &server,
                "POST",
                "/api/note",
                As::Service(slug),
                Some(json!({ "title": format!("{slug} {row}") })),
            );
            assert_eq!(status, 201, "{slug}: {body}");
        }
    }
    for (n, slug) in slugs.iter().enumerate() {
        let (status, list) = send(
            &server,
            "GET",
            "/api/note?count=exact",
            As::Service(slug),
            None,
        );
        assert_eq!(status, 200, "{slug}: {list}");
        assert_eq!(list["count"], n + 1, "{slug} sees its own rows: {list}");
        assert!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|row| row["title"].as_str().unwrap().starts_with(slug.as_str())),
            "{slug}: {list}"
        );
        assert_eq!(
            db.query(&format!("SELECT count(*) FROM {slug}.note"))
                .trim(),
            (n + 1).to_string(),
            "{slug}'s rows are in its schema"
        );
    }
    let backends: usize = db
        .query(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
            db.name()
        ))
        .trim()
        .parse()
        .unwrap();
    // One pool of at most 8 for the tenants and one for the deployment's
    // own store; a pool per tenant would hold at least 20.
    assert!(
        backends <= 16,
        "{backends} connections for 20 schema tenants"
    );
}

/// With `registry_in_db`, the registry is a `_baas_tenants` table of the
/// tenants' own database.
fn failing_schema_tenant_leaves_nothing(registry_in_db: bool) {
    let Some((db, url, _)) = pg_with_password("tenancy_fail") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let manifest = tenant_manifest(PG_SOURCE, "schema");
    let manifest = if registry_in_db {
        with_registry(&manifest)
    } else {
        manifest
    };
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let registry_url = db.url();
    let mut env = vec![("TENANTS_DB", url.as_str())];
    if registry_in_db {
        env.push(("REGISTRY_URL", registry_url.as_str()));
    }
    let env = env.as_slice();
    run_ok(dir.path(), env, &["migrate", "plan", "--name", "init"]);
    let broken = break_migrations(dir.path(), "SELECT * FROM no_such_table;");
    let output = baas(dir.path())
        .envs(env.iter().copied())
        .args(["tenants", "create", "acme"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("0002_broken"), "{stderr}");
    assert!(
        !schema_exists(&db, "acme"),
        "the half-made schema is dropped"
    );
    let list = run_ok(dir.path(), env, &["tenants", "list", "--json"]);
    assert!(
        list.contains("\"tenants\": []") || list.contains("\"tenants\":[]"),
        "{list}"
    );

    // A schema that was there before is refused and left alone.
    std::fs::remove_dir_all(&broken).unwrap();
    db.query("CREATE SCHEMA taken; CREATE TABLE taken.keep (id integer)");
    let output = baas(dir.path())
        .envs(env.iter().copied())
        .args(["tenants", "create", "taken"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        db.has_table("taken.keep"),
        "an existing schema is never dropped"
    );
    let list = run_ok(dir.path(), env, &["tenants", "list", "--json"]);
    assert!(!list.contains("taken"), "{list}");
    // The slug is free again: a good create succeeds now.
    create_tenant(dir.path(), env, "acme");
    assert!(db.has_table("acme.note"));
    // Drop asks first; with --yes it removes the schema and the row.
    let output = baas(dir.path())
        .envs(env.iter().copied())
        .args(["tenants", "drop", "acme"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "no terminal to ask on");
    assert!(schema_exists(&db, "acme"));
    run_ok(dir.path(), env, &["tenants", "drop", "acme", "--yes"]);
    assert!(!schema_exists(&db, "acme"));
    if registry_in_db {
        assert_eq!(registered(&db), "", "the registry follows");
        assert!(!dir.path().join(".baas/registry.sqlite3").exists());
    }
}

#[test]
fn a_failing_migration_leaves_no_half_tenant_and_an_existing_schema_is_never_taken() {
    failing_schema_tenant_leaves_nothing(false);
}

#[test]
fn a_failing_migration_leaves_no_half_tenant_with_a_postgres_registry() {
    failing_schema_tenant_leaves_nothing(true);
}

/// The environment of the deployments over one PostgreSQL database
/// `url`, which keeps the schema tenants and the registry.
fn shared_env(url: &str) -> [(&str, &str); 4] {
    [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url),
        ("REGISTRY_URL", url),
    ]
}

/// Two `baas serve` of one schema-tenancy deployment, each in a folder of
/// its own with the same migrations, sharing one PostgreSQL registry (in
/// `db`, with the tenants).
fn two_servers_on_one_registry(db: &crate::support::postgres::TempDatabase) -> [AsServer; 2] {
    let url = db.url();
    let env = shared_env(&url);
    let manifest = with_registry(&tenant_manifest(PG_SOURCE, "schema"));
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for dir in &dirs {
        std::fs::write(dir.path().join("baas.toml"), &manifest).unwrap();
    }
    run_ok(dirs[0].path(), &env, &["migrate", "plan", "--name", "init"]);
    let up = dirs[0].path().join("migrations/0001_init");
    let copy = dirs[1].path().join("migrations/0001_init");
    std::fs::create_dir_all(&copy).unwrap();
    for file in ["up.sql", "down.sql"] {
        std::fs::copy(up.join(file), copy.join(file)).unwrap();
    }
    dirs.map(|dir| AsServer(AuthServer::start_in(dir, &env)))
}

/// Two `baas serve` over one PostgreSQL registry: a tenant made through
/// one is served by the other, and the same slug made through both at
/// once is registered once (the other gets 409).
#[test]
fn two_servers_sharing_a_postgres_registry_see_each_others_tenants() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_shared_registry") else {
        return;
    };
    let [a, b] = two_servers_on_one_registry(&db);
    let (status, record) = send(
        &a,
        "POST",
        "/api/_tenants",
        As::Key,
        Some(json!({ "slug": "acme" })),
    );
    assert_eq!(status, 201, "{record}");
    let (status, note) = send(
        &b,
        "POST",
        "/api/note",
        As::Service("acme"),
        Some(json!({ "title": "written through b" })),
    );
    assert_eq!(status, 201, "b serves a's tenant: {note}");
    let (status, list) = send(&a, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(
        (status, titles(&list)),
        (200, vec!["written through b".to_owned()])
    );
    let (status, listed) = send(&b, "GET", "/api/_tenants", As::Key, None);
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["tenants"][0]["slug"], "acme", "{listed}");

    // The same slug through both servers at once: registered once.
    let body = json!({ "slug": "globex" });
    let statuses = std::thread::scope(|scope| {
        let both = [&a, &b].map(|server| {
            let body = body.clone();
            scope.spawn(move || send(server, "POST", "/api/_tenants", As::Key, Some(body)))
        });
        both.map(|thread| thread.join().unwrap())
    });
    let mut codes: Vec<u16> = statuses.iter().map(|(status, _)| *status).collect();
    codes.sort_unstable();
    assert_eq!(codes, [201, 409], "{statuses:?}");
    let refused = &statuses
        .iter()
        .find(|(status, _)| *status == 409)
        .unwrap()
        .1;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("globex"),
        "{refused}"
    );
    assert_eq!(registered(&db), "acme:active\nglobex:active");
    assert!(db.has_table("globex.note"));
}

/// `status` of `GET /api/note` for `tenant` on `server`, asked every 20 ms
/// until it is `wanted`; how long that took, `None` past `within`.
fn answered_within(
    server: &AsServer,
    tenant: &str,
    wanted: u16,
    within: Duration,
) -> Option<Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        let (status, _) = send(server, "GET", "/api/note", As::Service(tenant), None);
        if status == wanted {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// A server keeps the rows of a PostgreSQL registry it looked up, and
/// stops serving a tenant at once when any process deactivates or drops
/// it: through the other server, the CLI, or `/api/_system` (no waiting
/// for the cache's 5 s TTL: the registry announces its writes). Asserted
/// well under that TTL, so a server that only expired its entries fails.
#[test]
fn a_tenant_deactivated_or_dropped_through_one_server_is_refused_by_the_other_at_once() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_registry_cache") else {
        return;
    };
    let url = db.url();
    let env = shared_env(&url);
    let [a, b] = two_servers_on_one_registry(&db);
    let bound = Duration::from_millis(2500);
    let mut ids = std::collections::HashMap::new();
    for slug in ["acme", "globex"] {
        let (status, record) = send(
            &a,
            "POST",
            "/api/_tenants",
            As::Key,
            Some(json!({ "slug": slug })),
        );
        assert_eq!(status, 201, "{record}");
        ids.insert(slug, record["id"].clone());
    }
    // b looks both up: its first lookup starts listening to the
    // registry's announcements (a session whose last statement is LISTEN),
    // and it keeps what it reads from then on ...
    let listening = || {
        db.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")
            .trim()
            .to_owned()
    };
    let start = std::time::Instant::now();
    loop {
        for slug in ["acme", "globex"] {
            let (status, body) = send(&b, "GET", "/api/note", As::Service(slug), None);
            assert_eq!(status, 200, "{slug}: {body}");
        }
        if listening() == "1" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "b does not listen to the registry"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for slug in ["acme", "globex"] {
        let (status, body) = send(&b, "GET", "/api/note", As::Service(slug), None);
        assert_eq!(status, 200, "{slug}: {body}");
    }
    // ... and keeps serving them while the registry cannot even be read.
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut locker = runtime.block_on(db.connect());
        runtime.block_on(async {
            sqlx::raw_sql("BEGIN; LOCK TABLE _baas_tenants IN ACCESS EXCLUSIVE MODE")
                .execute(&mut locker)
                .await
                .unwrap();
        });
        let (sender, receiver) = mpsc::channel();
        let served = std::thread::scope(|scope| {
            scope.spawn(|| {
                let _ = sender.send(send(&b, "GET", "/api/note", As::Service("acme"), None));
            });
            let served = receiver.recv_timeout(Duration::from_secs(3));
            runtime.block_on(async {
                sqlx::raw_sql("ROLLBACK")
                    .execute(&mut locker)
                    .await
                    .unwrap();
            });
            served
        });
        let (status, body) = served.expect("a tenant looked up before is served from the cache");
        assert_eq!(status, 200, "{body}");
    }

    // Deactivated through a: a refuses at once, b within the bound.
    let (status, body) = send(
        &a,
        "POST",
        "/api/_tenants/acme/deactivate",
        As::Key,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&a, "GET", "/api/note", As::Service("acme"), None);
    assert_eq!(status, 404, "{body}");
    let took = answered_within(&b, "acme", 404, bound);
    assert!(
        took.is_some(),
        "b still serves acme {bound:?} after a deactivated it"
    );

    // Activated again by the CLI (a third process): served by both.
    run_ok(a.0.dir.path(), &env, &["tenants", "activate", "acme"]);
    for server in [&a, &b] {
        assert!(
            answered_within(server, "acme", 200, bound).is_some(),
            "acme is active again"
        );
    }

    // Deactivated with a PATCH of /api/_system through b: b refuses at
    // once, a within the bound.
    let (status, body) = send(
        &b,
        "PATCH",
        &format!("/api/_system/tenants/{}", ids["globex"]),
        As::Key,
        Some(json!({ "active": false })),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&b, "GET", "/api/note", As::Service("globex"), None);
    assert_eq!(status, 404, "{body}");
    assert!(
        answered_within(&a, "globex", 404, bound).is_some(),
        "a still serves globex"
    );

    // Dropped through b: a refuses within the bound.
    let (status, body) = send(&b, "DELETE", "/api/_tenants/acme", As::Key, None);
    assert_eq!(status, 200, "{body}");
    assert!(
        answered_within(&a, "acme", 404, bound).is_some(),
        "a still serves the dropped acme"
    );
    assert!(!db.has_table("acme.note"));
}

/// A registry URL written with its password is refused, and the password
/// is not repeated.
#[test]
fn a_registry_written_with_its_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = tenant_manifest("", "file").replacen(
        "resolve = [",
        "registry = \"postgres://app:Reg-Pw-0815@127.0.0.1:9/registry\"\nresolve = [",
        1,
    );
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let output = baas(dir.path()).args(["tenants", "list"]).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("registry"), "{said}");
    assert!(!said.contains("Reg-Pw-0815"), "{said}");
}

#[test]
fn a_failing_migration_leaves_no_tenant_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    run_ok(
        dir.path(),
        &[],
        &["migrate", "plan", "--name", "init", "--dialect", "sqlite"],
    );
    break_migrations(dir.path(), "INSERT INTO no_such_table VALUES (1);");
    let output = baas(dir.path())
        .args(["tenants", "create", "acme"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(!dir.path().join(".baas/tenants/acme.sqlite3").exists());
    let list = run_ok(dir.path(), &[], &["tenants", "list", "--json"]);
    assert!(!list.contains("acme"), "{list}");
    for bad in ["Acme", "public", "a-b", "x;drop"] {
        let output = baas(dir.path())
            .args(["tenants", "create", bad])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
}

/// More file tenants than the pool cap, one of them dead; with
/// `registry`, the registry is kept in that PostgreSQL database.
fn pool_churn(registry: Option<&crate::support::postgres::TempDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let text = tenant_manifest("", "file").replace(
        "resolve = [",
        "max_pools = 2\nidle_seconds = 60\nresolve = [",
    );
    let text = match registry {
        Some(_) => with_registry(&text),
        None => text,
    };
    std::fs::write(dir.path().join("baas.toml"), text).unwrap();
    let registry_url = registry.map(|db| db.url()).unwrap_or_default();
    let mut env = vec![
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("DEAD_DB", "postgres://nobody@127.0.0.1:9/none"),
    ];
    if registry.is_some() {
        env.push(("REGISTRY_URL", registry_url.as_str()));
    }
    let slugs = ["t1", "t2", "t3", "t4", "t5"];
    for slug in slugs {
        create_tenant(dir.path(), &env, slug);
    }
    // t5's database "stops": its registry row now points at a server that
    // refuses connections.
    let dead = "UPDATE _baas_tenants SET location = '${DEAD_DB}#schema=t5' WHERE slug = 't5'";
    match registry {
        Some(db) => {
            db.query(dead);
        }
        None => {
            rusqlite::Connection::open(dir.path().join(".baas/registry.sqlite3"))
                .unwrap()
                .execute(dead, [])
                .unwrap();
        }
    }
    let server = AsServer(AuthServer::start_in(dir, &env));
    for round in 0..3 {
        for slug in &slugs[..4] {
            let title = format!("{slug} round {round}");
            let (status, body) = send(
                &server,
                "POST",
                "/api/note",
                As::Service(slug),
                Some(json!({ "title": title })),
            );
            assert_eq!(status, 201, "{slug}: {body}");
            let (status, list) = send(
                &server,
                "GET",
                "/api/note?count=exact",
                As::User(Some(slug), None),
                None,
            );
            assert_eq!(status, 200, "{slug}: {list}");
            assert_eq!(
                list["count"],
                round + 1,
                "{slug} sees its own rows only: {list}"
            );
        }
    }
    for attempt in 0..3 {
        let (status, problem) = send(&server, "GET", "/api/note", As::Service("t5"), None);
        assert_eq!(status, 503, "attempt {attempt}: {problem}");
        let (status, _) = send(&server, "GET", "/api/note", As::Service("t1"), None);
        assert_eq!(status, 200, "the other tenants are served");
    }
    let log = server.0.log();
    assert!(
        log.contains("circuit open"),
        "the breaker answered the later attempts:\n{log}"
    );
}

#[test]
fn more_tenants_than_the_pool_cap_keep_being_served_and_a_dead_one_fails_fast() {
    pool_churn(None);
}

#[test]
fn more_tenants_than_the_pool_cap_keep_being_served_with_a_postgres_registry() {
    let Some(db) = crate::support::postgres::TempDatabase::create("tenancy_pool_churn") else {
        return;
    };
    pool_churn(Some(&db));
}
