//! MariaDB: the type of a view's select item as the server reports it.
//!
//! Integer results carry the server's display length, which decides
//! between `int` and `bigint` (9 characters or fewer is an `int`): `+` and
//! `-` take one digit more than the longer side, `*` the digits of both,
//! a negation one character more. `DECIMAL` results follow the server's
//! precision rules (`+`: the longer integer part plus one and the larger
//! scale; `*`: the sums; `/`: the dividend's precision plus the divisor's
//! scale and 4, the dividend's scale plus 4), anything with a float is a
//! `double`. Comparisons are `int(1)`; `CASE`, `COALESCE`/`IFNULL`/`IF`/
//! `GREATEST`/`LEAST` and unions aggregate their arguments' types: dates
//! and times to the widest of them, numbers to a number wide enough for
//! each, and anything with a string to a string as long as the longest
//! text (a number or a date counts its printed characters) in the
//! collation of the strongest operand (a column's over a literal's over a
//! number's, which takes the connection's).
//!
//! A string result longer than 512 characters is the text type its bytes
//! fit (`text`, `mediumtext`, `longtext`), as the server makes it.

use sqlparser::ast::{BinaryOperator, DataType, Expr, Interval, UnaryOperator, Value};

use super::CHARSET_CAST;
use super::{Context, Source, literal};
use crate::dialect::mysql::{default_display_width, field_for_column, without_display_width};
use crate::manifest::{Field, FieldType};

