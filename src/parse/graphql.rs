//! GraphQL SDL → [`Manifest`].
//!
//! A small hand-written parser for the type-system part of GraphQL (the SDL):
//! schema, scalar, object, interface, union, enum, input and directive
//! definitions and their `extend` forms, with descriptions (block strings
//! too), arguments, default values and directives. It keeps the build light
//! (no parser crate for a few hundred lines of grammar) and gives byte spans
//! for every problem, which the error messages need.
//!
//! How the schema maps:
//!
//! - object types become entities, except the root operation types (`Query`,
//!   `Mutation`, `Subscription`, or those the `schema` block names) and Relay
//!   plumbing (`*Connection`, `*Edge`, `PageInfo`), which the ledger notes;
//! - `id: ID!` is the primary key (or else the first non-null `ID` field);
//! - built-in scalars map to portable types; custom scalars map when their
//!   name says what they hold (`DateTime`, `Date`, `JSON`, `UUID`, ...), else
//!   they stay `native` with a ledger entry;
//! - a single reference to another entity (`author: Person`) becomes a
//!   foreign-key field `author_id` of the target's key type and a relation;
//!   a list reference (`films: [Film]`, or a Relay connection of films) is a
//!   to-many relation the ledger records, unless the target refers back with a
//!   single reference (then the relation is already there); a reference to
//!   an object type without a key (a value: `seo: SEO`, `price: MoneyV2`,
//!   `selectedOptions: [SelectedOption!]!`) embeds its fields as an
//!   `object` (an array of them for a list), as the API answers them;
//! - descriptions become comments; interfaces, unions, input types, directive
//!   definitions and uses, and field arguments go to the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use indexmap::IndexMap;

use super::{MAX_NESTING, SourceFile};
use crate::ledger::Ledger;
use crate::manifest::diagnostics::closest;
use crate::manifest::{
    Api, CURRENT_FORMAT, Diagnostics, Entity, Enum, Field, FieldType, GraphqlOperation,
    GraphqlOperationType, GraphqlOrder, GraphqlOrderStyle, Manifest, Nulls, Operation,
    OperationAction, Pagination, PaginationStyle, Problem, ReferentialAction, Relation,
    RelationTarget, Source, SourceEngine,
};
use crate::source::{IntrospectOptions, Introspection};

/// Reads an SDL file into a manifest.
pub fn parse(
    file: &SourceFile,
    _options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let (document, mut errors) = parse_document(&file.text);
    let (introspection, build_errors) = build(&document);
    errors.extend(build_errors);
    if errors.is_empty() {
        if super::found_nothing(&introspection) {
            return Err(super::nothing_to_import(
                file,
                "the schema declares no object, input, interface or enum type: nothing to import"
                    .to_owned(),
                "check that this is the schema file you meant (an SDL file with `type` \
                 definitions)"
                    .to_owned(),
            ));
        }
        return Ok(introspection);
    }
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup();
    let problems: Vec<Problem> = errors
        .into_iter()
        .map(|error| {
            let problem = file.problem(error.span, error.message);
            match error.help {
                Some(help) => problem.with_help(help),
                None => problem,
            }
        })
        .collect();
    Err(file.diagnostics(problems))
}

/// The introspection query a live endpoint is asked (types, fields with
/// their arguments, input fields, enum values, interfaces, union members).
const INTROSPECTION_QUERY: &str = "query baas_introspection { __schema { \
    queryType { name } mutationType { name } subscriptionType { name } \
    types { kind name description \
      fields(includeDeprecated: true) { name description args { name type { ...TypeRef } } type { ...TypeRef } } \
      inputFields { name type { ...TypeRef } } \
      enumValues(includeDeprecated: true) { name description } \
      interfaces { name } possibleTypes { name } } } } \
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name \
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";

/// Whether an `http(s)://` address is a GraphQL endpoint (its path ends
/// with `graphql`: `/graphql`, `/api/graphql`, `/v1/graphql`).
pub fn is_endpoint(url: &url::Url) -> bool {
    url.path()
        .trim_end_matches('/')
        .to_ascii_lowercase()
        .ends_with("graphql")
}

/// Reads a live GraphQL endpoint by its introspection query: the schema
/// it answers is printed as SDL and imported as a file would be; the
/// manifest's `[api] base_url` is the endpoint's origin and every
/// operation's `path` its path, so `baas serve` calls it back.
pub async fn fetch(
    url: &url::Url,
    options: &IntrospectOptions,
) -> Result<Introspection, crate::source::IntrospectError> {
    use crate::source::IntrospectError;
    let shown = crate::source::redact(url.as_str());
    let target = url.to_string();
    let connect = |reason: String| IntrospectError::Connect {
        target: shown.clone(),
        reason,
    };
    let body = tokio::task::spawn_blocking(move || {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .http_status_as_error(false)
            .user_agent(concat!("baas/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::new_with_config(config);
        let request = serde_json::json!({ "query": INTROSPECTION_QUERY }).to_string();
        let mut response = agent
            .post(&target)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(request.as_str())
            .map_err(|error| error.to_string())?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|error| format!("failed to read the answer: {error}"))?;
        if !status.is_success() {
            return Err(format!("the endpoint answered HTTP {status}"));
        }
        Ok(text)
    })
    .await
    .map_err(|error| connect(format!("the request task failed: {error}")))?
    .map_err(connect)?;
    let json: serde_json::Value = serde_json::from_str(&body)
        .map_err(|error| connect(format!("the answer is not JSON ({error})")))?;
    let Some(schema) = json.pointer("/data/__schema") else {
        let message = json
            .pointer("/errors/0/message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("no `data.__schema`");
        return Err(connect(format!(
            "the introspection query was refused: {message}"
        )));
    };
    let file = SourceFile {
        path: std::path::PathBuf::from(format!("{shown} (introspection, as SDL)")),
        text: std::sync::Arc::new(print_schema(schema)),
    };
    let mut introspection = parse(&file, options).map_err(IntrospectError::Invalid)?;
    let mut origin = url.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    let _ = origin.set_password(None);
    let _ = origin.set_username("");
    let path = url.path().to_owned();
    let api = introspection.manifest.api.get_or_insert_with(Api::default);
    api.base_url = Some(origin.as_str().trim_end_matches('/').to_owned());
    for operation in &mut api.operations {
        operation.path = path.clone();
    }
    Ok(introspection)
}

/// The SDL of an introspection result (`data.__schema`).
fn print_schema(schema: &serde_json::Value) -> String {
    use serde_json::Value as Json;
    use std::fmt::Write as _;
    let name_of = |value: Option<&Json>| {
        value
            .and_then(|v| v.get("name"))
            .and_then(Json::as_str)
            .map(str::to_owned)
    };
    fn type_ref(value: &Json) -> String {
        let inner = || value.get("ofType").map(type_ref).unwrap_or_default();
        match value.get("kind").and_then(Json::as_str) {
            Some("NON_NULL") => format!("{}!", inner()),
            Some("LIST") => format!("[{}]", inner()),
            _ => value
                .get("name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }
    let description = |out: &mut String, value: &Json, indent: &str| {
        if let Some(text) = value.get("description").and_then(Json::as_str)
            && !text.is_empty()
        {
            let quoted = serde_json::to_string(text).unwrap_or_default();
            let _ = writeln!(out, "{indent}{quoted}");
        }
    };
    let list = |value: &Json, key: &str| -> Vec<Json> {
        value
            .get(key)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out = String::new();
    let roots: Vec<(&str, Option<String>)> = vec![
        ("query", name_of(schema.get("queryType"))),
        ("mutation", name_of(schema.get("mutationType"))),
        ("subscription", name_of(schema.get("subscriptionType"))),
    ];
    let roots: Vec<String> = roots
        .into_iter()
        .filter_map(|(operation, name)| Some(format!("{operation}: {}", name?)))
        .collect();
    let _ = writeln!(out, "schema {{ {} }}\n", roots.join(" "));
    for ty in list(schema, "types") {
        let Some(name) = ty.get("name").and_then(Json::as_str) else {
            continue;
        };
        if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        description(&mut out, &ty, "");
        let names = |key: &str| -> Vec<String> {
            list(&ty, key)
                .iter()
                .filter_map(|item| item.get("name").and_then(Json::as_str).map(str::to_owned))
                .collect()
        };
        match ty.get("kind").and_then(Json::as_str).unwrap_or_default() {
            "SCALAR" => {
                let _ = writeln!(out, "scalar {name}\n");
            }
            "UNION" => {
                let _ = writeln!(
                    out,
                    "union {name} = {}\n",
                    names("possibleTypes").join(" | ")
                );
            }
            "ENUM" => {
                let _ = writeln!(out, "enum {name} {{");
                for value in list(&ty, "enumValues") {
                    description(&mut out, &value, "  ");
                    let _ = writeln!(out, "  {}", name_of(Some(&value)).unwrap_or_default());
                }
                out.push_str("}\n\n");
            }
            "INPUT_OBJECT" => {
                let _ = writeln!(out, "input {name} {{");
                for field in list(&ty, "inputFields") {
                    let _ = writeln!(
                        out,
                        "  {}: {}",
                        name_of(Some(&field)).unwrap_or_default(),
                        field.get("type").map(type_ref).unwrap_or_default()
                    );
                }
                out.push_str("}\n\n");
            }
            kind @ ("OBJECT" | "INTERFACE") => {
                let keyword = if kind == "OBJECT" {
                    "type"
                } else {
                    "interface"
                };
                let interfaces = names("interfaces");
                let implements = if interfaces.is_empty() {
                    String::new()
                } else {
                    format!(" implements {}", interfaces.join(" & "))
                };
                let _ = writeln!(out, "{keyword} {name}{implements} {{");
                for field in list(&ty, "fields") {
                    description(&mut out, &field, "  ");
                    let arguments: Vec<String> = list(&field, "args")
                        .iter()
                        .map(|argument| {
                            format!(
                                "{}: {}",
                                name_of(Some(argument)).unwrap_or_default(),
                                argument.get("type").map(type_ref).unwrap_or_default()
                            )
                        })
                        .collect();
                    let arguments = if arguments.is_empty() {
                        String::new()
                    } else {
                        format!("({})", arguments.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "  {}{arguments}: {}",
                        name_of(Some(&field)).unwrap_or_default(),
                        field.get("type").map(type_ref).unwrap_or_default()
                    );
                }
                out.push_str("}\n\n");
            }
            _ => {}
        }
    }
    out
}

/// A problem at a byte range, with an optional hint.
#[derive(Debug, Clone, PartialEq)]
struct SdlError {
    span: Range<usize>,
    message: String,
    help: Option<String>,
}

fn error(span: Range<usize>, message: impl Into<String>) -> SdlError {
    SdlError {
        span,
        message: message.into(),
        help: None,
    }
}

fn error_with_help(
    span: Range<usize>,
    message: impl Into<String>,
    help: impl Into<String>,
) -> SdlError {
    SdlError {
        span,
        message: message.into(),
        help: Some(help.into()),
    }
}

// ---------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    Name,
    Int,
    Float,
    /// A string or block string, unescaped (block strings dedented).
    String(String),
    /// One of `! $ & ( ) : = @ [ ] { | }`.
    Punct(char),
    Spread,
    Unknown,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: TokenKind,
    span: Range<usize>,
    /// A line break separates this token from the one before.
    first_on_line: bool,
}

fn tokenize(text: &str) -> (Vec<Token>, Vec<SdlError>) {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let bytes = text.as_bytes();
    let mut position = 0;
    let mut first_on_line = true;
    while position < text.len() {
        let start = position;
        let Some(ch) = text[position..].chars().next() else {
            break;
        };
        let push = |tokens: &mut Vec<Token>, kind, end, first_on_line: &mut bool| {
            tokens.push(Token {
                kind,
                span: start..end,
                first_on_line: *first_on_line,
            });
            *first_on_line = false;
        };
        match ch {
            '\n' | '\r' => {
                first_on_line = true;
                position += 1;
            }
            ' ' | '\t' | ',' | '\u{feff}' => position += ch.len_utf8(),
            '#' => {
                position = text[position..]
                    .find(['\n', '\r'])
                    .map_or(text.len(), |i| position + i);
            }
            '"' => {
                let (kind, end) = if text[position..].starts_with("\"\"\"") {
                    block_string(text, position, &mut errors)
                } else {
                    string(text, position, &mut errors)
                };
                position = end;
                push(&mut tokens, kind, end, &mut first_on_line);
            }
            '.' if text[position..].starts_with("...") => {
                position += 3;
                push(&mut tokens, TokenKind::Spread, position, &mut first_on_line);
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while position < text.len()
                    && (bytes[position].is_ascii_alphanumeric() || bytes[position] == b'_')
                {
                    position += 1;
                }
                push(&mut tokens, TokenKind::Name, position, &mut first_on_line);
            }
            c if c.is_ascii_digit() || c == '-' => {
                let (kind, end) = number(text, position, &mut errors);
                position = end;
                push(&mut tokens, kind, end, &mut first_on_line);
            }
            '!' | '$' | '&' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}' => {
                position += 1;
                push(
                    &mut tokens,
                    TokenKind::Punct(ch),
                    position,
                    &mut first_on_line,
                );
            }
            other => {
                position += other.len_utf8();
                errors.push(error(
                    start..position,
                    format!("unexpected character `{}`", other.escape_debug()),
                ));
                push(
                    &mut tokens,
                    TokenKind::Unknown,
                    position,
                    &mut first_on_line,
                );
            }
        }
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        span: text.len()..text.len(),
        first_on_line: true,
    });
    (tokens, errors)
}

fn number(text: &str, start: usize, errors: &mut Vec<SdlError>) -> (TokenKind, usize) {
    let bytes = text.as_bytes();
    let mut position = start;
    if bytes.get(position) == Some(&b'-') {
        position += 1;
    }
    let digits_start = position;
    while bytes.get(position).is_some_and(u8::is_ascii_digit) {
        position += 1;
    }
    if position == digits_start {
        errors.push(error(start..position, "expected a digit after `-`"));
        return (TokenKind::Unknown, position);
    }
    let mut kind = TokenKind::Int;
    if bytes.get(position) == Some(&b'.') && bytes.get(position + 1).is_some_and(u8::is_ascii_digit)
    {
        kind = TokenKind::Float;
        position += 1;
        while bytes.get(position).is_some_and(u8::is_ascii_digit) {
            position += 1;
        }
    }
    if matches!(bytes.get(position), Some(b'e' | b'E')) {
        let mut exponent = position + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
            kind = TokenKind::Float;
            position = exponent;
            while bytes.get(position).is_some_and(u8::is_ascii_digit) {
                position += 1;
            }
        }
    }
    (kind, position)
}

fn string(text: &str, start: usize, errors: &mut Vec<SdlError>) -> (TokenKind, usize) {
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        let at = start + 1 + offset;
        match ch {
            '"' => return (TokenKind::String(value), at + 1),
            '\n' | '\r' => break,
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, '/')) => value.push('/'),
                Some((_, 'b')) => value.push('\u{8}'),
                Some((_, 'f')) => value.push('\u{c}'),
                Some((_, 'n')) => value.push('\n'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'u')) => {
                    let mut code = 0u32;
                    let mut ok = true;
                    for _ in 0..4 {
                        match chars.peek().and_then(|(_, c)| c.to_digit(16)) {
                            Some(digit) => {
                                code = code * 16 + digit;
                                chars.next();
                            }
                            None => ok = false,
                        }
                    }
                    match char::from_u32(code).filter(|_| ok) {
                        Some(decoded) => value.push(decoded),
                        None => errors.push(error(
                            at..at + 2,
                            "invalid unicode escape: expected `\\u` and four hex digits",
                        )),
                    }
                }
                Some((_, '\n' | '\r')) | None => break,
                Some((_, other)) => {
                    errors.push(error(
                        at..at + 1 + other.len_utf8(),
                        format!("unknown escape `\\{}` in a string", other.escape_debug()),
                    ));
                    value.push(other);
                }
            },
            other => value.push(other),
        }
    }
    let end = text[start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| start + i);
    errors.push(error_with_help(
        start..end,
        "unterminated string",
        "close it with `\"` on the same line, or use a block string `\"\"\"...\"\"\"`",
    ));
    (TokenKind::String(value), end)
}

