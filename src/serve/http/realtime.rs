//! Realtime over server-sent events, `GET /api/_realtime`, and over a
//! WebSocket, `GET /api/_realtime/ws` ([`ws`]; docs/api.md,
//! "Realtime").
//!
//! A client subscribes to entities (`?subscribe=book,author/3`), each with
//! an optional filter in the API's grammar (`&book.where={...}`), and
//! receives every committed change ([`crate::serve::events`]) that
//! concerns them as an SSE event named by its type (`create`, `update`,
//! `delete`) carrying `{id, type, entity, key, row, old}`.
//!
//! Who sees what: at every event the policy of the manifest served at that
//! moment (a hot reload applies to open streams) decides the subscriber's
//! `list` on the entity; its scope and the subscription's filter are
//! evaluated over the row in memory ([`crate::serve::realtime`]). `row` is the row after
//! the write when it is visible, `old` the row before when it was visible;
//! a change where neither is visible is not sent. So an update that moves
//! a row out of the subscriber's view arrives with `row: null` and the old
//! row it could see, and one that moves a row into view with `old: null`.
//! A scope with a relation path (an EXISTS over another entity) cannot be
//! decided from the row: such rows are not sent (denied).
//!
//! Speed: streams read the changes in batches
//! ([`crate::serve::events::Events::batches`]): per batch a stream reads
//! the served manifest and decides each entity's rule once, and writes
//! the visible changes as one body chunk; each change's SSE frame is
//! rendered once per form and shared (no copy for a single change).
//!
//! Resuming: `Last-Event-ID` replays the kept events after it
//! ([`crate::serve::events::HISTORY`]); when they are no longer kept (or
//! the id is not one of this process) an `event: reset` says so and the
//! stream goes on live: the client must read the data again. A subscriber
//! that falls behind the change channel gets `event: close` with the
//! reason and the stream ends (memory never grows for a slow client).
//! A stream opened with a JWT ends when the token expires: `event: close`
//! (on the WebSocket a `close` message, then close code 4401) with reason
//! `token-expired`. Heartbeat comments keep the connection open (every 15 s;
//! `BAAS_REALTIME_HEARTBEAT_MS` changes it). At each heartbeat a tenant's
//! stream checks that its tenant is still served: one deactivated or
//! dropped meanwhile ends it the same way, reason `tenant-not-served`
//! (close code 4403).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::Shared;
use super::ctx::Ctx;
use super::problem::Problem;
use super::routes::Caller;
use crate::manifest::Manifest;
use crate::query::{self, Filter, QueryError, Value};
use crate::serve::events::{Batches, ChangeKind, Event, Gathered};
use crate::serve::kernel::KernelError;
use crate::serve::operation::Schema;
use crate::serve::operation::{Action, Operation, Principal};
use crate::serve::policy::Decision;
use crate::serve::realtime as matches;
use crate::serve::state::AppState;
use crate::serve::store::resolver::Refusal;

/// The default interval of heartbeat comments.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

fn heartbeat() -> Duration {
    std::env::var("BAAS_REALTIME_HEARTBEAT_MS")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(HEARTBEAT, Duration::from_millis)
}

/// One entity (or one row of it) a client subscribed to.
#[derive(Debug, Clone)]
struct Topic {
    /// As subscribed (`book`, `author/3`): what `unsubscribe` names.
    text: String,
    entity: String,
    key: Option<Vec<Value>>,
}

/// What a client asked for.
#[derive(Debug, Default)]
struct Request {
    topics: Vec<Topic>,
    /// `{entity}.where`, per entity.
    filters: Vec<(String, Filter)>,
}

fn bad(at: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem::bad_query(&QueryError {
        at: at.into(),
        message: message.into(),
    })
}

