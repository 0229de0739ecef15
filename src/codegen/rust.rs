//! Rust: a crate with serde structs per entity and an async reqwest client.
//!
//! Output: `Cargo.toml` (serde, serde_json, reqwest with rustls; its own
//! `[workspace]` so it builds wherever it is written) and `src/lib.rs`: per
//! entity a marker type (`Film`) implementing `Entity` (and `Writable`,
//! `Keyed` for tables with a primary key), `FilmRow`, `FilmInsert` and
//! `FilmUpdate` structs; enums as Rust enums with serde renames; the
//! `Client`/`Query` builder. `object` fields are `serde_json::Value`.

use serde::Serialize;

use super::names::{TypeNames, rust_fields, rust_variants, words};
use super::{Origin, OutputFile, RenderError, render};
use crate::manifest::links::links;
use crate::manifest::{Field, FieldType, Manifest};

#[derive(Serialize)]
struct Context {
    header: String,
    package: String,
    version: u64,
    enums: Vec<EnumView>,
    entities: Vec<EntityView>,
}

#[derive(Serialize)]
struct EnumView {
    name: String,
    wire: String,
    variants: Vec<VariantView>,
}

#[derive(Serialize)]
struct VariantView {
    name: String,
    /// The value as a Rust string literal.
    literal: String,
}

#[derive(Serialize)]
struct EntityView {
    /// The wire name as a Rust string literal.
    literal: String,
    wire: String,
    base: String,
    comment: Option<String>,
    read_only: bool,
    key: Option<String>,
    fields: Vec<FieldView>,
    links: Vec<String>,
}

#[derive(Serialize)]
struct FieldView {
    ident: String,
    /// The wire name as a Rust string literal.
    literal: String,
    comment: Option<String>,
    row: String,
    /// `#[serde(...)]` of the Row field, when it needs one.
    row_attribute: Option<String>,
    insert: String,
    insert_attribute: Option<String>,
    update: String,
    update_attribute: Option<String>,
    /// `T` of the filter field: the value type (the item type for arrays).
    filter_value: String,
    /// The `kind::` of the filter field.
    filter_kind: &'static str,
}

/// `#[serde(a, b)]` of the given parts, or nothing.
fn attribute<const N: usize>(parts: [Option<String>; N]) -> Option<String> {
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    (!parts.is_empty()).then(|| format!("#[serde({})]", parts.join(", ")))
}

/// The crate files for `manifest`.
pub fn generate(manifest: &Manifest, origin: &Origin) -> Result<Vec<OutputFile>, RenderError> {
    let context = context(manifest, origin);
    Ok(vec![
        OutputFile {
            path: "Cargo.toml".into(),
            content: render("rust/Cargo.toml", &context)?,
        },
        OutputFile {
            path: "src/lib.rs".into(),
            content: render("rust/lib.rs", &context)?,
        },
    ])
}

fn context(manifest: &Manifest, origin: &Origin) -> Context {
    let names = TypeNames::new(manifest);
    let all_links = links(manifest);
    let enums = manifest
        .enums
        .iter()
        .map(|(name, found)| EnumView {
            name: names.enumeration(name).to_owned(),
            wire: doc(name),
            variants: rust_variants(found.values.iter().map(String::as_str))
                .into_iter()
                .zip(&found.values)
                .map(|(variant, value)| VariantView {
                    name: variant,
                    literal: literal(value),
                })
                .collect(),
        })
        .collect();
    let entities = manifest
        .entities
        .iter()
        .map(|(name, entity)| {
            let idents = rust_fields(entity.fields.keys().map(String::as_str));
            let fields = entity
                .fields
                .iter()
                .zip(idents)
                .map(|((field_name, field), ident)| {
                    let value = value_type(manifest, &names, field);
                    let row = if field.nullable || field.optional {
                        format!("Option<{value}>")
                    } else {
                        value.clone()
                    };
                    let input = if field.nullable {
                        format!("Option<Option<{value}>>")
                    } else {
                        format!("Option<{value}>")
                    };
                    let insert_skip = field.is_optional_on_insert();
                    let rename =
                        (ident != *field_name).then(|| format!("rename = {}", literal(field_name)));
                    let skip = Some("skip_serializing_if = \"Option::is_none\"".to_owned());
                    let row_extra = field
                        .optional
                        .then(|| "default, skip_serializing_if = \"Option::is_none\"".to_owned());
                    let (filter_value, filter_kind) = filter_type(manifest, &names, field);
                    FieldView {
                        filter_value,
                        filter_kind,
                        literal: literal(field_name),
                        comment: field.comment.as_deref().map(doc),
                        row,
                        row_attribute: attribute([rename.clone(), row_extra]),
                        insert: if insert_skip { input.clone() } else { value },
                        insert_attribute: attribute([
                            rename.clone(),
                            if insert_skip { skip.clone() } else { None },
                        ]),
                        update: input,
                        update_attribute: attribute([rename, skip]),
                        ident,
                    }
                })
                .collect();
            let key_types: Vec<String> = entity
                .primary_key
                .iter()
                .filter_map(|key| entity.fields.get(key))
                .map(|field| key_type(manifest, &names, field))
                .collect();
            let key = match key_types.as_slice() {
                _ if entity.is_read_only() => None,
                [] => None,
                [single] => Some(single.clone()),
                several => Some(format!("({})", several.join(", "))),
            };
            EntityView {
                literal: literal(name),
                wire: doc(name),
                base: names.entity(name).to_owned(),
                comment: entity.comment.as_deref().map(doc),
                read_only: entity.is_read_only(),
                key,
                fields,
                links: all_links
                    .get(name)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|link| literal(&link.name))
                    .collect(),
            }
        })
        .collect();
    Context {
        header: origin.header(),
        package: package_name(manifest),
        version: manifest.version,
        enums,
        entities,
    }
}