fn block_string(text: &str, start: usize, errors: &mut Vec<SdlError>) -> (TokenKind, usize) {
    let body_start = start + 3;
    let mut raw = String::new();
    let mut position = body_start;
    loop {
        let rest = &text[position..];
        if rest.starts_with("\\\"\"\"") {
            raw.push_str("\"\"\"");
            position += 4;
        } else if rest.starts_with("\"\"\"") {
            return (TokenKind::String(dedent_block(&raw)), position + 3);
        } else if let Some(ch) = rest.chars().next() {
            raw.push(ch);
            position += ch.len_utf8();
        } else {
            errors.push(error_with_help(
                start..start + 3,
                "unterminated block string",
                "close it with `\"\"\"`",
            ));
            return (TokenKind::String(dedent_block(&raw)), text.len());
        }
    }
}

/// The value of a block string: common indentation and blank first and last
/// lines removed (GraphQL spec, `BlockStringValue`).
fn dedent_block(raw: &str) -> String {
    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalized.split('\n').collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter_map(|line| {
            let trimmed = line.trim_start_matches([' ', '\t']);
            (!trimmed.is_empty()).then(|| line.len() - trimmed.len())
        })
        .min()
        .unwrap_or(0);
    let mut out: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                line
            } else {
                line.get(indent..).unwrap_or("")
            }
        })
        .collect();
    while out.first().is_some_and(|l| l.trim().is_empty()) {
        out.remove(0);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n")
}

// ---------------------------------------------------------------------------
// Syntax tree

#[derive(Debug, Clone, PartialEq)]
struct Ident {
    name: String,
    span: Range<usize>,
}

#[derive(Debug, Clone)]
enum TypeRef {
    Named(Ident),
    List(Box<TypeRef>, Range<usize>),
    NonNull(Box<TypeRef>, Range<usize>),
}

impl TypeRef {
    fn named(&self) -> &Ident {
        match self {
            TypeRef::Named(ident) => ident,
            TypeRef::List(inner, _) | TypeRef::NonNull(inner, _) => inner.named(),
        }
    }

    fn span(&self) -> Range<usize> {
        match self {
            TypeRef::Named(ident) => ident.span.clone(),
            TypeRef::List(_, span) | TypeRef::NonNull(_, span) => span.clone(),
        }
    }

    /// The type as GraphQL writes it (`[Book!]!`), for variable declarations.
    fn render(&self) -> String {
        match self {
            TypeRef::Named(ident) => ident.name.clone(),
            TypeRef::List(inner, _) => format!("[{}]", inner.render()),
            TypeRef::NonNull(inner, _) => format!("{}!", inner.render()),
        }
    }

    /// `(nullable, type without the outer `!`)`.
    fn nullability(&self) -> (bool, &TypeRef) {
        match self {
            TypeRef::NonNull(inner, _) => (false, inner),
            other => (true, other),
        }
    }
}

#[derive(Debug, Clone)]
struct Directive {
    name: Ident,
}

#[derive(Debug, Clone)]
struct FieldDef {
    description: Option<String>,
    name: Ident,
    arguments: Vec<InputValue>,
    ty: TypeRef,
    directives: Vec<Directive>,
}

#[derive(Debug, Clone)]
struct InputValue {
    name: Ident,
    ty: TypeRef,
}

#[derive(Debug, Clone)]
struct EnumValueDef {
    description: Option<String>,
    name: Ident,
    directives: Vec<Directive>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    Input,
}

impl TypeKind {
    fn keyword(self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            Self::Object => "type",
            Self::Interface => "interface",
            Self::Union => "union",
            Self::Enum => "enum",
            Self::Input => "input",
        }
    }
}

#[derive(Debug, Clone)]
struct TypeDef {
    kind: TypeKind,
    extend: bool,
    name: Ident,
    description: Option<String>,
    interfaces: Vec<Ident>,
    directives: Vec<Directive>,
    fields: Vec<FieldDef>,
    values: Vec<EnumValueDef>,
    inputs: Vec<InputValue>,
    members: Vec<Ident>,
}

#[derive(Debug, Clone)]
enum Definition {
    Schema {
        /// `extend schema`: adds to the schema (or to the default roots).
        extend: bool,
        description: Option<String>,
        operations: Vec<(Ident, Ident)>,
        directives: Vec<Directive>,
    },
    Type(TypeDef),
    Directive {
        name: Ident,
    },
}

#[derive(Debug, Clone, Default)]
struct Document {
    definitions: Vec<Definition>,
}

const DEFINITION_KEYWORDS: &[&str] = &[
    "schema",
    "scalar",
    "type",
    "interface",
    "union",
    "enum",
    "input",
    "directive",
    "extend",
];

// ---------------------------------------------------------------------------
// Parser

fn parse_document(text: &str) -> (Document, Vec<SdlError>) {
    let (tokens, errors) = tokenize(text);
    let mut parser = SdlParser {
        text,
        tokens,
        position: 0,
        errors,
        depth: 0,
    };
    let document = parser.document();
    (document, parser.errors)
}

/// The parse failed here; the error is recorded.
struct Failed;

type Parsed<T> = Result<T, Failed>;

struct SdlParser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    position: usize,
    errors: Vec<SdlError>,
    /// How many list types or values the parser is inside (each one a
    /// recursive call).
    depth: usize,
}

