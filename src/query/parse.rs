//! Parsing list queries (query string, `_query` body), filters (JSON form and
//! shorthand) and `{id}` segments against the manifest (docs/api.md).
//!
//! Normalisation that the builders rely on:
//! - `select` names are unique and in **manifest field order**, whatever
//!   order the client wrote them in;
//! - `eq null` becomes `is null`, `neq null` becomes `not (is null)`;
//! - `*` in `like`/`ilike` patterns becomes `%` (both forms; `\*` is a
//!   literal `*`);
//! - a field given several times is ANDed, as are `where`, shorthand and
//!   `or`/`and` groups; an empty filter is `None`.

use crate::manifest::links::links_of;
use crate::manifest::{Entity, Field, FieldType, Manifest};

use super::value::{enum_misfit, typed_json, typed_text};
use super::{
    DEFAULT_LIMIT, Filter, JsonPath, ListQuery, MAX_LIMIT, MAX_OFFSET, Op, OrderBy, QueryError,
    Value, check_limits, did_you_mean,
};

/// The largest `expand` depth (`a.b.c`).
pub const MAX_EXPAND_DEPTH: usize = 3;

fn error(at: impl Into<String>, message: impl Into<String>) -> QueryError {
    QueryError {
        at: at.into(),
        message: message.into(),
    }
}

fn entity_of<'m>(manifest: &'m Manifest, entity: &str) -> Result<&'m Entity, QueryError> {
    manifest
        .entities
        .get(entity)
        .ok_or_else(|| error("entity", format!("unknown entity `{entity}`")))
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::In => "in",
            Op::Nin => "nin",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::Is => "is",
            Op::Contains => "contains",
            Op::Match => "match",
            Op::Imatch => "imatch",
        }
    }

    pub fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "in" => Op::In,
            "nin" => Op::Nin,
            "like" => Op::Like,
            "ilike" => Op::Ilike,
            "is" => Op::Is,
            "contains" | "cs" => Op::Contains,
            "match" => Op::Match,
            "imatch" => Op::Imatch,
            _ => return None,
        })
    }
}

const OPERATORS: &str =
    "eq, neq, gt, gte, lt, lte, in, nin, like, ilike, match, imatch, is, isdistinct, contains (cs)";

/// PostgREST operators baas does not serve, with why.
fn unsupported(op_name: &str) -> Option<&'static str> {
    Some(match op_name {
        "fts" | "plfts" | "phfts" | "wfts" => {
            "full-text search operators (fts, plfts, phfts, wfts) are not supported; use `ilike` or `match`"
        }
        "cd" | "ov" | "sl" | "sr" | "nxr" | "nxl" | "adj" => {
            "range and containment operators other than `cs` (cd, ov, sl, sr, nxr, nxl, adj) are not supported"
        }
        _ => return None,
    })
}

/// The query-string parameters of `GET /api/{entity}` (already
/// percent-decoded pairs, in order). Reserved names (`where`, `select`,
/// `order`, `limit`, `offset`, `count`, `expand`, `or`, `and`, `not.or`,
/// `not.and`) win over fields of the same name.
pub fn parse_query_string(
    manifest: &Manifest,
    entity_name: &str,
    pairs: &[(String, String)],
) -> Result<ListQuery, QueryError> {
    let entity = entity_of(manifest, entity_name)?;
    let mut query = ListQuery {
        filter: None,
        select: None,
        order: Vec::new(),
        limit: DEFAULT_LIMIT,
        offset: 0,
        count: false,
        expand: Vec::new(),
    };
    let mut filters = Vec::new();
    for (key, text) in pairs {
        match key.as_str() {
            "where" => {
                let json: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| error("where", format!("`where` is not valid JSON: {e}")))?;
                filters.push(filter_json(manifest, entity, &json, "where")?);
            }
            "select" => {
                let names: Vec<&str> = split_top(text, "select")?
                    .into_iter()
                    .map(str::trim)
                    .collect();
                query.select = Some(select(entity, &names)?);
            }
            "order" => {
                for item in split_top(text, "order")? {
                    query.order.push(order_item(entity, item.trim())?);
                }
            }
            "limit" => query.limit = limit(text.trim().parse().ok(), text)?,
            "offset" => query.offset = offset(text.trim().parse().ok(), text)?,
            "count" => query.count = count_text(text)?,
            "expand" => {
                let paths: Vec<&str> = split_top(text, "expand")?
                    .into_iter()
                    .map(str::trim)
                    .collect();
                query.expand = expand(manifest, entity_name, &paths)?;
            }
            "or" | "and" | "not.or" | "not.and" => {
                let inner = text
                    .strip_prefix('(')
                    .and_then(|t| t.strip_suffix(')'))
                    .ok_or_else(|| {
                        error(
                            key.as_str(),
                            format!(
                                "`{key}` must be a list in parentheses: `{key}=(a.eq.1,b.is.null)`"
                            ),
                        )
                    })?;
                // `not.or=(...)` is the group negated, as `not.or(...)` in one.
                let logic = key.strip_prefix("not.");
                let is_or = logic.unwrap_or(key.as_str()) == "or";
                let group = group(manifest, entity, is_or, inner, key)?;
                filters.push(match logic {
                    Some(_) => Filter::Not(Box::new(group)),
                    None => group,
                });
            }
            field_path => {
                if let Some((path, _)) = super::json::parse_path(entity, field_path, field_path)? {
                    filters.push(path_shorthand(&path, text, false, field_path)?);
                    continue;
                }
                let Some(field) = entity.field_at_path(field_path) else {
                    return Err(error(
                        field_path,
                        format!(
                            "unknown field or parameter `{field_path}`{} (parameters: where, select, order, limit, offset, count, expand, or, and)",
                            did_you_mean(entity, field_path)
                        ),
                    ));
                };
                filters.push(shorthand(
                    manifest, field_path, field, text, false, field_path,
                )?);
            }
        }
    }
    query.filter = and_all(filters);
    if let Some(filter) = &query.filter {
        check_limits(filter)?;
    }
    Ok(query)
}

