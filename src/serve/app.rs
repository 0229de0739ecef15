//! The router of `baas serve`: routes, handlers, problem+json errors,
//! request ids, CORS, the body limit and one log line per request
//! (docs/api.md is the contract).
//!
//! The served manifest and its engine live in a [`State`] behind
//! [`AppState`]; each request takes a snapshot (`Arc<State>`) when it starts,
//! so a hot reload swaps the manifest without disturbing requests in flight.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value as Json, json};
use tower_http::cors::CorsLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

use super::store::{Row, Store, StoreError};
use crate::manifest::links::{Link, links};
use crate::manifest::{Entity, Manifest};
use crate::query::{self, ListQuery, QueryError, WriteMode};

/// Bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// One manifest served by one engine, with what is derived from the manifest.
pub struct State {
    pub manifest: Arc<Manifest>,
    pub engine: Arc<dyn Store>,
    /// Every entity's links (`manifest::links`), computed once per manifest.
    pub links: BTreeMap<String, Vec<Link>>,
}

impl State {
    pub fn new(manifest: Arc<Manifest>, engine: Arc<dyn Store>) -> Self {
        let links = links(&manifest);
        Self {
            manifest,
            engine,
            links,
        }
    }
}

/// The state shared by every request: the current [`State`], swapped
/// atomically by a reload.
pub struct AppState {
    current: RwLock<Arc<State>>,
}

impl AppState {
    pub fn new(manifest: Arc<Manifest>, engine: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(Arc::new(State::new(manifest, engine))),
        })
    }

    /// The state a request works on from start to end.
    pub fn snapshot(&self) -> Arc<State> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Serves `manifest` from now on, on the same engine.
    pub fn swap_manifest(&self, manifest: Arc<Manifest>) {
        let engine = self.snapshot().engine.clone();
        let next = Arc::new(State::new(manifest, engine));
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// The whole API, ready to serve or to call with `oneshot`.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/api/_health", get(health))
        .route("/api/_discovery", get(discovery))
        .route("/api/_openapi.json", get(openapi))
        .route("/api/{entity}", get(list).post(create))
        .route("/api/{entity}/_query", post(query_body))
        .route(
            "/api/{entity}/{id}",
            get(read).patch(patch).put(put).delete(delete),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    api.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(log_request))
        .layer(CorsLayer::permissive())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeId::default()))
}

type Shared = axum::extract::State<Arc<AppState>>;

// ---------------------------------------------------------------------------
// Request ids and logs

/// Request ids: the start time of the process and a counter, in hex
/// (unique per process run, cheap, sortable).
#[derive(Clone)]
struct MakeId {
    prefix: u64,
    counter: Arc<AtomicU64>,
}

impl Default for MakeId {
    fn default() -> Self {
        let prefix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            prefix,
            counter: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&format!("{:x}-{n:06x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

async fn log_request(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let id = request_id(request.headers());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "baas::serve",
        %method,
        path,
        status,
        latency_ms = format_args!("{latency_ms:.3}"),
        request_id = id,
        "request"
    );
    response
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What an error response needs from the request: its path and id.
pub struct Ctx {
    path: String,
    request_id: String,
    query: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            path: parts.uri.path().to_owned(),
            request_id: request_id(&parts.headers),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

// ---------------------------------------------------------------------------
// Problems (RFC 9457)

/// One field's problem in a 422 (or the fields of a 409).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An error answer: rendered as `application/problem+json`.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// The suffix of `urn:baas:problem:`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: String) -> Self {
        Self {
            status,
            kind,
            title,
            detail,
            errors: Vec::new(),
        }
    }

    pub fn bad_query(error: &QueryError) -> Self {
        let mut problem = Self::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "The query is not valid",
            format!("`{}`: {}", error.at, error.message),
        );
        problem.errors.push(FieldProblem {
            field: error.at.clone(),
            code: "query".into(),
            message: error.message.clone(),
        });
        problem
    }

    pub fn bad_body(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-body",
            "The request body is not valid JSON",
            detail.into(),
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            detail.into(),
        )
    }

