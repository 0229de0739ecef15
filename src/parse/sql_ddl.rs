//! SQL DDL and dumps → manifest, for PostgreSQL, MySQL and SQLite.
//!
//! A dump is first cut into statements by [`split`], a small lexer that
//! knows quotes, comments, dollar quoting, psql meta-commands, `COPY ...
//! FROM stdin` data blocks, MySQL `DELIMITER` and executable comments, and
//! SQLite trigger bodies, and that keeps each statement's byte offset for
//! messages. Then, per dialect:
//!
//! - SQLite: the schema statements run in an in-memory SQLite database,
//!   which is then introspected like a live one. SQLite itself is the parser,
//!   so the result is exactly what loading the dump would give.
//! - MySQL: each statement is parsed with `sqlparser` and turned into the
//!   `information_schema` rows a server would report, so dump and live
//!   database go through one builder ([`crate::introspect::mysql::build`]).
//! - PostgreSQL: likewise, each statement becomes the `pg_catalog` rows a
//!   server would report, built by [`crate::introspect::postgres::build`].
//!
//! Statements that cannot be handled are listed in the ledger with their
//! line, or are errors with `--strict`.

use std::ops::Range;

use super::SourceFile;
use crate::manifest::{Diagnostics, Problem, ProblemKind};
use crate::source::{IntrospectOptions, Introspection};
use crate::ui::Progress;
use detect::Detected;

mod detect;
mod mysql;
mod postgres;
mod view_columns;
mod written;

/// The SQL dialects a dump can be written in.
pub use crate::database::SqlDialect;
pub(crate) use crate::dialect::skip_quoted;
pub(crate) use mysql::json_fields as mysql_json_fields;

/// Reads a SQL dump or DDL script into a manifest.
pub fn parse(file: &SourceFile, options: &IntrospectOptions) -> Result<Introspection, Diagnostics> {
    let dialect = match options.dialect.as_deref() {
        Some("postgres") => SqlDialect::Postgres,
        Some("mysql") => SqlDialect::Mysql,
        Some("sqlite") => SqlDialect::Sqlite,
        _ => match detect::detect(&file.text) {
            Detected::Dialect(dialect, _) => dialect,
            Detected::Ambiguous(candidates) => {
                // Text that is no SQL at all gets the parser's own error;
                // SQL that any of the three could have written is not guessed.
                if super::found_nothing(&parse_as(file, SqlDialect::Postgres, options)?) {
                    return Err(nothing_imported(file, None));
                }
                return Err(ambiguous(file, &candidates));
            }
        },
    };
    let introspection = parse_as(file, dialect, options)?;
    if super::found_nothing(&introspection) {
        return Err(nothing_imported(file, Some(dialect)));
    }
    Ok(introspection)
}

/// The problem of a script that gave nothing: no statement, or only
/// statements an import skips (`SET`, `SELECT`, `LOCK TABLES`, ...),
/// named by their first words.
fn nothing_imported(file: &SourceFile, dialect: Option<SqlDialect>) -> Diagnostics {
    let statements = split(&file.text, dialect.unwrap_or(SqlDialect::Postgres));
    let mut kinds: Vec<String> = Vec::new();
    for statement in &statements {
        let text = without_leading_comments(&statement.text);
        let first = head_words(text, 1);
        let kind = if matches!(first.as_str(), "CREATE" | "ALTER" | "DROP" | "COMMENT") {
            head_words(text, 2)
        } else {
            first
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    const SHOWN: usize = 6;
    let message = if statements.is_empty() {
        "the script holds no SQL statement: nothing to import".to_owned()
    } else {
        let more = if kinds.len() > SHOWN { ", ..." } else { "" };
        kinds.truncate(SHOWN);
        format!(
            "the script creates no table, view or type: an import reads none of its {} statement{} ({}{more}), so there is nothing to import",
            statements.len(),
            if statements.len() == 1 { "" } else { "s" },
            kinds.join(", ")
        )
    };
    super::nothing_to_import(
        file,
        message,
        format!(
            "check that this is the schema dump you meant{}; a schema dump has `CREATE TABLE` statements",
            dialect
                .map(|dialect| format!(" (read as {})", dialect.label()))
                .unwrap_or_default()
        ),
    )
}

/// `text` after its leading comments; a MySQL versioned comment
/// (`/*!40101 SET ... */`) is code, and gives the text inside it.
fn without_leading_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("--") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = text.strip_prefix("/*!") {
            return rest.trim_start_matches(|c: char| c.is_ascii_digit());
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return text;
        }
    }
}

