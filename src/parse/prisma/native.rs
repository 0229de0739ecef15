//! Prisma's scalar types and its native type attributes (`@db.VarChar(255)`)
//! → portable fields.
//!
//! A native type attribute names the column type Prisma creates. It becomes
//! the portable type that says the most about the values (`@db.Uuid` →
//! `uuid`, `@db.SmallInt` → `int16`), and the engine's own spelling of the
//! column type goes into `native` only when the engine's canonical rendering
//! of that portable type is not it, exactly as live introspection of the
//! database Prisma creates would record it: `@db.VarChar(255)` is a plain
//! `string` of `max_length` 255, `@db.Timestamptz(6)` a `timestamptz` with
//! `native = "timestamp(6) with time zone"`, `@db.Char(2)` a `string` with
//! `native = "character(2)"`.

use crate::dialect::{mysql, postgres};
use crate::manifest::{Field, FieldType};

/// The built-in scalar types of Prisma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scalar {
    String,
    Boolean,
    Int,
    BigInt,
    Float,
    Decimal,
    DateTime,
    Json,
    Bytes,
}

impl Scalar {
    pub const NAMES: &'static [&'static str] = &[
        "String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes",
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "String" => Self::String,
            "Boolean" => Self::Boolean,
            "Int" => Self::Int,
            "BigInt" => Self::BigInt,
            "Float" => Self::Float,
            "Decimal" => Self::Decimal,
            "DateTime" => Self::DateTime,
            "Json" => Self::Json,
            "Bytes" => Self::Bytes,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::Boolean => "Boolean",
            Self::Int => "Int",
            Self::BigInt => "BigInt",
            Self::Float => "Float",
            Self::Decimal => "Decimal",
            Self::DateTime => "DateTime",
            Self::Json => "Json",
            Self::Bytes => "Bytes",
        }
    }

    /// The portable type of a field of this scalar on a database whose
    /// column types Prisma does not choose (MongoDB, or no datasource).
    /// `DateTime` is `timestamptz`: Prisma reads and writes instants in UTC.
    pub fn field_type(self) -> FieldType {
        match self {
            Self::String => FieldType::String,
            Self::Boolean => FieldType::Bool,
            Self::Int => FieldType::Int32,
            Self::BigInt => FieldType::Int64,
            Self::Float => FieldType::Float64,
            Self::Decimal => FieldType::Decimal,
            Self::DateTime => FieldType::Timestamptz,
            Self::Json => FieldType::Json,
            Self::Bytes => FieldType::Bytes,
        }
    }
}

/// The database a schema is for (its datasource `provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Provider {
    Postgres,
    Cockroach,
    Mysql,
    Sqlite,
    Mongodb,
    Sqlserver,
    /// No datasource block.
    Unknown,
}

/// The field for scalar `scalar` without a native type attribute: the
/// column Prisma Migrate creates for it on `provider`, as if the attribute
/// it stands for were written (`String` is `@db.Text` on PostgreSQL and
/// `@db.VarChar(191)` on MySQL, `DateTime` is `@db.Timestamp(3)` on
/// PostgreSQL and `@db.DateTime(3)` on MySQL, `Decimal` is
/// `@db.Decimal(65, 30)`), or, on SQLite, the column type it declares:
/// `TEXT`, `INTEGER` (SQLite's 64-bit integer, for `Int` as for the rowid),
/// `BIGINT`, `DATETIME` and `JSONB`.
pub(super) fn default_field(provider: Provider, scalar: Scalar) -> Field {
    use Scalar::*;
    let (name, arguments): (&str, &[u32]) = match (provider, scalar) {
        (Provider::Postgres | Provider::Cockroach, String) => ("Text", &[]),
        (Provider::Postgres | Provider::Cockroach, DateTime) => ("Timestamp", &[3]),
        (Provider::Postgres | Provider::Cockroach | Provider::Mysql, Decimal) => {
            ("Decimal", &[65, 30])
        }
        (Provider::Mysql, String) => ("VarChar", &[191]),
        (Provider::Mysql, DateTime) => ("DateTime", &[3]),
        (Provider::Mysql, Bytes) => ("LongBlob", &[]),
        (Provider::Sqlite, _) => return sqlite_field(scalar),
        _ => return Field::new(scalar.field_type()),
    };
    match native_field(provider, scalar, name, &numbers(arguments)) {
        Native::Known(field) => field,
        Native::Unknown(_) | Native::Invalid(_) => Field::new(scalar.field_type()),
    }
}