impl SdlParser<'_> {
    /// Runs `inner` one level deeper, or fails at `open` past
    /// [`MAX_NESTING`] levels rather than running out of stack.
    fn nested<T>(&mut self, open: &Token, inner: impl FnOnce(&mut Self) -> Parsed<T>) -> Parsed<T> {
        if self.depth >= MAX_NESTING {
            return Err(self.fail(error_with_help(
                open.span.clone(),
                format!("brackets nested more than {MAX_NESTING} deep"),
                "no GraphQL schema needs this; check that this is the file you meant",
            )));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    fn token(&self, index: usize) -> &Token {
        // The token list always ends with `Eof`.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[index.min(last)]
    }

    fn peek(&self) -> &Token {
        self.token(self.position)
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.position += 1;
        }
        token
    }

    fn at_punct(&self, ch: char) -> bool {
        self.peek().kind == TokenKind::Punct(ch)
    }

    fn eat_punct(&mut self, ch: char) -> Option<Token> {
        self.at_punct(ch).then(|| self.next())
    }

    fn text_of(&self, span: &Range<usize>) -> &str {
        self.text.get(span.clone()).unwrap_or_default()
    }

    fn at_name(&self, word: &str) -> bool {
        let token = self.peek();
        token.kind == TokenKind::Name && self.text_of(&token.span) == word
    }

    fn describe(&self, token: &Token) -> String {
        match &token.kind {
            TokenKind::Name | TokenKind::Int | TokenKind::Float | TokenKind::Unknown => {
                format!("`{}`", self.text_of(&token.span))
            }
            TokenKind::String(_) => "a string".to_owned(),
            TokenKind::Punct(ch) => format!("`{ch}`"),
            TokenKind::Spread => "`...`".to_owned(),
            TokenKind::Eof => "the end of the file".to_owned(),
        }
    }

    fn fail(&mut self, error: SdlError) -> Failed {
        self.errors.push(error);
        Failed
    }

    fn expected(&mut self, what: &str) -> Failed {
        let token = self.peek().clone();
        let found = self.describe(&token);
        self.fail(error(token.span, format!("expected {what}, found {found}")))
    }

    fn expect_punct(&mut self, ch: char, what: &str) -> Parsed<Token> {
        match self.eat_punct(ch) {
            Some(token) => Ok(token),
            None => Err(self.expected(what)),
        }
    }

    fn name(&mut self, what: &str) -> Parsed<Ident> {
        if self.peek().kind == TokenKind::Name {
            let token = self.next();
            Ok(Ident {
                name: self.text_of(&token.span).to_owned(),
                span: token.span,
            })
        } else {
            Err(self.expected(what))
        }
    }

    fn description(&mut self) -> Option<String> {
        match &self.peek().kind {
            TokenKind::String(value) => {
                let value = value.clone();
                self.next();
                Some(value)
            }
            _ => None,
        }
    }

    /// Whether a definition starts here: an optional description, then a
    /// definition keyword followed by a name or `{` / `@` (`schema {`).
    fn at_definition_start(&self, index: usize) -> bool {
        let mut index = index;
        if matches!(self.token(index).kind, TokenKind::String(_)) {
            index += 1;
        }
        let keyword = self.token(index);
        if keyword.kind != TokenKind::Name
            || !DEFINITION_KEYWORDS.contains(&self.text_of(&keyword.span))
        {
            return false;
        }
        let next = self.token(index + 1);
        match self.text_of(&keyword.span) {
            "schema" => matches!(next.kind, TokenKind::Punct('{' | '@')),
            "directive" => next.kind == TokenKind::Punct('@'),
            _ => next.kind == TokenKind::Name,
        }
    }

    /// Skips to the next token that starts a definition on a new line.
    fn recover_top_level(&mut self) {
        let mut depth = 0usize;
        loop {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::Eof => return,
                TokenKind::Punct('{' | '(' | '[') => depth += 1,
                TokenKind::Punct('}' | ')' | ']') => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.next();
            let next = self.peek();
            if !next.first_on_line {
                continue;
            }
            // A definition keyword at the start of a line ends even an
            // unclosed body; any other word there is worth a look of its own.
            if self.at_definition_start(self.position)
                || (depth == 0 && matches!(next.kind, TokenKind::Name | TokenKind::String(_)))
            {
                return;
            }
        }
    }

    fn document(&mut self) -> Document {
        let mut document = Document::default();
        while self.peek().kind != TokenKind::Eof {
            let start = self.position;
            match self.definition() {
                Ok(definition) => document.definitions.push(definition),
                Err(Failed) => {
                    if self.position == start {
                        self.next();
                    }
                    if !self.at_definition_start(self.position) {
                        self.recover_top_level();
                    }
                }
            }
        }
        document
    }

    fn definition(&mut self) -> Parsed<Definition> {
        let description = self.description();
        let token = self.peek().clone();
        if token.kind != TokenKind::Name {
            if token.kind == TokenKind::Punct('{') {
                return Err(self.fail(error_with_help(
                    token.span,
                    "an operation is not part of a schema",
                    "this file should hold type definitions (SDL) only",
                )));
            }
            return Err(self.expected("a definition (`type`, `enum`, `interface`, `input`, ...)"));
        }
        let keyword = self.text_of(&token.span).to_owned();
        let extend = keyword == "extend";
        let keyword = if extend {
            self.next();
            let token = self.peek().clone();
            if token.kind != TokenKind::Name {
                return Err(self.expected("what to extend (`type`, `enum`, `schema`, ...)"));
            }
            self.text_of(&token.span).to_owned()
        } else {
            keyword
        };
        let kind = match keyword.as_str() {
            "schema" => {
                self.next();
                return self.schema(extend, description);
            }
            "directive" if !extend => {
                self.next();
                return self.directive_definition();
            }
            "scalar" => TypeKind::Scalar,
            "type" => TypeKind::Object,
            "interface" => TypeKind::Interface,
            "union" => TypeKind::Union,
            "enum" => TypeKind::Enum,
            "input" => TypeKind::Input,
            "query" | "mutation" | "subscription" | "fragment" => {
                return Err(self.fail(error_with_help(
                    token.span,
                    format!("`{keyword}` is an operation, not part of a schema"),
                    "this file should hold type definitions (SDL) only",
                )));
            }
            other => {
                let span = self.peek().span.clone();
                let message = format!(
                    "expected a definition (`type`, `enum`, `interface`, `input`, ...), found `{other}`"
                );
                return Err(self.fail(match closest(other, DEFINITION_KEYWORDS) {
                    Some(best) => error_with_help(span, message, format!("did you mean `{best}`?")),
                    None => error(span, message),
                }));
            }
        };
        self.next();
        let name = self.name(&format!("a name after `{}`", kind.keyword()))?;
        let mut definition = TypeDef {
            kind,
            extend,
            name,
            description,
            interfaces: Vec::new(),
            directives: Vec::new(),
            fields: Vec::new(),
            values: Vec::new(),
            inputs: Vec::new(),
            members: Vec::new(),
        };
        match kind {
            TypeKind::Scalar => definition.directives = self.directives()?,
            TypeKind::Object | TypeKind::Interface => {
                if self.at_name("implements") {
                    self.next();
                    self.eat_punct('&');
                    definition.interfaces.push(self.name("an interface name")?);
                    while self.eat_punct('&').is_some()
                        || (self.peek().kind == TokenKind::Name
                            && !self.at_name("implements")
                            && !self.peek().first_on_line)
                    {
                        definition.interfaces.push(self.name("an interface name")?);
                    }
                }
                definition.directives = self.directives()?;
                if self.at_punct('{') {
                    definition.fields = self.fields_definition(&definition.name)?;
                }
            }
            TypeKind::Union => {
                definition.directives = self.directives()?;
                if self.eat_punct('=').is_some() {
                    self.eat_punct('|');
                    definition
                        .members
                        .push(self.name("a member type of the union")?);
                    while self.eat_punct('|').is_some() {
                        definition
                            .members
                            .push(self.name("a member type of the union")?);
                    }
                }
            }
            TypeKind::Enum => {
                definition.directives = self.directives()?;
                if self.at_punct('{') {
                    definition.values = self.enum_values(&definition.name)?;
                }
            }
            TypeKind::Input => {
                definition.directives = self.directives()?;
                if self.at_punct('{') {
                    let open = self.next();
                    definition.inputs =
                        self.input_values('}', &open, &definition.name.name, "input field")?;
                }
            }
        }
        Ok(Definition::Type(definition))
    }

    fn schema(&mut self, extend: bool, description: Option<String>) -> Parsed<Definition> {
        let directives = self.directives()?;
        let mut operations = Vec::new();
        if self.at_punct('{') {
            let open = self.next();
            loop {
                if self.eat_punct('}').is_some() {
                    break;
                }
                if self.peek().kind == TokenKind::Eof {
                    return Err(self.fail(error_with_help(
                        open.span,
                        "the `schema` block is not closed",
                        "add `}` after its last operation",
                    )));
                }
                let operation =
                    self.name("an operation (`query`, `mutation` or `subscription`)")?;
                self.expect_punct(':', &format!("`:` after `{}`", operation.name))?;
                let ty = self.name("the name of the root type")?;
                operations.push((operation, ty));
            }
        }
        Ok(Definition::Schema {
            extend,
            description,
            operations,
            directives,
        })
    }

    fn directive_definition(&mut self) -> Parsed<Definition> {
        self.expect_punct('@', "`@` before the directive name")?;
        let name = self.name("a directive name")?;
        if self.at_punct('(') {
            let open = self.next();
            self.input_values(')', &open, &name.name, "argument")?;
        }
        if self.at_name("repeatable") {
            self.next();
        }
        if !self.at_name("on") {
            return Err(self.expected("`on` and the locations of the directive"));
        }
        self.next();
        self.eat_punct('|');
        self.name("a directive location")?;
        while self.eat_punct('|').is_some() {
            self.name("a directive location")?;
        }
        Ok(Definition::Directive { name })
    }

    fn fields_definition(&mut self, owner: &Ident) -> Parsed<Vec<FieldDef>> {
        self.next();
        let mut fields = Vec::new();
        loop {
            if self.eat_punct('}').is_some() {
                return Ok(fields);
            }
            if self.peek().kind == TokenKind::Eof {
                let span = self.peek().span.clone();
                self.fail(error_with_help(
                    span,
                    format!("unexpected end of file: `{}` is not closed", owner.name),
                    format!("add `}}` after the last field of `{}`", owner.name),
                ));
                return Ok(fields);
            }
            if self.peek().first_on_line && self.at_nested_definition() {
                let span = self.next_definition_span();
                self.fail(error_with_help(
                    span,
                    format!(
                        "expected `}}` to close `{}` before this definition",
                        owner.name
                    ),
                    format!("add `}}` after the last field of `{}`", owner.name),
                ));
                return Ok(fields);
            }
            let start = self.position;
            match self.field() {
                Ok(field) => fields.push(field),
                Err(Failed) => {
                    if self.position == start {
                        self.next();
                    }
                    self.recover_in_body();
                }
            }
        }
    }

    /// A definition keyword where a field should be: `type X {` (not a field
    /// named `type`, which is followed by `:` or `(`).
    fn at_nested_definition(&self) -> bool {
        self.at_definition_start(self.position)
            && !matches!(
                self.token(self.position + 1).kind,
                TokenKind::Punct(':' | '(')
            )
    }

    fn next_definition_span(&self) -> Range<usize> {
        let mut index = self.position;
        if matches!(self.token(index).kind, TokenKind::String(_)) {
            index += 1;
        }
        self.token(index).span.clone()
    }

    /// After a broken field: skip to the next line that starts a field or
    /// closes the body.
    fn recover_in_body(&mut self) {
        let mut depth = 0usize;
        loop {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::Eof => return,
                TokenKind::Punct('}') if depth == 0 => return,
                _ if token.first_on_line && depth == 0 => {
                    let starts_field = matches!(token.kind, TokenKind::Name | TokenKind::String(_));
                    if starts_field {
                        return;
                    }
                }
                _ => {}
            }
            match token.kind {
                TokenKind::Punct('(' | '[' | '{') => depth += 1,
                TokenKind::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.next();
        }
    }

    fn field(&mut self) -> Parsed<FieldDef> {
        let description = self.description();
        let name = self.name("a field name")?;
        let mut arguments = Vec::new();
        if self.at_punct('(') {
            let open = self.next();
            arguments = self.input_values(')', &open, &name.name, "argument")?;
        }
        if self.eat_punct(':').is_none() {
            let token = self.peek().clone();
            let found = self.describe(&token);
            return Err(self.fail(error_with_help(
                token.span,
                format!(
                    "expected `:` and a type after field `{}`, found {found}",
                    name.name
                ),
                format!("write `{}: String`", name.name),
            )));
        }
        let ty = self.type_ref()?;
        let directives = self.directives()?;
        if let Some(equals) = self.eat_punct('=') {
            return Err(self.fail(error_with_help(
                equals.span,
                format!("field `{}` cannot have a default value", name.name),
                "default values belong to arguments and input fields",
            )));
        }
        Ok(FieldDef {
            description,
            name,
            arguments,
            ty,
            directives,
        })
    }

    fn input_values(
        &mut self,
        close: char,
        open: &Token,
        owner: &str,
        what: &str,
    ) -> Parsed<Vec<InputValue>> {
        let mut values = Vec::new();
        loop {
            if self.eat_punct(close).is_some() {
                return Ok(values);
            }
            if self.peek().kind == TokenKind::Eof {
                return Err(self.fail(error_with_help(
                    open.span.clone(),
                    format!("the {what}s of `{owner}` are not closed"),
                    format!("add `{close}` after the last {what}"),
                )));
            }
            self.description();
            let name = self.name(&format!("an {what} name or `{close}`"))?;
            self.expect_punct(':', &format!("`:` after {what} `{}`", name.name))?;
            let ty = self.type_ref()?;
            if self.eat_punct('=').is_some() {
                self.value()?;
            }
            self.directives()?;
            values.push(InputValue { name, ty });
        }
    }

    fn enum_values(&mut self, owner: &Ident) -> Parsed<Vec<EnumValueDef>> {
        let open = self.next();
        let mut values = Vec::new();
        loop {
            if self.eat_punct('}').is_some() {
                return Ok(values);
            }
            if self.peek().kind == TokenKind::Eof {
                return Err(self.fail(error_with_help(
                    open.span,
                    format!("enum `{}` is not closed", owner.name),
                    "add `}` after its last value",
                )));
            }
            if self.peek().first_on_line && self.at_nested_definition() {
                let span = self.next_definition_span();
                self.fail(error_with_help(
                    span,
                    format!(
                        "expected `}}` to close enum `{}` before this definition",
                        owner.name
                    ),
                    format!("add `}}` after the last value of `{}`", owner.name),
                ));
                return Ok(values);
            }
            let description = self.description();
            let name = self.name("an enum value or `}`")?;
            if matches!(name.name.as_str(), "true" | "false" | "null") {
                self.fail(error(
                    name.span.clone(),
                    format!("`{}` cannot be an enum value", name.name),
                ));
            }
            let directives = self.directives()?;
            values.push(EnumValueDef {
                description,
                name,
                directives,
            });
        }
    }

    fn type_ref(&mut self) -> Parsed<TypeRef> {
        let ty = if let Some(open) = self.eat_punct('[') {
            let inner = self.nested(&open, Self::type_ref)?;
            let close = self.expect_punct(']', "`]` to close the list type")?;
            TypeRef::List(Box::new(inner), open.span.start..close.span.end)
        } else {
            if self.peek().kind != TokenKind::Name {
                return Err(self.expected("a type"));
            }
            TypeRef::Named(self.name("a type")?)
        };
        match self.eat_punct('!') {
            Some(bang) => {
                let span = ty.span().start..bang.span.end;
                Ok(TypeRef::NonNull(Box::new(ty), span))
            }
            None => Ok(ty),
        }
    }

    fn directives(&mut self) -> Parsed<Vec<Directive>> {
        let mut directives = Vec::new();
        while self.eat_punct('@').is_some() {
            let name = self.name("a directive name after `@`")?;
            if let Some(open) = self.eat_punct('(') {
                loop {
                    if self.eat_punct(')').is_some() {
                        break;
                    }
                    if self.peek().kind == TokenKind::Eof {
                        return Err(self.fail(error(
                            open.span,
                            format!("the arguments of `@{}` are not closed", name.name),
                        )));
                    }
                    let argument = self.name("an argument name")?;
                    self.expect_punct(':', &format!("`:` after argument `{}`", argument.name))?;
                    self.value()?;
                }
            }
            directives.push(Directive { name });
        }
        Ok(directives)
    }

    /// A value (default values, directive arguments); only checked, not kept.
    fn value(&mut self) -> Parsed<()> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::Int | TokenKind::Float | TokenKind::String(_) | TokenKind::Name => {
                self.next();
                Ok(())
            }
            TokenKind::Punct('$') => {
                self.next();
                self.name("a variable name")?;
                Ok(())
            }
            TokenKind::Punct('[') => {
                self.next();
                self.nested(&token, |parser| {
                    while parser.eat_punct(']').is_none() {
                        if parser.peek().kind == TokenKind::Eof {
                            return Err(
                                parser.fail(error(token.span.clone(), "the list is not closed"))
                            );
                        }
                        parser.value()?;
                    }
                    Ok(())
                })
            }
            TokenKind::Punct('{') => {
                self.next();
                self.nested(&token, |parser| {
                    while parser.eat_punct('}').is_none() {
                        if parser.peek().kind == TokenKind::Eof {
                            return Err(
                                parser.fail(error(token.span.clone(), "the object is not closed"))
                            );
                        }
                        let field = parser.name("a field name in the object value")?;
                        parser.expect_punct(':', &format!("`:` after `{}`", field.name))?;
                        parser.value()?;
                    }
                    Ok(())
                })
            }
            _ => Err(self.expected("a value")),
        }
    }
}

// ---------------------------------------------------------------------------
// Document → manifest

const BUILT_IN_SCALARS: &[&str] = &["ID", "String", "Int", "Float", "Boolean"];
const PAGINATION_ARGUMENTS: &[&str] = &["after", "before", "first", "last"];