/// The JSON body of `POST /api/{entity}/_query`: an object with the keys
/// `where`, `select`, `order`, `limit`, `offset`, `count`, `expand`.
pub fn parse_query_body(
    manifest: &Manifest,
    entity_name: &str,
    body: &serde_json::Value,
) -> Result<ListQuery, QueryError> {
    let entity = entity_of(manifest, entity_name)?;
    let Some(object) = body.as_object() else {
        return Err(error("body", "the query must be a JSON object"));
    };
    let mut query = ListQuery {
        filter: None,
        select: None,
        order: Vec::new(),
        limit: DEFAULT_LIMIT,
        offset: 0,
        count: false,
        expand: Vec::new(),
    };
    for (key, value) in object {
        match key.as_str() {
            "where" => {
                query.filter = and_all(vec![filter_json(manifest, entity, value, "where")?]);
            }
            "select" => {
                let names = strings(value, "select")?;
                query.select = Some(select(entity, &names)?);
            }
            "order" => {
                for item in strings(value, "order")? {
                    query.order.push(order_item(entity, item)?);
                }
            }
            "limit" => query.limit = limit(value.as_u64(), &value.to_string())?,
            "offset" => query.offset = offset(value.as_u64(), &value.to_string())?,
            "count" => {
                query.count = match value {
                    serde_json::Value::Bool(count) => *count,
                    serde_json::Value::String(text) => count_text(text)?,
                    serde_json::Value::Null => false,
                    _ => return Err(error("count", "`count` must be \"exact\"")),
                }
            }
            "expand" => {
                let paths = strings(value, "expand")?;
                query.expand = expand(manifest, entity_name, &paths)?;
            }
            other => {
                return Err(error(
                    other,
                    format!(
                        "unknown query key `{other}` (keys: where, select, order, limit, offset, count, expand)"
                    ),
                ));
            }
        }
    }
    if let Some(filter) = &query.filter {
        check_limits(filter)?;
    }
    Ok(query)
}

/// A filter in JSON form (`where`) over `entity`'s fields.
pub fn parse_filter_json(
    manifest: &Manifest,
    entity_name: &str,
    json: &serde_json::Value,
) -> Result<Filter, QueryError> {
    let entity = entity_of(manifest, entity_name)?;
    let filter = filter_json(manifest, entity, json, "where")?;
    check_limits(&filter)?;
    Ok(filter)
}

/// The `{id}` path segment, **still percent-encoded**: split at `,` into
/// the primary key's values (in `primary_key` order), each part
/// percent-decoded and typed by its key field.
pub fn parse_key(
    manifest: &Manifest,
    entity_name: &str,
    id: &str,
) -> Result<Vec<Value>, QueryError> {
    let entity = entity_of(manifest, entity_name)?;
    if entity.primary_key.is_empty() {
        return Err(error(
            "id",
            format!("entity `{entity_name}` has no primary key"),
        ));
    }
    let parts: Vec<&str> = id.split(',').collect();
    if parts.len() != entity.primary_key.len() {
        return Err(error(
            "id",
            format!(
                "the key of `{entity_name}` has {} part(s) ({}), `{id}` has {}",
                entity.primary_key.len(),
                entity.primary_key.join(","),
                parts.len()
            ),
        ));
    }
    entity
        .primary_key
        .iter()
        .zip(parts)
        .map(|(name, part)| {
            let field = entity
                .fields
                .get(name)
                .ok_or_else(|| error("id", format!("key field `{name}` is not a field")))?;
            let text = percent_decode(part).ok_or_else(|| {
                error("id", format!("`{part}` is not valid percent-encoded UTF-8"))
            })?;
            let value = typed_text(field, &text)
                .and_then(|value| enum_misfit(manifest, field, &value).map(|()| value))
                .map_err(|misfit| error(name.as_str(), format!("`{name}` {}", misfit.message)))?;
            Ok(value)
        })
        .collect()
}

/// Percent-decoding of one path segment part (`%2C` → `,`); `None` when
/// an escape is malformed or the bytes are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn and_all(mut filters: Vec<Filter>) -> Option<Filter> {
    // Flatten nested empty ANDs so `where={}` means "no filter".
    filters.retain(|f| !matches!(f, Filter::And(list) if list.is_empty()));
    match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(Filter::And(filters)),
    }
}

