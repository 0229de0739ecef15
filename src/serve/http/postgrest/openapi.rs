//! The profile's own OpenAPI description, served at its root (`GET
//! /rest/v1/`) as PostgREST serves one at its root: a path per entity
//! with PostgREST's parameters (`select`, `order`, `limit`, `offset`,
//! `on_conflict`, `columns`, one filter per column, `Range`, `Range-Unit`,
//! `Prefer`), its answers (bare arrays, `Content-Range`) and its error
//! body (`code`, `message`, `details`, `hint`).
//!
//! OpenAPI 3.0.3 rather than PostgREST's Swagger 2.0, and rather than the
//! 3.1 of `/api`, so the tools that read PostgREST-era documents (and the
//! `openapiv3` crate) read it: the row and body schemas are those of
//! `/api` ([`shape_schema`]) written in 3.0's dialect ([`downgrade`]).
//! Every entity is listed, as `/api`'s document and discovery list them:
//! rules narrow the rows an entity answers, not the routes.

use serde_json::{Map, Value, json};

use crate::codegen::jsonschema::{Shape, shape_schema};
use crate::codegen::names::TypeNames;
use crate::codegen::openapi::{encode_segment, info, tenanted};
use crate::manifest::{Entity, FieldType, Manifest};

/// The media type PostgREST answers its root with.
pub const MEDIA: &str = "application/openapi+json; charset=utf-8";

/// Query parameters of the profile that are not column filters: a column
/// of one of these names cannot be filtered in the query string.
const RESERVED: &[&str] = &[
    "select",
    "order",
    "limit",
    "offset",
    "on_conflict",
    "columns",
    "or",
    "and",
];

/// The operators a column filter takes (docs/postgrest.md); the others
/// (`fts`, range operators, ...) are 400.
const OPERATORS: &str = "eq|neq|gt|gte|lt|lte|like|ilike|match|imatch|in|is|isdistinct|cs";

