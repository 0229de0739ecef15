//! What the PostgreSQL and MySQL engines share: bound statements built with
//! sea-query from the typed query AST, rows decoded by field type into wire
//! values (docs/api.md, "Wire values"), and the error mapping helpers.
//!
//! Every column is read back as text (or raw bytes for `bytes`) through a
//! cast in the select list, then converted by the manifest's field type:
//! one decoding path for both engines, and no sqlx type features needed.
//! Values are always bound; identifiers come from the manifest and are
//! quoted by sea-query. The only manifest text spliced into SQL is a type
//! name in a cast (an enum's or a `native` type), checked by
//! [`checked_type_name`].

use std::borrow::Cow;

use base64::Engine as _;
use indexmap::IndexMap;
use sea_query::{
    Alias, Condition, Expr, ExprTrait as _, NullOrdering, Order, Query, ReturningClause,
    SelectStatement, TableRef,
};

use super::{Row, StoreError, Values};
use crate::manifest::{Entity, Field, FieldType, Manifest};
use crate::query::{Filter, ListQuery, Op, Value};

/// The fields a statement reads, in select-list order.
pub(crate) type OutputFields<'a> = Vec<(&'a str, &'a Field)>;

/// The two SQL engines served through sqlx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Postgres,
    Mysql,
}

/// The entity named `entity`, or an internal error (the server checks names
/// before calling the engine).
pub(crate) fn entity<'a>(manifest: &'a Manifest, entity: &str) -> Result<&'a Entity, StoreError> {
    manifest
        .entities
        .get(entity)
        .ok_or_else(|| internal(format!("unknown entity `{entity}`")))
}

pub(crate) fn internal(message: impl Into<String>) -> StoreError {
    StoreError::Internal(anyhow::anyhow!(message.into()))
}

fn field<'a>(entity: &'a Entity, name: &str) -> Result<&'a Field, StoreError> {
    entity
        .fields
        .get(name)
        .ok_or_else(|| internal(format!("unknown field `{name}` of `{}`", entity.table)))
}

fn table_ref(entity: &Entity) -> TableRef {
    match &entity.schema {
        Some(schema) => (
            Alias::new(schema.as_str()),
            Alias::new(entity.table.as_str()),
        )
            .into(),
        None => Alias::new(entity.table.as_str()).into(),
    }
}

fn column(name: &str, field: &Field) -> Expr {
    Expr::col(Alias::new(field.column_name(name)))
}

/// A type name from the manifest spliced into a cast: letters, digits, `_`,
/// spaces, `.`, `"`, `(`, `)`, `,`, `[`, `]` only (no quote that could end a
/// literal, no `;`, no `$` that sea-query would read as a placeholder).
fn checked_type_name(name: &str) -> Result<&str, StoreError> {
    let fine = !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | ' ' | '.' | '"' | '(' | ')' | ',' | '[' | ']')
        });
    if fine {
        Ok(name)
    } else {
        Err(internal(format!(
            "type name `{name}` cannot be used in a cast"
        )))
    }
}

