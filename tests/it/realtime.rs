//! Realtime (`GET /api/_realtime`, server-sent events) through a real
//! `baas serve` on SQLite, PostgreSQL, MariaDB and the MongoDB-wire
//! server: writes through the API reach subscribers; with rules a
//! subscriber never receives a row its list rule hides (other users' drafts,
//! anonymous callers); entity/key and filter subscriptions; resuming with
//! `Last-Event-ID` (and a reset for a gap); bad subscriptions are 400
//! before any stream starts.

use std::io::BufRead as _;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::AuthServer;

const SECRET: &str = "realtime-test-secret-of-at-least-thirty-two-bytes";
const SERVICE_KEY: &str = "realtime-test-service-key";

/// The rule matrix's manifest (posts: `list = published = true ||
/// author_id = @auth.id`) with `[auth]`.
fn manifest() -> String {
    format!(
        "{}\n[auth]\njwt_secret = \"${{JWT_SECRET}}\"\nservice_key = \"${{BAAS_SERVICE_KEY}}\"\n",
        crate::rules::MANIFEST
    )
}

fn token(sub: &str, org: i64) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": sub, "org": org, "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn start(args: &[&str]) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest()).unwrap();
    AuthServer::start_with(
        dir,
        &[
            ("JWT_SECRET", SECRET),
            ("BAAS_SERVICE_KEY", SERVICE_KEY),
            ("BAAS_REALTIME_HEARTBEAT_MS", "200"),
        ],
        args,
    )
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// One server-sent event.
#[derive(Debug, Clone)]
struct Message {
    event: String,
    id: Option<String>,
    data: Value,
}

/// What a stream reader thread reports.
#[derive(Debug)]
enum Read {
    Message(Message),
    Heartbeat,
}

/// A client reading one SSE stream on a thread of its own.
struct Subscriber {
    status: u16,
    content_type: String,
    messages: mpsc::Receiver<Read>,
    /// The problem of a refused subscription.
    problem: Value,
}

impl Subscriber {
    fn open(server: &AuthServer, query: &str, bearer: Option<&str>, last: Option<&str>) -> Self {
        let mut request = agent().get(&server.url(&format!("/api/_realtime?{query}")));
        if let Some(bearer) = bearer {
            request = request.header("authorization", &format!("Bearer {bearer}"));
        }
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let (sender, messages) = mpsc::channel();
        if status != 200 {
            let text = response.body_mut().read_to_string().unwrap_or_default();
            return Self {
                status,
                content_type,
                messages,
                problem: serde_json::from_str(&text).unwrap_or(Value::Null),
            };
        }
        std::thread::spawn(move || {
            let reader = std::io::BufReader::new(response.into_body().into_reader());
            let (mut event, mut id, mut data) = (String::new(), None, String::new());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if line.is_empty() {
                    if !data.is_empty() || !event.is_empty() {
                        let message = Message {
                            event: std::mem::take(&mut event),
                            id: id.take(),
                            data: serde_json::from_str(&std::mem::take(&mut data))
                                .unwrap_or(Value::Null),
                        };
                        if sender.send(Read::Message(message)).is_err() {
                            return;
                        }
                    }
                } else if line.starts_with(':') {
                    if sender.send(Read::Heartbeat).is_err() {
                        return;
                    }
                } else if let Some(value) = line.strip_prefix("event:") {
                    event = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = Some(value.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
        });
        Self {
            status,
            content_type,
            messages,
            problem: Value::Null,
        }
    }

    /// The next event (heartbeats skipped), failing after 10 s.
    fn next(&self) -> Message {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(Read::Message(message)) => return message,
                Ok(Read::Heartbeat) => {}
                Err(error) => panic!("no event within 10 s: {error}"),
            }
        }
    }

    /// Events up to and including the one for the post titled `last`.
    fn until(&self, last: &str) -> Vec<Message> {
        let mut seen = Vec::new();
        loop {
            let message = self.next();
            let done = message.data["row"]["title"] == last;
            seen.push(message);
            if done {
                return seen;
            }
        }
    }
}

/// `(type, post id, row visible, old visible)` of each event.
fn summary(messages: &[Message]) -> Vec<(String, i64, bool, bool)> {
    messages
        .iter()
        .map(|m| {
            assert_eq!(m.event, m.data["type"], "{m:?}");
            assert_eq!(m.id.as_deref(), Some(m.data["id"].to_string().as_str()));
            let key = m.data["key"][0].as_i64().unwrap_or_default();
            (
                m.event.clone(),
                key,
                !m.data["row"].is_null(),
                !m.data["old"].is_null(),
            )
        })
        .collect()
}

fn send(server: &AuthServer, method: &str, path: &str, bearer: &str, body: Option<Value>) {
    let url = server.url(path);
    let agent = agent();
    let authorization = format!("Bearer {bearer}");
    let mut response = match body {
        Some(body) => agent
            .run(
                ureq::http::Request::builder()
                    .method(method)
                    .uri(&url)
                    .header("authorization", &authorization)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .unwrap(),
            )
            .unwrap(),
        None => agent
            .run(
                ureq::http::Request::builder()
                    .method(method)
                    .uri(&url)
                    .header("authorization", &authorization)
                    .body(())
                    .unwrap(),
            )
            .unwrap(),
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}\n{}",
        server.log()
    );
}

fn post(id: i64, title: &str, published: bool, author: i64) -> Value {
    json!({ "id": id, "title": title, "published": published, "author_id": author })
}

/// Two orgs and their authors, Ada (1) and Bob (2), through the service key.
fn orgs_and_authors(server: &AuthServer) {
    for (id, name) in [(1, "one"), (2, "two")] {
        let org = json!({ "id": id, "name": name });
        send(server, "POST", "/api/org", SERVICE_KEY, Some(org));
    }
    for (id, name, org) in [(1, "Ada", 1), (2, "Bob", 2)] {
        let author = json!({ "id": id, "name": name, "org_id": org });
        send(server, "POST", "/api/author", SERVICE_KEY, Some(author));
    }
}

