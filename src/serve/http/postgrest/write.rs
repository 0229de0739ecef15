//! The profile's writes: `POST` of an object or an array (bulk insert,
//! upsert with `Prefer: resolution=...` and `on_conflict`), filtered
//! `PATCH` and `DELETE` (refused without a filter), each row one kernel
//! operation so rules, hooks and events apply per row. `Prefer: return=`
//! chooses the answer: nothing (default), the rows, or headers only.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use super::error::PgError;
use super::plan::{self, Level};
use super::{Prefer, Returning, entity, pairs, rows_answer, select, shape_rows};
use crate::query::{self, Filter, Op, WriteMode};
use crate::serve::http::problem::BODY_LIMIT;
use crate::serve::http::request::json_kind;
use crate::serve::http::routes::Caller;
use crate::serve::http::{Ctx, Shared};
use crate::serve::kernel::bulk::MAX_BULK;
use crate::serve::kernel::{Action, Body, KernelError, Operation, Outcome};
use crate::serve::state::{AppState, State};
use crate::serve::store::{Row, StoreError};

/// The body: one object or an array of objects (PGRST102 otherwise).
fn objects(body: Result<Bytes, BytesRejection>) -> Result<Vec<Json>, PgError> {
    let invalid = |detail: String| {
        PgError::new(StatusCode::BAD_REQUEST, "PGRST102", "Empty or invalid json").details(detail)
    };
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PgError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PGRST102",
                format!("the body is over the limit of {BODY_LIMIT} bytes"),
            )
        } else {
            invalid(rejection.body_text())
        }
    })?;
    let json: Json = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
    let items = match json {
        Json::Array(items) => items,
        object @ Json::Object(_) => vec![object],
        other => {
            return Err(invalid(format!(
                "the body is {}; it must be an object or an array of objects",
                json_kind(&other)
            )));
        }
    };
    if let Some(bad) = items.iter().find(|item| !item.is_object()) {
        return Err(invalid(format!(
            "an item of the array is {}; every item must be an object",
            json_kind(bad)
        )));
    }
    Ok(items)
}

/// `columns=a,b` (or `on_conflict=`): names of `entity`'s fields.
fn fields_param(
    state: &State,
    entity: &str,
    pairs: &[(String, String)],
    name: &str,
) -> Result<Option<Vec<String>>, PgError> {
    let Some((_, text)) = pairs.iter().rev().find(|(k, _)| k == name) else {
        return Ok(None);
    };
    let definition = state
        .schema
        .entity(entity)
        .map_err(|e| PgError::unknown_table(&e.0, &[]))?;
    let mut out = Vec::new();
    for field in text.split(',').map(|f| f.trim().trim_matches('"')) {
        if !definition.fields.contains_key(field) {
            return Err(PgError::new(
                StatusCode::BAD_REQUEST,
                "PGRST204",
                format!("Could not find the '{field}' column of '{entity}' in the schema cache"),
            ));
        }
        out.push(field.to_owned());
    }
    Ok(Some(out))
}

/// The plan of what a write answers with (`select=`; all fields else).
fn returned(state: &State, entity: &str, pairs: &[(String, String)]) -> Result<Level, PgError> {
    let items = match pairs.iter().rev().find(|(k, _)| k == "select") {
        Some((_, text)) => select::parse(text)?,
        None => vec![select::Item::Star],
    };
    // Only `select` shapes a write's answer; filters choose its rows. The
    // parameters of an embedded resource (`orders.order=id`) are those
    // whose first segment names one of the select's embeddings.
    let embeds: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            select::Item::Embed(embed) => Some(embed.key()),
            _ => None,
        })
        .collect();
    let embedded: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| {
            k.split_once('.')
                .is_some_and(|(first, _)| embeds.contains(&first))
        })
        .cloned()
        .collect();
    plan::plan(&state.schema, entity, items, &embedded)
}

