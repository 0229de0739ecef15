//! MongoDB commands: one JSON command document per statement.
//!
//! A collection is created with a `$jsonSchema` validator (a `bsonType`
//! per portable type; `required` lists the fields that are not
//! `optional`), and its validator is replaced (`collMod`) whenever its
//! fields change. Indexes are `createIndexes` / `dropIndexes`; a renamed
//! field is an `update` with `$rename`; a renamed collection is copied with
//! `$out` and the old one dropped (`renameCollection` only runs against the
//! `admin` database). What MongoDB has no counterpart for (foreign keys,
//! checks, views, SQL predicates) goes to the lossy lines.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{Cx, RenderError, Statement, Target};
use crate::diff::ChangeKind;
use crate::manifest::{Entity, Field, FieldType, Index, IndexPart, Manifest, SortOrder};

pub(super) fn render(cx: &mut Cx<'_>) -> Result<Vec<Statement>, RenderError> {
    let mut out = Vec::new();
    let mut created = Vec::new();
    let mut dropped = Vec::new();
    let mut touched = BTreeSet::new();
    let mut changed_enums = BTreeSet::new();
    for change in cx.changes {
        match &change.kind {
            ChangeKind::AddEntity { entity } => created.push(entity.clone()),
            ChangeKind::DropEntity { entity } => dropped.push(entity.clone()),
            ChangeKind::AddEnumValue { name, .. } | ChangeKind::RemoveEnumValue { name, .. } => {
                changed_enums.insert(name.clone());
            }
            kind => {
                if let Some(entity) = super::change_entity(kind) {
                    touched.insert(entity.to_owned());
                }
            }
        }
    }
    for name in &changed_enums {
        for (entity_name, entity) in &cx.after.entities {
            if entity.fields.values().any(|f| uses_enum(f, name)) && !created.contains(entity_name)
            {
                touched.insert(entity_name.clone());
            }
        }
    }

    // Indexes that go away, and collections.
    for name in &touched {
        let Some(old) = cx.old_entity(name) else {
            continue;
        };
        for kind in cx.changes_of(name) {
            if let ChangeKind::DropIndex { index, .. } = kind
                && old.indexes.iter().any(|i| &i.name == index)
            {
                out.push(command(json!({ "dropIndexes": old.table, "index": index })));
            }
        }
    }
    for name in &dropped {
        let Some(entity) = cx.before.entities.get(name) else {
            continue;
        };
        if super::is_view(entity) {
            continue;
        }
        out.push(
            command(json!({ "drop": entity.table })).destructive(format!(
                "drops collection `{}` and every document in it",
                entity.table
            )),
        );
    }

    // New collections.
    for name in &created {
        let Some(entity) = cx.after.entities.get(name) else {
            continue;
        };
        if super::is_view(entity) {
            cx.lossy(format!("{name}: views are not created on MongoDB"));
            continue;
        }
        let validator = validator(cx, cx.after, name, entity);
        let mut statement = command(json!({ "create": entity.table, "validator": validator }));
        if let Some(note) = cx.restore_note(&format!("collection `{}`", entity.table)) {
            statement = statement.note(note);
        }
        out.push(statement);
        let indexes = all_indexes(cx, cx.after, name, entity);
        if !indexes.is_empty() {
            out.push(command(
                json!({ "createIndexes": entity.table, "indexes": indexes }),
            ));
        }
        note_losses(cx, name, entity);
    }

    // Collections that change.
    for name in &touched {
        let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
            continue;
        };
        if super::is_view(new) {
            continue;
        }
        if old.table != new.table {
            out.push(
                command(json!({
                    "aggregate": old.table,
                    "pipeline": [{ "$out": new.table }],
                    "cursor": {}
                }))
                .note(format!(
                    "renames `{}` to `{}`: copies every document",
                    old.table, new.table
                )),
            );
            out.push(command(json!({ "drop": old.table })));
        }
        let mut renamed = Map::new();
        for (field_name, field) in &new.fields {
            let old_name = cx.old_field_name(name, field_name);
            if let Some(old_field) = old.fields.get(old_name)
                && old_field.column_name(old_name) != field.column_name(field_name)
            {
                renamed.insert(
                    old_field.column_name(old_name).to_owned(),
                    Value::String(field.column_name(field_name).to_owned()),
                );
            }
        }
        if !renamed.is_empty() {
            out.push(command(json!({
                "update": new.table,
                "updates": [{ "q": {}, "u": { "$rename": renamed }, "multi": true }]
            })));
        }
        let fields_change = old.table != new.table
            || cx.changes_of(name).iter().any(|kind| {
                matches!(
                    kind,
                    ChangeKind::AddField { .. }
                        | ChangeKind::DropField { .. }
                        | ChangeKind::AlterField { .. }
                        | ChangeKind::RenameField { .. }
                )
            })
            || new
                .fields
                .values()
                .any(|f| changed_enums.iter().any(|e| uses_enum(f, e)));
        if fields_change {
            let validator = validator(cx, cx.after, name, new);
            let mut statement = command(json!({ "collMod": new.table, "validator": validator }));
            let dropped_fields: Vec<String> = cx
                .changes_of(name)
                .iter()
                .filter_map(|kind| match kind {
                    ChangeKind::DropField { field, .. } => Some(format!("`{field}`")),
                    _ => None,
                })
                .collect();
            if !dropped_fields.is_empty() {
                statement = statement.note(format!(
                    "the validator no longer lists {}; the documents keep their values",
                    dropped_fields.join(", ")
                ));
            }
            out.push(statement);
        }
        let mut indexes = Vec::new();
        if old.table != new.table {
            indexes = all_indexes(cx, cx.after, name, new);
        } else {
            for kind in cx.changes_of(name) {
                if let ChangeKind::AddIndex { index, .. } = kind
                    && let Some(found) = new.indexes.iter().find(|i| &i.name == index)
                    && let Some(spec) = index_spec(cx, cx.after, name, new, found)
                {
                    indexes.push(spec);
                }
            }
        }
        if !indexes.is_empty() {
            out.push(command(
                json!({ "createIndexes": new.table, "indexes": indexes }),
            ));
        }
        note_losses(cx, name, new);
    }
    Ok(out)
}

