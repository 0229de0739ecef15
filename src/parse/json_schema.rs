//! JSON Schema (draft-04 to 2020-12) → manifest, and the schema walker the
//! OpenAPI importer shares (an OpenAPI schema object is JSON Schema with a
//! few extra keywords).
//!
//! The mapping, decided once for every document:
//!
//! - **Entities.** The root schema becomes one entity when it describes an
//!   object (it has `properties`, or an `allOf` that gives some). It is named
//!   after its `title` when that is one identifier-like word, else after the
//!   file (`jsonfeed-1.1.schema.json` → `jsonfeed_1_1`). Every object schema
//!   under the root's `definitions` / `$defs` is an entity too, named by its
//!   key exactly as written (names that differ only by case get distinct
//!   tables). A root that is only a container of definitions gives no entity
//!   of its own.
//! - **References.** JSON documents embed: a property whose `$ref` points at
//!   an object definition becomes a nested `object` field carrying that
//!   definition's fields (the definition is also an entity of its own; the
//!   embedded copy carries its types, not its comments, which stay on the
//!   definition's entity). Copies are bounded so that the manifest stays in
//!   proportion to the document: definitions that refer to each other in a
//!   cycle never copy each other (the reference that closes the cycle is a
//!   `json` field with a `recursive_ref` ledger entry, wherever the walk
//!   starts), a definition referenced from several places is copied only
//!   when small, and each entity and the whole document copy at most a
//!   fixed number of fields (past it: `json`, `shared_ref`). Shapes are
//!   built once, bottom up through the graph of references. A value nested
//!   deeper than a TOML reader takes is `json` too. References to other
//!   files (`address.schema.json#/$defs/X`, relative to the file naming
//!   them) are read and resolved like internal ones; URLs and files that
//!   cannot be read become `json` with a ledger entry; references that
//!   resolve to nothing are errors.
//! - **Roots.** A root that is an array of objects gives the entity of its
//!   items; a root that is an enum gives `[enums.<name>]` and a ledger line;
//!   any other root that describes a value gets a ledger line.
//! - **Types.** `string` → `string` (`max_length` from `maxLength`), or by
//!   `format`: `date-time` → `timestamptz`, `date`, `time`, `uuid`,
//!   `duration` → `interval`, `byte`/`binary` → `bytes` (so is
//!   `contentEncoding: base64`, 2019-09's and OpenAPI 3.1's spelling of
//!   `format: byte`); other formats
//!   (`email`, `uri`, `hostname`, ...) stay `string` and are listed in the
//!   ledger with the other validation keywords the manifest cannot express
//!   (`pattern`, `minimum`, `minLength`, `readOnly`, ...), one `constraint`
//!   entry per entity. `integer` → `int64` (`int32` when `format: int32`, or
//!   when `maximum` and any `minimum` fit in 32 bits), `number` → `float64`
//!   (`float32` for `format: float`, `decimal` for `format: decimal`),
//!   `boolean` → `bool`, `array` → `array` with `items`, `object` with
//!   properties → `object` with nested `fields`, an object without properties
//!   → `json`. `allOf` is merged into one schema.
//! - **Presence.** JSON tells absence from null: a property not listed in
//!   `required` is `optional = true`; `nullable = true` when `null` is an
//!   allowed type (`type: [..., "null"]`, OpenAPI's `nullable`, Swagger's
//!   `x-nullable`, or `null` among the `enum` values), here or in the
//!   definition a `$ref` names (GitHub's `nullable-simple-user`).
//! - **Enums.** A string `enum` becomes `[enums.<entity>_<field>]` (the path
//!   of nested fields joined by `_`); a definition that is a string enum
//!   becomes `[enums.<definition>]`. Enums of numbers keep their base type
//!   (ledger entry).
//! - **Keys.** A required scalar `id` property is the primary key
//!   ([`KeyRule`]; OpenAPI takes any scalar `id`).
//! - **Unions of objects.** An object whose `oneOf` / `anyOf` alternatives
//!   are each an object with properties (tsconfig's `anyOf: [files,
//!   include, ...]` in its `allOf`, a base with variants) has the
//!   properties of every alternative too, optional (ledger line).
//! - **Ledger.** `oneOf` / `anyOf` (except `[X, null]`, which is a nullable
//!   `X`), `not`, `if`/`then`/`else`, `patternProperties`, schema-valued
//!   `additionalProperties`, `dependencies`, `propertyNames`,
//!   `unevaluatedProperties`, tuple `items`, `$dynamicRef` /
//!   `$recursiveRef` and type unions are recorded by keyword; where a field
//!   is still needed it is `json`. `deprecated: true` is a line too.
//!
//! Malformed documents become [`Diagnostics`]: syntax errors at the parser's
//! line and column, structural ones (`"type": 12`, an unknown type name, a
//! dangling `$ref`) at the offending value, found by walking the JSON text
//! along the schema's JSON pointer (exact for JSON, a line-based search for
//! YAML).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::SourceFile;
use crate::ledger::Ledger;
use crate::manifest::{
    CURRENT_FORMAT, DefaultValue, Diagnostics, Entity, Enum, Field, FieldType, Literal, Manifest,
    Problem, Project, Source, SourceEngine,
};
use crate::source::{IntrospectOptions, Introspection};

/// Reads a JSON Schema file into a manifest.
pub fn parse(file: &SourceFile, options: &IntrospectOptions) -> Result<Introspection, Diagnostics> {
    parse_read(file, None, options)
}

/// [`parse`], given the document when it was already read from `file`.
pub(crate) fn parse_read(
    file: &SourceFile,
    document: Option<Document>,
    _options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let mut document = document.map_or_else(|| read_document(file), Ok)?;
    resolve_identifiers(&mut document.value);
    let external = graft_external(file, &mut document.value);
    let root = &document.value;
    let mut walker = Walker::new(file, document.syntax, root, KeyRule::RequiredId);
    for (object, message) in external {
        walker.note(&object, "external_ref", message);
    }

    // The definitions, in document order.
    let mut definitions: Vec<(String, Pointer)> = Vec::new();
    for key in ["definitions", "$defs"] {
        match root.get(key) {
            None => {}
            Some(Value::Object(map)) => {
                for name in map.keys() {
                    definitions.push((name.clone(), vec![key.to_owned(), name.clone()]));
                }
            }
            Some(_) => walker.problem(
                &[key.to_owned()],
                format!("`{key}` must be an object of schemas"),
                None,
            ),
        }
    }

    let taken: BTreeSet<String> = definitions
        .iter()
        .map(|(name, _)| name.to_lowercase())
        .collect();
    // The root is an entity when it describes an object; a root that is an
    // array of objects (a list of records) gives the entity of its items.
    let mut root_pointer: Pointer = Vec::new();
    let mut root_entity = (!walker.flatten(root, &[]).properties.is_empty())
        .then(|| unique_name(&root_name(root, file), &taken));
    if root_entity.is_none()
        && root.get("type").and_then(Value::as_str) == Some("array")
        && let Some(items) = root.get("items").filter(|items| items.is_object())
        && !walker
            .flatten(items, &["items".to_owned()])
            .properties
            .is_empty()
    {
        root_pointer = vec!["items".to_owned()];
        root_entity = Some(unique_name(&root_name(root, file), &taken));
    }
    if root_entity.is_none() && describes_a_value(root) {
        // A root that is an enum, a scalar or a union: what it is, said in
        // the manifest (an enum) or in the ledger, never nothing.
        let name = unique_name(&root_name(root, file), &taken);
        if walker.classify(&[], &name) == Classified::Enum {
            walker.note(
                &name,
                "not_an_entity",
                format!(
                    "the root schema is an enum: it is `[enums.{name}]`, and no entity is made of it"
                ),
            );
        }
    }

    // The root's description is the comment of the root's entity; with no
    // such entity, the ledger says it (its title names the project).
    if root_entity.is_none()
        && let Some(text) = root
            .get("description")
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty())
    {
        walker.note(
            &root_name(root, file),
            "schema_description",
            format!(
                "the root schema's description ({}) is not represented: no entity is made of \
                 the root to hold it",
                super::first_line(text)
            ),
        );
    }

    let mut entity_pointers: Vec<(String, Pointer)> = Vec::new();
    for (name, pointer) in &definitions {
        match walker.classify(pointer, name) {
            Classified::Entity => entity_pointers.push((name.clone(), pointer.clone())),
            Classified::Enum | Classified::Skipped => {}
        }
    }
    if let Some(name) = &root_entity {
        walker.declare_entity(&root_pointer, name);
        entity_pointers.push((name.clone(), root_pointer.clone()));
    }
    walker.prepare(&entity_pointers);

    let mut entities = BTreeMap::new();
    for (name, pointer) in &entity_pointers {
        if let Some(entity) = walker.entity(pointer, name) {
            entities.insert(name.clone(), entity);
        }
    }

    walker.distinct_tables(&mut entities);

    let project = root
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| Some(file_stem(file)));
    let (enums, ledger) = walker.finish()?;
    let manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project { name: project },
        source: Some(Source {
            engine: SourceEngine::JsonSchema,
            url: None,
            schemas: Vec::new(),
        }),
        enums,
        entities,
        api: None,
        auth: None,
        ..Manifest::default()
    };
    let introspection = Introspection { manifest, ledger };
    if super::found_nothing(&introspection) {
        return Err(nothing_described(file, root));
    }
    Ok(introspection)
}

/// The problem of a document that gave no entity, enum or ledger line: it
/// has no JSON Schema keywords at all (a data file imported with `--format
/// jsonschema`, say), or keywords that describe nothing.
fn nothing_described(file: &SourceFile, root: &Value) -> Diagnostics {
    const KEYWORDS: &[&str] = &["$schema", "$id", "$defs", "definitions"];
    let message = match root {
        Value::Object(map)
            if map
                .keys()
                .any(|key| KEYWORDS.contains(&key.as_str()) || is_structural(key)) =>
        {
            "the schema describes no object, enum or value: nothing to import".to_owned()
        }
        Value::Object(_) => "the document has no JSON Schema keywords (`type`, `properties`, \
             `$defs`, `$ref`, ...): it is not a JSON Schema, and there is nothing to import"
            .to_owned(),
        other => format!(
            "the document is {} and no JSON Schema object: there is nothing to import",
            match other {
                Value::Array(_) => "an array",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                _ => "null",
            }
        ),
    };
    super::nothing_to_import(file, message, super::data_file_help(root).to_owned())
}

/// Whether a schema says something of a value (a type, an enum, a union),
/// rather than being only a container of definitions.
fn describes_a_value(schema: &Value) -> bool {
    const KEYWORDS: &[&str] = &[
        "type", "enum", "const", "oneOf", "anyOf", "allOf", "items", "$ref", "format",
    ];
    KEYWORDS.iter().any(|key| schema.get(*key).is_some())
}

/// Where documents that `$ref`s name by file are put inside the root, so
/// that every reference becomes a pointer into one document.
const EXTERNAL: &str = "$baas_external";

/// How many `$ref`s a named schema that only points elsewhere is followed
/// through to find what it names.
const MAX_ALIASES: usize = 8;

/// How many other files one schema may pull in through `$ref`s.
const MAX_EXTERNAL_FILES: usize = 64;

/// The base a document without a `$id` of its own is read against.
const DOCUMENT_BASE: &str = "https://baas.invalid/document.json";

/// Where the schemas of a document are known by name: `$id`s (absolute,
/// without fragment) and anchors (absolute, with `#name`), each at the
/// pointer of its schema.
#[derive(Default)]
struct Identifiers {
    resources: BTreeMap<String, Pointer>,
    anchors: BTreeMap<String, Pointer>,
    /// The pointer of each `$ref` and its target, resolved against the
    /// `$id` in scope.
    references: Vec<(Pointer, url::Url)>,
}

/// Rewrites the `$ref`s that name a schema of this document by its `$id`
/// (`order.json#/$defs/address` or a full URL, relative to the `$id` in
/// scope, embedded schemas' own included) or by an anchor (`#customer`:
/// `$anchor`, `$dynamicAnchor`, or a `$id` / draft-04 `id` that is only a
/// fragment) as the JSON pointers the walker follows. A reference to
/// another document is left as written.
fn resolve_identifiers(root: &mut Value) {
    let Ok(base) = url::Url::parse(DOCUMENT_BASE) else {
        return;
    };
    let draft4 = root
        .get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|schema| schema.contains("draft-04"));
    let mut found = Identifiers::default();
    found.resources.insert(DOCUMENT_BASE.to_owned(), Vec::new());
    collect_identifiers(root, &mut Vec::new(), &base, draft4, &mut found);
    for (at, target) in std::mem::take(&mut found.references) {
        let mut resource = target.clone();
        resource.set_fragment(None);
        let Some(start) = found.resources.get(resource.as_str()) else {
            continue;
        };
        let pointer = match target.fragment().unwrap_or_default() {
            "" => start.clone(),
            fragment if fragment.starts_with('/') => {
                let Some(inner) = internal_pointer(&format!("#{fragment}")) else {
                    continue;
                };
                start.iter().cloned().chain(inner).collect()
            }
            _ => match found.anchors.get(target.as_str()) {
                Some(pointer) => pointer.clone(),
                None => continue,
            },
        };
        let rewritten = format!("#{}", pointer_text(&pointer));
        if let Some(Value::String(reference)) = root.pointer_mut(&pointer_text(&at))
            && *reference != rewritten
        {
            *reference = rewritten;
        }
    }
}

