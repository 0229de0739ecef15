//! PostgreSQL: how the portable field types are spelled in PostgreSQL, and
//! how a built-in PostgreSQL type reads back as one.
//!
//! [`canonical_type`] renders a field the way PostgreSQL's own
//! `format_type()` prints the type it stands for (`integer`,
//! `character varying(20)`, `timestamp with time zone`, ...). The introspector
//! compares that rendering with what `format_type()` printed for a column and
//! keeps the printed text in [`Field::native`] only when the two differ
//! (`character(1)`, a domain such as `year`, `tsvector`), so a manifest read
//! from PostgreSQL names every type exactly and stays quiet about the common
//! ones.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;
use crate::manifest::{Field, FieldType};
use crate::query::sql::{civil_from_days, days_from_civil};

/// `VARHDRSZ`: PostgreSQL stores a length type modifier with the size of a
/// varlena header added.
const VARHDRSZ: i32 = 4;

/// The PostgreSQL dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostgresDialect;

impl Dialect for PostgresDialect {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn canonical_type(&self, field: &Field) -> String {
        canonical_type(field)
    }
}

/// The canonical PostgreSQL spelling of `field`'s portable type: the text
/// `format_type()` prints for the type PostgreSQL would create for it.
///
/// Types PostgreSQL has no direct counterpart for are stored the way
/// PostgreSQL applications usually store them: objects as `jsonb`, object ids
/// as their 24 hex digits.
pub fn canonical_type(field: &Field) -> String {
    let text = match field.ty {
        FieldType::Bool => "boolean",
        FieldType::Int16 => "smallint",
        FieldType::Int32 => "integer",
        FieldType::Int64 => "bigint",
        FieldType::Float32 => "real",
        FieldType::Float64 => "double precision",
        FieldType::Decimal => {
            return match (field.precision, field.scale) {
                (Some(precision), scale) => {
                    format!("numeric({precision},{})", scale.unwrap_or(0))
                }
                (None, _) => "numeric".to_owned(),
            };
        }
        FieldType::String => {
            return match field.max_length {
                Some(length) => format!("character varying({length})"),
                None => "character varying".to_owned(),
            };
        }
        FieldType::Text => "text",
        FieldType::Uuid => "uuid",
        FieldType::Date => "date",
        FieldType::Time => "time without time zone",
        FieldType::Timestamp => "timestamp without time zone",
        FieldType::Timestamptz => "timestamp with time zone",
        FieldType::Interval => "interval",
        FieldType::Json | FieldType::Object => "jsonb",
        FieldType::Bytes => "bytea",
        FieldType::ObjectId => "character(24)",
        FieldType::Enum => {
            return match &field.enum_name {
                Some(name) => quote_qualified(name),
                None => "text".to_owned(),
            };
        }
        FieldType::Array => {
            return match &field.items {
                Some(items) => format!("{}[]", PostgresDialect.column_type(items)),
                None => "text[]".to_owned(),
            };
        }
        FieldType::Native => {
            return field.native.clone().unwrap_or_else(|| "text".to_owned());
        }
    };
    text.to_owned()
}

/// The portable field for a built-in (`pg_catalog`) base type: `type_name`
/// is its `pg_type.typname` (`int4`, `varchar`, ...), `typmod` the column's
/// type modifier and `formatted` what `format_type()` printed for the two.
///
/// Lengths, precision and scale come from the type modifier. When
/// [`canonical_type`] of the result is not `formatted` (a `character(n)`, a
/// `time(3)`, `json`), the printed text is kept in `native`; a type with no
/// portable counterpart becomes `type = "native"`. Everything else
/// (nullability, defaults, ...) is left at [`Field::new`]'s values.
pub fn builtin_field(type_name: &str, typmod: i32, formatted: &str) -> Field {
    let ty = match type_name {
        "bool" => FieldType::Bool,
        "int2" => FieldType::Int16,
        "int4" => FieldType::Int32,
        "int8" => FieldType::Int64,
        "float4" => FieldType::Float32,
        "float8" => FieldType::Float64,
        "numeric" => FieldType::Decimal,
        "varchar" | "bpchar" => FieldType::String,
        "text" => FieldType::Text,
        "uuid" => FieldType::Uuid,
        "date" => FieldType::Date,
        "time" => FieldType::Time,
        "timestamp" => FieldType::Timestamp,
        "timestamptz" => FieldType::Timestamptz,
        "interval" => FieldType::Interval,
        "json" | "jsonb" => FieldType::Json,
        "bytea" => FieldType::Bytes,
        _ => FieldType::Native,
    };
    let mut field = Field::new(ty);
    if ty == FieldType::String {
        field.max_length = length_modifier(typmod);
    }
    if let (FieldType::Decimal, Some((precision, scale))) = (ty, numeric_modifier(typmod)) {
        match (u32::try_from(precision), u32::try_from(scale)) {
            (Ok(precision), Ok(scale)) if scale <= precision => {
                field.precision = Some(precision);
                field.scale = Some(scale);
            }
            // `numeric(2,-3)` or `numeric(2,5)` (PostgreSQL 15): no portable
            // decimal says that.
            _ => field = Field::new(FieldType::Native),
        }
    }
    pin_native(&mut field, formatted);
    field
}

