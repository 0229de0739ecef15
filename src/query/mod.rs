//! The query language of the API, engine-neutral.
//!
//! One AST ([`ListQuery`], [`Filter`]) parsed from the JSON form (`?where=`,
//! `POST /_query`) or the query-string shorthand (`?price=gt.10`), with every
//! field, operator and value checked against the manifest and typed by the
//! field's type ([`Value`]). The SQL builders (sea-query) and the BSON
//! builder turn it into bound statements; nothing here does I/O.
//! The grammar is docs/api.md.

use serde::Serialize;

/// A list request: filter, projection, order, paging, expansion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// Field names to return; `None` = all fields.
    pub select: Option<Vec<String>>,
    pub order: Vec<OrderBy>,
    pub limit: u64,
    pub offset: u64,
    /// `count=exact`.
    pub count: bool,
    /// `expand=a,b.c` as paths of link names (`[["a"], ["b", "c"]]`).
    pub expand: Vec<Vec<String>>,
}

impl ListQuery {
    /// The first `limit` rows matching `filter`, all fields, in no order.
    pub fn matching(filter: Filter, limit: u64) -> Self {
        Self {
            filter: Some(filter),
            select: None,
            order: Vec::new(),
            limit,
            offset: 0,
            count: false,
            expand: Vec::new(),
        }
    }
}

/// The default and the largest `limit`.
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

/// The largest `offset`: offsets are bound as 64-bit signed integers.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

// Limits of one request's filter (docs/api.md, "Limits"). Each sits below
// what every engine accepts: SQLite's expression depth of 1000 and 32,766
// bound variables, PostgreSQL's and MySQL's 65,535 bound parameters.

/// Comparisons in one request's filter (`or=(a.eq.1,...)` counts each).
pub const MAX_FILTER_TERMS: usize = 1000;
/// Nesting of `and`/`or`/`not` groups in one filter.
pub const MAX_FILTER_DEPTH: usize = 32;
/// Items of one `in`/`nin`/`contains` list.
pub const MAX_LIST_ITEMS: usize = 1000;
/// Values bound by one statement (filter values and list items).
pub const MAX_BOUND_VALUES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
    /// `Some(true)` nulls first, `Some(false)` nulls last, `None` as
    /// [`OrderBy::places_nulls_first`] says.
    pub nulls_first: Option<bool>,
    /// `order=data->a->>b`: a value inside the json field `field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<JsonPath>,
}

impl OrderBy {
    /// Whether nulls come first: as asked, else as PostgreSQL and
    /// PostgREST place them, a null after every value (last ascending,
    /// first descending; docs/api.md), on every engine.
    pub fn places_nulls_first(&self) -> bool {
        self.nulls_first.unwrap_or(self.descending)
    }
}

/// A value inside a json field, in PostgREST's arrow syntax:
/// `data->address->>city`, `data->tags->0`. The field is a manifest field
/// of type json (or object); the keys are client text, always bound as
/// values by the builders, never written into a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonPath {
    pub field: String,
    /// The keys and array indexes below the field, outermost first (at
    /// least one, at most [`MAX_PATH_STEPS`]).
    pub steps: Vec<Step>,
    /// `->>` before the last step: the value as text (a string unquoted,
    /// other values as JSON text, JSON null as null); `->`: the JSON value.
    pub text: bool,
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// A key of an object (nothing on an array or a scalar).
    Key(String),
    /// An item of an array, from 0 (nothing on an object or a scalar).
    Index(u32),
}

/// The most steps in one [`JsonPath`].
pub const MAX_PATH_STEPS: usize = 16;

impl std::fmt::Display for JsonPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.field)?;
        for (index, step) in self.steps.iter().enumerate() {
            let last = index + 1 == self.steps.len();
            f.write_str(if last && self.text { "->>" } else { "->" })?;
            match step {
                Step::Key(key) => f.write_str(key)?,
                Step::Index(item) => write!(f, "{item}")?,
            }
        }
        Ok(())
    }
}

