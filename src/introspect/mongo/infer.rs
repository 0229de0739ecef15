//! Fields inferred from documents: how often each key is present (→
//! `optional`), whether it is ever null (→ `nullable`), and which BSON types
//! its values have. Nested documents become `object` fields with their own
//! `fields`; arrays become `array` fields whose `items` are inferred from all
//! their elements. A key holding several types is recorded as the widest
//! number or as `json`, and the ledger says which types it held, and how often.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use mongodb::bson::{Bson, Document};

use super::{BsonKind, child_path, merge_kinds};
use crate::ledger::Ledger;
use crate::manifest::{Field, FieldType};

/// The keys seen in a set of documents: all that is kept of the documents
/// read, so memory grows with the number of distinct keys, not of documents.
#[derive(Debug, Default)]
pub(super) struct DocumentStats {
    /// How many documents were seen.
    count: u64,
    /// Each key, in the order it was first seen.
    fields: IndexMap<String, ValueStats>,
}

impl DocumentStats {
    pub(super) fn add(&mut self, document: &Document) {
        self.count += 1;
        for (key, value) in document {
            // Most keys were seen before: look up without allocating.
            match self.fields.get_mut(key) {
                Some(stats) => stats.add(value),
                None => {
                    let mut stats = ValueStats::default();
                    stats.add(value);
                    self.fields.insert(key.clone(), stats);
                }
            }
        }
    }
}

/// The values seen at one place: a document key, or the elements of arrays.
#[derive(Debug, Default)]
struct ValueStats {
    /// How many values were seen, null included.
    count: u64,
    nulls: u64,
    kinds: BTreeMap<BsonKind, u64>,
    /// The keys of the values that were documents.
    documents: Option<Box<DocumentStats>>,
    /// The elements of the values that were arrays, all together.
    elements: Option<Box<ValueStats>>,
}

impl ValueStats {
    fn add(&mut self, value: &Bson) {
        self.count += 1;
        let Some(kind) = BsonKind::of(value) else {
            self.nulls += 1;
            return;
        };
        *self.kinds.entry(kind).or_default() += 1;
        match value {
            Bson::Document(document) => self.documents.get_or_insert_default().add(document),
            Bson::Array(elements) => {
                let stats = self.elements.get_or_insert_default();
                for element in elements {
                    stats.add(element);
                }
            }
            _ => {}
        }
    }
}

impl DocumentStats {
    /// How many documents were added.
    pub(super) fn count(&self) -> u64 {
        self.count
    }
}

/// The fields of `collection`, inferred from the documents in `stats`.
pub(super) fn fields(
    collection: &str,
    stats: &DocumentStats,
    ledger: &mut Ledger,
) -> IndexMap<String, Field> {
    let mut inference = Inference { collection, ledger };
    inference.document_fields(stats, "")
}

struct Inference<'a> {
    collection: &'a str,
    ledger: &'a mut Ledger,
}

