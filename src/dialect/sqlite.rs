//! SQLite: how the portable field types are spelled in SQLite, and how a
//! declared SQLite column type reads back as one.
//!
//! SQLite accepts any text as a column type and only derives an *affinity*
//! from it (<https://www.sqlite.org/datatype3.html#determination_of_column_affinity>).
//! [`field_for_declared_type`] reads the usual spellings as portable types and
//! falls back to those affinity rules. Whenever the declared text is not
//! exactly what [`canonical_type`] renders for the resulting field, the text is
//! kept in [`Field::native`], so a round trip through the manifest loses nothing.

use super::Dialect;
use crate::manifest::{Field, FieldType};

/// The type written for a column that SQLite stores without one (an untyped
/// column, or a view column computed by an expression).
pub const UNTYPED: &str = "ANY";

/// The SQLite dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn canonical_type(&self, field: &Field) -> String {
        canonical_type(field)
    }
}

/// The canonical SQLite spelling of `field`'s portable type.
///
/// Types SQLite has no spelling for are stored the way SQLite applications
/// usually store them: enums, intervals and object ids as `TEXT`, arrays and
/// objects as `JSON` text.
pub fn canonical_type(field: &Field) -> String {
    let text = match field.ty {
        FieldType::Int64 => "INTEGER",
        FieldType::Int32 => "INT",
        FieldType::Int16 => "SMALLINT",
        FieldType::Bool => "BOOLEAN",
        FieldType::Float64 | FieldType::Float32 => "REAL",
        FieldType::Decimal => {
            return match (field.precision, field.scale) {
                (Some(precision), Some(scale)) => format!("NUMERIC({precision},{scale})"),
                (Some(precision), None) => format!("NUMERIC({precision})"),
                (None, _) => "NUMERIC".to_owned(),
            };
        }
        FieldType::String => {
            return match field.max_length {
                Some(length) => format!("VARCHAR({length})"),
                None => "VARCHAR".to_owned(),
            };
        }
        FieldType::Text => "TEXT",
        FieldType::Bytes => "BLOB",
        FieldType::Date => "DATE",
        FieldType::Time => "TIME",
        FieldType::Timestamp => "DATETIME",
        FieldType::Timestamptz => "TIMESTAMPTZ",
        FieldType::Uuid => "UUID",
        FieldType::Json => "JSON",
        FieldType::Interval | FieldType::Enum | FieldType::ObjectId => "TEXT",
        FieldType::Array | FieldType::Object => "JSON",
        FieldType::Native => {
            return field.native.clone().unwrap_or_else(|| UNTYPED.to_owned());
        }
    };
    text.to_owned()
}

/// A declared type in comparable form: upper case, single spaces, and no
/// spaces around parentheses and commas (`numeric( 10, 2 )` → `NUMERIC(10,2)`).
pub fn normalize_type(declared: &str) -> String {
    let collapsed: Vec<char> = declared
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
        .chars()
        .collect();
    let mut normalized = String::with_capacity(collapsed.len());
    for (index, &ch) in collapsed.iter().enumerate() {
        if ch == ' ' {
            let after_punctuation = matches!(normalized.chars().last(), Some('(' | ','));
            let before_punctuation = matches!(collapsed.get(index + 1), Some('(' | ')' | ','));
            if after_punctuation || before_punctuation {
                continue;
            }
        }
        normalized.push(ch);
    }
    normalized
}

/// The portable field for a column declared with type `declared` (as SQLite
/// reports it, e.g. `NVARCHAR(160)`): type, lengths and, when the declared text
/// is not the canonical spelling, `native`. Everything else (nullability,
/// defaults, ...) is left at [`Field::new`]'s values.
///
/// An empty declared type (an untyped column) becomes `type = "native"` with
/// `native = "ANY"`.
pub fn field_for_declared_type(declared: &str) -> Field {
    let declared = declared.trim();
    if declared.is_empty() {
        let mut field = Field::new(FieldType::Native);
        field.native = Some(UNTYPED.to_owned());
        return field;
    }
    let normalized = normalize_type(declared);
    let (base, arguments) = split_arguments(&normalized);
    let ty = known_type(base).unwrap_or_else(|| affinity_type(&normalized));

    let mut field = Field::new(ty);
    let first = arguments
        .first()
        .and_then(|argument| parse_argument(argument));
    match ty {
        FieldType::String | FieldType::Text | FieldType::Bytes => field.max_length = first,
        FieldType::Decimal => {
            field.precision = first;
            field.scale = arguments
                .get(1)
                .and_then(|argument| parse_argument(argument));
        }
        _ => {}
    }
    if ty == FieldType::Native || normalize_type(&canonical_type(&field)) != normalized {
        field.native = Some(declared.to_owned());
    }
    field
}

