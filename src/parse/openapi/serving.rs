//! What `baas serve` needs to call the API an OpenAPI document describes
//! (`[source] engine = "http"`): per operation, its action on an entity
//! (list/get/create/update/replace/delete), the query parameters it
//! declares, how a list pages, where a list response keeps its rows, and
//! where an error body keeps its message.
//!
//! - **Action.** Only operations whose path parameters the store can fill
//!   are mapped: a collection path with no parameter (`GET` list, `POST`
//!   create) or that path plus one trailing `{key}` segment (`GET` get,
//!   `PATCH`/`POST` update, `PUT` replace, `DELETE` delete). The first
//!   operation found for an entity and action wins.
//! - **Rows.** A success response that is an array holds the rows itself;
//!   an object with one array-of-objects property (`{data: [...]}`,
//!   `{services: [...], meta: {...}}`) keeps them under that key. The
//!   entity of a list whose items are not a named schema is the entity of
//!   the `get` on the same path.
//! - **Pagination.** A `Link` response header or a next-page URL in the
//!   body (`next_page_url`, `next`) is `link`; otherwise `offset`/`skip`
//!   is `offset`, `page` is `page`, `cursor`/`after`/`page_token` is
//!   `cursor` (with the next cursor's pointer when the body has one). The
//!   page-size parameter (`limit`, `per_page`, `page_size`...) goes with it.
//! - **Errors.** The first error response whose schema has `detail`,
//!   `message`, `error` or `errors[].message` gives the pointer.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Version, resolve};
use crate::manifest::{Operation, OperationAction, Pagination, PaginationStyle};
use crate::parse::json_schema::Walker;

/// Fills `action`, `query`, `pagination`, `rows` and `error` of the
/// operations, and their `entity` where the rows name it. Reads come
/// first: a list is a `GET` on a collection answering an array or a
/// wrapper of one, a get is a `GET` on `collection/{key}`; writes are
/// mapped only onto a resource that can be read back, with its entity.
pub(super) fn annotate(
    root: &Value,
    version: Version,
    walker: &Walker<'_>,
    operations: &mut [Operation],
) {
    let shapes: Vec<Option<Shape>> = operations
        .iter()
        .map(|operation| {
            let item = root.get("paths")?.get(&operation.path)?;
            let raw = item.get(operation.method.to_ascii_lowercase())?;
            Some(Shape::read(root, version, walker, item, raw))
        })
        .collect();
    // Reads: entity by path (the first operation found for a path wins).
    let mut gets: HashMap<String, String> = HashMap::new();
    // The entity of the first get on each collection.
    let mut collection_gets: HashMap<String, String> = HashMap::new();
    let mut lists: HashMap<String, Option<String>> = HashMap::new();
    for (operation, shape) in operations.iter().zip(&shapes) {
        let Some(shape) = shape.as_ref().filter(|_| operation.method == "GET") else {
            continue;
        };
        let parameters = path_parameters(&operation.path);
        if let Some(collection) = collection_of(&operation.path)
            && parameters == 1
        {
            if let Some(entity) = shape.row_entity.clone().or(operation.entity.clone()) {
                collection_gets
                    .entry(collection.to_owned())
                    .or_insert_with(|| entity.clone());
                gets.entry(operation.path.clone()).or_insert(entity);
            }
        } else if parameters == 0 && shape.is_list {
            lists
                .entry(operation.path.clone())
                .or_insert_with(|| shape.row_entity.clone());
        }
    }
    let get_entity = |path: &str| gets.get(path).cloned();
    let list_entity = |path: &str| {
        lists.get(path).map(|entity| {
            entity
                .clone()
                .or_else(|| collection_gets.get(path).cloned())
        })
    };
    let mut taken: HashSet<(String, OperationAction)> = HashSet::new();
    for (operation, shape) in operations.iter_mut().zip(shapes) {
        let Some(shape) = shape else {
            continue;
        };
        let item = collection_of(&operation.path).is_some();
        let (action, entity) = match (operation.method.as_str(), item) {
            ("GET", false) => (
                OperationAction::List,
                list_entity(&operation.path).flatten(),
            ),
            ("POST", false) => (
                OperationAction::Create,
                list_entity(&operation.path).flatten(),
            ),
            ("GET", true) => (OperationAction::Get, get_entity(&operation.path)),
            ("PATCH" | "POST", true) => (OperationAction::Update, get_entity(&operation.path)),
            ("PUT", true) => (OperationAction::Replace, get_entity(&operation.path)),
            ("DELETE", true) => (OperationAction::Delete, get_entity(&operation.path)),
            _ => (OperationAction::List, None),
        };
        operation.query = shape.query.clone();
        operation.error = shape.error.clone();
        if action == OperationAction::List && entity.is_some() {
            operation.pagination = shape.pagination.clone();
            operation.rows = shape.rows.clone();
        }
        if let Some(entity) = entity {
            operation.entity = Some(entity.clone());
            if taken.insert((entity, action)) {
                operation.action = Some(action);
            }
        }
    }
}