fn limit(parsed: Option<u64>, text: &str) -> Result<u64, QueryError> {
    match parsed {
        Some(limit) if limit <= MAX_LIMIT => Ok(limit),
        _ => Err(error(
            "limit",
            format!("`limit` must be a whole number from 0 to {MAX_LIMIT}, not `{text}`"),
        )),
    }
}

/// Offsets are bound as 64-bit signed integers: a larger one is refused
/// here, not by the driver.
fn offset(parsed: Option<u64>, text: &str) -> Result<u64, QueryError> {
    match parsed {
        Some(offset) if offset <= MAX_OFFSET => Ok(offset),
        _ => Err(error(
            "offset",
            format!("`offset` must be a whole number from 0 to {MAX_OFFSET}, not `{text}`"),
        )),
    }
}

/// A `like`/`ilike` pattern as the API writes it (docs/api.md): `*` is
/// `%` in both the shorthand and the JSON form, `\*` is a literal `*`;
/// `%`, `_` and `\` keep their LIKE meaning.
fn api_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push('%'),
            '\\' => match chars.next() {
                Some('*') => out.push('*'),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn count_text(text: &str) -> Result<bool, QueryError> {
    match text {
        "exact" => Ok(true),
        _ => Err(error(
            "count",
            format!("`count` must be `exact`, not `{text}`"),
        )),
    }
}

/// A list of strings: a JSON array of strings, or one comma-separated string.
fn strings<'j>(json: &'j serde_json::Value, at: &str) -> Result<Vec<&'j str>, QueryError> {
    match json {
        serde_json::Value::String(text) => Ok(text.split(',').map(str::trim).collect()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| error(at, format!("`{at}` must be a list of strings")))
            })
            .collect(),
        _ => Err(error(at, format!("`{at}` must be a list of strings"))),
    }
}

fn select(entity: &Entity, names: &[&str]) -> Result<Vec<String>, QueryError> {
    if names.is_empty() {
        return Err(error("select", "`select` names no field"));
    }
    for name in names {
        if name.is_empty() {
            return Err(error("select", "`select` has an empty field name"));
        }
        if *name != "*" && !entity.fields.contains_key(*name) {
            return Err(error(
                "select",
                format!(
                    "unknown field `{name}` in `select`{}",
                    did_you_mean(entity, name)
                ),
            ));
        }
    }
    // `*` is every field, as in PostgREST's `select=*`.
    let every = names.contains(&"*");
    Ok(entity
        .fields
        .keys()
        .filter(|key| every || names.contains(&key.as_str()))
        .cloned()
        .collect())
}

fn order_item(entity: &Entity, text: &str) -> Result<OrderBy, QueryError> {
    let mut parts: Vec<&str> = text.split('.').collect();
    let mut nulls_first = None;
    let mut descending = false;
    if let Some(last) = parts.last() {
        match *last {
            "nullsfirst" | "nullslast" if parts.len() > 1 => {
                nulls_first = Some(*last == "nullsfirst");
                parts.pop();
            }
            _ => {}
        }
    }
    if let Some(last) = parts.last() {
        match *last {
            "asc" | "desc" if parts.len() > 1 => {
                descending = *last == "desc";
                parts.pop();
            }
            _ => {}
        }
    }
    let path = parts.join(".");
    if let Some((json_path, _)) = super::json::parse_path(entity, &path, "order")? {
        return Ok(OrderBy {
            field: json_path.field.clone(),
            descending,
            nulls_first,
            path: Some(json_path),
        });
    }
    let field = entity.field_at_path(&path).ok_or_else(|| {
        error(
            "order",
            format!(
                "unknown field `{path}` in `order`{}",
                did_you_mean(entity, &path)
            ),
        )
    })?;
    if matches!(
        field.ty,
        FieldType::Json | FieldType::Array | FieldType::Object
    ) {
        return Err(error(
            "order",
            format!("cannot order by `{path}` of type {}", field.ty),
        ));
    }
    Ok(OrderBy {
        field: path,
        descending,
        nulls_first,
        path: None,
    })
}

