//! The store of an upstream GraphQL API (`[source] engine = "graphql"`
//! with an upstream URL, or `baas serve --upstream URL` on such a
//! manifest): list/get/create/update/delete post the query and mutation
//! fields the SDL import mapped (`[api.operations.graphql]`).
//!
//! - **Calls.** Through the REST store's client ([`HttpStore`]): pooled
//!   connections, a timeout per call, retries with backoff (queries only:
//!   they are idempotent even though they are posted), the cap on calls in
//!   flight, the circuit breaker and the credentials.
//! - **Documents.** Built from the manifest: one variable per argument,
//!   declared with the type the schema gives it, the values bound as
//!   variables and never written into the document; the selection is the
//!   entity's fields (`paths` reach into nested objects).
//! - **Queries.** A filter made of equalities on fields the list field
//!   takes as arguments (or as fields of its filter input object) is passed
//!   on, and so is the page: Relay connections are read cursor by cursor,
//!   offset lists by `limit`/`offset`, at most `max_pages` calls. An order
//!   on fields its order argument takes (`order` in the manifest: an input
//!   object, an enum or a string) is passed on, and a count read from the
//!   connection's `totalCount` or the list's aggregate field. Anything else
//!   is applied by baas over at most `max_pages` pages, with the
//!   `X-Baas-Filtered` header the REST store sets.
//! - **Keys.** A get, update or delete takes one argument per key field:
//!   a composite key (`/api/Membership/1,2`) fills `membership(userId:,
//!   groupId:)`.
//! - **Errors.** An answer with `errors` is a problem even with status 200
//!   (its `extensions.code` picks the status: `BAD_USER_INPUT` 422,
//!   `NOT_FOUND` 404, `UNAUTHENTICATED` 401, `FORBIDDEN` 403, `CONFLICT`
//!   409, else 502); another status is kept; the upstream's message is
//!   shown only with `[api.upstream] expose_errors = true`.
//! - **Webhooks.** Deliveries of writes made through baas are recorded in
//!   the REST store's local outbox file once the upstream answered.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use super::http::{
    HttpStore, MAX_BY_KEY, each_key, entity_of, equalities, find, fingerprint, finish_locally,
    in_scope, key_list, kind, local_note, more_after, note_filtered, select, upstream_error, wire,
};
use super::{ListResult, Outbox, Row, StoreError, Updated, Values};
use crate::manifest::{
    Entity, Field, FieldType, GraphqlOperation, GraphqlOperationType, GraphqlOrder,
    GraphqlOrderStyle, Manifest, Operation, OperationAction, PaginationStyle,
};
use crate::query::{Filter, ListQuery, Op, OrderBy, Value};
use crate::webhooks::outbox::Write;

/// Rows asked for per upstream page.
const PAGE: u64 = 100;
const BUILT_IN_SCALARS: &[&str] = &["ID", "String", "Int", "Float", "Boolean"];

/// The GraphQL upstream store.
pub struct GraphqlStore {
    http: HttpStore,
}

/// One root field to call: its operation and GraphQL form.
#[derive(Clone, Copy)]
struct Call<'m> {
    operation: &'m Operation,
    graphql: &'m GraphqlOperation,
}

impl<'m> Call<'m> {
    fn of(
        manifest: &'m Manifest,
        entity: &str,
        action: OperationAction,
    ) -> Result<Self, StoreError> {
        let operation = find(manifest, entity, &[action])?;
        let graphql = operation.graphql.as_ref().ok_or_else(|| {
            StoreError::Internal(anyhow::anyhow!(
                "the `{action}` operation of `{entity}` has no `[api.operations.graphql]` form"
            ))
        })?;
        Ok(Self { operation, graphql })
    }

    /// `query books` / `mutation createBook`, for messages.
    fn label(&self) -> String {
        format!("{} {}", self.graphql.operation, self.graphql.field)
    }
}

/// How a list field pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paging {
    Relay,
    Offset,
    /// One answer holds every row.
    Whole,
}

