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
