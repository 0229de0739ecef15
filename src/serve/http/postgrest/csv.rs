//! `Accept: text/csv`: an answer of rows as CSV, as PostgREST writes it:
//! a header row of the column names, then one line per row, lines joined
//! by `\n`; a field is quoted (RFC 4180, `"` doubled) when it holds a
//! comma, a quote, a line break or edge spaces, or is empty (so an empty
//! string differs from a null, which is written as nothing). Objects and
//! arrays (JSON fields, embedded resources) are written as JSON text.
//!
//! Written here rather than with the `csv` crate: the project does not
//! depend on it, and quoting is the only part needed.

use std::borrow::Cow;

use serde_json::Value as Json;

use crate::serve::store::Row;

/// `rows` as CSV: the columns of the first row (nothing when there is
/// none).
pub(crate) fn write(rows: &[Row]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut out = String::new();
    line(
        &mut out,
        first.keys().map(|name| Some(Cow::Borrowed(name.as_str()))),
    );
    for row in rows {
        out.push('\n');
        line(&mut out, first.keys().map(|name| text(row.get(name))));
    }
    out
}

fn line<'a>(out: &mut String, fields: impl Iterator<Item = Option<Cow<'a, str>>>) {
    for (index, field) in fields.enumerate() {
        if index > 0 {
            out.push(',');
        }
        if let Some(field) = field {
            quoted(out, &field);
        }
    }
}

/// A wire value as CSV text; `None` for null.
fn text(value: Option<&Json>) -> Option<Cow<'_, str>> {
    match value? {
        Json::Null => None,
        Json::String(text) => Some(Cow::Borrowed(text)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

fn quoted(out: &mut String, field: &str) {
    let needs = field.is_empty()
        || field.contains([',', '"', '\n', '\r'])
        || field.starts_with(' ')
        || field.ends_with(' ');
    if needs {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(value: Json) -> Row {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn quotes_what_would_break_a_field() {
        let rows = [
            row(json!({"id": 1, "title": "a, \"b\"\nc", "note": null, "tags": ["x", "y"]})),
            row(json!({"id": 2, "title": "", "note": " edge", "tags": null})),
        ];
        assert_eq!(
            write(&rows),
            "id,title,note,tags\n1,\"a, \"\"b\"\"\nc\",,\"[\"\"x\"\",\"\"y\"\"]\"\n2,\"\",\" edge\","
        );
        assert_eq!(write(&[]), "");
    }
}
