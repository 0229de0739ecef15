//! View columns derived from a dump's view queries.
//!
//! A server derives a view's columns from its query; a dump only has the
//! query. Once the builder has made the manifest (tables complete), each
//! view's `SELECT` is resolved against the manifest's entities (tables,
//! aliases, joins, simple subqueries in `FROM`, earlier views) and every
//! select item is typed the way the server would type it:
//!
//! - column references (`a.col`, `col`, `a.*`, `*`) keep the column's type;
//! - PostgreSQL: `||` gives `text`, `x::T` gives `T`, `count` gives
//!   `int64`, `sum`/`avg` follow the server's result types, user aggregates
//!   give their `STYPE`, `CASE` gives the type of its branches, and every
//!   view column is nullable;
//! - MariaDB (what the importer declares itself to be): `CONCAT` gives a
//!   `varchar` as long as its parts together, `IF` on two string literals a
//!   `varchar` as long as the longer one, `SUM(decimal(p,s))` gives
//!   `decimal(p+22,s)`, `GROUP_CONCAT` gives `mediumtext` (the default
//!   `group_concat_max_len` of 1M characters), `COUNT` a `bigint` (the
//!   rest in `view_columns/mariadb.rs`), and a
//!   column keeps its nullability unless it comes from the outer side of an
//!   outer join.
//!
//! An expression that cannot be typed with certainty is not guessed: the
//! view keeps no fields and its `view_columns` ledger entry names the
//! columns that could not be typed.

use std::cell::RefCell;
use std::collections::HashMap;

use indexmap::IndexMap;
use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident,
    JoinOperator, ObjectName, Query, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    TableAliasColumnDef, TableFactor, TableWithJoins, Value,
};

mod mariadb;
mod postgres;

use super::SqlDialect;
use crate::ledger::Ledger;
use crate::manifest::{Entity, Field, FieldType, IndexPart, Manifest};

/// The type a cast to `CHAR` that names a character set is read as:
/// `CAST(x AS CHAR(20) CHARSET latin1)` as `CAST(x AS
/// baas_char_charset(latin1, 20))`, which sqlparser reads.
pub(super) const CHARSET_CAST: &str = "baas_char_charset";

/// What a dump says besides its tables that view typing needs.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// User aggregates (lower-case name) and their state type (`STYPE`).
    pub aggregates: HashMap<String, String>,
    /// User functions (lower-case name) and their result type; `None`
    /// when functions of that name return different types.
    pub functions: HashMap<String, Option<String>>,
    /// MariaDB: the collation a text column has when its table says
    /// nothing; a view column with another one names it (`collation`).
    pub default_collation: Option<String>,
    /// MariaDB: the connection's collation each view (by name) was made
    /// with, which its string literals take.
    pub view_connections: HashMap<String, String>,
}