fn command(value: Value) -> Statement {
    Statement::new(value.to_string())
}

fn uses_enum(field: &Field, name: &str) -> bool {
    field.enum_name.as_deref() == Some(name)
        || field.items.as_ref().is_some_and(|i| uses_enum(i, name))
        || field
            .fields
            .as_ref()
            .is_some_and(|fields| fields.values().any(|f| uses_enum(f, name)))
}

/// Whether the primary key is `_id`, under any field name
/// (`id` with `column = "_id"`): unique already, no index to add.
fn keyed_by_id(entity: &Entity) -> bool {
    match entity.primary_key.as_slice() {
        [key] => {
            entity
                .fields
                .get(key)
                .map_or(key.as_str(), |f| f.column_name(key))
                == "_id"
        }
        _ => false,
    }
}

/// What MongoDB does not keep of an entity.
fn note_losses(cx: &mut Cx<'_>, name: &str, entity: &Entity) {
    if !entity.relations.is_empty() {
        cx.lossy(format!(
            "{name}: MongoDB has no foreign keys; the relations are not enforced"
        ));
    }
    if !entity.checks.is_empty() {
        cx.lossy(format!(
            "{name}: the CHECK constraints are not carried over to MongoDB"
        ));
    }
    if !entity.primary_key.is_empty() && !keyed_by_id(entity) {
        cx.lossy(format!(
            "{name}: MongoDB keys every document by `_id`; the primary key ({}) is a unique index",
            entity.primary_key.join(", ")
        ));
    }
}

/// `{"$jsonSchema": ...}` for `entity`.
fn validator(cx: &mut Cx<'_>, manifest: &Manifest, name: &str, entity: &Entity) -> Value {
    let mut schema = object_schema(cx, manifest, name, &entity.fields);
    if let (Some(comment), Value::Object(map)) = (&entity.comment, &mut schema) {
        map.insert("description".into(), Value::String(comment.clone()));
    }
    json!({ "$jsonSchema": schema })
}

