//! Realtime's row matcher (the SSE route is [`crate::serve::http::realtime`]).
//!
//! A [`Filter`] evaluated over one row in memory, with the semantics of the
//! SQL and BSON builders (docs/api.md, "Filters"): SQL's three-valued
//! logic, so a comparison with a null (or absent) field is unknown, `not`
//! of unknown is unknown, and only a row whose filter is true matches;
//! `is null|true|false` is never unknown; an empty `in` list matches
//! nothing and an empty `nin` list everything; `like` is case-sensitive and
//! `ilike` is not (`%`, `_` and `\` escapes); `contains` is containment as
//! PostgreSQL's `@>` has it (every item of the operand is in the array, an
//! object's keys and values are in the object).
//!
//! Relation paths ([`Filter::Exists`]) need the related rows, which a row
//! alone does not hold: they are [`Undecided`], and the caller decides
//! (realtime denies the row).

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::manifest::{Entity, Field, FieldType};
use crate::query::{Filter, Op, Term, Value};

/// The filter names a relation path, which cannot be decided from the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undecided;

/// Whether `row` (the wire form of one row of `entity`) matches `filter`.
pub fn matches(
    entity: &Entity,
    filter: &Filter,
    row: &serde_json::Map<String, Json>,
) -> Result<bool, Undecided> {
    Ok(truth(entity, filter, row)? == Some(true))
}