/// Splits `NAME(a,b)` into `NAME` and `["a", "b"]`. Text that does not end in
/// a closing parenthesis has no arguments.
fn split_arguments(normalized: &str) -> (&str, Vec<&str>) {
    match normalized.find('(') {
        Some(open) if normalized.ends_with(')') => {
            let inner = &normalized[open + 1..normalized.len() - 1];
            (normalized[..open].trim_end(), inner.split(',').collect())
        }
        _ => (normalized, Vec::new()),
    }
}

fn parse_argument(argument: &str) -> Option<u32> {
    argument.trim().trim_start_matches('+').parse().ok()
}

/// The common spellings of types, from SQLite's documentation and from the
/// engines SQLite schemas are usually converted from.
fn known_type(base: &str) -> Option<FieldType> {
    let ty = match base {
        "INTEGER" | "BIGINT" | "INT8" | "UNSIGNED BIG INT" => FieldType::Int64,
        "INT" | "INT4" | "MEDIUMINT" => FieldType::Int32,
        "SMALLINT" | "TINYINT" | "INT2" => FieldType::Int16,
        "BOOLEAN" | "BOOL" => FieldType::Bool,
        "REAL" | "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "FLOAT8" => FieldType::Float64,
        "NUMERIC" | "DECIMAL" => FieldType::Decimal,
        "VARCHAR"
        | "NVARCHAR"
        | "VARCHAR2"
        | "NVARCHAR2"
        | "CHAR"
        | "NCHAR"
        | "CHARACTER"
        | "CHAR VARYING"
        | "CHARACTER VARYING"
        | "VARYING CHARACTER"
        | "NCHAR VARYING"
        | "NATIVE CHARACTER"
        | "NATIONAL CHAR"
        | "NATIONAL CHARACTER"
        | "NATIONAL VARCHAR"
        | "NATIONAL CHAR VARYING"
        | "NATIONAL CHARACTER VARYING" => FieldType::String,
        "TEXT" | "CLOB" | "NTEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" => FieldType::Text,
        "BLOB" | "BINARY" | "VARBINARY" | "BYTEA" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
            FieldType::Bytes
        }
        "DATE" => FieldType::Date,
        "TIME" => FieldType::Time,
        "DATETIME"
        | "DATETIME2"
        | "SMALLDATETIME"
        | "TIMESTAMP"
        | "TIMESTAMP WITHOUT TIME ZONE" => FieldType::Timestamp,
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" | "DATETIMEOFFSET" => FieldType::Timestamptz,
        "UUID" | "GUID" | "UNIQUEIDENTIFIER" => FieldType::Uuid,
        "JSON" | "JSONB" => FieldType::Json,
        _ => return None,
    };
    Some(ty)
}

/// SQLite's own rules for a type name it does not know, in its order (so
/// `FLOATING POINT` has integer affinity, as in SQLite). Numeric affinity,
/// the rule for everything else, has no portable type.
fn affinity_type(normalized: &str) -> FieldType {
    if normalized.contains("INT") {
        FieldType::Int64
    } else if ["CHAR", "CLOB", "TEXT"]
        .iter()
        .any(|part| normalized.contains(part))
    {
        FieldType::Text
    } else if normalized.contains("BLOB") {
        FieldType::Bytes
    } else if ["REAL", "FLOA", "DOUB"]
        .iter()
        .any(|part| normalized.contains(part))
    {
        FieldType::Float64
    } else {
        FieldType::Native
    }
}

