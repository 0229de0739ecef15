//! OpenAPI 3.0 / 3.1 and Swagger 2.0 documents (JSON or YAML) → manifest,
//! with the API itself (base URL and operations) recorded in `[api]` so that
//! `serve` can proxy it.
//!
//! - **Reading.** A 3.0 document is deserialized into [`openapiv3::OpenAPI`]:
//!   that checks its structure (errors at the parser's line and column) and
//!   gives its servers and operations. serde loses positions inside what
//!   openapiv3 buffers (schemas, path items), so when it rejects a document
//!   the schema walker's own problems, which point at the offending value,
//!   are shown instead when it finds any. 3.1 (whose schemas are JSON Schema
//!   2020-12: `type: [.., "null"]`, `$defs`) and Swagger 2.0 (`definitions`,
//!   `host`/`basePath`/`schemes`) are read from the parsed JSON value. The
//!   component schemas of all three go through the JSON Schema walker of
//!   [`super::json_schema`], so a schema maps the same way whatever document
//!   it is in.
//! - **Entities.** Component schemas (2.0: `definitions`) with properties are
//!   entities, named as written; `allOf` compositions are merged; string
//!   enums become `[enums.<name>]`; arrays, primitives, maps and pure
//!   `oneOf` unions are left out (ledger) and inlined where referenced.
//! - **Keys and relations.** A property `id` of a scalar type is the primary
//!   key: a resource's `id` is its key by convention, and response schemas
//!   often mark it neither `readOnly` nor `required`. A property whose `$ref`
//!   names an entity with a key becomes a foreign key `<property>_id` typed
//!   like that key (or the existing `<property>_id` property, when the
//!   schema has one) plus a relation; a reference to an entity without a key
//!   embeds its fields as a nested `object`, as in JSON Schema. References
//!   inside arrays and nested objects always embed; a property listing the
//!   rows of another entity also records the relation the manifest can
//!   say of it ([`lists`]).
//! - **API.** `base_url` is 3.x `servers[0].url` with its variables replaced
//!   by their defaults, or 2.0 `schemes[0]://host` + `basePath` (`https`
//!   when no scheme is given). Every operation is listed with its upper-case
//!   method, path, `operationId` and `summary`, and the entity its request
//!   body and success responses refer to, when they refer to exactly one
//!   (the rows' entity when its responses name one). What serving the API
//!   through baas needs (action, query parameters, pagination, rows key,
//!   error pointer) is read by [`serving`].

mod envelopes;
mod lists;
mod security;
mod serving;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;

use serde_json::Value;

use super::SourceFile;
use super::json_schema::{
    Classified, Document, KeyRule, Pointer, Walker, child, deserialize, graft_external,
    read_document,
};
use crate::manifest::{
    Api, CURRENT_FORMAT, Diagnostics, Manifest, Operation, Project, Source, SourceEngine, Upstream,
};
use crate::source::{IntrospectOptions, Introspection};

/// A relative server URL (`servers: [{url: "/"}]`, `/api/v3`) resolved
/// against the URL the document was read from, as a client of the document
/// would: `/` of `http://host:8080/api/_openapi.json` is `http://host:8080`.
pub(crate) fn resolve_base_url(manifest: &mut Manifest, document: &url::Url) {
    let Some(api) = manifest.api.as_mut() else {
        return;
    };
    let Some(base) = api.base_url.as_deref() else {
        return;
    };
    if url::Url::parse(base).is_ok() {
        return;
    }
    if let Ok(mut resolved) = document.join(base) {
        // Credentials in the address were for fetching the document.
        let _ = resolved.set_username("");
        let _ = resolved.set_password(None);
        api.base_url = Some(resolved.as_str().trim_end_matches('/').to_owned());
    }
}