/// [`resolve_identifiers`]' walk over the schema `value` at `pointer`,
/// whose `$id`s are resolved against `base`.
fn collect_identifiers(
    value: &Value,
    pointer: &mut Pointer,
    base: &url::Url,
    draft4: bool,
    found: &mut Identifiers,
) {
    let Value::Object(map) = value else {
        return;
    };
    let mut base = base.clone();
    let id = map
        .get("$id")
        .or_else(|| draft4.then(|| map.get("id")).flatten())
        .and_then(Value::as_str);
    if let Some(id) = id
        && let Ok(resolved) = base.join(id)
    {
        if id.starts_with('#') {
            found.anchors.insert(resolved.to_string(), pointer.clone());
        } else {
            let mut resource = resolved;
            resource.set_fragment(None);
            found
                .resources
                .insert(resource.to_string(), pointer.clone());
            base = resource;
        }
    }
    for keyword in ["$anchor", "$dynamicAnchor"] {
        if let Some(Value::String(anchor)) = map.get(keyword) {
            let mut named = base.clone();
            named.set_fragment(Some(anchor));
            found.anchors.insert(named.to_string(), pointer.clone());
        }
    }
    if let Some(Value::String(reference)) = map.get("$ref")
        && let Ok(target) = base.join(reference)
    {
        let mut at = pointer.clone();
        at.push("$ref".to_owned());
        found.references.push((at, target));
    }
    for (keyword, child) in map {
        let keyword = keyword.as_str();
        let named = matches!(
            keyword,
            "properties"
                | "patternProperties"
                | "$defs"
                | "definitions"
                | "dependentSchemas"
                | "dependencies"
        );
        let listed = matches!(
            keyword,
            "allOf" | "anyOf" | "oneOf" | "prefixItems" | "items"
        );
        let single = matches!(
            keyword,
            "items"
                | "additionalItems"
                | "additionalProperties"
                | "contains"
                | "propertyNames"
                | "if"
                | "then"
                | "else"
                | "not"
                | "unevaluatedItems"
                | "unevaluatedProperties"
                | "contentSchema"
        );
        pointer.push(keyword.to_owned());
        match child {
            Value::Object(children) if named => {
                for (name, schema) in children {
                    pointer.push(name.clone());
                    collect_identifiers(schema, pointer, &base, draft4, found);
                    pointer.pop();
                }
            }
            Value::Object(_) if single => {
                collect_identifiers(child, pointer, &base, draft4, found);
            }
            Value::Array(items) if listed => {
                for (i, schema) in items.iter().enumerate() {
                    pointer.push(i.to_string());
                    collect_identifiers(schema, pointer, &base, draft4, found);
                    pointer.pop();
                }
            }
            _ => {}
        }
        pointer.pop();
    }
}

/// Follows `$ref`s to other files (`address.schema.json`,
/// `common.yaml#/definitions/Money`), read relative to the file that names
/// them, transitively: each file read is put under [`EXTERNAL`] in `root`
/// and the references (its own internal ones too) are rewritten to point
/// there. URLs are not fetched. Returns a ledger entry `(object, message)`
/// for each file that could not be read.
pub(crate) fn graft_external(file: &SourceFile, root: &mut Value) -> Vec<(String, String)> {
    let Value::Object(_) = root else {
        return Vec::new();
    };
    let base = file
        .path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let main = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
    // Canonical path → key under EXTERNAL ("" for the main document).
    let mut keys: BTreeMap<std::path::PathBuf, String> = BTreeMap::new();
    keys.insert(main.clone(), String::new());
    let mut grafted: Map<String, Value> = Map::new();
    let mut notes = Vec::new();
    // (document, its folder, its key, its value)
    let mut queue: Vec<(std::path::PathBuf, String, Value)> =
        vec![(base.clone(), String::new(), std::mem::take(root))];
    let mut main_value = None;
    while let Some((folder, key, mut value)) = queue.pop() {
        let mut found = Vec::new();
        rewrite_references(&mut value, &key, &mut |reference: &str| {
            let (path, fragment) = reference.split_once('#').unwrap_or((reference, ""));
            if path.is_empty() || path.contains("://") {
                return None;
            }
            let target = folder.join(path);
            let canonical = std::fs::canonicalize(&target).ok()?;
            let target_key = match keys.get(&canonical) {
                Some(existing) => existing.clone(),
                None => {
                    if keys.len() > MAX_EXTERNAL_FILES {
                        return None;
                    }
                    let relative = canonical
                        .strip_prefix(std::fs::canonicalize(&base).unwrap_or_else(|_| base.clone()))
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_else(|_| canonical.to_string_lossy().into_owned());
                    keys.insert(canonical.clone(), relative.clone());
                    found.push((canonical, relative.clone()));
                    relative
                }
            };
            Some(external_reference(&target_key, fragment))
        });
        for (path, target_key) in found {
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(error) => {
                    notes.push((
                        target_key.clone(),
                        format!(
                            "`{}` could not be read ({error}); references to it are `json`",
                            path.display()
                        ),
                    ));
                    continue;
                }
            };
            let other = SourceFile {
                path: path.clone(),
                text: std::sync::Arc::new(text),
            };
            match read_document(&other) {
                Ok(document) => {
                    let folder = path
                        .parent()
                        .map(std::path::Path::to_path_buf)
                        .unwrap_or_default();
                    queue.push((folder, target_key, document.value));
                }
                Err(_) => notes.push((
                    target_key.clone(),
                    format!(
                        "`{}` is not a JSON or YAML document; references to it are `json`",
                        path.display()
                    ),
                )),
            }
        }
        if key.is_empty() {
            main_value = Some(value);
        } else {
            grafted.insert(key, value);
        }
    }
    *root = main_value.unwrap_or_default();
    if !grafted.is_empty()
        && let Value::Object(map) = root
    {
        map.insert(EXTERNAL.to_owned(), Value::Object(grafted));
    }
    notes
}

/// A `$ref` as its file wrote it: `common.yaml#/components/schemas/X` for
/// the `#/$baas_external/common.yaml/components/schemas/X` it was rewritten
/// to when the file was grafted.
fn shown_reference(reference: &str) -> String {
    let prefix = format!("#/{EXTERNAL}/");
    let Some(rest) = reference.strip_prefix(&prefix) else {
        return reference.to_owned();
    };
    let (key, fragment) = rest.split_once('/').unwrap_or((rest, ""));
    let file = key.replace("~1", "/").replace("~0", "~");
    if fragment.is_empty() {
        file
    } else {
        format!("{file}#/{fragment}")
    }
}

/// `#/$baas_external/<key><fragment>`.
fn external_reference(key: &str, fragment: &str) -> String {
    let mut pointer = vec![EXTERNAL.to_owned(), key.to_owned()];
    if let Some(inner) = internal_pointer(&format!("#{fragment}")) {
        pointer.extend(inner);
    }
    format!("#{}", pointer_text(&pointer))
}

/// Rewrites every `$ref` string under `value`: a reference to another file
/// as `external` says (left alone when it says `None`), and, in a grafted
/// document (`key` not empty), a reference internal to it so that it points
/// inside the graft.
fn rewrite_references(
    value: &mut Value,
    key: &str,
    external: &mut dyn FnMut(&str) -> Option<String>,
) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (name, child) in map.iter_mut() {
                    if name == "$ref"
                        && let Value::String(reference) = child
                    {
                        if let Some(fragment) = reference.strip_prefix('#') {
                            if !key.is_empty() {
                                *reference = external_reference(key, fragment);
                            }
                        } else if let Some(rewritten) = external(reference) {
                            *reference = rewritten;
                        }
                    } else if !matches!(
                        name.as_str(),
                        "enum" | "const" | "default" | "example" | "examples"
                    ) {
                        stack.push(child);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

/// The root entity's name: a one-word `title`, else the file's stem.
fn root_name(root: &Value, file: &SourceFile) -> String {
    if let Some(title) = root.get("title").and_then(Value::as_str) {
        let title = title.trim();
        if !title.is_empty()
            && title
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return title.to_owned();
        }
    }
    let stem = sanitize(&file_stem(file));
    if stem.is_empty() {
        "root".to_owned()
    } else {
        stem
    }
}

/// `jsonfeed-1.1.schema.json` → `jsonfeed-1.1`.
fn file_stem(file: &SourceFile) -> String {
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for suffix in [".json", ".yaml", ".yml"] {
        if let Some(rest) = stem.strip_suffix(suffix) {
            stem = rest;
            break;
        }
    }
    stem.strip_suffix(".schema").unwrap_or(stem).to_owned()
}

/// Letters, digits and `_` only; runs of anything else become one `_`.
fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// `name`, or `name_2`, `name_3`, ... when `taken` (lower-case) has it.
fn unique_name(name: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(&name.to_lowercase()) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|candidate| !taken.contains(&candidate.to_lowercase()))
        .unwrap_or_else(|| name.to_owned())
}

// ---------------------------------------------------------------------------
// Reading a JSON or YAML document

/// How the document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Json,
    Yaml,
}

/// A parsed document: JSON and YAML both become a [`serde_json::Value`].
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) value: Value,
    pub(crate) syntax: Syntax,
}

const BOM: &str = "\u{feff}";

/// JSON when the text starts with `{` or `[` (after whitespace), else YAML.
pub(crate) fn syntax_of(text: &str) -> Syntax {
    let body = text.strip_prefix(BOM).unwrap_or(text).trim_start();
    if body.starts_with('{') || body.starts_with('[') {
        Syntax::Json
    } else {
        Syntax::Yaml
    }
}

/// Parses `file` as JSON or YAML; the top level must be an object.
pub(crate) fn read_document(file: &SourceFile) -> Result<Document, Diagnostics> {
    let text = file.text.as_str();
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[start..];
    let syntax = syntax_of(text);
    let fail = |offset: usize, message: String| {
        file.diagnostics(vec![file.problem(point(text, offset), message)])
    };
    let value = match syntax {
        Syntax::Json => {
            serde_json::from_str::<Value>(body).map_err(|error| match error.classify() {
                serde_json::error::Category::Eof => fail(
                    text.len(),
                    "unexpected end of file: the JSON document is incomplete (truncated?)"
                        .to_owned(),
                ),
                _ => fail(
                    start + byte_offset(body, error.line(), error.column()),
                    format!("invalid JSON: {}", strip_location(&error.to_string())),
                ),
            })?
        }
        Syntax::Yaml => {
            let parsed = yaml_serde::from_str::<LenientYaml>(body).and_then(|value| {
                let mut value = value.0;
                value.apply_merge()?;
                Ok(value)
            });
            match parsed {
                Ok(value) => yaml_to_json(value),
                Err(error) => {
                    let offset = error
                        .location()
                        .map(|location| {
                            start + char_offset(body, location.line(), location.column())
                        })
                        .unwrap_or(start);
                    return Err(fail(
                        offset,
                        format!("invalid YAML: {}", strip_location(&error.to_string())),
                    ));
                }
            }
        }
    };
    match value {
        Value::Object(_) => Ok(Document { value, syntax }),
        Value::Null => Err(fail(start, "the document is empty".to_owned())),
        _ => Err(fail(
            start + (body.len() - body.trim_start().len()),
            "expected an object at the top of the document".to_owned(),
        )),
    }
}

/// Deserializes the whole of `file` (already known to be well-formed) into
/// a typed model; a structural error becomes a problem at the parser's
/// position, its message prefixed with `what` (`not a valid OpenAPI 3.0
/// document`).
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
    syntax: Syntax,
    what: &str,
) -> Result<T, Diagnostics> {
    let text = file.text.as_str();
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[start..];
    let (offset, message) = match syntax {
        Syntax::Json => match serde_json::from_str::<T>(body) {
            Ok(value) => return Ok(value),
            Err(error) => (
                start + byte_offset(body, error.line(), error.column()),
                strip_location(&error.to_string()),
            ),
        },
        Syntax::Yaml => match yaml_serde::from_str::<T>(body) {
            Ok(value) => return Ok(value),
            Err(error) => (
                error.location().map_or(start, |location| {
                    start + char_offset(body, location.line(), location.column())
                }),
                strip_location(&error.to_string()),
            ),
        },
    };
    Err(file.diagnostics(vec![
        file.problem(point(text, offset), format!("{what}: {message}")),
    ]))
}

/// A YAML value read like [`yaml_serde::Value`], except that an integer
/// outside the 64-bit range (`maximum: 99999999999999999999`) is taken as
/// the nearest float, as a JSON parser takes it, instead of failing the
/// whole document: a bound or an example that large says nothing a
/// manifest keeps, and a schema file should not be refused for it.
struct LenientYaml(yaml_serde::Value);

impl<'de> serde::Deserialize<'de> for LenientYaml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(LenientYamlVisitor)
            .map(LenientYaml)
    }
}

struct LenientYamlVisitor;