/// Reads `subscribe` and `{entity}.where` from the query string.
fn parse(manifest: &Manifest, pairs: &[(String, String)]) -> Result<Request, Problem> {
    let mut request = Request::default();
    for (name, value) in pairs.iter().filter(|(name, _)| name == "subscribe") {
        for item in value.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(bad(name, "an empty subscription: name an entity"));
            }
            let (entity, key) = match item.split_once('/') {
                Some((entity, key)) => (entity, Some(key)),
                None => (item, None),
            };
            if !manifest.entities.contains_key(entity) {
                let names: Vec<&str> = manifest.entities.keys().map(String::as_str).collect();
                let closest = crate::manifest::diagnostics::closest(entity, &names)
                    .map(|candidate| format!("; did you mean `{candidate}`?"))
                    .unwrap_or_default();
                return Err(bad(
                    "subscribe",
                    format!("there is no entity `{entity}`{closest}"),
                ));
            }
            let key = match key {
                Some(text) => Some(query::parse_key(manifest, entity, text).map_err(|e| {
                    bad(
                        format!("subscribe.{entity}"),
                        format!("the key `{text}`: {}", e.message),
                    )
                })?),
                None => None,
            };
            request.topics.push(Topic {
                text: item.to_owned(),
                entity: entity.to_owned(),
                key,
            });
        }
    }
    if request.topics.is_empty() {
        return Err(bad(
            "subscribe",
            "name what to follow: `?subscribe=book,author/3`",
        ));
    }
    for (name, value) in pairs.iter().filter(|(name, _)| name != "subscribe") {
        let Some(entity) = name.strip_suffix(".where") else {
            return Err(bad(
                name,
                format!("`{name}` is not a realtime parameter (`subscribe`, `{{entity}}.where`)"),
            ));
        };
        if !request.topics.iter().any(|topic| topic.entity == entity) {
            return Err(bad(
                name,
                format!("`{entity}` is not subscribed to: add it to `subscribe`"),
            ));
        }
        let json: Json = serde_json::from_str(value)
            .map_err(|e| bad(name, format!("`{name}` must be a JSON filter: {e}")))?;
        let filter = query::parse_filter_json(manifest, entity, &json).map_err(|e| {
            bad(
                if e.at.is_empty() {
                    name.clone()
                } else {
                    format!("{name}.{}", e.at.trim_start_matches("where."))
                },
                e.message,
            )
        })?;
        request.filters.push((entity.to_owned(), filter));
    }
    Ok(request)
}