/// Name pairs: (old, new) or (form, entity).
pub(super) type Pairs = Vec<(String, String)>;

/// The forms of one resource a document describes as schemas of their own
/// (baas's own: `BookRow`, `BookInsert`, `BookUpdate`, `BookList`) are one
/// entity: a schema named `<stem>Insert`, `<stem>Create`, `<stem>Update`,
/// `<stem>Patch` or `<stem>List` that an operation on the collection of
/// the rows' entity (`<stem>Row` or `<stem>`) uses is folded into it, and
/// the rows' entity is named after the collection (`/api/book` → `book`)
/// when the collection's last segment is the stem in snake case (else the
/// stem). A `readOnly` key of the insert form is generated on the entity.
/// `uses[i]` are the entities operation `i` names in its bodies.
/// Returns the renames (old name → new name) and the folded forms.
pub(super) fn fold_variants(
    entities: &mut std::collections::BTreeMap<String, crate::manifest::Entity>,
    operations: &mut [Operation],
    uses: &[Vec<String>],
) -> (Pairs, Pairs) {
    const FORMS: &[&str] = &["Insert", "Create", "Update", "Patch", "List"];
    // The rows' entity of each collection, from its list or get.
    let mut collections: Vec<(String, String)> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for operation in operations.iter() {
        let (Some(entity), Some(action)) = (&operation.entity, operation.action) else {
            continue;
        };
        let collection = match action {
            OperationAction::List => operation.path.trim_end_matches('/'),
            OperationAction::Get => match collection_of(&operation.path) {
                Some(collection) => collection,
                None => continue,
            },
            _ => continue,
        };
        if seen.insert(collection) {
            collections.push((collection.to_owned(), entity.clone()));
        }
    }
    // The operations on each collection path or an item of it, in order.
    let mut on_collection: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, operation) in operations.iter().enumerate() {
        on_collection
            .entry(operation.path.trim_end_matches('/'))
            .or_default()
            .push(index);
        if let Some(collection) = collection_of(&operation.path) {
            on_collection.entry(collection).or_default().push(index);
        }
    }
    let mut renames = Vec::new();
    let mut folded: Vec<(String, String)> = Vec::new();
    for (collection, row) in &collections {
        let stem = row
            .strip_suffix("Row")
            .filter(|s| !s.is_empty())
            .unwrap_or(row);
        let mut forms: Vec<String> = Vec::new();
        let indexes = on_collection.get(collection.as_str()).into_iter().flatten();
        for used in indexes.filter_map(|&index| uses.get(index)) {
            for name in used {
                let is_form = name
                    .strip_prefix(stem)
                    .is_some_and(|suffix| FORMS.contains(&suffix));
                if is_form && entities.contains_key(name) && !forms.contains(name) {
                    forms.push(name.clone());
                }
            }
        }
        if forms.is_empty() {
            continue;
        }
        // The key the insert form marks read-only is made upstream.
        for form in &forms {
            let Some(generated) = entities.get(form).and_then(|entity| {
                let key = entity.primary_key.first()?;
                Some((key.clone(), entity.fields.get(key)?.generated.clone()?))
            }) else {
                continue;
            };
            if let Some(field) = entities
                .get_mut(row)
                .and_then(|entity| entity.fields.get_mut(&generated.0))
            {
                field.generated.get_or_insert(generated.1);
            }
        }
        // What the insert form lets a client leave out, the upstream fills
        // in: its default when the form names one, else the field may be
        // absent from an insert (and from the rows, for all baas knows).
        for form in forms.iter().filter(|form| {
            ["Insert", "Create"]
                .iter()
                .any(|suffix| form.strip_prefix(stem) == Some(suffix))
        }) {
            let Some(sent) = entities.get(form).map(|entity| entity.fields.clone()) else {
                continue;
            };
            let Some(rows) = entities.get_mut(row) else {
                continue;
            };
            for (name, field) in rows.fields.iter_mut() {
                let Some(sent) = sent.get(name) else {
                    continue;
                };
                if field.is_optional_on_insert() || !sent.is_optional_on_insert() {
                    continue;
                }
                match &sent.default {
                    Some(default) => field.default = Some(default.clone()),
                    None => field.optional = true,
                }
            }
        }
        for form in forms {
            entities.remove(&form);
            folded.push((form, row.clone()));
        }
        let segment = collection.rsplit('/').next().unwrap_or_default();
        let name = if snake(stem) == segment.to_ascii_lowercase() {
            segment.to_owned()
        } else {
            stem.to_owned()
        };
        if name != *row && !entities.contains_key(&name) {
            renames.push((row.clone(), name));
        }
    }
    let mut rows: HashMap<&str, &str> = HashMap::new();
    for (form, row) in &folded {
        rows.entry(form).or_insert(row);
    }
    let mut new_names: HashMap<&str, &str> = HashMap::new();
    for (from, to) in &renames {
        new_names.entry(from).or_insert(to);
    }
    let renamed = |name: &str| -> String {
        let row = rows.get(name).copied().unwrap_or(name);
        new_names.get(row).copied().unwrap_or(row).to_owned()
    };
    for (from, to) in &renames {
        if let Some(mut entity) = entities.remove(from) {
            entity.table = to.clone();
            entities.insert(to.clone(), entity);
        }
    }
    for entity in entities.values_mut() {
        for relation in &mut entity.relations {
            relation.references.entity = renamed(&relation.references.entity);
        }
    }
    for operation in operations.iter_mut() {
        if let Some(entity) = &operation.entity {
            operation.entity = Some(renamed(entity));
        }
    }
    (renames, folded)
}