fn expand(
    manifest: &Manifest,
    entity_name: &str,
    paths: &[&str],
) -> Result<Vec<Vec<String>>, QueryError> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for path in paths {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.len() > MAX_EXPAND_DEPTH {
            return Err(error(
                "expand",
                format!("`{path}` is deeper than {MAX_EXPAND_DEPTH} levels"),
            ));
        }
        let mut current = entity_name.to_owned();
        for segment in &segments {
            let links = links_of(manifest, &current);
            let Some(link) = links.iter().find(|link| &link.name == segment) else {
                let names: Vec<&str> = links.iter().map(|link| link.name.as_str()).collect();
                return Err(error(
                    "expand",
                    format!(
                        "`{current}` has no link `{segment}` (links: {})",
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            };
            current = link.to.clone();
        }
        if !out.contains(&segments) {
            out.push(segments);
        }
    }
    Ok(out)
}

// ---- JSON filters ----

fn filter_json(
    manifest: &Manifest,
    entity: &Entity,
    json: &serde_json::Value,
    at: &str,
) -> Result<Filter, QueryError> {
    let Some(object) = json.as_object() else {
        return Err(error(at, format!("`{at}` must be a JSON object")));
    };
    let mut clauses = Vec::new();
    for (key, value) in object {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "and" | "or" => {
                let Some(items) = value.as_array() else {
                    return Err(error(here, format!("`{key}` must be an array of filters")));
                };
                let filters = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        filter_json(manifest, entity, item, &format!("{here}[{index}]"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                clauses.push(if key == "and" {
                    Filter::And(filters)
                } else {
                    Filter::Or(filters)
                });
            }
            "not" => clauses.push(Filter::Not(Box::new(filter_json(
                manifest, entity, value, &here,
            )?))),
            path => {
                if let Some((json_path, _)) = super::json::parse_path(entity, path, &here)? {
                    match value {
                        serde_json::Value::Object(ops) if !ops.is_empty() => {
                            for (op_name, operand) in ops {
                                let at = format!("{here}.{op_name}");
                                let op = path_op(&json_path, op_name, &at)?;
                                clauses.push(path_json(&json_path, op, operand, &at)?);
                            }
                        }
                        serde_json::Value::Object(_) => {
                            return Err(error(
                                here,
                                format!("`{path}` has no operator (operators: {OPERATORS})"),
                            ));
                        }
                        operand => clauses.push(path_json(&json_path, Op::Eq, operand, &here)?),
                    }
                    continue;
                }
                let Some(field) = entity.field_at_path(path) else {
                    return Err(error(
                        here,
                        format!("unknown field `{path}`{}", did_you_mean(entity, path)),
                    ));
                };
                match value {
                    serde_json::Value::Object(ops) => {
                        if ops.is_empty() {
                            return Err(error(
                                here,
                                format!("`{path}` has no operator (operators: {OPERATORS})"),
                            ));
                        }
                        for (op_name, operand) in ops {
                            let op = Op::parse(op_name).ok_or_else(|| {
                                error(
                                    format!("{here}.{op_name}"),
                                    format!(
                                        "unknown operator `{op_name}` on `{path}` (operators: {OPERATORS})"
                                    ),
                                )
                            })?;
                            clauses.push(compare_json(
                                manifest,
                                path,
                                field,
                                op,
                                operand,
                                &format!("{here}.{op_name}"),
                            )?);
                        }
                    }
                    operand => {
                        clauses.push(compare_json(manifest, path, field, Op::Eq, operand, &here)?)
                    }
                }
            }
        }
    }
    Ok(if clauses.len() == 1 {
        clauses.pop().expect("one clause")
    } else {
        Filter::And(clauses)
    })
}

fn compare_json(
    manifest: &Manifest,
    path: &str,
    field: &Field,
    op: Op,
    operand: &serde_json::Value,
    at: &str,
) -> Result<Filter, QueryError> {
    check_op(path, field, op, at)?;
    let bad = |message: String| error(at, format!("`{path}` {message}"));
    let value = match op {
        Op::Is => match operand {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) if field.ty == FieldType::Bool => Value::Bool(*b),
            _ => return Err(bad(is_message(field))),
        },
        Op::In | Op::Nin => {
            let Some(items) = operand.as_array() else {
                return Err(bad(format!("`{}` takes an array of values", op.as_str())));
            };
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(scalar_json(manifest, field, item).map_err(&bad)?);
            }
            Value::List(values)
        }
        Op::Contains => contains_json(manifest, field, operand).map_err(&bad)?,
        Op::Like | Op::Ilike | Op::Match | Op::Imatch => pattern_json(op, operand).map_err(&bad)?,
        _ => {
            if operand.is_null() {
                return match op {
                    Op::Eq => Ok(compare(path, Op::Is, Value::Null)),
                    Op::Neq => Ok(Filter::Not(Box::new(compare(path, Op::Is, Value::Null)))),
                    _ => Err(bad(format!("`{}` does not take null", op.as_str()))),
                };
            }
            scalar_json(manifest, field, operand).map_err(&bad)?
        }
    };
    Ok(compare(path, op, value))
}

/// The JSON operand of `like`/`ilike` (a pattern) or `match`/`imatch` (a
/// regular expression): a string.
fn pattern_json(op: Op, operand: &serde_json::Value) -> Result<Value, String> {
    match (op, operand) {
        (Op::Like | Op::Ilike, serde_json::Value::String(text)) => {
            Ok(Value::Text(api_pattern(text)))
        }
        (Op::Like | Op::Ilike, _) => Err("takes a string pattern".to_owned()),
        (_, serde_json::Value::String(text)) => regex_value(text),
        _ => Err("takes a regular expression".to_owned()),
    }
}

/// A `match`/`imatch` pattern: refused here when it is not a regular
/// expression (or too large), not by the database.
fn regex_value(text: &str) -> Result<Value, String> {
    if super::regex_of(text, false).is_none() {
        return Err(format!(
            "has a pattern that is not a valid regular expression: `{text}`"
        ));
    }
    Ok(Value::Text(text.to_owned()))
}

fn compare(path: &str, op: Op, value: Value) -> Filter {
    Filter::Compare {
        field: path.to_owned(),
        op,
        value,
    }
}

fn is_message(field: &Field) -> String {
    if field.ty == FieldType::Bool {
        "takes `is` null, true or false".to_owned()
    } else {
        format!(
            "takes `is` null only (true/false only on bool fields, this is {})",
            field.ty
        )
    }
}

fn scalar_json(
    manifest: &Manifest,
    field: &Field,
    json: &serde_json::Value,
) -> Result<Value, String> {
    if json.is_null() {
        return Err("does not take null here (use `is`)".to_owned());
    }
    let value = typed_json(field, json).map_err(|misfit| misfit.message)?;
    enum_misfit(manifest, field, &value).map_err(|misfit| misfit.message)?;
    Ok(value)
}

fn contains_json(
    manifest: &Manifest,
    field: &Field,
    json: &serde_json::Value,
) -> Result<Value, String> {
    match field.ty {
        FieldType::Array => {
            if !json.is_array() {
                return Err("`contains` takes an array of items".to_owned());
            }
            scalar_json(manifest, field, json)
        }
        _ => Ok(Value::Json(json.clone())),
    }
}

/// Which operators fit which types (docs/api.md: `gt` on a bool, `contains`
/// on a string, `like` on a number are 400).
fn check_op(path: &str, field: &Field, op: Op, at: &str) -> Result<(), QueryError> {
    let ty = field.ty;
    let structured = matches!(ty, FieldType::Json | FieldType::Array | FieldType::Object);
    let fits = match op {
        Op::Eq | Op::Neq | Op::In | Op::Nin => !structured,
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            !structured && !matches!(ty, FieldType::Bool | FieldType::Bytes)
        }
        Op::Like | Op::Ilike | Op::Match | Op::Imatch => {
            matches!(ty, FieldType::String | FieldType::Text)
        }
        Op::Is => true,
        Op::Contains => matches!(ty, FieldType::Array | FieldType::Json),
    };
    if fits {
        Ok(())
    } else {
        Err(error(
            at,
            format!(
                "operator `{}` does not apply to `{path}` of type {}",
                op.as_str(),
                field.type_label()
            ),
        ))
    }
}