fn quote_postgres(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The PostgreSQL type of a field, for casts of bound text values.
fn postgres_type(manifest: &Manifest, field: &Field) -> Result<Option<String>, StoreError> {
    if let Some(native) = &field.native {
        return Ok(Some(checked_type_name(native)?.to_owned()));
    }
    Ok(Some(
        match field.ty {
            FieldType::Bool => "boolean",
            FieldType::Int16 => "smallint",
            FieldType::Int32 => "integer",
            FieldType::Int64 => "bigint",
            FieldType::Float32 => "real",
            FieldType::Float64 => "double precision",
            FieldType::Decimal => "numeric",
            FieldType::String | FieldType::Text | FieldType::ObjectId => "text",
            FieldType::Uuid => "uuid",
            FieldType::Date => "date",
            FieldType::Time => "time",
            FieldType::Timestamp => "timestamp",
            FieldType::Timestamptz => "timestamptz",
            FieldType::Interval => "interval",
            FieldType::Json | FieldType::Object => "jsonb",
            FieldType::Bytes => "bytea",
            FieldType::Enum => {
                let Some(name) = &field.enum_name else {
                    return Ok(Some("text".to_owned()));
                };
                let declared = manifest.enums.get(name);
                let type_name = declared
                    .and_then(|declared| declared.native.as_deref())
                    .unwrap_or(name);
                let quoted = match declared.and_then(|declared| declared.schema.as_deref()) {
                    Some(schema) => {
                        format!("{}.{}", quote_postgres(schema), quote_postgres(type_name))
                    }
                    None => quote_postgres(type_name),
                };
                return Ok(Some(checked_type_name(&quoted)?.to_owned()));
            }
            FieldType::Array => {
                let Some(items) = &field.items else {
                    return Ok(None);
                };
                return Ok(postgres_type(manifest, items)?.map(|items| format!("{items}[]")));
            }
            FieldType::Native => return Ok(None),
        }
        .to_owned(),
    ))
}

/// Whether a PostgreSQL array field is stored as JSON rather than as a
/// native array.
fn postgres_array_is_json(field: &Field) -> bool {
    field.native.as_deref().is_some_and(|native| {
        native.eq_ignore_ascii_case("json") || native.eq_ignore_ascii_case("jsonb")
    })
}

/// The select-list expression of a field: text (or bytes) the decoder reads.
fn output_expr(flavor: Flavor, name: &str, field: &Field) -> Expr {
    let col = column(name, field);
    if field.ty == FieldType::Bytes {
        return col;
    }
    let template: &'static str = match (flavor, field.ty) {
        (Flavor::Postgres, FieldType::Timestamptz) => {
            "to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        }
        (Flavor::Postgres, FieldType::Timestamp) => "to_char($1, 'YYYY-MM-DD HH24:MI:SS.US')",
        (Flavor::Postgres, FieldType::Date) => "to_char($1, 'YYYY-MM-DD')",
        (Flavor::Postgres, FieldType::Array) if !postgres_array_is_json(field) => {
            "CAST(to_jsonb($1) AS text)"
        }
        (Flavor::Postgres, _) => "CAST($1 AS text)",
        (Flavor::Mysql, _) => "CAST($1 AS CHAR)",
    };
    custom(flavor, template, [col])
}

/// Output fields of a select: `select` (in field order) or all of them.
fn output_fields<'a>(
    entity: &'a Entity,
    select: Option<&[String]>,
) -> Result<OutputFields<'a>, StoreError> {
    if let Some(select) = select {
        for name in select {
            field(entity, name)?;
        }
    }
    Ok(entity
        .fields
        .iter()
        .filter(|(name, _)| select.is_none_or(|select| select.iter().any(|s| s == *name)))
        .map(|(name, field)| (name.as_str(), field))
        .collect())
}

/// A bound value for a field, cast where the engine needs a type.
fn param(
    flavor: Flavor,
    manifest: &Manifest,
    field: &Field,
    value: &Value,
) -> Result<Expr, StoreError> {
    if matches!(value, Value::Null) {
        return Ok(Expr::cust("NULL"));
    }
    match flavor {
        Flavor::Postgres => postgres_param(manifest, field, value),
        Flavor::Mysql => mysql_param(field, value),
    }
}

/// A custom expression; `$1`, `$2`… name `exprs` in order (MySQL's
/// placeholder is a bare `?`).
fn custom(flavor: Flavor, template: &'static str, exprs: impl IntoIterator<Item = Expr>) -> Expr {
    match flavor {
        Flavor::Postgres => Expr::cust_with_exprs(template, exprs),
        Flavor::Mysql => {
            let mut text = template.to_owned();
            for index in (1..=9).rev() {
                text = text.replace(&format!("${index}"), "?");
            }
            Expr::cust_with_exprs(text, exprs)
        }
    }
}

fn cast(value: Expr, type_name: &str) -> Expr {
    Expr::cust_with_exprs(format!("CAST($1 AS {type_name})"), [value])
}

fn postgres_param(manifest: &Manifest, field: &Field, value: &Value) -> Result<Expr, StoreError> {
    Ok(match value {
        Value::Null => Expr::cust("NULL"),
        Value::Bool(b) => Expr::val(*b),
        Value::Int(i) => Expr::val(*i),
        Value::Float(f) => Expr::val(*f),
        Value::Bytes(bytes) => Expr::val(bytes.clone()),
        Value::Decimal(text) | Value::Text(text) => {
            let bound = Expr::val(text.as_str());
            match field.ty {
                FieldType::String | FieldType::Text | FieldType::ObjectId => bound,
                _ => match postgres_type(manifest, field)? {
                    Some(type_name) => cast(bound, &type_name),
                    None => bound,
                },
            }
        }
        Value::Json(json) => {
            if field.ty == FieldType::Array && !postgres_array_is_json(field) {
                postgres_array(manifest, field, json)?
            } else {
                let bound = Expr::val(json.clone());
                match field.ty {
                    FieldType::Json | FieldType::Object => match &field.native {
                        Some(native) if native.eq_ignore_ascii_case("json") => cast(bound, "json"),
                        _ => bound,
                    },
                    _ => bound,
                }
            }
        }
        Value::List(items) => {
            let json = serde_json::Value::Array(items.iter().map(value_to_json).collect());
            if field.ty == FieldType::Array && !postgres_array_is_json(field) {
                postgres_array(manifest, field, &json)?
            } else {
                Expr::val(json)
            }
        }
    })
}