/// The query string as pairs.
fn query_pairs(ctx: &Ctx) -> Vec<(String, String)> {
    url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Refuses (403) an entity of `request` the caller may not list at all:
/// refused before anything is streamed, not streamed empty.
fn refuse_unlisted(
    app: &AppState,
    principal: &Arc<Principal>,
    request: &Request,
    params: &[(String, String)],
) -> Result<(), KernelError> {
    let state = app.snapshot();
    for topic in &request.topics {
        let mut operation = Operation::new(principal.clone(), topic.entity.clone(), Action::List);
        operation.params = params.to_vec();
        if let Decision::Deny { reason } = app.kernel.policy.decide(&state.schema, &operation) {
            return Err(KernelError::Denied(reason));
        }
    }
    Ok(())
}

/// Where a stream starts: the kept events after `last` (a
/// `Last-Event-ID`), the id to announce a reset for when they are no
/// longer kept, and the live changes (in batches).
fn start(
    app: &AppState,
    last: Option<&str>,
    tenant: Option<&str>,
) -> (Vec<Arc<Event>>, Option<String>, Batches) {
    let events = &app.kernel.events;
    let (backlog, reset, batches) = match last.map(str::trim).filter(|text| !text.is_empty()) {
        None => (Vec::new(), None, events.batches()),
        Some(text) => match text.parse::<u64>() {
            Ok(id) => {
                let resumed = events.resume_batches(id);
                (
                    resumed.backlog,
                    resumed.gap.then(|| text.to_owned()),
                    resumed.subscription,
                )
            }
            Err(_) => (Vec::new(), Some(text.to_owned()), events.batches()),
        },
    };
    // A tenant's subscribers are counted: its own database is listened to
    // while it has some (`[realtime] external`).
    (backlog, reset, batches.watching(events, tenant))
}

/// `GET /api/_realtime`: the SSE stream of the changes subscribed to.
pub async fn sse(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    headers: HeaderMap,
) -> Response {
    let pairs = query_pairs(&ctx);
    let request = match parse(app.snapshot().manifest(), &pairs) {
        Ok(request) => request,
        Err(problem) => return problem.respond(&ctx),
    };
    if let Err(error) = refuse_unlisted(&app, &caller.0, &request, &pairs) {
        return Problem::kernel(error, &ctx).respond(&ctx);
    }
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let (backlog, reset, subscription) = start(&app, last, ctx.tenant.as_deref());
    let stream = Stream {
        app,
        principal: caller.0,
        tenant: ctx.tenant.clone(),
        request,
        params: pairs,
        backlog,
        reset,
        subscription,
        done: false,
        pending: VecDeque::new(),
    };
    let expires = Box::pin(expiry(token_expiry(&stream.principal)));
    let every = heartbeat();
    let body = Body {
        stream,
        expires,
        every,
        tick: Box::pin(tokio::time::sleep(every)),
        sent: false,
        ended: false,
    };
    let chunks = futures::stream::unfold(body, |mut body| async move {
        let chunk = body.chunk().await?;
        Some((Ok::<_, Infallible>(chunk), body))
    });
    let mut response = axum::body::Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    // Proxies must not buffer the stream.
    headers.insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    *response.status_mut() = StatusCode::OK;
    response
}

/// An SSE response body: each chunk is everything there is to send at
/// that moment (the visible changes of one batch written at once), a
/// heartbeat comment after a quiet interval, or the last `close` when the
/// token expires.
struct Body {
    stream: Stream,
    expires: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    every: Duration,
    tick: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// Whether anything was sent since the last tick.
    sent: bool,
    ended: bool,
}

impl Body {
    async fn chunk(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        loop {
            tokio::select! {
                biased;
                () = &mut self.expires => {
                    self.ended = true;
                    return Some(Out::Close(expired("Last-Event-ID")).frame());
                }
                outs = self.stream.next_batch() => {
                    self.sent = true;
                    return Some(frames(outs?));
                }
                () = &mut self.tick => {
                    self.tick.as_mut().reset(tokio::time::Instant::now() + self.every);
                    if let Some(closed) = not_served(&self.stream.app, self.stream.tenant.as_deref()).await {
                        self.ended = true;
                        return Some(Out::Close(closed).frame());
                    }
                    if !std::mem::take(&mut self.sent) {
                        return Some(Bytes::from_static(b": heartbeat\n\n"));
                    }
                }
            }
        }
    }
}

/// The SSE frames of `outs` as one chunk (no copy for a single change).
fn frames(mut outs: Vec<Out>) -> Bytes {
    if outs.len() == 1
        && let Some(out) = outs.pop()
    {
        return out.frame();
    }
    let frames: Vec<Bytes> = outs.into_iter().map(Out::frame).collect();
    let mut chunk = Vec::with_capacity(frames.iter().map(Bytes::len).sum());
    for frame in &frames {
        chunk.extend_from_slice(frame);
    }
    chunk.into()
}

/// When the caller's token expires (its `exp`), for a signed-in user.
fn token_expiry(principal: &Principal) -> Option<std::time::SystemTime> {
    let Principal::User { claims, .. } = principal else {
        return None;
    };
    let exp = claims.get("exp").and_then(Json::as_u64)?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(exp))
}

/// The last message of a stream whose token expired; `resume` names how
/// the client resumes (`Last-Event-ID`, `last_event_id`).
fn expired(resume: &str) -> Json {
    json!({
        "reason": "token-expired",
        "detail": format!(
            "the access token of this stream expired; reconnect with a new one and {resume} to resume"
        ),
    })
}

/// The `close` data of a stream whose tenant is no longer served
/// (deactivated or dropped since it opened); `None` while it is, or when
/// the registry cannot say now.
async fn not_served(app: &AppState, tenant: Option<&str>) -> Option<Json> {
    let tenant = tenant?;
    match app.kernel.stores.admit(tenant).await {
        Ok(()) | Err(Refusal::Unavailable(_)) => None,
        Err(_) => Some(json!({
            "reason": "tenant-not-served",
            "detail": format!("the tenant `{tenant}` is no longer served (deactivated or dropped)"),
        })),
    }
}

