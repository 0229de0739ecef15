//! JSON paths (`data->address->>city`, `data->tags->0`): parsing one
//! against the manifest, and reading one out of a JSON value in memory
//! (the `select` of both HTTP profiles and the realtime matcher). The SQL
//! and BSON builders compile the same [`JsonPath`] for their engines.
//!
//! The order of `->` values is PostgreSQL's jsonb order ([`order`]):
//! within a JSON type numbers by value, strings by code point, false
//! before true; across types null < string < number < boolean < array <
//! object.

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::manifest::{Entity, Field, FieldType};

use super::{JsonPath, MAX_PATH_STEPS, QueryError, Step};

fn error(at: &str, message: String) -> QueryError {
    QueryError {
        at: at.to_owned(),
        message,
    }
}

/// Whether `text` is written as a JSON path (it holds an arrow).
pub fn is_path(text: &str) -> bool {
    text.contains("->")
}

/// `field->key->0->>key` over `entity`: `None` when `text` holds no
/// arrow. A step is a key, or an item index when it is written as digits
/// only (`->0`); a key in double quotes may hold anything (`->"a->b"`,
/// `\"` and `\\` escape). `->>` may only come last. The field must be a
/// json (or object) field of the entity: anything else is an error naming
/// it, reported at `at`.
pub fn parse_path<'e>(
    entity: &'e Entity,
    text: &str,
    at: &str,
) -> Result<Option<(JsonPath, &'e Field)>, QueryError> {
    let Some(arrow) = text.find("->") else {
        return Ok(None);
    };
    let name = &text[..arrow];
    let Some(field) = entity.fields.get(name) else {
        return Err(error(
            at,
            format!(
                "unknown field `{name}` in the JSON path `{text}`{}",
                super::did_you_mean(entity, name)
            ),
        ));
    };
    let (steps, as_text) = parse_steps(&text[arrow..])
        .map_err(|why| error(at, format!("the JSON path `{text}` {why}")))?;
    let path = JsonPath {
        field: name.to_owned(),
        steps,
        text: as_text,
    };
    check_field(name, field, &path).map_err(|why| error(at, why))?;
    Ok(Some((path, field)))
}

/// The steps of `->key->0->>key` (the part of a path after its field)
/// and whether the last arrow is `->>`; the error says what is wrong.
pub fn parse_steps(mut rest: &str) -> Result<(Vec<Step>, bool), String> {
    let mut steps = Vec::new();
    let mut as_text = false;
    while !rest.is_empty() {
        if as_text {
            return Err("has a step after `->>`, which must come last".to_owned());
        }
        rest = if let Some(after) = rest.strip_prefix("->>") {
            as_text = true;
            after
        } else if let Some(after) = rest.strip_prefix("->") {
            after
        } else {
            return Err("lacks a `->` between steps".to_owned());
        };
        let (step, after) = step(rest)?;
        steps.push(step);
        rest = after;
        if steps.len() > MAX_PATH_STEPS {
            return Err(format!("has more than {MAX_PATH_STEPS} steps"));
        }
    }
    if steps.is_empty() {
        return Err("has no step".to_owned());
    }
    Ok((steps, as_text))
}

/// Whether `field` can be read by a JSON path (a json or object field);
/// the error names it.
pub fn check_field(name: &str, field: &Field, path: &JsonPath) -> Result<(), String> {
    if matches!(field.ty, FieldType::Json | FieldType::Object) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is {}, not json: a path (`{path}`) reads into json fields only",
            field.type_label()
        ))
    }
}

/// One step at the start of `text` and what follows it.
fn step(text: &str) -> Result<(Step, &str), String> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut key = String::new();
        let mut chars = quoted.char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, next)) => key.push(next),
                    None => break,
                },
                '"' => {
                    let after = &quoted[index + 1..];
                    if !after.is_empty() && !after.starts_with("->") {
                        return Err(format!("has text after the quoted key `{key}`"));
                    }
                    return checked_key(key).map(|key| (Step::Key(key), after));
                }
                c => key.push(c),
            }
        }
        return Err("has an unterminated `\"`".to_owned());
    }
    let end = text.find("->").unwrap_or(text.len());
    let written = &text[..end];
    if written.is_empty() {
        return Err("has an empty step".to_owned());
    }
    let step = match written.parse::<u32>() {
        // Indexes fit PostgreSQL's `jsonb -> integer`.
        Ok(index) if index <= i32::MAX as u32 && written.bytes().all(|b| b.is_ascii_digit()) => {
            Step::Index(index)
        }
        _ => Step::Key(checked_key(written.to_owned())?),
    };
    Ok((step, &text[end..]))
}

