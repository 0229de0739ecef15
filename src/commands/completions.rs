//! `baas completions`: shell completion scripts.

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

/// The completion script for `shell` of the command line `app`
/// (`cli::command()`), as bytes.
pub fn script(shell: Shell, mut app: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut app, "baas", &mut out);
    out
}

pub fn run(args: CompletionsArgs, cx: &Context, app: clap::Command) -> anyhow::Result<ExitStatus> {
    let script = String::from_utf8(script(args.shell, app))?;
    cx.printer.data(&script)?;
    Ok(ExitStatus::Success)
}
