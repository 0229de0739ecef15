//! The MongoDB engine: one collection per entity, documents keyed by field
//! column names (`_id` as the key), BSON filters from the typed query AST,
//! and values converted by the manifest's field types both ways
//! (`object_id` ↔ ObjectId, `timestamptz` ↔ BSON date, `uuid` ↔ binary
//! subtype 4, `decimal` ↔ Decimal128, `bytes` ↔ binary; docs/api.md).

use base64::Engine as _;
use futures::TryStreamExt as _;
use indexmap::IndexMap;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, Decimal128, Document, doc, oid::ObjectId};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, ReturnDocument};
use mongodb::{Client, Collection, Database};

use super::{ListResult, Row, StoreError, Updated, Values};
use crate::manifest::{
    DefaultValue, Entity, Field, FieldType, IndexPart, Literal, Manifest, ReferentialAction,
};
use crate::query::{Filter, ListQuery, Op, Value};

/// `baas serve` on a MongoDB database (the database named in the URL).
#[derive(Debug, Clone)]
pub struct MongoStore {
    database: Database,
}

impl MongoStore {
    /// A client on `url`, checked with a `ping`. The URL must name the
    /// database (`mongodb://host/shop`).
    pub async fn connect(url: &str, _manifest: &Manifest) -> Result<Self, StoreError> {
        let mut options = ClientOptions::parse(url)
            .await
            .map_err(|error| StoreError::Unavailable(error.into()))?;
        options
            .server_selection_timeout
            .get_or_insert(crate::settings::connect_timeout());
        crate::settings::refuse_closed_ports(&crate::settings::mongodb_addresses(&options))
            .await
            .map_err(|reason| StoreError::Unavailable(anyhow::anyhow!(reason)))?;
        options.app_name = Some("baas serve".to_owned());
        options.max_pool_size = Some(8);
        let Some(name) = options.default_database.clone() else {
            return Err(StoreError::Unavailable(anyhow::anyhow!(
                "the MongoDB URL names no database (`mongodb://host:port/DATABASE`)"
            )));
        };
        let client =
            Client::with_options(options).map_err(|error| StoreError::Unavailable(error.into()))?;
        let engine = Self {
            database: client.database(&name),
        };
        engine.ping().await?;
        Ok(engine)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.database
            .run_command(doc! { "ping": 1 })
            .await
            .map(drop)
            .map_err(|error| map_error(None, error))
    }

    fn collection(&self, entity: &Entity) -> Collection<Document> {
        self.database.collection(&entity.table)
    }

    async fn list_rows(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let filter = match &query.filter {
            Some(filter) => filter_document(entity, filter)?,
            None => Document::new(),
        };
        let mut sort = Document::new();
        for order in &query.order {
            let field = field(entity, &order.field)?;
            sort.insert(
                path(&order.field, field),
                if order.descending { -1 } else { 1 },
            );
        }
        if query.order.is_empty() {
            sort.insert("_id", 1);
        }
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let collection = self.collection(entity);
        let mut find = collection
            .find(filter.clone())
            .sort(sort)
            .skip(query.offset)
            .limit(limit);
        if let Some(select) = &query.select {
            let mut projection = Document::new();
            for name in select {
                projection.insert(path(name, field(entity, name)?), 1);
            }
            find = find.projection(projection);
        }
        let documents: Vec<Document> = find
            .await
            .map_err(|error| map_error(Some(entity), error))?
            .try_collect()
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        let rows = documents
            .iter()
            .map(|document| wire_row(entity, query.select.as_deref(), document))
            .collect::<Result<Vec<_>, _>>()?;
        let count = if query.count {
            let count = self
                .collection(entity)
                .count_documents(filter)
                .await
                .map_err(|error| map_error(Some(entity), error))?;
            Some(count)
        } else {
            None
        };
        Ok(ListResult { rows, count })
    }

