//! `[[hooks]]` through a real `baas serve` on SQLite and PostgreSQL: a
//! before-hook rewrites the body or refuses the write (422, 403); an
//! after-hook sees the committed row and its failure never undoes the
//! write; the sandbox stops an infinite loop and a memory bomb with a clear
//! problem while the server keeps serving, has no `require`, `import`,
//! `process`, `Deno` or `fetch`, and what a hook does to the objects it is
//! given (prototype pollution included) never reaches the host or the next
//! call; a hook file with a syntax error is reported as `file:line:col` on
//! reload and the previous hook keeps running. Also the manifest side:
//! `[[hooks]]` is checked with locations and saved back unchanged.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::auth::{AuthServer, agent, answer, post_json};

const MANIFEST: &str = r#"[manifest]
format = 1
version = 1

[entities.post]
table = "post"
primary_key = ["id"]

[entities.post.fields]
id = { type = "int64" }
title = { type = "string" }
slug = { type = "string", nullable = true }

[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = { type = "int64" }
body = { type = "string" }

[[hooks]]
on = "post.create.before"
run = "hooks/post.js"
timeout_ms = 300
memory_mb = 8

[[hooks]]
on = "post.create.after"
run = "hooks/audit.js"

[[hooks]]
on = "post.update.after"
run = "hooks/broken_after.js"

[[hooks]]
on = "*.delete.before"
run = "hooks/keep.js"
"#;

/// The before-hook of `post` creates: what it does depends on the title.
const POST_JS: &str = r#"// Rewrites or refuses a post by its title (test cases).
function hook(event) {
  const body = event.body;
  switch (body.title) {
    case "forbidden":
      reject("titles may not be forbidden", 403);
    case "":
      reject("a post needs a title");
    case "throw":
      throw new Error("thrown from the hook");
    case "loop":
      for (;;) {}
    case "bomb": {
      const hoard = [];
      for (;;) hoard.push("x".repeat(100000) + hoard.length);
    }
    case "require":
      return { ...body, slug: String(require("fs")) };
    case "process":
      return { ...body, slug: process.env.HOME };
    case "deno":
      return { ...body, slug: Deno.readTextFileSync("/etc/passwd") };
    case "fetch":
      return { ...body, slug: String(fetch("http://127.0.0.1/")) };
    case "import":
      return import("fs").then((fs) => ({ ...body, slug: String(fs) }));
    case "pollute":
      Object.prototype.polluted = "yes";
      Array.prototype.push = () => 0;
      event.__proto__.admin = true;
      JSON.parse = () => ({ hijacked: true });
      return { ...body, slug: "polluted" };
    case "probe":
      return {
        ...body,
        slug: JSON.stringify({
          polluted: {}.polluted ?? null,
          admin: event.admin ?? null,
          globals: ["require", "process", "Deno", "fetch", "std", "os", "module", "exports",
            "setTimeout", "XMLHttpRequest", "WebSocket"]
            .filter((name) => typeof globalThis[name] !== "undefined"),
        }),
      };
    case "proto":
      return JSON.parse('{"id": ' + body.id + ', "title": "proto", "__proto__": {"admin": true}}');
    case "number":
      return 42;
    default:
      return { ...body, slug: body.title.toLowerCase().replaceAll(" ", "-") };
  }
}
"#;

const AUDIT_JS: &str = r#"function hook(event) {
  console.log("committed " + JSON.stringify({ action: event.action, key: event.key, row: event.row }));
}
"#;

const BROKEN_AFTER_JS: &str = r#"function hook(event) {
  throw new Error("the after-hook failed on " + event.row.title);
}
"#;

const KEEP_JS: &str = r#"function hook(event) {
  if (event.old.title === "keep") reject(event.entity + " " + event.key[0] + " is kept", 403);
}
"#;

fn start(args: &[&str]) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path());
    AuthServer::start_with(dir, &[], args)
}