/// A JSON array bound as one value and turned into a native array.
fn postgres_array(
    manifest: &Manifest,
    field: &Field,
    json: &serde_json::Value,
) -> Result<Expr, StoreError> {
    let array_type = postgres_type(manifest, field)?.unwrap_or_else(|| "text[]".to_owned());
    Ok(Expr::cust_with_exprs(
        format!("CAST(ARRAY(SELECT jsonb_array_elements_text(CAST($1 AS jsonb))) AS {array_type})"),
        [Expr::val(json.clone())],
    ))
}

fn mysql_param(field: &Field, value: &Value) -> Result<Expr, StoreError> {
    Ok(match value {
        Value::Null => Expr::cust("NULL"),
        Value::Bool(b) => Expr::val(*b),
        Value::Int(i) => Expr::val(*i),
        Value::Float(f) => Expr::val(*f),
        Value::Bytes(bytes) => Expr::val(bytes.clone()),
        Value::Decimal(text) => Expr::val(text.as_str()),
        Value::Text(text) => match field.ty {
            FieldType::Timestamptz => Expr::val(utc_datetime_text(text).map_err(internal)?),
            FieldType::Timestamp => Expr::val(text.replacen('T', " ", 1)),
            _ => Expr::val(text.as_str()),
        },
        Value::Json(json) => Expr::val(json.to_string()),
        Value::List(items) => Expr::val(
            serde_json::Value::Array(items.iter().map(value_to_json).collect()).to_string(),
        ),
    })
}

/// A typed value as JSON (array items, `contains` operands).
pub(crate) fn value_to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Decimal(text) | Value::Text(text) => text.clone().into(),
        Value::Bytes(bytes) => base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into(),
        Value::Json(json) => json.clone(),
        Value::List(items) => items.iter().map(value_to_json).collect(),
    }
}

/// An RFC 3339 timestamp as UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`, the form
/// MySQL reads (it rejects `T`, `Z` and offsets).
pub(crate) fn utc_datetime_text(text: &str) -> Result<String, String> {
    let bad = || format!("`{text}` is not an RFC 3339 timestamp");
    let text = text.trim();
    if text.len() < 19 {
        return Err(bad());
    }
    let (date, rest) = text.split_at(10);
    let number = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let mut parts = date.split('-');
    let (year, month, day) = match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => (number(y)?, number(m)?, number(d)?),
        _ => return Err(bad()),
    };
    let rest = &rest[1..];
    let time_end = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(time_end);
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock_parts = clock.split(':');
    let (hour, minute, second) = match (clock_parts.next(), clock_parts.next(), clock_parts.next())
    {
        (Some(h), Some(m), Some(s)) => (number(h)?, number(m)?, number(s)?),
        _ => return Err(bad()),
    };
    let offset_minutes = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
            sign * (number(h)? * 60 + number(m)?)
        }
    };
    let days = days_from_civil(year, month, day);
    let total = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let (days, seconds) = (total.div_euclid(86_400), total.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    Ok(out)
}

// Howard Hinnant's civil calendar algorithms.
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

/// The left-hand side of a comparison on `field`.
fn compared(flavor: Flavor, name: &str, field: &Field, op: Op) -> Expr {
    let col = column(name, field);
    match (flavor, field.ty) {
        (Flavor::Postgres, FieldType::Json | FieldType::Object) => {
            custom(flavor, "CAST($1 AS jsonb)", [col])
        }
        (Flavor::Postgres, FieldType::Enum | FieldType::Native) => {
            custom(flavor, "CAST($1 AS text)", [col])
        }
        (Flavor::Postgres, FieldType::Uuid) if matches!(op, Op::Like | Op::Ilike) => {
            custom(flavor, "CAST($1 AS text)", [col])
        }
        _ => col,
    }
}

