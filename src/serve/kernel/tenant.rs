//! `[tenancy] strategy = "row"`: every tenant's rows share the tables, told
//! apart by the tenant column (`tenant_id` unless `column` says), and the
//! kernel confines each operation to its tenant as a rule would, on every
//! engine:
//!
//! - list, view, update and delete see only rows whose column is the
//!   operation's tenant (a scope ANDed with the policy's, so a client's
//!   filter, `count`, `expand` and bulk writes cannot reach past it);
//! - create stamps the column with the tenant;
//! - a body naming another tenant in the column (or null) is refused with
//!   403, on create and update alike: a row never moves between tenants;
//! - a relation path (a rule's `author.owner = @auth.id`, an `!inner`
//!   embedding's filter) is an EXISTS over a table every tenant shares: it
//!   matches related rows of the operation's tenant only ([`within`]), so
//!   a row pointing at another tenant's row points at nothing, as an
//!   `expand` of it reads;
//! - a create or update whose foreign key names a row that is not of the
//!   operation's tenant is answered as a key naming no row ([`links`]), so
//!   another tenant's keys are never revealed nor linked to.
//!
//! Realtime events carry the operation's tenant and reach that tenant's
//! subscribers only (`serve::http::realtime`).

use serde_json::Value as Json;

use super::{Action, KernelError, Operation, Schema};
use crate::query::{Filter, ListQuery, Op, QueryError, Value};
use crate::serve::store::{Row, Store, Values};

/// Stamps and checks the body of `operation` and returns the scope that
/// keeps it in its tenant's rows; `None` without `strategy = "row"`.
pub(super) fn confine(
    schema: &Schema,
    operation: &mut Operation,
) -> Result<Option<Filter>, KernelError> {
    let Some(column) = schema
        .manifest
        .tenancy
        .as_ref()
        .and_then(|tenancy| tenancy.row_column())
    else {
        return Ok(None);
    };
    let entity = schema.entity(&operation.entity)?;
    if !entity.fields.contains_key(column) {
        // Validation puts the column on every entity; a manifest that
        // somehow lacks it serves nothing rather than every tenant's rows.
        return Err(KernelError::Denied(format!(
            "`{}` has no tenant column `{column}`",
            operation.entity
        )));
    }
    let Some(tenant) = operation.tenant.clone() else {
        return Err(KernelError::Query(QueryError {
            at: "tenant".into(),
            message: "this API serves tenants: name the tenant of the request (see `[tenancy] resolve` in baas.toml)".into(),
        }));
    };
    if let Some(query) = operation.query.as_mut() {
        query.filter = within(schema, Some(tenant.as_str()), query.filter.take());
    }
    if let Some(object) = operation
        .body
        .as_mut()
        .and_then(|body| body.json.as_object_mut())
    {
        match object.get(column) {
            None => {}
            Some(Json::String(named)) if *named == tenant => {}
            Some(_) => {
                return Err(KernelError::Denied(format!(
                    "`{column}` is the tenant column: this request is for tenant `{tenant}` and may not name another"
                )));
            }
        }
        if operation.action == Action::Create {
            object.insert(column.to_owned(), Json::String(tenant.clone()));
        }
    }
    if operation.action == Action::Create {
        return Ok(None);
    }
    Ok(Some(Filter::Compare {
        field: column.to_owned(),
        op: Op::Eq,
        value: super::expand::typed(entity, column, &Json::String(tenant)),
    }))
}

/// Whether the deployment keeps its tenants apart by rows.
pub(super) fn is_row(schema: &Schema) -> bool {
    schema
        .manifest
        .tenancy
        .as_ref()
        .is_some_and(|tenancy| tenancy.row_column().is_some())
}

/// Under `strategy = "row"`, every relation of the row being written whose
/// target entity has the tenant column must name a row of the operation's
/// tenant (or be null); `stored` is the row before an update (a relation
/// an update leaves alone is not looked at). A key of another tenant's row
/// is answered exactly as a key naming no row (the reference problem), so
/// whether it exists elsewhere is not revealed, on every engine.
pub(super) async fn links(
    schema: &Schema,
    store: &dyn Store,
    operation: &Operation,
    values: &Values,
    stored: Option<&Row>,
) -> Result<(), KernelError> {
    links_of(schema, store, operation, &[values], stored).await
}

