//! The serve kernel: every request of the API becomes one [`Operation`]
//! and runs through the same three steps (DESIGN.md §5):
//!
//! ```text
//! Operation ─> policy (may refuse, or narrow the rows with a scope filter)
//!           ─> store (chosen by the resolver for the operation's tenant;
//!              a write records its webhook deliveries in its transaction)
//!           ─> events (a Change after every committed write)
//! ```
//!
//! HTTP knows nothing of stores or policies: `serve::http` parses a request
//! into an operation, calls [`Kernel::run`] and renders the [`Outcome`] or
//! the [`KernelError`]. `expand` runs as sub-operations ([`expand`]), so a
//! policy applies to related rows exactly as it does to the rows asked for.

pub mod bulk;
pub mod expand;
mod tenant;

use std::sync::Arc;

use serde_json::Value as Json;

use super::events::{Change, ChangeKind, Events};
use super::operation::Principal;
pub use super::operation::{Action, Body, Counting, Operation, Schema, UnknownEntity};
use super::policy::{Decision, Policy};
use super::store::resolver::StoreResolver;
use super::store::{ListResult, Outbox, Row, Store, StoreError, Values, Verbatim};
use crate::manifest::{Entity, HookPhase};
use crate::query::{self, FieldError, Filter, ListQuery, QueryError, Value, WriteMode};
use crate::webhooks::outbox::Write;

/// What a successful operation gives back.
#[derive(Debug)]
pub enum Outcome {
    List(ListResult),
    /// The row viewed, created or updated (as stored now).
    Row(Row),
    Deleted,
    /// The store's own answer to a read, already the response body
    /// ([`Kernel::run_verbatim`]).
    Body(axum::body::Bytes),
}

/// Why an operation did not happen. Mapped to problems by `serve::http`.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("there is no entity `{0}`")]
    UnknownEntity(String),
    #[error("`{0}` is a view: it can be read, not written")]
    ReadOnly(String),
    #[error("`{0}` has no primary key, so its rows have no address")]
    NoKey(String),
    /// No row with that key (or none the policy lets this principal see).
    #[error("no such row")]
    NotFound,
    /// The policy refused the operation (403).
    #[error("{0}")]
    Denied(String),
    #[error(transparent)]
    Query(QueryError),
    /// The body does not fit the manifest (422), every field at once.
    #[error("the body is not valid")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(StoreError),
    /// A before-hook refused the write, or failed (`crate::hooks`).
    #[error(transparent)]
    Hook(crate::hooks::HookError),
}

impl From<StoreError> for KernelError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Query(error) => Self::Query(error),
            StoreError::Refused => Self::Denied(StoreError::Refused.to_string()),
            other => Self::Store(other),
        }
    }
}

impl From<UnknownEntity> for KernelError {
    fn from(error: UnknownEntity) -> Self {
        Self::UnknownEntity(error.0)
    }
}

impl From<QueryError> for KernelError {
    fn from(error: QueryError) -> Self {
        Self::Query(error)
    }
}

/// Policy, stores and events: the parts every operation goes through. One
/// per process; the manifest ([`Schema`]) is passed per operation so a hot
/// reload swaps it without touching these.
pub struct Kernel {
    pub policy: Arc<dyn Policy>,
    pub stores: Arc<dyn StoreResolver>,
    pub events: Events,
    /// `[[hooks]]` being served (installed by `baas serve` and its reload).
    pub hooks: Arc<crate::hooks::Hooks>,
}

impl Kernel {
    pub fn new(policy: Arc<dyn Policy>, stores: Arc<dyn StoreResolver>) -> Self {
        Self {
            policy,
            stores,
            events: Events::default(),
            hooks: Arc::default(),
        }
    }

    /// Runs one operation: policy, store, then a [`Change`] for a write.
    pub async fn run(&self, schema: &Schema, operation: Operation) -> Result<Outcome, KernelError> {
        self.run_as(schema, operation, false).await
    }

    /// [`Kernel::run`] for a caller that renders an [`Outcome::Body`] as it
    /// is: a read with nothing for baas to do ([`pass_through`]) may be
    /// answered with the store's bytes (an upstream baas's body).
    pub async fn run_verbatim(
        &self,
        schema: &Schema,
        operation: Operation,
    ) -> Result<Outcome, KernelError> {
        self.run_as(schema, operation, true).await
    }

