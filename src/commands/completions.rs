//! `baas completions`: shell completion scripts.

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::ExitStatus;
use crate::context::Context;

/// Print a shell completion script to stdout.
///
/// Examples:
///   baas completions bash > ~/.local/share/bash-completion/completions/baas
///   baas completions zsh > ~/.zfunc/_baas
///   baas completions fish > ~/.config/fish/completions/baas.fish
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`, as bytes.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = crate::cli::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "baas", &mut out);
    out
}

pub fn run(args: CompletionsArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let script = String::from_utf8(script(args.shell))?;
    cx.printer.data(&script)?;
    Ok(ExitStatus::Success)
}