    fn read_only(entity: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "read-only",
            "This resource is read-only",
            format!("`{entity}` is a view: it can be read, not written"),
        )
    }

    fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The request body is too large",
            format!("the body is over the limit of {BODY_LIMIT} bytes"),
        )
    }

    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let count = errors.len();
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request body is not valid",
            if count == 1 {
                "1 field is not valid".into()
            } else {
                format!("{count} fields are not valid")
            },
        );
        problem.errors = errors;
        problem
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "the server failed to answer; the log has the details".into(),
        )
    }

    /// Maps a database failure; 500s and 503s are logged, never shown.
    pub fn engine(error: StoreError, ctx: &Ctx) -> Self {
        match error {
            StoreError::Conflict { fields } => {
                let detail = if fields.is_empty() {
                    "a row with the same unique value already exists".to_owned()
                } else {
                    format!(
                        "a row with the same {} already exists",
                        fields
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let mut problem = Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail);
                problem.errors = fields
                    .into_iter()
                    .map(|field| FieldProblem {
                        field,
                        code: "unique".into(),
                        message: "is already taken".into(),
                    })
                    .collect();
                problem
            }
            StoreError::Reference => Self::new(
                StatusCode::CONFLICT,
                "reference",
                "The change breaks a reference",
                "the referenced row is missing, or rows still reference this one".into(),
            ),
            StoreError::Unavailable(error) => {
                tracing::error!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "database unavailable: {}",
                    crate::source::redact(&format!("{error:#}"))
                );
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The database is unavailable",
                    "the database cannot be reached".into(),
                )
            }
            StoreError::Query(error) => Self::bad_query(&error),
            StoreError::Internal(error) => {
                tracing::error!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "internal error: {}",
                    crate::source::redact(&format!("{error:#}"))
                );
                Self::internal()
            }
        }
    }

    fn respond(self, ctx: &Ctx) -> Response {
        let mut body = json!({
            "type": format!("urn:baas:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "instance": ctx.path,
            "request_id": ctx.request_id,
        });
        if !self.errors.is_empty()
            && let Some(object) = body.as_object_mut()
        {
            object.insert("errors".into(), json!(self.errors));
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

type Answer = Result<Response, Problem>;

/// Runs a handler body and renders its problem with the request's context.
fn finish(ctx: &Ctx, answer: Answer) -> Response {
    answer.unwrap_or_else(|problem| problem.respond(ctx))
}

fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!("cannot serialize a response: {error}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

// ---------------------------------------------------------------------------
// Fixed routes

async fn health(axum::extract::State(app): Shared, ctx: Ctx) -> Response {
    let state = app.snapshot();
    let answer = match state.engine.health().await {
        Ok(()) => Ok(json_response(StatusCode::OK, &json!({ "status": "ok" }))),
        Err(error) => Err(Problem::engine(error, &ctx)),
    };
    finish(&ctx, answer)
}

async fn discovery(axum::extract::State(app): Shared) -> Response {
    let state = app.snapshot();
    json_response(StatusCode::OK, &discovery_document(&state))
}

async fn openapi(axum::extract::State(app): Shared) -> Response {
    let state = app.snapshot();
    json_response(
        StatusCode::OK,
        &crate::codegen::openapi::document(&state.manifest),
    )
}

async fn not_found(ctx: Ctx) -> Response {
    let detail = format!("no route for `{}`", ctx.path);
    Problem::not_found(detail).respond(&ctx)
}

async fn method_not_allowed(ctx: Ctx, method: Method) -> Response {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("`{method}` is not allowed on `{}`", ctx.path),
    )
    .respond(&ctx)
}

/// `GET /api/_discovery`: entities, fields, links, permissions.
pub fn discovery_document(state: &State) -> Json {
    let manifest = &state.manifest;
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
                "permissions": {
                    "read": true,
                    "create": writable,
                    "update": writable && !entity.primary_key.is_empty(),
                    "delete": writable && !entity.primary_key.is_empty(),
                },
            })
        })
        .collect();
    json!({ "version": manifest.version, "entities": entities })
}