/// A type with its extensions merged in.
#[derive(Debug, Clone)]
struct Merged<'a> {
    definition: &'a TypeDef,
    fields: Vec<&'a FieldDef>,
    values: Vec<&'a EnumValueDef>,
    interfaces: Vec<&'a Ident>,
    directives: Vec<&'a Directive>,
    members: Vec<&'a Ident>,
}

/// What an object type is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Entity,
    Root,
    Connection,
    Edge,
    PageInfo,
    /// Hasura's `books_aggregate` / `books_aggregate_fields` and the
    /// statistics under them (`books_max_fields`): counts and figures.
    Aggregate,
    /// The answer of mutations only, wrapping rows (`CreateBookPayload`,
    /// `books_mutation_response`).
    Payload,
}

struct SdlBuilder<'a> {
    types: BTreeMap<&'a str, Merged<'a>>,
    roles: BTreeMap<&'a str, Role>,
    errors: Vec<SdlError>,
    ledger: Ledger,
    /// Per entity, the foreign keys made from a reference (`author_id`)
    /// and where the GraphQL type holds them (`author.id`).
    paths: BTreeMap<String, IndexMap<String, String>>,
}

fn build(document: &Document) -> (Introspection, Vec<SdlError>) {
    let mut builder = SdlBuilder {
        types: BTreeMap::new(),
        roles: BTreeMap::new(),
        errors: Vec::new(),
        ledger: Ledger::new(),
        paths: BTreeMap::new(),
    };
    builder.merge(document);
    let roots = builder.roots(document);
    builder.assign_roles(&roots);
    let mut manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        source: Some(Source {
            engine: SourceEngine::Graphql,
            url: None,
            schemas: Vec::new(),
        }),
        ..Manifest::default()
    };
    builder.enums(&mut manifest);
    builder.entities(&mut manifest);
    builder.record_others(document, &roots);
    builder.operations(&mut manifest, &roots);
    builder.validate(&manifest);
    (
        Introspection {
            manifest,
            ledger: builder.ledger,
        },
        builder.errors,
    )
}

impl<'a> SdlBuilder<'a> {
    fn unknown(
        &mut self,
        span: Range<usize>,
        message: String,
        word: &str,
        candidates: &[&str],
        help: Option<String>,
    ) {
        let error = match (closest(word, candidates), help) {
            (Some(best), _) => error_with_help(span, message, format!("did you mean `{best}`?")),
            (None, Some(help)) => error_with_help(span, message, help),
            (None, None) => error(span, message),
        };
        self.errors.push(error);
    }

    /// What the checks above let through but the manifest validator does not
    /// (two types whose names differ only in case share a table, ...),
    /// reported at the type concerned, on an otherwise clean document.
    fn validate(&mut self, manifest: &Manifest) {
        if !self.errors.is_empty() {
            return;
        }
        for problem in crate::manifest::validate(manifest) {
            let segments = crate::manifest::path::segments(&problem.path);
            let span = segments
                .get(1)
                .and_then(|name| self.types.get(name.as_str()))
                .map_or(0..0, |merged| merged.definition.name.span.clone());
            self.errors.push(SdlError {
                span,
                message: problem.message,
                help: problem.help,
            });
        }
    }

    fn merge(&mut self, document: &'a Document) {
        for definition in &document.definitions {
            let Definition::Type(ty) = definition else {
                continue;
            };
            if ty.extend {
                continue;
            }
            let name = ty.name.name.as_str();
            if BUILT_IN_SCALARS.contains(&name) && ty.kind == TypeKind::Scalar {
                continue;
            }
            if self.types.contains_key(name) || BUILT_IN_SCALARS.contains(&name) {
                self.errors.push(error_with_help(
                    ty.name.span.clone(),
                    format!("type `{name}` is defined twice"),
                    "use `extend type` to add fields to an existing type",
                ));
                continue;
            }
            self.types.insert(
                name,
                Merged {
                    definition: ty,
                    fields: ty.fields.iter().collect(),
                    values: ty.values.iter().collect(),
                    interfaces: ty.interfaces.iter().collect(),
                    directives: ty.directives.iter().collect(),
                    members: ty.members.iter().collect(),
                },
            );
        }
        for definition in &document.definitions {
            let Definition::Type(ty) = definition else {
                continue;
            };
            if !ty.extend {
                continue;
            }
            let names: Vec<&str> = self.types.keys().copied().collect();
            let Some(merged) = self.types.get_mut(ty.name.name.as_str()) else {
                self.unknown(
                    ty.name.span.clone(),
                    format!(
                        "`extend {}` names unknown type `{}`",
                        ty.kind.keyword(),
                        ty.name.name
                    ),
                    &ty.name.name,
                    &names,
                    None,
                );
                continue;
            };
            if merged.definition.kind != ty.kind {
                let message = format!(
                    "`extend {}` of `{}`, which is {} `{}`",
                    ty.kind.keyword(),
                    ty.name.name,
                    article(merged.definition.kind.keyword()),
                    merged.definition.kind.keyword()
                );
                self.errors.push(error(ty.name.span.clone(), message));
                continue;
            }
            merged.fields.extend(ty.fields.iter());
            merged.values.extend(ty.values.iter());
            merged.interfaces.extend(ty.interfaces.iter());
            merged.directives.extend(ty.directives.iter());
            merged.members.extend(ty.members.iter());
        }
    }

    /// The root operation types: those the `schema` block names, else
    /// `Query`, `Mutation` and `Subscription`. An `extend schema` alone
    /// (Apollo Federation's `extend schema @link(...)` heading every
    /// subgraph) keeps the default roots, less those it names others for.
    fn roots(&mut self, document: &'a Document) -> BTreeMap<&'a str, &'a str> {
        let mut roots = BTreeMap::new();
        let mut declared = false;
        for definition in &document.definitions {
            let Definition::Schema {
                extend, operations, ..
            } = definition
            else {
                continue;
            };
            declared |= !extend;
            for (operation, ty) in operations {
                if !matches!(
                    operation.name.as_str(),
                    "query" | "mutation" | "subscription"
                ) {
                    self.unknown(
                        operation.span.clone(),
                        format!("unknown operation `{}` in `schema`", operation.name),
                        &operation.name,
                        &["query", "mutation", "subscription"],
                        Some("use `query`, `mutation` or `subscription`".to_owned()),
                    );
                    continue;
                }
                if !self.types.contains_key(ty.name.as_str()) {
                    let names: Vec<&str> = self.types.keys().copied().collect();
                    self.unknown(
                        ty.span.clone(),
                        format!(
                            "the {} root type `{}` is not defined",
                            operation.name, ty.name
                        ),
                        &ty.name,
                        &names,
                        None,
                    );
                    continue;
                }
                roots.insert(ty.name.as_str(), operation.name.as_str());
            }
        }
        if !declared {
            for (name, operation) in [
                ("Query", "query"),
                ("Mutation", "mutation"),
                ("Subscription", "subscription"),
            ] {
                if roots.values().any(|named| *named == operation) {
                    continue;
                }
                if let Some((key, _)) = self.types.get_key_value(name) {
                    roots.insert(*key, operation);
                }
            }
        }
        roots
    }

    fn assign_roles(&mut self, roots: &BTreeMap<&'a str, &'a str>) {
        for (name, merged) in &self.types {
            if merged.definition.kind != TypeKind::Object {
                continue;
            }
            let has = |field: &str| merged.fields.iter().any(|f| f.name.name == field);
            let role = if roots.contains_key(name) {
                Role::Root
            } else if *name == "PageInfo" && has("hasNextPage") {
                Role::PageInfo
            } else if name.ends_with("Connection") && (has("edges") || has("pageInfo")) {
                Role::Connection
            } else if name.ends_with("Edge") && has("node") && has("cursor") {
                Role::Edge
            } else if (name.ends_with("_aggregate") || name.ends_with("Aggregate"))
                && has("aggregate")
                || (name.ends_with("_aggregate_fields") || name.ends_with("AggregateFields"))
                    && has("count")
            {
                Role::Aggregate
            } else {
                Role::Entity
            };
            self.roles.insert(name, role);
        }
        self.roles_by_use(roots);
    }

    /// Roles read from how a type is used rather than from its name: an
    /// aggregate (a field `aggregate` of a type counting with `count:
    /// Int`), the figures only aggregates hold (`max`, `sum`, `stddev`:
    /// types of plain fields used by aggregates alone), and mutation
    /// payloads (the answer of mutations alone, without a key of their own,
    /// holding objects: `CreateBookPayload { book: Book }`,
    /// `books_mutation_response { returning: [books!]! }`).
    fn roles_by_use(&mut self, roots: &BTreeMap<&'a str, &'a str>) {
        // Per object type, the types whose fields answer it.
        let mut uses: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
        for (owner, merged) in &self.types {
            if matches!(
                merged.definition.kind,
                TypeKind::Object | TypeKind::Interface
            ) {
                for field in &merged.fields {
                    uses.entry(field.ty.named().name.as_str())
                        .or_default()
                        .push(*owner);
                }
            }
        }
        let objects = self.names_of(Role::Entity);
        let is_object = |types: &BTreeMap<&'a str, Merged<'a>>, name: &str| {
            types
                .get(name)
                .is_some_and(|m| m.definition.kind == TypeKind::Object)
        };
        for name in &objects {
            let Some(merged) = self.types.get(name) else {
                continue;
            };
            let counts = merged.fields.iter().any(|field| {
                field.name.name == "aggregate"
                    && self
                        .types
                        .get(field.ty.named().name.as_str())
                        .is_some_and(|inner| {
                            inner
                                .fields
                                .iter()
                                .any(|f| f.name.name == "count" && f.ty.named().name == "Int")
                        })
            });
            if counts {
                self.roles.insert(name, Role::Aggregate);
                if let Some(field) = merged.fields.iter().find(|f| f.name.name == "aggregate")
                    && let Some((inner, _)) =
                        self.types.get_key_value(field.ty.named().name.as_str())
                {
                    self.roles.insert(inner, Role::Aggregate);
                }
            }
        }
        // PostGraphile's pg-aggregates: a connection's `aggregates` (and
        // `groupedAggregates`) answer figures of its rows
        // (`BookAggregates { sum: BookSumAggregates }`), no rows.
        let connections = self.names_of(Role::Connection);
        for connection in connections {
            let Some(merged) = self.types.get(connection) else {
                continue;
            };
            for field in &merged.fields {
                if matches!(field.name.name.as_str(), "aggregates" | "groupedAggregates")
                    && let Some((inner, _)) =
                        self.types.get_key_value(field.ty.named().name.as_str())
                    && self.roles.get(inner) == Some(&Role::Entity)
                {
                    self.roles.insert(inner, Role::Aggregate);
                }
            }
        }
        // The figures under aggregates, level by level.
        loop {
            let figures: Vec<&'a str> = objects
                .iter()
                .copied()
                .filter(|name| self.roles.get(name) == Some(&Role::Entity))
                .filter(|name| {
                    let used = uses.get(name).map(Vec::as_slice).unwrap_or_default();
                    !used.is_empty()
                        && used
                            .iter()
                            .all(|owner| self.roles.get(owner) == Some(&Role::Aggregate))
                        && self.types.get(name).is_some_and(|merged| {
                            merged
                                .fields
                                .iter()
                                .all(|f| !is_object(&self.types, &f.ty.named().name))
                        })
                })
                .collect();
            if figures.is_empty() {
                break;
            }
            for name in figures {
                self.roles.insert(name, Role::Aggregate);
            }
        }
        let mutations: Vec<&'a str> = roots
            .iter()
            .filter(|(_, kind)| **kind == "mutation")
            .map(|(name, _)| *name)
            .collect();
        for name in &objects {
            if self.roles.get(name) != Some(&Role::Entity) {
                continue;
            }
            let used = uses.get(name).map(Vec::as_slice).unwrap_or_default();
            let answers_mutations_only =
                !used.is_empty() && used.iter().all(|owner| mutations.contains(owner));
            let holds_objects = self.types.get(name).is_some_and(|merged| {
                merged
                    .fields
                    .iter()
                    .any(|f| is_object(&self.types, &f.ty.named().name))
            });
            if answers_mutations_only && holds_objects && self.primary_key(name).is_none() {
                self.roles.insert(name, Role::Payload);
            }
        }
    }

    fn enums(&mut self, manifest: &mut Manifest) {
        let types: Vec<(&'a str, Merged<'a>)> =
            self.types.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (name, merged) in &types {
            if merged.definition.kind != TypeKind::Enum {
                continue;
            }
            let mut values = Vec::new();
            let mut seen = BTreeSet::new();
            for value in &merged.values {
                if !seen.insert(value.name.name.as_str()) {
                    self.errors.push(error(
                        value.name.span.clone(),
                        format!("enum `{name}` has the value `{}` twice", value.name.name),
                    ));
                    continue;
                }
                values.push(value.name.name.clone());
                if value.description.is_some() {
                    self.ledger.record(
                        *name,
                        "comment",
                        format!(
                            "the description of enum value `{}` has no place in the manifest",
                            value.name.name
                        ),
                    );
                }
                for directive in &value.directives {
                    self.ledger.record(
                        *name,
                        "directive",
                        format!(
                            "directive `@{}` on enum value `{}` is not represented in the manifest",
                            directive.name.name, value.name.name
                        ),
                    );
                }
            }
            if values.is_empty() {
                self.errors.push(error(
                    merged.definition.name.span.clone(),
                    format!("enum `{name}` has no values"),
                ));
                continue;
            }
            self.record_type_directives(name, &merged.directives);
            manifest.enums.insert(
                (*name).to_owned(),
                Enum {
                    values,
                    comment: merged.definition.description.clone(),
                    ..Enum::default()
                },
            );
        }
    }

