//! Fields from a `$jsonSchema` validator: `properties` in the order written,
//! `required` (a property not listed is `optional`), `bsonType`/`type`
//! (`"null"` among them makes the field `nullable`), string `enum`s (which
//! become `[enums.<collection>_<path>]`), nested `properties` and array
//! `items`, `maxLength` and `description`. Every other keyword (`pattern`,
//! `minimum`, `oneOf`, `additionalProperties: false`, ...) goes to the ledger.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use mongodb::bson::{Bson, Document};

use super::{BsonKind, child_path, compact_json, merge_kinds};
use crate::ledger::Ledger;
use crate::manifest::{Enum, Field, FieldType};

/// The `$jsonSchema` of a collection's validator, if it has one at the top.
pub(super) fn json_schema(options: &Document) -> Option<&Document> {
    options
        .get_document("validator")
        .ok()?
        .get_document("$jsonSchema")
        .ok()
}

/// The fields `schema` describes, and its description. `id` is the `_id` of
/// one stored document, which gives the type of `_id` when the schema does not.
pub(super) fn fields(
    collection: &str,
    schema: &Document,
    id: Option<&Bson>,
    enums: &mut BTreeMap<String, Enum>,
    ledger: &mut Ledger,
) -> (IndexMap<String, Field>, Option<String>) {
    let mut converter = Converter {
        collection,
        enums,
        ledger,
    };
    let root = converter.node("", schema);
    if root.ty != FieldType::Object {
        converter.record(
            "",
            "validator",
            format!(
                "the `$jsonSchema` of `{collection}` does not describe an object (it says \
                 `{}`); its documents' fields are unknown",
                root.ty
            ),
        );
    }
    let mut fields = root.fields.unwrap_or_default();
    match fields.get_mut("_id") {
        // Every stored document has an `_id`, listed in `required` or not.
        Some(field) => field.optional = false,
        None => {
            let field = id
                .and_then(BsonKind::of)
                .map_or_else(|| Field::new(FieldType::ObjectId), BsonKind::field);
            fields.shift_insert(0, "_id".to_owned(), field);
        }
    }
    (fields, root.comment)
}

/// What the validator says beyond its top-level `$jsonSchema`: other query
/// operators, which the manifest cannot represent.
pub(super) fn record_validator_rest(collection: &str, validator: &Bson, ledger: &mut Ledger) {
    let Bson::Document(validator) = validator else {
        ledger.record(
            collection,
            "validator",
            format!(
                "the validator `{}` is not represented",
                compact_json(validator)
            ),
        );
        return;
    };
    let rest: Document = validator
        .iter()
        .filter(|(key, _)| key.as_str() != "$jsonSchema")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    if rest.is_empty() {
        return;
    }
    let message = if validator.contains_key("$jsonSchema") {
        format!(
            "the validator's query expression `{}` (beside its `$jsonSchema`) is not represented",
            compact_json(&Bson::Document(rest))
        )
    } else {
        format!(
            "the validator is a query expression, `{}`, which the manifest cannot represent; \
             the fields were inferred from documents instead",
            compact_json(&Bson::Document(rest))
        )
    };
    ledger.record(collection, "validator", message);
}

struct Converter<'a> {
    collection: &'a str,
    enums: &'a mut BTreeMap<String, Enum>,
    ledger: &'a mut Ledger,
}

/// The type keywords of one schema node.
#[derive(Debug, Default)]
struct Types {
    kinds: Vec<BsonKind>,
    nullable: bool,
    /// Aliases that name several types (`number`).
    broad: Vec<String>,
}

impl Types {
    fn add(&mut self, kind: BsonKind) {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
    }
}

