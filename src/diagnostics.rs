//! The one place where errors become terminal output (or JSON) and an exit
//! code. Walks the error chain, recognises the error types that carry more
//! than a message (manifest problems, connection failures), and prints
//! `error:`, `caused by:` and `hint:` lines. Every line passes through
//! [`crate::source::redact`], so no password reaches the terminal.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};
use serde_json::json;

use crate::ExitStatus;
pub use crate::error::UsageError;
use crate::manifest::load::LoadError;
use crate::manifest::{Diagnostics, Problem};
use crate::source::IntrospectError;
use crate::source::{LocationError, redact};
use crate::ui::Printer;

/// A command this build does not implement yet (exit code 2).
#[derive(Debug)]
pub struct NotAvailable {
    pub command: &'static str,
}

impl fmt::Display for NotAvailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`baas {}` is not available yet in this build",
            self.command
        )
    }
}

impl std::error::Error for NotAvailable {}

/// Fails with [`NotAvailable`] for `command`.
pub fn not_available(command: &'static str) -> anyhow::Result<ExitStatus> {
    Err(NotAvailable { command }.into())
}

/// The exit code an error deserves.
pub fn exit_status(error: &anyhow::Error) -> ExitStatus {
    for cause in error.chain() {
        if let Some(error) = cause.downcast_ref::<crate::migrate::MigrateError>() {
            return error.exit_status();
        }
        if let Some(error) = cause.downcast_ref::<IntrospectError>() {
            return match error {
                IntrospectError::Connect { .. } => ExitStatus::CannotConnect,
                IntrospectError::Catalog { .. } => ExitStatus::Internal,
                IntrospectError::Unsupported(_) | IntrospectError::Invalid(_) => {
                    ExitStatus::BadInput
                }
            };
        }
        if let Some(
            crate::serve::StoreError::Unavailable(_) | crate::serve::StoreError::Credentials(_),
        ) = cause.downcast_ref::<crate::serve::StoreError>()
        {
            return ExitStatus::CannotConnect;
        }
        if cause.is::<UsageError>()
            || cause.is::<NotAvailable>()
            || cause.is::<LoadError>()
            || cause.is::<Diagnostics>()
            || cause.is::<LocationError>()
            || cause.is::<crate::manifest::interpolate::InterpolationError>()
        {
            return ExitStatus::BadInput;
        }
    }
    ExitStatus::Internal
}

fn hint(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        if let Some(error) = cause.downcast_ref::<crate::migrate::MigrateError>() {
            return error.hint();
        }
        if let Some(usage) = cause.downcast_ref::<UsageError>() {
            return usage.hint().map(str::to_owned);
        }
        if cause.is::<NotAvailable>() {
            return Some(
                "this build reads databases and schema files into baas.toml (`baas introspect`) \
                 and manages it (`init`, `show`, `validate`); run `baas --help` to see every command"
                    .into(),
            );
        }
        if let Some(LoadError::Read { path, source }) = cause.downcast_ref::<LoadError>()
            && source.kind() == std::io::ErrorKind::NotFound
        {
            return Some(format!(
                "there is no manifest at `{}`: create one with `baas init` or `baas introspect <database>`, \
                 or point to it with `--manifest PATH`",
                path.display()
            ));
        }
        if let Some(IntrospectError::Connect { .. }) = cause.downcast_ref::<IntrospectError>() {
            return Some(
                "check that the database exists and that the connection string is right".into(),
            );
        }
    }
    None
}