/// The document of the profile mounted at `prefix` for `manifest`.
pub fn document(manifest: &Manifest, prefix: &str) -> Value {
    let names = TypeNames::new(manifest);
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Error".into(), error_schema());
    paths.insert("/".into(), root_item());
    for (name, entity) in &manifest.entities {
        let base = names.entity(name);
        let mut row = shape_schema(manifest, name, entity, Shape::Row);
        // `select` narrows the rows, and embeds, aliases and JSON paths add
        // keys: a row requires nothing and may hold more.
        row.remove("required");
        row.insert(
            "description".into(),
            format!(
                "A row of `{name}`{}; `select` picks, renames and adds (embedded resources) keys",
                entity
                    .comment
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            )
            .into(),
        );
        let mut row = downgrade(Value::Object(row));
        annotate_keys(&mut row, entity);
        schemas.insert(format!("{base}Row"), row);
        if !entity.is_read_only() {
            for shape in [Shape::Insert, Shape::Update] {
                let schema = shape_schema(manifest, name, entity, shape);
                schemas.insert(
                    format!("{base}{}", shape.suffix()),
                    downgrade(Value::Object(schema)),
                );
            }
        }
        paths.insert(
            format!("/{}", encode_segment(name)),
            table_item(name, base, entity),
        );
    }
    paths.insert("/rpc/{function}".into(), rpc_item());
    let mut document = json!({
        "openapi": "3.0.3",
        "info": info(manifest, "The PostgREST-compatible profile of `baas serve` (docs/postgrest.md): PostgREST's wire rules over this manifest's entities."),
        "servers": [{ "url": prefix, "description": "the `baas serve` that serves this document" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": parameters(),
            "responses": error_responses(),
        },
    });
    if manifest.auth.is_some() {
        // Supabase's clients send the project key as `apikey` and the
        // signed-in user's token as a bearer token; neither is required
        // (anonymous callers get what the rules give them).
        document["components"]["securitySchemes"] = json!({
            "apikey": { "type": "apiKey", "in": "header", "name": "apikey",
                "description": "the service key, or a JWT signed with `[auth]`'s key (an anon key)" },
            "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
        });
        document["security"] =
            json!([{}, { "apikey": [] }, { "bearer": [] }, { "apikey": [], "bearer": [] }]);
    }
    if let Some(tenancy) = &manifest.tenancy {
        // The root and `/rpc` answer the same for every tenant.
        tenanted(&mut document, tenancy, |path| {
            path == "/" || path.starts_with("/rpc/")
        });
    }
    document
}

/// A 2020-12 schema (as `/api` writes them) in OpenAPI 3.0's dialect:
/// `type: [t, "null"]` becomes `nullable`, several types an `anyOf`,
/// `contentEncoding: base64` the `byte` format, `const` a one-value `enum`.
pub fn downgrade(schema: Value) -> Value {
    let Value::Object(mut object) = schema else {
        return schema;
    };
    if let Some(Value::Array(types)) = object
        .get("type")
        .is_some_and(Value::is_array)
        .then(|| object.remove("type"))
        .flatten()
    {
        let nullable = types.iter().any(|t| t == "null");
        let mut kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        match kept.len() {
            0 => {}
            1 => {
                object.insert("type".into(), kept.remove(0));
            }
            _ => {
                let choices: Vec<Value> = kept.into_iter().map(|t| json!({ "type": t })).collect();
                object.insert("anyOf".into(), Value::Array(choices));
            }
        }
        if nullable {
            object.insert("nullable".into(), true.into());
        }
    }
    if object.remove("contentEncoding").is_some() {
        object.insert("format".into(), "byte".into());
    }
    if let Some(value) = object.remove("const") {
        object.insert("enum".into(), json!([value]));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.remove(key) {
            object.insert(key.into(), downgrade(inner));
        }
    }
    if let Some(Value::Object(properties)) = object.remove("properties") {
        let properties: Map<String, Value> = properties
            .into_iter()
            .map(|(name, inner)| (name, downgrade(inner)))
            .collect();
        object.insert("properties".into(), Value::Object(properties));
    }
    Value::Object(object)
}

/// PostgREST's notes on key columns, in its words, so tools that read
/// them from PostgREST's documents read them here too.
fn annotate_keys(row: &mut Value, entity: &Entity) {
    let Some(properties) = row.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    let mut notes: Vec<(String, String)> = entity
        .primary_key
        .iter()
        .map(|field| (field.clone(), "This is a Primary Key.<pk/>".to_owned()))
        .collect();
    for relation in &entity.relations {
        for (field, target) in relation.fields.iter().zip(&relation.references.fields) {
            let to = &relation.references.entity;
            notes.push((
                field.clone(),
                format!(
                    "This is a Foreign Key to `{to}.{target}`.<fk table='{to}' column='{target}'/>"
                ),
            ));
        }
    }
    for (field, note) in notes {
        let Some(Value::Object(schema)) = properties.get_mut(&field) else {
            continue;
        };
        let text = match schema.get("description").and_then(Value::as_str) {
            Some(described) => format!("{described}\n\nNote:\n{note}"),
            None => format!("Note:\n{note}"),
        };
        schema.insert("description".into(), text.into());
    }
}

fn component(kind: &str, name: &str) -> Value {
    json!({ "$ref": format!("#/components/{kind}/{name}") })
}

fn schema_ref(name: &str) -> Value {
    component("schemas", name)
}

/// `components.parameters`: PostgREST's parameters every table shares.
fn parameters() -> Map<String, Value> {
    let prefer = |tokens: &str| {
        json!({ "name": "Prefer", "in": "header", "required": false,
            "schema": { "type": "string" },
            "description": format!("Preferences, comma-separated: {tokens}; the honoured ones come back in `Preference-Applied`") })
    };
    let mut out = Map::new();
    let mut put = |name: &str, value: Value| {
        out.insert(name.into(), value);
    };
    put(
        "select",
        json!({ "name": "select", "in": "query", "required": false, "schema": { "type": "string" },
            "description": "Columns to return, comma-separated (default `*`): `*`, `alias:column`, `column::text`, JSON paths (`data->a->>b`), embedded resources through relations (`author(name)`, `author!inner(*)`, `author!book_author_fkey(*)`, `...author(name)`); an embedded resource takes filters, `order`, `limit` and `offset` as parameters prefixed by its name (`author.name=eq.x`)" }),
    );
    put(
        "order",
        json!({ "name": "order", "in": "query", "required": false, "schema": { "type": "string" },
            "description": "Sort: `column[.asc|.desc][.nullsfirst|.nullslast]`, comma-separated" }),
    );
    put(
        "limit",
        json!({ "name": "limit", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 0, "maximum": i64::MAX },
            "description": "Rows to return at most (and at most 1,000 per read)" }),
    );
    put(
        "offset",
        json!({ "name": "offset", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 0, "maximum": i64::MAX },
            "description": "Rows to skip" }),
    );
    put(
        "or",
        json!({ "name": "or", "in": "query", "required": false,
            "schema": { "type": "string", "pattern": "^\\(.*\\)$" },
            "description": "Filters any of which holds: `(pages.gt.300,genre.eq.poetry)`; groups nest (`and(...)`, `not.or(...)`)" }),
    );
    put(
        "and",
        json!({ "name": "and", "in": "query", "required": false,
            "schema": { "type": "string", "pattern": "^\\(.*\\)$" },
            "description": "Filters all of which hold: `(pages.gt.100,pages.lt.300)`" }),
    );
    put(
        "on_conflict",
        json!({ "name": "on_conflict", "in": "query", "required": false, "schema": { "type": "string" },
            "description": "The unique columns an upsert (`Prefer: resolution=...`) matches on, comma-separated (default: the primary key)" }),
    );
    put(
        "columns",
        json!({ "name": "columns", "in": "query", "required": false, "schema": { "type": "string" },
            "description": "The body's columns to insert, comma-separated (others are left to their defaults)" }),
    );
    put(
        "range",
        json!({ "name": "Range", "in": "header", "required": false,
            "schema": { "type": "string", "pattern": "^\\d+-\\d*$" },
            "description": "The window of rows, `first-last` (from 0) or `first-`, when the query string gives no `limit`/`offset`" }),
    );
    put(
        "rangeUnit",
        json!({ "name": "Range-Unit", "in": "header", "required": false,
            "schema": { "type": "string", "enum": ["items"] },
            "description": "The unit of `Range`" }),
    );
    put(
        "preferRead",
        prefer(
            "`count=exact`, `count=planned` or `count=estimated` (the total in `Content-Range`)",
        ),
    );
    put(
        "preferInsert",
        prefer(
            "`return=minimal` (default), `return=representation` or `return=headers-only`; `resolution=merge-duplicates` or `resolution=ignore-duplicates` (upsert, see `on_conflict`); `missing=default`; `count=exact`",
        ),
    );
    put(
        "preferWrite",
        prefer(
            "`return=minimal` (default) or `return=representation`; `count=exact` (the rows written, in `Content-Range`)",
        ),
    );
    out
}

