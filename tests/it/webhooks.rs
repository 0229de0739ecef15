//! Webhooks through the real binary on every engine: a local receiver
//! (an axum server in the test) counts deliveries by event id and checks
//! every signature. Writes are made while the receiver is down, the server
//! is killed with SIGKILL after they committed and before any was
//! delivered, and restarted with the receiver up: every committed write
//! is delivered, a write that failed is not, a receiver that keeps
//! failing makes the delivery dead after `max_attempts`, and
//! `baas webhooks retry --all-dead` delivers it again.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::free_port;

pub(crate) const SECRET: &str = "webhook-test-secret";

pub(crate) const MANIFEST: &str = r#"
[manifest]
format = 1
version = 1

[entities.post]
table = "post"
primary_key = ["id"]
[entities.post.fields]
id = { type = "int64" }
title = { type = "string" }
"#;

pub(crate) fn manifest(port: u16) -> String {
    format!(
        "{MANIFEST}\n[[webhooks]]\nname = \"posts\"\non = [\"post.*\"]\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"${{HOOK_SECRET}}\"\nmax_attempts = 3\ntimeout_seconds = 2\n"
    )
}

// ---------------------------------------------------------------------------
// The receiver

#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Accepted deliveries by event id: (times, body).
    pub(crate) delivered: BTreeMap<String, (u32, Value)>,
    /// Requests answered 500 (while failing), by event id.
    refused: BTreeMap<String, u32>,
    /// Requests whose signature or timestamp did not check out.
    pub(crate) bad_signatures: u32,
    /// Answer 500 to everything.
    failing: bool,
    /// The `x-baas-tenant` header of each delivered event, when sent.
    tenants: BTreeMap<String, String>,
    /// Requests to `/moved`, answered 302 to `/hook` on another host name.
    redirected: u32,
    /// Requests that followed that redirect (a `GET /hook`).
    followed: u32,
}

/// A webhook receiver on a fixed port, started and stopped at will.
pub(crate) struct Receiver {
    pub(crate) port: u16,
    pub(crate) seen: Arc<Mutex<Seen>>,
    running: Option<(
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Receiver {
    pub(crate) fn new() -> Self {
        Self {
            port: free_port(),
            seen: Arc::default(),
            running: None,
        }
    }

    pub(crate) fn start(&mut self) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let seen = Arc::clone(&self.seen);
        let port = self.port;
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let app = axum::Router::new()
                    .route("/hook", axum::routing::post(receive).get(followed))
                    .route("/moved", axum::routing::post(redirect))
                    .with_state(seen);
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .unwrap();
                ready_tx.send(()).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        ready.recv().unwrap();
        self.running = Some((stop, thread));
    }

    fn stop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            let _ = stop.send(());
            thread.join().unwrap();
        }
    }

    fn set_failing(&self, failing: bool) {
        self.seen.lock().unwrap().failing = failing;
    }

    /// Waits until `done` holds of what was seen (panics after 40 s).
    pub(crate) fn wait_for(&self, what: &str, done: impl Fn(&Seen) -> bool) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(40) {
            if done(&self.seen.lock().unwrap()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}: {:?}",
            self.seen.lock().unwrap()
        );
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn receive(
    axum::extract::State(seen): axum::extract::State<Arc<Mutex<Seen>>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut seen = seen.lock().unwrap();
    let timestamp: i64 = header("x-baas-timestamp").parse().unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed = baas::webhooks::sign::verify(
        SECRET.as_bytes(),
        timestamp,
        &body,
        &header("x-baas-signature"),
    );
    if !signed || (now - timestamp).abs() > 300 {
        seen.bad_signatures += 1;
        return axum::http::StatusCode::UNAUTHORIZED;
    }
    let id = header("x-baas-event-id");
    let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(
        payload["id"],
        id.as_str(),
        "the event id header is the payload's id"
    );
    if seen.failing {
        *seen.refused.entry(id).or_default() += 1;
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
    }
    let tenant = header("x-baas-tenant");
    if !tenant.is_empty() {
        seen.tenants.insert(id.clone(), tenant);
    }
    seen.delivered.entry(id).or_insert((0, payload)).0 += 1;
    axum::http::StatusCode::OK
}