/// The crate name: the project name in snake_case with `_client`.
fn package_name(manifest: &Manifest) -> String {
    let project = manifest.project.name.as_deref().unwrap_or("baas");
    let words: Vec<String> = words(project)
        .iter()
        .map(|word| word.to_lowercase())
        .filter(|word| word.is_ascii())
        .collect();
    match words.first() {
        Some(first) if first.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            format!("{}_client", words.join("_"))
        }
        _ => "baas_client".into(),
    }
}

/// A Rust string literal (`{:?}` of a `str` is one).
fn literal(text: &str) -> String {
    format!("{text:?}")
}

/// Text for a `///` comment: one line per line.
fn doc(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n/// ")
}

/// The value type and kind of a filter field (docs/api.md: no ordering on
/// booleans, `like` only on strings, `contains` only on arrays and json).
fn filter_type(manifest: &Manifest, names: &TypeNames, field: &Field) -> (String, &'static str) {
    match field.ty {
        FieldType::Bool => ("bool".into(), "Boolean"),
        FieldType::String | FieldType::Text => ("String".into(), "Text"),
        FieldType::Json => ("serde_json::Value".into(), "Json"),
        FieldType::Array => {
            let item = match &field.items {
                Some(items) if items.nullable => {
                    format!("Option<{}>", value_type(manifest, names, items))
                }
                Some(items) => value_type(manifest, names, items),
                None => "serde_json::Value".into(),
            };
            (item, "List")
        }
        FieldType::Bytes | FieldType::Object | FieldType::Native => {
            (value_type(manifest, names, field), "Equality")
        }
        _ => (value_type(manifest, names, field), "Ordered"),
    }
}

/// The type of a primary-key part: its value type when `Key` is
/// implemented for it (numbers, bool, strings, enums), else `String`.
fn key_type(manifest: &Manifest, names: &TypeNames, field: &Field) -> String {
    match field.ty {
        FieldType::Json | FieldType::Object | FieldType::Array => "String".into(),
        _ => value_type(manifest, names, field),
    }
}

/// The Rust type of a non-null value of `field`.
fn value_type(manifest: &Manifest, names: &TypeNames, field: &Field) -> String {
    match field.ty {
        FieldType::Bool => "bool".into(),
        FieldType::Int16 => "i16".into(),
        FieldType::Int32 => "i32".into(),
        FieldType::Int64 => "i64".into(),
        FieldType::Float32 => "f32".into(),
        FieldType::Float64 => "f64".into(),
        FieldType::Json | FieldType::Object => "serde_json::Value".into(),
        FieldType::Enum => match field.enum_name.as_deref() {
            Some(name) if manifest.enums.contains_key(name) => names.enumeration(name).to_owned(),
            _ => "String".into(),
        },
        FieldType::Array => match &field.items {
            Some(items) => {
                let item = value_type(manifest, names, items);
                if items.nullable {
                    format!("Vec<Option<{item}>>")
                } else {
                    format!("Vec<{item}>")
                }
            }
            None => "Vec<serde_json::Value>".into(),
        },
        FieldType::Decimal
        | FieldType::String
        | FieldType::Text
        | FieldType::Uuid
        | FieldType::ObjectId
        | FieldType::Date
        | FieldType::Time
        | FieldType::Timestamp
        | FieldType::Timestamptz
        | FieldType::Interval
        | FieldType::Bytes
        | FieldType::Native => "String".into(),
    }
}
