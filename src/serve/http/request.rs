//! What a handler reads from a request: its JSON body, the entity and the
//! key in its path. Its context for problems and logs ([`Ctx`]) lives in
//! `ctx`, which `problem` needs too.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde_json::Value as Json;

use super::ctx::entity_segment;
pub use super::ctx::{Ctx, REQUEST_ID};
use super::problem::{BODY_LIMIT, Problem};
use crate::query;
use crate::serve::kernel::Schema;

/// The entity segment of the path, or a 400 naming a segment that is not
/// valid percent-encoded UTF-8.
pub fn entity_name(ctx: &Ctx) -> Result<String, Problem> {
    let raw = entity_segment(&ctx.path).unwrap_or_default();
    query::percent_decode(raw).ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-path",
            "The path is not valid",
            format!("the path segment `{raw}` is not valid percent-encoded UTF-8"),
        )
    })
}

/// The body as a JSON value: 413 over the limit, 400 when it is not JSON.
pub fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Json, Problem> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::too_large()
        } else {
            Problem::bad_body(rejection.body_text())
        }
    })?;
    if bytes.len() > BODY_LIMIT {
        return Err(Problem::too_large());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Problem::bad_body(format!("the body is not JSON: {e}")))
}

/// What kind of JSON value `value` is, for messages ("an array").
pub fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Array(_) => "an array",
        Json::String(_) => "a string",
        Json::Number(_) => "a number",
        Json::Bool(_) => "a boolean",
        Json::Null => "null",
        Json::Object(_) => "an object",
    }
}

/// A JSON object body (POST, PUT, PATCH).
pub fn object_body(body: Result<Bytes, BytesRejection>) -> Result<Json, Problem> {
    let body = json_body(body)?;
    if !body.is_object() {
        let kind = json_kind(&body);
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-body",
            "The request body is not a JSON object",
            format!(
                "the body is {kind}; it must be a JSON object of field values (one row per request)"
            ),
        ));
    }
    Ok(body)
}

/// The `{id}` of the request, split into typed key values.
pub fn key(schema: &Schema, name: &str, ctx: &Ctx) -> Result<Vec<query::Value>, Problem> {
    let entity = schema
        .manifest
        .entities
        .get(name)
        .ok_or_else(|| Problem::not_found(format!("there is no entity `{name}`")))?;
    if entity.primary_key.is_empty() {
        return Err(Problem::not_found(format!(
            "`{name}` has no primary key, so its rows have no address"
        )));
    }
    // The raw segment, so that a percent-encoded `,` stays inside its value.
    let raw = ctx.path.rsplit('/').next().unwrap_or_default();
    query::parse_key(&schema.manifest, name, raw)
        .map_err(|e| Problem::not_found(format!("no `{name}` has the key `{raw}`: {}", e.message)))
}
