//! Typing of client values by the field they are compared with or stored
//! in (docs/api.md, "Wire values"): JSON from bodies and `where`, text from
//! the query-string shorthand and the `{id}` path segment.
//!
//! Checked here: the JSON shape, integer ranges (int16/32/64), float
//! finiteness, exact decimal text, the shape of dates, times, timestamps,
//! uuids and object ids, base64 for bytes, and array items. Not checked
//! here: enum membership (needs the manifest: [`check_enum`]),
//! `max_length`, decimal precision/scale and nullability (body validation,
//! [`super::validate`]).

use base64::Engine as _;

use crate::manifest::{Field, FieldType, Manifest};

use super::Value;

/// A value that does not fit its field: a validation code (`type`,
/// `range`, `enum`) and a message naming what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub code: &'static str,
    pub message: String,
}

impl Misfit {
    fn ty(message: impl Into<String>) -> Self {
        Self {
            code: "type",
            message: message.into(),
        }
    }

    fn range(message: impl Into<String>) -> Self {
        Self {
            code: "range",
            message: message.into(),
        }
    }
}

/// A JSON value typed by `field`. `null` is [`Value::Null`] for every type
/// (nullability is the caller's business). Enum values are checked to be
/// strings, not members: see [`check_enum`].
pub fn value_from_json(field: &Field, json: &serde_json::Value) -> Result<Value, String> {
    typed_json(field, json).map_err(|misfit| misfit.message)
}

/// A text value (query-string shorthand, `{id}` segment) typed by `field`.
/// The text `null` is not special here: the shorthand spells null `is.null`.
pub fn value_from_text(field: &Field, text: &str) -> Result<Value, String> {
    typed_text(field, text).map_err(|misfit| misfit.message)
}

/// Checks that an enum field's value (or each item of a list of them) is one
/// of the enum's values; other fields and unknown enums pass.
pub fn check_enum(manifest: &Manifest, field: &Field, value: &Value) -> Result<(), String> {
    enum_misfit(manifest, field, value).map_err(|misfit| misfit.message)
}

pub(crate) fn enum_misfit(manifest: &Manifest, field: &Field, value: &Value) -> Result<(), Misfit> {
    let field = match (field.ty, &field.items) {
        (FieldType::Array, Some(items)) => items.as_ref(),
        _ => field,
    };
    if field.ty != FieldType::Enum {
        return Ok(());
    }
    let Some(values) = field
        .enum_name
        .as_ref()
        .and_then(|name| manifest.enums.get(name))
        .map(|e| &e.values)
    else {
        return Ok(());
    };
    let check = |value: &Value| match value {
        Value::Text(text) if !values.iter().any(|v| v == text) => Err(Misfit {
            code: "enum",
            message: format!("must be one of {}", values.join(", ")),
        }),
        _ => Ok(()),
    };
    match value {
        Value::List(items) => items.iter().try_for_each(check),
        value => check(value),
    }
}

pub(crate) fn typed_json(field: &Field, json: &serde_json::Value) -> Result<Value, Misfit> {
    use serde_json::Value as J;
    if json.is_null() {
        return Ok(Value::Null);
    }
    let ty = field.ty;
    match ty {
        FieldType::Bool => json
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| Misfit::ty("must be a boolean")),
        FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => match json {
            J::Number(number) => match number.as_i64() {
                Some(int) => integer_in_range(ty, int),
                None if number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                    Err(out_of_range(ty))
                }
                None => Err(Misfit::ty("must be an integer")),
            },
            _ => Err(Misfit::ty("must be an integer")),
        },
        FieldType::Float32 | FieldType::Float64 => match json.as_f64() {
            Some(float) => float_in_range(ty, float),
            None => Err(Misfit::ty("must be a number")),
        },
        FieldType::Decimal => match json {
            J::String(text) => decimal(text),
            J::Number(number) => decimal(&number.to_string()),
            _ => Err(Misfit::ty(
                "must be a decimal number or its text (\"4.99\")",
            )),
        },
        FieldType::Json => Ok(Value::Json(json.clone())),
        FieldType::Object => match json {
            J::Object(_) => Ok(Value::Json(json.clone())),
            _ => Err(Misfit::ty("must be an object")),
        },
        FieldType::Array => {
            let J::Array(items) = json else {
                return Err(Misfit::ty("must be an array"));
            };
            let Some(item_field) = field.items.as_deref() else {
                return Ok(Value::Json(json.clone()));
            };
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    typed_json(item_field, item).map_err(|misfit| Misfit {
                        code: misfit.code,
                        message: format!("item {index} {}", misfit.message),
                    })
                })
                .collect::<Result<_, _>>()
                .map(Value::List)
        }
        _ => match json {
            J::String(text) => typed_text(field, text),
            _ => Err(Misfit::ty(format!("must be a string ({})", text_shape(ty)))),
        },
    }
}