/// The enums of folded resource forms are dropped (nothing uses them any
/// more), and those named after a renamed entity (`BookRow_genre`) follow
/// it (`book_genre`).
fn rename_enums(
    enums: &mut std::collections::BTreeMap<String, crate::manifest::Enum>,
    entities: &mut std::collections::BTreeMap<String, crate::manifest::Entity>,
    folded: &[(String, String)],
    renames: &[(String, String)],
) {
    let forms: HashSet<&str> = folded.iter().map(|(form, _)| form.as_str()).collect();
    // `<form>_...`: a prefix of the name that ends before a `_` is a form.
    enums.retain(|name, _| {
        !name
            .match_indices('_')
            .any(|(at, _)| forms.contains(&name[..at]))
    });
    let mut moved: HashMap<String, String> = HashMap::new();
    for (from, to) in renames {
        let prefix = format!("{from}_");
        let names: Vec<String> = enums
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .map(|(name, _)| name)
            .take_while(|name| name.starts_with(&prefix))
            .cloned()
            .collect();
        for name in names {
            let new = format!("{to}_{}", &name[prefix.len()..]);
            if enums.contains_key(&new) {
                continue;
            }
            if let Some(definition) = enums.remove(&name) {
                enums.insert(new.clone(), definition);
                moved.entry(name).or_insert(new);
            }
        }
    }
    fn follow(field: &mut crate::manifest::Field, moved: &HashMap<String, String>) {
        if let Some(name) = &field.enum_name
            && let Some(new) = moved.get(name)
        {
            field.enum_name = Some(new.clone());
        }
        if let Some(items) = &mut field.items {
            follow(items, moved);
        }
        for inner in field
            .fields
            .iter_mut()
            .flat_map(|fields| fields.values_mut())
        {
            follow(inner, moved);
        }
    }
    for entity in entities.values_mut() {
        for field in entity.fields.values_mut() {
            follow(field, &moved);
        }
    }
}

/// Reads an OpenAPI or Swagger file into a manifest.
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
    let version = version(file, &document)?;
    // `$ref`s to other files (`pet.yaml`, `common.yaml#/components/schemas/
    // Money`) are read relative to the file that names them and grafted in,
    // so every reference is a pointer into one document.
    let external = graft_external(file, &mut document.value);
    let outline = match version {
        Version::V30 => match outline_v30(file, &document) {
            Ok(outline) => outline,
            Err(typed) => {
                // serde loses the position inside the schemas openapiv3
                // buffers; the schema walker points at the value itself, so
                // its problems are shown when it finds any.
                let outline = outline_value(&document.value, version);
                return match build(file, &document, version, outline, &external) {
                    Err(walked) => Err(walked),
                    Ok(_) => Err(typed),
                };
            }
        },
        Version::V31 | Version::V20 => outline_value(&document.value, version),
    };
    let introspection = build(file, &document, version, outline, &external)?;
    if super::found_nothing(&introspection) {
        let schemas = match version {
            Version::V20 => "`definitions`",
            Version::V30 | Version::V31 => "`components.schemas`",
        };
        return Err(super::nothing_to_import(
            file,
            format!(
                "the document has no schemas in {schemas} and no operations under `paths`: nothing to import"
            ),
            "check that this is the API description you meant".to_owned(),
        ));
    }
    Ok(introspection)
}

/// The major versions, which differ in where schemas live and how
/// nullability is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V20,
    V30,
    V31,
}

