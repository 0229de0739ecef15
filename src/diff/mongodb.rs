//! What a MongoDB database shows of a manifest. `migrate apply` writes a
//! collection per entity, its `$jsonSchema` validator and its indexes;
//! nothing else of the manifest reaches the server. So a live MongoDB
//! schema is compared with a manifest only in what those state:
//!
//! - collections, and their indexes (keys, order, `unique`, TTL, partial
//!   filter, kind): a unique constraint or a primary key other than `_id` is
//!   the unique index baas makes for it;
//! - per field, what its validator entry says: the BSON type (`int` for
//!   `int16` and `int32`, `string` for `string`, `text`, `uuid`, `time` and
//!   `interval`, `date` for every date and timestamp), `null` among the
//!   types, whether it is `required`, the allowed values of an enum,
//!   `maxLength`, `description`, and the same of array items and nested
//!   fields (by their stored names).
//!
//! Every other property (relations, CHECKs, defaults, generated values,
//! native types, precision, enum names, the nullability of a field the
//! validator gives no type, such as `json`) cannot be seen, so the live
//! side takes the manifest's. A collection without a validator shows its
//! fields as sampled from its documents, under the same rule.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::manifest::{Entity, Enum, Field, FieldType, Index, IndexPart, Manifest};

/// `live`, read from a MongoDB database, with everything the database
/// cannot show taken from `manifest` (see the module comment).
pub(super) fn as_shown(live: &mut Manifest, manifest: &Manifest) {
    // Manifest enum name → the values the database holds for it.
    let mut enum_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, want) in &manifest.entities {
        let Some(entity) = live.entities.get_mut(name) else {
            continue;
        };
        let enums = Enums {
            live: &live.enums,
            manifest: &manifest.enums,
        };
        align_entity(entity, want, &enums, &mut enum_values);
    }
    // Enums exist on MongoDB only as the allowed values of a field.
    let mut enums: BTreeMap<String, Enum> = BTreeMap::new();
    for (name, values) in enum_values {
        let mut declared = manifest.enums.get(&name).cloned().unwrap_or(Enum {
            values: Vec::new(),
            native: None,
            schema: None,
            comment: None,
        });
        declared.values = values;
        enums.insert(name, declared);
    }
    let mut used = Vec::new();
    for entity in live.entities.values() {
        for field in entity.fields.values() {
            enum_names(field, &mut used);
        }
    }
    for (name, declared) in &live.enums {
        if used.contains(name) && !enums.contains_key(name) {
            enums.insert(name.clone(), declared.clone());
        }
    }
    let mut manifest_used = Vec::new();
    for entity in manifest.entities.values() {
        for field in entity.fields.values() {
            enum_names(field, &mut manifest_used);
        }
    }
    for (name, declared) in &manifest.enums {
        if !manifest_used.contains(name) {
            enums
                .entry(name.clone())
                .or_insert_with(|| declared.clone());
        }
    }
    live.enums = enums;
}

struct Enums<'a> {
    live: &'a BTreeMap<String, Enum>,
    manifest: &'a BTreeMap<String, Enum>,
}

fn align_entity(
    entity: &mut Entity,
    want: &Entity,
    enums: &Enums<'_>,
    enum_values: &mut BTreeMap<String, Vec<String>>,
) {
    for (name, field) in &want.fields {
        if let Some(live) = entity.fields.get_mut(name) {
            align_field(live, field, enums, enum_values);
        }
    }
    // Every document has an `_id`: a manifest without one leaves it to
    // the server.
    if !want.fields.iter().any(|(n, f)| f.column_name(n) == "_id")
        && entity.fields.shift_remove("_id").is_some()
        && entity.primary_key == ["_id"]
    {
        entity.primary_key.clear();
    }
    // A primary key other than `_id` is a unique index over its fields.
    if entity.primary_key != want.primary_key
        && entity.primary_key.is_empty()
        && take_unique_index(entity, &want.primary_key)
    {
        entity.primary_key.clone_from(&want.primary_key);
        entity.primary_key_name.clone_from(&want.primary_key_name);
    }
    // A unique constraint is a unique index over its fields.
    for unique in &want.uniques {
        if !entity.uniques.contains(unique) && take_unique_index(entity, &unique.fields) {
            entity.uniques.push(unique.clone());
        }
    }
    entity.relations.clone_from(&want.relations);
    entity.checks.clone_from(&want.checks);
}