/// When `expires` comes, as an instant of tokio's clock (never for `None`).
async fn expiry(expires: Option<std::time::SystemTime>) {
    match expires {
        Some(expires) => {
            let left = expires
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            tokio::time::sleep(left).await;
        }
        None => std::future::pending().await,
    }
}

/// What a stream sends next, whatever carries it.
enum Out {
    /// A change: its SSE frame (`id`, `event` and `data` lines: `{id,
    /// type, entity, key, row, old}`), rendered once for every subscriber
    /// sent the same.
    Change(Bytes),
    /// The events after the client's last id are gone.
    Reset(Json),
    /// The client fell behind and is disconnected.
    Close(Json),
}

/// The SSE frame of a change.
fn change_frame(id: u64, kind: &str, data: &str) -> Bytes {
    format!("id: {id}\nevent: {kind}\ndata: {data}\n\n").into()
}

impl Out {
    fn frame(self) -> Bytes {
        match self {
            Self::Change(frame) => frame,
            Self::Reset(data) => format!("event: reset\ndata: {data}\n\n").into(),
            Self::Close(data) => format!("event: close\ndata: {data}\n\n").into(),
        }
    }

    /// The WebSocket text message: the SSE data, with `type` saying what
    /// it is (`create`, `update`, `delete`, `reset`, `close`).
    fn message(self) -> String {
        let (kind, mut data) = match self {
            Self::Change(frame) => {
                let text = String::from_utf8_lossy(&frame);
                let data = text
                    .split_once("\ndata: ")
                    .map_or("", |(_, data)| data.trim_end_matches('\n'));
                return data.to_owned();
            }
            Self::Reset(data) => ("reset", data),
            Self::Close(data) => ("close", data),
        };
        if let Some(object) = data.as_object_mut() {
            object.insert("type".into(), json!(kind));
        }
        data.to_string()
    }
}

/// WebSocket close codes (4000-4999 are the application's).
mod close {
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A binary message.
    pub const UNSUPPORTED: u16 = 1003;
    /// The client fell behind; it may come back with `last_event_id`.
    pub const SLOW_CONSUMER: u16 = 1013;
    /// A message or subscription that is not valid (as a 400 problem).
    pub const BAD_MESSAGE: u16 = 4400;
    /// The caller's token expired (as a 401 problem); it may come back
    /// with a new one and `last_event_id`.
    pub const TOKEN_EXPIRED: u16 = 4401;
    /// An entity the caller may not list (as a 403 problem).
    pub const DENIED: u16 = 4403;
}

/// The WebSocket subprotocol the server selects: a browser that offers
/// subprotocols fails the handshake unless one is selected.
pub const WS_PROTOCOL: &str = "baas";

/// The prefix of the subprotocol that carries a token.
const WS_BEARER_PROTOCOL: &str = "baas.bearer.";

/// The query parameter that carries a token on the WebSocket route.
const WS_TOKEN_PARAM: &str = "access_token";

/// Browser credentials on the WebSocket route only (a browser cannot set
/// `Authorization` on a WebSocket): a subprotocol `baas.bearer.<token>` or
/// a query parameter `access_token=<token>` becomes `Authorization: Bearer
/// <token>` before the identity layer reads it, and the parameter is taken
/// out of the query string (rules that read `@query` do not see it; the
/// request log has the path only). One token, one way: two subprotocol
/// tokens, two `access_token`s, or a token with an `Authorization` header
/// is a 400 (which one counts would be a guess).
pub fn ws_credentials(
    mut request: axum::extract::Request,
) -> Result<axum::extract::Request, Box<Response>> {
    if request.uri().path() != "/api/_realtime/ws" {
        return Ok(request);
    }
    let mut tokens: Vec<String> = request
        .headers()
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| item.trim().strip_prefix(WS_BEARER_PROTOCOL))
        .map(str::to_owned)
        .collect();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let mut in_query = false;
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(name, value)| {
            let token = name == WS_TOKEN_PARAM;
            if token {
                in_query = true;
                tokens.push(value.clone());
            }
            !token
        })
        .collect();
    let authorized = request
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION);
    let token = match tokens.as_slice() {
        [] => return Ok(request),
        [token] if !authorized => token.clone(),
        _ => {
            let ctx = Ctx::of(&request);
            return Err(Box::new(bad(
                WS_TOKEN_PARAM,
                "send the token once, one way: as the subprotocol `baas.bearer.<token>`, as `access_token` or in `Authorization`, not both and not twice",
            )
            .respond(&ctx)));
        }
    };
    if in_query && set_query(&mut request, &kept).is_err() {
        let ctx = Ctx::of(&request);
        return Err(Box::new(
            bad(WS_TOKEN_PARAM, "the query string cannot be read").respond(&ctx),
        ));
    }
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("Bearer {token}")) {
        request
            .headers_mut()
            .insert(axum::http::header::AUTHORIZATION, value);
    }
    Ok(request)
}