fn version(file: &SourceFile, document: &Document) -> Result<Version, Diagnostics> {
    let root = &document.value;
    let text = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let fail = |key: &str, message: String, help: &str| {
        let pointer = vec![key.to_owned()];
        let span = super::json_schema::locate(&file.text, document.syntax, &pointer);
        file.diagnostics(vec![file.problem(span, message).with_help(help.to_owned())])
    };
    if let Some(value) = root.get("openapi") {
        let Some(number) = text(value) else {
            return Err(fail(
                "openapi",
                "`openapi` must be a version string such as \"3.0.3\"".to_owned(),
                "quote the version: `openapi: \"3.1.0\"`",
            ));
        };
        return if number.starts_with("3.0") {
            Ok(Version::V30)
        } else if number.starts_with("3.") {
            Ok(Version::V31)
        } else {
            Err(fail(
                "openapi",
                format!("OpenAPI version `{number}` is not supported"),
                "baas reads OpenAPI 3.0 and 3.1, and Swagger 2.0",
            ))
        };
    }
    if let Some(value) = root.get("swagger") {
        return match text(value).as_deref() {
            Some("2.0" | "2") => Ok(Version::V20),
            Some(other) => Err(fail(
                "swagger",
                format!("Swagger version `{other}` is not supported"),
                "baas reads Swagger 2.0, and OpenAPI 3.0 and 3.1",
            )),
            None => Err(fail(
                "swagger",
                "`swagger` must be the version string \"2.0\"".to_owned(),
                "write `swagger: \"2.0\"`",
            )),
        };
    }
    Err(file.diagnostics(vec![
        file.problem(
            super::json_schema::point(&file.text, 0),
            "not an OpenAPI document: it has neither `openapi` nor `swagger` at the top".to_owned(),
        )
        .with_help("pass --format to read the file as another format"),
    ]))
}

/// What the document says about the API itself.
#[derive(Debug, Default)]
struct Outline {
    title: Option<String>,
    base_url: Option<String>,
    operations: Vec<OutlineOperation>,
}

#[derive(Debug)]
struct OutlineOperation {
    method: String,
    path: String,
    id: Option<String>,
    summary: Option<String>,
    /// The `$ref`s of its request and success-response schemas.
    references: Vec<String>,
    /// How many of `references` (the first ones) its request sends.
    sent: usize,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

// ---------------------------------------------------------------------------
// OpenAPI 3.0, through `openapiv3`

fn outline_v30(file: &SourceFile, document: &Document) -> Result<Outline, Diagnostics> {
    use openapiv3::{ReferenceOr, StatusCode};

    use serde::Deserialize;

    // The typed model is read from the value already parsed: parsing the
    // text again (most of a large YAML document's import) is needed only
    // to place a problem.
    let typed = match openapiv3::OpenAPI::deserialize(&document.value) {
        Ok(api) => Ok(api),
        Err(_) => deserialize(file, document.syntax, "not a valid OpenAPI 3.0 document"),
    };
    let api: openapiv3::OpenAPI = match typed {
        Ok(api) => api,
        // `openapiv3` keeps integer bounds as `i64`: a bound beyond it
        // (`maximum: 99999999999999999999`) is the only thing it
        // refuses that the document may hold. The outline never reads
        // bounds (the schema walker does, from the value), so they are
        // clamped for it; any other problem stays an error.
        Err(problems) => {
            let mut value = document.value.clone();
            clamp_big_integers(&mut value);
            serde_json::from_value(value).map_err(|_| problems)?
        }
    };
    let no_components = openapiv3::Components::default();
    let components = api.components.as_ref().unwrap_or(&no_components);
    let base_url = api.servers.first().map(|server| {
        let mut url = server.url.clone();
        for (name, variable) in server.variables.iter().flatten() {
            url = url.replace(&format!("{{{name}}}"), &variable.default);
        }
        url
    });
    let mut operations = Vec::new();
    for (path, item) in api.paths.iter() {
        let Some(item) = item.as_item() else {
            continue;
        };
        for (method, operation) in item.iter() {
            let mut references = Vec::new();
            let request = operation.request_body.as_ref().and_then(|body| match body {
                ReferenceOr::Item(body) => Some(body),
                ReferenceOr::Reference { reference } => reference
                    .strip_prefix("#/components/requestBodies/")
                    .and_then(|name| components.request_bodies.get(name))
                    .and_then(ReferenceOr::as_item),
            });
            if let Some(body) = request {
                for media in body.content.values() {
                    schema_references_v30(media.schema.as_ref(), &mut references);
                }
            }
            let sent = references.len();
            for (status, response) in &operation.responses.responses {
                let success = match status {
                    StatusCode::Code(code) => (200..300).contains(code),
                    StatusCode::Range(range) => *range == 2,
                };
                if !success {
                    continue;
                }
                let response = match response {
                    ReferenceOr::Item(response) => Some(response),
                    ReferenceOr::Reference { reference } => reference
                        .strip_prefix("#/components/responses/")
                        .and_then(|name| components.responses.get(name))
                        .and_then(ReferenceOr::as_item),
                };
                for media in response.iter().flat_map(|r| r.content.values()) {
                    schema_references_v30(media.schema.as_ref(), &mut references);
                }
            }
            operations.push(OutlineOperation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                id: operation.operation_id.clone(),
                summary: operation.summary.clone(),
                references,
                sent,
            });
        }
    }
    Ok(Outline {
        title: Some(api.info.title.clone()),
        base_url,
        operations,
    })
}