impl<'de> serde::de::Visitor<'de> for LenientYamlVisitor {
    type Value = yaml_serde::Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number(i.into()))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number(u.into()))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i128<E>(self, i: i128) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number((i as f64).into()))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u128<E>(self, u: u128) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number((u as f64).into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number(f.into()))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut data: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(LenientYaml(item)) = data.next_element()? {
            items.push(item);
        }
        Ok(yaml_serde::Value::Sequence(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut data: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error as _;
        let mut mapping = yaml_serde::Mapping::new();
        while let Some((LenientYaml(key), LenientYaml(value))) = data.next_entry()? {
            if mapping.contains_key(&key) {
                let shown = yaml_serde::to_string(&key).unwrap_or_default();
                return Err(A::Error::custom(format!(
                    "duplicate entry with key {}",
                    shown.trim()
                )));
            }
            mapping.insert(key, value);
        }
        Ok(yaml_serde::Value::Mapping(mapping))
    }

    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        use serde::de::VariantAccess as _;
        let (tag, contents) = data.variant::<String>()?;
        let LenientYaml(value) = contents.newtype_variant()?;
        let tag = tag.trim_start_matches('!');
        if tag.is_empty() {
            return Ok(value);
        }
        Ok(yaml_serde::Value::Tagged(Box::new(
            yaml_serde::value::TaggedValue {
                tag: yaml_serde::value::Tag::new(tag),
                value,
            },
        )))
    }
}

/// `msg at line 3 column 7` → `msg` (the span says where).
fn strip_location(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    match trimmed.find(": line ") {
        Some(at) if trimmed[at..].contains("column") => trimmed[..at].to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// YAML values as JSON values: keys become strings, tags are dropped,
/// numbers JSON cannot hold (`.nan`, `.inf`) become strings.
fn yaml_to_json(value: yaml_serde::Value) -> Value {
    match value {
        yaml_serde::Value::Null => Value::Null,
        yaml_serde::Value::Bool(b) => Value::Bool(b),
        yaml_serde::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        yaml_serde::Value::String(s) => Value::String(s),
        yaml_serde::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(yaml_to_json).collect())
        }
        yaml_serde::Value::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                map.insert(mapping_key(&key), yaml_to_json(value));
            }
            Value::Object(map)
        }
        yaml_serde::Value::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

fn mapping_key(key: &yaml_serde::Value) -> String {
    match key {
        yaml_serde::Value::String(s) => s.clone(),
        yaml_serde::Value::Bool(b) => b.to_string(),
        yaml_serde::Value::Number(n) => n.to_string(),
        yaml_serde::Value::Null => "null".to_owned(),
        yaml_serde::Value::Tagged(tagged) => mapping_key(&tagged.value),
        other => yaml_serde::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// The span of the character at `offset` (empty at the end of the text).
pub(crate) fn point(text: &str, offset: usize) -> Range<usize> {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let width = text[offset..].chars().next().map_or(0, char::len_utf8);
    offset..offset + width
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Byte offset of 1-based `line` and 1-based byte `column` (serde_json).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let start = line_start(text, line);
    floor_char_boundary(text, (start + column.saturating_sub(1)).min(text.len()))
}

/// Byte offset of 1-based `line` and 1-based character `column` (YAML).
fn char_offset(text: &str, line: usize, column: usize) -> usize {
    let start = line_start(text, line);
    let rest = &text[start..];
    let within = rest
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(column.saturating_sub(1))
        .map_or_else(|| rest.find('\n').unwrap_or(rest.len()), |(index, _)| index);
    start + within
}

fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(index, _)| index + 1)
}

// ---------------------------------------------------------------------------
// Locating a JSON pointer in the text

/// A JSON pointer as its unescaped segments.
pub(crate) type Pointer = Vec<String>;

/// `pointer` + `segment`.
pub(crate) fn child(pointer: &[String], segment: &str) -> Pointer {
    let mut out = pointer.to_vec();
    out.push(segment.to_owned());
    out
}

/// `["a", "b/c"]` → `/a/b~1c`.
pub(crate) fn pointer_text(pointer: &[String]) -> String {
    let mut text = String::with_capacity(pointer.iter().map(|s| s.len() + 1).sum());
    for segment in pointer {
        text.push('/');
        for c in segment.chars() {
            match c {
                '~' => text.push_str("~0"),
                '/' => text.push_str("~1"),
                c => text.push(c),
            }
        }
    }
    text
}

/// The span of the value at `pointer` in the document's text: exact for
/// JSON, a best-effort search for YAML. Falls back to the deepest part of the
/// pointer that could be found, and at worst to the start of the document.
pub(crate) fn locate(text: &str, syntax: Syntax, pointer: &[String]) -> Range<usize> {
    match syntax {
        Syntax::Json => locate_json(text, pointer),
        Syntax::Yaml => locate_yaml(text, pointer),
    }
}

fn locate_json(text: &str, pointer: &[String]) -> Range<usize> {
    let bytes = text.as_bytes();
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    // Where the value of the deepest segment found starts, and its key.
    let mut position = skip_whitespace(bytes, start);
    let mut key: Option<Range<usize>> = None;
    let mut found_all = true;
    'segments: for segment in pointer {
        found_all = false;
        match bytes.get(position) {
            Some(b'{') => {
                let mut at = position + 1;
                loop {
                    at = skip_whitespace(bytes, at);
                    if bytes.get(at) != Some(&b'"') {
                        break 'segments;
                    }
                    let Some(key_end) = skip_string(bytes, at) else {
                        break 'segments;
                    };
                    let name = serde_json::from_str::<String>(&text[at..key_end]).ok();
                    let key_span = at..key_end;
                    at = skip_whitespace(bytes, key_end);
                    if bytes.get(at) != Some(&b':') {
                        break 'segments;
                    }
                    at = skip_whitespace(bytes, at + 1);
                    if name.as_deref() == Some(segment.as_str()) {
                        key = Some(key_span);
                        position = at;
                        break;
                    }
                    let Some(end) = skip_value(bytes, at) else {
                        break 'segments;
                    };
                    at = skip_whitespace(bytes, end);
                    if bytes.get(at) != Some(&b',') {
                        break 'segments;
                    }
                    at += 1;
                }
            }
            Some(b'[') => {
                let Ok(index) = segment.parse::<usize>() else {
                    break;
                };
                let mut at = skip_whitespace(bytes, position + 1);
                for _ in 0..index {
                    let Some(end) = skip_value(bytes, at) else {
                        break 'segments;
                    };
                    at = skip_whitespace(bytes, end);
                    if bytes.get(at) != Some(&b',') {
                        break 'segments;
                    }
                    at = skip_whitespace(bytes, at + 1);
                }
                if matches!(bytes.get(at), None | Some(b']')) {
                    break;
                }
                key = None;
                position = at;
            }
            _ => break,
        }
        found_all = true;
    }
    if !found_all && let Some(key) = key {
        return key;
    }
    match bytes.get(position) {
        Some(b'{' | b'[') | None => point(text, position),
        Some(_) => match skip_value(bytes, position) {
            Some(end) if end > position => position..end,
            _ => point(text, position),
        },
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end (exclusive) of the string starting at `at` (its opening quote).
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The end (exclusive) of the JSON value starting at `at`.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while let Some(&byte) = bytes.get(i) {
                match byte {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = at;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    }
}

/// A line-based search: each segment is looked for as a `key:` line indented
/// deeper than the previous one (or as the n-th `- ` item of a sequence).
fn locate_yaml(text: &str, pointer: &[String]) -> Range<usize> {
    let mut position = 0usize;
    let mut parent_indent: Option<usize> = None;
    let mut best: Range<usize> = point(text, 0);
    for segment in pointer {
        let found = match segment.parse::<usize>() {
            Ok(index) => yaml_sequence_item(text, position, parent_indent, index),
            Err(_) => None,
        }
        .or_else(|| find_yaml_key(text, position, parent_indent, segment));
        match found {
            Some((key, value_start, indent)) => {
                best = key;
                position = value_start;
                parent_indent = Some(indent);
            }
            None => break,
        }
    }
    // Point at the value when it is on the key's line, else at the key.
    let line_end = text[position.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| position + i);
    let value = text.get(position..line_end).unwrap_or_default();
    let value = value.split(" #").next().unwrap_or_default().trim_end();
    if !pointer.is_empty() && !value.trim().is_empty() && position > best.start {
        let lead = value.len() - value.trim_start().len();
        return position + lead..position + value.len();
    }
    best
}

/// Lines from `from` on, with their start offsets.
fn lines_from(text: &str, from: usize) -> impl Iterator<Item = (usize, &str)> {
    let from = floor_char_boundary(text, from.min(text.len()));
    let line_start = text[..from].rfind('\n').map_or(0, |i| i + 1);
    let mut offset = line_start;
    text[line_start..].split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// Finds `key:` after `from`, deeper than `parent`; returns the key's span,
/// where its value starts and the key's indentation.
fn find_yaml_key(
    text: &str,
    from: usize,
    parent: Option<usize>,
    key: &str,
) -> Option<(Range<usize>, usize, usize)> {
    let candidates = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    let mut first = true;
    for (start, line) in lines_from(text, from) {
        // The rest of the line the search starts on (after `key:` of the parent).
        let (base, content) = if first {
            first = false;
            let skip = from.saturating_sub(start).min(line.len());
            (start + skip, &line[skip..])
        } else {
            (start, line)
        };
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut indent = content.len() - trimmed.len() + (base - start);
        let mut rest = trimmed;
        while let Some(after) = rest.strip_prefix("- ") {
            indent += rest.len() - after.len();
            let after_trimmed = after.trim_start();
            indent += after.len() - after_trimmed.len();
            rest = after_trimmed;
        }
        if let Some(parent) = parent
            && indent <= parent
            && base == start
        {
            // Left the parent's block.
            return None;
        }
        for candidate in &candidates {
            if let Some(after) = rest.strip_prefix(candidate.as_str())
                && (after.is_empty() || after.starts_with([' ', '\t']))
            {
                let key_start = start + indent;
                let value_start = key_start + candidate.len();
                let value_start = value_start + (after.len() - after.trim_start().len());
                return Some((
                    key_start..key_start + candidate.len() - 1,
                    value_start,
                    indent,
                ));
            }
        }
    }
    None
}

/// The `index`-th `- ` item of the sequence starting after `from`.
fn yaml_sequence_item(
    text: &str,
    from: usize,
    parent: Option<usize>,
    index: usize,
) -> Option<(Range<usize>, usize, usize)> {
    let mut item_indent: Option<usize> = None;
    let mut seen = 0usize;
    for (start, line) in lines_from(text, from).skip(1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if parent.is_some_and(|p| indent < p) {
            return None;
        }
        if !(trimmed.starts_with("- ") || trimmed == "-") {
            if item_indent.is_some_and(|i| indent <= i) {
                return None;
            }
            continue;
        }
        match item_indent {
            None => item_indent = Some(indent),
            Some(i) if indent < i => return None,
            Some(i) if indent > i => continue,
            Some(_) => {}
        }
        if seen == index {
            let value_start =
                start + indent + 1 + (trimmed.len() - 1 - trimmed[1..].trim_start().len());
            return Some((start + indent..start + indent + 1, value_start, indent + 1));
        }
        seen += 1;
    }
    None
}

// ---------------------------------------------------------------------------
// The schema walker

/// When a schema's `id` property is its primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRule {
    /// JSON Schema: `id` is listed in `required`.
    RequiredId,
    /// OpenAPI: any scalar `id` property. API documents describe
    /// responses, where a resource's `id` is often neither `readOnly` nor
    /// `required` (Harbor's), yet it is evidently the resource's key.
    ScalarId,
}

/// What a named schema (a definition, a component) turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Classified {
    Entity,
    Enum,
    Skipped,
}

/// A schema with `$ref` and `allOf` merged in: its own keywords win over
/// those it inherits; properties keep their first position.
#[derive(Debug, Default)]
pub(crate) struct Flat<'a> {
    pub(crate) keywords: Keywords<'a>,
    pub(crate) properties: IndexMap<String, (&'a Value, Pointer)>,
    pub(crate) required: BTreeSet<String>,
}

impl Flat<'_> {
    /// Where keyword `key` is in the document.
    fn pointer_of(&self, key: &str, fallback: &[String]) -> Pointer {
        let source = self
            .keywords
            .map
            .get(key)
            .map_or(fallback, |&(_, index)| &self.keywords.sources[index]);
        child(source, key)
    }
}

/// The keywords of a flattened schema, borrowed from the document (a
/// schema is merged into every schema that uses it: a copy of its values,
/// `items` and `anyOf` subtrees included, would cost as much again at every
/// level of nesting).
#[derive(Debug, Default)]
pub(crate) struct Keywords<'a> {
    /// Keyword → its value and the index in `sources` of its schema.
    map: BTreeMap<&'a str, (&'a Value, usize)>,
    /// The pointers of the schemas the keywords were taken from.
    sources: Vec<Pointer>,
    /// `anyOf` / `oneOf` whose alternatives' properties were merged into
    /// the schema's (see [`SchemaWalker::flatten`]).
    merged: BTreeSet<&'static str>,
}

impl<'a> Keywords<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).map(|&(value, _)| value)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }
}

