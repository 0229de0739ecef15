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
//! `GREATEST`/`LEAST` and unions aggregate their arguments' types.

use sqlparser::ast::{BinaryOperator, DataType, Expr, UnaryOperator, Value};

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

/// A whole number written as a literal (`3`).
fn literal_count(expr: &Expr) -> Option<u32> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(text, _) => text.parse().ok(),
            _ => None,
        },
        _ => None,
    }
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

/// The type of arguments brought together (`COALESCE`, `IF`, `UNION`):
/// integers to the widest, with decimals to a decimal wide enough for all,
/// with a float to a double; strings to the longest, of one collation.
pub(super) fn aggregate(types: &[MyType], nullable: bool) -> Option<MyType> {
    let (first, rest) = types.split_first()?;
    if rest.iter().all(|t| t.kind == first.kind) {
        return Some(MyType::new(first.kind.clone(), nullable));
    }
    if types.iter().all(MyType::is_numeric) {
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
            // Integers of one signedness: the widest type.
            let unsigned = ints[0].1;
            if ints.iter().any(|i| i.1 != unsigned) {
                return None;
            }
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
            let named = Some(widest);
            return Some(MyType::new(
                Kind::Int {
                    length,
                    digits: length - u32::from(!unsigned),
                    unsigned,
                    named,
                },
                nullable,
            ));
        }
        let parts = types
            .iter()
            .map(MyType::decimal)
            .collect::<Option<Vec<_>>>()?;
        let scale = parts.iter().map(|p| p.1).max()?;
        let integer = parts.iter().map(|p| p.0 - p.1).max()?;
        return decimal(integer + scale, scale, nullable);
    }
    // Strings: the longest, with the columns' collation (literals take
    // theirs, else their own); collations that disagree are not guessed.
    let mut length = 0;
    let mut strings = Vec::new();
    for t in types {
        let Kind::Varchar {
            length: l,
            collation,
            literal,
        } = &t.kind
        else {
            return None;
        };
        length = length.max(*l);
        strings.push((collation, *literal));
    }
    let literal = strings.iter().all(|s| s.1);
    let mut collations = strings.iter().filter(|s| s.1 == literal).map(|s| s.0);
    let collation = collations.next()?;
    if collations.any(|c| c != collation) {
        return None;
    }
    Some(MyType::new(
        Kind::Varchar {
            length,
            collation: collation.clone(),
            literal,
        },
        nullable,
    ))
}

impl Context<'_> {
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
                aggregate(&results, nullable)
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
                // CHAR)` as long as an integer's or a string's text, in the
                // connection's collation; either may be null.
                let written = data_type.to_string().to_ascii_lowercase();
                if let Some(rest) = written.strip_prefix("char") {
                    let length = match (
                        rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')),
                        &inner.kind,
                    ) {
                        (Some(length), _) => length.trim().parse().ok()?,
                        (None, Kind::Int { length, .. } | Kind::Varchar { length, .. })
                            if rest.is_empty() =>
                        {
                            *length
                        }
                        _ => return None,
                    };
                    return Some(MyType::new(
                        Kind::Varchar {
                            length,
                            collation: self.literal_collation(expr),
                            literal: false,
                        },
                        true,
                    ));
                }
                cast(data_type, inner.nullable)
            }
            // `TRIM(x)` keeps the string's length; `SUBSTRING(x, from, n)`
            // is `n` long (when no longer than the string).
            Expr::Trim {
                expr,
                trim_what: None,
                trim_characters: None,
                ..
            } => Some(MyType::new(varchar(&self.my_type(expr, sources)?)?, true)),
            Expr::Substring {
                expr,
                substring_for: Some(count),
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
                let count = literal_count(count)?;
                (count <= length).then(|| {
                    MyType::new(
                        Kind::Varchar {
                            length: count,
                            collation,
                            literal,
                        },
                        true,
                    )
                })
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
                let args = self
                    .arguments(&function.args)?
                    .into_iter()
                    .map(|arg| self.my_type(arg, sources))
                    .collect::<Option<Vec<_>>>()?;
                self.my_function(&name, &args)
            }
            _ => None,
        }
    }

    fn my_function(&self, name: &str, args: &[MyType]) -> Option<MyType> {
        let any_null = args.iter().any(|a| a.nullable);
        match (name, args) {
            ("coalesce", [_, ..]) => aggregate(args, args.iter().all(|a| a.nullable)),
            ("ifnull", [_, second]) => aggregate(args, second.nullable && args[0].nullable),
            ("greatest" | "least", [_, _, ..]) => aggregate(args, any_null),
            ("if", [_, then, otherwise]) => aggregate(
                &[then.clone(), otherwise.clone()],
                then.nullable || otherwise.nullable,
            ),
            ("lcase" | "lower" | "ucase" | "upper" | "ltrim" | "rtrim", [arg]) => {
                Some(MyType::new(varchar(arg)?, true))
            }
            // A replacement no longer than what it replaces keeps the
            // string's length.
            ("replace", [text, from, to]) => match (&from.kind, &to.kind) {
                (Kind::Varchar { length: from, .. }, Kind::Varchar { length: to, .. })
                    if to <= from =>
                {
                    Some(MyType::new(varchar(text)?, true))
                }
                _ => None,
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