/// Integral numbers outside the `i64` range become `i64::MAX` / `i64::MIN`.
fn clamp_big_integers(value: &mut Value) {
    match value {
        Value::Number(number) if number.as_i64().is_none() => {
            if let Some(float) = number.as_f64().filter(|f| f.fract() == 0.0) {
                *value = Value::from(if float > 0.0 { i64::MAX } else { i64::MIN });
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clamp_big_integers),
        Value::Object(map) => map.values_mut().for_each(clamp_big_integers),
        _ => {}
    }
}

/// The `$ref`s a request or response schema makes directly: `$ref: X`,
/// an array of X, or `allOf: [X]`.
fn schema_references_v30(
    schema: Option<&openapiv3::ReferenceOr<openapiv3::Schema>>,
    out: &mut Vec<String>,
) {
    use openapiv3::{ReferenceOr, SchemaKind, Type};
    let Some(schema) = schema else {
        return;
    };
    match schema {
        ReferenceOr::Reference { reference } => out.push(reference.clone()),
        ReferenceOr::Item(schema) => match &schema.schema_kind {
            SchemaKind::Type(Type::Array(array)) => {
                if let Some(ReferenceOr::Reference { reference }) = &array.items {
                    out.push(reference.clone());
                }
            }
            SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
                if let Some(ReferenceOr::Reference { reference }) = all_of.first() {
                    out.push(reference.clone());
                }
            }
            _ => {}
        },
    }
}

// ---------------------------------------------------------------------------
// OpenAPI 3.1 and Swagger 2.0, from the parsed value

fn outline_value(root: &Value, version: Version) -> Outline {
    let title = root
        .pointer("/info/title")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let base_url = match version {
        Version::V20 => swagger_base_url(root),
        _ => root.pointer("/servers/0").and_then(|server| {
            let mut url = server.get("url")?.as_str()?.to_owned();
            if let Some(Value::Object(variables)) = server.get("variables") {
                for (name, variable) in variables {
                    if let Some(default) = variable.get("default").and_then(scalar_text) {
                        url = url.replace(&format!("{{{name}}}"), &default);
                    }
                }
            }
            Some(url)
        }),
    };
    let mut operations = Vec::new();
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            let Value::Object(item) = item else {
                continue;
            };
            for method in METHODS {
                let Some(operation) = item.get(*method).filter(|o| o.is_object()) else {
                    continue;
                };
                let (references, sent) =
                    operation_references(root, version, item.get("parameters"), operation);
                let text = |key: &str| {
                    operation
                        .get(key)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                operations.push(OutlineOperation {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    id: text("operationId"),
                    summary: text("summary"),
                    references,
                    sent,
                });
            }
        }
    }
    Outline {
        title,
        base_url,
        operations,
    }
}

