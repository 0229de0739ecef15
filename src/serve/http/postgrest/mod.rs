//! The PostgREST-compatible profile (docs/postgrest.md): a second HTTP
//! front end over the same kernel, mounted at `[api] postgrest` (by
//! default `/rest/v1`), speaking PostgREST's wire rules so that
//! `@supabase/postgrest-js` and `supabase-js` work unchanged: bare JSON
//! arrays, `select` with renames and embedded resources, `Prefer`,
//! `Range`/`Content-Range`, single-object answers, filtered bulk writes
//! and PostgREST's error body.
//!
//! - [`select`]: the `select` grammar
//! - [`plan`]: a read resolved against the manifest's links
//! - [`error`]: `{code, message, details, hint}` errors
//! - [`openapi`]: the profile's OpenAPI description, served at its root
//! - `csv`: answers of rows as CSV (`Accept: text/csv`)

mod csv;
pub mod error;
pub mod openapi;
pub mod plan;
pub mod select;
mod write;

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

use self::error::PgError;
use super::Ctx;
use super::routes::Caller;
use crate::query::MAX_LIMIT;
use crate::serve::kernel::{Action, Counting, KernelError, Operation, Outcome};
use crate::serve::operation::Principal;
use crate::serve::state::{AppState, State};
use crate::serve::store::Row;

/// The media type of a single-object answer.
pub const OBJECT: &str = "application/vnd.pgrst.object+json";

/// The profile's routes under `prefix` (`/rest/v1`).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    let mount = prefix.to_owned();
    let root = get(move |state: super::Shared, headers: HeaderMap| {
        let mount = mount.clone();
        async move { root(state, headers, mount).await }
    });
    Router::new()
        .route(prefix, root.clone())
        .route(&format!("{prefix}/"), root)
        .route(&format!("{prefix}/rpc/{{function}}"), any(rpc))
        .route(
            &format!("{prefix}/{{table}}"),
            get(read)
                .post(write::insert)
                .patch(write::update)
                .delete(write::delete),
        )
}

/// `GET /rest/v1/`: the profile's OpenAPI description of the served
/// entities ([`openapi`]), mounted at `prefix`.
async fn root(
    axum::extract::State(app): super::Shared,
    headers: HeaderMap,
    prefix: String,
) -> Response {
    let document = app
        .snapshot()
        .postgrest_openapi(move |manifest| openapi::document(manifest, &prefix))
        .await;
    super::discovery::document_answer(&document, &headers, openapi::MEDIA)
}

/// `/rest/v1/rpc/{function}`: baas serves no database functions.
async fn rpc(Path(function): Path<String>) -> Response {
    PgError::new(
        StatusCode::NOT_FOUND,
        "PGRST202",
        format!("Could not find the function public.{function} in the schema cache"),
    )
    .hint("baas serves entities only: database functions (rpc) are not served")
    .respond()
}

/// The query string as decoded pairs, in order.
pub(crate) fn pairs(ctx: &Ctx) -> Vec<(String, String)> {
    url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The entity named by the path, or PostgREST's 404.
pub(crate) fn entity<'s>(state: &'s State, table: &str) -> Result<&'s str, PgError> {
    let manifest = state.manifest();
    match manifest.entities.get_key_value(table) {
        Some((name, _)) => Ok(name.as_str()),
        None => {
            let names: Vec<&str> = manifest.entities.keys().map(String::as_str).collect();
            Err(PgError::unknown_table(table, &names))
        }
    }
}

/// Whether `[api] unfiltered_writes` lets a bulk update or delete run
/// without a filter (on every row).
pub(crate) fn unfiltered_writes(state: &State) -> bool {
    state
        .manifest()
        .api
        .as_ref()
        .is_some_and(|api| api.unfiltered_writes)
}

/// `count=estimated` counts exactly up to this many rows and asks the
/// planner above it: the most rows one read answers, as PostgREST uses its
/// `db-max-rows`.
pub(crate) const ESTIMATED_EXACT_UP_TO: u64 = MAX_LIMIT;