/// The whole realtime contract on one served database.
fn realtime_flow(server: &AuthServer) {
    let (ada, bob) = (token("1", 1), token("2", 2));
    // Bad subscriptions: 400 (403 for an entity the caller may not list)
    // before any stream starts.
    for (query, status) in [
        ("", 400),
        ("subscribe=nope", 400),
        ("subscribe=post/abc", 400),
        ("subscribe=post&post.where=%7B%22nope%22%3A1%7D", 400),
        ("subscribe=post&author.where=%7B%7D", 400),
        ("subscribe=post&post.where=not-json", 400),
        ("subscribe=org", 403),
    ] {
        let refused = Subscriber::open(server, query, None, None);
        assert_eq!(refused.status, status, "{query}: {:?}", refused.problem);
        assert!(
            refused.problem["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:baas:problem:")),
            "{query}: {:?}",
            refused.problem
        );
    }

    let anonymous = Subscriber::open(server, "subscribe=post", None, None);
    assert_eq!(anonymous.status, 200);
    assert!(anonymous.content_type.starts_with("text/event-stream"));
    let as_ada = Subscriber::open(server, "subscribe=post,author", Some(&ada), None);
    let as_bob = Subscriber::open(server, "subscribe=post", Some(&bob), None);
    let ada_post_1 = Subscriber::open(server, "subscribe=post/1", Some(&ada), None);
    let where_a = Subscriber::open(
        server,
        "subscribe=post&post.where=%7B%22title%22%3A%7B%22like%22%3A%22A%25%22%7D%7D",
        Some(&ada),
        None,
    );
    let service = Subscriber::open(server, "subscribe=org", Some(SERVICE_KEY), None);
    // A heartbeat comes while nothing happens.
    match anonymous.messages.recv_timeout(Duration::from_secs(10)) {
        Ok(Read::Heartbeat) => {}
        other => panic!("expected a heartbeat first, got {other:?}"),
    }

    orgs_and_authors(server);
    // Ada's draft, Bob's public post and Bob's draft.
    send(
        server,
        "POST",
        "/api/post",
        &ada,
        Some(post(1, "A draft", false, 1)),
    );
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(2, "B public", true, 2)),
    );
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(3, "B draft", false, 2)),
    );
    // Ada publishes, then unpublishes, then deletes her post.
    let publish = json!({ "published": true });
    send(server, "PATCH", "/api/post/1", &ada, Some(publish));
    let retract = json!({ "published": false, "title": "A again" });
    send(server, "PATCH", "/api/post/1", &ada, Some(retract));
    send(server, "DELETE", "/api/post/1", &ada, None);
    // Bob changes his draft; a last public post everyone sees ends the run.
    let edit = json!({ "title": "B draft 2" });
    send(server, "PATCH", "/api/post/3", &bob, Some(edit));
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(9, "Z end", true, 2)),
    );

    let s = |kind: &str, key: i64, row: bool, old: bool| (kind.to_owned(), key, row, old);
    // Anonymous: published rows only; post 1 comes into view (no old row)
    // and leaves it (no new row); drafts never.
    let seen = anonymous.until("Z end");
    assert_eq!(
        summary(&seen),
        [
            s("create", 2, true, false),
            s("update", 1, true, false),
            s("update", 1, false, true),
            s("create", 9, true, false),
        ],
        "{seen:#?}"
    );
    let first_anonymous_id = seen[0].id.clone().unwrap();
    // Ada: her own rows whatever their state, Bob's public ones.
    let seen = as_ada.until("Z end");
    let posts: Vec<_> = seen
        .iter()
        .filter(|m| m.data["entity"] == "post")
        .cloned()
        .collect();
    assert_eq!(
        summary(&posts),
        [
            s("create", 1, true, false),
            s("create", 2, true, false),
            s("update", 1, true, true),
            s("update", 1, true, true),
            s("delete", 1, false, true),
            s("create", 9, true, false),
        ],
        "{seen:#?}"
    );
    let authors: Vec<_> = seen
        .iter()
        .filter(|m| m.data["entity"] == "author")
        .collect();
    assert_eq!(authors.len(), 2, "{seen:#?}");
    assert_eq!(posts[2].data["old"]["published"], false);
    assert_eq!(posts[2].data["row"]["published"], true);
    assert_eq!(posts[3].data["old"]["title"], "A draft");
    assert_eq!(posts[3].data["row"]["title"], "A again");
    assert_eq!(posts[3].data["row"]["published"], false);
    assert_eq!(posts[4].data["old"]["title"], "A again");
    // Bob: Ada's post only while it is published.
    let seen = as_bob.until("Z end");
    assert_eq!(
        summary(&seen),
        [
            s("create", 2, true, false),
            s("create", 3, true, false),
            s("update", 1, true, false),
            s("update", 1, false, true),
            s("update", 3, true, true),
            s("create", 9, true, false),
        ],
        "{seen:#?}"
    );
    // Every row Bob receives is one his list rule lets through.
    let listable = |row: &Value| row.is_null() || row["published"] == true || row["author_id"] == 2;
    assert!(
        seen.iter()
            .all(|m| listable(&m.data["row"]) && listable(&m.data["old"])),
        "{seen:#?}"
    );
    // One row by its key: post 1 only.
    let mut keyed = Vec::new();
    for _ in 0..4 {
        keyed.push(ada_post_1.next());
    }
    assert_eq!(
        summary(&keyed),
        [
            s("create", 1, true, false),
            s("update", 1, true, true),
            s("update", 1, true, true),
            s("delete", 1, false, true),
        ],
        "{keyed:#?}"
    );
    // A filter: titles starting with `A` (as the row is before and after).
    let mut filtered = Vec::new();
    for _ in 0..4 {
        filtered.push(where_a.next());
    }
    assert_eq!(
        summary(&filtered),
        [
            s("create", 1, true, false),
            s("update", 1, true, true),
            s("update", 1, true, true),
            s("delete", 1, false, true),
        ],
        "{filtered:#?}"
    );
    // The service key follows orgs (no rule applies to it).
    let org = service.next();
    assert_eq!(
        (org.event.as_str(), &org.data["row"]["name"]),
        ("create", &json!("one"))
    );

    // Resuming after the first event anonymous saw: the rest, replayed.
    let resumed = Subscriber::open(server, "subscribe=post", None, Some(&first_anonymous_id));
    let replayed = resumed.until("Z end");
    assert_eq!(
        summary(&replayed),
        [
            s("update", 1, true, false),
            s("update", 1, false, true),
            s("create", 9, true, false),
        ],
        "{replayed:#?}"
    );
    // An id this server never gave: a reset, then live events.
    let reset = Subscriber::open(server, "subscribe=post", None, Some("1"));
    let first = reset.next();
    assert_eq!(first.event, "reset", "{first:?}");
    assert_eq!(first.data["last_event_id"], "1");
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(10, "After reset", true, 2)),
    );
    let next = reset.next();
    assert_eq!(next.data["row"]["title"], "After reset", "{next:?}");
}

#[test]
fn realtime_on_sqlite() {
    realtime_flow(&start(&[]));
}

fn create_statements(target: baas::migrate::render::Target) -> Vec<String> {
    let manifest = baas::manifest::load_str(std::path::Path::new("baas.toml"), manifest())
        .unwrap()
        .manifest;
    crate::support::create_statements(target, &manifest)
}

