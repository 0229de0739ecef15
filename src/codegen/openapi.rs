//! The OpenAPI 3.1 document of the served API (docs/api.md).
//!
//! Component names are the type names of [`super::names::TypeNames`]
//! (`FilmRow`, `FilmInsert`, `FilmUpdate`, `FilmList`), and the row and body
//! schemas are exactly [`super::jsonschema::shape_schema`].

use serde_json::{Map, Value, json};

use super::jsonschema::{Shape, shape_schema};
use super::names::TypeNames;
use crate::manifest::links::{Link, links};
use crate::manifest::{Entity, Manifest};

/// Query parameters of the list route that are not fields.
pub const RESERVED_PARAMETERS: &[&str] = &[
    "where", "select", "order", "limit", "offset", "count", "expand", "or", "and",
];

/// The error statuses of docs/api.md, with their problem types and titles.
const PROBLEMS: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "the query or body is not valid (`bad-query`, `bad-body`)",
    ),
    (
        404,
        "NotFound",
        "unknown entity, or no row with that id (`not-found`)",
    ),
    (405, "ReadOnly", "writing to a view (`read-only`)"),
    (
        409,
        "Conflict",
        "unique, primary key or foreign key violation (`conflict`, `reference`)",
    ),
    (413, "TooLarge", "the body is over the limit (`too-large`)"),
    (
        422,
        "Validation",
        "the body fails validation, `errors` per field (`validation`)",
    ),
    (
        4,
        "ClientError",
        "any other refusal of the request: another site's origin (`origin`), an unknown host name (`unknown-host`), a body that is not JSON (`media-type`)",
    ),
    (500, "Internal", "an unexpected failure (`internal`)"),
    (
        503,
        "Unavailable",
        "the database cannot be reached (`unavailable`)",
    ),
];