/// What the `Prefer` headers ask for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefer {
    /// `count=exact|planned|estimated`.
    pub count: Option<Counting>,
    /// `return=`; [`Returning::Minimal`] when not asked.
    pub returning: Option<Returning>,
    pub merge: Option<bool>,
    pub missing_default: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returning {
    #[default]
    Minimal,
    Representation,
    HeadersOnly,
}

impl Prefer {
    pub fn of(headers: &HeaderMap) -> Self {
        let mut prefer = Self::default();
        let tokens = headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim);
        for token in tokens {
            match token {
                "count=exact" => prefer.count = Some(Counting::Exact),
                "count=planned" => prefer.count = Some(Counting::Planned),
                "count=estimated" => {
                    prefer.count = Some(Counting::Estimated {
                        threshold: ESTIMATED_EXACT_UP_TO,
                    });
                }
                "return=representation" => prefer.returning = Some(Returning::Representation),
                "return=minimal" => prefer.returning = Some(Returning::Minimal),
                "return=headers-only" => prefer.returning = Some(Returning::HeadersOnly),
                "resolution=merge-duplicates" => prefer.merge = Some(true),
                "resolution=ignore-duplicates" => prefer.merge = Some(false),
                "missing=default" => prefer.missing_default = true,
                _ => {}
            }
        }
        prefer
    }

    /// What a write answers with.
    pub fn returning(&self) -> Returning {
        self.returning.unwrap_or_default()
    }

    /// `Preference-Applied`: the preferences an operation of `action`
    /// honoured, in PostgREST's order (reads honour only `count`; only
    /// inserts `resolution` and `missing`).
    pub fn applied(&self, action: Action) -> Option<HeaderValue> {
        let mut applied = Vec::new();
        if action == Action::Create {
            match self.merge {
                Some(true) => applied.push("resolution=merge-duplicates"),
                Some(false) => applied.push("resolution=ignore-duplicates"),
                None => {}
            }
            if self.missing_default {
                applied.push("missing=default");
            }
        }
        if action.is_write() {
            match self.returning {
                Some(Returning::Representation) => applied.push("return=representation"),
                Some(Returning::Minimal) => applied.push("return=minimal"),
                Some(Returning::HeadersOnly) => applied.push("return=headers-only"),
                None => {}
            }
        }
        match self.count {
            Some(Counting::Exact) => applied.push("count=exact"),
            Some(Counting::Planned) => applied.push("count=planned"),
            Some(Counting::Estimated { .. }) => applied.push("count=estimated"),
            None => {}
        }
        if applied.is_empty() {
            return None;
        }
        HeaderValue::from_str(&applied.join(", ")).ok()
    }

    /// `response` with its `Preference-Applied` for `action`.
    pub fn tell(&self, action: Action, mut response: Response) -> Response {
        if let Some(applied) = self.applied(action) {
            response.headers_mut().insert(PREFERENCE_APPLIED, applied);
        }
        response
    }
}

/// The response header naming the preferences honoured.
const PREFERENCE_APPLIED: &str = "preference-applied";

/// What an answer of rows is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    /// A JSON array (`application/json`, the default).
    Json,
    /// One JSON object (`.single()`).
    Object,
    /// CSV with a header row.
    Csv,
}

/// The media type `Accept` prefers (by `q`, then in the order given)
/// among those served; 406 `PGRST107` when it accepts none of them.
pub(crate) fn media(headers: &HeaderMap) -> Result<Media, PgError> {
    let mut ranges: Vec<(String, f32)> = Vec::new();
    let values = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok());
    for range in values.flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse().ok())
            .unwrap_or(1.0);
        ranges.push((name, q));
    }
    if ranges.is_empty() {
        return Ok(Media::Json);
    }
    let mut preferred = ranges.clone();
    preferred.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, q) in &preferred {
        let media = match name.as_str() {
            _ if *q <= 0.0 => continue,
            "application/json" | "application/vnd.pgrst.array+json" | "application/*" | "*/*" => {
                Media::Json
            }
            OBJECT => Media::Object,
            "text/csv" => Media::Csv,
            _ => continue,
        };
        return Ok(media);
    }
    let names: Vec<&str> = ranges.iter().map(|(name, _)| name.as_str()).collect();
    Err(PgError::new(
        StatusCode::NOT_ACCEPTABLE,
        "PGRST107",
        format!(
            "None of these media types are available: {}",
            names.join(", ")
        ),
    )
    .hint("baas answers application/json, application/vnd.pgrst.object+json and text/csv"))
}

