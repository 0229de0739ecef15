//! The native profile's operations that share their planning with the
//! PostgREST profile (docs/api.md): reads whose `select` embeds related
//! rows (`select=title,author(name)`), planned as the profile plans them,
//! so that both spellings of embedding (`expand=author` and
//! `author(...)`) end in the kernel's one nesting (`expand::nest`); and
//! `PATCH`/`DELETE /api/{entity}?filter`, run by the kernel's bulk run,
//! so rules, hooks and events apply to every row.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as Json, json};

use super::Shared;
use super::postgrest::error::PgError;
use super::postgrest::{self, ReadError, plan, select};
use super::problem::{Answer, Problem, finish, json_response};
use super::request::{self, Ctx};
use super::routes::{self, Caller};
use crate::manifest::Entity;
use crate::query::{self, QueryError, WriteMode};
use crate::serve::kernel::bulk::MAX_BULK;
use crate::serve::kernel::{Action, Body, Outcome};
use crate::serve::store::ListResult;

/// Whether the query string may hold an embedding (`(` in `select`) or a
/// JSON path (`->`): a cheap test, so a plain list goes its usual way at
/// once.
fn may_embed(ctx: &Ctx) -> bool {
    ctx.query.as_deref().is_some_and(|q| {
        q.contains('(')
            || q.contains("%28")
            || q.contains("->")
            || q.contains("-%3E")
            || q.contains("-%3e")
    })
}

/// The `select` value, when it embeds related rows or reads JSON paths.
fn embedding(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "select")
        .map(|(_, v)| v.as_str())
        .filter(|v| v.contains('(') || v.contains("->"))
}

/// A planning error of the shared `select` grammar, as a native problem.
fn plan_problem(error: PgError) -> Problem {
    let mut message = error.message;
    if let Some(details) = error.details {
        message = format!("{message}: {details}");
    }
    if let Some(hint) = error.hint {
        message = format!("{message} ({hint})");
    }
    Problem::bad_query(&QueryError {
        at: "select".into(),
        message,
    })
}

fn read_problem(error: ReadError, ctx: &Ctx) -> Problem {
    match error {
        ReadError::Plan(error) => plan_problem(error),
        ReadError::Kernel(error) => Problem::kernel(error, ctx),
    }
}

/// `GET /api/{entity}`: a list; with embedded resources in `select`, the
/// profile's plan over the native envelope, window and count.
pub async fn list(app: Shared, caller: Caller, ctx: Ctx) -> Response {
    if !may_embed(&ctx) {
        return routes::list(app, caller, ctx).await;
    }
    // Boxed: the plain list's future stays as small as its own way.
    Box::pin(list_embedded(app, caller, ctx)).await
}

/// [`list`] of a query string that may embed.
async fn list_embedded(app: Shared, caller: Caller, ctx: Ctx) -> Response {
    let pairs = postgrest::pairs(&ctx);
    let Some(text) = embedding(&pairs) else {
        return routes::list(app, caller, ctx).await;
    };
    let axum::extract::State(app) = app;
    let state = app.snapshot();
    let answer = async {
        let operation = routes::operation(&state.schema, &caller, &ctx, Action::List)?;
        if pairs.iter().any(|(k, _)| k == "expand") {
            return Err(Problem::bad_query(&QueryError {
                at: "expand".into(),
                message: "`select` embeds related rows already: name the link there \
                          (`select=*,author(*)`) instead of `expand`"
                    .into(),
            }));
        }
        let items = select::parse(text).map_err(plan_problem)?;
        // The window and count of the list itself, read as on any list.
        let own: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "limit" | "offset" | "count"))
            .cloned()
            .collect();
        let window = query::parse_query_string(state.manifest(), &operation.entity, &own)
            .map_err(|e| Problem::bad_query(&e))?;
        let rest: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "select" | "limit" | "offset" | "count"))
            .cloned()
            .collect();
        let level =
            plan::plan(&state.schema, &operation.entity, items, &rest).map_err(plan_problem)?;
        let (rows, count) = postgrest::run_read(
            &app,
            &state,
            operation,
            &level,
            (window.offset, window.limit),
            window
                .count
                .then_some(crate::serve::kernel::Counting::Exact),
        )
        .await
        .map_err(|e| read_problem(e, &ctx))?;
        routes::list_answer(Outcome::List(ListResult { rows, count }), window.count)
    }
    .await;
    finish(&ctx, answer)
}