/// The start of a shorthand value: `not.` and the rest, or the
/// operator's name and its operand.
enum Head<'t> {
    Not(&'t str),
    Op(&'t str, &'t str),
}

/// Splits `text` (the value of `path=...`) at its head: one `not.` at
/// most, an operator that is there and served.
fn head<'t>(path: &str, text: &'t str, at: &str) -> Result<Head<'t>, QueryError> {
    if let Some(rest) = text.strip_prefix("not.") {
        if rest.starts_with("not.") {
            return Err(error(at, format!("`{path}` has more than one `not`")));
        }
        return Ok(Head::Not(rest));
    }
    let (op_name, operand) = text.split_once('.').unwrap_or((text, ""));
    if op_name.is_empty() {
        return Err(error(
            at,
            format!("`{path}` has no operator: write `{path}=op.value` (operators: {OPERATORS})"),
        ));
    }
    if let Some(why) = unsupported(op_name) {
        return Err(error(at, format!("`{path}`: {why}")));
    }
    Ok(Head::Op(op_name, operand))
}

/// A value as written in the query string; inside a group (`or=(...)`,
/// `quoted`) it may be in double quotes.
fn group_text(path: &str, text: &str, quoted: bool, at: &str) -> Result<String, QueryError> {
    if quoted && text.starts_with('"') {
        unquote(text).ok_or_else(|| {
            error(
                at,
                format!("`{path}` has an unterminated quote in `{text}`"),
            )
        })
    } else {
        Ok(text.to_owned())
    }
}

/// The items of an `in`/`nin` list: `(a,b)` → `a`, `b`; `()` → none.
fn list_items<'t>(
    path: &str,
    op_name: &str,
    operand: &'t str,
    at: &str,
) -> Result<Vec<&'t str>, QueryError> {
    let inner = operand
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| {
            error(
                at,
                format!("`{path}` `{op_name}` takes a list: `{op_name}.(a,b)`"),
            )
        })?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    split_top(inner, at)
}

// ---- JSON paths ----

/// The operators a JSON path takes: `->>` (text) compares, matches
/// patterns and tests null; `->` (JSON) compares and tests null.
fn path_op(path: &JsonPath, op_name: &str, at: &str) -> Result<Op, QueryError> {
    let op = Op::parse(op_name).ok_or_else(|| {
        error(
            at,
            format!("unknown operator `{op_name}` on `{path}` (operators: {OPERATORS})"),
        )
    })?;
    let fits = match op {
        Op::Eq | Op::Neq | Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::In | Op::Nin | Op::Is => true,
        Op::Like | Op::Ilike | Op::Match | Op::Imatch => path.text,
        Op::Contains => false,
    };
    if fits {
        return Ok(op);
    }
    let why = if op == Op::Contains {
        "containment inside a json field is not supported; compare a value at a path".to_owned()
    } else {
        format!(
            "`->` reads a JSON value; match text with `->>` (`{}`)",
            JsonPath {
                text: true,
                ..path.clone()
            }
        )
    };
    Err(error(
        at,
        format!(
            "operator `{}` does not apply to `{path}`: {why}",
            op.as_str()
        ),
    ))
}

/// The operand of a `->` comparison written in the query string: JSON
/// text (`30`, `"Paris"`, `true`, `null`), a scalar.
fn path_scalar(path: &JsonPath, text: &str, at: &str) -> Result<Value, QueryError> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|_| {
        error(
            at,
            format!(
                "`{path}` compares JSON values and `{text}` is not one: write a string in double quotes (`\"{text}\"`), or compare text with `->>`"
            ),
        )
    })?;
    scalar_at_path(path, json, at)
}

