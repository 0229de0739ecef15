//! HTTP in front of the kernel (docs/api.md is the contract): routes,
//! request parsing, problem+json errors, request ids, CORS, the body limit
//! and one log line per request.
//!
//! - [`routes`]: entity routes, each request one kernel operation
//! - [`discovery`]: health, discovery, the OpenAPI document, the `/api` index
//! - [`ctx`]: the request context (path, id, entity) problems and logs use
//! - [`request`]: bodies, the entity and the key of a path
//! - [`problem`]: RFC 9457 problems
//! - [`studio`]: the web admin page at `/_studio`

pub mod auth;
pub mod ctx;
pub mod discovery;
pub mod edge;
pub mod guard;
pub mod many;
pub mod postgrest;
pub mod problem;
pub mod realtime;
pub mod request;
pub mod routes;
pub mod studio;
pub mod system;
pub mod tenant;
pub mod tenants_api;
pub mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

pub use ctx::{Ctx, REQUEST_ID};
pub use guard::HttpOptions;
pub use problem::{BODY_LIMIT, FieldProblem, Problem};
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
    let app = state.clone();
    let api = Router::new()
        .route("/api", get(discovery::index))
        .route("/api/", get(discovery::index))
        .route("/api/_health", get(discovery::health))
        .route("/api/_discovery", get(discovery::discovery))
        .route("/api/_openapi.json", get(discovery::openapi))
        .route("/api/_auth/signup", post(users::signup))
        .route("/api/_auth/login", post(users::login))
        .route("/api/_auth/refresh", post(users::refresh))
        .route("/api/_auth/logout", post(users::logout))
        .route("/api/_auth/me", get(users::me))
        .route("/api/_realtime", get(realtime::sse))
        .route("/api/_realtime/ws", get(realtime::ws))
        .route(
            "/api/_tenants",
            get(tenants_api::list).post(tenants_api::create),
        )
        .route(
            "/api/_tenants/{slug}",
            get(tenants_api::one).delete(tenants_api::one),
        )
        .route(
            "/api/_tenants/{slug}/{action}",
            post(tenants_api::set_active),
        )
        .route(
            "/api/_system/{*rest}",
            axum::routing::any(system::serve)
                .layer(axum::Extension(Arc::new(system::Cache::default()))),
        )
        .route(
            "/api/{entity}",
            get(many::list)
                .post(routes::create)
                .patch(many::update)
                .delete(many::delete),
        )
        .route("/api/{entity}/_query", post(routes::query_body))
        .route(
            "/api/{entity}/{id}",
            get(many::read)
                .patch(routes::patch)
                .put(routes::put)
                .delete(routes::delete),
        )
        .merge(studio::admin_routes())
        .merge(studio::routes(options.studio));
    let api = match &options.postgrest {
        Some(prefix) => api.merge(postgrest::routes(prefix)),
        None => api,
    };
    let api = api
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let gate = Arc::new(Gate {
        edge: edge::Edge::new(app.clone()),
        app,
        options: options.clone(),
    });
    // The layers wrap the router whole (outermost first), not each of its
    // routes (`Router::layer`): a route's layer is boxed, and every layer
    // clones the stack below it per request. The checks before the routes
    // are one layer ([`admit`]), not one each, for the same reason; the two
    // async-function layers are [`Around`]s, not `from_fn`s, which box the
    // stack below them once more per request.
    let outer = options.clone();
    let api = tower::ServiceBuilder::new()
        .layer(tower::layer::layer_fn(move |inner| Around {
            state: outer.clone(),
            inner,
            run: identify_and_log,
        }))
        .layer(options.cors())
        .layer(tower::layer::layer_fn(move |inner| Around {
            state: gate.clone(),
            inner,
            run: admit,
        }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .service(api);
    Router::new().fallback_service(api)
}

/// A layer that is an async function of its state, the request and the
/// rest of the stack (`inner`, ready to call): as
/// `axum::middleware::from_fn_with_state`, whose future is boxed too (it
/// keeps the futures of the layers apart, each small), without its boxing
/// of `inner` and of `inner`'s future per request.
#[derive(Clone)]
struct Around<T, S, F> {
    state: T,
    inner: S,
    run: F,
}

impl<T, S, F, Fut> tower::Service<Request> for Around<T, S, F>
where
    T: Clone + Send + 'static,
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    F: Fn(T, Request, S) -> Fut + Clone,
    Fut: Future<Output = Response> + Send + 'static,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        use futures::FutureExt as _;
        // The clone made ready stays; the one polled ready goes.
        let fresh = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, fresh);
        Box::pin((self.run)(self.state.clone(), request, ready).map(Ok))
    }
}