    async fn run_as(
        &self,
        schema: &Schema,
        operation: Operation,
        verbatim: bool,
    ) -> Result<Outcome, KernelError> {
        // `[auth] rls` or database roles: the PostgreSQL store passes the
        // caller's claims and role to the database's policies.
        if let Some(session) =
            schema.manifest.auth.as_ref().and_then(|auth| {
                crate::serve::policy::identity::db_session(auth, &operation.principal)
            })
        {
            return Box::pin(
                super::store::postgres::SESSION
                    .scope(session, self.run_operation(schema, operation, false)),
            )
            .await;
        }
        self.run_operation(schema, operation, verbatim).await
    }

    async fn run_operation(
        &self,
        schema: &Schema,
        operation: Operation,
        verbatim: bool,
    ) -> Result<Outcome, KernelError> {
        let entity = schema.entity(&operation.entity)?;
        if operation.action.is_write() && entity.is_read_only() {
            return Err(KernelError::ReadOnly(operation.entity));
        }
        if matches!(
            operation.action,
            Action::View | Action::Update | Action::Delete
        ) && entity.primary_key.is_empty()
        {
            return Err(KernelError::NoKey(operation.entity));
        }
        // `[tenancy] strategy = "row"`: the tenant's rows only, as a rule.
        let mut operation = operation;
        let scope = self.scope(schema, &mut operation)?;
        let store = self.stores.resolve(operation.tenant.as_deref()).await?;
        if verbatim && pass_through(&operation, scope.as_ref()) {
            return self.read_verbatim(schema, &*store, operation).await;
        }
        match operation.action {
            Action::List => self.list(schema, &*store, operation, scope).await,
            Action::View => Ok(Outcome::Row(
                stored(schema, &*store, &operation, scope.as_ref()).await?,
            )),
            // The writes' futures are boxed: far larger than a read's
            // (hooks, outbox, a read before the write), they would make
            // every read's future as large, copied at each await.
            Action::Create => Box::pin(self.create(schema, &*store, operation)).await,
            Action::Update => Box::pin(self.update(schema, &*store, operation, scope)).await,
            Action::Delete => Box::pin(self.delete(schema, &*store, operation, scope)).await,
        }
    }

    async fn delete(
        &self,
        schema: &Schema,
        store: &dyn Store,
        mut operation: Operation,
        mut scope: Option<Filter>,
    ) -> Result<Outcome, KernelError> {
        if self.has_hooks(&operation, HookPhase::Before) {
            let stored = stored(schema, store, &operation, scope.as_ref()).await?;
            self.before_hooks(schema, &mut operation, Some(&stored), &mut scope)
                .await?;
        }
        let outbox = Outbox::for_write(&schema.manifest, &operation.entity, Write::Delete)
            .in_tenant(operation.tenant.as_deref());
        let old = store
            .delete_with_outbox(
                &schema.manifest,
                &operation.entity,
                &operation.key,
                scope.as_ref(),
                &outbox,
            )
            .await?
            .ok_or(KernelError::NotFound)?;
        self.publish(schema, &operation, ChangeKind::Delete, Some(old), None);
        Ok(Outcome::Deleted)
    }

    /// A read [`pass_through`] allows: the store's body when it has it,
    /// else the rows exactly as [`Kernel::list`] or a view gives them.
    async fn read_verbatim(
        &self,
        schema: &Schema,
        store: &dyn Store,
        operation: Operation,
    ) -> Result<Outcome, KernelError> {
        let manifest = &schema.manifest;
        let entity = &operation.entity;
        let outcome = match operation.action {
            Action::View => match store.get_verbatim(manifest, entity, &operation.key).await? {
                Verbatim::Body(body) => Outcome::Body(body),
                Verbatim::Parsed(row) => Outcome::Row(row.ok_or(KernelError::NotFound)?),
            },
            _ => {
                let query = operation.query.clone().unwrap_or_else(default_query);
                match store.list_verbatim(manifest, entity, &query).await? {
                    Verbatim::Body(body) => Outcome::Body(body),
                    Verbatim::Parsed(result) => Outcome::List(result),
                }
            }
        };
        Ok(outcome)
    }