/// The `$ref`s of an operation's request body (2.0: its `in: body`
/// parameter) and success responses, and how many are the request's.
fn operation_references(
    root: &Value,
    version: Version,
    shared_parameters: Option<&Value>,
    operation: &Value,
) -> (Vec<String>, usize) {
    let mut references = Vec::new();
    if version == Version::V20 {
        let parameters = [shared_parameters, operation.get("parameters")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .map(|parameter| resolve(root, parameter));
        for parameter in parameters {
            if parameter.get("in").and_then(Value::as_str) == Some("body") {
                value_schema_references(parameter.get("schema"), &mut references);
            }
        }
    } else if let Some(body) = operation.get("requestBody") {
        content_references(resolve(root, body), &mut references);
    }
    let sent = references.len();
    if let Some(Value::Object(responses)) = operation.get("responses") {
        for (status, response) in responses {
            if !status.starts_with('2') {
                continue;
            }
            let response = resolve(root, response);
            if version == Version::V20 {
                value_schema_references(response.get("schema"), &mut references);
            } else {
                content_references(response, &mut references);
            }
        }
    }
    (references, sent)
}

/// `schemes[0]://host` + `basePath`.
fn swagger_base_url(root: &Value) -> Option<String> {
    let base_path = root
        .get("basePath")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match root.get("host").and_then(Value::as_str) {
        Some(host) => {
            let scheme = root
                .pointer("/schemes/0")
                .and_then(Value::as_str)
                .unwrap_or("https");
            Some(format!("{scheme}://{host}{base_path}"))
        }
        None if !base_path.is_empty() => Some(base_path.to_owned()),
        None => None,
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A `$ref`'d object (a response, a parameter) as what it points at.
fn resolve<'v>(root: &'v Value, value: &'v Value) -> &'v Value {
    let mut value = value;
    // References to references, a few levels at most.
    for _ in 0..8 {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(super::json_schema::internal_pointer)
            .and_then(|pointer| at(root, &pointer))
        else {
            break;
        };
        value = target;
    }
    value
}

fn at<'v>(root: &'v Value, pointer: &[String]) -> Option<&'v Value> {
    let mut value = root;
    for segment in pointer {
        value = match value {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The references of every `content.<media type>.schema`.
fn content_references(holder: &Value, out: &mut Vec<String>) {
    if let Some(Value::Object(content)) = holder.get("content") {
        for media in content.values() {
            value_schema_references(media.get("schema"), out);
        }
    }
}

fn value_schema_references(schema: Option<&Value>, out: &mut Vec<String>) {
    let Some(schema) = schema else {
        return;
    };
    let reference = |value: &Value| value.get("$ref").and_then(Value::as_str).map(str::to_owned);
    if let Some(found) = reference(schema) {
        out.push(found);
    } else if let Some(found) = schema.get("items").and_then(reference) {
        out.push(found);
    } else if let Some(Value::Array(all_of)) = schema.get("allOf")
        && let [single] = all_of.as_slice()
        && let Some(found) = reference(single)
    {
        out.push(found);
    }
}

/// The entities a `$ref` names: the entity itself, or, through a schema that
/// is not one (`Pets: {type: array, items: {$ref: Pet}}`), what that refers to.
fn referenced_entities(
    root: &Value,
    walker: &Walker<'_>,
    envelopes: &BTreeMap<String, envelopes::Envelope>,
    reference: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    if let Some(entity) = walker.entity_of_reference(reference) {
        out.push(entity.to_owned());
        return;
    }
    if let Some(envelope) = super::json_schema::internal_pointer(reference)
        .and_then(|pointer| envelopes.get(&super::json_schema::pointer_text(&pointer)))
    {
        out.push(envelope.item.clone());
        return;
    }
    if depth >= 4 {
        return;
    }
    let Some(target) =
        super::json_schema::internal_pointer(reference).and_then(|pointer| at(root, &pointer))
    else {
        return;
    };
    let mut inner = Vec::new();
    value_schema_references(Some(target), &mut inner);
    for reference in inner {
        referenced_entities(root, walker, envelopes, &reference, depth + 1, out);
    }
}

// ---------------------------------------------------------------------------
// Outline + schemas → manifest

/// Names what a document says that the manifest has no place for: the
/// requests the API sends (3.1 `webhooks`, an operation's `callbacks`),
/// deprecated operations and the choice of schema a `discriminator` makes.
fn note_unserved(root: &Value, schemas_at: &[String], walker: &mut Walker) {
    if let Some(Value::Object(webhooks)) = root.get("webhooks") {
        for name in webhooks.keys() {
            walker.note(
                &format!("webhooks.{name}"),
                "webhook",
                format!(
                    "webhook `{name}` is a request the API sends to its subscribers; it is not \
                     represented (the manifest lists the operations the API serves)"
                ),
            );
        }
    }
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            let Value::Object(item) = item else {
                continue;
            };
            for (method, operation) in item {
                if operation.get("deprecated") == Some(&Value::Bool(true)) {
                    walker.note(
                        &format!("{} {path}", method.to_ascii_uppercase()),
                        "deprecated",
                        "the operation is deprecated (`deprecated: true`); the manifest does not \
                         say so"
                            .to_owned(),
                    );
                }
                if let Some(Value::Object(callbacks)) = operation.get("callbacks") {
                    for name in callbacks.keys() {
                        walker.note(
                            &format!("{} {path}", method.to_ascii_uppercase()),
                            "callback",
                            format!(
                                "callback `{name}` is a request the API sends back; it is not \
                                 represented"
                            ),
                        );
                    }
                }
            }
        }
    }
    if let Some(Value::Object(schemas)) = walker.at(schemas_at) {
        let discriminators: Vec<(String, String)> = schemas
            .iter()
            .filter_map(|(name, schema)| {
                let property = schema.get("discriminator")?;
                // Swagger 2.0 names the property; 3.x gives an object.
                let property = property
                    .as_str()
                    .or_else(|| property.get("propertyName")?.as_str())?;
                Some((name.clone(), property.to_owned()))
            })
            .collect();
        for (name, property) in discriminators {
            walker.note(
                &name,
                "discriminator",
                format!(
                    "`discriminator` `{property}`: which schema a value of `{name}` is, by its \
                     `{property}`, is not represented; each schema is read on its own"
                ),
            );
        }
    }
}

/// What a document says to its readers rather than of its data: the
/// API's `info.description`, its `tags` (groups of operations, with a
/// description) and `externalDocs` links. A tag named after an entity
/// (`pet`, `pets` of `Pet`) gives that entity its comment when its schema
/// has no description; every other one, and each link, is a ledger line.
fn note_documentation(
    root: &Value,
    schemas_at: &[String],
    walker: &mut Walker,
    entities: &mut BTreeMap<String, crate::manifest::Entity>,
) {
    let link = |holder: &Value| {
        let docs = holder.get("externalDocs")?;
        let url = docs.get("url").and_then(Value::as_str).unwrap_or_default();
        Some(match docs.get("description").and_then(Value::as_str) {
            Some(description) if !description.trim().is_empty() => {
                format!("`{url}` ({})", super::first_line(description))
            }
            _ => format!("`{url}`"),
        })
    };
    if let Some(description) = root
        .pointer("/info/description")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
    {
        walker.note(
            "info",
            "api_description",
            format!(
                "the API's description (`info.description`: {}) is not represented; the \
                 manifest keeps the title as the project's name",
                super::first_line(description)
            ),
        );
    }
    if let Some(docs) = link(root) {
        walker.note(
            "externalDocs",
            "external_docs",
            format!("the API's documentation link {docs} is not represented"),
        );
    }
    // Tags: those declared, then those only operations name, with the
    // number of operations in each.
    let mut tags: Vec<(String, Option<&Value>)> = Vec::new();
    for tag in root
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = tag.get("name").and_then(Value::as_str)
            && !tags.iter().any(|(known, _)| known == name)
        {
            tags.push((name.to_owned(), Some(tag)));
        }
    }
    let mut grouped: HashMap<String, usize> = HashMap::new();
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                let Some(operation) = item.get(*method) else {
                    continue;
                };
                for tag in operation
                    .get("tags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(name) = tag.as_str() else { continue };
                    *grouped.entry(name.to_owned()).or_default() += 1;
                    if !tags.iter().any(|(known, _)| known == name) {
                        tags.push((name.to_owned(), None));
                    }
                }
                if let Some(docs) = link(operation) {
                    walker.note(
                        &format!("{} {path}", method.to_ascii_uppercase()),
                        "external_docs",
                        format!("the operation's documentation link {docs} is not represented"),
                    );
                }
            }
        }
    }
    let singular = |name: &str| {
        let name: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        name.strip_suffix('s').map(str::to_owned).unwrap_or(name)
    };
    for (name, tag) in tags {
        let description = tag
            .and_then(|tag| tag.get("description"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|d| !d.is_empty());
        let stem = singular(&name);
        let carried = description.and_then(|description| {
            let (entity_name, entity) = entities.iter_mut().find(|(entity_name, entity)| {
                singular(entity_name) == stem || singular(&entity.table) == stem
            })?;
            if entity.comment.is_some() {
                return None;
            }
            entity.comment = Some(description.to_owned());
            Some(entity_name.clone())
        });
        let count = grouped.get(&name).copied().unwrap_or_default();
        let mut message = format!(
            "tag `{name}` groups {count} operation{}; the manifest does not group operations",
            if count == 1 { "" } else { "s" }
        );
        match (&carried, description) {
            (Some(entity), _) => {
                message.push_str(&format!("; its description is the comment of `{entity}`"))
            }
            (None, Some(description)) => message.push_str(&format!(
                "; its description is not represented: {}",
                super::first_line(description)
            )),
            (None, None) => {}
        }
        if let Some(docs) = tag.and_then(link) {
            message.push_str(&format!(
                "; its documentation link {docs} is not represented"
            ));
        }
        walker.note(&format!("tags.{name}"), "tag", message);
    }
    if let Some(Value::Object(schemas)) = walker.at(schemas_at) {
        let linked: Vec<(String, String)> = schemas
            .iter()
            .filter_map(|(name, schema)| Some((name.clone(), link(schema)?)))
            .collect();
        for (name, docs) in linked {
            walker.note(
                &name,
                "external_docs",
                format!("the schema's documentation link {docs} is not represented"),
            );
        }
    }
}

