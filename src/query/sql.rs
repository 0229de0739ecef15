//! The query AST as bound SQL, built with sea-query for PostgreSQL, MySQL
//! and SQLite: the only compiler of filters to SQL (the SQL stores run it,
//! the tests run it). Every client value is a bound parameter (`$n` / `?`);
//! identifiers come only from the manifest and are quoted by the builder.
//!
//! # The columns of a row
//!
//! `select`, `select_by_key` and the `RETURNING` lists of `insert`,
//! `update_by_key` and `delete_by_key` produce one column per field, in
//! **manifest field order** (only the selected fields for `select`;
//! [`selected_fields`] lists them). Stores decode them by position.
//!
//! - PostgreSQL and MySQL read every column back **as text** (raw bytes for
//!   `bytes`), one decoding path for both drivers: PostgreSQL through
//!   `CAST(x AS text)`, `to_char` for dates and timestamps (UTC for
//!   timestamptz, `YYYY-MM-DD HH24:MI:SS.US`) and `to_jsonb` for native
//!   arrays; MySQL through `CAST(x AS CHAR)` (the session time zone must be
//!   `+00:00`). In a `SELECT` they are aliased `_baas_N`, so that `ORDER BY
//!   "price"` sorts by the column, not by its text.
//! - SQLite returns the stored values as they are.
//!
//! # Values
//!
//! PostgreSQL: text values of types sqlx cannot send as themselves are cast
//! to the column's type (`CAST($1 AS numeric)`, `CAST($1 AS uuid)`,
//! `CAST($1 AS "mpaa_rating")`), JSON is bound as jsonb, native arrays are
//! built from a JSON array (`jsonb_array_elements_text`). Comparisons on
//! enums and native types compare text. A NUL character in a text or JSON
//! value is refused (PostgreSQL cannot store it). MySQL: timestamptz
//! converted to UTC `YYYY-MM-DD HH:MM:SS[.f]`, timestamps with a space,
//! JSON/arrays as JSON text, decimals compared as `DECIMAL(65,30)`. SQLite:
//! booleans as 0/1, JSON/arrays as JSON text, timestamptz as UTC `...Z`
//! text.
//!
//! # Conditions
//!
//! `and`/`or` groups are rendered as one flat template whatever their
//! size (`(a) OR (b) OR ...`, parenthesised as a balanced tree so that
//! SQLite's expression depth grows with the logarithm of the size): no
//! recursion per term here or in sea-query (whose `Condition` folds into a
//! left-deep tree). Recursion follows nesting only, which
//! [`super::check_limits`] bounds.
//!
//! # Engine notes
//!
//! - MySQL has no `RETURNING`: after [`insert`] the store reads the row
//!   back with [`select_by_key`]; updates and deletes read the old row
//!   `FOR UPDATE` in their transaction.
//! - `like` is case-sensitive everywhere: PostgreSQL `LIKE`, MySQL
//!   `LIKE BINARY`, SQLite `GLOB`. `ilike` is PostgreSQL `ILIKE`, else
//!   `LOWER(x) LIKE LOWER(p)`. `\` escapes `%`, `_` and `\`; a pattern
//!   ending in a lone `\` matches a literal `\`.
//! - What a dialect cannot do (dotted paths, some `contains` on SQLite) is a
//!   [`QueryError`] from the builders ([`check_supported`] tells it first).

use std::cell::RefCell;

use indexmap::IndexMap;
use sea_query::{
    Alias, Expr, ExprTrait, LockType, MysqlQueryBuilder, NullOrdering, Order, PostgresQueryBuilder,
    Query, QueryStatementBuilder, SqliteQueryBuilder, TableRef,
};

use crate::manifest::{Entity, Field, FieldType, Manifest};

use super::{
    Filter, JsonPath, ListQuery, MAX_BOUND_VALUES, MAX_FILTER_DEPTH, Op, QueryError, Step, Term,
    Value,
};

/// The SQL databases the builders target.
pub use crate::database::SqlDialect;

/// A statement: SQL text and its bound values.
pub type Statement = (String, sea_query::Values);

fn error(at: impl Into<String>, message: impl Into<String>) -> QueryError {
    QueryError {
        at: at.into(),
        message: message.into(),
    }
}

/// What the builders need for one entity; the first problem met while
/// building (a value PostgreSQL cannot store, an unsupported path) is kept
/// and returned instead of the statement.
struct Target<'m> {
    dialect: SqlDialect,
    manifest: &'m Manifest,
    entity: &'m Entity,
    /// The name the entity's table goes by in the statement: its alias
    /// inside an EXISTS sub-query, else the table's name.
    alias: Option<String>,
    /// EXISTS sub-queries around this target (their aliases are numbered).
    level: usize,
    problem: RefCell<Option<QueryError>>,
}

impl<'m> Target<'m> {
    fn new(dialect: SqlDialect, manifest: &'m Manifest, entity: &str) -> Result<Self, QueryError> {
        let entity = manifest
            .entities
            .get(entity)
            .ok_or_else(|| error("entity", format!("unknown entity `{entity}`")))?;
        Ok(Self {
            dialect,
            manifest,
            entity,
            alias: None,
            level: 0,
            problem: RefCell::new(None),
        })
    }

    fn fail(&self, problem: QueryError) {
        let mut slot = self.problem.borrow_mut();
        if slot.is_none() {
            *slot = Some(problem);
        }
    }

    /// The statement as text and values, or the first problem met.
    fn finish<S: QueryStatementBuilder>(&self, statement: &S) -> Result<Statement, QueryError> {
        if let Some(problem) = self.problem.borrow_mut().take() {
            return Err(problem);
        }
        let built = match self.dialect {
            SqlDialect::Postgres => statement.build_any(&PostgresQueryBuilder),
            SqlDialect::Mysql => statement.build_any(&MysqlQueryBuilder),
            SqlDialect::Sqlite => statement.build_any(&SqliteQueryBuilder),
        };
        if built.1.0.len() > MAX_BOUND_VALUES {
            return Err(error(
                "filter",
                format!(
                    "the request binds {} values; at most {MAX_BOUND_VALUES} are allowed per request",
                    built.1.0.len()
                ),
            ));
        }
        Ok(built)
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
        let table = self.alias.as_deref().unwrap_or(&self.entity.table);
        Expr::col((Alias::new(table), Alias::new(column)))
    }

    /// A custom expression: `?` stands for the next of `exprs` (rewritten
    /// to `$n` for PostgreSQL). Templates hold no other `?` or `$`: they
    /// are constants of this module, type names checked by
    /// [`checked_type_name`], and the junctions of [`Self::junction`].
    fn custom(&self, template: &str, exprs: Vec<Expr>) -> Expr {
        if self.dialect != SqlDialect::Postgres {
            return Expr::cust_with_exprs(template.to_owned(), exprs);
        }
        let mut numbered = String::with_capacity(template.len() + 4 * exprs.len());
        let mut n = 0;
        for c in template.chars() {
            if c == '?' {
                n += 1;
                numbered.push('$');
                numbered.push_str(&n.to_string());
            } else {
                numbered.push(c);
            }
        }
        Expr::cust_with_exprs(numbered, exprs)
    }