fn scalar_at_path(path: &JsonPath, json: serde_json::Value, at: &str) -> Result<Value, QueryError> {
    if json.is_object() || json.is_array() {
        return Err(error(
            at,
            format!(
                "`{path}` compares a JSON scalar (a number, string, true, false or null), not an object or array"
            ),
        ));
    }
    if let serde_json::Value::String(text) = &json
        && text.contains('\0')
    {
        return Err(error(
            at,
            format!("`{path}` is compared with a NUL character"),
        ));
    }
    Ok(Value::Json(json))
}

fn path_compare(path: &JsonPath, op: Op, value: Value) -> Filter {
    Filter::Json {
        path: path.clone(),
        op,
        value,
    }
}

/// `path=op.value` / `path=not.op.value` in the query string.
fn path_shorthand(
    path: &JsonPath,
    text: &str,
    quoted: bool,
    at: &str,
) -> Result<Filter, QueryError> {
    let (op_name, operand) = match head(&path.to_string(), text, at)? {
        Head::Not(rest) => {
            return Ok(Filter::Not(Box::new(path_shorthand(
                path, rest, quoted, at,
            )?)));
        }
        Head::Op(op_name, operand) => (op_name, operand),
    };
    if op_name == "isdistinct" || op_name.ends_with("(any)") || op_name.ends_with("(all)") {
        return Err(error(
            at,
            format!("`{op_name}` is not supported on the JSON path `{path}`"),
        ));
    }
    let op = path_op(path, op_name, at)?;
    let bad = |message: String| error(at, format!("`{path}` {message}"));
    let name = path.to_string();
    let plain = |text: &str| group_text(&name, text, quoted, at);
    let value = match op {
        Op::Is => match operand {
            "null" => Value::Null,
            _ => return Err(bad("takes `is` null only".to_owned())),
        },
        Op::In | Op::Nin => {
            let mut values = Vec::new();
            for item in list_items(&name, op_name, operand, at)? {
                values.push(if path.text {
                    Value::Text(plain(item)?)
                } else {
                    path_scalar(path, item, at)?
                });
            }
            Value::List(values)
        }
        Op::Like | Op::Ilike => Value::Text(api_pattern(&plain(operand)?)),
        Op::Match | Op::Imatch => regex_value(&plain(operand)?).map_err(&bad)?,
        // JSON text is never unquoted: `"Paris"` is the JSON string.
        _ if !path.text => path_scalar(path, operand, at)?,
        _ => Value::Text(plain(operand)?),
    };
    Ok(path_compare(path, op, value))
}

/// `{"data->>city": {"eq": "Paris"}}` in the JSON form: with `->>` the
/// operand is text (a string; a number or boolean stands for its JSON
/// text), with `->` a JSON scalar.
fn path_json(
    path: &JsonPath,
    op: Op,
    operand: &serde_json::Value,
    at: &str,
) -> Result<Filter, QueryError> {
    let bad = |message: String| error(at, format!("`{path}` {message}"));
    let one = |json: &serde_json::Value| -> Result<Value, QueryError> {
        if !path.text {
            return scalar_at_path(path, json.clone(), at);
        }
        match json {
            serde_json::Value::String(text) => Ok(Value::Text(text.clone())),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                Ok(Value::Text(json.to_string()))
            }
            _ => Err(bad("compares text: give a string".to_owned())),
        }
    };
    let value = match op {
        Op::Is => match operand {
            serde_json::Value::Null => Value::Null,
            _ => return Err(bad("takes `is` null only".to_owned())),
        },
        Op::In | Op::Nin => {
            let Some(items) = operand.as_array() else {
                return Err(bad(format!("`{}` takes an array of values", op.as_str())));
            };
            Value::List(items.iter().map(one).collect::<Result<_, _>>()?)
        }
        Op::Like | Op::Ilike | Op::Match | Op::Imatch => pattern_json(op, operand).map_err(&bad)?,
        // `eq null` on text is `is null`, as for fields.
        Op::Eq | Op::Neq if path.text && operand.is_null() => {
            let is_null = path_compare(path, Op::Is, Value::Null);
            return Ok(if op == Op::Eq {
                is_null
            } else {
                Filter::Not(Box::new(is_null))
            });
        }
        _ => one(operand)?,
    };
    Ok(path_compare(path, op, value))
}

// ---- shorthand ----