/// `BookTag` → `book_tag`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// For `/pets/{id}`, `/pets`; `None` when the last segment is no parameter.
fn collection_of(path: &str) -> Option<&str> {
    let (collection, last) = path.trim_end_matches('/').rsplit_once('/')?;
    (last.starts_with('{') && last.ends_with('}') && !collection.is_empty()).then_some(collection)
}

fn path_parameters(path: &str) -> usize {
    path.split('/')
        .filter(|segment| segment.starts_with('{') && segment.ends_with('}'))
        .count()
}

/// What one operation's parameters and responses say.
#[derive(Debug, Default)]
struct Shape {
    /// The success response is an array, or a wrapper of one.
    is_list: bool,
    row_entity: Option<String>,
    rows: Option<String>,
    query: Vec<String>,
    pagination: Option<Pagination>,
    error: Option<String>,
}

const OFFSET: &[&str] = &["offset", "skip", "start"];
const PAGE: &[&str] = &["page", "pagenumber"];
const CURSOR: &[&str] = &[
    "cursor",
    "after",
    "pagetoken",
    "startingafter",
    "continuation",
];
const SIZE: &[&str] = &[
    "limit",
    "perpage",
    "pagesize",
    "size",
    "maxresults",
    "count",
    "first",
];
const NEXT_URL: &[&str] = &["next_page_url", "nextpageurl", "next", "next_url"];
const NEXT_CURSOR: &[&str] = &[
    "next_cursor",
    "nextcursor",
    "next_page_token",
    "nextpagetoken",
    "cursor",
];