#[test]
fn realtime_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create("realtime") else {
        return;
    };
    crate::support::block_on(
        database.execute(&create_statements(baas::migrate::render::Target::Postgres)),
    );
    realtime_flow(&start(&["--db", &database.url()]));
}

#[test]
fn realtime_on_mariadb() {
    let Some(database) = crate::support::mysql::TempDatabase::create("realtime") else {
        return;
    };
    crate::support::block_on(
        database.execute(&create_statements(baas::migrate::render::Target::Mysql)),
    );
    realtime_flow(&start(&["--db", &database.url()]));
}

#[test]
fn realtime_on_the_mongodb_wire_server() {
    let Some(database) = crate::support::mongo::TempDatabase::create("realtime") else {
        return;
    };
    realtime_flow(&start(&["--db", database.url()]));
}

/// The manifest with `[realtime] external = true`.
fn external_manifest() -> String {
    format!("{}\n[realtime]\nexternal = true\n", manifest())
}

fn start_external(database: &str) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), external_manifest()).unwrap();
    AuthServer::start_with(
        dir,
        &[
            ("JWT_SECRET", SECRET),
            ("BAAS_SERVICE_KEY", SERVICE_KEY),
            ("BAAS_REALTIME_HEARTBEAT_MS", "200"),
        ],
        &["--db", database],
    )
}

/// `baas check --db URL` on the external manifest: its exit code and output.
fn check(database: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), external_manifest()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baas"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("BAAS_DATABASE_URL")
        .args(["check", "--db", database])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// `[realtime] external = true` on PostgreSQL: the plan installs the
/// triggers (and `check` sees one go missing); writes made with plain SQL
/// reach subscribers through the same rules as API writes; two `baas
/// serve` processes on one database see each other's writes exactly once.
#[test]
fn external_writes_and_other_processes_reach_subscribers_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create("realtime_external") else {
        return;
    };
    let manifest = baas::manifest::load_str(std::path::Path::new("baas.toml"), external_manifest())
        .unwrap()
        .manifest;
    let statements =
        crate::support::create_statements(baas::migrate::render::Target::Postgres, &manifest);
    let triggers = statements
        .iter()
        .filter(|s| s.contains("CREATE TRIGGER baas_realtime"))
        .count();
    assert_eq!(triggers, 3, "one trigger per table:\n{statements:#?}");
    crate::support::block_on(database.execute(&statements));
    let url = database.url();
    let (code, output) = check(&url);
    assert_eq!(code, 0, "no drift once migrated:\n{output}");

    let first = start_external(&url);
    let second = start_external(&url);
    assert!(
        first.log().contains("LISTEN baas_realtime"),
        "{}",
        first.log()
    );
    let bob = token("2", 2);
    let anonymous = Subscriber::open(&first, "subscribe=post", None, None);
    let as_bob = Subscriber::open(&first, "subscribe=post", Some(&bob), None);
    let on_second = Subscriber::open(&second, "subscribe=post", None, None);
    assert_eq!(
        (anonymous.status, as_bob.status, on_second.status),
        (200, 200, 200)
    );

    // Outside baas: plain SQL on a connection of its own.
    let sql = |statements: &[&str]| {
        let owned: Vec<String> = statements.iter().map(|s| (*s).to_owned()).collect();
        crate::support::block_on(database.execute(&owned));
    };
    sql(&[
        "INSERT INTO org (id, name) VALUES (1, 'one'), (2, 'two')",
        "INSERT INTO author (id, name, org_id) VALUES (1, 'Ada', 1), (2, 'Bob', 2)",
        "INSERT INTO post (id, title, published, author_id) VALUES (1, 'A draft', false, 1)",
        "INSERT INTO post (id, title, published, author_id) VALUES (2, 'A public', true, 1)",
        "UPDATE post SET title = 'A public 2' WHERE id = 2",
        "DELETE FROM post WHERE id = 2",
        "INSERT INTO post (id, title, published, author_id) VALUES (4, 'A marker', true, 1)",
    ]);
    let s = |kind: &str, key: i64, row: bool, old: bool| (kind.to_owned(), key, row, old);
    // Every subscriber, on either process: the public rows only, each once
    // (never Ada's draft).
    for (subscriber, server) in [
        (&anonymous, &first),
        (&as_bob, &first),
        (&on_second, &second),
    ] {
        let seen = subscriber.until("A marker");
        assert_eq!(
            summary(&seen),
            [
                s("create", 2, true, false),
                s("update", 2, true, true),
                s("delete", 2, false, true),
                s("create", 4, true, false),
            ],
            "{seen:#?}\n{}",
            server.log()
        );
        assert_eq!(seen[1].data["old"]["title"], "A public");
        assert_eq!(seen[1].data["row"]["title"], "A public 2");
        assert_eq!(seen[2].data["old"]["title"], "A public 2");
    }

    // Through process 2's API: Bob's draft, then a public post.
    send(
        &second,
        "POST",
        "/api/post",
        &bob,
        Some(post(3, "B draft", false, 2)),
    );
    send(
        &second,
        "POST",
        "/api/post",
        &bob,
        Some(post(9, "Z end", true, 2)),
    );
    // Process 1's subscribers see them once, Bob his own draft too.
    let seen = anonymous.until("Z end");
    assert_eq!(summary(&seen), [s("create", 9, true, false)], "{seen:#?}");
    let seen = as_bob.until("Z end");
    assert_eq!(
        summary(&seen),
        [s("create", 3, true, false), s("create", 9, true, false)],
        "{seen:#?}"
    );
    // Process 2's subscriber: its own API writes once (no echo from NOTIFY).
    let seen = on_second.until("Z end");
    assert_eq!(
        summary(&seen),
        [s("create", 9, true, false)],
        "{seen:#?}\n{}",
        second.log()
    );
    // Nothing more arrives after the last write (a duplicate would).
    send(
        &first,
        "POST",
        "/api/post",
        &bob,
        Some(post(10, "Z end 2", true, 2)),
    );
    let after = on_second.until("Z end 2");
    assert_eq!(
        summary(&after),
        [s("create", 10, true, false)],
        "{after:#?}"
    );
    let after = anonymous.until("Z end 2");
    assert_eq!(
        summary(&after),
        [s("create", 10, true, false)],
        "{after:#?}"
    );

    // A trigger dropped by hand is drift.
    sql(&["DROP TRIGGER baas_realtime ON post"]);
    let (code, output) = check(&url);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("baas_realtime"), "{output}");
}

/// A WebSocket client of `/api/_realtime/ws`.
pub struct WsClient {
    socket: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
}

/// What a WebSocket client reads next.
#[derive(Debug, PartialEq)]
pub enum WsRead {
    Json(Value),
    Closed(u16, String),
}