    async fn list(
        &self,
        schema: &Schema,
        store: &dyn Store,
        operation: Operation,
        scope: Option<Filter>,
    ) -> Result<Outcome, KernelError> {
        let mut query = operation.query.clone().unwrap_or_else(default_query);
        query.filter = and(query.filter.take(), scope);
        let (mut store_query, hidden) = expand::with_link_fields(schema, &operation.entity, &query);
        let manifest = &schema.manifest;
        let entity = &operation.entity;
        // `Prefer: count=planned`: the planner's estimate instead of a
        // count, where the engine has one.
        let planned = if query.count && operation.counting == Counting::Planned {
            store.estimate(manifest, entity, &store_query).await?
        } else {
            None
        };
        store_query.count &= planned.is_none();
        let mut result = store.list(manifest, entity, &store_query).await?;
        if planned.is_some() {
            result.count = planned;
        }
        // `count=estimated`: exact up to the threshold, planned above.
        if let Counting::Estimated { threshold } = operation.counting
            && result.count.is_some_and(|count| count > threshold)
            && let Some(estimate) = store.estimate(manifest, entity, &store_query).await?
        {
            result.count = Some(estimate);
        }
        expand::expand(self, schema, &operation, &query.expand, &mut result.rows).await?;
        for row in &mut result.rows {
            for field in &hidden {
                row.shift_remove(field);
            }
        }
        Ok(Outcome::List(result))
    }

    async fn create(
        &self,
        schema: &Schema,
        store: &dyn Store,
        mut operation: Operation,
    ) -> Result<Outcome, KernelError> {
        let mut scope = None;
        // Judged with the rest of its bulk insert: looked up again only when
        // a before-hook (one added by a reload since) may change the body.
        let judged = operation.links_judged && !self.has_hooks(&operation, HookPhase::Before);
        self.before_hooks(schema, &mut operation, None, &mut scope)
            .await?;
        let values = validate(schema, &operation, None)?;
        if !judged {
            tenant::links(schema, store, &operation, &values, None).await?;
        }
        let outbox = Outbox::for_write(&schema.manifest, &operation.entity, Write::Create)
            .in_tenant(operation.tenant.as_deref());
        let row = store
            .insert_with_outbox(&schema.manifest, &operation.entity, &values, &outbox)
            .await?;
        self.publish(schema, &operation, ChangeKind::Create, None, Some(&row));
        Ok(Outcome::Row(row))
    }

    async fn update(
        &self,
        schema: &Schema,
        store: &dyn Store,
        mut operation: Operation,
        mut scope: Option<Filter>,
    ) -> Result<Outcome, KernelError> {
        // Generated fields may be sent when they equal the stored value, so
        // validation needs the stored row (read within the same scope).
        let stored = stored(schema, store, &operation, scope.as_ref()).await?;
        self.before_hooks(schema, &mut operation, Some(&stored), &mut scope)
            .await?;
        let mut values = validate(schema, &operation, Some(&stored))?;
        if operation.body.as_ref().map(|b| b.mode) == Some(WriteMode::Replace) {
            let guarded = given_by_the_service(schema, &operation, true);
            replace_omitted(schema.entity(&operation.entity)?, &guarded, &mut values);
        }
        if values.is_empty() {
            return Ok(Outcome::Row(stored));
        }
        tenant::links(schema, store, &operation, &values, Some(&stored)).await?;
        // The row as updated must pass the update rule too, as PostgreSQL's
        // `WITH CHECK` (after the hooks: they may have changed the body).
        let check = tenant::within(
            schema,
            operation.tenant.as_deref(),
            self.policy.check(schema, &operation),
        );
        let outbox = Outbox::for_write(&schema.manifest, &operation.entity, Write::Update)
            .in_tenant(operation.tenant.as_deref());
        let updated = store
            .update_with_outbox(
                &schema.manifest,
                &operation.entity,
                &operation.key,
                scope.as_ref(),
                check.as_ref(),
                &values,
                &outbox,
            )
            .await?
            .ok_or(KernelError::NotFound)?;
        self.publish(
            schema,
            &operation,
            ChangeKind::Update,
            Some(updated.old),
            Some(&updated.new),
        );
        Ok(Outcome::Row(updated.new))
    }

    /// Sends the change of a committed write to every subscriber (inside
    /// a bulk transaction: once it commits).
    fn publish(
        &self,
        schema: &Schema,
        operation: &Operation,
        kind: ChangeKind,
        old: Option<Row>,
        new: Option<&Row>,
    ) {
        let deferred = bulk::DEFERRED.try_with(|deferred| {
            if let Ok(mut deferred) = deferred.lock() {
                deferred.push(bulk::Deferred {
                    operation: operation.clone(),
                    kind,
                    old: old.clone(),
                    new: new.cloned(),
                });
            }
        });
        if deferred.is_ok() {
            return;
        }
        self.publish_now(schema, operation, kind, old, new);
    }