/// The column Prisma Migrate declares for `scalar` on SQLite, as SQLite
/// introspection reads it back.
fn sqlite_field(scalar: Scalar) -> Field {
    let declared = match scalar {
        Scalar::String => "TEXT",
        Scalar::Boolean => "BOOLEAN",
        Scalar::Int => "INTEGER",
        Scalar::BigInt => "BIGINT",
        Scalar::Float => "REAL",
        Scalar::Decimal => "DECIMAL",
        Scalar::DateTime => "DATETIME",
        Scalar::Json => "JSONB",
        Scalar::Bytes => "BLOB",
    };
    crate::dialect::sqlite::field_for_declared_type(declared)
}

/// `(3)`, `(65, 30)` as arguments of a native type attribute.
fn numbers(arguments: &[u32]) -> Vec<NativeArgument> {
    arguments
        .iter()
        .map(|n| NativeArgument::Number(*n))
        .collect()
}

/// The PostgreSQL operator class of one of Prisma's names for them
/// (`ops: JsonbPathOps`): the type and the kind, lower-cased and joined
/// (`Int4MinMaxOps` is `int4_minmax_ops`, `TimestampTzBloomOps`
/// `timestamptz_bloom_ops`).
pub(super) fn operator_class(name: &str) -> Option<String> {
    const KINDS: &[(&str, &str)] = &[
        ("MinMaxMultiOps", "_minmax_multi_ops"),
        ("MinMaxOps", "_minmax_ops"),
        ("BloomOps", "_bloom_ops"),
        ("InclusionOps", "_inclusion_ops"),
        ("PathOps", "_path_ops"),
        ("Ops", "_ops"),
    ];
    const TYPES: &[&str] = &[
        "Array",
        "Bit",
        "Bpchar",
        "Bytea",
        "Date",
        "Float4",
        "Float8",
        "Inet",
        "Int2",
        "Int4",
        "Int8",
        "Jsonb",
        "Numeric",
        "Oid",
        "Text",
        "Time",
        "TimeTz",
        "Timestamp",
        "TimestampTz",
        "Uuid",
        "VarBit",
    ];
    KINDS.iter().find_map(|(kind, class)| {
        let ty = name.strip_suffix(kind)?;
        TYPES
            .contains(&ty)
            .then(|| format!("{}{class}", ty.to_ascii_lowercase()))
    })
}

/// Whether PostgreSQL uses `class` by default for index `method` (`None`
/// is btree): the catalog then shows no operator class, so none is kept.
pub(super) fn default_operator_class(method: Option<&str>, class: &str) -> bool {
    match method.unwrap_or("btree") {
        "gin" => ["jsonb_ops", "array_ops", "tsvector_ops"].contains(&class),
        "spgist" => ["inet_ops", "text_ops"].contains(&class),
        "brin" => class.ends_with("_minmax_ops") || class == "inet_inclusion_ops",
        "btree" => class == "text_ops",
        _ => false,
    }
}

/// An argument of a native type attribute: `255`, or a word such as `Max`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NativeArgument {
    Number(u32),
    Word(String),
}

/// What a native type attribute means for a field.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Native {
    /// A type this importer knows for the provider.
    Known(Field),
    /// A type it does not know: kept as the engine text it most likely
    /// stands for, in `native`, on the scalar's portable type.
    Unknown(Field),
    /// The attribute does not fit the field: the message says why.
    Invalid(String),
}

