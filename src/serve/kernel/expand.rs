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

impl Tree {
    /// Every link of the tree as a [`Nest`] with nothing narrowed.
    fn nests(&self) -> Vec<Nest> {
        self.0
            .iter()
            .map(|(name, children)| Nest {
                children: children.nests(),
                ..Nest::link(name)
            })
            .collect()
    }
}

/// One link to nest into rows, with what is asked of its related rows:
/// `expand` nests whole links; the PostgREST profile's embedded resources
/// also filter, order and window them (per parent row).
#[derive(Debug, Clone)]
pub struct Nest {
    /// The link's name ([`Link::name`]).
    pub link: String,
    /// The key the related rows are put under in each parent row.
    pub key: String,
    /// Only the related rows matching this filter are nested.
    pub filter: Option<Filter>,
    /// The order of a to-many link's rows (key order after it).
    pub order: Vec<OrderBy>,
    /// Per parent row: related rows skipped, then kept at most.
    pub offset: usize,
    pub limit: Option<usize>,
    /// Links of the related rows, nested into them in turn.
    pub children: Vec<Nest>,
}

impl Nest {
    /// The whole link, under its own name.
    pub fn link(name: &str) -> Self {
        Self {
            link: name.to_owned(),
            key: name.to_owned(),
            filter: None,
            order: Vec::new(),
            offset: 0,
            limit: None,
            children: Vec::new(),
        }
    }
}

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
    nest(kernel, schema, parent, entity, &tree.nests(), rows, "").await
}

/// Nests `nests` into `rows` of `entity`, each level one list
/// sub-operation per link (so the policy narrows related rows as any list).
pub fn nest<'a>(
    kernel: &'a Kernel,
    schema: &'a Schema,
    parent: &'a Operation,
    entity: &'a str,
    nests: &'a [Nest],
    rows: &'a mut [Row],
    prefix: &'a str,
) -> futures::future::BoxFuture<'a, Result<(), KernelError>> {
    Box::pin(async move {
        for nest_of in nests {
            let name = &nest_of.link;
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if path.split('.').count() > MAX_DEPTH {
                return Err(KernelError::Query(QueryError {
                    at: "expand".into(),
                    message: format!("`{path}` is deeper than {MAX_DEPTH} levels"),
                }));
            }
            let link = schema.link(entity, name).ok_or_else(|| {
                KernelError::Query(QueryError {
                    at: "expand".into(),
                    message: format!("`{entity}` has no link `{name}` (in `{path}`)"),
                })
            })?;
            let mut related = fetch(kernel, schema, parent, link, nest_of, rows).await?;
            nest(
                kernel,
                schema,
                parent,
                &link.to,
                &nest_of.children,
                &mut related,
                &path,
            )
            .await?;
            attach(link, nest_of, rows, related);
        }
        Ok(())
    })
}

/// The rows of `link.to` whose `to_fields` match any parent's `from_fields`
/// (and the nest's filter).
async fn fetch(
    kernel: &Kernel,
    schema: &Schema,
    parent: &Operation,
    link: &Link,
    nest: &Nest,
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
        let filter = super::and(
            Some(key_filter(target, &link.to_fields, batch)),
            nest.filter.clone(),
        );
        let mut order = nest.order.clone();
        order.extend(
            order_of(target)
                .into_iter()
                .filter(|key| !nest.order.iter().any(|o| o.field == key.field)),
        );
        let query = ListQuery {
            filter,
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
            path: None,
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
pub(crate) fn typed(entity: &Entity, field: &str, value: &Json) -> Value {
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

/// Puts each parent's related rows under the nest's key (a to-many link's
/// rows windowed by the nest's offset and limit).
fn attach(link: &Link, nest: &Nest, rows: &mut [Row], related: Vec<Row>) {
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
                            .skip(nest.offset)
                            .take(nest.limit.unwrap_or(MAX_RELATED).min(MAX_RELATED))
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
        row.insert(nest.key.clone(), value);
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
