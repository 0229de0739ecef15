//! `[realtime] external = true` with tenants on PostgreSQL: writes made
//! outside baas (plain SQL through sqlx) in a tenant's schema or database
//! reach that tenant's realtime subscribers, and never another tenant's.
//! Schema tenants get the triggers from provisioning (`tenants create` and
//! `/api/_tenants`) and `migrate apply --tenants`; `check --tenants` sees a
//! dropped one.

use std::io::BufRead as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::auth::{AuthServer, agent};
use crate::support::baas;
use crate::tenancy::{As, AsServer, PG_SOURCE, SECRET, SERVICE_KEY, send, tenant_manifest, token};

/// The data of every event of one SSE subscription to `note`.
struct Events(mpsc::Receiver<Value>);

impl Events {
    fn open(server: &AsServer, tenant: &str) -> Self {
        Self::open_with(server, tenant, "")
    }

    /// [`Events::open`] with more of the query string (`&note.where=...`).
    fn open_with(server: &AsServer, tenant: &str, more: &str) -> Self {
        let response = agent()
            .get(
                &server
                    .0
                    .url(&format!("/api/_realtime?subscribe=note{more}")),
            )
            .header("authorization", &format!("Bearer {}", token(Some(tenant))))
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "subscribe as {tenant}");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let reader = std::io::BufReader::new(response.into_body().into_reader());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if let Some(data) = line.strip_prefix("data:")
                    && let Ok(value) = serde_json::from_str::<Value>(data.trim())
                    && value.get("type").is_some()
                    && sender.send(value).is_err()
                {
                    return;
                }
            }
        });
        Self(receiver)
    }

    /// The next event, failing after 10 s.
    fn next(&self, log: &dyn Fn() -> String) -> Value {
        match self.0.recv_timeout(Duration::from_secs(10)) {
            Ok(event) => event,
            Err(error) => panic!("no event within 10 s ({error}):\n{}", log()),
        }
    }

    /// `(type, title)` of the events up to the one whose row is titled
    /// `last`.
    fn until(&self, last: &str, log: &dyn Fn() -> String) -> Vec<(String, String)> {
        self.events_until(last, log)
            .iter()
            .map(|event| {
                (
                    event["type"].as_str().unwrap_or_default().to_owned(),
                    event["row"]["title"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    }

    /// The events up to the one whose row is titled `last`.
    fn events_until(&self, last: &str, log: &dyn Fn() -> String) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let event = self.next(log);
            let done = event["row"]["title"] == last;
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

/// Runs `statements` (each with its one bound text value) on `url`, as a
/// program other than baas would.
fn write(url: &str, statements: &[(&str, &str)]) {
    write_as(url, statements, false);
}

/// [`write`] in one transaction: the notifications arrive at its commit.
fn write_together(url: &str, statements: &[(&str, &str)]) {
    write_as(url, statements, true);
}

fn write_as(url: &str, statements: &[(&str, &str)], together: bool) {
    let url = url.to_owned();
    let statements: Vec<(String, String)> = statements
        .iter()
        .map(|(sql, value)| ((*sql).to_owned(), (*value).to_owned()))
        .collect();
    crate::support::block_on(async move {
        let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
        if together {
            sqlx::raw_sql("BEGIN")
                .execute(&mut connection)
                .await
                .unwrap();
        }
        for (sql, value) in &statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(value)
                .execute(&mut connection)
                .await
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
        }
        if together {
            sqlx::raw_sql("COMMIT")
                .execute(&mut connection)
                .await
                .unwrap();
        }
    });
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let output = baas(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The tables of `schema` with a `baas_realtime` trigger, and whether the
/// function is in the schema.
fn triggers(db: &crate::support::postgres::TempDatabase, schema: &str) -> String {
    db.query(&format!(
        "SELECT string_agg(c.relname, ',' ORDER BY c.relname) || ' ' || \
         (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = '{schema}'::regnamespace AND p.proname = 'baas_realtime_notify') \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE c.relnamespace = '{schema}'::regnamespace AND t.tgname = 'baas_realtime'"
    ))
    .trim()
    .to_owned()
}

/// The test manifest with `strategy` and external realtime, for tenants on
/// the PostgreSQL server at `url`, with a 200 ms heartbeat, planned.
fn realtime_project(
    strategy: &str,
    url: &str,
) -> (tempfile::TempDir, Vec<(&'static str, &'static str)>) {
    let manifest = format!(
        "{}\n[realtime]\nexternal = true\n",
        tenant_manifest(PG_SOURCE, strategy)
    );
    crate::support::tenancy::planned(&manifest, url, &[("BAAS_REALTIME_HEARTBEAT_MS", "200")])
}

#[test]
fn schema_tenants_get_the_realtime_triggers_and_their_external_writes_reach_them_only() {
    let Some((db, url, _)) = crate::tenancy::pg_with_password("rt_tenants_schema") else {
        return;
    };
    let (dir, env) = realtime_project("schema", &url);
    // The migrations run in every tenant's schema: they carry no trigger
    // (one naming the deployment's schema failed there).
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_init/up.sql")).unwrap();
    assert!(!up.contains("baas_realtime"), "{up}");
    crate::tenancy::run_ok(dir.path(), &env, &["tenants", "create", "acme"]);
    assert_eq!(triggers(&db, "acme"), "author,note 1");

    let server = AsServer(AuthServer::start_in(dir, &env));
    let log = || server.0.log();
    // Provisioning over HTTP makes them too.
    let (status, body) = send(
        &server,
        "POST",
        "/api/_tenants",
        As::Key,
        Some(json!({ "slug": "globex" })),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(triggers(&db, "globex"), "author,note 1");
    assert!(!db.has_table("public.note"));

    let acme = Events::open(&server, "acme");
    let globex = Events::open(&server, "globex");
    write(
        &url,
        &[
            ("INSERT INTO acme.note (title) VALUES ($1)", "acme outside"),
            ("UPDATE acme.note SET title = $1", "acme outside 2"),
        ],
    );
    let first = acme.next(&log);
    let second = acme.next(&log);
    assert_eq!(
        (first["type"].clone(), second["type"].clone()),
        (json!("create"), json!("update")),
        "{first}\n{second}"
    );
    assert_eq!(second["row"]["title"], "acme outside 2", "{second}");
    assert_eq!(second["old"]["title"], "acme outside", "{second}");
    // Nothing of acme's reaches globex: its first event is its own write.
    write(
        &url,
        &[(
            "INSERT INTO globex.note (title) VALUES ($1)",
            "globex outside",
        )],
    );
    assert_eq!(
        globex.until("globex outside", &log),
        [("create".to_owned(), "globex outside".to_owned())]
    );
    write(
        &url,
        &[("UPDATE acme.note SET title = $1", "acme outside 3")],
    );
    write(
        &url,
        &[("UPDATE globex.note SET title = $1", "globex marker")],
    );
    assert_eq!(
        globex.until("globex marker", &log),
        [("update".to_owned(), "globex marker".to_owned())]
    );
    assert_eq!(acme.until("acme outside 3", &log).len(), 1);

    // A dropped trigger is drift in that tenant; apply makes it again.
    let dir = server.0.dir.path();
    db.query("DROP TRIGGER baas_realtime ON globex.note");
    let (ok, said) = run(dir, &env, &["check", "--tenants", "all"]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("trigger baas_realtime ON globex.note") && said.contains("`globex`"),
        "{said}"
    );
    assert!(!said.contains("ON acme."), "{said}");
    crate::tenancy::run_ok(dir, &env, &["migrate", "apply", "--tenants", "all"]);
    assert_eq!(triggers(&db, "globex"), "author,note 1");
    crate::tenancy::run_ok(dir, &env, &["check", "--tenants", "all"]);
    // A tenant that is up to date is left alone (the function is not
    // written again).
    let version = || {
        db.query("SELECT xmin::text FROM pg_proc WHERE proname = 'baas_realtime_notify' AND pronamespace = 'acme'::regnamespace")
    };
    let before = version();
    crate::tenancy::run_ok(dir, &env, &["migrate", "apply", "--tenants", "all"]);
    assert_eq!(version(), before);
    // Turned off, `migrate apply --tenants` removes them.
    std::fs::write(
        dir.join("baas.toml"),
        std::fs::read_to_string(dir.join("baas.toml"))
            .unwrap()
            .replace("external = true", "external = false"),
    )
    .unwrap();
    crate::tenancy::run_ok(dir, &env, &["migrate", "apply", "--tenants", "acme"]);
    assert_eq!(triggers(&db, "acme"), "");
    assert_eq!(triggers(&db, "globex"), "author,note 1");
}

/// Drops the tenant databases a test made, whatever happened.
/// Waits (10 s at most) until the server's log holds `text` `times` times.
fn wait_for_log(server: &AsServer, text: &str, times: usize) {
    let started = std::time::Instant::now();
    while server.0.log().matches(text).count() < times {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "`{text}` not logged {times} time(s):\n{}",
            server.0.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn database_tenants_external_writes_reach_their_own_subscribers_and_the_listener_reconnects() {
    let Some(mut db) = crate::support::postgres::TempDatabase::create("rt_tenants_db") else {
        return;
    };
    let password = "Rt-Tenants-Pw-4242-secret";
    let role = db.role("rtmaker", password);
    db.query(&format!("ALTER ROLE \"{role}\" CREATEDB"));
    let url = db.url_as(&role, password);
    let base = db.name().to_owned();
    let names: Vec<String> = ["acme", "globex"]
        .iter()
        .map(|slug| format!("{base}_{slug}"))
        .collect();
    let _cleanup = crate::support::tenancy::TenantDatabases(&db, names.clone());
    let tenant_url = |name: &str| {
        let (server, _) = url.rsplit_once('/').unwrap();
        format!("{server}/{name}")
    };
    let (dir, env) = realtime_project("database", &url);
    for slug in ["acme", "globex"] {
        crate::tenancy::run_ok(dir.path(), &env, &["tenants", "create", slug]);
    }
    let server = AsServer(AuthServer::start_in(dir, &env));
    let log = || server.0.log();
    // Nobody subscribed, no pool open: no tenant database is listened to.
    std::thread::sleep(Duration::from_millis(400));
    assert!(!log().contains("database of tenant"), "{}", log());
    let acme = Events::open(&server, "acme");
    let globex = Events::open(&server, "globex");
    wait_for_log(&server, "in the database of tenant `acme`", 1);
    wait_for_log(&server, "in the database of tenant `globex`", 1);

    write(
        &tenant_url(&names[0]),
        &[
            ("INSERT INTO note (title) VALUES ($1)", "acme outside"),
            ("UPDATE note SET title = $1", "acme outside 2"),
        ],
    );
    let first = acme.next(&log);
    let second = acme.next(&log);
    assert_eq!(
        (first["type"].clone(), second["type"].clone()),
        (json!("create"), json!("update")),
        "{first}\n{second}"
    );
    assert_eq!(second["old"]["title"], "acme outside", "{second}");
    // globex's first event is its own write, never acme's.
    write(
        &tenant_url(&names[1]),
        &[("INSERT INTO note (title) VALUES ($1)", "globex outside")],
    );
    assert_eq!(
        globex.until("globex outside", &log),
        [("create".to_owned(), "globex outside".to_owned())]
    );

    // The tenant database drops the listening connection: the server says
    // so, listens again, and later writes arrive.
    db.query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND query ILIKE 'LISTEN%'",
        names[0]
    ));
    let started = std::time::Instant::now();
    while !log().contains("changes of tenant `acme` dropped")
        && !log().contains("database changes of tenant `acme`:")
    {
        assert!(started.elapsed() < Duration::from_secs(10), "{}", log());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    write(
        &tenant_url(&names[0]),
        &[("UPDATE note SET title = $1", "acme after reconnect")],
    );
    assert_eq!(
        acme.until("acme after reconnect", &log),
        [("update".to_owned(), "acme after reconnect".to_owned())]
    );
    write(
        &tenant_url(&names[1]),
        &[("UPDATE note SET title = $1", "globex marker")],
    );
    assert_eq!(
        globex.until("globex marker", &log),
        [("update".to_owned(), "globex marker".to_owned())]
    );
}

/// Row tenants with `[realtime] external = true` on `source` (the server
/// database at `url`; a SQL one migrated): a server with tenants `acme`
/// and `globex`, each a row tenant.
fn row_tenants_server(source: &str, url: &str, sql: bool) -> AsServer {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "{}\n[realtime]\nexternal = true\n",
        crate::tenancy_row::row_manifest(source)
    );
    std::fs::write(dir.path().join("baas.toml"), &manifest).unwrap();
    let env = [
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url),
        ("BAAS_REALTIME_HEARTBEAT_MS", "200"),
    ];
    if sql {
        crate::tenancy::run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
        crate::tenancy::run_ok(dir.path(), &env, &["migrate", "apply"]);
    }
    for slug in ["acme", "globex"] {
        crate::tenancy::run_ok(dir.path(), &env, &["tenants", "create", slug]);
    }
    AsServer(AuthServer::start_in(dir, &env))
}

/// `(type, row title, old title)` of `events` (`-` for a null row).
fn moves(events: &[Value]) -> Vec<(String, String, String)> {
    let title = |row: &Value| match row {
        Value::Null => "-".to_owned(),
        row => row["title"].as_str().unwrap_or_default().to_owned(),
    };
    events
        .iter()
        .map(|event| {
            (
                event["type"].as_str().unwrap_or_default().to_owned(),
                title(&event["row"]),
                title(&event["old"]),
            )
        })
        .collect()
}

#[test]
fn row_tenants_external_writes_reach_the_tenant_their_row_names_only() {
    let Some(db) = crate::support::postgres::TempDatabase::create("rt_tenants_row") else {
        return;
    };
    let url = db.url();
    let server = row_tenants_server(PG_SOURCE, &url, true);
    let log = || server.0.log();
    let acme = Events::open(&server, "acme");
    let globex = Events::open(&server, "globex");
    // Attack: acme's subscriber asks for globex's rows by name, and its
    // rule (`list = "true"`) would allow them.
    let filter = json!({ "or": [{ "tenant_id": "globex" }, { "title": { "like": "acme end%" } }] });
    let prying = Events::open_with(
        &server,
        "acme",
        &format!(
            "&note.where={}",
            url::form_urlencoded::byte_serialize(filter.to_string().as_bytes()).collect::<String>()
        ),
    );
    // An API write is sent once (its notification is this server's own).
    let (status, body) = send(
        &server,
        "POST",
        "/api/note",
        As::Service("acme"),
        Some(json!({ "title": "acme api" })),
    );
    assert_eq!(status, 201, "{body}");

    let s = |kind: &str, row: &str, old: &str| (kind.to_owned(), row.to_owned(), old.to_owned());
    // Each step waits for its events: a row is read again when its
    // notification arrives, so a later write to it would show.
    write(
        &url,
        &[
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'acme')",
                "acme outside",
            ),
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'globex')",
                "globex outside",
            ),
            // No such tenant: sent to nobody.
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'nosuch')",
                "nobody's",
            ),
            (
                "UPDATE note SET title = $1 WHERE tenant_id = 'nosuch'",
                "nobody's 2",
            ),
        ],
    );
    let seen = acme.events_until("acme outside", &log);
    assert_eq!(
        moves(&seen),
        [
            s("create", "acme api", "-"),
            s("create", "acme outside", "-")
        ],
        "{seen:#?}"
    );
    let seen = globex.events_until("globex outside", &log);
    assert_eq!(
        moves(&seen),
        [s("create", "globex outside", "-")],
        "{seen:#?}"
    );
    write(
        &url,
        &[(
            "UPDATE note SET title = $1 WHERE title = 'globex outside'",
            "globex outside 2",
        )],
    );
    let seen = globex.events_until("globex outside 2", &log);
    assert_eq!(
        moves(&seen),
        [s("update", "globex outside 2", "globex outside")],
        "{seen:#?}"
    );
    let big = "x".repeat(9000);
    write(
        &url,
        &[
            // Too large for NOTIFY: the row is read again.
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'globex')",
                &big,
            ),
            ("DELETE FROM note WHERE title = $1", "globex outside 2"),
            // A row moved from acme to globex.
            (
                "UPDATE note SET title = $1, tenant_id = 'globex' WHERE title = 'acme outside'",
                "moved",
            ),
        ],
    );
    // Made in acme and moved in the same transaction: when the create's
    // notification comes, the row read again is globex's; the create is
    // still acme's, with the row as acme wrote it.
    write_together(
        &url,
        &[
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'acme')",
                "acme quick",
            ),
            (
                "UPDATE note SET title = $1, tenant_id = 'globex' WHERE title = 'acme quick'",
                "quick moved",
            ),
        ],
    );
    write(
        &url,
        &[
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'globex')",
                "globex marker",
            ),
            (
                "INSERT INTO note (title, tenant_id) VALUES ($1, 'acme')",
                "acme end",
            ),
        ],
    );
    let seen = acme.events_until("acme end", &log);
    assert_eq!(
        moves(&seen),
        [
            // Moved out of acme: the row it could see, and no new row.
            s("update", "-", "acme outside"),
            s("create", "acme quick", "-"),
            s("update", "-", "acme quick"),
            s("create", "acme end", "-"),
        ],
        "{seen:#?}"
    );
    assert!(
        seen.iter()
            .all(|event| event["row"]["tenant_id"] != "globex"
                && event["old"]["tenant_id"] != "globex"),
        "{seen:#?}"
    );
    let seen = globex.events_until("globex marker", &log);
    assert_eq!(seen[0]["row"]["title"].as_str().map(str::len), Some(9000));
    assert_eq!(
        moves(&seen)
            .into_iter()
            .map(|(kind, row, old)| (kind, row.replace(&big, "big"), old))
            .collect::<Vec<_>>(),
        [
            s("create", "big", "-"),
            s("delete", "-", "globex outside 2"),
            // Moved into globex: never acme's old row.
            s("update", "moved", "-"),
            s("update", "quick moved", "-"),
            s("create", "globex marker", "-"),
        ],
        "{seen:#?}"
    );
    // acme's subscription asking for globex's rows sees acme's only.
    let seen = prying.events_until("acme end", &log);
    assert_eq!(moves(&seen), [s("create", "acme end", "-")], "{seen:#?}");
    assert!(
        log().contains("names tenant `nosuch` in its tenant column: not sent"),
        "{}",
        log()
    );
}