/// The document `baas serve` exposes at `/api/_openapi.json` and
/// `baas codegen openapi` writes.
pub fn document(manifest: &Manifest) -> Value {
    let names = TypeNames::new(manifest);
    let all_links = links(manifest);
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Problem".into(), problem_schema());
    schemas.insert("Filter".into(), filter_schema());
    schemas.insert("FilterOperators".into(), filter_operators_schema());
    schemas.insert("QueryBody".into(), query_body_schema());
    schemas.insert("FieldFilter".into(), field_filter_schema());

    schemas.insert(
        "RealtimeEvent".into(),
        realtime_event_schema(manifest, &names),
    );

    for (name, entity) in &manifest.entities {
        let base = names.entity(name);
        let entity_links = all_links.get(name).map(Vec::as_slice).unwrap_or_default();
        for shape in Shape::ALL {
            if shape != Shape::Row && entity.is_read_only() {
                continue;
            }
            schemas.insert(
                format!("{base}{}", shape.suffix()),
                Value::Object(shape_schema(manifest, name, entity, shape)),
            );
        }
        // `select=` narrows the rows of a list, so its items require nothing:
        // the same properties as the row, none of them required.
        let mut item = shape_schema(manifest, name, entity, Shape::Row);
        item.remove("required");
        item.insert(
            "description".into(),
            format!("A row of `{name}`; fields left out by `select` are absent").into(),
        );
        schemas.insert(
            format!("{base}List"),
            json!({
                "type": "object",
                "description": format!("A page of `{name}` rows"),
                "properties": {
                    "data": { "type": "array", "items": item },
                    "count": { "type": ["integer", "null"], "minimum": 0, "description": "every matching row, when `count=exact` was asked for; null when the source cannot tell (an upstream API that gives no total)" },
                },
                "required": ["data"],
            }),
        );
        let collection = format!("/api/{}", encode_segment(name));
        paths.insert(
            collection.clone(),
            collection_item(name, base, entity, entity_links),
        );
        paths.insert(format!("{collection}/_query"), query_item(name, base));
        if !entity.primary_key.is_empty() && !entity.is_read_only() {
            paths.insert(format!("{collection}/{{id}}"), row_item(name, base, entity));
        }
    }
    paths.insert(
        "/api/_health".into(),
        json!({ "get": {
            "operationId": "health",
            "summary": "Liveness and database reachability",
            "tags": ["meta"],
            "responses": {
                "200": { "description": "The server and its database are up", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "status": { "type": "string" } }, "required": ["status"] } } } },
                "503": problem_ref(503),
                "4XX": problem_ref(CLIENT_ERROR),
            },
        } }),
    );
    paths.insert(
        "/api/_discovery".into(),
        json!({ "get": {
            "operationId": "discovery",
            "summary": "Entities, fields, relations and permissions",
            "tags": ["meta"],
            "responses": {
                "200": { "description": "The served model", "content": { "application/json": { "schema": { "type": "object" } } } },
                "4XX": problem_ref(CLIENT_ERROR),
            },
        } }),
    );
    paths.insert(
        "/api/_realtime".into(),
        json!({ "get": {
            "operationId": "realtime",
            "summary": "Changes as server-sent events (docs/api.md, Realtime)",
            "tags": ["meta"],
            "parameters": [
                { "name": "subscribe", "in": "query", "required": true,
                  "description": "Entities to follow, `entity` or `entity/{id}`, separated by `,`; each entity may take a filter in the grammar of `where` as a parameter `{entity}.where`",
                  "schema": { "type": "string" } },
                { "name": "Last-Event-ID", "in": "header", "required": false,
                  "description": "Resume after this event id",
                  "schema": { "type": "string" } },
            ],
            "responses": {
                "200": { "description": "An SSE stream: events `create`, `update` and `delete` whose data is a `RealtimeEvent` (`{id, type, entity, key, row, old}`); `reset` (`{reason, last_event_id}`) when a resume is not possible; `close` (`{reason}`) before the server ends the stream (a slow client, an expired token); `:heartbeat` comments",
                    "content": { "text/event-stream": {
                        "schema": { "type": "string", "description": "`id:`, `event:` and `data:` lines; the data of a change is a `RealtimeEvent` in JSON" },
                        "x-event-data": component("RealtimeEvent"),
                    } } },
                "400": problem_ref(400),
                "4XX": problem_ref(CLIENT_ERROR),
            },
        } }),
    );
    paths.insert(
        "/api/_openapi.json".into(),
        json!({ "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["meta"],
            "responses": {
                "200": { "description": "The OpenAPI 3.1 document", "content": { "application/json": { "schema": { "type": "object" } } } },
                "304": { "description": "Not modified: the document has the `ETag` given in `If-None-Match`" },
                "4XX": problem_ref(CLIENT_ERROR),
            },
        } }),
    );

    let mut responses = Map::new();
    for (status, name, description) in PROBLEMS {
        responses.insert(
            (*name).into(),
            json!({
                "description": if *status == CLIENT_ERROR {
                    format!("4XX: {description}")
                } else {
                    format!("{status}: {description}")
                },
                "content": { "application/problem+json": { "schema": component("Problem") } },
            }),
        );
    }

    let mut document = json!({
        "openapi": "3.1.0",
        "info": info(manifest, "The REST API `baas serve` answers for this manifest (docs/api.md)."),
        "jsonSchemaDialect": super::jsonschema::DIALECT,
        "paths": paths,
        "servers": [{ "url": "/", "description": "the `baas serve` that serves this document" }],
        "components": {
            "schemas": schemas,
            "parameters": shared_parameters(),
            "responses": responses,
        },
    });
    if let Some(auth) = &manifest.auth {
        secure(&mut document, &names, auth);
    }
    if let Some(tenancy) = &manifest.tenancy {
        tenanted(&mut document, tenancy, |path| path.starts_with("/api/_"));
    }
    document
}