fn object_schema(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    path: &str,
    fields: &indexmap::IndexMap<String, Field>,
) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, field) in fields {
        let key = field.column_name(name).to_owned();
        if !field.optional {
            required.push(Value::String(key.clone()));
        }
        properties.insert(
            key,
            field_schema(cx, manifest, &format!("{path}.{name}"), field),
        );
    }
    let mut schema = Map::new();
    schema.insert("bsonType".into(), Value::String("object".into()));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    schema.insert("properties".into(), Value::Object(properties));
    Value::Object(schema)
}

fn field_schema(cx: &mut Cx<'_>, manifest: &Manifest, path: &str, field: &Field) -> Value {
    let mut schema = Map::new();
    let bson = match field.ty {
        FieldType::Bool => Some("bool"),
        FieldType::Int16 | FieldType::Int32 => Some("int"),
        FieldType::Int64 => Some("long"),
        FieldType::Float32 | FieldType::Float64 => Some("double"),
        FieldType::Decimal => Some("decimal"),
        FieldType::String | FieldType::Text | FieldType::Enum => Some("string"),
        FieldType::Uuid => {
            cx.lossy(format!("{path}: uuids are stored as strings"));
            Some("string")
        }
        FieldType::Date | FieldType::Timestamp | FieldType::Timestamptz => Some("date"),
        FieldType::Time | FieldType::Interval => {
            cx.lossy(format!(
                "{path}: MongoDB has no {} type; stored as a string",
                field.ty
            ));
            Some("string")
        }
        FieldType::Bytes => Some("binData"),
        FieldType::Array => Some("array"),
        FieldType::Object => Some("object"),
        FieldType::ObjectId => Some("objectId"),
        FieldType::Json => None,
        FieldType::Native => {
            if field.native.is_some() && !cx.same_engine(manifest) {
                cx.lossy(format!(
                    "{path}: `{}` has no MongoDB type; any value is accepted",
                    field.native.as_deref().unwrap_or("?")
                ));
            }
            None
        }
    };
    if let Some(bson) = bson {
        let value = if field.nullable {
            json!([bson, "null"])
        } else {
            json!(bson)
        };
        schema.insert("bsonType".into(), value);
    }
    if field.ty == FieldType::Enum
        && let Some(values) = field
            .enum_name
            .as_deref()
            .and_then(|name| manifest.enums.get(name))
    {
        let mut allowed: Vec<Value> = values.values.iter().cloned().map(Value::String).collect();
        if field.nullable {
            allowed.push(Value::Null);
        }
        schema.insert("enum".into(), Value::Array(allowed));
    }
    if let Some(length) = field.max_length
        && matches!(field.ty, FieldType::String | FieldType::Text)
    {
        schema.insert("maxLength".into(), json!(length));
    }
    if let Some(comment) = &field.comment {
        schema.insert("description".into(), Value::String(comment.clone()));
    }
    if field.ty == FieldType::Array
        && let Some(items) = &field.items
    {
        schema.insert(
            "items".into(),
            field_schema(cx, manifest, &format!("{path}[]"), items),
        );
    }
    if field.ty == FieldType::Object
        && let Some(fields) = &field.fields
        && let Value::Object(nested) = object_schema(cx, manifest, path, fields)
    {
        for (key, value) in nested {
            if key != "bsonType" {
                schema.insert(key, value);
            }
        }
    }
    if field.default.is_some() || field.generated.is_some() {
        cx.lossy(format!(
            "{path}: MongoDB has no defaults or generated values; the client must send it"
        ));
    }
    note_field_losses(cx, manifest, path, field);
    Value::Object(schema)
}

/// What MongoDB does not keep of a field of an SQL table: its engine type,
/// collation, invisibility and `ON UPDATE`.
fn note_field_losses(cx: &mut Cx<'_>, manifest: &Manifest, path: &str, field: &Field) {
    if field.ty != FieldType::Native
        && let Some(native) = &field.native
        && !cx.same_engine(manifest)
    {
        let from = Cx::source_target(manifest).map_or("another engine", Target::name);
        cx.lossy(format!(
            "{path}: `{native}` is a {from} type; stored as MongoDB's type for {}",
            field.type_label()
        ));
    }
    if let Some(collation) = &field.collation {
        cx.lossy(format!(
            "{path}: MongoDB has no per-field collations; collation `{collation}` is left out"
        ));
    }
    if field.invisible {
        cx.lossy(format!(
            "{path}: MongoDB has no invisible fields; this field is visible"
        ));
    }
    if field.on_update.is_some() {
        cx.lossy(format!(
            "{path}: MongoDB has no ON UPDATE for fields; `on_update` is left out"
        ));
    }
}

