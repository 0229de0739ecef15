//! Prisma schemas → manifest (in progress).

use super::SourceFile;
use crate::introspect::{IntrospectOptions, Introspection};
use crate::manifest::{Diagnostics, Problem, ProblemKind};

/// Reads the schema file(s) into a manifest.
pub fn parse(
    files: &[SourceFile],
    _options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let Some(file) = files.first() else {
        return Err(Diagnostics::new(
            std::path::Path::new("."),
            Default::default(),
            Vec::new(),
        ));
    };
    Err(file.diagnostics(vec![
        Problem::new(
            ProblemKind::SourceUnsupported,
            "",
            "importing this format is not available yet in this build".to_owned(),
        )
        .with_span(Some(0..0)),
    ]))
}
