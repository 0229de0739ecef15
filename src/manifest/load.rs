//! TOML text → [`Manifest`], keeping a span for every key and value.
//!
//! The document is parsed with `toml_edit` (which keeps spans and order) and
//! walked by hand rather than through serde, so that one pass can report every
//! unknown key and every mistyped value instead of stopping at the first.
//! Semantic checks (references between entities, enums, ...) run afterwards in
//! [`super::validate`] over the finished model; their problems get their spans
//! from the [`SpanMap`] built here.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use toml_edit::{Item, Table, TableLike, Value};

use super::diagnostics::{Diagnostics, Problem, ProblemKind, closest};
use super::model::*;
use super::path::{index_path, key_path};

/// Byte spans of keys and values, by manifest path (`entities.film.fields.title.type`).
#[derive(Debug, Clone, Default)]
pub struct SpanMap {
    values: HashMap<String, Range<usize>>,
    keys: HashMap<String, Range<usize>>,
}

impl SpanMap {
    /// The span of the value at `path`, or of its nearest ancestor that has one.
    pub fn value(&self, path: &str) -> Option<Range<usize>> {
        let mut path = path;
        loop {
            if let Some(span) = self.values.get(path).or_else(|| self.keys.get(path)) {
                return Some(span.clone());
            }
            path = super::path::parent(path)?;
        }
    }

    /// The span of the key at `path`, falling back to its value.
    pub fn key(&self, path: &str) -> Option<Range<usize>> {
        self.keys.get(path).cloned().or_else(|| self.value(path))
    }
}

/// A manifest as read from a file, with what is needed to point into it.
#[derive(Debug, Clone)]
pub struct LoadedManifest {
    pub manifest: Manifest,
    pub path: PathBuf,
    pub text: Arc<String>,
}

/// The manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
}

/// Reads, parses and validates the manifest at `path`.
pub fn load_file(path: &Path) -> Result<LoadedManifest, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(load_str(path, text)?)
}

/// Parses and validates manifest `text`; `path` is used in messages only.
pub fn load_str(path: &Path, text: String) -> Result<LoadedManifest, Diagnostics> {
    let text = Arc::new(text);
    let fail = |problems| Diagnostics::new(path, text.clone(), problems);
    let document = match toml_edit::Document::parse(text.as_str()) {
        Ok(document) => document,
        Err(error) => {
            let problem = Problem::new(ProblemKind::Syntax, "", error.message().trim().to_owned())
                .with_span(error.span())
                .with_help("this is not valid TOML; see https://toml.io for the syntax");
            return Err(fail(vec![problem]));
        }
    };
    // The fast path records no spans; they are only needed to point at
    // problems, and then the document is walked a second time to find them.
    let mut reader = Reader::default();
    let manifest = reader.manifest(document.as_table());
    // Semantic checks run even after structural problems, so one run shows
    // everything; a location already reported is not reported twice.
    let mut problems = reader.problems;
    for problem in super::validate::validate(&manifest) {
        if !problems.iter().any(|p| p.path == problem.path) {
            problems.push(problem);
        }
    }
    problems.extend(rule_problems(&manifest, &document, text.as_str()));
    problems.extend(admin_rule_problem(&manifest, &document, text.as_str()));
    if !problems.is_empty() {
        let spans = spans_of(&document);
        for problem in &mut problems {
            if problem.span.is_none() {
                problem.span = if problem.kind.points_at_key() {
                    spans.key(&problem.path)
                } else {
                    spans.value(&problem.path)
                };
            }
        }
        // File order reads best; problems without a location go last.
        problems.sort_by_key(|p| p.span.as_ref().map_or(usize::MAX, |s| s.start));
        return Err(fail(problems));
    }
    Ok(LoadedManifest {
        manifest,
        path: path.to_owned(),
        text,
    })
}

/// Rules that do not parse or do not fit the manifest, each pointing at
/// the offending bytes inside the rule's string.
fn rule_problems(
    manifest: &Manifest,
    document: &toml_edit::Document<&str>,
    text: &str,
) -> Vec<Problem> {
    super::rules::problems(manifest)
        .into_iter()
        .map(|(entity, action, error)| {
            let path = format!(
                "{}.{}",
                key_path(&key_path("entities", &entity), "rules"),
                action.as_str()
            );
            let value = document
                .as_table()
                .get("entities")
                .and_then(|item| item.get(&entity))
                .and_then(|item| item.get("rules"))
                .and_then(|item| item.get(action.as_str()));
            let rule = entity_rule(manifest, &entity, action.as_str());
            let span = value
                .and_then(Item::span)
                .map(|span| inner_span(text, span, rule, &error.span));
            let problem = Problem::new(ProblemKind::InvalidValue, &path, error.message.clone())
                .with_span(span);
            match error.help {
                Some(help) => problem.with_help(help),
                None => problem,
            }
        })
        .collect()
}

/// `[tenancy] admin`: a rule about the caller alone, pointing at the
/// offending bytes inside its string.
fn admin_rule_problem(
    manifest: &Manifest,
    document: &toml_edit::Document<&str>,
    text: &str,
) -> Option<Problem> {
    let rule = manifest.tenancy.as_ref()?.admin.as_deref()?;
    let error = super::rules::check_caller_rule(rule).err()?;
    let value = document
        .as_table()
        .get("tenancy")
        .and_then(|item| item.get("admin"));
    let span = value
        .and_then(Item::span)
        .map(|span| inner_span(text, span, rule, &error.span));
    let problem =
        Problem::new(ProblemKind::InvalidValue, "tenancy.admin", error.message).with_span(span);
    Some(match error.help {
        Some(help) => problem.with_help(help),
        None => problem,
    })
}

fn entity_rule<'m>(manifest: &'m Manifest, entity: &str, action: &str) -> &'m str {
    manifest
        .entities
        .get(entity)
        .and_then(|e| e.rules.get(action))
        .unwrap_or_default()
}

/// The bytes of `inner` (a range of the rule's value) in the file, when
/// the TOML string is written without escapes; else the whole value.
fn inner_span(text: &str, value: Range<usize>, rule: &str, inner: &Range<usize>) -> Range<usize> {
    let Some(raw) = text.get(value.clone()) else {
        return value;
    };
    let mut open = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    if open == 3 {
        if raw[3..].starts_with("\r\n") {
            open += 2;
        } else if raw[3..].starts_with('\n') {
            open += 1;
        }
    }
    let start = value.start + open;
    if text.get(start..start + rule.len()) != Some(rule) {
        return value;
    }
    let end = (start + inner.end)
        .max(start + inner.start + 1)
        .min(value.end);
    (start + inner.start).min(end)..end
}

/// Spans of every key and value of a parsed document.
fn spans_of(document: &toml_edit::Document<&str>) -> SpanMap {
    let mut reader = Reader {
        record_spans: true,
        ..Reader::default()
    };
    reader.manifest(document.as_table());
    reader.spans
}

impl LoadedManifest {
    /// Where each key and value of the manifest is in its text, for messages
    /// about a manifest that loaded fine (computed on demand).
    pub fn spans(&self) -> SpanMap {
        match toml_edit::Document::parse(self.text.as_str()) {
            Ok(document) => spans_of(&document),
            Err(_) => SpanMap::default(),
        }
    }
}

/// The header of a manifest (`[manifest]`, `[project]`, `[source]`) without
/// reading its entities: cheap on a manifest of thousands of tables, whose
/// header comes first when it was written by `baas`. Falls back to reading
/// the whole text; `None` when it is not a valid manifest.
pub fn load_header(path: &Path, text: &str) -> Option<Manifest> {
    let body = text.match_indices('\n').map(|(i, _)| i + 1).find(|&i| {
        let line = &text[i..];
        [
            "[enums",
            "[entities",
            "[[entities",
            "[api",
            "[auth",
            "[tenancy",
            "[[hooks",
        ]
        .iter()
        .any(|section| line.starts_with(section))
    });
    let header_later = |rest: &str| {
        ["\n[manifest]", "\n[project]", "\n[source]"]
            .iter()
            .any(|section| rest.contains(section))
    };
    if let Some(end) = body
        && !header_later(&text[end - 1..])
        && let Ok(loaded) = load_str(path, text[..end].to_owned())
        && text[..end].contains("[manifest]")
    {
        return Some(loaded.manifest);
    }
    load_str(path, text.to_owned())
        .ok()
        .map(|loaded| loaded.manifest)
}

/// A borrowed TOML node: a top-level item, a value inside an array, or a
/// table of an array of tables.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> Node<'a> {
    fn value(self) -> Option<&'a Value> {
        match self {
            Node::Item(item) => item.as_value(),
            Node::Value(value) => Some(value),
            Node::Table(_) => None,
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(item) => item.span(),
            Node::Value(value) => value.span(),
            Node::Table(table) => table.span(),
        }
    }

    fn table(self) -> Option<&'a dyn TableLike> {
        match self {
            Node::Item(Item::Table(table)) | Node::Table(table) => Some(table),
            _ => self
                .value()
                .and_then(Value::as_inline_table)
                .map(|t| t as &dyn TableLike),
        }
    }

    /// Elements of an array, or the tables of an array of tables.
    fn elements(self) -> Option<Vec<Node<'a>>> {
        match self {
            Node::Item(Item::ArrayOfTables(tables)) => {
                Some(tables.iter().map(Node::Table).collect())
            }
            _ => self
                .value()
                .and_then(Value::as_array)
                .map(|array| array.iter().map(Node::Value).collect()),
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Node::Item(Item::Table(_)) | Node::Table(_) => "a table",
            Node::Item(Item::ArrayOfTables(_)) => "an array of tables",
            Node::Item(Item::None) => "nothing",
            _ => match self.value() {
                Some(Value::String(_)) => "a string",
                Some(Value::Integer(_)) => "an integer",
                Some(Value::Float(_)) => "a float",
                Some(Value::Boolean(_)) => "a boolean",
                Some(Value::Datetime(_)) => "a date-time",
                Some(Value::Array(_)) => "an array",
                Some(Value::InlineTable(_)) => "a table",
                None => "nothing",
            },
        }
    }
}

