//! The query AST as bound SQL, built with sea-query for PostgreSQL, MySQL
//! and SQLite. Every client value is a bound parameter (`$n` / `?`);
//! identifiers come only from the manifest and are quoted by the builder.
//!
//! # The columns of a row
//!
//! `select`, `select_by_key` and the `RETURNING` lists of `insert` and
//! `update_by_key` produce one column per field, in **manifest field
//! order** (only the selected fields for `select`; [`selected_fields`]
//! lists them), without aliases. Engines decode them by position. What
//! each column holds:
//!
//! | field type | PostgreSQL | MySQL | SQLite |
//! |---|---|---|---|
//! | bool | boolean | tinyint(1) | integer 0/1 |
//! | int16/32/64 | int2/int4/int8 | integer | integer |
//! | float32/64 | float4/float8 | float/double | real |
//! | string, text | text/varchar/bpchar | text | text |
//! | bytes | bytea | blob | blob |
//! | json, object | jsonb (json when native) | JSON (text on MariaDB) | JSON text |
//! | array | jsonb (`to_jsonb`, a JSON array) | JSON | JSON text |
//! | decimal | text (exact) | text (`CAST AS CHAR`) | as stored (numeric affinity) |
//! | date, time, interval, uuid, enum, object_id, native | text | text (`CAST AS CHAR`) | text |
//! | timestamp | text `YYYY-MM-DDTHH:MM:SS[.f]` | same | as stored |
//! | timestamptz | text in UTC, `...Z` | same, read with the session time zone, which must be `+00:00` | as stored (bound values are stored as UTC `...Z`) |
//!
//! # Values
//!
//! PostgreSQL: values of types sqlx cannot send as themselves are bound as
//! text and cast to the column's type (`CAST($1 AS numeric(8,2))`,
//! `CAST($1 AS uuid)`, `CAST($1 AS "mpaa_rating")`, `CAST($1 AS jsonb)`,
//! arrays as array literals `CAST($1 AS integer[])`), so decimals are stored
//! exactly. MySQL: decimals as `CAST(? AS DECIMAL(p,s))`, timestamptz
//! converted to UTC `YYYY-MM-DD HH:MM:SS[.f]`, timestamps with a space,
//! JSON/arrays as JSON text. SQLite: booleans as 0/1, JSON/arrays as JSON
//! text, timestamptz as UTC `...Z` text ([`sqlite_params`] converts).
//!
//! # Engine notes
//!
//! - MySQL has no `RETURNING`: after [`insert`] the engine reads the row
//!   back with [`select_by_key`], taking the key from the inserted values or
//!   `LAST_INSERT_ID()` for a generated key; after [`update_by_key`] the
//!   same with the key.
//! - `like` is case-sensitive on PostgreSQL and SQLite (as `GLOB`), and on
//!   MySQL only with a binary or `_cs` collation (the column's collation
//!   decides). `\` escapes `%` and `_` everywhere.
//! - MySQL sessions must run with `time_zone = '+00:00'` so that
//!   `timestamp` columns read and compare in UTC.
//! - Call [`check_supported`] before [`select`]/[`count`]: what a dialect
//!   cannot do (dotted paths, some `contains` on SQLite) is a
//!   [`QueryError`] there, and a condition that matches nothing in the
//!   builders.

use indexmap::IndexMap;
use sea_query::extension::postgres::PgBinOper;
use sea_query::{
    Alias, Cond, Condition, Expr, ExprTrait, MysqlQueryBuilder, NullOrdering, Order,
    PostgresQueryBuilder, Query, QueryStatementBuilder, SqliteQueryBuilder, TableRef,
};

use crate::dialect::postgres::canonical_type;
use crate::manifest::{Entity, Field, FieldType, Manifest};

use super::{Filter, ListQuery, Op, QueryError, Value};

/// The SQL databases the builders target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlDialect {
    Postgres,
    Mysql,
    Sqlite,
}

/// What the builders need for one entity.
struct Target<'m> {
    dialect: SqlDialect,
    manifest: &'m Manifest,
    entity: &'m Entity,
}

impl<'m> Target<'m> {
    fn new(dialect: SqlDialect, manifest: &'m Manifest, entity: &str) -> Option<Self> {
        Some(Self {
            dialect,
            manifest,
            entity: manifest.entities.get(entity)?,
        })
    }

