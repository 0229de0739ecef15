//! `expand=a,b.c`: nests related rows into the rows of a list, for every
//! engine alike. Each level is a list sub-operation run through the kernel
//! (so the policy narrows related rows as it narrows any list), with an
//! `in` filter (or an or-of-and filter for composite keys) over the link's
//! fields. One query per link and level, whatever the number of rows.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::{Action, Kernel, KernelError, Operation, Outcome, Schema};
use crate::manifest::links::Link;
use crate::manifest::{Entity, FieldType};
use crate::query::{Filter, ListQuery, Op, OrderBy, QueryError, Value};
use crate::serve::store::Row;

/// The most related rows a to-many link nests per parent row.
pub const MAX_RELATED: usize = 1000;

/// The deepest `expand` path.
pub const MAX_DEPTH: usize = 3;

/// Parent rows per related query, so that `in` lists stay small.
const BATCH: usize = 500;

/// The query to run for `query` so its links can be expanded: the link
/// fields are added to a narrowed `select`; the names of the added ones are
/// returned, to be removed from the answer afterwards.
pub fn with_link_fields(
    schema: &Schema,
    entity: &str,
    query: &ListQuery,
) -> (ListQuery, Vec<String>) {
    let Some(select) = &query.select else {
        return (query.clone(), Vec::new());
    };
    let mut select = select.clone();
    let mut hidden = Vec::new();
    let links = schema.links.get(entity);
    for path in &query.expand {
        let Some(link) = path
            .first()
            .and_then(|name| links.and_then(|l| l.iter().find(|l| &l.name == name)))
        else {
            continue;
        };
        for field in &link.from_fields {
            if !select.contains(field) {
                select.push(field.clone());
                hidden.push(field.clone());
            }
        }
    }
    let mut out = query.clone();
    out.select = Some(select);
    (out, hidden)
}

/// A tree of link names: `a,b.c,b.d` → `{a: {}, b: {c: {}, d: {}}}`.
#[derive(Debug, Default)]
struct Tree(BTreeMap<String, Tree>);

/// Expands `paths` into `rows` of `entity`.
pub async fn expand(
    kernel: &Kernel,
    schema: &Schema,
    parent: &Operation,
    paths: &[Vec<String>],
    rows: &mut [Row],
) -> Result<(), KernelError> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut tree = Tree::default();
    for path in paths {
        if path.len() > MAX_DEPTH {
            return Err(KernelError::Query(QueryError {
                at: "expand".into(),
                message: format!("`{}` is deeper than {MAX_DEPTH} levels", path.join(".")),
            }));
        }
        let mut node = &mut tree;
        for name in path {
            node = node.0.entry(name.clone()).or_default();
        }
    }
    let entity = parent.entity.as_str();
    expand_tree(kernel, schema, parent, entity, &tree, rows, "").await
}

fn expand_tree<'a>(
    kernel: &'a Kernel,
    schema: &'a Schema,
    parent: &'a Operation,
    entity: &'a str,
    tree: &'a Tree,
    rows: &'a mut [Row],
    prefix: &'a str,
) -> futures::future::BoxFuture<'a, Result<(), KernelError>> {
    Box::pin(async move {
        for (name, children) in &tree.0 {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let link = schema.link(entity, name).ok_or_else(|| {
                KernelError::Query(QueryError {
                    at: "expand".into(),
                    message: format!("`{entity}` has no link `{name}` (in `{path}`)"),
                })
            })?;
            let mut related = fetch(kernel, schema, parent, link, rows).await?;
            expand_tree(
                kernel,
                schema,
                parent,
                &link.to,
                children,
                &mut related,
                &path,
            )
            .await?;
            attach(link, rows, related);
        }
        Ok(())
    })
}