/// Sets `field.native` to `formatted` when the canonical rendering of the
/// field is not that text (always for `type = "native"`).
pub fn pin_native(field: &mut Field, formatted: &str) {
    field.native = None;
    if field.ty == FieldType::Native || canonical_type(field) != formatted {
        field.native = Some(formatted.to_owned());
    }
}

/// The length in a `varchar(n)` / `character(n)` type modifier.
fn length_modifier(typmod: i32) -> Option<u32> {
    u32::try_from(typmod.checked_sub(VARHDRSZ)?).ok()
}

/// Precision and scale in a `numeric(p,s)` type modifier. The scale is an
/// 11-bit signed number (PostgreSQL 15 allows negative scales).
fn numeric_modifier(typmod: i32) -> Option<(i32, i32)> {
    if typmod < VARHDRSZ {
        return None;
    }
    let packed = typmod - VARHDRSZ;
    let precision = (packed >> 16) & 0xffff;
    let scale = ((packed & 0x7ff) ^ 1024) - 1024;
    Some((precision, scale))
}

/// The name PostgreSQL gives a constraint it names itself
/// (`makeObjectName`): `table_column_label`, the longer of the two names cut
/// first so that the whole fits in 63 bytes.
pub fn default_name(table: &str, column: Option<&str>, label: &str) -> String {
    const MAX_NAME_BYTES: usize = 63;
    let overhead = label.len() + 1 + usize::from(column.is_some());
    let available = MAX_NAME_BYTES.saturating_sub(overhead);
    let (mut first, mut second) = (table.len(), column.map_or(0, str::len));
    while first + second > available {
        if first > second {
            first -= 1;
        } else {
            second -= 1;
        }
    }
    let clip = |text: &str, mut length: usize| {
        while !text.is_char_boundary(length) {
            length -= 1;
        }
        text[..length].to_owned()
    };
    match column {
        Some(column) => format!("{}_{}_{label}", clip(table, first), clip(column, second)),
        None => format!("{}_{label}", clip(table, first)),
    }
}

/// `name` as PostgreSQL prints an identifier: bare when it is a plain
/// lower-case word, else in double quotes. (PostgreSQL also quotes reserved
/// words; a name that collides with one is printed quoted by `format_type()`
/// and so ends up in `native`, which is harmless.)
pub fn quote_identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A possibly schema-qualified manifest name (`audit.status`) as PostgreSQL
/// prints it (`audit.status`, `"Audit"."Status"`).
fn quote_qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, rest)) => format!("{}.{}", quote_identifier(schema), quote_identifier(rest)),
        None => quote_identifier(name),
    }
}