/// Rewrites the request's query string to the pairs `kept`.
fn set_query(
    request: &mut axum::extract::Request,
    kept: &[(String, String)],
) -> Result<(), axum::http::Error> {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    let path = request.uri().path().to_owned();
    let path_and_query = if encoded.is_empty() {
        path
    } else {
        format!("{path}?{encoded}")
    };
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse()?);
    *request.uri_mut() = axum::http::Uri::from_parts(parts)?;
    Ok(())
}

/// `GET /api/_realtime/ws`: the same changes over a WebSocket, subscribed
/// to with messages (docs/api.md, "Realtime over WebSocket").
pub async fn ws(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return Problem::new(
                StatusCode::UPGRADE_REQUIRED,
                "upgrade-required",
                "A WebSocket handshake is required",
                format!(
                    "{rejection}; connect with a WebSocket client, or use `GET /api/_realtime` (server-sent events)"
                ),
            )
            .respond(&ctx);
        }
    };
    let params = query_pairs(&ctx);
    let tenant = ctx.tenant.clone();
    upgrade.protocols([WS_PROTOCOL]).on_upgrade(move |socket| {
        Session {
            app,
            principal: caller.0,
            tenant,
            params,
            stream: None,
        }
        .run(socket)
    })
}

/// One WebSocket client.
struct Session {
    app: Arc<AppState>,
    principal: Arc<Principal>,
    /// The tenant of the handshake: only its changes are sent.
    tenant: Option<String>,
    params: Vec<(String, String)>,
    /// Started by the first `subscribe`.
    stream: Option<Stream>,
}

/// Why a session ends: the close code and the reason.
struct Closing(u16, String);

