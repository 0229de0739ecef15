//! The entity routes: each request becomes one kernel [`Operation`], and
//! its [`Outcome`] (or refusal) becomes the response of docs/api.md.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::Shared;
use super::problem::{Answer, Problem, finish, json_response};
use super::request::{self, Ctx};
use crate::manifest::Entity;
use crate::query::{self, ListQuery, WriteMode};
use crate::serve::kernel::{Action, Body, Operation, Outcome, Schema};
use crate::serve::policy::Principal;
use crate::serve::state::{AppState, State};
use crate::serve::store::Row;

/// The principal of a request: set by the identity layer when there is
/// one, anonymous otherwise.
#[derive(Clone)]
pub struct Caller(pub Arc<Principal>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller(Arc::new(Principal::Anonymous))))
    }
}

/// An operation on the entity named by the request's path.
pub(super) fn operation(
    schema: &Schema,
    caller: &Caller,
    ctx: &Ctx,
    action: Action,
) -> Result<Operation, Problem> {
    let name = request::entity_name(ctx)?;
    if !schema.manifest.entities.contains_key(&name) {
        return Err(unknown_entity(schema, &name));
    }
    let mut operation = Operation::new(caller.0.clone(), name, action);
    operation.tenant.clone_from(&ctx.tenant);
    if schema.rules.uses_query {
        operation.params =
            url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
    }
    Ok(operation)
}

/// 404 for an entity the manifest does not have, with the closest name.
fn unknown_entity(schema: &Schema, name: &str) -> Problem {
    let names: Vec<&str> = schema
        .manifest
        .entities
        .keys()
        .map(String::as_str)
        .collect();
    let closest = crate::manifest::diagnostics::closest(name, &names)
        .map(|candidate| format!("; did you mean `{candidate}`?"))
        .unwrap_or_default();
    Problem::not_found(format!("there is no entity `{name}`{closest}"))
}

/// Runs `operation` through the kernel, its refusals as problems. With
/// `verbatim`, a read whose answer may be the store's own body
/// ([`Outcome::Body`], rendered by [`body_answer`]).
async fn run(
    app: &AppState,
    state: &State,
    operation: Operation,
    ctx: &Ctx,
    verbatim: bool,
) -> Result<Outcome, Problem> {
    let outcome = if verbatim {
        app.kernel.run_verbatim(&state.schema, operation).await
    } else {
        app.kernel.run(&state.schema, operation).await
    };
    outcome.map_err(|error| Problem::kernel(error, ctx))
}

/// A JSON response of bytes already rendered.
fn body_answer(body: Bytes) -> Answer {
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

pub async fn list(axum::extract::State(app): Shared, caller: Caller, ctx: Ctx) -> Response {
    let state = app.snapshot();
    let answer = async {
        let mut operation = operation(&state.schema, &caller, &ctx, Action::List)?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let query = query::parse_query_string(state.manifest(), &operation.entity, &pairs)
            .map_err(|e| Problem::bad_query(&e))?;
        let count = query.count;
        operation.query = Some(query);
        list_answer(run(&app, &state, operation, &ctx, true).await?, count)
    }
    .await;
    finish(&ctx, answer)
}

pub async fn query_body(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let mut operation = operation(&state.schema, &caller, &ctx, Action::List)?;
        let body = request::json_body(body)?;
        let query = query::parse_query_body(state.manifest(), &operation.entity, &body)
            .map_err(|e| Problem::bad_query(&e))?;
        let count = query.count;
        operation.query = Some(query);
        list_answer(run(&app, &state, operation, &ctx, false).await?, count)
    }
    .await;
    finish(&ctx, answer)
}

pub(super) fn list_answer(outcome: Outcome, count: bool) -> Answer {
    let result = match outcome {
        Outcome::List(result) => result,
        Outcome::Body(body) => return body_answer(body),
        _ => return Err(Problem::internal()),
    };
    let mut envelope = serde_json::Map::new();
    envelope.insert(
        "data".into(),
        Json::Array(result.rows.into_iter().map(Json::Object).collect()),
    );
    if count {
        // Unknown (an upstream that gives no total) is null, never a 0
        // that reads as a real total.
        envelope.insert("count".into(), json!(result.count));
    }
    Ok(json_response(StatusCode::OK, &envelope))
}

/// `GET /api/{entity}/{id}`: one row; `select` and `expand` apply as on a
/// list (expansion runs the same sub-operations, so the policy applies to
/// related rows exactly as there).
pub async fn read(axum::extract::State(app): Shared, caller: Caller, ctx: Ctx) -> Response {
    let state = app.snapshot();
    let answer = async {
        let mut operation = operation(&state.schema, &caller, &ctx, Action::View)?;
        operation.key = request::key(&state.schema, &operation.entity, &ctx)?;
        let outcome = match ctx.query.as_deref().filter(|q| !q.is_empty()) {
            // The common case, nothing to shape: no query to parse.
            None => run(&app, &state, operation, &ctx, true).await?,
            // Boxed: a plain read's future stays small.
            Some(text) => return Box::pin(shaped_read(&app, &state, operation, text, &ctx)).await,
        };
        match outcome {
            Outcome::Row(row) => Ok(json_response(StatusCode::OK, &row)),
            Outcome::Body(body) => body_answer(body),
            _ => Err(Problem::internal()),
        }
    }
    .await;
    finish(&ctx, answer)
}