const ROOT_KEYS: &[&str] = &[
    "manifest", "project", "source", "enums", "entities", "api", "auth", "postgres", "tenancy",
    "hooks", "realtime", "webhooks",
];
const WEBHOOK_KEYS: &[&str] = &[
    "name",
    "on",
    "url",
    "secret",
    "max_attempts",
    "timeout_seconds",
];
const TENANCY_KEYS: &[&str] = &[
    "strategy",
    "resolve",
    "registry",
    "url",
    "column",
    "max_pools",
    "idle_seconds",
    "admin",
];
const HOOK_KEYS: &[&str] = &["on", "run", "timeout_ms", "memory_mb"];
const REALTIME_KEYS: &[&str] = &["external"];
const AUTH_KEYS: &[&str] = &[
    "jwt_secret",
    "public_key",
    "jwks",
    "algorithms",
    "issuer",
    "audience",
    "leeway_seconds",
    "service_key",
    "claims",
    "users",
    "rls",
    "service_role",
    "user_role",
];
const AUTH_CLAIMS_KEYS: &[&str] = &["id", "role", "tenant"];
const AUTH_USERS_KEYS: &[&str] = &["entity", "email", "password"];
const EXTENSION_KEYS: &[&str] = &["schema", "version"];
const ENGINE_OBJECT_KEYS: &[&str] = &["name", "kind", "sql", "depends_on", "owned_by", "comment"];
const API_KEYS: &[&str] = &[
    "base_url",
    "operations",
    "cors_origins",
    "hosts",
    "header_timeout_seconds",
    "request_timeout_seconds",
    "max_connections",
    "rate_limit_per_ip",
    "rate_limit_per_user",
    "login_attempts_per_minute",
    "trusted_proxies",
    "postgrest",
    "upstream",
    "unfiltered_writes",
];
const OPERATION_KEYS: &[&str] = &[
    "method",
    "path",
    "id",
    "entity",
    "summary",
    "action",
    "query",
    "pagination",
    "rows",
    "error",
    "graphql",
];
const GRAPHQL_OPERATION_KEYS: &[&str] = &[
    "operation",
    "field",
    "arguments",
    "returns",
    "key",
    "input",
    "input_fields",
    "filter",
    "connection",
    "result",
    "paths",
    "order",
    "count",
    "count_field",
    "filter_or",
    "operators",
];
/// The filter operators a GraphQL comparison object may spell
/// (`[api.operations.graphql] operators`; `is` is `is.null`).
pub const GRAPHQL_COMPARISONS: &[&str] = &[
    "eq", "neq", "gt", "gte", "lt", "lte", "in", "nin", "like", "ilike", "is",
];
const GRAPHQL_ORDER_KEYS: &[&str] = &[
    "argument",
    "style",
    "list",
    "fields",
    "asc",
    "desc",
    "asc_nulls_first",
    "asc_nulls_last",
    "desc_nulls_first",
    "desc_nulls_last",
    "values",
    "by",
    "direction",
];
const PAGINATION_KEYS: &[&str] = &["style", "limit", "offset", "page", "cursor", "next"];
const UPSTREAM_KEYS: &[&str] = &[
    "timeout_seconds",
    "max_concurrency",
    "retries",
    "max_pages",
    "expose_errors",
    "credentials",
];
const CREDENTIALS_KEYS: &[&str] = &["in", "name", "value"];
const MANIFEST_KEYS: &[&str] = &["format", "version"];
const PROJECT_KEYS: &[&str] = &["name"];
const SOURCE_KEYS: &[&str] = &["engine", "url", "schemas"];
const ENUM_KEYS: &[&str] = &["values", "native", "schema", "comment"];
const ENTITY_KEYS: &[&str] = &[
    "table",
    "schema",
    "kind",
    "primary_key",
    "primary_key_name",
    "primary_key_include",
    "primary_key_with",
    "primary_key_comment",
    "comment",
    "definition",
    "without_rowid",
    "strict",
    "row_level_security",
    "force_row_level_security",
    "collation",
    "unlogged",
    "replica_identity",
    "cluster_on",
    "row_format",
    "with",
    "partition_by",
    "partitions",
    "inherits",
    "fields",
    "indexes",
    "uniques",
    "checks",
    "exclusions",
    "relations",
    "renamed_from",
    "rules",
    "policies",
];
const FIELD_KEYS: &[&str] = &[
    "type",
    "column",
    "nullable",
    "optional",
    "default",
    "on_update",
    "invisible",
    "generated",
    "identity_options",
    "sequence_comment",
    "unique",
    "inherited",
    "max_length",
    "precision",
    "scale",
    "enum",
    "items",
    "fields",
    "native",
    "collation",
    "comment",
    "renamed_from",
];
const INDEX_KEYS: &[&str] = &[
    "name",
    "fields",
    "unique",
    "where",
    "method",
    "expire_after_seconds",
    "operator_classes",
    "include",
    "nulls_not_distinct",
    "with",
    "invisible",
    "comment",
];
const INDEX_PART_KEYS: &[&str] = &["field", "sql", "order", "collation", "prefix_length"];
const UNIQUE_KEYS: &[&str] = &[
    "name",
    "fields",
    "include",
    "nulls_not_distinct",
    "with",
    "comment",
];
const CHECK_KEYS: &[&str] = &["name", "sql", "inherited", "no_inherit", "comment"];
const EXCLUSION_KEYS: &[&str] = &["name", "sql", "comment"];
const PARTITION_KEYS: &[&str] = &[
    "table",
    "schema",
    "of",
    "bound",
    "partition_by",
    "primary_key",
    "primary_key_name",
    "uniques",
    "exclusions",
    "indexes",
    "checks",
    "relations",
];
const RELATION_KEYS: &[&str] = &[
    "name",
    "fields",
    "references",
    "on_delete",
    "on_update",
    "deferrable",
    "deferred",
    "comment",
];
const TARGET_KEYS: &[&str] = &["entity", "fields"];
const COMPUTED_KEYS: &[&str] = &["sql", "stored"];
const SQL_KEYS: &[&str] = &["sql"];

/// Walks the document, collecting problems and spans as it goes.
#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
    record_spans: bool,
    spans: SpanMap,
}

impl Reader {
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn record(&mut self, path: &str, node: Node<'_>) {
        if !self.record_spans {
            return;
        }
        if let Some(span) = node.span() {
            self.spans.values.insert(path.to_owned(), span);
        }
    }