/// `"column" IN ('a', 'b')`: the condition of the CHECK that stands for an
/// enum of `values` on SQLite, which has no enums.
pub fn enum_values_check(column: &str, values: &[String]) -> String {
    format!(
        "\"{}\" IN ({})",
        column.replace('"', "\"\""),
        values
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(
        declared: &str,
    ) -> (
        FieldType,
        Option<u32>,
        Option<u32>,
        Option<u32>,
        Option<String>,
    ) {
        let field = field_for_declared_type(declared);
        (
            field.ty,
            field.max_length,
            field.precision,
            field.scale,
            field.native,
        )
    }

    fn exact(
        ty: FieldType,
    ) -> (
        FieldType,
        Option<u32>,
        Option<u32>,
        Option<u32>,
        Option<String>,
    ) {
        (ty, None, None, None, None)
    }

    fn with_native(
        ty: FieldType,
        native: &str,
    ) -> (
        FieldType,
        Option<u32>,
        Option<u32>,
        Option<u32>,
        Option<String>,
    ) {
        (ty, None, None, None, Some(native.to_owned()))
    }

    #[test]
    fn canonical_spellings_map_without_native() {
        assert_eq!(mapped("INTEGER"), exact(FieldType::Int64));
        assert_eq!(mapped("integer"), exact(FieldType::Int64));
        assert_eq!(mapped("INT"), exact(FieldType::Int32));
        assert_eq!(mapped("SMALLINT"), exact(FieldType::Int16));
        assert_eq!(mapped("BOOLEAN"), exact(FieldType::Bool));
        assert_eq!(mapped("REAL"), exact(FieldType::Float64));
        assert_eq!(mapped("NUMERIC"), exact(FieldType::Decimal));
        assert_eq!(mapped("TEXT"), exact(FieldType::Text));
        assert_eq!(mapped("BLOB"), exact(FieldType::Bytes));
        assert_eq!(mapped("DATE"), exact(FieldType::Date));
        assert_eq!(mapped("TIME"), exact(FieldType::Time));
        assert_eq!(mapped("DATETIME"), exact(FieldType::Timestamp));
        assert_eq!(mapped("TIMESTAMPTZ"), exact(FieldType::Timestamptz));
        assert_eq!(mapped("UUID"), exact(FieldType::Uuid));
        assert_eq!(mapped("JSON"), exact(FieldType::Json));
        assert_eq!(mapped("VARCHAR"), exact(FieldType::String));
    }

    #[test]
    fn arguments_become_lengths_precision_and_scale() {
        assert_eq!(
            mapped("NUMERIC(10,2)"),
            (FieldType::Decimal, None, Some(10), Some(2), None)
        );
        assert_eq!(
            mapped("numeric( 10 , 2 )"),
            (FieldType::Decimal, None, Some(10), Some(2), None)
        );
        assert_eq!(
            mapped("NUMERIC(8)"),
            (FieldType::Decimal, None, Some(8), None, None)
        );
        assert_eq!(
            mapped("DECIMAL(10,5)"),
            (
                FieldType::Decimal,
                None,
                Some(10),
                Some(5),
                Some("DECIMAL(10,5)".to_owned())
            )
        );
        assert_eq!(
            mapped("VARCHAR(20)"),
            (FieldType::String, Some(20), None, None, None)
        );
        assert_eq!(
            mapped("NVARCHAR(160)"),
            (
                FieldType::String,
                Some(160),
                None,
                None,
                Some("NVARCHAR(160)".to_owned())
            )
        );
        assert_eq!(
            mapped("CHAR(5)"),
            (
                FieldType::String,
                Some(5),
                None,
                None,
                Some("CHAR(5)".to_owned())
            )
        );
    }

    #[test]
    fn other_spellings_keep_their_native_text() {
        assert_eq!(mapped("TINYINT"), with_native(FieldType::Int16, "TINYINT"));
        assert_eq!(mapped("BIGINT"), with_native(FieldType::Int64, "BIGINT"));
        assert_eq!(
            mapped("UNSIGNED BIG INT"),
            with_native(FieldType::Int64, "UNSIGNED BIG INT")
        );
        assert_eq!(mapped("FLOAT"), with_native(FieldType::Float64, "FLOAT"));
        assert_eq!(mapped("DOUBLE"), with_native(FieldType::Float64, "DOUBLE"));
        assert_eq!(
            mapped("double  precision"),
            with_native(FieldType::Float64, "double  precision")
        );
        assert_eq!(mapped("BOOL"), with_native(FieldType::Bool, "BOOL"));
        assert_eq!(mapped("CLOB"), with_native(FieldType::Text, "CLOB"));
        assert_eq!(
            mapped("TIMESTAMP"),
            with_native(FieldType::Timestamp, "TIMESTAMP")
        );
        assert_eq!(
            mapped("INTEGER(11)"),
            with_native(FieldType::Int64, "INTEGER(11)")
        );
    }

    #[test]
    fn unknown_names_fall_back_to_sqlite_affinity() {
        assert_eq!(
            mapped("integer unsigned"),
            with_native(FieldType::Int64, "integer unsigned")
        );
        // SQLite's own quirk: "FLOATING POINT" contains "INT".
        assert_eq!(
            mapped("FLOATING POINT"),
            with_native(FieldType::Int64, "FLOATING POINT")
        );
        assert_eq!(
            mapped("STRINGTEXT"),
            with_native(FieldType::Text, "STRINGTEXT")
        );
        assert_eq!(
            mapped("SUPERBLOB"),
            with_native(FieldType::Bytes, "SUPERBLOB")
        );
        assert_eq!(
            mapped("DOUB_LE"),
            with_native(FieldType::Float64, "DOUB_LE")
        );
        assert_eq!(mapped("MONEY"), with_native(FieldType::Native, "MONEY"));
        assert_eq!(mapped("ANY"), with_native(FieldType::Native, "ANY"));
    }

    #[test]
    fn untyped_columns_are_native_any() {
        assert_eq!(mapped(""), with_native(FieldType::Native, UNTYPED));
        assert_eq!(mapped("  "), with_native(FieldType::Native, UNTYPED));
    }

    #[test]
    fn normalization_ignores_case_and_spacing() {
        assert_eq!(normalize_type("numeric ( 10 ,  2 )"), "NUMERIC(10,2)");
        assert_eq!(normalize_type(" double\tprecision "), "DOUBLE PRECISION");
        assert_eq!(normalize_type("varchar(20)"), "VARCHAR(20)");
    }

    #[test]
    fn canonical_rendering_of_every_portable_type() {
        let render = |ty: FieldType| canonical_type(&Field::new(ty));
        assert_eq!(render(FieldType::Int64), "INTEGER");
        assert_eq!(render(FieldType::Int32), "INT");
        assert_eq!(render(FieldType::Int16), "SMALLINT");
        assert_eq!(render(FieldType::Bool), "BOOLEAN");
        assert_eq!(render(FieldType::Float64), "REAL");
        assert_eq!(render(FieldType::Decimal), "NUMERIC");
        assert_eq!(render(FieldType::String), "VARCHAR");
        assert_eq!(render(FieldType::Text), "TEXT");
        assert_eq!(render(FieldType::Bytes), "BLOB");
        assert_eq!(render(FieldType::Date), "DATE");
        assert_eq!(render(FieldType::Time), "TIME");
        assert_eq!(render(FieldType::Timestamp), "DATETIME");
        assert_eq!(render(FieldType::Timestamptz), "TIMESTAMPTZ");
        assert_eq!(render(FieldType::Uuid), "UUID");
        assert_eq!(render(FieldType::Json), "JSON");

        let mut decimal = Field::new(FieldType::Decimal);
        decimal.precision = Some(10);
        decimal.scale = Some(2);
        assert_eq!(canonical_type(&decimal), "NUMERIC(10,2)");

        let mut string = Field::new(FieldType::String);
        string.max_length = Some(20);
        assert_eq!(canonical_type(&string), "VARCHAR(20)");

        let mut native = Field::new(FieldType::Native);
        native.native = Some("MONEY".to_owned());
        assert_eq!(canonical_type(&native), "MONEY");
    }

    #[test]
    fn column_type_prefers_the_pinned_native_type() {
        let field = field_for_declared_type("NVARCHAR(160)");
        assert_eq!(SqliteDialect.column_type(&field), "NVARCHAR(160)");
        assert_eq!(SqliteDialect.canonical_type(&field), "VARCHAR(160)");
        let field = field_for_declared_type("INTEGER");
        assert_eq!(SqliteDialect.column_type(&field), "INTEGER");
    }
}