/// `GET /api/{entity}/{id}`: one row; with embedded resources in
/// `select`, shaped by the profile's plan.
pub async fn read(app: Shared, caller: Caller, ctx: Ctx) -> Response {
    if !may_embed(&ctx) {
        return routes::read(app, caller, ctx).await;
    }
    // Boxed: the plain read's future stays as small as its own way.
    Box::pin(read_embedded(app, caller, ctx)).await
}

/// [`read`] of a query string that may embed.
async fn read_embedded(app: Shared, caller: Caller, ctx: Ctx) -> Response {
    let pairs = postgrest::pairs(&ctx);
    let Some(text) = embedding(&pairs) else {
        return routes::read(app, caller, ctx).await;
    };
    let axum::extract::State(app) = app;
    let state = app.snapshot();
    let answer: Answer = async {
        let mut operation = routes::operation(&state.schema, &caller, &ctx, Action::View)?;
        operation.key = request::key(&state.schema, &operation.entity, &ctx)?;
        if let Some((name, _)) = pairs.iter().find(|(k, _)| k != "select") {
            return Err(Problem::bad_query(&QueryError {
                at: name.clone(),
                message: format!(
                    "`{name}` applies to lists; a row addressed by its key takes only `select` and `expand`"
                ),
            }));
        }
        let items = select::parse(text).map_err(plan_problem)?;
        let level =
            plan::plan(&state.schema, &operation.entity, items, &[]).map_err(plan_problem)?;
        let outcome = app
            .kernel
            .run(&state.schema, operation.clone())
            .await
            .map_err(|e| Problem::kernel(e, &ctx))?;
        let Outcome::Row(row) = outcome else {
            return Err(Problem::internal());
        };
        let mut rows = postgrest::shape_rows(&app, &state, &operation, &level, vec![row])
            .await
            .map_err(|e| read_problem(e, &ctx))?;
        let row = rows.pop().unwrap_or_default();
        Ok(json_response(StatusCode::OK, &row))
    }
    .await;
    finish(&ctx, answer)
}

/// `PATCH /api/{entity}?filter`: every matching row changed.
pub async fn update(
    app: Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    many(app, caller, ctx, Action::Update, Some(body)).await
}

/// `DELETE /api/{entity}?filter`: every matching row deleted.
pub async fn delete(app: Shared, caller: Caller, ctx: Ctx) -> Response {
    many(app, caller, ctx, Action::Delete, None).await
}

/// A write of the rows a filter matches (at most `limit`, else
/// [`MAX_BULK`]), in one transaction where the engine has them; refused
/// without a filter unless `[api] unfiltered_writes`. The answer is the
/// list envelope of the rows written (as updated, or as they were before
/// the delete).
async fn many(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    action: Action,
    body: Option<Result<Bytes, BytesRejection>>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let mut operation = routes::operation(&state.schema, &caller, &ctx, action)?;
        if state
            .schema
            .entity(&operation.entity)
            .is_ok_and(Entity::is_read_only)
        {
            return Err(Problem::read_only(&operation.entity));
        }
        let pairs = postgrest::pairs(&ctx);
        if let Some((name, _)) = pairs
            .iter()
            .find(|(k, _)| matches!(k.as_str(), "count" | "expand"))
        {
            return Err(Problem::bad_query(&QueryError {
                at: name.clone(),
                message: format!(
                    "`{name}` applies to reads; a write of many rows takes filters, `order`, `limit`, `offset` and `select`"
                ),
            }));
        }
        let mut query = query::parse_query_string(state.manifest(), &operation.entity, &pairs)
            .map_err(|e| Problem::bad_query(&e))?;
        if query.filter.is_none() && !postgrest::unfiltered_writes(&state) {
            return Err(Problem::bad_query(&QueryError {
                at: "filter".into(),
                message: "a write of many rows needs a filter (`?id=eq.1`, `where=...`); \
                          `[api] unfiltered_writes = true` allows one without"
                    .into(),
            }));
        }
        if !pairs.iter().any(|(k, _)| k == "limit") {
            query.limit = MAX_BULK;
        }
        let select = query.select.take();
        operation.query = Some(query);
        if let Some(body) = body {
            operation.body = Some(Body {
                json: request::object_body(body)?,
                mode: WriteMode::Patch,
            });
        }
        let rows = app
            .kernel
            .run_many(&state.schema, operation)
            .await
            .map_err(|e| Problem::kernel(e, &ctx))?;
        let rows: Vec<Json> = rows
            .into_iter()
            .map(|mut row| {
                if let Some(select) = &select {
                    row.retain(|name, _| select.contains(name));
                }
                Json::Object(row)
            })
            .collect();
        Ok(json_response(StatusCode::OK, &json!({ "data": rows })))
    }
    .await;
    finish(&ctx, answer)
}