/// `info`: the project's name (or `baas`) and the manifest's version.
pub fn info(manifest: &Manifest, description: &str) -> Value {
    let title = manifest
        .project
        .name
        .clone()
        .unwrap_or_else(|| "baas".into());
    json!({ "title": title, "version": manifest.version.to_string(), "description": description })
}

/// `[tenancy]`: the tenant header as a parameter of every entity route
/// (`components.parameters.Tenant`), and `x-baas-tenancy` saying every way
/// a request may name its tenant (a token's claim wins; `/t/{tenant}/api`).
/// The paths `platform` says yes to are the platform's own, which no
/// tenant scopes.
pub(crate) fn tenanted(
    document: &mut Value,
    tenancy: &crate::manifest::Tenancy,
    platform: impl Fn(&str) -> bool,
) {
    let wire = tenancy.wire();
    if let Some(object) = document.as_object_mut() {
        object.insert("x-baas-tenancy".into(), wire.clone());
    }
    let Some(header) = wire.get("header").and_then(Value::as_str) else {
        return;
    };
    if let Some(parameters) = document
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        parameters.insert(
            "Tenant".into(),
            json!({
                "name": header,
                "in": "header",
                "required": false,
                "description": "The tenant of the request (a token's tenant claim, when it has one, must name the same)",
                "schema": { "type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$" },
            }),
        );
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if platform(path) {
            continue;
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        if let Some(list) = item
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            list.push(parameter_ref("Tenant"));
        }
    }
}

/// The problems of a server with `[auth]`.
const AUTH_PROBLEMS: &[(u16, &str, &str)] = &[
    (
        401,
        "Unauthorized",
        "the credentials are not valid (`unauthorized`); `WWW-Authenticate` says why",
    ),
    (
        403,
        "Forbidden",
        "the rules refuse the operation (`forbidden`)",
    ),
    (
        429,
        "RateLimited",
        "a rate limit was passed (`rate-limited`); `Retry-After` says when to try again",
    ),
];