/// A boolean filter over one entity's fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `field op value`; `field` is a field name (or a dotted path into an
    /// `object` field), already checked against the manifest.
    Compare {
        field: String,
        op: Op,
        value: Value,
    },
    /// At least one row of `entity` whose `to_fields` equal this row's
    /// `from_fields` (pairwise) matches `filter`: a relation path of a rule
    /// (`author.org_id = @auth.org`). Never parsed from a client's query.
    Exists {
        entity: String,
        from_fields: Vec<String>,
        to_fields: Vec<String>,
        filter: Box<Filter>,
    },
    /// `left op right` where a side is computed from the row: a field
    /// compared with another field of the same row (`end_at > start_at`),
    /// or the length of a field (`tags:length > 0`). `op` is one of `eq`,
    /// `neq`, `gt`, `gte`, `lt`, `lte`; as with [`Filter::Compare`], a null
    /// side makes the comparison unknown (SQL's three-valued logic). Built
    /// by rules from names checked against the manifest; never parsed from
    /// a client's query.
    Relate {
        left: Term,
        op: Op,
        right: Term,
    },
    /// `path op value` where `path` reads into a json field. With `->>`
    /// (`path.text`) the value is text (`Value::Text`, a list of them for
    /// `in`/`nin`, `Null` for `is`) and compares as text; with `->` it is a
    /// JSON scalar (`Value::Json`, a list of them) and compares as
    /// PostgreSQL's jsonb does: numbers as numbers, strings as strings,
    /// false before true, and values of different JSON types in the order
    /// null < string < number < boolean < array < object. A missing key
    /// is SQL's NULL (unknown; only `is` matches it).
    Json {
        path: JsonPath,
        op: Op,
        value: Value,
    },
}

/// A side of a [`Filter::Relate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Term {
    /// The value of a field of the row.
    Field(String),
    /// The length of a field of the row: characters of a string or text,
    /// items of an array, items of a json field holding an array (null for
    /// any other json value, and for a null field).
    Length(String),
    /// A value (a number, compared with a length).
    Value(Value),
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Term::Field(name) => write!(f, "`{name}`"),
            Term::Length(name) => write!(f, "the length of `{name}`"),
            Term::Value(_) => f.write_str("a value"),
        }
    }
}

impl Term {
    /// The field this side reads, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Term::Field(name) | Term::Length(name) => Some(name),
            Term::Value(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Like,
    Ilike,
    /// `value` is `Null` or `Bool`.
    Is,
    Contains,
    /// POSIX-style regular expression match (`~`), case-sensitive.
    Match,
    /// Case-insensitive `Match` (`~*`).
    Imatch,
}

/// A value typed by the field it is compared with or stored in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Exact decimal text (`"4.99"`).
    Decimal(String),
    /// string, text, uuid, enum, date/time/timestamp text, native, object_id.
    Text(String),
    Bytes(Vec<u8>),
    /// json, and array/object fields on engines storing them as JSON.
    Json(serde_json::Value),
    /// The operand of `in`/`nin`/`contains` on arrays.
    List(Vec<Value>),
}

/// A query that does not fit the manifest: names the field/operator/link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// The parameter or field at fault (`where.rating`, `order`, `limit`).
    pub at: String,
    pub message: String,
}

