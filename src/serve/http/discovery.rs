//! The fixed routes: health, discovery, the OpenAPI document and the
//! index of `/api`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::Shared;
use super::problem::{Problem, finish, json_response};
use super::request::Ctx;
use super::routes::{Caller, encode_segment};
use crate::serve::policy::{Policy, Principal};
use crate::serve::state::{OpenApi, State};

pub async fn health(axum::extract::State(app): Shared, ctx: Ctx) -> Response {
    let store = app.kernel.stores.default_store();
    let answer = match store.health().await {
        Ok(()) => Ok(json_response(StatusCode::OK, &json!({ "status": "ok" }))),
        Err(error) => Err(Problem::store(error, &ctx)),
    };
    finish(&ctx, answer)
}

pub async fn discovery(axum::extract::State(app): Shared, caller: Caller) -> Response {
    let state = app.snapshot();
    json_response(
        StatusCode::OK,
        &discovery_document(&state, &*app.kernel.policy, &caller.0),
    )
}

/// `GET /api/_openapi.json`: built once per manifest version, served with an
/// `ETag` (a matching `If-None-Match` answers 304).
pub async fn openapi(axum::extract::State(app): Shared, headers: HeaderMap) -> Response {
    let document = app.snapshot().openapi().await;
    document_answer(&document, &headers, "application/json")
}

/// A built document as `media`, with its `ETag` (304 on a match).
pub(crate) fn document_answer(
    document: &OpenApi,
    headers: &HeaderMap,
    media: &'static str,
) -> Response {
    let etag = HeaderValue::from_str(&document.etag).ok();
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == document.etag || tag.trim() == "*")
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
            document.body.clone(),
        )
            .into_response()
    };
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `GET /api`: what is served here, with a link per entity.
pub async fn index(axum::extract::State(app): Shared) -> Response {
    let state = app.snapshot();
    let manifest = state.manifest();
    let entities: Vec<Json> = manifest
        .entities
        .iter()
        .map(|(name, entity)| {
            json!({
                "name": name,
                "kind": entity.kind.as_str(),
                "href": format!("/api/{}", encode_segment(name)),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "project": manifest.project.name,
            "version": manifest.version,
            "entities": entities,
            "links": {
                "discovery": "/api/_discovery",
                "openapi": "/api/_openapi.json",
                "health": "/api/_health",
            },
        }),
    )
}

/// `GET /api/_discovery`: entities, fields, links, permissions.
pub fn discovery_document(state: &State, policy: &dyn Policy, principal: &Principal) -> Json {
    let manifest = state.manifest();
    let entities: Vec<Json> = manifest
        .entities
        .iter()
        .map(|(name, entity)| {
            let writable = !entity.is_read_only();
            let fields: Vec<Json> = entity
                .fields
                .iter()
                .map(|(field_name, field)| {
                    let mut out = json!({
                        "name": field_name,
                        "type": field.ty.as_str(),
                        "nullable": field.nullable,
                        "generated": field.generated.is_some(),
                        "required_on_insert": writable && !field.is_optional_on_insert(),
                    });
                    if let Some(object) = out.as_object_mut() {
                        if let Some(enum_name) = &field.enum_name {
                            object.insert("enum".into(), json!(enum_name));
                            if let Some(values) = manifest.enums.get(enum_name) {
                                object.insert("values".into(), json!(values.values));
                            }
                        }
                        if let Some(max_length) = field.max_length {
                            object.insert("max_length".into(), json!(max_length));
                        }
                    }
                    out
                })
                .collect();
            let links: Vec<Json> = state
                .schema
                .links
                .get(name)
                .map(|links| {
                    links
                        .iter()
                        .map(|l| json!({ "name": l.name, "to": l.to, "many": l.many }))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "name": name,
                "kind": entity.kind.as_str(),
                "primary_key": entity.primary_key,
                "fields": fields,
                "links": links,
                "permissions": policy.permissions(&state.schema, principal, name),
            })
        })
        .collect();
    let mut document = json!({ "version": manifest.version, "entities": entities });
    // How to name the tenant of a request, when the server has tenants.
    if let (Some(tenancy), Some(object)) = (&manifest.tenancy, document.as_object_mut()) {
        object.insert("tenancy".into(), tenancy.wire());
    }
    document
}