/// The SQL condition of a typed filter.
pub(crate) fn condition(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &Entity,
    filter: &Filter,
) -> Result<Condition, StoreError> {
    Ok(match filter {
        Filter::And(parts) => parts.iter().try_fold(Condition::all(), |all, part| {
            Ok::<_, StoreError>(all.add(condition(flavor, manifest, entity, part)?))
        })?,
        Filter::Or(parts) => {
            if parts.is_empty() {
                Condition::all().add(Expr::cust("1 = 0"))
            } else {
                parts.iter().try_fold(Condition::any(), |any, part| {
                    Ok::<_, StoreError>(any.add(condition(flavor, manifest, entity, part)?))
                })?
            }
        }
        Filter::Not(inner) => condition(flavor, manifest, entity, inner)?.not(),
        Filter::Compare {
            field: name,
            op,
            value,
        } => {
            if name.contains('.') && !entity.fields.contains_key(name) {
                return Err(internal(format!(
                    "`{name}`: paths into object fields are not supported on SQL engines"
                )));
            }
            let field = field(entity, name)?;
            Condition::all().add(compare(flavor, manifest, name, field, *op, value)?)
        }
    })
}

fn compare(
    flavor: Flavor,
    manifest: &Manifest,
    name: &str,
    field: &Field,
    op: Op,
    value: &Value,
) -> Result<Expr, StoreError> {
    let lhs = compared(flavor, name, field, op);
    // Comparisons on enums and native types go through text in PostgreSQL:
    // the value is bound as plain text.
    let operand_field = match (flavor, field.ty) {
        (Flavor::Postgres, FieldType::Enum | FieldType::Native) => {
            Cow::Owned(Field::new(FieldType::Text))
        }
        _ => Cow::Borrowed(field),
    };
    let operand = |value: &Value| param(flavor, manifest, &operand_field, value);
    Ok(match op {
        Op::Eq => lhs.eq(operand(value)?),
        Op::Neq => lhs.ne(operand(value)?),
        Op::Gt => lhs.gt(operand(value)?),
        Op::Gte => lhs.gte(operand(value)?),
        Op::Lt => lhs.lt(operand(value)?),
        Op::Lte => lhs.lte(operand(value)?),
        Op::In | Op::Nin => {
            let items = match value {
                Value::List(items) => items.iter().map(operand).collect::<Result<Vec<_>, _>>()?,
                other => vec![operand(other)?],
            };
            if items.is_empty() {
                // `x IN ()` is not SQL: nothing is in the empty list.
                Expr::cust(if op == Op::In { "1 = 0" } else { "1 = 1" })
            } else if op == Op::In {
                lhs.is_in(items)
            } else {
                lhs.is_not_in(items)
            }
        }
        Op::Like | Op::Ilike => {
            let pattern = Expr::val(match value {
                Value::Text(text) | Value::Decimal(text) => text.clone(),
                other => value_to_json(other).to_string(),
            });
            let template = match (flavor, op) {
                (Flavor::Postgres, Op::Like) => "$1 LIKE $2",
                (Flavor::Postgres, _) => "$1 ILIKE $2",
                (Flavor::Mysql, Op::Like) => "$1 LIKE BINARY $2",
                (Flavor::Mysql, _) => "LOWER($1) LIKE LOWER($2)",
            };
            custom(flavor, template, [lhs, pattern])
        }
        Op::Is => match value {
            Value::Null => lhs.is_null(),
            Value::Bool(true) => custom(flavor, "$1 IS TRUE", [lhs]),
            Value::Bool(false) => custom(flavor, "$1 IS FALSE", [lhs]),
            other => {
                return Err(internal(format!(
                    "`is` takes null, true or false, not {other:?}"
                )));
            }
        },
        Op::Contains => {
            let json = match value {
                Value::List(items) => {
                    serde_json::Value::Array(items.iter().map(value_to_json).collect())
                }
                other => value_to_json(other),
            };
            match flavor {
                Flavor::Postgres => {
                    let col = column(name, field);
                    let as_jsonb = if field.ty == FieldType::Array && !postgres_array_is_json(field)
                    {
                        custom(flavor, "to_jsonb($1)", [col])
                    } else {
                        custom(flavor, "CAST($1 AS jsonb)", [col])
                    };
                    custom(flavor, "$1 @> $2", [as_jsonb, Expr::val(json)])
                }
                Flavor::Mysql => custom(
                    flavor,
                    "JSON_CONTAINS($1, $2)",
                    [lhs, Expr::val(json.to_string())],
                ),
            }
        }
    })
}

