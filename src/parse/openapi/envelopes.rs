//! List envelopes: schemas whose only role is to wrap a page of another
//! entity's rows, with what the API says about the page beside them
//! (Kubernetes' `PodList {apiVersion, kind, metadata, items: [Pod]}`,
//! Stripe's `{object: "list", data: [...], has_more, url}`, Django REST
//! framework's `{count, next, previous, results: [...]}`). An envelope is
//! no entity: its rows are the item's entity, and an operation answering
//! it lists that entity (ledger `list_envelope`).
//!
//! The decision is structural. A schema is an envelope when
//!
//! - it has no key (a resource with an `id` that lists children is a row);
//! - exactly one property is a list of another entity (`items: {$ref}`);
//! - its other properties describe the page: scalars, or objects of
//!   scalars (`metadata: ListMeta`, `links`), never another entity's row;
//! - no operation sends it (what a client writes is a resource), and
//!   something confirms the role: a property is paging state (a
//!   `has_more` flag, a `next` link or cursor, a row count, `object:
//!   "list"`), at the top or one object down; or the list is all it holds
//!   and a `GET` on a collection (a path that does not end in a parameter)
//!   answers it. A wrapper of an error response (`{errors: [Error]}`) or
//!   a status with its parts (`{status, components: [...]}`) stays.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::serving::object_properties;
use super::{OutlineOperation, resolve};
use crate::parse::json_schema::{Pointer, Walker, pointer_text};

/// An envelope schema and what it wraps.
#[derive(Debug, Clone)]
pub(super) struct Envelope {
    pub name: String,
    /// The entity of its rows.
    pub item: String,
    /// The property that holds them.
    pub rows: String,
    /// Its other properties, which describe the page.
    pub about: Vec<String>,
}

/// Paging state, in names normalised by [`normal`]: the sign that a
/// wrapper's other properties are about a page of rows.
const PAGING: &[&str] = &[
    "hasmore",
    "hasnext",
    "hasnextpage",
    "next",
    "nextpage",
    "nexturl",
    "nextpageurl",
    "nextlink",
    "nextcursor",
    "nextpagetoken",
    "nexttoken",
    "cursor",
    "continue",
    "previous",
    "prev",
    "count",
    "totalcount",
    "totalsize",
    "totalitems",
    "totalresults",
    "remainingitemcount",
];

/// `has_more`, `hasMore` and `has-more` alike.
fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The envelopes among `entities` (name, pointer), keyed by pointer text.
pub(super) fn find(
    root: &Value,
    walker: &mut Walker<'_>,
    entities: &[(String, Pointer)],
    operations: &[OutlineOperation],
) -> BTreeMap<String, Envelope> {
    let mut sent: HashSet<String> = HashSet::new();
    let mut listed: HashSet<String> = HashSet::new();
    for operation in operations {
        sent.extend(
            operation.references[..operation.sent]
                .iter()
                .filter_map(|reference| pointer_of(reference)),
        );
        if operation.method == "GET" && !operation.path.trim_end_matches('/').ends_with('}') {
            listed.extend(
                operation.references[operation.sent..]
                    .iter()
                    .filter_map(|reference| pointer_of(reference)),
            );
        }
    }
    let mut found = BTreeMap::new();
    for (name, pointer) in entities {
        let at = pointer_text(pointer);
        if sent.contains(&at) {
            continue;
        }
        let Some(schema) = walker.at(pointer) else {
            continue;
        };
        let flat = walker.flatten(schema, pointer);
        if flat.properties.contains_key("id") {
            continue;
        }
        let mut lists = Vec::new();
        let mut about = Vec::new();
        let mut paging = false;
        let mut other = false;
        for (property, (value, _)) in &flat.properties {
            let value = resolve(root, value);
            if let Some(item) = listed_entity(walker, value).filter(|item| item != name) {
                lists.push((property.clone(), item));
                continue;
            }
            about.push(property.clone());
            paging |= is_paging(property, value);
            match object_properties(root, value) {
                // An object describing the page: scalars only, no key.
                Some(inner) => {
                    if inner.contains_key("id")
                        || inner.values().any(|v| !is_scalar(resolve(root, v)))
                    {
                        other = true;
                    }
                    paging |= inner
                        .iter()
                        .any(|(key, v)| is_paging(key, resolve(root, v)));
                }
                None if is_scalar(value) => {}
                None => other = true,
            }
        }
        let [(rows, item)] = lists.as_slice() else {
            continue;
        };
        if other || !(paging || about.is_empty() && listed.contains(&at)) {
            continue;
        }
        found.insert(
            at,
            Envelope {
                name: name.clone(),
                item: item.clone(),
                rows: rows.clone(),
                about,
            },
        );
    }
    found
}

/// The entity a list schema's items name (`{type: array, items: {$ref}}`).
fn listed_entity(walker: &Walker<'_>, value: &Value) -> Option<String> {
    let is_array = match value.get("type") {
        Some(Value::String(kind)) => kind == "array",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "array"),
        _ => value.get("items").is_some(),
    };
    if !is_array {
        return None;
    }
    let items = value.get("items")?;
    let reference = items
        .get("$ref")
        .or_else(|| match items.get("allOf") {
            Some(Value::Array(parts)) if parts.len() == 1 => parts[0].get("$ref"),
            _ => None,
        })?
        .as_str()?;
    walker.entity_of_reference(reference).map(str::to_owned)
}

/// A property whose name and type say it is paging state.
fn is_paging(name: &str, value: &Value) -> bool {
    let name = normal(name);
    if name == "object" {
        // Stripe's `object: {enum: ["list"]}`.
        return value
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.iter().any(|v| v == "list"));
    }
    PAGING.contains(&name.as_str()) && is_scalar(value)
}

fn is_scalar(value: &Value) -> bool {
    if value.get("properties").is_some() || value.get("items").is_some() {
        return false;
    }
    match value.get("type") {
        Some(Value::String(kind)) => !matches!(kind.as_str(), "object" | "array"),
        Some(Value::Array(kinds)) => kinds.iter().all(|kind| kind != "object" && kind != "array"),
        // `enum`, `format` or a description alone: a value, as far as it says.
        _ => value.get("additionalProperties").is_none() && value.get("allOf").is_none(),
    }
}

fn pointer_of(reference: &str) -> Option<String> {
    crate::parse::json_schema::internal_pointer(reference).map(|pointer| pointer_text(&pointer))
}
