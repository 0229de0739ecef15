//! What every command gets besides its own arguments: where it runs, which
//! manifest it works on, how to talk to the user.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use crate::diagnostics::UsageError;
use crate::ui::{Printer, prompt};

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Path of the manifest to read or write
    #[arg(
        long,
        global = true,
        env = "BAAS_MANIFEST",
        default_value = "baas.toml",
        value_name = "PATH"
    )]
    pub manifest: PathBuf,
    /// Print machine-readable JSON on stdout instead of tables and prose
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors and requested data
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Answer yes to every question (never prompt); needed for risky steps without a terminal
    #[arg(long, short, global = true)]
    pub yes: bool,
    /// Never use colors (also when the NO_COLOR environment variable is set)
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug)]
pub struct Context {
    pub printer: Printer,
    pub cwd: PathBuf,
    /// The manifest path, made absolute.
    pub manifest_path: PathBuf,
    /// `--yes`: never ask, take the default that proceeds.
    pub yes: bool,
    /// Whether questions can be asked: stdin and stderr are terminals and
    /// neither `--yes` nor `--json` was given.
    pub interactive: bool,
}

impl Context {
    pub fn new(global: &GlobalArgs) -> anyhow::Result<Self> {
        let cwd = std::env::current_dir()?;
        let color = !global.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal();
        let printer = Printer::new(global.quiet, global.json, color);
        let interactive = !global.yes
            && !global.json
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal();
        Ok(Self {
            printer,
            manifest_path: cwd.join(&global.manifest),
            cwd,
            yes: global.yes,
            interactive,
        })
    }

    /// Asks a yes/no question. Without a terminal: `yes` when `--yes` was
    /// given, otherwise an error telling the user which flag to pass.
    pub fn confirm(&self, question: &str, flag_hint: &str) -> anyhow::Result<bool> {
        if self.yes {
            return Ok(true);
        }
        if !self.interactive {
            anyhow::bail!(
                UsageError::new(format!("{question} (no terminal to ask on)"))
                    .with_hint(flag_hint.to_owned())
            );
        }
        prompt::yes_no(question)
    }

    /// The manifest path as the user would write it (relative when under the cwd).
    pub fn display_path(&self, path: &std::path::Path) -> String {
        path.strip_prefix(&self.cwd)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
