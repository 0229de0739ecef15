//! A read of the profile, planned: the `select` tree resolved against the
//! manifest's links, and the query-string parameters distributed to the
//! level they name (`author.name=eq.x`, `author.order=...`,
//! `author.limit=1`). Each level becomes a filter, an order and a window;
//! embedded levels run as the kernel's nested sub-operations.

use axum::http::StatusCode;

use super::error::PgError;
use super::select::{Embed, Item};
use crate::manifest::links::Link;
use crate::query::{self, Filter, OrderBy};
use crate::serve::kernel::expand::Nest;
use crate::serve::kernel::{self, Kernel, Schema};
use crate::serve::operation::{Action, Operation, Principal};
use crate::serve::policy::Decision;

/// One entity's part of a read.
#[derive(Debug)]
pub struct Level {
    pub entity: String,
    pub items: Vec<Item>,
    /// The embedded resources of `items`, in order.
    pub embeds: Vec<Nested>,
    /// Filters, `order`, `or`, `and` for this level (native grammar).
    pub params: Vec<(String, String)>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// An embedded resource resolved to a link.
#[derive(Debug)]
pub struct Nested {
    pub link: Link,
    pub embed: Embed,
    pub level: Level,
    /// Where the kernel nests the rows (a key no field can have).
    pub slot: String,
}

/// The parameters that are not filters of a read.
const WRITE_PARAMS: &[&str] = &["select", "columns", "on_conflict"];

/// Plans a read of `entity` with `items`, the query-string `pairs` spread
/// over its levels.
pub fn plan(
    schema: &Schema,
    entity: &str,
    items: Vec<Item>,
    pairs: &[(String, String)],
) -> Result<Level, PgError> {
    let mut slots = 0usize;
    let mut level = resolve(schema, entity, items, &mut slots)?;
    for (key, value) in pairs {
        if WRITE_PARAMS.contains(&key.as_str()) {
            continue;
        }
        let segments: Vec<&str> = key.split('.').collect();
        let mut target = &mut level;
        let mut used = 0;
        while used + 1 < segments.len() {
            let Some(index) = target
                .embeds
                .iter()
                .position(|nested| nested.embed.key() == segments[used])
            else {
                break;
            };
            target = &mut target.embeds[index].level;
            used += 1;
        }
        let name = segments[used..].join(".");
        match name.as_str() {
            "limit" => target.limit = Some(whole(key, value)?),
            "offset" => target.offset = Some(whole(key, value)?),
            _ => target.params.push((name, value.clone())),
        }
    }
    Ok(level)
}

fn whole(key: &str, value: &str) -> Result<u64, PgError> {
    value.trim().parse().map_err(|_| {
        PgError::parse(format!(
            "`{key}` must be a whole number of rows, not `{value}`"
        ))
    })
}

fn resolve(
    schema: &Schema,
    entity: &str,
    items: Vec<Item>,
    slots: &mut usize,
) -> Result<Level, PgError> {
    let definition = schema
        .manifest
        .entities
        .get(entity)
        .ok_or_else(|| PgError::unknown_table(entity, &[]))?;
    let mut embeds = Vec::new();
    for item in &items {
        match item {
            Item::Star => {}
            Item::Field { name, path, .. } => {
                if let (Some(path), Some(field)) = (path, definition.fields.get(name)) {
                    crate::query::json::check_field(name, field, path).map_err(PgError::parse)?;
                }
                if !definition.fields.contains_key(name) {
                    return Err(PgError::new(
                        StatusCode::BAD_REQUEST,
                        "42703",
                        format!("column {entity}.{name} does not exist"),
                    )
                    .hint(format!(
                        "fields of `{entity}`: {}",
                        definition
                            .fields
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            Item::Embed(embed) => {
                let link = link_for(schema, entity, embed)?.clone();
                if embed.spread && link.many {
                    return Err(PgError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST119",
                        format!(
                            "A spread operation on '{}' is not possible: it is a to-many relationship",
                            embed.name
                        ),
                    ));
                }
                let level = resolve(schema, &link.to, embed.items.clone(), slots)?;
                *slots += 1;
                embeds.push(Nested {
                    link,
                    embed: embed.clone(),
                    level,
                    slot: format!("\u{0}{slots}"),
                });
            }
        }
    }
    Ok(Level {
        entity: entity.to_owned(),
        items,
        embeds,
        params: Vec::new(),
        limit: None,
        offset: None,
    })
}

/// The one link of `entity` an embedded resource names: by link name,
/// else by the entity it leads to or (to one) its key field; hints pick
/// among several by relation name or field.
fn link_for<'s>(schema: &'s Schema, entity: &str, embed: &Embed) -> Result<&'s Link, PgError> {
    let links: &[Link] = schema.links.get(entity).map_or(&[], Vec::as_slice);
    let by_name: Vec<&Link> = links.iter().filter(|l| l.name == embed.name).collect();
    let mut candidates: Vec<&Link> = if by_name.is_empty() {
        links
            .iter()
            .filter(|l| {
                l.to == embed.name
                    || (!l.many && l.from_fields.len() == 1 && l.from_fields[0] == embed.name)
            })
            .collect()
    } else {
        by_name
    };
    for hint in embed.relation_hints() {
        candidates.retain(|l| {
            l.relation.as_deref() == Some(hint)
                || l.name == hint
                || l.to == hint
                || l.from_fields.iter().any(|f| f == hint)
                || l.to_fields.iter().any(|f| f == hint)
        });
    }
    match candidates.as_slice() {
        [link] => Ok(link),
        [] => Err(PgError::new(
            StatusCode::BAD_REQUEST,
            "PGRST200",
            format!(
                "Could not find a relationship between '{entity}' and '{}' in the schema cache",
                embed.name
            ),
        )
        .hint(format!(
            "links of `{entity}`: {}",
            if links.is_empty() {
                "none".to_owned()
            } else {
                links
                    .iter()
                    .map(|l| format!("{} (-> {})", l.name, l.to))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))),
        several => Err(PgError::new(
            StatusCode::MULTIPLE_CHOICES,
            "PGRST201",
            format!(
                "Could not embed because more than one relationship was found for '{entity}' and '{}'",
                embed.name
            ),
        )
        .details(
            several
                .iter()
                .map(|l| {
                    format!(
                        "{} via {}",
                        l.name,
                        l.relation.clone().unwrap_or_else(|| l.from_fields.join(","))
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
        .hint(format!(
            "Try changing '{}' to one of: {}",
            embed.name,
            several
                .iter()
                .map(|l| format!("'{}'", l.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// What one level asks of its rows.
pub struct Shape {
    pub filter: Option<Filter>,
    pub order: Vec<OrderBy>,
}

impl Level {
    /// This level's filter and order (its `!inner` embeddings as EXISTS
    /// conditions, each narrowed by the list rule of the entity it reads).
    pub fn shape(
        &self,
        kernel: &Kernel,
        schema: &Schema,
        principal: &std::sync::Arc<Principal>,
    ) -> Result<Shape, PgError> {
        let parsed = query::parse_query_string(&schema.manifest, &self.entity, &self.params)?;
        let mut filter = parsed.filter;
        for nested in self.embeds.iter().filter(|n| n.embed.inner()) {
            let inner = nested.level.shape(kernel, schema, principal)?;
            let operation = Operation::new(principal.clone(), nested.link.to.clone(), Action::List);
            let scope = match kernel.policy.decide(schema, &operation) {
                Decision::Allow { scope } => scope,
                Decision::Deny { .. } => Some(Filter::Or(Vec::new())),
            };
            let condition = kernel::and(inner.filter, scope).unwrap_or(Filter::And(Vec::new()));
            filter = kernel::and(
                filter,
                Some(Filter::Exists {
                    entity: nested.link.to.clone(),
                    from_fields: nested.link.from_fields.clone(),
                    to_fields: nested.link.to_fields.clone(),
                    filter: Box::new(condition),
                }),
            );
        }
        Ok(Shape {
            filter,
            order: parsed.order,
        })
    }

    /// The fields to read: `None` for all; else the ones selected and the
    /// ones links are followed by.
    pub fn fields(&self) -> Option<Vec<String>> {
        let mut fields = Vec::new();
        for item in &self.items {
            match item {
                Item::Star => return None,
                Item::Field { name, .. } => fields.push(name.clone()),
                Item::Embed(_) => {}
            }
        }
        for nested in &self.embeds {
            fields.extend(nested.link.from_fields.iter().cloned());
        }
        fields.sort();
        fields.dedup();
        Some(fields)
    }

    /// The kernel's nests for this level's embedded resources.
    pub fn nests(
        &self,
        kernel: &Kernel,
        schema: &Schema,
        principal: &std::sync::Arc<Principal>,
    ) -> Result<Vec<Nest>, PgError> {
        self.embeds
            .iter()
            .map(|nested| {
                let shape = nested.level.shape(kernel, schema, principal)?;
                Ok(Nest {
                    link: nested.link.name.clone(),
                    key: nested.slot.clone(),
                    filter: shape.filter,
                    order: shape.order,
                    offset: usize::try_from(nested.level.offset.unwrap_or(0)).unwrap_or(usize::MAX),
                    limit: nested
                        .level
                        .limit
                        .map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
                    children: nested.level.nests(kernel, schema, principal)?,
                })
            })
            .collect()
    }

    /// Whether rows come back as read (`select=*`, nothing embedded).
    pub fn is_plain(&self) -> bool {
        self.embeds.is_empty() && matches!(self.items.as_slice(), [Item::Star])
    }

    /// A row as the client asked for it: the selected fields in `select`
    /// order, renamed, embedded rows shaped in turn (`None` when an
    /// `!inner` embedding is empty and the row must be dropped).
    pub fn output(&self, mut row: crate::serve::store::Row) -> Option<crate::serve::store::Row> {
        use serde_json::Value as Json;
        let mut out = crate::serve::store::Row::new();
        let mut embeds = self.embeds.iter();
        for item in &self.items {
            match item {
                Item::Star => {
                    for (name, value) in &row {
                        if !name.starts_with('\u{0}') {
                            out.insert(name.clone(), value.clone());
                        }
                    }
                }
                Item::Field { .. } => {
                    out.insert(item.key().unwrap_or_default(), item.value(&row));
                }
                Item::Embed(_) => {
                    let nested = embeds.next()?;
                    let value = match row.shift_remove(&nested.slot) {
                        Some(Json::Array(rows)) => Json::Array(
                            rows.into_iter()
                                .filter_map(|r| match r {
                                    Json::Object(r) => nested.level.output(r).map(Json::Object),
                                    _ => None,
                                })
                                .collect(),
                        ),
                        Some(Json::Object(r)) => {
                            nested.level.output(r).map_or(Json::Null, Json::Object)
                        }
                        _ => Json::Null,
                    };
                    let empty = match &value {
                        Json::Null => true,
                        Json::Array(rows) => rows.is_empty(),
                        _ => false,
                    };
                    if empty && nested.embed.inner() {
                        return None;
                    }
                    if nested.embed.spread {
                        if let Json::Object(fields) = value {
                            out.extend(fields);
                        } else {
                            for item in &nested.level.items {
                                if let Some(key) = item.key() {
                                    out.insert(key, Json::Null);
                                }
                            }
                        }
                    } else {
                        out.insert(nested.embed.key().to_owned(), value);
                    }
                }
            }
        }
        // `*` next to an embedding: the row's own fields only once.
        Some(out)
    }
}