/// [`links`] for the rows of a bulk insert into `operation`'s entity: one
/// bound `in` lookup per single-field relation for all of them (composite
/// keys one lookup per row).
pub(super) async fn links_of(
    schema: &Schema,
    store: &dyn Store,
    operation: &Operation,
    rows: &[&Values],
    stored: Option<&Row>,
) -> Result<(), KernelError> {
    let (Some(column), Some(tenant)) = (
        schema
            .manifest
            .tenancy
            .as_ref()
            .and_then(|tenancy| tenancy.row_column()),
        operation.tenant.as_deref(),
    ) else {
        return Ok(());
    };
    let entity = schema.entity(&operation.entity)?;
    for relation in &entity.relations {
        let Some(target) = schema.manifest.entities.get(&relation.references.entity) else {
            continue;
        };
        if !target.fields.contains_key(column) {
            continue;
        }
        let mine = Filter::Compare {
            field: column.to_owned(),
            op: Op::Eq,
            value: super::expand::typed(target, column, &Json::String(tenant.to_owned())),
        };
        // The key each row names, where it names one (no null in it).
        let mut keys: Vec<Vec<Value>> = Vec::new();
        for values in rows {
            if stored.is_some() && !relation.fields.iter().any(|f| values.contains_key(f)) {
                continue;
            }
            let key: Vec<Value> = relation
                .fields
                .iter()
                .map(|from| match values.get(from) {
                    Some(value) => value.clone(),
                    None => stored
                        .and_then(|row| row.get(from))
                        .map_or(Value::Null, |json| super::expand::typed(entity, from, json)),
                })
                .collect();
            if !key.iter().any(|value| matches!(value, Value::Null)) && !keys.contains(&key) {
                keys.push(key);
            }
        }
        let missing = || -> KernelError {
            crate::serve::store::reference(entity, relation.name.as_deref()).into()
        };
        // One `in` lookup per chunk of a single-field key: the target
        // fields are unique, so all are there when as many rows come back.
        // Short of that (or a composite key), each key is looked up alone,
        // the database comparing as it does (`ABC` and `abc` for a uuid).
        let mut alone = Vec::new();
        match relation.references.fields.as_slice() {
            [to] if keys.len() > 1 => {
                for chunk in keys.chunks(crate::query::MAX_LIMIT as usize) {
                    let filter = Filter::And(vec![
                        Filter::Compare {
                            field: to.clone(),
                            op: Op::In,
                            value: Value::List(chunk.iter().flatten().cloned().collect()),
                        },
                        mine.clone(),
                    ]);
                    let found = store
                        .list(
                            &schema.manifest,
                            &relation.references.entity,
                            &ListQuery::matching(filter, chunk.len() as u64),
                        )
                        .await?;
                    if found.rows.len() < chunk.len() {
                        alone.extend_from_slice(chunk);
                    }
                }
            }
            _ => alone = keys,
        }
        for key in alone {
            let mut parts: Vec<Filter> = relation
                .references
                .fields
                .iter()
                .zip(key)
                .map(|(to, value)| Filter::Compare {
                    field: to.clone(),
                    op: Op::Eq,
                    value,
                })
                .collect();
            parts.push(mine.clone());
            let found = store
                .list(
                    &schema.manifest,
                    &relation.references.entity,
                    &ListQuery::matching(Filter::And(parts), 1),
                )
                .await?;
            if found.rows.is_empty() {
                return Err(missing());
            }
        }
    }
    Ok(())
}

/// `filter` with every relation path ([`Filter::Exists`], at any depth)
/// narrowed to the related rows of `tenant` under `strategy = "row"`; as
/// it is otherwise. This is the one place a relation path learns of the
/// tenant, for every engine: the SQL builder renders the narrowed EXISTS
/// and the MongoDB store resolves it as it does any other.
pub(super) fn within(
    schema: &Schema,
    tenant: Option<&str>,
    filter: Option<Filter>,
) -> Option<Filter> {
    let column = schema
        .manifest
        .tenancy
        .as_ref()
        .and_then(|tenancy| tenancy.row_column());
    match (column, tenant) {
        (Some(column), Some(tenant)) => {
            filter.map(|filter| narrowed(schema, column, tenant, filter))
        }
        _ => filter,
    }
}

fn narrowed(schema: &Schema, column: &str, tenant: &str, filter: Filter) -> Filter {
    let narrow = |filter| narrowed(schema, column, tenant, filter);
    match filter {
        Filter::And(parts) => Filter::And(parts.into_iter().map(narrow).collect()),
        Filter::Or(parts) => Filter::Or(parts.into_iter().map(narrow).collect()),
        Filter::Not(inner) => Filter::Not(Box::new(narrow(*inner))),
        Filter::Exists {
            entity,
            from_fields,
            to_fields,
            filter,
        } => {
            let inner = narrow(*filter);
            let inner = match schema.manifest.entities.get(&entity) {
                Some(related) if related.fields.contains_key(column) => {
                    let mine = Filter::Compare {
                        field: column.to_owned(),
                        op: Op::Eq,
                        value: super::expand::typed(
                            related,
                            column,
                            &Json::String(tenant.to_owned()),
                        ),
                    };
                    super::and(Some(inner), Some(mine)).unwrap_or(Filter::Or(Vec::new()))
                }
                // Validation puts the column on every entity; a related
                // entity without it has no row of this tenant.
                _ => Filter::Or(Vec::new()),
            };
            Filter::Exists {
                entity,
                from_fields,
                to_fields,
                filter: Box::new(inner),
            }
        }
        other @ (Filter::Compare { .. } | Filter::Relate { .. } | Filter::Json { .. }) => other,
    }
}