    async fn get_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let document = self
            .collection(entity)
            .find_one(key_document(entity, key)?)
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        document
            .map(|document| wire_row(entity, None, &document))
            .transpose()
    }

    async fn insert_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        values: &Values,
    ) -> Result<Row, StoreError> {
        let entity = entity(manifest, entity_name)?;
        for name in values.keys() {
            if !entity.fields.contains_key(name) {
                return Err(internal(format!(
                    "unknown field `{name}` of `{}`",
                    entity.table
                )));
            }
        }
        self.check_references(manifest, entity, values).await?;
        // MongoDB has no sequences: a generated integer key takes the next
        // value after the largest, retried when a concurrent insert took it.
        let counted = entity.primary_key.iter().find(|name| {
            !values.contains_key(*name)
                && entity
                    .fields
                    .get(*name)
                    .is_some_and(|field| field.ty.is_integer() && field.generated.is_some())
        });
        let mut attempts = 0;
        loop {
            let mut document = self.new_document(entity, values)?;
            if let Some(name) = counted {
                let column = entity.fields[name].column_name(name);
                document.insert(column, self.next_key(entity, column).await?);
            }
            match self
                .collection(entity)
                .insert_one(&document)
                .await
                .map_err(|error| map_error(Some(entity), error))
            {
                Ok(inserted) => {
                    if !document.contains_key("_id") {
                        document.insert("_id", inserted.inserted_id);
                    }
                    return wire_row(entity, None, &document);
                }
                Err(StoreError::Conflict { fields })
                    if counted.is_some_and(|name| fields.contains(name)) && attempts < 5 =>
                {
                    attempts += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// MongoDB has no foreign keys: a relation whose fields are all given
    /// (and not null) must find its target document, as SQL would check.
    async fn check_references(
        &self,
        manifest: &Manifest,
        entity: &Entity,
        values: &Values,
    ) -> Result<(), StoreError> {
        for relation in &entity.relations {
            let given: Option<Vec<&Value>> = relation
                .fields
                .iter()
                .map(|name| {
                    values
                        .get(name)
                        .filter(|value| !matches!(value, Value::Null))
                })
                .collect();
            let Some(given) = given else { continue };
            let Some(target) = manifest.entities.get(&relation.references.entity) else {
                continue;
            };
            let mut filter = Document::new();
            for (name, value) in relation.references.fields.iter().zip(given) {
                let field = field(target, name)?;
                filter.insert(path(name, field), to_bson(field, value));
            }
            let found = self
                .collection(target)
                .find_one(filter)
                .projection(doc! { "_id": 1 })
                .await
                .map_err(|error| map_error(Some(target), error))?;
            if found.is_none() {
                return Err(StoreError::Reference);
            }
        }
        Ok(())
    }

    /// Before deleting `row` of `entity_name`: rows that reference it are
    /// deleted (`cascade`), unlinked (`set_null`), or stop the delete.
    async fn apply_delete_actions(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        row: &Row,
    ) -> Result<(), StoreError> {
        for source in manifest.entities.values() {
            for relation in &source.relations {
                if relation.references.entity != entity_name {
                    continue;
                }
                let mut filter = Document::new();
                for (name, target_name) in relation.fields.iter().zip(&relation.references.fields) {
                    let field = field(source, name)?;
                    let value = row.get(target_name).cloned().unwrap_or_default();
                    filter.insert(path(name, field), to_bson(field, &json_to_value(&value)));
                }
                let collection = self.collection(source);
                let outcome = match relation.on_delete {
                    ReferentialAction::Cascade => collection.delete_many(filter).await.map(drop),
                    ReferentialAction::SetNull => {
                        let mut unset = Document::new();
                        for name in &relation.fields {
                            unset.insert(path(name, field(source, name)?), Bson::Null);
                        }
                        collection
                            .update_many(filter, doc! { "$set": unset })
                            .await
                            .map(drop)
                    }
                    _ => {
                        let found = collection
                            .find_one(filter)
                            .projection(doc! { "_id": 1 })
                            .await
                            .map_err(|error| map_error(Some(source), error))?;
                        if found.is_some() {
                            return Err(StoreError::Reference);
                        }
                        Ok(())
                    }
                };
                outcome.map_err(|error| map_error(Some(source), error))?;
            }
        }
        Ok(())
    }

    /// The document of an insert: the given values, then literal defaults.
    fn new_document(&self, entity: &Entity, values: &Values) -> Result<Document, StoreError> {
        let mut document = Document::new();
        for (name, field) in &entity.fields {
            let value = match values.get(name) {
                Some(value) => to_bson(field, value),
                None => match &field.default {
                    Some(DefaultValue::Literal(literal)) => literal_to_bson(field, literal),
                    _ if field.ty == FieldType::ObjectId
                        && entity.primary_key.iter().any(|key| key == name) =>
                    {
                        Bson::ObjectId(ObjectId::new())
                    }
                    _ => continue,
                },
            };
            document.insert(field.column_name(name), value);
        }
        Ok(document)
    }

    /// One more than the largest `column` in the collection (1 when empty).
    async fn next_key(&self, entity: &Entity, column: &str) -> Result<Bson, StoreError> {
        let last = self
            .collection(entity)
            .find_one(doc! { column: { "$type": "number" } })
            .sort(doc! { column: -1 })
            .projection(doc! { column: 1 })
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        let largest = match last.as_ref().and_then(|document| document.get(column)) {
            Some(Bson::Int32(i)) => i64::from(*i),
            Some(Bson::Int64(i)) => *i,
            Some(Bson::Double(f)) => *f as i64,
            _ => 0,
        };
        Ok(Bson::Int64(largest + 1))
    }

    async fn update_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
        values: &Values,
    ) -> Result<Option<Updated>, StoreError> {
        let entity = entity(manifest, entity_name)?;
        if values.is_empty() {
            let row = self.get_row(manifest, entity_name, key, None).await?;
            return Ok(row.map(|row| Updated {
                new: row.clone(),
                old: row,
            }));
        }
        self.check_references(manifest, entity, values).await?;
        let mut set = Document::new();
        for (name, value) in values {
            let field = field(entity, name)?;
            set.insert(field.column_name(name), to_bson(field, value));
        }
        let document = self
            .collection(entity)
            .find_one_and_update(key_document(entity, key)?, doc! { "$set": set })
            .return_document(ReturnDocument::Before)
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        let Some(old) = document
            .map(|document| wire_row(entity, None, &document))
            .transpose()?
        else {
            return Ok(None);
        };
        let new = self
            .get_row(manifest, entity_name, key, None)
            .await?
            .ok_or_else(|| internal("the updated document is gone"))?;
        Ok(Some(Updated { old, new }))
    }

    async fn delete_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        _scope: Option<&crate::query::Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let Some(row) = self.get_row(manifest, entity_name, key, None).await? else {
            return Ok(None);
        };
        self.apply_delete_actions(manifest, entity_name, &row)
            .await?;
        let deleted = self
            .collection(entity)
            .delete_one(key_document(entity, key)?)
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        Ok((deleted.deleted_count > 0).then_some(row))
    }
}

fn internal(message: impl Into<String>) -> StoreError {
    StoreError::Internal(anyhow::anyhow!(message.into()))
}

fn entity<'a>(manifest: &'a Manifest, name: &str) -> Result<&'a Entity, StoreError> {
    manifest
        .entities
        .get(name)
        .ok_or_else(|| internal(format!("unknown entity `{name}`")))
}