impl WsClient {
    pub fn open(server: &AuthServer, bearer: Option<&str>) -> Self {
        use tungstenite::client::IntoClientRequest as _;
        let url = server.url("/api/_realtime/ws").replacen("http", "ws", 1);
        let mut request = url.into_client_request().unwrap();
        if let Some(bearer) = bearer {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {bearer}").parse().unwrap());
        }
        let (socket, _) = tungstenite::connect(request).unwrap();
        if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
        }
        Self { socket }
    }

    pub fn send(&mut self, message: &Value) {
        self.send_text(&message.to_string());
    }

    fn send_text(&mut self, text: &str) {
        self.socket
            .send(tungstenite::Message::Text(text.to_owned().into()))
            .unwrap();
    }

    /// The next JSON message or the close frame (pings skipped), failing
    /// after 10 s.
    pub fn read(&mut self) -> WsRead {
        self.read_within(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no message within 10 s"))
    }

    /// The next JSON message or the close frame within `limit`.
    pub fn read_within(&mut self, limit: Duration) -> Option<WsRead> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if std::time::Instant::now() >= deadline {
                return None;
            }
            match self.socket.read() {
                Ok(tungstenite::Message::Text(text)) => {
                    return Some(WsRead::Json(serde_json::from_str(text.as_str()).unwrap()));
                }
                Ok(tungstenite::Message::Close(frame)) => {
                    return Some(match frame {
                        Some(frame) => WsRead::Closed(frame.code.into(), frame.reason.to_string()),
                        None => WsRead::Closed(0, String::new()),
                    });
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(error))
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(error) => panic!("the WebSocket failed: {error}"),
            }
        }
    }

    fn json(&mut self) -> Value {
        match self.read() {
            WsRead::Json(value) => value,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// `(type, post id, row visible, old visible)` of the next `n` events.
    fn events(&mut self, n: usize) -> Vec<(String, i64, bool, bool)> {
        (0..n)
            .map(|_| {
                let m = self.json();
                (
                    m["type"].as_str().unwrap_or_default().to_owned(),
                    m["key"][0].as_i64().unwrap_or_default(),
                    !m["row"].is_null(),
                    !m["old"].is_null(),
                )
            })
            .collect()
    }

    /// Sends `message` and expects the session to end with `code`: an
    /// error message first, then the close frame.
    fn refused(&mut self, message: &str, code: u16) -> String {
        self.send_text(message);
        let error = self.json();
        assert_eq!(error["type"], "error", "{message}: {error}");
        assert_eq!(error["code"], code, "{message}: {error}");
        match self.read() {
            WsRead::Closed(got, reason) => {
                assert_eq!(got, code, "{message}: {reason}");
                assert!(!reason.is_empty(), "{message}: a close reason");
            }
            other => panic!("{message}: expected the close frame, got {other:?}"),
        }
        error["detail"].as_str().unwrap_or_default().to_owned()
    }
}

/// The WebSocket route: subscribe and unsubscribe messages, the rules and
/// a filter per subscriber, resuming with `last_event_id` (and a reset for
/// a gap), and close codes for bad or refused messages.
fn websocket_flow(server: &AuthServer) {
    let (ada, bob) = (token("1", 1), token("2", 2));
    // A plain GET is not a handshake.
    let mut plain = agent()
        .get(&server.url("/api/_realtime/ws"))
        .call()
        .unwrap();
    assert_eq!(plain.status().as_u16(), 426);
    let problem: Value = serde_json::from_str(&plain.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(problem["type"], "urn:baas:problem:upgrade-required");

    let mut as_ada = WsClient::open(server, Some(&ada));
    as_ada.send(&json!({ "subscribe": ["post"] }));
    assert_eq!(
        as_ada.json(),
        json!({ "type": "subscribed", "subscribe": ["post"] })
    );
    let mut anonymous = WsClient::open(server, None);
    anonymous.send(&json!({
        "subscribe": ["post"],
        "where": { "post": { "title": { "like": "A%" } } },
    }));
    assert_eq!(anonymous.json()["type"], "subscribed");

    orgs_and_authors(server);
    send(
        server,
        "POST",
        "/api/post",
        &ada,
        Some(post(1, "A draft", false, 1)),
    );
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(2, "B public", true, 2)),
    );
    let publish = json!({ "published": true });
    send(server, "PATCH", "/api/post/1", &ada, Some(publish));
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(9, "A end", true, 2)),
    );

    let s = |kind: &str, key: i64, row: bool, old: bool| (kind.to_owned(), key, row, old);
    assert_eq!(
        as_ada.events(4),
        [
            s("create", 1, true, false),
            s("create", 2, true, false),
            s("update", 1, true, true),
            s("create", 9, true, false),
        ]
    );
    // Anonymous: never the draft, and only titles starting with `A`.
    let update = anonymous.json();
    assert_eq!(
        (&update["type"], &update["key"], &update["old"]),
        (&json!("update"), &json!([1]), &Value::Null),
        "{update}"
    );
    assert_eq!(anonymous.events(1), [s("create", 9, true, false)]);

    // Unsubscribed from posts, Ada receives the author that follows and
    // not the post written before it.
    as_ada.send(&json!({ "unsubscribe": ["post"] }));
    assert_eq!(
        as_ada.json(),
        json!({ "type": "subscribed", "subscribe": [] })
    );
    as_ada.send(&json!({ "subscribe": ["author"] }));
    assert_eq!(as_ada.json()["subscribe"], json!(["author"]));
    send(
        server,
        "POST",
        "/api/post",
        &bob,
        Some(post(10, "A after", true, 2)),
    );
    let author = json!({ "id": 3, "name": "Cy", "org_id": 1 });
    send(server, "POST", "/api/author", SERVICE_KEY, Some(author));
    let next = as_ada.json();
    assert_eq!(
        (&next["entity"], &next["type"]),
        (&json!("author"), &json!("create")),
        "{next}"
    );

    // Resuming after the update: the posts after it, then live ones.
    let mut resumed = WsClient::open(server, None);
    resumed.send(&json!({ "subscribe": ["post"], "last_event_id": update["id"].to_string() }));
    assert_eq!(resumed.json()["type"], "subscribed");
    assert_eq!(
        resumed.events(2),
        [s("create", 9, true, false), s("create", 10, true, false)]
    );
    let mut gap = WsClient::open(server, None);
    gap.send(&json!({ "subscribe": ["post"], "last_event_id": 1 }));
    assert_eq!(gap.json()["type"], "subscribed");
    let reset = gap.json();
    assert_eq!(
        (&reset["type"], &reset["reason"]),
        (&json!("reset"), &json!("gap")),
        "{reset}"
    );

    // Bad or refused messages end the session with a code and a reason.
    let detail = WsClient::open(server, None).refused("not json", 4400);
    assert!(detail.contains("JSON"), "{detail}");
    let detail = WsClient::open(server, None).refused(r#"{"subscribe":["nope"]}"#, 4400);
    assert!(detail.contains("no entity `nope`"), "{detail}");
    let detail = WsClient::open(server, None).refused(r#"{"subscribe":"post"}"#, 4400);
    assert!(detail.contains("array"), "{detail}");
    let detail = WsClient::open(server, None).refused(r#"{"unsubscribe":["post"]}"#, 4400);
    assert!(detail.contains("nothing is subscribed"), "{detail}");
    WsClient::open(server, None).refused(r#"{"subscribe":["org"]}"#, 4403);
    let mut twice = WsClient::open(server, None);
    twice.send(&json!({ "subscribe": ["post"] }));
    assert_eq!(twice.json()["type"], "subscribed");
    let detail = twice.refused(r#"{"subscribe":["author"],"last_event_id":"5"}"#, 4400);
    assert!(detail.contains("first"), "{detail}");
}

#[test]
fn websocket_on_sqlite() {
    websocket_flow(&start(&[]));
}

#[test]
fn websocket_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create("realtime_ws") else {
        return;
    };
    crate::support::block_on(
        database.execute(&create_statements(baas::migrate::render::Target::Postgres)),
    );
    websocket_flow(&start(&["--db", &database.url()]));
}

/// The generated TypeScript client's `subscribe()` (fetch-stream path: the
/// Node here has no `EventSource`), run by node against `baas serve` with
/// rules: typed events, only the rows the subscriber's list rule allows, a
/// dropped connection resumed with `Last-Event-ID` (writes made while it was
/// down arrive), `lastEventId` resuming a later subscription, `onReset` for
/// an id no longer kept, and a refused subscription stopping with a 400.
const TS_SUBSCRIBE: &str = r#"import { createClient, BaasError, type ChangeEvent, type PostRow } from "./sdk/index.js";
declare const process: { argv: string[]; exit(code: number): never };

function check(condition: boolean, message: string): void {
  if (!condition) {
    console.log(`check failed: ${message}`);
    process.exit(1);
  }
}

const [url = "", serviceKey = "", ada = ""] = process.argv.slice(2);
const admin = createClient({ url, token: serviceKey });

// Every stream request the subscriber makes; the first can be dropped and
// the second held until the test lets it through.
const requests: { lastEventId: string | null; abort: AbortController }[] = [];
let release: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
let connected: () => void = () => {};
const firstConnection = new Promise<void>((resolve) => {
  connected = resolve;
});
const recording: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers);
  const abort = new AbortController();
  init?.signal?.addEventListener("abort", () => abort.abort());
  requests.push({ lastEventId: headers.get("last-event-id"), abort });
  if (requests.length === 2) {
    await gate;
  }
  const response = await fetch(input, { ...init, signal: abort.signal });
  if (requests.length === 1) {
    connected();
  }
  return response;
};

const events: ChangeEvent<PostRow>[] = [];
const errors: unknown[] = [];
function waitFor(count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (events.length >= count) {
        resolve();
      } else if (Date.now() - started > 10000) {
        reject(new Error(`waited for ${count} events, got ${JSON.stringify(events)}`));
      } else {
        setTimeout(poll, 10);
      }
    };
    poll();
  });
}

