//! Problems found in a manifest: what, where (path and byte span) and how to
//! fix it. Rendering them for a terminal or as JSON is done in
//! [`crate::diagnostics`].

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// The categories of problem, each with a stable code for `--json` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    Syntax,
    UnknownKey,
    MissingKey,
    WrongType,
    InvalidValue,
    UnknownType,
    UnknownEntity,
    UnknownField,
    UnknownEnum,
    Duplicate,
    Mismatch,
    /// A name with an invisible or text-direction character.
    InvalidName,
    /// A schema file (SQL, Prisma, JSON Schema, OpenAPI, GraphQL) is malformed.
    SourceSyntax,
    /// A schema file uses something its importer does not support.
    SourceUnsupported,
}

impl ProblemKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Syntax => "manifest::syntax",
            Self::UnknownKey => "manifest::unknown-key",
            Self::MissingKey => "manifest::missing-key",
            Self::WrongType => "manifest::wrong-type",
            Self::InvalidValue => "manifest::invalid-value",
            Self::UnknownType => "manifest::unknown-type",
            Self::UnknownEntity => "manifest::unknown-entity",
            Self::UnknownField => "manifest::unknown-field",
            Self::UnknownEnum => "manifest::unknown-enum",
            Self::Duplicate => "manifest::duplicate",
            Self::Mismatch => "manifest::mismatch",
            Self::InvalidName => "manifest::invalid-name",
            Self::SourceSyntax => "source::syntax",
            Self::SourceUnsupported => "source::unsupported",
        }
    }

    /// Whether the problem is best shown at the key rather than its value.
    pub fn points_at_key(self) -> bool {
        matches!(self, Self::UnknownKey | Self::Duplicate | Self::InvalidName)
    }
}

/// One problem in a manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Where in the manifest, e.g. `entities.film.fields.title.type`.
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

impl Problem {
    pub fn new(kind: ProblemKind, path: &str, message: String) -> Self {
        Self {
            kind,
            path: path.to_owned(),
            message,
            help: None,
            span: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_span(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }
}

/// Every problem found in one manifest file.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub file: PathBuf,
    pub text: Arc<String>,
    pub problems: Vec<Problem>,
}

impl Diagnostics {
    pub fn new(file: &Path, text: Arc<String>, problems: Vec<Problem>) -> Self {
        Self {
            file: file.to_owned(),
            text,
            problems,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        line_column(&self.text, offset)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "`{}` has {count} problem{}",
            self.file.display(),
            if count == 1 { "" } else { "s" }
        )?;
        if let Some(first) = self.problems.first() {
            let location = first
                .span
                .as_ref()
                .map(|span| {
                    let (line, column) = self.line_column(span.start);
                    format!(" at {line}:{column}")
                })
                .unwrap_or_default();
            write!(f, "; the first{location}: {}", first.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The allowed spelling closest to `word`, if it is close enough to be a typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
