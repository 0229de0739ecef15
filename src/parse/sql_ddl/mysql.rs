//! MySQL dumps: each statement is parsed with sqlparser and turned into the
//! `information_schema` rows a MySQL server would report after loading the
//! dump, and those rows go through the live introspector's builder
//! ([`crate::introspect::mysql::build`]). What the server would add on its
//! own is added here too: `NOT NULL` on primary-key columns, the names of
//! unnamed indexes, the index InnoDB creates for a foreign key that no other
//! index serves.

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, CreateTableOptions, DataType, Expr, GeneratedExpressionMode,
    IndexColumn, IndexOption, ObjectName, ReferentialAction, SqlOption, Statement as Ast,
    TableConstraint, Value,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::view_columns::{CHARSET_CAST, Hints, derive_views};
use super::written;
use super::{Skipped, SqlDialect, Statement, report_skipped};
use crate::dialect::mysql::default_collation;
use crate::introspect::mysql::{
    Catalog, CheckRow, ColumnRow, Flavor, ForeignKeyRow, IndexExpressionRow, IndexRow, RoutineRow,
    TableRow, TriggerRow, ViewRow,
};
use crate::ledger::Ledger;
use crate::manifest::{Diagnostics, Field, FieldType, Manifest};
use crate::parse::SourceFile;
use crate::source::IntrospectOptions;
use crate::source::Introspection;
use crate::ui::Progress;

/// Reads a MySQL dump into a manifest.
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
    // The collation a view's string literals take: the dump's `SET
    // collation_connection` before it.
    let mut view_connections = std::collections::HashMap::new();
    let mut connection: Option<String> = None;
    let mut read = 0usize;
    let statements = without_blocks(statements, &mut skipped);
    for statement in &statements {
        if super::give_up(read, &skipped) {
            break;
        }
        // Rows do not shape the schema, and parsing megabytes of them is slow.
        // (`DO SETVAL(...)` sets where a sequence is.)
        if matches!(
            statement.head(1).as_str(),
            "INSERT" | "REPLACE" | "LOCK" | "UNLOCK" | "DO"
        ) {
            continue;
        }
        let sql = unwrap_executable_comments(&statement.text);
        // mysqldump's `ALTER TABLE t DISABLE KEYS` around a table's rows
        // only pauses index upkeep while they load.
        if toggles_keys(&sql) {
            continue;
        }
        if let Some(value) = collation_connection(&sql) {
            connection = value;
        }
        // A MariaDB sequence is a table of kind SEQUENCE to the server's
        // catalog, which the introspection ledgers; sqlparser does not read
        // MariaDB's options of one.
        if let Some(name) = sequence_name(&sql) {
            read += 1;
            schema.tables.push(Table {
                row: Some(TableRow {
                    name,
                    kind: "SEQUENCE".to_owned(),
                    engine: None,
                    comment: None,
                    options: None,
                    collation: None,
                }),
                ..Table::default()
            });
            continue;
        }
        // sqlparser does not read `PARTITION BY ...` nor `WITH SYSTEM
        // VERSIONING`; the server's introspection ledgers them, and so
        // does this.
        let (sql, partitioned) = match without_partitioning(&sql) {
            Some(table) => (table, true),
            None => (sql, false),
        };
        let (sql, versioned) = match without_system_versioning(&sql) {
            Some(table) => (table, true),
            None => (sql, false),
        };
        // Nor most table options (MariaDB's `PAGE_COMPRESSED`, `TRANSACTIONAL`
        // ...): the table is given them as the server lists them.
        let (sql, table_options) = match without_table_options(&sql) {
            Some((table, options)) => (table, options),
            None => (sql, Vec::new()),
        };
        // Nor a FULLTEXT key's `WITH PARSER ngram`, which the ledger names.
        let (sql, parsers) = match without_index_parsers(&sql) {
            Some((table, parsers)) => (table, parsers),
            None => (sql, Vec::new()),
        };
        // Nor the visibility of keys (MySQL 8's `INVISIBLE`, MariaDB's
        // `IGNORED`) and the comments of some: they are put on the keys
        // once the table is read.
        let (sql, key_options) = match without_key_options(&sql) {
            Some((table, keys)) => (table, keys),
            None => (sql, Vec::new()),
        };
        schema.key_options = key_options;
        // Nor a view's `WITH [CASCADED | LOCAL] CHECK OPTION`, which the
        // ledger names with the view's other options.
        let (sql, check_option) = match without_view_check_option(&sql) {
            Some((view, check)) => (view, Some(check)),
            None => (sql, None),
        };
        schema.view_check_option = check_option;
        // Nor `CAST(x AS CHAR(20) CHARSET utf8mb4)`; the expressions keep
        // it, as they are taken from the text, and a view's query, whose
        // columns are typed, reads it in another form.
        let head = super::head_words(&sql, 12);
        let view = head.starts_with("CREATE") && head.split(' ').any(|word| word == "VIEW");
        let parsable = without_cast_charsets(&sql, view);
        let text = parsable.as_deref().unwrap_or(&sql);
        // Nor the operator `MOD`, as mariadb-dump prints a view's `%`: read
        // again with `%` when the statement does not read as it is (a
        // column may be named `mod`).
        let parsed = Parser::parse_sql(&MySqlDialect {}, text).or_else(|error| {
            with_modulo_signs(text)
                .and_then(|text| Parser::parse_sql(&MySqlDialect {}, &text).ok())
                .ok_or(error)
        });
        match parsed {
            Ok(parsed) => {
                read += 1;
                for ast in parsed {
                    if let Ast::CreateView(view) = &ast {
                        if let Some(collation) = &connection {
                            view_connections.insert(name_of(&view.name), collation.clone());
                        }
                        // A later view of the name replaces it (mariadb-dump
                        // makes each view first as a stand-in of `1 AS` columns).
                        let name = name_of(&view.name);
                        views.retain(|(other, _)| *other != name);
                        views.push((name, (*view.query).clone()));
                    }
                    if let Ast::CreateTable(create) = &ast {
                        let table = name_of(&create.name);
                        for column in &create.columns {
                            for option in &column.options {
                                if let ColumnOption::Srid(srid) = &option.option {
                                    ledger.record(
                                        format!("{table}.{}", column.name.value),
                                        "srid",
                                        format!(
                                            "`SRID {srid}` of column `{}` is not represented in \
                                             the manifest: its values may have any spatial \
                                             reference system",
                                            column.name.value
                                        ),
                                    );
                                }
                            }
                        }
                        for parser in &parsers {
                            ledger.record(
                                name_of(&create.name),
                                "index_parser",
                                format!(
                                    "`WITH PARSER {parser}` of a FULLTEXT key is not represented \
                                     in the manifest; the key is kept with the server's parser"
                                ),
                            );
                        }
                    }
                    let table = match &ast {
                        Ast::CreateTable(create)
                            if partitioned || versioned || !table_options.is_empty() =>
                        {
                            Some(name_of(&create.name))
                        }
                        _ => None,
                    };
                    if let Err(reason) = schema.apply(ast, &sql) {
                        skipped.push(Skipped {
                            span: statement.span.clone(),
                            reason,
                            unparsable: false,
                        });
                    }
                    if let Some(row) = table
                        .and_then(|name| schema.table_mut(&name))
                        .and_then(|table| table.row.as_mut())
                    {
                        // As `information_schema.TABLES` says it.
                        let mut options = table_options.clone();
                        if partitioned {
                            options.push("partitioned".to_owned());
                        }
                        row.options = (!options.is_empty()).then(|| options.join(" "));
                        if versioned {
                            row.kind = "SYSTEM VERSIONED".to_owned();
                        }
                    }
                }
            }
            Err(error) => {
                // Stored routines, events and some triggers are beyond
                // sqlparser; they are not representable anyway, so name
                // them. An event dropped before it is made (`mysqldump
                // --events`) shapes nothing.
                let drops_event = super::head_words(&sql, 2) == "DROP EVENT";
                if !drops_event && !schema.note_routine(&sql) {
                    skipped.push(Skipped {
                        span: statement.span.clone(),
                        reason: format!("could not parse this statement: {error}"),
                        unparsable: true,
                    });
                }
            }
        }
    }
    let database = schema
        .database
        .clone()
        .or(project)
        .unwrap_or_else(|| "database".to_owned());
    for view in &mut schema.views {
        view.collation = view_connections.get(&view.name).cloned();
    }
    let catalog = schema.into_catalog(&database);
    let mut introspection =
        crate::introspect::mysql::build(&catalog, &database, &Progress::hidden());
    derive_views(
        &mut introspection.manifest,
        &mut ledger,
        &views,
        SqlDialect::Mysql,
        &Hints {
            default_collation: Some(DEFAULT_COLLATION.to_owned()),
            view_connections,
            ..Hints::default()
        },
    );
    json_fields(&mut introspection.manifest);
    // A view's column over a table's shows no display width, as the server
    // lists it.
    for view in introspection.manifest.entities.values_mut() {
        if view.kind == crate::manifest::EntityKind::View {
            view.fields
                .values_mut()
                .filter(|field| field.ty.is_integer())
                .for_each(crate::dialect::mysql::as_view_column);
        }
    }
    introspection.ledger.extend(ledger);
    report_skipped(file, skipped, &mut introspection, options.strict)?;
    Ok(introspection)
}

