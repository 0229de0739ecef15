//! PostgreSQL: the type of a view's select item, resolved the way the
//! server resolves it (the rules of "Type Conversion" in its manual):
//! operators and functions from the built-in catalogue chosen by exact
//! match, then implicit casts, then preferred types; `CASE`, `COALESCE`,
//! `GREATEST`/`LEAST`, `ARRAY[...]` and set operations by the common-type
//! rule; a result's type modifier kept only where the server keeps it.
//! What is not in the catalogue below is not typed.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, DataType, DateTimeField, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, UnaryOperator, Value,
};

use super::{Context, Source};
use crate::dialect::postgres::builtin_field;
use crate::manifest::{Field, FieldType};

/// A type as the server names it (`pg_type.typname`, `_int4` for an array)
/// with its type modifier; `field` holds a type the catalogue below does
/// not know (an enum, a domain, an extension's type), which only passes
/// through unchanged.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PgType {
    name: String,
    typmod: i32,
    field: Option<Field>,
}

const UNKNOWN: &str = "unknown";

impl PgType {
    fn new(name: &str) -> Self {
        PgType {
            name: name.to_owned(),
            typmod: -1,
            field: None,
        }
    }

    fn unknown() -> Self {
        Self::new(UNKNOWN)
    }

    fn is_unknown(&self) -> bool {
        self.name == UNKNOWN
    }

    fn without_typmod(mut self) -> Self {
        if self.field.is_none() {
            self.typmod = -1;
        }
        self
    }

    /// The type of a manifest field: a built-in one when rendering it
    /// back gives the same field, else an opaque one.
    pub(super) fn of_field(field: &Field) -> Self {
        let opaque = PgType {
            name: format!("opaque {}", crate::dialect::postgres::canonical_type(field)),
            typmod: -1,
            field: Some(field.clone()),
        };
        let Some((name, typmod)) = builtin_of(field) else {
            return opaque;
        };
        let ty = PgType {
            name,
            typmod,
            field: None,
        };
        match ty.to_field() {
            Some(back) if same_type(&back, field) => ty,
            _ => opaque,
        }
    }

    /// The manifest field of the type (nullable, as every view column).
    pub(super) fn to_field(&self) -> Option<Field> {
        let mut field = self.build()?;
        field.nullable = true;
        Some(field)
    }

    fn build(&self) -> Option<Field> {
        Some(match &self.field {
            Some(field) => field.clone(),
            None => {
                let name = if self.is_unknown() {
                    "text"
                } else {
                    &self.name
                };
                match name.strip_prefix('_') {
                    Some(element) => {
                        let items = PgType {
                            name: element.to_owned(),
                            typmod: self.typmod,
                            field: None,
                        }
                        .build()?;
                        let mut field = Field::new(FieldType::Array);
                        field.items = Some(Box::new(items));
                        crate::dialect::postgres::pin_native(
                            &mut field,
                            &format!("{}[]", format_type(element, self.typmod)?),
                        );
                        field
                    }
                    None => builtin_field(name, self.typmod, &format_type(name, self.typmod)?),
                }
            }
        })
    }

    fn category(&self) -> char {
        if self.field.is_some() {
            return 'U';
        }
        if self.name.starts_with('_') {
            return 'A';
        }
        match self.name.as_str() {
            "bool" => 'B',
            "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" => 'N',
            "text" | "varchar" | "bpchar" => 'S',
            "date" | "time" | "timetz" | "timestamp" | "timestamptz" => 'D',
            "interval" => 'T',
            UNKNOWN => 'X',
            _ => 'U',
        }
    }

    fn preferred(&self) -> bool {
        matches!(
            self.name.as_str(),
            "bool" | "float8" | "text" | "timestamptz" | "interval"
        )
    }

    /// Whether a value of this type is implicitly cast to `to`.
    fn coerces_to(&self, to: &str) -> bool {
        if self.name == to || self.is_unknown() {
            return true;
        }
        let targets: &[&str] = match self.name.as_str() {
            "int2" => &["int4", "int8", "float4", "float8", "numeric"],
            "int4" => &["int8", "float4", "float8", "numeric"],
            "int8" => &["float4", "float8", "numeric"],
            "float4" => &["float8"],
            "numeric" => &["float4", "float8"],
            "varchar" => &["text", "bpchar"],
            "bpchar" => &["text", "varchar"],
            "text" => &["varchar", "bpchar"],
            "date" => &["timestamp", "timestamptz"],
            "timestamp" => &["timestamptz"],
            "time" => &["timetz", "interval"],
            _ => &[],
        };
        targets.contains(&to)
    }
}

