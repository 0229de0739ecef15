//! Data files → [`crate::manifest::Manifest`], inferred from the documents
//! they hold the way MongoDB sampling infers a collection
//! ([`crate::introspect::mongo::infer_documents`]):
//!
//! - **json-server** (`db.json`): a JSON object whose keys are collections
//!   and whose values are arrays of objects. A key holding one object
//!   (json-server's singular resource) is a collection of that one
//!   document (ledger `singular_resource`); an empty list
//!   (`empty_collection`) and any other value (`not_a_collection`) are
//!   left out with a ledger entry. Documents with no `id` or `_id` to key
//!   them get an `_id` key (`added_key`).
//! - **NDJSON** (`.ndjson`, `.jsonl`; what `mongoexport` writes): one
//!   document per line, in MongoDB Extended JSON (`{"$oid": ...}`,
//!   `{"$date": ...}`, canonical or relaxed), one collection named after
//!   the file.
//! - **Relations.** A field named after another collection of the import,
//!   singular with `Id`/`_id` after it (`postId`, `post_id`, `authorId`:
//!   json-server's convention, which its `_expand` and `_embed` follow, and
//!   MongoDB's `*_id`), whose values are all keys of that collection, refers
//!   to it: a relation to its key. A name that says so over values that are
//!   not its keys gets a ledger line instead.

use mongodb::bson::{Bson, Document};
use serde_json::Value;

use super::SourceFile;
use crate::manifest::Diagnostics;
use crate::source::{IntrospectOptions, Introspection};

/// Whether a parsed JSON document is a json-server database: an object
/// with at least one list of objects (other values, lists of numbers or
/// strings too, are left out with a ledger entry, as json-server serves
/// them but they hold no documents).
pub(crate) fn is_collections(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.values().any(|value| {
            value
                .as_array()
                .is_some_and(|items| !items.is_empty() && items.iter().all(Value::is_object))
        })
    })
}

/// Whether the file is one document per line, by its name.
pub(crate) fn is_lines(file: &SourceFile) -> bool {
    file.path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ndjson" | "jsonl"))
}

/// Reads a json-server database or an NDJSON file.
pub fn parse(
    file: &SourceFile,
    _options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".to_owned());
    let mut skipped = Vec::new();
    let mut singular = Vec::new();
    let collections = if is_lines(file) {
        vec![(stem.clone(), lines(file)?)]
    } else {
        let value: Value =
            serde_json::from_str(file.text.trim_start_matches('\u{feff}')).map_err(|error| {
                let offset =
                    line_offset(&file.text, error.line()) + error.column().saturating_sub(1);
                file.diagnostics(vec![file.problem(
                    super::json_schema::point(&file.text, offset),
                    format!("invalid JSON: {error}"),
                )])
            })?;
        let Value::Object(map) = value else {
            return Err(file.diagnostics(vec![file.problem(
                super::json_schema::point(&file.text, 0),
                "a data file is an object of collections (`{\"posts\": [...]}`)",
            )]));
        };
        let mut collections = Vec::new();
        for (name, value) in map {
            let documents: Vec<Value> = match value {
                Value::Array(items) if items.is_empty() => {
                    skipped.push((
                        name,
                        "empty_collection",
                        "an empty list: it has no document to infer fields from",
                    ));
                    continue;
                }
                Value::Array(items) => items,
                Value::Object(_) => {
                    singular.push(name.clone());
                    vec![value]
                }
                other => {
                    skipped.push((name, "not_a_collection", kind(&other)));
                    continue;
                }
            };
            let mut converted = Vec::with_capacity(documents.len());
            for document in documents {
                match document_of(document) {
                    Some(document) => converted.push(document),
                    None => {
                        skipped.push((
                            name.clone(),
                            "not_a_collection",
                            "a list with values that are not objects",
                        ));
                        converted.clear();
                        break;
                    }
                }
            }
            if !converted.is_empty() {
                collections.push((name, converted));
            }
        }
        collections
    };
    let mut introspection = crate::introspect::mongo::infer_documents(&stem, &collections);
    relate(&mut introspection, &collections);
    for (name, kind, what) in skipped {
        let message = if kind == "empty_collection" {
            format!("`{name}` is {what}; it is left out")
        } else {
            format!("`{name}` is {what}, not a list of documents; it is left out")
        };
        introspection.ledger.record(name.as_str(), kind, message);
    }
    for name in singular {
        introspection.ledger.record(
            name.as_str(),
            "singular_resource",
            format!(
                "`{name}` is one object (json-server's singular resource, read and replaced \
                 whole), not a list: it is read as a collection of that one document"
            ),
        );
    }
    for (name, documents) in &collections {
        let added = introspection
            .manifest
            .entities
            .get(name)
            .is_some_and(|entity| entity.primary_key == ["_id"])
            && !documents
                .iter()
                .any(|document| document.contains_key("_id"));
        if added {
            introspection.ledger.record(
                name.as_str(),
                "added_key",
                format!(
                    "the documents of `{name}` have no `id` (nor `_id`) that could be a key: the \
                     manifest gives them an `_id` key (an ObjectId) the file does not hold"
                ),
            );
        }
    }
    Ok(introspection)
}