/// A `CREATE TABLE` without its final `PARTITION BY ...` clause (after
/// the column list, outside quotes), or `None` when it has none.
/// A `CREATE TABLE` without the options after its column list but its
/// engine, character set, collation and comment (which it reads), and
/// those options as `information_schema.TABLES.CREATE_OPTIONS` lists them
/// (`max_rows=10`, `row_format=DYNAMIC`, `` `page_compressed`=1 ``); its
/// `AUTO_INCREMENT` start, which is no part of the schema, is left out.
/// `None` when it has none, or options this does not read.
fn without_table_options(sql: &str) -> Option<(String, Vec<String>)> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE TABLE") {
        return None;
    }
    let bytes = sql.as_bytes();
    let mut depth = 0usize;
    let mut tail = None;
    for i in unquoted(bytes) {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    tail = Some(i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let mut at = tail?;
    let word_at = |at: usize| -> usize { bytes[at..].iter().take_while(|b| is_word(**b)).count() };
    let skip_space = |at: usize| -> usize {
        at + bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
    };
    let mut cuts = Vec::new();
    let mut options = Vec::new();
    // The comma before an option, cut with it.
    let mut comma = None;
    loop {
        at = skip_space(at);
        if bytes.get(at) == Some(&b',') {
            comma = Some(at);
            at += 1;
            continue;
        }
        if at >= bytes.len() || bytes[at] == b';' {
            break;
        }
        let start = comma.take().unwrap_or(at);
        // The option's name: a quoted one, or words (`DEFAULT CHARSET`).
        let name = if bytes[at] == b'`' {
            at = super::skip_quoted(bytes, at, b'`');
            sql[start..at].to_owned()
        } else {
            let mut words = Vec::new();
            loop {
                let length = word_at(at);
                if length == 0 {
                    return None;
                }
                let word = upper[at..at + length].to_owned();
                at += length;
                let more = matches!(
                    (words.last().map(String::as_str), word.as_str()),
                    (None, "DEFAULT" | "CHARACTER" | "DATA" | "INDEX")
                        | (Some("DEFAULT"), "CHARACTER")
                );
                words.push(word);
                if !more {
                    break;
                }
                at = skip_space(at);
            }
            words.join(" ")
        };
        at = skip_space(at);
        if bytes.get(at) == Some(&b'=') {
            at = skip_space(at + 1);
        }
        let value_start = at;
        match bytes.get(at) {
            Some(quote @ (b'\'' | b'"')) => at = super::skip_quoted(bytes, at, *quote),
            Some(b'(') => {
                let close = sql[at..].find(')')?;
                at += close + 1;
            }
            Some(_) => {
                let length = bytes[at..]
                    .iter()
                    .take_while(|b| is_word(**b) || matches!(b, b'.' | b'-' | b'+'))
                    .count();
                if length == 0 {
                    return None;
                }
                at += length;
            }
            None => return None,
        }
        let value = &sql[value_start..at];
        match name.as_str() {
            "ENGINE"
            | "TYPE"
            | "CHARSET"
            | "CHARACTER SET"
            | "DEFAULT CHARSET"
            | "DEFAULT CHARACTER SET"
            | "COLLATE"
            | "DEFAULT COLLATE"
            | "COMMENT" => {}
            "TABLESPACE" | "SELECT" | "AS" | "IGNORE" | "REPLACE" | "WITH" | "PARTITION"
            | "START" => return None,
            "AUTO_INCREMENT" => cuts.push((start, at)),
            _ => {
                let name = if name.starts_with('`') {
                    name
                } else {
                    name.to_ascii_lowercase()
                };
                options.push(format!("{name}={value}"));
                cuts.push((start, at));
            }
        }
    }
    (!cuts.is_empty()).then(|| (without(sql, &cuts), options))
}

/// `CREATE TABLE ... WITH SYSTEM VERSIONING` without its last three words.
fn without_system_versioning(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE TABLE") {
        return None;
    }
    let body = sql.trim_end().trim_end_matches(';').trim_end();
    let with = body.to_ascii_uppercase().rfind("WITH")?;
    let tail: Vec<String> = body[with..]
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    (tail == ["WITH", "SYSTEM", "VERSIONING"]).then(|| body[..with].trim_end().to_owned())
}

/// `sql` with its casts to a string type that name a character set, as
/// MariaDB and MySQL 8 print them (`CAST(x AS CHAR(20) CHARSET utf8mb4)`,
/// which sqlparser does not read), in a form sqlparser reads: in a view,
/// to `CHAR` as [`CHARSET_CAST`], which keeps the character set for the
/// view's column, else without it; `None` when it has none.
fn without_cast_charsets(sql: &str, view: bool) -> Option<String> {
    static CHARSET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)(\bAS\s+(N?CHAR|VARCHAR|BINARY)\s*(?:\(\s*(\d+)\s*\))?)\s+(?:CHARSET|CHARACTER\s+SET)\s+(`[^`]+`|\w+)",
        )
        .expect("a valid pattern")
    });
    CHARSET.is_match(sql).then(|| {
        CHARSET
            .replace_all(sql, |found: &regex::Captures| {
                if !view || !found[2].eq_ignore_ascii_case("char") {
                    return found[1].to_owned();
                }
                let charset = found[4].trim_matches('`');
                match found.get(3) {
                    Some(length) => format!("AS {CHARSET_CAST}({charset}, {})", length.as_str()),
                    None => format!("AS {CHARSET_CAST}({charset})"),
                }
            })
            .into_owned()
    })
}

/// `CREATE ... VIEW ... WITH [CASCADED | LOCAL] CHECK OPTION` (which
/// sqlparser does not read) without its check option, and the option
/// (`CASCADED` when the statement says neither, as the server takes it);
/// `None` for other statements.
fn without_view_check_option(sql: &str) -> Option<(String, String)> {
    static CHECK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\s+WITH\s+(?:(CASCADED|LOCAL)\s+)?CHECK\s+OPTION\s*;?\s*$")
            .expect("a valid pattern")
    });
    let head = super::head_words(sql, 12);
    if !(head.starts_with("CREATE") && head.split(' ').any(|word| word == "VIEW")) {
        return None;
    }
    let found = CHECK.captures(sql)?;
    let option = found
        .get(1)
        .map_or("CASCADED".to_owned(), |m| m.as_str().to_ascii_uppercase());
    Some((sql[..found.get(0)?.start()].to_owned(), option))
}

/// The `ALGORITHM=...` and `SQL SECURITY ...` a `CREATE ... VIEW` says
/// before `VIEW`, as the server lists them (upper case).
fn view_head_options(sql: &str) -> (Option<String>, Option<String>) {
    static HEAD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\bALGORITHM\s*=\s*(\w+)|\bSQL\s+SECURITY\s+(\w+)|\bVIEW\b")
            .expect("a valid pattern")
    });
    let (mut algorithm, mut security) = (None, None);
    for found in HEAD.captures_iter(sql) {
        if let Some(value) = found.get(1) {
            algorithm = Some(value.as_str().to_ascii_uppercase());
        } else if let Some(value) = found.get(2) {
            security = Some(value.as_str().to_ascii_uppercase());
        } else {
            break;
        }
    }
    (algorithm, security)
}

/// `ALTER TABLE name DISABLE KEYS` / `ENABLE KEYS`.
fn toggles_keys(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .filter(|w| !w.is_empty())
        .collect();
    matches!(
        words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["ALTER", "TABLE", _, "DISABLE" | "ENABLE", "KEYS"]
    )
}

/// The byte offsets of `bytes` outside its quoted strings and names.
fn unquoted(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                quote @ (b'\'' | b'"' | b'`') => i = super::skip_quoted(bytes, i, quote),
                _ => {
                    i += 1;
                    return Some(i - 1);
                }
            }
        }
        None
    })
}

