//! MySQL / MariaDB SQL rendering: pure functions, no I/O.

use super::Dialect;
use crate::manifest::{Entity, Field, FieldType, IndexPart, Manifest, SourceEngine};

/// MySQL 8 and MariaDB 10.5+.
#[derive(Debug, Clone, Copy, Default)]
pub struct MysqlDialect;

impl Dialect for MysqlDialect {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn canonical_type(&self, field: &Field) -> String {
        canonical_type(field)
    }
}

/// The column type MySQL would show (`COLUMN_TYPE`, lower case) for a
/// portable field. Enums render from the manifest's enum values elsewhere;
/// here they are `enum`.
pub fn canonical_type(field: &Field) -> String {
    let text = match field.ty {
        FieldType::Bool => "tinyint(1)",
        FieldType::Int16 => "smallint",
        FieldType::Int32 => "int",
        FieldType::Int64 => "bigint",
        FieldType::Float32 => "float",
        FieldType::Float64 => "double",
        FieldType::Decimal => {
            return match (field.precision, field.scale) {
                (Some(precision), Some(scale)) => format!("decimal({precision},{scale})"),
                (Some(precision), None) => format!("decimal({precision},0)"),
                (None, _) => "decimal(10,0)".to_owned(),
            };
        }
        FieldType::String => {
            return format!("varchar({})", field.max_length.unwrap_or(255));
        }
        FieldType::Text => "text",
        FieldType::Bytes => match field.max_length {
            Some(length) => return format!("varbinary({length})"),
            None => "blob",
        },
        FieldType::Uuid => "char(36)",
        FieldType::Date => "date",
        FieldType::Time => "time",
        FieldType::Timestamp => "datetime",
        FieldType::Timestamptz => "timestamp",
        FieldType::Interval => "varchar(64)",
        FieldType::Json | FieldType::Array | FieldType::Object => "json",
        FieldType::Enum => "enum",
        FieldType::ObjectId => "char(24)",
        FieldType::Native => return field.native.clone().unwrap_or_default(),
    };
    text.to_owned()
}

/// `column_type` in comparable form: lower case, single spaces, and without
/// the display width of integer types when it is the one the server gives
/// the type (`int(11)` → `int`, `int(10) unsigned` → `int unsigned`), which
/// MariaDB and old MySQL show and MySQL 8 does not. Another width (`int(5)`,
/// `int(4) unsigned zerofill`) is the column's own, and kept: `ZEROFILL`
/// pads values to it.
pub fn normalize_type(column_type: &str) -> String {
    let lower = column_type.trim().to_ascii_lowercase();
    let collapsed = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((integer, width, tail)) = display_width(&collapsed) {
        let unsigned = tail.contains("unsigned") || tail.contains("zerofill");
        let default = default_display_width(integer, unsigned);
        if integer == "year" || width.parse::<u32>().ok() == default {
            return format!("{integer}{tail}");
        }
    }
    collapsed
}

/// An integer type with a display width, `(type, width, what follows)`:
/// `int(5) unsigned` is `("int", "5", " unsigned")`.
fn display_width(column_type: &str) -> Option<(&'static str, &str, &str)> {
    ["tinyint", "smallint", "mediumint", "int", "bigint", "year"]
        .into_iter()
        .find_map(|integer| {
            let rest = column_type.strip_prefix(integer)?.strip_prefix('(')?;
            let close = rest.find(')')?;
            Some((integer, &rest[..close], &rest[close + 1..]))
        })
}

/// `column_type` in comparable form without the display width of its
/// integer type, whatever it is (`tinyint(1)`, a boolean, aside): a view's
/// column, whose width the server derives from the query, and which a plan
/// does not write.
pub fn without_display_width(column_type: &str) -> String {
    let normalized = normalize_type(column_type);
    match display_width(&normalized) {
        Some(("tinyint", "1", _)) | None => normalized,
        Some((integer, _, tail)) => format!("{integer}{tail}"),
    }
}

/// `field` as a view's column over it: without its display width.
pub fn as_view_column(field: &mut Field) {
    if let Some(native) = &field.native {
        let native = without_display_width(native);
        field.native = None;
        if canonical_type(field) != native {
            field.native = Some(native);
        }
    }
}

/// The display width MariaDB gives an integer type that names none
/// (`int` 11, `int unsigned` 10); `None` for another type.
pub fn default_display_width(integer: &str, unsigned: bool) -> Option<u32> {
    Some(match (integer, unsigned) {
        ("tinyint", false) => 4,
        ("tinyint", true) => 3,
        ("smallint", false) => 6,
        ("smallint", true) => 5,
        ("mediumint", false) => 9,
        ("mediumint", true) => 8,
        ("int", false) => 11,
        ("int", true) => 10,
        ("bigint", _) => 20,
        _ => return None,
    })
}