/// `field=op.value` / `field=not.op.value` for one field.
fn shorthand(
    manifest: &Manifest,
    path: &str,
    field: &Field,
    text: &str,
    quoted: bool,
    at: &str,
) -> Result<Filter, QueryError> {
    let (op_name, operand) = match head(path, text, at)? {
        Head::Not(rest) => {
            return Ok(Filter::Not(Box::new(shorthand(
                manifest, path, field, rest, quoted, at,
            )?)));
        }
        Head::Op(op_name, operand) => (op_name, operand),
    };
    if let Some((base, any)) = op_name
        .strip_suffix("(any)")
        .map(|base| (base, true))
        .or_else(|| op_name.strip_suffix("(all)").map(|base| (base, false)))
    {
        return modified(manifest, path, field, base, any, operand, at);
    }
    if op_name == "isdistinct" {
        // `IS DISTINCT FROM`: null-safe inequality.
        check_op(path, field, Op::Neq, at)?;
        let equal = shorthand(manifest, path, field, &format!("eq.{operand}"), quoted, at)?;
        return Ok(match equal {
            Filter::Compare { op: Op::Is, .. } => Filter::Not(Box::new(equal)),
            equal => Filter::Or(vec![
                compare(path, Op::Is, Value::Null),
                Filter::Not(Box::new(equal)),
            ]),
        });
    }
    let op = Op::parse(op_name).ok_or_else(|| {
        error(
            at,
            format!(
                "unknown operator `{op_name}` on `{path}`: write `{path}=op.value` (operators: {OPERATORS})"
            ),
        )
    })?;
    check_op(path, field, op, at)?;
    let bad = |message: String| error(at, format!("`{path}` {message}"));
    let scalar = |text: &str| -> Result<Value, QueryError> {
        let value = typed_text(field, text)
            .and_then(|value| enum_misfit(manifest, field, &value).map(|()| value))
            .map_err(|misfit| bad(misfit.message))?;
        Ok(value)
    };
    let plain = |text: &str| group_text(path, text, quoted, at);
    let value = match op {
        Op::Is => match operand {
            "null" => Value::Null,
            "true" | "false" if field.ty == FieldType::Bool => Value::Bool(operand == "true"),
            _ => return Err(bad(is_message(field))),
        },
        Op::In | Op::Nin => {
            let mut values = Vec::new();
            for item in list_items(path, op_name, operand, at)? {
                let item = if item.starts_with('"') {
                    unquote(item)
                        .ok_or_else(|| bad(format!("has an unterminated quote in `{item}`")))?
                } else {
                    item.to_owned()
                };
                values.push(scalar(&item)?);
            }
            Value::List(values)
        }
        Op::Like | Op::Ilike => Value::Text(api_pattern(&plain(operand)?)),
        Op::Match | Op::Imatch => regex_value(&plain(operand)?).map_err(&bad)?,
        Op::Contains => {
            let operand = plain(operand)?;
            if field.ty == FieldType::Array
                && let Some(inner) = operand
                    .strip_prefix('{')
                    .and_then(|t| t.strip_suffix('}'))
                    .or_else(|| operand.strip_prefix('(').and_then(|t| t.strip_suffix(')')))
            {
                let items_field = field
                    .items
                    .as_deref()
                    .ok_or_else(|| bad("has no item type".to_owned()))?;
                let mut values = Vec::new();
                if !inner.is_empty() {
                    for item in split_top(inner, at)? {
                        let item = if item.starts_with('"') {
                            unquote(item).ok_or_else(|| {
                                bad(format!("has an unterminated quote in `{item}`"))
                            })?
                        } else {
                            item.to_owned()
                        };
                        let value = typed_text(items_field, &item)
                            .and_then(|v| enum_misfit(manifest, items_field, &v).map(|()| v))
                            .map_err(|misfit| bad(misfit.message))?;
                        values.push(value);
                    }
                }
                Value::List(values)
            } else {
                scalar(&operand)?
            }
        }
        _ => scalar(&plain(operand)?)?,
    };
    Ok(compare(path, op, value))
}

/// The inside of `or=(...)` / `and=(...)`: items are `field.op.value`,
/// `field.not.op.value`, `or(...)`, `and(...)`, `not.or(...)`, `not.and(...)`.
fn group(
    manifest: &Manifest,
    entity: &Entity,
    is_or: bool,
    inner: &str,
    at: &str,
) -> Result<Filter, QueryError> {
    let mut filters = Vec::new();
    for item in split_top(inner, at)? {
        let item = item.trim();
        filters.push(group_item(manifest, entity, item, at)?);
    }
    Ok(if is_or {
        Filter::Or(filters)
    } else {
        Filter::And(filters)
    })
}

fn group_item(
    manifest: &Manifest,
    entity: &Entity,
    item: &str,
    at: &str,
) -> Result<Filter, QueryError> {
    if let Some(rest) = item.strip_prefix("not.")
        && (rest.starts_with("or(") || rest.starts_with("and("))
    {
        return Ok(Filter::Not(Box::new(group_item(
            manifest, entity, rest, at,
        )?)));
    }
    for (prefix, is_or) in [("or(", true), ("and(", false)] {
        if let Some(rest) = item.strip_prefix(prefix) {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| error(at, format!("`{item}` lacks its closing parenthesis")))?;
            return group(manifest, entity, is_or, inner, at);
        }
    }
    // `path.op.value`: the path is the shortest prefix of dot-separated
    // segments that names a field and is followed by an operator or `not`.
    let segments: Vec<&str> = item.split('.').collect();
    for split in 1..segments.len() {
        let path = segments[..split].join(".");
        let next = segments[split];
        if super::json::is_path(&path) && (next == "not" || Op::parse(next).is_some()) {
            // A quoted key may hold a dot: a prefix that does not parse is
            // not the path yet.
            if let Ok(Some((json_path, _))) = super::json::parse_path(entity, &path, &path) {
                let rest = segments[split..].join(".");
                return path_shorthand(&json_path, &rest, true, &path);
            }
            continue;
        }
        if let Some(field) = entity.field_at_path(&path)
            && (next == "not" || next == "isdistinct" || Op::parse(unmodified(next)).is_some())
        {
            let rest = segments[split..].join(".");
            return shorthand(manifest, &path, field, &rest, true, &path);
        }
    }
    let name = segments.first().copied().unwrap_or(item);
    if super::json::is_path(name) {
        // The path itself is at fault (or lacks its operator).
        super::json::parse_path(entity, name, name)?;
        return Err(error(
            name,
            format!("`{item}` lacks an operator: write `{name}.op.value` (operators: {OPERATORS})"),
        ));
    }
    if entity.field_at_path(name).is_some() {
        Err(error(
            name,
            format!("`{item}` lacks an operator: write `{name}.op.value` (operators: {OPERATORS})"),
        ))
    } else {
        Err(error(
            name,
            format!(
                "unknown field `{name}` in `{at}`{}",
                did_you_mean(entity, name)
            ),
        ))
    }
}