/// Whether `b` may be part of an unquoted name or keyword.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// `sql` with each operator `MOD` (a word outside quotes, not the function
/// `MOD(a, b)`) written `%`, which sqlparser reads; `None` when it has none.
fn with_modulo_signs(sql: &str) -> Option<String> {
    let bytes = sql.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    for i in unquoted(bytes) {
        if i >= copied
            && bytes.len() >= i + 3
            && bytes[i..i + 3].eq_ignore_ascii_case(b"MOD")
            && (i == 0 || !is_word(bytes[i - 1]))
            && bytes.get(i + 3).is_none_or(|b| !is_word(*b))
            && !sql[i + 3..].trim_start().starts_with('(')
        {
            out.push_str(&sql[copied..i]);
            out.push('%');
            copied = i + 3;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&sql[copied..]);
    Some(out)
}

/// What a key of a `CREATE TABLE` says after its key parts that sqlparser
/// does not read (MySQL 8's `INVISIBLE`, MariaDB's `IGNORED`, a `FULLTEXT`
/// or `SPATIAL` key's `COMMENT`): taken out of the statement and put on the
/// key again once it is read.
#[derive(Debug, Clone, Default, PartialEq)]
struct KeyOptions {
    hidden: bool,
    comment: Option<String>,
}

/// A `CREATE TABLE` without the visibility (`INVISIBLE`, `VISIBLE`,
/// `IGNORED`, `NOT IGNORED`) and `COMMENT` of its keys, and what each key
/// (`KEY`, `INDEX`, `UNIQUE`, `FULLTEXT`, `SPATIAL`, `CONSTRAINT ... UNIQUE`,
/// in their order) said; `None` when no key says any. A column's
/// `INVISIBLE` and `COMMENT` are left as they are.
fn without_key_options(sql: &str) -> Option<(String, Vec<KeyOptions>)> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE TABLE") {
        return None;
    }
    let bytes = sql.as_bytes();
    let mut depth = 0usize;
    // Whether the item being read is a key, and whether its key parts are read.
    let (mut is_key, mut after_parts) = (false, false);
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut keys: Vec<KeyOptions> = Vec::new();
    let item_starts = |at: usize, keys: &mut Vec<KeyOptions>| {
        let item = upper[at..].trim_start();
        let head = &item[..item.find('(').unwrap_or(item.len())];
        let first: String = item.chars().take_while(char::is_ascii_alphabetic).collect();
        let key = matches!(
            first.as_str(),
            "KEY" | "INDEX" | "UNIQUE" | "FULLTEXT" | "SPATIAL"
        ) || (first == "CONSTRAINT" && head.split_whitespace().any(|w| w == "UNIQUE"));
        if key {
            keys.push(KeyOptions::default());
        }
        key
    };
    let mut skip_to = 0;
    for i in unquoted(bytes) {
        if i < skip_to {
            continue;
        }
        match bytes[i] {
            b'(' => {
                depth += 1;
                if depth == 1 {
                    is_key = item_starts(i + 1, &mut keys);
                    after_parts = false;
                }
            }
            b')' => {
                depth = depth.saturating_sub(1);
                after_parts |= depth == 1;
            }
            b',' if depth == 1 => {
                is_key = item_starts(i + 1, &mut keys);
                after_parts = false;
            }
            b if depth == 1
                && is_key
                && after_parts
                && is_word(b)
                && (i == 0 || !is_word(bytes[i - 1])) =>
            {
                let length = bytes[i..].iter().take_while(|b| is_word(**b)).count();
                let Some(options) = keys.last_mut() else {
                    continue;
                };
                match &upper[i..i + length] {
                    word @ ("INVISIBLE" | "VISIBLE" | "IGNORED") => {
                        // `NOT IGNORED` is cut whole.
                        let before = sql[..i].trim_end();
                        let negated = word == "IGNORED"
                            && before.to_ascii_uppercase().ends_with("NOT")
                            && !before[..before.len() - 3].ends_with(|c: char| is_word(c as u8));
                        options.hidden = word != "VISIBLE" && !negated;
                        let start = if negated { before.len() - 3 } else { i };
                        cuts.push((start, i + length));
                    }
                    "COMMENT" => {
                        let quote = i
                            + length
                            + (sql[i + length..].len() - sql[i + length..].trim_start().len());
                        if bytes.get(quote) == Some(&b'\'') {
                            let end = super::skip_quoted(bytes, quote, b'\'');
                            options.comment = string_literal(&sql[quote..end]);
                            cuts.push((i, end));
                            skip_to = end;
                        }
                    }
                    _ => {}
                }
                skip_to = skip_to.max(i + length);
            }
            _ => {}
        }
    }
    (!cuts.is_empty()).then(|| (without(sql, &cuts), keys))
}

/// `sql` without the byte ranges `cuts` (in order, apart).
fn without(sql: &str, cuts: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    for &(start, end) in cuts {
        out.push_str(&sql[copied..start]);
        copied = end;
    }
    out.push_str(&sql[copied..]);
    out
}

/// The value of a MySQL string literal (`'it''s'`), as the server reads it.
fn string_literal(quoted: &str) -> Option<String> {
    let tokens = Tokenizer::new(&MySqlDialect {}, quoted).tokenize().ok()?;
    match tokens.as_slice() {
        [Token::SingleQuotedString(value)] => Some(value.clone()),
        _ => None,
    }
}

/// A `CREATE TABLE` without the `WITH PARSER name` of its keys (outside
/// quotes), and the parsers named; `None` when no key names one.
fn without_index_parsers(sql: &str) -> Option<(String, Vec<String>)> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE TABLE") {
        return None;
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut parsers = Vec::new();
    let mut copied = 0;
    let gap = |mut j: usize| {
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    for i in unquoted(bytes) {
        if i < copied || !upper[i..].starts_with("WITH") || (i > 0 && is_word(bytes[i - 1])) {
            continue;
        }
        let j = i + "WITH".len();
        let after_with = gap(j);
        if after_with == j || !upper[after_with..].starts_with("PARSER") {
            continue;
        }
        let j = after_with + "PARSER".len();
        let start = gap(j);
        if start == j || start >= bytes.len() {
            continue;
        }
        let end = if bytes[start] == b'`' {
            super::skip_quoted(bytes, start, b'`')
        } else {
            let mut end = start;
            while end < bytes.len() && is_word(bytes[end]) {
                end += 1;
            }
            end
        };
        if end > start {
            parsers.push(sql[start..end].trim_matches('`').replace("``", "`"));
            out.push_str(&sql[copied..i]);
            copied = end;
        }
    }
    if parsers.is_empty() {
        return None;
    }
    out.push_str(&sql[copied..]);
    Some((out, parsers))
}

/// The name of the sequence `CREATE [OR REPLACE] [TEMPORARY] SEQUENCE [IF
/// NOT EXISTS] name ...` makes.
fn sequence_name(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&MySqlDialect {}, sql).tokenize().ok()?;
    let mut words = tokens.iter().filter_map(|token| match token {
        Token::Word(word) => Some(word),
        _ => None,
    });
    if !words.next()?.value.eq_ignore_ascii_case("CREATE") {
        return None;
    }
    let mut word = words.next()?;
    while ["OR", "REPLACE", "TEMPORARY"]
        .iter()
        .any(|w| word.value.eq_ignore_ascii_case(w))
    {
        word = words.next()?;
    }
    if !word.value.eq_ignore_ascii_case("SEQUENCE") {
        return None;
    }
    let mut name = words.next()?;
    while name.quote_style.is_none()
        && ["IF", "NOT", "EXISTS"]
            .iter()
            .any(|w| name.value.eq_ignore_ascii_case(w))
    {
        name = words.next()?;
    }
    Some(name.value.clone())
}