impl GraphqlStore {
    /// A store for `manifest`'s upstream at `base` (the endpoint is `base`
    /// followed by each operation's `path`); `env` resolves `${VAR}` in the
    /// credentials.
    pub fn new(
        manifest: &Manifest,
        base: &str,
        env: &dyn Fn(&str) -> anyhow::Result<String>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            http: HttpStore::new(manifest, base, env)?,
        })
    }

    /// Records the deliveries of `[[webhooks]]` in the SQLite file at
    /// `path`, as the REST store does ([`HttpStore::with_outbox`]).
    pub fn with_outbox(self, path: std::path::PathBuf) -> Self {
        Self {
            http: self.http.with_outbox(path),
        }
    }

    /// Posts `call`'s field with `variables` (each one of its arguments):
    /// the value of `data.<field>`, or the problem the answer is.
    async fn run(
        &self,
        call: Call<'_>,
        variables: Map<String, Json>,
        selection: Option<String>,
    ) -> Result<Json, StoreError> {
        let document = document(call.graphql, &variables, selection)?;
        let url = self.http.join(&call.operation.path)?;
        let body = serde_json::json!({ "query": document, "variables": variables });
        let idempotent = call.graphql.operation == GraphqlOperationType::Query;
        let answer = self
            .http
            .call_as(Method::POST, url, Some(&body), idempotent)
            .await?;
        let json: Option<Json> = serde_json::from_slice(&answer.body).ok();
        let message = json
            .as_ref()
            .and_then(|json| json.pointer("/errors/0/message"))
            .and_then(Json::as_str)
            .map(str::to_owned);
        if !answer.status.is_success() {
            let mut detail = format!(
                "the upstream GraphQL `{}` answered {}",
                call.label(),
                answer.status
            );
            if self.http.expose_errors() {
                let text = message.unwrap_or_else(|| {
                    String::from_utf8_lossy(&answer.body)
                        .chars()
                        .take(500)
                        .collect()
                });
                detail.push_str(": ");
                detail.push_str(&text);
            }
            return Err(upstream_error(answer.status, detail));
        }
        let Some(mut json) = json else {
            return Err(upstream_error(
                StatusCode::BAD_GATEWAY,
                format!(
                    "the upstream GraphQL `{}` answered a body that is not JSON",
                    call.label()
                ),
            ));
        };
        if let Some(errors) = json.get("errors").and_then(Json::as_array)
            && !errors.is_empty()
        {
            let code = json
                .pointer("/errors/0/extensions/code")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let status = match code {
                "BAD_USER_INPUT" => StatusCode::UNPROCESSABLE_ENTITY,
                "NOT_FOUND" => StatusCode::NOT_FOUND,
                "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
                "FORBIDDEN" => StatusCode::FORBIDDEN,
                "CONFLICT" => StatusCode::CONFLICT,
                _ => StatusCode::BAD_GATEWAY,
            };
            let mut detail = format!("the upstream GraphQL `{}` answered an error", call.label());
            if !code.is_empty() {
                detail.push_str(&format!(" ({code})"));
            }
            if self.http.expose_errors()
                && let Some(message) = message
            {
                detail.push_str(": ");
                detail.push_str(&message);
            }
            return Err(upstream_error(status, detail));
        }
        match json
            .get_mut("data")
            .and_then(|data| data.get_mut(&call.graphql.field))
        {
            Some(value) => Ok(value.take()),
            None => Err(upstream_error(
                StatusCode::BAD_GATEWAY,
                format!(
                    "the upstream GraphQL `{}` answered no `data.{}`",
                    call.label(),
                    call.graphql.field
                ),
            )),
        }
    }

    /// [`GraphqlStore::run`], where an upstream `NOT_FOUND` error is no row.
    async fn run_keyed(
        &self,
        call: Call<'_>,
        variables: Map<String, Json>,
        selection: Option<String>,
    ) -> Result<Json, StoreError> {
        match self.run(call, variables, selection).await {
            Err(StoreError::Upstream { status: 404, .. }) => Ok(Json::Null),
            other => other,
        }
    }

    /// Runs a mutation that selects `entity`'s row: the row (out of its
    /// payload), or what else it answered (`null` when the upstream says
    /// `NOT_FOUND`).
    async fn mutate(
        &self,
        call: Call<'_>,
        entity: &Entity,
        variables: Map<String, Json>,
    ) -> Result<Json, StoreError> {
        let selection = mutation_selection(entity, call.graphql);
        let json = self.run_keyed(call, variables, selection).await?;
        Ok(result_of(call.graphql, json))
    }

    /// Reads pages of `call` with `arguments` (filters, order): from row
    /// `start` on, `want` rows at most (all when `None`), in at most
    /// `max_pages` calls. Also says whether every row was read, and with
    /// `count` the total the first answer gave at `graphql.count`; when it
    /// gave `null` there, the pages are read on to the last and counted
    /// (the same pass gives the rows and the count).
    async fn pages(
        &self,
        call: Call<'_>,
        entity: &Entity,
        arguments: &Map<String, Json>,
        (start, want): (u64, Option<u64>),
        count: bool,
    ) -> Result<Page, StoreError> {
        let pagination = call.operation.pagination.as_ref();
        let limit_name = pagination.and_then(|p| p.limit.clone());
        let paging = match pagination {
            _ if call.graphql.connection => Paging::Relay,
            Some(p) if p.style == PaginationStyle::Offset && p.limit.is_some() => Paging::Offset,
            _ => Paging::Whole,
        };
        let counted_at = call.graphql.count.as_deref().filter(|_| count);
        let selection = list_selection(entity, call.graphql, counted_at);
        // Relay and whole lists skip `start` rows here.
        let (mut offset, skip) = match paging {
            Paging::Offset => (start, 0),
            Paging::Relay | Paging::Whole => (0, start),
        };
        let mut total = want.map(|want| want.saturating_add(skip));
        let mut counted = false;
        let mut rows: Vec<Row> = Vec::new();
        let mut complete = false;
        let mut cursor: Option<Json> = None;
        let mut seen: Vec<u64> = Vec::new();
        let mut total_count = None;
        let mut largest: u64 = 0;
        for call_number in 0..=self.http.max_pages() {
            let remaining = total.map(|total| total.saturating_sub(rows.len() as u64));
            // A count is read from the first answer, even of no row.
            if remaining == Some(0) && (call_number > 0 || counted_at.is_none()) {
                complete = true;
                break;
            }
            // The pages ran out before the rows did.
            if call_number == self.http.max_pages() {
                break;
            }
            let size = remaining.unwrap_or(PAGE).min(PAGE);
            let mut variables = arguments.clone();
            if let Some(limit) = &limit_name
                && paging != Paging::Whole
            {
                variables.insert(limit.clone(), Json::from(size));
            }
            match paging {
                Paging::Offset => {
                    if let Some(name) = pagination.and_then(|p| p.offset.clone()) {
                        variables.insert(name, Json::from(offset));
                    }
                }
                Paging::Relay => {
                    if let (Some(name), Some(cursor)) =
                        (pagination.and_then(|p| p.cursor.clone()), &cursor)
                    {
                        variables.insert(name, cursor.clone());
                    }
                }
                Paging::Whole => {}
            }
            let json = self.run(call, variables, Some(selection.clone())).await?;
            if call_number == 0
                && let Some(path) = counted_at
            {
                total_count = count_of(call, &json, path)?;
                // No count upstream: every row is read, and counted.
                if total_count.is_none() {
                    (total, counted) = (None, true);
                }
            }
            let page = list_rows_of(call, entity, &json)?;
            // A page that repeats an earlier one is a loop: stop there.
            let print = fingerprint(serde_json::to_string(&page).unwrap_or_default().as_bytes());
            if !page.is_empty() && seen.contains(&print) {
                break;
            }
            seen.push(print);
            let count = page.len() as u64;
            rows.extend(page);
            let more = match paging {
                Paging::Whole => false,
                Paging::Offset => {
                    let signalled = total_count.is_some_and(|total| total > offset + count);
                    more_after(count, size, largest, signalled)
                }
                Paging::Relay => {
                    let next = json.pointer("/pageInfo/hasNextPage") == Some(&Json::Bool(true));
                    cursor = json
                        .pointer("/pageInfo/endCursor")
                        .filter(|end| !end.is_null())
                        .cloned();
                    next && cursor.is_some() && count > 0
                }
            };
            offset += count;
            largest = largest.max(count);
            if !more {
                complete = true;
                break;
            }
        }
        if counted {
            total_count = Some(offset);
        }
        let rows = rows
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(want.map_or(usize::MAX, |w| usize::try_from(w).unwrap_or(usize::MAX)))
            .collect();
        Ok(Page {
            rows,
            complete,
            count: total_count,
            counted,
        })
    }

    /// The count of rows matching `filters`, from the list's aggregate
    /// field (`books_aggregate(where:) { aggregate { count } }`).
    async fn aggregate_count(
        &self,
        call: Call<'_>,
        field: &str,
        filters: Map<String, Json>,
    ) -> Result<Option<u64>, StoreError> {
        let path = call.graphql.count.as_deref().unwrap_or("aggregate.count");
        let mut graphql = GraphqlOperation::new(GraphqlOperationType::Query, field, "");
        for name in filters.keys() {
            if let Some(ty) = call.graphql.arguments.get(name) {
                graphql.arguments.insert(name.clone(), ty.clone());
            }
        }
        let aggregate = Call {
            operation: call.operation,
            graphql: &graphql,
        };
        let json = self
            .run(aggregate, filters, Some(format!("{{ {} }}", nested(path))))
            .await?;
        count_of(aggregate, &json, path)
    }

    async fn list_rows(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let call = Call::of(manifest, entity, OperationAction::List)?;
        let definition = entity_of(manifest, entity)?;
        // A list of keys (`expand`'s batches): composite keys in one call
        // when the list's filter takes a list of filters (`OR`), else one
        // get per key.
        let passed = passed_on(call, query);
        // An upstream comparing by `in` (or `or`) takes the keys in one call.
        let compares = passed.is_some() && !call.graphql.operators.is_empty();
        let keys = query
            .filter
            .as_ref()
            .filter(|_| !compares)
            .and_then(|filter| keys_of(filter, &definition.primary_key))
            .filter(|keys| keys.len() <= MAX_BY_KEY);
        if let Some(keys) = keys {
            if let Some(arguments) = any_key(call, &definition.primary_key, &keys) {
                let want = Some(keys.len() as u64);
                let page = self
                    .pages(call, definition, &arguments, (0, want), false)
                    .await?;
                return Ok(finish_locally(definition, page.rows, query, page.complete));
            }
            if find(manifest, entity, &[OperationAction::Get]).is_ok() {
                let rows = each_key(keys, |key| async move {
                    let key = match key {
                        Value::List(parts) => parts,
                        single => vec![single],
                    };
                    self.fetch_row(manifest, entity, &key).await
                })
                .await?;
                return Ok(finish_locally(definition, rows, query, true));
            }
        }
        if let Some((filters, order)) = passed {
            let mut arguments = filters.clone();
            arguments.extend(order);
            let window = (query.offset, Some(query.limit));
            let mut page = match call.graphql.count_field.as_deref().filter(|_| query.count) {
                Some(field) => match self.aggregate_count(call, field, filters).await? {
                    Some(count) => Page {
                        count: Some(count),
                        ..self
                            .pages(call, definition, &arguments, window, false)
                            .await?
                    },
                    // No count upstream (`null`): every row is read once,
                    // counted, and the page taken from them.
                    None => {
                        let all = self
                            .pages(call, definition, &arguments, (0, None), false)
                            .await?;
                        let count = all.rows.len() as u64;
                        let rows = all
                            .rows
                            .into_iter()
                            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
                            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
                            .collect();
                        Page {
                            rows,
                            count: Some(count),
                            counted: true,
                            ..all
                        }
                    }
                },
                None => {
                    self.pages(call, definition, &arguments, window, query.count)
                        .await?
                }
            };
            if page.counted {
                note_filtered(local_note(page.complete, true));
            } else if !page.complete {
                note_filtered("upstream; complete=false".to_owned());
            }
            let rows = std::mem::take(&mut page.rows)
                .into_iter()
                .map(|row| select(row, query))
                .collect();
            return Ok(ListResult {
                rows,
                count: page.count,
            });
        }
        // An order or count the upstream cannot take: the filter still
        // goes upstream when it can, so the pages read hold only its rows.
        let filters = filter_arguments(call, query.filter.as_ref()).unwrap_or_default();
        let page = self
            .pages(call, definition, &filters, (0, None), false)
            .await?;
        Ok(finish_locally(definition, page.rows, query, page.complete))
    }

    async fn fetch_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
    ) -> Result<Option<Row>, StoreError> {
        let call = Call::of(manifest, entity, OperationAction::Get)?;
        let definition = entity_of(manifest, entity)?;
        let variables = key_variables(call, key)?;
        let json = self
            .run_keyed(
                call,
                variables,
                Some(row_selection(definition, call.graphql)),
            )
            .await?;
        if json.is_null() {
            return Ok(None);
        }
        Ok(Some(row_of(definition, call.graphql, &json)?))
    }

    async fn get_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let row = self.fetch_row(manifest, entity, key).await?;
        Ok(row.filter(|row| in_scope(manifest, entity, scope, row)))
    }

    async fn insert_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Row, StoreError> {
        let call = Call::of(manifest, entity, OperationAction::Create)?;
        let definition = entity_of(manifest, entity)?;
        let variables = input_variables(call.graphql, values);
        let json = self.mutate(call, definition, variables).await?;
        if !json.is_object() {
            return Err(upstream_error(
                StatusCode::BAD_GATEWAY,
                format!(
                    "the upstream GraphQL `{}` answered {} where the new row was expected",
                    call.label(),
                    kind(&json)
                ),
            ));
        }
        let row = row_of(definition, call.graphql, &json)?;
        self.http
            .record_deliveries(manifest, entity, outbox, Write::Create, None, Some(&row))
            .await?;
        Ok(row)
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
        check: Option<&Filter>,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Option<Updated>, StoreError> {
        let Some(old) = self.get_row(manifest, entity, key, scope).await? else {
            return Ok(None);
        };
        let merged = super::http::changed(&old, values);
        // The update rule's row conditions, on the row as it would become
        // (checked before the upstream is written: it has no transaction).
        if check.is_some() && !in_scope(manifest, entity, check, &merged) {
            return Err(StoreError::Refused);
        }
        let call = Call::of(manifest, entity, OperationAction::Update)?;
        let definition = entity_of(manifest, entity)?;
        let mut variables = key_variables(call, key)?;
        variables.extend(input_variables(call.graphql, values));
        let new = match self.mutate(call, definition, variables).await? {
            Json::Null | Json::Bool(false) => return Ok(None),
            json @ Json::Object(_) => row_of(definition, call.graphql, &json)?,
            _ => merged,
        };
        self.http
            .record_deliveries(
                manifest,
                entity,
                outbox,
                Write::Update,
                Some(&old),
                Some(&new),
            )
            .await?;
        Ok(Some(Updated { old, new }))
    }

    async fn delete_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
        outbox: &Outbox,
    ) -> Result<Option<Row>, StoreError> {
        let Some(old) = self.get_row(manifest, entity, key, scope).await? else {
            return Ok(None);
        };
        let call = Call::of(manifest, entity, OperationAction::Delete)?;
        let definition = entity_of(manifest, entity)?;
        let variables = key_variables(call, key)?;
        match self.mutate(call, definition, variables).await? {
            Json::Null | Json::Bool(false) => Ok(None),
            _ => {
                self.http
                    .record_deliveries(manifest, entity, outbox, Write::Delete, Some(&old), None)
                    .await?;
                Ok(Some(old))
            }
        }
    }

    /// No transactions upstream: bulk writes are made one by one.
    async fn begin_bulk(&self) -> Result<Option<super::Bulk>, StoreError> {
        Ok(None)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.http.admit()
    }
}