/// The length of an integer result up to which the server makes it `int`.
const INT_LENGTH: u32 = 9;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// An integer of `length` characters (its sign included) and `digits`.
    Int {
        length: u32,
        digits: u32,
        unsigned: bool,
        /// A column's own type (`mediumint`), when it is one.
        named: Option<&'static str>,
    },
    Decimal {
        precision: u32,
        scale: u32,
    },
    Double,
    /// A string of `length` characters; `literal` when it takes the
    /// collation of what it meets (a string literal).
    Varchar {
        length: u32,
        collation: Option<String>,
        literal: bool,
    },
    /// A type passed through unchanged (a column's).
    Field(Box<Field>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct MyType {
    kind: Kind,
    nullable: bool,
    /// A `ZEROFILL` column's type, which a column selected as it is, or its
    /// `MIN`/`MAX`, keeps; arithmetic, `COALESCE` and unions do not.
    own: Option<Box<Field>>,
}

impl MyType {
    fn new(kind: Kind, nullable: bool) -> Self {
        MyType {
            kind,
            nullable,
            own: None,
        }
    }

    /// The type of a view column over `field`.
    pub(super) fn of_field(field: &Field) -> Self {
        let native = field.native.as_deref();
        let kind = match (field.ty, native) {
            (FieldType::Int16 | FieldType::Int32 | FieldType::Int64, _)
                if let Some((named, unsigned)) = integer(field) =>
            {
                let length = default_display_width(named, unsigned).unwrap_or(20);
                Kind::Int {
                    length,
                    digits: if unsigned { length } else { length - 1 },
                    unsigned,
                    named: Some(named),
                }
            }
            (FieldType::Decimal, None) => match (field.precision, field.scale) {
                (Some(precision), Some(scale)) => Kind::Decimal { precision, scale },
                _ => Kind::Field(Box::new(field.clone())),
            },
            (FieldType::Float64, None) => Kind::Double,
            (FieldType::String, None) => match field.max_length {
                Some(length) => Kind::Varchar {
                    length,
                    collation: field.collation.clone(),
                    literal: false,
                },
                None => Kind::Field(Box::new(field.clone())),
            },
            _ => Kind::Field(Box::new(field.clone())),
        };
        let mut own = MyType::new(kind, field.nullable);
        if matches!(own.kind, Kind::Int { .. })
            && native.is_some_and(|native| native.contains("zerofill"))
        {
            own.own = Some(Box::new(field.clone()));
        }
        own
    }

    /// The view column: what the server's `COLUMN_TYPE` says, read as
    /// live introspection reads it.
    pub(super) fn to_field(&self) -> Option<Field> {
        if let Some(own) = &self.own {
            let (named, _) = integer(own)?;
            let native = own.native.as_deref().unwrap_or(named);
            let mut field =
                field_for_column(named, &without_display_width(native), None, None, None);
            field.nullable = self.nullable;
            return Some(field);
        }
        let (data_type, column_type, length, precision, scale) = match &self.kind {
            Kind::Field(field) => {
                let mut field = field.as_ref().clone();
                field.nullable = self.nullable;
                return Some(field);
            }
            Kind::Int {
                length,
                unsigned,
                named,
                ..
            } => {
                let name = match named {
                    Some(name) => name,
                    None if *length <= INT_LENGTH => "int",
                    None => "bigint",
                };
                let sign = if *unsigned { " unsigned" } else { "" };
                (name, format!("{name}({length}){sign}"), None, None, None)
            }
            Kind::Decimal { precision, scale } => (
                "decimal",
                format!("decimal({precision},{scale})"),
                None,
                Some(i64::from(*precision)),
                Some(i64::from(*scale)),
            ),
            Kind::Double => ("double", "double".to_owned(), None, None, None),
            Kind::Varchar {
                length, collation, ..
            } => {
                let mut field = Field::new(FieldType::String);
                field.max_length = Some(*length);
                field.collation = collation.clone();
                field.nullable = self.nullable;
                return Some(field);
            }
        };
        let mut field = field_for_column(
            data_type,
            &without_display_width(&column_type),
            length,
            precision,
            scale,
        );
        field.nullable = self.nullable;
        Some(field)
    }

    fn is_numeric(&self) -> bool {
        matches!(
            self.kind,
            Kind::Int { .. } | Kind::Decimal { .. } | Kind::Double
        )
    }

    /// The precision and scale of a number as a decimal.
    fn decimal(&self) -> Option<(u32, u32)> {
        match self.kind {
            Kind::Int { digits, .. } => Some((digits, 0)),
            Kind::Decimal { precision, scale } => Some((precision, scale)),
            _ => None,
        }
    }
}

/// The integer type of `field` (`int`, `smallint`...) and whether it is
/// unsigned (`ZEROFILL` makes it so), from its portable type or its native
/// one (`int(5) unsigned zerofill`); `None` for another type.
fn integer(field: &Field) -> Option<(&'static str, bool)> {
    let Some(native) = field.native.as_deref() else {
        return match field.ty {
            FieldType::Int16 => Some(("smallint", false)),
            FieldType::Int32 => Some(("int", false)),
            FieldType::Int64 => Some(("bigint", false)),
            _ => None,
        };
    };
    let base_end = native.find(['(', ' ']).unwrap_or(native.len());
    let named = ["tinyint", "smallint", "mediumint", "int", "bigint"]
        .into_iter()
        .find(|name| *name == &native[..base_end])?;
    let mut rest = &native[base_end..];
    if let Some(width) = rest.strip_prefix('(') {
        let close = width.find(')')?;
        width[..close].parse::<u32>().ok()?;
        rest = &width[close + 1..];
    }
    let mut unsigned = false;
    for word in rest.split_whitespace() {
        match word {
            "unsigned" | "zerofill" => unsigned = true,
            _ => return None,
        }
    }
    Some((named, unsigned))
}

/// `t` as a string whose length a string function keeps: a `VARCHAR`, or
/// a `CHAR(n)` column.
fn varchar(t: &MyType) -> Option<Kind> {
    match &t.kind {
        Kind::Varchar { .. } => Some(t.kind.clone()),
        Kind::Field(field)
            if field.ty == FieldType::String
                && field
                    .native
                    .as_deref()
                    .is_some_and(|n| n.starts_with("char(")) =>
        {
            Some(Kind::Varchar {
                length: field.max_length?,
                collation: field.collation.clone(),
                literal: false,
            })
        }
        _ => None,
    }
}

/// Whether `t` is a date, or a date and time.
fn is_date(t: &MyType) -> bool {
    matches!(&t.kind, Kind::Field(field)
        if matches!(field.ty, FieldType::Date | FieldType::Timestamp | FieldType::Timestamptz))
}

/// An integer result of `digits` digits.
fn int_result(digits: u32, unsigned: bool, nullable: bool) -> MyType {
    MyType::new(
        Kind::Int {
            length: digits + u32::from(!unsigned),
            digits,
            unsigned,
            named: None,
        },
        nullable,
    )
}

fn decimal(precision: u32, scale: u32, nullable: bool) -> Option<MyType> {
    (precision <= 65 && scale <= 38)
        .then(|| MyType::new(Kind::Decimal { precision, scale }, nullable))
}

/// The numeric type of `t` in arithmetic and aggregation: a `FLOAT`
/// column is a double.
fn numeric(t: &MyType) -> Option<MyType> {
    match &t.kind {
        Kind::Int { .. } | Kind::Decimal { .. } | Kind::Double => Some(t.clone()),
        Kind::Field(field) if field.ty == FieldType::Float32 => {
            Some(MyType::new(Kind::Double, t.nullable))
        }
        _ => None,
    }
}

/// Numbers brought together: integers to the widest (of one signedness;
/// signed and unsigned ones to a decimal of the most digits), with
/// decimals to a decimal wide enough for all, with a float to a double.
fn numbers(types: &[MyType], nullable: bool) -> Option<MyType> {
    let types = types.iter().map(numeric).collect::<Option<Vec<_>>>()?;
    if types.iter().any(|t| t.kind == Kind::Double) {
        return Some(MyType::new(Kind::Double, nullable));
    }
    if let Some(ints) = types
        .iter()
        .map(|t| match t.kind {
            Kind::Int {
                length,
                unsigned,
                named,
                ..
            } => Some((length, unsigned, named)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
    {
        let unsigned = ints[0].1;
        if ints.iter().all(|i| i.1 == unsigned) {
            // Integers of one signedness: the widest type.
            let named = |int: &(u32, bool, Option<&'static str>)| match int.2 {
                Some(name) => name,
                None if int.0 <= INT_LENGTH => "int",
                None => "bigint",
            };
            let rank = |name: &str| match name {
                "tinyint" => 1,
                "smallint" => 2,
                "mediumint" => 3,
                "int" => 4,
                _ => 5,
            };
            let widest = ints.iter().map(named).max_by_key(|n| rank(n))?;
            let length = ints.iter().map(|i| i.0).max()?;
            return Some(MyType::new(
                Kind::Int {
                    length,
                    digits: length - u32::from(!unsigned),
                    unsigned,
                    named: Some(widest),
                },
                nullable,
            ));
        }
    }
    let parts = types
        .iter()
        .map(MyType::decimal)
        .collect::<Option<Vec<_>>>()?;
    let scale = parts.iter().map(|p| p.1).max()?;
    let integer = parts.iter().map(|p| p.0 - p.1).max()?;
    decimal(integer + scale, scale, nullable)
}

/// `NULL` written as it is.
fn is_null(t: &MyType) -> bool {
    matches!(&t.kind, Kind::Field(field) if **field == null_field())
}

/// A date or time type: its name (`date`, `datetime`, `timestamp`,
/// `time`) and its fractional digits.
fn temporal(t: &MyType) -> Option<(&'static str, u32)> {
    let Kind::Field(field) = &t.kind else {
        return None;
    };
    let name = match field.ty {
        FieldType::Date => "date",
        FieldType::Timestamp => "datetime",
        FieldType::Timestamptz => "timestamp",
        FieldType::Time => "time",
        _ => return None,
    };
    let digits = field
        .native
        .as_deref()
        .and_then(|native| native.strip_prefix(name)?.strip_prefix('('))
        .and_then(|rest| rest.split_once(')')?.0.parse().ok())
        .unwrap_or(0);
    Some((name, digits))
}

/// A date or time the server derives (not a column's own): MariaDB marks
/// its times with the format they are stored in.
fn derived_temporal(name: &str, digits: u32, nullable: bool) -> MyType {
    let precision = if digits > 0 {
        format!("({digits})")
    } else {
        String::new()
    };
    let column_type = match name {
        "date" => "date".to_owned(),
        _ => format!("{name}{precision} /* mariadb-5.3 */"),
    };
    native(name, &column_type, nullable)
}

/// Dates and times brought together: one kind stays itself, others are a
/// `datetime` of the most fractional digits.
fn temporals(types: &[MyType], nullable: bool) -> Option<MyType> {
    let parts = types.iter().map(temporal).collect::<Option<Vec<_>>>()?;
    let digits = parts.iter().map(|p| p.1).max()?;
    let name = if parts.iter().all(|p| p.0 == parts[0].0) {
        parts[0].0
    } else {
        "datetime"
    };
    Some(derived_temporal(name, digits, nullable))
}

/// How strongly an operand's collation holds against others' (the
/// server's coercibility): a column's, a literal's, a number's or a
/// date's printed in the connection's collation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Hold {
    Column,
    Literal,
    Number,
}

/// A string operand: its length in characters, its collation (`None`:
/// the default one) and how that holds.
struct Text {
    length: u32,
    collation: Option<String>,
    hold: Hold,
}

/// The bytes a character of `collation`'s character set may take.
fn bytes_per_character(collation: &str) -> Option<u32> {
    let charset = collation.split('_').next()?;
    Some(match charset {
        "utf8mb4" | "utf16" | "utf16le" | "utf32" => 4,
        "utf8mb3" | "utf8" | "ujis" | "eucjpms" => 3,
        "ucs2" | "big5" | "sjis" | "cp932" | "euckr" | "gb2312" | "gbk" => 2,
        "binary" | "ascii" | "latin1" | "latin2" | "latin5" | "latin7" | "cp1250" | "cp1251"
        | "cp1256" | "cp1257" | "cp850" | "cp852" | "cp866" | "dec8" | "hp8" | "koi8r"
        | "koi8u" | "swe7" | "greek" | "hebrew" | "tis620" | "armscii8" | "geostd8" | "keybcs2"
        | "macce" | "macroman" => 1,
        _ => return None,
    })
}

/// The longest string the server makes a `varchar`; longer ones are a
/// text type.
const VARCHAR_LENGTH: u32 = 512;

/// The characters a `GROUP_CONCAT` gives at most: the default
/// `group_concat_max_len`.
const GROUP_CONCAT_LENGTH: u32 = 1 << 20;

/// `ROUND(x, digits)` or `TRUNCATE(x, digits)` of a written number of
/// digits (`None`: an expression): an integer keeps its type (but for a
/// rounding to tens or more, which may take one more digit); a decimal
/// takes the digits' scale (38 at most) and as many integer digits, one
/// more when rounding drops digits; a float is a `double(17 + digits,
/// digits)`.
fn rounded(number: &MyType, digits: Option<i64>, truncate: bool) -> Option<MyType> {
    let nullable = number.nullable;
    match (&numeric(number)?.kind, digits) {
        (Kind::Int { .. }, Some(digits)) if truncate || digits >= 0 => Some(number.clone()),
        (
            Kind::Int {
                length, unsigned, ..
            },
            Some(_),
        ) => Some(int_result(
            *length + 1 - u32::from(!unsigned),
            *unsigned,
            nullable,
        )),
        (Kind::Decimal { precision, scale }, digits) => {
            let to = match digits {
                Some(digits) => u32::try_from(digits.clamp(0, 38)).ok()?,
                None => *scale,
            };
            let dropped = i64::from(*scale) - i64::from(to);
            let more = i64::from(dropped > 0 && !truncate);
            let precision = u32::try_from(i64::from(*precision) + more - dropped).ok()?;
            (precision > 0).then_some(())?;
            decimal(precision.min(65), to, nullable)
        }
        (Kind::Double, Some(digits)) if (0..=30).contains(&digits) => Some(native(
            "double",
            &format!("double({},{digits})", 17 + digits),
            nullable,
        )),
        _ => None,
    }
}

/// An integer literal, negative ones too (`-2`).
fn literal_integer(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(text, _) => text.parse().ok(),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => literal_integer(expr).map(|n| -n),
        Expr::Nested(inner) => literal_integer(inner),
        _ => None,
    }
}

/// The characters `DATE_FORMAT` gives a format at most: each specifier
/// as long as the longest value it prints (names of days and months 64,
/// as for any locale), other characters as they are.
fn date_format_length(format: &str) -> u32 {
    let mut length = 0;
    let mut bytes = format.bytes().peekable();
    while let Some(byte) = bytes.next() {
        if byte != b'%' || bytes.peek().is_none() {
            length += 1;
            continue;
        }
        length += match bytes.next() {
            Some(b'M' | b'W') => 64,
            Some(b'a' | b'b') => 32,
            Some(b'D' | b'Y' | b'x' | b'X') => 4,
            Some(b'j') => 3,
            Some(
                b'U' | b'u' | b'V' | b'v' | b'y' | b'm' | b'd' | b'h' | b'I' | b'i' | b'l' | b'p'
                | b'S' | b's' | b'c' | b'e',
            ) => 2,
            Some(b'k' | b'H') => 7,
            Some(b'r') => 11,
            Some(b'T') => 8,
            Some(b'f') => 6,
            _ => 1,
        };
    }
    length
}

impl Context<'_> {
    /// The type of arguments brought together (`COALESCE`, `IF`, `CASE`,
    /// `UNION`), `NULL`s aside: dates and times to the widest, numbers to
    /// a number wide enough for all, anything with a string (or dates with
    /// numbers) to a string as long as the longest text.
    pub(super) fn my_aggregate(&self, types: &[MyType], nullable: bool) -> Option<MyType> {
        let values = types
            .iter()
            .filter(|t| !is_null(t))
            .cloned()
            .collect::<Vec<_>>();
        let types = if values.is_empty() { types } else { &values };
        let (first, rest) = types.split_first()?;
        if let Some(temporal) = temporals(types, nullable) {
            return Some(temporal);
        }
        if rest.iter().all(|t| t.kind == first.kind) {
            return Some(MyType::new(first.kind.clone(), nullable));
        }
        if let Some(number) = numbers(types, nullable) {
            return Some(number);
        }
        let texts = types
            .iter()
            .map(|t| self.my_text(t))
            .collect::<Option<Vec<_>>>()?;
        let length = texts.iter().map(|t| t.length).max()?;
        let hold = texts.iter().map(|t| t.hold).min()?;
        self.my_string(length, self.common_collation(&texts)?, hold, nullable)
    }

    /// `t` as a string: a string's length and collation, or the characters
    /// a number or a date prints, in the connection's collation.
    fn my_text(&self, t: &MyType) -> Option<Text> {
        if let Some(Kind::Varchar {
            length,
            collation,
            literal,
        }) = varchar(t)
        {
            let hold = if literal { Hold::Literal } else { Hold::Column };
            return Some(Text {
                length,
                collation,
                hold,
            });
        }
        let length = match &t.kind {
            Kind::Int { length, .. } => *length,
            Kind::Decimal { precision, scale } => precision + u32::from(*scale > 0) + 1,
            Kind::Double => 22,
            Kind::Field(field) if field.ty == FieldType::Float32 => 12,
            _ => {
                let (name, digits) = temporal(t)?;
                let fraction = if digits > 0 { digits + 1 } else { 0 };
                match name {
                    "date" => 10,
                    "time" => 10 + fraction,
                    _ => 19 + fraction,
                }
            }
        };
        Some(Text {
            length,
            collation: self.connection_collation(),
            hold: Hold::Number,
        })
    }

    /// A string of `length` characters in `collation` (`None`: the
    /// default one), always nullable: a `varchar`, or past 512 characters
    /// the text type its bytes fit.
    fn my_string(
        &self,
        length: u32,
        collation: Option<String>,
        hold: Hold,
        nullable: bool,
    ) -> Option<MyType> {
        if length <= VARCHAR_LENGTH {
            return Some(MyType::new(
                Kind::Varchar {
                    length,
                    collation,
                    literal: hold != Hold::Column,
                },
                nullable,
            ));
        }
        let bytes = u64::from(length) * u64::from(self.bytes_per_character(collation.as_deref())?);
        let name = match bytes {
            ..=0xFFFF => "text",
            0x1_0000..=0xFF_FFFF => "mediumtext",
            _ => "longtext",
        };
        let mut field = field_for_column(name, name, None, None, None);
        field.collation = collation;
        Some(MyType::new(Kind::Field(Box::new(field)), nullable))
    }

    /// The collation of strings brought together: that of the strongest
    /// operands; of a Unicode character set over another, as the server
    /// converts the others to it (utf8mb4 over utf8mb3); others that
    /// disagree are not guessed (the server refuses them).
    fn common_collation(&self, texts: &[Text]) -> Option<Option<String>> {
        let hold = texts.iter().map(|t| t.hold).min()?;
        let default = self.hints.default_collation.as_deref();
        let rank = |collation: &Option<String>| match collation
            .as_deref()
            .or(default)?
            .split('_')
            .next()?
        {
            "utf8mb4" => Some(2),
            "utf8mb3" | "utf8" => Some(1),
            _ => Some(0),
        };
        let mut strongest = texts
            .iter()
            .filter(|t| t.hold == hold)
            .map(|t| Some((rank(&t.collation)?, &t.collation)))
            .collect::<Option<Vec<_>>>()?;
        strongest.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        strongest.dedup_by(|a, b| a.1 == b.1);
        match strongest.as_slice() {
            [(_, collation)] => Some((*collation).clone()),
            [(first, collation), (second, _), ..] if first > second => Some((*collation).clone()),
            _ => None,
        }
    }

    /// The bytes a character of `collation` (`None`: the default one) may
    /// take.
    fn bytes_per_character(&self, collation: Option<&str>) -> Option<u32> {
        bytes_per_character(collation.or(self.hints.default_collation.as_deref())?)
    }

    /// Strings brought together end to end (`CONCAT`, `CONCAT_WS` with a
    /// `separator` between each): their lengths added, in their common
    /// collation, nullable.
    fn my_concatenation(&self, args: &[MyType], separator: Option<&MyType>) -> Option<MyType> {
        let mut texts = args
            .iter()
            .map(|t| self.my_text(t))
            .collect::<Option<Vec<_>>>()?;
        let mut length = 0u32;
        for text in &texts {
            length = length.checked_add(text.length)?;
        }
        if let Some(separator) = separator {
            let separator = self.my_text(separator)?;
            let count = u32::try_from(texts.len()).ok()? - 1;
            length = length.checked_add(separator.length.checked_mul(count)?)?;
            texts.push(separator);
        }
        let hold = texts.iter().map(|t| t.hold).min()?;
        self.my_string(length, self.common_collation(&texts)?, hold, true)
    }

    /// `date + INTERVAL n unit` (`DATE_ADD`, `ADDDATE`, `DATE_SUB`, as
    /// the server prints them): a date stays a date by days, weeks, months
    /// and years, and is a `datetime` by smaller units; a `datetime` or
    /// `timestamp` is a `datetime`, a time a time; with the unit's
    /// fractional digits (microseconds 6, seconds the value's). Null when
    /// out of range.
    fn date_arithmetic(
        &self,
        date: &Expr,
        interval: &Interval,
        sources: &[Source],
    ) -> Option<MyType> {
        let (name, digits) = temporal(&self.my_type(date, sources)?)?;
        if interval.last_field.is_some() {
            return None;
        }
        let unit = interval
            .leading_field
            .as_ref()?
            .to_string()
            .to_ascii_lowercase();
        let by_date = matches!(
            unit.as_str(),
            "year" | "quarter" | "month" | "week" | "day" | "year_month"
        );
        let unit_digits = if unit.contains("microsecond") {
            6
        } else if unit == "second" {
            match self.my_type(&interval.value, sources)?.kind {
                Kind::Int { .. } => 0,
                Kind::Decimal { scale, .. } => scale.min(6),
                _ => return None,
            }
        } else {
            0
        };
        let digits = digits.max(unit_digits);
        match name {
            "date" if by_date => Some(derived_temporal("date", 0, true)),
            "time" if by_date => None,
            "time" => Some(derived_temporal("time", digits, true)),
            _ => Some(derived_temporal("datetime", digits, true)),
        }
    }

    /// The type of `expr` in a MariaDB view.
    pub(super) fn my_type(&self, expr: &Expr, sources: &[Source]) -> Option<MyType> {
        use BinaryOperator as B;
        let truth = |nullable: bool| int_result(1, false, nullable).with_length(1);
        match expr {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                Some(MyType::of_field(&self.expr(expr, sources)?))
            }
            Expr::Nested(inner) => self.my_type(inner, sources),
            Expr::Value(value) => match &value.value {
                Value::Number(text, _) => number(text),
                Value::Boolean(_) => Some(truth(false)),
                Value::Null => Some(MyType::new(Kind::Field(Box::new(null_field())), true)),
                _ => {
                    let text = literal(expr)?;
                    Some(MyType::new(
                        Kind::Varchar {
                            length: u32::try_from(text.chars().count()).ok()?,
                            collation: self.literal_collation(expr),
                            literal: true,
                        },
                        false,
                    ))
                }
            },
            Expr::Prefixed { .. } => Some(MyType::new(
                Kind::Varchar {
                    length: u32::try_from(literal(expr)?.chars().count()).ok()?,
                    collation: self.literal_collation(expr),
                    literal: true,
                },
                false,
            )),
            Expr::Subquery(query) => {
                let fields = self.query(query).ok()?;
                let [field] = fields.values().collect::<Vec<_>>()[..] else {
                    return None;
                };
                Some(MyType::new(MyType::of_field(field).kind, true))
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                // Null when a condition may be null, as well as when the
                // branch taken is (or there is no ELSE).
                let mut nullable = else_result.is_none();
                if let Some(operand) = operand {
                    nullable |= self.my_type(operand, sources)?.nullable;
                }
                let mut results = Vec::new();
                for when in conditions {
                    nullable |= self.my_type(&when.condition, sources)?.nullable;
                    results.push(self.my_type(&when.result, sources)?);
                }
                if let Some(other) = else_result {
                    results.push(self.my_type(other, sources)?);
                }
                nullable |= results.iter().any(|r| r.nullable);
                self.my_aggregate(&results, nullable)
            }
            Expr::IsNull(_) | Expr::IsNotNull(_) => Some(truth(false)),
            Expr::Like { expr, pattern, .. } => {
                let nullable = self.my_type(expr, sources)?.nullable
                    || self.my_type(pattern, sources)?.nullable;
                Some(truth(nullable))
            }
            Expr::In {
                expr,
                target: sqlparser::ast::InTarget::List(list),
                ..
            } => {
                let mut nullable = self.my_type(expr, sources)?.nullable;
                for item in list {
                    nullable |= self.my_type(item, sources)?.nullable;
                }
                Some(truth(nullable))
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                let nullable = [expr, low, high]
                    .iter()
                    .map(|e| self.my_type(e, sources).map(|t| t.nullable))
                    .collect::<Option<Vec<_>>>()?
                    .into_iter()
                    .any(|n| n);
                Some(truth(nullable))
            }
            Expr::UnaryOp { op, expr } => {
                let inner = self.my_type(expr, sources)?;
                match (op, &inner.kind) {
                    (UnaryOperator::Not, _) => Some(truth(inner.nullable)),
                    (UnaryOperator::Minus, Kind::Int { length, .. }) => {
                        Some(int_result(*length, false, inner.nullable))
                    }
                    (UnaryOperator::Minus, Kind::Decimal { .. } | Kind::Double) => Some(inner),
                    _ => None,
                }
            }
            Expr::BinaryOp {
                left,
                op: op @ (B::Plus | B::Minus),
                right,
            } if matches!(**left, Expr::Interval(_)) || matches!(**right, Expr::Interval(_)) => {
                match (&**left, &**right) {
                    (Expr::Interval(interval), other) if *op == B::Plus => {
                        self.date_arithmetic(other, interval, sources)
                    }
                    (other, Expr::Interval(interval)) => {
                        self.date_arithmetic(other, interval, sources)
                    }
                    _ => None,
                }
            }
            Expr::BinaryOp { left, op, right } => {
                let l = self.my_type(left, sources)?;
                let r = self.my_type(right, sources)?;
                let nullable = l.nullable || r.nullable;
                match op {
                    _ if super::comparison(op) => Some(truth(nullable)),
                    B::Plus | B::Minus | B::Multiply | B::Divide => {
                        arithmetic(op, &l, &r, nullable)
                    }
                    B::Modulo => modulo(&l, &r),
                    _ => None,
                }
            }
            Expr::Cast {
                expr: inner_expr,
                data_type,
                ..
            } => {
                let inner = self.my_type(inner_expr, sources)?;
                // `CAST(x AS CHAR(n))` is `n` characters long, `CAST(x AS
                // CHAR)` as long as x's text; in the connection's collation,
                // or the character set's it names; either may be null.
                let written = data_type.to_string().to_ascii_lowercase();
                let (written, collation) = match data_type {
                    DataType::Custom(name, modifiers)
                        if name.to_string().eq_ignore_ascii_case(CHARSET_CAST) =>
                    {
                        let (charset, length) = modifiers.split_first()?;
                        let length = match length {
                            [] => String::new(),
                            [length] => format!("({length})"),
                            _ => return None,
                        };
                        (
                            format!("char{length}"),
                            self.charset_collation(&charset.to_string()),
                        )
                    }
                    _ => (written, self.connection_collation()),
                };
                if let Some(rest) = written.strip_prefix("char") {
                    let length = match rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                        Some(length) => length.trim().parse().ok()?,
                        None if rest.is_empty() => self.my_text(&inner)?.length,
                        None => return None,
                    };
                    return self.my_string(length, collation, Hold::Column, true);
                }
                cast(data_type, inner.nullable)
            }
            // `CONVERT(x USING charset)`: x's text in the character set.
            Expr::Convert {
                expr: inner,
                data_type: None,
                charset: Some(charset),
                ..
            } => {
                let length = self.my_text(&self.my_type(inner, sources)?)?.length;
                let collation = self.charset_collation(&self.last(charset)?);
                self.my_string(length, collation, Hold::Column, true)
            }
            // `TRIM(x)` keeps the string's length; `SUBSTRING(x, from, n)`
            // is `n` long (when no longer than the string).
            Expr::Trim {
                expr,
                trim_what: None,
                trim_characters: None,
                ..
            } => Some(MyType::new(varchar(&self.my_type(expr, sources)?)?, true)),
            // `SUBSTRING(x, from[, n])`: the server counts x's bytes at
            // most, less the characters skipped from the start (or the
            // characters taken from the end), and `n` when shorter.
            Expr::Substring {
                expr,
                substring_from: Some(from),
                substring_for: count,
                ..
            } => {
                let Kind::Varchar {
                    length,
                    collation,
                    literal,
                } = varchar(&self.my_type(expr, sources)?)?
                else {
                    return None;
                };
                let mut length = length * self.bytes_per_character(collation.as_deref())?;
                match literal_integer(from) {
                    Some(from) if from > 0 => {
                        length -= u32::try_from(from - 1).ok()?.min(length);
                    }
                    Some(from) if from < 0 => length = length.min(u32::try_from(-from).ok()?),
                    Some(_) => return None,
                    None => {}
                }
                if let Some(count) = count {
                    length = length.min(u32::try_from(literal_integer(count)?).ok()?);
                }
                let hold = if literal { Hold::Literal } else { Hold::Column };
                (length > 0).then_some(())?;
                self.my_string(length, collation, hold, true)
            }
            Expr::Function(function) => {
                let name = self.last(&function.name)?.to_ascii_lowercase();
                if function.over.is_some() {
                    match name.as_str() {
                        // Numbering, and counting, a row: never null.
                        "row_number" | "rank" | "dense_rank" | "count" => {
                            return Some(MyType::new(
                                Kind::Int {
                                    length: 21,
                                    digits: 20,
                                    unsigned: false,
                                    named: Some("bigint"),
                                },
                                false,
                            ));
                        }
                        "sum" | "avg" | "min" | "max" => {}
                        _ => return None,
                    }
                }
                let exprs = self.arguments(&function.args)?;
                let args = exprs
                    .iter()
                    .map(|arg| self.my_type(arg, sources))
                    .collect::<Option<Vec<_>>>()?;
                self.my_function(&name, &args, &exprs)
            }
            _ => None,
        }
    }

    /// The type of the call `name(exprs)` whose arguments are of `args`.
    fn my_function(&self, name: &str, args: &[MyType], exprs: &[&Expr]) -> Option<MyType> {
        let any_null = args.iter().any(|a| a.nullable);
        let texts = |args: &[&MyType]| {
            args.iter()
                .map(|t| self.my_text(t))
                .collect::<Option<Vec<_>>>()
        };
        match (name, args) {
            ("coalesce", [_, ..]) => self.my_aggregate(args, args.iter().all(|a| a.nullable)),
            ("ifnull", [_, second]) => self.my_aggregate(args, second.nullable && args[0].nullable),
            // Strings and numbers compare as numbers.
            ("greatest" | "least", [_, _, ..]) => temporals(args, any_null)
                .or_else(|| numbers(args, any_null))
                .or_else(|| {
                    args.iter()
                        .all(|a| varchar(a).is_some())
                        .then(|| self.my_aggregate(args, any_null))?
                }),
            // Null as well when the condition may be.
            ("if", [condition, then, otherwise]) => self.my_aggregate(
                &[then.clone(), otherwise.clone()],
                condition.nullable || then.nullable || otherwise.nullable,
            ),
            ("lcase" | "lower" | "ucase" | "upper" | "ltrim" | "rtrim", [arg]) => {
                Some(MyType::new(varchar(arg)?, true))
            }
            ("concat", [_, ..]) => self.my_concatenation(args, None),
            ("concat_ws", [separator, values @ ..]) if !values.is_empty() => {
                self.my_concatenation(values, Some(separator))
            }
            // At most `group_concat_max_len` characters (1M by default).
            ("group_concat", [_, ..]) => {
                let texts = args
                    .iter()
                    .map(|t| {
                        self.my_text(t).or_else(|| match &t.kind {
                            Kind::Field(field) if field.ty == FieldType::Text => Some(Text {
                                length: 0,
                                collation: field.collation.clone(),
                                hold: Hold::Column,
                            }),
                            _ => None,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                let hold = texts.iter().map(|t| t.hold).min()?;
                self.my_string(
                    GROUP_CONCAT_LENGTH,
                    self.common_collation(&texts)?,
                    hold,
                    true,
                )
            }
            // Padded to `n` characters; to any length when `n` is not
            // written.
            ("lpad" | "rpad", [text, _, pad]) => {
                let texts = texts(&[text, pad])?;
                let length = match literal_integer(exprs[1]) {
                    Some(length) => u32::try_from(length).ok()?,
                    None => u32::MAX,
                };
                let hold = texts.iter().map(|t| t.hold).min()?;
                self.my_string(length, self.common_collation(&texts)?, hold, true)
            }
            ("left" | "right", [text, _]) => {
                let text = self.my_text(text)?;
                let length = match literal_integer(exprs[1]) {
                    Some(count) => text.length.min(u32::try_from(count).ok()?),
                    None => text.length,
                };
                (length > 0).then_some(())?;
                self.my_string(length, text.collation, text.hold, true)
            }
            // Room for every character replaced by the replacement.
            ("replace", [text, from, to]) => {
                let texts = texts(&[text, from, to])?;
                let length = texts[0].length.checked_mul(texts[2].length.max(1))?;
                let hold = texts.iter().map(|t| t.hold).min()?;
                self.my_string(length, self.common_collation(&texts)?, hold, true)
            }
            // As long as the written format may print, in the connection's
            // collation.
            ("date_format", [_, _]) => {
                let format = literal(exprs[1])?;
                let collation = self.connection_collation();
                self.my_string(date_format_length(format), collation, Hold::Number, true)
            }
            ("round" | "truncate", [number, ..]) if args.len() <= 2 => {
                let digits = match exprs.get(1) {
                    Some(digits) => literal_integer(digits),
                    None if name == "round" => Some(0),
                    None => return None,
                };
                rounded(number, digits, name == "truncate")
            }
            ("abs", [number]) => match &numeric(number)?.kind {
                Kind::Int {
                    length, unsigned, ..
                } => Some(int_result(
                    *length - u32::from(!unsigned),
                    *unsigned,
                    number.nullable,
                )),
                kind => Some(MyType::new(kind.clone(), number.nullable)),
            },
            ("nullif", [first, _]) => Some(MyType {
                nullable: true,
                ..first.clone()
            }),
            // Parts of a date, and days between two (which the server
            // prints `to_days(a) - to_days(b)`): `NULL` for a date that is
            // not one.
            ("year" | "month" | "day" | "dayofmonth" | "to_days" | "datediff", _)
                if args.iter().all(is_date) =>
            {
                let length = match (name, args.len()) {
                    ("year", 1) => 5,
                    ("to_days", 1) => 7,
                    ("datediff", 2) => 8,
                    ("month" | "day" | "dayofmonth", 1) => 3,
                    _ => return None,
                };
                Some(int_result(length - 1, false, true))
            }
            ("octet_length" | "length" | "char_length" | "character_length", [arg]) => {
                matches!(arg.kind, Kind::Varchar { .. }).then(|| {
                    MyType::new(
                        Kind::Int {
                            length: 10,
                            digits: 10,
                            unsigned: false,
                            named: Some("int"),
                        },
                        arg.nullable,
                    )
                })
            }
            ("current_timestamp" | "now" | "localtime" | "localtimestamp", []) => {
                Some(native("datetime", "datetime /* mariadb-5.3 */", false))
            }
            ("curdate" | "current_date", []) => Some(native("date", "date", false)),
            ("json_extract" | "json_value" | "json_unquote" | "json_query", [arg, ..]) => {
                let json = match &arg.kind {
                    Kind::Field(field) => {
                        field.ty == FieldType::Json
                            || (field.native.as_deref() == Some("longtext")
                                && field.collation.as_deref() == Some("utf8mb4_bin"))
                    }
                    _ => false,
                };
                if !json {
                    return None;
                }
                let mut field = Field::new(FieldType::Text);
                field.native = Some("longtext".to_owned());
                field.collation = Some("utf8mb4_bin".to_owned())
                    .filter(|c| Some(c) != self.hints.default_collation.as_ref());
                Some(MyType::new(Kind::Field(Box::new(field)), true))
            }
            ("mod", [l, r]) => modulo(l, r),
            ("min" | "max", [arg]) => Some(MyType {
                nullable: true,
                ..arg.clone()
            }),
            ("sum" | "avg", [arg]) => {
                let float = match &arg.kind {
                    Kind::Double => true,
                    Kind::Field(field) => field.ty == FieldType::Float32,
                    _ => false,
                };
                if float {
                    return Some(MyType::new(Kind::Double, true));
                }
                // SUM: 22 more digits; AVG: 4 more digits, all of them
                // decimals.
                let (precision, scale) = arg.decimal()?;
                let (more, decimals) = if name == "sum" { (22, 0) } else { (4, 4) };
                decimal((precision + more).min(65), (scale + decimals).min(38), true)
            }
            _ => None,
        }
    }
}

impl MyType {
    fn with_length(mut self, length: u32) -> Self {
        if let Kind::Int {
            length: ref mut l,
            ref mut named,
            ..
        } = self.kind
        {
            *l = length;
            *named = Some("int");
        }
        self
    }
}

/// `+`, `-`, `*` and `/` over numbers.
fn arithmetic(op: &BinaryOperator, l: &MyType, r: &MyType, nullable: bool) -> Option<MyType> {
    use BinaryOperator as B;
    if !l.is_numeric() || !r.is_numeric() {
        // A FLOAT column is a `Field`: a float in arithmetic is a double.
        let float = |t: &MyType| matches!(&t.kind, Kind::Field(f) if f.ty == FieldType::Float32);
        let number = |t: &MyType| t.is_numeric() || float(t);
        return (number(l) && number(r))
            .then(|| MyType::new(Kind::Double, nullable || *op == B::Divide));
    }
    if l.kind == Kind::Double || r.kind == Kind::Double {
        return Some(MyType::new(Kind::Double, nullable || *op == B::Divide));
    }
    if let (
        Kind::Int {
            digits: d1,
            unsigned: u1,
            ..
        },
        Kind::Int {
            digits: d2,
            unsigned: u2,
            ..
        },
    ) = (&l.kind, &r.kind)
        && *op != B::Divide
    {
        let digits = match op {
            B::Multiply => d1 + d2,
            _ => d1.max(d2) + 1,
        };
        return Some(int_result(digits, *u1 || *u2, nullable));
    }
    let (p1, s1) = l.decimal()?;
    let (p2, s2) = r.decimal()?;
    match op {
        B::Multiply => decimal((p1 + p2).min(65), (s1 + s2).min(38), nullable),
        B::Divide => decimal((p1 + s2 + 4).min(65), (s1 + 4).min(38), true),
        _ => {
            let scale = s1.max(s2);
            decimal(
                ((p1 - s1).max(p2 - s2) + 1 + scale).min(65),
                scale,
                nullable,
            )
        }
    }
}

/// `a MOD b` (`%`, `MOD(a, b)`): an integer of the wider operand's digits,
/// signed as the left one; a decimal of the larger precision and the
/// larger scale; a double with a float; null when `b` is zero, so always
/// nullable.
fn modulo(l: &MyType, r: &MyType) -> Option<MyType> {
    if !l.is_numeric() || !r.is_numeric() || l.kind == Kind::Double || r.kind == Kind::Double {
        return arithmetic(&BinaryOperator::Divide, l, r, true);
    }
    if let (
        Kind::Int {
            digits: d1,
            unsigned,
            ..
        },
        Kind::Int { digits: d2, .. },
    ) = (&l.kind, &r.kind)
    {
        return Some(int_result(*d1.max(d2), *unsigned, true));
    }
    let (p1, s1) = l.decimal()?;
    let (p2, s2) = r.decimal()?;
    decimal(p1.max(p2).min(65), s1.max(s2), true)
}

/// `CAST(x AS type)`.
fn cast(data_type: &DataType, nullable: bool) -> Option<MyType> {
    let written = data_type.to_string().to_ascii_lowercase();
    match written.as_str() {
        "signed" | "signed integer" => Some(MyType::new(
            Kind::Int {
                length: 20,
                digits: 19,
                unsigned: false,
                named: Some("bigint"),
            },
            nullable,
        )),
        "unsigned" | "unsigned integer" => Some(MyType::new(
            Kind::Int {
                length: 20,
                digits: 20,
                unsigned: true,
                named: Some("bigint"),
            },
            nullable,
        )),
        "date" => Some(native("date", "date", true)),
        "datetime" => Some(native("datetime", "datetime /* mariadb-5.3 */", true)),
        _ => {
            let inside = written
                .strip_prefix("decimal(")
                .or_else(|| written.strip_prefix("numeric("))?
                .strip_suffix(')')?;
            let (precision, scale) = inside.split_once(',')?;
            decimal(
                precision.trim().parse().ok()?,
                scale.trim().parse().ok()?,
                nullable,
            )
        }
    }
}

/// A type read as live introspection reads its `COLUMN_TYPE`.
fn native(data_type: &str, column_type: &str, nullable: bool) -> MyType {
    MyType::new(
        Kind::Field(Box::new(field_for_column(
            data_type,
            &without_display_width(column_type),
            None,
            None,
            None,
        ))),
        nullable,
    )
}

/// `NULL`: MariaDB reports a `binary(0)` column.
fn null_field() -> Field {
    field_for_column("binary", "binary(0)", Some(0), None, None)
}

/// The type of a numeric literal.
fn number(text: &str) -> Option<MyType> {
    if text.contains(['e', 'E']) {
        return Some(MyType::new(Kind::Double, false));
    }
    if let Some((integer, fraction)) = text.split_once('.') {
        let integer = integer.trim_start_matches('0').len();
        let scale = u32::try_from(fraction.len()).ok()?;
        let precision = u32::try_from(integer).ok()? + scale;
        return decimal(precision.max(1), scale, false);
    }
    let digits = u32::try_from(text.len()).ok()?;
    let value: i128 = text.parse().ok()?;
    let named = if i32::try_from(value).is_ok() {
        "int"
    } else if i64::try_from(value).is_ok() {
        "bigint"
    } else {
        return decimal(digits, 0, false);
    };
    Some(MyType::new(
        Kind::Int {
            length: digits,
            digits,
            unsigned: false,
            named: Some(named),
        },
        false,
    ))
}