    fn table(&self) -> TableRef {
        match &self.entity.schema {
            Some(schema) => (
                Alias::new(schema.as_str()),
                Alias::new(self.entity.table.as_str()),
            )
                .into(),
            None => Alias::new(self.entity.table.as_str()).into(),
        }
    }

    fn column(&self, name: &str) -> Expr {
        let field = self.entity.fields.get(name);
        let column = field.map_or(name, |field| field.column_name(name));
        Expr::col(Alias::new(column))
    }

    /// The column qualified by its table, for sub-queries.
    fn qualified_column(&self, name: &str) -> Expr {
        let field = self.entity.fields.get(name);
        let column = field.map_or(name, |field| field.column_name(name));
        Expr::col((Alias::new(self.entity.table.as_str()), Alias::new(column)))
    }

    fn build<S: QueryStatementBuilder>(&self, statement: &S) -> (String, sea_query::Values) {
        match self.dialect {
            SqlDialect::Postgres => statement.build_any(&PostgresQueryBuilder),
            SqlDialect::Mysql => statement.build_any(&MysqlQueryBuilder),
            SqlDialect::Sqlite => statement.build_any(&SqliteQueryBuilder),
        }
    }

    /// A custom expression: `?` stands for the next of `exprs` (rewritten
    /// to `$n` for PostgreSQL). Templates are constants of this module.
    fn custom(&self, template: &'static str, exprs: Vec<Expr>) -> Expr {
        if self.dialect != SqlDialect::Postgres {
            return Expr::cust_with_exprs(template, exprs);
        }
        let mut numbered = String::with_capacity(template.len() + 4);
        let mut n = 0;
        for c in template.chars() {
            if c == '?' {
                n += 1;
                numbered.push_str(&format!("${n}"));
            } else {
                numbered.push(c);
            }
        }
        Expr::cust_with_exprs(numbered, exprs)
    }

    /// The select-list expression of one field (see the module table).
    fn output(&self, name: &str, field: &Field) -> Expr {
        let column = self.column(name);
        use FieldType as T;
        match (self.dialect, field.ty) {
            (SqlDialect::Postgres, T::Array) => self.custom("to_jsonb(?)", vec![column]),
            (
                SqlDialect::Postgres,
                T::Decimal
                | T::Uuid
                | T::Date
                | T::Time
                | T::Interval
                | T::Enum
                | T::ObjectId
                | T::Native,
            ) => column.cast_as("text"),
            (SqlDialect::Postgres, T::Timestamp) => {
                self.custom("replace(CAST(? AS text), ' ', 'T')", vec![column])
            }
            (SqlDialect::Postgres, T::Timestamptz) => self.custom(
                "replace(CAST(? AT TIME ZONE 'UTC' AS text), ' ', 'T') || 'Z'",
                vec![column],
            ),
            (
                SqlDialect::Mysql,
                T::Decimal
                | T::Uuid
                | T::Date
                | T::Time
                | T::Interval
                | T::Enum
                | T::ObjectId
                | T::Native,
            ) => column.cast_as("CHAR"),
            (SqlDialect::Mysql, T::Timestamp) => {
                self.custom("REPLACE(CAST(? AS CHAR), ' ', 'T')", vec![column])
            }
            (SqlDialect::Mysql, T::Timestamptz) => self.custom(
                "CONCAT(REPLACE(CAST(? AS CHAR), ' ', 'T'), 'Z')",
                vec![column],
            ),
            _ => column,
        }
    }

    fn outputs(&self, fields: &[(&str, &Field)]) -> Vec<Expr> {
        fields
            .iter()
            .map(|(name, field)| self.output(name, field))
            .collect()
    }

    fn all_fields(&self) -> Vec<(&'m str, &'m Field)> {
        self.entity
            .fields
            .iter()
            .map(|(name, field)| (name.as_str(), field))
            .collect()
    }

    fn key_condition(&self, key: &[Value]) -> Condition {
        let mut condition = Cond::all();
        for (name, value) in self.entity.primary_key.iter().zip(key) {
            let Some(field) = self.entity.fields.get(name) else {
                return Cond::all().add(never());
            };
            condition = condition.add(self.column(name).eq(self.bind(field, value)));
        }
        if self.entity.primary_key.is_empty() || key.len() != self.entity.primary_key.len() {
            condition = condition.add(never());
        }
        condition
    }
}