/// The documents of an NDJSON file; a line that is not a JSON object is an
/// error at that line.
fn lines(file: &SourceFile) -> Result<Vec<Document>, Diagnostics> {
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}'));
        match parsed.ok().and_then(document_of) {
            Some(document) => documents.push(document),
            None => problems.push(file.problem(
                start..start + line.trim_end().len(),
                "expected one JSON object (a document) on this line",
            )),
        }
        if problems.len() > super::MAX_PROBLEMS {
            break;
        }
    }
    if problems.is_empty() {
        Ok(documents)
    } else {
        Err(file.diagnostics(problems))
    }
}

/// A JSON object as a BSON document, reading MongoDB Extended JSON.
fn document_of(value: Value) -> Option<Document> {
    if !value.is_object() {
        return None;
    }
    match Bson::try_from(value.clone()) {
        Ok(Bson::Document(document)) => Some(document),
        // Not valid Extended JSON (`{"$oid": 12}`): the plain values.
        _ => match mongodb::bson::to_bson(&value) {
            Ok(Bson::Document(document)) => Some(document),
            _ => None,
        },
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Byte offset of 1-based `line`.
fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// The relations named by json-server's and MongoDB's conventions: a field
/// `<singular>Id` / `<singular>_id` of one collection whose values are all
/// keys of the collection `<singular>` or its plural.
fn relate(introspection: &mut Introspection, collections: &[(String, Vec<Document>)]) {
    let entities = &introspection.manifest.entities;
    // (collection, field, target, the target's key when every value is one)
    let mut found: Vec<(String, String, String, Option<String>)> = Vec::new();
    for (name, documents) in collections {
        let Some(entity) = entities.get(name) else {
            continue;
        };
        for field in entity.fields.keys() {
            if entity.primary_key.contains(field)
                || entity.relations.iter().any(|r| r.fields.contains(field))
            {
                continue;
            }
            let Some(stem) = ["_id", "Id", "ID", "_ID"]
                .iter()
                .find_map(|suffix| field.strip_suffix(suffix))
                .filter(|stem| !stem.is_empty())
            else {
                continue;
            };
            let Some((target, keys)) = collections.iter().find_map(|(other, documents)| {
                let target = entities.get(other)?;
                let [key] = target.primary_key.as_slice() else {
                    return None;
                };
                names_collection(stem, other).then_some((other, (key, documents)))
            }) else {
                continue;
            };
            let (key, targets) = keys;
            let known: std::collections::HashSet<String> = targets
                .iter()
                .filter_map(|document| document.get(key).and_then(key_text))
                .collect();
            let values: Vec<Option<String>> = documents
                .iter()
                .filter_map(|document| document.get(field))
                .filter(|value| !matches!(value, Bson::Null))
                .map(key_text)
                .collect();
            let matched = !values.is_empty()
                && values
                    .iter()
                    .all(|value| value.as_ref().is_some_and(|value| known.contains(value)));
            found.push((
                name.clone(),
                field.clone(),
                target.clone(),
                matched.then(|| key.clone()),
            ));
        }
    }
    for (name, field, target, key) in found {
        let Some(key) = key else {
            introspection.ledger.record(
                format!("{name}.{field}"),
                "unmatched_reference",
                format!(
                    "`{name}.{field}` is named like a reference to `{target}`, but not all its \
                     values are `{target}` keys; no relation is recorded"
                ),
            );
            continue;
        };
        if let Some(entity) = introspection.manifest.entities.get_mut(&name) {
            entity.relations.push(relation_to(field, target, key));
        }
    }
}

/// A relation from one field to the one-field key of `entity`, with no
/// referential action (the source enforces none).
pub(super) fn relation_to(field: String, entity: String, key: String) -> crate::manifest::Relation {
    crate::manifest::Relation {
        name: None,
        fields: vec![field],
        references: crate::manifest::RelationTarget {
            entity,
            fields: vec![key],
        },
        on_delete: crate::manifest::ReferentialAction::NoAction,
        on_update: crate::manifest::ReferentialAction::NoAction,
        deferrable: false,
        deferred: false,
        comment: None,
    }
}

/// Whether `collection` is the collection a reference named `stem` points
/// at: the stem itself or its plural (`post` → `posts`, `category` →
/// `categories`, `box` → `boxes`), in any case.
fn names_collection(stem: &str, collection: &str) -> bool {
    let stem = stem.to_lowercase();
    let collection = collection.to_lowercase();
    let plurals = [
        stem.clone(),
        format!("{stem}s"),
        format!("{stem}es"),
        stem.strip_suffix('y')
            .map(|base| format!("{base}ies"))
            .unwrap_or_default(),
    ];
    plurals.contains(&collection)
}

/// A key value as comparable text: integers of any width (and whole
/// doubles) alike, strings, ObjectIds and UUIDs apart.
fn key_text(value: &Bson) -> Option<String> {
    match value {
        Bson::Int32(n) => Some(format!("n{n}")),
        Bson::Int64(n) => Some(format!("n{n}")),
        Bson::Double(f) if f.fract() == 0.0 => Some(format!("n{f:.0}")),
        Bson::String(text) => Some(format!("s{text}")),
        Bson::ObjectId(id) => Some(format!("o{id}")),
        Bson::Binary(binary) => Some(format!("b{binary}")),
        _ => None,
    }
}