/// A row read with `select` and/or `expand` in its query string.
async fn shaped_read(
    app: &AppState,
    state: &State,
    operation: Operation,
    text: &str,
    ctx: &Ctx,
) -> Answer {
    {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect();
        let shaping = query::parse_query_string(state.manifest(), &operation.entity, &pairs)
            .map_err(|e| Problem::bad_query(&e))?;
        if let Some(name) = single_row_misfit(&pairs) {
            return Err(Problem::bad_query(&query::QueryError {
                at: name.clone(),
                message: format!(
                    "`{name}` applies to lists; a row addressed by its key takes only `select` and `expand`"
                ),
            }));
        }
        let outcome = run(app, state, operation.clone(), ctx, false).await?;
        let Outcome::Row(row) = outcome else {
            return Err(Problem::internal());
        };
        let row = shape(app, state, &operation, &shaping, row, ctx).await?;
        Ok(json_response(StatusCode::OK, &row))
    }
}

/// A list parameter other than `select`/`expand` given to a single row.
fn single_row_misfit(pairs: &[(String, String)]) -> Option<&String> {
    pairs
        .iter()
        .map(|(name, _)| name)
        .find(|name| name.as_str() != "select" && name.as_str() != "expand")
}

/// Applies `select` and `expand` to one row already read (and allowed):
/// the expansion runs as the same sub-operations a list uses.
async fn shape(
    app: &AppState,
    state: &State,
    operation: &Operation,
    shaping: &ListQuery,
    row: Row,
    ctx: &Ctx,
) -> Result<Row, Problem> {
    let schema = &state.schema;
    let mut rows = vec![row];
    crate::serve::kernel::expand::expand(
        &app.kernel,
        schema,
        operation,
        &shaping.expand,
        &mut rows,
    )
    .await
    .map_err(|e| Problem::kernel(e, ctx))?;
    let mut row = rows.pop().unwrap_or_default();
    if let Some(select) = &shaping.select {
        let links: Vec<&str> = shaping
            .expand
            .iter()
            .filter_map(|path| path.first().map(String::as_str))
            .collect();
        row.retain(|name, _| select.contains(name) || links.contains(&name.as_str()));
    }
    Ok(row)
}

pub async fn create(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let mut operation = operation(&state.schema, &caller, &ctx, Action::Create)?;
        operation.body = Some(Body {
            json: request::object_body(body)?,
            mode: WriteMode::Insert,
        });
        let name = operation.entity.clone();
        let Outcome::Row(row) = run(&app, &state, operation, &ctx, false).await? else {
            return Err(Problem::internal());
        };
        let mut response = json_response(StatusCode::CREATED, &row);
        if let Some(entity) = state.manifest().entities.get(&name)
            && !entity.primary_key.is_empty()
        {
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

pub async fn patch(
    app: Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    change(app, caller, ctx, body, WriteMode::Patch).await
}

pub async fn put(
    app: Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    change(app, caller, ctx, body, WriteMode::Replace).await
}

/// An update or delete of the row the path names: a view is 405 before its
/// key is even read.
fn keyed_write(
    state: &State,
    caller: &Caller,
    ctx: &Ctx,
    action: Action,
) -> Result<Operation, Problem> {
    let mut operation = operation(&state.schema, caller, ctx, action)?;
    if state
        .schema
        .entity(&operation.entity)
        .is_ok_and(Entity::is_read_only)
    {
        return Err(Problem::read_only(&operation.entity));
    }
    operation.key = request::key(&state.schema, &operation.entity, ctx)?;
    Ok(operation)
}

async fn change(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
    mode: WriteMode,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let mut operation = keyed_write(&state, &caller, &ctx, Action::Update)?;
        operation.body = Some(Body {
            json: request::object_body(body)?,
            mode,
        });
        let Outcome::Row(row) = run(&app, &state, operation, &ctx, false).await? else {
            return Err(Problem::internal());
        };
        Ok(json_response(StatusCode::OK, &row))
    }
    .await;
    finish(&ctx, answer)
}

pub async fn delete(axum::extract::State(app): Shared, caller: Caller, ctx: Ctx) -> Response {
    let state = app.snapshot();
    let answer = async {
        let operation = keyed_write(&state, &caller, &ctx, Action::Delete)?;
        run(&app, &state, operation, &ctx, false).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }
    .await;
    finish(&ctx, answer)
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