impl Session {
    async fn run(mut self, mut socket: WebSocket) {
        let mut ticker = tokio::time::interval(heartbeat());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.reset();
        // A signed-in caller's session ends when its token does, as the
        // SSE stream does: a `close` message, then the close frame.
        let expiry = expiry(token_expiry(&self.principal));
        tokio::pin!(expiry);
        let closing = loop {
            let outgoing = async {
                match self.stream.as_mut() {
                    Some(stream) => stream.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                incoming = socket.recv() => match incoming {
                    Some(Ok(WsMessage::Text(text))) => match self.receive(text.as_str()) {
                        Ok(reply) => {
                            if socket.send(WsMessage::Text(reply.to_string().into())).await.is_err() {
                                return;
                            }
                        }
                        Err(Closing(code, detail)) => {
                            let error = json!({ "type": "error", "code": code, "detail": detail });
                            let _ = socket.send(WsMessage::Text(error.to_string().into())).await;
                            break Closing(code, detail);
                        }
                    },
                    Some(Ok(WsMessage::Binary(_))) => break Closing(
                        close::UNSUPPORTED,
                        "messages are JSON text: {\"subscribe\": [...]}".into(),
                    ),
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
                out = outgoing => match out {
                    Some(out) => {
                        let slow = matches!(out, Out::Close(_));
                        if socket.send(WsMessage::Text(out.message().into())).await.is_err() {
                            return;
                        }
                        if slow {
                            break Closing(
                                close::SLOW_CONSUMER,
                                "slow consumer: reconnect and subscribe with last_event_id".into(),
                            );
                        }
                    }
                    None => break Closing(close::GOING_AWAY, "the server is shutting down".into()),
                },
                () = &mut expiry => {
                    let message = Out::Close(expired("last_event_id")).message();
                    let _ = socket.send(WsMessage::Text(message.into())).await;
                    break Closing(close::TOKEN_EXPIRED, "token-expired: reconnect with a new token".into());
                }
                _ = ticker.tick() => {
                    if let Some(closed) = not_served(&self.app, self.tenant.as_deref()).await {
                        let _ = socket.send(WsMessage::Text(Out::Close(closed).message().into())).await;
                        break Closing(close::DENIED, "tenant-not-served: the tenant is no longer served".into());
                    }
                    if socket.send(WsMessage::Ping(Default::default())).await.is_err() {
                        return;
                    }
                }
            }
        };
        let Closing(code, reason) = closing;
        // A close reason is at most 123 bytes.
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let frame = CloseFrame {
            code,
            reason: reason[..end].to_owned().into(),
        };
        let _ = socket.send(WsMessage::Close(Some(frame))).await;
    }

    /// Handles one client message; the reply, or why the session ends.
    fn receive(&mut self, text: &str) -> Result<Json, Closing> {
        let bad = |detail: String| Closing(close::BAD_MESSAGE, detail);
        let message: Json = serde_json::from_str(text)
            .map_err(|e| bad(format!("a message must be a JSON object: {e}")))?;
        let Some(object) = message.as_object() else {
            return Err(bad("a message must be a JSON object".into()));
        };
        if let Some(unknown) = object.keys().find(|key| {
            !["subscribe", "unsubscribe", "where", "last_event_id"].contains(&key.as_str())
        }) {
            return Err(bad(format!(
                "`{unknown}` is not a realtime message field (`subscribe`, `where`, `last_event_id`, `unsubscribe`)"
            )));
        }
        let names = |value: &Json, what: &str| -> Result<Vec<String>, Closing> {
            value
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    bad(format!(
                        "`{what}` must be an array of strings: [\"book\", \"author/3\"]"
                    ))
                })
        };
        match (object.get("subscribe"), object.get("unsubscribe")) {
            (Some(subscribe), None) => {
                let items = names(subscribe, "subscribe")?;
                let mut pairs = vec![("subscribe".to_owned(), items.join(","))];
                if let Some(filters) = object.get("where") {
                    let filters = filters.as_object().ok_or_else(|| {
                        bad(
                            "`where` must be an object of filters by entity: {\"book\": {...}}"
                                .into(),
                        )
                    })?;
                    for (entity, filter) in filters {
                        pairs.push((format!("{entity}.where"), filter.to_string()));
                    }
                }
                let request = parse(self.app.snapshot().manifest(), &pairs)
                    .map_err(|problem| bad(problem.detail))?;
                refuse_unlisted(&self.app, &self.principal, &request, &self.params)
                    .map_err(|error| Closing(close::DENIED, error.to_string()))?;
                let last = match object.get("last_event_id") {
                    None | Some(Json::Null) => None,
                    Some(Json::String(text)) => Some(text.clone()),
                    Some(Json::Number(number)) => Some(number.to_string()),
                    Some(_) => return Err(bad("`last_event_id` must be an event id".into())),
                };
                match self.stream.as_mut() {
                    Some(_) if last.is_some() => {
                        return Err(bad(
                            "`last_event_id` goes with the first `subscribe` only".into()
                        ));
                    }
                    Some(stream) => {
                        stream.request.topics.extend(request.topics);
                        stream.request.filters.extend(request.filters);
                    }
                    None => {
                        let (backlog, reset, subscription) =
                            start(&self.app, last.as_deref(), self.tenant.as_deref());
                        self.stream = Some(Stream {
                            app: self.app.clone(),
                            principal: self.principal.clone(),
                            tenant: self.tenant.clone(),
                            request,
                            params: self.params.clone(),
                            backlog,
                            reset,
                            subscription,
                            done: false,
                            pending: VecDeque::new(),
                        });
                    }
                }
            }
            (None, Some(unsubscribe)) => {
                if object.contains_key("where") || object.contains_key("last_event_id") {
                    return Err(bad(
                        "`unsubscribe` takes no `where` or `last_event_id`".into()
                    ));
                }
                let items = names(unsubscribe, "unsubscribe")?;
                let Some(stream) = self.stream.as_mut() else {
                    return Err(bad("nothing is subscribed to yet".into()));
                };
                let topics = &mut stream.request.topics;
                for item in &items {
                    let before = topics.len();
                    topics.retain(|topic| topic.text != item.trim());
                    if topics.len() == before {
                        return Err(bad(format!("`{item}` is not subscribed to")));
                    }
                }
                let kept: Vec<String> = topics.iter().map(|t| t.entity.clone()).collect();
                stream
                    .request
                    .filters
                    .retain(|(entity, _)| kept.contains(entity));
            }
            _ => {
                return Err(bad(
                    "a message has either `subscribe` (with `where`, `last_event_id`) or `unsubscribe`".into(),
                ));
            }
        }
        let topics: Vec<&str> = self
            .stream
            .as_ref()
            .map(|stream| {
                stream
                    .request
                    .topics
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect()
            })
            .unwrap_or_default();
        Ok(json!({ "type": "subscribed", "subscribe": topics }))
    }
}