/// A `CREATE DOMAIN` without its `[CONSTRAINT name] NOT NULL` or `NULL`
/// (written before its checks, which sqlparser does not read), and whether
/// it was `NOT NULL`. A `NULL` inside parentheses (a check) or after
/// `DEFAULT` stays. Its collation loses its schema (`COLLATE
/// pg_catalog."C"` is `COLLATE "C"`), which sqlparser does not read either.
pub(crate) fn domain_without_null(text: &str) -> (String, bool) {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize() else {
        return (text.to_owned(), false);
    };
    let word = |token: &Token, name: &str| matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(name));
    // Positions in `kept` of the last solid tokens, newest last.
    let mut kept: Vec<&Token> = Vec::with_capacity(tokens.len());
    let mut solid: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut not_null = false;
    for token in &tokens {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        // `COLLATE pg_catalog."C"`: sqlparser reads a bare name, which is
        // what the catalog holds.
        if depth == 0
            && matches!(token, Token::Period)
            && solid.len() >= 2
            && word(kept[solid[solid.len() - 2]], "COLLATE")
        {
            let cut = solid.pop().unwrap_or(kept.len());
            kept.truncate(cut);
            continue;
        }
        if depth == 0 && word(token, "NULL") {
            let last = solid.last().map(|&at| kept[at]);
            if last.is_some_and(|t| word(t, "DEFAULT")) {
                kept.push(token);
                solid.push(kept.len() - 1);
                continue;
            }
            let mut cut = kept.len();
            if last.is_some_and(|t| word(t, "NOT")) {
                not_null = true;
                cut = solid.pop().unwrap_or(cut);
            }
            // `CONSTRAINT name NOT NULL`
            if solid.len() >= 2 && word(kept[solid[solid.len() - 2]], "CONSTRAINT") {
                solid.pop();
                cut = solid.pop().unwrap_or(cut);
            }
            kept.truncate(cut);
            continue;
        }
        kept.push(token);
        if !matches!(token, Token::Whitespace(_)) {
            solid.push(kept.len() - 1);
        }
    }
    (kept.iter().map(ToString::to_string).collect(), not_null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varchar_typmod(length: i32) -> i32 {
        length + VARHDRSZ
    }

    fn numeric_typmod(precision: i32, scale: i32) -> i32 {
        ((precision << 16) | (scale & 0x7ff)) + VARHDRSZ
    }

    fn mapped(type_name: &str, typmod: i32, formatted: &str) -> (FieldType, Option<String>) {
        let field = builtin_field(type_name, typmod, formatted);
        (field.ty, field.native)
    }

    #[test]
    fn format_type_spellings_map_without_native() {
        for (type_name, formatted, ty) in [
            ("bool", "boolean", FieldType::Bool),
            ("int2", "smallint", FieldType::Int16),
            ("int4", "integer", FieldType::Int32),
            ("int8", "bigint", FieldType::Int64),
            ("float4", "real", FieldType::Float32),
            ("float8", "double precision", FieldType::Float64),
            ("numeric", "numeric", FieldType::Decimal),
            ("varchar", "character varying", FieldType::String),
            ("text", "text", FieldType::Text),
            ("uuid", "uuid", FieldType::Uuid),
            ("date", "date", FieldType::Date),
            ("time", "time without time zone", FieldType::Time),
            (
                "timestamp",
                "timestamp without time zone",
                FieldType::Timestamp,
            ),
            (
                "timestamptz",
                "timestamp with time zone",
                FieldType::Timestamptz,
            ),
            ("interval", "interval", FieldType::Interval),
            ("jsonb", "jsonb", FieldType::Json),
            ("bytea", "bytea", FieldType::Bytes),
        ] {
            assert_eq!(mapped(type_name, -1, formatted), (ty, None), "{type_name}");
        }
    }

    #[test]
    fn type_modifiers_become_lengths_precision_and_scale() {
        let field = builtin_field("varchar", varchar_typmod(160), "character varying(160)");
        assert_eq!((field.ty, field.max_length), (FieldType::String, Some(160)));
        assert_eq!(field.native, None);

        let field = builtin_field("numeric", numeric_typmod(10, 2), "numeric(10,2)");
        assert_eq!(
            (field.ty, field.precision, field.scale, field.native),
            (FieldType::Decimal, Some(10), Some(2), None)
        );
        let field = builtin_field("numeric", numeric_typmod(8, 0), "numeric(8,0)");
        assert_eq!((field.precision, field.scale), (Some(8), Some(0)));
        assert_eq!(field.native, None);
    }

    #[test]
    fn other_spellings_keep_their_format_type_text() {
        let field = builtin_field("bpchar", varchar_typmod(1), "character(1)");
        assert_eq!(
            (field.ty, field.max_length, field.native.as_deref()),
            (FieldType::String, Some(1), Some("character(1)"))
        );
        assert_eq!(
            mapped("bpchar", -1, "bpchar"),
            (FieldType::String, Some("bpchar".into()))
        );
        assert_eq!(
            mapped("json", -1, "json"),
            (FieldType::Json, Some("json".into()))
        );
        assert_eq!(
            mapped("time", 3, "time(3) without time zone"),
            (FieldType::Time, Some("time(3) without time zone".into()))
        );
        assert_eq!(
            mapped("timestamptz", 0, "timestamp(0) with time zone"),
            (
                FieldType::Timestamptz,
                Some("timestamp(0) with time zone".into())
            )
        );
        assert_eq!(
            mapped("interval", 0x7fff0000u32 as i32, "interval day"),
            (FieldType::Interval, Some("interval day".into()))
        );
    }

    #[test]
    fn types_without_a_portable_counterpart_are_native() {
        for (type_name, formatted) in [
            ("tsvector", "tsvector"),
            ("timetz", "time with time zone"),
            ("inet", "inet"),
            ("money", "money"),
            ("point", "point"),
            ("xml", "xml"),
            ("char", "\"char\""),
            ("int2vector", "int2vector"),
        ] {
            assert_eq!(
                mapped(type_name, -1, formatted),
                (FieldType::Native, Some(formatted.to_owned())),
                "{type_name}"
            );
        }
    }

    #[test]
    fn decimals_portable_decimals_cannot_say_are_native() {
        assert_eq!(
            mapped("numeric", numeric_typmod(2, -3), "numeric(2,-3)"),
            (FieldType::Native, Some("numeric(2,-3)".into()))
        );
        assert_eq!(
            mapped("numeric", numeric_typmod(2, 5), "numeric(2,5)"),
            (FieldType::Native, Some("numeric(2,5)".into()))
        );
        assert_eq!(numeric_modifier(numeric_typmod(2, -3)), Some((2, -3)));
        assert_eq!(numeric_modifier(-1), None);
    }

    #[test]
    fn canonical_rendering_of_every_portable_type() {
        let render = |ty: FieldType| canonical_type(&Field::new(ty));
        assert_eq!(render(FieldType::Bool), "boolean");
        assert_eq!(render(FieldType::Int16), "smallint");
        assert_eq!(render(FieldType::Int32), "integer");
        assert_eq!(render(FieldType::Int64), "bigint");
        assert_eq!(render(FieldType::Float32), "real");
        assert_eq!(render(FieldType::Float64), "double precision");
        assert_eq!(render(FieldType::Decimal), "numeric");
        assert_eq!(render(FieldType::String), "character varying");
        assert_eq!(render(FieldType::Text), "text");
        assert_eq!(render(FieldType::Uuid), "uuid");
        assert_eq!(render(FieldType::Date), "date");
        assert_eq!(render(FieldType::Time), "time without time zone");
        assert_eq!(render(FieldType::Timestamp), "timestamp without time zone");
        assert_eq!(render(FieldType::Timestamptz), "timestamp with time zone");
        assert_eq!(render(FieldType::Interval), "interval");
        assert_eq!(render(FieldType::Json), "jsonb");
        assert_eq!(render(FieldType::Bytes), "bytea");
        assert_eq!(render(FieldType::Object), "jsonb");

        let mut decimal = Field::new(FieldType::Decimal);
        decimal.precision = Some(10);
        assert_eq!(canonical_type(&decimal), "numeric(10,0)");
        decimal.scale = Some(2);
        assert_eq!(canonical_type(&decimal), "numeric(10,2)");

        let mut string = Field::new(FieldType::String);
        string.max_length = Some(20);
        assert_eq!(canonical_type(&string), "character varying(20)");

        let mut rating = Field::new(FieldType::Enum);
        rating.enum_name = Some("mpaa_rating".into());
        assert_eq!(canonical_type(&rating), "mpaa_rating");
        rating.enum_name = Some("audit.Level".into());
        assert_eq!(canonical_type(&rating), "audit.\"Level\"");

        let mut tags = Field::new(FieldType::Array);
        tags.items = Some(Box::new(Field::new(FieldType::Text)));
        assert_eq!(canonical_type(&tags), "text[]");
        let mut code = Field::new(FieldType::String);
        code.max_length = Some(1);
        code.native = Some("character(1)".into());
        tags.items = Some(Box::new(code));
        assert_eq!(canonical_type(&tags), "character(1)[]");

        let mut native = Field::new(FieldType::Native);
        native.native = Some("tsvector".into());
        assert_eq!(canonical_type(&native), "tsvector");
    }

    #[test]
    fn column_type_prefers_the_pinned_native_type() {
        let mut year = Field::new(FieldType::Int32);
        year.native = Some("year".into());
        assert_eq!(PostgresDialect.column_type(&year), "year");
        assert_eq!(PostgresDialect.canonical_type(&year), "integer");
        assert_eq!(PostgresDialect.name(), "postgres");
    }

    #[test]
    fn identifiers_are_quoted_like_postgres_does() {
        assert_eq!(quote_identifier("mpaa_rating"), "mpaa_rating");
        assert_eq!(quote_identifier("_x1"), "_x1");
        assert_eq!(quote_identifier("Mood"), "\"Mood\"");
        assert_eq!(quote_identifier("bıgınt"), "\"bıgınt\"");
        assert_eq!(quote_identifier("1st"), "\"1st\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn default_constraint_names_are_cut_like_postgres_cuts_them() {
        assert_eq!(default_name("film", None, "pkey"), "film_pkey");
        assert_eq!(
            default_name("authors", Some("email"), "key"),
            "authors_email_key"
        );
        let long_table = "t".repeat(70);
        assert_eq!(
            default_name(&long_table, None, "pkey"),
            format!("{}_pkey", "t".repeat(58))
        );
        // The longer name is cut first: 63 - 5 bytes for the two names.
        assert_eq!(
            default_name(&"a".repeat(40), Some(&"b".repeat(30)), "key"),
            format!("{}_{}_key", "a".repeat(29), "b".repeat(29))
        );
        // Never inside a character.
        assert_eq!(
            default_name(&"é".repeat(40), None, "pkey"),
            format!("{}_pkey", "é".repeat(29))
        );
    }
}

/// A partition bound (`FOR VALUES FROM ('2024-01-01 01:00:00+01') TO
/// (...)`) with each quoted time stamp that carries an offset moved to UTC
/// (`'2024-01-01 00:00:00+00'`), as `pg_get_expr` prints it on a UTC
/// session: `pg_dump` prints the bounds of a `timestamptz` key in the time
/// zone of its own session.
pub fn partition_bound_in_utc(bound: &str) -> String {
    map_quoted(bound, |literal| {
        let stamp = TimeStamp::parse(literal)?;
        stamp.offset_minutes?;
        Some(format!("{}+00", stamp.utc()))
    })
}

/// The form in which two partition bounds compare: words in lower case and
/// single-spaced outside quotes, and each quoted time stamp in UTC without
/// its offset, its midnight or its zero fraction (`'2024-01-01'` on a
/// `timestamp` key is printed back `'2024-01-01 00:00:00'`).
pub fn partition_bound_key(bound: &str) -> String {
    let quoted = map_quoted(bound, |literal| {
        let stamp = TimeStamp::parse(literal)?;
        let utc = stamp.utc();
        Some(utc.strip_suffix(" 00:00:00").unwrap_or(&utc).to_owned())
    });
    let mut out = String::with_capacity(quoted.len());
    let mut in_quote = false;
    let mut space = false;
    for c in quoted.chars() {
        if c == '\'' {
            in_quote = !in_quote;
        }
        if !in_quote && c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() && !out.ends_with(['(', ',']) && !matches!(c, '(' | ')' | ',') {
            out.push(' ');
        }
        space = false;
        out.push(if in_quote { c } else { c.to_ascii_lowercase() });
    }
    out
}

/// `text` with the content of each single-quoted literal replaced by
/// `change`'s answer, when it has one.
fn map_quoted(text: &str, change: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('\'') {
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        // A doubled quote inside a literal is an escaped one.
        let mut close = None;
        let bytes = after.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                close = Some(i);
                break;
            }
            i += 1;
        }
        let Some(close) = close else {
            out.push_str(after);
            return out;
        };
        let literal = &after[..close];
        match change(literal) {
            Some(changed) => out.push_str(&changed),
            None => out.push_str(literal),
        }
        out.push('\'');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `YYYY-MM-DD[ HH:MM:SS[.fraction]][±HH[:MM]]`.
struct TimeStamp {
    days: i64,
    seconds: i64,
    fraction: String,
    offset_minutes: Option<i64>,
}

impl TimeStamp {
    fn parse(text: &str) -> Option<Self> {
        let number = |s: &str| -> Option<i64> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let (date, time) = match text.split_once(' ') {
            Some((date, time)) => (date, Some(time)),
            None => (text, None),
        };
        let mut parts = date.splitn(3, '-');
        let (year, month, day) = (
            number(parts.next()?)?,
            number(parts.next()?)?,
            number(parts.next()?)?,
        );
        if date.len() != 10 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let (mut seconds, mut fraction, mut offset_minutes) = (0, String::new(), None);
        if let Some(time) = time {
            let (clock, offset) = match time.find(['+', '-']) {
                Some(at) => (&time[..at], Some(&time[at..])),
                None => (time, None),
            };
            let (clock, frac) = match clock.split_once('.') {
                Some((clock, frac)) => (clock, number(frac).map(|_| frac)?),
                None => (clock, ""),
            };
            let hms: Vec<&str> = clock.split(':').collect();
            let [h, m, s] = hms.as_slice() else {
                return None;
            };
            seconds = number(h)? * 3600 + number(m)? * 60 + number(s)?;
            fraction = frac.trim_end_matches('0').to_owned();
            if let Some(offset) = offset {
                let sign = if offset.starts_with('-') { -1 } else { 1 };
                let (hours, minutes) = match offset[1..].split_once(':') {
                    Some((h, m)) => (number(h)?, number(m)?),
                    None => (number(&offset[1..])?, 0),
                };
                offset_minutes = Some(sign * (hours * 60 + minutes));
            }
        }
        Some(Self {
            days: days_from_civil(year, month, day),
            seconds,
            fraction,
            offset_minutes,
        })
    }

    /// `YYYY-MM-DD HH:MM:SS[.fraction]` in UTC.
    fn utc(&self) -> String {
        let total = self.days * 86_400 + self.seconds - self.offset_minutes.unwrap_or(0) * 60;
        let (days, seconds) = (total.div_euclid(86_400), total.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        let mut text = format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
        if !self.fraction.is_empty() {
            text.push('.');
            text.push_str(&self.fraction);
        }
        text
    }
}

#[cfg(test)]
mod partition_bound_tests {
    use super::*;

    #[test]
    fn bounds_in_another_time_zone_are_moved_to_utc() {
        assert_eq!(
            partition_bound_in_utc(
                "FOR VALUES FROM ('2022-03-01 00:00:00+00') TO ('2022-04-01 01:00:00+01')"
            ),
            "FOR VALUES FROM ('2022-03-01 00:00:00+00') TO ('2022-04-01 00:00:00+00')"
        );
        assert_eq!(
            partition_bound_in_utc("FOR VALUES FROM ('2024-01-01 02:30:00-05:30') TO (MAXVALUE)"),
            "FOR VALUES FROM ('2024-01-01 08:00:00+00') TO (MAXVALUE)"
        );
        assert_eq!(
            partition_bound_in_utc("FOR VALUES FROM ('2024-01-01 00:30:00+01') TO ('x')"),
            "FOR VALUES FROM ('2023-12-31 23:30:00+00') TO ('x')"
        );
        assert_eq!(
            partition_bound_in_utc("FOR VALUES IN ('it''s', '2024-01-01')"),
            "FOR VALUES IN ('it''s', '2024-01-01')"
        );
    }

    #[test]
    fn bounds_compare_as_the_server_prints_them() {
        for (written, printed) in [
            (
                "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "FOR VALUES FROM ('2024-01-01 00:00:00') TO ('2025-01-01 00:00:00')",
            ),
            (
                "FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
                "FOR VALUES WITH (modulus 2, remainder 0)",
            ),
            ("default", "DEFAULT"),
            ("FOR VALUES IN ( 'a' ,'b' )", "FOR VALUES IN ('a', 'b')"),
        ] {
            assert_eq!(
                partition_bound_key(written),
                partition_bound_key(printed),
                "{written}"
            );
        }
        assert_ne!(
            partition_bound_key("FOR VALUES IN ('A')"),
            partition_bound_key("FOR VALUES IN ('a')")
        );
        assert_ne!(
            partition_bound_key("FOR VALUES FROM (1) TO (10)"),
            partition_bound_key("FOR VALUES FROM (1) TO (11)")
        );
    }
}