const user = createClient({ url, token: ada, fetch: recording });
const subscription = user.subscribe("post", {
  filter: { title: { like: "T%" } },
  retryMs: 100,
  onEvent: (event) => {
    // Typed: `row` is a PostRow (or null), `type` a union.
    const title: string | undefined = event.row?.title;
    // @ts-expect-error: a post has no `nope` field
    void event.row?.nope;
    check(title === undefined || title.startsWith("T"), JSON.stringify(event));
    events.push(event);
  },
  onError: (error) => errors.push(error),
});
await firstConnection;

await admin.from("org").create({ id: 1, name: "one" });
await admin.from("author").create({ id: 1, name: "Ada", org_id: 1 });
await admin.from("author").create({ id: 2, name: "Bob", org_id: 1 });
await admin.from("post").create({ id: 1, title: "T public", published: true, author_id: 2 });
await admin.from("post").create({ id: 2, title: "T Bob's draft", published: false, author_id: 2 });
await admin.from("post").create({ id: 3, title: "T Ada's draft", published: false, author_id: 1 });
await admin.from("post").create({ id: 4, title: "Filtered out", published: true, author_id: 1 });
await waitFor(2);
check(JSON.stringify(events.map((e) => [e.type, e.key[0]])) === '[["create",1],["create",3]]', JSON.stringify(events));
const first = events[0];
check(first !== undefined && first.type === "create" && first.row.title === "T public" && first.old === null, JSON.stringify(first));

// The connection drops; writes happen before the client reconnects.
requests[0]?.abort.abort();
await admin.from("post").create({ id: 5, title: "T while away", published: true, author_id: 2 });
await admin.from("post").update(1, { title: "T public, edited" });
await admin.from("post").delete(3);
release();
await waitFor(5);
check(requests.length === 2, `${requests.length} stream requests`);
check(requests[1]?.lastEventId === String(events[1]?.id), `reconnected with ${requests[1]?.lastEventId}, last id ${events[1]?.id}`);
check(JSON.stringify(events.map((e) => [e.type, e.key[0]])) === '[["create",1],["create",3],["create",5],["update",1],["delete",3]]', JSON.stringify(events));
const update = events[3];
check(update !== undefined && update.type === "update" && update.row?.title === "T public, edited" && update.old?.title === "T public", JSON.stringify(update));
const deleted = events[4];
check(deleted !== undefined && deleted.type === "delete" && deleted.row === null && deleted.old.id === 3, JSON.stringify(deleted));
check(subscription.lastEventId === String(deleted?.id), `lastEventId ${subscription.lastEventId}`);
check(errors.length === 1, `errors: ${errors.map(String).join("; ")}`);
subscription.close();
check(!subscription.active, "closed but active");

// A later subscription resumes from an id kept by the server.
const replayed: ChangeEvent<PostRow>[] = [];
const resumed = user.subscribe("post", { lastEventId: events[1]?.id, key: 1, onEvent: (event) => replayed.push(event) });
const started = Date.now();
while (replayed.length < 1 && Date.now() - started < 10000) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
resumed.close();
check(replayed.length === 1 && replayed[0]?.type === "update" && replayed[0]?.key[0] === 1, JSON.stringify(replayed));

