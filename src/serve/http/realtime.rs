//! Realtime over server-sent events: `GET /api/_realtime` (docs/api.md,
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
//! Resuming: `Last-Event-ID` replays the kept events after it
//! ([`crate::serve::events::HISTORY`]); when they are no longer kept (or
//! the id is not one of this process) an `event: reset` says so and the
//! stream goes on live: the client must read the data again. A subscriber
//! that falls behind the change channel gets `event: close` with the
//! reason and the stream ends (memory never grows for a slow client).
//! Heartbeat comments keep the connection open (every 15 s;
//! `BAAS_REALTIME_HEARTBEAT_MS` changes it).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::Shared;
use super::ctx::Ctx;
use super::problem::Problem;
use super::routes::Caller;
use crate::manifest::Manifest;
use crate::query::{self, Filter, QueryError, Value};
use crate::serve::events::{ChangeKind, Event, Received, Subscription};
use crate::serve::kernel::KernelError;
use crate::serve::operation::{Action, Operation, Principal};
use crate::serve::policy::Decision;
use crate::serve::realtime as matches;
use crate::serve::state::AppState;

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

/// `GET /api/_realtime`: the SSE stream of the changes subscribed to.
pub async fn sse(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    headers: HeaderMap,
) -> Response {
    let state = app.snapshot();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let request = match parse(state.manifest(), &pairs) {
        Ok(request) => request,
        Err(problem) => return problem.respond(&ctx),
    };
    // An entity the caller may not list at all is refused now (403), not
    // streamed empty.
    for topic in &request.topics {
        let mut operation = Operation::new(caller.0.clone(), topic.entity.clone(), Action::List);
        operation.params = pairs.clone();
        if let Decision::Deny { reason } = app.kernel.policy.decide(&state.schema, &operation) {
            return Problem::kernel(KernelError::Denied(reason), &ctx).respond(&ctx);
        }
    }
    drop(state);
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let (backlog, reset, subscription) = match last {
        None => (Vec::new(), None, app.kernel.events.subscribe()),
        Some(text) => match text.parse::<u64>() {
            Ok(id) => {
                let resumed = app.kernel.events.resume(id);
                (
                    resumed.backlog,
                    resumed.gap.then(|| text.to_owned()),
                    resumed.subscription,
                )
            }
            Err(_) => (
                Vec::new(),
                Some(text.to_owned()),
                app.kernel.events.subscribe(),
            ),
        },
    };
    let stream = Stream {
        app,
        principal: caller.0,
        tenant: ctx.tenant.clone(),
        request,
        params: pairs,
        backlog: backlog.into(),
        reset,
        subscription,
        done: false,
    };
    let events = futures::stream::unfold(stream, |mut stream| async move {
        let event = stream.next().await?;
        Some((Ok::<_, Infallible>(event), stream))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(heartbeat()).text("heartbeat"))
        .into_response();
    // Proxies must not buffer the stream.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    *response.status_mut() = StatusCode::OK;
    response
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
    backlog: VecDeque<Arc<Event>>,
    /// The `Last-Event-ID` that could not be resumed from.
    reset: Option<String>,
    subscription: Subscription,
    done: bool,
}

impl Stream {
    async fn next(&mut self) -> Option<SseEvent> {
        if self.done {
            return None;
        }
        if let Some(last) = self.reset.take() {
            let data = json!({
                "reason": "gap",
                "last_event_id": last,
                "detail": "the events after this id are no longer kept (or the id is not one of this server's): read the data again; changes from now on follow",
            });
            return Some(SseEvent::default().event("reset").data(data.to_string()));
        }
        while let Some(event) = self.backlog.pop_front() {
            if let Some(sse) = self.deliver(&event) {
                return Some(sse);
            }
        }
        loop {
            match self.subscription.next().await {
                Received::Change(event) => {
                    if let Some(sse) = self.deliver(&event) {
                        return Some(sse);
                    }
                }
                Received::Lagged(missed) => {
                    self.done = true;
                    let data = json!({
                        "reason": "slow-consumer",
                        "missed": missed,
                        "detail": format!("the client fell {missed} changes behind and was disconnected; reconnect with Last-Event-ID to resume"),
                    });
                    return Some(SseEvent::default().event("close").data(data.to_string()));
                }
                Received::Closed => return None,
            }
        }
    }

    /// The SSE event of `event` for this subscriber, if it may see any of
    /// it.
    fn deliver(&self, event: &Event) -> Option<SseEvent> {
        // A tenant's changes are for that tenant's subscribers only.
        if event.tenant != self.tenant {
            return None;
        }
        let state = self.app.snapshot();
        let schema = &state.schema;
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
        let mut operation =
            Operation::new(self.principal.clone(), event.entity.clone(), Action::List);
        if schema.rules.uses_query {
            operation.params = self.params.clone();
        }
        let scope = match self.app.kernel.policy.decide(schema, &operation) {
            Decision::Allow { scope } => scope,
            Decision::Deny { .. } => return None,
        };
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
        let visible = |row: Option<&crate::serve::store::Row>| {
            let row = row?;
            let object: serde_json::Map<String, Json> = row
                .iter()
                .filter(|(name, _)| entity.fields.contains_key(*name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            filters
                .iter()
                .all(|filter| matches::matches(entity, filter, &object) == Ok(true))
                .then_some(object)
        };
        let row = visible(event.new.as_ref());
        let old = visible(event.old.as_ref());
        if row.is_none() && old.is_none() {
            return None;
        }
        let kind = match event.kind {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        };
        let data = json!({
            "id": event.id,
            "type": kind,
            "entity": event.entity,
            "key": event.key,
            "row": row,
            "old": old,
        });
        Some(
            SseEvent::default()
                .id(event.id.to_string())
                .event(kind)
                .data(data.to_string()),
        )
    }
}