impl Inference<'_> {
    fn record(&mut self, path: &str, kind: &str, message: String) {
        self.ledger
            .record(format!("{}.{path}", self.collection), kind, message);
    }

    /// The fields of the documents in `stats`; a key missing from some of
    /// them is `optional`.
    fn document_fields(&mut self, stats: &DocumentStats, path: &str) -> IndexMap<String, Field> {
        stats
            .fields
            .iter()
            .map(|(name, values)| {
                let mut field = self.value_field(values, &child_path(path, name));
                field.optional = values.count < stats.count;
                (name.clone(), field)
            })
            .collect()
    }

    /// The field that holds the values in `stats`.
    fn value_field(&mut self, stats: &ValueStats, path: &str) -> Field {
        let kinds: Vec<BsonKind> = stats.kinds.keys().copied().collect();
        let mut field = merge_kinds(&kinds);
        field.nullable = stats.nulls > 0;
        match kinds.as_slice() {
            [] if stats.count > 0 => self.record(
                path,
                "unknown_type",
                format!(
                    "`{path}` is null in all {} sampled values, so its type is unknown; \
                     recorded as json",
                    stats.count
                ),
            ),
            [] => {}
            [_] => {}
            _ => {
                let non_null: u64 = stats.kinds.values().sum();
                let mut shares: Vec<(BsonKind, u64)> = stats
                    .kinds
                    .iter()
                    .map(|(kind, count)| (*kind, *count))
                    .collect();
                shares.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let shares: Vec<String> = shares
                    .iter()
                    .map(|(kind, count)| format!("{} {}", kind.name(), percent(*count, non_null)))
                    .collect();
                self.record(
                    path,
                    "mixed_types",
                    format!(
                        "`{path}`: {} (of {non_null} non-null values); recorded as {}",
                        shares.join(", "),
                        field.ty
                    ),
                );
            }
        }
        match field.ty {
            FieldType::Object => {
                let fields = stats
                    .documents
                    .as_deref()
                    .map(|documents| self.document_fields(documents, path))
                    .unwrap_or_default();
                field.fields = (!fields.is_empty()).then_some(fields);
            }
            FieldType::Array => {
                let items_path = format!("{path}[]");
                let items = match stats.elements.as_deref() {
                    Some(elements) if elements.count > 0 => self.value_field(elements, &items_path),
                    _ => {
                        self.record(
                            &items_path,
                            "unknown_type",
                            format!(
                                "`{path}` holds only empty arrays, so the type of its items is \
                                 unknown; recorded as json"
                            ),
                        );
                        Field::new(FieldType::Json)
                    }
                };
                field.items = Some(Box::new(items));
            }
            _ => {}
        }
        field
    }
}

/// `part` of `total` as a whole percentage, never rounded to 0% or 100%.
fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_owned();
    }
    let rounded = (part * 100 + total / 2) / total;
    match rounded {
        0 if part > 0 => "<1%".to_owned(),
        100 if part < total => ">99%".to_owned(),
        _ => format!("{rounded}%"),
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;

    #[test]
    fn percentages_never_round_to_nothing_or_everything() {
        assert_eq!(percent(62, 100), "62%");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(2, 3), "67%");
        assert_eq!(percent(1, 1000), "<1%");
        assert_eq!(percent(999, 1000), ">99%");
        assert_eq!(percent(5, 5), "100%");
    }

    #[test]
    fn optional_nullable_nested_and_mixed() {
        let documents = [
            doc! { "_id": 1, "price": 1.5, "tags": ["a"], "dims": { "w": 1 }, "note": null },
            doc! { "_id": 2, "price": 2, "tags": [], "dims": { "w": 2, "h": 3 } },
            doc! { "_id": 3, "price": 3.5, "tags": ["b", null], "dims": { "w": 3 } },
        ];
        let mut stats = DocumentStats::default();
        for document in &documents {
            stats.add(document);
        }
        let mut ledger = Ledger::new();
        let fields = fields("p", &stats, &mut ledger);
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["_id", "price", "tags", "dims", "note"]);
        assert_eq!(fields["_id"].ty, FieldType::Int32);
        assert_eq!(fields["price"].ty, FieldType::Float64);
        assert!(!fields["price"].optional);
        let items = fields["tags"].items.as_deref().unwrap();
        assert_eq!((items.ty, items.nullable), (FieldType::String, true));
        let dims = fields["dims"].fields.as_ref().unwrap();
        assert!(!dims["w"].optional);
        assert!(dims["h"].optional);
        let note = &fields["note"];
        assert_eq!(
            (note.ty, note.nullable, note.optional),
            (FieldType::Json, true, true)
        );
        let entries: Vec<(String, String, String)> = ledger
            .entries()
            .into_iter()
            .map(|e| (e.object.clone(), e.kind.clone(), e.message.clone()))
            .collect();
        assert_eq!(
            entries,
            [
                (
                    "p.note".to_owned(),
                    "unknown_type".to_owned(),
                    "`note` is null in all 1 sampled values, so its type is unknown; recorded as json"
                        .to_owned()
                ),
                (
                    "p.price".to_owned(),
                    "mixed_types".to_owned(),
                    "`price`: double 67%, int32 33% (of 3 non-null values); recorded as float64"
                        .to_owned()
                ),
            ]
        );
    }
}