// An id the server does not know: onReset.
const reset = await new Promise<string>((resolve) => {
  const gone = user.subscribe("post", {
    lastEventId: "1",
    onEvent: () => {},
    onReset: (why) => {
      gone.close();
      resolve(`${why.reason} ${why.last_event_id}`);
    },
  });
});
check(reset === "gap 1", reset);

// A refused subscription stops with the problem.
const refusal = await new Promise<unknown>((resolve) => {
  user.subscribe("post", { filter: { nope: 1 } as never, onEvent: () => {}, onError: resolve });
});
check(refusal instanceof BaasError && refusal.status === 400, String(refusal));
console.log("subscribe: ok");
process.exit(0);
"#;

#[test]
fn the_typescript_client_subscribes_and_resumes_after_a_reconnect() {
    let tsc = match crate::support::tools_output() {
        Ok(stdout) => stdout
            .lines()
            .find_map(|line| line.strip_prefix("TSC="))
            .map(std::path::PathBuf::from)
            .expect("setup.sh printed no TSC"),
        Err(error) if std::env::var_os("CI").is_none() => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skipping: {error}");
            }
            return;
        }
        Err(error) => panic!("{error}"),
    };
    let server = start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let manifest = baas::manifest::load_file(&server.dir.path().join("baas.toml"))
        .unwrap()
        .manifest;
    let origin = baas::codegen::Origin {
        manifest_path: "baas.toml".into(),
        version: manifest.version,
    };
    for file in baas::codegen::generate(&manifest, baas::codegen::Target::Ts, &origin).unwrap() {
        let path = dir.path().join("sdk").join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, file.content).unwrap();
    }
    std::fs::write(dir.path().join("subscribe.ts"), TS_SUBSCRIBE).unwrap();
    std::fs::write(dir.path().join("package.json"), r#"{ "type": "module" }"#).unwrap();
    let tsconfig = json!({
        "compilerOptions": {
            "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler",
            "lib": ["ES2022", "DOM"], "types": [], "strict": true,
            "noUncheckedIndexedAccess": true, "outDir": "build", "skipLibCheck": true,
        },
        "files": ["subscribe.ts"],
    });
    std::fs::write(dir.path().join("tsconfig.json"), tsconfig.to_string()).unwrap();
    let output = std::process::Command::new(&tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = std::process::Command::new("node")
        .arg("build/subscribe.js")
        .args([&server.url(""), SERVICE_KEY, &token("1", 1)])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("subscribe: ok"),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
}

/// A WebSocket handshake on `path` with `protocols` offered: the socket
/// and the selected subprotocol, or the refusal's status and body.
fn ws_handshake(
    server: &AuthServer,
    path: &str,
    protocols: Option<&str>,
) -> Result<(WsClient, Option<String>), (u16, String)> {
    let headers: Vec<(&str, &str)> = protocols
        .map(|protocols| ("sec-websocket-protocol", protocols))
        .into_iter()
        .collect();
    ws_handshake_with(server, path, &headers)
}

/// [`ws_handshake`] with `headers` added (a name may repeat).
fn ws_handshake_with(
    server: &AuthServer,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(WsClient, Option<String>), (u16, String)> {
    use tungstenite::client::IntoClientRequest as _;
    let url = server.url(path).replacen("http", "ws", 1);
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().append(name, value.parse().unwrap());
    }
    match tungstenite::connect(request) {
        Ok((socket, response)) => {
            if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
                stream
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
            }
            let selected = response
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap().to_owned());
            Ok((WsClient { socket }, selected))
        }
        Err(tungstenite::Error::Http(response)) => Err((
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned(),
        )),
        Err(error) => panic!("handshake on {path}: {error}"),
    }
}

/// Browsers cannot set `Authorization` on a WebSocket: the token is taken
/// from the subprotocol `baas.bearer.<token>` (the server selects `baas`)
/// or from `access_token` on the WebSocket route only, refused when bad or
/// sent twice, and never written to the log (which is at debug level).
#[test]
fn websocket_takes_a_browser_token_and_never_logs_it() {
    let server = start(&[]);
    orgs_and_authors(&server);
    let ada = token("1", 1);
    let forged = format!("{}x", token("2", 2));
    let by_query = ws_handshake(
        &server,
        &format!("/api/_realtime/ws?access_token={ada}&x=1"),
        None,
    );
    let by_protocol = ws_handshake(
        &server,
        "/api/_realtime/ws",
        Some(&format!("baas, baas.bearer.{ada}")),
    );
    let anonymous = ws_handshake(&server, "/api/_realtime/ws", Some("baas"));
    let mut clients = Vec::new();
    for (how, handshake) in [
        ("query", by_query),
        ("protocol", by_protocol),
        ("anonymous", anonymous),
    ] {
        let (mut client, selected) = handshake.unwrap_or_else(|e| panic!("{how}: {e:?}"));
        if how != "query" {
            assert_eq!(selected.as_deref(), Some("baas"), "{how}");
        }
        client.send(&json!({ "subscribe": ["post"] }));
        assert_eq!(client.json()["type"], "subscribed", "{how}");
        clients.push((how, client));
    }
    // Ada's draft: only a session that is Ada sees it.
    send(
        &server,
        "POST",
        "/api/post",
        SERVICE_KEY,
        Some(post(1, "draft", false, 1)),
    );
    send(
        &server,
        "POST",
        "/api/post",
        SERVICE_KEY,
        Some(post(2, "public", true, 2)),
    );
    for (how, client) in &mut clients {
        let expected = if *how == "anonymous" {
            vec![2]
        } else {
            vec![1, 2]
        };
        let got: Vec<i64> = client
            .events(expected.len())
            .into_iter()
            .map(|(_, id, _, _)| id)
            .collect();
        assert_eq!(got, expected, "{how}");
    }
    // A bad token is refused as on every route; both ways at once is a 400.
    let (status, body) = ws_handshake(
        &server,
        &format!("/api/_realtime/ws?access_token={forged}"),
        None,
    )
    .map(|_| ())
    .unwrap_err();
    assert_eq!(status, 401, "{body}");
    let (status, _) = ws_handshake(
        &server,
        "/api/_realtime/ws",
        Some(&format!("baas.bearer.{forged}")),
    )
    .map(|_| ())
    .unwrap_err();
    assert_eq!(status, 401);
    let (status, body) = ws_handshake(
        &server,
        &format!("/api/_realtime/ws?access_token={ada}"),
        Some(&format!("baas.bearer.{ada}")),
    )
    .map(|_| ())
    .unwrap_err();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not both"), "{body}");
    // Two tokens of one way, or a token beside `Authorization`: which one
    // counts would be a guess (the first, the last, the header), so none.
    let bearer_ada = format!("Bearer {ada}");
    let (protocol_ada, protocol_forged) = (
        format!("baas.bearer.{ada}"),
        format!("baas.bearer.{forged}"),
    );
    let both_in_one = format!("baas, {protocol_ada}, {protocol_forged}");
    let twice: [(String, Vec<(&str, &str)>); 4] = [
        (
            "/api/_realtime/ws".to_owned(),
            vec![("sec-websocket-protocol", both_in_one.as_str())],
        ),
        (
            "/api/_realtime/ws".to_owned(),
            vec![
                ("sec-websocket-protocol", protocol_forged.as_str()),
                ("sec-websocket-protocol", protocol_ada.as_str()),
            ],
        ),
        (
            format!("/api/_realtime/ws?access_token={forged}&access_token={ada}"),
            vec![],
        ),
        (
            format!("/api/_realtime/ws?access_token={forged}"),
            vec![("authorization", bearer_ada.as_str())],
        ),
    ];
    for (path, headers) in &twice {
        let (status, body) = ws_handshake_with(&server, path, headers)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(status, 400, "{path} {headers:?}: {body}");
        assert!(body.contains("not twice"), "{body}");
    }
    // Not on the SSE route (an EventSource-less client sends the header).
    let sse = Subscriber::open(
        &server,
        &format!("subscribe=post&access_token={ada}"),
        None,
        None,
    );
    assert_eq!(sse.status, 400, "{:?}", sse.problem);
    drop(clients);
    let log = server.log();
    assert!(
        log.contains("/api/_realtime/ws"),
        "requests are logged:\n{log}"
    );
    for secret in [&ada, &forged] {
        let signature = secret.rsplit('.').next().unwrap();
        assert!(!log.contains(signature), "a token is in the log:\n{log}");
    }
}