/// `components.responses`: the error answers.
fn error_responses() -> Map<String, Value> {
    let error = |description: &str| {
        json!({ "description": description,
            "content": { "application/json": { "schema": schema_ref("Error") } } })
    };
    let mut out = Map::new();
    for (name, description) in [
        (
            "BadRequest",
            "400: the query or the body is not valid (`PGRST100`, `PGRST102`, `42703`, `22P02`, `23502`, ...; `21000` for a write without a filter)",
        ),
        (
            "NotAcceptable",
            "406: one object asked for (`Accept: application/vnd.pgrst.object+json`) and not exactly one row (`PGRST116`), or no media type served (`PGRST107`)",
        ),
        (
            "RangeNotSatisfiable",
            "416: the window starts past the last row (`PGRST103`)",
        ),
        (
            "Conflict",
            "409: a unique (`23505`) or reference (`23503`) violation",
        ),
        ("ReadOnly", "405: a view written to (`PGRST101`)"),
        (
            "NoFunction",
            "404: baas serves no database functions (`PGRST202`)",
        ),
    ] {
        out.insert(name.into(), error(description));
    }
    // What the server refuses before the profile sees the request (another
    // site's origin, an unknown host, a body that is not JSON, limits) is
    // an RFC 9457 problem, as on `/api`.
    let any = |range: &str| {
        json!({ "description": format!("{range}: other refusals and failures: PostgREST's error body, or a problem (RFC 9457) for what the server refuses before the profile (origin, host, media type, size, rate limits)"),
            "content": {
                "application/json": { "schema": schema_ref("Error") },
                "application/problem+json": { "schema": { "type": "object",
                    "properties": { "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" } } } },
            } })
    };
    out.insert("ClientError".into(), any("4XX"));
    out.insert("ServerError".into(), any("5XX"));
    out
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "PostgREST's error body: `code` is a PostgREST code (`PGRST...`) or a SQLSTATE (docs/postgrest.md, Errors)",
        "properties": {
            "code": { "type": "string" },
            "message": { "type": "string" },
            "details": { "type": "string", "nullable": true },
            "hint": { "type": "string", "nullable": true },
        },
        "required": ["code", "message", "details", "hint"],
    })
}

/// Responses: the success ones given, then the errors named, then the
/// ranges.
fn responses(success: &[(&str, Value)], errors: &[(u16, &str)]) -> Value {
    let mut out = Map::new();
    for (status, response) in success {
        out.insert((*status).into(), response.clone());
    }
    for (status, name) in errors {
        out.insert(status.to_string(), component("responses", name));
    }
    out.insert("4XX".into(), component("responses", "ClientError"));
    out.insert("5XX".into(), component("responses", "ServerError"));
    Value::Object(out)
}

