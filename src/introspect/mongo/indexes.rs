//! Indexes from `listIndexes`: key order (`-1` → descending), special keys
//! (`text`, `2dsphere`, `2d`, `hashed` → `method`), `unique`, the
//! `partialFilterExpression` (as compact JSON in `where`) and TTL
//! (`expireAfterSeconds`). The `_id_` index is the primary key and is not
//! listed. Options the manifest has no place for (`sparse`, `collation`,
//! `hidden`, text weights, ...) and wildcard indexes go to the ledger.

use indexmap::IndexMap;
use mongodb::bson::{Bson, Document};

use super::compact_json;
use crate::ledger::Ledger;
use crate::manifest::{Field, Index, IndexPart, SortOrder};

/// Keys of an index specification that carry nothing the manifest needs:
/// versions and the obsolete `background` build flag.
const IGNORED: &[&str] = &[
    "v",
    "ns",
    "background",
    "textIndexVersion",
    "2dsphereIndexVersion",
];

/// The indexes of `collection` described by `specs`, whose keys are checked
/// against its top-level `fields`.
pub(super) fn indexes(
    collection: &str,
    specs: &[Document],
    fields: &IndexMap<String, Field>,
    ledger: &mut Ledger,
) -> Vec<Index> {
    let mut indexes: Vec<Index> = specs
        .iter()
        .filter_map(|spec| index(collection, spec, fields, ledger))
        .collect();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    indexes
}

fn index(
    collection: &str,
    spec: &Document,
    fields: &IndexMap<String, Field>,
    ledger: &mut Ledger,
) -> Option<Index> {
    let name = spec.get_str("name").ok()?;
    if name == "_id_" {
        return None;
    }
    let mut record = |kind: &str, message: String| ledger.record(collection, kind, message);
    let Ok(key) = spec.get_document("key") else {
        record(
            "index",
            format!("index `{name}` has no key document; left out"),
        );
        return None;
    };
    let key_json = compact_json(&Bson::Document(key.clone()));
    if key
        .keys()
        .any(|field| field == "$**" || field.ends_with(".$**"))
    {
        record(
            "wildcard_index",
            format!(
                "wildcard index `{name}` on `{key_json}` cannot be represented (its keys are not \
                 fields); left out"
            ),
        );
        return None;
    }

    let mut parts = Vec::new();
    let mut methods: Vec<String> = Vec::new();
    let mut unknown_paths = Vec::new();
    for (field, direction) in key {
        let (names, order): (Vec<String>, Option<SortOrder>) = match direction {
            // A text index stores its fields as `weights`, its key as `_fts`/`_ftsx`.
            Bson::String(method) if field == "_fts" && method == "text" => {
                add_method(&mut methods, method);
                let weighted = spec
                    .get_document("weights")
                    .map(|weights| weights.keys().cloned().collect())
                    .unwrap_or_default();
                (weighted, None)
            }
            _ if field == "_ftsx" => continue,
            Bson::String(method) => {
                add_method(&mut methods, method);
                (vec![field.clone()], None)
            }
            number => match number_sign(number) {
                Some(true) => (vec![field.clone()], None),
                Some(false) => (vec![field.clone()], Some(SortOrder::Desc)),
                None => {
                    record(
                        "index",
                        format!(
                            "index `{name}` has key `{field}: {}`, which is not a known index \
                             type; left out",
                            compact_json(number)
                        ),
                    );
                    return None;
                }
            },
        };
        for field in names {
            if crate::manifest::field_at_path(fields, &field).is_none() {
                // A path no document showed is kept as written.
                unknown_paths.push(field.clone());
                parts.push(IndexPart::Expression { sql: field, order });
            } else {
                parts.push(IndexPart::Field {
                    field,
                    order,
                    collation: None,
                    prefix_length: None,
                });
            }
        }
    }
    if parts.is_empty() {
        record(
            "index",
            format!("index `{name}` on `{key_json}` has no fields the manifest can name; left out"),
        );
        return None;
    }
    for path in unknown_paths {
        let why = "not a field of the manifest (no document read had it)";
        record(
            "index_path",
            format!(
                "index `{name}` uses `{path}`, {why}; kept as written in an expression key part"
            ),
        );
    }
    if methods.len() > 1 {
        record(
            "index",
            format!(
                "index `{name}` mixes index types ({key_json}); the manifest records only \
                 `method = \"{}\"`",
                methods[0]
            ),
        );
    }

    let mut index = Index {
        name: name.to_owned(),
        fields: parts,
        unique: false,
        predicate: None,
        method: methods.into_iter().next(),
        expire_after_seconds: None,
        options: Default::default(),
    };
    let mut unrepresented = Vec::new();
    for (option, value) in spec {
        match (option.as_str(), value) {
            ("name" | "key", _) => {}
            (option, _) if IGNORED.contains(&option) => {}
            ("unique", value) => index.unique = truthy(value),
            ("partialFilterExpression", Bson::Document(_)) => {
                index.predicate = Some(compact_json(value));
            }
            ("expireAfterSeconds", value) => match seconds(value) {
                Some(seconds) => index.expire_after_seconds = Some(seconds),
                None => unrepresented.push(format!("`{option}: {}`", compact_json(value))),
            },
            ("weights", Bson::Document(weights)) if weights.values().all(number_is_one) => {}
            ("default_language", Bson::String(language)) if language == "english" => {}
            ("language_override", Bson::String(field)) if field == "language" => {}
            ("sparse" | "hidden", Bson::Boolean(false)) => {}
            _ => unrepresented.push(format!("`{option}: {}`", compact_json(value))),
        }
    }
    if !unrepresented.is_empty() {
        record(
            "index_option",
            format!(
                "index `{name}` has options the manifest cannot represent: {}",
                unrepresented.join(", ")
            ),
        );
    }
    Some(index)
}