/// `page_size`, `PageSize` and `page-size` alike.
fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Shape {
    fn read(
        root: &Value,
        version: Version,
        walker: &Walker<'_>,
        item: &Value,
        raw: &Value,
    ) -> Self {
        let mut shape = Shape::default();
        let parameters = [item.get("parameters"), raw.get("parameters")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter(|parameter| !takes_filter_grammar(parameter))
            .map(|parameter| resolve(root, parameter))
            .filter(|parameter| !takes_filter_grammar(parameter));
        let mut names: Vec<String> = Vec::new();
        for parameter in parameters {
            if parameter.get("in").and_then(Value::as_str) == Some("query")
                && let Some(name) = parameter.get("name").and_then(Value::as_str)
                && !names.iter().any(|known| known == name)
            {
                names.push(name.to_owned());
            }
        }
        let find = |set: &[&str]| {
            names
                .iter()
                .find(|name| set.contains(&normal(name).as_str()))
                .cloned()
        };
        let mut link_header = false;
        let mut next_url = None;
        let mut next_cursor = None;
        if let Some(Value::Object(responses)) = raw.get("responses") {
            for (status, response) in responses {
                let response = resolve(root, response);
                let schema = response_schema(version, response);
                if status.starts_with('2') {
                    if let Some(Value::Object(headers)) = response.get("headers") {
                        link_header |= headers.keys().any(|name| name.eq_ignore_ascii_case("link"));
                    }
                    if !shape.is_list
                        && shape.row_entity.is_none()
                        && let Some(schema) = schema
                    {
                        shape.rows_of(root, walker, schema);
                        if let Some(properties) = object_properties(root, schema) {
                            next_url =
                                next_url.or_else(|| find_pointer(root, properties, NEXT_URL));
                            next_cursor =
                                next_cursor.or_else(|| find_pointer(root, properties, NEXT_CURSOR));
                        }
                    }
                } else if shape.error.is_none()
                    && let Some(schema) = schema
                {
                    shape.error = error_pointer(root, schema);
                }
            }
        }
        let size = find(SIZE);
        let pagination = |style, page: Option<String>, offset, cursor, next| Pagination {
            style,
            limit: size.clone(),
            offset,
            page,
            cursor,
            next,
        };
        let offset = find(OFFSET);
        let page = find(PAGE);
        let cursor = find(CURSOR);
        shape.pagination = if link_header || (next_url.is_some() && offset.is_none()) {
            Some(pagination(
                PaginationStyle::Link,
                page.clone(),
                None,
                None,
                next_url.filter(|_| !link_header),
            ))
        } else if offset.is_some() {
            Some(pagination(
                PaginationStyle::Offset,
                None,
                offset,
                None,
                None,
            ))
        } else if page.is_some() {
            Some(pagination(PaginationStyle::Page, page, None, None, None))
        } else if cursor.is_some() {
            Some(pagination(
                PaginationStyle::Cursor,
                None,
                None,
                cursor,
                next_cursor,
            ))
        } else {
            None
        };
        let paging: Vec<&String> = shape
            .pagination
            .iter()
            .flat_map(|p| [&p.limit, &p.offset, &p.page, &p.cursor])
            .flatten()
            .collect();
        shape.query = names
            .iter()
            .filter(|name| !paging.contains(name))
            .cloned()
            .collect();
        shape
    }

    /// The row entity and rows key of a success response's schema.
    fn rows_of(&mut self, root: &Value, walker: &Walker<'_>, schema: &Value) {
        let entity_of = |schema: &Value| {
            schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| walker.entity_of_reference(reference))
                .map(str::to_owned)
        };
        let resolved = resolve(root, schema);
        if let Some(items) = array_items(resolved) {
            self.row_entity = entity_of(items);
            self.rows = None;
            self.is_list = true;
            return;
        }
        if let Some(properties) = object_properties(root, schema) {
            let arrays: Vec<(&String, &Value)> = properties
                .iter()
                .filter_map(|(name, property)| {
                    let items = array_items(resolve(root, property))?;
                    let items_resolved = resolve(root, items);
                    (items_resolved.get("properties").is_some() || entity_of(items).is_some())
                        .then_some((name, items))
                })
                .collect();
            // A row whose one array property is a child list is still a
            // row: a wrapper has no scalar key besides paging metadata.
            let has_id = properties.contains_key("id");
            if let [(name, items)] = arrays.as_slice()
                && !has_id
            {
                self.rows = Some((*name).clone());
                self.row_entity = entity_of(items);
                self.is_list = true;
                return;
            }
        }
        self.row_entity = entity_of(schema);
    }
}

fn response_schema(version: Version, response: &Value) -> Option<&Value> {
    if version == Version::V20 {
        return response.get("schema");
    }
    let Some(Value::Object(content)) = response.get("content") else {
        return None;
    };
    content
        .iter()
        .find(|(media, _)| media.contains("json"))
        .or_else(|| content.iter().next())
        .and_then(|(_, media)| media.get("schema"))
}