super::store_from_inherent_methods!(GraphqlStore);

/// Rows read from a list field, whether they are all, and the count
/// (`counted`: by baas, over the rows read, the upstream's being `null`).
struct Page {
    rows: Vec<Row>,
    complete: bool,
    count: Option<u64>,
    counted: bool,
}

/// The filter and order of `query` as arguments of the list field, when
/// it takes them all (equalities on the fields it declares in `query`, an
/// order on fields of its `order`) and can count when asked to.
#[allow(clippy::type_complexity)]
fn passed_on(
    call: Call<'_>,
    query: &ListQuery,
) -> Option<(Map<String, Json>, Option<(String, Json)>)> {
    let graphql = call.graphql;
    let countable =
        graphql.count.is_some() && (graphql.connection || graphql.count_field.is_some());
    if query.count && !countable {
        return None;
    }
    let order = match query.order.as_slice() {
        [] => None,
        keys => {
            let shape = call.graphql.order.as_ref()?;
            Some((shape.argument.clone(), upstream_order(call.graphql, keys)?))
        }
    };
    Some((filter_arguments(call, query.filter.as_ref())?, order))
}

/// `filter` as arguments of the list field, when it takes all of it:
/// equalities on the fields it declares in `query` (in its `filter` input
/// object when it has one), or comparison objects of its `operators`.
fn filter_arguments(call: Call<'_>, filter: Option<&Filter>) -> Option<Map<String, Json>> {
    let mut filters = Map::new();
    if let Some(filter) = filter {
        if call.graphql.operators.is_empty() {
            for (field, value) in equalities(filter)? {
                if !call.operation.query.contains(&field) || filters.contains_key(&field) {
                    return None;
                }
                filters.insert(field, wire(&value));
            }
        } else {
            comparisons(call, filter, &mut filters)?;
        }
    }
    Some(match &call.graphql.filter {
        Some(argument) if !filters.is_empty() => {
            let mut arguments = Map::new();
            arguments.insert(argument.clone(), Json::Object(filters));
            arguments
        }
        _ => filters,
    })
}

