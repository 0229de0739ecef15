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

impl DocumentStats {
    /// Adds what `other` saw to this.
    fn absorb(&mut self, other: &DocumentStats) {
        self.count += other.count;
        for (key, stats) in &other.fields {
            self.fields.entry(key.clone()).or_default().absorb(stats);
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
    /// Adds what `other` saw to this.
    fn absorb(&mut self, other: &ValueStats) {
        self.count += other.count;
        self.nulls += other.nulls;
        for (kind, count) in &other.kinds {
            *self.kinds.entry(*kind).or_default() += count;
        }
        if let Some(documents) = &other.documents {
            self.documents.get_or_insert_default().absorb(documents);
        }
        if let Some(elements) = &other.elements {
            self.elements.get_or_insert_default().absorb(elements);
        }
    }

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
                if let Some(documents) = stats.documents.as_deref()
                    && let Some(values) = map_values(documents)
                {
                    // Keys that are data (ids, language codes): one map
                    // whose values have the shape all of them share.
                    let items = self.value_field(&values, &format!("{path}.*"));
                    let examples: Vec<String> = documents
                        .fields
                        .keys()
                        .take(3)
                        .map(|key| format!("`{key}`"))
                        .collect();
                    self.record(
                        path,
                        "map",
                        format!(
                            "`{path}` has {} keys that hold values of one shape ({}, ...): \
                             recorded as a map from key to {}, not as a field per key",
                            documents.fields.len(),
                            examples.join(", "),
                            items.ty
                        ),
                    );
                    field.items = Some(Box::new(items));
                    return field;
                }
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

/// A document with at least this many keys that all look like data
/// (numbers, ids, codes) is a map.
const MAP_MIN_DATA_KEYS: usize = 8;

/// A document with at least this many keys, each present in few of the
/// documents, is a map even when its keys look like names.
const MAP_MIN_SPARSE_KEYS: usize = 32;

/// When the documents at one place are an object keyed by data (user ids,
/// language codes, dates: many keys whose values have one shape), the
/// values of all its keys together; `None` for a record with named fields.
fn map_values(documents: &DocumentStats) -> Option<ValueStats> {
    let keys = documents.fields.len();
    if keys < MAP_MIN_DATA_KEYS {
        return None;
    }
    let data_keys = documents.fields.keys().all(|key| looks_like_data(key));
    // Named fields appear in most documents; keys that are data each in a few.
    let presence: u64 = documents.fields.values().map(|stats| stats.count).sum();
    let sparse = presence * 2 < documents.count.max(1) * keys as u64;
    if !(data_keys || (keys >= MAP_MIN_SPARSE_KEYS && sparse)) {
        return None;
    }
    // One shape: the same kinds (nulls aside) under every key.
    let mut shapes = documents.fields.values().map(|stats| {
        stats
            .kinds
            .keys()
            .map(|kind| kind.field().ty)
            .collect::<std::collections::BTreeSet<_>>()
    });
    let first = shapes.next()?;
    if first.len() != 1 || shapes.any(|shape| shape != first) {
        return None;
    }
    let mut values = ValueStats::default();
    for stats in documents.fields.values() {
        values.absorb(stats);
    }
    Some(values)
}

/// Whether a key reads as a value rather than a name: a number, a hex id
/// (an ObjectId, a hash), a UUID, a date, or a language or country code
/// (`en`, `pt-BR`, `zh_Hans`).
fn looks_like_data(key: &str) -> bool {
    let digits = key.chars().filter(char::is_ascii_digit).count();
    if !key.is_empty() && digits == key.len() {
        return true;
    }
    let hex = key.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if key.len() >= 8 && hex && digits > 0 {
        return true;
    }
    if digits * 2 >= key.len()
        && key
            .chars()
            .all(|c| c.is_ascii_digit() || "-_:.T".contains(c))
    {
        return true;
    }
    let mut parts = key.split(['-', '_']);
    let language = parts.next().unwrap_or_default();
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|part| {
            (2..=4).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
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
    fn objects_keyed_by_data_are_one_map_field() {
        let mut documents = Vec::new();
        for user in 0..20 {
            let mut scores = Document::new();
            for other in 0..5 {
                let id = format!("{:024x}", 0x64a1_0000_u64 + (user * 7 + other) as u64);
                scores.insert(id, doc! { "score": other, "at": "2024-01-01" });
            }
            documents.push(doc! {
                "_id": user,
                "scores": scores,
                "title": { "en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola",
                           "it": "Ciao", "pt-BR": "Olá", "nl": "Hallo", "zh_Hans": "你好" },
                "address": { "street": "Main", "city": "Oslo", "zip": "0150" },
            });
        }
        let mut stats = DocumentStats::default();
        for document in &documents {
            stats.add(document);
        }
        let mut ledger = Ledger::new();
        let fields = fields("users", &stats, &mut ledger);
        let scores = &fields["scores"];
        assert_eq!(scores.ty, FieldType::Object);
        assert!(scores.fields.is_none());
        let value = scores.items.as_deref().unwrap();
        assert_eq!(value.ty, FieldType::Object);
        let value_fields = value.fields.as_ref().unwrap();
        assert_eq!(value_fields.keys().collect::<Vec<_>>(), ["score", "at"]);
        assert!(!value_fields["score"].optional);
        let title = &fields["title"];
        assert_eq!(
            title.items.as_deref().map(|f| f.ty),
            Some(FieldType::String)
        );
        // A record with named fields stays a record.
        let address = &fields["address"];
        assert!(address.items.is_none());
        assert_eq!(address.fields.as_ref().unwrap().len(), 3);
        let maps: Vec<String> = ledger
            .entries()
            .into_iter()
            .filter(|e| e.kind == "map")
            .map(|e| e.object.clone())
            .collect();
        assert_eq!(maps, ["users.scores", "users.title"]);
    }

    #[test]
    fn few_or_named_keys_are_not_a_map() {
        assert!(looks_like_data("42"));
        assert!(looks_like_data("64a1f0c2e4b0a1b2c3d4e5f6"));
        assert!(looks_like_data("2024-01-31"));
        assert!(looks_like_data("pt-BR"));
        assert!(!looks_like_data("street"));
        assert!(!looks_like_data("createdAt"));
        let mut stats = DocumentStats::default();
        stats.add(&doc! { "a": { "1": 1, "2": 2, "3": 3 } });
        let fields = fields("t", &stats, &mut Ledger::new());
        assert_eq!(fields["a"].fields.as_ref().unwrap().len(), 3);
    }

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