/// Derives the fields of `views` (name and query, in dump order) into the
/// manifest; a view that cannot be fully typed gets a `view_columns` ledger
/// entry instead.
pub fn derive_views(
    manifest: &mut Manifest,
    ledger: &mut Ledger,
    views: &[(String, Query)],
    engine: SqlDialect,
    hints: &Hints,
) {
    for (position, (name, query)) in views.iter().enumerate() {
        // A dump may make a view twice (a stand-in, then its query): the
        // last one is the view.
        if views[position + 1..].iter().any(|(later, _)| later == name) {
            continue;
        }
        let context = Context {
            engine,
            manifest,
            hints,
            connection: hints.view_connections.get(name).map(String::as_str),
            ctes: RefCell::default(),
        };
        let result = context.query(query);
        let Some(key) = manifest
            .entities
            .iter()
            .find(|(_, e)| e.table == *name)
            .map(|(key, _)| key.clone())
        else {
            continue;
        };
        match result {
            Ok(fields) => {
                if let Some(entity) = manifest.entities.get_mut(&key) {
                    for index in &mut entity.indexes {
                        for part in &mut index.fields {
                            if let IndexPart::Expression { sql, order } = part
                                && fields.contains_key(sql.as_str())
                            {
                                *part = IndexPart::Field {
                                    field: sql.clone(),
                                    order: order.take(),
                                    collation: None,
                                    prefix_length: None,
                                };
                            }
                        }
                    }
                    entity.fields = fields;
                }
            }
            Err(unknown) if unknown.is_empty() => ledger.record(
                name.as_str(),
                "view_columns",
                format!(
                    "the columns of view `{name}` are not known from the dump: its query is beyond what the importer follows"
                ),
            ),
            Err(unknown) => ledger.record(
                name.as_str(),
                "view_columns",
                format!(
                    "the columns of view `{name}` are not known from the dump: the type of {} cannot be derived from the query",
                    unknown
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
}

/// One relation of a `FROM` clause.
struct Source {
    name: String,
    fields: IndexMap<String, Field>,
    /// On the outer side of an outer join: every column may be null.
    outer: bool,
}

struct Context<'a> {
    engine: SqlDialect,
    manifest: &'a Manifest,
    hints: &'a Hints,
    /// The collation of the connection the view was made with.
    connection: Option<&'a str>,
    /// The `WITH` queries in scope, innermost last.
    ctes: RefCell<Vec<(String, IndexMap<String, Field>)>>,
}

impl Context<'_> {
    /// The columns of a query; `Err` with the columns that could not be
    /// typed (none when the query itself is not followed).
    fn query(&self, query: &Query) -> Result<IndexMap<String, Field>, Vec<String>> {
        let Some(with) = &query.with else {
            return self.body(&query.body);
        };
        if with.recursive {
            return Err(Vec::new());
        }
        let depth = self.ctes.borrow().len();
        let mut result = Ok(());
        for cte in &with.cte_tables {
            let fields = match self.query(&cte.query) {
                Ok(fields) => fields,
                Err(_) => {
                    result = Err(Vec::new());
                    break;
                }
            };
            let Some(fields) = self.renamed(fields, &cte.alias.columns) else {
                result = Err(Vec::new());
                break;
            };
            let name = self.ident(&cte.alias.name);
            self.ctes.borrow_mut().push((name, fields));
        }
        let fields = result.and_then(|()| self.body(&query.body));
        self.ctes.borrow_mut().truncate(depth);
        fields
    }

    /// `fields` under the column names of an alias (`AS t(a, b)`), if any.
    fn renamed(
        &self,
        fields: IndexMap<String, Field>,
        columns: &[TableAliasColumnDef],
    ) -> Option<IndexMap<String, Field>> {
        if columns.is_empty() {
            return Some(fields);
        }
        if columns.len() > fields.len() || columns.iter().any(|c| c.data_type.is_some()) {
            return None;
        }
        let mut renamed = IndexMap::new();
        for (index, (name, field)) in fields.into_iter().enumerate() {
            let name = columns.get(index).map_or(name, |c| self.ident(&c.name));
            renamed.insert(name, field);
        }
        Some(renamed)
    }

    /// The columns of a query body: a `SELECT`, a parenthesized query or a
    /// set operation, whose columns are named by its first branch and
    /// typed by the engine's rule for unions.
    fn body(&self, body: &SetExpr) -> Result<IndexMap<String, Field>, Vec<String>> {
        let select = match body {
            SetExpr::Select(select) => select,
            SetExpr::Query(inner) => return self.query(inner),
            SetExpr::SetOperation { left, right, .. } => {
                let left = self.body(left)?;
                let right = self.body(right).map_err(|_| Vec::new())?;
                if left.len() != right.len() {
                    return Err(Vec::new());
                }
                let mut fields = IndexMap::new();
                let mut unknown = Vec::new();
                for ((name, a), b) in left.into_iter().zip(right.into_values()) {
                    match self.union(&a, &b) {
                        Some(field) => {
                            fields.insert(name, field);
                        }
                        None => unknown.push(name),
                    }
                }
                return if unknown.is_empty() {
                    Ok(fields)
                } else {
                    Err(unknown)
                };
            }
            _ => return Err(Vec::new()),
        };
        let mut sources = Vec::new();
        for from in &select.from {
            self.from(from, &mut sources).ok_or_else(Vec::new)?;
        }
        let mut fields = IndexMap::new();
        let mut unknown = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    let name = self.default_name(expr);
                    match self.expr(expr, &sources) {
                        Some(field) => {
                            fields.insert(name, field);
                        }
                        None => unknown.push(name),
                    }
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let name = self.ident(alias);
                    match self.expr(expr, &sources) {
                        Some(field) => {
                            fields.insert(name, field);
                        }
                        None => unknown.push(name),
                    }
                }
                SelectItem::Wildcard(_) => {
                    for source in &sources {
                        for (name, field) in &source.fields {
                            fields.insert(name.clone(), self.column(field, source.outer));
                        }
                    }
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(o),
                    _,
                ) => {
                    let qualifier = self.last(o).ok_or_else(Vec::new)?;
                    let source = sources
                        .iter()
                        .find(|s| self.same(&s.name, &qualifier))
                        .ok_or_else(Vec::new)?;
                    for (name, field) in &source.fields {
                        fields.insert(name.clone(), self.column(field, source.outer));
                    }
                }
                _ => return Err(Vec::new()),
            }
        }
        // MariaDB: aggregates without `GROUP BY` make one row even of no
        // rows, where every column but a count is null.
        let grouped =
            !matches!(&select.group_by, GroupByExpr::Expressions(list, _) if list.is_empty());
        let items: Vec<&Expr> = select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                    Some(expr)
                }
                _ => None,
            })
            .collect();
        if matches!(self.engine, SqlDialect::Mysql)
            && !grouped
            && items.iter().any(|e| has_aggregate(e))
        {
            for (field, expr) in fields.values_mut().zip(&items) {
                let count = matches!(expr, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("count"));
                field.nullable |= !count;
            }
        }
        if unknown.is_empty() {
            Ok(fields)
        } else {
            Err(unknown)
        }
    }

    /// Adds the relations of one `FROM` item; `None` when one is unknown.
    fn from(&self, from: &TableWithJoins, sources: &mut Vec<Source>) -> Option<()> {
        self.factor(&from.relation, false, sources)?;
        for join in &from.joins {
            let (left_outer, right_outer) = match &join.join_operator {
                JoinOperator::Join(_)
                | JoinOperator::Inner(_)
                | JoinOperator::CrossJoin(_)
                | JoinOperator::StraightJoin(_) => (false, false),
                JoinOperator::Left(_) | JoinOperator::LeftOuter(_) => (false, true),
                JoinOperator::Right(_) | JoinOperator::RightOuter(_) => (true, false),
                JoinOperator::FullOuter(_) => (true, true),
                _ => return None,
            };
            if left_outer {
                for source in sources.iter_mut() {
                    source.outer = true;
                }
            }
            self.factor(&join.relation, right_outer, sources)?;
        }
        Some(())
    }

    fn factor(&self, factor: &TableFactor, outer: bool, sources: &mut Vec<Source>) -> Option<()> {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if args.is_some() {
                    return None;
                }
                let table = self.last(name)?;
                let cte = (name.0.len() == 1)
                    .then(|| {
                        self.ctes
                            .borrow()
                            .iter()
                            .rev()
                            .find(|(cte, _)| self.same(cte, &table))
                            .map(|(_, fields)| fields.clone())
                    })
                    .flatten();
                if let Some(fields) = cte {
                    let name = match alias {
                        Some(alias) => self.ident(&alias.name),
                        None => table,
                    };
                    let fields =
                        self.renamed(fields, alias.as_ref().map_or(&[], |a| &a.columns))?;
                    sources.push(Source {
                        name,
                        fields,
                        outer,
                    });
                    return Some(());
                }
                let entity = self
                    .manifest
                    .entities
                    .values()
                    .find(|e| match self.engine {
                        SqlDialect::Postgres => e.table == table,
                        SqlDialect::Mysql | SqlDialect::Sqlite => {
                            e.table.eq_ignore_ascii_case(&table)
                        }
                    })?;
                if entity.fields.is_empty() {
                    return None;
                }
                let name = match alias {
                    Some(alias) if alias.columns.is_empty() => self.ident(&alias.name),
                    Some(_) => return None,
                    None => table,
                };
                let fields = match self.engine {
                    SqlDialect::Mysql => entity
                        .fields
                        .iter()
                        .map(|(name, field)| (name.clone(), self.collated(entity, field)))
                        .collect(),
                    SqlDialect::Postgres | SqlDialect::Sqlite => entity.fields.clone(),
                };
                sources.push(Source {
                    name,
                    fields,
                    outer,
                });
                Some(())
            }
            TableFactor::Derived {
                lateral: false,
                subquery,
                alias: Some(alias),
                ..
            } => {
                let fields = self.query(subquery).ok()?;
                let fields = self.renamed(fields, &alias.columns)?;
                sources.push(Source {
                    name: self.ident(&alias.name),
                    fields,
                    outer,
                });
                Some(())
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => {
                let mut inner = Vec::new();
                self.from(table_with_joins, &mut inner)?;
                for mut source in inner {
                    source.outer |= outer;
                    sources.push(source);
                }
                Some(())
            }
            _ => None,
        }
    }

    /// The column of a set operation whose branches give `a` and `b`.
    fn union(&self, a: &Field, b: &Field) -> Option<Field> {
        match self.engine {
            SqlDialect::Postgres => postgres::common_type(&[
                postgres::PgType::of_field(a),
                postgres::PgType::of_field(b),
            ])?
            .to_field(),
            SqlDialect::Mysql | SqlDialect::Sqlite => self.mariadb_union(a, b),
        }
    }

    /// MariaDB: `field` of `entity` with the collation it has there (its
    /// own, else its table's), as a view over it reports it: written when
    /// it is not the server's default one.
    fn collated(&self, entity: &Entity, field: &Field) -> Field {
        let mut field = field.clone();
        let text = match field.ty {
            FieldType::String | FieldType::Text | FieldType::Enum | FieldType::Json => true,
            // A SET of members.
            FieldType::Array => field
                .items
                .as_ref()
                .is_some_and(|items| items.ty == FieldType::Enum),
            FieldType::Native => field
                .native
                .as_deref()
                .is_some_and(|native| native.contains("char") || native.contains("text")),
            _ => false,
        };
        if text {
            field.collation = field
                .collation
                .take()
                .or_else(|| entity.collation.clone())
                .filter(|collation| Some(collation) != self.hints.default_collation.as_ref());
        }
        field
    }

    /// An identifier as the server stores it: PostgreSQL folds unquoted
    /// names to lower case.
    fn ident(&self, ident: &Ident) -> String {
        match (self.engine, ident.quote_style) {
            (SqlDialect::Postgres, None) => ident.value.to_lowercase(),
            _ => ident.value.clone(),
        }
    }

    fn last(&self, name: &ObjectName) -> Option<String> {
        name.0.last()?.as_ident().map(|i| self.ident(i))
    }

    fn same(&self, a: &str, b: &str) -> bool {
        match self.engine {
            SqlDialect::Postgres => a == b,
            SqlDialect::Mysql | SqlDialect::Sqlite => a.eq_ignore_ascii_case(b),
        }
    }

    /// The column name a server gives an unaliased select item.
    fn default_name(&self, expr: &Expr) -> String {
        match (self.engine, expr) {
            (_, Expr::Identifier(ident)) => self.ident(ident),
            (_, Expr::CompoundIdentifier(parts)) => {
                parts.last().map(|i| self.ident(i)).unwrap_or_default()
            }
            (SqlDialect::Postgres, Expr::Function(function)) => {
                self.last(&function.name).unwrap_or_default()
            }
            (SqlDialect::Postgres, Expr::Cast { expr, .. } | Expr::Nested(expr)) => {
                self.default_name(expr)
            }
            (SqlDialect::Postgres, _) => "?column?".to_owned(),
            (SqlDialect::Mysql | SqlDialect::Sqlite, _) => expr.to_string(),
        }
    }

    /// A table column as a view column: the type, without what only the
    /// table has.
    fn column(&self, field: &Field, outer: bool) -> Field {
        let mut column = field.clone();
        column.column = None;
        column.default = None;
        column.on_update = None;
        column.generated = None;
        column.unique = false;
        column.comment = None;
        column.nullable = match self.engine {
            // Views report `attnotnull = false` for every column.
            SqlDialect::Postgres => true,
            SqlDialect::Mysql | SqlDialect::Sqlite => field.nullable || outer,
        };
        column
    }

    /// The column a (possibly qualified) name refers to.
    fn reference(&self, parts: &[Ident], sources: &[Source]) -> Option<Field> {
        let (qualifier, name) = match parts {
            [name] => (None, self.ident(name)),
            [.., qualifier, name] => (Some(self.ident(qualifier)), self.ident(name)),
            [] => return None,
        };
        let mut found = sources
            .iter()
            .filter(|s| qualifier.as_ref().is_none_or(|q| self.same(&s.name, q)))
            .filter_map(|s| {
                s.fields
                    .iter()
                    .find(|(n, _)| self.same(n, &name))
                    .map(|(_, f)| self.column(f, s.outer))
            });
        let field = found.next()?;
        // An ambiguous name is an error on the server.
        found.next().is_none().then_some(field)
    }

    fn expr(&self, expr: &Expr, sources: &[Source]) -> Option<Field> {
        match expr {
            Expr::Identifier(ident) => self.reference(std::slice::from_ref(ident), sources),
            Expr::CompoundIdentifier(parts) => self.reference(parts, sources),
            Expr::Nested(inner) => self.expr(inner, sources),
            _ => match self.engine {
                SqlDialect::Postgres => self.pg_type(expr, sources)?.to_field(),
                SqlDialect::Mysql => self
                    .my_type(expr, sources)
                    .and_then(|t| t.to_field())
                    .or_else(|| self.mariadb(expr, sources)),
                SqlDialect::Sqlite => self.mariadb(expr, sources),
            },
        }
    }

    /// The arguments of a plain function call, `None` for `*` or others.
    fn arguments<'e>(&self, args: &'e FunctionArguments) -> Option<Vec<&'e Expr>> {
        match args {
            FunctionArguments::List(list) => list
                .args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr),
                    _ => None,
                })
                .collect(),
            FunctionArguments::None => Some(Vec::new()),
            FunctionArguments::Subquery(_) => None,
        }
    }

    fn mariadb(&self, expr: &Expr, sources: &[Source]) -> Option<Field> {
        let string = |length: u32, nullable: bool| {
            let mut field = Field::new(FieldType::String);
            field.max_length = Some(length);
            field.nullable = nullable;
            field
        };
        match expr {
            Expr::Function(function) => {
                if function.over.is_some() {
                    return None;
                }
                let name = self.last(&function.name)?.to_ascii_lowercase();
                match name.as_str() {
                    "concat" => {
                        let args = self.arguments(&function.args)?;
                        let mut length = 0u32;
                        let mut collations = Vec::new();
                        for arg in &args {
                            length = length.checked_add(self.string_length(arg, sources)?)?;
                            if literal(arg).is_none() {
                                collations.push(self.expr(arg, sources)?.collation);
                            }
                        }
                        // Longer results may be reported as a text type.
                        // CONCAT is always nullable: it gives NULL past
                        // `max_allowed_packet`.
                        let mut field = (length <= 512).then(|| string(length, true))?;
                        // The columns' collation when they agree (literals
                        // take theirs), else the literals'; columns that
                        // disagree are not guessed.
                        field.collation = match collations.split_first() {
                            Some((first, rest)) if rest.iter().all(|c| c == first) => first.clone(),
                            Some(_) => return None,
                            None => self.literal_collation(args.first()?),
                        };
                        Some(field)
                    }
                    "if" => {
                        let args = self.arguments(&function.args)?;
                        let [_, then, otherwise] = args.as_slice() else {
                            return None;
                        };
                        let collation = self.literal_collation(then);
                        let then = literal(then)?;
                        let otherwise = literal(otherwise)?;
                        let length = then.chars().count().max(otherwise.chars().count());
                        let mut field = string(u32::try_from(length).ok()?, false);
                        field.collation = collation;
                        Some(field)
                    }
                    "sum" => {
                        let args = self.arguments(&function.args)?;
                        let [arg] = args.as_slice() else {
                            return None;
                        };
                        let field = self.expr(arg, sources)?;
                        if field.ty != FieldType::Decimal || field.native.is_some() {
                            return None;
                        }
                        let mut sum = Field::new(FieldType::Decimal);
                        sum.precision = Some(field.precision?.saturating_add(22).min(65));
                        sum.scale = Some(field.scale?);
                        sum.nullable = true;
                        Some(sum)
                    }
                    "group_concat" => {
                        let mut field = Field::new(FieldType::Text);
                        field.native = Some("mediumtext".to_owned());
                        field.nullable = true;
                        Some(field)
                    }
                    "count" => Some(Field::new(FieldType::Int64)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// MariaDB: the column of a union of columns `a` and `b`.
    fn mariadb_union(&self, a: &Field, b: &Field) -> Option<Field> {
        let mut field = a.clone();
        field.nullable |= b.nullable;
        let mut other = b.clone();
        other.nullable = field.nullable;
        if field == other {
            return Some(field);
        }
        self.my_aggregate(
            &[mariadb::MyType::of_field(a), mariadb::MyType::of_field(b)],
            field.nullable,
        )?
        .to_field()
    }

    /// MariaDB: the collation of a string literal, when not the server's
    /// default one: its character set's (`_latin1'x'`), else the
    /// connection's the view was made with.
    fn literal_collation(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Prefixed { prefix, .. } => {
                self.charset_collation(prefix.value.trim_start_matches('_'))
            }
            _ => self.connection_collation(),
        }
    }

    /// MariaDB: the collation of the connection the view was made with,
    /// when not the server's default one.
    fn connection_collation(&self) -> Option<String> {
        self.connection
            .map(str::to_owned)
            .filter(|collation| Some(collation) != self.hints.default_collation.as_ref())
    }

    /// MariaDB: the default collation of `charset`, when not the server's
    /// default one.
    fn charset_collation(&self, charset: &str) -> Option<String> {
        Some(crate::dialect::mysql::default_collation(charset))
            .filter(|collation| Some(collation) != self.hints.default_collation.as_ref())
    }

    /// The length in characters of a string operand of `CONCAT`.
    fn string_length(&self, expr: &Expr, sources: &[Source]) -> Option<u32> {
        if let Some(text) = literal(expr) {
            return u32::try_from(text.chars().count()).ok();
        }
        let field = self.expr(expr, sources)?;
        match (field.ty, field.native.as_deref()) {
            (FieldType::String, None) => field.max_length,
            // A `char(n)` counts its `n` characters.
            (FieldType::String, Some(native)) if native.starts_with("char(") => field.max_length,
            _ => None,
        }
    }
}

/// Whether `op` compares or combines truth values (a boolean result).
fn comparison(op: &BinaryOperator) -> bool {
    use BinaryOperator as B;
    matches!(
        op,
        B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::And | B::Or | B::Xor
    )
}

/// Whether `expr` calls an aggregate function (outside a subquery).
fn has_aggregate(expr: &Expr) -> bool {
    match expr {
        Expr::Function(function) => {
            let name = function.name.to_string().to_ascii_lowercase();
            let aggregate = function.over.is_none()
                && matches!(
                    name.as_str(),
                    "count"
                        | "sum"
                        | "avg"
                        | "min"
                        | "max"
                        | "group_concat"
                        | "bit_and"
                        | "bit_or"
                        | "bit_xor"
                        | "std"
                        | "stddev"
                        | "stddev_pop"
                        | "stddev_samp"
                        | "variance"
                        | "var_pop"
                        | "var_samp"
                        | "json_arrayagg"
                        | "json_objectagg"
                );
            aggregate
                || match &function.args {
                    FunctionArguments::List(list) => list.args.iter().any(|arg| {
                        matches!(arg, FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if has_aggregate(e))
                    }),
                    _ => false,
                }
        }
        Expr::BinaryOp { left, right, .. } => has_aggregate(left) || has_aggregate(right),
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) | Expr::Cast { expr, .. } => {
            has_aggregate(expr)
        }
        _ => false,
    }
}

/// A string literal, with or without a character set introducer.
fn literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::SingleQuotedString(text) => Some(text),
            _ => None,
        },
        Expr::Prefixed { value, .. } => literal(value),
        _ => None,
    }
}