fn without_partitioning(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE TABLE") {
        return None;
    }
    let bytes = sql.as_bytes();
    let mut depth = 0usize;
    let mut past_columns = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i = super::skip_quoted(bytes, i, quote);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                past_columns |= depth == 0;
            }
            _ if depth == 0
                && past_columns
                && upper[i..].starts_with("PARTITION")
                && !bytes[i - 1].is_ascii_alphanumeric()
                && upper[i + "PARTITION".len()..]
                    .trim_start()
                    .starts_with("BY") =>
            {
                return Some(sql[..i].trim_end().to_owned());
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `/*!50705 location GEOMETRY */` → ` location GEOMETRY `: MySQL runs the
/// content of executable comments, so the dump's schema includes it.
fn unwrap_executable_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let bytes = sql.as_bytes();
    let mut i = 0;
    let mut open = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' || c == b'`' {
            let end = super::skip_quoted(bytes, i, c);
            out.push_str(&sql[i..end]);
            i = end;
        } else if sql[i..].starts_with("/*!") {
            i += 3;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(' ');
            open += 1;
        } else if open > 0 && sql[i..].starts_with("*/") {
            out.push(' ');
            i += 2;
            open -= 1;
        } else {
            let next = sql[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&sql[i..i + next]);
            i += next;
        }
    }
    out
}

/// The schema as the statements so far have built it.
#[derive(Default)]
struct Schema {
    database: Option<String>,
    /// What the keys of the next `CREATE TABLE` say beyond what sqlparser
    /// reads, in their order.
    key_options: Vec<KeyOptions>,
    /// The check option of the next `CREATE VIEW` (`CASCADED`, `LOCAL`).
    view_check_option: Option<String>,
    tables: Vec<Table>,
    views: Vec<ViewRow>,
    triggers: Vec<TriggerRow>,
    routines: Vec<RoutineRow>,
}

#[derive(Default)]
struct Table {
    row: Option<TableRow>,
    columns: Vec<ColumnRow>,
    indexes: Vec<Index>,
    foreign_keys: Vec<ForeignKey>,
    checks: Vec<CheckRow>,
}

#[derive(Default)]
struct Index {
    name: String,
    unique: bool,
    kind: &'static str,
    /// `(column, descending, prefix length)`
    parts: Vec<(String, bool, Option<i64>)>,
    options: KeyOptions,
}

struct ForeignKey {
    name: Option<String>,
    columns: Vec<String>,
    table: String,
    referred: Vec<String>,
    on_delete: Option<ReferentialAction>,
    on_update: Option<ReferentialAction>,
}

fn name_of(object: &ObjectName) -> String {
    object
        .0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.value.clone())
        .unwrap_or_else(|| object.to_string())
}

impl Schema {
    fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables
            .iter_mut()
            .find(|t| t.row.as_ref().is_some_and(|r| r.name == name))
    }

    /// Applies one parsed statement. `Err` is a statement that changes the
    /// schema in a way this importer cannot follow.
    fn apply(&mut self, ast: Ast, text: &str) -> Result<(), String> {
        match ast {
            Ast::CreateTable(create) => {
                let name = name_of(&create.name);
                let mut table = Table::default();
                let (engine, comment) = table_options(&create.table_options);
                table.row = Some(TableRow {
                    name: name.clone(),
                    kind: "BASE TABLE".to_owned(),
                    engine: Some(engine.unwrap_or_else(|| "InnoDB".to_owned())),
                    comment: comment.or_else(|| create.comment.as_ref().map(comment_text)),
                    options: None,
                    collation: Some(table_collation(&create.table_options)),
                });
                let mut primary = Vec::new();
                let written = written::ColumnExpressions::of(text, &MySqlDialect {});
                for column in &create.columns {
                    let mut row = column_row(&name, &column.name.value, &column.data_type);
                    let mut extra = Vec::new();
                    let mut charset = None;
                    for option in &column.options {
                        match &option.option {
                            ColumnOption::Collation(collation) => {
                                row.collation = Some(collation.to_string())
                            }
                            ColumnOption::CharacterSet(set) => charset = Some(set.to_string()),
                            ColumnOption::NotNull => row.is_nullable = "NO".to_owned(),
                            ColumnOption::Null => row.is_nullable = "YES".to_owned(),
                            ColumnOption::Default(expr) => {
                                row.column_default = Some(
                                    written
                                        .defaults
                                        .get(&column.name.value)
                                        .cloned()
                                        .unwrap_or_else(|| default_text(expr)),
                                )
                            }
                            ColumnOption::OnUpdate(expr) => extra.push(format!(
                                "on update {}",
                                default_text(expr).to_ascii_lowercase()
                            )),
                            ColumnOption::Comment(text) => row.comment = Some(text.clone()),
                            ColumnOption::PrimaryKey(_) => primary.push(column.name.value.clone()),
                            ColumnOption::Unique(_) => table.indexes.push(Index {
                                name: column.name.value.clone(),
                                unique: true,
                                kind: "BTREE",
                                parts: vec![(column.name.value.clone(), false, None)],
                                ..Index::default()
                            }),
                            ColumnOption::Check(check) => table.checks.push(CheckRow {
                                table_name: name.clone(),
                                name: column.name.value.clone(),
                                clause: check.expr.to_string(),
                            }),
                            ColumnOption::Generated {
                                generation_expr: Some(expr),
                                generation_expr_mode,
                                ..
                            } => {
                                let stored = matches!(
                                    generation_expr_mode,
                                    Some(GeneratedExpressionMode::Stored)
                                );
                                extra.push(
                                    if stored {
                                        "STORED GENERATED"
                                    } else {
                                        "VIRTUAL GENERATED"
                                    }
                                    .to_owned(),
                                );
                                row.generation_expression = Some(
                                    written
                                        .generated
                                        .get(&column.name.value)
                                        .cloned()
                                        .unwrap_or_else(|| expr.to_string()),
                                );
                            }
                            ColumnOption::DialectSpecific(tokens)
                                if tokens.iter().any(|t| {
                                    t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")
                                }) =>
                            {
                                extra.push("auto_increment".to_owned())
                            }
                            ColumnOption::Invisible => extra.push("INVISIBLE".to_owned()),
                            _ => {}
                        }
                    }
                    row.extra = Some(extra.join(" "));
                    let national = column.data_type.to_string().to_ascii_uppercase();
                    if row.collation.is_none() {
                        row.collation = charset.as_deref().map(default_collation).or_else(|| {
                            (national.starts_with("NVARCHAR") || national.starts_with("NCHAR"))
                                .then(|| "utf8mb3_general_ci".to_owned())
                        });
                    }
                    table.columns.push(row);
                }
                if !primary.is_empty() {
                    table.indexes.push(primary_index(primary, None));
                }
                let before: Vec<String> = table.indexes.iter().map(|i| i.name.clone()).collect();
                for constraint in create.constraints {
                    table.constrain(&name, constraint);
                }
                // The keys the constraints made, in their order.
                let keys: Vec<&mut Index> = table
                    .indexes
                    .iter_mut()
                    .filter(|i| i.name != "PRIMARY" && !before.contains(&i.name))
                    .collect();
                let options = std::mem::take(&mut self.key_options);
                if keys.len() == options.len() {
                    for (key, options) in keys.into_iter().zip(options) {
                        if options != KeyOptions::default() {
                            key.options = options;
                        }
                    }
                }
                table.mark_primary_not_null();
                table.written_checks(text);
                self.tables.push(table);
                Ok(())
            }
            Ast::AlterTable(alter) => {
                let name = name_of(&alter.name);
                let Some(table) = self.table_mut(&name) else {
                    return Err(format!("ALTER TABLE of unknown table `{name}`"));
                };
                for operation in alter.operations {
                    match operation {
                        AlterTableOperation::AddConstraint { constraint, .. } => {
                            table.constrain(&name, constraint);
                            table.written_checks(text);
                        }
                        other => {
                            return Err(format!(
                                "ALTER TABLE `{name}` {other} is not followed by the importer"
                            ));
                        }
                    }
                }
                table.mark_primary_not_null();
                Ok(())
            }
            Ast::CreateIndex(index) => {
                let table_name = name_of(&index.table_name);
                let Some(table) = self.table_mut(&table_name) else {
                    return Err(format!("CREATE INDEX on unknown table `{table_name}`"));
                };
                let parts = index_parts(&index.columns);
                let name = index
                    .name
                    .as_ref()
                    .map(name_of)
                    .unwrap_or_else(|| table.free_index_name(&parts));
                let kind = match index
                    .using
                    .as_ref()
                    .map(|u| u.to_string().to_ascii_uppercase())
                    .as_deref()
                {
                    Some("HASH") => "HASH",
                    _ => "BTREE",
                };
                table.indexes.push(Index {
                    name,
                    unique: index.unique,
                    kind,
                    parts,
                    options: KeyOptions {
                        hidden: false,
                        comment: comment_of(&index.index_options),
                    },
                });
                Ok(())
            }
            Ast::CreateView(view) => {
                let name = name_of(&view.name);
                // A later view of the name replaces it (mariadb-dump makes
                // each view first as a stand-in of `1 AS` columns).
                self.tables
                    .retain(|table| table.row.as_ref().is_none_or(|row| row.name != name));
                self.views.retain(|other| other.name != name);
                self.tables.push(Table {
                    row: Some(TableRow {
                        name: name.clone(),
                        kind: "VIEW".to_owned(),
                        engine: None,
                        comment: None,
                        options: None,
                        collation: None,
                    }),
                    ..Table::default()
                });
                // The query as the dump writes it is the server's own text;
                // sqlparser's rendering of it is not.
                let mut definition =
                    view_query_text(text).unwrap_or_else(|| view.query.to_string());
                if let Some(database) = &self.database {
                    definition = definition.replace(&format!("{database}."), "");
                }
                let (algorithm, security_type) = view_head_options(text);
                self.views.push(ViewRow {
                    name,
                    definition: Some(definition),
                    collation: None,
                    check_option: self.view_check_option.take(),
                    security_type,
                    algorithm,
                });
                Ok(())
            }
            Ast::CreateTrigger(trigger) => {
                let table_name = name_of(&trigger.table_name);
                self.triggers.push(TriggerRow {
                    table_name,
                    name: name_of(&trigger.name),
                    timing: trigger.period.map(|p| p.to_string()).unwrap_or_default(),
                    event: trigger
                        .events
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                });
                Ok(())
            }
            Ast::CreateDatabase { db_name, .. } => {
                self.database = Some(name_of(&db_name));
                Ok(())
            }
            Ast::CreateSchema { schema_name, .. } => {
                self.database = Some(schema_name.to_string().trim_matches('`').to_owned());
                Ok(())
            }
            Ast::Use(use_statement) => {
                let text = use_statement.to_string();
                let name = text.trim_start_matches("USE").trim().trim_matches('`');
                if !name.is_empty() {
                    self.database = Some(name.to_owned());
                }
                Ok(())
            }
            Ast::CreateProcedure { name, .. } => {
                self.routines.push(RoutineRow {
                    name: name_of(&name),
                    kind: "PROCEDURE".to_owned(),
                });
                Ok(())
            }
            Ast::CreateFunction(function) => {
                self.routines.push(RoutineRow {
                    name: name_of(&function.name),
                    kind: "FUNCTION".to_owned(),
                });
                Ok(())
            }
            // Data, session settings and housekeeping do not shape the schema;
            // nor does a routine or trigger dropped before it is created
            // (`mysqldump --routines --triggers`).
            Ast::Insert(_)
            | Ast::Set(_)
            | Ast::Drop { .. }
            | Ast::DropFunction(_)
            | Ast::DropProcedure { .. }
            | Ast::DropTrigger(_)
            | Ast::Flush { .. }
            | Ast::Query(_)
            | Ast::StartTransaction { .. }
            | Ast::Commit { .. }
            | Ast::LockTables { .. }
            | Ast::UnlockTables
            | Ast::Update { .. }
            | Ast::Delete(_) => Ok(()),
            other => {
                let text = other.to_string();
                let head: String = text.chars().take(40).collect();
                Err(format!("`{head}…` is not followed by the importer"))
            }
        }
    }

    /// Recognizes `CREATE [DEFINER=...] PROCEDURE|FUNCTION|TRIGGER|EVENT
    /// name` from its tokens when sqlparser cannot parse the body.
    fn note_routine(&mut self, sql: &str) -> bool {
        let Ok(tokens) = Tokenizer::new(&MySqlDialect {}, sql).tokenize() else {
            return false;
        };
        let tokens: Vec<&sqlparser::tokenizer::Word> = tokens
            .iter()
            .filter_map(|token| match token {
                Token::Word(word) => Some(word),
                _ => None,
            })
            .take(12)
            .collect();
        let words: Vec<String> = tokens.iter().map(|word| word.value.clone()).collect();
        if !words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("CREATE"))
        {
            return false;
        }
        // The kind is a keyword, not a quoted name (a table `event`).
        let position = tokens.iter().position(|word| {
            word.quote_style.is_none()
                && ["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"]
                    .contains(&word.value.to_ascii_uppercase().as_str())
        });
        let Some(position) = position else {
            return false;
        };
        let (Some(kind), Some(name)) = (words.get(position), words.get(position + 1)) else {
            return false;
        };
        let kind = kind.to_ascii_uppercase();
        if kind == "TRIGGER" {
            // CREATE TRIGGER name {BEFORE|AFTER} {INSERT|UPDATE|DELETE} ON table
            let timing = words.get(position + 2).cloned().unwrap_or_default();
            let event = words.get(position + 3).cloned().unwrap_or_default();
            let table = words.get(position + 5).cloned().unwrap_or_default();
            self.triggers.push(TriggerRow {
                table_name: table,
                name: name.clone(),
                timing,
                event,
            });
        } else {
            self.routines.push(RoutineRow {
                name: name.clone(),
                kind,
            });
        }
        true
    }

    /// The rows `information_schema` would hold.
    fn into_catalog(self, database: &str) -> Catalog {
        let mut catalog = Catalog {
            flavor: Some(Flavor::Mariadb),
            default_collation: Some(DEFAULT_COLLATION.to_owned()),
            views: self.views,
            triggers: self.triggers,
            routines: self.routines,
            ..Catalog::default()
        };
        let mut tables = self.tables;
        tables.sort_by(|a, b| {
            a.row
                .as_ref()
                .map(|r| &r.name)
                .cmp(&b.row.as_ref().map(|r| &r.name))
        });
        // Column names are case-insensitive: a key or foreign key names a
        // column as the catalog spells it, `(table, lower-case name)` →
        // name.
        let spelled: std::collections::HashMap<(String, String), String> = tables
            .iter()
            .filter_map(|table| Some((&table.row.as_ref()?.name, &table.columns)))
            .flat_map(|(name, columns)| {
                columns.iter().map(move |column| {
                    (
                        (name.clone(), column.name.to_ascii_lowercase()),
                        column.name.clone(),
                    )
                })
            })
            .collect();
        let spell = |table: &str, column: &str| {
            spelled
                .get(&(table.to_owned(), column.to_ascii_lowercase()))
                .cloned()
                .unwrap_or_else(|| column.to_owned())
        };
        for mut table in tables {
            let Some(row) = table.row.take() else {
                continue;
            };
            table.add_foreign_key_indexes();
            let name = row.name.clone();
            // Named as InnoDB names them, then in the order the catalog lists them.
            let mut foreign_keys: Vec<(String, &ForeignKey)> = table
                .foreign_keys
                .iter()
                .enumerate()
                .map(|(i, fk)| {
                    (
                        fk.name
                            .clone()
                            .unwrap_or_else(|| format!("{name}_ibfk_{}", i + 1)),
                        fk,
                    )
                })
                .collect();
            foreign_keys.sort_by(|a, b| a.0.cmp(&b.0));
            for (constraint, foreign_key) in foreign_keys {
                for (i, column) in foreign_key.columns.iter().enumerate() {
                    catalog.foreign_keys.push(ForeignKeyRow {
                        table_name: name.clone(),
                        name: constraint.clone(),
                        column_name: spell(&name, column),
                        referenced_schema: Some(database.to_owned()),
                        referenced_table: foreign_key.table.clone(),
                        referenced_column: foreign_key
                            .referred
                            .get(i)
                            .map(|referred| spell(&foreign_key.table, referred)),
                        update_rule: Some(rule(foreign_key.on_update)),
                        delete_rule: Some(rule(foreign_key.on_delete)),
                    });
                }
            }
            let mut indexes = table.indexes;
            indexes.sort_by(|a, b| a.name.cmp(&b.name));
            for index in indexes {
                for (position, (column, descending, prefix)) in index.parts.iter().enumerate() {
                    // A key part that names no column is an expression, as
                    // `information_schema.STATISTICS` tells them apart.
                    // Column names are case-insensitive; the catalog spells
                    // them as the column does.
                    let named = table
                        .columns
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(column))
                        .map(|c| c.name.clone());
                    if named.is_none() {
                        catalog.index_expressions.push(IndexExpressionRow {
                            table_name: name.clone(),
                            name: index.name.clone(),
                            position: position as i64 + 1,
                            expression: column.clone(),
                        });
                    }
                    catalog.indexes.push(IndexRow {
                        table_name: name.clone(),
                        name: index.name.clone(),
                        non_unique: i64::from(!index.unique),
                        position: position as i64 + 1,
                        column_name: named,
                        collation: Some(if *descending { "D" } else { "A" }.to_owned()),
                        sub_part: *prefix,
                        index_type: index.kind.to_owned(),
                        comment: index.options.comment.clone(),
                        hidden: i64::from(index.options.hidden),
                    });
                }
            }
            catalog.checks.extend(table.checks);
            catalog.columns.extend(table.columns);
            catalog.tables.push(row);
        }
        // As the server lists them (by table and name), whatever order the
        // dump wrote them in.
        catalog
            .checks
            .sort_by(|a, b| (&a.table_name, &a.name).cmp(&(&b.table_name, &b.name)));
        catalog
    }
}

