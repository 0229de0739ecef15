//! What every command gets besides its own arguments: where it runs, which
//! manifest it works on, how to talk to the user.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::ui::Printer;

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

    /// The manifest path as the user would write it (relative when under the cwd).
    pub fn display_path(&self, path: &std::path::Path) -> String {
        path.strip_prefix(&self.cwd)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