/// Whether `text` reads as SQL DDL in some dialect (format detection).
pub fn reads_as_sql(file: &SourceFile) -> bool {
    let dialect = match detect::detect(&file.text) {
        Detected::Dialect(dialect, _) => dialect,
        Detected::Ambiguous(_) => SqlDialect::Postgres,
    };
    parse_as(file, dialect, &IntrospectOptions::default())
        .is_ok_and(|i| !i.manifest.entities.is_empty() || !i.manifest.enums.is_empty())
}

fn parse_as(
    file: &SourceFile,
    dialect: SqlDialect,
    options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let statements = split(&file.text, dialect);
    let project = file
        .path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned());
    match dialect {
        SqlDialect::Sqlite => sqlite(file, &statements, project, options),
        SqlDialect::Mysql => mysql::import(file, &statements, project, options),
        SqlDialect::Postgres => postgres::import(file, &statements, project, options),
    }
}

/// The problem of a script that PostgreSQL, MySQL and SQLite would each
/// read, differently.
fn ambiguous(file: &SourceFile, candidates: &[SqlDialect]) -> Diagnostics {
    let names: Vec<&str> = candidates.iter().map(|d| d.name()).collect();
    let problem = Problem::new(
        ProblemKind::SourceUnsupported,
        "",
        format!(
            "cannot tell which SQL dialect this script is written in: nothing in it is particular to {} \
             (and the same DDL gives other types and keys in each)",
            names.join(" or ")
        ),
    )
    .with_span(Some(0..0))
    .with_help(format!(
        "pass --dialect {} to say which database wrote it",
        names.join("|")
    ));
    file.diagnostics(vec![problem])
}

/// One statement of a script: its text (without the delimiter) and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub text: String,
    pub span: Range<usize>,
}

impl Statement {
    /// The first keywords, upper-cased (`CREATE TABLE`, `INSERT INTO`).
    pub fn head(&self, words: usize) -> String {
        head_words(&self.text, words)
    }
}