fn write_project(dir: &Path) {
    std::fs::write(dir.join("baas.toml"), MANIFEST).unwrap();
    let hooks = dir.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for (name, text) in [
        ("post.js", POST_JS),
        ("audit.js", AUDIT_JS),
        ("broken_after.js", BROKEN_AFTER_JS),
        ("keep.js", KEEP_JS),
    ] {
        std::fs::write(hooks.join(name), text).unwrap();
    }
}

fn create(server: &AuthServer, id: i64, title: &str) -> (u16, Value) {
    post_json(
        server,
        "/api/post",
        json!({ "id": id, "title": title }),
        None,
    )
}

fn send(server: &AuthServer, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let request = agent()
        .run(
            ureq::http::Request::builder()
                .method(method)
                .uri(server.url(path))
                .header("content-type", "application/json")
                .body(body.map(|b| b.to_string()).unwrap_or_default())
                .unwrap(),
        )
        .unwrap();
    let (status, body, _) = answer(request);
    (status, body)
}

/// Waits until the server's log has `needle`; the log.
fn wait_for_log(server: &AuthServer, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let log = server.log();
        if log.contains(needle) {
            return log;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the log never had {needle:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Everything hooks do through the API, on one server.
fn hooks_flow(server: &AuthServer) {
    // A before-hook rewrites the body: the slug is derived and stored.
    let (status, body) = create(server, 1, "Hello Hooks World");
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["slug"], "hello-hooks-world", "{body}");
    let (status, body) = send(server, "GET", "/api/post/1", None);
    assert_eq!((status, &body["slug"]), (200, &json!("hello-hooks-world")));

    // The after-hook saw the committed row, key included.
    wait_for_log(
        server,
        r#"committed {"action":"create","key":[1],"row":{"id":1,"title":"Hello Hooks World","slug":"hello-hooks-world"}}"#,
    );

    // reject(message) is 422, reject(message, 403) is 403, a throw is 422:
    // each with the hook's message, and nothing written.
    for (id, title, status, detail) in [
        (2, "", 422, "a post needs a title"),
        (3, "forbidden", 403, "titles may not be forbidden"),
        (4, "throw", 422, "thrown from the hook"),
    ] {
        let (got, body) = create(server, id, title);
        assert_eq!(got, status, "{title:?}: {body}");
        assert_eq!(body["detail"], detail, "{body}");
        assert_eq!(body["type"], "urn:baas:problem:hook-rejected", "{body}");
        let (got, _) = send(server, "GET", &format!("/api/post/{id}"), None);
        assert_eq!(got, 404, "{title:?} was written");
    }

    // A before-hook that returns no object is a failed hook, not a write.
    let (status, body) = create(server, 5, "number");
    assert_eq!(status, 500, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("returned a number"),
        "{body}"
    );

    // An infinite loop is stopped at its time limit with a clear problem,
    // and the server keeps serving (also while the loop runs).
    let looping = {
        let base = server.url("/api/post");
        std::thread::spawn(move || {
            let started = Instant::now();
            let response = agent()
                .post(&base)
                .content_type("application/json")
                .send(json!({ "id": 6, "title": "loop" }).to_string())
                .unwrap();
            let (status, body, _) = answer(response);
            (status, body, started.elapsed())
        })
    };
    let (status, _) = send(server, "GET", "/api/post", None);
    assert_eq!(status, 200);
    let (status, body, took) = looping.join().unwrap();
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["type"], "urn:baas:problem:hook-failed", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("hooks/post.js") && detail.contains("time limit of 300 ms"),
        "{body}"
    );
    assert!(took < Duration::from_secs(10), "the loop ran {took:?}");

    // A memory bomb is stopped at its memory limit, not its time limit.
    let (status, body) = create(server, 7, "bomb");
    assert_eq!(status, 500, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("memory limit of 8 MiB"),
        "{body}"
    );
    let (status, body) = create(server, 8, "After The Storm");
    assert_eq!((status, &body["slug"]), (201, &json!("after-the-storm")));

    // No module system, process, Deno or fetch: each is a ReferenceError
    // (422 with its message), and dynamic import finds no loader.
    for (id, title, message) in [
        (9, "require", "require is not defined"),
        (10, "process", "process is not defined"),
        (11, "deno", "Deno is not defined"),
        (12, "fetch", "fetch is not defined"),
    ] {
        let (status, body) = create(server, id, title);
        assert_eq!(status, 422, "{title}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(message),
            "{title}: {body}"
        );
    }
    let (status, body) = create(server, 13, "import");
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("fs"),
        "import: {body}"
    );

    // Prototype pollution stays in the call that did it: the next call
    // sees clean built-ins and the host's objects are untouched.
    let (status, body) = create(server, 14, "pollute");
    assert_eq!((status, &body["slug"]), (201, &json!("polluted")), "{body}");
    let (status, body) = create(server, 15, "probe");
    assert_eq!(status, 201, "{body}");
    let probe: Value = serde_json::from_str(body["slug"].as_str().unwrap()).unwrap();
    assert_eq!(
        probe,
        json!({ "polluted": null, "admin": null, "globals": [] }),
        "{body}"
    );
    // An own `__proto__` key comes back as a plain (unknown) field.
    let (status, body) = create(server, 16, "proto");
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("__proto__"), "{body}");
    let (status, body) = send(server, "GET", "/api/post/14", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "title", "slug"],
        "{body}"
    );

    // A failing after-hook is logged; the update stays committed.
    let (status, body) = send(
        server,
        "PATCH",
        "/api/post/1",
        Some(json!({ "title": "Edited" })),
    );
    assert_eq!((status, &body["title"]), (200, &json!("Edited")), "{body}");
    wait_for_log(server, "the after-hook failed on Edited");
    let (_, body) = send(server, "GET", "/api/post/1", None);
    assert_eq!(body["title"], "Edited");

    // `*.delete.before` sees the stored row: it refuses to delete one.
    let (status, _) = post_json(server, "/api/note", json!({ "id": 1, "body": "x" }), None);
    assert_eq!(status, 201);
    let (status, _) = create(server, 20, "keep");
    assert_eq!(status, 201);
    let (status, body) = send(server, "DELETE", "/api/post/20", None);
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["detail"], "post 20 is kept", "{body}");
    let (status, _) = send(server, "DELETE", "/api/post/8", None);
    assert_eq!(status, 204);
    let (status, _) = send(server, "DELETE", "/api/note/1", None);
    assert_eq!(status, 204);
    let (status, _) = send(server, "DELETE", "/api/note/1", None);
    assert_eq!(status, 404);
}