/// The field at `name`, a field name or a dotted path into object fields.
fn field<'a>(entity: &'a Entity, name: &str) -> Result<&'a Field, StoreError> {
    entity
        .fields
        .get(name)
        .or_else(|| entity.field_at_path(name))
        .ok_or_else(|| internal(format!("unknown field `{name}` of `{}`", entity.table)))
}

/// The document path of a field name or dotted path (the first segment's
/// column name, then the rest as written).
fn path(name: &str, field: &Field) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        field.column_name(name).to_owned()
    }
}

/// `{ _id: … }` for a key in `primary_key` order.
fn key_document(entity: &Entity, key: &[Value]) -> Result<Document, StoreError> {
    if entity.primary_key.len() != key.len() || key.is_empty() {
        return Err(internal(format!(
            "`{}` has a key of {} fields, got {} values",
            entity.table,
            entity.primary_key.len(),
            key.len()
        )));
    }
    let mut document = Document::new();
    for (name, value) in entity.primary_key.iter().zip(key) {
        let field = field(entity, name)?;
        document.insert(path(name, field), to_bson(field, value));
    }
    Ok(document)
}

/// The BSON filter of a typed filter.
pub(crate) fn filter_document(entity: &Entity, filter: &Filter) -> Result<Document, StoreError> {
    Ok(match filter {
        Filter::And(parts) if parts.is_empty() => Document::new(),
        Filter::And(parts) => {
            doc! { "$and": parts.iter().map(|part| filter_document(entity, part)).collect::<Result<Vec<_>, _>>()? }
        }
        // `$or: []` is an error: nothing matches an empty disjunction.
        Filter::Or(parts) if parts.is_empty() => doc! { "$nor": [{}] },
        Filter::Or(parts) => {
            doc! { "$or": parts.iter().map(|part| filter_document(entity, part)).collect::<Result<Vec<_>, _>>()? }
        }
        Filter::Not(inner) => doc! { "$nor": [filter_document(entity, inner)?] },
        Filter::Compare {
            field: name,
            op,
            value,
        } => {
            let field = field(entity, name)?;
            let path = path(name, field);
            let operand = |value: &Value| to_bson(field, value);
            let list = |value: &Value| -> Vec<Bson> {
                match value {
                    Value::List(items) => items.iter().map(|item| to_bson(field, item)).collect(),
                    other => vec![to_bson(field, other)],
                }
            };
            let condition = match op {
                Op::Eq => operand(value),
                Op::Neq => Bson::Document(doc! { "$ne": operand(value) }),
                Op::Gt => Bson::Document(doc! { "$gt": operand(value) }),
                Op::Gte => Bson::Document(doc! { "$gte": operand(value) }),
                Op::Lt => Bson::Document(doc! { "$lt": operand(value) }),
                Op::Lte => Bson::Document(doc! { "$lte": operand(value) }),
                Op::In => Bson::Document(doc! { "$in": list(value) }),
                Op::Nin => Bson::Document(doc! { "$nin": list(value) }),
                Op::Like | Op::Ilike => {
                    let pattern = match value {
                        Value::Text(text) => text.clone(),
                        other => super::sqlx_common::value_to_json(other).to_string(),
                    };
                    let mut regex = doc! { "$regex": like_to_regex(&pattern) };
                    if *op == Op::Ilike {
                        regex.insert("$options", "i");
                    }
                    Bson::Document(regex)
                }
                Op::Is => match value {
                    Value::Null => Bson::Null,
                    Value::Bool(b) => Bson::Boolean(*b),
                    other => {
                        return Err(internal(format!(
                            "`is` takes null, true or false, not {other:?}"
                        )));
                    }
                },
                Op::Contains => match (field.ty, value) {
                    (FieldType::Array, _) => Bson::Document(doc! { "$all": list(value) }),
                    (_, Value::Json(serde_json::Value::Array(items))) => Bson::Document(doc! {
                        "$all": items.iter().map(json_to_bson).collect::<Vec<_>>()
                    }),
                    (_, other) => to_bson(field, other),
                },
            };
            doc! { path: condition }
        }
    })
}