impl Table {
    /// The checks `text` names take its own text of them (as the server
    /// prints them: `mariadb-dump` copies `SHOW CREATE TABLE`) instead of
    /// sqlparser's reprint.
    fn written_checks(&mut self, text: &str) {
        let written = written::checks(text, &MySqlDialect {});
        for check in &mut self.checks {
            if let Some(clause) = written.get(&check.name) {
                check.clause.clone_from(clause);
            }
        }
    }

    fn constrain(&mut self, table: &str, constraint: TableConstraint) {
        match constraint {
            TableConstraint::PrimaryKey(primary) => {
                let columns = index_parts(&primary.columns)
                    .into_iter()
                    .map(|p| p.0)
                    .collect();
                self.indexes.retain(|i| i.name != "PRIMARY");
                self.indexes
                    .push(primary_index(columns, comment_of(&primary.index_options)));
            }
            TableConstraint::Unique(unique) => {
                let parts = index_parts(&unique.columns);
                let name = unique
                    .index_name
                    .or(unique.name)
                    .map(|n| n.value)
                    .unwrap_or_else(|| self.free_index_name(&parts));
                self.indexes.push(Index {
                    name,
                    unique: true,
                    kind: "BTREE",
                    parts,
                    options: KeyOptions {
                        hidden: false,
                        comment: comment_of(&unique.index_options),
                    },
                });
            }
            TableConstraint::Index(index) => {
                let parts = index_parts(&index.columns);
                let name = index
                    .name
                    .map(|n| n.value)
                    .unwrap_or_else(|| self.free_index_name(&parts));
                let kind = match index
                    .index_type
                    .map(|t| t.to_string().to_ascii_uppercase())
                    .as_deref()
                {
                    Some("HASH") => "HASH",
                    _ => "BTREE",
                };
                self.indexes.push(Index {
                    name,
                    unique: false,
                    kind,
                    parts,
                    options: KeyOptions {
                        hidden: false,
                        comment: comment_of(&index.index_options),
                    },
                });
            }
            TableConstraint::FulltextOrSpatial(index) => {
                let parts = index_parts(&index.columns);
                let name = index
                    .opt_index_name
                    .map(|n| n.value)
                    .unwrap_or_else(|| self.free_index_name(&parts));
                self.indexes.push(Index {
                    name,
                    unique: false,
                    kind: if index.fulltext {
                        "FULLTEXT"
                    } else {
                        "SPATIAL"
                    },
                    parts,
                    ..Index::default()
                });
            }
            TableConstraint::ForeignKey(foreign_key) => self.foreign_keys.push(ForeignKey {
                name: foreign_key.name.map(|n| n.value),
                columns: foreign_key.columns.into_iter().map(|c| c.value).collect(),
                table: name_of(&foreign_key.foreign_table),
                referred: foreign_key
                    .referred_columns
                    .into_iter()
                    .map(|c| c.value)
                    .collect(),
                on_delete: foreign_key.on_delete,
                on_update: foreign_key.on_update,
            }),
            TableConstraint::Check(check) => {
                let number = self.checks.len() + 1;
                self.checks.push(CheckRow {
                    table_name: table.to_owned(),
                    name: check
                        .name
                        .map(|n| n.value)
                        .unwrap_or_else(|| format!("CONSTRAINT_{number}")),
                    clause: check.expr.to_string(),
                });
            }
            _ => {}
        }
    }