/// The answer of a write: per `Prefer: return=`.
#[allow(clippy::too_many_arguments)]
async fn answer(
    app: &AppState,
    state: &State,
    parent: &Operation,
    ctx: &Ctx,
    headers: &HeaderMap,
    prefer: Prefer,
    rows: Vec<Row>,
    created: bool,
) -> Result<Response, PgError> {
    let written = rows.len() as u64;
    let pairs = pairs(ctx);
    let response = match prefer.returning() {
        Returning::Representation => {
            let level = returned(state, &parent.entity, &pairs)?;
            let rows = shape_rows(app, state, parent, &level, rows)
                .await
                .map_err(|e| e.into_pg(&parent.principal, ctx))?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            rows_answer(headers, rows, 0, prefer.count.map(|_| written), status)?
        }
        Returning::Minimal | Returning::HeadersOnly => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::NO_CONTENT
            };
            let mut response = status.into_response();
            let total = if prefer.count.is_some() {
                written.to_string()
            } else {
                "*".to_owned()
            };
            if let Ok(value) = HeaderValue::from_str(&format!("*/{total}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            if created
                && prefer.returning() == Returning::HeadersOnly
                && let Some(location) = location(state, &parent.entity, &rows)
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
    };
    Ok(prefer.tell(parent.action, response))
}

/// `Location: /book?id=eq.7` of the one row created.
fn location(state: &State, entity: &str, rows: &[Row]) -> Option<HeaderValue> {
    let [row] = rows else { return None };
    let definition = state.schema.entity(entity).ok()?;
    if definition.primary_key.is_empty() {
        return None;
    }
    let filters: Vec<String> = definition
        .primary_key
        .iter()
        .map(|field| {
            let text = match row.get(field) {
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            format!("{field}=eq.{}", crate::serve::http::encode_segment(&text))
        })
        .collect();
    HeaderValue::from_str(&format!("/{entity}?{}", filters.join("&"))).ok()
}

/// `POST /rest/v1/{table}`: one row or many, each through the kernel.
pub async fn insert(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    Path(table): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let entity = entity(&state, &table)?.to_owned();
        let pairs = pairs(&ctx);
        let prefer = Prefer::of(&headers);
        let columns = fields_param(&state, &entity, &pairs, "columns")?;
        let on_conflict = match fields_param(&state, &entity, &pairs, "on_conflict")? {
            Some(fields) => fields,
            None => state
                .schema
                .entity(&entity)
                .map(|e| e.primary_key.clone())
                .unwrap_or_default(),
        };
        let mut parent = Operation::new(caller.0.clone(), entity.clone(), Action::Create);
        parent.tenant.clone_from(&ctx.tenant);
        if state.schema.rules.uses_query {
            parent.params = pairs.clone();
        }
        let mut operations = Vec::new();
        for mut item in objects(body)? {
            if let (Some(columns), Some(object)) = (&columns, item.as_object_mut()) {
                object.retain(|key, _| columns.contains(key));
            }
            let mut operation = parent.clone();
            operation.body = Some(Body {
                json: item,
                mode: WriteMode::Insert,
            });
            operations.push(operation);
        }
        let fail = |e| PgError::kernel(e, &caller.0, &ctx);
        // Every row judged before any is written (an upsert's rows may be
        // updates: those are judged as they are written).
        if prefer.merge.is_none() {
            app.kernel
                .check_creates(&state.schema, &mut operations)
                .await
                .map_err(fail)?;
        }
        // All the rows in one transaction where the engine has them.
        let work = async {
            let mut written = Vec::new();
            for operation in operations {
                let item = operation
                    .body
                    .as_ref()
                    .map(|body| body.json.clone())
                    .unwrap_or_default();
                if let Some(merge) = prefer.merge
                    && let Some(handled) =
                        resolve(&app, &state, &parent, &ctx, &on_conflict, &item, merge).await?
                {
                    written.extend(handled);
                    continue;
                }
                match app.kernel.run(&state.schema, operation).await {
                    Ok(Outcome::Row(row)) => written.push(row),
                    Ok(_) => {}
                    // A duplicate on another unique field: ignored when asked.
                    Err(KernelError::Store(StoreError::Conflict { .. }))
                        if prefer.merge == Some(false) => {}
                    Err(error) => return Err(fail(error)),
                }
            }
            Ok(written)
        };
        let written = app
            .kernel
            .in_transaction(&state.schema, ctx.tenant.as_deref(), work)
            .await
            .map_err(fail)??;
        answer(&app, &state, &parent, &ctx, &headers, prefer, written, true).await
    }
    .await;
    answer.unwrap_or_else(PgError::respond)
}

/// `resolution=merge-duplicates|ignore-duplicates`: when a row has the
/// item's `on_conflict` values, it is updated with the item (merge, the
/// row updated) or left alone (ignore, nothing); `None` when there is no
/// such row and the item is to be inserted.
async fn resolve(
    app: &AppState,
    state: &State,
    parent: &Operation,
    ctx: &Ctx,
    on_conflict: &[String],
    item: &Json,
    merge: bool,
) -> Result<Option<Option<Row>>, PgError> {
    let principal = &parent.principal;
    let definition = state
        .schema
        .entity(&parent.entity)
        .map_err(|e| PgError::unknown_table(&e.0, &[]))?;
    let mut terms = Vec::new();
    for field in on_conflict {
        match item.get(field) {
            Some(value) if !value.is_null() => terms.push(Filter::Compare {
                field: field.clone(),
                op: Op::Eq,
                value: crate::serve::kernel::expand::typed(definition, field, value),
            }),
            // Nothing to conflict on: an insert.
            _ => return Ok(None),
        }
    }
    let mut operation = parent.clone();
    operation.query = Some(query::ListQuery::matching(Filter::And(terms), 1));
    let fail = |e| PgError::kernel(e, principal, ctx);
    if merge {
        operation.action = Action::Update;
        operation.body = Some(Body {
            json: item.clone(),
            mode: WriteMode::Patch,
        });
        let mut rows = app
            .kernel
            .run_many(&state.schema, operation)
            .await
            .map_err(fail)?;
        return Ok(rows.pop().map(Some));
    }
    operation.action = Action::List;
    operation.body = None;
    match app
        .kernel
        .run(&state.schema, operation)
        .await
        .map_err(fail)?
    {
        Outcome::List(found) if !found.rows.is_empty() => Ok(Some(None)),
        _ => Ok(None),
    }
}

/// `PATCH /rest/v1/{table}?filters`: every matching row.
pub async fn update(
    app: Shared,
    caller: Caller,
    ctx: Ctx,
    path: Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        let mut items = objects(body)?;
        if items.len() != 1 {
            return Err(
                PgError::new(StatusCode::BAD_REQUEST, "PGRST102", "Empty or invalid json")
                    .details("a PATCH body is one object of the fields to change"),
            );
        }
        Ok(items.pop())
    }
    .await;
    match answer {
        Ok(body) => bulk(app, caller, ctx, path, headers, Action::Update, body).await,
        Err(error) => error.respond(),
    }
}