/// A condition that holds for no row.
fn never() -> Expr {
    Expr::cust("1 = 0")
}

/// A condition that holds for every row.
fn always() -> Expr {
    Expr::cust("1 = 1")
}

/// The fields a `select` returns, in manifest field order: all of them, or
/// those named in `select` (unknown names are skipped; the parser has
/// refused them already).
pub fn selected_fields<'m>(
    entity: &'m Entity,
    select: Option<&[String]>,
) -> Vec<(&'m str, &'m Field)> {
    entity
        .fields
        .iter()
        .filter(|(name, _)| select.is_none_or(|names| names.iter().any(|n| n == *name)))
        .map(|(name, field)| (name.as_str(), field))
        .collect()
}

/// Refuses what `dialect` cannot run for this query: dotted paths into
/// object fields (MongoDB only), and on SQLite `contains` with a JSON
/// object operand.
pub fn check_supported(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    query: &ListQuery,
) -> Result<(), QueryError> {
    let entity = manifest
        .entities
        .get(entity_name)
        .ok_or_else(|| QueryError {
            at: "entity".to_owned(),
            message: format!("unknown entity `{entity_name}`"),
        })?;
    for order in &query.order {
        if !entity.fields.contains_key(&order.field) {
            return Err(QueryError {
                at: "order".to_owned(),
                message: format!(
                    "ordering by a path into an object (`{}`) is not supported on {dialect:?}",
                    order.field
                ),
            });
        }
    }
    match &query.filter {
        Some(filter) => check_filter_supported(dialect, entity, filter),
        None => Ok(()),
    }
}

/// [`check_supported`] for a filter alone.
pub fn check_filter_supported(
    dialect: SqlDialect,
    entity: &Entity,
    filter: &Filter,
) -> Result<(), QueryError> {
    match filter {
        Filter::And(filters) | Filter::Or(filters) => filters
            .iter()
            .try_for_each(|f| check_filter_supported(dialect, entity, f)),
        Filter::Not(inner) => check_filter_supported(dialect, entity, inner),
        Filter::Compare { field, op, value } => {
            let Some(definition) = entity.fields.get(field) else {
                return Err(QueryError {
                    at: field.clone(),
                    message: format!(
                        "filtering on a path into an object (`{field}`) is not supported on {dialect:?}"
                    ),
                });
            };
            if dialect == SqlDialect::Sqlite
                && *op == Op::Contains
                && definition.ty == FieldType::Json
                && sqlite_items(value).is_none()
            {
                return Err(QueryError {
                    at: field.clone(),
                    message: format!(
                        "`contains` on the json field `{field}` takes an array of scalars on SQLite"
                    ),
                });
            }
            Ok(())
        }
    }
}

/// The list query as one `SELECT` (see the module docs for the columns).
/// Rows are ordered by `order`, then by the primary key, so that pages are
/// stable.
pub fn select(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    query: &ListQuery,
) -> (String, sea_query::Values) {
    let Some(target) = Target::new(dialect, manifest, entity_name) else {
        return unknown_entity(dialect);
    };
    let fields = selected_fields(target.entity, query.select.as_deref());
    let mut statement = Query::select();
    statement
        .from(target.table())
        .exprs(target.outputs(&fields));
    if let Some(filter) = &query.filter {
        statement.and_where(target.condition(filter));
    }
    for order in &query.order {
        let direction = if order.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let column = target.column(&order.field);
        match order.nulls_first {
            Some(first) => statement.order_by_expr_with_nulls(
                column,
                direction,
                if first {
                    NullOrdering::First
                } else {
                    NullOrdering::Last
                },
            ),
            None => statement.order_by_expr(column, direction),
        };
    }
    for key in &target.entity.primary_key {
        if !query.order.iter().any(|order| &order.field == key) {
            statement.order_by_expr(target.column(key), Order::Asc);
        }
    }
    statement.limit(query.limit).offset(query.offset);
    target.build(&statement)
}

/// `SELECT COUNT(*)` of the rows matching `filter` (no paging).
pub fn count(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    filter: Option<&Filter>,
) -> (String, sea_query::Values) {
    let Some(target) = Target::new(dialect, manifest, entity_name) else {
        return unknown_entity(dialect);
    };
    let mut statement = Query::select();
    statement.from(target.table()).expr(Expr::cust("COUNT(*)"));
    if let Some(filter) = filter {
        statement.and_where(target.condition(filter));
    }
    target.build(&statement)
}