    /// Primary-key columns are `NOT NULL`, whatever the column said.
    fn mark_primary_not_null(&mut self) {
        let primary: Vec<String> = self
            .indexes
            .iter()
            .filter(|i| i.name == "PRIMARY")
            .flat_map(|i| i.parts.iter().map(|p| p.0.clone()))
            .collect();
        for column in &mut self.columns {
            if primary.iter().any(|p| p.eq_ignore_ascii_case(&column.name)) {
                column.is_nullable = "NO".to_owned();
            }
        }
    }

    /// MySQL names an unnamed index after its first column (`col`, `col_2`,
    /// ...), or `functional_index` when that is an expression.
    fn free_index_name(&self, parts: &[(String, bool, Option<i64>)]) -> String {
        let base = match parts.first() {
            Some(part)
                if self
                    .columns
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(&part.0)) =>
            {
                part.0.clone()
            }
            Some(_) => "functional_index".to_owned(),
            None => "index".to_owned(),
        };
        let mut name = base.clone();
        let mut number = 1;
        while self.indexes.iter().any(|i| i.name == name) {
            number += 1;
            name = format!("{base}_{number}");
        }
        name
    }

    /// InnoDB needs an index whose first columns are a foreign key's columns;
    /// when no other index serves, it creates one named after the constraint.
    fn add_foreign_key_indexes(&mut self) {
        let mut added = Vec::new();
        for (number, foreign_key) in self.foreign_keys.iter().enumerate() {
            let served = self
                .indexes
                .iter()
                .chain(added.iter())
                .any(|index: &Index| {
                    index.parts.len() >= foreign_key.columns.len()
                        && index
                            .parts
                            .iter()
                            .zip(&foreign_key.columns)
                            .all(|(part, column)| {
                                part.0.eq_ignore_ascii_case(column) && part.2.is_none()
                            })
                });
            if served {
                continue;
            }
            let name = foreign_key.name.clone().unwrap_or_else(|| {
                let table = self
                    .row
                    .as_ref()
                    .map(|r| r.name.clone())
                    .unwrap_or_default();
                format!("{table}_ibfk_{}", number + 1)
            });
            added.push(Index {
                name,
                unique: false,
                kind: "BTREE",
                parts: foreign_key
                    .columns
                    .iter()
                    .map(|c| (c.clone(), false, None))
                    .collect(),
                ..Index::default()
            });
        }
        self.indexes.extend(added);
    }
}

fn primary_index(columns: Vec<String>, comment: Option<String>) -> Index {
    Index {
        name: "PRIMARY".to_owned(),
        unique: true,
        kind: "BTREE",
        parts: columns.into_iter().map(|c| (c, false, None)).collect(),
        options: KeyOptions {
            hidden: false,
            comment,
        },
    }
}

/// The `COMMENT` among a key's options.
fn comment_of(options: &[IndexOption]) -> Option<String> {
    options.iter().find_map(|option| match option {
        IndexOption::Comment(comment) => Some(comment.clone()),
        IndexOption::Using(_) => None,
    })
}

/// Key parts: `col`, `col DESC`, or a prefix `col(20)`.
fn index_parts(columns: &[IndexColumn]) -> Vec<(String, bool, Option<i64>)> {
    columns
        .iter()
        .map(|column| {
            let descending = matches!(
                column.column.options.sort,
                Some(sqlparser::ast::OrderBySort::Desc)
            );
            match &column.column.expr {
                Expr::Function(function) => {
                    let prefix = function
                        .args
                        .to_string()
                        .trim_matches(|c| c == '(' || c == ')')
                        .parse()
                        .ok();
                    (name_of(&function.name), descending, prefix)
                }
                Expr::Identifier(ident) => (ident.value.clone(), descending, None),
                // A functional key part, `((lower(name)))`: the catalog
                // lists its expression without the outer parentheses.
                Expr::Nested(inner) => (inner.to_string(), descending, None),
                other => (other.to_string(), descending, None),
            }
        })
        .collect()
}

/// The collation MariaDB gives a table: its `COLLATE`, else its character
/// set's default one, else utf8mb4's (see [`DEFAULT_COLLATION`]).
fn table_collation(options: &CreateTableOptions) -> String {
    let list = match options {
        CreateTableOptions::Plain(list)
        | CreateTableOptions::With(list)
        | CreateTableOptions::Options(list) => list.as_slice(),
        _ => &[],
    };
    let mut charset = None;
    for option in list {
        if let SqlOption::KeyValue { key, value } = option {
            let key = key.to_string().to_ascii_uppercase();
            let value = value.to_string().trim_matches(['\'', '"', '`']).to_owned();
            if key.ends_with("COLLATE") {
                return value;
            }
            if key.ends_with("CHARSET") || key.ends_with("CHARACTER SET") {
                charset = Some(value);
            }
        }
    }
    charset.map_or_else(
        || DEFAULT_COLLATION.to_owned(),
        |set| default_collation(&set),
    )
}

/// MariaDB's JSON is a `LONGTEXT` of collation `utf8mb4_bin` with a
/// `json_valid` check: a JSON field says no collation (a plan's `json`
/// gives that one, and MariaDB refuses `json COLLATE ...`), and a view's
/// column that selects a JSON column, which MariaDB lists as `longtext`
/// (a view has no check), is `json`, as the view's query says. Alike for a
/// live database and its dump.
pub(crate) fn json_fields(manifest: &mut Manifest) {
    json_view_columns(manifest);
    for field in manifest
        .entities
        .values_mut()
        .flat_map(|entity| entity.fields.values_mut())
    {
        if field.ty == FieldType::Json && field.collation.as_deref() == Some("utf8mb4_bin") {
            field.collation = None;
        }
    }
}

fn json_view_columns(manifest: &mut Manifest) {
    let is_longtext = |field: &Field| field.native.as_deref() == Some("longtext");
    let views: Vec<(String, sqlparser::ast::Query)> = manifest
        .entities
        .values()
        .filter(|entity| entity.fields.values().any(is_longtext))
        .filter_map(|entity| {
            let definition = entity.definition.as_deref()?;
            match Parser::parse_sql(&MySqlDialect {}, definition)
                .ok()?
                .pop()?
            {
                Ast::Query(query) => Some((entity.table.clone(), *query)),
                _ => None,
            }
        })
        .collect();
    if views.is_empty() {
        return;
    }
    let mut derived = manifest.clone();
    derive_views(
        &mut derived,
        &mut Ledger::default(),
        &views,
        SqlDialect::Mysql,
        &Hints::default(),
    );
    for (name, entity) in &mut manifest.entities {
        for (field_name, field) in &mut entity.fields {
            let selects_json = derived.entities[name]
                .fields
                .get(field_name)
                .is_some_and(|f| f.ty == FieldType::Json);
            if is_longtext(field) && selects_json {
                field.ty = FieldType::Json;
                field.native = None;
            }
        }
    }
}

/// `statements` with each MariaDB `BEGIN NOT ATOMIC ... END` block
/// replaced by the statements inside it that make something (`CREATE`,
/// `ALTER`, `DROP`, `RENAME`), as they would be read outside a block, those
/// of a `BEGIN ... END` inside it included; what else a block runs
/// (conditions, loops, variables, queries) is not followed and is in
/// `skipped`, at its place.
fn without_blocks(statements: &[Statement], skipped: &mut Vec<Skipped>) -> Vec<Statement> {
    let mut out = Vec::with_capacity(statements.len());
    for statement in statements {
        if !read_block(statement, false, &mut out, skipped) {
            out.push(statement.clone());
        }
    }
    out
}