    fn record_type_directives(&mut self, name: &str, directives: &[&Directive]) {
        for directive in directives {
            self.ledger.record(
                name,
                "directive",
                format!(
                    "directive `@{}` on `{name}` is not represented in the manifest",
                    directive.name.name
                ),
            );
        }
    }

    /// The object types that play `role`, by name.
    fn names_of(&self, role: Role) -> Vec<&'a str> {
        self.roles
            .iter()
            .filter(|(_, played)| **played == role)
            .map(|(name, _)| *name)
            .collect()
    }

    /// The primary key field of object type `name`: `id: ID!`, else the first
    /// non-null `ID` field.
    fn primary_key(&self, name: &str) -> Option<&'a FieldDef> {
        let merged = self.types.get(name)?;
        let is_id = |field: &&&FieldDef| {
            matches!(&field.ty, TypeRef::NonNull(inner, _)
                if matches!(inner.as_ref(), TypeRef::Named(named) if named.name == "ID"))
                && field.arguments.is_empty()
        };
        merged
            .fields
            .iter()
            .filter(is_id)
            .find(|f| f.name.name == "id")
            .or_else(|| merged.fields.iter().find(is_id))
            .copied()
    }

    /// The entity a Relay connection type lists: `edges { node: X }`, or a
    /// list field of an entity type.
    fn connection_node(&self, connection: &str) -> Option<&'a str> {
        let merged = self.types.get(connection)?;
        for field in &merged.fields {
            if field.name.name == "edges" {
                let edge = field.ty.named().name.as_str();
                if let Some(edge) = self.types.get(edge)
                    && let Some(node) = edge.fields.iter().find(|f| f.name.name == "node")
                {
                    let node = node.ty.named().name.as_str();
                    if self.roles.get(node) == Some(&Role::Entity) {
                        return self.types.get_key_value(node).map(|(k, _)| *k);
                    }
                }
            }
        }
        merged.fields.iter().find_map(|field| {
            let (_, inner) = field.ty.nullability();
            let TypeRef::List(..) = inner else {
                return None;
            };
            let named = field.ty.named().name.as_str();
            (self.roles.get(named) == Some(&Role::Entity))
                .then(|| self.types.get_key_value(named).map(|(k, _)| *k))
                .flatten()
        })
    }

    /// Whether entity `target` has a single (non-list) reference to `owner`.
    fn refers_back(&self, target: &str, owner: &str) -> bool {
        self.types.get(target).is_some_and(|merged| {
            merged.fields.iter().any(|field| {
                let (_, inner) = field.ty.nullability();
                matches!(inner, TypeRef::Named(named) if named.name == owner)
            })
        })
    }

    fn entities(&mut self, manifest: &mut Manifest) {
        let names = self.names_of(Role::Entity);
        for name in names {
            let Some(merged) = self.types.get(name).cloned() else {
                continue;
            };
            let entity = self.entity(name, &merged, manifest);
            if entity.fields.is_empty() {
                self.ledger.record(
                    name,
                    "empty_type",
                    format!("type `{name}` has no field a table could hold; it is left out"),
                );
                continue;
            }
            manifest.entities.insert(name.to_owned(), entity);
        }
    }

    fn entity(&mut self, name: &'a str, merged: &Merged<'a>, manifest: &Manifest) -> Entity {
        let mut entity = Entity::new(name);
        entity.comment = merged.definition.description.clone();
        if let Some(key) = self.primary_key(name) {
            entity.primary_key = vec![key.name.name.clone()];
        }
        self.record_type_directives(name, &merged.directives);
        let mut seen = BTreeSet::new();
        for field in &merged.fields {
            let object = format!("{name}.{}", field.name.name);
            if !seen.insert(field.name.name.as_str()) {
                self.errors.push(error(
                    field.name.span.clone(),
                    format!("`{name}` has two fields named `{}`", field.name.name),
                ));
                continue;
            }
            for directive in &field.directives {
                self.ledger.record(
                    object.as_str(),
                    "directive",
                    format!(
                        "directive `@{}` on field `{}` is not represented in the manifest",
                        directive.name.name, field.name.name
                    ),
                );
            }
            self.field(name, field, &object, &mut entity, manifest);
        }
        entity
    }

    fn record_arguments(&mut self, object: &str, field: &FieldDef, pagination: bool) {
        let arguments: Vec<&str> = field
            .arguments
            .iter()
            .map(|a| a.name.name.as_str())
            .filter(|a| !(pagination && PAGINATION_ARGUMENTS.contains(a)))
            .collect();
        if !arguments.is_empty() {
            self.ledger.record(
                object,
                "field_arguments",
                format!(
                    "the arguments of `{}` ({}) are not represented in the manifest",
                    field.name.name,
                    arguments
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }

    fn field(
        &mut self,
        owner: &'a str,
        field: &'a FieldDef,
        object: &str,
        entity: &mut Entity,
        manifest: &Manifest,
    ) {
        let named = field.ty.named();
        let target = named.name.as_str();
        let (nullable, inner) = field.ty.nullability();
        let is_list = matches!(inner, TypeRef::List(..));
        let kind = self.types.get(target).map(|m| m.definition.kind);
        let role = self.roles.get(target).copied();

        // References to other object types.
        if kind == Some(TypeKind::Object) {
            let (entity_target, via_connection) = match role {
                Some(Role::Entity) => (Some(target), false),
                Some(Role::Connection) => (self.connection_node(target), true),
                _ => (None, false),
            };
            self.record_arguments(object, field, via_connection);
            let Some(entity_target) = entity_target else {
                self.ledger.record(
                    object,
                    "reference",
                    format!(
                        "field `{}` refers to `{target}`, which is not an entity; it is left out",
                        field.name.name
                    ),
                );
                return;
            };
            // A value object without a key (`seo: SEO`, `price: MoneyV2`,
            // `selectedOptions: [SelectedOption!]!`) has no row to refer
            // to: its fields are embedded, as the API answers them.
            if !via_connection
                && self.primary_key(entity_target).is_none()
                && let Some(mut embedded) =
                    self.embedded(entity_target, object, manifest, &mut vec![owner])
            {
                if is_list {
                    let (items_nullable, _) = match inner {
                        TypeRef::List(element, _) => element.nullability(),
                        _ => (true, inner),
                    };
                    embedded.nullable = items_nullable;
                    let mut list = Field::new(FieldType::Array);
                    list.items = Some(Box::new(embedded));
                    embedded = list;
                }
                embedded.nullable = nullable;
                embedded.comment = field.description.clone();
                entity.fields.insert(field.name.name.clone(), embedded);
                return;
            }
            if is_list || via_connection {
                if !self.refers_back(entity_target, owner) {
                    let how = if via_connection {
                        format!(" through the connection `{target}`")
                    } else {
                        String::new()
                    };
                    self.ledger.record(
                        object,
                        "to_many",
                        format!(
                            "`{}` lists `{entity_target}` entities{how}: a to-many relation the \
                             manifest does not represent (no foreign key on either side)",
                            field.name.name
                        ),
                    );
                }
                return;
            }
            self.reference(owner, field, entity_target, nullable, object, entity);
            return;
        }
        self.record_arguments(object, field, false);
        match kind {
            Some(TypeKind::Interface | TypeKind::Union) => {
                self.ledger.record(
                    object,
                    "polymorphic_reference",
                    format!(
                        "field `{}` refers to {} `{target}`, which can be one of several types; \
                         it is left out",
                        field.name.name,
                        article(kind.map_or("", TypeKind::keyword)),
                    ),
                );
                return;
            }
            Some(TypeKind::Input) => {
                self.errors.push(error_with_help(
                    named.span.clone(),
                    format!("field `{}` has input type `{target}`", field.name.name),
                    "input types are for arguments; an object field needs an output type",
                ));
                return;
            }
            _ => {}
        }
        let Some(mut built) = self.value_field(inner, manifest) else {
            let mut candidates: Vec<&str> = BUILT_IN_SCALARS.to_vec();
            candidates.extend(self.types.keys().copied());
            self.unknown(
                named.span.clone(),
                format!("unknown type `{target}` for field `{}`", field.name.name),
                target,
                &candidates,
                Some(format!(
                    "use a built-in scalar ({}), or define `{target}`",
                    BUILT_IN_SCALARS.join(", ")
                )),
            );
            return;
        };
        built.nullable = nullable;
        built.comment = field.description.clone();
        entity.fields.insert(field.name.name.clone(), built);
    }

    /// The `object` field holding the fields of keyless object type `name`
    /// at `object`: its scalars, enums and lists of them, and the keyless
    /// objects in it, embedded in turn. What it cannot hold (a reference to
    /// an entity with a key, an interface, a type that contains itself) is
    /// left out with a ledger line. `None` when nothing is left.
    fn embedded(
        &mut self,
        name: &'a str,
        object: &str,
        manifest: &Manifest,
        visiting: &mut Vec<&'a str>,
    ) -> Option<Field> {
        let merged = self.types.get(name)?.clone();
        if visiting.contains(&name) || visiting.len() >= MAX_NESTING / 4 {
            self.ledger.record(
                object,
                "reference",
                format!("`{name}` contains itself here; this value is left out"),
            );
            return None;
        }
        visiting.push(name);
        let mut fields = IndexMap::new();
        for inner_field in &merged.fields {
            let path = format!("{object}.{}", inner_field.name.name);
            let (nullable, ty) = inner_field.ty.nullability();
            let target = inner_field.ty.named().name.as_str();
            let target = self
                .types
                .get_key_value(target)
                .map(|(k, m)| (*k, m.definition.kind));
            let built = match target {
                Some((target, TypeKind::Object))
                    if self.roles.get(target) == Some(&Role::Entity)
                        && self.primary_key(target).is_none() =>
                {
                    self.embedded(target, &path, manifest, visiting)
                        .map(|mut one| {
                            if let TypeRef::List(element, _) = ty {
                                one.nullable = element.nullability().0;
                                let mut list = Field::new(FieldType::Array);
                                list.items = Some(Box::new(one));
                                list
                            } else {
                                one
                            }
                        })
                }
                Some((target, TypeKind::Object | TypeKind::Interface | TypeKind::Union)) => {
                    self.ledger.record(
                        path.as_str(),
                        "reference",
                        format!(
                            "`{target}` inside the embedded value `{object}` is not embedded \
                             (it is a row of its own or one of several types); it is left out"
                        ),
                    );
                    None
                }
                _ => self.value_field(ty, manifest),
            };
            if let Some(mut built) = built {
                built.nullable = nullable;
                built.comment = inner_field.description.clone();
                fields.insert(inner_field.name.name.clone(), built);
            }
        }
        visiting.pop();
        if fields.is_empty() {
            return None;
        }
        let mut field = Field::new(FieldType::Object);
        field.fields = Some(fields);
        Some(field)
    }

    /// The field for a scalar, enum or list of them (`None` for an unknown
    /// type, or a list of object types).
    fn value_field(&mut self, ty: &TypeRef, manifest: &Manifest) -> Option<Field> {
        match ty {
            TypeRef::NonNull(inner, _) => self.value_field(inner, manifest),
            TypeRef::List(inner, _) => {
                let (nullable, element) = inner.nullability();
                let mut items = self.value_field(element, manifest)?;
                items.nullable = nullable;
                let mut field = Field::new(FieldType::Array);
                field.items = Some(Box::new(items));
                Some(field)
            }
            TypeRef::Named(named) => {
                let name = named.name.as_str();
                if let Some(ty) = built_in_scalar(name) {
                    return Some(Field::new(ty));
                }
                let merged = self.types.get(name)?;
                match merged.definition.kind {
                    TypeKind::Enum => {
                        let mut field = Field::new(FieldType::Enum);
                        field.enum_name =
                            manifest.enums.contains_key(name).then(|| name.to_owned());
                        if field.enum_name.is_none() {
                            // An enum without values (reported): keep the text.
                            field = Field::new(FieldType::String);
                        }
                        Some(field)
                    }
                    TypeKind::Scalar => Some(custom_scalar(name)),
                    _ => {
                        // An object inside a list inside a list, or an interface.
                        Some(Field::new(FieldType::Json))
                    }
                }
            }
        }
    }

    /// `author: Person` → field `author_id` (or an existing `authorId` /
    /// `author_id`) and a relation to `Person`'s key.
    fn reference(
        &mut self,
        owner: &str,
        field: &FieldDef,
        target: &str,
        nullable: bool,
        object: &str,
        entity: &mut Entity,
    ) {
        let Some(key) = self.primary_key(target) else {
            self.ledger.record(
                object,
                "reference",
                format!(
                    "field `{}` refers to `{target}`, which has no `ID!` key to hold; no foreign \
                     key is recorded",
                    field.name.name
                ),
            );
            return;
        };
        let base = &field.name.name;
        let existing = self.types.get(owner).and_then(|merged| {
            merged
                .fields
                .iter()
                .find(|f| {
                    (f.name.name == format!("{base}Id") || f.name.name == format!("{base}_id"))
                        && built_in_scalar(f.ty.named().name.as_str()).is_some()
                        && !matches!(f.ty.nullability().1, TypeRef::List(..))
                })
                .map(|f| f.name.name.clone())
        });
        let column = match existing {
            Some(existing) => existing,
            None => {
                let name = format!("{base}_id");
                let mut key_field = Field::new(FieldType::String);
                if let Some(ty) = built_in_scalar(key.ty.named().name.as_str()) {
                    key_field = Field::new(ty);
                }
                key_field.nullable = nullable;
                key_field.comment = field.description.clone();
                if entity.fields.contains_key(&name) {
                    self.ledger.record(
                        object,
                        "reference",
                        format!(
                            "the foreign key of `{}` would be `{name}`, which is taken; no relation is recorded",
                            field.name.name
                        ),
                    );
                    return;
                }
                entity.fields.insert(name.clone(), key_field);
                self.paths
                    .entry(owner.to_owned())
                    .or_default()
                    .insert(name.clone(), format!("{base}.{}", key.name.name));
                name
            }
        };
        entity.relations.push(Relation {
            name: None,
            fields: vec![column],
            references: RelationTarget {
                entity: target.to_owned(),
                fields: vec![key.name.name.clone()],
            },
            on_delete: ReferentialAction::NoAction,
            on_update: ReferentialAction::NoAction,
            deferrable: false,
            deferred: false,
            comment: None,
        });
    }

    /// Ledger entries for what is not an entity or an enum.
    fn record_others(&mut self, document: &Document, roots: &BTreeMap<&'a str, &'a str>) {
        let mut connections = Vec::new();
        let mut edges = Vec::new();
        let mut page_info = false;
        let types: Vec<(&'a str, Merged<'a>)> =
            self.types.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (name, merged) in &types {
            match (merged.definition.kind, self.roles.get(name)) {
                (TypeKind::Object, Some(Role::Root)) => {
                    let operation = roots.get(name).copied().unwrap_or("query");
                    self.ledger.record(
                        *name,
                        "root_type",
                        format!(
                            "`{name}` is the {operation} root type ({} field{}): API operations, \
                             not an entity",
                            merged.fields.len(),
                            if merged.fields.len() == 1 { "" } else { "s" }
                        ),
                    );
                }
                (TypeKind::Object, Some(Role::Connection)) => connections.push(*name),
                (TypeKind::Object, Some(Role::Edge)) => edges.push(*name),
                (TypeKind::Object, Some(Role::PageInfo)) => page_info = true,
                (TypeKind::Object, Some(Role::Aggregate)) => self.ledger.record(
                    *name,
                    "aggregate_type",
                    format!("`{name}` answers counts or figures of a list: not an entity"),
                ),
                (TypeKind::Object, Some(Role::Payload)) => {
                    let answering: Vec<String> = types
                        .iter()
                        .filter(|(root, _)| roots.get(root) == Some(&"mutation"))
                        .flat_map(|(_, root)| root.fields.iter())
                        .filter(|field| field.ty.named().name == *name)
                        .map(|field| format!("`{}`", field.name.name))
                        .collect();
                    self.ledger.record(
                        *name,
                        "mutation_payload",
                        format!(
                            "`{name}` is only the answer of mutation {}: a payload wrapping rows, \
                             not an entity",
                            answering.join(", ")
                        ),
                    );
                }
                (TypeKind::Interface, _) => {
                    let implementers: Vec<&str> = types
                        .iter()
                        .filter(|(_, other)| other.interfaces.iter().any(|i| i.name == *name))
                        .map(|(other, _)| *other)
                        .collect();
                    let by = if implementers.is_empty() {
                        String::new()
                    } else {
                        format!(" (implemented by {})", implementers.join(", "))
                    };
                    self.ledger.record(
                        *name,
                        "interface",
                        format!(
                            "interface `{name}`{by} is not represented; its fields are on each \
                             implementing entity"
                        ),
                    );
                }
                (TypeKind::Union, _) => {
                    let members: Vec<&str> =
                        merged.members.iter().map(|m| m.name.as_str()).collect();
                    self.ledger.record(
                        *name,
                        "union",
                        format!(
                            "union `{name}` ({}) is not represented in the manifest",
                            members.join(" | ")
                        ),
                    );
                }
                (TypeKind::Input, _) => self.ledger.record(
                    *name,
                    "input_type",
                    format!(
                        "input type `{name}` (an argument type) is not represented in the manifest"
                    ),
                ),
                (TypeKind::Scalar, _) => {
                    let field = custom_scalar(name);
                    if field.ty == FieldType::Native {
                        self.ledger.record(
                            *name,
                            "custom_scalar",
                            format!(
                                "custom scalar `{name}` says nothing baas can map; its fields are \
                                 `native = \"{name}\"`"
                            ),
                        );
                    }
                    self.record_type_directives(name, &merged.directives);
                }
                _ => {}
            }
            // Unknown member and interface names are errors.
            for interface in &merged.interfaces {
                if self
                    .types
                    .get(interface.name.as_str())
                    .map(|m| m.definition.kind)
                    != Some(TypeKind::Interface)
                {
                    let names: Vec<&str> = types
                        .iter()
                        .filter(|(_, m)| m.definition.kind == TypeKind::Interface)
                        .map(|(n, _)| *n)
                        .collect();
                    self.unknown(
                        interface.span.clone(),
                        format!(
                            "`{name}` implements `{}`, which is not an interface",
                            interface.name
                        ),
                        &interface.name,
                        &names,
                        None,
                    );
                }
            }
            for member in &merged.members {
                if self
                    .types
                    .get(member.name.as_str())
                    .map(|m| m.definition.kind)
                    != Some(TypeKind::Object)
                {
                    let names: Vec<&str> = types
                        .iter()
                        .filter(|(_, m)| m.definition.kind == TypeKind::Object)
                        .map(|(n, _)| *n)
                        .collect();
                    self.unknown(
                        member.span.clone(),
                        format!(
                            "union `{name}` lists `{}`, which is not an object type",
                            member.name
                        ),
                        &member.name,
                        &names,
                        None,
                    );
                }
            }
        }
        if !connections.is_empty() || !edges.is_empty() || page_info {
            let mut parts = Vec::new();
            if !connections.is_empty() {
                parts.push(format!("{} `*Connection` types", connections.len()));
            }
            if !edges.is_empty() {
                parts.push(format!("{} `*Edge` types", edges.len()));
            }
            if page_info {
                parts.push("`PageInfo`".to_owned());
            }
            self.ledger.record(
                "Relay",
                "relay",
                format!(
                    "skipped {}: Relay pagination plumbing, not entities; connection fields are \
                     read as to-many relations and their pagination arguments are left out",
                    parts.join(", ")
                ),
            );
        }
        for definition in &document.definitions {
            match definition {
                Definition::Directive { name } => self.ledger.record(
                    format!("@{}", name.name),
                    "directive_definition",
                    format!(
                        "directive definition `@{}` is not represented in the manifest",
                        name.name
                    ),
                ),
                Definition::Schema {
                    description,
                    directives,
                    ..
                } => {
                    if description.is_some() {
                        self.ledger.record(
                            "schema",
                            "comment",
                            "the description of the schema has no place in the manifest".to_owned(),
                        );
                    }
                    for directive in directives {
                        self.ledger.record(
                            "schema",
                            "directive",
                            format!(
                                "directive `@{}` on the schema is not represented in the manifest",
                                directive.name.name
                            ),
                        );
                    }
                }
                Definition::Type(_) => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Root fields → the operations a GraphQL upstream is served through

/// The path every GraphQL operation is posted to, unless the endpoint the
/// schema was read from says otherwise.
pub const DEFAULT_ENDPOINT_PATH: &str = "/graphql";

const LIMIT_ARGUMENTS: &[&str] = &["first", "limit", "take", "pageSize", "page_size"];
const OFFSET_ARGUMENTS: &[&str] = &["offset", "skip"];
const CREATE_PREFIXES: &[&str] = &["create", "add", "insert", "new"];
const UPDATE_PREFIXES: &[&str] = &["update", "edit", "patch", "modify"];
const DELETE_PREFIXES: &[&str] = &["delete", "remove", "destroy"];
/// Arguments that may take a list's order.
/// How comparison objects spell baas's filter operators: Hasura's
/// `{_eq, _neq, _gt, ..}` and PostGraphile's connection filter's
/// `{equalTo, notEqualTo, greaterThan, ..}` (`is` is `is.null`).
const COMPARISON_SPELLINGS: [[(&str, &str); 11]; 2] = [
    [
        ("eq", "_eq"),
        ("neq", "_neq"),
        ("gt", "_gt"),
        ("gte", "_gte"),
        ("lt", "_lt"),
        ("lte", "_lte"),
        ("in", "_in"),
        ("nin", "_nin"),
        ("like", "_like"),
        ("ilike", "_ilike"),
        ("is", "_is_null"),
    ],
    [
        ("eq", "equalTo"),
        ("neq", "notEqualTo"),
        ("gt", "greaterThan"),
        ("gte", "greaterThanOrEqualTo"),
        ("lt", "lessThan"),
        ("lte", "lessThanOrEqualTo"),
        ("in", "in"),
        ("nin", "notIn"),
        ("like", "like"),
        ("ilike", "likeInsensitive"),
        ("is", "isNull"),
    ],
];
const ORDER_ARGUMENTS: &[&str] = &["orderBy", "order_by", "order", "sort", "sortBy", "sort_by"];
/// The null placements of [`Nulls`], in its order: (descending, nulls first).
const NULL_PLACEMENTS: [(bool, bool); 4] =
    [(false, true), (false, false), (true, true), (true, false)];

/// `asc_nulls_first`, `DESC_NULLS_LAST`: a direction that places nulls, in
/// the direction's case.
fn nulls_suffix(direction: &str, first: bool) -> String {
    let placement = if first { "_nulls_first" } else { "_nulls_last" };
    if direction.chars().any(char::is_lowercase) {
        format!("{direction}{placement}")
    } else {
        format!("{direction}{}", placement.to_ascii_uppercase())
    }
}

impl<'a> SdlBuilder<'a> {
    /// `[[api.operations]]` with their GraphQL form: per entity, the query
    /// fields that list and get it and the mutation fields that create,
    /// update and delete it (the first of each, in the schema's order).
    fn operations(&mut self, manifest: &mut Manifest, roots: &BTreeMap<&'a str, &'a str>) {
        self.composite_keys(manifest, roots);
        let mut operations: Vec<Operation> = Vec::new();
        for (root, kind) in roots {
            let operation_type = match *kind {
                "query" => GraphqlOperationType::Query,
                "mutation" => GraphqlOperationType::Mutation,
                _ => continue,
            };
            let Some(merged) = self.types.get(root).cloned() else {
                continue;
            };
            for field in &merged.fields {
                let found = match operation_type {
                    GraphqlOperationType::Query => {
                        self.query_operation(field, &merged.fields, manifest)
                    }
                    GraphqlOperationType::Mutation => self.mutation_operation(field, manifest),
                };
                let Some(mut operation) = found else {
                    continue;
                };
                let taken = operations.iter().any(|other| {
                    other.entity == operation.entity && other.action == operation.action
                });
                if taken {
                    continue;
                }
                if let (Some(entity), Some(graphql)) = (&operation.entity, &mut operation.graphql)
                    && let Some(paths) = self.paths.get(entity)
                {
                    graphql.paths = paths.clone();
                }
                operations.push(operation);
            }
        }
        if operations.is_empty() {
            return;
        }
        for operation in &operations {
            self.upstream_keys(manifest, operation);
        }
        operations.sort_by(|a, b| (&a.entity, a.action).cmp(&(&b.entity, b.action)));
        manifest.api.get_or_insert_with(Api::default).operations = operations;
    }

    /// A create whose input has no key field: the upstream assigns the
    /// key, so the API does not ask for it (`optional`).
    fn upstream_keys(&mut self, manifest: &mut Manifest, operation: &Operation) {
        let (Some(entity_name), Some(graphql)) = (&operation.entity, &operation.graphql) else {
            return;
        };
        if operation.action != Some(OperationAction::Create) {
            return;
        }
        let Some(entity) = manifest.entities.get_mut(entity_name) else {
            return;
        };
        let sent: Vec<&String> = match &graphql.input {
            Some(_) => graphql.input_fields.iter().collect(),
            None => graphql.arguments.keys().collect(),
        };
        for key in entity.primary_key.clone() {
            if sent.iter().any(|name| **name == key) {
                continue;
            }
            if let Some(field) = entity.fields.get_mut(&key) {
                field.optional = true;
                self.ledger.record(
                    format!("{entity_name}.{key}"),
                    "upstream_key",
                    format!(
                        "`{}` takes no `{key}`: the upstream assigns it, so `{key}` is optional on insert",
                        graphql.field
                    ),
                );
            }
        }
    }

    fn arguments(field: &FieldDef) -> IndexMap<String, String> {
        field
            .arguments
            .iter()
            .map(|argument| (argument.name.name.clone(), argument.ty.render()))
            .collect()
    }

    fn operation(
        entity: &str,
        action: OperationAction,
        field: &FieldDef,
        graphql: GraphqlOperation,
    ) -> Operation {
        Operation {
            method: "POST".to_owned(),
            path: DEFAULT_ENDPOINT_PATH.to_owned(),
            entity: Some(entity.to_owned()),
            summary: field.description.clone(),
            action: Some(action),
            graphql: Some(graphql),
            ..Operation::default()
        }
    }

    fn graphql(operation: GraphqlOperationType, field: &FieldDef) -> GraphqlOperation {
        let mut graphql = GraphqlOperation::new(operation, &field.name.name, &field.ty.render());
        graphql.arguments = Self::arguments(field);
        graphql
    }

    /// The arguments that take `entity`'s key, one per key field: named
    /// like it, else (a single key) the only `ID` argument.
    fn key_arguments(&self, field: &FieldDef, entity: &Entity) -> Option<Vec<String>> {
        let named = |key: &String| {
            field
                .arguments
                .iter()
                .find(|a| &a.name.name == key)
                .map(|a| a.name.name.clone())
        };
        let key = match entity.primary_key.as_slice() {
            [] => return None,
            [key] => key,
            several => return several.iter().map(named).collect(),
        };
        if let Some(argument) = named(key) {
            return Some(vec![argument]);
        }
        let ids: Vec<&InputValue> = field
            .arguments
            .iter()
            .filter(|a| {
                a.ty.named().name == "ID" && !matches!(a.ty.nullability().1, TypeRef::List(..))
            })
            .collect();
        match ids.as_slice() {
            [one] => Some(vec![one.name.name.clone()]),
            _ => None,
        }
    }

    /// `membership(userId: ID!, groupId: ID!): Membership`: a get whose
    /// required arguments (two or more) all name fields of the entity,
    /// among them the key the type gave (not an `id`), makes those fields
    /// its key.
    fn composite_keys(&mut self, manifest: &mut Manifest, roots: &BTreeMap<&'a str, &'a str>) {
        for (root, kind) in roots {
            if *kind != "query" {
                continue;
            }
            let Some(merged) = self.types.get(root).cloned() else {
                continue;
            };
            for field in &merged.fields {
                let target = field.ty.named().name.as_str();
                let single = matches!(field.ty.nullability().1, TypeRef::Named(_));
                let Some(entity) = manifest.entities.get_mut(target) else {
                    continue;
                };
                let names: Vec<String> = field
                    .arguments
                    .iter()
                    .map(|a| a.name.name.clone())
                    .collect();
                let all_fields = field.arguments.iter().all(|argument| {
                    matches!(argument.ty, TypeRef::NonNull(..))
                        && entity.fields.contains_key(&argument.name.name)
                });
                // One argument is a key only of a type without one
                // (Hasura's `tracks_by_pk(id: Int!)` on `id: Int!`).
                let keyless_get = names.len() == 1 && entity.primary_key.is_empty();
                if !single
                    || (names.len() < 2 && !keyless_get)
                    || !all_fields
                    || !entity.primary_key.iter().all(|key| names.contains(key))
                    || entity.primary_key == names
                    || entity.primary_key == ["id"]
                {
                    continue;
                }
                entity.primary_key = names.clone();
                if keyless_get {
                    self.ledger.record(
                        target,
                        "key_argument",
                        format!(
                            "`{}({})` reads one `{target}`: its key is `{}`",
                            field.name.name, names[0], names[0]
                        ),
                    );
                    continue;
                }
                self.ledger.record(
                    target,
                    "composite_key",
                    format!(
                        "`{}({})` reads one `{target}`: its key is ({})",
                        field.name.name,
                        names.join(", "),
                        names.join(", ")
                    ),
                );
                // A reference made before to the one field the type gave
                // as its key names many rows now: it is no relation.
                for (owner, other) in manifest.entities.iter_mut() {
                    other.relations.retain(|relation| {
                        let keep = relation.references.entity != target
                            || relation.references.fields == names;
                        if !keep {
                            self.ledger.record(
                                format!("{owner}.{}", relation.fields.join(",")),
                                "composite_key",
                                format!(
                                    "reads `{target}.{}` only, part of its key ({}): kept as a field, not a relation",
                                    relation.references.fields.join(","),
                                    names.join(", ")
                                ),
                            );
                        }
                        keep
                    });
                }
            }
        }
    }

    /// `books(...)`: a list (plain, offset-paged or a Relay connection);
    /// `book(id:)`: a get.
    fn query_operation(
        &self,
        field: &FieldDef,
        siblings: &[&FieldDef],
        manifest: &Manifest,
    ) -> Option<Operation> {
        let (_, inner) = field.ty.nullability();
        let target = field.ty.named().name.as_str();
        let role = self.roles.get(target).copied();
        let is_list = matches!(inner, TypeRef::List(..));
        let (entity_name, connection) = match role {
            Some(Role::Entity) => (target, false),
            Some(Role::Connection) if !is_list => (self.connection_node(target)?, true),
            _ => return None,
        };
        let entity = manifest.entities.get(entity_name)?;
        let mut graphql = Self::graphql(GraphqlOperationType::Query, field);
        if !is_list && !connection {
            graphql.key = self.key_arguments(field, entity)?;
            return Some(Self::operation(
                entity_name,
                OperationAction::Get,
                field,
                graphql,
            ));
        }
        graphql.connection = connection;
        let has = |name: &str| field.arguments.iter().any(|a| a.name.name == name);
        let limit = LIMIT_ARGUMENTS
            .iter()
            .find(|name| has(name))
            .map(|n| (*n).to_owned());
        let pagination = if connection {
            limit.clone().map(|limit| Pagination {
                style: PaginationStyle::Cursor,
                limit: Some(limit),
                offset: None,
                page: None,
                cursor: has("after").then(|| "after".to_owned()),
                next: Some("/pageInfo/endCursor".to_owned()),
            })
        } else {
            let offset = OFFSET_ARGUMENTS
                .iter()
                .find(|name| has(name))
                .map(|n| (*n).to_owned());
            match (limit.clone(), offset) {
                (Some(limit), Some(offset)) => Some(Pagination {
                    style: PaginationStyle::Offset,
                    limit: Some(limit),
                    offset: Some(offset),
                    page: None,
                    cursor: None,
                    next: None,
                }),
                _ => None,
            }
        };
        let mut query = Vec::new();
        for argument in &field.arguments {
            let name = argument.name.name.as_str();
            if PAGINATION_ARGUMENTS.contains(&name)
                || LIMIT_ARGUMENTS.contains(&name)
                || OFFSET_ARGUMENTS.contains(&name)
                || ORDER_ARGUMENTS.contains(&name)
            {
                continue;
            }
            let ty = argument.ty.named().name.as_str();
            match self.types.get(ty).map(|m| m.definition.kind) {
                // An input object of comparison objects (Hasura's `where:
                // {title: {_eq: ..}}`, PostGraphile's `filter: {title:
                // {equalTo: ..}}`) is taken over one of values (`where:
                // {genre: SCIENCE}`, PostGraphile's `condition`): it
                // takes more than equalities.
                Some(TypeKind::Input) if graphql.operators.is_empty() => {
                    if let Some((fields, operators)) = self.comparisons(ty, entity) {
                        graphql.filter = Some(name.to_owned());
                        graphql.filter_or = self.any_of(ty);
                        graphql.operators = operators;
                        query = fields;
                    } else if graphql.filter.is_none() {
                        let matching = self.value_filter(ty, entity);
                        if !matching.is_empty() {
                            graphql.filter = Some(name.to_owned());
                            graphql.filter_or = self.any_of(ty);
                            query = matching;
                        }
                    }
                }
                _ if graphql.filter.is_none()
                    && entity.fields.contains_key(name)
                    && !matches!(argument.ty.nullability().1, TypeRef::List(..)) =>
                {
                    query.push(name.to_owned());
                }
                _ => {}
            }
        }
        graphql.order = self.order(field, entity_name, entity);
        graphql.count = (connection
            && self.has_field(field.ty.named().name.as_str(), "totalCount"))
        .then(|| "totalCount".to_owned());
        if graphql.count.is_none()
            && let Some(aggregate) = self.aggregate_field(field, siblings, &graphql, &query)
        {
            graphql.count_field = Some(aggregate);
            graphql.count = Some("aggregate.count".to_owned());
        }
        let mut operation = Self::operation(entity_name, OperationAction::List, field, graphql);
        operation.pagination = pagination;
        operation.query = query;
        Some(operation)
    }

    /// The fields of filter input `ty` taking the value itself, named like
    /// `entity`'s (not lists, not input objects).
    fn value_filter(&self, ty: &str, entity: &Entity) -> Vec<String> {
        self.types
            .get(ty)
            .map(|merged| merged.definition.inputs.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|input| {
                entity.fields.contains_key(&input.name.name)
                    && !matches!(input.ty.nullability().1, TypeRef::List(..))
                    && self
                        .types
                        .get(input.ty.named().name.as_str())
                        .is_none_or(|merged| merged.definition.kind != TypeKind::Input)
            })
            .map(|input| input.name.name.clone())
            .collect()
    }

    /// Filter input `ty` as one of comparison objects: the fields named
    /// like `entity`'s whose type is an input object of operators (Hasura's
    /// `title: String_comparison_exp { _eq _in _gt .. }`, PostGraphile's
    /// `title: StringFilter { equalTo in greaterThan .. }`), and per baas
    /// operator its spelling, kept when every such field has it (`like`
    /// only when every field is a string). None when no field compares by
    /// equality in one spelling.
    fn comparisons(
        &self,
        ty: &str,
        entity: &Entity,
    ) -> Option<(Vec<String>, IndexMap<String, String>)> {
        let inputs = &self.types.get(ty)?.definition.inputs;
        COMPARISON_SPELLINGS
            .iter()
            .filter_map(|spelling| {
                let mut fields = Vec::new();
                let mut common: Option<Vec<(&str, &str)>> = None;
                for input in inputs {
                    if !entity.fields.contains_key(&input.name.name)
                        || matches!(input.ty.nullability().1, TypeRef::List(..))
                    {
                        continue;
                    }
                    let Some(merged) = self
                        .types
                        .get(input.ty.named().name.as_str())
                        .filter(|merged| merged.definition.kind == TypeKind::Input)
                    else {
                        continue;
                    };
                    let has =
                        |name: &str| merged.definition.inputs.iter().any(|i| i.name.name == name);
                    let spelled: Vec<(&str, &str)> = spelling
                        .iter()
                        .copied()
                        .filter(|(_, name)| has(name))
                        .collect();
                    if !spelled.iter().any(|(op, _)| *op == "eq") {
                        continue;
                    }
                    fields.push(input.name.name.clone());
                    common = Some(match common {
                        None => spelled,
                        Some(common) => common
                            .into_iter()
                            .filter(|op| spelled.contains(op))
                            .collect(),
                    });
                }
                let operators: IndexMap<String, String> = common?
                    .into_iter()
                    .map(|(op, name)| (op.to_owned(), name.to_owned()))
                    .collect();
                Some((fields, operators))
            })
            .max_by_key(|(fields, operators)| (fields.len(), operators.len()))
    }

    /// The field of filter input `ty` taking a list of such filters any of
    /// which a row matches: `OR: [BookFilter!]`, `_or`, `or`.
    fn any_of(&self, ty: &str) -> Option<String> {
        let merged = self.types.get(ty)?;
        merged
            .definition
            .inputs
            .iter()
            .find(|input| {
                input
                    .name
                    .name
                    .trim_start_matches('_')
                    .eq_ignore_ascii_case("or")
                    && input.ty.named().name == ty
                    && matches!(input.ty.nullability().1, TypeRef::List(..))
            })
            .map(|input| input.name.name.clone())
    }

    fn has_field(&self, ty: &str, name: &str) -> bool {
        self.types
            .get(ty)
            .is_some_and(|merged| merged.fields.iter().any(|f| f.name.name == name))
    }

    /// How list `field` takes an order, from its `orderBy`/`order_by`/
    /// `sort` argument: a `String` (`"-title"`), an enum of `TITLE_ASC`
    /// values, an input object of directions (`{title: ASC}`), or one
    /// naming the field and the direction (`{field: TITLE, direction:
    /// ASC}`), each maybe in a list. Only the entity's own fields (not
    /// read through a path) are ordered upstream. The directions that also
    /// place nulls (`asc_nulls_first`, `TITLE_ASC_NULLS_FIRST`) are kept
    /// when the upstream has them.
    fn order(&self, field: &FieldDef, entity_name: &str, entity: &Entity) -> Option<GraphqlOrder> {
        let argument = field
            .arguments
            .iter()
            .find(|a| ORDER_ARGUMENTS.contains(&a.name.name.as_str()))?;
        let paths = self.paths.get(entity_name);
        let own: Vec<&String> = entity
            .fields
            .keys()
            .filter(|name| !paths.is_some_and(|paths| paths.contains_key(*name)))
            .collect();
        let ty = argument.ty.named().name.as_str();
        let mut order = GraphqlOrder {
            argument: argument.name.name.clone(),
            style: GraphqlOrderStyle::String,
            list: matches!(argument.ty.nullability().1, TypeRef::List(..)),
            fields: Vec::new(),
            asc: None,
            desc: None,
            nulls: Nulls::default(),
            values: IndexMap::new(),
            by: None,
            direction: None,
        };
        match self.types.get(ty).map(|merged| merged.definition.kind) {
            None if ty == "String" => {
                order.fields = own.into_iter().cloned().collect();
            }
            Some(TypeKind::Enum) => {
                let values = self.enum_values(ty);
                order.style = GraphqlOrderStyle::Enum;
                order.asc = Some("ASC".to_owned());
                order.desc = Some("DESC".to_owned());
                order.fields = own
                    .into_iter()
                    .filter(|name| {
                        [false, true].iter().all(|descending| {
                            values.contains(&order.enum_value(name, *descending).as_str())
                        })
                    })
                    .cloned()
                    .collect();
                // `TITLE_ASC_NULLS_FIRST`, when every field has it.
                for (slot, (descending, first)) in order.nulls.0.iter_mut().zip(NULL_PLACEMENTS) {
                    let suffix = nulls_suffix(if descending { "DESC" } else { "ASC" }, first);
                    let spelled = order.fields.iter().all(|name| {
                        values.contains(&GraphqlOrder::enum_value_with(name, &suffix).as_str())
                    });
                    if spelled {
                        *slot = Some(suffix);
                    }
                }
            }
            Some(TypeKind::Input) => {
                order.style = GraphqlOrderStyle::Input;
                let merged = self.types.get(ty)?;
                for input in &merged.definition.inputs {
                    let name = &input.name.name;
                    if !own.contains(&name) {
                        continue;
                    }
                    let Some(directions) = self.directions(input.ty.named().name.as_str()) else {
                        continue;
                    };
                    if order.asc.is_none() {
                        (order.asc, order.desc) =
                            (Some(directions.0.clone()), Some(directions.1.clone()));
                        order.nulls = directions.2.clone();
                    }
                    if order.asc.as_ref() == Some(&directions.0)
                        && order.desc.as_ref() == Some(&directions.1)
                    {
                        order.fields.push(name.clone());
                    }
                }
                if order.fields.is_empty() {
                    return self.field_order(order, &merged.definition.inputs, &own);
                }
            }
            _ => return None,
        }
        (!order.fields.is_empty()).then_some(order)
    }

    /// GitHub's `{field: TITLE, direction: ASC}`: an input object of two
    /// enums, one naming fields of the entity (`CREATED_AT` is
    /// `createdAt`), the other the directions.
    fn field_order(
        &self,
        mut order: GraphqlOrder,
        inputs: &[InputValue],
        own: &[&String],
    ) -> Option<GraphqlOrder> {
        let direction = inputs
            .iter()
            .find_map(|input| Some((input, self.directions(input.ty.named().name.as_str())?)))?;
        let squashed = |name: &str| name.replace('_', "").to_ascii_lowercase();
        let (by, values) = inputs
            .iter()
            .filter(|input| input.name.name != direction.0.name.name)
            .find_map(|input| {
                let values: IndexMap<String, String> = self
                    .enum_values(input.ty.named().name.as_str())
                    .into_iter()
                    .filter_map(|value| {
                        let field = own.iter().find(|own| squashed(own) == squashed(value))?;
                        Some(((*field).clone(), value.to_owned()))
                    })
                    .collect();
                (!values.is_empty()).then_some((input, values))
            })?;
        order.style = GraphqlOrderStyle::Field;
        order.fields = values.keys().cloned().collect();
        order.values = values;
        order.by = Some(by.name.name.clone());
        order.direction = Some(direction.0.name.name.clone());
        let (asc, desc, nulls) = direction.1;
        (order.asc, order.desc, order.nulls) = (Some(asc), Some(desc), nulls);
        Some(order)
    }

    /// The values of enum `ty` (none when it is no enum).
    fn enum_values(&self, ty: &str) -> Vec<&'a str> {
        self.types
            .get(ty)
            .filter(|merged| merged.definition.kind == TypeKind::Enum)
            .map(|merged| merged.values.iter().map(|v| v.name.name.as_str()).collect())
            .unwrap_or_default()
    }

    /// An enum of directions: its ascending and descending values (`ASC`,
    /// `asc`) and those that also place nulls (`asc_nulls_first`).
    fn directions(&self, ty: &str) -> Option<(String, String, Nulls)> {
        let values = self.enum_values(ty);
        let find = |word: &str| {
            values
                .iter()
                .find(|value| value.eq_ignore_ascii_case(word))
                .map(|value| (*value).to_owned())
        };
        let (asc, desc) = (find("asc")?, find("desc")?);
        let mut nulls = Nulls::default();
        for (slot, (descending, first)) in nulls.0.iter_mut().zip(NULL_PLACEMENTS) {
            *slot = find(&nulls_suffix(if descending { &desc } else { &asc }, first));
        }
        Some((asc, desc, nulls))
    }

    /// Hasura's `books_aggregate(where:) { aggregate { count } }` beside
    /// list field `books`: a sibling named `<field>_aggregate` or
    /// `<field>Aggregate` that takes the list's filter arguments with the
    /// same types.
    fn aggregate_field(
        &self,
        field: &FieldDef,
        siblings: &[&FieldDef],
        graphql: &GraphqlOperation,
        query: &[String],
    ) -> Option<String> {
        let names = [
            format!("{}_aggregate", field.name.name),
            format!("{}Aggregate", field.name.name),
        ];
        let aggregate = siblings.iter().find(|f| names.contains(&f.name.name))?;
        let answer = aggregate.ty.named().name.as_str();
        let inner = self
            .types
            .get(answer)?
            .fields
            .iter()
            .find(|f| f.name.name == "aggregate")?;
        if !self.has_field(inner.ty.named().name.as_str(), "count") {
            return None;
        }
        let filters: Vec<&String> = match &graphql.filter {
            Some(filter) => vec![filter],
            None => query.iter().collect(),
        };
        let same = filters.iter().all(|name| {
            aggregate.arguments.iter().any(|a| {
                &&a.name.name == name && Some(&a.ty.render()) == graphql.arguments.get(*name)
            })
        });
        same.then(|| aggregate.name.name.clone())
    }

    fn input_fields(&self, input: &str) -> Vec<String> {
        self.types
            .get(input)
            .map(|merged| {
                merged
                    .definition
                    .inputs
                    .iter()
                    .map(|value| value.name.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `createBook(input:)`, `updateBook(id:, input:)`, `deleteBook(id:)`
    /// (the row as one input object or as arguments of its own; the answer
    /// the row, a payload holding it, or for a delete anything).
    fn mutation_operation(&self, field: &FieldDef, manifest: &Manifest) -> Option<Operation> {
        let name = field.name.name.as_str();
        let (action, rest) = [
            (OperationAction::Create, CREATE_PREFIXES),
            (OperationAction::Update, UPDATE_PREFIXES),
            (OperationAction::Delete, DELETE_PREFIXES),
        ]
        .into_iter()
        .find_map(|(action, prefixes)| {
            prefixes.iter().find_map(|prefix| {
                let rest = name.strip_prefix(prefix)?;
                let rest = rest.strip_prefix('_').unwrap_or(rest);
                (!rest.is_empty()).then_some((action, rest))
            })
        })?;
        let returned = field.ty.named().name.as_str();
        let entity_name = manifest
            .entities
            .keys()
            .find(|entity| entity.eq_ignore_ascii_case(rest))
            .map(String::as_str)
            .or_else(|| {
                (self.roles.get(returned) == Some(&Role::Entity)
                    && manifest.entities.contains_key(returned))
                .then_some(returned)
            })?;
        let entity = manifest.entities.get(entity_name)?;
        let mut graphql = Self::graphql(GraphqlOperationType::Mutation, field);
        if returned != entity_name
            && let Some(payload) = self.types.get(returned)
            && payload.definition.kind == TypeKind::Object
        {
            graphql.result = payload
                .fields
                .iter()
                .find(|f| {
                    f.ty.named().name == entity_name
                        && !matches!(f.ty.nullability().1, TypeRef::List(..))
                })
                .map(|f| f.name.name.clone());
            // A payload of rows in bulk (`returning: [books!]!`) is not
            // the answer of one row's create or update.
            if graphql.result.is_none()
                && action != OperationAction::Delete
                && self.roles.get(returned) == Some(&Role::Payload)
            {
                return None;
            }
        }
        if action != OperationAction::Create {
            graphql.key = self.key_arguments(field, entity)?;
        }
        if action != OperationAction::Delete {
            let input = field.arguments.iter().find(|argument| {
                self.types
                    .get(argument.ty.named().name.as_str())
                    .is_some_and(|m| m.definition.kind == TypeKind::Input)
            });
            if let Some(input) = input {
                graphql.input = Some(input.name.name.clone());
                graphql.input_fields = self.input_fields(&input.ty.named().name);
            }
        }
        Some(Self::operation(entity_name, action, field, graphql))
    }
}

/// `a` or `an`, for a keyword in a message.
fn article(word: &str) -> String {
    match word {
        "interface" | "enum" | "input" => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

fn built_in_scalar(name: &str) -> Option<FieldType> {
    Some(match name {
        "ID" | "String" => FieldType::String,
        "Int" => FieldType::Int32,
        "Float" => FieldType::Float64,
        "Boolean" => FieldType::Bool,
        _ => return None,
    })
}

/// A custom scalar: the portable type its name says, else `native`.
fn custom_scalar(name: &str) -> Field {
    let ty = match name.to_ascii_lowercase().as_str() {
        "datetime" | "timestamp" | "timestamptz" | "instant" | "datetimeiso" | "zoneddatetime" => {
            FieldType::Timestamptz
        }
        "localdatetime" | "naivedatetime" => FieldType::Timestamp,
        "date" | "localdate" => FieldType::Date,
        "time" | "localtime" => FieldType::Time,
        "json" | "jsonobject" | "jsonvalue" | "jsonb" => FieldType::Json,
        "uuid" | "guid" => FieldType::Uuid,
        "bigint" | "long" | "int64" => FieldType::Int64,
        "decimal" | "bigdecimal" | "numeric" => FieldType::Decimal,
        "duration" | "interval" => FieldType::Interval,
        "bytes" | "base64" | "binary" => FieldType::Bytes,
        "objectid" => FieldType::ObjectId,
        _ => {
            let mut field = Field::new(FieldType::Native);
            field.native = Some(name.to_owned());
            return field;
        }
    };
    Field::new(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_ok(text: &str) -> Introspection {
        let (document, errors) = parse_document(text);
        assert!(errors.is_empty(), "{errors:#?}");
        let (introspection, errors) = build(&document);
        assert!(errors.is_empty(), "{errors:#?}");
        introspection
    }

    #[test]
    fn block_strings_are_dedented() {
        assert_eq!(
            dedent_block("\n    Hello,\n      World!\n\n    Yours,\n      GraphQL.\n  "),
            "Hello,\n  World!\n\nYours,\n  GraphQL."
        );
        assert_eq!(dedent_block("one line"), "one line");
    }

    #[test]
    fn strings_unescape_and_report_unterminated() {
        let (tokens, errors) = tokenize(r#""a\"b\u00e9""#);
        assert!(errors.is_empty());
        assert_eq!(tokens[0].kind, TokenKind::String("a\"bé".into()));
        let (_, errors) = tokenize("\"open\ntype");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].span, 0..5);
    }

    #[test]
    fn references_become_foreign_keys_and_lists_the_ledger() {
        let result = build_ok(
            "type Query { books: [Book] }\n\
             \"A person\"\n\
             type Person { id: ID!, name: String!, books: [Book!]! }\n\
             type Book { id: ID!, title: String, tags: [String!], author: Person!, \
             editors: [Person] }\n",
        );
        let manifest = &result.manifest;
        assert_eq!(manifest.entities.len(), 2);
        let book = &manifest.entities["Book"];
        assert_eq!(book.primary_key, ["id"]);
        assert_eq!(
            book.fields.keys().collect::<Vec<_>>(),
            ["id", "title", "tags", "author_id"]
        );
        assert!(!book.fields["author_id"].nullable);
        assert_eq!(book.relations.len(), 1);
        assert_eq!(book.relations[0].references.entity, "Person");
        let tags = &book.fields["tags"];
        assert_eq!(tags.ty, FieldType::Array);
        assert!(tags.nullable);
        assert!(!tags.items.as_ref().unwrap().nullable);
        assert_eq!(
            manifest.entities["Person"].comment.as_deref(),
            Some("A person")
        );
        let kinds: Vec<(&str, &str)> = result
            .ledger
            .entries()
            .into_iter()
            .map(|e| (e.object.as_str(), e.kind.as_str()))
            .collect();
        // `Person.books` is the inverse of `Book.author`; `Book.editors` is not.
        assert_eq!(kinds, [("Book.editors", "to_many"), ("Query", "root_type")]);
    }

    #[test]
    fn a_missing_brace_is_reported_where_the_next_type_starts() {
        let text = "type A {\n  id: ID!\n\ntype B {\n  id: ID!\n}\n";
        let (document, errors) = parse_document(text);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(&text[errors[0].span.clone()], "type");
        assert_eq!(document.definitions.len(), 2);
    }

    #[test]
    fn a_field_named_type_is_a_field() {
        let result = build_ok("type A {\n  id: ID!\n  type: String\n  input: Int\n}\n");
        assert_eq!(result.manifest.entities["A"].fields.len(), 3);
    }
}