/// The portable field for a MySQL column: `data_type` is `DATA_TYPE`
/// (`varchar`), `column_type` is `COLUMN_TYPE` (`varchar(45)`,
/// `smallint(5) unsigned`, `enum('G','PG')`). `native` is set, in the
/// normalized form of [`normalize_type`], when the canonical rendering of
/// the portable type is not the column's own type: display widths differ
/// between servers and versions and say nothing about the values.
/// Enum and set columns are left to the caller (their values become an
/// `[enums]` table).
pub fn field_for_column(
    data_type: &str,
    column_type: &str,
    max_length: Option<i64>,
    precision: Option<i64>,
    scale: Option<i64>,
) -> Field {
    let normalized = normalize_type(column_type);
    let unsigned = normalized.contains("unsigned");
    let length = max_length.and_then(|l| u32::try_from(l).ok());
    let mut field = match data_type.to_ascii_lowercase().as_str() {
        "tinyint" if normalized.starts_with("tinyint(1)") => Field::new(FieldType::Bool),
        "tinyint" => Field::new(FieldType::Int16),
        "smallint" if unsigned => Field::new(FieldType::Int32),
        "smallint" => Field::new(FieldType::Int16),
        "mediumint" | "int" | "integer" if !unsigned => Field::new(FieldType::Int32),
        "mediumint" | "int" | "integer" | "bigint" => Field::new(FieldType::Int64),
        "year" => Field::new(FieldType::Int16),
        "bit" if normalized == "bit(1)" => Field::new(FieldType::Bool),
        "float" => Field::new(FieldType::Float32),
        "double" | "real" => Field::new(FieldType::Float64),
        "decimal" | "numeric" => {
            let mut field = Field::new(FieldType::Decimal);
            field.precision = precision.and_then(|p| u32::try_from(p).ok());
            field.scale = scale.and_then(|s| u32::try_from(s).ok());
            field
        }
        "char" | "varchar" => {
            let mut field = Field::new(FieldType::String);
            field.max_length = length;
            field
        }
        "tinytext" | "text" | "mediumtext" | "longtext" => Field::new(FieldType::Text),
        "binary" | "varbinary" => {
            let mut field = Field::new(FieldType::Bytes);
            field.max_length = length;
            field
        }
        "tinyblob" | "blob" | "mediumblob" | "longblob" => Field::new(FieldType::Bytes),
        "date" => Field::new(FieldType::Date),
        "time" => Field::new(FieldType::Time),
        "datetime" => Field::new(FieldType::Timestamp),
        "timestamp" => Field::new(FieldType::Timestamptz),
        "json" => Field::new(FieldType::Json),
        "uuid" => Field::new(FieldType::Uuid),
        _ => {
            let mut field = Field::new(FieldType::Native);
            field.native = Some(normalized);
            return field;
        }
    };
    if canonical_type(&field) != normalized {
        field.native = Some(normalized);
    }
    field
}

/// The default collation of a character set on MariaDB.
pub fn default_collation(charset: &str) -> String {
    match charset.to_ascii_lowercase().as_str() {
        "utf8" | "utf8mb3" => "utf8mb3_general_ci".to_owned(),
        "latin1" => "latin1_swedish_ci".to_owned(),
        "binary" => "binary".to_owned(),
        other => format!("{other}_general_ci"),
    }
}

/// The length of the `varchar` a `text` field is held in when it is part
/// of a key. MySQL keys only a prefix of a `TEXT` column: a prefix would
/// make a primary or unique key unique on its first characters only, and
/// InnoDB takes no prefix in a foreign key. 191 characters of utf8mb4 (764
/// bytes) fit InnoDB's smallest key (767 bytes), and it is the length
/// Prisma gives a `String` on MySQL.
pub const KEY_VARCHAR_LENGTH: u32 = 191;

/// The length of the `varbinary` a `bytes` field without a `max_length` is
/// held in when it is part of a key, for the same reasons: as many bytes as
/// a plain index keys of a `BLOB`.
pub const KEY_VARBINARY_LENGTH: u32 = 255;