/// `filter` as comparison objects of the list's filter input, added to
/// `into`: `{title: {_eq: "Dune"}, price: {_gt: 5}}` for `title = Dune and
/// price > 5` (the spellings from `operators`), a disjunction in the
/// `filter_or` list (`_or: [{..}, {..}]`). None when a term is not one the
/// upstream takes: a field it does not filter, an operator it does not
/// spell, the same operator twice on a field, a negation.
fn comparisons(call: Call<'_>, filter: &Filter, into: &mut Map<String, Json>) -> Option<()> {
    match filter {
        Filter::And(terms) => terms
            .iter()
            .try_for_each(|term| comparisons(call, term, into)),
        Filter::Or(items) => {
            let or = call.graphql.filter_or.as_ref()?;
            let any = items
                .iter()
                .map(|item| {
                    let mut object = Map::new();
                    comparisons(call, item, &mut object).map(|()| Json::Object(object))
                })
                .collect::<Option<Vec<Json>>>()?;
            into.insert(or.clone(), Json::Array(any))
                .is_none()
                .then_some(())
        }
        Filter::Compare { field, op, value } => {
            if !call.operation.query.contains(field) {
                return None;
            }
            let operand = match (op, value) {
                (Op::Is, Value::Null) => Json::Bool(true),
                (Op::Is, _) | (_, Value::Null) => return None,
                (_, value) => wire(value),
            };
            let spelled = call.graphql.operators.get(op.as_str())?;
            let object = into
                .entry(field.clone())
                .or_insert_with(|| Json::Object(Map::new()))
                .as_object_mut()?;
            object
                .insert(spelled.clone(), operand)
                .is_none()
                .then_some(())
        }
        _ => None,
    }
}

