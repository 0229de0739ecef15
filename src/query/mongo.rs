//! The query AST as MongoDB documents, the only BSON builder: filters,
//! keys, sorts, projections, and values as BSON by field type
//! ([`bson_value`], also what the store writes). Pure: no I/O.
//!
//! Field paths: each segment is the stored name of its field
//! ([`Field::column_name`]), nested segments through `object` fields
//! (`address.city`).
//!
//! The documents give the rows SQL gives (docs/api.md, "Filter grammar"):
//! - A comparison with a null or absent field matches nothing, as SQL's
//!   `NULL` does: `neq`/`nin` exclude them (MongoDB's `$ne`/`$nin` alone
//!   would not), and `not` is pushed down to the comparisons (De Morgan)
//!   so that `not` of a comparison with a null field matches nothing
//!   either. Only `is` matches null and absent fields.
//! - `like`/`ilike` are regexes anchored at both ends (`^…\z`, so that a
//!   trailing newline is not skipped as `$` would), with the pattern's
//!   text escaped (`%` → `.*`, `_` → `.`, `\%`/`\_`/`\\` literal) and the
//!   `s` option (`%` crosses newlines, as in SQL); `ilike` adds `i`.
//! - `contains` on an array is `$all`; with a JSON object it is
//!   containment, one condition per leaf path; `in` with no values
//!   matches nothing, `nin` with none everything.
//!
//! An `and`/`or` of many terms is one `$and`/`$or` array built in a loop;
//! only nesting recurses.

use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{self, Binary, Bson, Document, doc};

use crate::manifest::{Entity, Field, FieldType, Manifest};

use super::{Filter, JsonPath, Op, OrderBy, Step, Term, Value};

/// The `find` filter for `filter` over `entity_name`'s fields.
pub fn filter_document(manifest: &Manifest, entity_name: &str, filter: &Filter) -> Document {
    match manifest.entities.get(entity_name) {
        Some(entity) => condition(entity, filter, false),
        None => nothing(),
    }
}

/// Whether `filter` holds an EXISTS, which the store must resolve into
/// keys ([`exists_keys`]) before building the document.
pub fn has_exists(filter: &Filter) -> bool {
    match filter {
        Filter::And(parts) | Filter::Or(parts) => parts.iter().any(has_exists),
        Filter::Not(inner) => has_exists(inner),
        Filter::Exists { .. } => true,
        Filter::Compare { .. } | Filter::Relate { .. } | Filter::Json { .. } => false,
    }
}

