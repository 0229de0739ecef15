//! Schema files → [`Manifest`]: SQL dumps, Prisma, JSON Schema, OpenAPI /
//! Swagger and GraphQL SDL, plus hosted schema documents (Supabase).
//!
//! One plain function per format (a closed set, so an enum and a `match`,
//! not a trait). Each returns the same [`Introspection`] a live database
//! gives: a manifest and a ledger of what it could not represent. Malformed
//! input becomes [`Diagnostics`] with the file, line and column.

use std::path::Path;
use std::sync::Arc;

use url::Url;

use crate::manifest::{Diagnostics, Problem, ProblemKind};
pub use crate::source::SourceFormat;
use crate::source::{IntrospectError, IntrospectOptions, Introspection};

pub mod data;
pub mod graphql;
pub mod json_schema;
pub mod openapi;
pub mod prisma;
pub mod sql_ddl;
pub mod supabase;

/// How many problems of one schema file are reported; the rest are counted.
pub const MAX_PROBLEMS: usize = 50;

/// How deep brackets, nested types and `$ref` chains may go in a schema
/// file. Every importer descends recursively; past this depth it stops with
/// a problem at the position instead of running out of stack.
pub const MAX_NESTING: usize = 128;

/// A schema file's text and where it came from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: std::path::PathBuf,
    pub text: Arc<String>,
}