/// The type MySQL holds `field` in when it is a `text` field, or a `bytes`
/// field without a `max_length`, of a manifest not read from MySQL, and is
/// in a primary key, a unique key (without a prefix length) or a foreign
/// key (at either end): a `varchar` ([`KEY_VARCHAR_LENGTH`]) or a
/// `varbinary` ([`KEY_VARBINARY_LENGTH`]), as MySQL keys only a prefix of a
/// `TEXT`/`BLOB` column. `None` for every other field.
pub fn key_type(
    manifest: &Manifest,
    entity_name: &str,
    entity: &Entity,
    name: &str,
    field: &Field,
) -> Option<Field> {
    // A manifest read from MySQL has its text keys as prefixes already.
    if manifest.source.as_ref().map(|s| s.engine) == Some(SourceEngine::Mysql) {
        return None;
    }
    let (ty, length) = match field.ty {
        FieldType::Text => (FieldType::String, KEY_VARCHAR_LENGTH),
        FieldType::Bytes if field.max_length.is_none() => (FieldType::Bytes, KEY_VARBINARY_LENGTH),
        _ => return None,
    };
    if !in_key(manifest, entity_name, entity, name) {
        return None;
    }
    let mut keyed = field.clone();
    keyed.ty = ty;
    keyed.max_length = Some(length);
    keyed.native = None;
    Some(keyed)
}

/// Whether field `name` of `entity` is in its primary key, a unique key or
/// a foreign key, or is referenced by a foreign key of `manifest`.
fn in_key(manifest: &Manifest, entity_name: &str, entity: &Entity, name: &str) -> bool {
    let named = |fields: &[String]| fields.iter().any(|f| f == name);
    entity.primary_key.iter().any(|f| f == name)
        || entity.fields.get(name).is_some_and(|f| f.unique)
        || entity.uniques.iter().any(|u| named(&u.fields))
        || entity.indexes.iter().any(|index| {
            index.unique
                && index.fields.iter().any(|part| {
                    matches!(
                        part,
                        IndexPart::Field { field, prefix_length: None, .. } if field == name
                    )
                })
        })
        || entity.relations.iter().any(|r| named(&r.fields))
        || manifest.entities.values().any(|other| {
            other
                .relations
                .iter()
                .any(|r| r.references.entity == entity_name && named(&r.references.fields))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(data_type: &str, column_type: &str) -> (FieldType, Option<String>) {
        let field = field_for_column(data_type, column_type, None, None, None);
        (field.ty, field.native)
    }

    #[test]
    fn integer_display_widths_are_not_types() {
        assert_eq!(normalize_type("int(11)"), "int");
        assert_eq!(normalize_type("smallint(5) unsigned"), "smallint unsigned");
        assert_eq!(normalize_type("tinyint(1)"), "tinyint(1)");
        assert_eq!(normalize_type("int(5)"), "int(5)");
        assert_eq!(normalize_type("bigint(20) unsigned"), "bigint unsigned");
        assert_eq!(
            normalize_type("int(10) unsigned zerofill"),
            "int unsigned zerofill"
        );
        assert_eq!(
            normalize_type("int(4) unsigned zerofill"),
            "int(4) unsigned zerofill"
        );
        assert_eq!(normalize_type("year(4)"), "year");
        assert_eq!(normalize_type("  VARCHAR(45) "), "varchar(45)");
    }

    #[test]
    fn columns_map_to_portable_types_with_native_when_not_exact() {
        assert_eq!(map("int", "int(11)"), (FieldType::Int32, None));
        assert_eq!(map("bigint", "bigint(20)"), (FieldType::Int64, None));
        assert_eq!(map("tinyint", "tinyint(1)"), (FieldType::Bool, None));
        assert_eq!(
            map("smallint", "smallint(5) unsigned"),
            (FieldType::Int32, Some("smallint unsigned".into()))
        );
        assert_eq!(
            map("tinyint", "tinyint(3) unsigned"),
            (FieldType::Int16, Some("tinyint unsigned".into()))
        );
        assert_eq!(
            map("year", "year(4)"),
            (FieldType::Int16, Some("year".into()))
        );
        assert_eq!(
            map("timestamp", "timestamp"),
            (FieldType::Timestamptz, None)
        );
        assert_eq!(map("datetime", "datetime"), (FieldType::Timestamp, None));
        assert_eq!(map("text", "text"), (FieldType::Text, None));
        assert_eq!(
            map("longtext", "longtext"),
            (FieldType::Text, Some("longtext".into()))
        );
        assert_eq!(
            map("geometry", "geometry"),
            (FieldType::Native, Some("geometry".into()))
        );
        let varchar = field_for_column("varchar", "varchar(45)", Some(45), None, None);
        assert_eq!(
            (varchar.ty, varchar.max_length, varchar.native),
            (FieldType::String, Some(45), None)
        );
        let decimal = field_for_column("decimal", "decimal(4,2)", None, Some(4), Some(2));
        assert_eq!(
            (decimal.precision, decimal.scale, decimal.native),
            (Some(4), Some(2), None)
        );
        let nchar = field_for_column("char", "char(3)", Some(3), None, None);
        assert_eq!(nchar.native.as_deref(), Some("char(3)"));
    }
}