/// A LIKE pattern (`%`, `_`) as an anchored regular expression, every other
/// character literal.
fn like_to_regex(pattern: &str) -> String {
    let mut regex = String::with_capacity(pattern.len() + 8);
    regex.push('^');
    for c in pattern.chars() {
        match c {
            '%' => regex.push_str(".*"),
            '_' => regex.push('.'),
            c if c.is_ascii_alphanumeric() || c == ' ' || !c.is_ascii() => regex.push(c),
            c => {
                regex.push('\\');
                regex.push(c);
            }
        }
    }
    regex.push('$');
    regex
}

/// A typed value as BSON for a field.
fn to_bson(field: &Field, value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Int(i) => match (field.ty, i32::try_from(*i)) {
            (FieldType::Int16 | FieldType::Int32, Ok(small)) => Bson::Int32(small),
            (FieldType::Float32 | FieldType::Float64, _) => Bson::Double(*i as f64),
            (FieldType::Decimal, _) => decimal(field, &i.to_string()),
            _ => Bson::Int64(*i),
        },
        Value::Float(f) => match field.ty {
            FieldType::Decimal => decimal(field, &f.to_string()),
            _ => Bson::Double(*f),
        },
        Value::Decimal(text) => decimal(field, text),
        Value::Text(text) => match field.ty {
            FieldType::ObjectId => text
                .parse::<ObjectId>()
                .map_or_else(|_| Bson::String(text.clone()), Bson::ObjectId),
            FieldType::Uuid => uuid_bytes(text).map_or_else(
                || Bson::String(text.clone()),
                |bytes| {
                    Bson::Binary(Binary {
                        subtype: BinarySubtype::Uuid,
                        bytes,
                    })
                },
            ),
            FieldType::Timestamptz => DateTime::parse_rfc3339_str(text)
                .map_or_else(|_| Bson::String(text.clone()), Bson::DateTime),
            FieldType::Decimal => decimal(field, text),
            _ => Bson::String(text.clone()),
        },
        Value::Bytes(bytes) => Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: bytes.clone(),
        }),
        Value::Json(json) => match (field.ty, json) {
            (FieldType::Array, serde_json::Value::Array(items)) => {
                let item_field = field.items.as_deref();
                Bson::Array(
                    items
                        .iter()
                        .map(|item| match item_field {
                            Some(item_field) => to_bson(item_field, &json_to_value(item)),
                            None => json_to_bson(item),
                        })
                        .collect(),
                )
            }
            (FieldType::Object, serde_json::Value::Object(members)) => {
                let mut document = Document::new();
                for (name, member) in members {
                    let value = match field.fields.as_ref().and_then(|fields| fields.get(name)) {
                        Some(member_field) => to_bson(member_field, &json_to_value(member)),
                        None => json_to_bson(member),
                    };
                    let column = field
                        .fields
                        .as_ref()
                        .and_then(|fields| fields.get(name))
                        .map_or(name.as_str(), |member_field| member_field.column_name(name));
                    document.insert(column, value);
                }
                Bson::Document(document)
            }
            _ => json_to_bson(json),
        },
        Value::List(items) => {
            let item_field = field.items.as_deref().unwrap_or(field);
            Bson::Array(items.iter().map(|item| to_bson(item_field, item)).collect())
        }
    }
}