/// The rows of `link.to` whose `to_fields` match any parent's `from_fields`.
async fn fetch(
    kernel: &Kernel,
    schema: &Schema,
    parent: &Operation,
    link: &Link,
    rows: &[Row],
) -> Result<Vec<Row>, KernelError> {
    let Some(target) = schema.manifest.entities.get(&link.to) else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<Vec<&Json>> = rows
        .iter()
        .filter_map(|row| {
            let key: Option<Vec<&Json>> = link
                .from_fields
                .iter()
                .map(|f| row.get(f).filter(|v| !v.is_null()))
                .collect();
            key
        })
        .collect();
    keys.sort_by_key(|k| serde_json::to_string(k).unwrap_or_default());
    keys.dedup();
    let mut out = Vec::new();
    for batch in keys.chunks(BATCH) {
        let filter = key_filter(target, &link.to_fields, batch);
        let order = order_of(target);
        let query = ListQuery {
            filter: Some(filter),
            select: None,
            order,
            limit: if link.many {
                (batch.len() * MAX_RELATED) as u64
            } else {
                batch.len() as u64
            },
            offset: 0,
            count: false,
            expand: Vec::new(),
        };
        let mut operation = Operation::new(parent.principal.clone(), link.to.clone(), Action::List);
        operation.tenant = parent.tenant.clone();
        operation.query = Some(query);
        match kernel.run(schema, operation).await {
            Ok(Outcome::List(result)) => out.extend(result.rows),
            // Rows the principal may not list are not nested: the link
            // reads as empty (null, or []), as for a missing row.
            Err(KernelError::Denied(_)) => {}
            Err(error) => return Err(error),
            Ok(other) => {
                return Err(KernelError::Store(
                    crate::serve::store::StoreError::Internal(anyhow::anyhow!(
                        "a list sub-operation answered {other:?}"
                    )),
                ));
            }
        }
    }
    Ok(out)
}

/// Rows come back in key order, so nested arrays are stable.
fn order_of(entity: &Entity) -> Vec<OrderBy> {
    entity
        .primary_key
        .iter()
        .map(|field| OrderBy {
            field: field.clone(),
            descending: false,
            nulls_first: None,
        })
        .collect()
}

fn key_filter(target: &Entity, fields: &[String], keys: &[Vec<&Json>]) -> Filter {
    if let [field] = fields {
        let values = keys
            .iter()
            .map(|key| typed(target, field, key[0]))
            .collect();
        return Filter::Compare {
            field: field.clone(),
            op: Op::In,
            value: Value::List(values),
        };
    }
    Filter::Or(
        keys.iter()
            .map(|key| {
                Filter::And(
                    fields
                        .iter()
                        .zip(key)
                        .map(|(field, value)| Filter::Compare {
                            field: field.clone(),
                            op: Op::Eq,
                            value: typed(target, field, value),
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

/// A wire value as the typed value of `field` (key fields: numbers, text).
fn typed(entity: &Entity, field: &str, value: &Json) -> Value {
    let ty = entity.fields.get(field).map(|f| f.ty);
    match (ty, value) {
        (_, Json::Null) => Value::Null,
        (Some(FieldType::Bool), Json::Bool(b)) => Value::Bool(*b),
        (Some(ty), Json::Number(n)) if ty.is_integer() => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or_default()), Value::Int),
        (Some(FieldType::Decimal), Json::Number(n)) => Value::Decimal(n.to_string()),
        (Some(FieldType::Decimal), Json::String(s)) => Value::Decimal(s.clone()),
        (_, Json::Number(n)) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or_default()), Value::Int),
        (Some(ty), Json::String(s)) if ty.is_integer() => s
            .parse()
            .map_or_else(|_| Value::Text(s.clone()), Value::Int),
        (_, Json::String(s)) => Value::Text(s.clone()),
        (_, Json::Bool(b)) => Value::Bool(*b),
        (_, other) => Value::Json(other.clone()),
    }
}

/// Puts each parent's related rows under the link's name.
fn attach(link: &Link, rows: &mut [Row], related: Vec<Row>) {
    let key_of = |row: &Row, fields: &[String]| -> Option<String> {
        let values: Option<Vec<&Json>> = fields
            .iter()
            .map(|f| row.get(f).filter(|v| !v.is_null()))
            .collect();
        values.map(|v| key_string(&v))
    };
    let mut groups: HashMap<String, Vec<Row>> = HashMap::new();
    for row in related {
        if let Some(key) = key_of(&row, &link.to_fields) {
            groups.entry(key).or_default().push(row);
        }
    }
    for row in rows.iter_mut() {
        let found = key_of(row, &link.from_fields).and_then(|key| groups.get(&key));
        let value = if link.many {
            Json::Array(
                found
                    .map(|rows| {
                        rows.iter()
                            .take(MAX_RELATED)
                            .cloned()
                            .map(Json::Object)
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        } else {
            found
                .and_then(|rows| rows.first().cloned())
                .map_or(Json::Null, Json::Object)
        };
        row.insert(link.name.clone(), value);
    }
}

/// One text per key, the same for `1` and `"1"` (engines may differ in how
/// they return a key and the field that references it).
fn key_string(values: &[&Json]) -> String {
    values
        .iter()
        .map(|v| match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}