/// Prints `error` (as prose on stderr, or as JSON on stdout in `--json` mode)
/// and returns its exit code.
pub fn report(error: &anyhow::Error, printer: &Printer) -> ExitStatus {
    // `baas show | head`: the reader left; that is not a failure.
    let broken_pipe = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitStatus::Success;
    }
    let status = exit_status(error);
    let diagnostics = error.chain().find_map(|c| {
        c.downcast_ref::<Diagnostics>()
            .or_else(|| match c.downcast_ref::<LoadError>() {
                Some(LoadError::Invalid(d)) => Some(d),
                _ => None,
            })
    });
    if printer.json_mode() {
        let causes: Vec<String> = error
            .chain()
            .skip(1)
            .map(|c| redact(&c.to_string()))
            .collect();
        let mut body = json!({
            "ok": false,
            "exit_code": status as u8,
            "error": redact(&error.to_string()),
            "causes": causes,
            "hint": hint(error).map(|h| redact(&h)),
        });
        if let Some(diagnostics) = diagnostics {
            body["problems"] = problems_json(diagnostics);
        }
        let _ = printer.json(&body);
        return status;
    }
    if let Some(diagnostics) = diagnostics {
        printer.stderr(&render_problems(diagnostics, printer.color()));
    }
    let mut text = match diagnostics {
        Some(d) => format!(
            "{} `{}` has {} problem(s)",
            printer.red("error:"),
            display_file(&d.file),
            d.problems.len()
        ),
        None => format!("{} {}", printer.red("error:"), redact(&error.to_string())),
    };
    // Manifest problems were shown in full above; their causes only repeat them.
    let causes = if diagnostics.is_some() { 0 } else { usize::MAX };
    for cause in error.chain().skip(1).take(causes) {
        let cause = redact(&cause.to_string());
        // `#[error(transparent)]` and wrappers repeat their source's text.
        if !text.ends_with(&cause) {
            text.push_str(&format!("\n  caused by: {cause}"));
        }
    }
    if let Some(hint) = hint(error) {
        text.push_str(&format!("\n\n{} {}", printer.cyan("hint:"), redact(&hint)));
    }
    if status == ExitStatus::Internal {
        text.push_str(
            "\n\nThis looks like a bug in baas; please report it with the command you ran.",
        );
    }
    printer.stderr(&text);
    status
}

/// Prints a command-line parsing error (or `--help`/`--version`).
pub fn clap_error(error: &clap::Error) -> ExitStatus {
    let _ = error.print();
    if error.use_stderr() {
        ExitStatus::BadInput
    } else {
        ExitStatus::Success
    }
}

/// A path as the user would write it: relative to the working directory when under it.
fn display_file(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}

/// Problems as JSON objects with file, line and column.
pub fn problems_json(diagnostics: &Diagnostics) -> serde_json::Value {
    let problems: Vec<serde_json::Value> = diagnostics
        .problems
        .iter()
        .map(|problem| {
            let (line, column) = problem
                .span
                .as_ref()
                .map(|span| diagnostics.line_column(span.start))
                .unzip();
            json!({
                "code": problem.kind.code(),
                "file": display_file(&diagnostics.file),
                "line": line,
                "column": column,
                "path": problem.path,
                "message": redact(&problem.message),
                "help": problem.help.as_deref().map(redact),
            })
        })
        .collect();
    serde_json::Value::Array(problems)
}

/// Renders every problem with its `file:line:col`, a snippet and the hint.
pub fn render_problems(diagnostics: &Diagnostics, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let source = NamedSource::new(
        display_file(&diagnostics.file),
        diagnostics.text.to_string(),
    )
    .with_language("TOML");
    let mut out = String::new();
    for problem in &diagnostics.problems {
        let report = ProblemReport {
            problem,
            source: &source,
        };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&problem.message);
            out.push('\n');
        }
    }
    out
}

/// A [`Problem`] seen through miette.
struct ProblemReport<'a> {
    problem: &'a Problem,
    source: &'a NamedSource<String>,
}

impl fmt::Debug for ProblemReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProblemReport")
            .field("problem", self.problem)
            .finish()
    }
}

impl fmt::Display for ProblemReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.problem.message))
    }
}

impl std::error::Error for ProblemReport<'_> {}

impl Diagnostic for ProblemReport<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.problem.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.problem
            .help
            .as_ref()
            .map(|h| Box::new(redact(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.problem.span.clone()?;
        let label = match self.problem.kind {
            crate::manifest::ProblemKind::UnknownKey => "unknown key",
            crate::manifest::ProblemKind::Syntax => "here",
            crate::manifest::ProblemKind::Duplicate => "duplicate",
            _ => "this",
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label.to_owned()),
            span,
        ))))
    }
}