/// One client's stream.
struct Stream {
    app: Arc<AppState>,
    principal: Arc<Principal>,
    /// The tenant subscribed to: only its changes are sent.
    tenant: Option<String>,
    request: Request,
    /// The query string, for rules that read `@query`.
    params: Vec<(String, String)>,
    /// The kept events after the client's `Last-Event-ID`, sent first.
    backlog: Vec<Arc<Event>>,
    /// The `Last-Event-ID` that could not be resumed from.
    reset: Option<String>,
    subscription: Batches,
    done: bool,
    /// What the last batch gave that [`Stream::next`] has not yet.
    pending: VecDeque<Out>,
}

/// The rule's decision on listing an entity, made once per batch: `None`
/// when denied, else the scope.
type Listed = Option<Option<Filter>>;

impl Stream {
    /// Everything there is to send now (never empty): the reset, the kept
    /// events, or the visible changes of the next batch; `None` when the
    /// stream ends. Cancel-safe: nothing is taken before it is returned.
    async fn next_batch(&mut self) -> Option<Vec<Out>> {
        if !self.pending.is_empty() {
            return Some(self.pending.drain(..).collect());
        }
        if self.done {
            return None;
        }
        let mut outs = Vec::new();
        if let Some(last) = self.reset.take() {
            let data = json!({
                "reason": "gap",
                "last_event_id": last,
                "detail": "the events after this id are no longer kept (or the id is not one of this server's): read the data again; changes from now on follow",
            });
            outs.push(Out::Reset(data));
        }
        let backlog = std::mem::take(&mut self.backlog);
        self.deliver_all(&backlog, &mut outs);
        if !outs.is_empty() {
            return Some(outs);
        }
        loop {
            match self.subscription.next().await {
                Gathered::Changes { batch, from } => {
                    self.deliver_all(&batch[from..], &mut outs);
                    if !outs.is_empty() {
                        return Some(outs);
                    }
                }
                Gathered::Lagged(missed) => {
                    self.done = true;
                    let data = json!({
                        "reason": "slow-consumer",
                        "missed": missed,
                        "detail": format!("the client fell {missed} changes behind and was disconnected; reconnect with Last-Event-ID to resume"),
                    });
                    return Some(vec![Out::Close(data)]);
                }
                Gathered::Closed => return None,
            }
        }
    }

    /// The next thing to send, one at a time (the WebSocket's messages).
    async fn next(&mut self) -> Option<Out> {
        if self.pending.is_empty() {
            let outs = self.next_batch().await?;
            self.pending.extend(outs);
        }
        self.pending.pop_front()
    }