    /// The entries of a table, after reporting keys not in `allowed`.
    fn entries<'a>(
        &mut self,
        table: &'a dyn TableLike,
        path: &str,
        allowed: &[&str],
        what: &str,
    ) -> Vec<(&'a str, Node<'a>)> {
        let mut entries = Vec::new();
        for (key, item) in table.iter() {
            let child = key_path(path, key);
            if self.record_spans
                && let Some((key_repr, _)) = table.get_key_value(key)
                && let Some(span) = key_repr.span()
            {
                self.spans.keys.insert(child.clone(), span);
            }
            self.record(&child, Node::Item(item));
            if !allowed.is_empty() && !allowed.contains(&key) {
                let help = match closest(key, allowed) {
                    Some(best) => format!(
                        "did you mean `{best}`? {what} accepts: {}",
                        allowed.join(", ")
                    ),
                    None => format!("{what} accepts: {}", allowed.join(", ")),
                };
                self.problem(
                    Problem::new(
                        ProblemKind::UnknownKey,
                        &child,
                        format!("unknown key `{key}` in {what}"),
                    )
                    .with_help(help),
                );
                continue;
            }
            entries.push((key, Node::Item(item)));
        }
        entries
    }

    fn expected(&mut self, path: &str, node: Node<'_>, expected: &str) {
        self.problem(Problem::new(
            ProblemKind::WrongType,
            path,
            format!(
                "`{}` must be {expected}, found {}",
                super::path::last(path),
                node.type_name()
            ),
        ));
    }

    fn table<'a>(&mut self, node: Node<'a>, path: &str) -> Option<&'a dyn TableLike> {
        let table = node.table();
        if table.is_none() {
            self.expected(path, node, "a table");
        }
        table
    }

    fn string(&mut self, node: Node<'_>, path: &str) -> Option<String> {
        match node.value() {
            Some(Value::String(s)) => Some(s.value().clone()),
            // Dates are written as strings in the manifest; accept TOML's own.
            Some(Value::Datetime(d)) => Some(d.value().to_string()),
            _ => {
                self.expected(path, node, "a string");
                None
            }
        }
    }

    fn non_empty_string(&mut self, node: Node<'_>, path: &str) -> Option<String> {
        let value = self.string(node, path)?;
        if value.trim().is_empty() {
            self.problem(Problem::new(
                ProblemKind::InvalidValue,
                path,
                format!("`{}` must not be empty", super::path::last(path)),
            ));
            return None;
        }
        Some(value)
    }

    fn bool(&mut self, node: Node<'_>, path: &str) -> Option<bool> {
        match node.value() {
            Some(Value::Boolean(b)) => Some(*b.value()),
            _ => {
                self.expected(path, node, "`true` or `false`");
                None
            }
        }
    }

    /// `true` (the default mount path), `false` (off) or a path that
    /// starts with `/` (`[api] postgrest`).
    fn mount_path(&mut self, node: Node<'_>, path: &str) -> Option<String> {
        match node.value() {
            Some(Value::Boolean(b)) => b.value().then(|| super::model::POSTGREST_PATH.to_owned()),
            Some(Value::String(s))
                if s.value().starts_with('/')
                    && s.value().len() > 1
                    && !s.value().ends_with('/')
                    && !s.value().starts_with("/api/")
                    && s.value() != "/api" =>
            {
                Some(s.value().clone())
            }
            _ => {
                self.expected(
                    path,
                    node,
                    "`true`, `false` or a path such as \"/rest/v1\" (not under `/api`, no trailing `/`)",
                );
                None
            }
        }
    }

    /// A whole number above zero.
    fn positive(&mut self, node: Node<'_>, path: &str) -> Option<u64> {
        let value = self.unsigned(node, path)?;
        if value == 0 {
            self.problem(Problem::new(
                ProblemKind::InvalidValue,
                path,
                format!("`{}` must be at least 1", super::path::last(path)),
            ));
            return None;
        }
        Some(value)
    }

    fn unsigned(&mut self, node: Node<'_>, path: &str) -> Option<u64> {
        match node.value() {
            Some(Value::Integer(i)) if *i.value() >= 0 => Some(*i.value() as u64),
            Some(Value::Integer(_)) => {
                self.problem(Problem::new(
                    ProblemKind::InvalidValue,
                    path,
                    format!("`{}` must not be negative", super::path::last(path)),
                ));
                None
            }
            _ => {
                self.expected(path, node, "a whole number");
                None
            }
        }
    }

    fn u32(&mut self, node: Node<'_>, path: &str) -> Option<u32> {
        let value = self.unsigned(node, path)?;
        self.fits_u32(value, path)
    }

    fn fits_u32(&mut self, value: u64, path: &str) -> Option<u32> {
        match u32::try_from(value) {
            Ok(value) => Some(value),
            Err(_) => {
                self.problem(Problem::new(
                    ProblemKind::InvalidValue,
                    path,
                    format!("`{}` is too large", super::path::last(path)),
                ));
                None
            }
        }
    }

    fn strings(&mut self, node: Node<'_>, path: &str) -> Option<Vec<String>> {
        let Some(elements) = node.elements() else {
            self.expected(path, node, "an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(elements.len());
        for (i, element) in elements.into_iter().enumerate() {
            let child = index_path(path, i);
            self.record(&child, element);
            if let Some(s) = self.string(element, &child) {
                out.push(s);
            }
        }
        Some(out)
    }

    /// A closed set of spellings, e.g. a field type or an action.
    fn choice<T>(
        &mut self,
        node: Node<'_>,
        path: &str,
        all: &[&str],
        parse: fn(&str) -> Option<T>,
        kind: ProblemKind,
    ) -> Option<T> {
        let text = self.string(node, path)?;
        if let Some(value) = parse(&text) {
            return Some(value);
        }
        let alias = (kind == ProblemKind::UnknownType)
            .then(|| FieldType::alias(&text))
            .flatten();
        let help = match (alias, closest(&text, all)) {
            (Some(alias), _) => format!("use {alias}; expected one of: {}", all.join(", ")),
            (None, Some(best)) => {
                format!("did you mean `{best}`? expected one of: {}", all.join(", "))
            }
            (None, None) => format!("expected one of: {}", all.join(", ")),
        };
        self.problem(
            Problem::new(
                kind,
                path,
                format!(
                    "unknown {} `{text}`",
                    super::path::last(path).replace('_', " ")
                ),
            )
            .with_help(help),
        );
        None
    }

    fn manifest(&mut self, root: &Table) -> Manifest {
        let mut manifest = Manifest::default();
        let mut saw_header = false;
        for (key, node) in self.entries(root, "", ROOT_KEYS, "the top level of baas.toml") {
            match key {
                "manifest" => {
                    saw_header = true;
                    self.header(node, &mut manifest);
                }
                "project" => manifest.project = self.project(node),
                "source" => manifest.source = self.source(node),
                "enums" => manifest.enums = self.named(node, "enums", Self::enumeration),
                "entities" => manifest.entities = self.named(node, "entities", Self::entity),
                "api" => manifest.api = self.api(node),
                "auth" => manifest.auth = self.auth(node),
                "postgres" => manifest.postgres = self.engine_objects(node, "postgres"),
                "tenancy" => manifest.tenancy = self.tenancy(node),
                "hooks" => manifest.hooks = self.list(node, "hooks", Self::hook),
                "realtime" => manifest.realtime = self.realtime(node),
                "webhooks" => manifest.webhooks = self.list(node, "webhooks", Self::webhook),
                _ => {}
            }
        }
        if !saw_header {
            self.problem(
                Problem::new(
                    ProblemKind::MissingKey,
                    "",
                    "missing the `[manifest]` table".to_owned(),
                )
                .with_span(Some(0..0))
                .with_help(format!(
                    "start the file with:\n[manifest]\nformat = {CURRENT_FORMAT}\nversion = 1"
                )),
            );
        }
        manifest
    }

    fn header(&mut self, node: Node<'_>, manifest: &mut Manifest) {
        let Some(table) = self.table(node, "manifest") else {
            return;
        };
        let mut saw_format = false;
        for (key, node) in self.entries(table, "manifest", MANIFEST_KEYS, "`[manifest]`") {
            let path = key_path("manifest", key);
            match key {
                "format" => {
                    saw_format = true;
                    if let Some(format) = self.u32(node, &path) {
                        manifest.format = format;
                        if format == 0 || format > CURRENT_FORMAT {
                            self.problem(
                                Problem::new(
                                    ProblemKind::InvalidValue,
                                    &path,
                                    format!("manifest format {format} is not supported"),
                                )
                                .with_help(format!(
                                    "this baas reads format {CURRENT_FORMAT}; a newer file needs a newer baas"
                                )),
                            );
                        }
                    }
                }
                "version" => {
                    if let Some(version) = self.unsigned(node, &path) {
                        manifest.version = version;
                    }
                }
                _ => {}
            }
        }
        if !saw_format {
            self.problem(
                Problem::new(
                    ProblemKind::MissingKey,
                    "manifest",
                    "`[manifest]` has no `format`".to_owned(),
                )
                .with_help(format!("add `format = {CURRENT_FORMAT}`")),
            );
        }
    }

    /// `[postgres]`: extensions and the arrays of engine objects.
    fn engine_objects(&mut self, node: Node<'_>, path: &str) -> EngineObjects {
        let mut objects = EngineObjects::default();
        let Some(table) = self.table(node, path) else {
            return objects;
        };
        let what = format!("`[{path}]`");
        let sections: Vec<&str> = std::iter::once("extensions")
            .chain(ObjectKind::SECTIONS.iter().copied())
            .collect();
        for (section, node) in self.entries(table, path, &sections, &what) {
            let child = key_path(path, section);
            if section == "extensions" {
                objects.extensions = self.named(node, &child, Self::extension);
                continue;
            }
            let kind = ObjectKind::of_section(section).unwrap_or(ObjectKind::Function);
            let list = self.list(node, &child, Self::engine_object);
            for mut object in list {
                if section != "functions" {
                    if object.kind != ObjectKind::Function {
                        self.problem(
                            Problem::new(
                                ProblemKind::UnknownKey,
                                &child,
                                format!("`kind` is only read in `[[{path}.functions]]`"),
                            )
                            .with_help("remove `kind`: the array says what the object is"),
                        );
                    }
                    object.kind = kind;
                } else if object.kind.section() != "functions" {
                    self.problem(
                        Problem::new(
                            ProblemKind::InvalidValue,
                            &child,
                            format!("`{}` is not a kind of function", object.kind),
                        )
                        .with_help("use `function`, `procedure` or `aggregate`"),
                    );
                }
                objects.objects.push(object);
            }
        }
        objects
    }

    fn extension(&mut self, name: &str, node: Node<'_>, path: &str) -> Option<Extension> {
        let table = self.table(node, path)?;
        let mut extension = Extension::default();
        let what = format!("extension `{name}`");
        for (key, node) in self.entries(table, path, EXTENSION_KEYS, &what) {
            let child = key_path(path, key);
            match key {
                "schema" => extension.schema = self.non_empty_string(node, &child),
                "version" => extension.version = self.non_empty_string(node, &child),
                _ => {}
            }
        }
        Some(extension)
    }

    fn engine_object(&mut self, node: Node<'_>, path: &str) -> Option<EngineObject> {
        let table = self.table(node, path)?;
        let mut name = None;
        let mut kind = ObjectKind::Function;
        let mut sql = None;
        let mut depends_on = Vec::new();
        let mut owned_by = None;
        let mut comment = None;
        for (key, node) in self.entries(table, path, ENGINE_OBJECT_KEYS, "an engine object") {
            let child = key_path(path, key);
            match key {
                "name" => name = self.non_empty_string(node, &child),
                "kind" => {
                    if let Some(parsed) = self.choice(
                        node,
                        &child,
                        ObjectKind::ALL,
                        ObjectKind::parse,
                        ProblemKind::InvalidValue,
                    ) {
                        kind = parsed;
                    }
                }
                "sql" => sql = self.non_empty_string(node, &child),
                "depends_on" => depends_on = self.strings(node, &child).unwrap_or_default(),
                "owned_by" => owned_by = self.non_empty_string(node, &child),
                "comment" => comment = self.string(node, &child),
                _ => {}
            }
        }
        let name = self.required(name, path, "name", "engine object", "\"public.f(integer)\"");
        let sql = self.required(sql, path, "sql", "engine object", "\"CREATE ...\"");
        Some(EngineObject {
            kind,
            name: name?,
            sql: sql?,
            depends_on,
            owned_by,
            comment,
        })
    }

    fn api(&mut self, node: Node<'_>) -> Option<Api> {
        let table = self.table(node, "api")?;
        let mut api = Api::default();
        for (key, node) in self.entries(table, "api", API_KEYS, "`[api]`") {
            let path = key_path("api", key);
            match key {
                "base_url" => api.base_url = self.non_empty_string(node, &path),
                "operations" => api.operations = self.list(node, &path, Self::operation),
                "cors_origins" => api.cors_origins = self.strings(node, &path).unwrap_or_default(),
                "hosts" => api.hosts = self.strings(node, &path).unwrap_or_default(),
                "header_timeout_seconds" => {
                    api.header_timeout_seconds = self.positive(node, &path);
                }
                "request_timeout_seconds" => {
                    api.request_timeout_seconds = self.positive(node, &path);
                }
                "max_connections" => api.max_connections = self.positive(node, &path),
                "rate_limit_per_ip" => api.rate_limit_per_ip = self.positive(node, &path),
                "rate_limit_per_user" => api.rate_limit_per_user = self.positive(node, &path),
                "login_attempts_per_minute" => {
                    api.login_attempts_per_minute = self.positive(node, &path);
                }
                "trusted_proxies" => {
                    let proxies = self.strings(node, &path).unwrap_or_default();
                    for proxy in &proxies {
                        if let Err(message) = super::model::parse_network(proxy) {
                            self.problem(Problem::new(ProblemKind::InvalidValue, &path, message));
                        }
                    }
                    api.trusted_proxies = proxies;
                }
                "postgrest" => api.postgrest = self.mount_path(node, &path),
                "upstream" => api.upstream = self.upstream(node, &path),
                "unfiltered_writes" => {
                    api.unfiltered_writes = self.bool(node, &path).unwrap_or_default();
                }
                _ => {}
            }
        }
        Some(api)
    }

    fn tenancy(&mut self, node: Node<'_>) -> Option<Tenancy> {
        let table = self.table(node, "tenancy")?;
        let mut tenancy = Tenancy::default();
        for (key, node) in self.entries(table, "tenancy", TENANCY_KEYS, "`[tenancy]`") {
            let path = key_path("tenancy", key);
            match key {
                "strategy" => {
                    if let Some(strategy) = self.choice(
                        node,
                        &path,
                        TenancyStrategy::ALL,
                        TenancyStrategy::parse,
                        ProblemKind::InvalidValue,
                    ) {
                        tenancy.strategy = strategy;
                    }
                }
                "resolve" => tenancy.resolve = self.tenant_sources(node, &path),
                "registry" => tenancy.registry = self.url_reference(node, &path),
                "url" => tenancy.url = self.url_reference(node, &path),
                "column" => tenancy.column = self.non_empty_string(node, &path),
                "max_pools" => tenancy.max_pools = self.positive(node, &path),
                "idle_seconds" => tenancy.idle_seconds = self.positive(node, &path),
                "admin" => tenancy.admin = self.non_empty_string(node, &path),
                _ => {}
            }
        }
        Some(tenancy)
    }

    /// `[tenancy] resolve`: each entry one of [`TenantSource::FORMS`].
    fn tenant_sources(&mut self, node: Node<'_>, path: &str) -> Vec<String> {
        let Some(elements) = node.elements() else {
            self.expected(path, node, "an array of strings");
            return Vec::new();
        };
        if elements.is_empty() {
            self.problem(
                Problem::new(
                    ProblemKind::InvalidValue,
                    path,
                    "`resolve` lists no way to name a tenant".to_owned(),
                )
                .with_help(
                    "leave `resolve` out for the default, or list e.g. [\"header:x-tenant\"]",
                ),
            );
        }
        let mut out = Vec::with_capacity(elements.len());
        for (i, element) in elements.into_iter().enumerate() {
            let child = index_path(path, i);
            self.record(&child, element);
            let Some(text) = self.string(element, &child) else {
                continue;
            };
            if TenantSource::parse(&text).is_none() {
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        &child,
                        format!("`{text}` is not a way to name a tenant"),
                    )
                    .with_help(format!(
                        "write one of: {} (e.g. \"header:x-tenant\", \"claim:tenant\")",
                        TenantSource::FORMS.join(", ")
                    )),
                );
                continue;
            }
            out.push(text);
        }
        out
    }

    /// A connection string that may hold `${ENV}` references (written
    /// well-formed).
    fn url_reference(&mut self, node: Node<'_>, path: &str) -> Option<String> {
        let url = self.non_empty_string(node, path)?;
        if let Err(error) = super::interpolate::check(&url) {
            self.problem(
                Problem::new(ProblemKind::InvalidValue, path, error.to_string())
                    .with_help("write environment references as `${NAME}`"),
            );
            return None;
        }
        Some(url)
    }

    fn operation(&mut self, node: Node<'_>, path: &str) -> Option<Operation> {
        let table = self.table(node, path)?;
        let mut method = None;
        let mut route = None;
        let mut id = None;
        let mut entity = None;
        let mut summary = None;
        let mut action = None;
        let mut query = Vec::new();
        let mut pagination = None;
        let mut rows = None;
        let mut error = None;
        let mut graphql = None;
        for (key, node) in self.entries(table, path, OPERATION_KEYS, "an API operation") {
            let child = key_path(path, key);
            match key {
                "method" => method = self.non_empty_string(node, &child),
                "path" => route = self.non_empty_string(node, &child),
                "id" => id = self.non_empty_string(node, &child),
                "entity" => entity = self.non_empty_string(node, &child),
                "summary" => summary = self.string(node, &child),
                "action" => {
                    action = self.choice(
                        node,
                        &child,
                        OperationAction::ALL,
                        OperationAction::parse,
                        ProblemKind::InvalidValue,
                    );
                }
                "query" => query = self.strings(node, &child).unwrap_or_default(),
                "pagination" => pagination = self.pagination(node, &child),
                "rows" => rows = self.non_empty_string(node, &child),
                "graphql" => graphql = self.graphql_operation(node, &child),
                "error" => {
                    error = self.string(node, &child);
                    if let Some(pointer) = &error
                        && !pointer.starts_with('/')
                    {
                        self.problem(
                            Problem::new(
                                ProblemKind::InvalidValue,
                                &child,
                                format!("`{pointer}` is not a JSON pointer"),
                            )
                            .with_help("write a pointer into the error body, such as \"/message\""),
                        );
                    }
                }
                _ => {}
            }
        }
        let method = self.required(method, path, "method", "API operation", "\"GET\"");
        let route = self.required(route, path, "path", "API operation", "\"/pets/{id}\"");
        Some(Operation {
            method: method?,
            path: route?,
            id,
            entity,
            summary,
            action,
            query,
            pagination,
            rows,
            error,
            graphql,
        })
    }

    /// `[api.operations.graphql]`: the root field of a GraphQL upstream;
    /// `key`, `input` and `filter` must name one of its `arguments`.
    fn graphql_operation(&mut self, node: Node<'_>, path: &str) -> Option<GraphqlOperation> {
        let table = self.table(node, path)?;
        let mut operation = None;
        let mut field = None;
        let mut arguments = IndexMap::new();
        let mut named: [Option<String>; 7] = Default::default();
        let mut input_fields = Vec::new();
        let mut connection = false;
        let mut paths = IndexMap::new();
        let mut keys = Vec::new();
        let mut order = None;
        let mut operators = IndexMap::new();
        let what = "`[api.operations.graphql]`";
        for (key, node) in self.entries(table, path, GRAPHQL_OPERATION_KEYS, what) {
            let child = key_path(path, key);
            match key {
                "operation" => {
                    operation = self.choice(
                        node,
                        &child,
                        GraphqlOperationType::ALL,
                        GraphqlOperationType::parse,
                        ProblemKind::InvalidValue,
                    );
                }
                "field" => field = self.non_empty_string(node, &child),
                "arguments" => arguments = self.string_map(node, &child),
                "input_fields" => input_fields = self.strings(node, &child).unwrap_or_default(),
                "connection" => connection = self.bool(node, &child).unwrap_or(false),
                "paths" => paths = self.string_map(node, &child),
                // One argument, or one per field of a composite key.
                "key" if node.elements().is_some() => {
                    keys = self.strings(node, &child).unwrap_or_default();
                }
                "key" => keys = self.non_empty_string(node, &child).into_iter().collect(),
                "order" => order = self.graphql_order(node, &child),
                "operators" => operators = self.graphql_operators(node, &child),
                _ => {
                    let slot = [
                        "count",
                        "input",
                        "filter",
                        "result",
                        "returns",
                        "count_field",
                        "filter_or",
                    ]
                    .iter()
                    .position(|name| *name == key)
                    .and_then(|i| named.get_mut(i));
                    if let Some(slot) = slot {
                        *slot = self.non_empty_string(node, &child);
                    }
                }
            }
        }
        let [
            count,
            input,
            filter,
            result,
            returns,
            count_field,
            filter_or,
        ] = named;
        let order_argument = order.as_ref().map(|order: &GraphqlOrder| &order.argument);
        let named = keys
            .iter()
            .map(|name| ("key", name))
            .chain(input.iter().map(|name| ("input", name)))
            .chain(filter.iter().map(|name| ("filter", name)))
            .chain(order_argument.map(|name| ("order", name)));
        for (slot, name) in named {
            if !arguments.contains_key(name) {
                let names: Vec<&str> = arguments.keys().map(String::as_str).collect();
                let help = match closest(name, &names) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "list it in `arguments` with its GraphQL type: `arguments = {{ {name} = \"ID!\" }}`"
                    ),
                };
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        &key_path(path, slot),
                        format!("`{slot} = \"{name}\"` is not one of the field's `arguments`"),
                    )
                    .with_help(help),
                );
            }
        }
        let operation = self.required(operation, path, "operation", what, "\"query\"");
        let field = self.required(field, path, "field", what, "\"books\"");
        let returns = self.required(returns, path, "returns", what, "\"[Book!]!\"");
        Some(GraphqlOperation {
            operation: operation?,
            field: field?,
            arguments,
            returns: returns?,
            key: keys,
            input,
            input_fields,
            filter,
            connection,
            result,
            paths,
            order,
            count,
            count_field,
            filter_or,
            operators,
        })
    }

    /// `operators = { eq = "_eq", in = "_in" }`: each key one of baas's
    /// filter operators a comparison object can spell.
    fn graphql_operators(&mut self, node: Node<'_>, path: &str) -> IndexMap<String, String> {
        let operators = self.string_map(node, path);
        for name in operators.keys() {
            if !GRAPHQL_COMPARISONS.contains(&name.as_str()) {
                let help = match closest(name, GRAPHQL_COMPARISONS) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the operators are {}", GRAPHQL_COMPARISONS.join(", ")),
                };
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        &key_path(path, name),
                        format!("`{name}` is not a filter operator a comparison object takes"),
                    )
                    .with_help(help),
                );
            }
        }
        operators
    }

    /// `order = { argument = "orderBy", style = "input", fields = [..] }`.
    fn graphql_order(&mut self, node: Node<'_>, path: &str) -> Option<GraphqlOrder> {
        let table = self.table(node, path)?;
        let mut argument = None;
        let mut style = None;
        let mut list = false;
        let mut fields = Vec::new();
        let mut directions: [Option<String>; 2] = Default::default();
        let mut nulls = Nulls::default();
        let mut values = IndexMap::new();
        let mut inputs: [Option<String>; 2] = Default::default();
        let mut values_at = None;
        for (key, node) in self.entries(table, path, GRAPHQL_ORDER_KEYS, "a GraphQL order") {
            let child = key_path(path, key);
            match key {
                "argument" => argument = self.non_empty_string(node, &child),
                "style" => {
                    style = self.choice(
                        node,
                        &child,
                        GraphqlOrderStyle::ALL,
                        GraphqlOrderStyle::parse,
                        ProblemKind::InvalidValue,
                    );
                }
                "list" => list = self.bool(node, &child).unwrap_or(false),
                "fields" => fields = self.strings(node, &child).unwrap_or_default(),
                "asc" => directions[0] = self.non_empty_string(node, &child),
                "desc" => directions[1] = self.non_empty_string(node, &child),
                "by" => inputs[0] = self.non_empty_string(node, &child),
                "direction" => inputs[1] = self.non_empty_string(node, &child),
                "values" => {
                    values = self.string_map(node, &child);
                    values_at = Some(child);
                }
                _ => {
                    if let Some(slot) = Nulls::KEYS
                        .iter()
                        .position(|name| *name == key)
                        .and_then(|i| nulls.0.get_mut(i))
                    {
                        *slot = self.non_empty_string(node, &child);
                    }
                }
            }
        }
        let argument = self.required(argument, path, "argument", "GraphQL order", "\"orderBy\"");
        let style = self.required(style, path, "style", "GraphQL order", "\"input\"");
        let [by, direction] = inputs;
        // A `field` order names each field by an enum value, and the input
        // fields taking the field and the direction.
        if style == Some(GraphqlOrderStyle::Field) {
            let by = self.required(by.clone(), path, "by", "`field` order", "\"field\"");
            let direction = self.required(
                direction.clone(),
                path,
                "direction",
                "`field` order",
                "\"direction\"",
            );
            let missing: Vec<&str> = fields
                .iter()
                .filter(|field| !values.contains_key(*field))
                .map(String::as_str)
                .collect();
            if by.is_some() && direction.is_some() && !missing.is_empty() {
                let at = values_at.unwrap_or_else(|| key_path(path, "fields"));
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        &at,
                        format!(
                            "a `field` order names each of its `fields` by an enum value in \
                             `values`; {} has none",
                            missing
                                .iter()
                                .map(|name| format!("`{name}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_help(format!(
                        "add it: `values = {{ {} = \"{}\" }}`",
                        missing[0],
                        GraphqlOrder::upper_snake(missing[0])
                    )),
                );
            }
        }
        let [asc, desc] = directions;
        Some(GraphqlOrder {
            argument: argument?,
            style: style?,
            list,
            fields,
            asc,
            desc,
            nulls,
            values,
            by,
            direction,
        })
    }

    /// A table of strings (`{ first = "Int", after = "String" }`), in order.
    fn string_map(&mut self, node: Node<'_>, path: &str) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        let Some(table) = self.table(node, path) else {
            return out;
        };
        for (key, node) in self.entries(table, path, &[], "") {
            if let Some(value) = self.non_empty_string(node, &key_path(path, key)) {
                out.insert(key.to_owned(), value);
            }
        }
        out
    }

    /// `pagination = { style = "offset", limit = "limit", offset = "offset" }`.
    fn pagination(&mut self, node: Node<'_>, path: &str) -> Option<Pagination> {
        let table = self.table(node, path)?;
        let mut style = None;
        let mut names: [Option<String>; 5] = Default::default();
        for (key, node) in self.entries(table, path, PAGINATION_KEYS, "a pagination") {
            let child = key_path(path, key);
            match key {
                "style" => {
                    style = self.choice(
                        node,
                        &child,
                        PaginationStyle::ALL,
                        PaginationStyle::parse,
                        ProblemKind::InvalidValue,
                    );
                }
                _ => {
                    if let Some(slot) = PAGINATION_KEYS[1..]
                        .iter()
                        .position(|name| *name == key)
                        .and_then(|i| names.get_mut(i))
                    {
                        *slot = self.non_empty_string(node, &child);
                    }
                }
            }
        }
        let style = self.required(style, path, "style", "pagination", "\"offset\"")?;
        let [limit, offset, page, cursor, next] = names;
        Some(Pagination {
            style,
            limit,
            offset,
            page,
            cursor,
            next,
        })
    }

    /// `[api.upstream]`.
    fn upstream(&mut self, node: Node<'_>, path: &str) -> Option<Upstream> {
        let table = self.table(node, path)?;
        let mut upstream = Upstream::default();
        for (key, node) in self.entries(table, path, UPSTREAM_KEYS, "`[api.upstream]`") {
            let child = key_path(path, key);
            match key {
                "timeout_seconds" => upstream.timeout_seconds = self.positive(node, &child),
                "max_concurrency" => upstream.max_concurrency = self.positive(node, &child),
                "retries" => upstream.retries = self.unsigned(node, &child),
                "max_pages" => upstream.max_pages = self.positive(node, &child),
                "expose_errors" => {
                    upstream.expose_errors = self.bool(node, &child).unwrap_or(false);
                }
                "credentials" => upstream.credentials = self.credentials(node, &child),
                _ => {}
            }
        }
        Some(upstream)
    }

    /// `credentials = { in = "header", name = "X-API-Key", value = "${KEY}" }`.
    fn credentials(&mut self, node: Node<'_>, path: &str) -> Option<Credentials> {
        let table = self.table(node, path)?;
        let mut location = None;
        let mut name = None;
        let mut value = None;
        for (key, node) in self.entries(table, path, CREDENTIALS_KEYS, "credentials") {
            let child = key_path(path, key);
            match key {
                "in" => {
                    location = self.choice(
                        node,
                        &child,
                        CredentialsIn::ALL,
                        CredentialsIn::parse,
                        ProblemKind::InvalidValue,
                    );
                }
                "name" => name = self.non_empty_string(node, &child),
                "value" => value = self.secret(node, &child, "UPSTREAM_TOKEN"),
                _ => {}
            }
        }
        let location = self.required(location, path, "in", "credentials", "\"bearer\"")?;
        let needs_name = matches!(location, CredentialsIn::Header | CredentialsIn::Query);
        if needs_name && name.is_none() {
            self.problem(
                Problem::new(
                    ProblemKind::MissingKey,
                    path,
                    format!("credentials `in = \"{location}\"` need a `name`"),
                )
                .with_help("name the header or query parameter: `name = \"X-API-Key\"`"),
            );
        }
        if location != CredentialsIn::Forward && value.is_none() && !table.contains_key("value") {
            self.problem(
                Problem::new(
                    ProblemKind::MissingKey,
                    path,
                    format!("credentials `in = \"{location}\"` need a `value`"),
                )
                .with_help("write `value = \"${UPSTREAM_TOKEN}\"` and set it in the environment"),
            );
        }
        Some(Credentials {
            location,
            name,
            value,
        })
    }

    fn project(&mut self, node: Node<'_>) -> Project {
        let mut project = Project::default();
        let Some(table) = self.table(node, "project") else {
            return project;
        };
        for (key, node) in self.entries(table, "project", PROJECT_KEYS, "`[project]`") {
            if key == "name" {
                project.name = self.string(node, "project.name");
            }
        }
        project
    }

    fn source(&mut self, node: Node<'_>) -> Option<Source> {
        let table = self.table(node, "source")?;
        let mut engine = None;
        let mut url = None;
        let mut schemas = Vec::new();
        for (key, node) in self.entries(table, "source", SOURCE_KEYS, "`[source]`") {
            let path = key_path("source", key);
            match key {
                "engine" => {
                    engine = self.choice(
                        node,
                        &path,
                        SourceEngine::ALL,
                        SourceEngine::parse,
                        ProblemKind::InvalidValue,
                    )
                }
                "url" => {
                    url = self.non_empty_string(node, &path);
                    if let Some(text) = &url
                        && let Err(error) = super::interpolate::check(text)
                    {
                        self.problem(
                            Problem::new(ProblemKind::InvalidValue, &path, error.to_string())
                                .with_help("write environment references as `${NAME}`"),
                        );
                    }
                }
                "schemas" => schemas = self.strings(node, &path).unwrap_or_default(),
                _ => {}
            }
        }
        match engine {
            Some(engine) => Some(Source {
                engine,
                url,
                schemas,
            }),
            None => {
                if !table.contains_key("engine") {
                    self.problem(
                        Problem::new(
                            ProblemKind::MissingKey,
                            "source",
                            "`[source]` has no `engine`".to_owned(),
                        )
                        .with_help(format!(
                            "add `engine = \"...\"`, one of: {}",
                            SourceEngine::ALL.join(", ")
                        )),
                    );
                }
                None
            }
        }
    }

    /// A table of named tables (`[enums.X]`, `[entities.X]`).
    fn named<T>(
        &mut self,
        node: Node<'_>,
        path: &str,
        read: fn(&mut Self, &str, Node<'_>, &str) -> Option<T>,
    ) -> std::collections::BTreeMap<String, T> {
        let mut out = std::collections::BTreeMap::new();
        let Some(table) = self.table(node, path) else {
            return out;
        };
        for (name, node) in self.entries(table, path, &[], "") {
            let child = key_path(path, name);
            if let Some(value) = read(self, name, node, &child) {
                out.insert(name.to_owned(), value);
            }
        }
        out
    }

    fn enumeration(&mut self, name: &str, node: Node<'_>, path: &str) -> Option<Enum> {
        let table = self.table(node, path)?;
        let mut enumeration = Enum::default();
        let mut saw_values = false;
        let what = format!("enum `{name}`");
        for (key, node) in self.entries(table, path, ENUM_KEYS, &what) {
            let child = key_path(path, key);
            match key {
                "values" => {
                    saw_values = true;
                    enumeration.values = self.strings(node, &child).unwrap_or_default();
                }
                "native" => enumeration.native = self.non_empty_string(node, &child),
                "schema" => enumeration.schema = self.non_empty_string(node, &child),
                "comment" => enumeration.comment = self.string(node, &child),
                _ => {}
            }
        }
        if !saw_values {
            self.problem(
                Problem::new(
                    ProblemKind::MissingKey,
                    path,
                    format!("{what} has no `values`"),
                )
                .with_help("add `values = [\"a\", \"b\"]`"),
            );
        }
        Some(enumeration)
    }

    fn entity(&mut self, name: &str, node: Node<'_>, path: &str) -> Option<Entity> {
        let table = self.table(node, path)?;
        let mut entity = Entity::new(name);
        let what = format!("entity `{name}`");
        for (key, node) in self.entries(table, path, ENTITY_KEYS, &what) {
            let child = key_path(path, key);
            match key {
                "table" => {
                    if let Some(table) = self.non_empty_string(node, &child) {
                        entity.table = table;
                    }
                }
                "schema" => entity.schema = self.non_empty_string(node, &child),
                "kind" => {
                    if let Some(kind) = self.choice(
                        node,
                        &child,
                        EntityKind::ALL,
                        EntityKind::parse,
                        ProblemKind::InvalidValue,
                    ) {
                        entity.kind = kind;
                    }
                }
                "primary_key" => {
                    entity.primary_key = self.strings(node, &child).unwrap_or_default()
                }
                "primary_key_name" => entity.primary_key_name = self.non_empty_string(node, &child),
                "primary_key_include" => {
                    entity.primary_key_include = self.strings(node, &child).unwrap_or_default()
                }
                "primary_key_with" => {
                    entity.primary_key_with = self.strings(node, &child).unwrap_or_default()
                }
                "primary_key_comment" => entity.primary_key_comment = self.string(node, &child),
                "comment" => entity.comment = self.string(node, &child),
                "definition" => entity.definition = self.non_empty_string(node, &child),
                "without_rowid" => entity.without_rowid = self.bool(node, &child).unwrap_or(false),
                "strict" => entity.strict = self.bool(node, &child).unwrap_or(false),
                "unlogged" => entity.unlogged = self.bool(node, &child).unwrap_or(false),
                "replica_identity" => entity.replica_identity = self.non_empty_string(node, &child),
                "cluster_on" => entity.cluster_on = self.non_empty_string(node, &child),
                "row_format" => {
                    entity.row_format = self.choice(
                        node,
                        &child,
                        ROW_FORMATS,
                        |text| {
                            ROW_FORMATS
                                .iter()
                                .find(|format| format.eq_ignore_ascii_case(text))
                                .map(|format| (*format).to_owned())
                        },
                        ProblemKind::InvalidValue,
                    )
                }
                "collation" => entity.collation = self.non_empty_string(node, &child),
                "with" => {
                    entity.storage_parameters = self.strings(node, &child).unwrap_or_default()
                }
                "row_level_security" => {
                    entity.row_level_security = self.bool(node, &child).unwrap_or(false)
                }
                "force_row_level_security" => {
                    entity.force_row_level_security = self.bool(node, &child).unwrap_or(false)
                }
                "partition_by" => entity.partition_by = self.non_empty_string(node, &child),
                "partitions" => entity.partitions = self.list(node, &child, Self::partition),
                "inherits" => entity.inherits = self.strings(node, &child).unwrap_or_default(),
                "fields" => entity.fields = self.fields(node, &child),
                "indexes" => entity.indexes = self.list(node, &child, Self::index),
                "uniques" => entity.uniques = self.list(node, &child, Self::unique),
                "checks" => entity.checks = self.list(node, &child, Self::check),
                "exclusions" => entity.exclusions = self.list(node, &child, Self::exclusion),
                "relations" => entity.relations = self.list(node, &child, Self::relation),
                "renamed_from" => entity.renamed_from = self.non_empty_string(node, &child),
                "rules" => entity.rules = self.rules(node, &child),
                "policies" => entity.policies = self.strings(node, &child).unwrap_or_default(),
                _ => {}
            }
        }
        Some(entity)
    }

    /// `[entities.X.rules]`: one string per action (checked by
    /// [`rule_problems`] once the whole manifest is read).
    fn rules(&mut self, node: Node<'_>, path: &str) -> Rules {
        let mut rules = Rules::default();
        let Some(table) = self.table(node, path) else {
            return rules;
        };
        for (key, node) in self.entries(table, path, Rules::ACTIONS, "`rules`") {
            let child = key_path(path, key);
            if let Some(slot) = rules.slot(key) {
                *slot = self.string(node, &child);
            }
        }
        rules
    }

    fn fields(&mut self, node: Node<'_>, path: &str) -> IndexMap<String, Field> {
        let mut fields = IndexMap::new();
        let Some(table) = self.table(node, path) else {
            return fields;
        };
        for (name, node) in self.entries(table, path, &[], "") {
            let child = key_path(path, name);
            if let Some(field) = self.field(name, node, &child) {
                fields.insert(name.to_owned(), field);
            }
        }
        fields
    }

    fn field(&mut self, name: &str, node: Node<'_>, path: &str) -> Option<Field> {
        let Some(table) = node.table() else {
            self.problem(
                Problem::new(
                    ProblemKind::WrongType,
                    path,
                    format!("field `{name}` must be a table, found {}", node.type_name()),
                )
                .with_help(format!(
                    "write it as `{name} = {{ type = \"{}\" }}`",
                    node.value()
                        .and_then(Value::as_str)
                        .and_then(FieldType::parse)
                        .unwrap_or(FieldType::String)
                )),
            );
            return None;
        };
        let what = format!("field `{name}`");
        let entries = self.entries(table, path, FIELD_KEYS, &what);
        // A field whose type is missing or unknown is still kept (as a
        // placeholder) so that references to it do not cascade into more
        // problems; the type problem itself is reported.
        let ty = match entries.iter().find(|(key, _)| *key == "type") {
            Some((_, node)) => self.choice(
                *node,
                &key_path(path, "type"),
                FieldType::ALL,
                FieldType::parse,
                ProblemKind::UnknownType,
            ),
            None => {
                self.problem(
                    Problem::new(
                        ProblemKind::MissingKey,
                        path,
                        format!("{what} has no `type`"),
                    )
                    .with_help(format!(
                        "add `type = \"...\"`, one of: {}",
                        FieldType::ALL.join(", ")
                    )),
                );
                None
            }
        };
        let placeholder = ty.is_none();
        let mut field = Field::new(ty.unwrap_or(FieldType::Native));
        for (key, node) in entries {
            let child = key_path(path, key);
            match key {
                "column" => field.column = self.non_empty_string(node, &child),
                "nullable" => field.nullable = self.bool(node, &child).unwrap_or(false),
                "optional" => field.optional = self.bool(node, &child).unwrap_or(false),
                "on_update" => field.on_update = self.non_empty_string(node, &child),
                "invisible" => field.invisible = self.bool(node, &child).unwrap_or(false),
                "identity_options" => field.identity_options = self.non_empty_string(node, &child),
                "sequence_comment" => field.sequence_comment = self.non_empty_string(node, &child),
                "default" => field.default = self.default_value(node, &child),
                "unique" => field.unique = self.bool(node, &child).unwrap_or(false),
                "generated" => field.generated = self.generated(node, &child),
                "inherited" => field.inherited = self.bool(node, &child).unwrap_or(false),
                "max_length" => field.max_length = self.u32(node, &child),
                "precision" => field.precision = self.u32(node, &child),
                "scale" => field.scale = self.u32(node, &child),
                "enum" => field.enum_name = self.non_empty_string(node, &child),
                "items" => {
                    field.items = self.field(&format!("{name}[]"), node, &child).map(Box::new)
                }
                "fields" => field.fields = Some(self.fields(node, &child)),
                "native" => field.native = self.non_empty_string(node, &child),
                "collation" => field.collation = self.non_empty_string(node, &child),
                "comment" => field.comment = self.string(node, &child),
                "renamed_from" => field.renamed_from = self.non_empty_string(node, &child),
                _ => {}
            }
        }
        if placeholder && field.native.is_none() {
            field.native = Some("?".to_owned());
        }
        Some(field)
    }

    fn default_value(&mut self, node: Node<'_>, path: &str) -> Option<DefaultValue> {
        if let Some(table) = node.table() {
            let entries = self.entries(table, path, SQL_KEYS, "a default expression");
            return match entries.first() {
                Some((_, node)) => self
                    .non_empty_string(*node, &key_path(path, "sql"))
                    .map(|sql| DefaultValue::Sql { sql }),
                None => {
                    self.problem(
                        Problem::new(ProblemKind::MissingKey, path, "default table has no `sql`".to_owned())
                            .with_help("write `default = { sql = \"now()\" }` or a literal such as `default = 0`"),
                    );
                    None
                }
            };
        }
        self.literal(node, path).map(DefaultValue::Literal)
    }

    fn literal(&mut self, node: Node<'_>, path: &str) -> Option<Literal> {
        match node.value() {
            Some(Value::String(s)) => Some(Literal::String(s.value().clone())),
            Some(Value::Integer(i)) => Some(Literal::Int(*i.value())),
            Some(Value::Float(f)) => Some(Literal::Float(*f.value())),
            Some(Value::Boolean(b)) => Some(Literal::Bool(*b.value())),
            Some(Value::Datetime(d)) => Some(Literal::String(d.value().to_string())),
            Some(Value::Array(array)) => {
                let mut items = Vec::with_capacity(array.len());
                for (i, value) in array.iter().enumerate() {
                    items.push(self.literal(Node::Value(value), &index_path(path, i))?);
                }
                Some(Literal::Array(items))
            }
            _ => {
                self.expected(path, node, "a literal or `{ sql = \"...\" }`");
                None
            }
        }
    }

    fn generated(&mut self, node: Node<'_>, path: &str) -> Option<Generated> {
        if let Some(table) = node.table() {
            let mut sql = None;
            let mut stored = false;
            for (key, node) in self.entries(table, path, COMPUTED_KEYS, "a computed column") {
                let child = key_path(path, key);
                match key {
                    "sql" => sql = self.non_empty_string(node, &child),
                    "stored" => stored = self.bool(node, &child).unwrap_or(false),
                    _ => {}
                }
            }
            return match sql {
                Some(sql) => Some(Generated::Computed { sql, stored }),
                None => {
                    self.problem(
                        Problem::new(
                            ProblemKind::MissingKey,
                            path,
                            "computed column has no `sql`".to_owned(),
                        )
                        .with_help("write `generated = { sql = \"price * qty\", stored = true }`"),
                    );
                    None
                }
            };
        }
        self.choice(
            node,
            path,
            GeneratedKind::ALL,
            GeneratedKind::parse,
            ProblemKind::InvalidValue,
        )
        .map(Generated::Kind)
    }

    /// An array of tables (`[[entities.X.indexes]]` or an inline array).
    fn list<T>(
        &mut self,
        node: Node<'_>,
        path: &str,
        read: fn(&mut Self, Node<'_>, &str) -> Option<T>,
    ) -> Vec<T> {
        let Some(elements) = node.elements() else {
            self.expected(path, node, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(elements.len());
        for (i, element) in elements.into_iter().enumerate() {
            let child = index_path(path, i);
            self.record(&child, element);
            if let Some(value) = read(self, element, &child) {
                out.push(value);
            }
        }
        out
    }

    fn required<T>(
        &mut self,
        value: Option<T>,
        path: &str,
        key: &str,
        what: &str,
        example: &str,
    ) -> Option<T> {
        if value.is_none()
            && !self
                .problems
                .iter()
                .any(|p| p.path.starts_with(&key_path(path, key)))
        {
            self.problem(
                Problem::new(
                    ProblemKind::MissingKey,
                    path,
                    format!("{what} has no `{key}`"),
                )
                .with_help(format!("add `{key} = {example}`")),
            );
        }
        value
    }

    fn index(&mut self, node: Node<'_>, path: &str) -> Option<Index> {
        let table = self.table(node, path)?;
        let mut name = None;
        let mut fields = None;
        let mut unique = false;
        let mut predicate = None;
        let mut method = None;
        let mut expire_after_seconds = None;
        let mut options = IndexOptions::default();
        for (key, node) in self.entries(table, path, INDEX_KEYS, "an index") {
            let child = key_path(path, key);
            match key {
                "name" => name = self.non_empty_string(node, &child),
                "fields" => fields = self.index_parts(node, &child),
                "unique" => unique = self.bool(node, &child).unwrap_or(false),
                "where" => predicate = self.non_empty_string(node, &child),
                "method" => method = self.non_empty_string(node, &child),
                "expire_after_seconds" => expire_after_seconds = self.unsigned(node, &child),
                "operator_classes" => {
                    options.operator_classes = self.strings(node, &child).unwrap_or_default()
                }
                "include" => options.include = self.strings(node, &child).unwrap_or_default(),
                "nulls_not_distinct" => {
                    options.nulls_not_distinct = self.bool(node, &child).unwrap_or(false)
                }
                "with" => {
                    options.storage_parameters = self.strings(node, &child).unwrap_or_default()
                }
                "invisible" => options.invisible = self.bool(node, &child).unwrap_or(false),
                "comment" => options.comment = self.string(node, &child),
                _ => {}
            }
        }
        let name = self.required(name, path, "name", "index", "\"idx_name\"");
        let fields = self.required(fields, path, "fields", "index", "[\"field\"]");
        Some(Index {
            name: name?,
            fields: fields?,
            unique,
            predicate,
            method,
            expire_after_seconds,
            options,
        })
    }

    fn index_parts(&mut self, node: Node<'_>, path: &str) -> Option<Vec<IndexPart>> {
        let Some(elements) = node.elements() else {
            self.expected(path, node, "an array of field names");
            return None;
        };
        let mut parts = Vec::with_capacity(elements.len());
        for (i, element) in elements.into_iter().enumerate() {
            let child = index_path(path, i);
            self.record(&child, element);
            if let Some(Value::String(s)) = element.value() {
                parts.push(IndexPart::field(s.value().clone()));
                continue;
            }
            let Some(table) = element.table() else {
                self.expected(
                    &child,
                    element,
                    "a field name or `{ field = \"...\", order = \"desc\" }`",
                );
                continue;
            };
            let mut field = None;
            let mut sql = None;
            let mut order = None;
            let mut collation = None;
            let mut prefix_length = None;
            for (key, node) in self.entries(table, &child, INDEX_PART_KEYS, "an index key") {
                let grandchild = key_path(&child, key);
                match key {
                    "field" => field = self.non_empty_string(node, &grandchild),
                    "sql" => sql = self.non_empty_string(node, &grandchild),
                    "order" => {
                        order = self.choice(
                            node,
                            &grandchild,
                            SortOrder::ALL,
                            SortOrder::parse,
                            ProblemKind::InvalidValue,
                        )
                    }
                    "collation" => collation = self.non_empty_string(node, &grandchild),
                    "prefix_length" => {
                        prefix_length = self
                            .positive(node, &grandchild)
                            .and_then(|length| self.fits_u32(length, &grandchild))
                    }
                    _ => {}
                }
            }
            match (field, sql) {
                (Some(field), None) => parts.push(IndexPart::Field {
                    field,
                    order,
                    collation,
                    prefix_length,
                }),
                (None, Some(_)) if prefix_length.is_some() => self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        &key_path(&child, "prefix_length"),
                        "`prefix_length` shortens a `field` key; an `sql` key has none".to_owned(),
                    )
                    .with_help("index a prefix of an expression with `{ sql = \"left(title, 10)\" }`"),
                ),
                (None, Some(sql)) if collation.is_none() => parts.push(IndexPart::Expression { sql, order }),
                _ => self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        &child,
                        "an index key needs exactly one of `field` or `sql`".to_owned(),
                    )
                    .with_help("write `{ field = \"title\", order = \"desc\" }` or `{ sql = \"lower(title)\" }`"),
                ),
            }
        }
        Some(parts)
    }

    fn unique(&mut self, node: Node<'_>, path: &str) -> Option<Unique> {
        let table = self.table(node, path)?;
        let mut name = None;
        let mut fields = None;
        let mut options = KeyOptions::default();
        for (key, node) in self.entries(table, path, UNIQUE_KEYS, "a unique constraint") {
            let child = key_path(path, key);
            match key {
                "name" => name = self.non_empty_string(node, &child),
                "fields" => fields = self.strings(node, &child),
                "include" => options.include = self.strings(node, &child).unwrap_or_default(),
                "nulls_not_distinct" => {
                    options.nulls_not_distinct = self.bool(node, &child).unwrap_or(false)
                }
                "with" => {
                    options.storage_parameters = self.strings(node, &child).unwrap_or_default()
                }
                "comment" => options.comment = self.string(node, &child),
                _ => {}
            }
        }
        let fields = self.required(fields, path, "fields", "unique constraint", "[\"field\"]")?;
        Some(Unique {
            name,
            fields,
            options,
        })
    }

    fn check(&mut self, node: Node<'_>, path: &str) -> Option<Check> {
        let table = self.table(node, path)?;
        let mut check = Check::default();
        let mut sql = None;
        for (key, node) in self.entries(table, path, CHECK_KEYS, "a check constraint") {
            let child = key_path(path, key);
            match key {
                "name" => check.name = self.non_empty_string(node, &child),
                "sql" => sql = self.non_empty_string(node, &child),
                "inherited" => check.inherited = self.bool(node, &child).unwrap_or(false),
                "no_inherit" => check.no_inherit = self.bool(node, &child).unwrap_or(false),
                "comment" => check.comment = self.string(node, &child),
                _ => {}
            }
        }
        check.sql = self.required(sql, path, "sql", "check constraint", "\"price >= 0\"")?;
        Some(check)
    }

    fn exclusion(&mut self, node: Node<'_>, path: &str) -> Option<Exclusion> {
        let table = self.table(node, path)?;
        let mut name = None;
        let mut sql = None;
        let mut comment = None;
        for (key, node) in self.entries(table, path, EXCLUSION_KEYS, "an exclusion constraint") {
            let child = key_path(path, key);
            match key {
                "name" => name = self.non_empty_string(node, &child),
                "sql" => sql = self.non_empty_string(node, &child),
                "comment" => comment = self.string(node, &child),
                _ => {}
            }
        }
        let name = self.required(name, path, "name", "exclusion constraint", "\"no_overlap\"")?;
        let sql = self.required(
            sql,
            path,
            "sql",
            "exclusion constraint",
            "\"EXCLUDE USING gist (room_id WITH =, during WITH &&)\"",
        )?;
        Some(Exclusion { name, sql, comment })
    }

    fn partition(&mut self, node: Node<'_>, path: &str) -> Option<Partition> {
        let table = self.table(node, path)?;
        let mut name = None;
        let mut bound = None;
        let mut partition = Partition::new(String::new(), String::new());
        for (key, node) in self.entries(table, path, PARTITION_KEYS, "a partition") {
            let child = key_path(path, key);
            match key {
                "table" => name = self.non_empty_string(node, &child),
                "schema" => partition.schema = self.non_empty_string(node, &child),
                "of" => partition.of = self.non_empty_string(node, &child),
                "bound" => bound = self.non_empty_string(node, &child),
                "partition_by" => partition.partition_by = self.non_empty_string(node, &child),
                "primary_key" => {
                    partition.primary_key = self.strings(node, &child).unwrap_or_default()
                }
                "primary_key_name" => {
                    partition.primary_key_name = self.non_empty_string(node, &child)
                }
                "uniques" => partition.uniques = self.list(node, &child, Self::unique),
                "exclusions" => partition.exclusions = self.list(node, &child, Self::exclusion),
                "indexes" => partition.indexes = self.list(node, &child, Self::index),
                "checks" => partition.checks = self.list(node, &child, Self::check),
                "relations" => partition.relations = self.list(node, &child, Self::relation),
                _ => {}
            }
        }
        partition.table = self.required(name, path, "table", "partition", "\"events_2024\"")?;
        partition.bound = self.required(
            bound,
            path,
            "bound",
            "partition",
            "\"FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')\"",
        )?;
        Some(partition)
    }

    fn relation(&mut self, node: Node<'_>, path: &str) -> Option<Relation> {
        let table = self.table(node, path)?;
        let mut name = None;
        let mut fields = None;
        let mut references = None;
        let mut on_delete = ReferentialAction::NoAction;
        let mut on_update = ReferentialAction::NoAction;
        let mut deferrable = false;
        let mut deferred = false;
        let mut comment = None;
        for (key, node) in self.entries(table, path, RELATION_KEYS, "a relation") {
            let child = key_path(path, key);
            match key {
                "name" => name = self.non_empty_string(node, &child),
                "fields" => fields = self.strings(node, &child),
                "references" => references = self.target(node, &child),
                "on_delete" | "on_update" => {
                    if let Some(action) = self.choice(
                        node,
                        &child,
                        ReferentialAction::ALL,
                        ReferentialAction::parse,
                        ProblemKind::InvalidValue,
                    ) {
                        if key == "on_delete" {
                            on_delete = action;
                        } else {
                            on_update = action;
                        }
                    }
                }
                "deferrable" => deferrable = self.bool(node, &child).unwrap_or(false),
                "deferred" => deferred = self.bool(node, &child).unwrap_or(false),
                "comment" => comment = self.string(node, &child),
                _ => {}
            }
        }
        let fields = self.required(fields, path, "fields", "relation", "[\"author_id\"]");
        let references = self.required(
            references,
            path,
            "references",
            "relation",
            "{ entity = \"author\", fields = [\"id\"] }",
        );
        Some(Relation {
            name,
            fields: fields?,
            references: references?,
            on_delete,
            on_update,
            deferrable: deferrable || deferred,
            deferred,
            comment,
        })
    }

    fn target(&mut self, node: Node<'_>, path: &str) -> Option<RelationTarget> {
        let table = self.table(node, path)?;
        let mut entity = None;
        let mut fields = None;
        for (key, node) in self.entries(table, path, TARGET_KEYS, "`references`") {
            let child = key_path(path, key);
            match key {
                "entity" => entity = self.non_empty_string(node, &child),
                "fields" => fields = self.strings(node, &child),
                _ => {}
            }
        }
        let entity = self.required(entity, path, "entity", "`references`", "\"author\"");
        let fields = self.required(fields, path, "fields", "`references`", "[\"id\"]");
        Some(RelationTarget {
            entity: entity?,
            fields: fields?,
        })
    }
}