/// `Some(true|false)`, or `None` for SQL's unknown.
fn truth(
    entity: &Entity,
    filter: &Filter,
    row: &serde_json::Map<String, Json>,
) -> Result<Option<bool>, Undecided> {
    Ok(match filter {
        Filter::And(parts) => {
            let mut result = Some(true);
            for part in parts {
                match truth(entity, part, row)? {
                    Some(false) => return Ok(Some(false)),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        Filter::Or(parts) => {
            let mut result = Some(false);
            for part in parts {
                match truth(entity, part, row)? {
                    Some(true) => return Ok(Some(true)),
                    None => result = None,
                    Some(false) => {}
                }
            }
            result
        }
        Filter::Not(inner) => truth(entity, inner, row)?.map(|b| !b),
        Filter::Exists { .. } => return Err(Undecided),
        Filter::Compare { field, op, value } => compare(entity, field, *op, value, row),
        Filter::Relate { left, op, right } => relate(entity, left, *op, right, row),
        Filter::Json { path, op, value } => json_path(path, *op, value, row),
    })
}

/// A value inside a json field compared ([`Filter::Json`]): `->>` as text,
/// `->` in jsonb's order; a missing value is unknown except to `is`.
fn json_path(
    path: &crate::query::JsonPath,
    op: Op,
    operand: &Value,
    row: &serde_json::Map<String, Json>,
) -> Option<bool> {
    use crate::query::json;
    let value = json::read(path, row.get(&path.field));
    if op == Op::Is {
        return Some(value.is_none());
    }
    let items = match operand {
        Value::List(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    if op == Op::In && items.is_empty() {
        return Some(false);
    }
    if op == Op::Nin && items.is_empty() {
        return Some(true);
    }
    let value = value?;
    let ordering = |item: &Value| match item {
        Value::Json(item) => Some(json::order(&value, item)),
        Value::Text(item) => value.as_str().map(|text| text.cmp(item.as_str())),
        _ => None,
    };
    match op {
        Op::Eq => ordering(operand).map(Ordering::is_eq),
        Op::Neq => ordering(operand).map(Ordering::is_ne),
        Op::Gt => ordering(operand).map(Ordering::is_gt),
        Op::Gte => ordering(operand).map(Ordering::is_ge),
        Op::Lt => ordering(operand).map(Ordering::is_lt),
        Op::Lte => ordering(operand).map(Ordering::is_le),
        Op::In | Op::Nin => {
            let found = items
                .iter()
                .any(|item| ordering(item) == Some(Ordering::Equal));
            Some(found == (op == Op::In))
        }
        Op::Like | Op::Ilike | Op::Match | Op::Imatch => {
            let (Value::Text(pattern), Json::String(text)) = (operand, &value) else {
                return Some(false);
            };
            match op {
                Op::Like => Some(like(text, pattern)),
                Op::Ilike => Some(like(&text.to_lowercase(), &pattern.to_lowercase())),
                _ => crate::query::regex_of(pattern, op == Op::Imatch).map(|re| re.is_match(text)),
            }
        }
        Op::Contains | Op::Is => Some(false),
    }
}

/// Two fields of the row, or a length, compared: unknown when a side is
/// null or absent (or the two cannot be ordered), as in SQL.
fn relate(
    entity: &Entity,
    left: &Term,
    op: Op,
    right: &Term,
    row: &serde_json::Map<String, Json>,
) -> Option<bool> {
    if crate::query::check_relate(entity, left, op, right).is_err() {
        return Some(false);
    }
    let ordering = order(&side(entity, left, row)?, &side(entity, right, row)?)?;
    Some(match op {
        Op::Eq => ordering.is_eq(),
        Op::Neq => ordering.is_ne(),
        Op::Gt => ordering.is_gt(),
        Op::Gte => ordering.is_ge(),
        Op::Lt => ordering.is_lt(),
        _ => ordering.is_le(),
    })
}

/// One side of [`relate`]; `None` when null or absent. A length counts
/// the characters of a string field, the items of an array or json array.
fn side(entity: &Entity, term: &Term, row: &serde_json::Map<String, Json>) -> Option<Value> {
    let count = |n: usize| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match term {
        Term::Field(name) => {
            let (field, json) = lookup(entity, name, row);
            json.filter(|json| !json.is_null())
                .map(|json| typed(field, json))
        }
        Term::Length(name) => {
            let text = entity
                .fields
                .get(name)
                .is_some_and(|field| matches!(field.ty, FieldType::String | FieldType::Text));
            match (text, row.get(name)?) {
                (true, Json::String(value)) => Some(count(value.chars().count())),
                (false, Json::Array(items)) => Some(count(items.len())),
                _ => None,
            }
        }
        Term::Value(value) => Some(value.clone()),
    }
}

/// The row's value at `name`: a field, or a dotted path into an object
/// field; `None` when absent.
fn lookup<'a>(
    entity: &'a Entity,
    name: &str,
    row: &'a serde_json::Map<String, Json>,
) -> (Option<&'a Field>, Option<&'a Json>) {
    if let Some(field) = entity.fields.get(name) {
        return (Some(field), row.get(name));
    }
    let mut steps = name.split('.');
    let Some(first) = steps.next() else {
        return (None, None);
    };
    let mut value = row.get(first);
    for step in steps {
        value = value.and_then(|v| v.get(step));
    }
    (None, value)
}

/// The row's JSON typed as the filter's values are.
fn typed(field: Option<&Field>, json: &Json) -> Value {
    if let Some(field) = field
        && let Ok(value) = crate::query::value_from_json(field, json)
    {
        return value;
    }
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_f64().map(Value::Float))
            .unwrap_or(Value::Json(json.clone())),
        Json::String(text) => Value::Text(text.clone()),
        other => Value::Json(other.clone()),
    }
}

fn compare(
    entity: &Entity,
    name: &str,
    op: Op,
    operand: &Value,
    row: &serde_json::Map<String, Json>,
) -> Option<bool> {
    let (field, json) = lookup(entity, name, row);
    let json = json.unwrap_or(&Json::Null);
    if op == Op::Is {
        return Some(match operand {
            Value::Null => json.is_null(),
            Value::Bool(b) => json.as_bool() == Some(*b),
            _ => false,
        });
    }
    if json.is_null() {
        // SQL: a comparison with NULL is unknown (an empty `nin` list is
        // rendered as TRUE and `in` as FALSE whatever the column holds).
        return match (op, operand) {
            (Op::In, Value::List(items)) if items.is_empty() => Some(false),
            (Op::Nin, Value::List(items)) if items.is_empty() => Some(true),
            _ => None,
        };
    }
    let value = typed(field, json);
    match op {
        Op::Eq => order(&value, operand).map(Ordering::is_eq),
        Op::Neq => order(&value, operand).map(Ordering::is_ne),
        Op::Gt => order(&value, operand).map(Ordering::is_gt),
        Op::Gte => order(&value, operand).map(Ordering::is_ge),
        Op::Lt => order(&value, operand).map(Ordering::is_lt),
        Op::Lte => order(&value, operand).map(Ordering::is_le),
        Op::In | Op::Nin => {
            let items = match operand {
                Value::List(items) => items.as_slice(),
                other => std::slice::from_ref(other),
            };
            let mut found = Some(false);
            for item in items {
                match order(&value, item) {
                    Some(Ordering::Equal) => {
                        found = Some(true);
                        break;
                    }
                    Some(_) => {}
                    // `x IN (…, NULL)`: unknown unless found.
                    None => found = None,
                }
            }
            if op == Op::In {
                found
            } else {
                found.map(|b| !b)
            }
        }
        Op::Like | Op::Ilike => {
            let Value::Text(pattern) = operand else {
                return Some(false);
            };
            let text = match json {
                Json::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some(if op == Op::Like {
                like(&text, pattern)
            } else {
                like(&text.to_lowercase(), &pattern.to_lowercase())
            })
        }
        Op::Contains => Some(contains(json, &wire(operand))),
        Op::Match | Op::Imatch => {
            let (Value::Text(pattern), Json::String(text)) = (operand, json) else {
                return Some(false);
            };
            crate::query::regex_of(pattern, op == Op::Imatch).map(|re| re.is_match(text))
        }
        Op::Is => None,
    }
}

/// The order of two typed values, `None` when they cannot be compared
/// (a null, different kinds).
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    use Value as V;
    match (a, b) {
        (V::Null, _) | (_, V::Null) => None,
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => float(a)?.partial_cmp(&float(b)?),
        (V::Decimal(_) | V::Int(_), V::Decimal(_) | V::Int(_)) => {
            Some(decimal_order(&decimal_text(a)?, &decimal_text(b)?))
        }
        (V::Decimal(_) | V::Float(_), V::Decimal(_) | V::Float(_)) => {
            float(a)?.partial_cmp(&float(b)?)
        }
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
        (V::Bytes(x), V::Bytes(y)) => Some(x.cmp(y)),
        (V::Json(x), V::Json(y)) => (x == y).then_some(Ordering::Equal).or(Some(Ordering::Less)),
        (V::List(_), _) | (_, V::List(_)) | (V::Json(_), _) | (_, V::Json(_)) => {
            let (x, y) = (wire(a), wire(b));
            Some(if x == y {
                Ordering::Equal
            } else {
                Ordering::Less
            })
        }
        _ => None,
    }
}

fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Decimal(text) => text.parse().ok(),
        _ => None,
    }
}

