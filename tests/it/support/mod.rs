//! Shared helpers: the fixture corpus, temporary projects, the real binary,
//! and a throwaway database per engine ([`postgres`], [`mysql`], [`mongo`],
//! [`sqlite`]): created under a name no other test uses, dropped when the
//! value is.

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub mod mongo;
pub mod mysql;
pub mod postgres;
pub mod sqlite;
pub mod tenancy;

mod tests;

/// The shared real-world corpus (`../shared/fixtures` beside the clone, or
/// `$BAAS_FIXTURES`). Panics with a clear message when it is absent: CI always
/// has it, and a silently skipped fidelity test would prove nothing.
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("BAAS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    assert!(
        dir.join("PROVENANCE.md").is_file(),
        "the shared fixture corpus is absent: expected it at `{}` (set BAAS_FIXTURES to its path)",
        dir.display()
    );
    dir
}

/// A file of the shared corpus, e.g. `corpus_file("sql/sqlite/Chinook_Sqlite.sql")`.
pub fn corpus_file(relative: &str) -> PathBuf {
    let path = corpus().join(relative);
    assert!(
        path.is_file(),
        "corpus file `{}` is missing",
        path.display()
    );
    path
}

/// This repository's own `fixtures/` folder.
#[allow(dead_code)]
pub fn project_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The URL of a test server started by `tests/servers/start.sh`
/// (`BAAS_TEST_POSTGRES_URL`, `BAAS_TEST_MYSQL_URL`, `BAAS_TEST_MONGODB_URL`).
///
/// Under `bash tests/run.sh` (which sets `CI`) a missing server is a failure,
/// never a silent skip. A developer running plain `cargo test` without the
/// servers gets `None` and a note on stderr.
#[allow(dead_code, clippy::print_stderr)]
pub fn server_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "`{variable}` is not set: the test servers did not start (run the suite with `bash tests/run.sh`)"
        ),
        _ => {
            eprintln!(
                "skipping: `{variable}` is not set; `bash tests/run.sh` starts the test servers"
            );
            None
        }
    }
}