/// `Range: 0-9` (items): the offset and, when bounded, the limit.
fn range(headers: &HeaderMap) -> Result<Option<(u64, Option<u64>)>, PgError> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let value = value.trim();
    let value = value.strip_prefix("items=").unwrap_or(value);
    let bad = || {
        PgError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "PGRST103",
            "Requested range not satisfiable",
        )
        .details(format!(
            "the range `{value}` is not `first-last` or `first-`"
        ))
    };
    let (first, last) = value.split_once('-').ok_or_else(bad)?;
    let first: u64 = first.trim().parse().map_err(|_| bad())?;
    let last = match last.trim() {
        "" => None,
        text => {
            let last: u64 = text.parse().map_err(|_| bad())?;
            if last < first {
                return Err(bad());
            }
            Some(last - first + 1)
        }
    };
    Ok(Some((first, last)))
}

/// Why a planned read failed: the plan (a PostgREST error) or the kernel
/// (mapped by each profile to its own error body).
#[derive(Debug)]
pub(crate) enum ReadError {
    Plan(PgError),
    Kernel(KernelError),
}

impl From<PgError> for ReadError {
    fn from(error: PgError) -> Self {
        Self::Plan(error)
    }
}

impl ReadError {
    /// The profile's error body.
    pub(crate) fn into_pg(self, principal: &Principal, ctx: &Ctx) -> PgError {
        match self {
            Self::Plan(error) => error,
            Self::Kernel(error) => PgError::kernel(error, principal, ctx),
        }
    }
}

/// Runs a plan's read; the rows shaped as asked, and the count when asked.
pub(crate) async fn run_read(
    app: &AppState,
    state: &State,
    operation: Operation,
    level: &plan::Level,
    window: (u64, u64),
    count: Option<Counting>,
) -> Result<(Vec<Row>, Option<u64>), ReadError> {
    let schema = &state.schema;
    let shape = level.shape(&app.kernel, schema, &operation.principal)?;
    let mut operation = operation;
    operation.action = Action::List;
    operation.query = Some(crate::query::ListQuery {
        filter: shape.filter,
        select: level.fields(),
        order: shape.order,
        limit: window.1,
        offset: window.0,
        count: count.is_some(),
        expand: Vec::new(),
    });
    operation.counting = count.unwrap_or_default();
    let parent = operation.clone();
    let outcome = app
        .kernel
        .run(schema, operation)
        .await
        .map_err(ReadError::Kernel)?;
    let Outcome::List(result) = outcome else {
        return Err(ReadError::Plan(PgError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PGRST000",
            "the list answered no rows",
        )));
    };
    let rows = shape_rows(app, state, &parent, level, result.rows).await?;
    Ok((rows, result.count))
}

/// Rows of `level`'s entity as the client asked for them: embedded
/// resources nested (sub-operations of `parent`), fields picked, renamed.
pub(crate) async fn shape_rows(
    app: &AppState,
    state: &State,
    parent: &Operation,
    level: &plan::Level,
    mut rows: Vec<Row>,
) -> Result<Vec<Row>, ReadError> {
    if level.is_plain() {
        return Ok(rows);
    }
    let schema = &state.schema;
    let principal = &parent.principal;
    let nests = level.nests(&app.kernel, schema, principal)?;
    crate::serve::kernel::expand::nest(
        &app.kernel,
        schema,
        parent,
        &level.entity,
        &nests,
        &mut rows,
        "",
    )
    .await
    .map_err(ReadError::Kernel)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| level.output(row))
        .collect())
}