fn content_range(required: bool) -> Value {
    json!({ "Content-Range": { "required": required,
        "description": "The window answered and the total when counted: `0-9/100`, `0-9/*`, `*/0`",
        "schema": { "type": "string", "pattern": "^(\\d+-\\d+|\\*)/(\\d+|\\*)$" } } })
}

/// An answer of rows: a JSON array, one object, or CSV.
fn rows(base: &str, description: &str, range_required: bool) -> Value {
    let row = schema_ref(&format!("{base}Row"));
    json!({
        "description": description,
        "headers": content_range(range_required),
        "content": {
            "application/json": { "schema": { "type": "array", "items": row } },
            "application/vnd.pgrst.object+json": { "schema": row },
            "text/csv": { "schema": { "type": "string" } },
        },
    })
}

fn table_item(name: &str, base: &str, entity: &Entity) -> Value {
    let shared = |names: &[&str]| -> Vec<Value> {
        names
            .iter()
            .map(|name| component("parameters", name))
            .collect()
    };
    let filters = column_filters(entity);
    let with_filters = |mut list: Vec<Value>| {
        list.extend(filters.iter().cloned());
        list
    };
    let mut item = Map::new();
    item.insert(
        "get".into(),
        json!({
            "operationId": format!("read{base}"),
            "summary": format!("Rows of `{name}`"),
            "tags": [name],
            "parameters": with_filters(shared(&["select", "order", "limit", "offset", "or", "and", "range", "rangeUnit", "preferRead"])),
            "responses": responses(
                &[
                    ("200", rows(base, "The rows, as a JSON array (or one object, or CSV, as `Accept` asks)", true)),
                    ("206", rows(base, "A counted window short of the total", true)),
                ],
                &[(400, "BadRequest"), (406, "NotAcceptable"), (416, "RangeNotSatisfiable")],
            ),
        }),
    );
    if entity.is_read_only() {
        return Value::Object(item);
    }
    let written =
        |status: &str, description: &str| (status.to_owned(), rows(base, description, false));
    let created = written(
        "201",
        "Created: the rows written with `Prefer: return=representation`, no body otherwise (`Location` with `return=headers-only`)",
    );
    let mut created_response = created.1;
    created_response["headers"]["Location"] = json!({ "required": false,
        "description": "The row created, as a filter: `/book?id=eq.7`", "schema": { "type": "string" } });
    let insert = schema_ref(&format!("{base}Insert"));
    item.insert(
        "post".into(),
        json!({
            "operationId": format!("insert{base}"),
            "summary": format!("Insert one `{name}` row, or an array of them (one transaction), or upsert them"),
            "tags": [name],
            "parameters": shared(&["select", "columns", "on_conflict", "preferInsert"]),
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "oneOf": [insert, { "type": "array", "items": insert }] } } } },
            "responses": responses(
                &[("201", created_response)],
                &[(400, "BadRequest"), (405, "ReadOnly"), (409, "Conflict")],
            ),
        }),
    );
    let no_content = json!({ "description": "Written, with `Prefer: return=minimal` (the default)", "headers": content_range(false) });
    let filtered = "Every row the filters match (a write without a filter is 400 `21000` unless `[api] unfiltered_writes = true`; at most 10,000 rows), in one transaction";
    item.insert(
        "patch".into(),
        json!({
            "operationId": format!("update{base}"),
            "summary": format!("Change the given columns of `{name}` rows"),
            "description": filtered,
            "tags": [name],
            "parameters": with_filters(shared(&["select", "order", "limit", "offset", "or", "and", "preferWrite"])),
            "requestBody": { "required": true, "content": { "application/json": { "schema": schema_ref(&format!("{base}Update")) } } },
            "responses": responses(
                &[
                    ("200", rows(base, "The rows as changed, with `Prefer: return=representation`", false)),
                    ("204", no_content.clone()),
                ],
                &[(400, "BadRequest"), (405, "ReadOnly"), (409, "Conflict")],
            ),
        }),
    );
    item.insert(
        "delete".into(),
        json!({
            "operationId": format!("delete{base}"),
            "summary": format!("Delete `{name}` rows"),
            "description": filtered,
            "tags": [name],
            "parameters": with_filters(shared(&["select", "order", "limit", "offset", "or", "and", "preferWrite"])),
            "responses": responses(
                &[
                    ("200", rows(base, "The rows as they were, with `Prefer: return=representation`", false)),
                    ("204", no_content),
                ],
                &[(400, "BadRequest"), (405, "ReadOnly"), (409, "Conflict")],
            ),
        }),
    );
    Value::Object(item)
}