#[test]
fn hooks_on_sqlite() {
    hooks_flow(&start(&[]));
}

#[test]
fn hooks_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create("hooks") else {
        return;
    };
    crate::support::block_on(database.execute(&[
        "CREATE TABLE post (id bigint PRIMARY KEY, title text NOT NULL, slug text)".into(),
        "CREATE TABLE note (id bigint PRIMARY KEY, body text NOT NULL)".into(),
    ]));
    hooks_flow(&start(&["--db", &database.url()]));
}

/// A hook file saved with a syntax error is reported with its
/// `file:line:col` and the previous hook keeps running; a valid save is
/// picked up.
#[test]
fn hook_reload_keeps_the_old_hook_on_a_syntax_error() {
    let server = start(&[]);
    let file = server.dir.path().join("hooks/post.js");
    wait_for_log(&server, "Serving");

    std::fs::write(
        &file,
        "function hook(event) {\n  return { ...event.body, slug: \"v2\" };\n}\n",
    )
    .unwrap();
    wait_for_log(&server, "reloaded the hooks");
    let (status, body) = create(&server, 1, "One");
    assert_eq!((status, &body["slug"]), (201, &json!("v2")), "{body}");

    std::fs::write(
        &file,
        "function hook(event) {\n  return { ...event.body, slug: \"v3\" ;\n}\n",
    )
    .unwrap();
    // (An editor's save may first show an empty file: also refused.)
    let log = wait_for_log(&server, "hooks/post.js:2:");
    assert!(log.contains("a hook does not load"), "{log}");
    let (status, body) = create(&server, 2, "Two");
    assert_eq!((status, &body["slug"]), (201, &json!("v2")), "{body}");

    // A static import is a syntax error of a script: refused the same way.
    std::fs::write(&file, "import fs from \"fs\";\nfunction hook(event) {}\n").unwrap();
    wait_for_log(&server, "hooks/post.js:1:");
    let (status, body) = create(&server, 3, "Three");
    assert_eq!((status, &body["slug"]), (201, &json!("v2")), "{body}");
}