/// The field for scalar `scalar` with native type attribute `@db.{name}(arguments)`.
pub(super) fn native_field(
    provider: Provider,
    scalar: Scalar,
    name: &str,
    arguments: &[NativeArgument],
) -> Native {
    let numbers: Option<Vec<u32>> = arguments
        .iter()
        .map(|argument| match argument {
            NativeArgument::Number(n) => Some(*n),
            NativeArgument::Word(_) => None,
        })
        .collect();
    let found = match provider {
        Provider::Postgres | Provider::Cockroach => postgres_type(name),
        Provider::Mysql => mysql_type(name),
        Provider::Mongodb => mongodb_type(name),
        Provider::Sqlite | Provider::Sqlserver | Provider::Unknown => None,
    };
    let Some(spec) = found else {
        return Native::Unknown(generic(provider, scalar, name, arguments));
    };
    if !spec.scalars.contains(&scalar) {
        let allowed: Vec<&str> = spec.scalars.iter().map(|s| s.name()).collect();
        return Native::Invalid(format!(
            "`@db.{name}` does not apply to a `{}` field (it is for {})",
            scalar.name(),
            allowed.join(", ")
        ));
    }
    let Some(numbers) = numbers else {
        return Native::Invalid(format!("`@db.{name}` takes numbers as arguments"));
    };
    if numbers.len() > spec.max_arguments {
        return Native::Invalid(match spec.max_arguments {
            0 => format!("`@db.{name}` takes no arguments"),
            1 => format!("`@db.{name}` takes one argument"),
            n => format!("`@db.{name}` takes at most {n} arguments"),
        });
    }
    Native::Known((spec.build)(scalar, &numbers))
}

struct Spec {
    scalars: &'static [Scalar],
    max_arguments: usize,
    build: fn(Scalar, &[u32]) -> Field,
}

fn spec(
    scalars: &'static [Scalar],
    max_arguments: usize,
    build: fn(Scalar, &[u32]) -> Field,
) -> Spec {
    Spec {
        scalars,
        max_arguments,
        build,
    }
}

