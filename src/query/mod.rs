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

/// The default and the largest `limit`.
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
    /// `Some(true)` nulls first, `Some(false)` nulls last, `None` engine default.
    pub nulls_first: Option<bool>,
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

pub mod mongo;
mod parse;
pub mod sql;
pub mod validate;
mod value;

pub use parse::{
    MAX_EXPAND_DEPTH, parse_filter_json, parse_key, parse_query_body, parse_query_string,
    percent_decode,
};
pub use validate::{FieldError, WriteMode, validate_body};
pub use value::{check_enum, value_from_json, value_from_text};
