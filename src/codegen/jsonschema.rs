//! JSON Schema (2020-12) of an entity's rows and request bodies.
//!
//! One function, [`entity_schema`], is the schema everywhere: `baas codegen
//! jsonschema` writes it (one `<entity>.schema.json` per entity with the
//! three shapes under `$defs`), the OpenAPI document embeds it as the
//! `<Base>Row`/`Insert`/`Update` components, and the server validates request
//! bodies with it. Values follow the wire table of docs/api.md.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::manifest::{DefaultValue, Entity, Field, FieldType, Manifest};

/// The JSON Schema dialect of every schema here.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Which shape of an entity a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// A row as returned.
    Row,
    /// A POST/PUT body: required fields required, generated fields absent.
    Insert,
    /// A PATCH body: everything optional.
    Update,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Row, Shape::Insert, Shape::Update];

    /// `Row`, `Insert`, `Update`: the suffix of the type names.
    pub fn suffix(self) -> &'static str {
        match self {
            Shape::Row => "Row",
            Shape::Insert => "Insert",
            Shape::Update => "Update",
        }
    }
}

/// The schema of `entity` in `shape`, with `$schema` (an unknown entity gives
/// a schema that accepts nothing).
///
/// - Row: every field; required unless `optional` (absent in a document).
/// - Insert: every field; generated fields are `readOnly` and not required,
///   other fields are required unless [`Field::is_optional_on_insert`];
///   unknown fields are refused (`additionalProperties: false`).
/// - Update: like Insert with nothing required.
pub fn entity_schema(manifest: &Manifest, entity: &str, shape: Shape) -> Value {
    let schema = match manifest.entities.get(entity) {
        Some(found) => shape_schema(manifest, entity, found, shape),
        None => {
            let mut map = Map::new();
            map.insert("not".into(), json!({}));
            map
        }
    };
    let mut out = Map::new();
    out.insert("$schema".into(), DIALECT.into());
    out.extend(schema);
    Value::Object(out)
}

/// The schema of one shape, without `$schema` (as OpenAPI embeds it).
pub fn shape_schema(
    manifest: &Manifest,
    name: &str,
    entity: &Entity,
    shape: Shape,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "title".into(),
        format!("{name} ({})", shape.suffix().to_lowercase()).into(),
    );
    if let Some(comment) = &entity.comment {
        out.insert("description".into(), comment.clone().into());
    }
    out.insert("type".into(), "object".into());
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (field_name, field) in &entity.fields {
        let mut schema = field_schema(manifest, field, shape);
        let is_generated = field.generated.is_some();
        if is_generated && shape != Shape::Row {
            schema.insert("readOnly".into(), true.into());
        }
        // What the server writes when an insert leaves the field out, so a
        // client (or baas importing this document) knows it may.
        if let (Shape::Insert, Some(DefaultValue::Literal(literal))) = (shape, &field.default)
            && let Ok(value) = serde_json::to_value(literal)
        {
            schema.insert("default".into(), value);
        }
        properties.insert(field_name.clone(), Value::Object(schema));
        let is_required = match shape {
            Shape::Row => !field.optional,
            Shape::Insert => !field.is_optional_on_insert(),
            Shape::Update => false,
        };
        if is_required {
            required.push(Value::String(field_name.clone()));
        }
    }
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    if shape != Shape::Row {
        out.insert("additionalProperties".into(), false.into());
    }
    out
}