fn decimal_text(value: &Value) -> Option<String> {
    match value {
        Value::Int(i) => Some(i.to_string()),
        Value::Decimal(text) => Some(text.clone()),
        _ => None,
    }
}

/// Two plain decimal texts (`-12.50`), compared exactly.
fn decimal_order(a: &str, b: &str) -> Ordering {
    let parts = |text: &str| {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole = whole.trim_start_matches('0').to_owned();
        let fraction = fraction.trim_end_matches('0').to_owned();
        let zero = whole.is_empty() && fraction.is_empty();
        (negative && !zero, whole, fraction)
    };
    let (an, aw, af) = parts(a);
    let (bn, bw, bf) = parts(b);
    let magnitude = aw
        .len()
        .cmp(&bw.len())
        .then_with(|| aw.cmp(&bw))
        .then_with(|| af.cmp(&bf));
    match (an, bn) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// A typed value as JSON (its wire form).
fn wire(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => Json::from(*f),
        Value::Decimal(text) | Value::Text(text) => Json::String(text.clone()),
        Value::Bytes(bytes) => {
            use base64::Engine as _;
            Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        Value::Json(json) => json.clone(),
        Value::List(items) => Json::Array(items.iter().map(wire).collect()),
    }
}

/// PostgreSQL's `@>`: `container` holds everything of `contained`.
fn contains(container: &Json, contained: &Json) -> bool {
    match (container, contained) {
        (Json::Array(items), Json::Array(wanted)) => wanted
            .iter()
            .all(|w| items.iter().any(|item| contains(item, w))),
        // A scalar operand against an array: one of its items.
        (Json::Array(items), scalar) if !scalar.is_object() => {
            items.iter().any(|item| contains(item, scalar))
        }
        (Json::Object(map), Json::Object(wanted)) => wanted
            .iter()
            .all(|(key, w)| map.get(key).is_some_and(|v| contains(v, w))),
        (Json::Number(x), Json::Number(y)) => {
            x == y || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (a, b) => a == b,
    }
}

/// A LIKE pattern: `%` any run, `_` one character, `\` escapes the next.
pub fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Any,
        One,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut p) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::Any) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MANIFEST: &str = r#"