/// A manifest whose hook does not load is refused at start-up, with the
/// file and place.
#[test]
fn serve_refuses_a_hook_with_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path());
    std::fs::write(dir.path().join("hooks/post.js"), "function hook( {\n").unwrap();
    let output = crate::support::baas(dir.path())
        .args(["serve", "--port", "0"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    // The file ends inside the parameter list: at the end of line 1, the
    // start of line 2.
    assert!(
        stderr.contains("hooks/post.js:2:1: SyntaxError"),
        "{stderr}"
    );
}

#[test]
fn hooks_in_the_manifest_are_checked_and_saved_back() {
    let path = Path::new("baas.toml");
    let loaded = baas::manifest::load_str(path, MANIFEST.to_owned()).unwrap();
    assert_eq!(loaded.manifest.hooks.len(), 4);
    assert_eq!(loaded.manifest.hooks[0].timeout_ms, Some(300));
    let saved = baas::manifest::to_toml(&loaded.manifest);
    let again = baas::manifest::load_str(path, saved.clone()).unwrap();
    assert_eq!(again.manifest, loaded.manifest, "{saved}");
    assert!(saved.contains("[[hooks]]\non = \"post.create.before\"\nrun = \"hooks/post.js\"\ntimeout_ms = 300\nmemory_mb = 8\n"), "{saved}");

    for (bad, message) in [
        ("on = \"post.create\"", "is not a hook event"),
        (
            "on = \"post.create.during\"",
            "`during` is not a hook phase",
        ),
        (
            "on = \"post.list.before\"",
            "`list` is not an action hooks run around",
        ),
        (
            "on = \"posts.create.before\"",
            "the hook runs on `posts`, which is no entity",
        ),
        (
            "on = \"post.create.before\"\nrun = \"../x.js\"",
            "must be a path inside",
        ),
        ("on = \"post.create.before\"\ntimeout_ms = 0", "timeout_ms"),
        (
            "on = \"post.create.before\"\nmemory_mb = 4096",
            "more than the largest allowed",
        ),
        ("on = \"post.create.before\"\nwhen = 1", "when"),
    ] {
        let run = if bad.contains("run =") {
            ""
        } else {
            "\nrun = \"hooks/x.js\""
        };
        let text = format!(
            "[manifest]\nformat = 1\nversion = 1\n\n[entities.post]\ntable = \"post\"\n[entities.post.fields]\nid = {{ type = \"int64\" }}\n\n[[hooks]]\n{bad}{run}\n"
        );
        let diagnostics = baas::manifest::load_str(path, text.clone())
            .err()
            .unwrap_or_else(|| panic!("accepted:\n{text}"));
        let problem = diagnostics
            .problems
            .iter()
            .find(|p| p.message.contains(message) || p.path.contains(message))
            .unwrap_or_else(|| panic!("{message:?} not in {:?}", diagnostics.problems));
        let span = problem.span.clone().expect("a location");
        let (line, _) = diagnostics.line_column(span.start);
        assert!(line >= 11, "{message}: line {line}");
    }
}

/// The sandbox without a server: what escapes a limit or a refusal when
/// the hook tries to (catching the interrupt, recursion without end, a
/// status that is no client error), and async hooks.
#[test]
fn the_sandbox_holds_when_a_hook_fights_it() {
    use baas::hooks::{HookError, HookSet, Hooks};

    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // The interrupt cannot be caught: the loop goes on after a catch
        // and is stopped again.
        (
            "catch_loop",
            "function hook() { for (;;) { try { for (;;) {} } catch (e) {} } }",
        ),
        (
            "catch_bomb",
            "function hook() { const a = []; for (;;) { try { a.push('x'.repeat(1 << 20)); } catch (e) {} } }",
        ),
        (
            "recurse",
            "function hook() { const f = (n) => f(n + 1) + 1; return f(0); }",
        ),
        ("status", "function hook() { reject('no', 999); }"),
        ("thrown_string", "function hook() { throw 'plain string'; }"),
        (
            "async",
            "async function hook(event) { const v = await Promise.resolve(event.body.n * 2); return { n: v }; }",
        ),
        ("never", "function hook() { return new Promise(() => {}); }"),
    ];
    let mut manifest = String::from(
        "[manifest]\nformat = 1\nversion = 1\n\n[entities.post]\ntable = \"post\"\n[entities.post.fields]\nid = { type = \"int64\" }\n",
    );
    std::fs::create_dir_all(dir.path().join("hooks")).unwrap();
    for (name, source) in cases {
        std::fs::write(dir.path().join(format!("hooks/{name}.js")), source).unwrap();
        manifest.push_str(&format!(
            "\n[[hooks]]\non = \"post.create.before\"\nrun = \"hooks/{name}.js\"\ntimeout_ms = 200\nmemory_mb = 8\n"
        ));
    }
    let manifest = baas::manifest::load_str(Path::new("baas.toml"), manifest)
        .unwrap()
        .manifest;
    let set = HookSet::load(&manifest, dir.path()).unwrap();
    let scripts: Vec<_> = set
        .matching("post", "create", baas::manifest::HookPhase::Before)
        .cloned()
        .collect();
    let hooks = Hooks::default();
    let event = json!({ "body": { "n": 21 } });
    let results: Vec<_> = scripts
        .iter()
        .map(|script| {
            let started = Instant::now();
            let result = crate::support::block_on(hooks.call(script, &event));
            (script.run.clone(), result, started.elapsed())
        })
        .collect();
    let by_name = |name: &str| {
        results
            .iter()
            .find(|(run, ..)| run == &format!("hooks/{name}.js"))
            .unwrap()
    };
    let (_, result, took) = by_name("catch_loop");
    assert!(
        matches!(result, Err(HookError::Timeout { ms: 200, .. })),
        "{result:?}"
    );
    assert!(*took < Duration::from_secs(5), "{took:?}");
    let (_, result, _) = by_name("catch_bomb");
    assert!(
        matches!(
            result,
            Err(HookError::Memory { mb: 8, .. } | HookError::Timeout { .. })
        ),
        "{result:?}"
    );
    let (_, result, _) = by_name("recurse");
    assert!(
        matches!(result, Err(HookError::Thrown { message, .. }) if message.contains("stack")),
        "{result:?}"
    );
    let (_, result, _) = by_name("status");
    assert!(
        matches!(result, Err(HookError::Rejected { status: 422, .. })),
        "{result:?}"
    );
    let (_, result, _) = by_name("thrown_string");
    assert!(
        matches!(result, Err(HookError::Thrown { message, .. }) if message == "plain string"),
        "{result:?}"
    );
    let (_, result, _) = by_name("async");
    assert_eq!(result, &Ok(Some(json!({ "n": 42 }))));
    // A file that defines no hook does not load, and says so.
    std::fs::write(dir.path().join("hooks/none.js"), "var hook = 1;\n").unwrap();
    let mut without = manifest.clone();
    without.hooks.truncate(1);
    without.hooks[0].run = "hooks/none.js".into();
    let problems = HookSet::load(&without, dir.path()).unwrap_err();
    assert_eq!(
        problems,
        ["hooks/none.js: the file defines no `function hook(event)`"]
    );
    let (_, result, _) = by_name("never");
    assert!(
        matches!(result, Err(HookError::Thrown { message, .. }) if message.contains("never settles")),
        "{result:?}"
    );
}
