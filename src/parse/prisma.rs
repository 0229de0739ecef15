//! Prisma schemas (one file, or a folder of them) → [`Manifest`].
//!
//! No maintained Rust crate parses the Prisma schema language, so this is a
//! small one of its own, in three steps that each can be tested alone:
//!
//! - [`lexer`]: text → tokens with byte spans (newlines are tokens: a field
//!   ends at the end of its line);
//! - [`syntax`]: tokens → a tree of blocks (`model`, `view`, `type`, `enum`,
//!   `datasource`, `generator`), fields, attributes and their arguments, by
//!   recursive descent that reports every broken line and goes on;
//! - [`build`]: the trees of all files → manifest and ledger, resolving
//!   types, fields and relations across files.
//!
//! How Prisma's concepts map:
//!
//! - the datasource `provider` is the source engine (no datasource: `prisma`);
//!   `url = env("X")` becomes `${X}`, a literal URL is kept without its password;
//! - a model is an entity named after it (`@@map` gives the table), a view an
//!   entity with `kind = "view"`; relation fields are no columns: the side with
//!   `@relation(fields, references)` becomes a relation, with Prisma's default
//!   referential actions when none are given (optional: set null, required:
//!   restrict; on update: cascade);
//! - `@db.*` native types become the portable type they stand for, keeping the
//!   engine's spelling in `native` only where it adds something;
//! - `uuid()`, `cuid()`, `nanoid()`, `ulid()` and `auto()` defaults are made by
//!   the Prisma client, not the database: they are ledger entries, not defaults;
//! - generator blocks configure the client, not the schema, and are ignored.
//!
//! Whatever else the manifest cannot say (`@updatedAt`, `@ignore`,
//! `relationMode = "prisma"`, implicit many-to-many join tables, ...) goes
//! to the ledger.

mod build;
mod lexer;
mod native;
mod syntax;

use super::SourceFile;
use crate::manifest::{Diagnostics, Problem, ProblemKind};
use crate::source::{IntrospectOptions, Introspection};

/// Reads the schema file(s) into a manifest. The files of a folder form one
/// schema; problems are reported for the first file that has any, with a
/// line per other file that has some too.
pub fn parse(
    files: &[SourceFile],
    _options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let Some(first) = files.first() else {
        return Err(Diagnostics::new(
            std::path::Path::new("."),
            Default::default(),
            vec![Problem::new(
                ProblemKind::SourceUnsupported,
                "",
                "no Prisma schema file to read".to_owned(),
            )],
        ));
    };
    let mut problems: Vec<Vec<Problem>> = vec![Vec::new(); files.len()];
    let mut asts = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let (ast, errors) = syntax::parse(&file.text);
        for error in errors {
            problems[index].push(with_help(
                file.problem(error.span, error.message),
                error.help,
            ));
        }
        asts.push(ast);
    }
    let (introspection, build_problems) = build::build(&asts);
    for problem in build_problems {
        if let (Some(file), Some(list)) = (files.get(problem.file), problems.get_mut(problem.file))
        {
            list.push(with_help(
                file.problem(problem.span, problem.message),
                problem.help,
            ));
        }
    }
    for list in &mut problems {
        list.sort_by_key(|p| p.span.as_ref().map(|s| (s.start, s.end)));
        list.dedup();
    }
    let Some(failing) = problems.iter().position(|list| !list.is_empty()) else {
        if super::found_nothing(&introspection) {
            return Err(super::nothing_to_import(
                first,
                format!(
                    "the schema declares no model, view, enum or composite type{}: nothing to import",
                    if files.len() > 1 {
                        " in any of its files"
                    } else {
                        ""
                    }
                ),
                "add a `model` block; when the models are in other `.prisma` files, import \
                 their folder"
                    .to_owned(),
            ));
        }
        return Ok(introspection);
    };
    let file = files.get(failing).unwrap_or(first);
    let mut reported = std::mem::take(&mut problems[failing]);
    for (other, list) in files.iter().zip(&problems) {
        if let Some(first_problem) = list.first() {
            let location = first_problem
                .span
                .as_ref()
                .map(|span| {
                    let (line, column) =
                        crate::manifest::diagnostics::line_column(&other.text, span.start);
                    format!(" at {line}:{column}")
                })
                .unwrap_or_default();
            reported.push(Problem::new(
                ProblemKind::SourceSyntax,
                "",
                format!(
                    "`{}` has {} problem{} too; the first{location}: {}",
                    other.path.display(),
                    list.len(),
                    if list.len() == 1 { "" } else { "s" },
                    first_problem.message
                ),
            ));
        }
    }
    Err(file.diagnostics(reported))
}

fn with_help(problem: Problem, help: Option<String>) -> Problem {
    match help {
        Some(help) => problem.with_help(help),
        None => problem,
    }
}