/// `pk1 = ? AND pk2 = ?` for a key in `primary_key` order.
pub(crate) fn key_condition(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &Entity,
    key: &[Value],
) -> Result<Condition, StoreError> {
    if entity.primary_key.is_empty() {
        return Err(internal(format!("`{}` has no primary key", entity.table)));
    }
    if entity.primary_key.len() != key.len() {
        return Err(internal(format!(
            "`{}` has a key of {} fields, got {} values",
            entity.table,
            entity.primary_key.len(),
            key.len()
        )));
    }
    let mut all = Condition::all();
    for (name, value) in entity.primary_key.iter().zip(key) {
        let field = field(entity, name)?;
        all = all.add(compare(flavor, manifest, name, field, Op::Eq, value)?);
    }
    Ok(all)
}

/// A select of the output fields (no filter yet).
pub(crate) fn select_fields<'a>(
    flavor: Flavor,
    entity: &'a Entity,
    select: Option<&[String]>,
) -> Result<(SelectStatement, OutputFields<'a>), StoreError> {
    let fields = output_fields(entity, select)?;
    let mut statement = Query::select();
    statement.from(table_ref(entity));
    // Aliased apart from every column: in PostgreSQL, `ORDER BY "price"`
    // would otherwise sort by the output `CAST("price" AS text)`.
    for (index, (name, field)) in fields.iter().enumerate() {
        statement.expr_as(
            output_expr(flavor, name, field),
            Alias::new(format!("_baas_{index}")),
        );
    }
    if fields.is_empty() {
        statement.expr(Expr::cust("1"));
    }
    Ok((statement, fields))
}

/// The list statement: filter, order (the primary key when none is given,
/// so that pages are stable), limit and offset.
pub(crate) fn list_statement<'a>(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &'a Entity,
    query: &ListQuery,
) -> Result<(SelectStatement, OutputFields<'a>), StoreError> {
    let (mut statement, fields) = select_fields(flavor, entity, query.select.as_deref())?;
    if let Some(filter) = &query.filter {
        statement.cond_where(condition(flavor, manifest, entity, filter)?);
    }
    if query.order.is_empty() {
        for name in &entity.primary_key {
            statement.order_by_expr(column(name, field(entity, name)?), Order::Asc);
        }
    }
    for order in &query.order {
        let field = field(entity, &order.field)?;
        let direction = if order.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let col = column(&order.field, field);
        match order.nulls_first {
            Some(first) => {
                let nulls = if first {
                    NullOrdering::First
                } else {
                    NullOrdering::Last
                };
                statement.order_by_expr_with_nulls(col, direction, nulls)
            }
            None => statement.order_by_expr(col, direction),
        };
    }
    statement.limit(query.limit);
    if query.offset > 0 {
        statement.offset(query.offset);
    }
    Ok((statement, fields))
}

/// `SELECT COUNT(*) FROM t WHERE filter`.
pub(crate) fn count_statement(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &Entity,
    filter: Option<&Filter>,
) -> Result<SelectStatement, StoreError> {
    let mut statement = Query::select();
    statement
        .from(table_ref(entity))
        .expr(Expr::cust("COUNT(*)"));
    if let Some(filter) = filter {
        statement.cond_where(condition(flavor, manifest, entity, filter)?);
    }
    Ok(statement)
}

/// `SELECT fields FROM t WHERE key`.
pub(crate) fn get_statement<'a>(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &'a Entity,
    key: &[Value],
) -> Result<(SelectStatement, OutputFields<'a>), StoreError> {
    let (mut statement, fields) = select_fields(flavor, entity, None)?;
    statement.cond_where(key_condition(flavor, manifest, entity, key)?);
    Ok((statement, fields))
}