/// `[auth]`.
impl Reader {
    fn auth(&mut self, node: Node<'_>) -> Option<Auth> {
        let table = self.table(node, "auth")?;
        let mut auth = Auth::default();
        for (key, node) in self.entries(table, "auth", AUTH_KEYS, "`[auth]`") {
            let path = key_path("auth", key);
            match key {
                "jwt_secret" => auth.jwt_secret = self.secret(node, &path, "JWT_SECRET"),
                "service_key" => auth.service_key = self.secret(node, &path, "BAAS_SERVICE_KEY"),
                "public_key" => auth.public_key = self.non_empty_string(node, &path),
                "jwks" => auth.jwks = self.non_empty_string(node, &path),
                "algorithms" => auth.algorithms = self.strings(node, &path).unwrap_or_default(),
                "issuer" => auth.issuer = self.non_empty_string(node, &path),
                "audience" => auth.audience = self.non_empty_string(node, &path),
                "leeway_seconds" => auth.leeway_seconds = self.unsigned(node, &path),
                "claims" => {
                    if let Some(claims) = self.auth_claims(node, &path) {
                        auth.claims = claims;
                    }
                }
                "users" => auth.users = self.auth_users(node, &path),
                "rls" => auth.rls = self.bool(node, &path).unwrap_or_default(),
                "service_role" => auth.service_role = self.role_name(node, &path),
                "user_role" => auth.user_role = self.role_name(node, &path),
                _ => {}
            }
        }
        Some(auth)
    }