    /// What this subscriber receives of `events`, under the manifest and
    /// rules served now (read once for them all; a rule is decided once
    /// per entity).
    fn deliver_all(&self, events: &[Arc<Event>], outs: &mut Vec<Out>) {
        if events.is_empty() {
            return;
        }
        let state = self.app.snapshot();
        let mut listed: Vec<(&str, Listed)> = Vec::new();
        for event in events {
            if let Some(out) = self.deliver(&state.schema, &mut listed, event) {
                outs.push(out);
            }
        }
    }

    /// The rule's decision on listing `entity` (see [`Listed`]).
    fn listed(&self, schema: &Schema, entity: &str) -> Listed {
        let mut operation = Operation::new(self.principal.clone(), entity.to_owned(), Action::List);
        if schema.rules.uses_query {
            operation.params = self.params.clone();
        }
        match self.app.kernel.policy.decide(schema, &operation) {
            Decision::Allow { scope } => Some(scope),
            Decision::Deny { .. } => None,
        }
    }

    /// What this subscriber receives of `event`, if it may see any of it.
    fn deliver<'e>(
        &self,
        schema: &Schema,
        listed: &mut Vec<(&'e str, Listed)>,
        event: &'e Event,
    ) -> Option<Out> {
        // A tenant's changes are for that tenant's subscribers only.
        if event.tenant != self.tenant {
            return None;
        }
        let entity = schema.manifest.entities.get(&event.entity)?;
        let key_matches = |topic: &Topic| match &topic.key {
            None => true,
            Some(key) => {
                key.len() == event.key.len()
                    && entity
                        .primary_key
                        .iter()
                        .zip(key.iter().zip(&event.key))
                        .all(|(name, (wanted, given))| {
                            let typed = entity
                                .fields
                                .get(name)
                                .and_then(|field| query::value_from_json(field, given).ok());
                            typed.is_some_and(|given| {
                                matches::order(&given, wanted).is_some_and(|o| o.is_eq())
                            })
                        })
            }
        };
        if !self
            .request
            .topics
            .iter()
            .any(|topic| topic.entity == event.entity && key_matches(topic))
        {
            return None;
        }
        let at = match listed.iter().position(|(name, _)| *name == event.entity) {
            Some(at) => at,
            None => {
                listed.push((&event.entity, self.listed(schema, &event.entity)));
                listed.len() - 1
            }
        };
        let scope = listed[at].1.as_ref()?;
        let filters: Vec<&Filter> = scope
            .iter()
            .chain(
                self.request
                    .filters
                    .iter()
                    .filter(|(name, _)| *name == event.entity)
                    .map(|(_, filter)| filter),
            )
            .collect();
        // Whether a row passes the rule's scope and the subscription's
        // filters (the fields of the entity only are read).
        let passes = |row: Option<&crate::serve::store::Row>| {
            row.is_some_and(|row| {
                filters
                    .iter()
                    .all(|filter| matches::matches(entity, filter, row) == Ok(true))
            })
        };
        let row_visible = passes(event.new.as_ref());
        let old_visible = passes(event.old.as_ref());
        if !row_visible && !old_visible {
            return None;
        }
        let kind = match event.kind {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        };
        // Every subscriber sent the same form of this event shares one
        // rendering (under the manifest served now).
        let form = u8::from(row_visible) | (u8::from(old_visible) << 1);
        let manifest = Arc::as_ptr(&schema.manifest) as usize;
        let frame = event.rendered.get_or_render(manifest, form, || {
            let shown = |row: Option<&crate::serve::store::Row>, visible: bool| {
                row.filter(|_| visible).map(|row| {
                    row.iter()
                        .filter(|(name, _)| entity.fields.contains_key(*name))
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect::<serde_json::Map<String, Json>>()
                })
            };
            let data = json!({
                "id": event.id,
                "type": kind,
                "entity": event.entity,
                "key": event.key,
                "row": shown(event.new.as_ref(), row_visible),
                "old": shown(event.old.as_ref(), old_visible),
            });
            change_frame(event.id, kind, &data.to_string())
        });
        Some(Out::Change(frame))
    }
}