/// The schema of one field's value (nullability included).
pub fn field_schema(manifest: &Manifest, field: &Field, shape: Shape) -> Map<String, Value> {
    let mut out = Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_owned(), value);
    };
    match field.ty {
        FieldType::Bool => put("type", "boolean".into()),
        FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
            let (min, max) = match field.ty {
                FieldType::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
                FieldType::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                _ => (i64::MIN, i64::MAX),
            };
            put("type", "integer".into());
            put("minimum", min.into());
            put("maximum", max.into());
        }
        FieldType::Float32 | FieldType::Float64 => put("type", "number".into()),
        FieldType::Decimal => {
            // Exact on output; input also takes a number.
            if shape == Shape::Row {
                put("type", "string".into());
            } else {
                put("type", json!(["string", "number"]));
            }
            put("format", "decimal".into());
            put("description", "decimal, as a string (\"4.99\")".into());
        }
        FieldType::String | FieldType::Text => {
            put("type", "string".into());
            if let Some(max) = field.max_length {
                put("maxLength", max.into());
            }
        }
        FieldType::Uuid => {
            put("type", "string".into());
            put("format", "uuid".into());
        }
        FieldType::ObjectId => {
            put("type", "string".into());
            put("pattern", "^[0-9a-fA-F]{24}$".into());
        }
        FieldType::Date => {
            put("type", "string".into());
            put("format", "date".into());
        }
        FieldType::Time => {
            put("type", "string".into());
            put("description", "time, HH:MM:SS[.ffffff]".into());
        }
        FieldType::Timestamp => {
            put("type", "string".into());
            put(
                "description",
                "timestamp without zone, YYYY-MM-DDTHH:MM:SS[.ffffff]".into(),
            );
        }
        FieldType::Timestamptz => {
            put("type", "string".into());
            put("format", "date-time".into());
        }
        FieldType::Interval => {
            put("type", "string".into());
            put("description", "interval, as the engine writes it".into());
        }
        FieldType::Native => {
            put("type", "string".into());
            if let Some(native) = &field.native {
                put(
                    "description",
                    format!("{native}, as the engine writes it").into(),
                );
            }
        }
        FieldType::Bytes => {
            put("type", "string".into());
            put("contentEncoding", "base64".into());
        }
        FieldType::Json => {}
        FieldType::Enum => {
            put("type", "string".into());
            let values = field
                .enum_name
                .as_ref()
                .and_then(|name| manifest.enums.get(name))
                .map(|found| found.values.clone())
                .unwrap_or_default();
            put("enum", json!(values));
        }
        FieldType::Array => {
            put("type", "array".into());
            if let Some(items) = &field.items {
                put("items", Value::Object(field_schema(manifest, items, shape)));
            }
        }
        FieldType::Object => {
            put("type", "object".into());
            if let Some(fields) = &field.fields {
                let mut properties = Map::new();
                let mut required = Vec::new();
                for (name, nested) in fields {
                    properties.insert(
                        name.clone(),
                        Value::Object(field_schema(manifest, nested, shape)),
                    );
                    if !nested.optional {
                        required.push(Value::String(name.clone()));
                    }
                }
                put("properties", Value::Object(properties));
                if !required.is_empty() {
                    put("required", Value::Array(required));
                }
            } else if let Some(values) = &field.items {
                // A map: `items` is the shape of its values.
                put(
                    "additionalProperties",
                    Value::Object(field_schema(manifest, values, shape)),
                );
            }
        }
    }
    if let Some(comment) = &field.comment {
        out.insert("description".into(), comment.clone().into());
    }
    if field.nullable && field.ty != FieldType::Json {
        make_nullable(&mut out);
    }
    out
}

/// Adds `null` to the accepted types (and to `enum`).
fn make_nullable(schema: &mut Map<String, Value>) {
    match schema.get_mut("type") {
        Some(Value::String(ty)) => {
            let ty = std::mem::take(ty);
            schema.insert("type".into(), json!([ty, "null"]));
        }
        Some(Value::Array(types)) => types.push("null".into()),
        _ => {}
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.push(Value::Null);
    }
}

/// The file `baas codegen jsonschema` writes for `entity`: the three shapes
/// under `$defs`, the row shape at the top (`$ref`).
pub fn entity_document(manifest: &Manifest, name: &str, entity: &Entity, comment: &str) -> Value {
    let mut defs = Map::new();
    for shape in Shape::ALL {
        if shape != Shape::Row && entity.is_read_only() {
            continue;
        }
        defs.insert(
            shape.suffix().into(),
            Value::Object(shape_schema(manifest, name, entity, shape)),
        );
    }
    json!({
        "$schema": DIALECT,
        "$comment": comment,
        "title": name,
        "$ref": "#/$defs/Row",
        "$defs": defs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        crate::manifest::load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1
[enums.rating]
values = ["G", "PG"]
[entities.film]
table = "film"
primary_key = ["id"]
[entities.film.fields]
id = { type = "int32", generated = "identity" }
title = { type = "string", max_length = 10 }
rating = { type = "enum", enum = "rating", nullable = true }
price = { type = "decimal", default = 1 }
"#
            .to_owned(),
        )
        .unwrap()
        .manifest
    }

    #[test]
    fn shapes_differ_in_what_is_required_and_read_only() {
        let manifest = manifest();
        let row = entity_schema(&manifest, "film", Shape::Row);
        assert_eq!(row["$schema"], DIALECT);
        assert_eq!(row["required"], json!(["id", "title", "rating", "price"]));
        assert_eq!(
            row["properties"]["rating"]["enum"],
            json!(["G", "PG", null])
        );
        assert_eq!(
            row["properties"]["rating"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(row["properties"]["price"]["type"], "string");
        let insert = entity_schema(&manifest, "film", Shape::Insert);
        assert_eq!(insert["required"], json!(["title"]));
        assert_eq!(insert["properties"]["id"]["readOnly"], true);
        assert_eq!(
            insert["properties"]["price"]["type"],
            json!(["string", "number"])
        );
        assert_eq!(insert["additionalProperties"], false);
        let update = entity_schema(&manifest, "film", Shape::Update);
        assert!(update.get("required").is_none());
    }
}