    fn realtime(&mut self, node: Node<'_>) -> Option<Realtime> {
        let table = self.table(node, "realtime")?;
        let mut realtime = Realtime::default();
        for (key, node) in self.entries(table, "realtime", REALTIME_KEYS, "`[realtime]`") {
            if key == "external" {
                realtime.external = self
                    .bool(node, &key_path("realtime", key))
                    .unwrap_or_default();
            }
        }
        Some(realtime)
    }

    /// A secret: only as a whole `${NAME}` reference, so the value never
    /// sits in the file. The message never repeats what was written.
    fn secret(&mut self, node: Node<'_>, path: &str, example: &str) -> Option<String> {
        let text = self.string(node, path)?;
        if is_env_reference(&text) {
            return Some(text);
        }
        let key = super::path::last(path);
        self.problem(
            Problem::new(
                ProblemKind::InvalidValue,
                path,
                format!("`{key}` must be an environment reference like \"${{{example}}}\", not a value written in the file"),
            )
            .with_help(format!(
                "secrets stay out of baas.toml: write `{key} = \"${{{example}}}\"` and set {example} in the environment or in .env"
            )),
        );
        None
    }

    /// A PostgreSQL role name: letters, digits and `_`, not starting with a
    /// digit, at most 63 bytes (the server switches to it by name).
    fn role_name(&mut self, node: Node<'_>, path: &str) -> Option<String> {
        let text = self.non_empty_string(node, path)?;
        let valid = text.len() <= 63
            && !text.starts_with(|c: char| c.is_ascii_digit())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            return Some(text);
        }
        self.problem(Problem::new(
            ProblemKind::InvalidValue,
            path,
            format!(
                "`{}` must be a PostgreSQL role name (letters, digits and `_`, at most 63 bytes), not `{text}`",
                super::path::last(path)
            ),
        ));
        None
    }

    fn auth_claims(&mut self, node: Node<'_>, path: &str) -> Option<AuthClaims> {
        let table = self.table(node, path)?;
        let mut claims = AuthClaims::default();
        for (key, node) in self.entries(table, path, AUTH_CLAIMS_KEYS, "`[auth] claims`") {
            let child = key_path(path, key);
            let Some(value) = self.non_empty_string(node, &child) else {
                continue;
            };
            match key {
                "id" => claims.id = value,
                "role" => claims.role = value,
                "tenant" => claims.tenant = value,
                _ => {}
            }
        }
        Some(claims)
    }

    fn auth_users(&mut self, node: Node<'_>, path: &str) -> Option<AuthUsers> {
        let table = self.table(node, path)?;
        let mut users = AuthUsers::default();
        for (key, node) in self.entries(table, path, AUTH_USERS_KEYS, "`[auth] users`") {
            let child = key_path(path, key);
            let Some(value) = self.non_empty_string(node, &child) else {
                continue;
            };
            match key {
                "entity" => users.entity = value,
                "email" => users.email = value,
                "password" => users.password = value,
                _ => {}
            }
        }
        Some(users)
    }
}