/// The keys a filter lists (`id in (..)`, or `expand`'s `(userId = 1 and
/// groupId = 2) or (..)` of a composite key), each a [`Value::List`] of
/// its fields in `primary_key` order when there are several; none when it
/// lists no keys. A filter of more terms is a superset: the rows read are
/// filtered again.
fn keys_of(filter: &Filter, primary_key: &[String]) -> Option<Vec<Value>> {
    if let [key] = primary_key {
        return key_list(filter, key);
    }
    let one = |filter: &Filter| -> Option<Value> {
        let Filter::And(terms) = filter else {
            return None;
        };
        if terms.len() != primary_key.len() {
            return None;
        }
        let parts = primary_key
            .iter()
            .map(|key| {
                terms.iter().find_map(|term| match term {
                    Filter::Compare {
                        field,
                        op: Op::Eq,
                        value,
                    } if field == key && !matches!(value, Value::Null | Value::List(_)) => {
                        Some(value.clone())
                    }
                    _ => None,
                })
            })
            .collect::<Option<Vec<Value>>>()?;
        Some(Value::List(parts))
    };
    match filter {
        Filter::Or(items) if !primary_key.is_empty() => items.iter().map(one).collect(),
        Filter::And(terms) => one(filter)
            .map(|key| vec![key])
            .or_else(|| terms.iter().find_map(|term| keys_of(term, primary_key))),
        _ => None,
    }
}

/// Composite `keys` as one filter argument of the list field, when its
/// filter input takes a list of filters (`where: {OR: [{userId: 1,
/// groupId: 2}, ..]}`) and each key field.
fn any_key(call: Call<'_>, primary_key: &[String], keys: &[Value]) -> Option<Map<String, Json>> {
    let (filter, or) = (
        call.graphql.filter.as_ref()?,
        call.graphql.filter_or.as_ref()?,
    );
    if primary_key.len() < 2
        || !primary_key
            .iter()
            .all(|key| call.operation.query.contains(key))
    {
        return None;
    }
    let any: Vec<Json> = keys
        .iter()
        .map(|key| {
            let Value::List(parts) = key else {
                return Json::Null;
            };
            let object: Map<String, Json> = primary_key
                .iter()
                .zip(parts)
                .map(|(name, value)| (name.clone(), wire(value)))
                .collect();
            Json::Object(object)
        })
        .collect();
    let mut inner = Map::new();
    inner.insert(or.clone(), Json::Array(any));
    let mut arguments = Map::new();
    arguments.insert(filter.clone(), Json::Object(inner));
    Some(arguments)
}

/// `order` as the value of the list field's order argument: `{price:
/// DESC}`, `[{price: desc}, {id: asc}]`, `PRICE_DESC`, `{field: PRICE,
/// direction: DESC}` or `"-price"`; none when a key is not one the
/// upstream orders by (a JSON path, a null placement it cannot spell,
/// another field, or a second key of a single order).
fn upstream_order(graphql: &GraphqlOperation, order: &[OrderBy]) -> Option<Json> {
    let shape = graphql.order.as_ref()?;
    if order.len() > 1 && !shape.list {
        return None;
    }
    let mut items = Vec::with_capacity(order.len());
    for key in order {
        if key.path.is_some() || !shape.fields.contains(&key.field) {
            return None;
        }
        let direction = match key.nulls_first {
            Some(first) => Some(shape.nulls.get(key.descending, first)?),
            None if key.descending => shape.desc.as_deref(),
            None => shape.asc.as_deref(),
        };
        let object = |pairs: &[(&str, &str)]| {
            let object: Map<String, Json> = pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), Json::from(*value)))
                .collect();
            Json::Object(object)
        };
        items.push(match shape.style {
            GraphqlOrderStyle::Input => object(&[(key.field.as_str(), direction?)]),
            GraphqlOrderStyle::Field => object(&[
                (shape.by.as_deref()?, shape.values.get(&key.field)?),
                (shape.direction.as_deref()?, direction?),
            ]),
            GraphqlOrderStyle::Enum => match key.nulls_first {
                Some(_) => Json::from(GraphqlOrder::enum_value_with(&key.field, direction?)),
                None => Json::from(shape.enum_value(&key.field, key.descending)),
            },
            GraphqlOrderStyle::String if key.nulls_first.is_some() => return None,
            GraphqlOrderStyle::String if key.descending => Json::from(format!("-{}", key.field)),
            GraphqlOrderStyle::String => Json::from(key.field.as_str()),
        });
    }
    if shape.list {
        Some(Json::Array(items))
    } else {
        items.pop()
    }
}