/// Checks a client's filter against the limits above, walking it without
/// recursion: a 400 naming the limit when one is passed.
pub fn check_limits(filter: &Filter) -> Result<(), QueryError> {
    let fail = |message: String| QueryError {
        at: "filter".to_owned(),
        message,
    };
    let (mut terms, mut values) = (0usize, 0usize);
    let mut stack = vec![(filter, 1usize)];
    while let Some((filter, depth)) = stack.pop() {
        if depth > MAX_FILTER_DEPTH {
            return Err(fail(format!(
                "the filter nests groups deeper than {MAX_FILTER_DEPTH} levels (the limit per request)"
            )));
        }
        match filter {
            Filter::And(parts) | Filter::Or(parts) => {
                stack.extend(parts.iter().map(|part| (part, depth + 1)));
            }
            Filter::Not(inner) => stack.push((inner, depth + 1)),
            Filter::Exists { filter, .. } => {
                terms += 1;
                stack.push((filter, depth + 1));
            }
            Filter::Relate { .. } => {
                terms += 1;
                values += 1;
            }
            Filter::Json { path, value, .. } => {
                terms += 1;
                let items = match value {
                    Value::List(items) => items.len(),
                    _ => 1,
                };
                if items > MAX_LIST_ITEMS {
                    return Err(QueryError {
                        at: path.to_string(),
                        message: format!(
                            "the list of `{path}` has {items} items; at most {MAX_LIST_ITEMS} are allowed"
                        ),
                    });
                }
                // The builders bind the path's steps with every use.
                values += items * (1 + path.steps.len());
                if terms > MAX_FILTER_TERMS || values > MAX_BOUND_VALUES {
                    return Err(fail(format!(
                        "the filter has more than {MAX_FILTER_TERMS} conditions or {MAX_BOUND_VALUES} values (the limits per request)"
                    )));
                }
            }
            Filter::Compare { field, op, value } => {
                terms += 1;
                if terms > MAX_FILTER_TERMS {
                    return Err(fail(format!(
                        "the filter has more than {MAX_FILTER_TERMS} conditions (the limit per request)"
                    )));
                }
                let items = match value {
                    Value::List(items) => items.len(),
                    Value::Json(serde_json::Value::Array(items)) => items.len(),
                    _ => 1,
                };
                if items > MAX_LIST_ITEMS {
                    return Err(QueryError {
                        at: field.clone(),
                        message: format!(
                            "the `{}` list of `{field}` has {items} items; at most {MAX_LIST_ITEMS} are allowed",
                            op.as_str()
                        ),
                    });
                }
                values += items;
                if values > MAX_BOUND_VALUES {
                    return Err(fail(format!(
                        "the filter has more than {MAX_BOUND_VALUES} values (the limit per request)"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A [`Filter::Relate`] over `entity`: fields of its own (no paths),
/// lengths of fields that have one, two sides that compare alike
/// ([`crate::manifest::rules::comparable`]), a comparison operator. The SQL
/// and BSON builders and the realtime matcher hold it to the same.
pub fn check_relate(
    entity: &crate::manifest::Entity,
    left: &Term,
    op: Op,
    right: &Term,
) -> Result<(), QueryError> {
    use crate::manifest::rules::{comparable, has_length};
    if !matches!(op, Op::Eq | Op::Neq | Op::Gt | Op::Gte | Op::Lt | Op::Lte) {
        return Err(QueryError {
            at: "filter".to_owned(),
            message: format!(
                "a comparison of two fields or of a length takes = != > >= < <=, not `{}`",
                op.as_str()
            ),
        });
    }
    let ty = |term: &Term| -> Result<Option<crate::manifest::FieldType>, QueryError> {
        let Some(name) = term.field() else {
            return Ok(match term {
                Term::Value(Value::Int(_) | Value::Float(_)) => {
                    Some(crate::manifest::FieldType::Float64)
                }
                _ => None,
            });
        };
        let Some(field) = entity.fields.get(name) else {
            return Err(QueryError {
                at: name.to_owned(),
                message: format!("`{}` has no field `{name}`", entity.table),
            });
        };
        if let Term::Length(_) = term {
            if !has_length(field.ty) {
                return Err(QueryError {
                    at: name.to_owned(),
                    message: format!(
                        "`{name}` is {}, which has no length (string, text, array and json fields have one)",
                        field.ty.as_str()
                    ),
                });
            }
            return Ok(Some(crate::manifest::FieldType::Int64));
        }
        Ok(Some(field.ty))
    };
    match (ty(left)?, ty(right)?) {
        (Some(a), Some(b)) if comparable(a, b) => Ok(()),
        _ => Err(QueryError {
            at: left
                .field()
                .or(right.field())
                .unwrap_or("filter")
                .to_owned(),
            message: format!("{left} and {right} cannot be compared"),
        }),
    }
}

pub mod json;
pub mod mongo;
mod parse;
pub mod sql;
pub mod validate;
mod value;

pub use parse::{
    MAX_EXPAND_DEPTH, parse_filter_json, parse_key, parse_query_body, parse_query_string,
    percent_decode, split_top,
};
pub use validate::{FieldError, WriteMode, validate_body};
pub use value::{check_enum, value_from_json, value_from_text};

/// `; did you mean `x`?` naming the entity's field closest to `name`, or
/// nothing when none is close.
pub(crate) fn did_you_mean(entity: &crate::manifest::Entity, name: &str) -> String {
    let names: Vec<&str> = entity.fields.keys().map(String::as_str).collect();
    crate::manifest::diagnostics::closest(name, &names)
        .map(|close| format!("; did you mean `{close}`?"))
        .unwrap_or_default()
}

/// The regular expression of `match`/`imatch` on engines without one of
/// their own (SQLite's `REGEXP`, the realtime matcher): `(?i)` makes it
/// case-insensitive.
pub fn regex_of(pattern: &str, insensitive: bool) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(insensitive)
        .size_limit(1 << 20)
        .build()
        .ok()
}