/// The listener follows hot reloads of `[realtime] external` on
/// PostgreSQL: started with it off (the triggers are in the database), a
/// plain-SQL write is not sent; turned on by editing baas.toml, it is;
/// turned off again, it no longer is (API writes are sent throughout).
#[test]
fn the_external_listener_follows_hot_reload_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create("realtime_follow") else {
        return;
    };
    let manifest = baas::manifest::load_str(std::path::Path::new("baas.toml"), external_manifest())
        .unwrap()
        .manifest;
    let statements =
        crate::support::create_statements(baas::migrate::render::Target::Postgres, &manifest);
    crate::support::block_on(database.execute(&statements));
    let url = database.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), crate::realtime::manifest()).unwrap();
    let server = AuthServer::start_with(
        dir,
        &[
            ("JWT_SECRET", SECRET),
            ("BAAS_SERVICE_KEY", SERVICE_KEY),
            ("BAAS_REALTIME_HEARTBEAT_MS", "200"),
        ],
        &["--db", &url],
    );
    let log_has = |text: &str| {
        let started = std::time::Instant::now();
        while !server.log().contains(text) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no `{text}` in the log:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert!(
        !server.log().contains("LISTEN baas_realtime"),
        "{}",
        server.log()
    );
    let subscriber = Subscriber::open(&server, "subscribe=post", None, None);
    assert_eq!(subscriber.status, 200);
    let sql = |statement: &str| {
        crate::support::block_on(database.execute(&[statement.to_owned()]));
    };
    sql("INSERT INTO org (id, name) VALUES (1, 'one')");
    sql("INSERT INTO author (id, name, org_id) VALUES (1, 'Ada', 1)");
    let api = |id: i64, title: &str| {
        send(
            &server,
            "POST",
            "/api/post",
            SERVICE_KEY,
            Some(post(id, title, true, 1)),
        );
    };
    let s = |kind: &str, key: i64| (kind.to_owned(), key, true, false);

    // A change from outside would be sent well within 500 ms (it is read
    // again through the store, so it may come after a later API write).
    let pause = || std::thread::sleep(Duration::from_millis(500));
    sql("INSERT INTO post (id, title, published, author_id) VALUES (1, 'outside, off', true, 1)");
    pause();
    api(2, "marker 1");
    assert_eq!(summary(&subscriber.until("marker 1")), [s("create", 2)]);

    std::fs::write(server.dir.path().join("baas.toml"), external_manifest()).unwrap();
    // Logged once the LISTEN is in place.
    log_has("[realtime] external is on");
    sql("INSERT INTO post (id, title, published, author_id) VALUES (3, 'outside, on', true, 1)");
    assert_eq!(
        summary(&subscriber.until("outside, on")),
        [s("create", 3)],
        "{}",
        server.log()
    );

    std::fs::write(
        server.dir.path().join("baas.toml"),
        crate::realtime::manifest(),
    )
    .unwrap();
    log_has("[realtime] external is off");
    sql(
        "INSERT INTO post (id, title, published, author_id) VALUES (5, 'outside, off again', true, 1)",
    );
    pause();
    api(6, "marker 3");
    assert_eq!(summary(&subscriber.until("marker 3")), [s("create", 6)]);
}