/// `DELETE /rest/v1/{table}?filters`: every matching row.
pub async fn delete(
    app: Shared,
    caller: Caller,
    ctx: Ctx,
    path: Path<String>,
    headers: HeaderMap,
) -> Response {
    bulk(app, caller, ctx, path, headers, Action::Delete, None).await
}

/// `not.or` / `not.and`: a logic tree of the written rows, not a filter of
/// an embedded resource, although dotted.
fn negated_tree(key: &str) -> bool {
    matches!(key, "not.or" | "not.and")
}

/// The parameters that do not filter rows.
const NOT_FILTERS: &[&str] = &[
    "select",
    "columns",
    "on_conflict",
    "order",
    "limit",
    "offset",
];

async fn bulk(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    Path(table): Path<String>,
    headers: HeaderMap,
    action: Action,
    body: Option<Json>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let entity = entity(&state, &table)?.to_owned();
        let pairs = pairs(&ctx);
        let filters: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| {
                !NOT_FILTERS.contains(&k.as_str()) && (!k.contains('.') || negated_tree(k))
            })
            .cloned()
            .collect();
        if filters.is_empty() && !super::unfiltered_writes(&state) {
            let verb = if action == Action::Update {
                "UPDATE"
            } else {
                "DELETE"
            };
            return Err(PgError::new(
                StatusCode::BAD_REQUEST,
                "21000",
                format!("{verb} requires a WHERE clause"),
            )
            .hint("add a filter (`?id=eq.1`), or allow writes without one with `[api] unfiltered_writes = true`"));
        }
        let prefer = Prefer::of(&headers);
        let mut window: Vec<(String, String)> = filters;
        window.extend(
            pairs
                .iter()
                .filter(|(k, _)| k == "order")
                .cloned(),
        );
        let mut query = query::parse_query_string(state.manifest(), &entity, &window)?;
        query.limit = match pairs.iter().rev().find(|(k, _)| k == "limit") {
            Some((_, text)) => text.trim().parse().map_err(|_| {
                PgError::parse(format!("`limit` must be a whole number of rows, not `{text}`"))
            })?,
            None => MAX_BULK,
        };
        let mut operation = Operation::new(caller.0.clone(), entity.clone(), action);
        operation.tenant.clone_from(&ctx.tenant);
        if state.schema.rules.uses_query {
            operation.params = pairs.clone();
        }
        operation.query = Some(query);
        operation.body = body.map(|json| Body {
            json,
            mode: WriteMode::Patch,
        });
        let parent = operation.clone();
        let rows = app
            .kernel
            .run_many(&state.schema, operation)
            .await
            .map_err(|e| PgError::kernel(e, &caller.0, &ctx))?;
        answer(&app, &state, &parent, &ctx, &headers, prefer, rows, false).await
    }
    .await;
    answer.unwrap_or_else(PgError::respond)
}
