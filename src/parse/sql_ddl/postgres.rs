//! PostgreSQL dumps (`pg_dump` output and hand-written DDL): each statement
//! is parsed with sqlparser and turned into the catalog rows a server would
//! report after loading the dump, and those rows go through the live
//! introspector's builder ([`crate::introspect::postgres::build`]), so that a
//! dump and the database it came from give the same manifest. What the
//! server would add on its own is added here too: `NOT NULL` on primary-key
//! columns and the names of unnamed constraints.
//!
//! What a dump cannot tell without a server: the columns of views (the
//! server derives them from the query; the ledger says so), and the
//! normalized text the server prints for expressions (defaults, checks,
//! index predicates and view queries are kept as the dump writes them, with
//! the first schema's qualification removed).

use std::collections::HashMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ArrayElemTypeDef, ColumnOption, CommentObject,
    ConstraintCharacteristics, CreateTableOptions, DataType, DeferrableInitial, Expr, GeneratedAs,
    IndexColumn, NullsDistinctOption, ObjectName, OrderBySort, ReferentialAction, ReplicaIdentity,
    SequenceOptions, SqlOption, Statement as Ast, TableConstraint, UserDefinedTypeRangeOption,
    UserDefinedTypeRepresentation,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

mod access;
mod routine;

use super::view_columns::{Hints, derive_views};
use super::written;
use super::{Skipped, SqlDialect, Statement, report_skipped};
use crate::dialect::postgres::{default_name, partition_bound_in_utc};
use crate::dialect::postgres::{domain_without_null, quote_identifier};
use crate::introspect::postgres::{
    Catalog, ColumnRow, ConstraintRow, DependencyRow, IndexRow, OtherObjectRow, RelationRow,
    RoutineRow, SequenceRow, TriggerRow, TypeRow, build, collated_key, object_statement,
    record_unread_trigger, requested_schemas,
};
use crate::ledger::Ledger;
use crate::manifest::{Diagnostics, EntityKind, Extension, Problem, ProblemKind};
use crate::parse::SourceFile;
use crate::source::{IntrospectOptions, Introspection};
use crate::ui::Progress;

/// The schema whose objects keep their bare names (`pg_dump` qualifies all).
const FIRST_SCHEMA: &str = "public";

/// `VARHDRSZ`: type modifiers of lengths and numerics are offset by it.
const VARHDRSZ: i32 = 4;

/// An `interval` type modifier's range (`INTERVAL_RANGE`) when it has no
/// fields.
const INTERVAL_FULL_RANGE: i32 = 0x7fff;
/// An `interval` type modifier's precision when it has none.
const INTERVAL_FULL_PRECISION: i32 = 0xffff;

/// The range bits of `interval [fields]` (`interval day to second`) as the
/// server packs them in the type modifier; `None` for another type.
fn interval_range(text: &str) -> Option<i32> {
    const MONTH: i32 = 1 << 1;
    const YEAR: i32 = 1 << 2;
    const DAY: i32 = 1 << 3;
    const HOUR: i32 = 1 << 10;
    const MINUTE: i32 = 1 << 11;
    const SECOND: i32 = 1 << 12;
    Some(match text.strip_prefix("interval")?.trim() {
        "" => INTERVAL_FULL_RANGE,
        "year" => YEAR,
        "month" => MONTH,
        "day" => DAY,
        "hour" => HOUR,
        "minute" => MINUTE,
        "second" => SECOND,
        "year to month" => YEAR | MONTH,
        "day to hour" => DAY | HOUR,
        "day to minute" => DAY | HOUR | MINUTE,
        "day to second" => DAY | HOUR | MINUTE | SECOND,
        "hour to minute" => HOUR | MINUTE,
        "hour to second" => HOUR | MINUTE | SECOND,
        "minute to second" => MINUTE | SECOND,
        _ => return None,
    })
}

/// Reads a PostgreSQL dump into a manifest.
pub fn import(
    file: &SourceFile,
    statements: &[Statement],
    project: Option<String>,
    options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let mut schema = Schema::default();
    let mut skipped = Vec::new();
    let mut ledger = Ledger::new();
    let mut views = Vec::new();
    let mut hints = Hints::default();
    let mut read = 0usize;
    let mut extensions = Vec::new();
    let mut created_schemas = Vec::new();
    let mut access = access::Access::default();
    for statement in statements {
        if super::give_up(read, &skipped) {
            break;
        }
        if let Some(extension) = extension_of(statement) {
            // Older `pg_dump`s write plpgsql, which every database has:
            // live introspection does not read it either.
            if extension.0 != "plpgsql" {
                extensions.push(extension);
            }
            continue;
        }
        if let Some(name) = created_schema(statement) {
            created_schemas.push(name);
        }
        access.note(statement, |schema_name, name| {
            schema
                .sequences
                .iter()
                .any(|s| s.schema == schema_name && s.name == name)
        });
        if is_housekeeping(statement) {
            continue;
        }
        if let Some((name, state)) = aggregate_state_type(statement) {
            hints.aggregates.insert(name, state);
        }
        if let Some((name, result)) = function_result_type(statement) {
            hints
                .functions
                .entry(name)
                .and_modify(|known| {
                    if known.as_ref() != Some(&result) {
                        *known = None;
                    }
                })
                .or_insert(Some(result));
        }
        if schema.note_object(statement)
            || schema.note_routine(statement)
            || schema.attach_partition(statement)
            || schema.attach_index(statement)
            || schema.not_null_constraint(statement)
            || schema.column_setting(statement)
            || schema.constraint_comment(statement)
            || schema.object_comment(statement)
        {
            continue;
        }
        if let Some(result) = schema.alter_sequence(statement) {
            if let Err(reason) = result {
                skipped.push(Skipped {
                    span: statement.span.clone(),
                    reason,
                    unparsable: false,
                });
            }
            continue;
        }
        let columns = postgres18_columns(statement);
        match Parser::parse_sql(&PostgreSqlDialect {}, &readable_text(statement, &columns)) {
            Ok(parsed) => {
                read += 1;
                for ast in parsed {
                    if let Ast::CreateView(view) = &ast {
                        views.push((split_name(&view.name).1, (*view.query).clone()));
                    }
                    if let Err(reason) = schema.apply(ast, &statement.text, &columns, &mut ledger) {
                        skipped.push(Skipped {
                            span: statement.span.clone(),
                            reason,
                            unparsable: false,
                        });
                    }
                }
            }
            Err(error) => skipped.push(Skipped {
                span: statement.span.clone(),
                reason: format!("could not parse this statement: {error}"),
                unparsable: true,
            }),
        }
    }
    let schemas = schemas_to_read(file, options)?;
    let mut catalog = schema.into_catalog(project.unwrap_or_default());
    catalog.access = access.rows;
    // A view's columns are derived from what it selects, in whichever
    // schema (live introspection reads them from the catalog).
    let mut everything = build(&catalog, &schemas, &Progress::hidden());
    let mut view_ledger = Ledger::new();
    derive_views(
        &mut everything.manifest,
        &mut view_ledger,
        &views,
        SqlDialect::Postgres,
        &hints,
    );
    keep_schemas(&mut catalog, &schemas, &created_schemas, &mut ledger);
    let mut introspection = build(&catalog, &schemas, &Progress::hidden());
    for (key, entity) in &mut introspection.manifest.entities {
        if let Some(derived) = everything.manifest.entities.get(key)
            && entity.kind != EntityKind::Table
        {
            entity.fields = derived.fields.clone();
            entity.indexes = derived.indexes.clone();
        }
    }
    for entry in view_ledger.entries() {
        if introspection.manifest.entities.contains_key(&entry.object) {
            ledger.record(
                entry.object.clone(),
                entry.kind.clone(),
                entry.message.clone(),
            );
        }
    }
    introspection.ledger.extend(ledger);
    for (name, extension) in extensions {
        introspection
            .manifest
            .postgres
            .extensions
            .insert(name, extension);
    }
    report_skipped(file, skipped, &mut introspection, options.strict)?;
    Ok(introspection)
}

/// The schemas a dump is read for, as live introspection reads a database:
/// `--schema` (in order, each once), `public` when none is given. Names
/// outside the first schema are written qualified, as the server prints
/// them with `public` first on its search path: another first schema is an
/// error.
fn schemas_to_read(
    file: &SourceFile,
    options: &IntrospectOptions,
) -> Result<Vec<String>, Diagnostics> {
    let schemas = requested_schemas(options);
    if schemas[0] != FIRST_SCHEMA {
        let problem = Problem::new(
            ProblemKind::SourceUnsupported,
            "",
            format!(
                "a PostgreSQL dump is read with `{FIRST_SCHEMA}` as its first schema, not `{}`",
                schemas[0]
            ),
        )
        .with_help(format!(
            "pass `--schema {FIRST_SCHEMA}` first (`--schema {FIRST_SCHEMA} --schema {}`), or introspect \
             the database itself",
            schemas[0]
        ));
        return Err(file.diagnostics(vec![problem]));
    }
    Ok(schemas)
}