/// `[realtime] external = true` on the MongoDB-wire server (it reports a
/// replica set, so it has change streams): documents written with the
/// driver, outside baas, reach subscribers (created, updated, deleted;
/// under the list rule for an anonymous subscriber), and writes through
/// the API are sent exactly once.
#[test]
fn mongodb_change_streams_send_writes_made_outside_baas() {
    let Some(database) = crate::support::mongo::TempDatabase::create("realtime_stream") else {
        return;
    };
    // The post's key is the document's `_id`; the others keep their own.
    let text = external_manifest().replacen(
        "[entities.post.fields]\nid = { type = \"int64\" }",
        "[entities.post.fields]\nid = { type = \"int64\", column = \"_id\" }",
        1,
    );
    assert!(text.contains("column = \"_id\""), "{text}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), text).unwrap();
    let server = AuthServer::start_with(
        dir,
        &[
            ("JWT_SECRET", SECRET),
            ("BAAS_SERVICE_KEY", SERVICE_KEY),
            ("BAAS_REALTIME_HEARTBEAT_MS", "200"),
        ],
        &["--db", database.url()],
    );
    let log_has = |text: &str| {
        let started = std::time::Instant::now();
        while !server.log().contains(text) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no `{text}` in the log:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    log_has("the MongoDB change stream");
    log_has("[realtime] external is on");
    let service = Subscriber::open(&server, "subscribe=post", Some(SERVICE_KEY), None);
    let anonymous = Subscriber::open(&server, "subscribe=post", None, None);
    assert_eq!((service.status, anonymous.status), (200, 200));
    orgs_and_authors(&server);
    use mongodb::bson::doc;
    // Outside baas: the driver, on a client of its own.
    crate::support::block_on(async {
        let posts = database
            .connect()
            .await
            .collection::<mongodb::bson::Document>("post");
        let draft =
            doc! { "_id": 1_i64, "title": "outside draft", "published": false, "author_id": 1_i64 };
        posts.insert_one(draft).await.unwrap();
        let public =
            doc! { "_id": 2_i64, "title": "outside public", "published": true, "author_id": 1_i64 };
        posts.insert_one(public).await.unwrap();
        posts
            .update_one(
                doc! { "_id": 2_i64 },
                doc! { "$set": { "title": "outside public 2" } },
            )
            .await
            .unwrap();
        posts.delete_one(doc! { "_id": 1_i64 }).await.unwrap();
    });
    send(
        &server,
        "POST",
        "/api/post",
        SERVICE_KEY,
        Some(post(3, "API marker", true, 2)),
    );
    let s = |kind: &str, key: i64, row: bool, old: bool| (kind.to_owned(), key, row, old);
    // The API write is sent at commit, the outside ones as the change
    // stream reports them: all five, the outside ones in order.
    let seen: Vec<Message> = (0..5).map(|_| service.next()).collect();
    let mut summary = summary(&seen);
    let api = summary
        .iter()
        .position(|e| e.1 == 3)
        .unwrap_or_else(|| panic!("{seen:#?}"));
    summary.remove(api);
    assert_eq!(
        summary,
        [
            s("create", 1, true, false),
            s("create", 2, true, false),
            s("update", 2, true, true),
            s("delete", 1, false, true),
        ],
        "{seen:#?}\n{}",
        server.log()
    );
    let update = seen.iter().find(|m| m.data["type"] == "update").unwrap();
    assert_eq!(
        update.data["row"]["title"], "outside public 2",
        "{update:?}"
    );
    // Anonymous: the published post only (the draft's delete carries the
    // key only, which the list rule cannot show).
    let seen: Vec<Message> = (0..3).map(|_| anonymous.next()).collect();
    let mut keys: Vec<(String, i64)> = summary_keys(&seen);
    keys.sort();
    assert_eq!(
        keys,
        [
            ("create".into(), 2),
            ("create".into(), 3),
            ("update".into(), 2)
        ],
        "{seen:#?}"
    );
    // Nothing twice: one more API write is the next event.
    send(
        &server,
        "POST",
        "/api/post",
        SERVICE_KEY,
        Some(post(4, "API marker 2", true, 2)),
    );
    let after = service.until("API marker 2");
    assert_eq!(
        summary_keys(&after),
        [("create".to_owned(), 4)],
        "{after:#?}"
    );
}

fn summary_keys(messages: &[Message]) -> Vec<(String, i64)> {
    messages
        .iter()
        .map(|m| {
            (
                m.event.clone(),
                m.data["key"][0].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

/// A program using the generated Rust client's `subscribe()` stream: a
/// filtered subscription receives typed create/update/delete events of the
/// rows it selects (not the others), and a resume from an id the server
/// never gave yields `Realtime::Reset`.
const RUST_SUBSCRIBE: &str = r#"use bookshop_example_client::*;
use futures_util::StreamExt as _;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = std::env::args().nth(1).unwrap();
    let db = Client::new(url);
    let mut changes = Box::pin(
        db.from::<Author>()
            .filter(Author::name().like("R%"))
            .subscribe()
            .retry(std::time::Duration::from_millis(100))
            .stream(),
    );
    // Let the stream open before writing.
    let first = tokio::time::timeout(std::time::Duration::from_millis(300), changes.next()).await;
    assert!(first.is_err(), "nothing yet: {first:?}");
    let a = db.from::<Author>().create(&AuthorInsert { name: "Rust".into(), bio: None, born_on: None }).await?;
    let _skip = db.from::<Author>().create(&AuthorInsert { name: "Not shown".into(), bio: None, born_on: None }).await?;
    db.from::<Author>().update(&a.id, &AuthorUpdate { name: Some("Rusty".into()), ..Default::default() }).await?;
    db.from::<Author>().delete(&a.id).await?;
    for _ in 0..3 {
        let item = tokio::time::timeout(std::time::Duration::from_secs(5), changes.next()).await.expect("an event").expect("open")?;
        match item {
            Realtime::Change(change) => println!("{:?} {} row={:?} old={:?}", change.kind, change.id, change.row.map(|r| r.name), change.old.map(|r| r.name)),
            Realtime::Reset { last_event_id } => println!("reset {last_event_id}"),
        }
    }
    // A resume from an id the server does not know: a reset.
    let mut gone = Box::pin(db.from::<Author>().subscribe().last_event_id(1).stream());
    match gone.next().await {
        Some(Ok(Realtime::Reset { last_event_id })) => println!("reset {last_event_id}"),
        other => panic!("{other:?}"),
    }
    println!("rust stream: ok");
    Ok(())
}
"#;

#[allow(clippy::print_stderr)]
#[test]
fn the_rust_client_streams_typed_changes() {
    let dir = tempfile::tempdir().unwrap();
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/example/baas.toml");
    let manifest = baas::manifest::load_file(&example).unwrap().manifest;
    let origin = baas::codegen::Origin {
        manifest_path: "baas.toml".into(),
        version: manifest.version,
    };
    let sdk = dir.path().join("sdk");
    for file in baas::codegen::generate(&manifest, baas::codegen::Target::Rust, &origin).unwrap() {
        let path = sdk.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, file.content).unwrap();
    }
    let cargo_toml = sdk.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&cargo_toml).unwrap();
    assert!(
        text.contains("name = \"bookshop_example_client\""),
        "{text}"
    );
    text.push_str("\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\", \"time\"] }\n");
    std::fs::write(&cargo_toml, text).unwrap();
    std::fs::create_dir_all(sdk.join("examples")).unwrap();
    std::fs::write(sdk.join("examples/smoke.rs"), RUST_SUBSCRIBE).unwrap();
    let smoke = crate::codegen::build_rust_example(&sdk, "smoke");
    let server = AuthServer::start_with(tempfile::tempdir().unwrap(), &[], &["--example"]);
    let output = std::process::Command::new(smoke)
        .arg(server.url(""))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    let lines: Vec<String> = stdout
        .lines()
        .map(|line| {
            // Drop the event ids.
            let mut words: Vec<&str> = line.split(' ').collect();
            if words.len() > 2 && words[1].chars().all(|c| c.is_ascii_digit()) {
                words.remove(1);
            }
            words.join(" ")
        })
        .collect();
    assert_eq!(
        lines,
        [
            "Create row=Some(\"Rust\") old=None",
            "Update row=Some(\"Rusty\") old=Some(\"Rust\")",
            "Delete row=None old=Some(\"Rusty\")",
            "reset 1",
            "rust stream: ok",
        ],
        "{stdout}"
    );
}