/// One row by primary key (`key` in `primary_key` order), all fields.
pub fn select_by_key(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
) -> (String, sea_query::Values) {
    let Some(target) = Target::new(dialect, manifest, entity_name) else {
        return unknown_entity(dialect);
    };
    let mut statement = Query::select();
    statement
        .from(target.table())
        .exprs(target.outputs(&target.all_fields()))
        .cond_where(target.key_condition(key));
    target.build(&statement)
}

/// `INSERT` of `values` (field name → value, as [`super::validate_body`]
/// returns them); `RETURNING` every field on PostgreSQL and SQLite, nothing
/// on MySQL (see the module docs). No values: `DEFAULT VALUES`.
pub fn insert(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    values: &IndexMap<String, Value>,
) -> (String, sea_query::Values) {
    let Some(target) = Target::new(dialect, manifest, entity_name) else {
        return unknown_entity(dialect);
    };
    let mut statement = Query::insert();
    statement.into_table(target.table());
    let mut columns = Vec::new();
    let mut exprs = Vec::new();
    for (name, value) in values {
        let Some(field) = target.entity.fields.get(name) else {
            continue;
        };
        columns.push(Alias::new(field.column_name(name)));
        exprs.push(target.bind(field, value));
    }
    if columns.is_empty() {
        statement.or_default_values();
    } else {
        statement.columns(columns);
        // The lengths match by construction, so this cannot fail.
        let _ = statement.values(exprs);
    }
    if dialect != SqlDialect::Mysql {
        statement.returning(Query::returning().exprs(target.outputs(&target.all_fields())));
    }
    target.build(&statement)
}

/// `UPDATE ... SET` `values` on the row with `key`; `RETURNING` every field
/// on PostgreSQL and SQLite. With no values it is [`select_by_key`] (an
/// empty PATCH reads the row).
pub fn update_by_key(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    values: &IndexMap<String, Value>,
) -> (String, sea_query::Values) {
    let Some(target) = Target::new(dialect, manifest, entity_name) else {
        return unknown_entity(dialect);
    };
    let mut sets = Vec::new();
    for (name, value) in values {
        let Some(field) = target.entity.fields.get(name) else {
            continue;
        };
        sets.push((
            Alias::new(field.column_name(name)),
            target.bind(field, value),
        ));
    }
    if sets.is_empty() {
        return select_by_key(dialect, manifest, entity_name, key);
    }
    let mut statement = Query::update();
    statement
        .table(target.table())
        .values(sets)
        .cond_where(target.key_condition(key));
    if dialect != SqlDialect::Mysql {
        statement.returning(Query::returning().exprs(target.outputs(&target.all_fields())));
    }
    target.build(&statement)
}

/// `DELETE` of the row with `key`.
pub fn delete_by_key(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
) -> (String, sea_query::Values) {
    let Some(target) = Target::new(dialect, manifest, entity_name) else {
        return unknown_entity(dialect);
    };
    let mut statement = Query::delete();
    statement
        .from_table(target.table())
        .cond_where(target.key_condition(key));
    target.build(&statement)
}

/// A statement for an entity the manifest does not have: selects nothing.
fn unknown_entity(dialect: SqlDialect) -> (String, sea_query::Values) {
    let mut statement = Query::select();
    statement.expr(Expr::cust("1")).and_where(never());
    Target {
        dialect,
        manifest: &EMPTY,
        entity: &EMPTY_ENTITY,
    }
    .build(&statement)
}

static EMPTY: std::sync::LazyLock<Manifest> = std::sync::LazyLock::new(Manifest::default);
static EMPTY_ENTITY: std::sync::LazyLock<Entity> = std::sync::LazyLock::new(|| Entity::new(""));