/// `[[hooks]]`.
impl Reader {
    fn hook(&mut self, node: Node<'_>, path: &str) -> Option<Hook> {
        let table = self.table(node, path)?;
        let (mut on, mut run, mut timeout_ms, mut memory_mb) = (None, None, None, None);
        for (key, node) in self.entries(table, path, HOOK_KEYS, "`[[hooks]]`") {
            let child = key_path(path, key);
            match key {
                "on" => on = self.non_empty_string(node, &child),
                "run" => run = self.non_empty_string(node, &child),
                "timeout_ms" => timeout_ms = self.positive(node, &child),
                "memory_mb" => memory_mb = self.positive(node, &child),
                _ => {}
            }
        }
        let on = self.required(on, path, "on", "a hook", "\"post.create.before\"");
        let run = self.required(run, path, "run", "a hook", "\"hooks/post.js\"");
        Some(Hook {
            on: on?,
            run: run?,
            timeout_ms,
            memory_mb,
        })
    }
}

/// `[[webhooks]]`.
impl Reader {
    fn webhook(&mut self, node: Node<'_>, path: &str) -> Option<Webhook> {
        let table = self.table(node, path)?;
        let (mut name, mut on, mut url, mut secret) = (None, None, None, None);
        let (mut max_attempts, mut timeout_seconds) = (None, None);
        for (key, node) in self.entries(table, path, WEBHOOK_KEYS, "`[[webhooks]]`") {
            let child = key_path(path, key);
            match key {
                "name" => name = self.non_empty_string(node, &child),
                // `on = "post.create"` is one pattern.
                "on" => {
                    on = if node.value().is_some_and(Value::is_str) {
                        self.non_empty_string(node, &child).map(|one| vec![one])
                    } else {
                        self.strings(node, &child)
                    }
                }
                "url" => url = self.non_empty_string(node, &child),
                "secret" => secret = self.secret(node, &child, "WEBHOOK_SECRET"),
                "max_attempts" => {
                    max_attempts = self
                        .positive(node, &child)
                        .and_then(|value| self.fits_u32(value, &child));
                }
                "timeout_seconds" => timeout_seconds = self.positive(node, &child),
                _ => {}
            }
        }
        let on = self.required(on, path, "on", "a webhook", "[\"post.create\"]");
        let url = self.required(
            url,
            path,
            "url",
            "a webhook",
            "\"https://example.com/hook\"",
        );
        Some(Webhook {
            name,
            on: on?,
            url: url?,
            secret,
            max_attempts,
            timeout_seconds,
        })
    }
}