/// A database name no other test uses, now or in an earlier run:
/// `baas_t_<label>_<pid>_<n>_<nanoseconds>`, of lowercase ASCII letters,
/// digits and underscores only (so it is safe to splice into a statement as
/// an identifier) and short enough for every engine (PostgreSQL stops at 63
/// bytes).
pub fn unique_name(label: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let label = unique_label(label);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    format!(
        "baas_t_{label}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `label` as at most 20 lowercase ASCII letters, digits and underscores.
pub(crate) fn unique_label(label: &str) -> String {
    label
        .chars()
        .take(20)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs `future` on a thread of its own with a small runtime of its own, so
/// that it works from a plain `#[test]` and from inside an async test alike
/// (where blocking on the test's own runtime would panic). A panic in
/// `future` is the caller's panic.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for a test helper")
                    .block_on(future)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// [`block_on`] for cleanup in `Drop`: never panics, and gives up quietly
/// when the runtime cannot start or `future` panics.
pub(crate) fn block_on_quietly<F>(future: F)
where
    F: Future<Output = ()> + Send,
{
    std::thread::scope(|scope| {
        let _ = scope
            .spawn(|| {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    runtime.block_on(future);
                }
            })
            .join();
    });
}

/// Runs a database's command-line client with `input` on its stdin
/// (written from a thread of its own, so a client that answers while it
/// reads cannot block on a full pipe), capturing stdout and stderr.
pub(crate) fn run_client(command: &mut Command, input: Option<&str>, what: &str) -> Output {
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {what}: {error}"));
    std::thread::scope(|scope| {
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A client that stops at an error closes its stdin early: what
            // it printed says why.
            scope.spawn(move || {
                let _ = stdin.write_all(input.as_bytes());
            });
        }
        child
            .wait_with_output()
            .unwrap_or_else(|error| panic!("{what} did not finish: {error}"))
    })
}

/// The text of a client's output, for messages and comparisons.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The real binary, run in `dir` with no colors, a private HOME and none of
/// the environment variables that would change what it reads.
#[allow(dead_code)]
pub fn baas(dir: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("baas").unwrap();
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env_remove("BAAS_MANIFEST")
        .env_remove("BAAS_DATABASE_URL")
        .env_remove("BAAS_API_KEY");
    command
}

/// The exit code and the output (stdout, then stderr) of `baas ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = baas(dir).args(args).output().unwrap();
    (
        output.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// A small deterministic generator (xorshift): fuzz cases are the same on
/// every run, so a failure can be replayed.
#[allow(dead_code)]
pub struct XorShift(pub u64);

#[allow(dead_code)]
impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Truncations and single-byte corruptions of `text` (ASCII bytes replaced
/// by bytes of `noise`, so the result stays UTF-8), `count` of each, named
/// for failure messages.
#[allow(dead_code)]
pub fn mangled(
    text: &str,
    noise: &[u8],
    random: &mut XorShift,
    count: usize,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(2 * count);
    for _ in 0..count {
        let mut cut = random.below(text.len() + 1);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push((format!("cut at {cut}"), text[..cut].to_owned()));
    }
    for _ in 0..count {
        let mut bytes = text.as_bytes().to_vec();
        let at = random.below(bytes.len());
        if bytes.get(at).is_none_or(|b| !b.is_ascii()) {
            continue;
        }
        bytes[at] = noise[random.below(noise.len())];
        if let Ok(corrupted) = String::from_utf8(bytes) {
            out.push((format!("byte {at} replaced"), corrupted));
        }
    }
    out
}

/// Runs an importer on `text`: it must not panic, whatever imports must be a
/// valid manifest, and every problem must point inside the text.
#[allow(dead_code)]
pub fn import_never_panics(
    text: &str,
    case: &str,
    parse: impl Fn(&str) -> Result<baas::introspect::Introspection, baas::manifest::Diagnostics>
    + std::panic::RefUnwindSafe,
) {
    match std::panic::catch_unwind(|| parse(text)) {
        Err(_) => panic!("the importer panicked on {case}:\n{text}"),
        Ok(Ok(introspection)) => {
            let problems = baas::manifest::validate(&introspection.manifest);
            assert!(
                problems.is_empty(),
                "{case} imported into an invalid manifest: {problems:#?}\n{text}"
            );
        }
        Ok(Err(diagnostics)) => {
            for problem in &diagnostics.problems {
                let span = problem.span.clone().expect("every problem has a location");
                assert!(
                    span.start <= span.end && span.end <= text.len(),
                    "{case}: span {span:?} is outside the text"
                );
                assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }
}

/// The manifest passes the validator and survives save → load unchanged.
#[allow(dead_code)]
pub fn assert_valid_and_round_trips(manifest: &baas::manifest::Manifest) {
    let problems = baas::manifest::validate(manifest);
    assert!(problems.is_empty(), "invalid manifest: {problems:#?}");
    let text = baas::manifest::to_toml(manifest);
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), text).unwrap_or_else(|d| {
        panic!(
            "the saved manifest does not load:\n{}",
            baas::diagnostics::render_problems(&d, false)
        )
    });
    assert_eq!(&loaded.manifest, manifest);
}

/// `(object, kind)` of every ledger entry, in ledger order.
#[allow(dead_code)]
pub fn ledger_kinds(introspection: &baas::introspect::Introspection) -> Vec<(String, String)> {
    introspection
        .ledger
        .entries()
        .into_iter()
        .map(|e| (e.object.clone(), e.kind.clone()))
        .collect()
}

/// How many ledger entries are of `kind`.
#[allow(dead_code)]
pub fn count_kind(introspection: &baas::introspect::Introspection, kind: &str) -> usize {
    introspection
        .ledger
        .entries()
        .into_iter()
        .filter(|e| e.kind == kind)
        .count()
}

/// The ledger, one `object | kind | message` line per entry (for snapshots).
#[allow(dead_code)]
pub fn ledger_text(introspection: &baas::introspect::Introspection) -> String {
    introspection
        .ledger
        .entries()
        .into_iter()
        .map(|e| format!("{} | {} | {}\n", e.object, e.kind, e.message))
        .collect()
}

/// What `tests/tools/setup.sh` prints (`NAME=path` lines), run once per
/// test binary; the error says why it could not run.
pub fn tools_output() -> Result<&'static str, String> {
    static OUTPUT: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    OUTPUT
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/setup.sh");
            let output = std::process::Command::new("bash")
                .arg(&script)
                .output()
                .map_err(|error| format!("cannot run `{}`: {error}", script.display()))?;
            if !output.status.success() {
                return Err(format!(
                    "`{}` failed:\n{}",
                    script.display(),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// Checks `document` with `openapi-spec-validator` (from
/// `tests/tools/setup.sh`), written into `dir`; without the tools, passes
/// unless under `CI`.
pub fn assert_valid_openapi(document: &serde_json::Value, dir: &Path) {
    let tools = match tools_output() {
        Ok(tools) => tools,
        Err(error) if std::env::var_os("CI").is_some() => panic!("{error}"),
        Err(_) => return,
    };
    let validator = tools
        .lines()
        .find_map(|line| line.strip_prefix("OPENAPI_SPEC_VALIDATOR="))
        .expect("setup.sh printed no OPENAPI_SPEC_VALIDATOR");
    let path = dir.join("openapi-to-validate.json");
    std::fs::write(&path, document.to_string()).unwrap();
    let output = Command::new(validator).arg(&path).output().unwrap();
    assert!(
        output.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The statements that create `manifest` on an empty database of `target`,
/// from the migration renderer (what `baas migrate` would run).
pub fn create_statements(
    target: baas::migrate::render::Target,
    manifest: &baas::manifest::Manifest,
) -> Vec<String> {
    let empty = baas::manifest::Manifest::default();
    let changes = baas::diff::diff(&empty, manifest);
    baas::migrate::render::render(target, &empty, manifest, &changes)
        .unwrap_or_else(|error| panic!("render for {target:?}: {error}"))
        .up
        .statements
        .into_iter()
        .map(|statement| statement.text)
        .collect()
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the `baas serve` in `child`, its stderr written to `log`,
/// answers `/api/_health` at `base`, panicking with the log if it ends or
/// takes longer than `within`. A port from [`free_port`] was only free a
/// moment ago and another test's server may have taken it since: only the
/// child's own "Serving <base>/api" line says the answer comes from it.
pub fn await_serving(
    child: &mut std::process::Child,
    log: &Path,
    base: &str,
    within: std::time::Duration,
) {
    let serving = format!("Serving {base}/api");
    let read = || std::fs::read_to_string(log).unwrap_or_default();
    let started = std::time::Instant::now();
    while started.elapsed() < within {
        if read().contains(&serving) && ureq::get(&format!("{base}/api/_health")).call().is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("`baas serve` at {base} ended ({status}):\n{}", read());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!(
        "`baas serve` did not answer at {base} within {within:?}:\n{}",
        read()
    );
}

/// A child process started with its stdout piped, whose first line was
/// read (a server saying its port or that it is ready), killed on drop.
pub struct Spawned {
    pub child: std::process::Child,
    /// The first line it printed, without the line end.
    pub line: String,
}

impl Spawned {
    /// Starts `command` and reads its first line of stdout, panicking with
    /// what it is when it cannot start or ends before printing one.
    pub fn start(command: &mut Command) -> Self {
        use std::io::BufRead as _;
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        let mut line = String::new();
        let read = std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let spawned = Self {
            child,
            line: line.trim_end().to_owned(),
        };
        assert!(
            matches!(read, Ok(n) if n > 0),
            "{command:?} printed no line ({read:?})"
        );
        spawned
    }

    /// Kills the process and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
    }
}