pub(crate) fn typed_text(field: &Field, text: &str) -> Result<Value, Misfit> {
    let ty = field.ty;
    match ty {
        FieldType::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Misfit::ty("must be `true` or `false`")),
        },
        FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Misfit::ty("must be an integer"));
            }
            match text.parse::<i64>() {
                Ok(int) => integer_in_range(ty, int),
                Err(_) => Err(out_of_range(ty)),
            }
        }
        FieldType::Float32 | FieldType::Float64 => match text.parse::<f64>() {
            Ok(float) if text.bytes().any(|b| b.is_ascii_digit()) => float_in_range(ty, float),
            _ => Err(Misfit::ty("must be a number")),
        },
        FieldType::Decimal => decimal(text),
        FieldType::Uuid => shaped(is_uuid(text), ty, text),
        FieldType::ObjectId => shaped(
            text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()),
            ty,
            text,
        ),
        FieldType::Date => shaped(is_date(text), ty, text),
        FieldType::Time => shaped(is_time(text), ty, text),
        FieldType::Timestamp => shaped(is_timestamp(text, false), ty, text),
        FieldType::Timestamptz => shaped(is_timestamp(text, true), ty, text),
        FieldType::Bytes => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Value::Bytes)
            .map_err(|_| Misfit::ty("must be base64 text (standard alphabet, padded)")),
        FieldType::Json | FieldType::Object | FieldType::Array => {
            let json: serde_json::Value = serde_json::from_str(text).map_err(|_| {
                Misfit::ty(match ty {
                    FieldType::Json => "must be JSON text",
                    FieldType::Object => "must be a JSON object",
                    _ => "must be a JSON array",
                })
            })?;
            typed_json(field, &json)
        }
        FieldType::String
        | FieldType::Text
        | FieldType::Enum
        | FieldType::Interval
        | FieldType::Native => Ok(Value::Text(text.to_owned())),
    }
}

fn integer_in_range(ty: FieldType, int: i64) -> Result<Value, Misfit> {
    let fits = match ty {
        FieldType::Int16 => i16::try_from(int).is_ok(),
        FieldType::Int32 => i32::try_from(int).is_ok(),
        _ => true,
    };
    if fits {
        Ok(Value::Int(int))
    } else {
        Err(out_of_range(ty))
    }
}

fn out_of_range(ty: FieldType) -> Misfit {
    let (low, high) = match ty {
        FieldType::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        FieldType::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    Misfit::range(format!("must be an integer from {low} to {high}"))
}

fn float_in_range(ty: FieldType, float: f64) -> Result<Value, Misfit> {
    if !float.is_finite() || (ty == FieldType::Float32 && float.abs() > f64::from(f32::MAX)) {
        return Err(Misfit::range(format!("is out of range for {ty}")));
    }
    Ok(Value::Float(float))
}

/// Plain decimal text: an optional sign, digits, an optional fraction
/// (`-12.50`, `.5` is refused). Exponents are refused: the text is stored
/// as is, exactly.
fn decimal(text: &str) -> Result<Value, Misfit> {
    if is_decimal(text) {
        Ok(Value::Decimal(text.to_owned()))
    } else {
        Err(Misfit::ty(
            "must be a decimal number such as `4.99` (no exponent)",
        ))
    }
}

pub(crate) fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn shaped(ok: bool, ty: FieldType, _text: &str) -> Result<Value, Misfit> {
    if ok {
        Ok(Value::Text(_text.to_owned()))
    } else {
        Err(Misfit::ty(format!("must be {}", text_shape(ty))))
    }
}

fn text_shape(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Uuid => "a UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`)",
        FieldType::ObjectId => "an ObjectId (24 hexadecimal digits)",
        FieldType::Date => "a date `YYYY-MM-DD`",
        FieldType::Time => "a time `HH:MM:SS[.ffffff]`",
        FieldType::Timestamp => "a timestamp `YYYY-MM-DDTHH:MM:SS[.ffffff]` without a zone",
        FieldType::Timestamptz => "an RFC 3339 timestamp with an offset (`2024-05-01T10:00:00Z`)",
        FieldType::Enum => "one of the enum's values",
        _ => "text",
    }
}

fn digits(text: &str, count: usize) -> Option<u32> {
    (text.len() == count && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, &b)| match index {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn is_date(text: &str) -> bool {
    let mut parts = text.splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Some(year), Some(month), Some(day)) = (digits(year, 4), digits(month, 2), digits(day, 2))
    else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn is_time(text: &str) -> bool {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let mut parts = clock.splitn(3, ':');
    let (Some(hour), Some(minute), Some(second)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(
        (digits(hour, 2), digits(minute, 2), digits(second, 2)),
        (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 61
    ) && (1..=9).contains(&fraction.len())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD` alone, or with `T` (or a space) and a time; with `zone`, a
/// time must be followed by `Z` or `±HH:MM`, without it by nothing.
fn is_timestamp(text: &str, zone: bool) -> bool {
    if is_date(text) {
        return true;
    }
    let Some((date, rest)) = text.split_at_checked(10) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(['T', 't', ' ']) else {
        return false;
    };
    if !is_date(date) {
        return false;
    }
    if !zone {
        return is_time(rest);
    }
    if let Some(time) = rest.strip_suffix(['Z', 'z']) {
        return is_time(time);
    }
    let Some(sign) = rest.rfind(['+', '-']) else {
        return false;
    };
    let (time, offset) = rest.split_at(sign);
    let offset = &offset[1..];
    let offset_ok = match offset.split_once(':') {
        Some((hours, minutes)) => matches!(
            (digits(hours, 2), digits(minutes, 2)),
            (Some(h), Some(m)) if h < 24 && m < 60
        ),
        None => digits(offset, 2).is_some_and(|h| h < 24),
    };
    offset_ok && is_time(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_dates_and_times_are_checked_for_shape() {
        assert!(is_timestamp("2024-05-01T10:00:00Z", true));
        assert!(is_timestamp("2024-05-01T10:00:00.123456+02:00", true));
        assert!(is_timestamp("2024-05-01 10:00:00-05", true));
        assert!(is_timestamp("2024-05-01", true));
        assert!(!is_timestamp("2024-05-01T10:00:00", true));
        assert!(is_timestamp("2024-05-01T10:00:00", false));
        assert!(!is_timestamp("2024-05-01T10:00:00Z", false));
        assert!(!is_date("2023-02-29"));
        assert!(is_date("2024-02-29"));
        assert!(!is_time("24:00:00"));
        assert!(!is_time("10:00"));
        assert!(is_decimal("-12.50"));
        assert!(!is_decimal("1e5"));
        assert!(!is_decimal(".5"));
    }
}