/// Removes from `entity` the plain unique index over exactly `fields` (or
/// the `unique` flag of the one field), whatever its name; whether there
/// was one.
fn take_unique_index(entity: &mut Entity, fields: &[String]) -> bool {
    if fields.is_empty() {
        return false;
    }
    let plain_over = |index: &Index| {
        index.unique
            && index.predicate.is_none()
            && index.method.is_none()
            && index.expire_after_seconds.is_none()
            && index.fields.len() == fields.len()
            && index.fields.iter().zip(fields).all(|(part, name)| {
                matches!(part, IndexPart::Field { field, order: None, collation: None, prefix_length: None } if field == name)
            })
    };
    if let Some(position) = entity.indexes.iter().position(plain_over) {
        entity.indexes.remove(position);
        return true;
    }
    if let [single] = fields
        && let Some(field) = entity.fields.get_mut(single)
        && field.unique
    {
        field.unique = false;
        return true;
    }
    false
}

/// What a validator entry states of a field's type: the BSON type baas
/// writes for it, `None` where it writes none (any value).
fn bson_type(ty: FieldType) -> Option<&'static str> {
    use FieldType::*;
    Some(match ty {
        Bool => "bool",
        Int16 | Int32 => "int",
        Int64 => "long",
        Float32 | Float64 => "double",
        Decimal => "decimal",
        // An enum is a string with its allowed values.
        Enum => "enum",
        String | Text | Uuid | Time | Interval => "string",
        Date | Timestamp | Timestamptz => "date",
        Bytes => "binData",
        Array => "array",
        Object => "object",
        ObjectId => "objectId",
        Json | Native => return None,
    })
}

/// `live` with every property the validator does not state taken from
/// `want`, the same field in the manifest.
fn align_field(
    live: &mut Field,
    want: &Field,
    enums: &Enums<'_>,
    enum_values: &mut BTreeMap<String, Vec<String>>,
) {
    let stated = bson_type(want.ty);
    if stated == bson_type(live.ty) {
        live.ty = want.ty;
        if stated.is_none() {
            live.nullable = want.nullable;
        }
    }
    if live.ty == FieldType::Enum
        && let (Some(live_name), Some(want_name)) = (&live.enum_name, &want.enum_name)
    {
        let values = enums
            .live
            .get(live_name)
            .map(|e| e.values.clone())
            .or_else(|| enums.manifest.get(want_name).map(|e| e.values.clone()))
            .unwrap_or_default();
        enum_values.insert(want_name.clone(), values);
        live.enum_name = Some(want_name.clone());
    }
    if !matches!(live.ty, FieldType::String | FieldType::Text) {
        live.max_length = want.max_length;
    }
    live.default.clone_from(&want.default);
    live.generated.clone_from(&want.generated);
    live.on_update.clone_from(&want.on_update);
    live.native.clone_from(&want.native);
    live.precision = want.precision;
    live.scale = want.scale;
    live.collation.clone_from(&want.collation);
    live.renamed_from.clone_from(&want.renamed_from);
    if let (Some(items), Some(wanted)) = (&mut live.items, &want.items) {
        align_field(items, wanted, enums, enum_values);
    }
    if let (Some(fields), Some(wanted)) = (&mut live.fields, &want.fields) {
        *fields = align_nested(std::mem::take(fields), wanted, enums, enum_values);
    }
}

/// Nested fields read by their stored names, under the manifest's names.
fn align_nested(
    live: IndexMap<String, Field>,
    want: &IndexMap<String, Field>,
    enums: &Enums<'_>,
    enum_values: &mut BTreeMap<String, Vec<String>>,
) -> IndexMap<String, Field> {
    live.into_iter()
        .map(|(stored, mut field)| {
            let named = want
                .iter()
                .find(|(name, f)| f.column_name(name) == stored && !field_named(&stored, want));
            match named {
                Some((name, wanted)) => {
                    field.column.clone_from(&wanted.column);
                    align_field(&mut field, wanted, enums, enum_values);
                    (name.clone(), field)
                }
                None => {
                    if let Some(wanted) = want.get(&stored) {
                        align_field(&mut field, wanted, enums, enum_values);
                    }
                    (stored, field)
                }
            }
        })
        .collect()
}

/// Whether `want` has a field named `name` stored under its own name.
fn field_named(name: &str, want: &IndexMap<String, Field>) -> bool {
    want.get(name).is_some_and(|f| f.column_name(name) == name)
}

fn enum_names(field: &Field, out: &mut Vec<String>) {
    if let Some(name) = &field.enum_name {
        out.push(name.clone());
    }
    if let Some(items) = &field.items {
        enum_names(items, out);
    }
    for nested in field.fields.iter().flat_map(IndexMap::values) {
        enum_names(nested, out);
    }
}