/// The count at `path` (`totalCount`, `aggregate.count`) of an answer;
/// none when the upstream answered `null` there (a nullable count it
/// could not give).
fn count_of(call: Call<'_>, json: &Json, path: &str) -> Result<Option<u64>, StoreError> {
    let value = path
        .split('.')
        .try_fold(json, |value, segment| value.get(segment));
    if value == Some(&Json::Null) {
        return Ok(None);
    }
    value.and_then(Json::as_u64).map(Some).ok_or_else(|| {
        upstream_error(
            StatusCode::BAD_GATEWAY,
            format!(
                "the upstream GraphQL `{}` answered no count at `{path}`",
                call.label()
            ),
        )
    })
}

/// `aggregate { count }` of the path `aggregate.count`.
fn nested(path: &str) -> String {
    match path.split_once('.') {
        Some((head, rest)) => format!("{head} {{ {} }}", nested(rest)),
        None => path.to_owned(),
    }
}

/// `{ id: "1" }` (or `{ userId: "1", groupId: "2" }`): the key arguments
/// of a get, update or delete, one per key field.
fn key_variables(call: Call<'_>, key: &[Value]) -> Result<Map<String, Json>, StoreError> {
    let names = &call.graphql.key;
    if names.is_empty() || names.len() != key.len() {
        return Err(upstream_error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "the upstream GraphQL `{}` takes {} key argument(s) where the key has {} field(s) \
                 (`key` in its `[api.operations.graphql]`)",
                call.label(),
                names.len(),
                key.len()
            ),
        ));
    }
    Ok(names
        .iter()
        .zip(key)
        .map(|(name, value)| (name.clone(), wire(value)))
        .collect())
}

/// The row's values as the mutation's arguments: one input object
/// (`input`, holding the fields its type declares) or arguments of their
/// own. A field the upstream does not take is not sent.
fn input_variables(graphql: &GraphqlOperation, values: &Values) -> Map<String, Json> {
    let taken: Vec<&str> = match &graphql.input {
        Some(_) => graphql.input_fields.iter().map(String::as_str).collect(),
        None => graphql
            .arguments
            .keys()
            .map(String::as_str)
            .filter(|name| !graphql.key.iter().any(|key| key == name))
            .collect(),
    };
    let mut object = Map::new();
    for (field, value) in values {
        if let Some(name) = input_name(graphql, &taken, field) {
            object.insert(name.to_owned(), wire(value));
        }
    }
    match &graphql.input {
        Some(input) => {
            let mut variables = Map::new();
            variables.insert(input.clone(), Json::Object(object));
            variables
        }
        None => object,
    }
}

/// The name under which the upstream takes entity field `field`: the same
/// name, its camelCase form (`author_id` → `authorId`), or the first
/// segment of its path (`author` for `author.id`).
fn input_name<'t>(graphql: &GraphqlOperation, taken: &[&'t str], field: &str) -> Option<&'t str> {
    let camel = camel_case(field);
    let base = graphql
        .paths
        .get(field)
        .and_then(|path| path.split('.').next());
    taken
        .iter()
        .copied()
        .find(|name| *name == field || *name == camel || Some(*name) == base)
}

fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `query baas($first: Int, $after: String) { books(first: $first, after: $after) { ... } }`:
/// one variable per argument given, typed as the schema declares it.
fn document(
    graphql: &GraphqlOperation,
    variables: &Map<String, Json>,
    selection: Option<String>,
) -> Result<String, StoreError> {
    let mut declared = Vec::with_capacity(variables.len());
    let mut passed = Vec::with_capacity(variables.len());
    for name in variables.keys() {
        let ty = graphql.arguments.get(name).ok_or_else(|| {
            StoreError::Internal(anyhow::anyhow!(
                "`{}` has no argument `{name}` in its `[api.operations.graphql] arguments`",
                graphql.field
            ))
        })?;
        declared.push(format!("${name}: {ty}"));
        passed.push(format!("{name}: ${name}"));
    }
    let mut text = format!("{} baas", graphql.operation);
    if !declared.is_empty() {
        text.push_str(&format!("({})", declared.join(", ")));
    }
    text.push_str(&format!(" {{ {}", graphql.field));
    if !passed.is_empty() {
        text.push_str(&format!("({})", passed.join(", ")));
    }
    if let Some(selection) = selection {
        text.push(' ');
        text.push_str(&selection);
    }
    text.push_str(" }");
    Ok(text)
}

