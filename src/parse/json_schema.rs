//! JSON Schema (draft-04 to 2020-12) → manifest (in progress).

use super::SourceFile;
use crate::introspect::{IntrospectOptions, Introspection};
use crate::manifest::{Diagnostics, Problem, ProblemKind};

/// Reads the schema file(s) into a manifest.
pub fn parse(
    file: &SourceFile,
    _options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    Err(file.diagnostics(vec![
        Problem::new(
            ProblemKind::SourceUnsupported,
            "",
            "importing this format is not available yet in this build".to_owned(),
        )
        .with_span(Some(0..0)),
    ]))
}