/// `GET /rest/v1/{table}` (and `HEAD`).
async fn read(
    axum::extract::State(app): super::Shared,
    caller: Caller,
    ctx: Ctx,
    Path(table): Path<String>,
    headers: HeaderMap,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        let entity = entity(&state, &table)?;
        let pairs = pairs(&ctx);
        let items = match pairs.iter().rev().find(|(k, _)| k == "select") {
            Some((_, text)) => select::parse(text)?,
            None => vec![select::Item::Star],
        };
        let level = plan::plan(&state.schema, entity, items, &pairs)?;
        let prefer = Prefer::of(&headers);
        let (offset, limit) = match (level.offset, level.limit, range(&headers)?) {
            (None, None, Some((offset, limit))) => (offset, limit),
            (offset, limit, _) => (offset.unwrap_or(0), limit),
        };
        let window = (
            offset.min(crate::query::MAX_OFFSET),
            limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
        );
        let mut operation = Operation::new(caller.0.clone(), entity.to_owned(), Action::List);
        operation.tenant.clone_from(&ctx.tenant);
        if state.schema.rules.uses_query {
            operation.params = pairs.clone();
        }
        let (rows, count) = run_read(&app, &state, operation, &level, window, prefer.count)
            .await
            .map_err(|e| e.into_pg(&caller.0, &ctx))?;
        let answer = rows_answer(&headers, rows, offset, count, StatusCode::OK)?;
        Ok::<_, PgError>(prefer.tell(Action::List, answer))
    }
    .await;
    answer.unwrap_or_else(PgError::respond)
}

/// `Content-Range` of `rows` read from `offset`: `0-9/100`, `*/0`.
fn content_range(offset: u64, rows: usize, count: Option<u64>) -> String {
    let total = count.map_or_else(|| "*".to_owned(), |c| c.to_string());
    if rows == 0 {
        format!("*/{total}")
    } else {
        format!("{offset}-{}/{total}", offset + rows as u64 - 1)
    }
}

/// The answer of rows: an array, or one object when asked (406 unless
/// exactly one), `Content-Range`, and 206 when a count shows more rows.
pub(crate) fn rows_answer(
    headers: &HeaderMap,
    mut rows: Vec<Row>,
    offset: u64,
    count: Option<u64>,
    status: StatusCode,
) -> Result<Response, PgError> {
    let media = media(headers)?;
    let single = media == Media::Object;
    if single && rows.len() != 1 {
        return Err(PgError::new(
            StatusCode::NOT_ACCEPTABLE,
            "PGRST116",
            "JSON object requested, multiple (or no) rows returned",
        )
        .details(format!("The result contains {} rows", rows.len())));
    }
    let status = match count {
        // (An estimate may fall short of rows that are there.)
        Some(total) if offset > total && rows.is_empty() => {
            return Err(PgError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "PGRST103",
                "Requested range not satisfiable",
            )
            .details(format!(
                "An offset of {offset} was requested, but there are only {total} rows."
            )));
        }
        Some(total) if status == StatusCode::OK && (rows.len() as u64) < total => {
            StatusCode::PARTIAL_CONTENT
        }
        _ => status,
    };
    let range = content_range(offset, rows.len(), count);
    let (body, media) = match media {
        Media::Object => (
            serde_json::to_vec(&rows.pop().unwrap_or_default()),
            "application/vnd.pgrst.object+json; charset=utf-8",
        ),
        Media::Json => (serde_json::to_vec(&rows), "application/json; charset=utf-8"),
        Media::Csv => (
            Ok(csv::write(&rows).into_bytes()),
            "text/csv; charset=utf-8",
        ),
    };
    let body = body.map_err(|e| {
        PgError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PGRST000",
            format!("cannot write the answer: {e}"),
        )
    })?;
    let mut response = (status, body).into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(value) = HeaderValue::from_str(&range) {
        out.insert(header::CONTENT_RANGE, value);
    }
    Ok(response)
}