/// sea-query values as rusqlite parameters (booleans as 0/1, JSON as text).
pub fn sqlite_params(values: &sea_query::Values) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value as S;
    use sea_query::Value as V;
    values
        .0
        .iter()
        .map(|value| match value {
            V::Bool(Some(b)) => S::Integer(i64::from(*b)),
            V::TinyInt(Some(v)) => S::Integer(i64::from(*v)),
            V::SmallInt(Some(v)) => S::Integer(i64::from(*v)),
            V::Int(Some(v)) => S::Integer(i64::from(*v)),
            V::BigInt(Some(v)) => S::Integer(*v),
            V::TinyUnsigned(Some(v)) => S::Integer(i64::from(*v)),
            V::SmallUnsigned(Some(v)) => S::Integer(i64::from(*v)),
            V::Unsigned(Some(v)) => S::Integer(i64::from(*v)),
            V::BigUnsigned(Some(v)) => match i64::try_from(*v) {
                Ok(v) => S::Integer(v),
                Err(_) => S::Text(v.to_string()),
            },
            V::Float(Some(v)) => S::Real(f64::from(*v)),
            V::Double(Some(v)) => S::Real(*v),
            V::String(Some(v)) => S::Text(v.clone()),
            V::Char(Some(v)) => S::Text(v.to_string()),
            V::Bytes(Some(v)) => S::Blob(v.clone()),
            V::Json(Some(v)) => S::Text(v.to_string()),
            _ => S::Null,
        })
        .collect()
}

// ---- filters ----

impl Target<'_> {
    fn condition(&self, filter: &Filter) -> Expr {
        match filter {
            Filter::And(filters) if filters.is_empty() => always(),
            Filter::Or(filters) if filters.is_empty() => never(),
            Filter::And(filters) => filters
                .iter()
                .fold(Cond::all(), |cond, f| cond.add(self.condition(f)))
                .into(),
            Filter::Or(filters) => filters
                .iter()
                .fold(Cond::any(), |cond, f| cond.add(self.condition(f)))
                .into(),
            Filter::Not(inner) => Cond::all().add(self.condition(inner)).not().into(),
            Filter::Compare { field, op, value } => self.compare(field, *op, value),
        }
    }

    fn compare(&self, name: &str, op: Op, value: &Value) -> Expr {
        let Some(field) = self.entity.fields.get(name) else {
            return never();
        };
        let column = self.column(name);
        match op {
            Op::Eq => column.eq(self.bind(field, value)),
            Op::Neq => column.ne(self.bind(field, value)),
            Op::Gt => column.gt(self.bind(field, value)),
            Op::Gte => column.gte(self.bind(field, value)),
            Op::Lt => column.lt(self.bind(field, value)),
            Op::Lte => column.lte(self.bind(field, value)),
            Op::In | Op::Nin => {
                let items = match value {
                    Value::List(items) => items.as_slice(),
                    other => std::slice::from_ref(other),
                };
                match (op, items.is_empty()) {
                    (Op::In, true) => never(),
                    (_, true) => always(),
                    (Op::In, false) => column.is_in(items.iter().map(|v| self.bind(field, v))),
                    (_, false) => column.is_not_in(items.iter().map(|v| self.bind(field, v))),
                }
            }
            Op::Is => match value {
                Value::Bool(true) => self.custom("? IS TRUE", vec![column]),
                Value::Bool(false) => self.custom("? IS FALSE", vec![column]),
                _ => column.is_null(),
            },
            Op::Like | Op::Ilike => {
                let pattern = match value {
                    Value::Text(text) => text.clone(),
                    _ => return never(),
                };
                match (self.dialect, op) {
                    (SqlDialect::Postgres, Op::Like) => column.like(pattern),
                    (SqlDialect::Postgres, _) => column.binary(PgBinOper::ILike, pattern),
                    (SqlDialect::Mysql, Op::Like) => column.like(pattern),
                    (SqlDialect::Mysql, _) => {
                        self.custom("LOWER(?) LIKE LOWER(?)", vec![column, Expr::val(pattern)])
                    }
                    // GLOB is case-sensitive whatever `case_sensitive_like` says.
                    (SqlDialect::Sqlite, Op::Like) => {
                        self.custom("? GLOB ?", vec![column, Expr::val(like_to_glob(&pattern))])
                    }
                    (SqlDialect::Sqlite, _) => self.custom(
                        "LOWER(?) LIKE LOWER(?) ESCAPE '\\'",
                        vec![column, Expr::val(pattern)],
                    ),
                }
            }
            Op::Contains => self.contains(name, field, value),
        }
    }

    fn contains(&self, name: &str, field: &Field, value: &Value) -> Expr {
        match self.dialect {
            SqlDialect::Postgres if field.ty == FieldType::Array => column_binary(
                self.column(name),
                PgBinOper::Contains,
                self.bind(field, value),
            ),
            SqlDialect::Postgres => self.custom(
                "CAST(? AS jsonb) @> CAST(? AS jsonb)",
                vec![self.column(name), Expr::val(json_of(value).to_string())],
            ),
            SqlDialect::Mysql => self.custom(
                "JSON_CONTAINS(?, ?)",
                vec![self.column(name), Expr::val(json_of(value).to_string())],
            ),
            SqlDialect::Sqlite => {
                let Some(items) = sqlite_items(value) else {
                    return never();
                };
                let mut condition = Cond::all();
                if field.ty == FieldType::Json {
                    // An object's values are not its items.
                    condition = condition.add(
                        self.custom("json_type(?) = 'array'", vec![self.qualified_column(name)]),
                    );
                }
                items
                    .iter()
                    .fold(condition, |cond, item| {
                        cond.add(self.custom(
                            "EXISTS (SELECT 1 FROM json_each(?) WHERE json_each.value = ?)",
                            vec![self.qualified_column(name), sqlite_item(item)],
                        ))
                    })
                    .into()
            }
        }
    }
}