/// `{ id title author { id } }`: the entity's fields, through `paths`.
fn row_selection(entity: &Entity, graphql: &GraphqlOperation) -> String {
    #[derive(Default)]
    struct Node(IndexMap<String, Node>);
    fn render(node: &Node) -> String {
        let parts: Vec<String> = node
            .0
            .iter()
            .map(|(name, child)| {
                if child.0.is_empty() {
                    name.clone()
                } else {
                    format!("{name} {}", render(child))
                }
            })
            .collect();
        format!("{{ {} }}", parts.join(" "))
    }
    // An embedded object (or list of them) selects its own fields.
    fn nest(node: &mut Node, field: &Field) {
        let fields = field
            .fields
            .as_ref()
            .or_else(|| field.items.as_ref().and_then(|items| items.fields.as_ref()));
        for (name, inner) in fields.into_iter().flatten() {
            nest(node.0.entry(name.clone()).or_default(), inner);
        }
    }
    let mut root = Node::default();
    for (name, field) in &entity.fields {
        let path = graphql.paths.get(name).unwrap_or(name);
        let mut node = &mut root;
        for segment in path.split('.') {
            node = node.0.entry(segment.to_owned()).or_default();
        }
        nest(node, field);
    }
    render(&root)
}

/// A list's selection; with `count`, the count's path in a connection.
fn list_selection(entity: &Entity, graphql: &GraphqlOperation, count: Option<&str>) -> String {
    let row = row_selection(entity, graphql);
    if graphql.connection {
        let count = count
            .map(|path| format!(" {}", nested(path)))
            .unwrap_or_default();
        format!("{{ edges {{ node {row} }} pageInfo {{ hasNextPage endCursor }}{count} }}")
    } else {
        row
    }
}

/// What a mutation selects: the row, the row inside its payload, or
/// nothing when it answers a built-in scalar (a delete's `Boolean`).
fn mutation_selection(entity: &Entity, graphql: &GraphqlOperation) -> Option<String> {
    let returned = graphql
        .returns
        .trim_matches(|c| matches!(c, '[' | ']' | '!'));
    if let Some(result) = &graphql.result {
        return Some(format!("{{ {result} {} }}", row_selection(entity, graphql)));
    }
    if BUILT_IN_SCALARS.contains(&returned) {
        return None;
    }
    Some(row_selection(entity, graphql))
}

/// The row of a mutation's answer: inside its payload, or the answer.
fn result_of(graphql: &GraphqlOperation, json: Json) -> Json {
    match (&graphql.result, json) {
        (Some(result), Json::Object(mut payload)) => payload.remove(result).unwrap_or(Json::Null),
        (_, json) => json,
    }
}

/// The rows of a list field's answer: the list, or a connection's nodes.
fn list_rows_of(call: Call<'_>, entity: &Entity, json: &Json) -> Result<Vec<Row>, StoreError> {
    let items = if call.graphql.connection {
        json.get("edges").and_then(Json::as_array).map(|edges| {
            edges
                .iter()
                .map(|edge| edge.get("node").cloned().unwrap_or(Json::Null))
                .collect::<Vec<_>>()
        })
    } else {
        json.as_array().cloned()
    };
    let Some(items) = items else {
        return Err(upstream_error(
            StatusCode::BAD_GATEWAY,
            format!(
                "the upstream GraphQL `{}` answered {} where a list of rows{} was expected",
                call.label(),
                kind(json),
                if call.graphql.connection {
                    " (a connection's `edges`)"
                } else {
                    ""
                }
            ),
        ));
    };
    items
        .iter()
        .map(|item| row_of(entity, call.graphql, item))
        .collect()
}