/// The index specs of an entity: its indexes, its uniques, its unique
/// fields and its primary key (when not `_id`).
fn all_indexes(cx: &mut Cx<'_>, manifest: &Manifest, name: &str, entity: &Entity) -> Vec<Value> {
    let mut specs: Vec<Value> = entity
        .indexes
        .iter()
        .filter_map(|index| index_spec(cx, manifest, name, entity, index))
        .collect();
    let column = |field: &str| {
        entity
            .fields
            .get(field)
            .map_or(field.to_owned(), |f| f.column_name(field).to_owned())
    };
    let unique = |fields: &[String], index_name: String| {
        let mut key = Map::new();
        for field in fields {
            key.insert(column(field), json!(1));
        }
        json!({ "key": key, "name": index_name, "unique": true })
    };
    if !entity.primary_key.is_empty() && !keyed_by_id(entity) {
        specs.push(unique(
            &entity.primary_key,
            format!("{}_pkey", entity.table),
        ));
    }
    for constraint in &entity.uniques {
        let index_name = constraint
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_key", entity.table, constraint.fields.join("_")));
        specs.push(unique(&constraint.fields, index_name));
    }
    for (field_name, field) in &entity.fields {
        if field.unique {
            specs.push(unique(
                std::slice::from_ref(field_name),
                format!("{}_{}_key", entity.table, field.column_name(field_name)),
            ));
        }
    }
    specs
}

fn index_spec(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    entity_name: &str,
    entity: &Entity,
    index: &Index,
) -> Option<Value> {
    let here = format!("{entity_name}.{}", index.name);
    let same = cx.same_engine(manifest);
    let method = index.method.as_deref().filter(|m| {
        let known = ["text", "2dsphere", "2d", "hashed"].contains(m);
        if !known {
            cx.lossy(format!(
                "{here}: MongoDB has no `{m}` indexes; created as a plain index"
            ));
        }
        known
    });
    super::visible_index_on(cx, "MongoDB", &here, index);
    super::index_comment_left_out(cx, &here, index);
    let mut key = Map::new();
    for part in &index.fields {
        match part {
            IndexPart::Field {
                field,
                order,
                prefix_length,
                ..
            } => {
                let path = entity
                    .fields
                    .get(field)
                    .map_or(field.as_str(), |f| f.column_name(field));
                if let Some(length) = prefix_length {
                    cx.lossy(format!(
                        "{here}: MongoDB keys whole values; the prefix length {length} of `{field}` is left out"
                    ));
                }
                let value = match (method, order) {
                    (Some(method), _) => json!(method),
                    (None, Some(SortOrder::Desc)) => json!(-1),
                    (None, _) => json!(1),
                };
                key.insert(path.to_owned(), value);
            }
            IndexPart::Expression { sql, .. } => {
                cx.lossy(format!(
                    "{here}: MongoDB indexes no SQL expressions (`{sql}`); the index is left out"
                ));
                return None;
            }
        }
    }
    let mut spec = Map::new();
    spec.insert("key".into(), Value::Object(key));
    spec.insert("name".into(), Value::String(index.name.clone()));
    if index.unique {
        spec.insert("unique".into(), Value::Bool(true));
    }
    if let Some(seconds) = index.expire_after_seconds {
        spec.insert("expireAfterSeconds".into(), json!(seconds));
    }
    if let Some(predicate) = &index.predicate {
        match serde_json::from_str::<Value>(predicate) {
            Ok(filter @ Value::Object(_)) if same => {
                spec.insert("partialFilterExpression".into(), filter);
            }
            _ => {
                cx.lossy(format!(
                    "{here}: the predicate `{predicate}` is SQL, not a MongoDB filter; the index covers every document"
                ));
            }
        }
    }
    Some(Value::Object(spec))
}