/// The keywords of one schema object as written, or of a flattened one.
pub(crate) trait Keyworded {
    fn keyword(&self, key: &str) -> Option<&Value>;

    /// Whether the properties of the alternatives of `anyOf` / `oneOf`
    /// `key` were merged into the schema's.
    fn merged(&self, _key: &str) -> bool {
        false
    }
}

impl Keyworded for Map<String, Value> {
    fn keyword(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}

impl Keyworded for Keywords<'_> {
    fn keyword(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }

    fn merged(&self, key: &str) -> bool {
        self.merged.contains(key)
    }
}

/// What a property turned into.
#[derive(Debug, Clone)]
enum Prop {
    Field(Field),
    /// A reference to an entity that has a key (OpenAPI relations): a
    /// field `<property>_id` holding the key, or, when `named`, the
    /// property itself (it holds the key already).
    Reference {
        entity: String,
        field: Field,
        named: bool,
    },
}

/// Where in the model a schema is being read: for ledger objects
/// (`entity.a.b`) and generated enum names (`entity_a_b`).
#[derive(Debug, Clone)]
struct Scope {
    entity: String,
    path: Vec<String>,
}

impl Scope {
    fn entity(name: &str) -> Self {
        Self {
            entity: name.to_owned(),
            path: Vec::new(),
        }
    }

    fn child(&self, name: &str) -> Self {
        let mut path = self.path.clone();
        path.push(name.to_owned());
        Self {
            entity: self.entity.clone(),
            path,
        }
    }

    fn object(&self) -> String {
        let mut out = self.entity.clone();
        for part in &self.path {
            out.push('.');
            out.push_str(part);
        }
        out
    }

    fn enum_name(&self) -> String {
        let mut out = self.entity.clone();
        for part in &self.path {
            out.push('_');
            out.push_str(part);
        }
        out
    }

    fn field_path(&self) -> String {
        if self.path.is_empty() {
            "(the entity)".to_owned()
        } else {
            self.path.join(".")
        }
    }
}

/// An entity read from a schema, before relations are added.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) fields: IndexMap<String, Field>,
    pub(crate) primary_key: Vec<String>,
    pub(crate) comment: Option<String>,
    /// Foreign-key field → referenced entity (OpenAPI).
    pub(crate) references: Vec<(String, String)>,
    /// How many field nodes `fields` holds, nested ones included.
    size: usize,
}

/// A key field an entity may be referenced by (OpenAPI relations).
#[derive(Debug, Clone)]
struct Target {
    key: String,
    field: Field,
}

/// Walks the schemas of one document into fields, enums and a ledger.
pub(crate) struct Walker<'a> {
    file: &'a SourceFile,
    syntax: Syntax,
    root: &'a Value,
    key_rule: KeyRule,
    /// Schemas (by pointer text) that are entities, with their names.
    entities: BTreeMap<String, String>,
    /// Schemas (by pointer text) that are named enums: enum name and nullability.
    named_enums: BTreeMap<String, (String, bool)>,
    /// Entities that a property may reference by key instead of embedding.
    targets: BTreeMap<String, Target>,
    enums: BTreeMap<String, Enum>,
    /// The enum made from the `enum` at a pointer, so that a schema reached
    /// again (inherited through `allOf`) keeps its enum's first name.
    enum_at: BTreeMap<String, String>,
    ledger: Ledger,
    recorded: BTreeSet<(String, String, String)>,
    problems: Vec<Problem>,
    problem_keys: BTreeSet<(usize, String)>,
    /// The shapes built, by pointer text: shared, not copied, by every
    /// reference that reads one.
    shapes: BTreeMap<String, Option<Rc<Shape>>>,
    /// How deep the walk is (properties, items, `allOf`, `$ref`), so a
    /// long chain of references cannot exhaust the stack.
    depth: usize,
    /// Whether the depth limit cut something since this was last cleared:
    /// a shape built under the cut is not cached.
    truncated: bool,
    /// Pointers being expanded, to stop recursive references.
    active: Vec<String>,
    /// entity → keyword → field paths, for one `constraint` entry per entity.
    constraints: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    /// Entity (by pointer text) → its strongly connected component in the
    /// graph of references between entities ([`Walker::prepare`]).
    component_of: BTreeMap<String, usize>,
    /// The components whose entities refer to each other (or to themselves).
    cyclic: BTreeSet<usize>,
    /// The entities whose shapes are being built, innermost last, with the
    /// number of field nodes copied into each so far.
    shaping: Vec<(String, usize)>,
    /// How many `$ref`s name each schema (by pointer text).
    uses: BTreeMap<String, usize>,
    /// Field nodes copied so far in the whole document.
    copied: usize,
}

/// An entity referenced from another is copied into it (a nested `object`)
/// when its shape has at most this many field nodes, or at most
/// [`EMBED_LIMIT`] when it is referenced from one place only (a copy that
/// is made once); otherwise it is referenced as `json` (it is an entity of
/// its own, and the ledger says so).
const SHARED_EMBED_LIMIT: usize = 64;

/// The largest shape copied at all (see [`SHARED_EMBED_LIMIT`]).
const EMBED_LIMIT: usize = 512;

/// At most this many field nodes are copied into one entity from the
/// entities it references; past it, references are `json`. With
/// [`EMBED_LIMIT`] this bounds the manifest to a size in proportion to
/// the document, however the definitions refer to each other.
const ENTITY_BUDGET: usize = 2048;

/// At most this many field nodes are copied in the whole document: past
/// it, every further reference to an entity is `json`. Copies make the
/// manifest easier to use, not more faithful (the entity is there too), so
/// a document of thousands of definitions stops copying before its
/// manifest outgrows the memory of a laptop.
const DOCUMENT_BUDGET: usize = 200_000;

/// How deep schemas may nest (through properties, items, `allOf` and
/// `$ref`) before the rest is recorded as `json`.
const MAX_DEPTH: usize = 96;

/// How deeply a field's inline tables may nest in `baas.toml` (an object
/// adds two levels, an array one). TOML readers stop at some depth (the
/// manifest loader's at 128), so deeper values are recorded as `json`.
const MAX_NESTING: usize = 48;

/// A `readOnly` integer key is made by the API, as an identity column is.
fn generated_key(schema: &Value, field: &Field) -> Option<crate::manifest::Generated> {
    let read_only = schema.get("readOnly").and_then(Value::as_bool) == Some(true);
    let integer = matches!(
        field.ty,
        FieldType::Int16 | FieldType::Int32 | FieldType::Int64
    );
    (read_only && integer).then_some(crate::manifest::Generated::Kind(
        crate::manifest::GeneratedKind::Identity,
    ))
}

/// Keywords that constrain values in ways the manifest cannot say.
const CONSTRAINTS: &[&str] = &[
    "pattern",
    "minLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "const",
    "contains",
    "minContains",
    "maxContains",
    "contentMediaType",
    "contentSchema",
    "readOnly",
    "writeOnly",
];

/// Keywords the manifest cannot represent at all, with their ledger kind.
const UNREPRESENTED: &[(&str, &str)] = &[
    ("oneOf", "one_of"),
    ("anyOf", "any_of"),
    ("not", "not"),
    ("if", "if_then_else"),
    ("patternProperties", "pattern_properties"),
    ("dependencies", "dependencies"),
    ("dependentSchemas", "dependencies"),
    ("dependentRequired", "dependencies"),
    ("propertyNames", "property_names"),
    ("unevaluatedProperties", "unevaluated_properties"),
    ("unevaluatedItems", "unevaluated_items"),
    ("prefixItems", "tuple_items"),
    ("$dynamicRef", "dynamic_ref"),
    ("$recursiveRef", "dynamic_ref"),
];

/// The type names a schema may use (`file` is Swagger 2.0's upload type).
const TYPE_NAMES: &[&str] = &[
    "string", "integer", "number", "boolean", "object", "array", "null", "file",
];

impl<'a> Walker<'a> {
    pub(crate) fn new(
        file: &'a SourceFile,
        syntax: Syntax,
        root: &'a Value,
        key_rule: KeyRule,
    ) -> Self {
        Self {
            file,
            syntax,
            root,
            key_rule,
            entities: BTreeMap::new(),
            named_enums: BTreeMap::new(),
            targets: BTreeMap::new(),
            enums: BTreeMap::new(),
            enum_at: BTreeMap::new(),
            ledger: Ledger::new(),
            recorded: BTreeSet::new(),
            problems: Vec::new(),
            problem_keys: BTreeSet::new(),
            shapes: BTreeMap::new(),
            depth: 0,
            truncated: false,
            active: Vec::new(),
            constraints: BTreeMap::new(),
            component_of: BTreeMap::new(),
            cyclic: BTreeSet::new(),
            shaping: Vec::new(),
            uses: BTreeMap::new(),
            copied: 0,
        }
    }