/// A JSON value typed loosely, for members of arrays and objects.
fn json_to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(number.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(text) => Value::Text(text.clone()),
        other => Value::Json(other.clone()),
    }
}

fn json_to_bson(json: &serde_json::Value) -> Bson {
    Bson::try_from(json.clone()).unwrap_or_else(|_| Bson::String(json.to_string()))
}

fn literal_to_bson(field: &Field, literal: &Literal) -> Bson {
    let value = match literal {
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(f) => Value::Float(*f),
        Literal::String(text) => Value::Text(text.clone()),
        Literal::Array(items) => {
            let item_field = field.items.as_deref().unwrap_or(field);
            return Bson::Array(
                items
                    .iter()
                    .map(|item| literal_to_bson(item_field, item))
                    .collect(),
            );
        }
    };
    to_bson(field, &value)
}

/// Decimal text as Decimal128, padded to the field's scale as SQL engines
/// store it (`21.5` with scale 2 is `21.50`).
fn decimal(field: &Field, text: &str) -> Bson {
    let mut text = text.trim().to_owned();
    if let Some(scale) = field.scale.and_then(|scale| usize::try_from(scale).ok())
        && !text.contains(['e', 'E'])
    {
        let digits = text
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        if digits < scale {
            if digits == 0 && scale > 0 {
                text.push('.');
            }
            text.extend(std::iter::repeat_n('0', scale - digits));
        }
    }
    text.parse::<Decimal128>()
        .map_or_else(|_| Bson::String(text.clone()), Bson::Decimal128)
}

/// `xxxxxxxx-xxxx-…` → 16 bytes.
fn uuid_bytes(text: &str) -> Option<Vec<u8>> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    (0..16)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A document as a wire row: fields in manifest order, absent `optional`
/// fields omitted, other absent fields `null`.
fn wire_row(
    entity: &Entity,
    select: Option<&[String]>,
    document: &Document,
) -> Result<Row, StoreError> {
    let mut row = Row::with_capacity(entity.fields.len());
    for (name, field) in &entity.fields {
        if select.is_some_and(|select| !select.iter().any(|selected| selected == name)) {
            continue;
        }
        match document.get(field.column_name(name)) {
            Some(value) => {
                row.insert(name.clone(), wire_value(Some(field), value));
            }
            None if field.optional => {}
            None => {
                row.insert(name.clone(), serde_json::Value::Null);
            }
        }
    }
    Ok(row)
}