/// Reads `statement` as a block (a `BEGIN NOT ATOMIC` one, or with
/// `nested` a plain `BEGIN`) into `out` and `skipped`; `false` when it is
/// not one.
fn read_block(
    statement: &Statement,
    nested: bool,
    out: &mut Vec<Statement>,
    skipped: &mut Vec<Skipped>,
) -> bool {
    let Some(body) = block_body(&statement.text, nested) else {
        return false;
    };
    let at = body.as_ptr() as usize - statement.text.as_ptr() as usize;
    for inner in super::split_script(body, SqlDialect::Mysql, true) {
        let inner = Statement {
            span: statement.span.start + at + inner.span.start
                ..statement.span.start + at + inner.span.end,
            text: inner.text,
        };
        let verb = inner.head(1);
        if verb == "END" || read_block(&inner, true, out, skipped) {
            continue;
        }
        if matches!(verb.as_str(), "CREATE" | "ALTER" | "DROP" | "RENAME") {
            out.push(inner);
        } else {
            let head: String = inner
                .text
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            skipped.push(Skipped {
                span: inner.span,
                reason: format!(
                    "`{head} ...` inside a `BEGIN NOT ATOMIC` block is not followed: what it \
                     runs depends on the server when the dump loads; a statement it holds \
                     is not read"
                ),
                unparsable: false,
            });
        }
    }
    true
}

/// Where `text` goes on after the opening of a block, `[label:] BEGIN NOT
/// ATOMIC` (with `nested`, `[label:] BEGIN` too); `None` when it opens none.
fn block_opening(text: &str, nested: bool) -> Option<usize> {
    let word = |at: usize| -> (usize, &str) {
        let start = at + (text[at..].len() - text[at..].trim_start().len());
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .map_or(text.len(), |n| start + n);
        (end, &text[start..end])
    };
    let (mut at, first) = word(0);
    if !first.eq_ignore_ascii_case("BEGIN") {
        // A label: `name:` or `name :`.
        let rest = text[at..].trim_start();
        if first.is_empty() || !rest.starts_with(':') {
            return None;
        }
        at = text.len() - rest.len() + 1;
        let (end, begin) = word(at);
        if !begin.eq_ignore_ascii_case("BEGIN") {
            return None;
        }
        at = end;
    }
    let (not_end, not) = word(at);
    let (atomic_end, atomic) = word(not_end);
    if not.eq_ignore_ascii_case("NOT") && atomic.eq_ignore_ascii_case("ATOMIC") {
        Some(atomic_end)
    } else {
        nested.then_some(at)
    }
}

/// Whether `text` starts with a MariaDB `[label:] BEGIN NOT ATOMIC` block.
pub(super) fn opens_block(text: &str) -> bool {
    block_opening(text, false).is_some()
}

/// The statements of a `[label:] BEGIN NOT ATOMIC ... END [label]` block
/// (with `nested`, of a `[label:] BEGIN ... END [label]` one too).
fn block_body(text: &str, nested: bool) -> Option<&str> {
    let start = block_opening(text, nested)?;
    let body = text[start..].trim_end().trim_end_matches(';').trim_end();
    // `END` or `END label`.
    let upper = body.to_ascii_uppercase();
    let end = upper.rfind("END")?;
    let after = body[end + 3..].trim();
    let before_ok = end == 0 || !body.as_bytes()[end - 1].is_ascii_alphanumeric();
    if !before_ok || after.contains(char::is_whitespace) || after.contains(';') {
        return None;
    }
    Some(&body[..end])
}

/// What is open in a MySQL compound statement read word by word, so that
/// the `;` inside it do not end it: `BEGIN ... END`, `IF ... END IF`,
/// `CASE ... END [CASE]`, `LOOP`, `WHILE` and `REPEAT` ... `END LOOP` etc.
#[derive(Debug)]
pub(super) struct Compound {
    open: Vec<&'static str>,
    /// The next word starts a statement (after `;`, a label, `BEGIN`,
    /// `THEN`, `ELSE`, `DO`, `LOOP`, `REPEAT`).
    at_start: bool,
    /// The last word was a closing `END`: the next may name what it closes.
    after_end: bool,
}

impl Default for Compound {
    fn default() -> Self {
        Self {
            open: Vec::new(),
            at_start: true,
            after_end: false,
        }
    }
}

impl Compound {
    /// How many constructs are open.
    pub(super) fn depth(&self) -> usize {
        self.open.len()
    }

    pub(super) fn word(&mut self, word: &str) {
        const STATEMENTS: [&str; 5] = ["IF", "CASE", "LOOP", "WHILE", "REPEAT"];
        let upper = word.to_ascii_uppercase();
        let at_start = std::mem::replace(&mut self.at_start, false);
        if std::mem::take(&mut self.after_end) && STATEMENTS.contains(&upper.as_str()) {
            return;
        }
        match upper.as_str() {
            "BEGIN" => {
                self.open.push("BEGIN");
                self.at_start = true;
            }
            // A `CASE` expression ends with `END` too.
            "CASE" => self.open.push("CASE"),
            "IF" | "WHILE" if at_start => self.open.push("IF"),
            "LOOP" | "REPEAT" if at_start => {
                self.open
                    .push(if upper == "LOOP" { "LOOP" } else { "REPEAT" });
                self.at_start = true;
            }
            // `END` ends a statement list, a `CASE` expression, or `REPEAT
            // ... UNTIL condition`; elsewhere it is a name (`t.end`).
            "END" if at_start || matches!(self.open.last(), Some(&"CASE" | &"REPEAT")) => {
                self.open.pop();
                self.after_end = true;
            }
            "THEN" | "ELSE" | "DO" => self.at_start = true,
            _ => {}
        }
    }

    /// A `;` or a label's `:`: a statement starts after it.
    pub(super) fn punctuation(&mut self) {
        self.at_start = true;
        self.after_end = false;
    }
}

/// `SET collation_connection = x`: `Some(Some(x))`; set back to a saved
/// value (`@saved_col_connection`): `Some(None)`, not known; another
/// statement: `None`.
fn collation_connection(sql: &str) -> Option<Option<String>> {
    let rest = sql.trim_start();
    let rest = rest
        .get(..3)?
        .eq_ignore_ascii_case("SET")
        .then(|| &rest[3..])?;
    let (name, value) = rest.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("collation_connection") {
        return None;
    }
    let value = value.trim().trim_end_matches(';').trim();
    let value = value.trim_matches(['\'', '"', '`']);
    Some(
        (!value.starts_with('@') && !value.is_empty() && !value.contains(char::is_whitespace))
            .then(|| value.to_ascii_lowercase()),
    )
}

/// What `DEFAULT CHARSET=utf8mb4` means on MariaDB.
const DEFAULT_COLLATION: &str = "utf8mb4_general_ci";

fn table_options(options: &CreateTableOptions) -> (Option<String>, Option<String>) {
    let list = match options {
        CreateTableOptions::Plain(list)
        | CreateTableOptions::With(list)
        | CreateTableOptions::Options(list) => list,
        _ => return (None, None),
    };
    let mut engine = None;
    let mut comment = None;
    for option in list {
        match option {
            SqlOption::NamedParenthesizedList(named)
                if named.key.value.eq_ignore_ascii_case("ENGINE") =>
            {
                engine = named.name.as_ref().map(|n| n.value.clone());
            }
            SqlOption::Comment(text) => comment = Some(comment_text(text)),
            _ => {}
        }
    }
    (engine, comment)
}

fn comment_text(comment: &sqlparser::ast::CommentDef) -> String {
    match comment {
        sqlparser::ast::CommentDef::WithEq(text) | sqlparser::ast::CommentDef::WithoutEq(text) => {
            text.clone()
        }
    }
}

/// A default as MariaDB's `COLUMN_DEFAULT` shows it: quoted strings,
/// bare numbers, `NULL`, and expressions such as `current_timestamp()`.
fn default_text(expr: &Expr) -> String {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                // Spelled back as MariaDB shows it: the parser has read the
                // escapes, so a backslash and a zero byte are escaped again.
                let escaped = s
                    .replace('\\', "\\\\")
                    .replace('\0', "\\0")
                    .replace('\'', "''");
                format!("'{escaped}'")
            }
            Value::Number(number, _) => number.clone(),
            Value::Null => "NULL".to_owned(),
            Value::Boolean(b) => if *b { "1" } else { "0" }.to_owned(),
            other => other.to_string(),
        },
        Expr::UnaryOp { op, expr } if op.to_string() == "-" => format!("-{}", default_text(expr)),
        Expr::Function(function) => {
            let name = function.name.to_string().to_ascii_lowercase();
            let args = function.args.to_string();
            let args = if args.is_empty() {
                "()".to_owned()
            } else {
                args
            };
            if matches!(
                name.as_str(),
                "current_timestamp" | "now" | "localtimestamp" | "localtime"
            ) {
                format!("current_timestamp{args}")
            } else {
                format!("{name}{args}")
            }
        }
        Expr::Identifier(ident)
            if ["CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "LOCALTIME"]
                .contains(&ident.value.to_ascii_uppercase().as_str()) =>
        {
            "current_timestamp()".to_owned()
        }
        other => other.to_string(),
    }
}

fn rule(action: Option<ReferentialAction>) -> String {
    match action {
        Some(ReferentialAction::Cascade) => "CASCADE",
        Some(ReferentialAction::SetNull) => "SET NULL",
        Some(ReferentialAction::SetDefault) => "SET DEFAULT",
        Some(ReferentialAction::NoAction) => "NO ACTION",
        // InnoDB's default is RESTRICT, which is what MariaDB reports.
        Some(ReferentialAction::Restrict) | None => "RESTRICT",
    }
    .to_owned()
}