/// Leaves in `catalog` what live introspection of `schemas` reads: their
/// relations (with their columns, keys, indexes, triggers, rules and
/// policies), functions, sequences and types, and the types those use
/// from elsewhere. Each other schema the dump creates (`created`) or has
/// objects in is named in the ledger.
fn keep_schemas(
    catalog: &mut Catalog,
    schemas: &[String],
    created: &[String],
    ledger: &mut Ledger,
) {
    let read = |schema: &str| schemas.iter().any(|s| s == schema);
    let mut left_out: Vec<&str> = catalog
        .relations
        .iter()
        .map(|r| r.schema.as_str())
        .chain(created.iter().map(String::as_str))
        .chain(catalog.routines.iter().map(|r| r.schema.as_str()))
        .chain(catalog.sequences.iter().map(|s| s.schema.as_str()))
        .chain(
            catalog
                .types
                .iter()
                .filter(|t| t.defined_here)
                .map(|t| t.schema.as_str()),
        )
        .filter(|schema| !read(schema))
        .collect();
    left_out.sort_unstable();
    left_out.dedup();
    for schema in left_out {
        ledger.record(
            schema,
            "schema",
            format!(
                "schema `{schema}` of the dump is not read (only {}); pass `--schema {schema}` to read it",
                schemas
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    // A partitioned table read with partitions in a schema not read says
    // so, as the server's catalog does.
    let unread: Vec<(i64, String)> = catalog
        .relations
        .iter()
        .filter(|r| r.is_partition && !read(&r.schema))
        .flat_map(|r| r.parents.iter().map(|&parent| (parent, r.schema.clone())))
        .collect();
    for (parent, schema) in unread {
        if let Some(relation) = catalog.relations.iter_mut().find(|r| r.oid == parent) {
            relation.unread_partition_schemas.push(schema);
        }
    }
    catalog.relations.retain(|r| read(&r.schema));
    let relations: std::collections::HashSet<i64> =
        catalog.relations.iter().map(|r| r.oid).collect();
    catalog.columns.retain(|c| relations.contains(&c.relation));
    catalog
        .constraints
        .retain(|c| relations.contains(&c.relation));
    catalog.indexes.retain(|i| relations.contains(&i.relation));
    let routines: Vec<&RoutineRow> = catalog
        .routines
        .iter()
        .filter(|r| read(&r.schema))
        .collect();
    for trigger in catalog
        .triggers
        .iter()
        .filter(|t| !read(&t.table_schema) && routines.iter().any(|r| r.oid == t.function))
    {
        record_unread_trigger(trigger, &catalog.routines, ledger);
    }
    catalog.triggers.retain(|t| relations.contains(&t.relation));
    catalog.policies.retain(|p| relations.contains(&p.relation));
    catalog.routines.retain(|r| read(&r.schema));
    catalog.sequences.retain(|s| read(&s.schema));
    // Policies, rules and statistics go with their table; collations and
    // text search objects with their schema; event triggers, casts and
    // publications are the database's.
    catalog.others.retain(|o| match o.relation {
        Some(relation) => relations.contains(&relation),
        None => {
            !(o.kind == "collation" || o.kind.starts_with("text search"))
                || o.name
                    .split_once('.')
                    .is_none_or(|(schema, _)| read(schema.trim_matches('"')))
        }
    });
    // The types of the schemas read and, transitively, what the columns
    // and those types are made of (array elements, domain bases,
    // composite attributes).
    let mut wanted: Vec<i64> = catalog
        .types
        .iter()
        .filter(|t| t.defined_here && read(&t.schema))
        .map(|t| t.oid)
        .chain(catalog.columns.iter().map(|c| c.type_oid))
        .collect();
    let mut kept = std::collections::HashSet::new();
    while let Some(oid) = wanted.pop() {
        if !kept.insert(oid) {
            continue;
        }
        if let Some(ty) = catalog.types.iter().find(|t| t.oid == oid) {
            wanted.extend([ty.element, ty.base].into_iter().filter(|&o| o != 0));
            wanted.extend(ty.attribute_types.iter().copied());
        }
    }
    catalog.types.retain(|t| kept.contains(&t.oid));
    for ty in &mut catalog.types {
        ty.defined_here = ty.defined_here && read(&ty.schema);
    }
    let objects: std::collections::HashSet<i64> = catalog
        .routines
        .iter()
        .map(|r| r.oid)
        .chain(catalog.types.iter().map(|t| t.oid))
        .collect();
    catalog.dependencies.retain(|d| objects.contains(&d.object));
}

/// `CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] ...`: the
/// extension as live introspection records it (its version is the server's
/// business: a dump does not say it).
fn extension_of(statement: &Statement) -> Option<(String, Extension)> {
    if statement.head(2) != "CREATE EXTENSION" {
        return None;
    }
    let name_of = |word: &str| {
        if word.starts_with('"') {
            word.trim_matches('"').replace("\"\"", "\"")
        } else {
            word.to_ascii_lowercase()
        }
    };
    let words: Vec<&str> = statement.text.split_whitespace().skip(2).collect();
    let rest = match words.as_slice() {
        [i, n, e, rest @ ..]
            if i.eq_ignore_ascii_case("IF")
                && n.eq_ignore_ascii_case("NOT")
                && e.eq_ignore_ascii_case("EXISTS") =>
        {
            rest
        }
        rest => rest,
    };
    let (name, options) = rest.split_first()?;
    let schema = options
        .iter()
        .position(|w| w.eq_ignore_ascii_case("SCHEMA"))
        .and_then(|at| options.get(at + 1))
        .map(|w| name_of(w))
        .filter(|schema| schema != FIRST_SCHEMA);
    Some((
        name_of(name),
        Extension {
            schema,
            version: None,
        },
    ))
}

/// `CREATE AGGREGATE name(...) (..., STYPE = type, ...)`: the aggregate's
/// lower-case name and its state type, which is its result type when it has
/// no final function.
fn aggregate_state_type(statement: &Statement) -> Option<(String, String)> {
    if statement.head(2) != "CREATE AGGREGATE" {
        return None;
    }
    let text = statement.text.as_str();
    let upper = text.to_ascii_uppercase();
    if upper.contains("FINALFUNC") {
        return None;
    }
    let name = text
        .split_whitespace()
        .nth(2)?
        .split('(')
        .next()?
        .rsplit('.')
        .next()?
        .to_lowercase();
    let start = upper.find("STYPE")?;
    let state = text[start + "STYPE".len()..]
        .trim_start()
        .strip_prefix('=')?
        .split([',', ')'])
        .next()?
        .trim()
        .to_lowercase();
    Some((name, state))
}

/// `CREATE [OR REPLACE] FUNCTION name(...) RETURNS type ...`: the
/// function's lower-case name and its result type, when it returns one
/// value (not `SETOF` or `TABLE`).
fn function_result_type(statement: &Statement) -> Option<(String, String)> {
    const CLAUSES: &[&str] = &[
        "LANGUAGE",
        "AS",
        "IMMUTABLE",
        "STABLE",
        "VOLATILE",
        "STRICT",
        "CALLED",
        "RETURNS",
        "SECURITY",
        "EXTERNAL",
        "PARALLEL",
        "COST",
        "ROWS",
        "SET",
        "WINDOW",
        "LEAKPROOF",
        "NOT",
        "SUPPORT",
        "TRANSFORM",
        "BEGIN",
        "RETURN",
    ];
    let head = statement.head(4);
    if !(head.starts_with("CREATE FUNCTION") || head.starts_with("CREATE OR REPLACE FUNCTION")) {
        return None;
    }
    let text = statement.text.as_str();
    let open = text.find('(')?;
    let name = text[..open]
        .split_whitespace()
        .last()?
        .rsplit('.')
        .next()?
        .trim_matches('"')
        .to_lowercase();
    // Past the argument list.
    let close = open + parenthesized(text)?.len() + 2;
    let mut words = text[close..].split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("RETURNS") {
        return None;
    }
    let result: Vec<&str> = words
        .take_while(|word| !CLAUSES.iter().any(|c| word.eq_ignore_ascii_case(c)))
        .collect();
    let result = result.join(" ").to_lowercase();
    let result = result
        .strip_prefix("pg_catalog.")
        .unwrap_or(&result)
        .to_owned();
    if result.is_empty() || result.starts_with("setof") || result.starts_with("table") {
        return None;
    }
    Some((name, result))
}

/// A statement as sqlparser reads it: a domain without its `NOT NULL` (see
/// [`domain_without_null`]), an identity column's options without
/// `SEQUENCE NAME` (see [`identity_sequence_name`]), a `CREATE INDEX ... ON ONLY parent`
/// (the index of a partitioned table alone, as `pg_dump` writes it; the
/// server lists it as the parent's index) without `ONLY`, a materialized
/// view without its data clause, an exclusion constraint without its index
/// parameters, a primary key or unique constraint without its index's
/// storage parameters (see [`constraint_index_parameters`]).
/// A `CREATE TABLE`'s column forms of PostgreSQL 18 that sqlparser does
/// not read; none for other statements.
fn postgres18_columns(statement: &Statement) -> written::Postgres18Columns {
    let head = statement.head(3);
    if head.starts_with("CREATE TABLE") || head.starts_with("CREATE UNLOGGED TABLE") {
        written::Postgres18Columns::of(&statement.text, &PostgreSqlDialect {})
    } else {
        written::Postgres18Columns::default()
    }
}

/// `columns` are the statement's [`postgres18_columns`].
fn readable_text<'s>(
    statement: &'s Statement,
    columns: &written::Postgres18Columns,
) -> std::borrow::Cow<'s, str> {
    let head = statement.head(3);
    if !columns.is_empty() {
        // sqlparser reads only `STORED` generated columns, and no
        // `CONSTRAINT name NOT NULL column` (PostgreSQL 18) among the
        // columns: it reads `STORED` and no such constraint; which columns
        // were virtual or not null `Schema::apply` takes from `columns`.
        let virtual_columns = columns.virtual_columns.iter().map(|(_, says)| {
            let stored = if says.is_empty() { " STORED" } else { "STORED" };
            (says.clone(), stored)
        });
        let not_nulls = columns
            .not_nulls
            .iter()
            .map(|not_null| (not_null.cut.clone(), ""));
        let mut edits: Vec<(std::ops::Range<usize>, &str)> =
            virtual_columns.chain(not_nulls).collect();
        edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
        let mut text = statement.text.clone();
        for (range, with) in edits {
            text.replace_range(range, with);
        }
        let readable = Statement {
            text,
            span: statement.span.clone(),
        };
        return readable_text(&readable, &written::Postgres18Columns::default())
            .into_owned()
            .into();
    }
    if (head.starts_with("ALTER TABLE") || head.starts_with("CREATE"))
        && let Some((text, found)) = constraint_index_parameters(&statement.text)
        && !found.is_empty()
    {
        return text.into();
    }
    if head.starts_with("ALTER TABLE")
        && let Some((text, _)) = identity_sequence_name(&statement.text)
    {
        return text.into();
    }
    if head.starts_with("CREATE DOMAIN") {
        return domain_without_null(&statement.text).0.into();
    }

    if head.starts_with("CREATE INDEX") || head.starts_with("CREATE UNIQUE INDEX") {
        let upper = statement.text.to_ascii_uppercase();
        let mut at = 0;
        // The first ` ON ` outside quotes is the table's.
        while let Some(found) = upper[at..].find(" ON ").map(|n| at + n) {
            let before = &statement.text[..found];
            if before.matches('"').count().is_multiple_of(2) {
                let rest = statement.text[found + 4..].trim_start();
                if rest.len() > 5 && rest[..5].eq_ignore_ascii_case("ONLY ") {
                    return format!("{} ON {}", before, &rest[5..]).into();
                }
                break;
            }
            at = found + 4;
        }
        return statement.text.as_str().into();
    }
    if head.contains("VIEW")
        && let Some((text, _)) = view_check_option(&statement.text)
    {
        return text.into();
    }
    without_data_clause(statement).into()
}

/// A `CREATE VIEW ... WITH [CASCADED | LOCAL] CHECK OPTION` (which
/// sqlparser does not read) without that clause, and the option as the
/// server keeps it among the view's options (`check_option=cascaded`).
/// `None` without the clause.
fn view_check_option(text: &str) -> Option<(&str, String)> {
    let trimmed = text.trim_end().trim_end_matches(';').trim_end();
    let words: Vec<&str> = trimmed.split_whitespace().rev().take(4).collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let (cut, level) = match upper.as_slice() {
        [option, check, level, with, ..]
            if option == "OPTION"
                && check == "CHECK"
                && (level == "CASCADED" || level == "LOCAL")
                && with == "WITH" =>
        {
            (4, level.to_ascii_lowercase())
        }
        [option, check, with, ..] if option == "OPTION" && check == "CHECK" && with == "WITH" => {
            (3, "cascaded".to_owned())
        }
        _ => return None,
    };
    Some((
        without_last_words(trimmed, cut),
        format!("check_option={level}"),
    ))
}

/// `text` without its last `count` words.
fn without_last_words(text: &str, count: usize) -> &str {
    let mut end = text.len();
    for _ in 0..count {
        end = text[..end]
            .trim_end()
            .rfind(char::is_whitespace)
            .unwrap_or(0);
    }
    text[..end].trim_end()
}

/// A `CREATE MATERIALIZED VIEW` without its final `WITH [NO] DATA`, which
/// sqlparser does not read; any other statement as it is.
fn without_data_clause(statement: &Statement) -> &str {
    let text = statement.text.as_str();
    if !statement.head(3).starts_with("CREATE MATERIALIZED VIEW") {
        return text;
    }
    let words: Vec<&str> = text.split_whitespace().rev().take(3).collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let cut = match upper.as_slice() {
        [data, no, with, ..] if data == "DATA" && no == "NO" && with == "WITH" => 3,
        [data, with, ..] if data == "DATA" && with == "WITH" => 2,
        _ => return text,
    };
    without_last_words(text, cut)
}

/// The index parameters of a statement's exclusion, primary key and
/// unique table constraints, which sqlparser does not read: the text
/// without the `WITH (...)` and `USING INDEX TABLESPACE name` that follow
/// each `EXCLUDE ... (...)`, `PRIMARY KEY (...)` or `UNIQUE [NULLS [NOT]
/// DISTINCT] (...)` and its `INCLUDE (...)`, and each constraint's storage
/// parameters in order, as `pg_get_constraintdef` prints them
/// (`fillfactor='70'`). A column's `PRIMARY KEY` or `UNIQUE` is not one of
/// them. `None` when the statement does not tokenize.
fn constraint_index_parameters(text: &str) -> Option<(String, Vec<Vec<String>>)> {
    let tokens = written::Tokens::new(text, &PostgreSqlDialect {})?;
    let lparen = |at: usize| matches!(tokens.token(at), Some(Token::LParen));
    let mut out = String::new();
    let mut copy_from = 0;
    let mut found = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let open = if tokens.is(at, "EXCLUDE") {
            (at..tokens.len()).find(|&i| lparen(i))?
        } else if tokens.is(at, "PRIMARY") && tokens.is(at + 1, "KEY") && lparen(at + 2) {
            at + 2
        } else if tokens.is(at, "UNIQUE") {
            let mut next = at + 1;
            if tokens.is(next, "NULLS") {
                next += if tokens.is(next + 1, "NOT") { 3 } else { 2 };
            }
            if !lparen(next) {
                at += 1;
                continue;
            }
            next
        } else {
            at += 1;
            continue;
        };
        let mut close = tokens.closing(open)?;
        if tokens.is(close + 1, "INCLUDE") && lparen(close + 2) {
            close = tokens.closing(close + 2)?;
        }
        let mut next = close + 1;
        let mut parameters = Vec::new();
        if tokens.is(next, "WITH") && lparen(next + 1) {
            let end = tokens.closing(next + 1)?;
            let items: Vec<Token> = (next + 2..end)
                .filter_map(|i| tokens.token(i).cloned())
                .collect();
            parameters = items
                .split(|token| matches!(token, Token::Comma))
                .filter(|item| !item.is_empty())
                .map(constraint_storage_parameter)
                .collect();
            next = end + 1;
        }
        if tokens.is(next, "USING")
            && tokens.is(next + 1, "INDEX")
            && tokens.is(next + 2, "TABLESPACE")
        {
            next += 4;
        }
        if next > close + 1 {
            out.push_str(&tokens.through(copy_from, close));
            out.push(' ');
            copy_from = next;
        }
        found.push(parameters);
        at = next;
    }
    out.push_str(&tokens.rest(copy_from));
    Some((out, found))
}

/// One `name = value` storage parameter of a constraint's index, as
/// `pg_get_constraintdef` prints it: the name in lower case, the value bare
/// when it reads as a plain name and quoted otherwise (`fillfactor='70'`,
/// `buffering=auto`).
fn constraint_storage_parameter(item: &[Token]) -> String {
    let text = |token: &Token| match token {
        Token::Word(word) if word.quote_style.is_none() => word.value.to_lowercase(),
        Token::Word(word) => word.value.clone(),
        Token::SingleQuotedString(value) => value.clone(),
        other => other.to_string(),
    };
    let (name, value) = match item.iter().position(|token| matches!(token, Token::Eq)) {
        Some(eq) => (
            item[..eq].iter().map(text).collect::<String>(),
            item[eq + 1..].iter().map(text).collect::<String>(),
        ),
        None => (item.iter().map(text).collect(), "true".to_owned()),
    };
    let reserved = ["on", "true", "false"].contains(&value.as_str());
    if !reserved && quote_identifier(&value) == value {
        format!("{name}={value}")
    } else {
        format!("{name}='{}'", value.replace('\'', "''"))
    }
}

/// The storage parameters of a key constraint's index as the server lists
/// them (`fillfactor=70`), from their [`constraint_storage_parameter`] text.
fn key_storage_parameters(parameters: Option<Vec<String>>) -> Vec<String> {
    parameters
        .unwrap_or_default()
        .into_iter()
        .map(|parameter| match parameter.split_once("='") {
            Some((name, quoted)) => format!(
                "{name}={}",
                quoted
                    .strip_suffix('\'')
                    .unwrap_or(quoted)
                    .replace("''", "'")
            ),
            None => parameter,
        })
        .collect()
}

/// A type's name as `format_type` prints it: bare in the first schema,
/// qualified in another.
fn type_text(schema: &str, name: &str) -> String {
    if schema == FIRST_SCHEMA {
        quote_identifier(name)
    } else {
        format!("{}.{}", quote_identifier(schema), quote_identifier(name))
    }
}

/// A collation's name as the catalog holds it: `pg_catalog."C"` is `C`.
fn collation_name(collation: &ObjectName) -> String {
    collation.0.last().map_or_else(
        || collation.to_string(),
        |part| {
            part.as_ident()
                .map_or_else(|| part.to_string(), |ident| ident.value.clone())
        },
    )
}

/// `ADD GENERATED ... AS IDENTITY (SEQUENCE NAME name ...)` as `pg_dump`
/// writes an identity column: the text without `SEQUENCE NAME name`, which
/// sqlparser does not read, and the name. `None` without that clause.
fn identity_sequence_name(text: &str) -> Option<(String, ObjectName)> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .ok()?;
    let keyword = |token: Option<&Token>, word: &str| matches!(token, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word));
    let solid =
        |from: usize| (from..tokens.len()).find(|&i| !matches!(tokens[i], Token::Whitespace(_)));
    let start = (0..tokens.len()).find(|&i| {
        keyword(tokens.get(i), "SEQUENCE")
            && solid(i + 1).is_some_and(|next| keyword(tokens.get(next), "NAME"))
    })?;
    let mut end = solid(solid(start + 1)? + 1)?;
    let mut parts = Vec::new();
    while let Some(Token::Word(word)) = tokens.get(end) {
        parts.push(sqlparser::ast::Ident {
            value: word.value.clone(),
            quote_style: word.quote_style,
            span: sqlparser::tokenizer::Span::empty(),
        });
        if !matches!(tokens.get(end + 1), Some(Token::Period)) {
            end += 1;
            break;
        }
        end += 2;
    }
    if parts.is_empty() {
        return None;
    }
    let mut rest: String = tokens[..start].iter().map(ToString::to_string).collect();
    rest.extend(tokens[end..].iter().map(ToString::to_string));
    Some((rest, ObjectName::from(parts)))
}

/// Session settings, data, ownership, privileges and other statements that
/// do not shape the schema.
fn is_housekeeping(statement: &Statement) -> bool {
    let head = statement.head(3);
    let first = head.split(' ').next().unwrap_or_default();
    if matches!(
        first,
        "SET"
            | "RESET"
            | "SELECT"
            | "GRANT"
            | "REVOKE"
            | "INSERT"
            | "COPY"
            | "DROP"
            | "BEGIN"
            | "COMMIT"
            | "START"
            | "END"
            | "VACUUM"
            | "ANALYZE"
            | "SECURITY"
    ) {
        return true;
    }
    let upper = statement.text.to_ascii_uppercase();
    let owner_change = head.starts_with("ALTER") && {
        let words: Vec<&str> = upper.split_whitespace().collect();
        words.len() >= 3 && words[words.len() - 3..words.len() - 1] == ["OWNER", "TO"]
    };
    owner_change
        || head.starts_with("CREATE DATABASE")
        || head.starts_with("CREATE SCHEMA")
        || head.starts_with("ALTER SCHEMA")
        || head.starts_with("ALTER DATABASE")
        || head.starts_with("CREATE EXTENSION")
        || head.starts_with("ALTER DEFAULT PRIVILEGES")
        || head.starts_with("COMMENT ON EXTENSION")
        || head.starts_with("COMMENT ON SCHEMA")
        || head.starts_with("COMMENT ON DATABASE")
}

/// The schema a `CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role]`
/// (or `CREATE SCHEMA AUTHORIZATION role`, named for the role) makes.
fn created_schema(statement: &Statement) -> Option<String> {
    if !statement.head(2).starts_with("CREATE SCHEMA") {
        return None;
    }
    let tokens = significant_tokens(&statement.text)?;
    let is =
        |i: usize, text: &str| word_at(&tokens, i).is_some_and(|w| w.eq_ignore_ascii_case(text));
    let mut at = 2;
    if is(at, "IF") && is(at + 1, "NOT") && is(at + 2, "EXISTS") {
        at += 3;
    }
    if is(at, "AUTHORIZATION") {
        at += 1;
    }
    word_at(&tokens, at)
}