// ---------------------------------------------------------------------------
// Entity routes

fn entity<'a>(state: &'a State, name: &str) -> Result<&'a Entity, Problem> {
    state
        .manifest
        .entities
        .get(name)
        .ok_or_else(|| Problem::not_found(format!("there is no entity `{name}`")))
}

fn writable<'a>(state: &'a State, name: &str) -> Result<&'a Entity, Problem> {
    let entity = entity(state, name)?;
    if entity.is_read_only() {
        return Err(Problem::read_only(name));
    }
    Ok(entity)
}

async fn list(axum::extract::State(app): Shared, Path(name): Path<String>, ctx: Ctx) -> Response {
    let state = app.snapshot();
    let answer = async {
        entity(&state, &name)?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let query = query::parse_query_string(&state.manifest, &name, &pairs)
            .map_err(|e| Problem::bad_query(&e))?;
        run_list(&state, &name, query, &ctx).await
    }
    .await;
    finish(&ctx, answer)
}

async fn query_body(
    axum::extract::State(app): Shared,
    Path(name): Path<String>,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        entity(&state, &name)?;
        let body = json_body(body)?;
        let query = query::parse_query_body(&state.manifest, &name, &body)
            .map_err(|e| Problem::bad_query(&e))?;
        run_list(&state, &name, query, &ctx).await
    }
    .await;
    finish(&ctx, answer)
}

async fn run_list(state: &State, name: &str, query: ListQuery, ctx: &Ctx) -> Answer {
    let (engine_query, hidden) = super::expand::with_link_fields(state, name, &query);
    let mut result = state
        .engine
        .list(&state.manifest, name, &engine_query)
        .await
        .map_err(|e| Problem::engine(e, ctx))?;
    super::expand::expand(state, name, &query.expand, &mut result.rows)
        .await
        .map_err(|e| match e {
            super::expand::ExpandError::Query(e) => Problem::bad_query(&e),
            super::expand::ExpandError::Store(e) => Problem::engine(e, ctx),
        })?;
    for row in &mut result.rows {
        for field in &hidden {
            row.shift_remove(field);
        }
    }
    let mut envelope = serde_json::Map::new();
    envelope.insert(
        "data".into(),
        Json::Array(result.rows.into_iter().map(Json::Object).collect()),
    );
    if query.count {
        envelope.insert("count".into(), json!(result.count.unwrap_or_default()));
    }
    Ok(json_response(StatusCode::OK, &envelope))
}

/// The body as a JSON value: 413 over the limit, 400 when it is not JSON.
fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Json, Problem> {
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

/// A JSON object body (POST, PUT, PATCH).
fn object_body(body: Result<Bytes, BytesRejection>) -> Result<Json, Problem> {
    let body = json_body(body)?;
    if !body.is_object() {
        return Err(Problem::bad_body(
            "the body must be a JSON object of field values",
        ));
    }
    Ok(body)
}

/// The `{id}` of the request, split into typed key values.
fn key(state: &State, name: &str, ctx: &Ctx) -> Result<Vec<query::Value>, Problem> {
    let entity = entity(state, name)?;
    if entity.primary_key.is_empty() {
        return Err(Problem::not_found(format!(
            "`{name}` has no primary key, so its rows have no address"
        )));
    }
    // The raw segment, so that a percent-encoded `,` stays inside its value.
    let raw = ctx.path.rsplit('/').next().unwrap_or_default();
    query::parse_key(&state.manifest, name, raw)
        .map_err(|e| Problem::not_found(format!("no `{name}` has the key `{raw}`: {}", e.message)))
}

fn missing_row(name: &str, ctx: &Ctx) -> Problem {
    let raw = ctx.path.rsplit('/').next().unwrap_or_default();
    Problem::not_found(format!("no `{name}` has the key `{raw}`"))
}

async fn read(
    axum::extract::State(app): Shared,
    Path((name, _id)): Path<(String, String)>,
    ctx: Ctx,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let key = key(&state, &name, &ctx)?;
        match state
            .engine
            .get(&state.manifest, &name, &key, None)
            .await
            .map_err(|e| Problem::engine(e, &ctx))?
        {
            Some(row) => Ok(json_response(StatusCode::OK, &row)),
            None => Err(missing_row(&name, &ctx)),
        }
    }
    .await;
    finish(&ctx, answer)
}

