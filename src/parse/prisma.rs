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
//! - a view's query is not in the schema: `prisma db pull` writes it beside
//!   the schema, in `views/<database schema>/<view>.sql` ([`ViewQueries`]),
//!   and it is the view's `definition` when that file is there;
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::SourceFile;
use crate::manifest::{Diagnostics, Problem, ProblemKind};
use crate::source::{IntrospectOptions, Introspection};

/// The queries of a schema's views, as `prisma db pull` keeps them beside
/// the schema: `views/<database schema>/<view>.sql` (`views/public/
/// active_users.sql`), each file the view's `SELECT`.
#[derive(Debug, Clone, Default)]
pub struct ViewQueries {
    /// The `views` folder they were read from.
    pub folder: Option<PathBuf>,
    /// Query by database schema (its folder's name; `""` for a file right
    /// in `views/`), then by view name.
    pub queries: BTreeMap<String, BTreeMap<String, String>>,
}

impl ViewQueries {
    /// Reads the `views` folder of the schema made of `files`: the one
    /// beside a file of it, or beside the folder holding them (a schema
    /// folder `prisma/schema/` keeps its views in `prisma/views/`).
    /// Files that cannot be read are left out, as if missing: their views
    /// get the ledger line of a view without its query.
    pub fn beside(files: &[SourceFile]) -> Self {
        let mut folders: Vec<PathBuf> = Vec::new();
        for file in files {
            let Some(parent) = file.path.parent() else {
                continue;
            };
            for dir in parent.ancestors().take(2) {
                let views = if dir.as_os_str().is_empty() {
                    Path::new("views").to_owned()
                } else {
                    dir.join("views")
                };
                if !folders.contains(&views) {
                    folders.push(views);
                }
            }
        }
        let Some(folder) = folders.into_iter().find(|folder| folder.is_dir()) else {
            return Self::default();
        };
        let mut queries: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut read = |schema: &str, dir: &Path| {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                let (Some(stem), true) = (
                    path.file_stem().and_then(|s| s.to_str()),
                    path.extension().is_some_and(|e| e == "sql") && path.is_file(),
                ) else {
                    continue;
                };
                if let Ok(text) = std::fs::read_to_string(&path) {
                    queries
                        .entry(schema.to_owned())
                        .or_default()
                        .insert(stem.to_owned(), text);
                }
            }
        };
        read("", &folder);
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if let (true, Some(schema)) = (path.is_dir(), path.file_name().and_then(|n| n.to_str()))
            {
                read(schema, &path);
            }
        }
        Self {
            folder: Some(folder),
            queries,
        }
    }
}

/// Reads the schema file(s) into a manifest. The files of a folder form one
/// schema; problems are reported for the first file that has any, with a
/// line per other file that has some too. Views get no query: see
/// [`parse_with_views`].
pub fn parse(
    files: &[SourceFile],
    options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    parse_with_views(files, &ViewQueries::default(), options)
}

/// [`parse`], with the queries of the schema's views (read with
/// [`ViewQueries::beside`]).
pub fn parse_with_views(
    files: &[SourceFile],
    views: &ViewQueries,
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
    let (introspection, build_problems) = build::build(&asts, views);
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