    /// Prepares the entities (declared, named `(name, pointer)`) for
    /// building, so that the work and the manifest stay in proportion to the
    /// document however its definitions refer to each other:
    ///
    /// - references between entities form a graph; entities in one cycle of
    ///   it (a strongly connected component) never copy each other: such a
    ///   reference is cut (`json`, ledger entry), wherever the walk starts;
    /// - every other reference goes down that graph, so the shapes are built
    ///   here from the bottom up, each once, and copied from the cache.
    pub(crate) fn prepare(&mut self, entities: &[(String, Pointer)]) {
        let keys: Vec<String> = entities.iter().map(|(_, p)| pointer_text(p)).collect();
        let index: BTreeMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| (key.as_str(), i))
            .collect();
        let edges: Vec<Vec<usize>> = entities
            .iter()
            .map(|(_, pointer)| {
                self.entity_references(pointer)
                    .iter()
                    .filter_map(|key| index.get(key.as_str()).copied())
                    .collect()
            })
            .collect();
        self.uses = count_references(self.root);
        let components = strongly_connected(&edges);
        for (number, component) in components.iter().enumerate() {
            let looped = component.len() > 1
                || component
                    .first()
                    .is_some_and(|&node| edges[node].contains(&node));
            if looped {
                self.cyclic.insert(number);
            }
            for &node in component {
                self.component_of.insert(keys[node].clone(), number);
            }
        }
        // Components come out referenced-first: build in that order.
        for component in &components {
            for &node in component {
                let (name, pointer) = &entities[node];
                self.shape(pointer, name);
            }
        }
    }

    /// The entities (pointer texts) the schema at `pointer` would copy: those
    /// it refers to through its own subschemas and the non-entity schemas it
    /// references, except the references its own properties make to entities
    /// with a key (those become relations, not copies).
    fn entity_references(&self, pointer: &[String]) -> BTreeSet<String> {
        /// What a value is to the entity being scanned.
        #[derive(Clone, Copy, PartialEq)]
        enum Role {
            /// The entity's schema, or one merged into it.
            Entity,
            /// One of its properties, or a one-schema wrapper of it.
            Property,
            Other,
        }
        let mut found = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let Some(start) = self.at(pointer) else {
            return found;
        };
        let mut stack = vec![(start, Role::Entity)];
        while let Some((value, role)) = stack.pop() {
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        match key.as_str() {
                            "$ref" => {
                                let Some(target) = child.as_str().and_then(internal_pointer) else {
                                    continue;
                                };
                                let target_key = pointer_text(&target);
                                if let Some(entity) = self.entities.get(&target_key) {
                                    let relation =
                                        role == Role::Property && self.targets.contains_key(entity);
                                    if !relation {
                                        found.insert(target_key);
                                    }
                                } else if seen.insert(target_key)
                                    && let Some(schema) = self.at(&target)
                                {
                                    stack.push((schema, role));
                                }
                            }
                            "definitions" | "$defs" | "enum" | "const" | "default" | "example"
                            | "examples" => {}
                            "properties" if role == Role::Entity => {
                                if let Value::Object(properties) = child {
                                    stack.extend(properties.values().map(|p| (p, Role::Property)));
                                }
                            }
                            "allOf" | "oneOf" | "anyOf" if role != Role::Other => {
                                if let Value::Array(items) = child {
                                    let inner = if key == "allOf" { role } else { Role::Property };
                                    let inner = if role == Role::Entity && key != "allOf" {
                                        Role::Other
                                    } else {
                                        inner
                                    };
                                    stack.extend(items.iter().map(|item| (item, inner)));
                                }
                            }
                            _ => stack.push((child, Role::Other)),
                        }
                    }
                }
                Value::Array(items) => stack.extend(items.iter().map(|item| (item, Role::Other))),
                _ => {}
            }
        }
        found
    }

    /// Whether a reference to entity `key` from the entity being built closes
    /// a cycle of references (both are in one cyclic component).
    fn closes_cycle(&self, key: &str) -> bool {
        let Some((current, _)) = self.shaping.last() else {
            return false;
        };
        match (self.component_of.get(key), self.component_of.get(current)) {
            (Some(target), Some(here)) => target == here && self.cyclic.contains(target),
            _ => false,
        }
    }

    /// The enums and ledger, or every problem found.
    pub(crate) fn finish(mut self) -> Result<(BTreeMap<String, Enum>, Ledger), Diagnostics> {
        if !self.problems.is_empty() {
            let mut problems = std::mem::take(&mut self.problems);
            problems.sort_by_key(|p| p.span.as_ref().map_or(0, |s| s.start));
            return Err(self.file.diagnostics(problems));
        }
        for (entity, keywords) in std::mem::take(&mut self.constraints) {
            let parts: Vec<String> = keywords
                .iter()
                .map(|(keyword, fields)| {
                    let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
                    format!("`{keyword}` on {}", fields.join(", "))
                })
                .collect();
            self.ledger.record(
                entity,
                "constraint",
                format!(
                    "validation keywords the manifest cannot express were dropped: {}",
                    parts.join("; ")
                ),
            );
        }
        Ok((self.enums, self.ledger))
    }

    /// Records a problem at the value `pointer` names.
    pub(crate) fn problem(&mut self, pointer: &[String], message: String, help: Option<String>) {
        let span = locate(&self.file.text, self.syntax, pointer);
        if !self.problem_keys.insert((span.start, message.clone())) {
            return;
        }
        let mut problem = self.file.problem(span, message);
        problem.path = pointer_text(pointer);
        if let Some(help) = help {
            problem = problem.with_help(help);
        }
        self.problems.push(problem);
    }

    /// Records a ledger entry once.
    pub(crate) fn note(&mut self, object: &str, kind: &str, message: String) {
        if self
            .recorded
            .insert((object.to_owned(), kind.to_owned(), message.clone()))
        {
            self.ledger.record(object, kind, message);
        }
    }

    /// The value at `pointer` in the document.
    pub(crate) fn at(&self, pointer: &[String]) -> Option<&'a Value> {
        let mut value = self.root;
        for segment in pointer {
            value = match value {
                Value::Object(map) => map.get(segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// Marks the schema at `pointer` as entity `name`.
    pub(crate) fn declare_entity(&mut self, pointer: &[String], name: &str) {
        self.entities.insert(pointer_text(pointer), name.to_owned());
    }

    /// Makes entity `name` (and the names that point at it) no entity
    /// again: a `$ref` to it is inlined where used.
    pub(crate) fn undeclare_entity(&mut self, name: &str) {
        self.entities.retain(|_, entity| entity != name);
    }

    /// The entity the `$ref` string `reference` names, if any.
    pub(crate) fn entity_of_reference(&self, reference: &str) -> Option<&str> {
        let pointer = internal_pointer(reference)?;
        self.entities
            .get(&pointer_text(&pointer))
            .map(String::as_str)
    }

    /// Decides what the named schema at `pointer` is: an object with
    /// properties (of no other type) becomes an entity (declared here), a string enum becomes
    /// `[enums.<name>]`, anything else is left to be inlined where used
    /// (ledger entry).
    pub(crate) fn classify(&mut self, pointer: &[String], name: &str) -> Classified {
        let Some(schema) = self.at(pointer) else {
            return Classified::Skipped;
        };
        let flat = self.flatten(schema, pointer);
        let (types, null_type) = self.types(&flat, pointer);
        // An object that may be a value of another type too (`person:
        // {type: [object, string]}`, "Name <email>" or its parts) is no
        // entity: an object column would refuse the other values.
        let only_object = types.iter().all(|t| t == "object");
        if !flat.properties.is_empty() && only_object {
            self.declare_entity(pointer, name);
            // A named schema that only points elsewhere (`Pet: {$ref:
            // pet.yaml}`, an OpenAPI file split in several): a `$ref` to
            // where it points names this entity too.
            let mut alias = schema;
            for _ in 0..MAX_ALIASES {
                let Some(target) = alias
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(internal_pointer)
                else {
                    break;
                };
                self.entities
                    .entry(pointer_text(&target))
                    .or_insert_with(|| name.to_owned());
                match self.at(&target) {
                    Some(next) => alias = next,
                    None => break,
                }
            }
            return Classified::Entity;
        }
        let is_string = types.is_empty() || types == ["string"];
        if let Some(Value::Array(values)) = flat.keywords.get("enum")
            && is_string
            && values.iter().any(Value::is_string)
            && values.iter().all(|v| v.is_string() || v.is_null())
        {
            let nullable =
                null_type || nullable_flag(&flat.keywords) || values.contains(&Value::Null);
            let values: Vec<String> = values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let comment = description(&flat.keywords);
            let enum_name = self.add_enum(name, values, comment);
            self.named_enums
                .insert(pointer_text(pointer), (enum_name, nullable));
            return Classified::Enum;
        }
        let what = if flat.keywords.contains_key("oneOf") || flat.keywords.contains_key("anyOf") {
            "a union (`oneOf`/`anyOf`)".to_owned()
        } else if types.len() == 1 {
            format!("of type `{}`", types[0])
        } else if types.len() > 1 {
            "a union of types".to_owned()
        } else if flat.keywords.contains_key("additionalProperties") {
            "a map (`additionalProperties`)".to_owned()
        } else {
            "not an object with properties".to_owned()
        };
        self.note(
            name,
            "not_an_entity",
            format!(
                "schema `{name}` is {what}, not an entity; it is inlined wherever it is referenced"
            ),
        );
        Classified::Skipped
    }

    /// Lets properties reference entity `name` by its key instead of
    /// embedding it: they become a foreign-key field and a relation.
    /// Returns whether the entity has a key to reference.
    pub(crate) fn allow_references_to(&mut self, pointer: &[String], name: &str) -> bool {
        let Some(schema) = self.at(pointer) else {
            return false;
        };
        // A dry run: what it records now is recorded again when the entity is built.
        let saved = (
            std::mem::take(&mut self.ledger),
            std::mem::take(&mut self.recorded),
            std::mem::take(&mut self.problems),
            std::mem::take(&mut self.problem_keys),
            self.enums.clone(),
            std::mem::take(&mut self.constraints),
            self.shapes.clone(),
            self.enum_at.clone(),
        );
        self.active.push(pointer_text(pointer));
        let flat = self.flatten(schema, pointer);
        let key = self.key_field(&flat, &Scope::entity(name));
        self.active.pop();
        (
            self.ledger,
            self.recorded,
            self.problems,
            self.problem_keys,
            self.enums,
            self.constraints,
            self.shapes,
            self.enum_at,
        ) = saved;
        match key {
            Some((key, field)) => {
                self.targets.insert(name.to_owned(), Target { key, field });
                true
            }
            None => false,
        }
    }

    /// The key field of a flattened object, when the key rule finds one.
    fn key_field(&mut self, flat: &Flat<'a>, scope: &Scope) -> Option<(String, Field)> {
        let (schema, pointer) = flat.properties.get("id")?.clone();
        let required = flat.required.contains("id");
        let is_key = match self.key_rule {
            KeyRule::RequiredId => required,
            KeyRule::ScalarId => true,
        };
        if !is_key {
            return None;
        }
        let Prop::Field(mut field) = self.property(schema, &pointer, &scope.child("id"), false)
        else {
            return None;
        };
        if matches!(
            field.ty,
            FieldType::Json | FieldType::Object | FieldType::Array | FieldType::Native
        ) {
            return None;
        }
        field.nullable = false;
        field.optional = false;
        Some(("id".to_owned(), field))
    }

    /// The entity `name` whose schema is at `pointer`, or `None` (with a
    /// ledger entry) when it has no fields.
    pub(crate) fn entity(&mut self, pointer: &[String], name: &str) -> Option<Entity> {
        let shape = Rc::unwrap_or_clone(self.shape(pointer, name)?);
        let mut entity = Entity::new(name);
        entity.comment = shape.comment;
        entity.primary_key = shape.primary_key;
        let mut columns = BTreeSet::new();
        for (field_name, mut field) in shape.fields {
            self.cap_nesting(&mut field, 1, &format!("{name}.{field_name}"));
            let mut column = field_name.to_lowercase();
            if columns.contains(&column) {
                let renamed = (2..)
                    .map(|n| format!("{field_name}_{n}"))
                    .find(|c| !columns.contains(&c.to_lowercase()))
                    .unwrap_or_else(|| field_name.clone());
                self.note(
                    &format!("{name}.{field_name}"),
                    "duplicate_column",
                    format!(
                        "`{field_name}` differs from another property only by case; it is \
                         stored in column `{renamed}`"
                    ),
                );
                column = renamed.to_lowercase();
                field.column = Some(renamed);
            }
            columns.insert(column);
            entity.fields.insert(field_name, field);
        }
        for (field, target) in shape.references {
            let Some(key) = self.targets.get(&target).map(|t| t.key.clone()) else {
                continue;
            };
            entity.relations.push(crate::manifest::Relation {
                name: None,
                fields: vec![field],
                references: crate::manifest::RelationTarget {
                    entity: target,
                    fields: vec![key],
                },
                on_delete: crate::manifest::ReferentialAction::NoAction,
                on_update: crate::manifest::ReferentialAction::NoAction,
                deferrable: false,
                deferred: false,
                comment: None,
            });
        }
        Some(entity)
    }

    /// Gives entities whose names differ only by case (`Pet`, `pet`) tables
    /// of their own: the manifest's tables are case-insensitive.
    pub(crate) fn distinct_tables(&mut self, entities: &mut BTreeMap<String, Entity>) {
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for (name, entity) in entities.iter_mut() {
            if taken.insert(entity.table.to_lowercase()) {
                continue;
            }
            let table = unique_name(&entity.table, &taken);
            taken.insert(table.to_lowercase());
            self.note(
                name,
                "duplicate_table",
                format!(
                    "`{name}` differs from another schema's name only by case; it is stored in \
                     table `{table}`"
                ),
            );
            entity.table = table;
        }
    }

    /// Replaces what nests deeper than [`MAX_NESTING`] with `json`.
    fn cap_nesting(&mut self, field: &mut Field, level: usize, object: &str) {
        if level > MAX_NESTING {
            let mut json = Field::new(FieldType::Json);
            json.nullable = field.nullable;
            json.optional = field.optional;
            json.comment = field.comment.take();
            *field = json;
            self.truncated = true;
            self.note(
                object,
                "too_deep",
                format!(
                    "the value nests deeper than the manifest can write ({MAX_NESTING} levels); \
                     recorded as `json`"
                ),
            );
            return;
        }
        if let Some(items) = &mut field.items {
            self.cap_nesting(items, level + 1, object);
        }
        if let Some(fields) = &mut field.fields {
            for (name, child) in fields.iter_mut() {
                self.cap_nesting(child, level + 2, &format!("{object}.{name}"));
            }
        }
    }

    /// The fields of the entity at `pointer`, built once.
    fn shape(&mut self, pointer: &[String], name: &str) -> Option<Rc<Shape>> {
        let key = pointer_text(pointer);
        if let Some(shape) = self.shapes.get(&key) {
            return shape.clone();
        }
        let schema = self.at(pointer)?;
        let outer_truncated = std::mem::replace(&mut self.truncated, false);
        self.active.push(key.clone());
        self.shaping.push((key.clone(), 0));
        let scope = Scope::entity(name);
        let flat = self.flatten(schema, pointer);
        self.record_keywords(&flat.keywords, !flat.properties.is_empty(), &scope, None);
        let primary_key = self.key_field(&flat, &scope).map(|(key, _)| key);
        let mut fields = IndexMap::new();
        let mut references = Vec::new();
        let mut names: BTreeSet<String> = flat.properties.keys().cloned().collect();
        for (property, (schema, property_pointer)) in &flat.properties {
            let child = scope.child(property);
            let prop = self.property(schema, property_pointer, &child, true);
            let optional = !flat.required.contains(property);
            match prop {
                Prop::Field(mut field) => {
                    field.optional = optional;
                    if primary_key.as_deref() == Some(property.as_str()) {
                        field.optional = false;
                        field.nullable = false;
                        field.generated = generated_key(schema, &field);
                    }
                    fields.insert(property.clone(), field);
                }
                Prop::Reference {
                    entity,
                    mut field,
                    named: true,
                } => {
                    field.optional = optional;
                    fields.insert(property.clone(), field);
                    references.push((property.clone(), entity));
                }
                Prop::Reference {
                    entity, mut field, ..
                } => {
                    let foreign_key = format!("{property}_id");
                    if names.contains(&foreign_key) || fields.contains_key(&foreign_key) {
                        // `owner` and `owner_id` both given: the key field is the relation.
                        references.push((foreign_key, entity));
                        continue;
                    }
                    field.optional = optional;
                    names.insert(foreign_key.clone());
                    fields.insert(foreign_key.clone(), field);
                    references.push((foreign_key, entity));
                }
            }
        }
        self.active.pop();
        self.shaping.pop();
        // A key field that a property of its own turned into something else.
        references.retain(|(field, _)| fields.contains_key(field));
        let shape = if fields.is_empty() {
            self.note(
                name,
                "empty_object",
                format!("schema `{name}` has no properties; it is not an entity"),
            );
            None
        } else {
            Some(Rc::new(Shape {
                size: shape_size(&fields),
                fields,
                primary_key: primary_key.into_iter().collect(),
                comment: description(&flat.keywords),
                references,
            }))
        };
        let truncated = self.truncated;
        self.truncated |= outer_truncated;
        if truncated {
            // Built too deep to be whole: built again when needed nearer the top.
            return shape;
        }
        self.shapes.insert(key, shape.clone());
        shape
    }

    /// Merges `$ref` and `allOf` into one schema, and the properties of an
    /// object's `anyOf` / `oneOf` alternatives when each is an object with
    /// properties (tsconfig's `allOf: [..., {anyOf: [files, include, ...]}]`,
    /// a base with variants): each kept, optional, as a document may have
    /// any of them.
    pub(crate) fn flatten(&mut self, schema: &'a Value, pointer: &[String]) -> Flat<'a> {
        let mut flat = Flat::default();
        self.flatten_into(schema, pointer, &mut flat);
        if !flat.properties.is_empty() {
            for keyword in ["anyOf", "oneOf"] {
                self.merge_alternatives(keyword, pointer, &mut flat);
            }
        }
        flat
    }

    /// Merges the properties of the alternatives of `keyword` into `flat`,
    /// if every alternative is an object with properties.
    fn merge_alternatives(
        &mut self,
        keyword: &'static str,
        pointer: &[String],
        flat: &mut Flat<'a>,
    ) {
        let Some(Value::Array(alternatives)) = flat.keywords.get(keyword) else {
            return;
        };
        let at = flat.pointer_of(keyword, pointer);
        // Alternatives that lead back to this `anyOf` merge nothing more.
        let key = pointer_text(&at);
        if self.active.contains(&key) {
            return;
        }
        self.active.push(key);
        let merged = self.alternatives_properties(alternatives, &at);
        self.active.pop();
        let Some(merged) = merged else {
            return;
        };
        for properties in merged {
            for (name, property) in properties {
                flat.properties.entry(name).or_insert(property);
            }
        }
        flat.keywords.merged.insert(keyword);
    }

    /// The properties of each of `alternatives` (at `at`), if each is an
    /// object with properties.
    fn alternatives_properties(
        &mut self,
        alternatives: &'a [Value],
        at: &[String],
    ) -> Option<Vec<IndexMap<String, (&'a Value, Pointer)>>> {
        let mut merged = Vec::new();
        for (i, alternative) in alternatives.iter().enumerate() {
            let alternative = self.flatten(alternative, &child(at, &i.to_string()));
            let object = match alternative.keywords.get("type") {
                None => true,
                Some(Value::String(ty)) => ty == "object",
                Some(Value::Array(types)) => types.iter().all(|t| t == "object"),
                Some(_) => false,
            };
            if alternative.properties.is_empty() || !object {
                return None;
            }
            merged.push(alternative.properties);
        }
        Some(merged)
    }

    fn flatten_into(&mut self, schema: &'a Value, pointer: &[String], flat: &mut Flat<'a>) {
        if self.depth >= MAX_DEPTH {
            // Reported by `property` when a field needs what is left out.
            self.truncated = true;
            return;
        }
        self.depth += 1;
        self.flatten_at_depth(schema, pointer, flat);
        self.depth -= 1;
    }

    fn flatten_at_depth(&mut self, schema: &'a Value, pointer: &[String], flat: &mut Flat<'a>) {
        let Value::Object(map) = schema else {
            if !schema.is_boolean() {
                self.problem(pointer, "expected a schema (an object)".to_owned(), None);
            }
            return;
        };
        // Own keywords first: they win over inherited ones.
        let mut source = None;
        for (key, value) in map {
            if !matches!(
                key.as_str(),
                "properties" | "required" | "allOf" | "$ref" | "definitions" | "$defs"
            ) && !flat.keywords.contains_key(key)
            {
                let sources = &mut flat.keywords.sources;
                let index = *source.get_or_insert_with(|| {
                    sources.push(pointer.to_vec());
                    sources.len() - 1
                });
                flat.keywords.map.insert(key.as_str(), (value, index));
            }
        }
        for (key, value) in map {
            if !matches!(key.as_str(), "properties" | "required" | "allOf" | "$ref") {
                continue;
            }
            let here = child(pointer, key);
            match key.as_str() {
                "properties" => match value {
                    Value::Object(properties) => {
                        for (name, property) in properties {
                            flat.properties
                                .entry(name.clone())
                                .or_insert_with(|| (property, child(&here, name)));
                        }
                    }
                    _ => self.problem(
                        &here,
                        "`properties` must be an object of schemas".to_owned(),
                        None,
                    ),
                },
                "required" => match value {
                    Value::Array(names) => {
                        for (i, name) in names.iter().enumerate() {
                            match name.as_str() {
                                Some(name) => {
                                    flat.required.insert(name.to_owned());
                                }
                                None => self.problem(
                                    &child(&here, &i.to_string()),
                                    "`required` must list property names (strings)".to_owned(),
                                    None,
                                ),
                            }
                        }
                    }
                    // draft-03 and Swagger parameters use a boolean; it says nothing here.
                    Value::Bool(_) => {}
                    _ => self.problem(
                        &here,
                        "`required` must be an array of property names".to_owned(),
                        None,
                    ),
                },
                "allOf" => match value {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            self.flatten_into(item, &child(&here, &i.to_string()), flat);
                        }
                    }
                    _ => self.problem(
                        &here,
                        "`allOf` must be an array of schemas".to_owned(),
                        None,
                    ),
                },
                "$ref" => {
                    if let Some((target, target_pointer)) = self.follow(value, &here) {
                        let key = pointer_text(&target_pointer);
                        if self.active.contains(&key) {
                            continue;
                        }
                        self.active.push(key);
                        self.flatten_into(target, &target_pointer, flat);
                        self.active.pop();
                    }
                }
                _ => {}
            }
        }
    }

    /// Resolves the `$ref` value at `pointer`: problems for malformed or
    /// dangling references, `None` (and a ledger entry by the caller) for
    /// references to other files.
    fn follow(&mut self, reference: &Value, pointer: &[String]) -> Option<(&'a Value, Pointer)> {
        let Some(reference) = reference.as_str() else {
            self.problem(pointer, "`$ref` must be a string".to_owned(), None);
            return None;
        };
        let target_pointer = internal_pointer(reference)?;
        match self.at(&target_pointer) {
            Some(target) => Some((target, target_pointer)),
            None => {
                self.problem(
                    pointer,
                    format!("`$ref` `{reference}` does not point at anything in this document"),
                    Some("check the spelling of the definition it names".to_owned()),
                );
                None
            }
        }
    }

    /// The field a property's schema describes.
    fn property(
        &mut self,
        schema: &'a Value,
        pointer: &[String],
        scope: &Scope,
        top: bool,
    ) -> Prop {
        if self.depth >= MAX_DEPTH {
            self.too_deep(scope);
            return Prop::Field(Field::new(FieldType::Json));
        }
        self.depth += 1;
        let prop = self.property_at_depth(schema, pointer, scope, top);
        self.depth -= 1;
        prop
    }

    fn too_deep(&mut self, scope: &Scope) {
        self.truncated = true;
        self.note(
            &scope.object(),
            "too_deep",
            format!(
                "schemas nest more than {MAX_DEPTH} levels deep here; the rest is recorded as \
                 `json`"
            ),
        );
    }

    fn property_at_depth(
        &mut self,
        schema: &'a Value,
        pointer: &[String],
        scope: &Scope,
        top: bool,
    ) -> Prop {
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(true) => return Prop::Field(Field::new(FieldType::Json)),
            Value::Bool(false) => {
                self.note(
                    &scope.object(),
                    "never_valid",
                    "the schema is `false`, so no value is valid; recorded as `json`".to_owned(),
                );
                return Prop::Field(Field::new(FieldType::Json));
            }
            _ => {
                self.problem(pointer, "expected a schema (an object)".to_owned(), None);
                return Prop::Field(Field::new(FieldType::Json));
            }
        };

        // A `$ref` with only annotations beside it (`description`,
        // `nullable`, ...) is the referenced schema; with `properties` or
        // other shaping keywords beside it (2019-09 and later), the two are
        // merged like `allOf` below.
        if let Some(reference) = map.get("$ref")
            && map.keys().all(|k| k == "$ref" || !is_structural(k))
        {
            let prop = self.reference(reference, &child(pointer, "$ref"), scope, top);
            return self.overlay(prop, map, scope, None);
        }

        // `allOf: [X]` / `oneOf: [X]` with nothing else: X, described here
        // (OpenAPI 3.0 wraps a `$ref` this way to add a description).
        if !map.contains_key("properties") && !map.contains_key("type") {
            for keyword in ["allOf", "oneOf", "anyOf"] {
                if let Some(Value::Array(items)) = map.get(keyword)
                    && items.len() == 1
                    && map.keys().all(|k| k == keyword || !is_structural(k))
                {
                    let inner = child(&child(pointer, keyword), "0");
                    let prop = self.property(&items[0], &inner, scope, top);
                    return self.overlay(prop, map, scope, Some(keyword));
                }
            }
            if top && let Some(prop) = self.expandable(map, scope) {
                return prop;
            }
            // `oneOf: [X, {type: null}]`: a nullable X.
            for keyword in ["oneOf", "anyOf"] {
                if let Some(Value::Array(items)) = map.get(keyword)
                    && items.len() == 2
                    && !map.contains_key("allOf")
                    && let Some(null_at) = items.iter().position(is_null_schema)
                {
                    let other = 1 - null_at;
                    let inner = child(&child(pointer, keyword), &other.to_string());
                    let prop = self.property(&items[other], &inner, scope, top);
                    let mut prop = self.overlay(prop, map, scope, Some(keyword));
                    match &mut prop {
                        Prop::Field(field) | Prop::Reference { field, .. } => {
                            field.nullable = true;
                        }
                    }
                    return prop;
                }
            }
        }

        let flat = self.flatten(schema, pointer);
        Prop::Field(self.build(flat, pointer, scope))
    }

    /// Stripe's expandable property: `anyOf` (or `oneOf`) of a string and
    /// `$ref`s naming one keyed entity (and its `deleted_<entity>` form),
    /// the key of that entity unless a request asks to expand it into the
    /// whole object. It holds the key: a relation under its own name, with a
    /// ledger line for the expanded form.
    fn expandable(&mut self, map: &'a Map<String, Value>, scope: &Scope) -> Option<Prop> {
        let (keyword, items) = ["anyOf", "oneOf"]
            .into_iter()
            .find_map(|keyword| Some((keyword, map.get(keyword)?.as_array()?)))?;
        let plain_string = |item: &Value| {
            item.get("type").and_then(Value::as_str) == Some("string")
                && ["$ref", "enum", "format", "properties", "const"]
                    .iter()
                    .all(|key| item.get(*key).is_none())
        };
        let mut strings = 0;
        let mut named: Vec<String> = Vec::new();
        for item in items {
            if plain_string(item) {
                strings += 1;
                continue;
            }
            let entity = item
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| self.entity_of_reference(reference))?;
            named.push(entity.to_owned());
        }
        let main: Vec<&String> = named
            .iter()
            .filter(|entity| {
                !entity
                    .strip_prefix("deleted_")
                    .is_some_and(|of| named.iter().any(|other| other == of))
            })
            .collect();
        let ([entity], 1) = (main.as_slice(), strings) else {
            return None;
        };
        let entity = (*entity).clone();
        let target = self.targets.get(&entity)?;
        if !matches!(target.field.ty, FieldType::String | FieldType::Text) {
            return None;
        }
        let mut field = target.field.clone();
        field.comment = None;
        self.note(
            &scope.object(),
            "expandable",
            format!(
                "`{keyword}` of a key and `{entity}`: the API sends the key, or the whole \
                 `{entity}` when a request asks to expand it; recorded as the key, a relation \
                 to `{entity}`"
            ),
        );
        let prop = Prop::Reference {
            entity,
            field,
            named: true,
        };
        Some(self.overlay(prop, map, scope, Some(keyword)))
    }

    /// A `$ref` property: an enum, a relation, an embedded entity, or the
    /// referenced schema read in place.
    fn reference(
        &mut self,
        reference: &Value,
        pointer: &[String],
        scope: &Scope,
        top: bool,
    ) -> Prop {
        let text = reference.as_str().unwrap_or_default().to_owned();
        let Some((target, target_pointer)) = self.follow(reference, pointer) else {
            if reference.is_string() && internal_pointer(&text).is_none() {
                self.note(
                    &scope.object(),
                    "external_ref",
                    format!("`$ref` `{text}` points outside this document; recorded as `json`"),
                );
            }
            return Prop::Field(Field::new(FieldType::Json));
        };
        let key = pointer_text(&target_pointer);
        if let Some((enum_name, nullable)) = self.named_enums.get(&key).cloned() {
            let mut field = Field::new(FieldType::Enum);
            field.enum_name = Some(enum_name);
            field.nullable = nullable;
            return Prop::Field(field);
        }
        if let Some(entity) = self.entities.get(&key).cloned() {
            let mut prop = self.entity_reference(entity, &key, &text, &target_pointer, scope, top);
            // A definition that admits `null` (GitHub's `nullable-simple-user`:
            // `nullable: true`, or `type: [object, "null"]`) makes every
            // property naming it nullable, as its own type would.
            if admits_null(target) {
                match &mut prop {
                    Prop::Field(field) | Prop::Reference { field, .. } => field.nullable = true,
                }
            }
            return prop;
        }
        if self.active.contains(&key) {
            return Prop::Field(self.recursive(scope, &text));
        }
        self.active.push(key);
        let prop = self.property(target, &target_pointer, scope, top);
        self.active.pop();
        prop
    }

    /// A `$ref` to the definition of entity `entity`: its key where a
    /// relation can hold it, else a copy of its fields (or `json`).
    fn entity_reference(
        &mut self,
        entity: String,
        key: &str,
        text: &str,
        target_pointer: &[String],
        scope: &Scope,
        top: bool,
    ) -> Prop {
        if top && let Some(target) = self.targets.get(&entity) {
            let mut field = target.field.clone();
            field.comment = None;
            return Prop::Reference {
                entity,
                field,
                named: false,
            };
        }
        if self.active.iter().any(|active| active == key) || self.closes_cycle(key) {
            return Prop::Field(self.recursive(scope, text));
        }
        Prop::Field(match self.shape(target_pointer, &entity) {
            Some(shape) => {
                let size = shape.size;
                let used = self.shaping.last().map_or(0, |(_, used)| *used);
                let shared = self.uses.get(key).copied().unwrap_or(0) > 1;
                let limit = if shared {
                    SHARED_EMBED_LIMIT
                } else {
                    EMBED_LIMIT
                };
                if self.copied + size > DOCUMENT_BUDGET {
                    self.note(
                        &scope.object(),
                        "shared_ref",
                        format!(
                            "`$ref` `{text}` names entity `{entity}`; the document copies \
                             more than {DOCUMENT_BUDGET} fields already, so the value is \
                             recorded as `json`"
                        ),
                    );
                    return Prop::Field(Field::new(FieldType::Json));
                }
                if size > limit || used + size > ENTITY_BUDGET {
                    self.note(
                        &scope.object(),
                        "shared_ref",
                        format!(
                            "`$ref` `{text}` names entity `{entity}` ({size} fields), too \
                             large to copy here; the value is recorded as `json`"
                        ),
                    );
                    return Prop::Field(Field::new(FieldType::Json));
                }
                if let Some((_, used)) = self.shaping.last_mut() {
                    *used += size;
                }
                self.copied += size;
                // The copy carries types, not the definition's comments:
                // those stay on its entity.
                let mut fields = shape.fields.clone();
                strip_comments(&mut fields);
                let mut field = Field::new(FieldType::Object);
                field.fields = Some(fields);
                field
            }
            None => Field::new(FieldType::Json),
        })
    }

    fn recursive(&mut self, scope: &Scope, reference: &str) -> Field {
        let reference = shown_reference(reference);
        self.note(
            &scope.object(),
            "recursive_ref",
            format!(
                "`$ref` `{reference}` refers back to a schema that contains it; the nested \
                 value is recorded as `json`"
            ),
        );
        Field::new(FieldType::Json)
    }

    /// Applies what a referencing schema says beside its `$ref`/wrapper:
    /// description, nullability, default.
    fn overlay(
        &mut self,
        mut prop: Prop,
        map: &'a Map<String, Value>,
        scope: &Scope,
        except: Option<&str>,
    ) -> Prop {
        let field = match &mut prop {
            Prop::Field(field) | Prop::Reference { field, .. } => field,
        };
        if nullable_flag(map) {
            field.nullable = true;
        }
        if let Some(comment) = description(map) {
            field.comment = Some(comment);
        }
        if let Some(default) = map.get("default") {
            match default_value(default, field, &self.enums) {
                Ok(Some(value)) => field.default = Some(value),
                Ok(None) => {}
                Err(message) => self.note(&scope.object(), "default", message),
            }
        }
        self.record_keywords(map, map.contains_key("properties"), scope, except);
        prop
    }

    /// Ledger entries and constraints for the keywords of one schema object.
    /// `except` is a keyword the caller already read (a one-schema wrapper).
    fn record_keywords(
        &mut self,
        map: &impl Keyworded,
        has_properties: bool,
        scope: &Scope,
        except: Option<&str>,
    ) {
        if map.keyword("deprecated") == Some(&Value::Bool(true)) {
            let object = scope.object();
            self.note(
                &object,
                "deprecated",
                format!(
                    "`{object}` is deprecated (`deprecated: true`); the manifest does not say so"
                ),
            );
        }
        for (keyword, kind) in UNREPRESENTED {
            if except == Some(*keyword) {
                continue;
            }
            let Some(value) = map.keyword(keyword) else {
                continue;
            };
            let detail = match value {
                Value::Array(items) => format!(" ({} alternatives)", items.len()),
                _ => String::new(),
            };
            let message = match *keyword {
                "oneOf" | "anyOf" => format!(
                    "`{keyword}`{detail} cannot be represented; {}",
                    if map.merged(keyword) {
                        "the properties of every alternative are kept, each optional, and which \
                         alternative holds is not checked"
                    } else if has_properties {
                        "the listed properties are kept, the alternatives are not checked"
                    } else {
                        "the value is recorded as `json`"
                    }
                ),
                "prefixItems" => {
                    format!("`{keyword}` (a tuple) cannot be represented; items are `json`")
                }
                "if" => "`if`/`then`/`else` cannot be represented in the manifest".to_owned(),
                "$dynamicRef" | "$recursiveRef" => format!(
                    "`{keyword}` names a schema chosen when a document is validated, which the \
                     manifest cannot follow; the schema it names is not read here"
                ),
                _ => format!("`{keyword}` cannot be represented in the manifest"),
            };
            self.note(&scope.object(), kind, message);
        }
        if let Some(value) = map.keyword("additionalProperties")
            && value.is_object()
        {
            self.note(
                &scope.object(),
                "additional_properties",
                if has_properties {
                    "`additionalProperties` with a schema cannot be represented; only the listed \
                     properties are kept"
                        .to_owned()
                } else {
                    "a map (`additionalProperties` with a schema) is recorded as `json`".to_owned()
                },
            );
        }
        let mut constraints = Vec::new();
        for keyword in CONSTRAINTS {
            match map.keyword(keyword) {
                None | Some(Value::Bool(false)) => {}
                Some(_) => constraints.push((*keyword).to_owned()),
            }
        }
        if let Some(format) = map.keyword("format").and_then(Value::as_str)
            && !matches!(
                format,
                "date-time"
                    | "date"
                    | "time"
                    | "uuid"
                    | "duration"
                    | "byte"
                    | "binary"
                    | "int8"
                    | "int16"
                    | "int32"
                    | "int64"
                    | "float"
                    | "double"
                    | "decimal"
            )
        {
            constraints.push(format!("format: {format}"));
        }
        if let Some(encoding) = map.keyword("contentEncoding").and_then(Value::as_str)
            && !is_base64(encoding)
        {
            constraints.push(format!("contentEncoding: {encoding}"));
        }
        if !constraints.is_empty() {
            let entry = self.constraints.entry(scope.entity.clone()).or_default();
            for keyword in constraints {
                entry.entry(keyword).or_default().insert(scope.field_path());
            }
        }
    }

    /// The type names of a schema (without `null`), whether `null` is one,
    /// and problems for malformed `type` values.
    fn types(&mut self, flat: &Flat<'_>, pointer: &[String]) -> (Vec<String>, bool) {
        let at = flat.pointer_of("type", pointer);
        let names: Vec<(usize, &Value)> = match flat.keywords.get("type") {
            None => return (Vec::new(), false),
            Some(Value::Array(items)) => items.iter().enumerate().collect(),
            Some(value @ Value::String(_)) => vec![(usize::MAX, value)],
            Some(_) => {
                self.problem(
                    &at,
                    "`type` must be a type name or an array of type names".to_owned(),
                    Some(format!("use one of: {}", TYPE_NAMES.join(", "))),
                );
                return (Vec::new(), false);
            }
        };
        let mut types = Vec::new();
        let mut null = false;
        for (index, value) in names {
            let here = if index == usize::MAX {
                at.clone()
            } else {
                child(&at, &index.to_string())
            };
            let Some(name) = value.as_str() else {
                self.problem(&here, "a type name must be a string".to_owned(), None);
                continue;
            };
            if name == "null" {
                null = true;
            } else if TYPE_NAMES.contains(&name) {
                if !types.iter().any(|t| t == name) {
                    types.push(name.to_owned());
                }
            } else {
                let help = match crate::manifest::diagnostics::closest(name, TYPE_NAMES) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("use one of: {}", TYPE_NAMES.join(", ")),
                };
                self.problem(&here, format!("unknown type `{name}`"), Some(help));
            }
        }
        (types, null)
    }

    /// A field from a flattened schema.
    fn build(&mut self, flat: Flat<'a>, pointer: &[String], scope: &Scope) -> Field {
        let (types, null_type) = self.types(&flat, pointer);
        let keywords = &flat.keywords;
        let mut nullable = null_type || nullable_flag(keywords);
        let enum_values = match keywords.get("enum") {
            None => None,
            Some(Value::Array(values)) => {
                if values.contains(&Value::Null) {
                    nullable = true;
                }
                Some(values.clone())
            }
            Some(_) => {
                self.problem(
                    &flat.pointer_of("enum", pointer),
                    "`enum` must be an array of values".to_owned(),
                    None,
                );
                None
            }
        };
        let kind: String = match types.as_slice() {
            [one] => one.clone(),
            [] => infer_type(&flat, enum_values.as_deref()).to_owned(),
            _ => {
                self.note(
                    &scope.object(),
                    "type_union",
                    format!(
                        "a value of several types ({}) is recorded as `json`",
                        types.join(", ")
                    ),
                );
                "any".to_owned()
            }
        };
        let mut field = match kind.as_str() {
            "string" => string_field(keywords),
            "integer" => integer_field(keywords),
            "number" => number_field(keywords),
            "boolean" => Field::new(FieldType::Bool),
            "file" => Field::new(FieldType::Bytes),
            "array" => self.array_field(&flat, pointer, scope),
            "object" => {
                if flat.properties.is_empty() {
                    Field::new(FieldType::Json)
                } else {
                    let mut nested = IndexMap::new();
                    for (name, (schema, property_pointer)) in &flat.properties {
                        let child_scope = scope.child(name);
                        let mut field =
                            match self.property(schema, property_pointer, &child_scope, false) {
                                Prop::Field(field) | Prop::Reference { field, .. } => field,
                            };
                        field.optional = !flat.required.contains(name);
                        nested.insert(name.clone(), field);
                    }
                    let mut field = Field::new(FieldType::Object);
                    field.fields = Some(nested);
                    field
                }
            }
            "null" => {
                self.note(
                    &scope.object(),
                    "null_type",
                    "a value that can only be `null` is recorded as a nullable `json`".to_owned(),
                );
                nullable = true;
                Field::new(FieldType::Json)
            }
            _ => Field::new(FieldType::Json),
        };
        if let Some(values) = enum_values {
            let at = pointer_text(&flat.pointer_of("enum", pointer));
            self.apply_enum(&mut field, &values, scope, at);
        }
        field.nullable = nullable;
        field.comment = description(keywords);
        if let Some(default) = keywords.get("default") {
            match default_value(default, &field, &self.enums) {
                Ok(Some(value)) => field.default = Some(value),
                Ok(None) => {}
                Err(message) => self.note(&scope.object(), "default", message),
            }
        }
        self.record_keywords(&flat.keywords, !flat.properties.is_empty(), scope, None);
        field
    }

    fn array_field(&mut self, flat: &Flat<'_>, pointer: &[String], scope: &Scope) -> Field {
        let mut field = Field::new(FieldType::Array);
        let items_pointer = flat.pointer_of("items", pointer);
        let mut items = match self.at(&items_pointer) {
            None => Field::new(FieldType::Json),
            Some(Value::Array(_)) => {
                self.note(
                    &scope.object(),
                    "tuple_items",
                    "`items` as a list (a tuple) cannot be represented; items are `json`"
                        .to_owned(),
                );
                Field::new(FieldType::Json)
            }
            // After `prefixItems` (a tuple, noted as such), `items: false`
            // only says the tuple has no more items.
            Some(Value::Bool(false)) if flat.keywords.contains_key("prefixItems") => {
                Field::new(FieldType::Json)
            }
            Some(schema) => match self.property(schema, &items_pointer, scope, false) {
                Prop::Field(field) | Prop::Reference { field, .. } => field,
            },
        };
        items.optional = false;
        items.comment = None;
        items.default = None;
        field.items = Some(Box::new(items));
        field
    }

    /// Turns `field` into an enum field (strings) or records what is lost.
    fn apply_enum(&mut self, field: &mut Field, values: &[Value], scope: &Scope, at: String) {
        let non_null: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        if non_null.is_empty() {
            return;
        }
        let all_strings = non_null.iter().all(|v| v.is_string());
        let string_like = matches!(
            field.ty,
            FieldType::String | FieldType::Text | FieldType::Json
        );
        if all_strings && string_like {
            let values: Vec<String> = non_null
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let name = match self.enum_at.get(&at) {
                Some(name) => name.clone(),
                None => {
                    let name = self.add_enum(&scope.enum_name(), values, None);
                    self.enum_at.insert(at, name.clone());
                    name
                }
            };
            let comment = field.comment.take();
            *field = Field::new(FieldType::Enum);
            field.enum_name = Some(name);
            field.comment = comment;
            return;
        }
        let shown: Vec<String> = non_null.iter().take(8).map(|v| v.to_string()).collect();
        let more = if non_null.len() > 8 { ", ..." } else { "" };
        self.note(
            &scope.object(),
            "enum_values",
            format!(
                "the allowed values [{}{more}] are not checked: only enums of strings are \
                 represented",
                shown.join(", ")
            ),
        );
    }

    /// Adds an enum named `base` (or `base_2`, ... when that name holds other
    /// values) and returns its name.
    fn add_enum(&mut self, base: &str, values: Vec<String>, comment: Option<String>) -> String {
        let mut unique = Vec::with_capacity(values.len());
        for value in values {
            if !unique.contains(&value) {
                unique.push(value);
            }
        }
        let mut name = base.to_owned();
        let mut n = 1;
        loop {
            match self.enums.get(&name) {
                None => {
                    self.enums.insert(
                        name.clone(),
                        Enum {
                            values: unique,
                            native: None,
                            schema: None,
                            comment,
                        },
                    );
                    return name;
                }
                Some(existing) if existing.values == unique => return name,
                Some(_) => {
                    n += 1;
                    name = format!("{base}_{n}");
                }
            }
        }
    }
}