/// `[auth]`: security schemes (bearer JWT, the service key), 401/403/429
/// on every entity operation, and the built-in users' routes.
fn secure(document: &mut Value, names: &TypeNames, auth: &crate::manifest::Auth) {
    let refs = |name: &str| json!({ "$ref": format!("#/components/responses/{name}") });
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let entity_route = !path.starts_with("/api/_");
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                let Some(responses) = operation
                    .get_mut("responses")
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                responses.insert("401".into(), refs("Unauthorized"));
                responses.insert("429".into(), refs("RateLimited"));
                if entity_route {
                    responses.insert("403".into(), refs("Forbidden"));
                }
            }
        }
        if let Some(users) = &auth.users {
            let row = component(&format!(
                "{}{}",
                names.entity(&users.entity),
                Shape::Row.suffix()
            ));
            users_paths(paths, row, &refs);
        }
    }
    let Some(components) = document
        .get_mut("components")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if let Some(responses) = components
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        for (status, name, description) in AUTH_PROBLEMS {
            responses.insert(
                (*name).into(),
                json!({
                    "description": format!("{status}: {description}"),
                    "content": { "application/problem+json": { "schema": component("Problem") } },
                }),
            );
        }
    }
    let mut schemes = Map::new();
    schemes.insert(
        "bearer".into(),
        json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <JWT>`: a token of the configured issuer (or of `/api/_auth/login`)",
        }),
    );
    let mut security = vec![json!({}), json!({ "bearer": [] })];
    if auth.service_key.is_some() {
        schemes.insert(
            "serviceKey".into(),
            json!({
                "type": "apiKey",
                "in": "header",
                "name": "apikey",
                "description": "The service key (also accepted as `Authorization: Bearer <key>`): passes every rule",
            }),
        );
        security.push(json!({ "serviceKey": [] }));
    }
    components.insert("securitySchemes".into(), Value::Object(schemes));
    if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
        schemas.insert(
            "Credentials".into(),
            json!({
                "type": "object",
                "properties": {
                    "email": { "type": "string", "format": "email" },
                    "password": { "type": "string", "minLength": 8, "maxLength": 1024 },
                },
                "required": ["email", "password"],
            }),
        );
        schemas.insert(
            "RefreshBody".into(),
            json!({
                "type": "object",
                "properties": { "refresh_token": { "type": "string" } },
                "required": ["refresh_token"],
            }),
        );
    }
    if let Some(object) = document.as_object_mut() {
        // Anonymous callers are allowed too: the rules decide what they see.
        object.insert("security".into(), Value::Array(security));
    }
}

/// `/api/_auth/{signup,login,refresh,logout,me}`.
fn users_paths(paths: &mut Map<String, Value>, row: Value, refs: &dyn Fn(&str) -> Value) {
    let session = json!({
        "type": "object",
        "properties": {
            "access_token": { "type": "string" },
            "token_type": { "const": "bearer" },
            "expires_in": { "type": "integer", "description": "seconds the access token is valid" },
            "refresh_token": { "type": "string", "description": "good for one `refresh`" },
            "user": row,
        },
        "required": ["access_token", "token_type", "expires_in", "refresh_token", "user"],
    });
    let post =
        |id: &str, summary: &str, body: &str, success: (&str, Value), errors: &[(&str, Value)]| {
            let mut responses = Map::new();
            responses.insert(success.0.into(), success.1);
            for (status, response) in errors {
                responses.insert((*status).into(), response.clone());
            }
            responses.insert("4XX".into(), problem_ref(CLIENT_ERROR));
            json!({ "post": {
            "operationId": id,
            "summary": summary,
            "tags": ["auth"],
            "security": [{}],
            "requestBody": { "required": true, "content": json_content(component(body)) },
            "responses": responses,
        } })
        };
    let session_response = |description: &str| json!({ "description": description, "content": json_content(session.clone()) });
    paths.insert(
        "/api/_auth/signup".into(),
        post(
            "signup",
            "Create an account and sign in",
            "Credentials",
            ("201", session_response("Signed up and in")),
            &[
                ("409", problem_ref(409)),
                ("422", problem_ref(422)),
                ("429", refs("RateLimited")),
            ],
        ),
    );
    paths.insert(
        "/api/_auth/login".into(),
        post(
            "login",
            "Sign in with email and password",
            "Credentials",
            ("200", session_response("Signed in")),
            &[
                ("401", refs("Unauthorized")),
                ("422", problem_ref(422)),
                ("429", refs("RateLimited")),
            ],
        ),
    );
    paths.insert(
        "/api/_auth/refresh".into(),
        post(
            "refresh",
            "Exchange a refresh token for a new session (the token is used up)",
            "RefreshBody",
            ("200", session_response("A new session")),
            &[("401", refs("Unauthorized")), ("422", problem_ref(422))],
        ),
    );
    paths.insert(
        "/api/_auth/logout".into(),
        post(
            "logout",
            "End the session of a refresh token",
            "RefreshBody",
            ("204", json!({ "description": "Signed out" })),
            &[("422", problem_ref(422))],
        ),
    );
    paths.insert(
        "/api/_auth/me".into(),
        json!({ "get": {
            "operationId": "me",
            "summary": "The signed-in user",
            "tags": ["auth"],
            "security": [{ "bearer": [] }],
            "responses": {
                "200": { "description": "The user", "content": json_content(json!({
                    "type": "object", "properties": { "user": row_of(&session) }, "required": ["user"],
                })) },
                "401": refs("Unauthorized"),
                "4XX": problem_ref(CLIENT_ERROR),
            },
        } }),
    );
}

fn row_of(session: &Value) -> Value {
    session["properties"]["user"].clone()
}

/// `{entity}` in a path: percent-encoded except unreserved characters.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The list parameters shared by every entity: component name, parameter.
const SHARED_LIST_PARAMETERS: &[(&str, &str)] = &[
    ("Where", "where"),
    ("Or", "or"),
    ("And", "and"),
    ("Order", "order"),
    ("Limit", "limit"),
    ("Offset", "offset"),
    ("Count", "count"),
];

fn parameter_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

/// `components.parameters`: the list parameters every entity shares.
fn shared_parameters() -> Map<String, Value> {
    let mut out = Map::new();
    for (component_name, name) in SHARED_LIST_PARAMETERS
        .iter()
        .chain(&[("BulkLimit", "bulk_limit")])
    {
        let parameter = match *name {
            "where" => json!({
                "name": "where", "in": "query",
                "description": "Filter, JSON form: `{\"field\": {\"op\": value}}` with `and`/`or`/`not` (docs/api.md, Filter grammar)",
                "content": { "application/json": { "schema": component("Filter") } },
            }),
            "or" => json!({ "name": "or", "in": "query", "schema": { "type": "string" },
                "description": "OR group, shorthand: `(rating.eq.G,rating.eq.PG)`" }),
            "and" => json!({ "name": "and", "in": "query", "schema": { "type": "string" },
                "description": "AND group, shorthand: `(a.gt.1,or(b.eq.2,c.is.null))`" }),
            "order" => json!({ "name": "order", "in": "query", "schema": { "type": "string" },
                "description": "Sort: `field[.asc|.desc][.nullsfirst|.nullslast]`, comma-separated" }),
            "limit" => json!({ "name": "limit", "in": "query",
                "schema": { "type": "integer", "minimum": 0, "maximum": 1000, "default": 100 } }),
            "bulk_limit" => json!({ "name": "limit", "in": "query",
                "schema": { "type": "integer", "minimum": 0, "maximum": 1000 },
                "description": "Rows to write at most; without it, every matching row up to 10,000" }),
            "offset" => json!({ "name": "offset", "in": "query",
                "schema": { "type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0 } }),
            _ => {
                json!({ "name": "count", "in": "query", "schema": { "type": "string", "enum": ["exact"] },
                "description": "`exact` adds `count` (every matching row) to the envelope" })
            }
        };
        out.insert((*component_name).into(), parameter);
    }
    out
}