/// The INSERT of `values`; PostgreSQL returns the stored row.
pub(crate) fn insert_statement<'a>(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &'a Entity,
    values: &Values,
) -> Result<(sea_query::InsertStatement, OutputFields<'a>), StoreError> {
    let mut statement = Query::insert();
    statement.into_table(table_ref(entity));
    let mut columns = Vec::with_capacity(values.len());
    let mut exprs = Vec::with_capacity(values.len());
    for (name, value) in values {
        let field = field(entity, name)?;
        columns.push(Alias::new(field.column_name(name)));
        exprs.push(param(flavor, manifest, field, value)?);
    }
    if columns.is_empty() {
        statement.or_default_values();
    } else {
        statement.columns(columns);
        statement
            .values(exprs)
            .map_err(|error| internal(format!("insert into `{}`: {error}", entity.table)))?;
    }
    let fields = output_fields(entity, None)?;
    if flavor == Flavor::Postgres {
        statement.returning(returning(flavor, &fields));
    }
    Ok((statement, fields))
}

fn returning(flavor: Flavor, fields: &[(&str, &Field)]) -> ReturningClause {
    ReturningClause::Exprs(
        fields
            .iter()
            .map(|(name, field)| output_expr(flavor, name, field))
            .collect(),
    )
}

/// The UPDATE of `values` on the row with `key`; PostgreSQL returns it.
pub(crate) fn update_statement<'a>(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &'a Entity,
    key: &[Value],
    values: &Values,
) -> Result<(sea_query::UpdateStatement, OutputFields<'a>), StoreError> {
    let mut statement = Query::update();
    statement.table(table_ref(entity));
    for (name, value) in values {
        let field = field(entity, name)?;
        statement.value(
            Alias::new(field.column_name(name)),
            param(flavor, manifest, field, value)?,
        );
    }
    statement.cond_where(key_condition(flavor, manifest, entity, key)?);
    let fields = output_fields(entity, None)?;
    if flavor == Flavor::Postgres {
        statement.returning(returning(flavor, &fields));
    }
    Ok((statement, fields))
}

/// `DELETE FROM t WHERE key`.
pub(crate) fn delete_statement(
    flavor: Flavor,
    manifest: &Manifest,
    entity: &Entity,
    key: &[Value],
) -> Result<sea_query::DeleteStatement, StoreError> {
    let mut statement = Query::delete();
    statement
        .from_table(table_ref(entity))
        .cond_where(key_condition(flavor, manifest, entity, key)?);
    Ok(statement)
}

/// The key of a row after an update: the old key with any changed key
/// fields replaced.
pub(crate) fn key_after_update(entity: &Entity, key: &[Value], values: &Values) -> Vec<Value> {
    entity
        .primary_key
        .iter()
        .zip(key)
        .map(|(name, old)| values.get(name).unwrap_or(old).clone())
        .collect()
}

/// One column as read by the decoder.
pub(crate) enum Cell {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// Reads the cells of `row` for `fields` (text, or bytes for `bytes`).
pub(crate) fn read_cells<R>(row: &R, fields: &[(&str, &Field)]) -> Result<Vec<Cell>, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fields
        .iter()
        .enumerate()
        .map(|(index, (name, field))| {
            let cell = if field.ty == FieldType::Bytes {
                row.try_get_unchecked::<Option<Vec<u8>>, _>(index)
                    .map(Cell::Bytes)
            } else {
                row.try_get_unchecked::<Option<String>, _>(index)
                    .map(Cell::Text)
            };
            cell.map_err(|error| internal(format!("reading field `{name}`: {error}")))
        })
        .collect()
}

/// Cells → a wire row keyed by field name.
pub(crate) fn wire_row(fields: &[(&str, &Field)], cells: Vec<Cell>) -> Result<Row, StoreError> {
    let mut row = Row::with_capacity(fields.len());
    for ((name, field), cell) in fields.iter().zip(cells) {
        let value = match cell {
            Cell::Bytes(None) | Cell::Text(None) => serde_json::Value::Null,
            Cell::Bytes(Some(bytes)) => base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into(),
            Cell::Text(Some(text)) => wire_value(field, text)
                .map_err(|message| internal(format!("field `{name}`: {message}")))?,
        };
        row.insert((*name).to_owned(), value);
    }
    Ok(row)
}