/// How many `$ref`s in the document name each schema (by pointer text).
fn count_references(root: &Value) -> BTreeMap<String, usize> {
    let mut uses = BTreeMap::new();
    let mut stack = vec![root];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match key.as_str() {
                        "$ref" => {
                            if let Some(target) = child.as_str().and_then(internal_pointer) {
                                *uses.entry(pointer_text(&target)).or_insert(0) += 1;
                            }
                        }
                        "enum" | "const" | "default" | "example" | "examples" => {}
                        _ => stack.push(child),
                    }
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    uses
}

/// How many field nodes a shape holds, nested ones included.
fn shape_size(fields: &IndexMap<String, Field>) -> usize {
    fn size(field: &Field) -> usize {
        1 + field.items.as_deref().map_or(0, size)
            + field
                .fields
                .as_ref()
                .map_or(0, |fields| fields.values().map(size).sum())
    }
    fields.values().map(size).sum()
}

/// The strongly connected components of a graph given as adjacency lists,
/// each a list of nodes, in an order where a component comes after every
/// component it has edges to (Tarjan's algorithm, without recursion: a
/// chain of thousands of references must not exhaust the stack).
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let count = edges.len();
    let mut order = vec![UNSEEN; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next = 0;
    for start in 0..count {
        if order[start] != UNSEEN {
            continue;
        }
        // (node, index of the next edge to follow)
        let mut calls = vec![(start, 0usize)];
        order[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (node, ref mut edge)) = calls.last_mut() {
            if let Some(&target) = edges[node].get(*edge) {
                *edge += 1;
                if order[target] == UNSEEN {
                    order[target] = next;
                    low[target] = next;
                    next += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    calls.push((target, 0));
                } else if on_stack[target] {
                    low[node] = low[node].min(order[target]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

fn strip_comments(fields: &mut IndexMap<String, Field>) {
    for field in fields.values_mut() {
        strip_field_comments(field);
    }
}

fn strip_field_comments(field: &mut Field) {
    field.comment = None;
    if let Some(items) = &mut field.items {
        strip_field_comments(items);
    }
    if let Some(fields) = &mut field.fields {
        strip_comments(fields);
    }
}

/// The pointer of a same-document `$ref` (`#/definitions/Pet`), or `None`
/// for references to other documents and to anchors.
pub(crate) fn internal_pointer(reference: &str) -> Option<Pointer> {
    let fragment = reference.strip_prefix('#')?;
    if fragment.is_empty() {
        return Some(Vec::new());
    }
    let fragment = fragment.strip_prefix('/')?;
    Some(
        fragment
            .split('/')
            .map(|segment| {
                let segment = percent_decode(segment);
                if segment.contains('~') {
                    segment.replace("~1", "/").replace("~0", "~")
                } else {
                    segment
                }
            })
            .collect(),
    )
}

fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Keywords that give a schema a shape of its own.
fn is_structural(keyword: &str) -> bool {
    matches!(
        keyword,
        "type"
            | "properties"
            | "items"
            | "allOf"
            | "oneOf"
            | "anyOf"
            | "enum"
            | "const"
            | "$ref"
            | "additionalProperties"
            | "patternProperties"
            | "format"
            | "not"
    )
}

/// `contentEncoding` of bytes written as text, as `format: byte` is.
fn is_base64(encoding: &str) -> bool {
    matches!(
        encoding.to_ascii_lowercase().as_str(),
        "base64" | "base64url"
    )
}

/// Whether a schema itself admits `null`: `type: "null"` or a list of
/// types naming it, or OpenAPI's `nullable` / Swagger's `x-nullable`.
fn admits_null(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return false;
    };
    nullable_flag(map)
        || match map.get("type") {
            Some(Value::String(name)) => name == "null",
            Some(Value::Array(names)) => names.iter().any(|name| name == "null"),
            _ => false,
        }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
        || schema.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

/// OpenAPI's `nullable`, Swagger's `x-nullable` / `x-isnullable`.
pub(crate) fn nullable_flag(map: &impl Keyworded) -> bool {
    ["nullable", "x-nullable", "x-isnullable"]
        .iter()
        .any(|key| map.keyword(key) == Some(&Value::Bool(true)))
}

/// `description`, else `title`, trimmed; `None` when empty.
pub(crate) fn description(map: &impl Keyworded) -> Option<String> {
    ["description", "title"]
        .iter()
        .filter_map(|key| map.keyword(key).and_then(Value::as_str))
        .map(str::trim)
        .find(|text| !text.is_empty())
        .map(str::to_owned)
}

/// The type of a schema without `type`.
fn infer_type(flat: &Flat<'_>, enum_values: Option<&[Value]>) -> &'static str {
    let keywords = &flat.keywords;
    if !flat.properties.is_empty()
        || keywords.contains_key("additionalProperties")
        || keywords.contains_key("patternProperties")
    {
        return "object";
    }
    if keywords.contains_key("items") {
        return "array";
    }
    let sample: Vec<&Value> = match (enum_values, keywords.get("const")) {
        (Some(values), _) => values.iter().filter(|v| !v.is_null()).collect(),
        (None, Some(value)) => vec![value],
        (None, None) => Vec::new(),
    };
    if !sample.is_empty() {
        if sample.iter().all(|v| v.is_string()) {
            return "string";
        }
        if sample.iter().all(|v| v.is_i64() || v.is_u64()) {
            return "integer";
        }
        if sample.iter().all(|v| v.is_number()) {
            return "number";
        }
        if sample.iter().all(|v| v.is_boolean()) {
            return "boolean";
        }
        return "any";
    }
    if keywords.contains_key("oneOf") || keywords.contains_key("anyOf") {
        return "any";
    }
    match keywords.get("format").and_then(Value::as_str) {
        Some("int32" | "int64" | "int16" | "int8") => "integer",
        Some("float" | "double") => "number",
        Some(_) => "string",
        None => {
            if keywords.contains_key("maxLength")
                || keywords.contains_key("minLength")
                || keywords.contains_key("pattern")
                || keywords.contains_key("contentEncoding")
                || keywords.contains_key("contentMediaType")
            {
                "string"
            } else {
                "any"
            }
        }
    }
}

fn string_field(keywords: &Keywords<'_>) -> Field {
    let ty = match keywords.get("format").and_then(Value::as_str) {
        Some("date-time") => FieldType::Timestamptz,
        Some("date") => FieldType::Date,
        Some("time") => FieldType::Time,
        Some("uuid") => FieldType::Uuid,
        Some("duration") => FieldType::Interval,
        Some("byte" | "binary") => FieldType::Bytes,
        Some("decimal") => FieldType::Decimal,
        // `contentEncoding: base64`: how 2019-09 and OpenAPI 3.1 say `format: byte`.
        _ if keywords
            .get("contentEncoding")
            .and_then(Value::as_str)
            .is_some_and(is_base64) =>
        {
            FieldType::Bytes
        }
        _ => FieldType::String,
    };
    let mut field = Field::new(ty);
    if ty.has_length() {
        field.max_length = keywords
            .get("maxLength")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
    }
    field
}

fn integer_field(keywords: &Keywords<'_>) -> Field {
    let fits = |key: &str| {
        keywords
            .get(key)
            .and_then(Value::as_f64)
            .map(|n| n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX))
    };
    let ty = match keywords.get("format").and_then(Value::as_str) {
        Some("int32") => FieldType::Int32,
        Some("int64") => FieldType::Int64,
        Some("int16" | "int8") => FieldType::Int16,
        _ => match (fits("maximum"), fits("minimum")) {
            (Some(true), None | Some(true)) => FieldType::Int32,
            _ => FieldType::Int64,
        },
    };
    Field::new(ty)
}

fn number_field(keywords: &Keywords<'_>) -> Field {
    Field::new(match keywords.get("format").and_then(Value::as_str) {
        Some("float") => FieldType::Float32,
        Some("decimal") => FieldType::Decimal,
        Some("int32") => FieldType::Int32,
        Some("int64") => FieldType::Int64,
        _ => FieldType::Float64,
    })
}

/// A JSON value as a manifest literal (objects and nulls have none).
pub(crate) fn literal(value: &Value) -> Option<Literal> {
    match value {
        Value::Bool(b) => Some(Literal::Bool(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Literal::Int(i)),
            None => n.as_f64().map(Literal::Float),
        },
        Value::String(s) => Some(Literal::String(s.clone())),
        Value::Array(items) => items
            .iter()
            .map(literal)
            .collect::<Option<Vec<_>>>()
            .map(Literal::Array),
        Value::Null | Value::Object(_) => None,
    }
}

/// Whether `literal` is a valid default of `field` (the validator's rule).
pub(crate) fn default_fits(
    literal: &Literal,
    field: &Field,
    enums: &BTreeMap<String, Enum>,
) -> bool {
    let fits = field.accepts(literal);
    if !fits {
        return false;
    }
    match (literal, &field.enum_name) {
        (Literal::String(value), Some(name)) => enums
            .get(name)
            .is_none_or(|enumeration| enumeration.values.contains(value)),
        _ => true,
    }
}

/// The default of `field` from a schema's `default`: `Ok(None)` for `null`,
/// `Err` with a ledger message when it cannot be kept.
fn default_value(
    value: &Value,
    field: &Field,
    enums: &BTreeMap<String, Enum>,
) -> Result<Option<DefaultValue>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let shown: String = value.to_string().chars().take(60).collect();
    let Some(literal) = literal(value) else {
        return Err(format!(
            "the default `{shown}` cannot be written as a manifest literal; dropped"
        ));
    };
    if default_fits(&literal, field, enums) {
        Ok(Some(DefaultValue::Literal(literal)))
    } else {
        Err(format!(
            "the default `{shown}` does not fit the field's type `{}`; dropped",
            field.type_label()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_pointers_are_located_exactly() {
        let text = "{\n  \"a\": {\"b\": [1, {\"c\": 12}]},\n  \"d\": \"x\"\n}";
        let span = locate_json(text, &["a".into(), "b".into(), "1".into(), "c".into()]);
        assert_eq!(&text[span], "12");
        let span = locate_json(text, &["d".into()]);
        assert_eq!(&text[span], "\"x\"");
        // A missing key: the deepest part found.
        let span = locate_json(text, &["a".into(), "zzz".into()]);
        assert_eq!(&text[span.start..span.start + 3], "\"a\"");
    }

    #[test]
    fn yaml_pointers_are_located_by_lines() {
        let text = "a:\n  b:\n    type: 12\n  c:\n    type: string\nlist:\n  - x: 1\n  - x: 2\n";
        let span = locate_yaml(text, &["a".into(), "c".into(), "type".into()]);
        assert_eq!(&text[span], "string");
        let span = locate_yaml(text, &["a".into(), "b".into(), "type".into()]);
        assert_eq!(&text[span], "12");
        let span = locate_yaml(text, &["list".into(), "1".into(), "x".into()]);
        assert_eq!(&text[span], "2");
    }

    #[test]
    fn references_decode_pointer_escapes() {
        assert_eq!(
            internal_pointer("#/definitions/a~1b%20c"),
            Some(vec!["definitions".to_owned(), "a/b c".to_owned()])
        );
        assert_eq!(internal_pointer("other.json#/x"), None);
        assert_eq!(internal_pointer("#"), Some(Vec::new()));
    }

    #[test]
    fn line_and_column_become_offsets() {
        let text = "ab\ncdé\nf";
        assert_eq!(byte_offset(text, 2, 3), 5);
        assert_eq!(char_offset(text, 2, 4), 7);
        assert_eq!(char_offset(text, 3, 1), 8);
        assert_eq!(
            strip_location("EOF while parsing at line 3 column 7"),
            "EOF while parsing"
        );
    }

    #[test]
    fn file_stems_are_sanitized() {
        assert_eq!(sanitize("jsonfeed-1.1"), "jsonfeed_1_1");
        assert_eq!(sanitize("--a..b--"), "a_b");
    }
}