[manifest]
format = 1
version = 1

[entities.book]
table = "book"
primary_key = ["id"]
[entities.book.fields]
id = { type = "int64" }
title = { type = "string" }
price = { type = "decimal", precision = 8, scale = 2 }
rating = { type = "float64", nullable = true }
tags = { type = "json", nullable = true }
in_print = { type = "bool", nullable = true }
"#;

    fn manifest() -> crate::manifest::Manifest {
        crate::manifest::load_str(std::path::Path::new("baas.toml"), MANIFEST.to_owned())
            .unwrap()
            .manifest
    }

    fn entity() -> Entity {
        manifest().entities["book"].clone()
    }

    fn filter(json: Json) -> Filter {
        crate::query::parse_filter_json(&manifest(), "book", &json).unwrap()
    }

    fn row(json: Json) -> serde_json::Map<String, Json> {
        json.as_object().unwrap().clone()
    }

    #[test]
    fn comparisons_follow_sql_semantics_including_null() {
        let book = entity();
        let r = row(json!({
            "id": 1, "title": "Dune", "price": "12.50", "rating": null,
            "tags": ["a", "b"], "in_print": true
        }));
        let cases = [
            (json!({"price": {"gt": 10}}), true),
            (json!({"price": {"gt": "12.5"}}), false),
            (json!({"price": {"gte": "12.5"}}), true),
            (json!({"price": {"lt": "9.99"}}), false),
            (json!({"title": "Dune"}), true),
            (json!({"title": {"like": "D%"}}), true),
            (json!({"title": {"like": "d%"}}), false),
            (json!({"title": {"ilike": "d%"}}), true),
            (json!({"title": {"in": ["Emma", "Dune"]}}), true),
            (json!({"title": {"nin": ["Emma", "Dune"]}}), false),
            (json!({"id": {"in": []}}), false),
            (json!({"rating": {"nin": []}}), true),
            // A null field: neither equal nor unequal, nor its negation.
            (json!({"rating": {"neq": 3}}), false),
            (json!({"not": {"rating": {"eq": 3}}}), false),
            (json!({"rating": {"is": null}}), true),
            (json!({"in_print": {"is": true}}), true),
            (json!({"or": [{"rating": {"gt": 1}}, {"id": 1}]}), true),
            (json!({"and": [{"rating": {"gt": 1}}, {"id": 1}]}), false),
            (json!({"tags": {"contains": ["b"]}}), true),
            (json!({"tags": {"contains": ["c"]}}), false),
        ];
        for (json, expected) in cases {
            let f = filter(json.clone());
            assert_eq!(matches(&book, &f, &r), Ok(expected), "{json}");
        }
    }

    #[test]
    fn relation_paths_are_undecided_and_decimals_compare_exactly() {
        let book = entity();
        let exists = Filter::Exists {
            entity: "author".into(),
            from_fields: vec!["id".into()],
            to_fields: vec!["id".into()],
            filter: Box::new(Filter::And(Vec::new())),
        };
        assert_eq!(
            matches(&book, &exists, &row(json!({"id": 1}))),
            Err(Undecided)
        );
        assert_eq!(decimal_order("10.10", "10.1"), Ordering::Equal);
        assert_eq!(decimal_order("-0.5", "0"), Ordering::Less);
        assert_eq!(decimal_order("100", "99.99"), Ordering::Greater);
        assert_eq!(decimal_order("-2", "-10"), Ordering::Greater);
        assert!(like("a_b%", "a\\_b\\%"));
        assert!(!like("axb%", "a\\_b\\%"));
        assert!(like("anything", "%"));
    }
}