    fn publish_now(
        &self,
        schema: &Schema,
        operation: &Operation,
        kind: ChangeKind,
        old: Option<Row>,
        new: Option<&Row>,
    ) {
        let Some(entity) = schema.manifest.entities.get(&operation.entity) else {
            return;
        };
        self.after_hooks(schema, operation, kind, old.as_ref(), new);
        let key = new
            .or(old.as_ref())
            .map(|row| key_values(entity, row))
            .unwrap_or_default();
        self.events.publish(Change {
            tenant: operation.tenant.clone(),
            entity: operation.entity.clone(),
            kind,
            key,
            old,
            new: new.cloned(),
        });
    }
}

// ── hooks (`crate::hooks`): before a write, may change its body or refuse
// it; after a committed write, told of it (their errors are only logged).
impl Kernel {
    fn has_hooks(&self, operation: &Operation, phase: HookPhase) -> bool {
        let Some(action) = hook_action(operation.action) else {
            return false;
        };
        let hooks = self.hooks.current();
        hooks
            .matching(&operation.entity, action, phase)
            .next()
            .is_some()
    }

    /// Runs the before-hooks of `operation` in manifest order, each seeing
    /// the body the previous one returned. When they changed the body, the
    /// policy judges the operation again with it (a hook cannot write
    /// what the caller's rules forbid), and `scope` is its new scope.
    async fn before_hooks(
        &self,
        schema: &Schema,
        operation: &mut Operation,
        old: Option<&Row>,
        scope: &mut Option<Filter>,
    ) -> Result<(), KernelError> {
        let Some(action) = hook_action(operation.action) else {
            return Ok(());
        };
        let hooks = self.hooks.current();
        let mut changed = false;
        for script in hooks.matching(&operation.entity, action, HookPhase::Before) {
            let event = serde_json::json!({
                "entity": operation.entity,
                "action": action,
                "phase": "before",
                "key": hook_key(schema, operation, old),
                "body": operation.body.as_ref().map(|body| &body.json),
                "old": old,
                "auth": hook_auth(&operation.principal),
                "tenant": operation.tenant,
            });
            let returned = self
                .hooks
                .call(script, &event)
                .await
                .map_err(KernelError::Hook)?;
            match (returned, operation.body.as_mut()) {
                (None, _) | (Some(_), None) => {}
                (Some(json @ Json::Object(_)), Some(body)) => {
                    changed |= body.json != json;
                    body.json = json;
                }
                (Some(other), Some(_)) => {
                    return Err(KernelError::Hook(crate::hooks::HookError::Returned {
                        hook: script.run.clone(),
                        what: json_kind(&other).into(),
                    }));
                }
            }
        }
        if changed {
            *scope = self.scope(schema, operation)?;
        }
        Ok(())
    }

    /// The rows `operation` may reach: the policy's scope and, under
    /// `strategy = "row"`, its tenant's (relation paths included); refused
    /// when the policy denies it.
    fn scope(
        &self,
        schema: &Schema,
        operation: &mut Operation,
    ) -> Result<Option<Filter>, KernelError> {
        let tenant_scope = tenant::confine(schema, operation)?;
        match self.policy.decide(schema, operation) {
            Decision::Allow { scope } => Ok(tenant::within(
                schema,
                operation.tenant.as_deref(),
                and(scope, tenant_scope),
            )),
            Decision::Deny { reason } => Err(KernelError::Denied(reason)),
        }
    }

    /// Starts the after-hooks of a committed write; the response does not
    /// wait for them.
    fn after_hooks(
        &self,
        schema: &Schema,
        operation: &Operation,
        kind: ChangeKind,
        old: Option<&Row>,
        new: Option<&Row>,
    ) {
        let action = match kind {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        };
        let hooks = self.hooks.current();
        let scripts: Vec<_> = hooks
            .matching(&operation.entity, action, HookPhase::After)
            .cloned()
            .collect();
        if scripts.is_empty() {
            return;
        }
        let event = serde_json::json!({
            "entity": operation.entity,
            "action": action,
            "phase": "after",
            "key": hook_key(schema, operation, new.or(old)),
            "row": new,
            "old": old,
            "auth": hook_auth(&operation.principal),
            "tenant": operation.tenant,
        });
        let engine = self.hooks.clone();
        tokio::spawn(async move {
            for script in scripts {
                if let Err(error) = engine.call(&script, &event).await {
                    tracing::warn!(
                        target: "baas::hooks",
                        "{} ({}): {}; the write stays committed",
                        script.run,
                        script.on,
                        crate::hooks::describe(&error)
                    );
                }
            }
        });
    }
}