/// An EXISTS as a filter over the outer entity: its `from_fields` equal
/// one of `keys` (the related documents' `to_fields`, pairwise), found by
/// the store with a query of its own. No keys: no row.
pub fn exists_keys(from_fields: &[String], keys: Vec<Vec<Value>>) -> Filter {
    if let [field] = from_fields {
        let values: Vec<Value> = keys.into_iter().filter_map(|mut key| key.pop()).collect();
        if values.is_empty() {
            return Filter::Or(Vec::new());
        }
        // `NOT EXISTS` holds for a row without the relation (a null key):
        // the null test keeps the negation two-valued, as in SQL.
        return Filter::And(vec![
            Filter::Not(Box::new(Filter::Compare {
                field: field.clone(),
                op: Op::Is,
                value: Value::Null,
            })),
            Filter::Compare {
                field: field.clone(),
                op: Op::In,
                value: Value::List(values),
            },
        ]);
    }
    Filter::Or(
        keys.into_iter()
            .map(|key| {
                Filter::And(
                    from_fields
                        .iter()
                        .zip(key)
                        .map(|(field, value)| Filter::Compare {
                            field: field.clone(),
                            op: Op::Eq,
                            value,
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

/// The filter of one row: its key (`key` in `primary_key` order), ANDed
/// with `scope` when given. `None` when the key does not fit the entity.
pub fn key_document(
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    scope: Option<&Filter>,
) -> Option<Document> {
    let entity = manifest.entities.get(entity_name)?;
    if entity.primary_key.is_empty() || entity.primary_key.len() != key.len() {
        return None;
    }
    let mut document = Document::new();
    for (name, value) in entity.primary_key.iter().zip(key) {
        let field = entity.fields.get(name)?;
        document.insert(stored_path(entity, name), bson_value(field, value));
    }
    Some(match scope {
        Some(scope) => doc! { "$and": [document, condition(entity, scope, false)] },
        None => document,
    })
}

/// The `sort` document: the requested order, then the primary key
/// ascending (`_id` without one) so that pages are stable, as the SQL
/// builder does. MongoDB sorts null and absent values first ascending and
/// last descending; [`null_order_fields`] covers the other placements.
pub fn sort_document(manifest: &Manifest, entity_name: &str, order: &[OrderBy]) -> Document {
    let mut sort = Document::new();
    let Some(entity) = manifest.entities.get(entity_name) else {
        return sort;
    };
    for (index, item) in order.iter().enumerate() {
        if moves_nulls(entity, item) {
            // Nulls first is the larger flag first: `true` sorts after `false`.
            let first = item.places_nulls_first();
            sort.insert(null_flag(index), if first { -1 } else { 1 });
        }
        let Some(path) = order_path(entity, item) else {
            continue;
        };
        sort.insert(path, if item.descending { -1 } else { 1 });
    }
    let keys: Vec<String> = if entity.primary_key.is_empty() {
        vec!["_id".to_owned()]
    } else {
        entity
            .primary_key
            .iter()
            .map(|key| stored_path(entity, key))
            .collect()
    };
    for path in keys {
        if !sort.contains_key(&path) {
            sort.insert(path, 1);
        }
    }
    sort
}

/// The `$addFields` stage that [`sort_document`] needs when an order puts
/// nulls where MongoDB does not (`asc.nullslast`, `desc.nullsfirst`, the
/// default on a field that may be null): one
/// flag per such field, true when the value is null or absent. `None`
/// when a plain `find` sorts right. The flags are not fields of the
/// entity: the rows are read by field name, so they never reach a client.
pub fn null_order_fields(
    manifest: &Manifest,
    entity_name: &str,
    order: &[OrderBy],
) -> Option<Document> {
    let entity = manifest.entities.get(entity_name)?;
    let mut fields = Document::new();
    for (index, item) in order.iter().enumerate() {
        if moves_nulls(entity, item)
            && let Some(path) = order_path(entity, item)
        {
            let path = format!("${path}");
            fields.insert(
                null_flag(index),
                doc! { "$eq": [{ "$ifNull": [path, Bson::Null] }, Bson::Null] },
            );
        }
    }
    (!fields.is_empty()).then_some(fields)
}

/// The document path an order sorts by; `None` for a JSON path MongoDB
/// cannot address ([`json_path`]).
fn order_path(entity: &Entity, item: &OrderBy) -> Option<String> {
    match &item.path {
        Some(path) => json_path(entity, path),
        None => Some(stored_path(entity, &item.field)),
    }
}

/// A JSON path as a document path: `data.address.city`, `data.tags.0`.
/// `None` when a key holds a `.` or starts with `$` (MongoDB would read
/// it as more steps or an operator) or is empty.
pub fn json_path(entity: &Entity, path: &JsonPath) -> Option<String> {
    let mut out = stored_path(entity, &path.field);
    for step in &path.steps {
        out.push('.');
        match step {
            Step::Key(key) if key.is_empty() || key.contains('.') || key.starts_with('$') => {
                return None;
            }
            Step::Key(key) => out.push_str(key),
            Step::Index(index) => out.push_str(&index.to_string()),
        }
    }
    Some(out)
}

/// Whether an order asks for nulls where MongoDB does not put them.
/// Whether `item` places nulls where MongoDB's sort does not: asked to,
/// or by default ([`OrderBy::places_nulls_first`]) on a field that may be
/// null or absent.
fn moves_nulls(entity: &Entity, item: &OrderBy) -> bool {
    let may_be_null = item.path.is_none()
        && entity
            .fields
            .get(&item.field)
            .is_none_or(|field| field.nullable || field.optional);
    match item.nulls_first {
        Some(first) => first == item.descending,
        None => may_be_null,
    }
}

fn null_flag(index: usize) -> String {
    format!("__baas_nulls_{index}")
}

/// The `projection` document for `select` (`None` = every field, no
/// projection). `_id` is excluded unless a selected field is stored in it.
pub fn projection_document(
    manifest: &Manifest,
    entity_name: &str,
    select: Option<&[String]>,
) -> Option<Document> {
    let select = select?;
    let entity = manifest.entities.get(entity_name)?;
    let mut projection = Document::new();
    for name in select {
        projection.insert(stored_path(entity, name), 1);
    }
    if !projection.contains_key("_id") {
        projection.insert("_id", 0);
    }
    Some(projection)
}

/// `name` (or a dotted path into `object` fields) as a document path: each
/// segment the stored name of its field, unknown segments as written.
pub fn stored_path(entity: &Entity, path: &str) -> String {
    if let Some(field) = entity.fields.get(path) {
        return field.column_name(path).to_owned();
    }
    let mut out = String::with_capacity(path.len());
    let mut fields = Some(&entity.fields);
    for segment in path.split('.') {
        let field = fields.and_then(|fields| fields.get(segment));
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(field.map_or(segment, |field| field.column_name(segment)));
        fields = field.and_then(|field| {
            field
                .fields
                .as_ref()
                .or_else(|| field.items.as_ref().and_then(|items| items.fields.as_ref()))
        });
    }
    out
}

/// A typed value as BSON for `field`, as the store writes it and filters
/// compare it: object ids as ObjectId, uuids as binary subtype 4,
/// timestamptz as BSON dates, decimals as Decimal128 padded to the field's
/// scale, int16/int32 as Int32, integers in float/decimal fields as such,
/// bytes as generic binary, arrays and objects member by member (object
/// members under their stored names); dates, times, timestamps without a
/// zone and other text as strings. Text that does not parse as the BSON
/// type is kept as a string.
pub fn bson_value(field: &Field, value: &Value) -> Bson {
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
            FieldType::ObjectId => bson::oid::ObjectId::parse_str(text)
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
            FieldType::Timestamptz => bson::DateTime::parse_rfc3339_str(text)
                .map_or_else(|_| Bson::String(text.clone()), Bson::DateTime),
            FieldType::Decimal => decimal(field, text),
            _ => Bson::String(text.clone()),
        },
        Value::Bytes(bytes) => Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: bytes.clone(),
        }),
        Value::Json(json) => match (field.ty, json) {
            (FieldType::Array, serde_json::Value::Array(items)) => Bson::Array(
                items
                    .iter()
                    .map(|item| match field.items.as_deref() {
                        Some(item_field) => bson_value(item_field, &json_to_value(item)),
                        None => json_to_bson(item),
                    })
                    .collect(),
            ),
            (FieldType::Object, serde_json::Value::Object(members)) => {
                let mut document = Document::new();
                for (name, member) in members {
                    match field.fields.as_ref().and_then(|fields| fields.get(name)) {
                        Some(member_field) => document.insert(
                            member_field.column_name(name),
                            bson_value(member_field, &json_to_value(member)),
                        ),
                        None => document.insert(name, json_to_bson(member)),
                    };
                }
                Bson::Document(document)
            }
            _ => json_to_bson(json),
        },
        Value::List(items) => {
            let item_field = field.items.as_deref().unwrap_or(field);
            Bson::Array(
                items
                    .iter()
                    .map(|item| bson_value(item_field, item))
                    .collect(),
            )
        }
    }
}

/// A JSON value typed loosely, for members of arrays and objects.
pub fn json_to_value(json: &serde_json::Value) -> Value {
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

/// JSON without a field type: its BSON form (a string when it has none).
pub fn json_to_bson(json: &serde_json::Value) -> Bson {
    Bson::try_from(json.clone()).unwrap_or_else(|_| Bson::String(json.to_string()))
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
    text.parse::<bson::Decimal128>()
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

/// A filter that matches no document.
fn nothing() -> Document {
    doc! { "_id": { "$in": [] } }
}

/// `filter`, or its negation when `negated`, with SQL's three-valued
/// logic: a comparison with a null or absent field is neither true nor
/// false, so neither it nor its negation matches (only `is` is never
/// unknown). Negation is pushed down by De Morgan, which holds in
/// three-valued logic.
fn condition(entity: &Entity, filter: &Filter, negated: bool) -> Document {
    match filter {
        Filter::And(terms) | Filter::Or(terms) => {
            // NOT (a AND b) = NOT a OR NOT b; NOT (a OR b) = NOT a AND NOT b.
            let all = matches!(filter, Filter::And(_)) != negated;
            match terms.as_slice() {
                [] if all => Document::new(),
                [] => nothing(),
                [term] => condition(entity, term, negated),
                terms => {
                    let documents: Vec<Document> = terms
                        .iter()
                        .map(|term| condition(entity, term, negated))
                        .collect();
                    if all {
                        doc! { "$and": documents }
                    } else {
                        doc! { "$or": documents }
                    }
                }
            }
        }
        Filter::Not(inner) => condition(entity, inner, !negated),
        // The store replaces each EXISTS by the keys it matches before
        // building ([`exists_keys`]); one left here matches nothing.
        Filter::Exists { .. } => nothing(),
        Filter::Relate { left, op, right } => relate(entity, left, *op, right, negated),
        Filter::Json { path, op, value } => match json_path(entity, path) {
            Some(at) => json_condition(&at, path.text, *op, value, negated),
            None => nothing(),
        },
        Filter::Compare { field, op, value } => {
            let Some(definition) = entity.field_at_path(field) else {
                return nothing();
            };
            let path = stored_path(entity, field);
            match (negated, op) {
                (false, _) => compare(&path, definition, *op, value),
                // NOT (x = v) is x <> v and the other way round; the same
                // for `in`/`nin`, empty lists included (NOT of nothing is
                // everything).
                (true, Op::Eq) => compare(&path, definition, Op::Neq, value),
                (true, Op::Neq) => compare(&path, definition, Op::Eq, value),
                (true, Op::In) => compare(&path, definition, Op::Nin, value),
                (true, Op::Nin) => compare(&path, definition, Op::In, value),
                (true, Op::Is) => doc! { "$nor": [compare(&path, definition, *op, value)] },
                (true, _) => doc! { "$and": [
                    single(&path, "$ne", Bson::Null),
                    { "$nor": [compare(&path, definition, *op, value)] },
                ] },
            }
        }
    }
}

/// `left op right` (or its negation) as an `$expr`: a null or absent side
/// matches nothing either way, as SQL's NULL; with both sides set, NOT (a >
/// b) is a <= b.
fn relate(entity: &Entity, left: &Term, op: Op, right: &Term, negated: bool) -> Document {
    if super::check_relate(entity, left, op, right).is_err() {
        return nothing();
    }
    let op = match (negated, op) {
        (false, op) => op,
        (true, Op::Eq) => Op::Neq,
        (true, Op::Neq) => Op::Eq,
        (true, Op::Gt) => Op::Lte,
        (true, Op::Gte) => Op::Lt,
        (true, Op::Lt) => Op::Gte,
        (true, _) => Op::Gt,
    };
    let operator = match op {
        Op::Eq => "$eq",
        Op::Neq => "$ne",
        Op::Gt => "$gt",
        Op::Gte => "$gte",
        Op::Lt => "$lt",
        _ => "$lte",
    };
    let (left, right) = (expression(entity, left), expression(entity, right));
    let set = |side: &Bson| doc! { "$ne": [{ "$ifNull": [side.clone(), Bson::Null] }, Bson::Null] };
    let mut comparison = Document::new();
    comparison.insert(operator, vec![left.clone(), right.clone()]);
    doc! { "$expr": { "$and": [set(&left), set(&right), comparison] } }
}

/// One side of [`relate`] as an aggregation expression: `$path`, the
/// length of a string (code points, as SQL's `char_length`) or of an array
/// (null for other values), or a literal number.
fn expression(entity: &Entity, term: &Term) -> Bson {
    match term {
        Term::Field(name) => Bson::String(format!("${}", stored_path(entity, name))),
        Term::Length(name) => {
            let path = Bson::String(format!("${}", stored_path(entity, name)));
            let text = entity
                .fields
                .get(name)
                .is_some_and(|field| matches!(field.ty, FieldType::String | FieldType::Text));
            if text {
                Bson::Document(doc! { "$cond": [
                    { "$eq": [{ "$type": path.clone() }, "string"] },
                    { "$strLenCP": path },
                    Bson::Null,
                ] })
            } else {
                Bson::Document(doc! { "$cond": [
                    { "$isArray": path.clone() },
                    { "$size": path },
                    Bson::Null,
                ] })
            }
        }
        Term::Value(Value::Int(int)) => Bson::Document(doc! { "$literal": *int }),
        Term::Value(Value::Float(float)) => Bson::Document(doc! { "$literal": *float }),
        Term::Value(_) => Bson::Null,
    }
}

/// The BSON types of jsonb ranks (see [`super::json::rank`]).
const RANK_TYPES: [&[&str]; 6] = [
    &["null"],
    &["string"],
    &["double", "int", "long", "decimal"],
    &["bool"],
    &["array"],
    &["object"],
];

/// `path op value` inside a json field (or its negation). `->` values
/// compare as jsonb: MongoDB's own comparisons hold within a type, and
/// the types ranked above (`gt`, `gte`) or below (`lt`, `lte`) the
/// operand's are matched by type. `->>` compares text: a string, or for
/// `eq`/`neq`/`in`/`nin` also the number or boolean the text spells.
fn json_condition(at: &str, text: bool, op: Op, value: &Value, negated: bool) -> Document {
    if op == Op::Is {
        // `->` is null when missing; `->>` also when JSON null.
        let is_null = if text {
            single(at, "$eq", Bson::Null)
        } else {
            single(at, "$exists", Bson::Boolean(false))
        };
        return if negated {
            doc! { "$nor": [is_null] }
        } else {
            is_null
        };
    }
    let op = match (negated, op) {
        (false, op) => op,
        (true, Op::Eq) => Op::Neq,
        (true, Op::Neq) => Op::Eq,
        (true, Op::In) => Op::Nin,
        (true, Op::Nin) => Op::In,
        (true, Op::Gt) if !text => Op::Lte,
        (true, Op::Gte) if !text => Op::Lt,
        (true, Op::Lt) if !text => Op::Gte,
        (true, Op::Lte) if !text => Op::Gt,
        (true, op) => {
            // NOT of a text comparison: a value present that fails it.
            let inner = json_condition(at, text, op, value, false);
            return doc! { "$and": [single(at, "$ne", Bson::Null), { "$nor": [inner] }] };
        }
    };
    let items = match value {
        Value::List(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    if text {
        let text_field = Field::new(FieldType::Text);
        let spelled =
            |items: &[Value]| -> Value { Value::List(items.iter().flat_map(spellings).collect()) };
        return match op {
            Op::Eq => compare(at, &text_field, Op::In, &spelled(items)),
            Op::Neq => compare(at, &text_field, Op::Nin, &spelled(items)),
            Op::In | Op::Nin => compare(at, &text_field, op, &spelled(items)),
            op => compare(at, &text_field, op, value),
        };
    }
    let equal = |item: &Value| -> Document {
        match item {
            Value::Json(serde_json::Value::Null) => {
                single(at, "$type", Bson::String("null".into()))
            }
            Value::Json(json) => single(at, "$eq", json_to_bson(json)),
            _ => nothing(),
        }
    };
    match op {
        Op::Eq => equal(value),
        Op::In if items.is_empty() => nothing(),
        Op::In => doc! { "$or": items.iter().map(equal).collect::<Vec<_>>() },
        Op::Neq | Op::Nin if items.is_empty() => Document::new(),
        Op::Neq | Op::Nin => doc! { "$and": [
            single(at, "$exists", Bson::Boolean(true)),
            { "$nor": items.iter().map(equal).collect::<Vec<_>>() },
        ] },
        _ => {
            let Value::Json(json) = value else {
                return nothing();
            };
            let rank = usize::from(super::json::rank(json));
            let others: Vec<usize> = if matches!(op, Op::Gt | Op::Gte) {
                (rank + 1..RANK_TYPES.len()).collect()
            } else {
                (0..rank).collect()
            };
            let mut any: Vec<Document> = others
                .into_iter()
                .flat_map(|other| RANK_TYPES[other])
                .map(|name| single(at, "$type", Bson::String((*name).to_owned())))
                .collect();
            let within = match (json, op) {
                // Null is one value: `>= null` and `<= null` hold for it.
                (serde_json::Value::Null, Op::Gte | Op::Lte) => Some(equal(value)),
                (serde_json::Value::Null, _) => None,
                (_, Op::Gt) => Some(single(at, "$gt", json_to_bson(json))),
                (_, Op::Gte) => Some(single(at, "$gte", json_to_bson(json))),
                (_, Op::Lt) => Some(single(at, "$lt", json_to_bson(json))),
                _ => Some(single(at, "$lte", json_to_bson(json))),
            };
            any.extend(within);
            match any.len() {
                0 => nothing(),
                1 => any.remove(0),
                _ => doc! { "$or": any },
            }
        }
    }
}

/// The values whose `->>` text is `value`: the string, and the number or
/// boolean it spells exactly (`30`, `true`).
fn spellings(value: &Value) -> Vec<Value> {
    let Value::Text(text) = value else {
        return vec![value.clone()];
    };
    let mut out = vec![value.clone()];
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
        && (json.is_number() || json.is_boolean())
    {
        // Only the exact spelling: `30.0` is not the text of 30.
        let canonical: String = json.to_string();
        if canonical.as_str() == text.as_str() {
            out.push(json_to_value(&json));
        }
    }
    out
}

/// `{ path: { operator: operand } }`.
fn single(path: &str, operator: &str, operand: Bson) -> Document {
    let mut inner = Document::new();
    inner.insert(operator, operand);
    let mut outer = Document::new();
    outer.insert(path, inner);
    outer
}

fn compare(path: &str, field: &Field, op: Op, value: &Value) -> Document {
    let bson = |value: &Value| bson_value(field, value);
    let list = |value: &Value| -> Vec<Bson> {
        match value {
            Value::List(items) => items.iter().map(bson).collect(),
            other => vec![bson(other)],
        }
    };
    match op {
        Op::Eq => single(path, "$eq", bson(value)),
        // `$ne`/`$nin` alone match null and absent fields; SQL's `<>` and
        // `NOT IN` do not.
        Op::Neq => single(path, "$nin", Bson::Array(vec![bson(value), Bson::Null])),
        Op::Gt => single(path, "$gt", bson(value)),
        Op::Gte => single(path, "$gte", bson(value)),
        Op::Lt => single(path, "$lt", bson(value)),
        Op::Lte => single(path, "$lte", bson(value)),
        Op::In => {
            let items = list(value);
            if items.is_empty() {
                nothing()
            } else {
                single(path, "$in", Bson::Array(items))
            }
        }
        Op::Nin => {
            let mut items = list(value);
            if items.is_empty() {
                Document::new()
            } else {
                items.push(Bson::Null);
                single(path, "$nin", Bson::Array(items))
            }
        }
        Op::Is => single(
            path,
            "$eq",
            match value {
                Value::Bool(b) => Bson::Boolean(*b),
                _ => Bson::Null,
            },
        ),
        Op::Like | Op::Ilike | Op::Match | Op::Imatch => {
            let Value::Text(pattern) = value else {
                return nothing();
            };
            let (pattern, options) = match op {
                Op::Like => (like_regex(pattern), "s"),
                Op::Ilike => (like_regex(pattern), "is"),
                Op::Match => (pattern.clone(), ""),
                _ => (pattern.clone(), "i"),
            };
            single(
                path,
                "$regex",
                Bson::RegularExpression(bson::Regex {
                    pattern,
                    options: options.to_owned(),
                }),
            )
        }
        Op::Contains => match (field.ty, value) {
            (FieldType::Array, Value::List(_)) => single(path, "$all", Bson::Array(list(value))),
            (FieldType::Array, Value::Json(serde_json::Value::Array(items))) => {
                let item_field = field.items.as_deref().unwrap_or(field);
                let items = items
                    .iter()
                    .map(|item| bson_value(item_field, &json_to_value(item)))
                    .collect();
                single(path, "$all", Bson::Array(items))
            }
            (_, Value::Json(serde_json::Value::Array(items))) => single(
                path,
                "$all",
                Bson::Array(items.iter().map(json_to_bson).collect()),
            ),
            (_, Value::Json(serde_json::Value::Object(object))) => {
                let mut all = Vec::new();
                contains_object(path, object, &mut all);
                match all.len() {
                    // Every object contains `{}`; nothing else does.
                    0 => single(path, "$type", Bson::String("object".to_owned())),
                    1 => all.remove(0),
                    _ => doc! { "$and": all },
                }
            }
            (_, Value::Json(scalar)) => single(path, "$eq", json_to_bson(scalar)),
            (_, other) => single(path, "$eq", bson(other)),
        },
    }
}

/// `{a: {b: 1}, c: [2]}` contained in `path`: `path.a.b = 1`, `path.c ∋ 2`.
fn contains_object(
    path: &str,
    object: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<Document>,
) {
    for (key, value) in object {
        let here = format!("{path}.{key}");
        match value {
            serde_json::Value::Object(inner) if !inner.is_empty() => {
                contains_object(&here, inner, out);
            }
            serde_json::Value::Object(_) => {
                out.push(single(&here, "$type", Bson::String("object".to_owned())));
            }
            serde_json::Value::Array(items) => {
                let items = items.iter().map(json_to_bson).collect();
                out.push(single(&here, "$all", Bson::Array(items)));
            }
            scalar => out.push(single(&here, "$eq", json_to_bson(scalar))),
        }
    }
}

/// A LIKE pattern as a regular expression anchored at both ends: `%` →
/// `.*`, `_` → `.`, `\x` → literal `x` (a trailing `\` is itself), every
/// other character literal (escaped when special). The end anchor is
/// `\z`: `$` would also match before a final newline.
pub fn like_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push('^');
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '\\' => push_literal(&mut out, chars.next().unwrap_or('\\')),
            c => push_literal(&mut out, c),
        }
    }
    out.push_str("\\z");
    out
}

/// One character matched literally: ASCII punctuation is escaped (an
/// escaped punctuation character is literal in PCRE); letters, digits,
/// spaces and non-ASCII are not (an escaped letter can be a class).
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_anchored_escaped_regexes() {
        assert_eq!(like_regex("a%b_c"), "^a.*b.c\\z");
        assert_eq!(like_regex("50\\%.(x)"), "^50\\%\\.\\(x\\)\\z");
        assert_eq!(like_regex("$^[a]"), "^\\$\\^\\[a\\]\\z");
        assert_eq!(like_regex("a\\_\\\\b\\"), "^a\\_\\\\b\\\\\\z");
        assert_eq!(like_regex("é z9"), "^é z9\\z");
    }

    #[test]
    fn uuids_become_sixteen_bytes() {
        assert_eq!(
            uuid_bytes("0b9d7f3a-1c2e-4f5a-8b6c-7d8e9f0a1b2c").map(|bytes| bytes.len()),
            Some(16)
        );
        assert_eq!(uuid_bytes("not a uuid"), None);
        assert_eq!(uuid_bytes("0b9d7f3a-1c2e-4f5a-8b6c-7d8e9f0a1bzz"), None);
    }
}