/// The wire value of a field's text as the select list reads it.
fn wire_value(field: &Field, text: String) -> Result<serde_json::Value, String> {
    Ok(match field.ty {
        FieldType::Bool => match text.as_str() {
            "t" | "true" | "1" => true.into(),
            "f" | "false" | "0" => false.into(),
            other => return Err(format!("`{other}` is not a boolean")),
        },
        FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
            if let Ok(number) = text.parse::<i64>() {
                number.into()
            } else if let Ok(number) = text.parse::<u64>() {
                number.into()
            } else {
                return Err(format!("`{text}` is not an integer"));
            }
        }
        FieldType::Float32 | FieldType::Float64 => {
            let number = text
                .parse::<f64>()
                .map_err(|_| format!("`{text}` is not a number"))?;
            serde_json::Number::from_f64(number).map_or(serde_json::Value::Null, Into::into)
        }
        FieldType::Timestamp | FieldType::Time => timestamp_text(&text).into(),
        FieldType::Timestamptz => {
            let mut text = timestamp_text(&text);
            for suffix in ["+00:00", "+00", "Z"] {
                if let Some(stripped) = text.strip_suffix(suffix) {
                    text = stripped.to_owned();
                    break;
                }
            }
            text.push('Z');
            text.into()
        }
        FieldType::Json | FieldType::Array | FieldType::Object => {
            serde_json::from_str(&text).map_err(|error| format!("not JSON: {error}"))?
        }
        _ => text.into(),
    })
}

/// `YYYY-MM-DD HH:MM:SS.000000` → `YYYY-MM-DDTHH:MM:SS` (fraction kept when
/// not zero).
fn timestamp_text(text: &str) -> String {
    let text = text.replacen(' ', "T", 1);
    match text.find(".000000") {
        Some(at) => format!("{}{}", &text[..at], &text[at + 7..]),
        None => text,
    }
}

/// Field names of the columns in `columns` (unknown columns are skipped).
pub(crate) fn fields_of_columns(entity: &Entity, columns: &[&str]) -> Vec<String> {
    columns
        .iter()
        .filter_map(|column| {
            entity
                .field_by_column(column)
                .map(|(name, _)| name.to_owned())
        })
        .collect()
}

/// Field names of the unique constraint or index called `name`.
pub(crate) fn fields_of_constraint(entity: &Entity, name: &str) -> Vec<String> {
    if entity.primary_key_name.as_deref() == Some(name) || name.eq_ignore_ascii_case("PRIMARY") {
        return entity.primary_key.clone();
    }
    if let Some(unique) = entity
        .uniques
        .iter()
        .find(|unique| unique.name.as_deref() == Some(name))
    {
        return unique.fields.clone();
    }
    if let Some(index) = entity.indexes.iter().find(|index| index.name == name) {
        return index
            .fields
            .iter()
            .filter_map(|part| match part {
                crate::manifest::IndexPart::Field { field, .. } => Some(field.clone()),
                _ => None,
            })
            .collect();
    }
    match entity.field_by_column(name) {
        Some((field, _)) => vec![field.to_owned()],
        None => Vec::new(),
    }
}

/// Error mapping shared by both engines: connection failures are
/// `Unavailable`, the rest `Internal`.
pub(crate) fn sqlx_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.into()),
        other => StoreError::Internal(other.into()),
    }
}

/// Fields in manifest order (for deterministic error lists).
pub(crate) fn in_field_order(entity: &Entity, mut names: Vec<String>) -> Vec<String> {
    let order: IndexMap<&str, usize> = entity
        .fields
        .keys()
        .enumerate()
        .map(|(index, name)| (name.as_str(), index))
        .collect();
    names.sort_by_key(|name| order.get(name.as_str()).copied().unwrap_or(usize::MAX));
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_becomes_utc_mysql_text() {
        assert_eq!(
            utc_datetime_text("2024-03-01T01:30:00+02:00").unwrap(),
            "2024-02-29 23:30:00"
        );
        assert_eq!(
            utc_datetime_text("2024-12-31T23:00:00.25-01:30").unwrap(),
            "2025-01-01 00:30:00.25"
        );
        assert_eq!(
            utc_datetime_text("2024-01-01T00:00:00Z").unwrap(),
            "2024-01-01 00:00:00"
        );
        assert!(utc_datetime_text("yesterday").is_err());
    }

    #[test]
    fn timestamps_read_as_rfc3339() {
        let field = Field::new(FieldType::Timestamptz);
        assert_eq!(
            wire_value(&field, "2024-01-02 03:04:05.000000".into()).unwrap(),
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            wire_value(&field, "2024-01-02 03:04:05.5+00".into()).unwrap(),
            "2024-01-02T03:04:05.5Z"
        );
        let field = Field::new(FieldType::Timestamp);
        assert_eq!(
            wire_value(&field, "2024-01-02 03:04:05.120000".into()).unwrap(),
            "2024-01-02T03:04:05.120000"
        );
    }
}
