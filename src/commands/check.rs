//! `baas check`: drift detection for CI.

use crate::ExitStatus;
use crate::context::Context;

/// Fail when the schema drifted; made for CI.
///
/// Without `--url`, checks that every change in baas.toml is planned in the
/// migrations folder (no database needed). With `--url`, checks the live
/// database against baas.toml. Exit codes: 0 clean, 1 drift, 2 bad input,
/// 3 cannot connect.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Database to compare with the manifest [default: no database, compare with migrations]
    #[arg(long, env = "BAAS_DATABASE_URL", value_name = "URL")]
    pub url: Option<String>,
    /// Which drift fails the check
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FailOn {
    /// Fail only when drift includes destructive changes
    Destructive,
    /// Fail on any drift
    Any,
}

pub fn run(_args: CheckArgs, _cx: &Context) -> anyhow::Result<ExitStatus> {
    crate::diagnostics::not_available("check")
}