/// What is between the first parenthesis of `text` and the one closing it.
fn parenthesized(text: &str) -> Option<&str> {
    let open = text.find('(')?;
    let mut depth = 0usize;
    for (offset, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[open + 1..open + offset]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index after the parenthesis closing the one at `open` of `tokens`.
fn after_parentheses(tokens: &[Token], open: usize) -> Option<usize> {
    if !matches!(tokens.get(open), Some(Token::LParen)) {
        return None;
    }
    let mut depth = 0usize;
    for (at, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A routine's arguments as its name gives them (`p integer`), from the
/// list written in its statement: an aggregate's as written, a function's
/// or procedure's without defaults (see [`routine::identity_arguments`]).
fn routine_arguments(written: &str, aggregate: bool) -> String {
    unqualify(&if aggregate {
        written.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        routine::identity_arguments(written)
    })
}

/// What `COMMENT ON ... IS` at `at` of `tokens` sets: `Some(None)` for
/// `IS NULL`, `None` when it is no comment.
fn comment_at(tokens: &[Token], at: usize) -> Option<Option<String>> {
    let is =
        |i: usize, text: &str| word_at(tokens, i).is_some_and(|w| w.eq_ignore_ascii_case(text));
    if !is(at, "IS") {
        return None;
    }
    match tokens.get(at + 1) {
        Some(Token::SingleQuotedString(text) | Token::EscapedStringLiteral(text)) => {
            Some(Some(text.clone()))
        }
        Some(Token::DollarQuotedString(text)) => Some(Some(text.value.clone())),
        _ if is(at + 1, "NULL") => Some(None),
        _ => None,
    }
}

/// The tokens of `text` but spacing.
fn significant_tokens(text: &str) -> Option<Vec<Token>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect(),
    )
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name ...`: the table (schema, name) and
/// where its name ends. `None` for other statements.
fn altered_table(tokens: &[Token]) -> Option<((String, String), usize)> {
    if !(keyword_at(tokens, 0, "ALTER") && keyword_at(tokens, 1, "TABLE")) {
        return None;
    }
    let mut at = 2;
    while ["ONLY", "IF", "EXISTS"]
        .into_iter()
        .any(|word| keyword_at(tokens, at, word))
    {
        at += 1;
    }
    qualified_name_at(tokens, at)
}

/// Whether the token at `i` is unquoted keyword `text`, in any case.
fn keyword_at(tokens: &[Token], i: usize, text: &str) -> bool {
    matches!(tokens.get(i), Some(Token::Word(word))
        if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(text))
}

/// The word at `i` of `tokens`, as the server stores it (see [`folded`]).
fn word_at(tokens: &[Token], i: usize) -> Option<String> {
    match tokens.get(i) {
        Some(Token::Word(word)) if word.quote_style.is_none() => {
            Some(word.value.to_ascii_lowercase())
        }
        Some(Token::Word(word)) => Some(word.value.clone()),
        _ => None,
    }
}

/// A name as the server stores it: unquoted names fold to lower case,
/// quoted ones keep theirs.
fn folded(ident: &sqlparser::ast::Ident) -> String {
    if ident.quote_style.is_none() {
        ident.value.to_ascii_lowercase()
    } else {
        ident.value.clone()
    }
}

/// A routine's statement as the server prints it: argument and result
/// types of the first schema unqualified (the routine's own name and its
/// body as written).
fn routine_definition(text: &str) -> String {
    let text = text.trim().trim_end_matches(';');
    let body = text
        .find('$')
        .or_else(|| text.to_ascii_uppercase().find(" AS '"))
        .unwrap_or(text.len());
    match text[..body].find('(') {
        Some(open) => format!(
            "{}{}{}",
            &text[..open],
            unqualify(&text[open..body]),
            &text[body..]
        ),
        None => text.to_owned(),
    }
}

/// `(schema, name)` of a possibly qualified name.
/// A relation as `regclass::text` prints it: its schema only when not the
/// first one.
fn regclass_text((schema, name): &(String, String)) -> String {
    if schema == FIRST_SCHEMA {
        quote_identifier(name)
    } else {
        format!("{}.{}", quote_identifier(schema), quote_identifier(name))
    }
}

fn split_name(object: &ObjectName) -> (String, String) {
    let parts: Vec<String> = object
        .0
        .iter()
        .map(|part| part.as_ident().map_or_else(|| part.to_string(), folded))
        .collect();
    match parts.as_slice() {
        [.., schema, name] => (schema.clone(), name.clone()),
        [name] => (FIRST_SCHEMA.to_owned(), name.clone()),
        [] => (FIRST_SCHEMA.to_owned(), String::new()),
    }
}

/// Removes the `public.` qualification from SQL text (outside quotes), as
/// the server prints names of the schema on its search path.
fn unqualify(sql: &str) -> String {
    let prefix = format!("{FIRST_SCHEMA}.");
    outside_quotes(sql, |sql, i| {
        let bytes = sql.as_bytes();
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'.'));
        (boundary && sql[i..].starts_with(&prefix)).then(|| (String::new(), prefix.len()))
    })
}

/// `sql` with what `replace` says at each position outside quoted strings
/// and names: `(text, length)` puts `text` for the next `length` bytes.
fn outside_quotes(
    sql: &str,
    mut replace: impl FnMut(&str, usize) -> Option<(String, usize)>,
) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' {
            let end = super::skip_quoted(bytes, i, c);
            out.push_str(&sql[i..end]);
            i = end;
            continue;
        }
        if let Some((text, length)) = replace(sql, i) {
            out.push_str(&text);
            i += length;
            continue;
        }
        let next = sql[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&sql[i..i + next]);
        i += next;
    }
    out
}

/// A partition key as `pg_get_partkeydef` prints it: `RANGE (t)` for
/// sqlparser's `RANGE(t)`.
fn partition_key(text: &str) -> String {
    match text.split_once('(') {
        Some((method, rest)) => format!("{} ({rest}", method.trim().to_ascii_uppercase()),
        None => text.to_owned(),
    }
}

/// A storage parameter as `reloptions` keeps it: `name=value`, the name
/// in lower case, the value without its quotes (`fillfactor = '70'` is
/// `fillfactor=70`).
/// The `WITH (name = value, ...)` options of a table or view, each as
/// [`storage_parameter`].
fn with_options(options: &CreateTableOptions) -> Vec<String> {
    match options {
        CreateTableOptions::With(options) => options
            .iter()
            .map(|option| match option {
                SqlOption::KeyValue { key, value } => storage_parameter(&key.to_string(), value),
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A foreign key's `MATCH` as `pg_constraint.confmatchtype` codes it.
fn match_code(kind: Option<sqlparser::ast::ConstraintReferenceMatchKind>) -> &'static str {
    match kind {
        Some(sqlparser::ast::ConstraintReferenceMatchKind::Full) => "f",
        Some(sqlparser::ast::ConstraintReferenceMatchKind::Partial) => "p",
        _ => "s",
    }
}

fn storage_parameter(name: &str, value: &Expr) -> String {
    let value = match value {
        Expr::Value(value) => match &value.value {
            sqlparser::ast::Value::SingleQuotedString(text) => text.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    format!("{}={value}", name.to_ascii_lowercase())
}

/// An index's `WITH (name = value)` item as [`storage_parameter`].
fn reloption(expr: &Expr) -> String {
    match expr {
        Expr::BinaryOp {
            left,
            op: sqlparser::ast::BinaryOperator::Eq,
            right,
        } => storage_parameter(&left.to_string(), right),
        other => other.to_string(),
    }
}

fn expr_text(expr: &Expr) -> String {
    printed(&expr.to_string())
}

/// A default's text; `None` for a null constant (`DEFAULT NULL`, as
/// `pg_dump` writes for a partition's column without its parent's default,
/// `NULL::text`), of which the server keeps no default.
fn default_text(expr: &Expr) -> Option<String> {
    fn is_null(expr: &Expr) -> bool {
        match expr {
            Expr::Value(value) => matches!(value.value, sqlparser::ast::Value::Null),
            Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => is_null(inner),
            _ => false,
        }
    }
    (!is_null(expr)).then(|| expr_text(expr))
}

/// An expression's text (sqlparser's or the dump's own) as the server
/// prints it: see [`needless_quotes`], [`unqualify`], [`bare_operators`]
/// and [`lower_case_casts`].
fn printed(text: &str) -> String {
    lower_case_casts(&bare_operators(&unqualify(&needless_quotes(text))))
}

/// A check's expression: the dump's own text of the check `name` when the
/// statement names it (`checks`, from [`written::checks`]), else
/// sqlparser's.
fn check_text(name: Option<&str>, expr: &Expr, checks: &HashMap<String, String>) -> String {
    name.and_then(|name| checks.get(name))
        .map_or_else(|| expr_text(expr), |text| printed(text))
}

/// `"now"()`, `("status")::"text"`, `"public"."f"(...)` as the server
/// prints them, without the quotes a Supabase dump puts around every name
/// (a name stays quoted where PostgreSQL would quote it: capitals, other
/// characters, a keyword).
fn needless_quotes(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                let end = super::skip_quoted(bytes, i, quote);
                let name = &sql[i + 1..end.saturating_sub(1).max(i + 1)];
                if quote == b'"' && prints_bare(name) {
                    out.push_str(name);
                } else {
                    out.push_str(&sql[i..end]);
                }
                i = end;
            }
            _ => {
                let c = sql[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Whether PostgreSQL prints `name` without quotes (`quote_ident`): lower
/// case letters, digits, `_` and `$`, not starting with a digit or `$`, and
/// not a keyword it reserves in any way.
fn prints_bare(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "between",
        "bigint",
        "binary",
        "bit",
        "boolean",
        "both",
        "case",
        "cast",
        "char",
        "character",
        "check",
        "coalesce",
        "collate",
        "collation",
        "column",
        "concurrently",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "dec",
        "decimal",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "exists",
        "extract",
        "false",
        "fetch",
        "float",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "greatest",
        "group",
        "grouping",
        "having",
        "ilike",
        "in",
        "initially",
        "inner",
        "inout",
        "int",
        "integer",
        "intersect",
        "interval",
        "into",
        "is",
        "isnull",
        "join",
        "json",
        "lateral",
        "leading",
        "least",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "national",
        "natural",
        "nchar",
        "none",
        "normalize",
        "not",
        "notnull",
        "null",
        "nullif",
        "numeric",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "out",
        "outer",
        "overlaps",
        "overlay",
        "placing",
        "position",
        "precision",
        "primary",
        "real",
        "references",
        "returning",
        "right",
        "row",
        "select",
        "session_user",
        "setof",
        "similar",
        "smallint",
        "some",
        "substring",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "time",
        "timestamp",
        "to",
        "trailing",
        "treat",
        "trim",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "values",
        "varchar",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
        "xmlattributes",
        "xmlconcat",
        "xmlelement",
        "xmlexists",
        "xmlforest",
        "xmlnamespaces",
        "xmlparse",
        "xmlpi",
        "xmlroot",
        "xmlserialize",
        "xmltable",
    ];
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !KEYWORDS.contains(&name)
}

/// `a OPERATOR(pg_catalog.~) b` as the server prints it, `a ~ b`: `pg_dump`
/// qualifies the operators of `pg_catalog` and of the first schema (an
/// extension's, such as citext's) because it empties the search path.
fn bare_operators(sql: &str) -> String {
    outside_quotes(sql, |sql, i| {
        let rest = sql[i..].strip_prefix("OPERATOR(")?;
        let close = rest.find(')')?;
        let inner = &rest[..close];
        let operator = inner.strip_prefix("pg_catalog.").unwrap_or(inner);
        (!operator.is_empty() && !operator.contains(['.', '"', '\'']))
            .then(|| (operator.to_owned(), "OPERATOR(".len() + close + 1))
    })
}

/// `'{}'::JSONB` as the server prints it, `'{}'::jsonb`: sqlparser writes
/// type names in capitals, the server in lower case.
fn lower_case_casts(sql: &str) -> String {
    const MORE: &[&str] = &["VARYING", "WITH", "WITHOUT", "TIME", "ZONE", "PRECISION"];
    let mut out = String::with_capacity(sql.len());
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                let end = super::skip_quoted(bytes, i, quote);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => {
                out.push_str("::");
                i += 2;
                let mut first = true;
                loop {
                    let end = sql[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(sql.len(), |n| i + n);
                    let word = &sql[i..end];
                    if word.is_empty() || !(first || MORE.contains(&word)) {
                        break;
                    }
                    out.push_str(&word.to_ascii_lowercase());
                    first = false;
                    i = end;
                    // One space, then maybe another word of the same type.
                    let after = &sql[i..];
                    let next = after.trim_start_matches(' ');
                    let next_word: String = next
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if after.starts_with(' ') && MORE.contains(&next_word.as_str()) {
                        out.push(' ');
                        i += after.len() - next.len();
                    } else {
                        break;
                    }
                }
            }
            _ => {
                let c = sql[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// `attidentity`: `a` for `GENERATED ALWAYS`, `d` for `BY DEFAULT`.
fn identity_code(generated_as: Option<GeneratedAs>) -> String {
    match generated_as {
        Some(GeneratedAs::Always) => "a",
        _ => "d",
    }
    .to_owned()
}

fn action_code(action: Option<ReferentialAction>) -> String {
    match action {
        Some(ReferentialAction::Restrict) => "r",
        Some(ReferentialAction::Cascade) => "c",
        Some(ReferentialAction::SetNull) => "n",
        Some(ReferentialAction::SetDefault) => "d",
        _ => "a",
    }
    .to_owned()
}

/// The column names of index or key columns (expressions are skipped).
fn key_columns(columns: &[IndexColumn]) -> Vec<String> {
    columns
        .iter()
        .map(|column| match &column.column.expr {
            Expr::Identifier(ident) => folded(ident),
            other => other.to_string(),
        })
        .collect()
}

#[derive(Default)]
struct Schema {
    next_oid: i64,
    relations: Vec<Relation>,
    types: Vec<TypeRow>,
    type_oids: HashMap<(String, String), i64>,
    sequences: Vec<SequenceRow>,
    /// `(sequence oid, owner schema, owner table, owner column)`.
    owned_by: Vec<(i64, String, String, String)>,
    triggers: Vec<DumpTrigger>,
    routines: Vec<RoutineRow>,
    objects: Vec<DumpObject>,
}

struct Relation {
    row: RelationRow,
    columns: Vec<ColumnRow>,
    constraints: Vec<Constraint>,
    indexes: Vec<IndexRow>,
}

/// An identity column whose sequence is still to be made.
struct IdentitySequence {
    relation: i64,
    schema: String,
    table: String,
    column: String,
    position: i16,
    type_name: String,
    /// `SEQUENCE NAME`, when the dump gives it.
    sequence: Option<String>,
    options: Vec<SequenceOptions>,
}

/// A `CREATE TRIGGER` of the dump.
struct DumpTrigger {
    /// The table it is on (schema, name).
    table: (String, String),
    name: String,
    definition: String,
    /// The function it executes (schema, name).
    function: Option<(String, String)>,
    comment: Option<String>,
}

/// A collation, policy, rule, extended statistics or event trigger of the
/// dump (see `Schema::note_object`).
struct DumpObject {
    kind: &'static str,
    /// Its `EngineObject::name`.
    name: String,
    /// The table it is on (schema, name).
    table: Option<(String, String)>,
    /// The tables a publication publishes (schema, name).
    tables: Vec<(String, String)>,
    /// The function it calls (schema, name).
    function: Option<(String, String)>,
    /// The keys of other objects it uses (a text search configuration's
    /// dictionaries).
    uses: Vec<String>,
    definition: String,
    comment: Option<String>,
}

struct Constraint {
    name: Option<String>,
    kind: &'static str,
    columns: Vec<String>,
    /// A primary key's or unique constraint's `INCLUDE` columns.
    include: Vec<String>,
    /// A unique constraint's `NULLS NOT DISTINCT`.
    nulls_not_distinct: bool,
    /// The storage parameters of a primary key's or unique constraint's
    /// index, as the server lists them (`fillfactor=70`).
    storage_parameters: Vec<String>,
    referenced: Option<(String, String)>,
    referenced_columns: Vec<String>,
    on_update: String,
    on_delete: String,
    deferrable: bool,
    deferred: bool,
    check_sql: Option<String>,
    no_inherit: bool,
    /// An exclusion constraint's definition, as `pg_get_constraintdef`
    /// prints it.
    definition: Option<String>,
    /// A partition's copy of its parent's (its index is attached to the
    /// parent's): the server does not list it as the partition's own.
    inherited: bool,
    /// Added `NOT VALID`: the rows there were are not checked.
    not_valid: bool,
    /// `false` when written `NOT ENFORCED` (PostgreSQL 18).
    enforced: bool,
    /// Its table's own: not a check a partition had when attached, which
    /// the server merges with its parent's.
    local: bool,
    /// A foreign key's `MATCH`: `s` simple, `f` full, `p` partial.
    match_type: &'static str,
    /// `COMMENT ON CONSTRAINT`.
    comment: Option<String>,
}

impl Constraint {
    fn new(name: Option<String>, kind: &'static str, columns: Vec<String>) -> Self {
        Self {
            name,
            kind,
            columns,
            include: Vec::new(),
            nulls_not_distinct: false,
            storage_parameters: Vec::new(),
            referenced: None,
            referenced_columns: Vec::new(),
            on_update: "a".to_owned(),
            on_delete: "a".to_owned(),
            deferrable: false,
            deferred: false,
            check_sql: None,
            no_inherit: false,
            definition: None,
            inherited: false,
            not_valid: false,
            enforced: true,
            local: true,
            match_type: "s",
            comment: None,
        }
    }

    /// A primary key (`p`) or unique constraint (`u`) of the table, with
    /// the storage parameters [`constraint_index_parameters`] found for it.
    fn key(
        kind: &'static str,
        name: Option<&sqlparser::ast::Ident>,
        columns: &[IndexColumn],
        include: &[sqlparser::ast::Ident],
        characteristics: Option<&ConstraintCharacteristics>,
        parameters: Option<Vec<String>>,
    ) -> Self {
        let mut constraint = Self::new(name.map(folded), kind, key_columns(columns));
        constraint.include = include.iter().map(folded).collect();
        constraint.storage_parameters = key_storage_parameters(parameters);
        constraint.characteristics(characteristics);
        constraint
    }

    /// `DEFERRABLE`, `INITIALLY DEFERRED` and `NOT ENFORCED`.
    fn characteristics(&mut self, characteristics: Option<&ConstraintCharacteristics>) {
        if let Some(characteristics) = characteristics {
            self.enforced = characteristics.enforced != Some(false);
            self.deferrable = characteristics.deferrable == Some(true);
            self.deferred = characteristics
                .initially
                .is_some_and(|i| matches!(i, DeferrableInitial::Deferred));
        }
    }

    /// `parameters` gives the storage parameters of the statement's
    /// exclusion, primary key and unique constraints in order (see
    /// [`constraint_index_parameters`]).
    fn from_table_constraint(
        constraint: &TableConstraint,
        checks: &HashMap<String, String>,
        parameters: &mut std::vec::IntoIter<Vec<String>>,
    ) -> Option<Self> {
        Some(match constraint {
            TableConstraint::PrimaryKey(key) => Self::key(
                "p",
                key.name.as_ref(),
                &key.columns,
                &key.include,
                key.characteristics.as_ref(),
                parameters.next(),
            ),
            TableConstraint::Unique(key) => {
                let mut constraint = Self::key(
                    "u",
                    key.name.as_ref(),
                    &key.columns,
                    &key.include,
                    key.characteristics.as_ref(),
                    parameters.next(),
                );
                constraint.nulls_not_distinct =
                    matches!(key.nulls_distinct, NullsDistinctOption::NotDistinct);
                constraint
            }
            TableConstraint::ForeignKey(key) => {
                let mut constraint = Self::new(
                    key.name.as_ref().map(folded),
                    "f",
                    key.columns.iter().map(folded).collect(),
                );
                constraint.referenced = Some(split_name(&key.foreign_table));
                constraint.referenced_columns = key.referred_columns.iter().map(folded).collect();
                constraint.on_delete = action_code(key.on_delete);
                constraint.on_update = action_code(key.on_update);
                constraint.match_type = match_code(key.match_kind);
                constraint.characteristics(key.characteristics.as_ref());
                constraint
            }
            TableConstraint::Check(check) => {
                let mut constraint = Self::new(check.name.as_ref().map(folded), "c", Vec::new());
                constraint.check_sql =
                    Some(check_text(constraint.name.as_deref(), &check.expr, checks));
                constraint.no_inherit = check.no_inherit;
                constraint.enforced = check.enforced != Some(false);
                constraint
            }
            TableConstraint::Exclude(exclude) => {
                let columns = exclude
                    .elements
                    .iter()
                    .map(|element| match &element.column.column.expr {
                        Expr::Identifier(ident) => folded(ident),
                        _ => String::new(),
                    })
                    .collect();
                let mut constraint = Self::new(exclude.name.as_ref().map(folded), "x", columns);
                // The server prints the storage parameters before the
                // predicate and the deferral.
                let mut definition = sqlparser::ast::ExcludeConstraint {
                    name: None,
                    where_clause: None,
                    characteristics: None,
                    ..exclude.clone()
                }
                .to_string();
                let parameters = parameters.next().unwrap_or_default();
                if !parameters.is_empty() {
                    definition.push_str(&format!(" WITH ({})", parameters.join(", ")));
                }
                if let Some(predicate) = &exclude.where_clause {
                    definition.push_str(&format!(" WHERE ({predicate})"));
                }
                if let Some(characteristics) = &exclude.characteristics {
                    definition.push_str(&format!(" {characteristics}"));
                }
                constraint.definition = Some(unqualify(&definition));
                constraint
            }
            _ => return None,
        })
    }
}

impl Schema {
    fn oid(&mut self) -> i64 {
        self.next_oid += 1;
        100_000 + self.next_oid
    }

    fn relation_mut(&mut self, object: &ObjectName) -> Option<&mut Relation> {
        let (schema, name) = split_name(object);
        self.relation_named(&schema, &name)
    }

    /// Table `schema.name`, if the dump made it.
    fn relation_named(&mut self, schema: &str, name: &str) -> Option<&mut Relation> {
        self.relations
            .iter_mut()
            .find(|r| r.row.schema == schema && r.row.name == name)
    }

    fn add_type(&mut self, row: TypeRow) -> i64 {
        let oid = row.oid;
        self.type_oids
            .insert((row.schema.clone(), row.name.clone()), oid);
        self.types.push(row);
        oid
    }

    fn new_type(&mut self, schema: &str, name: &str, formatted: String, kind: &str) -> TypeRow {
        TypeRow {
            oid: self.oid(),
            schema: schema.to_owned(),
            name: name.to_owned(),
            formatted,
            kind: kind.to_owned(),
            category: "U".to_owned(),
            element: 0,
            base: 0,
            base_typmod: -1,
            base_formatted: None,
            not_null: false,
            default_sql: None,
            labels: None,
            checks: None,
            attribute_names: Vec::new(),
            attribute_types: Vec::new(),
            attribute_typmods: Vec::new(),
            attribute_formatted: Vec::new(),
            defined_here: schema != "pg_catalog",
            collation: None,
            comment: None,
            definition: None,
        }
    }

    /// A built-in type by its internal name.
    fn builtin(&mut self, name: &str, formatted: &str) -> i64 {
        if let Some(oid) = self
            .type_oids
            .get(&("pg_catalog".to_owned(), name.to_owned()))
        {
            return *oid;
        }
        let row = self.new_type("pg_catalog", name, formatted.to_owned(), "b");
        self.add_type(row)
    }

    /// The array type of `element`.
    fn array_of(&mut self, element: i64) -> i64 {
        let Some(ty) = self.types.iter().find(|t| t.oid == element) else {
            return element;
        };
        let (schema, name) = (ty.schema.clone(), format!("_{}", ty.name));
        let formatted = format!("{}[]", ty.formatted);
        if let Some(oid) = self.type_oids.get(&(schema.clone(), name.clone())) {
            return *oid;
        }
        let mut row = self.new_type(&schema, &name, formatted, "b");
        row.category = "A".to_owned();
        row.element = element;
        row.defined_here = false;
        self.add_type(row)
    }

    /// `(type oid, type modifier, format_type() text)` of a column type.
    fn column_type(&mut self, data_type: &DataType) -> (i64, i32, String) {
        match data_type {
            DataType::Array(
                ArrayElemTypeDef::SquareBracket(inner, _)
                | ArrayElemTypeDef::AngleBracket(inner)
                | ArrayElemTypeDef::Parenthesis(inner)
                | ArrayElemTypeDef::ParenthesisNotNull(inner)
                | ArrayElemTypeDef::Qualified(inner, _),
            ) => {
                let (element, typmod, formatted) = self.column_type(inner);
                (self.array_of(element), typmod, format!("{formatted}[]"))
            }
            DataType::Custom(object, _) => {
                let (schema, name) = split_name(object);
                match self.type_oids.get(&(schema.clone(), name.clone())) {
                    Some(oid) if schema != "pg_catalog" => {
                        let oid = *oid;
                        let formatted = self
                            .types
                            .iter()
                            .find(|t| t.oid == oid)
                            .map(|t| t.formatted.clone())
                            .unwrap_or_default();
                        (oid, -1, formatted)
                    }
                    _ => self.builtin_type(&data_type.to_string()),
                }
            }
            _ => self.builtin_type(&data_type.to_string()),
        }
    }

    /// A built-in type from its SQL spelling (`CHARACTER VARYING(45)`).
    fn builtin_type(&mut self, text: &str) -> (i64, i32, String) {
        let lower = text.to_ascii_lowercase();
        // A type of the first schema that the dump does not create (an
        // extension's, `public.citext`) prints bare, as the server prints it.
        let lower = lower
            .strip_prefix("pg_catalog.")
            .or_else(|| lower.strip_prefix(&format!("{FIRST_SCHEMA}.")))
            .unwrap_or(&lower);
        let (base, args) = match (lower.find('('), lower.find(')')) {
            (Some(open), Some(close)) if open < close => (
                format!("{} {}", &lower[..open], &lower[close + 1..]),
                lower[open + 1..close]
                    .split(',')
                    .filter_map(|a| a.trim().parse::<i32>().ok())
                    .collect::<Vec<_>>(),
            ),
            _ => (lower.to_owned(), Vec::new()),
        };
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        let base = base.trim_matches('"');
        let length = |name: &str, default: Option<i32>| match args.first().copied().or(default) {
            Some(n) => (n + VARHDRSZ, format!("{name}({n})")),
            None => (-1, name.to_owned()),
        };
        let precision = |name: &str, suffix: &str| match args.first() {
            Some(p) => (*p, format!("{name}({p}){suffix}")),
            None => (-1, format!("{name}{suffix}")),
        };
        let (internal, typmod, formatted) = match base {
            "integer" | "int" | "int4" => ("int4", -1, "integer".to_owned()),
            "smallint" | "int2" => ("int2", -1, "smallint".to_owned()),
            "bigint" | "int8" => ("int8", -1, "bigint".to_owned()),
            "boolean" | "bool" => ("bool", -1, "boolean".to_owned()),
            "real" | "float4" => ("float4", -1, "real".to_owned()),
            "double precision" | "float8" | "float" => {
                ("float8", -1, "double precision".to_owned())
            }
            "numeric" | "decimal" => match args.as_slice() {
                [p] => ("numeric", (p << 16) + VARHDRSZ, format!("numeric({p},0)")),
                [p, s, ..] => (
                    "numeric",
                    ((p << 16) | (s & 0x7ff)) + VARHDRSZ,
                    format!("numeric({p},{s})"),
                ),
                [] => ("numeric", -1, "numeric".to_owned()),
            },
            "character varying" | "varchar" => {
                let (typmod, formatted) = length("character varying", None);
                ("varchar", typmod, formatted)
            }
            "character" | "char" | "bpchar" => {
                let (typmod, formatted) = length("character", Some(1));
                ("bpchar", typmod, formatted)
            }
            "bit" => {
                let n = args.first().copied().unwrap_or(1);
                ("bit", n, format!("bit({n})"))
            }
            "bit varying" | "varbit" => match args.first() {
                Some(n) => ("varbit", *n, format!("bit varying({n})")),
                None => ("varbit", -1, "bit varying".to_owned()),
            },
            "time" | "time without time zone" => {
                let (typmod, formatted) = precision("time", " without time zone");
                ("time", typmod, formatted)
            }
            "time with time zone" | "timetz" => {
                let (typmod, formatted) = precision("time", " with time zone");
                ("timetz", typmod, formatted)
            }
            "timestamp" | "timestamp without time zone" => {
                let (typmod, formatted) = precision("timestamp", " without time zone");
                ("timestamp", typmod, formatted)
            }
            "timestamp with time zone" | "timestamptz" => {
                let (typmod, formatted) = precision("timestamp", " with time zone");
                ("timestamptz", typmod, formatted)
            }
            interval if interval_range(interval).is_some() => {
                let range = interval_range(interval).unwrap_or(INTERVAL_FULL_RANGE);
                let precision = args.first().copied();
                let typmod = if range == INTERVAL_FULL_RANGE && precision.is_none() {
                    -1
                } else {
                    (range << 16) | precision.unwrap_or(INTERVAL_FULL_PRECISION)
                };
                let formatted = match precision {
                    Some(p) => format!("{interval}({p})"),
                    None => interval.to_owned(),
                };
                ("interval", typmod, formatted)
            }
            other => {
                let oid = self.builtin(other, other);
                return (oid, -1, other.to_owned());
            }
        };
        (self.builtin(internal, &formatted), typmod, formatted)
    }

    /// Functions, procedures, aggregates and triggers, recognized from their
    /// leading words (sqlparser does not read every body).
    fn note_routine(&mut self, statement: &Statement) -> bool {
        let Some(tokens) = significant_tokens(&statement.text) else {
            return false;
        };
        let word = |i: usize| word_at(&tokens, i);
        let is = |i: usize, text: &str| word(i).is_some_and(|w| w.eq_ignore_ascii_case(text));
        if !is(0, "CREATE") {
            return false;
        }
        let mut i = 1;
        if is(1, "OR") && is(2, "REPLACE") {
            i = 3;
        }
        if is(i, "CONSTRAINT") {
            i += 1;
        }
        let kind = match word(i).map(|w| w.to_ascii_uppercase()).as_deref() {
            Some("FUNCTION") => "f",
            Some("PROCEDURE") => "p",
            Some("AGGREGATE") => "a",
            Some("TRIGGER") => "t",
            _ => return false,
        };
        // The (possibly qualified) name.
        let mut parts = vec![word(i + 1).unwrap_or_default()];
        let mut next = i + 2;
        while matches!(tokens.get(next), Some(Token::Period)) {
            parts.push(word(next + 1).unwrap_or_default());
            next += 2;
        }
        let (schema, name) = match parts.as_slice() {
            [.., schema, name] => (schema.clone(), name.clone()),
            [name] => (FIRST_SCHEMA.to_owned(), name.clone()),
            [] => return false,
        };
        if kind == "t" {
            // CREATE TRIGGER name ... ON table ...
            let Some(on) = (next..tokens.len()).find(|&j| is(j, "ON")) else {
                return false;
            };
            let mut table = vec![word(on + 1).unwrap_or_default()];
            let mut j = on + 2;
            while matches!(tokens.get(j), Some(Token::Period)) {
                table.push(word(j + 1).unwrap_or_default());
                j += 2;
            }
            let (table_schema, table_name) = match table.as_slice() {
                [.., schema, name] => (schema.clone(), name.clone()),
                [name] => (FIRST_SCHEMA.to_owned(), name.clone()),
                [] => return false,
            };
            let definition = unqualify(
                &statement
                    .text
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            // ... EXECUTE FUNCTION|PROCEDURE [schema.]function(...)
            let function = (next..tokens.len())
                .find(|&j| is(j, "EXECUTE") && (is(j + 1, "FUNCTION") || is(j + 1, "PROCEDURE")))
                .and_then(|execute| {
                    let mut parts = vec![word(execute + 2)?];
                    let mut j = execute + 3;
                    while matches!(tokens.get(j), Some(Token::Period)) {
                        parts.push(word(j + 1)?);
                        j += 2;
                    }
                    match parts.as_slice() {
                        [.., schema, name] => Some((schema.clone(), name.clone())),
                        [name] => Some((FIRST_SCHEMA.to_owned(), name.clone())),
                        [] => None,
                    }
                });
            self.triggers.push(DumpTrigger {
                table: (table_schema, table_name),
                name,
                definition,
                function,
                comment: None,
            });
            return true;
        }
        // The argument list as written, between the first parentheses.
        let arguments = parenthesized(&statement.text)
            .map(|arguments| routine_arguments(arguments, kind == "a"))
            .unwrap_or_default();
        let oid = self.oid();
        self.routines.push(RoutineRow {
            oid,
            definition: Some(if kind == "a" {
                statement.text.trim().trim_end_matches(';').to_owned()
            } else {
                let written = routine_definition(&statement.text);
                routine::functiondef(&written, FIRST_SCHEMA).unwrap_or(written)
            }),
            schema,
            name,
            kind: kind.to_owned(),
            arguments,
            comment: None,
        });
        true
    }

    /// Collations, text search dictionaries, casts, policies, rules,
    /// extended statistics and event triggers, recognized from their leading words and kept as written
    /// (see [`object_statement`]), with the table each is on and the
    /// function an event trigger calls. A policy made from a rule
    /// (`baas_...`) is left to the statement reader, as before.
    fn note_object(&mut self, statement: &Statement) -> bool {
        let Some(tokens) = significant_tokens(&statement.text) else {
            return false;
        };
        let is = |i: usize, text: &str| keyword_at(&tokens, i, text);
        // The (possibly qualified) name at `i`, and the index after it.
        let name_at = |i: usize| -> Option<((String, String), usize)> {
            let part = |i: usize| word_at(&tokens, i);
            let mut parts = vec![part(i)?];
            let mut next = i + 1;
            while matches!(tokens.get(next), Some(Token::Period)) {
                parts.push(part(next + 1)?);
                next += 2;
            }
            match parts.as_slice() {
                [.., schema, name] => Some(((schema.clone(), name.clone()), next)),
                [name] => Some(((FIRST_SCHEMA.to_owned(), name.clone()), next)),
                [] => None,
            }
        };
        let after = |from: usize, word: &str| (from..tokens.len()).find(|&j| is(j, word));
        let qualified = |(schema, name): &(String, String)| {
            format!("{}.{}", quote_identifier(schema), quote_identifier(name))
        };
        if is(0, "ALTER")
            && is(1, "PUBLICATION")
            && is(3, "ADD")
            && (is(4, "TABLE") || is(4, "TABLES"))
        {
            // pg_dump adds each table (with its column list and row
            // filter), then each schema, with its own `ALTER PUBLICATION`:
            // it is part of the publication's statement.
            let Some(((_, name), _)) = name_at(2) else {
                return false;
            };
            let table = if is(4, "TABLE") {
                match name_at(if is(5, "ONLY") { 6 } else { 5 }) {
                    Some((table, _)) => Some(table),
                    None => return false,
                }
            } else if is(5, "IN") && is(6, "SCHEMA") {
                None
            } else {
                return false;
            };
            let name = quote_identifier(&name);
            let Some(publication) = self
                .objects
                .iter_mut()
                .find(|o| o.kind == "publication" && o.name == name)
            else {
                return false;
            };
            publication.definition.push_str("; ");
            publication
                .definition
                .push_str(&object_statement(&statement.text, FIRST_SCHEMA));
            publication.tables.extend(table);
            return true;
        }
        if is(0, "ALTER") && is(1, "TEXT") && is(2, "SEARCH") && is(3, "CONFIGURATION") {
            // pg_dump maps each token type with its own `ALTER TEXT SEARCH
            // CONFIGURATION`: it is part of the configuration's statement.
            let Some((name, next)) = name_at(4) else {
                return false;
            };
            if !(is(next, "ADD") && is(next + 1, "MAPPING")) {
                return false;
            }
            let name = qualified(&name);
            let Some(configuration) = self
                .objects
                .iter_mut()
                .find(|o| o.kind == "text search configuration" && o.name == name)
            else {
                return false;
            };
            let mut at = after(next, "WITH").map(|with| with + 1);
            while let Some((dictionary, next)) = at.and_then(&name_at) {
                let key = format!("text search dictionary {}", qualified(&dictionary));
                if !configuration.uses.contains(&key) {
                    configuration.uses.push(key);
                }
                at = matches!(tokens.get(next), Some(Token::Comma)).then_some(next + 1);
            }
            configuration.definition.push_str("; ");
            configuration
                .definition
                .push_str(&object_statement(&statement.text, FIRST_SCHEMA));
            return true;
        }
        if let Some(state) = self.enabled_state(&tokens, statement) {
            return state;
        }
        if !is(0, "CREATE") {
            return false;
        }
        let start = if is(1, "OR") && is(2, "REPLACE") {
            3
        } else {
            1
        };
        let if_not_exists = |i: usize| {
            if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
                i + 3
            } else {
                i
            }
        };
        let (kind, name, table, function) = if is(start, "COLLATION") {
            let Some((name, _)) = name_at(if_not_exists(start + 1)) else {
                return false;
            };
            ("collation", qualified(&name), None, None)
        } else if is(start, "STATISTICS") {
            let Some((name, next)) = name_at(if_not_exists(start + 1)) else {
                return false;
            };
            let Some((table, _)) = after(next, "FROM").and_then(|from| name_at(from + 1)) else {
                return false;
            };
            ("statistics", qualified(&name), Some(table), None)
        } else if is(start, "POLICY") || is(start, "RULE") {
            let Some(((_, name), next)) = name_at(start + 1) else {
                return false;
            };
            let policy = is(start, "POLICY");
            if policy && name.starts_with("baas_") {
                return false;
            }
            let Some((table, _)) =
                after(next, if policy { "ON" } else { "TO" }).and_then(|on| name_at(on + 1))
            else {
                return false;
            };
            let name = format!("{} ON {}", quote_identifier(&name), qualified(&table));
            (
                if policy { "policy" } else { "rule" },
                name,
                Some(table),
                None,
            )
        } else if is(start, "TEXT") && is(start + 1, "SEARCH") && is(start + 2, "DICTIONARY") {
            let Some((name, _)) = name_at(start + 3) else {
                return false;
            };
            ("text search dictionary", qualified(&name), None, None)
        } else if is(start, "TEXT") && is(start + 1, "SEARCH") && is(start + 2, "CONFIGURATION") {
            let Some((name, _)) = name_at(start + 3) else {
                return false;
            };
            ("text search configuration", qualified(&name), None, None)
        } else if is(start, "CAST") {
            // CREATE CAST (source AS target) ...: named as `format_type`
            // prints the two types.
            let Some(types) = parenthesized(&statement.text) else {
                return false;
            };
            let function = (start..tokens.len())
                .find(|&j| is(j, "WITH") && is(j + 1, "FUNCTION"))
                .and_then(|with| name_at(with + 2))
                .map(|(function, _)| function);
            let name = format!("({})", object_statement(types, FIRST_SCHEMA));
            ("cast", name, None, function)
        } else if is(start, "PUBLICATION") {
            let Some(((_, name), _)) = name_at(start + 1) else {
                return false;
            };
            ("publication", quote_identifier(&name), None, None)
        } else if is(start, "EVENT") && is(start + 1, "TRIGGER") {
            let Some(((_, name), next)) = name_at(start + 2) else {
                return false;
            };
            let function = after(next, "EXECUTE")
                .filter(|&execute| is(execute + 1, "FUNCTION") || is(execute + 1, "PROCEDURE"))
                .and_then(|execute| name_at(execute + 2))
                .map(|(function, _)| function);
            ("event trigger", quote_identifier(&name), None, function)
        } else {
            return false;
        };
        self.objects.push(DumpObject {
            kind,
            name,
            table,
            tables: Vec::new(),
            function,
            uses: Vec::new(),
            definition: object_statement(&statement.text, FIRST_SCHEMA),
            comment: None,
        });
        true
    }

    /// `ALTER EVENT TRIGGER e DISABLE`, `ALTER TABLE t DISABLE RULE r` or
    /// `... TRIGGER tr` (or `ENABLE REPLICA`, `ENABLE ALWAYS`, as pg_dump
    /// writes a state other than enabled): part of the statement of the
    /// object it names, made earlier. `None` when it is no such statement.
    fn enabled_state(&mut self, tokens: &[Token], statement: &Statement) -> Option<bool> {
        let is = |i: usize, text: &str| keyword_at(tokens, i, text);
        // The state's words from `at`, and the index after them.
        let state = |at: usize| {
            if is(at, "DISABLE") {
                Some(at + 1)
            } else if is(at, "ENABLE") {
                Some(if is(at + 1, "REPLICA") || is(at + 1, "ALWAYS") {
                    at + 2
                } else {
                    at + 1
                })
            } else {
                None
            }
        };
        let text = object_statement(&statement.text, FIRST_SCHEMA);
        if is(0, "ALTER") && is(1, "EVENT") && is(2, "TRIGGER") {
            let ((_, name), next) = qualified_name_at(tokens, 3)?;
            state(next)?;
            let name = quote_identifier(&name);
            let object = self
                .objects
                .iter_mut()
                .find(|o| o.kind == "event trigger" && o.name == name);
            return Some(
                object
                    .map(|o| o.definition.push_str(&format!("; {text}")))
                    .is_some(),
            );
        }
        if !(is(0, "ALTER") && is(1, "TABLE")) {
            return None;
        }
        let (table, next) = qualified_name_at(tokens, if is(2, "ONLY") { 3 } else { 2 })?;
        let after = state(next)?;
        let ((_, name), _) = qualified_name_at(tokens, after + 1)?;
        if is(after, "RULE") {
            let key = format!(
                "{} ON {}.{}",
                quote_identifier(&name),
                quote_identifier(&table.0),
                quote_identifier(&table.1)
            );
            let object = self
                .objects
                .iter_mut()
                .find(|o| o.kind == "rule" && o.name == key);
            Some(
                object
                    .map(|o| o.definition.push_str(&format!("; {text}")))
                    .is_some(),
            )
        } else if is(after, "TRIGGER") {
            let trigger = self
                .triggers
                .iter_mut()
                .find(|t| t.table == table && t.name == name);
            Some(
                trigger
                    .map(|t| t.definition.push_str(&format!("; {}", unqualify(&text))))
                    .is_some(),
            )
        } else {
            None
        }
    }

    /// `ALTER TABLE [ONLY] parent ATTACH PARTITION child FOR VALUES ...`.
    fn attach_partition(&mut self, statement: &Statement) -> bool {
        let upper = statement.text.to_ascii_uppercase();
        if !statement.head(2).starts_with("ALTER TABLE") || !upper.contains(" ATTACH PARTITION ") {
            return false;
        }
        let Ok(parsed) = Parser::parse_sql(&PostgreSqlDialect {}, &statement.text) else {
            return false;
        };
        let Some(Ast::AlterTable(alter)) = parsed.into_iter().next() else {
            return false;
        };
        let parent = split_name(&alter.name);
        for operation in &alter.operations {
            if let AlterTableOperation::AttachPartitionOf {
                partition,
                for_values,
            } = operation
            {
                self.make_partition(&parent, partition, Some(for_values.to_string()));
            }
        }
        true
    }

    /// `ALTER TABLE [ONLY] t ALTER [COLUMN] c SET STATISTICS n` or `SET
    /// STORAGE mode`, as `pg_dump` writes a column's statistics target and
    /// storage (sqlparser reads neither): the column has them, as the
    /// catalog says.
    fn column_setting(&mut self, statement: &Statement) -> bool {
        if statement.head(2) != "ALTER TABLE" {
            return false;
        }
        let Some(tokens) = significant_tokens(&statement.text) else {
            return false;
        };
        let Some(((schema, table), mut i)) = altered_table(&tokens) else {
            return false;
        };
        let word = |i: usize| word_at(&tokens, i);
        let is = |i: usize, text: &str| keyword_at(&tokens, i, text);
        if is(i, "CLUSTER") && is(i + 1, "ON") {
            let (Some(index), Some(relation)) = (word(i + 2), self.relation_named(&schema, &table))
            else {
                return false;
            };
            relation.row.cluster_on = Some(index);
            return true;
        }
        if !is(i, "ALTER") {
            return false;
        }
        i += 1;
        if is(i, "COLUMN") {
            i += 1;
        }
        let column = word(i);
        if !is(i + 1, "SET") {
            return false;
        }
        let statistics = if is(i + 2, "STATISTICS") {
            match tokens.get(i + 3) {
                Some(Token::Number(n, _)) => n.parse::<i32>().ok(),
                _ => return false,
            }
        } else if is(i + 2, "STORAGE") {
            None
        } else {
            return false;
        };
        let Some(column) = column else {
            return false;
        };
        let Some(row) = self.column_mut(&schema, &table, &column) else {
            return false;
        };
        match statistics {
            Some(target) => row.statistics_target = target,
            None => row.custom_storage = true,
        }
        true
    }

    /// `COMMENT ON CONSTRAINT name ON table IS '...'` (which sqlparser
    /// does not read) of a table's constraint.
    fn constraint_comment(&mut self, statement: &Statement) -> bool {
        if statement.head(3) != "COMMENT ON CONSTRAINT" {
            return false;
        }
        let Some(tokens) = significant_tokens(&statement.text) else {
            return false;
        };
        let is = |i: usize, text: &str| {
            word_at(&tokens, i).is_some_and(|w| w.eq_ignore_ascii_case(text))
        };
        let Some(name) = word_at(&tokens, 3) else {
            return false;
        };
        if !is(4, "ON") {
            return false;
        }
        let Some(((schema, table), end)) = qualified_name_at(&tokens, 5) else {
            return false;
        };
        let Some(comment) = comment_at(&tokens, end) else {
            return false;
        };
        let Some(constraint) = self.relation_named(&schema, &table).and_then(|r| {
            r.constraints
                .iter_mut()
                .find(|c| c.name.as_deref() == Some(name.as_str()))
        }) else {
            return false;
        };
        constraint.comment = comment;
        true
    }

    /// `COMMENT ON <kind> <object> IS '...'` of a function, procedure,
    /// aggregate, sequence, trigger, policy, rule, collation, text search
    /// dictionary or configuration, cast, extended statistics, event
    /// trigger or publication the dump made (sqlparser reads few of them):
    /// the object has the comment, as the catalog says. `false` when it
    /// names none of them.
    fn object_comment(&mut self, statement: &Statement) -> bool {
        if statement.head(2) != "COMMENT ON" {
            return false;
        }
        let Some(tokens) = significant_tokens(&statement.text) else {
            return false;
        };
        let is = |i: usize, text: &str| keyword_at(&tokens, i, text);
        let qualified = |(schema, name): &(String, String)| {
            format!("{}.{}", quote_identifier(schema), quote_identifier(name))
        };
        // `name ON table` (triggers, policies, rules), and where it ends.
        let on_table = |at: usize| {
            let name = word_at(&tokens, at)?;
            if !is(at + 1, "ON") {
                return None;
            }
            let (table, end) = qualified_name_at(&tokens, at + 2)?;
            Some((name, table, end))
        };
        let (kind, at) = if is(2, "TEXT") && is(3, "SEARCH") && is(4, "DICTIONARY") {
            ("text search dictionary", 5)
        } else if is(2, "TEXT") && is(3, "SEARCH") && is(4, "CONFIGURATION") {
            ("text search configuration", 5)
        } else if is(2, "EVENT") && is(3, "TRIGGER") {
            ("event trigger", 4)
        } else {
            let kind = [
                "function",
                "procedure",
                "aggregate",
                "sequence",
                "trigger",
                "policy",
                "rule",
                "collation",
                "cast",
                "statistics",
                "publication",
            ]
            .into_iter()
            .find(|kind| is(2, kind));
            match kind {
                Some(kind) => (kind, 3),
                None => return false,
            }
        };
        // The object's comment, once found, and where its name ends.
        let (slot, end): (&mut Option<String>, usize) = match kind {
            "function" | "procedure" | "aggregate" => {
                let Some(((schema, name), open)) = qualified_name_at(&tokens, at) else {
                    return false;
                };
                let (Some(end), Some(arguments)) = (
                    after_parentheses(&tokens, open),
                    parenthesized(&statement.text),
                ) else {
                    return false;
                };
                let arguments = routine_arguments(arguments, kind == "aggregate");
                match self
                    .routines
                    .iter_mut()
                    .find(|r| r.schema == schema && r.name == name && r.arguments == arguments)
                {
                    Some(routine) => (&mut routine.comment, end),
                    None => return false,
                }
            }
            "sequence" => {
                let Some(((schema, name), end)) = qualified_name_at(&tokens, at) else {
                    return false;
                };
                match self
                    .sequences
                    .iter_mut()
                    .find(|s| s.schema == schema && s.name == name)
                {
                    Some(sequence) => (&mut sequence.comment, end),
                    None => return false,
                }
            }
            "trigger" => {
                let Some((name, table, end)) = on_table(at) else {
                    return false;
                };
                match self
                    .triggers
                    .iter_mut()
                    .find(|t| t.table == table && t.name == name)
                {
                    Some(trigger) => (&mut trigger.comment, end),
                    None => return false,
                }
            }
            _ => {
                let (name, end) = match kind {
                    "policy" | "rule" => {
                        let Some((name, table, end)) = on_table(at) else {
                            return false;
                        };
                        (
                            format!("{} ON {}", quote_identifier(&name), qualified(&table)),
                            end,
                        )
                    }
                    "cast" => {
                        let (Some(end), Some(types)) = (
                            after_parentheses(&tokens, at),
                            parenthesized(&statement.text),
                        ) else {
                            return false;
                        };
                        (format!("({})", object_statement(types, FIRST_SCHEMA)), end)
                    }
                    "event trigger" | "publication" => match word_at(&tokens, at) {
                        Some(name) => (quote_identifier(&name), at + 1),
                        None => return false,
                    },
                    _ => match qualified_name_at(&tokens, at) {
                        Some((name, end)) => (qualified(&name), end),
                        None => return false,
                    },
                };
                match self
                    .objects
                    .iter_mut()
                    .find(|o| o.kind == kind && o.name == name)
                {
                    Some(object) => (&mut object.comment, end),
                    None => return false,
                }
            }
        };
        let Some(comment) = comment_at(&tokens, end) else {
            return false;
        };
        *slot = comment;
        true
    }

    /// Column `column` of table `schema.table`, if the dump made it.
    fn column_mut(&mut self, schema: &str, table: &str, column: &str) -> Option<&mut ColumnRow> {
        self.relation_named(schema, table)
            .and_then(|r| r.columns.iter_mut().find(|c| c.name == column))
    }

    /// `ALTER TABLE [ONLY] t ADD CONSTRAINT name NOT NULL column [NOT
    /// VALID] [NO INHERIT]` (PostgreSQL 18), which sqlparser does not read:
    /// the column is not null, by a not-null constraint of that name (which
    /// the catalog lists, `NOT VALID` too). `false` for other statements.
    fn not_null_constraint(&mut self, statement: &Statement) -> bool {
        if statement.head(2) != "ALTER TABLE" {
            return false;
        }
        let Some(tokens) = significant_tokens(&statement.text) else {
            return false;
        };
        let is = |i: usize, text: &str| keyword_at(&tokens, i, text);
        let Some(((schema, table), end)) = altered_table(&tokens) else {
            return false;
        };
        if !(is(end, "ADD")
            && is(end + 1, "CONSTRAINT")
            && is(end + 3, "NOT")
            && is(end + 4, "NULL"))
        {
            return false;
        }
        let (Some(name), Some(column)) = (word_at(&tokens, end + 2), word_at(&tokens, end + 5))
        else {
            return false;
        };
        let Some(relation) = self.relation_named(&schema, &table) else {
            return false;
        };
        let Some(row) = relation.columns.iter_mut().find(|c| c.name == column) else {
            return false;
        };
        row.not_null = true;
        let mut constraint = Constraint::new(Some(name), "n", vec![column]);
        constraint.not_valid = (end + 6..tokens.len()).any(|i| is(i, "NOT") && is(i + 1, "VALID"));
        relation.constraints.push(constraint);
        true
    }

    /// `ALTER INDEX parent_index ATTACH PARTITION child_index`: the index
    /// of a partition is its partitioned table's, not one of its own.
    fn attach_index(&mut self, statement: &Statement) -> bool {
        if statement.head(2) != "ALTER INDEX" {
            return false;
        }
        let words: Vec<&str> = statement
            .text
            .trim_end_matches(';')
            .split_whitespace()
            .collect();
        let [_, _, _, attach, partition, child] = words.as_slice() else {
            return false;
        };
        if !attach.eq_ignore_ascii_case("ATTACH") || !partition.eq_ignore_ascii_case("PARTITION") {
            return false;
        }
        let Ok(child) = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(child)
            .and_then(|mut parser| parser.parse_object_name(false))
        else {
            return false;
        };
        let (schema, name) = split_name(&child);
        for relation in self.relations.iter_mut().filter(|r| r.row.schema == schema) {
            for index in relation.indexes.iter_mut().filter(|i| i.name == name) {
                index.is_inherited = true;
            }
            // The index of a key or exclusion constraint has its name.
            for constraint in relation
                .constraints
                .iter_mut()
                .filter(|c| matches!(c.kind, "p" | "u" | "x") && c.name.as_deref() == Some(&name))
            {
                constraint.inherited = true;
            }
        }
        true
    }

    fn make_partition(
        &mut self,
        parent: &(String, String),
        child: &ObjectName,
        bound: Option<String>,
    ) {
        let parent_relation = self
            .relations
            .iter()
            .find(|r| r.row.schema == parent.0 && r.row.name == parent.1);
        let parent_oid = parent_relation.map(|r| r.row.oid);
        // `CREATE TABLE child PARTITION OF parent` lists no columns: they
        // are its parent's, which its own indexes and constraints name.
        let parent_columns = parent_relation
            .map(|r| r.columns.clone())
            .unwrap_or_default();
        let parent_checks: Vec<Option<String>> = parent_relation
            .map(|r| {
                r.constraints
                    .iter()
                    .filter(|c| c.kind == "c")
                    .map(|c| c.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let parent_name = regclass_text(parent);
        if let (Some(parent_oid), Some(relation)) = (parent_oid, self.relation_mut(child)) {
            relation.row.is_partition = true;
            // A check the table had of the name of one of its parent's
            // is the parent's once attached.
            for check in &mut relation.constraints {
                if check.kind == "c" && check.name.is_some() && parent_checks.contains(&check.name)
                {
                    check.local = false;
                }
            }
            if relation.columns.is_empty() {
                let oid = relation.row.oid;
                relation.columns = parent_columns;
                for column in &mut relation.columns {
                    column.relation = oid;
                }
            }
            relation.row.parents = vec![parent_oid];
            relation.row.parent_names = vec![parent_name];
            // `pg_get_expr` prints `WITH (modulus 2, remainder 0)` in lower case.
            relation.row.partition_bound = bound.map(|b| {
                partition_bound_in_utc(&unqualify(&b))
                    .replace("(MODULUS ", "(modulus ")
                    .replace(", REMAINDER ", ", remainder ")
            });
        }
    }

    /// `CREATE TABLE child (...) INHERITS (parent, ...)`: as the catalog
    /// has it, the child holds its parents' columns first, in their order
    /// (a column it declares again is the inherited one, at its place),
    /// then its own.
    fn inherit(&self, relation: &mut Relation, parents: &[ObjectName]) {
        let mut columns: Vec<ColumnRow> = Vec::new();
        for parent in parents {
            let parent = split_name(parent);
            relation.row.parent_names.push(regclass_text(&parent));
            let Some(found) = self
                .relations
                .iter()
                .find(|r| r.row.schema == parent.0 && r.row.name == parent.1)
            else {
                continue;
            };
            relation.row.parents.push(found.row.oid);
            for column in &found.columns {
                if !columns.iter().any(|c| c.name == column.name) {
                    // Its comment, identity and statistics target are
                    // the parent's own, and so is a `NO INHERIT` not-null
                    // constraint (PostgreSQL 18).
                    let own_not_null = found.constraints.iter().any(|c| {
                        c.kind == "n" && c.no_inherit && c.columns == [column.name.clone()]
                    });
                    columns.push(ColumnRow {
                        is_local: false,
                        identity: String::new(),
                        statistics_target: -1,
                        comment: None,
                        not_null: column.not_null && !own_not_null,
                        ..column.clone()
                    });
                }
            }
            // A check is inherited unless `NO INHERIT`: the server lists
            // it on the child too; a dump writes it on the parent only.
            for check in found
                .constraints
                .iter()
                .filter(|c| c.kind == "c" && !c.no_inherit)
            {
                if !relation.constraints.iter().any(|c| c.name == check.name) {
                    let mut copy = Constraint::new(check.name.clone(), "c", Vec::new());
                    copy.check_sql.clone_from(&check.check_sql);
                    copy.local = false;
                    relation.constraints.push(copy);
                }
            }
        }
        for own in relation.columns.drain(..) {
            match columns.iter_mut().find(|c| c.name == own.name) {
                Some(inherited) => {
                    inherited.is_local = true;
                    inherited.not_null |= own.not_null;
                    if own.default_sql.is_some() {
                        inherited.default_sql = own.default_sql;
                        inherited.default_sequence = own.default_sequence;
                    }
                }
                None => columns.push(own),
            }
        }
        for (position, column) in columns.iter_mut().enumerate() {
            column.relation = relation.row.oid;
            column.position = i16::try_from(position + 1).unwrap_or(i16::MAX);
        }
        relation.columns = columns;
    }

    fn new_relation(&mut self, object: &ObjectName, kind: &str) -> Relation {
        let (schema, name) = split_name(object);
        Relation {
            row: RelationRow {
                oid: self.oid(),
                schema,
                name,
                kind: kind.to_owned(),
                is_partition: false,
                row_security: false,
                force_row_security: false,
                persistence: "p".to_owned(),
                options: Vec::new(),
                comment: None,
                definition: None,
                partition_key: None,
                partition_bound: None,
                replica_identity: None,
                cluster_on: None,
                unrepresented: Vec::new(),
                parents: Vec::new(),
                parent_names: Vec::new(),
                unread_partition_schemas: Vec::new(),
            },
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
        }
    }

    /// Applies one parsed statement. `Err` is a statement that changes the
    /// schema in a way this importer cannot follow.
    /// `columns` are the statement's [`postgres18_columns`].
    fn apply(
        &mut self,
        ast: Ast,
        text: &str,
        columns: &written::Postgres18Columns,
        ledger: &mut Ledger,
    ) -> Result<(), String> {
        let checks = written::checks(text, &PostgreSqlDialect {});
        let mut parameters = constraint_index_parameters(text)
            .map(|(_, found)| found)
            .unwrap_or_default()
            .into_iter();
        match ast {
            Ast::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Enum { labels }),
            } => {
                let (schema, bare) = split_name(&name);
                let mut row = self.new_type(&schema, &bare, type_text(&schema, &bare), "e");
                row.category = "E".to_owned();
                row.labels = Some(labels.into_iter().map(|l| l.value).collect());
                self.add_type(row);
                Ok(())
            }
            Ast::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Composite { attributes }),
            } => {
                let (schema, bare) = split_name(&name);
                let mut row = self.new_type(&schema, &bare, type_text(&schema, &bare), "c");
                row.category = "C".to_owned();
                for attribute in &attributes {
                    let (oid, typmod, formatted) = self.column_type(&attribute.data_type);
                    row.attribute_names.push(folded(&attribute.name));
                    row.attribute_types.push(oid);
                    row.attribute_typmods.push(typmod);
                    row.attribute_formatted.push(formatted);
                }
                row.definition = Some(text.trim().to_owned());
                self.add_type(row);
                Ok(())
            }
            Ast::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Range { options }),
            } => {
                let (schema, bare) = split_name(&name);
                let mut row = self.new_type(&schema, &bare, type_text(&schema, &bare), "r");
                row.category = "R".to_owned();
                for option in &options {
                    if let UserDefinedTypeRangeOption::Subtype(subtype) = option {
                        row.base = self.column_type(subtype).0;
                    }
                }
                row.definition = Some(text.trim().to_owned());
                self.add_type(row);
                Ok(())
            }
            Ast::CreateDomain(domain) => {
                let (schema, bare) = split_name(&domain.name);
                let (base, typmod, base_formatted) = self.column_type(&domain.data_type);
                let mut row = self.new_type(&schema, &bare, type_text(&schema, &bare), "d");
                row.base = base;
                row.base_typmod = typmod;
                row.base_formatted = Some(base_formatted);
                row.collation = domain.collation.as_ref().map(|ident| ident.value.clone());
                row.default_sql = domain.default.as_ref().and_then(default_text);
                let checks: Vec<String> = domain
                    .constraints
                    .iter()
                    .filter_map(|constraint| match constraint {
                        // `name: CHECK (...)`, as the catalog query gives it.
                        TableConstraint::Check(check) => Some(format!(
                            "{}: CHECK ({})",
                            check
                                .name
                                .as_ref()
                                .map_or_else(|| format!("{bare}_check"), folded),
                            check_text(
                                check.name.as_ref().map(folded).as_deref(),
                                &check.expr,
                                &checks
                            )
                        )),
                        _ => None,
                    })
                    .collect();
                row.checks = (!checks.is_empty()).then_some(checks);
                row.not_null = domain_without_null(text).1;
                self.add_type(row);
                Ok(())
            }
            Ast::CreateSequence {
                name,
                sequence_options,
                ..
            } => {
                let (schema, bare) = split_name(&name);
                let row = self.sequence_row(schema, bare, &sequence_options, "bigint");
                self.sequences.push(row);
                Ok(())
            }
            Ast::CreateTable(create) => {
                let kind = if create.partition_by.is_some() {
                    "p"
                } else {
                    "r"
                };
                let mut relation = self.new_relation(&create.name, kind);
                relation.row.partition_key = create
                    .partition_by
                    .as_ref()
                    .map(|key| partition_key(&unqualify(&key.to_string())));
                if create.unlogged {
                    relation.row.persistence = "u".to_owned();
                }
                relation.row.options = with_options(&create.table_options);
                let table = relation.row.name.clone();
                let mut identities = Vec::new();
                for (index, column) in create.columns.iter().enumerate() {
                    // `serial` is shorthand for an integer column owning a
                    // sequence that its default calls.
                    let serial = match column.data_type.to_string().to_ascii_lowercase().as_str() {
                        "smallserial" | "serial2" => Some(("int2", "smallint")),
                        "serial" | "serial4" => Some(("int4", "integer")),
                        "bigserial" | "serial8" => Some(("int8", "bigint")),
                        _ => None,
                    };
                    let (type_oid, typmod, type_name) = match serial {
                        Some((internal, formatted)) => {
                            (self.builtin(internal, formatted), -1, formatted.to_owned())
                        }
                        None => self.column_type(&column.data_type),
                    };
                    let position = i16::try_from(index + 1).unwrap_or(i16::MAX);
                    let serial_default = serial.map(|(_, formatted)| {
                        let sequence = default_name(&table, Some(&folded(&column.name)), "seq");
                        let oid = self.oid();
                        self.sequences.push(SequenceRow {
                            oid,
                            schema: relation.row.schema.clone(),
                            name: sequence.clone(),
                            type_name: formatted.to_owned(),
                            start: 1,
                            increment: 1,
                            minimum: 1,
                            maximum: match formatted {
                                "smallint" => i64::from(i16::MAX),
                                "integer" => i64::from(i32::MAX),
                                _ => i64::MAX,
                            },
                            cache: 1,
                            cycle: false,
                            owner_relation: Some(relation.row.oid),
                            owner_column: Some(i32::from(position)),
                            ownership: Some("a".to_owned()),
                            comment: None,
                        });
                        let qualified = if relation.row.schema == FIRST_SCHEMA {
                            quote_identifier(&sequence)
                        } else {
                            format!(
                                "{}.{}",
                                quote_identifier(&relation.row.schema),
                                quote_identifier(&sequence)
                            )
                        };
                        format!("nextval('{qualified}'::regclass)")
                    });
                    let mut row = ColumnRow {
                        relation: relation.row.oid,
                        position,
                        name: folded(&column.name),
                        type_oid,
                        typmod,
                        type_name,
                        not_null: serial.is_some(),
                        is_local: true,
                        identity: String::new(),
                        generated: String::new(),
                        default_sql: serial_default,
                        default_sequence: None,
                        collation_oid: 0,
                        collation: None,
                        custom_storage: false,
                        options: Vec::new(),
                        statistics_target: -1,
                        comment: None,
                    };
                    for option in &column.options {
                        let named = option.name.as_ref().map(folded);
                        match &option.option {
                            ColumnOption::NotNull => {
                                row.not_null = true;
                                // Named, it is a not-null constraint
                                // (PostgreSQL 18 keeps the name).
                                if let Some(name) = named {
                                    relation.constraints.push(Constraint::new(
                                        Some(name),
                                        "n",
                                        vec![row.name.clone()],
                                    ));
                                }
                            }
                            ColumnOption::Null => row.not_null = false,
                            ColumnOption::Default(expr) => row.default_sql = default_text(expr),
                            ColumnOption::Collation(collation) => {
                                row.collation = Some(collation_name(collation))
                            }
                            ColumnOption::PrimaryKey(key) => {
                                let mut constraint =
                                    Constraint::new(named, "p", vec![row.name.clone()]);
                                constraint.characteristics(key.characteristics.as_ref());
                                relation.constraints.push(constraint);
                            }
                            ColumnOption::Unique(key) => {
                                let mut constraint =
                                    Constraint::new(named, "u", vec![row.name.clone()]);
                                constraint.nulls_not_distinct =
                                    matches!(key.nulls_distinct, NullsDistinctOption::NotDistinct);
                                constraint.characteristics(key.characteristics.as_ref());
                                relation.constraints.push(constraint);
                            }
                            ColumnOption::ForeignKey(key) => {
                                let mut constraint =
                                    Constraint::new(named, "f", vec![row.name.clone()]);
                                constraint.referenced = Some(split_name(&key.foreign_table));
                                constraint.referenced_columns =
                                    key.referred_columns.iter().map(folded).collect();
                                constraint.on_delete = action_code(key.on_delete);
                                constraint.on_update = action_code(key.on_update);
                                constraint.match_type = match_code(key.match_kind);
                                relation.constraints.push(constraint);
                            }
                            ColumnOption::Check(check) => {
                                let mut constraint = Constraint::new(
                                    named.or_else(|| {
                                        Some(default_name(&table, Some(&row.name), "check"))
                                    }),
                                    "c",
                                    Vec::new(),
                                );
                                constraint.check_sql = Some(check_text(
                                    constraint.name.as_deref(),
                                    &check.expr,
                                    &checks,
                                ));
                                relation.constraints.push(constraint);
                            }
                            ColumnOption::Generated {
                                generated_as,
                                generation_expr,
                                sequence_options,
                                ..
                            } => match generation_expr {
                                Some(expr) => {
                                    let virtual_column = columns
                                        .virtual_columns
                                        .iter()
                                        .any(|(name, _)| *name == row.name);
                                    row.generated =
                                        if virtual_column { "v" } else { "s" }.to_owned();
                                    row.default_sql = Some(expr_text(expr));
                                }
                                None => {
                                    row.identity = identity_code(Some(*generated_as));
                                    row.not_null = true;
                                    identities.push(IdentitySequence {
                                        relation: relation.row.oid,
                                        schema: relation.row.schema.clone(),
                                        table: table.clone(),
                                        column: row.name.clone(),
                                        position,
                                        type_name: row.type_name.clone(),
                                        sequence: None,
                                        options: sequence_options.clone().unwrap_or_default(),
                                    });
                                }
                            },
                            _ => {}
                        }
                    }
                    relation.columns.push(row);
                }
                for not_null in &columns.not_nulls {
                    let column = not_null.column.clone();
                    if let Some(row) = relation.columns.iter_mut().find(|c| c.name == column) {
                        row.not_null = true;
                        // A column's own named one was read with it.
                        relation
                            .constraints
                            .retain(|c| !(c.kind == "n" && c.columns == [column.clone()]));
                        let name = not_null
                            .name
                            .clone()
                            .unwrap_or_else(|| default_name(&table, Some(&column), "not_null"));
                        let mut constraint = Constraint::new(Some(name), "n", vec![column]);
                        constraint.no_inherit = not_null.no_inherit;
                        relation.constraints.push(constraint);
                    }
                }
                for constraint in &create.constraints {
                    match Constraint::from_table_constraint(constraint, &checks, &mut parameters) {
                        Some(constraint) => relation.constraints.push(constraint),
                        None => ledger.record(
                            relation.row.name.as_str(),
                            "constraint",
                            format!("constraint `{constraint}` is not followed by the importer"),
                        ),
                    }
                }
                if let Some(parents) = &create.inherits {
                    self.inherit(&mut relation, parents);
                }
                let partition_of = create.partition_of.clone();
                let bound = create.for_values.as_ref().map(ToString::to_string);
                self.relations.push(relation);
                for identity in identities {
                    self.identity_sequence(identity);
                }
                if let Some(parent) = partition_of {
                    self.make_partition(&split_name(&parent), &create.name, bound);
                }
                Ok(())
            }
            Ast::AlterTable(alter) => {
                let Some(relation) = self.relation_mut(&alter.name) else {
                    // `pg_dump --clean`'s preamble drops what the dump then
                    // creates: before the table exists it changes nothing.
                    let only_drops = alter.operations.iter().all(|operation| {
                        matches!(
                            operation,
                            AlterTableOperation::DropConstraint { .. }
                                | AlterTableOperation::AlterColumn {
                                    op: AlterColumnOperation::DropDefault,
                                    ..
                                }
                        )
                    });
                    if alter.if_exists || only_drops {
                        return Ok(());
                    }
                    return Err(format!("ALTER TABLE of unknown table `{}`", alter.name));
                };
                let mut identities = Vec::new();
                for operation in alter.operations {
                    match operation {
                        AlterTableOperation::AddConstraint {
                            constraint,
                            not_valid,
                        } => {
                            match Constraint::from_table_constraint(
                                &constraint,
                                &checks,
                                &mut parameters,
                            ) {
                                Some(constraint) => relation.constraints.push(Constraint {
                                    not_valid,
                                    ..constraint
                                }),
                                None => {
                                    return Err(format!(
                                        "constraint `{constraint}` is not followed by the importer"
                                    ));
                                }
                            }
                        }
                        AlterTableOperation::AlterColumn { column_name, op } => {
                            let Some(column) = relation
                                .columns
                                .iter_mut()
                                .find(|c| c.name == folded(&column_name))
                            else {
                                return Err(format!(
                                    "ALTER COLUMN of unknown column `{column_name}`"
                                ));
                            };
                            match op {
                                AlterColumnOperation::SetDefault { value } => {
                                    column.default_sql = default_text(&value);
                                }
                                AlterColumnOperation::DropDefault => column.default_sql = None,
                                AlterColumnOperation::SetNotNull => column.not_null = true,
                                AlterColumnOperation::DropNotNull => column.not_null = false,
                                AlterColumnOperation::AddGenerated {
                                    generated_as,
                                    sequence_options,
                                } => {
                                    column.identity = identity_code(generated_as);
                                    column.not_null = true;
                                    identities.push(IdentitySequence {
                                        relation: relation.row.oid,
                                        schema: relation.row.schema.clone(),
                                        table: relation.row.name.clone(),
                                        column: column.name.clone(),
                                        position: column.position,
                                        type_name: column.type_name.clone(),
                                        sequence: identity_sequence_name(text)
                                            .map(|(_, name)| split_name(&name).1),
                                        options: sequence_options.unwrap_or_default(),
                                    });
                                }
                                other => {
                                    return Err(format!(
                                        "ALTER COLUMN `{column_name}` {other} is not followed by the importer"
                                    ));
                                }
                            }
                        }
                        AlterTableOperation::EnableRowLevelSecurity => {
                            relation.row.row_security = true
                        }
                        AlterTableOperation::DisableRowLevelSecurity => {
                            relation.row.row_security = false
                        }
                        AlterTableOperation::ForceRowLevelSecurity => {
                            relation.row.force_row_security = true
                        }
                        AlterTableOperation::NoForceRowLevelSecurity => {
                            relation.row.force_row_security = false
                        }
                        AlterTableOperation::ReplicaIdentity { identity } => {
                            relation.row.replica_identity = match identity {
                                ReplicaIdentity::Default => None,
                                ReplicaIdentity::Full => Some("FULL".to_owned()),
                                ReplicaIdentity::Nothing => Some("NOTHING".to_owned()),
                                ReplicaIdentity::Index(index) => Some(format!(
                                    "USING INDEX {}",
                                    quote_identifier(&folded(&index))
                                )),
                            }
                        }
                        other => {
                            return Err(format!(
                                "ALTER TABLE `{}` {other} is not followed by the importer",
                                alter.name
                            ));
                        }
                    }
                }
                for identity in identities {
                    self.identity_sequence(identity);
                }
                Ok(())
            }
            Ast::CreateIndex(index) => {
                let oid = self.oid();
                let Some(relation) = self.relation_mut(&index.table_name) else {
                    return Err(format!(
                        "CREATE INDEX on unknown table `{}`",
                        index.table_name
                    ));
                };
                let mut columns = Vec::new();
                let mut key_options = Vec::new();
                let mut expressions = Vec::new();
                let mut opclasses = Vec::new();
                let mut collation_names = Vec::new();
                let (written_keys, written_predicate) =
                    written::index(text, &PostgreSqlDialect {}).unwrap_or_default();
                for (key, part) in index.columns.iter().enumerate() {
                    let (expr, collation) = collated_key(&part.column.expr);
                    let column = match expr {
                        Expr::Identifier(ident) => {
                            relation.columns.iter().find(|c| c.name == folded(ident))
                        }
                        _ => None,
                    };
                    let position = column.map(|c| c.position);
                    // A column's own collation is not the key's, as the
                    // catalog says it.
                    collation_names.push(
                        collation
                            .filter(|name| {
                                column.is_none_or(|c| c.collation.as_ref() != Some(name))
                            })
                            .unwrap_or_default(),
                    );
                    columns.push(position.unwrap_or(0));
                    expressions.push(match position {
                        Some(_) => String::new(),
                        None => match written_keys.get(key) {
                            Some(Some(written)) if written_keys.len() == index.columns.len() => {
                                printed(written)
                            }
                            _ => expr_text(expr),
                        },
                    });
                    let descending = matches!(part.column.options.sort, Some(OrderBySort::Desc));
                    let nulls_first = part.column.options.nulls_first.unwrap_or(descending);
                    key_options.push(i16::from(descending) | (i16::from(nulls_first) << 1));
                    opclasses.push(
                        part.operator_class
                            .as_ref()
                            .map(|o| unqualify(&o.to_string())),
                    );
                }
                for included in &index.include {
                    columns.push(
                        relation
                            .columns
                            .iter()
                            .find(|c| c.name == folded(included))
                            .map_or(0, |c| c.position),
                    );
                }
                let keys = i16::try_from(index.columns.len()).unwrap_or(i16::MAX);
                let name = match &index.name {
                    Some(name) => split_name(name).1,
                    None => {
                        let table = relation.row.name.clone();
                        let first = key_columns(&index.columns).join("_");
                        default_name(&table, Some(&first), "idx")
                    }
                };
                relation.indexes.push(IndexRow {
                    oid,
                    name,
                    relation: relation.row.oid,
                    method: index.using.as_ref().map_or_else(
                        || "btree".to_owned(),
                        |m| m.to_string().trim_matches('"').to_ascii_lowercase(),
                    ),
                    is_unique: index.unique,
                    is_valid: true,
                    key_count: keys,
                    columns,
                    key_options,
                    predicate: index.predicate.as_ref().map(|predicate| {
                        written_predicate
                            .as_deref()
                            .map_or_else(|| expr_text(predicate), printed)
                    }),
                    backs_constraint: false,
                    is_inherited: false,
                    nulls_not_distinct: Some(index.nulls_distinct == Some(false)),
                    options: index.with.iter().map(reloption).collect(),
                    // A collation the key writes has an oid of no other.
                    collations: collation_names
                        .iter()
                        .map(|name| if name.is_empty() { 0 } else { -1 })
                        .collect(),
                    collation_names,
                    default_opclasses: opclasses.iter().map(Option::is_none).collect(),
                    opclasses: opclasses
                        .into_iter()
                        .map(Option::unwrap_or_default)
                        .collect(),
                    expressions,
                    comment: None,
                });
                Ok(())
            }
            Ast::CreateView(view) => {
                let kind = if view.materialized { "m" } else { "v" };
                let mut relation = self.new_relation(&view.name, kind);
                let (text, check_option) = match view_check_option(text) {
                    Some((text, option)) => (text, Some(option)),
                    None => (text, None),
                };
                relation.row.definition =
                    Some(view_query(text).unwrap_or_else(|| view.query.to_string()));
                // `WITH (security_invoker = true)`, then the check option,
                // as the server lists them.
                relation.row.options = with_options(&view.options);
                relation.row.options.extend(check_option);
                relation.row.comment = view.comment.clone();
                self.relations.push(relation);
                Ok(())
            }
            Ast::Comment {
                object_type,
                object_name,
                comment,
                ..
            } => {
                match object_type {
                    CommentObject::Table
                    | CommentObject::View
                    | CommentObject::MaterializedView => {
                        if let Some(relation) = self.relation_mut(&object_name) {
                            relation.row.comment = comment;
                        }
                    }
                    CommentObject::Column => {
                        let mut parts = object_name.0.clone();
                        let column = parts
                            .pop()
                            .map(|p| p.as_ident().map_or_else(|| p.to_string(), folded));
                        let table = ObjectName(parts);
                        if let (Some(column), Some(relation)) = (column, self.relation_mut(&table))
                            && let Some(row) =
                                relation.columns.iter_mut().find(|c| c.name == column)
                        {
                            row.comment = comment;
                        }
                    }
                    CommentObject::Index => {
                        let (schema, name) = split_name(&object_name);
                        if let Some(index) = self
                            .relations
                            .iter_mut()
                            .filter(|relation| relation.row.schema == schema)
                            .flat_map(|relation| relation.indexes.iter_mut())
                            .find(|index| index.name == name)
                        {
                            index.comment = comment;
                        }
                    }
                    CommentObject::Type | CommentObject::Domain => {
                        let key = split_name(&object_name);
                        if let Some(oid) = self.type_oids.get(&key).copied()
                            && let Some(ty) = self.types.iter_mut().find(|t| t.oid == oid)
                        {
                            ty.comment = comment;
                        }
                    }
                    _ => {}
                }
                Ok(())
            }
            // Data, session settings and housekeeping do not shape the schema.
            Ast::Insert(_)
            | Ast::Set(_)
            | Ast::Drop { .. }
            | Ast::Query(_)
            | Ast::StartTransaction { .. }
            | Ast::Commit { .. }
            | Ast::Copy { .. }
            | Ast::Grant { .. }
            | Ast::Revoke { .. }
            | Ast::CreateExtension { .. } => Ok(()),
            other => {
                let text = other.to_string();
                let head: String = text.chars().take(40).collect();
                Err(format!("`{head}…` is not followed by the importer"))
            }
        }
    }

    /// The row of a sequence made with `options`; `type_name` is its type
    /// unless an `AS` option says another.
    fn sequence_row(
        &mut self,
        schema: String,
        name: String,
        options: &[SequenceOptions],
        type_name: &str,
    ) -> SequenceRow {
        let mut row = SequenceRow {
            oid: self.oid(),
            schema,
            name,
            type_name: type_name.to_owned(),
            start: 1,
            increment: 1,
            minimum: 1,
            maximum: i64::MAX,
            cache: 1,
            cycle: false,
            owner_relation: None,
            owner_column: None,
            ownership: None,
            comment: None,
        };
        let number = |expr: &Expr| expr.to_string().replace(' ', "").parse::<i64>().ok();
        let (mut explicit_min, mut explicit_max, mut explicit_start) = (false, false, false);
        for option in options {
            match option {
                SequenceOptions::DataType(data_type) => {
                    row.type_name = self.builtin_type(&data_type.to_string()).2;
                }
                SequenceOptions::IncrementBy(expr, _) => row.increment = number(expr).unwrap_or(1),
                SequenceOptions::MinValue(Some(expr)) => {
                    explicit_min = true;
                    row.minimum = number(expr).unwrap_or(1);
                }
                SequenceOptions::MaxValue(Some(expr)) => {
                    explicit_max = true;
                    row.maximum = number(expr).unwrap_or(i64::MAX);
                }
                SequenceOptions::StartWith(expr, _) => {
                    explicit_start = true;
                    row.start = number(expr).unwrap_or(1);
                }
                SequenceOptions::Cache(expr) => row.cache = number(expr).unwrap_or(1),
                SequenceOptions::Cycle(no) => row.cycle = !*no,
                SequenceOptions::OwnedBy(Some(owner)) => self.own_sequence(row.oid, owner),
                _ => {}
            }
        }
        // The server's defaults: an ascending sequence runs from 1 to its
        // type's maximum, a descending one from -1 down to its type's
        // minimum; each starts at the end it runs from.
        let (type_minimum, type_maximum) = match row.type_name.as_str() {
            "smallint" => (i64::from(i16::MIN), i64::from(i16::MAX)),
            "integer" => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        let descending = row.increment < 0;
        if !explicit_min {
            row.minimum = if descending { type_minimum } else { 1 };
        }
        if !explicit_max {
            row.maximum = if descending { -1 } else { type_maximum };
        }
        if !explicit_start {
            row.start = if descending { row.maximum } else { row.minimum };
        }
        row
    }

    /// The sequence of an identity column, as the server makes it: named
    /// `sequence` (else `table_column_seq`), of the column's type.
    fn identity_sequence(&mut self, identity: IdentitySequence) {
        let name = identity
            .sequence
            .unwrap_or_else(|| default_name(&identity.table, Some(&identity.column), "seq"));
        let type_name = match identity.type_name.as_str() {
            "smallint" | "integer" => identity.type_name.as_str(),
            _ => "bigint",
        };
        let mut row = self.sequence_row(identity.schema, name, &identity.options, type_name);
        row.owner_relation = Some(identity.relation);
        row.owner_column = Some(i32::from(identity.position));
        row.ownership = Some("i".to_owned());
        self.sequences.push(row);
    }

    /// `ALTER SEQUENCE name OWNED BY table.column` (sqlparser does not read
    /// `ALTER SEQUENCE`); `None` for other statements.
    fn alter_sequence(&mut self, statement: &Statement) -> Option<Result<(), String>> {
        if statement.head(2) != "ALTER SEQUENCE" {
            return None;
        }
        let words: Vec<&str> = statement.text.split_whitespace().collect();
        let object = |text: &str| -> Option<ObjectName> {
            Parser::new(&PostgreSqlDialect {})
                .try_with_sql(text)
                .ok()?
                .parse_object_name(false)
                .ok()
        };
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let owned = upper.windows(2).position(|pair| pair == ["OWNED", "BY"]);
        let (Some(name), Some(owned)) = (words.get(2).and_then(|w| object(w)), owned) else {
            return Some(Err(
                "this ALTER SEQUENCE is not followed by the importer (only `OWNED BY` is)"
                    .to_owned(),
            ));
        };
        let (schema, bare) = split_name(&name);
        let Some(oid) = self
            .sequences
            .iter()
            .find(|s| s.schema == schema && s.name == bare)
            .map(|s| s.oid)
        else {
            return Some(Err(format!("ALTER SEQUENCE of unknown sequence `{bare}`")));
        };
        match words.get(owned + 2).map(|w| w.to_ascii_uppercase()) {
            Some(owner) if owner == "NONE" => {}
            Some(_) => {
                if let Some(owner) = words.get(owned + 2).and_then(|w| object(w)) {
                    self.own_sequence(oid, &owner);
                }
            }
            None => {}
        }
        Some(Ok(()))
    }

    /// `OWNED BY table.column`.
    fn own_sequence(&mut self, sequence: i64, owner: &ObjectName) {
        let mut parts = owner.0.clone();
        let Some(column) = parts
            .pop()
            .map(|p| p.as_ident().map_or_else(|| p.to_string(), folded))
        else {
            return;
        };
        let (schema, table) = split_name(&ObjectName(parts));
        self.owned_by.push((sequence, schema, table, column));
    }

    /// The catalog rows a server would hold after loading the dump.
    fn into_catalog(self, database: String) -> Catalog {
        let Schema {
            relations,
            types,
            mut sequences,
            owned_by,
            triggers,
            routines,
            objects,
            next_oid,
            ..
        } = self;
        // The indexes of primary keys and unique constraints come after
        // every other object.
        let mut index_oid = 100_000 + next_oid;
        let find = |schema: &str, name: &str| {
            relations
                .iter()
                .find(|r| r.row.schema == schema && r.row.name == name)
        };
        for (sequence, schema, table, column) in owned_by {
            let owner = find(&schema, &table).and_then(|relation| {
                relation
                    .columns
                    .iter()
                    .find(|c| c.name == column)
                    .map(|c| (relation.row.oid, c.position))
            });
            if let (Some((relation, position)), Some(row)) =
                (owner, sequences.iter_mut().find(|s| s.oid == sequence))
            {
                row.owner_relation = Some(relation);
                row.owner_column = Some(i32::from(position));
                row.ownership = Some("a".to_owned());
            }
        }
        let sequence_oid = |sql: &str| -> Option<i64> {
            let start = sql.find("nextval('")? + "nextval('".len();
            let end = start + sql[start..].find('\'')?;
            let quoted = &sql[start..end];
            let (schema, name) = match quoted.split_once('.') {
                Some((schema, name)) => (schema.trim_matches('"'), name.trim_matches('"')),
                None => (FIRST_SCHEMA, quoted.trim_matches('"')),
            };
            sequences
                .iter()
                .find(|s| s.schema == schema && s.name == name)
                .map(|s| s.oid)
        };
        let mut catalog = Catalog {
            database,
            existing_schemas: vec![FIRST_SCHEMA.to_owned()],
            ..Catalog::default()
        };
        for relation in &relations {
            for column in &relation.columns {
                let primary = relation
                    .constraints
                    .iter()
                    .any(|c| c.kind == "p" && c.columns.contains(&column.name));
                let default_sql = column.default_sql.as_deref().map(normalize_nextval);
                catalog.columns.push(ColumnRow {
                    relation: column.relation,
                    position: column.position,
                    name: column.name.clone(),
                    type_oid: column.type_oid,
                    typmod: column.typmod,
                    type_name: column.type_name.clone(),
                    not_null: column.not_null || primary,
                    is_local: column.is_local,
                    identity: column.identity.clone(),
                    generated: column.generated.clone(),
                    default_sequence: column.default_sql.as_deref().and_then(sequence_oid),
                    default_sql,
                    collation_oid: 0,
                    collation: column.collation.clone(),
                    custom_storage: column.custom_storage,
                    options: Vec::new(),
                    statistics_target: column.statistics_target,
                    comment: column.comment.clone(),
                });
            }
            let table = relation.row.name.as_str();
            for constraint in relation.constraints.iter().filter(|c| !c.inherited) {
                let positions = |relation: &Relation, names: &[String]| -> Vec<i16> {
                    names
                        .iter()
                        .map(|name| {
                            relation
                                .columns
                                .iter()
                                .find(|c| &c.name == name)
                                .map_or(-1, |c| c.position)
                        })
                        .collect()
                };
                let name = constraint
                    .name
                    .clone()
                    .unwrap_or_else(|| match constraint.kind {
                        "p" => default_name(table, None, "pkey"),
                        "u" => default_name(table, Some(&constraint.columns.join("_")), "key"),
                        "f" => default_name(table, Some(&constraint.columns.join("_")), "fkey"),
                        "x" => default_name(table, Some(&constraint.columns.join("_")), "excl"),
                        _ => default_name(table, None, "check"),
                    });
                let referenced = constraint
                    .referenced
                    .as_ref()
                    .and_then(|(schema, name)| find(schema, name));
                let referenced_columns = match (referenced, constraint.kind) {
                    (Some(target), "f") if constraint.referenced_columns.is_empty() => target
                        .constraints
                        .iter()
                        .find(|c| c.kind == "p")
                        .map(|key| positions(target, &key.columns))
                        .unwrap_or_default(),
                    (Some(target), _) => positions(target, &constraint.referenced_columns),
                    (None, _) => Vec::new(),
                };
                let columns = positions(relation, &constraint.columns);
                let mut index = 0;
                if matches!(constraint.kind, "p" | "u") {
                    index_oid += 1;
                    index = index_oid;
                    catalog.indexes.push(key_index(
                        index,
                        &name,
                        relation,
                        constraint,
                        &columns,
                        positions(relation, &constraint.include),
                    ));
                }
                catalog.constraints.push(ConstraintRow {
                    name,
                    kind: constraint.kind.to_owned(),
                    relation: relation.row.oid,
                    referenced: referenced.map_or(0, |r| r.row.oid),
                    referenced_name: constraint.referenced.as_ref().map(|(schema, name)| {
                        if schema == FIRST_SCHEMA {
                            quote_identifier(name)
                        } else {
                            format!("{}.{}", quote_identifier(schema), quote_identifier(name))
                        }
                    }),
                    columns,
                    referenced_columns,
                    on_update: constraint.on_update.clone(),
                    on_delete: constraint.on_delete.clone(),
                    match_type: constraint.match_type.to_owned(),
                    deferrable: constraint.deferrable,
                    deferred: constraint.deferred,
                    validated: !constraint.not_valid && constraint.enforced,
                    enforced: constraint.enforced,
                    no_inherit: constraint.no_inherit,
                    is_local: constraint.local,
                    index_oid: index,
                    check_sql: constraint.check_sql.clone(),
                    definition: constraint.definition.clone(),
                    comment: constraint.comment.clone(),
                });
            }
        }
        // A function by schema and name (the first of its overloads).
        let function = |schema: &str, name: &str| {
            routines
                .iter()
                .find(|r| r.kind == "f" && r.schema == schema && r.name == name)
                .map(|r| r.oid)
        };
        // A trigger on a table the dump does not make is kept for the
        // ledger (a table of a schema not read).
        for trigger in triggers {
            let (schema, table) = trigger.table;
            catalog.triggers.push(TriggerRow {
                relation: find(&schema, &table).map_or(-1, |relation| relation.row.oid),
                table_schema: schema,
                table_name: table,
                function: trigger
                    .function
                    .as_ref()
                    .and_then(|(schema, name)| function(schema, name))
                    .unwrap_or(-1),
                name: trigger.name,
                definition: trigger.definition,
                comment: trigger.comment,
            });
        }
        for object in objects {
            let relation = match &object.table {
                Some((schema, table)) => match find(schema, table) {
                    Some(relation) => Some(relation.row.oid),
                    None => continue,
                },
                None => None,
            };
            catalog.others.push(OtherObjectRow {
                kind: object.kind.to_owned(),
                name: object.name,
                relation,
                tables: object
                    .tables
                    .iter()
                    .filter_map(|(schema, table)| find(schema, table))
                    .map(|relation| relation.row.oid)
                    .collect(),
                function: object
                    .function
                    .as_ref()
                    .and_then(|(schema, name)| function(schema, name)),
                uses: object.uses,
                definition: Some(object.definition),
                comment: object.comment,
            });
        }
        // An aggregate uses its support functions (`SFUNC = f`, ...).
        for aggregate in routines.iter().filter(|r| r.kind == "a") {
            let Some(definition) = &aggregate.definition else {
                continue;
            };
            for (schema, name) in aggregate_support_functions(definition) {
                if let Some(oid) = function(&schema, &name) {
                    catalog.dependencies.push(DependencyRow {
                        object: aggregate.oid,
                        referenced_kind: "function".to_owned(),
                        referenced: oid,
                    });
                }
            }
        }
        // A routine uses the types its signature names, a table's row
        // type standing for the table.
        for routine in routines.iter().filter(|r| r.kind != "a") {
            let Some(definition) = &routine.definition else {
                continue;
            };
            for (schema, name) in routine::signature_types(definition) {
                let schema = schema.as_deref().unwrap_or(FIRST_SCHEMA);
                let used = match find(schema, &name) {
                    Some(relation) => Some(("relation", relation.row.oid)),
                    None => types
                        .iter()
                        .find(|ty| ty.schema == schema && ty.name == name)
                        .map(|ty| ("type", ty.oid)),
                };
                if let Some((kind, oid)) = used {
                    catalog.dependencies.push(DependencyRow {
                        object: routine.oid,
                        referenced_kind: kind.to_owned(),
                        referenced: oid,
                    });
                }
            }
        }
        for relation in relations {
            catalog.indexes.extend(relation.indexes);
            catalog.relations.push(relation.row);
        }
        // A domain uses its base type (another domain, an enum, ...) and
        // the functions its checks call.
        for domain in types.iter().filter(|ty| ty.kind == "d") {
            catalog.dependencies.push(DependencyRow {
                object: domain.oid,
                referenced_kind: "type".to_owned(),
                referenced: domain.base,
            });
            let called = domain
                .checks
                .iter()
                .flatten()
                .flat_map(|check| called_functions(check));
            for (schema, name) in called {
                if let Some(oid) = function(&schema, &name) {
                    catalog.dependencies.push(DependencyRow {
                        object: domain.oid,
                        referenced_kind: "function".to_owned(),
                        referenced: oid,
                    });
                }
            }
        }
        catalog.types = types;
        catalog.sequences = sequences;
        catalog.routines = routines;
        catalog
    }
}