/// Whether `text` is exactly one `${NAME}` reference (no fallback, no
/// surrounding text).
pub fn is_env_reference(text: &str) -> bool {
    text.strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .is_some_and(|name| {
            name.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_read_without_the_entities_and_in_any_order() {
        let path = Path::new("baas.toml");
        let canonical = "[manifest]\nformat = 1\nversion = 9\n\n[project]\nname = \"shop\"\n\n[entities.a]\ntable = \"a\"\n\n[entities.a.fields]\nid = { type = \"nonsense\" }\n";
        // The broken entity is not read: only the header is.
        let header = load_header(path, canonical).unwrap();
        assert_eq!(
            (header.version, header.project.name.as_deref()),
            (9, Some("shop"))
        );
        let reordered = "[entities.a]\ntable = \"a\"\n\n[entities.a.fields]\nid = { type = \"int32\" }\n\n[project]\nname = \"late\"\n\n[manifest]\nformat = 1\nversion = 3\n";
        let header = load_header(path, reordered).unwrap();
        assert_eq!(
            (header.version, header.project.name.as_deref()),
            (3, Some("late"))
        );
        assert!(load_header(path, "not toml [").is_none());
    }

    #[test]
    fn a_prefix_key_part_is_read_and_a_wrong_one_is_pointed_at() {
        let path = Path::new("baas.toml");
        let manifest = |key: &str| {
            format!(
                "[manifest]\nformat = 1\nversion = 1\n\n[entities.t]\ntable = \"t\"\n\n\
                 [entities.t.fields]\nid = {{ type = \"int32\" }}\n\
                 name = {{ type = \"string\", max_length = 255 }}\n\n\
                 [[entities.t.indexes]]\nname = \"k\"\nfields = [{key}]\n"
            )
        };
        let loaded = load_str(
            path,
            manifest(r#"{ field = "name", prefix_length = 191 }, "id""#),
        )
        .unwrap();
        assert_eq!(
            loaded.manifest.entities["t"].indexes[0].fields,
            [
                IndexPart::Field {
                    field: "name".into(),
                    order: None,
                    collation: None,
                    prefix_length: Some(191),
                },
                IndexPart::field("id"),
            ]
        );
        assert_eq!(
            super::super::to_toml(&loaded.manifest)
                .lines()
                .find(|line| line.starts_with("fields = ")),
            Some(r#"fields = [{ field = "name", prefix_length = 191 }, "id"]"#)
        );
        for (key, at, says) in [
            (
                r#"{ field = "name", prefix_length = 0 }"#,
                "entities.t.indexes[0].fields[0].prefix_length",
                "must be at least 1",
            ),
            (
                r#"{ field = "id", prefix_length = 4 }"#,
                "entities.t.indexes[0].fields[0].prefix_length",
                "only string, text and bytes fields",
            ),
            (
                r#"{ field = "name", prefix_length = 255 }"#,
                "entities.t.indexes[0].fields[0].prefix_length",
                "holds at most 255",
            ),
            (
                r#"{ sql = "lower(name)", prefix_length = 4 }"#,
                "entities.t.indexes[0].fields[0].prefix_length",
                "an `sql` key has none",
            ),
        ] {
            let problems = load_str(path, manifest(key)).err().unwrap().problems;
            assert!(
                problems
                    .iter()
                    .any(|p| p.path == at && p.message.contains(says)),
                "{key}: {problems:#?}"
            );
        }
    }
}