fn add_method(methods: &mut Vec<String>, method: &str) {
    if !methods.iter().any(|m| m == method) {
        methods.push(method.to_owned());
    }
}

/// `Some(true)` for an ascending key (`1`), `Some(false)` for descending.
fn number_sign(value: &Bson) -> Option<bool> {
    let number = match value {
        Bson::Int32(n) => f64::from(*n),
        Bson::Int64(n) => *n as f64,
        Bson::Double(n) => *n,
        _ => return None,
    };
    if number > 0.0 {
        Some(true)
    } else if number < 0.0 {
        Some(false)
    } else {
        None
    }
}

fn number_is_one(value: &Bson) -> bool {
    matches!(value, Bson::Int32(1) | Bson::Int64(1)) || *value == Bson::Double(1.0)
}

fn truthy(value: &Bson) -> bool {
    match value {
        Bson::Boolean(b) => *b,
        Bson::Int32(n) => *n != 0,
        Bson::Int64(n) => *n != 0,
        Bson::Double(n) => *n != 0.0,
        _ => false,
    }
}

/// A TTL in whole, non-negative seconds.
fn seconds(value: &Bson) -> Option<u64> {
    match value {
        Bson::Int32(n) => u64::try_from(*n).ok(),
        Bson::Int64(n) => u64::try_from(*n).ok(),
        Bson::Double(n) if n.fract() == 0.0 && *n >= 0.0 && *n < u64::MAX as f64 => Some(*n as u64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;
    use crate::manifest::FieldType;

    fn field_map(names: &[&str]) -> IndexMap<String, Field> {
        names
            .iter()
            .map(|name| ((*name).to_owned(), Field::new(FieldType::String)))
            .collect()
    }

    #[test]
    fn keys_options_and_what_is_left_out() {
        let specs = [
            doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" },
            doc! { "v": 2, "key": { "a": 1, "b": -1 }, "name": "a_b", "unique": true },
            doc! { "v": 2, "key": { "d": 1 }, "name": "ttl", "expireAfterSeconds": 3600 },
            doc! { "v": 2, "key": { "a": 1 }, "name": "part",
            "partialFilterExpression": { "a": { "$gt": 1 } }, "sparse": true },
            doc! { "v": 2, "key": { "_fts": "text", "_ftsx": 1 }, "name": "txt",
            "weights": { "a": 1, "b": 5 }, "default_language": "english",
            "language_override": "language", "textIndexVersion": 3 },
            doc! { "v": 2, "key": { "$**": 1 }, "name": "wild" },
            doc! { "v": 2, "key": { "n.x": "hashed" }, "name": "h" },
        ];
        let mut ledger = Ledger::new();
        let indexes = indexes("c", &specs, &field_map(&["a", "b", "d"]), &mut ledger);
        let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a_b", "h", "part", "ttl", "txt"]);
        assert!(indexes[0].unique);
        assert_eq!(indexes[0].fields[1].to_string(), "b desc");
        assert_eq!(indexes[1].method.as_deref(), Some("hashed"));
        assert_eq!(
            indexes[1].fields,
            [IndexPart::Expression {
                sql: "n.x".into(),
                order: None
            }]
        );
        assert_eq!(indexes[2].predicate.as_deref(), Some(r#"{"a":{"$gt":1}}"#));
        assert_eq!(indexes[3].expire_after_seconds, Some(3600));
        assert_eq!(indexes[4].method.as_deref(), Some("text"));
        assert_eq!(
            indexes[4].fields,
            [IndexPart::field("a"), IndexPart::field("b")]
        );
        let messages: Vec<String> = ledger
            .entries()
            .into_iter()
            .map(|e| format!("{}: {}", e.kind, e.message))
            .collect();
        assert_eq!(
            messages,
            [
                "index_option: index `part` has options the manifest cannot represent: `sparse: true`",
                "index_option: index `txt` has options the manifest cannot represent: `weights: {\"a\":1,\"b\":5}`",
                "index_path: index `h` uses `n.x`, not a field of the manifest (no document read had it); kept as written in an expression key part",
                "wildcard_index: wildcard index `wild` on `{\"$**\":1}` cannot be represented (its keys are not fields); left out",
            ]
        );
    }
}