/// The built-in type name and modifier a field is written as.
fn builtin_of(field: &Field) -> Option<(String, i32)> {
    if field.enum_name.is_some() {
        return None;
    }
    let native = field.native.as_deref().unwrap_or_default();
    let (name, typmod) = match field.ty {
        FieldType::Bool => ("bool", -1),
        FieldType::Int16 => ("int2", -1),
        FieldType::Int32 => ("int4", -1),
        FieldType::Int64 => ("int8", -1),
        FieldType::Float32 => ("float4", -1),
        FieldType::Float64 => ("float8", -1),
        FieldType::Decimal => match (field.precision, field.scale) {
            (Some(precision), scale) => (
                "numeric",
                i32::try_from((precision << 16) | scale.unwrap_or(0)).ok()? + 4,
            ),
            (None, _) => ("numeric", -1),
        },
        FieldType::String => {
            let typmod = field
                .max_length
                .map_or(Some(-1), |length| i32::try_from(length).ok().map(|l| l + 4))?;
            if native.starts_with("character(") || native == "character" {
                ("bpchar", typmod)
            } else {
                ("varchar", typmod)
            }
        }
        FieldType::Text => ("text", -1),
        FieldType::Uuid => ("uuid", -1),
        FieldType::Date => ("date", -1),
        FieldType::Time => ("time", precision_of(native)),
        FieldType::Timestamp => ("timestamp", precision_of(native)),
        FieldType::Timestamptz => ("timestamptz", precision_of(native)),
        FieldType::Interval => ("interval", -1),
        FieldType::Json if native == "json" => ("json", -1),
        FieldType::Json => ("jsonb", -1),
        FieldType::Bytes => ("bytea", -1),
        FieldType::Array => {
            let (element, typmod) = builtin_of(field.items.as_deref()?)?;
            return Some((format!("_{element}"), typmod));
        }
        _ => return None,
    };
    Some((name.to_owned(), typmod))
}

/// The precision in `timestamp(3) without time zone`, else -1.
fn precision_of(native: &str) -> i32 {
    native
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(digits, _)| digits.trim().parse().ok())
        .unwrap_or(-1)
}

/// Whether two fields have the same type (nullability and the rest aside).
fn same_type(a: &Field, b: &Field) -> bool {
    a.ty == b.ty
        && a.native == b.native
        && a.max_length == b.max_length
        && a.precision == b.precision
        && a.scale == b.scale
        && a.enum_name == b.enum_name
        && match (&a.items, &b.items) {
            (Some(a), Some(b)) => same_type(a, b),
            (None, None) => true,
            _ => false,
        }
}

/// What `format_type()` prints for a built-in type and modifier.
fn format_type(name: &str, typmod: i32) -> Option<String> {
    let with = |base: &str| {
        if typmod >= 0 {
            format!("{base}({})", typmod - 4)
        } else {
            base.to_owned()
        }
    };
    let precision = |base: &str, zone: &str| {
        if typmod >= 0 {
            format!("{base}({typmod}) {zone}")
        } else {
            format!("{base} {zone}")
        }
    };
    Some(match name {
        "bool" => "boolean".to_owned(),
        "int2" => "smallint".to_owned(),
        "int4" => "integer".to_owned(),
        "int8" => "bigint".to_owned(),
        "float4" => "real".to_owned(),
        "float8" => "double precision".to_owned(),
        "numeric" if typmod >= 4 => {
            let packed = typmod - 4;
            format!("numeric({},{})", packed >> 16, packed & 0xffff)
        }
        "numeric" => "numeric".to_owned(),
        "varchar" => with("character varying"),
        // `format_type()` of a `character` without a length.
        "bpchar" if typmod < 0 => "bpchar".to_owned(),
        "bpchar" => with("character"),
        "text" | "uuid" | "date" | "json" | "jsonb" | "bytea" => name.to_owned(),
        "interval" if typmod < 0 => "interval".to_owned(),
        "time" => precision("time", "without time zone"),
        "timetz" => precision("time", "with time zone"),
        "timestamp" => precision("timestamp", "without time zone"),
        "timestamptz" => precision("timestamp", "with time zone"),
        _ => return None,
    })
}