/// One query parameter per column: a filter in PostgREST's grammar.
fn column_filters(entity: &Entity) -> Vec<Value> {
    let pattern = format!("^(not\\.)?({OPERATORS})(\\((any|all)\\))?\\..*$");
    entity
        .fields
        .iter()
        .filter(|(name, _)| !RESERVED.contains(&name.as_str()))
        .map(|(name, field)| {
            let json = if field.ty == FieldType::Json || field.ty == FieldType::Object {
                "; a JSON path filters inside it (`column->a->>b=eq.x`, `->` compares JSON values, `->>` text)"
            } else {
                ""
            };
            json!({
                "name": name, "in": "query", "required": false,
                "schema": { "type": "string", "pattern": pattern },
                "description": format!(
                    "Filter on `{name}` ({}): `operator.value` with PostgREST's operators `eq neq gt gte lt lte like ilike match imatch in is isdistinct cs`, `not.` before any, `(any)`/`(all)` after `eq like ilike gt gte lt lte match imatch` (`in.(a,b)`, `is.null`, `like.*x*`, `cs.{{a,b}}`, `eq(any).{{a,b}}`){json}",
                    field.type_label()
                ),
            })
        })
        .collect()
}

fn root_item() -> Value {
    json!({ "get": {
        "operationId": "openapi",
        "summary": "This document",
        "tags": ["meta"],
        "responses": responses(
            &[
                ("200", json!({ "description": "The OpenAPI 3.0 description of the profile",
                    "content": { "application/openapi+json": { "schema": { "type": "object" } } } })),
                ("304", json!({ "description": "Not modified: the document has the `ETag` given in `If-None-Match`" })),
            ],
            &[],
        ),
    } })
}

fn rpc_item() -> Value {
    let operation = |method: &str| {
        json!({
            "operationId": format!("rpc{method}"),
            "summary": "Database functions: none are served",
            "description": "baas serves entities, not database functions: every function is 404 `PGRST202`",
            "tags": ["rpc"],
            "responses": responses(&[], &[(404, "NoFunction")]),
        })
    };
    let mut post = operation("Post");
    post["requestBody"] = json!({ "required": false,
        "content": { "application/json": { "schema": { "type": "object" } } } });
    json!({
        "parameters": [{ "name": "function", "in": "path", "required": true, "schema": { "type": "string" } }],
        "get": operation("Get"),
        "post": post,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrade_writes_nullable_any_of_and_byte() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": { "type": ["string", "null"], "enum": ["x", null] },
                "b": { "type": ["string", "number"], "format": "decimal" },
                "c": { "type": "array", "items": { "type": ["integer", "null"] } },
                "d": { "type": "string", "contentEncoding": "base64" },
                "e": { "const": 1 },
            },
        });
        assert_eq!(
            downgrade(schema),
            json!({
                "type": "object",
                "properties": {
                    "a": { "type": "string", "nullable": true, "enum": ["x", null] },
                    "b": { "anyOf": [{ "type": "string" }, { "type": "number" }], "format": "decimal" },
                    "c": { "type": "array", "items": { "type": "integer", "nullable": true } },
                    "d": { "type": "string", "format": "byte" },
                    "e": { "enum": [1] },
                },
            })
        );
    }

    #[test]
    fn with_tenancy_each_table_takes_the_tenant_header_and_the_root_does_not() {
        let manifest = crate::manifest::load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1

[tenancy]
strategy = "file"
resolve = ["header:X-Org"]

[entities.book]
primary_key = ["id"]
[entities.book.fields]
id = { type = "int64" }
"#
            .to_owned(),
        )
        .expect("manifest")
        .manifest;
        let document = document(&manifest, "/rest/v1");
        assert_eq!(
            document["components"]["parameters"]["Tenant"]["name"],
            "x-org"
        );
        let tenant = json!({ "$ref": "#/components/parameters/Tenant" });
        let takes = |path: &str| {
            document["paths"][path]["parameters"]
                .as_array()
                .is_some_and(|list| list.contains(&tenant))
        };
        assert!(takes("/book"), "{}", document["paths"]["/book"]);
        assert!(!takes("/"));
        assert!(!takes("/rpc/{function}"));
        assert_eq!(document["x-baas-tenancy"]["header"], "x-org");
    }
}