impl Converter<'_> {
    fn record(&mut self, path: &str, kind: &str, message: String) {
        let object = if path.is_empty() {
            self.collection.to_owned()
        } else {
            format!("{}.{path}", self.collection)
        };
        self.ledger.record(object, kind, message);
    }

    fn unrepresented(&mut self, path: &str, key: &str, value: &Bson) {
        self.record(
            path,
            "validator",
            format!(
                "validator keyword `{key}: {}`{} is not represented",
                compact_json(value),
                on(path)
            ),
        );
    }

    /// The field a schema node describes.
    fn node(&mut self, path: &str, schema: &Document) -> Field {
        let mut types = self.types(path, schema);
        let values = schema.get_array("enum").ok();
        let enumeration = values.and_then(|values| self.enumeration(path, values, &types));
        if let Some(values) = values.filter(|_| enumeration.is_none() && types.kinds.is_empty()) {
            // No type named: the allowed values show it.
            for kind in values.iter().filter_map(BsonKind::of) {
                types.add(kind);
            }
        }
        let mut field = match enumeration {
            Some(field) => field,
            None => self.typed(path, schema, &types),
        };
        field.nullable = types.nullable
            || schema
                .get_array("enum")
                .is_ok_and(|values| values.contains(&Bson::Null));

        let mut properties = None;
        let mut required = None;
        let mut items = None;
        for (key, value) in schema {
            match (key.as_str(), value) {
                ("bsonType" | "type", _) => {}
                // Recorded by `enumeration` when not representable.
                ("enum", _) => {}
                ("description", Bson::String(text)) => field.comment = Some(text.clone()),
                ("properties", Bson::Document(value)) if field.ty == FieldType::Object => {
                    properties = Some(value);
                }
                ("required", Bson::Array(value)) if field.ty == FieldType::Object => {
                    required = Some(value);
                }
                ("additionalProperties", Bson::Boolean(true)) => {}
                ("items", Bson::Document(value)) if field.ty == FieldType::Array => {
                    items = Some(value);
                }
                ("maxLength", value) if field.ty.has_length() => match length(value) {
                    Some(length) => field.max_length = Some(length),
                    None => self.unrepresented(path, key, value),
                },
                _ => self.unrepresented(path, key, value),
            }
        }

        if field.ty == FieldType::Object {
            let required: Vec<&str> = required
                .map(|names| names.iter().filter_map(Bson::as_str).collect())
                .unwrap_or_default();
            let mut fields = IndexMap::new();
            for (name, property) in properties.into_iter().flatten() {
                let child = child_path(path, name);
                let mut child_field = match property {
                    Bson::Document(property) => self.node(&child, property),
                    other => {
                        self.record(
                            &child,
                            "validator",
                            format!(
                                "the schema of `{child}` is `{}`, not a document; recorded as json",
                                compact_json(other)
                            ),
                        );
                        Field::new(FieldType::Json)
                    }
                };
                child_field.optional = !required.contains(&name.as_str());
                fields.insert(name.clone(), child_field);
            }
            // A required key with no schema of its own may hold anything.
            for name in required {
                if !fields.contains_key(name) {
                    fields.insert(name.to_owned(), Field::new(FieldType::Json));
                }
            }
            field.fields = (!fields.is_empty()).then_some(fields);
        }
        if field.ty == FieldType::Array {
            let items_path = format!("{path}[]");
            let items = match items {
                Some(items) => self.node(&items_path, items),
                // No `items`: the elements may be anything.
                None => Field::new(FieldType::Json),
            };
            field.items = Some(Box::new(items));
        }
        field
    }

    /// `bsonType` and `type`, as BSON kinds.
    fn types(&mut self, path: &str, schema: &Document) -> Types {
        let mut types = Types::default();
        for keyword in ["bsonType", "type"] {
            let Some(value) = schema.get(keyword) else {
                continue;
            };
            let names: Vec<&str> = match value {
                Bson::String(name) => vec![name.as_str()],
                Bson::Array(names) if names.iter().all(|name| name.as_str().is_some()) => {
                    names.iter().filter_map(Bson::as_str).collect()
                }
                other => {
                    self.unrepresented(path, keyword, other);
                    continue;
                }
            };
            for name in names {
                let kind = match (keyword, name) {
                    (_, "null") => {
                        types.nullable = true;
                        continue;
                    }
                    (_, "number") => {
                        for kind in [
                            BsonKind::Int32,
                            BsonKind::Int64,
                            BsonKind::Double,
                            BsonKind::Decimal,
                        ] {
                            types.add(kind);
                        }
                        types.broad.push(format!("{keyword} `number`"));
                        continue;
                    }
                    ("type", "boolean") => Some(BsonKind::Bool),
                    ("type", "object" | "array" | "string") | ("bsonType", _) => {
                        BsonKind::from_alias(name)
                    }
                    _ => None,
                };
                match kind {
                    Some(kind) => types.add(kind),
                    None => self.record(
                        path,
                        "validator",
                        format!(
                            "`{keyword}: \"{name}\"`{} is not a type MongoDB knows; ignored",
                            on(path)
                        ),
                    ),
                }
            }
        }
        types
    }

    /// The field for the types of a node without a usable `enum`.
    fn typed(&mut self, path: &str, schema: &Document, types: &Types) -> Field {
        if types.kinds.is_empty() {
            // No type named: the keywords present say what the value must be.
            return Field::new(if schema.contains_key("properties") {
                FieldType::Object
            } else if schema.contains_key("items") {
                FieldType::Array
            } else {
                FieldType::Json
            });
        }
        let field = merge_kinds(&types.kinds);
        if types.kinds.len() > 1 {
            let names: Vec<&str> = types.kinds.iter().map(|kind| kind.name()).collect();
            let broad = if types.broad.is_empty() {
                String::new()
            } else {
                format!(" ({})", types.broad.join(", "))
            };
            self.record(
                path,
                "mixed_types",
                format!(
                    "the validator allows {}{broad}{}; recorded as {}",
                    names.join(", "),
                    on(path),
                    field.ty
                ),
            );
        }
        field
    }

    /// An `enum` of strings (and null) → an enum field; `None` when the
    /// values are of other types, which the manifest cannot list.
    fn enumeration(&mut self, path: &str, values: &[Bson], types: &Types) -> Option<Field> {
        let strings: Vec<&str> = values.iter().filter_map(Bson::as_str).collect();
        let others = values
            .iter()
            .filter(|value| !matches!(value, Bson::String(_) | Bson::Null))
            .count();
        let string_typed = types.kinds.is_empty() || types.kinds == [BsonKind::String];
        if strings.is_empty() || others > 0 || !string_typed {
            self.record(
                path,
                "validator",
                format!(
                    "the allowed values `{}`{} are not represented (only string enums are)",
                    compact_json(&Bson::Array(values.to_vec())),
                    on(path)
                ),
            );
            return None;
        }
        let mut unique: Vec<String> = Vec::new();
        for value in strings {
            if !unique.iter().any(|seen| seen == value) {
                unique.push(value.to_owned());
            }
        }
        let base = enum_name(self.collection, path);
        let mut name = base.clone();
        let mut counter = 2;
        while self.enums.contains_key(&name) {
            name = format!("{base}_{counter}");
            counter += 1;
        }
        self.enums.insert(
            name.clone(),
            Enum {
                values: unique,
                ..Enum::default()
            },
        );
        let mut field = Field::new(FieldType::Enum);
        field.enum_name = Some(name);
        Some(field)
    }
}