/// The action name hooks use (`None` for reads: hooks run around writes).
fn hook_action(action: Action) -> Option<&'static str> {
    match action {
        Action::Create => Some("create"),
        Action::Update => Some("update"),
        Action::Delete => Some("delete"),
        Action::List | Action::View => None,
    }
}

/// The key of the row written as wire values (`null` before a create).
fn hook_key(schema: &Schema, operation: &Operation, row: Option<&Row>) -> Json {
    match (schema.manifest.entities.get(&operation.entity), row) {
        (Some(entity), Some(row)) => Json::Array(key_values(entity, row)),
        _ => Json::Null,
    }
}

/// Who writes, as hooks see it: `null` when anonymous.
fn hook_auth(principal: &Principal) -> Json {
    match principal {
        Principal::Anonymous => Json::Null,
        Principal::Service => serde_json::json!({ "service": true }),
        Principal::User { id, role, claims } => serde_json::json!({
            "id": id,
            "role": role,
            "claims": claims,
        }),
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Whether a read needs nothing of baas between the store's answer and the
/// response, so the store's bytes may be the response: a list or a view
/// (no write: no hook, webhook or realtime change), that the policy and
/// the tenancy leave unscoped (no row condition to apply), with no `select`
/// and no `expand` (no projection, no link fields to hide), counted
/// exactly. Judged per operation against the manifest being served, so a
/// rule added by a reload turns it off at once. Whether the store's
/// answer needs no local filter, order or mapping is the store's to say.
pub fn pass_through(operation: &Operation, scope: Option<&Filter>) -> bool {
    matches!(operation.action, Action::List | Action::View)
        && scope.is_none()
        && operation.counting == Counting::Exact
        && operation
            .query
            .as_ref()
            .is_none_or(|query| query.select.is_none() && query.expand.is_empty())
}

/// `a AND b`, either side optional; nested `And`s are flattened so a scope
/// added to a filter never deepens it.
pub fn and(left: Option<Filter>, right: Option<Filter>) -> Option<Filter> {
    match (left, right) {
        (None, other) | (other, None) => other,
        (Some(left), Some(right)) => {
            let mut terms = Vec::new();
            for filter in [left, right] {
                match filter {
                    Filter::And(inner) => terms.extend(inner),
                    other => terms.push(other),
                }
            }
            Some(Filter::And(terms))
        }
    }
}

/// The body's typed values; on update, a read-only field sent with the
/// value it already has is accepted (and dropped).
fn validate(
    schema: &Schema,
    operation: &Operation,
    stored: Option<&Row>,
) -> Result<Values, KernelError> {
    let Some(body) = &operation.body else {
        return Err(KernelError::Invalid(vec![FieldError {
            field: String::new(),
            code: "type",
            message: "the body must be a JSON object of field values".into(),
        }]));
    };
    let manifest = &schema.manifest;
    let first = query::validate_body(manifest, &operation.entity, &body.json, body.mode);
    let guarded: Vec<FieldError> = given_by_the_service(schema, operation, stored.is_some())
        .into_iter()
        // Sent with the stored value, the field is left as it is.
        .filter(|name| {
            body.json
                .get(*name)
                .is_some_and(|value| stored.is_none_or(|row| row.get(*name) != Some(value)))
        })
        .map(|name| FieldError {
            field: name.to_owned(),
            code: "read_only",
            message: "is a claim of the user's tokens: only the service key writes it".into(),
        })
        .collect();
    let first = match first {
        _ if guarded.is_empty() => first,
        Ok(_) => Err(guarded),
        Err(mut errors) => {
            errors.extend(guarded);
            Err(errors)
        }
    };
    let Some(stored) = stored else {
        return first.map_err(KernelError::Invalid);
    };
    first
        .or_else(|errors| {
            let (same, other): (Vec<_>, Vec<_>) = errors.into_iter().partition(|e| {
                e.code == "read_only" && body.json.get(&e.field) == stored.get(&e.field)
            });
            if !other.is_empty() {
                return Err(other);
            }
            let mut trimmed = body.json.clone();
            if let Some(object) = trimmed.as_object_mut() {
                for error in &same {
                    object.remove(&error.field);
                }
            }
            query::validate_body(manifest, &operation.entity, &trimmed, body.mode)
        })
        .map_err(KernelError::Invalid)
}

/// The fields of the `[auth] users` entity that become claims of its
/// users' tokens (`@auth.role`, `@auth.tenant`, and on update the key that
/// is `@auth.id`): for anyone but the service key they are read-only, on
/// every write path, as at sign-up (a rule letting users edit their own
/// row does not let them make themselves admin, leave their tenant or
/// become another user).
fn given_by_the_service<'a>(
    schema: &'a Schema,
    operation: &Operation,
    update: bool,
) -> Vec<&'a str> {
    let auth = match &schema.manifest.auth {
        Some(auth) if !matches!(*operation.principal, Principal::Service) => auth,
        _ => return Vec::new(),
    };
    let users = auth.users.as_ref().map(|users| users.entity.as_str());
    let Some(entity) = schema
        .manifest
        .entities
        .get(&operation.entity)
        .filter(|_| users == Some(operation.entity.as_str()))
    else {
        return Vec::new();
    };
    let key = entity.primary_key.iter().filter(|_| update);
    key.map(String::as_str)
        .chain([auth.claims.role.as_str(), auth.claims.tenant.as_str()])
        .filter(|name| entity.fields.contains_key(*name))
        .collect()
}