/// A type written in a cast.
fn cast_type(data_type: &DataType) -> Option<PgType> {
    let written = data_type.to_string().to_ascii_lowercase();
    let (written, array) = match written.strip_suffix("[]") {
        Some(element) => (element.trim().to_owned(), true),
        None => (written, false),
    };
    let (base, numbers) = match written.split_once('(') {
        Some((before, rest)) => {
            let (inside, after) = rest.split_once(')')?;
            let numbers = inside
                .split(',')
                .map(|n| n.trim().parse::<i32>().ok())
                .collect::<Option<Vec<_>>>()?;
            (format!("{} {}", before.trim(), after.trim()), numbers)
        }
        None => (written.clone(), Vec::new()),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = match base.as_str() {
        "int" | "integer" | "int4" => "int4",
        "smallint" | "int2" => "int2",
        "bigint" | "int8" => "int8",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" if numbers.is_empty() => "float8",
        "float" => match numbers.as_slice() {
            [bits] if (1..=24).contains(bits) => "float4",
            [bits] if (25..=53).contains(bits) => "float8",
            _ => return None,
        },
        "numeric" | "decimal" => "numeric",
        "varchar" | "character varying" => "varchar",
        "char" | "character" | "bpchar" => "bpchar",
        "text" => "text",
        "bool" | "boolean" => "bool",
        "date" => "date",
        "time" | "time without time zone" => "time",
        "timetz" | "time with time zone" => "timetz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "interval" if numbers.is_empty() => "interval",
        "uuid" => "uuid",
        "json" => "json",
        "jsonb" => "jsonb",
        "bytea" => "bytea",
        _ => return None,
    };
    let typmod = match (name, numbers.as_slice()) {
        (_, []) if name == "bpchar" && base != "bpchar" => 1 + 4,
        (_, []) | ("float4" | "float8", _) => -1,
        ("varchar" | "bpchar", [length]) => length + 4,
        ("numeric", [precision]) => (precision << 16) + 4,
        ("numeric", [precision, scale]) => ((precision << 16) | scale) + 4,
        ("time" | "timetz" | "timestamp" | "timestamptz", [precision]) => *precision,
        _ => return None,
    };
    Some(PgType {
        name: if array {
            format!("_{name}")
        } else {
            name.to_owned()
        },
        typmod,
        field: None,
    })
}

/// One signature of the built-in catalogue: argument types and result.
type Signature = (&'static [&'static str], &'static str);

const NUMBERS: [&str; 6] = ["int2", "int4", "int8", "float4", "float8", "numeric"];

/// The built-in binary operators named `op`.
fn operators(op: &BinaryOperator) -> Vec<Signature> {
    use BinaryOperator as B;
    let mut list: Vec<Signature> = Vec::new();
    let arithmetic = |list: &mut Vec<Signature>| {
        for (args, result) in [
            (&["int2", "int2"][..], "int2"),
            (&["int4", "int4"], "int4"),
            (&["int8", "int8"], "int8"),
            (&["int2", "int4"], "int4"),
            (&["int4", "int2"], "int4"),
            (&["int2", "int8"], "int8"),
            (&["int8", "int2"], "int8"),
            (&["int4", "int8"], "int8"),
            (&["int8", "int4"], "int8"),
            (&["float4", "float4"], "float4"),
            (&["float8", "float8"], "float8"),
            (&["float4", "float8"], "float8"),
            (&["float8", "float4"], "float8"),
            (&["numeric", "numeric"], "numeric"),
        ] {
            list.push((args, result));
        }
    };
    match op {
        B::Plus | B::Minus => {
            arithmetic(&mut list);
            // A date or time moved by days or an interval, either way.
            list.extend_from_slice(&[
                (&["date", "int4"], "date"),
                (&["date", "interval"], "timestamp"),
                (&["timestamp", "interval"], "timestamp"),
                (&["timestamptz", "interval"], "timestamptz"),
                (&["interval", "interval"], "interval"),
                (&["time", "interval"], "time"),
            ]);
            if *op == B::Plus {
                list.extend_from_slice(&[
                    (&["int4", "date"], "date"),
                    (&["interval", "date"], "timestamp"),
                    (&["date", "time"], "timestamp"),
                    (&["interval", "timestamp"], "timestamp"),
                    (&["interval", "timestamptz"], "timestamptz"),
                ]);
            } else {
                list.extend_from_slice(&[
                    (&["date", "date"], "int4"),
                    (&["timestamp", "timestamp"], "interval"),
                    (&["timestamptz", "timestamptz"], "interval"),
                    (&["time", "time"], "interval"),
                    (&["jsonb", "text"], "jsonb"),
                    (&["jsonb", "int4"], "jsonb"),
                ]);
            }
        }
        B::Multiply => {
            arithmetic(&mut list);
            list.extend_from_slice(&[
                (&["interval", "float8"], "interval"),
                (&["float8", "interval"], "interval"),
            ]);
        }
        B::Divide => {
            arithmetic(&mut list);
            list.push((&["interval", "float8"], "interval"));
        }
        B::Modulo => list.extend_from_slice(&[
            (&["int2", "int2"], "int2"),
            (&["int4", "int4"], "int4"),
            (&["int8", "int8"], "int8"),
            (&["numeric", "numeric"], "numeric"),
        ]),
        B::Arrow => list.extend_from_slice(&[
            (&["json", "text"], "json"),
            (&["json", "int4"], "json"),
            (&["jsonb", "text"], "jsonb"),
            (&["jsonb", "int4"], "jsonb"),
        ]),
        B::LongArrow => list.extend_from_slice(&[
            (&["json", "text"], "text"),
            (&["json", "int4"], "text"),
            (&["jsonb", "text"], "text"),
            (&["jsonb", "int4"], "text"),
        ]),
        B::HashArrow => {
            list.extend_from_slice(&[(&["json", "_text"], "json"), (&["jsonb", "_text"], "jsonb")])
        }
        B::HashLongArrow => {
            list.extend_from_slice(&[(&["json", "_text"], "text"), (&["jsonb", "_text"], "text")])
        }
        _ => {}
    }
    list
}

/// The built-in functions named `name` (aggregates included).
fn functions(name: &str) -> Vec<Signature> {
    let same = |types: &[&'static str]| -> Vec<Signature> {
        types
            .iter()
            .map(|t| -> Signature {
                let args: &'static [&'static str] = match *t {
                    "int2" => &["int2"],
                    "int4" => &["int4"],
                    "int8" => &["int8"],
                    "float4" => &["float4"],
                    "float8" => &["float8"],
                    "numeric" => &["numeric"],
                    "text" => &["text"],
                    "bpchar" => &["bpchar"],
                    "date" => &["date"],
                    "time" => &["time"],
                    "timetz" => &["timetz"],
                    "timestamp" => &["timestamp"],
                    "timestamptz" => &["timestamptz"],
                    "interval" => &["interval"],
                    _ => &[],
                };
                (args, t)
            })
            .collect()
    };
    match name {
        "abs" => same(&NUMBERS),
        "min" | "max" => same(&[
            "int2",
            "int4",
            "int8",
            "float4",
            "float8",
            "numeric",
            "text",
            "bpchar",
            "date",
            "time",
            "timetz",
            "timestamp",
            "timestamptz",
            "interval",
        ]),
        "sum" => vec![
            (&["int2"], "int8"),
            (&["int4"], "int8"),
            (&["int8"], "numeric"),
            (&["numeric"], "numeric"),
            (&["float4"], "float4"),
            (&["float8"], "float8"),
            (&["interval"], "interval"),
        ],
        "avg" | "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop" => {
            let mut list: Vec<Signature> = vec![
                (&["int2"], "numeric"),
                (&["int4"], "numeric"),
                (&["int8"], "numeric"),
                (&["numeric"], "numeric"),
                (&["float4"], "float8"),
                (&["float8"], "float8"),
            ];
            if name == "avg" {
                list.push((&["interval"], "interval"));
            }
            list
        }
        "bool_and" | "bool_or" | "every" => vec![(&["bool"], "bool")],
        "string_agg" => vec![(&["text", "text"], "text"), (&["bytea", "bytea"], "bytea")],
        "json_agg" => vec![(&["any"], "json")],
        "jsonb_agg" => vec![(&["any"], "jsonb")],
        "json_object_agg" => vec![(&["any", "any"], "json")],
        "jsonb_object_agg" => vec![(&["any", "any"], "jsonb")],
        "row_number" | "rank" | "dense_rank" => vec![(&[], "int8")],
        "percent_rank" | "cume_dist" => vec![(&[], "float8")],
        "round" | "trunc" => vec![
            (&["float8"], "float8"),
            (&["numeric"], "numeric"),
            (&["numeric", "int4"], "numeric"),
        ],
        "ceil" | "ceiling" | "floor" | "sign" | "sqrt" | "exp" | "ln" => {
            vec![(&["float8"], "float8"), (&["numeric"], "numeric")]
        }
        "power" | "pow" => vec![
            (&["float8", "float8"], "float8"),
            (&["numeric", "numeric"], "numeric"),
        ],
        "mod" => vec![
            (&["int2", "int2"], "int2"),
            (&["int4", "int4"], "int4"),
            (&["int8", "int8"], "int8"),
            (&["numeric", "numeric"], "numeric"),
        ],
        "random" => vec![(&[], "float8")],
        "lower" | "upper" | "initcap" | "md5" | "reverse" | "quote_ident" | "quote_literal" => {
            vec![(&["text"], "text")]
        }
        "btrim" | "ltrim" | "rtrim" => vec![(&["text"], "text"), (&["text", "text"], "text")],
        "left" | "right" | "repeat" => vec![(&["text", "int4"], "text")],
        "lpad" | "rpad" => vec![
            (&["text", "int4"], "text"),
            (&["text", "int4", "text"], "text"),
        ],
        "substr" | "substring" => vec![
            (&["text", "int4"], "text"),
            (&["text", "int4", "int4"], "text"),
        ],
        "replace" | "translate" => vec![(&["text", "text", "text"], "text")],
        "split_part" => vec![(&["text", "text", "int4"], "text")],
        "length" | "char_length" | "character_length" => {
            vec![
                (&["text"], "int4"),
                (&["bpchar"], "int4"),
                (&["bytea"], "int4"),
            ]
        }
        "octet_length" => vec![(&["text"], "int4"), (&["bytea"], "int4")],
        "strpos" => vec![(&["text", "text"], "int4")],
        "to_char" => vec![
            (&["timestamp", "text"], "text"),
            (&["timestamptz", "text"], "text"),
            (&["interval", "text"], "text"),
            (&["int4", "text"], "text"),
            (&["int8", "text"], "text"),
            (&["float4", "text"], "text"),
            (&["float8", "text"], "text"),
            (&["numeric", "text"], "text"),
        ],
        "to_date" => vec![(&["text", "text"], "date")],
        "to_timestamp" => vec![
            (&["float8"], "timestamptz"),
            (&["text", "text"], "timestamptz"),
        ],
        "now"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp"
        | "current_timestamp" => vec![(&[], "timestamptz")],
        "localtimestamp" => vec![(&[], "timestamp")],
        "current_date" => vec![(&[], "date")],
        "current_time" => vec![(&[], "timetz")],
        "localtime" => vec![(&[], "time")],
        "date_trunc" => vec![
            (&["text", "timestamp"], "timestamp"),
            (&["text", "timestamptz"], "timestamptz"),
            (&["text", "interval"], "interval"),
            (&["text", "timestamptz", "text"], "timestamptz"),
        ],
        "date_part" => vec![
            (&["text", "timestamp"], "float8"),
            (&["text", "timestamptz"], "float8"),
            (&["text", "interval"], "float8"),
            (&["text", "date"], "float8"),
            (&["text", "time"], "float8"),
        ],
        "age" => vec![
            (&["timestamp"], "interval"),
            (&["timestamptz"], "interval"),
            (&["timestamp", "timestamp"], "interval"),
            (&["timestamptz", "timestamptz"], "interval"),
        ],
        "make_date" => vec![(&["int4", "int4", "int4"], "date")],
        "to_json" => vec![(&["any"], "json")],
        "to_jsonb" => vec![(&["any"], "jsonb")],
        "jsonb_typeof" => vec![(&["jsonb"], "text")],
        "json_typeof" => vec![(&["json"], "text")],
        "jsonb_array_length" => vec![(&["jsonb"], "int4")],
        "json_array_length" => vec![(&["json"], "int4")],
        "jsonb_strip_nulls" | "jsonb_pretty" => vec![(&["jsonb"], "jsonb")],
        "gen_random_uuid" => vec![(&[], "uuid")],
        _ => Vec::new(),
    }
}

