//! The query AST as MongoDB documents: a filter, a sort and a projection,
//! with values as BSON by field type ([`bson_value`]).
//!
//! Field paths: the first segment is the field's stored name
//! ([`Field::column_name`]), further segments go into `object` fields
//! (`address.city`). `like`/`ilike` become anchored `$regex` matches with
//! the pattern's text escaped (`%` → `.*`, `_` → `.`, `\%`/`\_` literal);
//! `is null` matches null and absent keys; `contains` on an array is
//! `$all`. `in` with no values matches nothing, `nin` with none everything.

use mongodb::bson::{self, Bson, Document, doc};

use crate::manifest::{Entity, Field, FieldType, Manifest};

use super::{Filter, Op, OrderBy, Value};

/// The `find` filter for `filter` over `entity`'s fields.
pub fn filter_document(manifest: &Manifest, entity_name: &str, filter: &Filter) -> Document {
    match manifest.entities.get(entity_name) {
        Some(entity) => filter_of(entity, filter),
        None => nothing(),
    }
}

/// The `sort` document: the requested order, then the primary key
/// ascending so that pages are stable.
pub fn sort_document(manifest: &Manifest, entity_name: &str, order: &[OrderBy]) -> Document {
    let mut sort = Document::new();
    let Some(entity) = manifest.entities.get(entity_name) else {
        return sort;
    };
    for item in order {
        sort.insert(
            stored_path(entity, &item.field),
            if item.descending { -1 } else { 1 },
        );
    }
    for key in &entity.primary_key {
        let path = stored_path(entity, key);
        if !sort.contains_key(&path) {
            sort.insert(path, 1);
        }
    }
    sort
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

/// A typed value as BSON for `field`: object ids as ObjectId, decimals as
/// Decimal128, timestamps as BSON dates (a timestamp without a zone is
/// read as UTC), int16/int32 as Int32, bytes as generic binary, JSON as
/// its BSON form; dates, times, uuids and other text as strings. Text
/// that does not parse as the BSON type is kept as a string.
pub fn bson_value(field: &Field, value: &Value) -> Bson {
    match (field.ty, value) {
        (_, Value::Null) => Bson::Null,
        (_, Value::Bool(b)) => Bson::Boolean(*b),
        (FieldType::Int16 | FieldType::Int32, Value::Int(int)) => match i32::try_from(*int) {
            Ok(int) => Bson::Int32(int),
            Err(_) => Bson::Int64(*int),
        },
        (_, Value::Int(int)) => Bson::Int64(*int),
        (_, Value::Float(float)) => Bson::Double(*float),
        (_, Value::Decimal(text)) => text
            .parse::<bson::Decimal128>()
            .map_or_else(|_| Bson::String(text.clone()), Bson::Decimal128),
        (FieldType::ObjectId, Value::Text(text)) => bson::oid::ObjectId::parse_str(text)
            .map_or_else(|_| Bson::String(text.clone()), Bson::ObjectId),
        (FieldType::Timestamptz | FieldType::Timestamp, Value::Text(text)) => {
            let rfc3339 = if field.ty == FieldType::Timestamp && text.len() > 10 {
                format!("{text}Z")
            } else if text.len() == 10 {
                format!("{text}T00:00:00Z")
            } else {
                text.clone()
            };
            bson::DateTime::parse_rfc3339_str(rfc3339)
                .map_or_else(|_| Bson::String(text.clone()), Bson::DateTime)
        }
        (_, Value::Text(text)) => Bson::String(text.clone()),
        (_, Value::Bytes(bytes)) => Bson::Binary(bson::Binary {
            subtype: bson::spec::BinarySubtype::Generic,
            bytes: bytes.clone(),
        }),
        (_, Value::Json(json)) => Bson::try_from(json.clone()).unwrap_or(Bson::Null),
        (_, Value::List(items)) => {
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

/// A filter that matches no document.
fn nothing() -> Document {
    doc! { "_id": { "$in": [] } }
}

/// `name` (or `object.path`) with the first segment's stored name.
fn stored_path(entity: &Entity, path: &str) -> String {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) if !entity.fields.contains_key(path) => (head, Some(rest)),
        _ => (path, None),
    };
    let stored = entity
        .fields
        .get(head)
        .map_or(head, |field| field.column_name(head));
    match rest {
        Some(rest) => format!("{stored}.{rest}"),
        None => stored.to_owned(),
    }
}

fn filter_of(entity: &Entity, filter: &Filter) -> Document {
    match filter {
        Filter::And(filters) if filters.is_empty() => Document::new(),
        Filter::Or(filters) if filters.is_empty() => nothing(),
        Filter::And(filters) => {
            doc! { "$and": filters.iter().map(|f| filter_of(entity, f)).collect::<Vec<_>>() }
        }
        Filter::Or(filters) => {
            doc! { "$or": filters.iter().map(|f| filter_of(entity, f)).collect::<Vec<_>>() }
        }
        Filter::Not(inner) => doc! { "$nor": [filter_of(entity, inner)] },
        Filter::Compare { field, op, value } => {
            let Some(definition) = entity.field_at_path(field) else {
                return nothing();
            };
            compare(&stored_path(entity, field), definition, *op, value)
        }
    }
}

fn compare(path: &str, field: &Field, op: Op, value: &Value) -> Document {
    let bson = |value: &Value| bson_value(field, value);
    let operator = |name: &str, operand: Bson| {
        let mut inner = Document::new();
        inner.insert(name, operand);
        let mut outer = Document::new();
        outer.insert(path, inner);
        outer
    };
    match op {
        Op::Eq => operator("$eq", bson(value)),
        Op::Neq => operator("$ne", bson(value)),
        Op::Gt => operator("$gt", bson(value)),
        Op::Gte => operator("$gte", bson(value)),
        Op::Lt => operator("$lt", bson(value)),
        Op::Lte => operator("$lte", bson(value)),
        Op::In | Op::Nin => {
            let items = match value {
                Value::List(items) => items.iter().map(bson).collect(),
                other => vec![bson(other)],
            };
            match (op, items.is_empty()) {
                (Op::In, true) => nothing(),
                (_, true) => Document::new(),
                (Op::In, false) => operator("$in", Bson::Array(items)),
                (_, false) => operator("$nin", Bson::Array(items)),
            }
        }
        Op::Is => operator(
            "$eq",
            match value {
                Value::Bool(b) => Bson::Boolean(*b),
                _ => Bson::Null,
            },
        ),
        Op::Like | Op::Ilike => {
            let Value::Text(pattern) = value else {
                return nothing();
            };
            let options = if op == Op::Ilike { "is" } else { "s" };
            operator(
                "$regex",
                Bson::RegularExpression(bson::Regex {
                    pattern: like_regex(pattern),
                    options: options.to_owned(),
                }),
            )
        }
        Op::Contains => match (field.ty, value) {
            (FieldType::Array, Value::List(items)) => operator(
                "$all",
                Bson::Array(
                    items
                        .iter()
                        .map(|item| bson_value(field.items.as_deref().unwrap_or(field), item))
                        .collect(),
                ),
            ),
            (_, Value::Json(serde_json::Value::Array(items))) => operator(
                "$all",
                Bson::Array(
                    items
                        .iter()
                        .map(|item| Bson::try_from(item.clone()).unwrap_or(Bson::Null))
                        .collect(),
                ),
            ),
            (_, Value::Json(serde_json::Value::Object(object))) => {
                let mut all = Vec::new();
                contains_object(path, object, &mut all);
                match all.len() {
                    0 => Document::new(),
                    _ => doc! { "$and": all },
                }
            }
            (_, other) => operator("$eq", bson(other)),
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
            serde_json::Value::Object(inner) => contains_object(&here, inner, out),
            serde_json::Value::Array(items) => {
                let items: Vec<Bson> = items
                    .iter()
                    .map(|item| Bson::try_from(item.clone()).unwrap_or(Bson::Null))
                    .collect();
                let mut document = Document::new();
                document.insert(here, doc! { "$all": items });
                out.push(document);
            }
            scalar => {
                let mut document = Document::new();
                document.insert(
                    here,
                    doc! { "$eq": Bson::try_from(scalar.clone()).unwrap_or(Bson::Null) },
                );
                out.push(document);
            }
        }
    }
}

/// A LIKE pattern as an anchored regular expression: `%` → `.*`, `_` →
/// `.`, `\x` → literal `x`, every other character escaped when special.
pub fn like_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push('^');
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '\\' => {
                if let Some(next) = chars.next() {
                    push_literal(&mut out, next);
                } else {
                    push_literal(&mut out, '\\');
                }
            }
            c => push_literal(&mut out, c),
        }
    }
    out.push('$');
    out
}

fn push_literal(out: &mut String, c: char) {
    if matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '-'
            | '/'
    ) {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_anchored_escaped_regexes() {
        assert_eq!(like_regex("a%b_c"), "^a.*b.c$");
        assert_eq!(like_regex("50\\%.(x)"), "^50%\\.\\(x\\)$");
        assert_eq!(like_regex("$^[a]"), "^\\$\\^\\[a\\]$");
    }
}