fn checked_key(key: String) -> Result<String, String> {
    if key.contains('\0') {
        return Err("has a key holding a NUL character".to_owned());
    }
    Ok(key)
}

/// The name a path is returned under in `select` without an alias: its
/// last key (or index), as PostgREST names it.
pub fn output_name(path: &JsonPath) -> String {
    match path.steps.last() {
        Some(Step::Key(key)) => key.clone(),
        Some(Step::Index(index)) => index.to_string(),
        None => path.field.clone(),
    }
}

/// The value at `steps` below `json`; `None` when a key or an item is
/// missing (or a step meets a value of another kind).
pub fn at<'j>(json: &'j Json, steps: &[Step]) -> Option<&'j Json> {
    let mut value = json;
    for step in steps {
        value = match (step, value) {
            (Step::Key(key), Json::Object(members)) => members.get(key)?,
            (Step::Index(index), Json::Array(items)) => items.get(*index as usize)?,
            _ => return None,
        };
    }
    Some(value)
}

/// What `path` reads from the field's value `json` (`None`: SQL's null):
/// with `->` the JSON value, with `->>` its text (see [`text`]).
pub fn read(path: &JsonPath, json: Option<&Json>) -> Option<Json> {
    let value = at(json?, &path.steps)?;
    if path.text {
        text(value).map(Json::String)
    } else {
        Some(value.clone())
    }
}

/// `->>`: a string unquoted, JSON null as null, any other value as its
/// JSON text (`30`, `true`, `{"a":1}`).
pub fn text(json: &Json) -> Option<String> {
    match json {
        Json::Null => None,
        Json::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// The place of a JSON type in jsonb's order: null 0, string 1, number 2,
/// boolean 3, array 4, object 5.
pub fn rank(json: &Json) -> u8 {
    match json {
        Json::Null => 0,
        Json::String(_) => 1,
        Json::Number(_) => 2,
        Json::Bool(_) => 3,
        Json::Array(_) => 4,
        Json::Object(_) => 5,
    }
}

/// PostgreSQL's jsonb order of two JSON values (see the module docs).
pub fn order(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x
                .as_f64()
                .zip(y.as_f64())
                .and_then(|(x, y)| x.partial_cmp(&y))
                .unwrap_or(Ordering::Equal),
        },
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        (Json::Array(x), Json::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|(x, y)| order(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (Json::Object(x), Json::Object(y)) => {
            if x == y {
                Ordering::Equal
            } else {
                x.len().cmp(&y.len()).then(Ordering::Less)
            }
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity() -> Entity {
        let mut entity = Entity::new("doc");
        entity
            .fields
            .insert("id".into(), Field::new(FieldType::Int64));
        entity
            .fields
            .insert("data".into(), Field::new(FieldType::Json));
        entity
    }

    #[test]
    fn parses_keys_indexes_quotes_and_the_text_arrow() {
        let entity = entity();
        let (path, _) = parse_path(&entity, "data->address->>city", "x")
            .unwrap()
            .unwrap();
        assert_eq!(
            path.steps,
            [Step::Key("address".into()), Step::Key("city".into())]
        );
        assert!(path.text);
        assert_eq!(path.to_string(), "data->address->>city");
        let (path, _) = parse_path(&entity, r#"data->tags->0->"a->b\"c""#, "x")
            .unwrap()
            .unwrap();
        assert_eq!(
            path.steps,
            [
                Step::Key("tags".into()),
                Step::Index(0),
                Step::Key("a->b\"c".into())
            ]
        );
        assert!(!path.text);
        assert_eq!(output_name(&path), "a->b\"c");
        assert!(parse_path(&entity, "data", "x").unwrap().is_none());
        for bad in [
            "id->a",
            "nope->a",
            "data->",
            "data->>a->b",
            "data->\"a",
            "data->\"a\"b",
            "data->a\0",
        ] {
            assert!(parse_path(&entity, bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_and_orders_as_jsonb() {
        let value = json!({"a": {"b": [10, "x", null]}});
        let steps = [Step::Key("a".into()), Step::Key("b".into()), Step::Index(1)];
        assert_eq!(at(&value, &steps), Some(&json!("x")));
        assert_eq!(at(&value, &[Step::Index(0)]), None);
        assert_eq!(text(&json!(30)), Some("30".into()));
        assert_eq!(text(&json!(null)), None);
        assert!(order(&json!(4), &json!(30)).is_lt());
        assert!(order(&json!(1), &json!(1.0)).is_eq());
        assert!(order(&json!("zz"), &json!(1)).is_lt());
        assert!(order(&json!(true), &json!(1000)).is_gt());
        assert!(order(&json!(null), &json!("")).is_lt());
    }
}