#[test]
fn row_tenants_change_stream_events_reach_the_tenant_their_document_names_only() {
    let Some(db) = crate::support::mongo::TempDatabase::create("rt_tenants_row") else {
        return;
    };
    let server = row_tenants_server(
        "\n[source]\nengine = \"mongodb\"\nurl = \"${TENANTS_DB}\"\n",
        db.url(),
        false,
    );
    let log = || server.0.log();
    wait_for_log(&server, "[realtime] external is on", 1);
    let acme = Events::open(&server, "acme");
    let globex = Events::open(&server, "globex");
    // Attack: acme's subscriber asks for globex's documents by name.
    let filter = json!({ "or": [{ "tenant_id": "globex" }, { "title": "acme end" }] });
    let prying = Events::open_with(
        &server,
        "acme",
        &format!(
            "&note.where={}",
            url::form_urlencoded::byte_serialize(filter.to_string().as_bytes()).collect::<String>()
        ),
    );
    // API writes are sent once: their change-stream reports are skipped.
    for tenant in ["acme", "globex"] {
        let (status, body) = send(
            &server,
            "POST",
            "/api/note",
            As::Service(tenant),
            Some(json!({ "title": format!("{tenant} api") })),
        );
        assert_eq!(status, 201, "{body}");
    }
    use mongodb::bson::doc;
    let notes = || async {
        db.connect()
            .await
            .collection::<mongodb::bson::Document>("note")
    };
    crate::support::block_on(async {
        let notes = notes().await;
        for (id, title, tenant) in [
            (100_i64, "acme outside", "acme"),
            (101, "globex outside", "globex"),
            (102, "nobody's", "nosuch"),
        ] {
            notes
                .insert_one(doc! { "id": id, "title": title, "tenant_id": tenant })
                .await
                .unwrap();
        }
    });
    let s = |kind: &str, row: &str| (kind.to_owned(), row.to_owned());
    assert_eq!(
        acme.until("acme outside", &log),
        [s("create", "acme api"), s("create", "acme outside")]
    );
    assert_eq!(
        globex.until("globex outside", &log),
        [s("create", "globex api"), s("create", "globex outside")]
    );
    crate::support::block_on(async {
        let notes = notes().await;
        notes
            .update_one(
                doc! { "id": 101_i64 },
                doc! { "$set": { "title": "globex outside 2" } },
            )
            .await
            .unwrap();
        // A delete's document is gone: it names no tenant, sent to nobody.
        notes.delete_one(doc! { "id": 100_i64 }).await.unwrap();
        notes
            .insert_one(doc! { "id": 103_i64, "title": "globex marker", "tenant_id": "globex" })
            .await
            .unwrap();
        notes
            .insert_one(doc! { "id": 104_i64, "title": "acme end", "tenant_id": "acme" })
            .await
            .unwrap();
    });
    assert_eq!(
        globex.until("globex marker", &log),
        [
            s("update", "globex outside 2"),
            s("create", "globex marker")
        ]
    );
    assert_eq!(acme.until("acme end", &log), [s("create", "acme end")]);
    assert_eq!(prying.until("acme end", &log), [s("create", "acme end")]);
    assert!(
        log().contains("names tenant `nosuch` in its tenant column: not sent"),
        "{}",
        log()
    );
}