/// The first `count` words of `text`, upper-cased and joined by one space.
fn head_words(text: &str, count: usize) -> String {
    text.split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .take(count)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// Cuts a script into statements. Comments are kept inside statements (the
/// engines and sqlparser read them); empty statements are dropped.
pub fn split(text: &str, dialect: SqlDialect) -> Vec<Statement> {
    split_script(text, dialect, false)
}

/// [`split`]; with `in_block`, `text` is the body of a MySQL compound
/// statement, where every statement may hold `BEGIN ... END`, `IF ... END
/// IF` and the like.
fn split_script(text: &str, dialect: SqlDialect, in_block: bool) -> Vec<Statement> {
    let bytes = text.as_bytes();
    // A MariaDB `BEGIN NOT ATOMIC ... END` block sent without `DELIMITER`:
    // its statements end with `;` inside it, the block with the `;` after
    // its `END`.
    let mut compound: Option<mysql::Compound> = None;
    let mut first_word_of = None;
    let mut statements = Vec::new();
    let mut delimiter = ";".to_owned();
    let mut start = 0;
    let mut i = 0;
    // SQLite trigger bodies (`BEGIN ... END`) contain semicolons.
    let mut depth = 0usize;
    let at_statement_start =
        |start: usize, i: usize| text[start..i].trim().is_empty() || only_comments(&text[start..i]);
    while i < bytes.len() {
        let c = bytes[i];
        // Line-oriented directives, only where a statement starts.
        if (i == 0 || bytes[i - 1] == b'\n') && at_statement_start(start, i) {
            let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let line = text[i..line_end].trim();
            if line.starts_with('\\') {
                // psql meta-command (`\connect db`, `\.`).
                i = line_end;
                start = i;
                continue;
            }
            if dialect == SqlDialect::Mysql && line.to_ascii_uppercase().starts_with("DELIMITER ") {
                delimiter = line["DELIMITER ".len()..].trim().to_owned();
                i = line_end;
                start = i;
                continue;
            }
        }
        match c {
            b'\'' | b'"' | b'`' => i = skip_quoted(bytes, i, c),
            _ if dialect == SqlDialect::Mysql && delimiter == ";" && is_word_start(bytes, i) => {
                let word_end = text[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '$'))
                    .map_or(bytes.len(), |n| i + n);
                // Once per statement, at its first word.
                if compound.is_none() && first_word_of != Some(start) {
                    first_word_of = Some(start);
                    if at_statement_start(start, i) && (in_block || mysql::opens_block(&text[i..]))
                    {
                        compound = Some(mysql::Compound::default());
                    }
                }
                if let Some(compound) = &mut compound {
                    compound.word(&text[i..word_end]);
                    depth = compound.depth();
                }
                i = word_end;
            }
            // A label's `:`, not an assignment's `:=`.
            b';' | b':'
                if compound.is_some()
                    && (depth > 0 || c == b':')
                    && bytes.get(i + 1) != Some(&b'=') =>
            {
                if let Some(compound) = &mut compound {
                    compound.punctuation();
                }
                i += 1;
            }
            b'[' if dialect == SqlDialect::Sqlite => {
                i = text[i..].find(']').map_or(bytes.len(), |n| i + n + 1);
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'#' if dialect == SqlDialect::Mysql => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let executable = dialect == SqlDialect::Mysql && bytes.get(i + 2) == Some(&b'!');
                if executable {
                    // `/*!50705 ... */`: MySQL runs it; its content is SQL.
                    i += 3;
                } else {
                    i = text[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |n| i + 2 + n + 2);
                }
            }
            b'$' if dialect == SqlDialect::Postgres => {
                // Dollar quoting: `$$ ... $$` or `$tag$ ... $tag$`.
                let tag_end = text[i + 1..]
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .map(|n| i + 1 + n);
                match tag_end {
                    Some(end) if bytes.get(end) == Some(&b'$') => {
                        let tag = &text[i..=end];
                        i = text[end + 1..]
                            .find(tag)
                            .map_or(bytes.len(), |n| end + 1 + n + tag.len());
                    }
                    _ => i += 1,
                }
            }
            _ if text[i..].starts_with(delimiter.as_str()) && depth == 0 => {
                compound = None;
                let leading = trivia_len(&text[start..i]);
                let statement_text = text[start + leading..i].trim_end();
                if !statement_text.is_empty() && !only_comments(statement_text) {
                    let statement = Statement {
                        text: statement_text.to_owned(),
                        span: start + leading..start + leading + statement_text.len(),
                    };
                    let copy_from_stdin = dialect == SqlDialect::Postgres
                        && statement.head(1) == "COPY"
                        && statement.text.to_ascii_uppercase().contains("FROM STDIN");
                    statements.push(statement);
                    i += delimiter.len();
                    if copy_from_stdin {
                        // The data rows follow, up to a line `\.`.
                        i = text[i..].find("\n\\.").map_or(bytes.len(), |n| i + n + 3);
                    }
                    start = i;
                    continue;
                }
                i += delimiter.len();
                start = i;
            }
            _ if dialect == SqlDialect::Sqlite && is_word_start(bytes, i) => {
                let word_end = text[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(bytes.len(), |n| i + n);
                let word = text[i..word_end].to_ascii_uppercase();
                let in_trigger = head_words(&text[start..i], 4).contains("TRIGGER");
                match word.as_str() {
                    "BEGIN" | "CASE" if in_trigger => depth += 1,
                    "END" if depth > 0 => depth -= 1,
                    _ => {}
                }
                i = word_end;
            }
            _ => i += 1,
        }
    }
    let leading = trivia_len(&text[start..]);
    let rest = text[start + leading..].trim_end();
    if !rest.is_empty() {
        statements.push(Statement {
            text: rest.to_owned(),
            span: start + leading..start + leading + rest.len(),
        });
    }
    statements
}

fn is_word_start(bytes: &[u8], i: usize) -> bool {
    bytes[i].is_ascii_alphabetic()
        && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
}

/// Whether `text` holds nothing but comments and whitespace.
fn only_comments(text: &str) -> bool {
    trivia_len(text) == text.len()
}

/// Length of the whitespace and comments `text` starts with (executable
/// MySQL comments, `/*! ... */`, are code, not trivia).
fn trivia_len(text: &str) -> usize {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("--") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if trimmed.starts_with("/*") && !trimmed.starts_with("/*!") {
            match trimmed.find("*/") {
                Some(n) => rest = &trimmed[n + 2..],
                None => rest = "",
            }
        } else {
            return text.len() - trimmed.len();
        }
    }
}