fn field_filter_schema() -> Value {
    json!({
        "type": "string",
        "description": "A filter on the field named by the parameter, shorthand: `op.value` or `not.op.value` (`eq.x`, `in.(a,b)`, `is.null`, `ilike.*x*` on text); the parameter's description is the field's type",
    })
}

fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn problem_ref(status: u16) -> Value {
    let name = PROBLEMS
        .iter()
        .find(|(code, _, _)| *code == status)
        .map_or("Internal", |(_, name, _)| name);
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn responses(success: (&str, Value), errors: &[u16]) -> Value {
    let mut out = Map::new();
    out.insert(success.0.into(), success.1);
    for status in errors {
        out.insert(status.to_string(), problem_ref(*status));
    }
    // Refusals any route may give (origin, host, media type, limits).
    out.insert("4XX".into(), problem_ref(CLIENT_ERROR));
    Value::Object(out)
}

/// The status that stands for the `4XX` range in [`PROBLEMS`].
const CLIENT_ERROR: u16 = 4;

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn collection_item(name: &str, base: &str, entity: &Entity, entity_links: &[Link]) -> Value {
    // The list parameters every entity shares are components; only
    // `select`, `expand` and the per-field filters are the entity's own.
    let mut parameters: Vec<Value> = SHARED_LIST_PARAMETERS
        .iter()
        .map(|(component, _)| parameter_ref(component))
        .collect();
    parameters.insert(3, select_parameter(entity, entity_links));
    if let Some(parameter) = expand_parameter(entity_links) {
        parameters.push(parameter);
    }
    // The grammar is described once, on the `FieldFilter` schema.
    let filters: Vec<Value> = entity
        .fields
        .iter()
        .filter(|(field_name, _)| !RESERVED_PARAMETERS.contains(&field_name.as_str()))
        .map(|(field_name, field)| {
            json!({
                "name": field_name, "in": "query", "schema": component("FieldFilter"),
                "description": field.type_label(),
            })
        })
        .collect();
    parameters.extend(filters.iter().cloned());
    let mut item = Map::new();
    item.insert(
        "get".into(),
        json!({
            "operationId": format!("list{base}"),
            "summary": format!("List `{name}` rows"),
            "tags": [name],
            "parameters": parameters,
            "responses": responses(
                ("200", json!({ "description": "The matching rows", "content": json_content(component(&format!("{base}List"))) })),
                &[400, 404, 500, 503],
            ),
        }),
    );
    if !entity.is_read_only() {
        item.insert(
            "post".into(),
            json!({
                "operationId": format!("create{base}"),
                "summary": format!("Insert one `{name}` row"),
                "tags": [name],
                "requestBody": { "required": true, "content": json_content(component(&format!("{base}Insert"))) },
                "responses": responses(
                    ("201", json!({
                        "description": "The row as stored",
                        "headers": { "Location": { "description": "The new row's URL", "schema": { "type": "string" } } },
                        "content": json_content(component(&format!("{base}Row"))),
                    })),
                    &[400, 404, 405, 409, 413, 422, 500, 503],
                ),
            }),
        );
        bulk_writes(&mut item, name, base, entity, filters);
    }
    Value::Object(item)
}

/// `PATCH`/`DELETE /api/{entity}?filter` (docs/api.md, Writing many rows).
fn bulk_writes(
    item: &mut Map<String, Value>,
    name: &str,
    base: &str,
    entity: &Entity,
    filters: Vec<Value>,
) {
    let mut parameters: Vec<Value> = ["Where", "Or", "And", "Order", "BulkLimit", "Offset"]
        .iter()
        .map(|component| parameter_ref(component))
        .collect();
    parameters.push(json!({
        "name": "select", "in": "query", "style": "form", "explode": false,
        "schema": { "type": "array", "items": field_names(entity) },
        "description": "Fields of the rows answered, comma-separated (default: all)",
    }));
    parameters.extend(filters);
    let rows = |what: &str| json!({ "description": what, "content": json_content(component(&format!("{base}List"))) });
    let refused = "A filter is required (`where`, a field filter, `or`/`and`): without one the write is refused with 400 `bad-query` unless `[api] unfiltered_writes = true`. `order`, `limit` and `offset` choose the rows (at most 10,000); each row is written as one operation (its rules, hooks and events), in one transaction except on MongoDB.";
    item.insert(
        "patch".into(),
        json!({
            "operationId": format!("update{base}Where"),
            "summary": format!("Change the given fields of every `{name}` row the filter matches"),
            "description": refused,
            "tags": [name],
            "parameters": parameters.clone(),
            "requestBody": { "required": true, "content": json_content(component(&format!("{base}Update"))) },
            "responses": responses(
                ("200", rows("The rows as changed")),
                &[400, 404, 409, 413, 422, 500, 503],
            ),
        }),
    );
    item.insert(
        "delete".into(),
        json!({
            "operationId": format!("delete{base}Where"),
            "summary": format!("Delete every `{name}` row the filter matches"),
            "description": refused,
            "tags": [name],
            "parameters": parameters,
            "responses": responses(
                ("200", rows("The rows as they were")),
                &[400, 404, 409, 500, 503],
            ),
        }),
    );
}

/// A field name of `entity`, as a schema.
fn field_names(entity: &Entity) -> Value {
    let fields: Vec<&str> = entity.fields.keys().map(String::as_str).collect();
    if fields.is_empty() {
        json!({ "type": "string" })
    } else {
        json!({ "type": "string", "enum": fields })
    }
}

/// `select` of a read: fields, `*`, and links embedded with their own
/// fields (`author(name)`), so a plain string rather than a list (a link's
/// fields hold commas).
fn select_parameter(entity: &Entity, entity_links: &[Link]) -> Value {
    let fields: Vec<&str> = entity.fields.keys().map(String::as_str).collect();
    let links: Vec<&str> = entity_links.iter().map(|link| link.name.as_str()).collect();
    let embeds = if links.is_empty() {
        String::new()
    } else {
        format!(
            "; a link name with its own select in parentheses embeds the related rows (`{}(*)`, `alias:link(a,b)`, `link!inner(...)`; links: {}), not together with `expand`",
            links[0],
            links
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    json!({
        "name": "select", "in": "query",
        "schema": { "type": "string" },
        "description": format!(
            "Fields to return, comma-separated (default: all): `*` for every field, a field name ({}), `alias:field`, a JSON path (`data->a->>b`){embeds}",
            fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        ),
    })
}

fn expand_parameter(entity_links: &[Link]) -> Option<Value> {
    if entity_links.is_empty() {
        return None;
    }
    let described: Vec<String> = entity_links
        .iter()
        .map(|link| {
            format!(
                "`{}` ({} `{}`)",
                link.name,
                if link.many { "array of" } else { "one" },
                link.to
            )
        })
        .collect();
    Some(json!({
        "name": "expand", "in": "query", "schema": { "type": "string" },
        "description": format!(
            "Related rows to nest, comma-separated, dotted for deeper levels (up to 3): {}",
            described.join(", ")
        ),
    }))
}

fn query_item(name: &str, base: &str) -> Value {
    json!({ "post": {
        "operationId": format!("query{base}"),
        "summary": format!("List `{name}` rows, the query as a JSON body"),
        "tags": [name],
        "requestBody": { "required": true, "content": json_content(component("QueryBody")) },
        "responses": responses(
            ("200", json!({ "description": "The matching rows", "content": json_content(component(&format!("{base}List"))) })),
            &[400, 404, 413, 500, 503],
        ),
    } })
}

fn row_item(name: &str, base: &str, entity: &Entity) -> Value {
    let key_schema = match entity.primary_key.as_slice() {
        [single] => match entity.fields.get(single).map(|field| field.ty) {
            Some(ty) if ty.is_integer() => json!({ "type": "integer" }),
            _ => json!({ "type": "string" }),
        },
        _ => json!({ "type": "string" }),
    };
    let id = json!({
        "name": "id", "in": "path", "required": true, "schema": key_schema,
        "description": format!(
            "The primary key ({}){}; a value holding `,` or `/` is percent-encoded",
            entity.primary_key.join(", "),
            if entity.primary_key.len() > 1 { ", values joined by `,` in this order" } else { "" },
        ),
    });
    let row = || json!({ "description": "The row", "content": json_content(component(&format!("{base}Row"))) });
    let body = |shape: &str| json!({ "required": true, "content": json_content(component(&format!("{base}{shape}"))) });
    json!({
        "parameters": [id],
        "get": {
            "operationId": format!("get{base}"),
            "summary": format!("One `{name}` row by primary key"),
            "tags": [name],
            "responses": responses(("200", row()), &[400, 404, 500, 503]),
        },
        "patch": {
            "operationId": format!("update{base}"),
            "summary": format!("Change the given fields of a `{name}` row"),
            "tags": [name],
            "requestBody": body("Update"),
            "responses": responses(("200", row()), &[400, 404, 409, 413, 422, 500, 503]),
        },
        "put": {
            "operationId": format!("replace{base}"),
            "summary": format!("Replace a `{name}` row"),
            "tags": [name],
            "requestBody": body("Insert"),
            "responses": responses(("200", row()), &[400, 404, 409, 413, 422, 500, 503]),
        },
        "delete": {
            "operationId": format!("delete{base}"),
            "summary": format!("Delete a `{name}` row"),
            "tags": [name],
            "responses": responses(("204", json!({ "description": "Deleted" })), &[400, 404, 409, 500, 503]),
        },
    })
}

/// The data of a realtime change event (docs/api.md, Realtime): `row` and
/// `old` are rows of the entity named, or null when absent or not visible.
fn realtime_event_schema(manifest: &Manifest, names: &TypeNames) -> Value {
    let rows: Vec<Value> = manifest
        .entities
        .keys()
        .map(|name| component(&format!("{}Row", names.entity(name))))
        .chain(std::iter::once(json!({ "type": "null" })))
        .collect();
    let entities: Vec<&String> = manifest.entities.keys().collect();
    json!({
        "type": "object",
        "description": "A committed change, as `GET /api/_realtime` sends it",
        "properties": {
            "id": { "type": "integer", "description": "the event id, for `Last-Event-ID`" },
            "type": { "type": "string", "enum": ["create", "update", "delete"] },
            "entity": { "type": "string", "enum": entities },
            "key": { "type": "array", "description": "the primary key values, in key order" },
            "row": { "description": "the row after the write, when visible to the subscriber", "anyOf": rows },
            "old": { "description": "the row before the write (update, delete), when visible to the subscriber", "anyOf": rows },
        },
        "required": ["id", "type", "entity", "key", "row", "old"],
    })
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details; `type` is `urn:baas:problem:` and one of bad-query, bad-body, not-found, read-only, conflict, reference, too-large, validation, internal, unavailable",
        "properties": {
            "type": { "type": "string" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "instance": { "type": "string" },
            "request_id": { "type": "string" },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": { "type": "string" },
                        "code": { "type": "string" },
                        "message": { "type": "string" },
                    },
                    "required": ["field", "code", "message"],
                },
            },
        },
        "required": ["type", "title", "status"],
    })
}

