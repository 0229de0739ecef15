//! HTTP in front of the kernel (docs/api.md is the contract): routes,
//! request parsing, problem+json errors, request ids, CORS, the body limit
//! and one log line per request.
//!
//! - [`routes`]: entity routes, each request one kernel operation
//! - [`discovery`]: health, discovery, the OpenAPI document, the `/api` index
//! - [`request`]: the request context, bodies, keys
//! - [`problem`]: RFC 9457 problems

pub mod discovery;
pub mod guard;
pub mod problem;
pub mod request;
pub mod routes;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

pub use guard::HttpOptions;
pub use problem::{BODY_LIMIT, FieldProblem, Problem};
pub use request::Ctx;
pub use routes::{encode_segment, key_text};

use crate::serve::state::AppState;

pub(crate) type Shared = axum::extract::State<Arc<AppState>>;

/// The whole API with default options, ready to call with `oneshot`.
pub fn router(state: Arc<AppState>) -> Router {
    router_with(state, HttpOptions::default())
}

/// The whole API, ready to serve.
pub fn router_with(state: Arc<AppState>, options: HttpOptions) -> Router {
    let options = Arc::new(options);
    let api = Router::new()
        .route("/api", get(discovery::index))
        .route("/api/", get(discovery::index))
        .route("/api/_health", get(discovery::health))
        .route("/api/_discovery", get(discovery::discovery))
        .route("/api/_openapi.json", get(discovery::openapi))
        .route("/api/{entity}", get(routes::list).post(routes::create))
        .route("/api/{entity}/_query", post(routes::query_body))
        .route(
            "/api/{entity}/{id}",
            get(routes::read)
                .patch(routes::patch)
                .put(routes::put)
                .delete(routes::delete),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    api.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            options.clone(),
            guard::guard,
        ))
        .layer(middleware::from_fn(log_request))
        .layer(options.cors())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(bound_request_id))
        .layer(SetRequestIdLayer::x_request_id(MakeId::default()))
}

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

impl MakeId {
    fn next(&self) -> Option<HeaderValue> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&format!("{:x}-{n:06x}", self.prefix)).ok()
    }
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        self.next().map(RequestId::new)
    }
}

/// A client's `x-request-id` is echoed back only when it is short printable
/// text; anything else is replaced by a generated id (the header is never a
/// way to reflect arbitrary content into responses and logs).
async fn bound_request_id(mut request: Request, next: Next) -> Response {
    let acceptable = request
        .headers()
        .get("x-request-id")
        .is_some_and(|v| request::acceptable_request_id(v.as_bytes()));
    if !acceptable
        && request.headers().contains_key("x-request-id")
        && let Some(id) = REPLACEMENT_IDS.next()
    {
        request.headers_mut().insert("x-request-id", id);
    }
    next.run(request).await
}

static REPLACEMENT_IDS: std::sync::LazyLock<MakeId> = std::sync::LazyLock::new(MakeId::default);

async fn log_request(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let id = request::request_id(request.headers());
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