/// `(n)` when there is an argument.
fn suffix(arguments: &[u32]) -> String {
    match arguments {
        [] => String::new(),
        _ => format!(
            "({})",
            arguments
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn pg(ty: FieldType, formatted: &str) -> Field {
    let mut field = Field::new(ty);
    postgres::pin_native(&mut field, formatted);
    field
}

fn pg_sized(ty: FieldType, arguments: &[u32], formatted: String) -> Field {
    let mut field = Field::new(ty);
    field.max_length = arguments.first().copied();
    postgres::pin_native(&mut field, &formatted);
    field
}

/// `timestamp(3) with time zone`: PostgreSQL puts the precision after the first word.
fn pg_temporal(ty: FieldType, base: &str, zone: &str, arguments: &[u32]) -> Field {
    pg(ty, &format!("{base}{} {zone}", suffix(arguments)))
}

fn postgres_type(name: &str) -> Option<Spec> {
    use Scalar::*;
    Some(match name {
        "Text" => spec(&[String], 0, |_, _| pg(FieldType::Text, "text")),
        "Char" => spec(&[String], 1, |_, a| {
            let a = if a.is_empty() { &[1][..] } else { a };
            pg_sized(FieldType::String, a, format!("character{}", suffix(a)))
        }),
        "VarChar" => spec(&[String], 1, |_, a| {
            pg_sized(
                FieldType::String,
                a,
                format!("character varying{}", suffix(a)),
            )
        }),
        "Bit" => spec(&[String, Boolean], 1, |_, a| {
            let a = if a.is_empty() { &[1][..] } else { a };
            pg(FieldType::Native, &format!("bit{}", suffix(a)))
        }),
        "VarBit" => spec(&[String], 1, |_, a| {
            pg(FieldType::Native, &format!("bit varying{}", suffix(a)))
        }),
        "Uuid" => spec(&[String], 0, |_, _| pg(FieldType::Uuid, "uuid")),
        "Xml" => spec(&[String], 0, |_, _| pg(FieldType::Native, "xml")),
        "Inet" => spec(&[String], 0, |_, _| pg(FieldType::Native, "inet")),
        "Citext" => spec(&[String], 0, |_, _| pg(FieldType::Native, "citext")),
        "Boolean" | "Bool" => spec(&[Boolean], 0, |_, _| pg(FieldType::Bool, "boolean")),
        "Integer" | "Int" | "Int4" => spec(&[Int], 0, |_, _| pg(FieldType::Int32, "integer")),
        "SmallInt" | "Int2" => spec(&[Int], 0, |_, _| pg(FieldType::Int16, "smallint")),
        "BigInt" | "Int8" => spec(&[BigInt, Int], 0, |_, _| pg(FieldType::Int64, "bigint")),
        "Oid" => spec(&[Int], 0, |_, _| pg(FieldType::Native, "oid")),
        "DoublePrecision" | "Float8" => spec(&[Float], 0, |_, _| {
            pg(FieldType::Float64, "double precision")
        }),
        "Real" | "Float4" => spec(&[Float], 0, |_, _| pg(FieldType::Float32, "real")),
        "Decimal" => spec(&[Decimal, Float], 2, |_, a| {
            let mut field = Field::new(FieldType::Decimal);
            field.precision = a.first().copied();
            field.scale = a.get(1).copied().or(field.precision.map(|_| 0));
            let formatted = match (field.precision, field.scale) {
                (Some(p), Some(s)) => format!("numeric({p},{s})"),
                _ => "numeric".to_owned(),
            };
            postgres::pin_native(&mut field, &formatted);
            field
        }),
        "Money" => spec(&[Decimal], 0, |_, _| pg(FieldType::Native, "money")),
        "Timestamp" => spec(&[DateTime], 1, |_, a| {
            pg_temporal(FieldType::Timestamp, "timestamp", "without time zone", a)
        }),
        "Timestamptz" => spec(&[DateTime], 1, |_, a| {
            pg_temporal(FieldType::Timestamptz, "timestamp", "with time zone", a)
        }),
        "Date" => spec(&[DateTime], 0, |_, _| pg(FieldType::Date, "date")),
        "Time" => spec(&[DateTime], 1, |_, a| {
            pg_temporal(FieldType::Time, "time", "without time zone", a)
        }),
        "Timetz" => spec(&[DateTime], 1, |_, a| {
            pg_temporal(FieldType::Native, "time", "with time zone", a)
        }),
        "Json" => spec(&[Json], 0, |_, _| pg(FieldType::Json, "json")),
        "JsonB" => spec(&[Json], 0, |_, _| pg(FieldType::Json, "jsonb")),
        "ByteA" | "Bytes" => spec(&[Bytes], 0, |_, _| pg(FieldType::Bytes, "bytea")),
        "String" => spec(&[String], 1, |_, a| match a {
            [] => pg(FieldType::Text, "text"),
            _ => pg_sized(
                FieldType::String,
                a,
                format!("character varying{}", suffix(a)),
            ),
        }),
        _ => return None,
    })
}

/// A MySQL column type: the portable field and the type MySQL shows.
fn my(ty: FieldType, column_type: &str) -> Field {
    let mut field = Field::new(ty);
    if mysql::canonical_type(&field) != mysql::normalize_type(column_type) {
        field.native = Some(column_type.to_owned());
    }
    field
}

fn my_sized(ty: FieldType, base: &str, arguments: &[u32], default: Option<u32>) -> Field {
    let length = arguments.first().copied().or(default);
    let mut field = Field::new(ty);
    field.max_length = length;
    let column_type = match length {
        Some(n) => format!("{base}({n})"),
        None => base.to_owned(),
    };
    if mysql::canonical_type(&field) != mysql::normalize_type(&column_type) {
        field.native = Some(column_type);
    }
    field
}

/// An integer column: `Boolean` fields stay booleans (`tinyint(1)`, `bit(1)`).
fn my_integer(scalar: Scalar, ty: FieldType, base: &str, arguments: &[u32]) -> Field {
    let ty = if scalar == Scalar::Boolean {
        FieldType::Bool
    } else {
        ty
    };
    my(ty, &format!("{base}{}", suffix(arguments)))
}

fn mysql_type(name: &str) -> Option<Spec> {
    use Scalar::*;
    Some(match name {
        "VarChar" => spec(&[String], 1, |_, a| {
            my_sized(FieldType::String, "varchar", a, None)
        }),
        "Char" => spec(&[String], 1, |_, a| {
            let mut field = my_sized(FieldType::String, "char", a, Some(1));
            field.native = Some(format!("char({})", field.max_length.unwrap_or(1)));
            field
        }),
        "Text" => spec(&[String], 0, |_, _| my(FieldType::Text, "text")),
        "TinyText" => spec(&[String], 0, |_, _| my(FieldType::Text, "tinytext")),
        "MediumText" => spec(&[String], 0, |_, _| my(FieldType::Text, "mediumtext")),
        "LongText" => spec(&[String], 0, |_, _| my(FieldType::Text, "longtext")),
        "TinyInt" => spec(&[Int, Boolean], 1, |s, a| {
            my_integer(s, FieldType::Int16, "tinyint", a)
        }),
        "UnsignedTinyInt" => spec(&[Int, Boolean], 1, |s, a| {
            my_integer(s, FieldType::Int16, "tinyint unsigned", a)
        }),
        "SmallInt" => spec(&[Int], 0, |s, a| {
            my_integer(s, FieldType::Int16, "smallint", a)
        }),
        "UnsignedSmallInt" => spec(&[Int], 0, |s, a| {
            my_integer(s, FieldType::Int32, "smallint unsigned", a)
        }),
        "MediumInt" => spec(&[Int], 0, |s, a| {
            my_integer(s, FieldType::Int32, "mediumint", a)
        }),
        "UnsignedMediumInt" => spec(&[Int], 0, |s, a| {
            my_integer(s, FieldType::Int32, "mediumint unsigned", a)
        }),
        "Int" => spec(&[Int], 0, |s, a| my_integer(s, FieldType::Int32, "int", a)),
        "UnsignedInt" => spec(&[Int], 0, |s, a| {
            my_integer(s, FieldType::Int64, "int unsigned", a)
        }),
        "BigInt" => spec(&[BigInt], 0, |s, a| {
            my_integer(s, FieldType::Int64, "bigint", a)
        }),
        "UnsignedBigInt" => spec(&[BigInt], 0, |s, a| {
            my_integer(s, FieldType::Int64, "bigint unsigned", a)
        }),
        "Year" => spec(&[Int], 0, |_, _| my(FieldType::Int16, "year")),
        "Bit" => spec(&[Boolean, Bytes], 1, |s, a| {
            let a = if a.is_empty() { &[1][..] } else { a };
            match s {
                Scalar::Boolean => my(FieldType::Bool, &format!("bit{}", suffix(a))),
                _ => my(FieldType::Native, &format!("bit{}", suffix(a))),
            }
        }),
        "Float" => spec(&[Float], 0, |_, _| my(FieldType::Float32, "float")),
        "Double" => spec(&[Float], 0, |_, _| my(FieldType::Float64, "double")),
        "Decimal" => spec(&[Decimal], 2, |_, a| {
            let mut field = Field::new(FieldType::Decimal);
            field.precision = Some(a.first().copied().unwrap_or(10));
            field.scale = Some(a.get(1).copied().unwrap_or(0));
            field
        }),
        "Date" => spec(&[DateTime], 0, |_, _| my(FieldType::Date, "date")),
        "Time" => spec(&[DateTime], 1, |_, a| {
            my(FieldType::Time, &format!("time{}", suffix(a)))
        }),
        "DateTime" => spec(&[DateTime], 1, |_, a| {
            my(FieldType::Timestamp, &format!("datetime{}", suffix(a)))
        }),
        "Timestamp" => spec(&[DateTime], 1, |_, a| {
            my(FieldType::Timestamptz, &format!("timestamp{}", suffix(a)))
        }),
        "Json" => spec(&[Json], 0, |_, _| my(FieldType::Json, "json")),
        "Binary" => spec(&[Bytes], 1, |_, a| {
            let mut field = my_sized(FieldType::Bytes, "binary", a, Some(1));
            field.native = Some(format!("binary({})", field.max_length.unwrap_or(1)));
            field
        }),
        "VarBinary" => spec(&[Bytes], 1, |_, a| {
            my_sized(FieldType::Bytes, "varbinary", a, None)
        }),
        "TinyBlob" => spec(&[Bytes], 0, |_, _| my(FieldType::Bytes, "tinyblob")),
        "Blob" => spec(&[Bytes], 0, |_, _| my(FieldType::Bytes, "blob")),
        "MediumBlob" => spec(&[Bytes], 0, |_, _| my(FieldType::Bytes, "mediumblob")),
        "LongBlob" => spec(&[Bytes], 0, |_, _| my(FieldType::Bytes, "longblob")),
        _ => return None,
    })
}

/// MongoDB BSON types: the portable type, or `native` with the BSON name.
fn mongodb_type(name: &str) -> Option<Spec> {
    use Scalar::*;
    fn bson(ty: FieldType) -> Field {
        Field::new(ty)
    }
    Some(match name {
        "ObjectId" => spec(&[String, Bytes], 0, |_, _| bson(FieldType::ObjectId)),
        "String" => spec(&[String], 0, |_, _| bson(FieldType::String)),
        "Int" => spec(&[Int], 0, |_, _| bson(FieldType::Int32)),
        "Long" => spec(&[Int, BigInt], 0, |_, _| bson(FieldType::Int64)),
        "Double" => spec(&[Float], 0, |_, _| bson(FieldType::Float64)),
        "Bool" => spec(&[Boolean], 0, |_, _| bson(FieldType::Bool)),
        "Date" => spec(&[DateTime], 0, |_, _| bson(FieldType::Timestamptz)),
        "Timestamp" => spec(&[DateTime], 0, |_, _| {
            let mut field = Field::new(FieldType::Native);
            field.native = Some("timestamp".to_owned());
            field
        }),
        "BinData" => spec(&[Bytes], 0, |_, _| bson(FieldType::Bytes)),
        _ => return None,
    })
}

/// An unknown native type: the scalar's portable type, with the attribute's
/// name and arguments, lower-cased, as the engine type (`@db.NVarChar(Max)`
/// → `nvarchar(max)`).
fn generic(_provider: Provider, scalar: Scalar, name: &str, arguments: &[NativeArgument]) -> Field {
    let mut field = Field::new(scalar.field_type());
    let arguments: Vec<String> = arguments
        .iter()
        .map(|argument| match argument {
            NativeArgument::Number(n) => n.to_string(),
            NativeArgument::Word(word) => word.to_ascii_lowercase(),
        })
        .collect();
    let text = if arguments.is_empty() {
        name.to_ascii_lowercase()
    } else {
        format!("{}({})", name.to_ascii_lowercase(), arguments.join(","))
    };
    field.native = Some(text);
    field
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(provider: Provider, scalar: Scalar, name: &str, arguments: &[u32]) -> Field {
        match native_field(provider, scalar, name, &numbers(arguments)) {
            Native::Known(field) => field,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn prisma_operator_class_names_are_postgres_names() {
        for (prisma, postgres) in [
            ("JsonbPathOps", "jsonb_path_ops"),
            ("JsonbOps", "jsonb_ops"),
            ("ArrayOps", "array_ops"),
            ("InetOps", "inet_ops"),
            ("Int4MinMaxOps", "int4_minmax_ops"),
            ("Int8MinMaxMultiOps", "int8_minmax_multi_ops"),
            ("VarBitMinMaxOps", "varbit_minmax_ops"),
            ("TimestampTzBloomOps", "timestamptz_bloom_ops"),
            ("TimeTzMinMaxOps", "timetz_minmax_ops"),
            ("InetInclusionOps", "inet_inclusion_ops"),
        ] {
            assert_eq!(operator_class(prisma).as_deref(), Some(postgres));
        }
        assert_eq!(operator_class("GinTrgmOps"), None);
        assert_eq!(operator_class("Ops"), None);
    }

    #[test]
    fn postgres_types_pin_native_only_when_needed() {
        let varchar = known(Provider::Postgres, Scalar::String, "VarChar", &[255]);
        assert_eq!(
            (varchar.ty, varchar.max_length, varchar.native),
            (FieldType::String, Some(255), None)
        );
        let char2 = known(Provider::Postgres, Scalar::String, "Char", &[2]);
        assert_eq!(char2.native.as_deref(), Some("character(2)"));
        assert_eq!(char2.max_length, Some(2));
        let stamp = known(Provider::Postgres, Scalar::DateTime, "Timestamptz", &[6]);
        assert_eq!(
            (stamp.ty, stamp.native.as_deref()),
            (FieldType::Timestamptz, Some("timestamp(6) with time zone"))
        );
        let plain = known(Provider::Postgres, Scalar::DateTime, "Timestamptz", &[]);
        assert_eq!(plain.native, None);
        let decimal = known(Provider::Postgres, Scalar::Decimal, "Decimal", &[10, 1]);
        assert_eq!(
            (decimal.precision, decimal.scale, decimal.native),
            (Some(10), Some(1), None)
        );
        let jsonb = known(Provider::Postgres, Scalar::Json, "JsonB", &[]);
        assert_eq!((jsonb.ty, jsonb.native), (FieldType::Json, None));
        let json = known(Provider::Postgres, Scalar::Json, "Json", &[]);
        assert_eq!(json.native.as_deref(), Some("json"));
        let inet = known(Provider::Postgres, Scalar::String, "Inet", &[]);
        assert_eq!(
            (inet.ty, inet.native.as_deref()),
            (FieldType::Native, Some("inet"))
        );
        let uuid = known(Provider::Postgres, Scalar::String, "Uuid", &[]);
        assert_eq!((uuid.ty, uuid.native), (FieldType::Uuid, None));
    }

    #[test]
    fn mysql_types_follow_the_mysql_dialect() {
        let flag = known(Provider::Mysql, Scalar::Boolean, "TinyInt", &[1]);
        assert_eq!((flag.ty, flag.native), (FieldType::Bool, None));
        let tiny = known(Provider::Mysql, Scalar::Int, "TinyInt", &[]);
        assert_eq!(
            (tiny.ty, tiny.native.as_deref()),
            (FieldType::Int16, Some("tinyint"))
        );
        let unsigned = known(Provider::Mysql, Scalar::Int, "UnsignedInt", &[]);
        assert_eq!(
            (unsigned.ty, unsigned.native.as_deref()),
            (FieldType::Int64, Some("int unsigned"))
        );
        let varchar = known(Provider::Mysql, Scalar::String, "VarChar", &[191]);
        assert_eq!((varchar.max_length, varchar.native), (Some(191), None));
        let datetime = known(Provider::Mysql, Scalar::DateTime, "DateTime", &[3]);
        assert_eq!(
            (datetime.ty, datetime.native.as_deref()),
            (FieldType::Timestamp, Some("datetime(3)"))
        );
    }

    #[test]
    fn misfits_and_unknown_types_are_told_apart() {
        assert!(matches!(
            native_field(Provider::Postgres, Scalar::Int, "VarChar", &[]),
            Native::Invalid(_)
        ));
        assert!(matches!(
            native_field(
                Provider::Postgres,
                Scalar::String,
                "VarChar",
                &[NativeArgument::Word("x".into())]
            ),
            Native::Invalid(_)
        ));
        match native_field(
            Provider::Sqlserver,
            Scalar::String,
            "NVarChar",
            &[NativeArgument::Word("Max".into())],
        ) {
            Native::Unknown(field) => assert_eq!(field.native.as_deref(), Some("nvarchar(max)")),
            other => panic!("{other:?}"),
        }
    }
}