/// A LIKE pattern (`%`, `_`, `\` escapes) as an SQLite GLOB pattern:
/// `*`, `?`, and GLOB's own special characters in brackets.
fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '%' => {
                out.push('*');
                continue;
            }
            '_' => {
                out.push('?');
                continue;
            }
            '\\' => chars.next().unwrap_or('\\'),
            c => c,
        };
        match literal {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(literal);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

fn column_binary(column: Expr, op: PgBinOper, right: Expr) -> Expr {
    column.binary(op, right)
}

/// The scalars a SQLite `contains` looks for with `json_each`: the
/// operand must be an array of scalars (`None` otherwise).
fn sqlite_items(value: &Value) -> Option<Vec<serde_json::Value>> {
    let items = match (value, json_of(value)) {
        (Value::List(_), serde_json::Value::Array(items)) => items,
        (Value::Json(_), serde_json::Value::Array(items)) => items,
        _ => return None,
    };
    items
        .iter()
        .all(|item| !item.is_object() && !item.is_array() && !item.is_null())
        .then_some(items)
}

/// A JSON scalar as `json_each.value` holds it (true → 1).
fn sqlite_item(item: &serde_json::Value) -> Expr {
    match item {
        serde_json::Value::Bool(b) => Expr::val(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(int) => Expr::val(int),
            None => Expr::val(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(text) => Expr::val(text.clone()),
        other => Expr::val(other.to_string()),
    }
}

/// A typed value as JSON (arrays of items, decimals as numbers).
fn json_of(value: &Value) -> serde_json::Value {
    use base64::Engine as _;
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Decimal(text) => serde_json::from_str::<serde_json::Number>(text)
            .map_or_else(|_| text.clone().into(), Into::into),
        Value::Text(text) => text.clone().into(),
        Value::Bytes(bytes) => base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into(),
        Value::Json(json) => json.clone(),
        Value::List(items) => items.iter().map(json_of).collect(),
    }
}

// ---- binding ----

impl Target<'_> {
    /// `value` as a bound parameter for `field` (with a cast where the
    /// dialect needs one; see the module docs).
    fn bind(&self, field: &Field, value: &Value) -> Expr {
        match self.dialect {
            SqlDialect::Postgres => self.bind_postgres(field, value),
            SqlDialect::Mysql => bind_mysql(field, value),
            SqlDialect::Sqlite => bind_sqlite(field, value),
        }
    }

    fn bind_postgres(&self, field: &Field, value: &Value) -> Expr {
        use FieldType as T;
        match field.ty {
            T::Bool
            | T::Int16
            | T::Int32
            | T::Int64
            | T::Float32
            | T::Float64
            | T::Bytes
            | T::String
            | T::Text => plain(field, value),
            T::Array => {
                let text = match value {
                    Value::Null => None,
                    Value::List(items) => Some(pg_array_literal(items)),
                    other => Some(json_of(other).to_string()),
                };
                Expr::val(text).cast_as(self.postgres_type(field))
            }
            T::Json | T::Object => {
                let text = match value {
                    Value::Null => None,
                    other => Some(json_of(other).to_string()),
                };
                Expr::val(text).cast_as(self.postgres_type(field))
            }
            _ => Expr::val(text_of(value)).cast_as(self.postgres_type(field)),
        }
    }

    /// The PostgreSQL type a bound text is cast to for `field`.
    fn postgres_type(&self, field: &Field) -> String {
        match field.ty {
            FieldType::Enum => {
                let Some(name) = &field.enum_name else {
                    return "text".to_owned();
                };
                match self.manifest.enums.get(name) {
                    Some(definition) => {
                        let native = quoted(definition.native.as_deref().unwrap_or(name));
                        match &definition.schema {
                            Some(schema) => format!("{}.{native}", quoted(schema)),
                            None => native,
                        }
                    }
                    None => quoted(name),
                }
            }
            FieldType::Array => match (&field.native, &field.items) {
                (Some(native), _) if native.ends_with("[]") => native.clone(),
                (_, Some(items)) => format!("{}[]", self.postgres_type(items)),
                _ => "text[]".to_owned(),
            },
            FieldType::Json | FieldType::Object => match field.native.as_deref() {
                Some("json") => "json".to_owned(),
                _ => "jsonb".to_owned(),
            },
            FieldType::Native => field.native.clone().unwrap_or_else(|| "text".to_owned()),
            _ => canonical_type(field),
        }
    }
}

/// A PostgreSQL identifier, always quoted (a type may be named `order`).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Values sqlx and rusqlite bind as themselves; NULL typed by the field.
fn plain(field: &Field, value: &Value) -> Expr {
    use FieldType as T;
    use sea_query::Value as V;
    let bound = match (value, field.ty) {
        (Value::Null, T::Bool) => V::Bool(None),
        (Value::Null, T::Int16 | T::Int32 | T::Int64) => V::BigInt(None),
        (Value::Null, T::Float32 | T::Float64) => V::Double(None),
        (Value::Null, T::Bytes) => V::Bytes(None),
        (Value::Null, _) => V::String(None),
        (Value::Bool(b), _) => V::Bool(Some(*b)),
        (Value::Int(i), T::Float32 | T::Float64) => V::Double(Some(*i as f64)),
        (Value::Int(i), _) => V::BigInt(Some(*i)),
        (Value::Float(f), _) => V::Double(Some(*f)),
        (Value::Bytes(bytes), _) => V::Bytes(Some(bytes.clone())),
        (other, _) => V::String(text_of(other)),
    };
    Expr::val(bound)
}

/// The text form of a value (JSON text for JSON and lists).
fn text_of(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Text(text) | Value::Decimal(text) => text.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        other => json_of(other).to_string(),
    })
}