fn filter_schema() -> Value {
    json!({
        "type": "object",
        "description": "Clauses ANDed: `\"field\": value` (eq), `\"field\": {op: value, ...}`, `\"and\"`/`\"or\"`: [filter, ...], `\"not\"`: filter. `field` may be a dotted path into an object field.",
        "properties": {
            "and": { "type": "array", "items": component("Filter") },
            "or": { "type": "array", "items": component("Filter") },
            "not": component("Filter"),
        },
        "additionalProperties": {
            "anyOf": [
                component("FilterOperators"),
                { "type": ["string", "number", "boolean", "null", "array"] },
            ],
        },
    })
}

fn filter_operators_schema() -> Value {
    json!({
        "type": "object",
        "description": "Operators on one field, ANDed. Values are typed by the field; an operator that does not fit the type (`gt` on a bool, `like` on a number, `contains` on a string) is 400.",
        "properties": {
            "eq": {}, "neq": {}, "gt": {}, "gte": {}, "lt": {}, "lte": {},
            "in": { "type": "array" },
            "nin": { "type": "array" },
            "like": { "type": "string", "description": "`%` and `_` wildcards" },
            "ilike": { "type": "string", "description": "case-insensitive `like`" },
            "is": { "enum": [null, true, false] },
            "contains": { "description": "array field: items it must all contain; json field: a JSON value it must contain" },
        },
        "additionalProperties": false,
        "minProperties": 1,
    })
}

fn query_body_schema() -> Value {
    json!({
        "type": "object",
        "description": "The list query as a JSON body (POST /api/{entity}/_query)",
        "properties": {
            "where": component("Filter"),
            "select": { "type": "array", "items": { "type": "string" } },
            "order": { "type": "array", "items": { "type": "string" }, "description": "`field[.asc|.desc][.nullsfirst|.nullslast]`" },
            "limit": { "type": "integer", "minimum": 0, "maximum": 1000 },
            "offset": { "type": "integer", "minimum": 0 },
            "count": { "type": "string", "enum": ["exact"] },
            "expand": { "type": "array", "items": { "type": "string" } },
        },
        "additionalProperties": false,
    })
}