/// Functions of any arguments (`VARIADIC "any"`) and their result.
fn variadic(name: &str) -> Option<&'static str> {
    Some(match name {
        "concat"
        | "concat_ws"
        | "format"
        | "jsonb_extract_path_text"
        | "json_extract_path_text" => "text",
        "jsonb_build_object" | "jsonb_build_array" | "jsonb_extract_path" => "jsonb",
        "json_build_object" | "json_build_array" | "json_extract_path" => "json",
        _ => return None,
    })
}

/// The candidate of `candidates` the server picks for `args`.
fn resolve(candidates: &[Signature], args: &[PgType]) -> Option<&'static str> {
    // An unknown literal beside a typed argument is taken as of that type
    // when looking for an exact match.
    let known: Vec<&PgType> = args.iter().filter(|a| !a.is_unknown()).collect();
    let exact_as: Vec<&str> = args
        .iter()
        .map(|a| match (a.is_unknown(), known.as_slice()) {
            (true, [other]) if args.len() == 2 => other.name.as_str(),
            _ => a.name.as_str(),
        })
        .collect();
    let fits = |signature: &&Signature| {
        signature.0.len() == args.len()
            && signature
                .0
                .iter()
                .zip(args)
                .all(|(want, arg)| *want == "any" || arg.coerces_to(want))
    };
    let exact = |signature: &Signature| {
        signature
            .0
            .iter()
            .zip(&exact_as)
            .filter(|(want, have)| *want == *have)
            .count()
    };
    let mut left: Vec<&Signature> = candidates.iter().filter(fits).collect();
    if let Some(found) = left
        .iter()
        .find(|s| exact(s) == args.len() || s.0.iter().all(|w| *w == "any"))
    {
        return Some(found.1);
    }
    let most = left.iter().map(|s| exact(s)).max()?;
    left.retain(|s| exact(s) == most);
    let preferred = |signature: &Signature| {
        signature
            .0
            .iter()
            .zip(args)
            .filter(|(want, arg)| **want != arg.name && PgType::new(want).preferred())
            .count()
    };
    let most = left.iter().map(|s| preferred(s)).max()?;
    left.retain(|s| preferred(s) == most);
    if left.len() > 1 {
        // An unknown argument takes the string category where a candidate
        // accepts it, else a preferred type.
        for (position, arg) in args.iter().enumerate() {
            if !arg.is_unknown() {
                continue;
            }
            let category = |s: &&Signature| PgType::new(s.0[position]).category();
            if left.iter().any(|s| category(s) == 'S') {
                left.retain(|s| category(s) == 'S');
            }
            if left.len() > 1 {
                left.retain(|s| PgType::new(s.0[position]).preferred());
            }
        }
    }
    match left.as_slice() {
        [one] => Some(one.1),
        _ => None,
    }
}