fn bind_mysql(field: &Field, value: &Value) -> Expr {
    use FieldType as T;
    match (field.ty, value) {
        (_, Value::Null) => plain(field, value),
        (T::Decimal, _) => {
            let precision = Ord::min(field.precision.unwrap_or(65), 65);
            let scale = Ord::min(Ord::min(field.scale.unwrap_or(30), 30), precision);
            Expr::val(text_of(value)).cast_as(format!("DECIMAL({precision},{scale})"))
        }
        (T::Timestamptz, Value::Text(text)) => Expr::val(
            utc_timestamp(text)
                .map_or_else(|| text.clone(), |(date, time)| format!("{date} {time}")),
        ),
        (T::Timestamp, Value::Text(text)) => Expr::val(text.replacen('T', " ", 1)),
        (T::Json | T::Object | T::Array, _) => Expr::val(json_of(value).to_string()),
        _ => plain(field, value),
    }
}

fn bind_sqlite(field: &Field, value: &Value) -> Expr {
    use FieldType as T;
    match (field.ty, value) {
        (_, Value::Null) => plain(field, value),
        (T::Timestamptz, Value::Text(text)) => Expr::val(
            utc_timestamp(text)
                .map_or_else(|| text.clone(), |(date, time)| format!("{date}T{time}Z")),
        ),
        (T::Json | T::Object | T::Array, _) => Expr::val(json_of(value).to_string()),
        _ => plain(field, value),
    }
}