    /// `parts` joined by `AND` (`all`) or `OR` as one flat expression.
    fn junction(&self, all: bool, mut parts: Vec<Expr>) -> Expr {
        match parts.len() {
            0 if all => always(),
            0 => never(),
            1 => parts.pop().unwrap_or_else(always),
            n => {
                let mut template = String::with_capacity(n * 9);
                balanced(&mut template, n, if all { " AND " } else { " OR " });
                self.custom(&template, parts)
            }
        }
    }

    /// The select-list expression of one field (see the module docs).
    fn output(&self, name: &str, field: &Field) -> Expr {
        let column = self.column(name);
        if field.ty == FieldType::Bytes {
            return column;
        }
        let template = match (self.dialect, field.ty) {
            (SqlDialect::Sqlite, _) => return column,
            (SqlDialect::Postgres, FieldType::Timestamptz) => {
                "to_char(? AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
            }
            (SqlDialect::Postgres, FieldType::Timestamp) => {
                "to_char(?, 'YYYY-MM-DD HH24:MI:SS.US')"
            }
            (SqlDialect::Postgres, FieldType::Date) => "to_char(?, 'YYYY-MM-DD')",
            (SqlDialect::Postgres, FieldType::Array) if !postgres_array_is_json(field) => {
                "CAST(to_jsonb(?) AS text)"
            }
            (SqlDialect::Postgres, _) => "CAST(? AS text)",
            (SqlDialect::Mysql, _) => "CAST(? AS CHAR)",
        };
        self.custom(template, vec![column])
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

    /// `pk1 = ? AND pk2 = ?` for a key in `primary_key` order, ANDed with
    /// `scope` when given.
    fn key_condition(&self, key: &[Value], scope: Option<&Filter>) -> Expr {
        let primary_key = &self.entity.primary_key;
        if primary_key.is_empty() || key.len() != primary_key.len() {
            self.fail(error(
                "id",
                format!(
                    "the key of `{}` has {} part(s), got {}",
                    self.entity.table,
                    primary_key.len(),
                    key.len()
                ),
            ));
            return never();
        }
        let mut parts: Vec<Expr> = primary_key
            .iter()
            .zip(key)
            .map(|(name, value)| self.compare(name, Op::Eq, value))
            .collect();
        if let Some(scope) = scope {
            parts.push(self.checked_condition(scope));
        }
        self.junction(true, parts)
    }

    /// [`Self::condition`] after the checks that keep it bounded and
    /// runnable on this dialect.
    fn checked_condition(&self, filter: &Filter) -> Expr {
        if let Err(problem) = check_depth(filter)
            .and_then(|()| check_filter_supported(self.dialect, self.entity, filter))
        {
            self.fail(problem);
            return never();
        }
        self.condition(filter)
    }
}

/// `(?) OP (?) OP ...` for `n` parts, grouped as a balanced tree of at most
/// eight parts per run; recursion depth is the logarithm of `n`.
fn balanced(out: &mut String, n: usize, op: &str) {
    if n <= 8 {
        for index in 0..n {
            if index > 0 {
                out.push_str(op);
            }
            out.push_str("(?)");
        }
        return;
    }
    let half = n / 2;
    out.push('(');
    balanced(out, half, op);
    out.push(')');
    out.push_str(op);
    out.push('(');
    balanced(out, n - half, op);
    out.push(')');
}

/// `left op right` for `eq`, `neq`, `gt`, `gte`, `lt` and (any other) `lte`.
fn comparison(left: Expr, op: Op, right: Expr) -> Expr {
    match op {
        Op::Eq => left.eq(right),
        Op::Neq => left.ne(right),
        Op::Gt => left.gt(right),
        Op::Gte => left.gte(right),
        Op::Lt => left.lt(right),
        _ => left.lte(right),
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

/// The deepest filter the builders take: a client's filter is held to
/// [`MAX_FILTER_DEPTH`] when parsed; the server may wrap it (a rule's scope
/// ANDed in), hence the room.
const MAX_BUILD_DEPTH: usize = 2 * MAX_FILTER_DEPTH;

/// Refuses a filter nested deeper than [`MAX_BUILD_DEPTH`] (the builders
/// recurse per level), without recursing itself.
fn check_depth(filter: &Filter) -> Result<(), QueryError> {
    let mut stack = vec![(filter, 1usize)];
    while let Some((filter, depth)) = stack.pop() {
        if depth > MAX_BUILD_DEPTH {
            return Err(error(
                "filter",
                format!("the filter nests deeper than {MAX_BUILD_DEPTH} levels"),
            ));
        }
        match filter {
            Filter::And(parts) | Filter::Or(parts) => {
                stack.extend(parts.iter().map(|part| (part, depth + 1)));
            }
            Filter::Not(inner) | Filter::Exists { filter: inner, .. } => {
                stack.push((inner, depth + 1));
            }
            Filter::Compare { .. } | Filter::Relate { .. } | Filter::Json { .. } => {}
        }
    }
    Ok(())
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
/// object operand. The builders check the same.
pub fn check_supported(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    query: &ListQuery,
) -> Result<(), QueryError> {
    let entity = manifest
        .entities
        .get(entity_name)
        .ok_or_else(|| error("entity", format!("unknown entity `{entity_name}`")))?;
    for order in &query.order {
        if let Some(path) = &order.path {
            check_path(entity, path)?;
            continue;
        }
        if !entity.fields.contains_key(&order.field) {
            return Err(error(
                "order",
                format!(
                    "ordering by a path into an object (`{}`) is not supported on {}",
                    order.field,
                    dialect.label()
                ),
            ));
        }
    }
    match &query.filter {
        Some(filter) => {
            check_depth(filter)?;
            check_filter_supported(dialect, entity, filter)
        }
        None => Ok(()),
    }
}

/// [`check_supported`] for a filter alone (recursion per nesting level:
/// call it on filters whose depth is checked).
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
        // Checked against its own entity when built.
        Filter::Exists { .. } => Ok(()),
        Filter::Relate { left, op, right } => super::check_relate(entity, left, *op, right),
        Filter::Json { path, .. } => check_path(entity, path),
        Filter::Compare { field, op, value } => {
            let Some(definition) = entity.fields.get(field) else {
                return Err(error(
                    field.clone(),
                    format!(
                        "filtering on a path into an object (`{field}`) is not supported on {}",
                        dialect.label()
                    ),
                ));
            };
            if dialect == SqlDialect::Sqlite
                && *op == Op::Contains
                && definition.ty == FieldType::Json
                && sqlite_items(value).is_none()
            {
                return Err(error(
                    field.clone(),
                    format!(
                        "`contains` on the json field `{field}` takes an array of scalars on SQLite"
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// A JSON path reads into a json (or object) field of the entity.
fn check_path(entity: &Entity, path: &JsonPath) -> Result<(), QueryError> {
    match entity.fields.get(&path.field) {
        Some(field) if matches!(field.ty, FieldType::Json | FieldType::Object) => Ok(()),
        _ => Err(error(
            path.field.clone(),
            format!(
                "`{path}` reads into `{}`, which is not a json field",
                path.field
            ),
        )),
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
) -> Result<Statement, QueryError> {
    check_supported(dialect, manifest, entity_name, query)?;
    let target = Target::new(dialect, manifest, entity_name)?;
    let fields = selected_fields(target.entity, query.select.as_deref());
    let mut statement = Query::select();
    statement.from(target.table());
    if dialect == SqlDialect::Sqlite {
        statement.exprs(target.outputs(&fields));
    } else {
        // Aliased apart from every column: in PostgreSQL, `ORDER BY "price"`
        // would otherwise sort by the output `CAST("price" AS text)`.
        for (index, output) in target.outputs(&fields).into_iter().enumerate() {
            statement.expr_as(output, Alias::new(format!("_baas_{index}")));
        }
    }
    if fields.is_empty() {
        statement.expr(Expr::cust("1"));
    }
    if let Some(filter) = &query.filter {
        statement.and_where(target.condition(filter));
    }
    for order in &query.order {
        let direction = if order.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let mut keys = match &order.path {
            Some(path) => target.json_order(path),
            None => vec![target.column(&order.field)],
        }
        .into_iter();
        let Some(column) = keys.next() else {
            continue;
        };
        // SQLite and MySQL put nulls first ascending, PostgreSQL last: a
        // field that may be null is told where when the engine would put
        // them elsewhere (a JSON path's first key places them already).
        let may_be_null = order.path.is_none()
            && target
                .entity
                .fields
                .get(&order.field)
                .is_none_or(|field| field.nullable || field.optional);
        // Where the engine puts nulls by itself (PostgreSQL last ascending,
        // SQLite and MySQL first), nothing is written: MySQL cannot read
        // an `IS NULL` key from an index on the field.
        let native_first = (dialect == SqlDialect::Postgres) == order.descending;
        let nulls_first = match order.nulls_first {
            None if may_be_null => Some(order.places_nulls_first()),
            asked => asked,
        }
        .filter(|first| *first != native_first);
        match nulls_first {
            Some(first) => statement.order_by_expr_with_nulls(
                column,
                direction.clone(),
                if first {
                    NullOrdering::First
                } else {
                    NullOrdering::Last
                },
            ),
            None => statement.order_by_expr(column, direction.clone()),
        };
        // Values of one JSON type sort by the keys after the first (which
        // places missing values, the nulls).
        for key in keys {
            statement.order_by_expr(key, direction.clone());
        }
    }
    for key in &target.entity.primary_key {
        if !query.order.iter().any(|order| &order.field == key) {
            statement.order_by_expr(target.column(key), Order::Asc);
        }
    }
    if query.offset > i64::MAX as u64 || query.limit > i64::MAX as u64 {
        target.fail(error(
            "offset",
            format!("`offset` must be a whole number from 0 to {}", i64::MAX),
        ));
    }
    statement.limit(query.limit).offset(query.offset);
    target.finish(&statement)
}

/// `SELECT COUNT(*)` of the rows matching `filter` (no paging).
pub fn count(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    filter: Option<&Filter>,
) -> Result<Statement, QueryError> {
    of_matching(dialect, manifest, entity_name, filter, "COUNT(*)")
}

/// `SELECT 1` of each row matching `filter` (no paging, no order): the
/// statement a planner's row estimate is asked of.
pub fn matching(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    filter: Option<&Filter>,
) -> Result<Statement, QueryError> {
    of_matching(dialect, manifest, entity_name, filter, "1")
}

fn of_matching(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    filter: Option<&Filter>,
    output: &'static str,
) -> Result<Statement, QueryError> {
    let target = Target::new(dialect, manifest, entity_name)?;
    let mut statement = Query::select();
    statement.from(target.table()).expr(Expr::cust(output));
    if let Some(filter) = filter {
        statement.and_where(target.checked_condition(filter));
    }
    target.finish(&statement)
}

/// One row by primary key (`key` in `primary_key` order) that also
/// matches `scope`, all fields; `lock` reads it `FOR UPDATE` (PostgreSQL
/// and MySQL; SQLite locks the whole database in a write transaction).
pub fn select_by_key(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    scope: Option<&Filter>,
    lock: bool,
) -> Result<Statement, QueryError> {
    let target = Target::new(dialect, manifest, entity_name)?;
    let mut statement = Query::select();
    statement
        .from(target.table())
        .exprs(target.outputs(&target.all_fields()))
        .and_where(target.key_condition(key, scope));
    if lock && dialect != SqlDialect::Sqlite {
        statement.lock(LockType::Update);
    }
    target.finish(&statement)
}

/// `INSERT` of `values` (field name → value, as [`super::validate_body`]
/// returns them); `RETURNING` every field on PostgreSQL and SQLite, nothing
/// on MySQL (see the module docs). No values: `DEFAULT VALUES`.
pub fn insert(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    values: &IndexMap<String, Value>,
) -> Result<Statement, QueryError> {
    let target = Target::new(dialect, manifest, entity_name)?;
    let mut statement = Query::insert();
    statement.into_table(target.table());
    let mut columns = Vec::new();
    let mut exprs = Vec::new();
    for (name, value) in values {
        let Some(field) = target.entity.fields.get(name) else {
            target.fail(error(name.as_str(), format!("unknown field `{name}`")));
            continue;
        };
        columns.push(Alias::new(field.column_name(name)));
        exprs.push(target.bind(name, field, value));
    }
    if columns.is_empty() {
        statement.or_default_values();
    } else {
        statement.columns(columns);
        if let Err(problem) = statement.values(exprs) {
            target.fail(error("body", problem.to_string()));
        }
    }
    if dialect != SqlDialect::Mysql {
        statement.returning(Query::returning().exprs(target.outputs(&target.all_fields())));
    }
    target.finish(&statement)
}

/// `UPDATE ... SET` `values` on the row with `key` that matches `scope`;
/// `RETURNING` every field on PostgreSQL and SQLite. With no values it is
/// [`select_by_key`] (an empty PATCH reads the row).
pub fn update_by_key(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    scope: Option<&Filter>,
    values: &IndexMap<String, Value>,
) -> Result<Statement, QueryError> {
    let target = Target::new(dialect, manifest, entity_name)?;
    let mut sets = Vec::new();
    for (name, value) in values {
        let Some(field) = target.entity.fields.get(name) else {
            target.fail(error(name.as_str(), format!("unknown field `{name}`")));
            continue;
        };
        sets.push((
            Alias::new(field.column_name(name)),
            target.bind(name, field, value),
        ));
    }
    if sets.is_empty() {
        return select_by_key(dialect, manifest, entity_name, key, scope, false);
    }
    let mut statement = Query::update();
    statement
        .table(target.table())
        .values(sets)
        .and_where(target.key_condition(key, scope));
    if dialect != SqlDialect::Mysql {
        statement.returning(Query::returning().exprs(target.outputs(&target.all_fields())));
    }
    target.finish(&statement)
}

/// `DELETE` of the row with `key` that matches `scope`; `RETURNING` every
/// field on PostgreSQL and SQLite.
pub fn delete_by_key(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    scope: Option<&Filter>,
) -> Result<Statement, QueryError> {
    let target = Target::new(dialect, manifest, entity_name)?;
    let mut statement = Query::delete();
    statement
        .from_table(target.table())
        .and_where(target.key_condition(key, scope));
    if dialect != SqlDialect::Mysql {
        statement.returning(Query::returning().exprs(target.outputs(&target.all_fields())));
    }
    target.finish(&statement)
}

/// `DELETE` of every row matching `filter` (no `RETURNING`): a tenant's
/// rows when a `row` tenant is dropped.
pub fn delete_matching(
    dialect: SqlDialect,
    manifest: &Manifest,
    entity_name: &str,
    filter: &Filter,
) -> Result<Statement, QueryError> {
    let target = Target::new(dialect, manifest, entity_name)?;
    let mut statement = Query::delete();
    statement
        .from_table(target.table())
        .and_where(target.checked_condition(filter));
    target.finish(&statement)
}

// ---- filters ----

impl Target<'_> {
    /// Recursion per nesting level (bounded by [`check_depth`]), never per
    /// term: a group is one flat junction.
    fn condition(&self, filter: &Filter) -> Expr {
        match filter {
            Filter::And(filters) => {
                let parts = filters.iter().map(|f| self.condition(f)).collect();
                self.junction(true, parts)
            }
            Filter::Or(filters) => {
                let parts = filters.iter().map(|f| self.condition(f)).collect();
                self.junction(false, parts)
            }
            Filter::Not(inner) => {
                let inner = self.condition(inner);
                self.custom("NOT (?)", vec![inner])
            }
            Filter::Compare { field, op, value } => self.compare(field, *op, value),
            Filter::Json { path, op, value } => self.json_compare(path, *op, value),
            Filter::Relate { left, op, right } => self.relate(left, *op, right),
            Filter::Exists {
                entity,
                from_fields,
                to_fields,
                filter,
            } => self.exists(entity, from_fields, to_fields, filter),
        }
    }

    /// `EXISTS (SELECT 1 FROM related AS _baas_rN WHERE _baas_rN.to =
    /// outer.from AND filter)`: the related table gets an alias of its own,
    /// so a relation of a table to itself reads the right rows.
    fn exists(&self, entity: &str, from: &[String], to: &[String], filter: &Filter) -> Expr {
        let Ok(mut inner) = Target::new(self.dialect, self.manifest, entity) else {
            self.fail(error(
                "filter",
                format!("a rule follows a relation to `{entity}`, which is not an entity"),
            ));
            return never();
        };
        if from.len() != to.len() || from.is_empty() {
            self.fail(error(
                "filter",
                format!("the relation to `{entity}` has no fields"),
            ));
            return never();
        }
        inner.level = self.level + 1;
        let alias = format!("_baas_r{}", inner.level);
        inner.alias = Some(alias.clone());
        let mut parts: Vec<Expr> = from
            .iter()
            .zip(to)
            .map(|(from, to)| inner.qualified_column(to).equals(self.outer_column(from)))
            .collect();
        parts.push(inner.checked_condition(filter));
        let condition = inner.junction(true, parts);
        if let Some(problem) = inner.problem.borrow_mut().take() {
            self.fail(problem);
            return never();
        }
        let mut select = Query::select();
        select
            .expr(Expr::cust("1"))
            .from_as(inner.table(), Alias::new(alias))
            .and_where(condition);
        Expr::exists(select)
    }

    /// A column of this target's table named from inside a sub-query.
    fn outer_column(&self, name: &str) -> (Alias, Alias) {
        let field = self.entity.fields.get(name);
        let column = field.map_or(name, |field| field.column_name(name));
        let table = self.alias.as_deref().unwrap_or(&self.entity.table);
        (Alias::new(table), Alias::new(column))
    }

    fn compare(&self, name: &str, op: Op, value: &Value) -> Expr {
        let Some(field) = self.entity.fields.get(name) else {
            self.fail(error(
                name,
                format!(
                    "filtering on a path into an object (`{name}`) is not supported on {}",
                    self.dialect.label()
                ),
            ));
            return never();
        };
        let column = self.compared(name, field, op);
        self.compare_with(name, column, field, op, value)
    }

    /// `column op value`, `column` read as `field` is (its type binds the
    /// value).
    fn compare_with(&self, name: &str, column: Expr, field: &Field, op: Op, value: &Value) -> Expr {
        match op {
            Op::Eq => column.eq(self.operand(name, field, value)),
            Op::Neq => column.ne(self.operand(name, field, value)),
            Op::Gt => column.gt(self.operand(name, field, value)),
            Op::Gte => column.gte(self.operand(name, field, value)),
            Op::Lt => column.lt(self.operand(name, field, value)),
            Op::Lte => column.lte(self.operand(name, field, value)),
            Op::In | Op::Nin => {
                let items = match value {
                    Value::List(items) => items.as_slice(),
                    other => std::slice::from_ref(other),
                };
                let bound = items.iter().map(|v| self.operand(name, field, v));
                match (op, items.is_empty()) {
                    // `x IN ()` is not SQL: nothing is in the empty list.
                    (Op::In, true) => never(),
                    (_, true) => always(),
                    (Op::In, false) => column.is_in(bound),
                    (_, false) => column.is_not_in(bound),
                }
            }
            Op::Is => match value {
                Value::Bool(true) => self.custom("? IS TRUE", vec![column]),
                Value::Bool(false) => self.custom("? IS FALSE", vec![column]),
                Value::Null => column.is_null(),
                _ => {
                    self.fail(error(
                        name,
                        format!("`{name}` takes `is` null, true or false"),
                    ));
                    never()
                }
            },
            Op::Like | Op::Ilike => {
                let Value::Text(text) = value else {
                    self.fail(error(name, format!("`{name}` takes a string pattern")));
                    return never();
                };
                self.refuse_nul(name, value);
                let pattern = closed_pattern(text);
                let template = match (self.dialect, op) {
                    (SqlDialect::Postgres, Op::Like) => "? LIKE ?",
                    (SqlDialect::Postgres, _) => "? ILIKE ?",
                    (SqlDialect::Mysql, Op::Like) => "? LIKE BINARY ?",
                    (SqlDialect::Mysql, _) => "LOWER(?) LIKE LOWER(?)",
                    // GLOB is case-sensitive whatever `case_sensitive_like` says.
                    (SqlDialect::Sqlite, Op::Like) => {
                        return self
                            .custom("? GLOB ?", vec![column, Expr::val(like_to_glob(&pattern))]);
                    }
                    (SqlDialect::Sqlite, _) => "LOWER(?) LIKE LOWER(?) ESCAPE '\\'",
                };
                self.custom(template, vec![column, Expr::val(pattern)])
            }
            Op::Contains => self.contains(name, field, value),
            Op::Match | Op::Imatch => {
                let Value::Text(pattern) = value else {
                    self.fail(error(name, format!("`{name}` takes a regular expression")));
                    return never();
                };
                self.refuse_nul(name, value);
                let insensitive = op == Op::Imatch;
                match self.dialect {
                    SqlDialect::Postgres => self.custom(
                        if insensitive { "? ~* ?" } else { "? ~ ?" },
                        vec![column, Expr::val(pattern.clone())],
                    ),
                    // PCRE (MariaDB) and ICU (MySQL) read the inline flag;
                    // SQLite's `regexp` is baas's own (store::sqlite).
                    SqlDialect::Mysql | SqlDialect::Sqlite => {
                        let flag = if insensitive { "(?i)" } else { "(?-i)" };
                        self.custom(
                            "? REGEXP ?",
                            vec![column, Expr::val(format!("{flag}{pattern}"))],
                        )
                    }
                }
            }
        }
    }

    /// `left op right` over computed sides (checked by [`super::check_relate`]):
    /// NULL when a side is null, as any comparison.
    fn relate(&self, left: &Term, op: Op, right: &Term) -> Expr {
        if let Err(problem) = super::check_relate(self.entity, left, op, right) {
            self.fail(problem);
            return never();
        }
        comparison(self.term(left), op, self.term(right))
    }

    /// One side of [`Self::relate`]: a column or its length
    /// ([`term_template`]), or a bound number.
    fn term(&self, term: &Term) -> Expr {
        let field = term
            .field()
            .and_then(|name| Some((name, self.entity.fields.get(name)?)));
        match (term, field) {
            (Term::Field(_) | Term::Length(_), Some((name, field))) => {
                let template = term_template(self.dialect, field, matches!(term, Term::Length(_)));
                let columns = template.matches('?').map(|_| self.column(name)).collect();
                self.custom(template, columns)
            }
            (Term::Value(Value::Int(int)), _) => Expr::val(*int),
            (Term::Value(Value::Float(float)), _) => Expr::val(*float),
            _ => never(),
        }
    }

    /// The left-hand side of a comparison on `field`.
    fn compared(&self, name: &str, field: &Field, op: Op) -> Expr {
        let column = self.column(name);
        if self.dialect != SqlDialect::Postgres {
            return column;
        }
        match field.ty {
            FieldType::Json | FieldType::Object => self.custom("CAST(? AS jsonb)", vec![column]),
            FieldType::Enum | FieldType::Native => self.custom("CAST(? AS text)", vec![column]),
            FieldType::Uuid if matches!(op, Op::Like | Op::Ilike) => {
                self.custom("CAST(? AS text)", vec![column])
            }
            _ => column,
        }
    }

    /// The right-hand side of a comparison with `field`.
    fn operand(&self, name: &str, field: &Field, value: &Value) -> Expr {
        match (self.dialect, field.ty, value) {
            (_, _, Value::Null) => Expr::cust("NULL"),
            // Compared as text (see `compared`).
            (SqlDialect::Postgres, FieldType::Enum | FieldType::Native, _) => {
                self.refuse_nul(name, value);
                Expr::val(text_of(value))
            }
            // A decimal string compared with a DECIMAL column would be
            // compared as a double.
            (SqlDialect::Mysql, FieldType::Decimal, _) => {
                self.custom("CAST(? AS DECIMAL(65,30))", vec![Expr::val(text_of(value))])
            }
            _ => self.bind(name, field, value),
        }
    }

    fn contains(&self, name: &str, field: &Field, value: &Value) -> Expr {
        let json = json_of(value);
        match self.dialect {
            SqlDialect::Postgres => {
                self.refuse_nul(name, value);
                if field.ty == FieldType::Array && !postgres_array_is_json(field) {
                    // Typed containment: `{1.50}` contains 1.5, timestamps
                    // compare as instants. Both sides are cast to the
                    // manifest's array type: `@>` needs one element type
                    // (a `varchar(10)[]` column against `text[]` has none).
                    let array = self.postgres_array(name, field, json);
                    let array_type = self
                        .postgres_type(name, field)
                        .unwrap_or_else(|| "text[]".to_owned());
                    let column = self.cast(self.column(name), &array_type);
                    self.custom("? @> ?", vec![column, array])
                } else {
                    let column = self.custom("CAST(? AS jsonb)", vec![self.column(name)]);
                    self.custom("? @> ?", vec![column, Expr::val(json)])
                }
            }
            SqlDialect::Mysql => self.custom(
                "JSON_CONTAINS(?, ?)",
                vec![self.column(name), Expr::val(json.to_string())],
            ),
            SqlDialect::Sqlite => {
                let Some(items) = sqlite_items(value) else {
                    self.fail(error(
                        name,
                        format!(
                            "`contains` on the json field `{name}` takes an array of scalars on SQLite"
                        ),
                    ));
                    return never();
                };
                let mut parts = Vec::with_capacity(items.len() + 1);
                if field.ty == FieldType::Json {
                    // An object's values are not its items.
                    parts.push(
                        self.custom("json_type(?) = 'array'", vec![self.qualified_column(name)]),
                    );
                }
                for item in &items {
                    parts.push(self.custom(
                        "EXISTS (SELECT 1 FROM json_each(?) WHERE json_each.value = ?)",
                        vec![self.qualified_column(name), sqlite_item(item)],
                    ));
                }
                self.junction(true, parts)
            }
        }
    }
}

// ---- JSON paths ----

/// The JSON kinds a `->` comparison tells apart, with their place in
/// jsonb's order (see [`super::json::order`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null = 0,
    String = 1,
    Number = 2,
    Boolean = 3,
}

/// A path as SQLite's and MySQL's path language writes it: `$."key"[0]`,
/// every key quoted (`"` and `\` escaped), so no key reads as a wildcard,
/// a range or a second step. The text is bound, never spliced.
pub fn path_text(steps: &[Step]) -> String {
    let mut out = String::from("$");
    for step in steps {
        match step {
            Step::Key(key) => {
                out.push_str(".\"");
                for c in key.chars() {
                    if matches!(c, '"' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            Step::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// The jsonb rank of a JSON type name of SQLite (`json_type`) and MySQL
/// (`JSON_TYPE`, upper case): `CASE ... END` over one `?`.
const SQLITE_RANK: &str = "(CASE json_type(?, ?) WHEN 'null' THEN 0 WHEN 'text' THEN 1 \
    WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'true' THEN 3 WHEN 'false' THEN 3 \
    WHEN 'array' THEN 4 WHEN 'object' THEN 5 END)";
const MYSQL_RANK: &str = "(CASE JSON_TYPE(JSON_EXTRACT(?, ?)) WHEN 'NULL' THEN 0 \
    WHEN 'STRING' THEN 1 WHEN 'INTEGER' THEN 2 WHEN 'UNSIGNED INTEGER' THEN 2 \
    WHEN 'DOUBLE' THEN 2 WHEN 'DECIMAL' THEN 2 WHEN 'BOOLEAN' THEN 3 WHEN 'ARRAY' THEN 4 \
    WHEN 'OBJECT' THEN 5 END)";
/// A number at the path as a DOUBLE, NULL for any other type (no cast
/// of a string is tried: MySQL warns, and in a write's WHERE fails).
const MYSQL_NUMBER: &str = "(CASE WHEN JSON_TYPE(JSON_EXTRACT(?, ?)) IN ('INTEGER', \
    'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL') THEN CAST(JSON_UNQUOTE(JSON_EXTRACT(?, ?)) AS DOUBLE) END)";

impl Target<'_> {
    /// The column of the path's field and the path (as bound values) for
    /// one use in a template: `[column, step...]` for PostgreSQL,
    /// `[column, path text]` for the others.
    fn path_exprs(&self, path: &JsonPath) -> Vec<Expr> {
        let column = self.column(&path.field);
        if self.dialect != SqlDialect::Postgres {
            return vec![column, Expr::val(path_text(&path.steps))];
        }
        let mut exprs = vec![column];
        for step in &path.steps {
            exprs.push(match step {
                Step::Key(key) => Expr::val(key.clone()),
                Step::Index(index) => Expr::val(i32::try_from(*index).unwrap_or(i32::MAX)),
            });
        }
        exprs
    }

    /// `template` with `uses` copies of the path's column and steps.
    fn path_template(&self, template: &str, path: &JsonPath, uses: usize) -> Expr {
        let exprs = (0..uses).flat_map(|_| self.path_exprs(path)).collect();
        self.custom(template, exprs)
    }

    /// PostgreSQL: `CAST(col AS jsonb) -> $1 -> $2` (`->>` last with
    /// `text`), the steps bound as text keys and integer indexes.
    fn postgres_path(&self, path: &JsonPath, text: bool) -> Expr {
        // The casts keep the statement's text apart from one whose steps
        // are of other kinds: a prepared statement is cached by its text,
        // with the types of its first parameters.
        let mut template = String::from("(CAST(? AS jsonb)");
        for (index, step) in path.steps.iter().enumerate() {
            let last = index + 1 == path.steps.len();
            template.push_str(if last && text { " ->> " } else { " -> " });
            template.push_str(match step {
                Step::Key(_) => "CAST(? AS text)",
                Step::Index(_) => "CAST(? AS integer)",
            });
        }
        template.push(')');
        self.path_template(&template, path, 1)
    }

    /// The value at the path as text, as PostgreSQL's `->>` gives it: a
    /// string unquoted, JSON null as NULL, other values as JSON text.
    fn json_text(&self, path: &JsonPath) -> Expr {
        match self.dialect {
            SqlDialect::Postgres => self.postgres_path(path, true),
            SqlDialect::Sqlite => self.path_template(
                "(CASE json_type(?, ?) WHEN 'null' THEN NULL WHEN 'true' THEN 'true' \
                 WHEN 'false' THEN 'false' ELSE CAST(json_extract(?, ?) AS TEXT) END)",
                path,
                2,
            ),
            SqlDialect::Mysql => self.path_template(
                "(CASE JSON_TYPE(JSON_EXTRACT(?, ?)) WHEN 'NULL' THEN NULL \
                 ELSE JSON_UNQUOTE(JSON_EXTRACT(?, ?)) END)",
                path,
                2,
            ),
        }
    }

    /// SQLite and MySQL: the jsonb rank of the value's type (NULL when
    /// the path is missing).
    fn json_rank(&self, path: &JsonPath) -> Expr {
        let template = if self.dialect == SqlDialect::Mysql {
            MYSQL_RANK
        } else {
            SQLITE_RANK
        };
        self.path_template(template, path, 1)
    }

    /// SQLite and MySQL: the value at the path as SQL, for comparing with
    /// a value of `kind` (meaningful where the rank is that kind's).
    fn json_scalar(&self, path: &JsonPath, kind: Kind) -> Expr {
        let (template, uses) = match (self.dialect, kind) {
            (SqlDialect::Mysql, Kind::Number) => (MYSQL_NUMBER, 2),
            (SqlDialect::Mysql, Kind::String) => {
                ("CAST(JSON_UNQUOTE(JSON_EXTRACT(?, ?)) AS BINARY)", 1)
            }
            (SqlDialect::Mysql, _) => ("(JSON_UNQUOTE(JSON_EXTRACT(?, ?)) = 'true')", 1),
            _ => ("json_extract(?, ?)", 1),
        };
        self.path_template(template, path, uses)
    }

    /// A JSON scalar operand bound for comparing with [`Self::json_scalar`].
    fn json_operand(&self, json: &serde_json::Value) -> (Kind, Expr) {
        use serde_json::Value as Json;
        match json {
            Json::Null => (Kind::Null, Expr::cust("NULL")),
            Json::Bool(b) => (Kind::Boolean, Expr::val(i64::from(*b))),
            Json::Number(n) => (
                Kind::Number,
                match n.as_i64() {
                    Some(int) => Expr::val(int),
                    None => Expr::val(n.as_f64().unwrap_or_default()),
                },
            ),
            Json::String(text) if self.dialect == SqlDialect::Mysql => (
                Kind::String,
                self.custom("CAST(? AS BINARY)", vec![Expr::val(text.clone())]),
            ),
            Json::String(text) => (Kind::String, Expr::val(text.clone())),
            // Refused by the parser: containers are not compared.
            Json::Array(_) | Json::Object(_) => (Kind::Null, never()),
        }
    }

    /// `path op value` ([`Filter::Json`]).
    fn json_compare(&self, path: &JsonPath, op: Op, value: &Value) -> Expr {
        if let Err(problem) = check_path(self.entity, path) {
            self.fail(problem);
            return never();
        }
        if path.text {
            let text = Field::new(FieldType::Text);
            let name = path.to_string();
            return self.compare_with(&name, self.json_text(path), &text, op, value);
        }
        let items = match value {
            Value::List(items) => items.as_slice(),
            other => std::slice::from_ref(other),
        };
        match op {
            Op::Is => {
                let value = match self.dialect {
                    SqlDialect::Postgres => self.postgres_path(path, false),
                    _ => self.json_rank(path),
                };
                value.is_null()
            }
            Op::In | Op::Nin => {
                if items.is_empty() {
                    return if op == Op::In { never() } else { always() };
                }
                let equal: Vec<Expr> = items
                    .iter()
                    .map(|item| self.json_relation(path, Op::Eq, item))
                    .collect();
                let any = self.junction(false, equal);
                if op == Op::In {
                    return any;
                }
                let present = self.json_present(path);
                self.custom("(? AND NOT (?))", vec![present, any])
            }
            _ => self.json_relation(path, op, value),
        }
    }

    /// `(value at path) IS NOT NULL`.
    fn json_present(&self, path: &JsonPath) -> Expr {
        let value = match self.dialect {
            SqlDialect::Postgres => self.postgres_path(path, false),
            _ => self.json_rank(path),
        };
        value.is_not_null()
    }

    /// `=`, `<>`, `>`, `>=`, `<`, `<=` of the value at the path and one
    /// JSON scalar, in jsonb's order: PostgreSQL compares jsonb; SQLite
    /// and MySQL compare the type's rank, then values of one type.
    fn json_relation(&self, path: &JsonPath, op: Op, value: &Value) -> Expr {
        let Value::Json(json) = value else {
            self.fail(error(
                path.to_string(),
                format!("`{path}` compares a JSON value"),
            ));
            return never();
        };
        if self.dialect == SqlDialect::Postgres {
            let left = self.postgres_path(path, false);
            let right = self.custom("CAST(? AS jsonb)", vec![Expr::val(json.to_string())]);
            return comparison(left, op, right);
        }
        let symbol = match op {
            Op::Eq => "=",
            Op::Neq => "<>",
            Op::Gt => ">",
            Op::Gte => ">=",
            Op::Lt => "<",
            _ => "<=",
        };
        let (kind, operand) = self.json_operand(json);
        let rank = kind as u8;
        if kind == Kind::Null {
            // Null is the first type: only the ranks compare.
            return self.custom(&format!("? {symbol} {rank}"), vec![self.json_rank(path)]);
        }
        let scalar = self.json_scalar(path, kind);
        match op {
            Op::Eq => self.custom(
                &format!("(? = {rank} AND ? = ?)"),
                vec![self.json_rank(path), scalar, operand],
            ),
            Op::Neq => self.custom(
                &format!("(? IS NOT NULL AND NOT (? = {rank} AND ? = ?))"),
                vec![self.json_rank(path), self.json_rank(path), scalar, operand],
            ),
            _ => {
                let across = if matches!(op, Op::Gt | Op::Gte) {
                    ">"
                } else {
                    "<"
                };
                self.custom(
                    &format!("(? {across} {rank} OR (? = {rank} AND ? {symbol} ?))"),
                    vec![self.json_rank(path), self.json_rank(path), scalar, operand],
                )
            }
        }
    }

    /// The keys an `order` by a path sorts on: PostgreSQL the jsonb (or
    /// the `->>` text); SQLite and MySQL the type's rank, then the value
    /// (MySQL: numbers, then the text as bytes).
    fn json_order(&self, path: &JsonPath) -> Vec<Expr> {
        if path.text {
            return vec![self.json_text(path)];
        }
        match self.dialect {
            SqlDialect::Postgres => vec![self.postgres_path(path, false)],
            SqlDialect::Sqlite => vec![self.json_rank(path), self.json_scalar(path, Kind::Number)],
            SqlDialect::Mysql => vec![
                self.json_rank(path),
                self.json_scalar(path, Kind::Number),
                self.json_scalar(path, Kind::String),
            ],
        }
    }
}

/// A LIKE pattern whose last character is a lone escape (`abc\`): the
/// escape is doubled, so the pattern matches a literal `\` there
/// (PostgreSQL refuses the pattern otherwise).
fn closed_pattern(pattern: &str) -> String {
    let mut escaped = false;
    for c in pattern.chars() {
        escaped = !escaped && c == '\\';
    }
    if escaped {
        format!("{pattern}\\")
    } else {
        pattern.to_owned()
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

/// Whether a value holds a NUL character in a text or JSON string.
fn has_nul(value: &Value) -> bool {
    fn json_has_nul(json: &serde_json::Value) -> bool {
        match json {
            serde_json::Value::String(text) => text.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(json_has_nul),
            serde_json::Value::Object(object) => object
                .iter()
                .any(|(key, value)| key.contains('\0') || json_has_nul(value)),
            _ => false,
        }
    }
    match value {
        Value::Text(text) | Value::Decimal(text) => text.contains('\0'),
        Value::Json(json) => json_has_nul(json),
        Value::List(items) => items.iter().any(has_nul),
        _ => false,
    }
}

// ---- binding ----

impl Target<'_> {
    /// PostgreSQL cannot store NUL in text or JSON: a 400 naming the field
    /// instead of a database error.
    fn refuse_nul(&self, name: &str, value: &Value) {
        if self.dialect == SqlDialect::Postgres && has_nul(value) {
            self.fail(error(
                name,
                format!(
                    "`{name}` contains a NUL character (\\u0000), which PostgreSQL cannot store in text or JSON"
                ),
            ));
        }
    }

    /// `value` as a bound parameter for `field` (with a cast where the
    /// dialect needs one; see the module docs).
    fn bind(&self, name: &str, field: &Field, value: &Value) -> Expr {
        if matches!(value, Value::Null) {
            return Expr::cust("NULL");
        }
        match self.dialect {
            SqlDialect::Postgres => {
                self.refuse_nul(name, value);
                self.bind_postgres(name, field, value)
            }
            SqlDialect::Mysql => bind_mysql(field, value),
            SqlDialect::Sqlite => bind_sqlite(field, value),
        }
    }

    fn bind_postgres(&self, name: &str, field: &Field, value: &Value) -> Expr {
        match value {
            Value::Null => Expr::cust("NULL"),
            Value::Bool(b) => Expr::val(*b),
            Value::Int(i) => Expr::val(*i),
            Value::Float(f) => Expr::val(*f),
            Value::Bytes(bytes) => Expr::val(bytes.clone()),
            Value::Decimal(text) | Value::Text(text) => {
                let bound = Expr::val(text.clone());
                match field.ty {
                    FieldType::String | FieldType::Text | FieldType::ObjectId => bound,
                    _ => match self.postgres_type(name, field) {
                        Some(type_name) => self.cast(bound, &type_name),
                        None => bound,
                    },
                }
            }
            Value::Json(_) | Value::List(_) => {
                let json = json_of(value);
                if field.ty == FieldType::Array && !postgres_array_is_json(field) {
                    self.postgres_array(name, field, json)
                } else {
                    let bound = Expr::val(json);
                    match field.native.as_deref() {
                        Some(native) if native.eq_ignore_ascii_case("json") => {
                            self.cast(bound, "json")
                        }
                        _ => bound,
                    }
                }
            }
        }
    }

    /// `CAST(? AS type)`; `type_name` comes from [`Self::postgres_type`].
    fn cast(&self, value: Expr, type_name: &str) -> Expr {
        self.custom(&format!("CAST(? AS {type_name})"), vec![value])
    }

    /// A JSON array bound as one value and turned into a native array.
    fn postgres_array(&self, name: &str, field: &Field, json: serde_json::Value) -> Expr {
        let array_type = self
            .postgres_type(name, field)
            .unwrap_or_else(|| "text[]".to_owned());
        self.custom(
            &format!(
                "CAST(ARRAY(SELECT jsonb_array_elements_text(CAST(? AS jsonb))) AS {array_type})"
            ),
            vec![Expr::val(json)],
        )
    }

    /// The PostgreSQL type a bound text is cast to for `field` (`None`:
    /// bind it uncast).
    fn postgres_type(&self, name: &str, field: &Field) -> Option<String> {
        if let Some(native) = &field.native {
            return self.checked_type_name(name, native.clone());
        }
        let text = match field.ty {
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
                let Some(enum_name) = &field.enum_name else {
                    return Some("text".to_owned());
                };
                let declared = self.manifest.enums.get(enum_name);
                let type_name = declared
                    .and_then(|declared| declared.native.as_deref())
                    .unwrap_or(enum_name);
                let quoted = match declared.and_then(|declared| declared.schema.as_deref()) {
                    Some(schema) => format!("{}.{}", quoted(schema), quoted(type_name)),
                    None => quoted(type_name),
                };
                return self.checked_type_name(name, quoted);
            }
            FieldType::Array => {
                let items = field.items.as_deref()?;
                return self
                    .postgres_type(name, items)
                    .map(|items| format!("{items}[]"));
            }
            FieldType::Native => return None,
        };
        Some(text.to_owned())
    }

    /// A type name from the manifest spliced into a cast: letters, digits,
    /// `_`, spaces, `.`, `"`, `(`, `)`, `,`, `[`, `]` only (no quote that
    /// could end a literal, no `;`, no `?` or `$` that sea-query would read
    /// as a placeholder).
    fn checked_type_name(&self, name: &str, type_name: String) -> Option<String> {
        let fine = !type_name.is_empty()
            && type_name.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '_' | ' ' | '.' | '"' | '(' | ')' | ',' | '[' | ']')
            });
        if fine {
            Some(type_name)
        } else {
            self.fail(error(
                name,
                format!("the type `{type_name}` of `{name}` cannot be used in a cast"),
            ));
            None
        }
    }
}

/// One side of a [`Filter::Relate`] on `dialect`, `?` standing for the
/// field's column: the column as comparisons read it (PostgreSQL compares
/// enums and native types as text), or with `length` its length:
/// characters of a text, items of an array or of a json array (NULL for
/// other json values). Row-level security policies (`rules::rls`) render
/// the same SQL.
pub fn term_template(dialect: SqlDialect, field: &Field, length: bool) -> &'static str {
    if !length {
        return match (dialect, field.ty) {
            (SqlDialect::Postgres, FieldType::Enum | FieldType::Native) => "CAST(? AS text)",
            _ => "?",
        };
    }
    let json_array = field.ty == FieldType::Json
        || (field.ty == FieldType::Array
            && (dialect != SqlDialect::Postgres || postgres_array_is_json(field)));
    match (dialect, json_array) {
        (SqlDialect::Postgres, false) if field.ty == FieldType::Array => "cardinality(?)",
        (SqlDialect::Postgres, false) => "char_length(?)",
        (SqlDialect::Postgres, true) => {
            "(CASE WHEN jsonb_typeof(CAST(? AS jsonb)) = 'array' THEN jsonb_array_length(CAST(? AS jsonb)) END)"
        }
        (SqlDialect::Mysql, false) => "CHAR_LENGTH(?)",
        (SqlDialect::Mysql, true) => "(CASE WHEN JSON_TYPE(?) = 'ARRAY' THEN JSON_LENGTH(?) END)",
        (SqlDialect::Sqlite, false) => "length(?)",
        (SqlDialect::Sqlite, true) => {
            "(CASE WHEN json_type(?) = 'array' THEN json_array_length(?) END)"
        }
    }
}

/// Whether a PostgreSQL array field is stored as JSON rather than as a
/// native array.
fn postgres_array_is_json(field: &Field) -> bool {
    field.native.as_deref().is_some_and(|native| {
        native.eq_ignore_ascii_case("json") || native.eq_ignore_ascii_case("jsonb")
    })
}

/// A PostgreSQL identifier, always quoted (a type may be named `order`).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Values sqlx and rusqlite bind as themselves.
fn plain(field: &Field, value: &Value) -> Expr {
    match (value, field.ty) {
        (Value::Null, _) => Expr::cust("NULL"),
        (Value::Bool(b), _) => Expr::val(*b),
        (Value::Int(i), FieldType::Float32 | FieldType::Float64) => Expr::val(*i as f64),
        (Value::Int(i), _) => Expr::val(*i),
        (Value::Float(f), _) => Expr::val(*f),
        (Value::Bytes(bytes), _) => Expr::val(bytes.clone()),
        (other, _) => Expr::val(text_of(other)),
    }
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
        (T::Timestamptz, Value::Text(text)) => Expr::val(
            utc_timestamp(text)
                .map_or_else(|| text.clone(), |(date, time)| format!("{date} {time}")),
        ),
        (T::Timestamp, Value::Text(text)) => Expr::val(text.replacen('T', " ", 1)),
        (_, Value::Json(_) | Value::List(_)) => Expr::val(json_of(value).to_string()),
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
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
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
        let (sql, _) =
            select_by_key(SqlDialect::Postgres, &manifest, "e", &key, None, false).unwrap();
        assert_eq!(
            sql,
            r#"SELECT CAST("co""l" AS text), CAST("status" AS text) FROM "we""ird" WHERE "co""l" = $1"#
        );
        let values = IndexMap::from([("status".to_owned(), Value::Text("a".into()))]);
        let (sql, _) =
            update_by_key(SqlDialect::Postgres, &manifest, "e", &key, None, &values).unwrap();
        assert!(
            sql.contains(r#"SET "status" = CAST($1 AS "order")"#),
            "{sql}"
        );
        let (sql, _) = select_by_key(SqlDialect::Mysql, &manifest, "e", &key, None, true).unwrap();
        assert_eq!(
            sql,
            "SELECT CAST(`co\"l` AS CHAR), CAST(`status` AS CHAR) FROM `we\"ird` WHERE `co\"l` = ? FOR UPDATE"
        );
    }

    #[test]
    fn like_patterns_become_case_sensitive_globs() {
        assert_eq!(like_to_glob("50\\%_a*[b]?%"), "50%?a[*][[]b][?]*");
        assert_eq!(like_to_glob("a\\_\\\\"), "a_\\");
    }

    #[test]
    fn a_lone_trailing_escape_matches_a_backslash() {
        assert_eq!(closed_pattern("abc\\"), "abc\\\\");
        assert_eq!(closed_pattern("abc\\\\"), "abc\\\\");
        assert_eq!(closed_pattern("a\\%"), "a\\%");
        assert_eq!(closed_pattern("\\\\\\"), "\\\\\\\\");
    }

    #[test]
    fn the_builders_refuse_a_filter_deeper_than_they_recurse() {
        let mut manifest = Manifest::default();
        let mut entity = Entity::new("t");
        entity.primary_key = vec!["id".into()];
        entity
            .fields
            .insert("id".into(), Field::new(FieldType::Int64));
        manifest.entities.insert("t".into(), entity);
        let mut filter = Filter::Compare {
            field: "id".into(),
            op: Op::Eq,
            value: Value::Int(1),
        };
        for _ in 0..MAX_BUILD_DEPTH {
            filter = Filter::Not(Box::new(filter));
        }
        let built = count(SqlDialect::Sqlite, &manifest, "t", Some(&filter));
        assert_eq!(built.unwrap_err().at, "filter");
        let Filter::Not(shallower) = filter else {
            unreachable!()
        };
        assert!(count(SqlDialect::Sqlite, &manifest, "t", Some(&shallower)).is_ok());
    }

    #[test]
    fn junctions_are_balanced_and_flat() {
        let mut template = String::new();
        balanced(&mut template, 3, " OR ");
        assert_eq!(template, "(?) OR (?) OR (?)");
        let mut template = String::new();
        balanced(&mut template, 20, " OR ");
        assert_eq!(template.matches('?').count(), 20);
        assert!(template.starts_with("(((?) OR"), "{template}");
    }
}
