//! Shared helpers: the fixture corpus, temporary projects, the real binary.

use std::path::PathBuf;

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