/// The deepest nesting of parentheses in shorthand (`or=(and(or(...)))`):
/// parsing recurses per level, so the depth is bounded.
const MAX_NESTING: usize = 16;

/// Splits at commas outside parentheses and double quotes.
/// An operator name without its `(any)`/`(all)` modifier.
fn unmodified(op_name: &str) -> &str {
    op_name
        .strip_suffix("(any)")
        .or_else(|| op_name.strip_suffix("(all)"))
        .unwrap_or(op_name)
}

/// The operators the `(any)`/`(all)` modifiers apply to (PostgREST's).
const MODIFIABLE: &[&str] = &[
    "eq", "like", "ilike", "gt", "gte", "lt", "lte", "match", "imatch",
];

/// `field=op(any).{a,b}` (the operator holds for one of the values: an
/// `or` of comparisons) or `op(all)` (for every value: an `and`). An
/// empty list is false for `any` and true for `all`, as in SQL.
fn modified(
    manifest: &Manifest,
    path: &str,
    field: &Field,
    base: &str,
    any: bool,
    operand: &str,
    at: &str,
) -> Result<Filter, QueryError> {
    let modifier = if any { "any" } else { "all" };
    if !MODIFIABLE.contains(&base) {
        return Err(error(
            at,
            format!(
                "`{path}`: the `({modifier})` modifier applies to {}, not `{base}`",
                MODIFIABLE.join(", ")
            ),
        ));
    }
    let inner = operand
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| {
            error(
                at,
                format!(
                    "`{path}`: `{base}({modifier})` takes a list: `{base}({modifier}).{{a,b}}`"
                ),
            )
        })?;
    let mut terms = Vec::new();
    if !inner.is_empty() {
        for item in split_top(inner, at)? {
            let item = if item.starts_with('"') {
                unquote(item).ok_or_else(|| {
                    error(
                        at,
                        format!("`{path}` has an unterminated quote in `{item}`"),
                    )
                })?
            } else {
                item.to_owned()
            };
            terms.push(shorthand(
                manifest,
                path,
                field,
                &format!("{base}.{item}"),
                false,
                at,
            )?);
        }
    }
    Ok(if any {
        Filter::Or(terms)
    } else {
        Filter::And(terms)
    })
}

/// The items of a comma-separated list in shorthand (`a.eq.1,or(b.eq.2,c.eq.3)`),
/// commas inside parentheses, braces and quotes kept; at most
/// [`MAX_NESTING`] levels of parentheses.
pub fn split_top<'t>(text: &'t str, at: &str) -> Result<Vec<&'t str>, QueryError> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    // A `{a,b}` list (of `cs` or an `(any)` modifier) is one item.
    let mut braces = 0usize;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        if in_quotes {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(error(
                        at,
                        format!("`{at}` nests groups deeper than {MAX_NESTING} levels"),
                    ));
                }
            }
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| error(at, format!("unbalanced `)` in `{text}`")))?
            }
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            ',' if depth == 0 && braces == 0 => {
                items.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err(error(at, format!("unterminated `\"` in `{text}`")));
    }
    if depth != 0 {
        return Err(error(at, format!("unbalanced `(` in `{text}`")));
    }
    items.push(&text[start..]);
    Ok(items)
}

/// `"a,b \"c\""` → `a,b "c"`; `None` when the quote does not close at the end.
fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_commas_only() {
        assert_eq!(
            split_top(r#"a.eq.1,or(b.eq.2,c.eq.3),d.eq."x,y""#, "or").unwrap(),
            ["a.eq.1", "or(b.eq.2,c.eq.3)", r#"d.eq."x,y""#]
        );
        assert!(split_top("a.eq.(1", "or").is_err());
        assert_eq!(unquote(r#""a\"b,c""#).unwrap(), r#"a"b,c"#);
        assert_eq!(percent_decode("a%2Cb%20c").unwrap(), "a,b c");
        assert!(percent_decode("%zz").is_none());
    }

    #[test]
    fn stars_are_wildcards_unless_escaped() {
        assert_eq!(api_pattern("*rust*"), "%rust%");
        assert_eq!(api_pattern("a\\*b"), "a*b");
        assert_eq!(api_pattern("50\\%"), "50\\%");
        assert_eq!(api_pattern("end\\"), "end\\");
    }
}