/// After this many statements that do not parse, with none that did, the
/// file is taken for something that is not SQL and the rest is not read:
/// random text cut into "statements" would otherwise be parsed for seconds
/// only to end in the same error.
pub(crate) const GIVE_UP_AFTER: usize = 200;

/// Whether reading should stop: [`GIVE_UP_AFTER`] failures and no success.
pub(crate) fn give_up(parsed: usize, skipped: &[Skipped]) -> bool {
    parsed == 0 && skipped.len() >= GIVE_UP_AFTER && skipped.iter().all(|s| s.unparsable)
}

/// A statement the importer skipped: a ledger entry, or with `--strict` a problem.
pub(crate) struct Skipped {
    pub span: Range<usize>,
    pub reason: String,
    /// The statement is not SQL the parser knows (rather than SQL the
    /// manifest cannot represent).
    pub unparsable: bool,
}

/// Turns skipped statements into ledger entries, or into an error with
/// `--strict`. When nothing was read (no entity, no enum) and some statement
/// did not parse, the file is not SQL (random text, another format, another
/// dialect): that is an error naming the first such statement, not an empty
/// manifest.
pub(crate) fn report_skipped(
    file: &SourceFile,
    skipped: Vec<Skipped>,
    introspection: &mut Introspection,
    strict: bool,
) -> Result<(), Diagnostics> {
    let nothing_read =
        introspection.manifest.entities.is_empty() && introspection.manifest.enums.is_empty();
    if nothing_read && let Some(first) = skipped.iter().find(|s| s.unparsable) {
        let problem = Problem::new(
            ProblemKind::SourceSyntax,
            "",
            format!(
                "nothing in this file reads as a SQL schema; the first statement that does not parse: {}",
                first.reason
            ),
        )
        .with_span(Some(first.span.start..first.span.start))
        .with_help(
            "check that this is the file you meant; for another format pass --format \
             (prisma, jsonschema, openapi, graphql), for another SQL dialect --dialect",
        );
        return Err(file.diagnostics(vec![problem]));
    }
    if strict && !skipped.is_empty() {
        let problems = skipped
            .into_iter()
            .map(|s| {
                Problem::new(ProblemKind::SourceUnsupported, "", s.reason)
                    .with_span(Some(s.span))
                    .with_help("without --strict, such statements are listed in the fidelity ledger and skipped")
            })
            .collect();
        return Err(file.diagnostics(problems));
    }
    let name = file
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    // Lines are counted once over the file, not from its start per
    // statement: a dump with many skipped statements stays linear.
    let mut line = 1;
    let mut counted_to = 0;
    for statement in skipped {
        let at = statement.span.start.min(file.text.len());
        if at < counted_to {
            line = 1;
            counted_to = 0;
        }
        line += file.text.as_bytes()[counted_to..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = at;
        introspection.ledger.record(
            format!("{name}:{line}"),
            "skipped_statement",
            statement.reason,
        );
    }
    Ok(())
}

/// SQLite: run the schema statements in memory, then introspect.
fn sqlite(
    file: &SourceFile,
    statements: &[Statement],
    project: Option<String>,
    options: &IntrospectOptions,
) -> Result<Introspection, Diagnostics> {
    let fail = |message: String| {
        file.diagnostics(vec![
            Problem::new(ProblemKind::SourceUnsupported, "", message).with_span(Some(0..0)),
        ])
    };
    let connection = rusqlite::Connection::open_in_memory().map_err(|e| fail(e.to_string()))?;
    let mut skipped = Vec::new();
    let mut parsed = 0usize;
    for statement in statements {
        let head = statement.head(2);
        if head == "INSERT INTO"
            && let Some(virtual_table) = virtual_table_of_dump(&connection, statement)
        {
            // The shell's `.dump` writes a virtual table as a row of the
            // schema table; creating it gives the same table (the shadow
            // tables the dump creates next already exist then).
            match connection.execute_batch(&virtual_table) {
                Ok(()) => parsed += 1,
                Err(error) => skipped.push(Skipped {
                    span: statement.span.clone(),
                    reason: format!("SQLite rejected this virtual table: {error}"),
                    unparsable: false,
                }),
            }
            continue;
        }
        // Data and queries do not shape the schema; skipping them keeps large dumps fast.
        let data = [
            "INSERT", "REPLACE", "SELECT", "UPDATE", "DELETE", "VALUES", "WITH",
        ]
        .iter()
        .any(|word| head == *word || head.starts_with(&format!("{word} ")));
        if data
            || head.starts_with("BEGIN")
            || head.starts_with("COMMIT")
            || head.starts_with("END")
            || creates_internal_table(statement)
        {
            continue;
        }
        if let Err(error) = connection.execute_batch(&statement.text) {
            skipped.push(Skipped {
                span: statement.span.clone(),
                reason: format!("SQLite rejected this statement: {error}"),
                // SQLite says why, not whether it parsed: a file it reads
                // nothing from is not SQL either way.
                unparsable: true,
            });
            if give_up(parsed, &skipped) {
                break;
            }
        } else {
            parsed += 1;
        }
    }
    let mut introspection =
        crate::introspect::sqlite::introspect_connection(&connection, project, &Progress::hidden())
            .map_err(|e| fail(e.to_string()))?;
    report_skipped(file, skipped, &mut introspection, options.strict)?;
    Ok(introspection)
}

/// `CREATE TABLE sqlite_sequence(name,seq)` and the `sqlite_stat` tables, as
/// the shell's `.schema` prints them: SQLite makes them itself (for an
/// `AUTOINCREMENT` key, on `ANALYZE`) and refuses to have them created.
fn creates_internal_table(statement: &Statement) -> bool {
    let lower = statement.text.trim_start().to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("create table") else {
        return false;
    };
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("if not exists")
        .unwrap_or(rest)
        .trim_start();
    rest.trim_start_matches(['"', '\'', '`', '['])
        .starts_with("sqlite_")
}

/// `INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES
/// ('table',...,'CREATE VIRTUAL TABLE ...')`, as the SQLite shell dumps a
/// virtual table under `PRAGMA writable_schema=ON`: the `CREATE` statement.
fn virtual_table_of_dump(
    connection: &rusqlite::Connection,
    statement: &Statement,
) -> Option<String> {
    let target = head_words(&statement.text, 3);
    let target = target
        .rsplit(' ')
        .next()?
        .trim_matches(['"', '\'', '`', '[', ']']);
    if !matches!(
        target,
        "SQLITE_SCHEMA" | "SQLITE_MASTER" | "MAIN.SQLITE_SCHEMA" | "MAIN.SQLITE_MASTER"
    ) {
        return None;
    }
    let values = statement.text.to_ascii_uppercase().find("VALUES")?;
    // SQLite reads the row's literals; the dump's own statement text.
    let sql: String = connection
        .query_row(
            &format!("SELECT column5 FROM ({})", &statement.text[values..]),
            [],
            |row| row.get(0),
        )
        .ok()?;
    head_words(&sql, 3)
        .starts_with("CREATE VIRTUAL TABLE")
        .then_some(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str, dialect: SqlDialect) -> Vec<String> {
        split(sql, dialect).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_on_delimiters_outside_quotes_and_comments() {
        assert_eq!(
            texts(
                "a 'x;y' \"z;\" -- c;\n; b /* ; */ ;\n\n",
                SqlDialect::Postgres
            ),
            ["a 'x;y' \"z;\" -- c;", "b /* ; */"]
        );
    }

    #[test]
    fn skips_psql_meta_commands_and_copy_data() {
        let sql =
            "\\c chinook\nCOPY t (a) FROM stdin;\n1\tx;y\n2\tz\n\\.\nCREATE TABLE u (a int);\n";
        assert_eq!(
            texts(sql, SqlDialect::Postgres),
            ["COPY t (a) FROM stdin", "CREATE TABLE u (a int)"]
        );
    }

    #[test]
    fn dollar_quotes_hold_semicolons() {
        let sql =
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT 2;";
        assert_eq!(
            texts(sql, SqlDialect::Postgres),
            [
                "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn mysql_delimiter_blocks_and_executable_comments() {
        let sql = "DELIMITER ;;\nCREATE TRIGGER t BEGIN SELECT 1; END;;\nDELIMITER ;\n/*!40101 SET x=1 */;\nSELECT `a;b`;";
        assert_eq!(
            texts(sql, SqlDialect::Mysql),
            [
                "CREATE TRIGGER t BEGIN SELECT 1; END",
                "/*!40101 SET x=1 */",
                "SELECT `a;b`"
            ]
        );
    }

    #[test]
    fn a_mariadb_block_without_delimiter_is_one_statement() {
        let block = "fill: BEGIN NOT ATOMIC\n  DECLARE n INT DEFAULT 0;\n  SET @x := 1;\n  \
                     CREATE TABLE t (id INT, `end` INT, stop INT AS (CASE WHEN id > 0 THEN 1 ELSE 0 END));\n  \
                     inner_loop: LOOP SET n = n + 1; IF n > 2 THEN LEAVE inner_loop; END IF; END LOOP inner_loop;\n  \
                     REPEAT SET n = n - 1; UNTIL n = 0 END REPEAT;\n  \
                     WHILE n < 1 DO SET n = n + 1; END WHILE;\n  \
                     BEGIN CREATE TABLE u (id INT); END;\n  \
                     IF (SELECT COUNT(*) FROM t) = 0 THEN CREATE TABLE v (id INT); ELSE DROP TABLE t; END IF;\n\
                     END fill";
        let sql = format!("CREATE TABLE a (id INT);\n{block};\nCREATE TABLE b (id INT);");
        assert_eq!(
            texts(&sql, SqlDialect::Mysql),
            ["CREATE TABLE a (id INT)", block, "CREATE TABLE b (id INT)"]
        );
    }

    #[test]
    fn sqlite_trigger_bodies_stay_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 END; DELETE FROM c; END;\nCREATE TABLE [x;y] (a);";
        assert_eq!(
            texts(sql, SqlDialect::Sqlite),
            [
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 END; DELETE FROM c; END",
                "CREATE TABLE [x;y] (a)"
            ]
        );
    }

    #[test]
    fn spans_point_at_the_statement() {
        let sql = "-- header\n\n  CREATE TABLE a (x int);";
        let statements = split(sql, SqlDialect::Postgres);
        assert_eq!(&sql[statements[0].span.clone()], "CREATE TABLE a (x int)");
    }
}