/// A PostgreSQL array literal (`{1,2}`, `{"a","b \"c\""}`, `{NULL}`).
fn pg_array_literal(items: &[Value]) -> String {
    let mut out = String::from("{");
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let text = match item {
            Value::Null => {
                out.push_str("NULL");
                continue;
            }
            Value::List(inner) => {
                out.push_str(&pg_array_literal(inner));
                continue;
            }
            Value::Bytes(bytes) => {
                let mut hex = String::from("\\x");
                for byte in bytes {
                    hex.push_str(&format!("{byte:02x}"));
                }
                hex
            }
            other => text_of(other).unwrap_or_default(),
        };
        out.push('"');
        for c in text.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// An RFC 3339 timestamp (or a bare date) in UTC: (`YYYY-MM-DD`,
/// `HH:MM:SS[.f]`). `None` when the text does not have that shape.
pub(crate) fn utc_timestamp(text: &str) -> Option<(String, String)> {
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some((date.to_owned(), "00:00:00".to_owned()));
    }
    let rest = rest.get(1..)?;
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let sign_at = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(sign_at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let offset = &offset[1..];
        let (hours, minutes) = offset.split_once(':').unwrap_or((offset, "0"));
        let minutes = hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?;
        (clock, sign * minutes)
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (clock, None),
    };
    let mut parts = hms.split(':');
    let hour: i64 = parts.next()?.parse().ok()?;
    let minute: i64 = parts.next()?.parse().ok()?;
    let second: i64 = parts.next()?.parse().ok()?;
    let total = hour * 60 + minute - offset_minutes;
    let day_shift = total.div_euclid(1440);
    let total = total.rem_euclid(1440);
    let (year, month, day) = civil_from_days(days_from_civil(year, month, day) + day_shift);
    let mut time = format!("{:02}:{:02}:{second:02}", total / 60, total % 60);
    if let Some(fraction) = fraction {
        time.push('.');
        time.push_str(fraction);
    }
    Some((format!("{year:04}-{month:02}-{day:02}"), time))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_convert_to_utc_across_days() {
        assert_eq!(
            utc_timestamp("2024-03-01T01:30:00+02:00").unwrap(),
            ("2024-02-29".to_owned(), "23:30:00".to_owned())
        );
        assert_eq!(
            utc_timestamp("2023-12-31T23:00:00.25-01:30").unwrap(),
            ("2024-01-01".to_owned(), "00:30:00.25".to_owned())
        );
        assert_eq!(
            utc_timestamp("2024-05-01T10:00:00Z").unwrap(),
            ("2024-05-01".to_owned(), "10:00:00".to_owned())
        );
    }

    #[test]
    fn identifiers_are_quoted_with_their_quotes_doubled() {
        let mut manifest = Manifest::default();
        let mut entity = Entity::new("we\"ird");
        entity.primary_key = vec!["k".into()];
        let mut field = Field::new(FieldType::Text);
        field.column = Some("co\"l".into());
        entity.fields.insert("k".into(), field);
        let mut status = Field::new(FieldType::Enum);
        status.enum_name = Some("order".into());
        entity.fields.insert("status".into(), status);
        manifest.enums.insert("order".into(), Default::default());
        manifest.entities.insert("e".into(), entity);
        let key = [Value::Text("x".into())];
        let (sql, _) = select_by_key(SqlDialect::Postgres, &manifest, "e", &key);
        assert_eq!(
            sql,
            r#"SELECT "co""l", CAST("status" AS text) FROM "we""ird" WHERE "co""l" = $1"#
        );
        let values = IndexMap::from([("status".to_owned(), Value::Text("a".into()))]);
        let (sql, _) = update_by_key(SqlDialect::Postgres, &manifest, "e", &key, &values);
        assert!(
            sql.contains(r#"SET "status" = CAST($1 AS "order")"#),
            "{sql}"
        );
        let (sql, _) = select_by_key(SqlDialect::Mysql, &manifest, "e", &key);
        assert_eq!(
            sql,
            "SELECT `co\"l`, CAST(`status` AS CHAR) FROM `we\"ird` WHERE `co\"l` = ?"
        );
    }

    #[test]
    fn like_patterns_become_case_sensitive_globs() {
        assert_eq!(like_to_glob("50\\%_a*[b]?%"), "50%?a[*][[]b][?]*");
        assert_eq!(like_to_glob("a\\_\\\\"), "a_\\");
    }

    #[test]
    fn array_literals_quote_every_item() {
        assert_eq!(
            pg_array_literal(&[
                Value::Text("a,b".into()),
                Value::Text(r#"say "hi" \o/"#.into()),
                Value::Null
            ]),
            r#"{"a,b","say \"hi\" \\o/",NULL}"#
        );
    }
}
