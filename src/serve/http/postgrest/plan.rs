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

/// What a level's filter is built with.
type Cx<'a> = (&'a Kernel, &'a Schema, &'a std::sync::Arc<Principal>);

/// A logic tree parameter being read: its logic (`or`), its name
/// (`or`, `not.or`) and its whole value.
struct Tree<'t> {
    at: &'t str,
    key: &'t str,
    root: &'t str,
}

impl Tree<'_> {
    /// PostgREST's answer to `item` (a part of the value) naming a column
    /// of the embedded resource `head`: its parser's PGRST100, with the
    /// column (1-based) in `or(...)` where it stopped.
    fn refuse(&self, item: &str, head: &str, rest: &str) -> PgError {
        let offset = (item.as_ptr() as usize).saturating_sub(self.root.as_ptr() as usize);
        let column = self.key.len() + offset + head.len() + 2;
        let unexpected = rest
            .chars()
            .next()
            .map_or_else(|| "end of input".to_owned(), |c| format!("\"{c}\""));
        PgError::parse(format!(
            "\"failed to parse logic tree ({})\" (line 1, column {column})",
            self.root
        ))
        .details(format!(
            "unexpected {unexpected} expecting \"not\" or operator (eq, gt, ...)"
        ))
        .hint(format!(
            "a logic tree groups the columns of one level: filter `{head}` with `{head}.{}=(...)`, or test it with `{head}.not.is.null` in this tree",
            self.key
        ))
    }
}

/// `is.null` (`Some(false)`: the embedded resource is absent) or
/// `not.is.null` (`Some(true)`).
fn null_test(text: &str) -> Option<bool> {
    match text {
        "is.null" => Some(false),
        "not.is.null" => Some(true),
        _ => None,
    }
}

/// Whether `word` (before its modifier) is an operator of PostgREST's
/// grammar, served or not.
fn is_operator(word: &str) -> bool {
    query::Op::parse(word).is_some()
        || [
            "not",
            "isdistinct",
            "fts",
            "plfts",
            "phfts",
            "wfts",
            "cd",
            "ov",
            "sl",
            "sr",
            "nxr",
            "nxl",
            "adj",
        ]
        .contains(&word)
}

/// At least one row of `nested` passes its level's filters and the list
/// rule of the entity it reads (`!inner`, `author=not.is.null`).
fn exists(nested: &Nested, (kernel, schema, principal): Cx<'_>) -> Result<Filter, PgError> {
    let inner = nested.level.shape(kernel, schema, principal)?;
    let operation = Operation::new(principal.clone(), nested.link.to.clone(), Action::List);
    let scope = match kernel.policy.decide(schema, &operation) {
        Decision::Allow { scope } => scope,
        Decision::Deny { .. } => Some(Filter::Or(Vec::new())),
    };
    let condition = kernel::and(inner.filter, scope).unwrap_or(Filter::And(Vec::new()));
    Ok(Filter::Exists {
        entity: nested.link.to.clone(),
        from_fields: nested.link.from_fields.clone(),
        to_fields: nested.link.to_fields.clone(),
        filter: Box::new(condition),
    })
}

/// The null test of an embedded resource: present or absent.
fn presence(nested: &Nested, present: bool, cx: Cx<'_>) -> Result<Filter, PgError> {
    let exists = exists(nested, cx)?;
    Ok(if present {
        exists
    } else {
        Filter::Not(Box::new(exists))
    })
}

/// What one level asks of its rows.
pub struct Shape {
    pub filter: Option<Filter>,
    pub order: Vec<OrderBy>,
}

impl Level {
    /// This level's filter and order (its `!inner` embeddings and null
    /// tests of embedded resources as EXISTS conditions, each narrowed by
    /// the list rule of the entity it reads).
    pub fn shape(
        &self,
        kernel: &Kernel,
        schema: &Schema,
        principal: &std::sync::Arc<Principal>,
    ) -> Result<Shape, PgError> {
        let cx = (kernel, schema, principal);
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        for (key, value) in &self.params {
            match self.embedded_condition(key, value, cx)? {
                Some(condition) => conditions.push(condition),
                None => params.push((key.clone(), value.clone())),
            }
        }
        let parsed = query::parse_query_string(&schema.manifest, &self.entity, &params)?;
        let mut filter = parsed.filter;
        for condition in conditions {
            filter = kernel::and(filter, Some(condition));
        }
        if let Some(filter) = &filter {
            query::check_limits(filter)?;
        }
        for nested in self.embeds.iter().filter(|n| n.embed.inner()) {
            filter = kernel::and(filter, Some(exists(nested, cx)?));
        }
        Ok(Shape {
            filter,
            order: parsed.order,
        })
    }