/// PUT replaces the row: a nullable field the body leaves out becomes null
/// (fields with a default and generated fields keep their value, and so
/// do the fields only the service key writes).
fn replace_omitted(entity: &Entity, guarded: &[&str], values: &mut Values) {
    for (name, field) in &entity.fields {
        if field.nullable
            && !guarded.contains(&name.as_str())
            && field.generated.is_none()
            && field.default.is_none()
            && !entity.primary_key.contains(name)
            && !values.contains_key(name)
        {
            values.insert(name.clone(), Value::Null);
        }
    }
    // Keep manifest field order, as validation does.
    let order: Vec<&String> = entity.fields.keys().collect();
    values.sort_by(|a, _, b, _| {
        let position = |name: &String| order.iter().position(|n| *n == name);
        position(a).cmp(&position(b))
    });
}

/// The row `operation` addresses, among those `scope` lets it reach.
async fn stored(
    schema: &Schema,
    store: &dyn Store,
    operation: &Operation,
    scope: Option<&Filter>,
) -> Result<Row, KernelError> {
    store
        .get(&schema.manifest, &operation.entity, &operation.key, scope)
        .await?
        .ok_or(KernelError::NotFound)
}

/// A list of the first rows, for a list operation given no query.
fn default_query() -> ListQuery {
    ListQuery {
        filter: None,
        select: None,
        order: Vec::new(),
        limit: query::DEFAULT_LIMIT,
        offset: 0,
        count: false,
        expand: Vec::new(),
    }
}

/// The primary key of `row` as wire values, in key order.
pub fn key_values(entity: &Entity, row: &Row) -> Vec<Json> {
    entity
        .primary_key
        .iter()
        .map(|field| row.get(field).cloned().unwrap_or(Json::Null))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(action: Action) -> Operation {
        Operation::new(Arc::new(Principal::Anonymous), "pet", action)
    }

    #[test]
    fn a_plain_read_passes_through() {
        assert!(pass_through(&read(Action::List), None));
        assert!(pass_through(&read(Action::View), None));
        let mut list = read(Action::List);
        list.query = Some(default_query());
        assert!(pass_through(&list, None));
    }

    #[test]
    fn a_write_never_passes_through() {
        for action in [Action::Create, Action::Update, Action::Delete] {
            assert!(!pass_through(&read(action), None), "{action:?}");
        }
    }

    #[test]
    fn a_row_condition_turns_pass_through_off() {
        let scope = Filter::Compare {
            field: "name".into(),
            op: query::Op::Neq,
            value: Value::Text("a".into()),
        };
        assert!(!pass_through(&read(Action::List), Some(&scope)));
        assert!(!pass_through(&read(Action::View), Some(&scope)));
    }

    #[test]
    fn select_turns_pass_through_off() {
        let mut list = read(Action::List);
        list.query = Some(ListQuery {
            select: Some(vec!["name".into()]),
            ..default_query()
        });
        assert!(!pass_through(&list, None));
    }

    #[test]
    fn expand_turns_pass_through_off() {
        let mut list = read(Action::List);
        list.query = Some(ListQuery {
            expand: vec![vec!["author".into()]],
            ..default_query()
        });
        assert!(!pass_through(&list, None));
    }

    #[test]
    fn an_estimated_count_turns_pass_through_off() {
        let mut list = read(Action::List);
        list.counting = Counting::Planned;
        assert!(!pass_through(&list, None));
        list.counting = Counting::Estimated { threshold: 10 };
        assert!(!pass_through(&list, None));
    }
}
