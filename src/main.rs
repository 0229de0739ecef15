//! The `baas` binary: parse arguments, run, exit with the code the run chose.
//! Everything else lives in the library (`src/lib.rs`).

use std::process::ExitCode;

/// jemalloc hands freed memory back to the system (glibc's malloc kept
/// most of a burst of connections for good); `baas::memory` tunes it.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let status = baas::run(std::env::args_os());
    ExitCode::from(status as u8)
}