    /// The embedded resource of this level named `name` (a field of the
    /// entity keeps its meaning).
    fn embedded(&self, schema: &Schema, name: &str) -> Option<&Nested> {
        let field = schema
            .manifest
            .entities
            .get(&self.entity)
            .is_some_and(|entity| entity.fields.contains_key(name));
        if field {
            return None;
        }
        self.embeds.iter().find(|nested| nested.embed.key() == name)
    }

    /// A parameter naming an embedded resource of this level, which the
    /// native grammar cannot read: `author=not.is.null` / `author=is.null`
    /// (PostgREST's null filtering on embedded resources), or a logic tree
    /// with such a test (`or=(author.not.is.null,title.eq.x)`). `None`:
    /// the parameter is the native grammar's.
    fn embedded_condition(
        &self,
        key: &str,
        value: &str,
        cx: Cx<'_>,
    ) -> Result<Option<Filter>, PgError> {
        let schema = cx.1;
        if let Some(nested) = self.embedded(schema, key) {
            return match null_test(value) {
                Some(present) => presence(nested, present, cx).map(Some),
                None => Ok(None),
            };
        }
        let names_embed = self.embeds.iter().any(|nested| {
            let head = format!("{}.", nested.embed.key());
            value.contains(&head)
        });
        let logic = key.strip_prefix("not.");
        let at = logic.unwrap_or(key);
        if !(at == "or" || at == "and") || !names_embed {
            return Ok(None);
        }
        let Some(inner) = value.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
            return Ok(None);
        };
        let tree = Tree {
            at,
            key,
            root: value,
        };
        let filter = self.tree(&tree, inner, at == "or", cx)?;
        Ok(Some(match logic {
            Some(_) => Filter::Not(Box::new(filter)),
            None => filter,
        }))
    }

    /// The items of a logic tree (`or=(...)`, nested `and(...)`).
    fn tree(
        &self,
        tree: &Tree<'_>,
        text: &str,
        is_or: bool,
        cx: Cx<'_>,
    ) -> Result<Filter, PgError> {
        let mut parts = Vec::new();
        for item in query::split_top(text, tree.at)? {
            parts.push(self.tree_item(tree, item.trim(), cx)?);
        }
        Ok(if is_or {
            Filter::Or(parts)
        } else {
            Filter::And(parts)
        })
    }

    /// One item of a logic tree: a group, a null test of an embedded
    /// resource, or a comparison the native grammar reads. A column of an
    /// embedded resource (`author.name.eq.x`) is refused as PostgREST's
    /// parser refuses it: a logic tree groups the columns of one level
    /// (`author.or=(name.eq.x,...)` is the embedded resource's own tree).
    fn tree_item(&self, tree: &Tree<'_>, item: &str, cx: Cx<'_>) -> Result<Filter, PgError> {
        if let Some(rest) = item.strip_prefix("not.")
            && (rest.starts_with("or(") || rest.starts_with("and("))
        {
            return Ok(Filter::Not(Box::new(self.tree_item(tree, rest, cx)?)));
        }
        for (prefix, is_or) in [("or(", true), ("and(", false)] {
            if let Some(inner) = item.strip_prefix(prefix).and_then(|t| t.strip_suffix(')')) {
                return self.tree(tree, inner, is_or, cx);
            }
        }
        let schema = cx.1;
        if let Some((head, rest)) = item.split_once('.')
            && let Some(nested) = self.embedded(schema, head)
        {
            if let Some(present) = null_test(rest) {
                return presence(nested, present, cx);
            }
            let word = rest.split(['.', '(']).next().unwrap_or_default();
            if !is_operator(word) {
                return Err(tree.refuse(item, head, rest));
            }
        }
        let pair = [(tree.at.to_owned(), format!("({item})"))];
        let parsed = query::parse_query_string(&schema.manifest, &self.entity, &pair)?;
        Ok(parsed.filter.unwrap_or(Filter::And(Vec::new())))
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