impl SourceFile {
    /// A syntax problem at byte range `span` of this file.
    pub fn problem(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Problem {
        self.problem_of(ProblemKind::SourceSyntax, span, message)
    }

    /// A problem of another kind (an unknown type, say) at byte range `span`.
    pub fn problem_of(
        &self,
        kind: ProblemKind,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Problem {
        Problem::new(kind, "", message.into()).with_span(Some(span))
    }

    /// Diagnostics for this file: the first [`MAX_PROBLEMS`], then one
    /// line saying how many more there are. A file of random text has a
    /// problem every few bytes; showing each would cost time in proportion
    /// to the file's size times their number, and help nobody.
    pub fn diagnostics(&self, mut problems: Vec<Problem>) -> Diagnostics {
        if problems.len() > MAX_PROBLEMS {
            let more = problems.len() - MAX_PROBLEMS;
            let span = problems[MAX_PROBLEMS].span.clone();
            problems.truncate(MAX_PROBLEMS);
            problems.push(
                Problem::new(
                    ProblemKind::SourceSyntax,
                    "",
                    format!(
                        "and {more} more problem{} (only the first {MAX_PROBLEMS} are shown)",
                        if more == 1 { "" } else { "s" }
                    ),
                )
                .with_span(span)
                .with_help("fix these and run again, or check that this is the file you meant"),
            );
        }
        Diagnostics::new(&self.path, self.text.clone(), problems)
    }
}

/// Whether an import carries nothing at all: no entity, enum, engine
/// object or API operation, and an empty ledger. A schema file that gives
/// this would be written as an empty manifest with "nothing was lost", so
/// each parser turns it into [`nothing_to_import`] instead.
pub(crate) fn found_nothing(introspection: &Introspection) -> bool {
    let manifest = &introspection.manifest;
    manifest.entities.is_empty()
        && manifest.enums.is_empty()
        && manifest.postgres.is_empty()
        && manifest
            .api
            .as_ref()
            .is_none_or(|api| api.operations.is_empty())
        && introspection.ledger.is_empty()
}

/// The problem of a schema file that gave nothing to import: `message`
/// says what the file lacks, `help` what to do; it points at the file's
/// first non-blank character.
pub(crate) fn nothing_to_import(file: &SourceFile, message: String, help: String) -> Diagnostics {
    let text = file.text.as_str();
    let blank = text.len() - text.trim_start().len();
    let start = if blank == text.len() { 0 } else { blank };
    let problem = file
        .problem_of(ProblemKind::SourceUnsupported, start..start, message)
        .with_help(help);
    file.diagnostics(vec![problem])
}

/// What to do with a JSON document that is no schema: import its records
/// with `--format data`.
pub(crate) fn data_file_help(value: &serde_json::Value) -> &'static str {
    if data::is_collections(value) {
        "it holds records (collections of objects, as json-server keeps them): import it \
         with `--format data` to infer a manifest from them"
    } else {
        "to infer a manifest from example records, import them with `--format data`; \
         otherwise check that this is the schema file you meant"
    }
}

/// Detects a file's format from its name, then by parsing its content.
///
/// A JSON or YAML document is parsed and told apart by its top-level keys
/// (`openapi` / `swagger`, or JSON Schema's keywords), wherever they are in
/// the file: key order is free in JSON, so no prefix of the text can decide.
/// Text in no known syntax is tried as Prisma, GraphQL and SQL in turn, and
/// the first parser that reads it whole and finds a model wins.
pub fn detect(path: &Path, text: &str) -> Option<SourceFormat> {
    detect_reading(path, text).0
}

/// [`detect`], with the JSON or YAML document it parsed to tell, so that
/// the importer does not parse a large file a second time.
fn detect_reading(
    path: &Path,
    text: &str,
) -> (Option<SourceFormat>, Option<json_schema::Document>) {
    let Some(name) = path
        .file_name()
        .and_then(|name| name.to_str())
        .map(str::to_ascii_lowercase)
    else {
        return (None, None);
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("ndjson" | "jsonl") => return (Some(SourceFormat::Data), None),
        Some("sql" | "ddl") => return (Some(SourceFormat::Sql), None),
        Some("prisma") => return (Some(SourceFormat::Prisma), None),
        Some("graphql" | "graphqls" | "gql") => return (Some(SourceFormat::Graphql), None),
        _ => {}
    }
    let probe = SourceFile {
        path: path.to_owned(),
        text: Arc::new(text.to_owned()),
    };
    match json_schema::read_document(&probe) {
        Ok(document) => {
            if let Some(format) = document_format(&name, &document.value) {
                return (Some(format), Some(document));
            }
        }
        Err(_) if json_schema::syntax_of(text) == json_schema::Syntax::Json => {
            // Malformed JSON: name the format its keys say, anywhere in the
            // text, so that the right parser reports where it breaks.
            let has = |key: &str| text.contains(&format!("\"{key}\""));
            if has("openapi") || has("swagger") {
                return (Some(SourceFormat::Openapi), None);
            }
            if name.ends_with(".schema.json") || has("$schema") || text.contains("json-schema.org")
            {
                return (Some(SourceFormat::Jsonschema), None);
            }
            return (None, None);
        }
        Err(_) => {}
    }
    (detect_text(&probe), None)
}

/// The format of a parsed JSON or YAML document, from its top-level keys.
fn document_format(name: &str, value: &serde_json::Value) -> Option<SourceFormat> {
    let map = value.as_object()?;
    if map.contains_key("openapi") || map.contains_key("swagger") {
        return Some(SourceFormat::Openapi);
    }
    const SCHEMA_KEYWORDS: &[&str] = &[
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "definitions",
        "properties",
        "allOf",
        "anyOf",
        "oneOf",
        "enum",
    ];
    // A keyword counts with the value a schema gives it: a json-server
    // database may hold collections named `properties` or `type`.
    let keyword = |key: &str| {
        map.get(key).is_some_and(|value| match key {
            "$schema" | "$id" | "$ref" => value.is_string(),
            "$defs" | "definitions" | "properties" => value.is_object(),
            _ => true,
        })
    };
    let typed = map.get("type").is_some_and(|t| {
        t.is_string()
            || t.as_array()
                .is_some_and(|names| names.iter().all(serde_json::Value::is_string))
    });
    if name.ends_with(".schema.json") || typed || SCHEMA_KEYWORDS.iter().any(|key| keyword(key)) {
        return Some(SourceFormat::Jsonschema);
    }
    if data::is_collections(value) {
        return Some(SourceFormat::Data);
    }
    None
}

/// Text that is not a JSON or YAML document: the first of Prisma, GraphQL
/// and SQL that parses it without a problem and finds something in it.
fn detect_text(probe: &SourceFile) -> Option<SourceFormat> {
    let options = IntrospectOptions::default();
    let found = |result: Result<Introspection, Diagnostics>| {
        result.is_ok_and(|i| !i.manifest.entities.is_empty() || !i.manifest.enums.is_empty())
    };
    if found(prisma::parse(std::slice::from_ref(probe), &options)) {
        return Some(SourceFormat::Prisma);
    }
    if found(graphql::parse(probe, &options)) {
        return Some(SourceFormat::Graphql);
    }
    // SQL in no particular dialect is still SQL: its import asks for one.
    if sql_ddl::reads_as_sql(probe) {
        return Some(SourceFormat::Sql);
    }
    None
}

/// Reads and parses a schema file (or a folder of Prisma files).
pub async fn parse_file(
    path: &Path,
    options: &IntrospectOptions,
) -> Result<Introspection, IntrospectError> {
    if path.is_dir() {
        // A Prisma schema split over several files (`prismaSchemaFolder`).
        let paths = prisma_files(path).map_err(|error| unreadable(path, &error))?;
        if paths.is_empty() {
            return Err(IntrospectError::Unsupported(format!(
                "`{}` is a folder without `.prisma` files; pass a schema file",
                path.display()
            )));
        }
        return parse_prisma(&read_all(&paths)?, options).map_err(IntrospectError::Invalid);
    }
    let text = read_text(path)?;
    let (format, document) = match options.format {
        Some(format) => (Some(format), None),
        None => detect_reading(path, &text),
    };
    let Some(format) = format else {
        return Err(IntrospectError::Unsupported(format!(
            "cannot tell the format of `{}`; pass --format (sql, prisma, jsonschema, openapi, graphql, data)",
            path.display()
        )));
    };
    let file = SourceFile {
        path: path.to_owned(),
        text: Arc::new(text),
    };
    let result = match format {
        SourceFormat::Sql => sql_ddl::parse(&file, options),
        SourceFormat::Prisma => parse_prisma_file(&file, options),
        SourceFormat::Jsonschema => json_schema::parse_read(&file, document, options),
        SourceFormat::Openapi => openapi::parse_read(&file, document, options),
        SourceFormat::Graphql => graphql::parse(&file, options),
        SourceFormat::Data => data::parse(&file, options),
    };
    result.map_err(IntrospectError::Invalid)
}

/// One file of a Prisma schema. A file that does not stand alone (its
/// models name types declared in other files) is read with the `.prisma`
/// files of its folder, as Prisma reads a schema folder, when that reads
/// whole; otherwise the file's own problems are shown.
fn parse_prisma_file(
    file: &SourceFile,
    options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let alone = parse_prisma(std::slice::from_ref(file), options);
    let Err(problems) = alone else {
        return alone;
    };
    let Some(folder) = file.path.parent() else {
        return Err(problems);
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let Ok(paths) = prisma_files(folder) else {
        return Err(problems);
    };
    if paths.len() < 2 {
        return Err(problems);
    }
    match read_all(&paths) {
        Ok(files) => parse_prisma(&files, options).map_err(|_| problems),
        Err(_) => Err(problems),
    }
}

/// The files of a Prisma schema, with the queries of its views that
/// `prisma db pull` keeps beside them.
fn parse_prisma(
    files: &[SourceFile],
    options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    prisma::parse_with_views(files, &prisma::ViewQueries::beside(files), options)
}

/// The `.prisma` files under `folder` and its subfolders (Prisma reads a
/// schema folder recursively), sorted; hidden folders and `node_modules`
/// are skipped.
fn prisma_files(folder: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![(folder.to_owned(), 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if depth < 8 && !name.starts_with('.') && name != "node_modules" {
                    pending.push((path, depth + 1));
                }
            } else if path.extension().is_some_and(|e| e == "prisma") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn read_all(paths: &[std::path::PathBuf]) -> Result<Vec<SourceFile>, IntrospectError> {
    paths
        .iter()
        .map(|path| {
            Ok(SourceFile {
                path: path.clone(),
                text: Arc::new(read_text(path)?),
            })
        })
        .collect()
}

/// A schema file's text. A file that is missing, unreadable or not text is
/// bad input (exit code 2), named with what is wrong: no database was
/// involved, so it is never a connection failure.
fn read_text(path: &Path) -> Result<String, IntrospectError> {
    let bytes = std::fs::read(path).map_err(|error| unreadable(path, &error))?;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(IntrospectError::Unsupported(format!(
            "`{}` is not a schema file: it is binary (a NUL byte at offset {at}); \
             pass a SQL, Prisma, JSON Schema, OpenAPI or GraphQL file, or `sqlite://` for a database",
            path.display()
        )));
    }
    String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        let text = &error.as_bytes()[..at];
        let line = text.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = text.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        IntrospectError::Unsupported(format!(
            "`{}` is not UTF-8 text: invalid byte at {}:{line}:{column} (offset {at}); \
             save the file as UTF-8",
            path.display(),
            path.display()
        ))
    })
}

/// The error for a schema file (or folder) that cannot be read.
fn unreadable(path: &Path, error: &std::io::Error) -> IntrospectError {
    let what = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a folder".to_owned(),
        _ => error.to_string(),
    };
    IntrospectError::Unsupported(format!("cannot read `{}`: {what}", path.display()))
}

/// Fetches a hosted schema document (Supabase / PostgREST, an OpenAPI URL),
/// or a GraphQL endpoint's schema by its introspection query.
pub async fn fetch(
    url: &Url,
    options: &IntrospectOptions,
) -> Result<Introspection, IntrospectError> {
    if graphql::is_endpoint(url) {
        return graphql::fetch(url, options).await;
    }
    supabase::fetch(url, options).await
}

/// The first line of a description, shortened to 120 characters.
pub(crate) fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default().trim();
    if line.chars().count() > 120 {
        format!("{}...", line.chars().take(117).collect::<String>())
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_files_are_bad_input_named_with_the_cause() {
        let path = Path::new("schema.prisma");
        for (kind, words) in [
            (std::io::ErrorKind::PermissionDenied, "permission denied"),
            (std::io::ErrorKind::NotFound, "no such file"),
        ] {
            let error = unreadable(path, &std::io::Error::from(kind));
            assert!(
                matches!(error, IntrospectError::Unsupported(_)),
                "{error:?}"
            );
            let message = error.to_string();
            assert!(message.contains("`schema.prisma`"), "{message}");
            assert!(message.contains(words), "{message}");
        }
    }
}