/// The common type of `types` (`CASE`, `COALESCE`, `UNION`, ...): the
/// first one's unless a later one of its category takes it implicitly and
/// not back, or is preferred; the modifier when all have the same one.
pub(super) fn common_type(types: &[PgType]) -> Option<PgType> {
    let known: Vec<&PgType> = types.iter().filter(|t| !t.is_unknown()).collect();
    let Some((first, rest)) = known.split_first() else {
        return Some(PgType::new("text"));
    };
    let mut candidate = (*first).clone();
    for next in rest {
        if next.name == candidate.name {
            continue;
        }
        if next.category() != candidate.category() || candidate.category() == 'U' {
            return None;
        }
        if candidate.category() == 'A' {
            return None;
        }
        if !candidate.preferred()
            && candidate.coerces_to(&next.name)
            && !next.coerces_to(&candidate.name)
        {
            candidate = (*next).clone();
        }
    }
    let same = types
        .iter()
        .all(|t| t.name == candidate.name && t.typmod == candidate.typmod);
    Some(if same {
        candidate
    } else {
        candidate.without_typmod()
    })
}

impl Context<'_> {
    /// The type of `expr` in a PostgreSQL view.
    pub(super) fn pg_type(&self, expr: &Expr, sources: &[Source]) -> Option<PgType> {
        use BinaryOperator as B;
        let bool = || Some(PgType::new("bool"));
        match expr {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                Some(PgType::of_field(&self.expr(expr, sources)?))
            }
            Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => self.pg_type(inner, sources),
            Expr::Value(value) => match &value.value {
                Value::Number(text, _) => Some(PgType::new(number_type(text))),
                Value::Boolean(_) => bool(),
                Value::Null
                | Value::SingleQuotedString(_)
                | Value::EscapedStringLiteral(_)
                | Value::DollarQuotedString(_) => Some(PgType::unknown()),
                _ => None,
            },
            Expr::Cast { data_type, .. } => {
                cast_type(data_type).or_else(|| self.pg_enum(data_type))
            }
            Expr::TypedString(typed) => cast_type(&typed.data_type),
            Expr::Interval(_) => Some(PgType::new("interval")),
            Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsNotTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotFalse(_)
            | Expr::IsUnknown(_)
            | Expr::IsNotUnknown(_)
            | Expr::IsDistinctFrom(..)
            | Expr::IsNotDistinctFrom(..)
            | Expr::In { .. }
            | Expr::Between { .. }
            | Expr::Like { .. }
            | Expr::ILike { .. }
            | Expr::SimilarTo { .. }
            | Expr::AnyOp { .. }
            | Expr::AllOp { .. }
            | Expr::Exists { .. } => bool(),
            Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => bool(),
                UnaryOperator::Minus | UnaryOperator::Plus => {
                    let inner = self.pg_type(expr, sources)?;
                    (NUMBERS.contains(&inner.name.as_str()) || inner.name == "interval")
                        .then(|| inner.without_typmod())
                }
                _ => None,
            },
            Expr::BinaryOp { left, op, right } => match op {
                _ if super::comparison(op) => bool(),
                B::PGRegexMatch
                | B::PGRegexIMatch
                | B::PGRegexNotMatch
                | B::PGRegexNotIMatch
                | B::PGLikeMatch
                | B::PGILikeMatch
                | B::PGNotLikeMatch
                | B::PGNotILikeMatch
                | B::AtArrow
                | B::ArrowAt
                | B::Question
                | B::QuestionAnd
                | B::QuestionPipe => bool(),
                B::StringConcat => {
                    let l = self.pg_type(left, sources)?;
                    let r = self.pg_type(right, sources)?;
                    let textual = |t: &PgType| t.category() == 'S' || t.is_unknown();
                    let plain = |t: &PgType| !matches!(t.category(), 'A' | 'U') || t.is_unknown();
                    if l.name == "jsonb" && r.name == "jsonb" {
                        return Some(PgType::new("jsonb"));
                    }
                    // `anynonarray || text` and `text || anynonarray`.
                    ((textual(&l) && plain(&r)) || (textual(&r) && plain(&l)))
                        .then(|| PgType::new("text"))
                }
                _ => {
                    let l = self.pg_type(left, sources)?;
                    let r = self.pg_type(right, sources)?;
                    resolve(&operators(op), &[l, r]).map(PgType::new)
                }
            },
            Expr::Case {
                conditions,
                else_result,
                ..
            } => {
                let mut types = conditions
                    .iter()
                    .map(|c| self.pg_type(&c.result, sources))
                    .collect::<Option<Vec<_>>>()?;
                match else_result {
                    Some(other) => types.push(self.pg_type(other, sources)?),
                    None => types.push(PgType::unknown()),
                }
                common_type(&types)
            }
            Expr::Subquery(query) => {
                let fields = self.query(query).ok()?;
                match fields.len() {
                    1 => fields.into_values().next().map(|f| PgType::of_field(&f)),
                    _ => None,
                }
            }
            Expr::Array(array) => {
                let items = array
                    .elem
                    .iter()
                    .map(|e| self.pg_type(e, sources))
                    .collect::<Option<Vec<_>>>()?;
                let element = common_type(&items)?;
                (element.field.is_none() && !element.name.starts_with('_')).then(|| PgType {
                    name: format!("_{}", element.name),
                    typmod: element.typmod,
                    field: None,
                })
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                // `t.col[1]`: the name's parts first, then the subscripts.
                let mut parts = match root.as_ref() {
                    Expr::Identifier(ident) => vec![ident.clone()],
                    Expr::CompoundIdentifier(idents) => idents.clone(),
                    _ => Vec::new(),
                };
                let mut chain = access_chain.as_slice();
                while let [AccessExpr::Dot(Expr::Identifier(ident)), rest @ ..] = chain {
                    parts.push(ident.clone());
                    chain = rest;
                }
                let mut ty = if parts.is_empty() {
                    self.pg_type(root, sources)?
                } else {
                    PgType::of_field(&self.reference(&parts, sources)?)
                };
                for access in chain {
                    let AccessExpr::Subscript(sqlparser::ast::Subscript::Index { .. }) = access
                    else {
                        return None;
                    };
                    ty = match &ty.field {
                        Some(field) if field.ty == FieldType::Array => {
                            PgType::of_field(field.items.as_deref()?)
                        }
                        None if ty.name.starts_with('_') => PgType {
                            name: ty.name[1..].to_owned(),
                            ..ty
                        },
                        _ => return None,
                    };
                }
                Some(ty)
            }
            Expr::Extract { .. } => Some(PgType::new("numeric")),
            Expr::Substring { expr, .. } => self
                .pg_type(expr, sources)
                .filter(|t| t.coerces_to("text"))
                .map(|_| PgType::new("text")),
            Expr::Trim { expr, .. } => self
                .pg_type(expr, sources)
                .filter(|t| t.coerces_to("text"))
                .map(|_| PgType::new("text")),
            Expr::Position { .. } => Some(PgType::new("int4")),
            Expr::Ceil { expr, field, .. } | Expr::Floor { expr, field, .. } => {
                if !matches!(
                    field,
                    sqlparser::ast::CeilFloorKind::DateTimeField(DateTimeField::NoDateTime)
                ) {
                    return None;
                }
                let arg = self.pg_type(expr, sources)?;
                resolve(&functions("ceil"), &[arg]).map(PgType::new)
            }
            Expr::AtTimeZone { timestamp, .. } => {
                match self.pg_type(timestamp, sources)?.name.as_str() {
                    "timestamp" => Some(PgType::new("timestamptz")),
                    "timestamptz" => Some(PgType::new("timestamp")),
                    _ => None,
                }
            }
            Expr::Function(function) => self.pg_function(function, sources),
            _ => None,
        }
    }

    /// An enum of the manifest named in a cast (`'sad'::public.mood`).
    fn pg_enum(&self, data_type: &DataType) -> Option<PgType> {
        let DataType::Custom(name, modifiers) = data_type else {
            return None;
        };
        let name = match name.0.as_slice() {
            [schema, name] if schema.as_ident()?.value == "public" => name,
            [name] => name,
            _ => return None,
        };
        let name = self.ident(name.as_ident()?);
        if !modifiers.is_empty() || !self.manifest.enums.contains_key(&name) {
            return None;
        }
        let mut field = Field::new(FieldType::Enum);
        field.enum_name = Some(name);
        Some(PgType::of_field(&field))
    }

    fn pg_function(
        &self,
        function: &sqlparser::ast::Function,
        sources: &[Source],
    ) -> Option<PgType> {
        let name = self.last(&function.name)?;
        let name = name.as_str();
        if name == "count" {
            return Some(PgType::new("int8"));
        }
        let list = match &function.args {
            FunctionArguments::List(list) => list.args.as_slice(),
            FunctionArguments::None => &[],
            FunctionArguments::Subquery(_) => return None,
        };
        let args = list
            .iter()
            .map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => self.pg_type(expr, sources),
                _ => None,
            })
            .collect::<Option<Vec<_>>>();
        self.pg_builtin(function, name, args.as_deref())
            .or_else(|| {
                // A user function or aggregate the dump declares.
                let result = match self.hints.aggregates.get(name) {
                    Some(state) => state,
                    None => self.hints.functions.get(name)?.as_ref()?,
                };
                cast_type_name(result)
            })
    }

    /// The result of a built-in function over arguments of types `args`.
    fn pg_builtin(
        &self,
        function: &sqlparser::ast::Function,
        name: &str,
        args: Option<&[PgType]>,
    ) -> Option<PgType> {
        if let Some(result) = variadic(name) {
            return Some(PgType::new(result));
        }
        let args = args?;
        match name {
            "coalesce" | "greatest" | "least" if !args.is_empty() => return common_type(args),
            "nullif" => {
                let [first, second] = args else {
                    return None;
                };
                // `=` must exist between the two; the result is the first.
                common_type(&[first.clone(), second.clone()])?;
                return Some(if first.is_unknown() {
                    PgType::new("text")
                } else {
                    first.clone()
                });
            }
            "lag" | "lead" | "first_value" | "last_value" | "nth_value"
                if function.over.is_some() =>
            {
                return args.first().map(|a| a.clone().without_typmod());
            }
            "array_agg" => {
                let [element] = args else {
                    return None;
                };
                return (element.field.is_none()
                    && !element.is_unknown()
                    && !element.name.starts_with('_'))
                .then(|| PgType::new(&format!("_{}", element.name)));
            }
            "min" | "max" => {
                // Arrays and enums: the polymorphic `anyarray`/`anyenum` ones.
                if let [arg] = args
                    && (arg.name.starts_with('_')
                        || arg
                            .field
                            .as_ref()
                            .is_some_and(|f| f.enum_name.is_some() && f.ty == FieldType::Enum))
                {
                    return Some(arg.clone().without_typmod());
                }
            }
            "array_length" => {
                return (args.len() == 2 && args[0].name.starts_with('_'))
                    .then(|| PgType::new("int4"));
            }
            "cardinality" => {
                return (args.len() == 1 && args[0].name.starts_with('_'))
                    .then(|| PgType::new("int4"));
            }
            "array_to_string" => {
                return (matches!(args.len(), 2 | 3) && args[0].name.starts_with('_'))
                    .then(|| PgType::new("text"));
            }
            _ => {}
        }
        resolve(&functions(name), args).map(PgType::new)
    }
}

/// A type by its written name (a function's declared result).
fn cast_type_name(written: &str) -> Option<PgType> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut parser = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(written)
        .ok()?;
    cast_type(&parser.parse_data_type().ok()?)
}

/// The type of a numeric literal.
fn number_type(text: &str) -> &'static str {
    if text.contains(['.', 'e', 'E']) {
        "numeric"
    } else if text.parse::<i32>().is_ok() {
        "int4"
    } else if text.parse::<i64>().is_ok() {
        "int8"
    } else {
        "numeric"
    }
}