async fn create(
    axum::extract::State(app): Shared,
    Path(name): Path<String>,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let entity = writable(&state, &name)?;
        let body = object_body(body)?;
        let values = query::validate_body(&state.manifest, &name, &body, WriteMode::Insert)
            .map_err(validation)?;
        let row = state
            .engine
            .insert(&state.manifest, &name, &values)
            .await
            .map_err(|e| Problem::engine(e, &ctx))?;
        let mut response = json_response(StatusCode::CREATED, &row);
        if !entity.primary_key.is_empty() {
            let location = format!("/api/{}/{}", encode_segment(&name), key_text(entity, &row));
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
        }
        Ok(response)
    }
    .await;
    finish(&ctx, answer)
}

async fn patch(
    app: Shared,
    Path((name, _id)): Path<(String, String)>,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    change(app, name, ctx, body, WriteMode::Patch).await
}

async fn put(
    app: Shared,
    Path((name, _id)): Path<(String, String)>,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    change(app, name, ctx, body, WriteMode::Replace).await
}

async fn change(
    axum::extract::State(app): Shared,
    name: String,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
    mode: WriteMode,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        writable(&state, &name)?;
        let key = key(&state, &name, &ctx)?;
        let body = object_body(body)?;
        // Generated fields may be sent when they equal the stored value, so
        // validation needs the stored row.
        let stored = state
            .engine
            .get(&state.manifest, &name, &key, None)
            .await
            .map_err(|e| Problem::engine(e, &ctx))?
            .ok_or_else(|| missing_row(&name, &ctx))?;
        let values = query::validate_body(&state.manifest, &name, &body, mode).or_else(|errors| {
            // A generated field may be sent with the value it has.
            let (same, other): (Vec<_>, Vec<_>) = errors
                .into_iter()
                .partition(|e| e.code == "read_only" && body.get(&e.field) == stored.get(&e.field));
            if other.is_empty() {
                let mut trimmed = body.clone();
                if let Some(object) = trimmed.as_object_mut() {
                    for error in &same {
                        object.remove(&error.field);
                    }
                }
                query::validate_body(&state.manifest, &name, &trimmed, mode)
            } else {
                Err(other)
            }
        });
        let values = values.map_err(validation)?;
        if values.is_empty() {
            return Ok(json_response(StatusCode::OK, &stored));
        }
        match state
            .engine
            .update(&state.manifest, &name, &key, None, &values)
            .await
            .map_err(|e| Problem::engine(e, &ctx))?
        {
            Some(updated) => Ok(json_response(StatusCode::OK, &updated.new)),
            None => Err(missing_row(&name, &ctx)),
        }
    }
    .await;
    finish(&ctx, answer)
}

async fn delete(
    axum::extract::State(app): Shared,
    Path((name, _id)): Path<(String, String)>,
    ctx: Ctx,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        writable(&state, &name)?;
        let key = key(&state, &name, &ctx)?;
        if state
            .engine
            .delete(&state.manifest, &name, &key, None)
            .await
            .map_err(|e| Problem::engine(e, &ctx))?
            .is_some()
        {
            Ok(StatusCode::NO_CONTENT.into_response())
        } else {
            Err(missing_row(&name, &ctx))
        }
    }
    .await;
    finish(&ctx, answer)
}

fn validation(errors: Vec<query::FieldError>) -> Problem {
    Problem::validation(
        errors
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                code: e.code.to_owned(),
                message: e.message,
            })
            .collect(),
    )
}

/// The `{id}` of a row: its key values joined by `,`, each percent-encoded
/// where needed.
pub fn key_text(entity: &Entity, row: &Row) -> String {
    entity
        .primary_key
        .iter()
        .map(|field| {
            let text = match row.get(field) {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            encode_segment(&text)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
