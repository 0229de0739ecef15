//! One file per subcommand: its arguments and its `run`, kept thin; the work
//! happens in the pipeline modules.

pub mod check;
pub mod codegen;
pub mod completions;
pub mod diff;
pub mod init;
pub mod introspect;
pub mod migrate;
pub mod serve;
pub mod shared;
pub mod show;
pub mod validate;

use crate::ExitStatus;
use crate::cli::Command;
use crate::context::Context;

pub async fn run(command: Command, cx: &Context) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Init(args) => init::run(args, cx),
        Command::Introspect(args) => introspect::run(args, cx).await,
        Command::Show(args) => show::run(args, cx),
        Command::Validate(args) => validate::run(args, cx),
        Command::Diff(args) => diff::run(args, cx).await,
        Command::Migrate(command) => migrate::run(command, cx).await,
        Command::Check(args) => check::run(args, cx).await,
        Command::Codegen(args) => codegen::run(args, cx),
        Command::Serve(args) => serve::run(args, cx).await,
        Command::Completions(args) => completions::run(args, cx),
    }
}