/// `302 Found` to this receiver's `/hook` under another host name, as a
/// receiver sending the delivery elsewhere (an internal address) would.
async fn redirect(
    axum::extract::State(seen): axum::extract::State<Arc<Mutex<Seen>>>,
    headers: axum::http::HeaderMap,
) -> (axum::http::StatusCode, [(&'static str, String); 1]) {
    seen.lock().unwrap().redirected += 1;
    let host = headers
        .get("host")
        .and_then(|host| host.to_str().ok())
        .unwrap_or_default()
        .replace("127.0.0.1", "localhost");
    (
        axum::http::StatusCode::FOUND,
        [("location", format!("http://{host}/hook"))],
    )
}

/// A client that followed the redirect (a 302 turns the POST into a GET).
async fn followed(
    axum::extract::State(seen): axum::extract::State<Arc<Mutex<Seen>>>,
) -> axum::http::StatusCode {
    seen.lock().unwrap().followed += 1;
    axum::http::StatusCode::OK
}

// ---------------------------------------------------------------------------
// The server

/// `baas serve` in `dir`, its log in `serve.log` there.
pub(crate) struct Serve {
    child: std::process::Child,
    base: String,
}

impl Serve {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_logging(dir, args, "warn")
    }

    /// [`Serve::start`] with `BAAS_LOG=level`.
    pub(crate) fn start_logging(dir: &Path, args: &[&str], level: &str) -> Self {
        Self::start_with(dir, args, level, &[])
    }

    /// [`Serve::start_logging`] with more environment variables.
    pub(crate) fn start_with(dir: &Path, args: &[&str], level: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("HOME", dir)
            .env_remove("BAAS_MANIFEST")
            .env_remove("BAAS_DATABASE_URL")
            .env("HOOK_SECRET", SECRET)
            .env("BAAS_LOG", level)
            .envs(env.iter().copied())
            .args(["serve", "--port", &port.to_string()])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        crate::support::await_serving(
            &mut server.child,
            &dir.join("serve.log"),
            &server.base,
            Duration::from_secs(30),
        );
        server
    }

    /// SIGKILL: no shutdown of any kind.
    pub(crate) fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub(crate) fn call(&self, method: &str, path: &str, body: Option<Value>) -> u16 {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("POST", Some(body)) => agent
                .post(&url)
                .content_type("application/json")
                .send(body.to_string()),
            ("PATCH", Some(body)) => agent
                .patch(&url)
                .content_type("application/json")
                .send(body.to_string()),
            ("DELETE", _) => agent.delete(&url).call(),
            _ => agent.get(&url).call(),
        };
        response.unwrap().status().as_u16()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `baas webhooks ARGS --json` in `dir`.
pub(crate) fn webhooks_cli(dir: &Path, args: &[&str]) -> Value {
    let output = crate::support::baas(dir)
        .arg("--json")
        .arg("webhooks")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "baas webhooks {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

pub(crate) fn types(seen: &Seen) -> BTreeMap<String, usize> {
    let mut types = BTreeMap::new();
    for (_, payload) in seen.delivered.values() {
        *types
            .entry(payload["type"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    types
}

/// The whole story on one database (`db`: `--db URL`, or the embedded
/// SQLite database when `None`).
fn story(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::new();
    std::fs::write(dir.path().join("baas.toml"), manifest(receiver.port)).unwrap();
    let args: Vec<&str> = db.map(|url| vec!["--db", url]).unwrap_or_default();
    let db_args = args.clone();

    // The receiver is down: every delivery fails and stays pending.
    let server = Serve::start(dir.path(), &args);
    for id in 1..=3 {
        let status = server.call(
            "POST",
            "/api/post",
            Some(json!({ "id": id, "title": format!("post {id}") })),
        );
        assert_eq!(status, 201);
    }
    // A write that fails (the key is taken) commits nothing.
    let status = server.call(
        "POST",
        "/api/post",
        Some(json!({ "id": 1, "title": "again" })),
    );
    assert_eq!(status, 409);
    assert_eq!(
        server.call("PATCH", "/api/post/2", Some(json!({ "title": "edited" }))),
        200
    );
    assert_eq!(server.call("DELETE", "/api/post/3", None), 204);
    // An update of a row that is not there writes nothing either.
    assert_eq!(
        server.call("PATCH", "/api/post/99", Some(json!({ "title": "none" }))),
        404
    );
    let listed = webhooks_cli(dir.path(), &[&["list"][..], &db_args].concat());
    assert_eq!(listed["counts"]["pending"], 5, "{listed}");
    server.kill9();

    // Restarted with the receiver up: every committed write arrives.
    receiver.start();
    let server = Serve::start(dir.path(), &args);
    receiver.wait_for("five deliveries", |seen| seen.delivered.len() == 5);
    std::thread::sleep(Duration::from_millis(1500));
    {
        let seen = receiver.seen.lock().unwrap();
        assert_eq!(seen.delivered.len(), 5, "{seen:?}");
        assert_eq!(seen.bad_signatures, 0);
        let expected: BTreeMap<String, usize> = [
            ("create".into(), 3),
            ("delete".into(), 1),
            ("update".into(), 1),
        ]
        .into();
        assert_eq!(types(&seen), expected);
        let titles: Vec<&Value> = seen
            .delivered
            .values()
            .filter(|(_, payload)| payload["type"] == "create")
            .map(|(_, payload)| &payload["row"]["title"])
            .collect();
        assert!(!titles.contains(&&json!("again")), "{titles:?}");
        let update = seen
            .delivered
            .values()
            .find(|(_, payload)| payload["type"] == "update")
            .unwrap();
        assert_eq!(update.1["old"]["title"], "post 2");
        assert_eq!(update.1["row"]["title"], "edited");
        assert_eq!(update.1["key"], json!([2]));
        assert_eq!(update.1["entity"], "post");
    }

    // A receiver that keeps failing: three attempts, then dead.
    receiver.set_failing(true);
    assert_eq!(
        server.call(
            "POST",
            "/api/post",
            Some(json!({ "id": 4, "title": "doomed" }))
        ),
        201
    );
    let started = Instant::now();
    let dead = loop {
        let listed = webhooks_cli(
            dir.path(),
            &[&["list", "--state", "dead"][..], &db_args].concat(),
        );
        if listed["deliveries"]
            .as_array()
            .is_some_and(|d| d.len() == 1)
        {
            break listed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no dead delivery: {listed}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let id = dead["deliveries"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(dead["deliveries"][0]["attempts"], 3, "{dead}");
    assert!(
        dead["deliveries"][0]["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("500")),
        "{dead}"
    );
    assert_eq!(receiver.seen.lock().unwrap().refused.get(&id), Some(&3));

    // `retry --all-dead`: delivered once the receiver answers again.
    receiver.set_failing(false);
    let retried = webhooks_cli(
        dir.path(),
        &[&["retry", "--all-dead"][..], &db_args].concat(),
    );
    assert_eq!(retried["retried"], 1);
    receiver.wait_for("the retried delivery", |seen| {
        seen.delivered.contains_key(&id)
    });
    // The receiver has the request before the server records its answer:
    // wait for the record rather than read it once.
    let started = Instant::now();
    let listed = loop {
        let listed = webhooks_cli(dir.path(), &[&["list"][..], &db_args].concat());
        if listed["counts"]["delivered"] == 6 || started.elapsed() > Duration::from_secs(20) {
            break listed;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(listed["counts"]["delivered"], 6, "{listed}");
    assert!(listed["counts"].get("dead").is_none(), "{listed}");
    let purged = webhooks_cli(dir.path(), &[&["purge"][..], &db_args].concat());
    assert_eq!(purged["purged"], 6);
    drop(server);
}

#[test]
fn webhooks_on_sqlite_survive_a_kill_and_dead_letter() {
    story(None);
}

fn create_statements(target: baas::migrate::render::Target) -> Vec<String> {
    let manifest = baas::manifest::load_str(Path::new("baas.toml"), MANIFEST.to_owned())
        .unwrap()
        .manifest;
    crate::support::create_statements(target, &manifest)
}

#[test]
fn webhooks_on_postgres_survive_a_kill_and_dead_letter() {
    let Some(database) = crate::support::postgres::TempDatabase::create("webhooks") else {
        return;
    };
    crate::support::block_on(
        database.execute(&create_statements(baas::migrate::render::Target::Postgres)),
    );
    story(Some(&database.url()));
}

#[test]
fn webhooks_on_mariadb_survive_a_kill_and_dead_letter() {
    let Some(database) = crate::support::mysql::TempDatabase::create("webhooks") else {
        return;
    };
    crate::support::block_on(
        database.execute(&create_statements(baas::migrate::render::Target::Mysql)),
    );
    story(Some(&database.url()));
}

#[test]
fn webhooks_on_the_mongodb_wire_server_survive_a_kill_and_dead_letter() {
    let Some(database) = crate::support::mongo::TempDatabase::create("webhooks") else {
        return;
    };
    // The key is unique, as the SQL engines' primary key is.
    crate::support::block_on(async {
        let index = mongodb::IndexModel::builder()
            .keys(mongodb::bson::doc! { "id": 1 })
            .options(
                mongodb::options::IndexOptions::builder()
                    .unique(true)
                    .build(),
            )
            .build();
        database
            .connect()
            .await
            .collection::<mongodb::bson::Document>("post")
            .create_index(index)
            .await
            .unwrap();
    });
    story(Some(database.url()));
}

/// `[[webhooks]]` mistakes are reported with their place in the file, and
/// a secret written as a value is refused without being repeated.
#[test]
fn webhook_manifest_mistakes_are_reported_where_they_are() {
    let text = format!(
        "{MANIFEST}\n[[webhooks]]\non = [\"post.create\", \"psot.update\", \"post.creat\", \"post\"]\nurl = \"ftp://x\"\nsecret = \"hunter2-plain\"\nmax_attempts = 0\n"
    );
    let diagnostics = baas::manifest::load_str(Path::new("baas.toml"), text.clone())
        .expect_err("the manifest is refused");
    let rendered = format!("{:?}", diagnostics.problems);
    assert!(!rendered.contains("hunter2-plain"), "{rendered}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    let output = crate::support::baas(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    // The value is only shown as part of the file's own line, never in a message.
    for line in stderr.lines().filter(|line| line.contains("hunter2-plain")) {
        assert!(line.contains("secret = \"hunter2-plain\""), "{line}");
    }
    for expected in [
        "`secret` must be an environment reference",
        "`max_attempts` must be at least 1",
        "did you mean `post`?",
        "did you mean `post.create`?",
        "`post` is not an `entity.action` pattern",
        "is not an http:// or https:// URL",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    // Line:col of the misspelt entity (line 14 of the file: `on = [...]`).
    let line = text
        .lines()
        .position(|line| line.starts_with("on = "))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("baas.toml:{line}:")),
        "no baas.toml:{line}: in:\n{stderr}"
    );
}

/// A `max_attempts` too large to count is refused at its place, not read
/// as if it were not written (the default, 8 attempts).
#[test]
fn a_webhook_max_attempts_too_large_is_refused() {
    let text = format!(
        "{MANIFEST}\n[[webhooks]]\non = \"post.create\"\nurl = \"https://example.com/a\"\nmax_attempts = 4294967296\n"
    );
    let diagnostics = baas::manifest::load_str(Path::new("baas.toml"), text)
        .expect_err("the manifest is refused");
    assert!(
        diagnostics
            .problems
            .iter()
            .any(|problem| problem.path == "webhooks[0].max_attempts"
                && problem.message == "`max_attempts` is too large"
                && problem.span.is_some()),
        "{:#?}",
        diagnostics.problems
    );
}

/// `[[webhooks]]` are saved back as written (a rewrite of the manifest
/// keeps them) and a single pattern may be written as a string.
#[test]
fn webhooks_round_trip_through_the_canonical_manifest() {
    let text = format!(
        "{MANIFEST}\n[[webhooks]]\non = \"post.create\"\nurl = \"https://example.com/a\"\n\n[[webhooks]]\nname = \"b\"\non = [\"*.delete\", \"post.*\"]\nurl = \"http://127.0.0.1:9/b\"\nsecret = \"${{B_SECRET}}\"\nmax_attempts = 2\ntimeout_seconds = 1\n"
    );
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), text)
        .unwrap()
        .manifest;
    assert_eq!(loaded.webhooks.len(), 2);
    assert_eq!(loaded.webhooks[0].on, ["post.create"]);
    assert_eq!(loaded.webhooks[0].name(), "https://example.com/a");
    assert_eq!(loaded.webhooks[1].secret.as_deref(), Some("${B_SECRET}"));
    let saved = baas::manifest::save::to_toml(&loaded);
    let again = baas::manifest::load_str(Path::new("baas.toml"), saved.clone())
        .unwrap()
        .manifest;
    assert_eq!(again, loaded, "{saved}");
}

/// With `[tenancy]` (file strategy), each tenant's writes record their
/// deliveries in the tenant's own database: the server delivers every
/// served tenant's outbox, naming the tenant in `x-baas-tenant`, including
/// a tenant made while it runs.
#[test]
fn tenant_outboxes_are_delivered_with_their_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::new();
    receiver.start();
    let manifest = manifest(receiver.port).replacen(
        "\n[entities.post]",
        "\n[tenancy]\nstrategy = \"file\"\nresolve = [\"header:x-tenant\"]\n\n[entities.post]",
        1,
    );
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let create = |slug: &str| {
        let output = crate::support::baas(dir.path())
            .args(["tenants", "create", slug])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "tenants create {slug}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    create("acme");
    create("globex");
    let server = Serve::start(dir.path(), &[]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |tenant: &str, id: i64| {
        let response = agent
            .post(&format!("{}/api/post", server.base))
            .header("x-tenant", tenant)
            .content_type("application/json")
            .send(json!({ "id": id, "title": format!("{tenant} {id}") }).to_string())
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{tenant}");
    };
    post("acme", 1);
    post("globex", 1);
    post("globex", 2);
    // A tenant made while the server runs is delivered too.
    create("initech");
    std::thread::sleep(Duration::from_millis(1500));
    post("initech", 7);
    receiver.wait_for("a delivery per tenant write", |seen| {
        seen.delivered.len() == 4
    });
    std::thread::sleep(Duration::from_millis(500));
    let seen = receiver.seen.lock().unwrap();
    let mut by_tenant: Vec<(String, String)> = seen
        .delivered
        .iter()
        .map(|(id, (times, payload))| {
            assert_eq!(*times, 1, "{payload}");
            let title = payload["row"]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (seen.tenants.get(id).cloned().unwrap_or_default(), title)
        })
        .collect();
    by_tenant.sort();
    let expected: Vec<(String, String)> = [
        ("acme", "acme 1"),
        ("globex", "globex 1"),
        ("globex", "globex 2"),
        ("initech", "initech 7"),
    ]
    .iter()
    .map(|(tenant, title)| ((*tenant).to_owned(), (*title).to_owned()))
    .collect();
    assert_eq!(by_tenant, expected, "{seen:?}");
    drop(seen);
    server.kill9();
}

/// `strategy = "row"`: every tenant's writes share one outbox, so each
/// payload names its tenant (`tenant`, under the signature) and
/// `x-baas-tenant` repeats it. The tenant is the request's as resolved: a
/// header forged beside a token naming another tenant is refused, and
/// nothing is delivered for it.
#[test]
fn row_tenant_deliveries_name_their_tenant_under_the_signature() {
    use crate::tenancy::{SECRET as JWT_SECRET, SERVICE_KEY, token};
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::new();
    receiver.start();
    let manifest = manifest(receiver.port)
        .replacen(
            "\n[entities.post]",
            "\n[tenancy]\nstrategy = \"row\"\nresolve = [\"claim:tenant\", \"header:x-tenant\"]\n\n[auth]\njwt_secret = \"${JWT_SECRET}\"\nservice_key = \"${BAAS_SERVICE_KEY}\"\n\n[entities.post]",
            1,
        )
        .replacen(
            "title = { type = \"string\" }\n",
            "title = { type = \"string\" }\ntenant_id = { type = \"string\" }\n\n[entities.post.rules]\nlist = \"true\"\nview = \"true\"\ncreate = \"true\"\nupdate = \"true\"\ndelete = \"true\"\n",
            1,
        );
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("JWT_SECRET={JWT_SECRET}\nBAAS_SERVICE_KEY={SERVICE_KEY}\n"),
    )
    .unwrap();
    for slug in ["acme", "globex"] {
        let output = crate::support::baas(dir.path())
            .args(["tenants", "create", slug])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "tenants create {slug}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let server = Serve::start(dir.path(), &[]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |id: i64, headers: &[(&str, String)]| {
        let mut request = agent.post(&format!("{}/api/post", server.base));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request
            .content_type("application/json")
            .send(json!({ "id": id, "title": format!("post {id}") }).to_string())
            .unwrap()
            .status()
            .as_u16()
    };
    let bearer = |tenant: &str| ("authorization", format!("Bearer {}", token(Some(tenant))));
    let by_key = |tenant: &str| {
        [
            ("apikey", SERVICE_KEY.to_owned()),
            ("x-tenant", tenant.to_owned()),
        ]
    };
    assert_eq!(post(1, &by_key("acme")), 201);
    assert_eq!(post(2, &[bearer("globex")]), 201);
    assert_eq!(
        post(9, &[bearer("acme"), ("x-tenant", "globex".to_owned())]),
        403,
        "a header forged beside acme's token"
    );
    assert_eq!(post(3, &[bearer("acme")]), 201);
    assert_eq!(post(4, &by_key("globex")), 201);
    receiver.wait_for("a delivery per write", |seen| seen.delivered.len() == 4);
    std::thread::sleep(Duration::from_millis(500));
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.bad_signatures, 0, "{seen:?}");
    let mut by_post: Vec<(i64, String)> = seen
        .delivered
        .iter()
        .map(|(id, (times, payload))| {
            assert_eq!(*times, 1, "{payload}");
            let tenant = payload["tenant"].as_str().unwrap_or_default().to_owned();
            assert_eq!(
                seen.tenants.get(id),
                Some(&tenant),
                "the header repeats the signed payload's tenant: {payload}"
            );
            assert_eq!(payload["row"]["tenant_id"], tenant.as_str(), "{payload}");
            (payload["row"]["id"].as_i64().unwrap_or_default(), tenant)
        })
        .collect();
    by_post.sort();
    assert_eq!(
        by_post,
        [
            (1, "acme".to_owned()),
            (2, "globex".to_owned()),
            (3, "acme".to_owned()),
            (4, "globex".to_owned()),
        ],
        "{seen:?}"
    );
    drop(seen);
    server.kill9();
}

/// A receiver that answers a delivery with a redirect does not get it
/// sent elsewhere: the 302 is a failed attempt (never followed to the
/// address it names), retried up to `max_attempts` and then dead, its
/// status in the delivery log and in the server's log.
#[test]
fn a_redirecting_receiver_is_a_failed_attempt_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::new();
    receiver.start();
    let manifest = manifest(receiver.port)
        .replace("/hook\"", "/moved\"")
        .replace("max_attempts = 3", "max_attempts = 2");
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    let server = Serve::start(dir.path(), &[]);
    assert_eq!(
        server.call("POST", "/api/post", Some(json!({ "id": 1, "title": "t" }))),
        201
    );
    // Until the delivery is settled: dead, or delivered by following.
    let started = Instant::now();
    let listed = loop {
        let listed = webhooks_cli(dir.path(), &["list"]);
        let state = &listed["deliveries"][0]["state"];
        if state == "dead" || state == "delivered" {
            break listed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the delivery is not settled: {listed}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.followed, 0, "followed the redirect: {seen:?} {listed}");
    assert_eq!(listed["deliveries"][0]["state"], "dead", "{listed}");
    assert_eq!(listed["deliveries"][0]["attempts"], 2, "{listed}");
    let error = listed["deliveries"][0]["last_error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        error.contains("302") && error.contains("redirects are not followed"),
        "{listed}"
    );
    assert_eq!(seen.redirected, 2, "{seen:?}");
    assert!(seen.delivered.is_empty(), "{seen:?}");
    drop(seen);
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains("302"), "{log}");
    server.kill9();
}