/// One upstream object as a row of `entity`: its fields in manifest
/// order, read through `paths`.
fn row_of(entity: &Entity, graphql: &GraphqlOperation, json: &Json) -> Result<Row, StoreError> {
    if !json.is_object() {
        return Err(upstream_error(
            StatusCode::BAD_GATEWAY,
            format!(
                "the upstream GraphQL `{}` answered {} where a row object was expected",
                graphql.field,
                kind(json)
            ),
        ));
    }
    let mut row = Map::with_capacity(entity.fields.len());
    for (name, field) in &entity.fields {
        let path = graphql.paths.get(name).unwrap_or(name);
        let value = path
            .split('.')
            .try_fold(json, |value, segment| value.get(segment));
        match value {
            // JSON numbers of float fields keep their type (`6` is `6.0`).
            Some(Json::Number(number))
                if matches!(field.ty, FieldType::Float32 | FieldType::Float64) =>
            {
                let value = number
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Json::Null, Json::Number);
                row.insert(name.clone(), value);
            }
            Some(value) => {
                row.insert(name.clone(), value.clone());
            }
            None if field.optional => {}
            None => {
                row.insert(name.clone(), Json::Null);
            }
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Field;

    fn graphql(operation: GraphqlOperationType, field: &str) -> GraphqlOperation {
        GraphqlOperation::new(operation, field, "Book")
    }

    #[test]
    fn values_are_variables_and_never_part_of_the_document() {
        let mut books = graphql(GraphqlOperationType::Query, "books");
        books.arguments.insert("title".into(), "String".into());
        let mut variables = Map::new();
        variables.insert("title".into(), Json::from("\") { hacked } #"));
        let text = document(&books, &variables, Some("{ id }".into())).unwrap();
        assert_eq!(
            text,
            "query baas($title: String) { books(title: $title) { id } }"
        );
        variables.insert("nope".into(), Json::from(1));
        assert!(document(&books, &variables, None).is_err());
    }

    fn ordered(style: GraphqlOrderStyle, list: bool) -> GraphqlOperation {
        let mut books = graphql(GraphqlOperationType::Query, "books");
        books.order = Some(crate::manifest::GraphqlOrder {
            argument: "orderBy".into(),
            style,
            list,
            fields: vec!["title".into(), "authorId".into()],
            asc: Some("asc".into()),
            desc: Some("desc".into()),
            nulls: crate::manifest::Nulls::default(),
            values: IndexMap::new(),
            by: None,
            direction: None,
        });
        books
    }

    fn by(field: &str, descending: bool) -> OrderBy {
        OrderBy {
            field: field.into(),
            descending,
            nulls_first: None,
            path: None,
        }
    }

    #[test]
    fn an_order_is_passed_in_the_shape_the_upstream_declares() {
        let two = [by("authorId", true), by("title", false)];
        let input = ordered(GraphqlOrderStyle::Input, true);
        assert_eq!(
            upstream_order(&input, &two),
            Some(serde_json::json!([{"authorId": "desc"}, {"title": "asc"}]))
        );
        let single = ordered(GraphqlOrderStyle::Input, false);
        assert_eq!(
            upstream_order(&single, &two[..1]),
            Some(serde_json::json!({"authorId": "desc"}))
        );
        assert_eq!(upstream_order(&single, &two), None, "one key only");
        let mut enumerated = ordered(GraphqlOrderStyle::Enum, true);
        if let Some(order) = enumerated.order.as_mut() {
            (order.asc, order.desc) = (Some("ASC".into()), Some("DESC".into()));
        }
        assert_eq!(
            upstream_order(&enumerated, &two),
            Some(serde_json::json!(["AUTHOR_ID_DESC", "TITLE_ASC"]))
        );
        let text = ordered(GraphqlOrderStyle::String, false);
        assert_eq!(
            upstream_order(&text, &two[..1]),
            Some(serde_json::json!("-authorId"))
        );
        // What the upstream does not order by is ordered by baas.
        assert_eq!(upstream_order(&input, &[by("price", false)]), None);
        let mut nulls = by("title", false);
        nulls.nulls_first = Some(true);
        assert_eq!(upstream_order(&input, &[nulls.clone()]), None);
        // A null placement the upstream spells is passed on.
        let mut placed = input.clone();
        if let Some(order) = placed.order.as_mut() {
            order.nulls.0[0] = Some("asc_nulls_first".into());
        }
        assert_eq!(
            upstream_order(&placed, &[nulls.clone()]),
            Some(serde_json::json!([{"title": "asc_nulls_first"}]))
        );
        let mut last = nulls.clone();
        last.nulls_first = Some(false);
        assert_eq!(upstream_order(&placed, &[last]), None, "not spelled");
        if let Some(order) = enumerated.order.as_mut() {
            order.nulls.0[0] = Some("ASC_NULLS_FIRST".into());
        }
        assert_eq!(
            upstream_order(&enumerated, &[nulls.clone()]),
            Some(serde_json::json!(["TITLE_ASC_NULLS_FIRST"]))
        );
        assert_eq!(upstream_order(&text, &[nulls]), None);
        // GitHub's `{field: TITLE, direction: DESC}`.
        let mut field = ordered(GraphqlOrderStyle::Field, false);
        if let Some(order) = field.order.as_mut() {
            order.values.insert("title".into(), "TITLE".into());
            (order.by, order.direction) = (Some("field".into()), Some("direction".into()));
            (order.asc, order.desc) = (Some("ASC".into()), Some("DESC".into()));
        }
        assert_eq!(
            upstream_order(&field, &[by("title", true)]),
            Some(serde_json::json!({"field": "TITLE", "direction": "DESC"}))
        );
        assert_eq!(upstream_order(&field, &[by("authorId", true)]), None);
        let unordered = graphql(GraphqlOperationType::Query, "books");
        assert_eq!(upstream_order(&unordered, &two[..1]), None);
    }

    #[test]
    fn paths_nest_the_selection_and_read_the_row() {
        let mut entity = Entity::new("Person");
        for name in ["id", "homeworld_id"] {
            entity
                .fields
                .insert(name.into(), Field::new(FieldType::String));
        }
        let mut people = graphql(GraphqlOperationType::Query, "person");
        people
            .paths
            .insert("homeworld_id".into(), "homeworld.id".into());
        assert_eq!(row_selection(&entity, &people), "{ id homeworld { id } }");
        let row = row_of(
            &entity,
            &people,
            &serde_json::json!({"id": "p1", "homeworld": {"id": "h9"}}),
        )
        .unwrap();
        assert_eq!(
            Json::Object(row),
            serde_json::json!({"id": "p1", "homeworld_id": "h9"})
        );
        let mut taken = vec!["homeworldId"];
        assert_eq!(
            input_name(&people, &taken, "homeworld_id"),
            Some("homeworldId")
        );
        taken = vec!["homeworld"];
        assert_eq!(
            input_name(&people, &taken, "homeworld_id"),
            Some("homeworld")
        );
        assert_eq!(input_name(&people, &taken, "id"), None);
    }

    #[test]
    fn embedded_objects_select_their_fields() {
        let mut entity = Entity::new("Product");
        entity
            .fields
            .insert("id".into(), Field::new(FieldType::String));
        let mut seo = Field::new(FieldType::Object);
        seo.fields = Some(
            [
                ("title", FieldType::String),
                ("description", FieldType::String),
            ]
            .into_iter()
            .map(|(name, ty)| (name.to_owned(), Field::new(ty)))
            .collect(),
        );
        entity.fields.insert("seo".into(), seo.clone());
        let mut options = Field::new(FieldType::Array);
        options.items = Some(Box::new(seo));
        entity.fields.insert("options".into(), options);
        let products = graphql(GraphqlOperationType::Query, "products");
        assert_eq!(
            row_selection(&entity, &products),
            "{ id seo { title description } options { title description } }"
        );
    }
}