/// The functions `sql` calls (a name followed by `(`), as (schema, name),
/// each once.
fn called_functions(sql: &str) -> Vec<(String, String)> {
    let Some(tokens) = significant_tokens(sql) else {
        return Vec::new();
    };
    let mut called = Vec::new();
    for at in 0..tokens.len() {
        let starts_name = at == 0 || !matches!(tokens.get(at - 1), Some(Token::Period));
        if !starts_name {
            continue;
        }
        if let Some((name, end)) = qualified_name_at(&tokens, at)
            && matches!(tokens.get(end), Some(Token::LParen))
            && !called.contains(&name)
        {
            called.push(name);
        }
    }
    called
}

/// The name (`schema.name`, or `name` of the first schema) at `at` of
/// `tokens`, as (schema, name), and where it ends.
fn qualified_name_at(tokens: &[Token], at: usize) -> Option<((String, String), usize)> {
    let first = word_at(tokens, at)?;
    if matches!(tokens.get(at + 1), Some(Token::Period))
        && let Some(second) = word_at(tokens, at + 2)
    {
        return Some(((first, second), at + 3));
    }
    Some(((FIRST_SCHEMA.to_owned(), first), at + 1))
}

/// The index the server makes for primary key or unique `constraint` (its
/// key columns at `columns`, its `INCLUDE` columns at `include`).
fn key_index(
    oid: i64,
    name: &str,
    relation: &Relation,
    constraint: &Constraint,
    columns: &[i16],
    include: Vec<i16>,
) -> IndexRow {
    let keys = columns.len();
    IndexRow {
        oid,
        name: name.to_owned(),
        relation: relation.row.oid,
        method: "btree".to_owned(),
        is_unique: true,
        is_valid: true,
        key_count: i16::try_from(keys).unwrap_or(i16::MAX),
        columns: columns.iter().copied().chain(include).collect(),
        key_options: vec![0; keys],
        predicate: None,
        backs_constraint: true,
        is_inherited: false,
        nulls_not_distinct: Some(constraint.nulls_not_distinct),
        options: constraint.storage_parameters.clone(),
        collations: vec![0; keys],
        collation_names: vec![String::new(); keys],
        default_opclasses: vec![true; keys],
        opclasses: vec![String::new(); keys],
        expressions: vec![String::new(); keys],
        comment: None,
    }
}