/// The `COLUMNS` row a server would show for a declared type, with MySQL's
/// own spelling of aliases (`BOOLEAN` → `tinyint(1)`, `NVARCHAR` → `varchar`,
/// `NUMERIC` → `decimal`, `INTEGER` → `int`).
fn column_row(table: &str, column: &str, data_type: &DataType) -> ColumnRow {
    let mut row = ColumnRow {
        table_name: table.to_owned(),
        name: column.to_owned(),
        column_default: None,
        is_nullable: "YES".to_owned(),
        data_type: String::new(),
        column_type: String::new(),
        max_length: None,
        numeric_precision: None,
        numeric_scale: None,
        collation: None,
        extra: None,
        comment: None,
        generation_expression: None,
    };
    let quote = |values: Vec<String>| {
        values
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(",")
    };
    match data_type {
        DataType::Enum(members, _) => {
            let values = members
                .iter()
                .map(|member| match member {
                    sqlparser::ast::EnumMember::Name(name)
                    | sqlparser::ast::EnumMember::NamedValue(name, _) => name.clone(),
                })
                .collect();
            row.data_type = "enum".to_owned();
            row.column_type = format!("enum({})", quote(values));
            return row;
        }
        DataType::Set(values) => {
            row.data_type = "set".to_owned();
            row.column_type = format!("set({})", quote(values.clone()));
            return row;
        }
        _ => {}
    }
    let text = data_type.to_string().to_ascii_lowercase();
    let (base, rest) = match text.find('(') {
        Some(open) => (text[..open].trim().to_owned(), &text[open..]),
        None => {
            let mut words: Vec<&str> = text.split_whitespace().collect();
            let tail: Vec<&str> = words
                .iter()
                .rev()
                .take_while(|w| **w == "unsigned" || **w == "zerofill")
                .copied()
                .collect();
            words.truncate(words.len() - tail.len());
            (words.join(" "), "")
        }
    };
    let (arguments, tail) = match rest.find(')') {
        Some(close) => (
            rest[1..close].replace(' ', ""),
            rest[close + 1..].trim().to_owned(),
        ),
        None => (String::new(), text[base.len()..].trim().to_owned()),
    };
    let numbers: Vec<i64> = arguments
        .split(',')
        .filter_map(|a| a.parse().ok())
        .collect();
    // `ZEROFILL` makes a column unsigned.
    let zerofill = tail.contains("zerofill");
    let unsigned = if tail.contains("unsigned") || zerofill {
        " unsigned"
    } else {
        ""
    };
    // An integer type as the server lists it, with its display width.
    let integer = |base: &str| {
        let width = numbers
            .first()
            .copied()
            .and_then(|width| u32::try_from(width).ok())
            .or_else(|| crate::dialect::mysql::default_display_width(base, !unsigned.is_empty()))
            .unwrap_or_default();
        let zerofill = if zerofill { " zerofill" } else { "" };
        (
            base.to_owned(),
            format!("{base}({width}){unsigned}{zerofill}"),
        )
    };
    let (data_type, column_type) = match base.as_str() {
        "bool" | "boolean" => ("tinyint".to_owned(), "tinyint(1)".to_owned()),
        "tinyint" if numbers.first() == Some(&1) && unsigned.is_empty() => {
            ("tinyint".to_owned(), "tinyint(1)".to_owned())
        }
        "tinyint" | "smallint" | "mediumint" | "bigint" => integer(&base),
        "int" | "integer" => integer("int"),
        "year" => ("year".to_owned(), "year".to_owned()),
        "nvarchar" | "national varchar" | "character varying" | "varchar" | "nchar varchar" => {
            row.max_length = numbers.first().copied();
            (
                "varchar".to_owned(),
                format!("varchar({})", numbers.first().copied().unwrap_or(255)),
            )
        }
        "nchar" | "national char" | "character" | "char" => {
            let length = numbers.first().copied().unwrap_or(1);
            row.max_length = Some(length);
            ("char".to_owned(), format!("char({length})"))
        }
        "binary" | "varbinary" => {
            let length = numbers.first().copied().unwrap_or(1);
            row.max_length = Some(length);
            (base.clone(), format!("{base}({length})"))
        }
        "numeric" | "decimal" | "dec" | "fixed" => {
            let precision = numbers.first().copied().unwrap_or(10);
            let scale = numbers.get(1).copied().unwrap_or(0);
            row.numeric_precision = Some(precision);
            row.numeric_scale = Some(scale);
            (
                "decimal".to_owned(),
                format!("decimal({precision},{scale}){unsigned}"),
            )
        }
        // `double(8,3)` keeps its digits, as the server lists it.
        "real" | "double" | "double precision" => match numbers.as_slice() {
            [precision, scale] => (
                "double".to_owned(),
                format!("double({precision},{scale}){unsigned}"),
            ),
            _ => ("double".to_owned(), format!("double{unsigned}")),
        },
        "float" if numbers.len() == 2 => (
            "float".to_owned(),
            format!("float({},{}){unsigned}", numbers[0], numbers[1]),
        ),
        "float" if numbers.first().is_some_and(|p| *p > 24) => {
            ("double".to_owned(), "double".to_owned())
        }
        "float" => ("float".to_owned(), format!("float{unsigned}")),
        "bit" => {
            let length = numbers.first().copied().unwrap_or(1);
            ("bit".to_owned(), format!("bit({length})"))
        }
        "datetime" | "timestamp" | "time" if !numbers.is_empty() => {
            (base.clone(), format!("{base}({})", numbers[0]))
        }
        other => (other.to_owned(), text.clone()),
    };
    row.data_type = data_type;
    row.column_type = column_type;
    row
}

/// The query of `CREATE ... VIEW name [(columns)] AS query` as written,
/// without the charset introducers (`_utf8mb4' '`) `mysqldump` adds and the
/// server's `VIEW_DEFINITION` does not show.
fn view_query_text(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut seen_view = false;
    let mut query_at = None;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'`' | b'\'' | b'"') => i = super::skip_quoted(bytes, i, quote),
            c if c.is_ascii_alphabetic() => {
                let end = text[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(text.len(), |n| i + n);
                let word = &text[i..end];
                if word.eq_ignore_ascii_case("VIEW") {
                    seen_view = true;
                } else if seen_view && word.eq_ignore_ascii_case("AS") {
                    query_at = Some(end);
                    break;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    let query = text[query_at?..].trim();
    let bytes = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'`' | b'\'' | b'"') => {
                let end = super::skip_quoted(bytes, i, quote);
                out.push_str(&query[i..end]);
                i = end;
            }
            b'_' if i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') => {
                let end = query[i + 1..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(query.len(), |n| i + 1 + n);
                if bytes.get(end) != Some(&b'\'') {
                    out.push_str(&query[i..end]);
                }
                i = end;
            }
            _ => {
                let c = query[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_mod_is_written_as_a_sign_and_nothing_else_is() {
        assert_eq!(
            with_modulo_signs("SELECT `a` MOD 3 AS `m`, mod(a, 2), 'x MOD y', `mod` FROM t")
                .as_deref(),
            Some("SELECT `a` % 3 AS `m`, mod(a, 2), 'x MOD y', `mod` FROM t")
        );
        assert_eq!(with_modulo_signs("SELECT modulo, a.mod_b FROM t"), None);
    }

    #[test]
    fn executable_comments_become_code() {
        assert_eq!(
            unwrap_executable_comments("a /*!50705 loc GEOMETRY */ b '/*!x*/'"),
            "a   loc GEOMETRY   b '/*!x*/'"
        );
    }

    fn types(sql: &str) -> Vec<(String, String)> {
        let Ast::CreateTable(create) = Parser::parse_sql(&MySqlDialect {}, sql).unwrap().remove(0)
        else {
            panic!("not a table")
        };
        create
            .columns
            .iter()
            .map(|c| {
                let row = column_row("t", &c.name.value, &c.data_type);
                (row.data_type, row.column_type)
            })
            .collect()
    }

    #[test]
    fn declared_types_are_spelled_as_the_server_spells_them() {
        let found = types(
            "CREATE TABLE t (a SMALLINT UNSIGNED, b BOOLEAN, c NVARCHAR(160), d NUMERIC(10,2), e INTEGER, \
             f ENUM('G','PG-13'), g SET('a','b'), h YEAR, i DOUBLE, j TEXT, k DATETIME, l CHAR(3), \
             m INT(4) ZEROFILL)",
        );
        let expected = [
            ("smallint", "smallint(5) unsigned"),
            ("tinyint", "tinyint(1)"),
            ("varchar", "varchar(160)"),
            ("decimal", "decimal(10,2)"),
            ("int", "int(11)"),
            ("enum", "enum('G','PG-13')"),
            ("set", "set('a','b')"),
            ("year", "year"),
            ("double", "double"),
            ("text", "text"),
            ("datetime", "datetime"),
            ("char", "char(3)"),
            ("int", "int(4) unsigned zerofill"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(found, expected);
    }
}