fn build(
    file: &SourceFile,
    document: &Document,
    version: Version,
    outline: Outline,
    external: &[(String, String)],
) -> Result<Introspection, Diagnostics> {
    let root = &document.value;
    let mut walker = Walker::new(file, document.syntax, root, KeyRule::ScalarId);
    for (object, message) in external {
        walker.note(object, "external_ref", message.clone());
    }
    let schemas_at: Pointer = match version {
        Version::V20 => vec!["definitions".to_owned()],
        Version::V30 | Version::V31 => vec!["components".to_owned(), "schemas".to_owned()],
    };
    if let Some(paths) = root.get("paths")
        && !paths.is_object()
    {
        walker.problem(
            &["paths".to_owned()],
            "`paths` must be an object of path items".to_owned(),
            None,
        );
    }

    let mut names: Vec<(String, Pointer)> = Vec::new();
    match walker.at(&schemas_at) {
        None => {}
        Some(Value::Object(schemas)) => {
            for name in schemas.keys() {
                names.push((name.clone(), child(&schemas_at, name)));
            }
        }
        Some(_) => walker.problem(
            &schemas_at,
            "the schemas must be an object of named schemas".to_owned(),
            None,
        ),
    }

    let mut entity_pointers = Vec::new();
    for (name, pointer) in &names {
        if walker.classify(pointer, name) == Classified::Entity {
            entity_pointers.push((name.clone(), pointer.clone()));
        }
    }
    let envelopes = envelopes::find(root, &mut walker, &entity_pointers, &outline.operations);
    entity_pointers
        .retain(|(_, pointer)| !envelopes.contains_key(&super::json_schema::pointer_text(pointer)));
    for envelope in envelopes.values() {
        walker.undeclare_entity(&envelope.name);
        let about = if envelope.about.is_empty() {
            String::new()
        } else {
            format!(
                ", with {} about the list",
                envelope
                    .about
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        walker.note(
            &envelope.name,
            "list_envelope",
            format!(
                "`{}` wraps a list of `{}` rows in `{}`{about}: it is no entity of its own; an \
                 operation answering it lists `{}`, and a property of its type keeps the list as \
                 the API sends it",
                envelope.name, envelope.item, envelope.rows, envelope.item
            ),
        );
    }
    for (name, pointer) in &entity_pointers {
        walker.allow_references_to(pointer, name);
    }
    walker.prepare(&entity_pointers);
    let mut entities = std::collections::BTreeMap::new();
    for (name, pointer) in &entity_pointers {
        if let Some(entity) = walker.entity(pointer, name) {
            entities.insert(name.clone(), entity);
        }
    }
    walker.distinct_tables(&mut entities);
    lists::relate(root, &mut walker, &entity_pointers, &mut entities);

    let mut operations = Vec::new();
    let mut uses: Vec<Vec<String>> = Vec::new();
    for operation in outline.operations {
        if !operation.path.starts_with('/') {
            walker.note(
                &format!("{} {}", operation.method, operation.path),
                "operation",
                "the path does not start with `/`; the operation is left out".to_owned(),
            );
            continue;
        }
        let mut named: Vec<String> = Vec::new();
        for reference in &operation.references {
            referenced_entities(root, &walker, &envelopes, reference, 0, &mut named);
        }
        named.retain(|name| entities.contains_key(name));
        named.sort_unstable();
        named.dedup();
        let entity = match named.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        uses.push(named);
        operations.push(Operation {
            method: operation.method,
            path: operation.path,
            id: operation.id,
            entity,
            summary: operation.summary,
            ..Operation::default()
        });
    }
    serving::annotate(root, version, &walker, &mut operations);
    let (renames, folded) = serving::fold_variants(&mut entities, &mut operations, &uses);
    for (form, row) in &folded {
        walker.note(
            form,
            "resource_form",
            format!(
                "`{form}` is a form of `{row}` that its operations send or answer; it is not an \
                 entity of its own"
            ),
        );
    }
    for (from, to) in &renames {
        walker.note(
            from,
            "renamed",
            format!("the rows of `{from}` are the entity `{to}`, named after its collection"),
        );
    }

    lists::id_lists(&mut walker, &entities, &operations);
    note_unserved(root, &schemas_at, &mut walker);
    note_documentation(root, &schemas_at, &mut walker, &mut entities);
    let credentials = security::credentials(root, version, &mut walker);

    let (mut enums, ledger) = walker.finish()?;
    if !folded.is_empty() || !renames.is_empty() {
        rename_enums(&mut enums, &mut entities, &folded, &renames);
    }
    let manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project {
            name: outline.title.filter(|t| !t.trim().is_empty()),
        },
        source: Some(Source {
            engine: SourceEngine::Openapi,
            url: None,
            schemas: Vec::new(),
        }),
        enums,
        entities,
        api: Some(Api {
            base_url: outline.base_url,
            operations,
            upstream: credentials.map(|credentials| Upstream {
                credentials: Some(credentials),
                ..Upstream::default()
            }),
            ..Api::default()
        }),
        auth: None,
        ..Manifest::default()
    };
    Ok(Introspection { manifest, ledger })
}