/// A BSON value as its wire value, by field type when the field is known.
fn wire_value(field: Option<&Field>, value: &Bson) -> serde_json::Value {
    match value {
        Bson::Null | Bson::Undefined => serde_json::Value::Null,
        Bson::Boolean(b) => (*b).into(),
        Bson::Int32(i) => (*i).into(),
        Bson::Int64(i) => (*i).into(),
        Bson::Double(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Bson::Decimal128(decimal) => decimal.to_string().into(),
        Bson::String(text) => text.clone().into(),
        Bson::ObjectId(id) => id.to_hex().into(),
        Bson::DateTime(date) => date
            .try_to_rfc3339_string()
            .map_or_else(|_| date.timestamp_millis().into(), Into::into),
        Bson::Binary(binary) => {
            let as_uuid = binary.subtype == BinarySubtype::Uuid
                || field.is_some_and(|field| field.ty == FieldType::Uuid);
            if as_uuid && binary.bytes.len() == 16 {
                uuid_text(&binary.bytes).into()
            } else {
                base64::engine::general_purpose::STANDARD
                    .encode(&binary.bytes)
                    .into()
            }
        }
        Bson::Array(items) => {
            let items_field = field.and_then(|field| field.items.as_deref());
            items
                .iter()
                .map(|item| wire_value(items_field, item))
                .collect()
        }
        Bson::Document(document) => {
            let nested = field.and_then(|field| field.fields.as_ref());
            let mut object = serde_json::Map::new();
            match nested {
                Some(nested) => {
                    let by_column: IndexMap<&str, (&str, &Field)> = nested
                        .iter()
                        .map(|(name, field)| (field.column_name(name), (name.as_str(), field)))
                        .collect();
                    for (key, member) in document {
                        match by_column.get(key.as_str()) {
                            Some((name, member_field)) => {
                                object.insert(
                                    (*name).to_owned(),
                                    wire_value(Some(member_field), member),
                                );
                            }
                            None => {
                                object.insert(key.clone(), wire_value(None, member));
                            }
                        }
                    }
                }
                None => {
                    for (key, member) in document {
                        object.insert(key.clone(), wire_value(None, member));
                    }
                }
            }
            object.into()
        }
        other => other.clone().into_relaxed_extjson(),
    }
}

/// Driver error → engine error: duplicate key (11000) is a conflict
/// naming the index's fields, network and server selection unavailable.
fn map_error(entity: Option<&Entity>, error: mongodb::error::Error) -> StoreError {
    let duplicate = match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) if write.code == 11000 => {
            Some(write.message.clone())
        }
        ErrorKind::Command(command) if command.code == 11000 => Some(command.message.clone()),
        _ => None,
    };
    if let Some(message) = duplicate {
        let fields = entity
            .map(|entity| duplicate_fields(entity, &message))
            .unwrap_or_default();
        return StoreError::Conflict { fields };
    }
    match error.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::ConnectionPoolCleared { .. } => StoreError::Unavailable(error.into()),
        ErrorKind::Authentication { .. } => StoreError::Credentials(error.into()),
        _ => StoreError::Internal(error.into()),
    }
}

/// The fields of an E11000 message:
/// `… index: isbn_1 dup key: { isbn: "x" }` → the index's fields, else the
/// keys of the `dup key` document.
fn duplicate_fields(entity: &Entity, message: &str) -> Vec<String> {
    let index_name = message
        .split_once("index: ")
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or_default());
    if let Some(index_name) = index_name {
        if index_name == "_id_" {
            return entity.primary_key.clone();
        }
        if let Some(index) = entity.indexes.iter().find(|index| index.name == index_name) {
            return index
                .fields
                .iter()
                .filter_map(|part| match part {
                    IndexPart::Field { field, .. } => Some(field.clone()),
                    IndexPart::Expression { .. } => None,
                })
                .collect();
        }
    }
    let Some((_, keys)) = message.split_once("dup key: {") else {
        return Vec::new();
    };
    keys.split(", ")
        .filter_map(|pair| {
            pair.split_once(':')
                .map(|(key, _)| key.trim().trim_matches('"'))
        })
        .filter_map(|column| {
            entity
                .field_by_column(column)
                .map(|(name, _)| name.to_owned())
        })
        .collect()
}

super::store_from_inherent_methods!(MongoStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_anchored_literal_regexes() {
        assert_eq!(like_to_regex("%rust_"), "^.*rust.$");
        assert_eq!(like_to_regex("a.b*(c)"), "^a\\.b\\*\\(c\\)$");
    }

    #[test]
    fn uuids_round_trip_through_bytes() {
        let text = "0b9d7f3a-1c2e-4f5a-8b6c-7d8e9f0a1b2c";
        assert_eq!(uuid_text(&uuid_bytes(text).unwrap()), text);
        assert_eq!(uuid_bytes("not a uuid"), None);
    }
}