fn array_items(schema: &Value) -> Option<&Value> {
    let is_array = match schema.get("type") {
        Some(Value::String(kind)) => kind == "array",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "array"),
        _ => false,
    };
    is_array.then(|| schema.get("items")).flatten()
}

/// The properties of an object schema (through `$ref` and a one-element `allOf`).
pub(super) fn object_properties<'v>(
    root: &'v Value,
    schema: &'v Value,
) -> Option<&'v serde_json::Map<String, Value>> {
    let schema = resolve(root, schema);
    if let Some(Value::Object(properties)) = schema.get("properties") {
        return Some(properties);
    }
    match schema.get("allOf") {
        Some(Value::Array(parts)) if parts.len() == 1 => {
            parts.first().and_then(|part| object_properties(root, part))
        }
        _ => None,
    }
}

/// A pointer to the first property named in `names`, at the top or one
/// object level down (`/meta/next_page_url`).
fn find_pointer(
    root: &Value,
    properties: &serde_json::Map<String, Value>,
    names: &[&str],
) -> Option<String> {
    let named = |properties: &serde_json::Map<String, Value>| {
        properties
            .keys()
            .find(|key| names.contains(&key.to_ascii_lowercase().as_str()))
            .cloned()
    };
    if let Some(key) = named(properties) {
        return Some(format!("/{key}"));
    }
    properties.iter().find_map(|(outer, property)| {
        let inner = object_properties(root, property)?;
        named(inner).map(|key| format!("/{outer}/{key}"))
    })
}

/// Where an error body keeps its message.
fn error_pointer(root: &Value, schema: &Value) -> Option<String> {
    let properties = object_properties(root, schema)?;
    for key in ["detail", "message", "error_description"] {
        if properties.contains_key(key) {
            return Some(format!("/{key}"));
        }
    }
    if let Some(error) = properties.get("error") {
        return match object_properties(root, error) {
            Some(inner) if inner.contains_key("message") => Some("/error/message".to_owned()),
            Some(_) => None,
            None => Some("/error".to_owned()),
        };
    }
    let errors = properties.get("errors")?;
    let items = array_items(resolve(root, errors))?;
    object_properties(root, items)?
        .contains_key("message")
        .then(|| "/errors/0/message".to_owned())
}

/// Whether a query parameter takes a filter grammar of its own (`eq.x`,
/// `in.(a,b)`), as baas's `FieldFilter` and PostgREST's `rowFilter.*`
/// parameters do, rather than a value to compare with: it or its schema
/// refers to a definition named a filter. Such a parameter is not listed
/// in an operation's `query`, so no plain `field=value` is sent to it.
fn takes_filter_grammar(parameter: &Value) -> bool {
    let names_a_filter = |value: Option<&Value>| {
        value
            .and_then(|value| value.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|pointer| pointer.rsplit('/').next())
            .is_some_and(|name| name.to_ascii_lowercase().contains("filter"))
    };
    names_a_filter(Some(parameter)) || names_a_filter(parameter.get("schema"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collection_is_the_path_before_a_trailing_parameter() {
        assert_eq!(collection_of("/pets/{petId}"), Some("/pets"));
        assert_eq!(collection_of("/pets"), None);
        assert_eq!(collection_of("/{id}"), None);
        assert_eq!(path_parameters("/a/{b}/c/{d}"), 2);
        assert_eq!(normal("Page_Size"), "pagesize");
    }

    #[test]
    fn parameters_of_a_filter_grammar_are_told_from_plain_ones() {
        let postgrest = serde_json::json!({ "$ref": "#/parameters/rowFilter.books.id" });
        let baas = serde_json::json!({
            "name": "title", "in": "query",
            "schema": { "$ref": "#/components/schemas/FieldFilter" }
        });
        let plain = serde_json::json!({
            "name": "status", "in": "query",
            "schema": { "$ref": "#/components/schemas/Status" }
        });
        assert!(takes_filter_grammar(&postgrest));
        assert!(takes_filter_grammar(&baas));
        assert!(!takes_filter_grammar(&plain));
        assert!(!takes_filter_grammar(
            &serde_json::json!({ "name": "q", "in": "query" })
        ));
    }
}