/// The functions an aggregate's definition names as its support functions
/// (`SFUNC = public.f`, `FINALFUNC = g`, ...), as (schema, name).
fn aggregate_support_functions(definition: &str) -> Vec<(String, String)> {
    const SUPPORT: &[&str] = &[
        "SFUNC",
        "FINALFUNC",
        "COMBINEFUNC",
        "SERIALFUNC",
        "DESERIALFUNC",
        "MSFUNC",
        "MINVFUNC",
        "MFINALFUNC",
    ];
    let Some(tokens) = significant_tokens(definition) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        if !SUPPORT.iter().any(|s| word.value.eq_ignore_ascii_case(s))
            || !matches!(tokens.get(i + 1), Some(Token::Eq))
        {
            continue;
        }
        if let Some((name, _)) = qualified_name_at(&tokens, i + 2) {
            found.push(name);
        }
    }
    found
}

/// `nextval('public.s'::regclass)` → `nextval('s'::regclass)`, as the
/// server prints a sequence of the schema on its search path.
/// A quoted sequence name (`'"public"."s"'`) is read the same way.
fn normalize_nextval(sql: &str) -> String {
    const CALL: &str = "nextval('";
    let Some(start) = sql.find(CALL).map(|at| at + CALL.len()) else {
        return sql.to_owned();
    };
    let Some(end) = sql[start..].find('\'').map(|n| start + n) else {
        return sql.to_owned();
    };
    let mut parts: Vec<String> = sql[start..end]
        .split('.')
        .map(
            |part| match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(name) if prints_bare(name) => name.to_owned(),
                _ => part.to_owned(),
            },
        )
        .collect();
    if parts.len() == 2 && parts[0] == FIRST_SCHEMA {
        parts.remove(0);
    }
    format!("{}{}{}", &sql[..start], parts.join("."), &sql[end..])
}

/// The query of `CREATE [MATERIALIZED] VIEW name [(columns)] AS query [WITH
/// [NO] DATA]`, as written, without the first schema's qualification.
fn view_query(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                i = super::skip_quoted(bytes, i, bytes[i]);
                continue;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ if depth == 0
                && i > 0
                && bytes[i - 1].is_ascii_whitespace()
                && text[i..].len() > 2
                && text[i..i + 2].eq_ignore_ascii_case("AS")
                && bytes[i + 2].is_ascii_whitespace() =>
            {
                let mut query = text[i + 2..].trim();
                for suffix in ["WITH NO DATA", "WITH DATA"] {
                    let upper = query.to_ascii_uppercase();
                    if upper.ends_with(suffix) {
                        query = query[..query.len() - suffix.len()].trim_end();
                    }
                }
                return Some(unqualify(query));
            }
            _ => {}
        }
        i += 1;
    }
    None
}
