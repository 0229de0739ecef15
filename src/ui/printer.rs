//! The only place that writes to stdout and stderr.
//!
//! The same rule for every command: stdout carries data and tables (manifests,
//! JSON, SQL, `show`, `migrate status`, `check`'s drift); prose and
//! diagnostics (status lines, warnings, errors, progress) go to stderr, so
//! `baas ... > file` and pipes get only the data.

use std::io::{self, Write};

use console::Style;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    json: bool,
    color: bool,
}

impl Printer {
    pub fn new(quiet: bool, json: bool, color: bool) -> Self {
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        Self { quiet, json, color }
    }

    /// For errors before the command line is understood.
    pub fn fallback() -> Self {
        Self::new(false, false, false)
    }

    /// `--quiet`: only errors and the data asked for.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    pub fn json_mode(&self) -> bool {
        self.json
    }

    pub fn color(&self) -> bool {
        self.color
    }

    /// Whether progress bars may be drawn.
    pub fn progress_allowed(&self) -> bool {
        use std::io::IsTerminal;
        !self.quiet && !self.json && io::stderr().is_terminal()
    }

    /// Data on stdout, verbatim.
    pub fn data(&self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// A JSON document on stdout, pretty-printed, with a final newline.
    pub fn json(&self, value: &impl Serialize) -> io::Result<()> {
        let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
        text.push('\n');
        self.data(&text)
    }

    /// A line for humans on stderr, unless `--quiet` or `--json`.
    pub fn status(&self, text: &str) {
        if !self.quiet && !self.json {
            self.stderr(text);
        }
    }

    /// `label message` with the label in bold green (e.g. `Wrote baas.toml`).
    pub fn success(&self, label: &str, message: &str) {
        self.status(&format!(
            "{} {message}",
            Style::new().green().bold().apply_to(label)
        ));
    }

    /// A warning on stderr, unless `--quiet` (JSON output carries its own).
    pub fn warn(&self, text: &str) {
        if !self.quiet && !self.json {
            self.stderr(&format!(
                "{} {text}",
                Style::new().yellow().bold().apply_to("warning:")
            ));
        }
    }

    /// Text on stderr no matter what (errors).
    pub fn stderr(&self, text: &str) {
        let mut stderr = io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stderr.write_all(b"\n");
        }
    }

    pub fn bold(&self, text: &str) -> String {
        Style::new().bold().apply_to(text).to_string()
    }

    pub fn dim(&self, text: &str) -> String {
        Style::new().dim().apply_to(text).to_string()
    }

    pub fn red(&self, text: &str) -> String {
        Style::new().red().bold().apply_to(text).to_string()
    }

    pub fn cyan(&self, text: &str) -> String {
        Style::new().cyan().bold().apply_to(text).to_string()
    }
}
