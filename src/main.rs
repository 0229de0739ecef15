//! The `baas` binary: parse arguments, run, exit with the code the run chose.
//! Everything else lives in the library (`src/lib.rs`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let status = baas::run(std::env::args_os());
    ExitCode::from(status as u8)
}