/// ` on `path``, or nothing at the top.
fn on(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" on `{path}`")
    }
}

/// `orders` + `shipping.method` → `orders_shipping_method`; `tags[]` → `tags`.
fn enum_name(collection: &str, path: &str) -> String {
    let path = path.replace("[]", "").replace('.', "_");
    format!("{collection}_{path}")
}

/// A `maxLength` that fits the manifest.
fn length(value: &Bson) -> Option<u32> {
    match value {
        Bson::Int32(n) => u32::try_from(*n).ok(),
        Bson::Int64(n) => u32::try_from(*n).ok(),
        Bson::Double(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX) => {
            Some(*n as u32)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;

    fn convert(schema: Document) -> (IndexMap<String, Field>, BTreeMap<String, Enum>, Vec<String>) {
        let mut enums = BTreeMap::new();
        let mut ledger = Ledger::new();
        let (fields, _) = fields("c", &schema, None, &mut enums, &mut ledger);
        let entries = ledger
            .entries()
            .into_iter()
            .map(|e| format!("{} {}: {}", e.object, e.kind, e.message))
            .collect();
        (fields, enums, entries)
    }

    #[test]
    fn properties_required_types_and_enums() {
        let (fields, enums, ledger) = convert(doc! {
            "bsonType": "object",
            "required": ["name", "status"],
            "properties": {
                "name": { "bsonType": "string", "maxLength": 80, "description": "Shown name" },
                "status": { "enum": ["new", "done", null] },
                "score": { "bsonType": ["int", "null"], "minimum": 0 },
                "tags": { "bsonType": "array", "items": { "bsonType": "string" } },
                "any": {},
                "level": { "enum": [1, 2, 3] },
            },
        });
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["_id", "name", "status", "score", "tags", "any", "level"]
        );
        assert_eq!(fields["_id"].ty, FieldType::ObjectId);
        let name = &fields["name"];
        assert_eq!(
            (name.ty, name.max_length, name.optional),
            (FieldType::String, Some(80), false)
        );
        assert_eq!(name.comment.as_deref(), Some("Shown name"));
        let status = &fields["status"];
        assert_eq!(
            (
                status.ty,
                status.enum_name.as_deref(),
                status.nullable,
                status.optional
            ),
            (FieldType::Enum, Some("c_status"), true, false)
        );
        assert_eq!(enums["c_status"].values, ["new", "done"]);
        let score = &fields["score"];
        assert_eq!(
            (score.ty, score.nullable, score.optional),
            (FieldType::Int32, true, true)
        );
        assert_eq!(
            fields["tags"].items.as_deref().map(|i| i.ty),
            Some(FieldType::String)
        );
        assert_eq!(fields["any"].ty, FieldType::Json);
        assert_eq!(fields["level"].ty, FieldType::Int32);
        assert_eq!(
            ledger,
            [
                "c.level validator: the allowed values `[1,2,3]` on `level` are not represented \
                 (only string enums are)",
                "c.score validator: validator keyword `minimum: 0` on `score` is not represented",
            ]
        );
    }
}