/// Calls the rest of the stack (`next`, ready) with `request`.
async fn call_next<S>(mut next: S, request: Request) -> Response
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    match next.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// What [`admit`] checks requests with.
struct Gate {
    app: Arc<AppState>,
    options: Arc<HttpOptions>,
    edge: edge::Edge,
}

/// The way of every request to its route, in this order: the guard
/// (origins, host, content type, [`guard::check`]), then within the
/// request timeout the per-address limits, the WebSocket route's browser
/// credentials, the caller's identity, the per-user limits and the tenant.
/// The first that refuses the request answers it.
async fn admit<S>(gate: Arc<Gate>, request: Request, next: S) -> Response
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    if let Err(refusal) = guard::check(&gate.options, &request) {
        return *refusal;
    }
    let deadline = guard::Deadline::of(&request);
    let work = async {
        let request = edge::limit_address(&gate.edge, request)?;
        let request = realtime::ws_credentials(request)?;
        let request = auth::identify(&gate.app, request).await?;
        let request = edge::limit_user(request)?;
        let request = tenant::resolve(&gate.app, request).await?;
        Ok::<_, Box<Response>>(call_next(next, request).await)
    };
    deadline
        .run(&gate.options, async {
            work.await.unwrap_or_else(|refusal| *refusal)
        })
        .await
}

/// Request ids: the start time of the process and a counter, in hex
/// (unique per process run, cheap, sortable).
struct RequestIds {
    prefix: u64,
    counter: AtomicU64,
}

impl RequestIds {
    fn next(&self) -> Option<HeaderValue> {
        use std::io::Write as _;
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        // Written in place: no String per request.
        let mut buffer = [0u8; 40];
        let mut cursor = std::io::Cursor::new(&mut buffer[..]);
        write!(cursor, "{:x}-{n:06x}", self.prefix).ok()?;
        let written = usize::try_from(cursor.position()).ok()?;
        HeaderValue::from_bytes(&buffer[..written]).ok()
    }
}

static REQUEST_IDS: std::sync::LazyLock<RequestIds> = std::sync::LazyLock::new(|| RequestIds {
    prefix: std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()),
    counter: AtomicU64::new(0),
});

/// Gives every request an id, adds the security headers to its answer
/// ([`edge::security_headers`]) and logs it in one line when it is
/// answered. A client's `x-request-id` is kept only when it is short
/// printable text; anything else is replaced by a generated id (the header
/// is never a way to reflect arbitrary content into responses and logs).
/// The answer carries the id. The line's fields are gathered only when
/// the log level shows it.
async fn identify_and_log<S>(options: Arc<HttpOptions>, request: Request, next: S) -> Response
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    // `/t/{tenant}/api/...` is routed as `/api/...`.
    let request = tenant::strip_path_prefix(request);
    if options.upstream {
        return crate::serve::store::http::scope(request, |request| log(request, next)).await;
    }
    log(request, next).await
}

/// [`identify_and_log`] after the path is stripped.
async fn log<S>(mut request: Request, next: S) -> Response
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    let given = request
        .headers()
        .get(REQUEST_ID)
        .filter(|v| ctx::acceptable_request_id(v.as_bytes()))
        .cloned();
    let id = match given {
        Some(id) => Some(id),
        None => REQUEST_IDS.next().inspect(|id| {
            request.headers_mut().insert(REQUEST_ID, id.clone());
        }),
    };
    let sessions = edge::is_sessions(request.uri().path());
    // The log line's fields, gathered only when its level is on.
    let line = tracing::enabled!(target: "baas::serve", tracing::Level::INFO).then(|| {
        (
            Instant::now(),
            request.method().clone(),
            request.uri().path().to_owned(),
        )
    });
    let mut response = call_next(next, request).await;
    edge::security_headers(response.headers_mut(), sessions);
    if let Some(id) = &id {
        response.headers_mut().insert(REQUEST_ID, id.clone());
    }
    if let Some((start, method, path)) = line {
        let status = response.status().as_u16();
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            target: "baas::serve",
            %method,
            path,
            status,
            latency_ms = format_args!("{latency_ms:.3}"),
            request_id = id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or_default(),
            "request"
        );
    }
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
