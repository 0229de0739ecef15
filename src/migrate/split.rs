//! Migration files → the statements `migrate apply` runs, one at a time.
//!
//! SQL is cut with sqlparser's tokenizer, so a `;` inside a string literal,
//! a quoted identifier, a comment or a `$$` body never ends a statement.
//! Bodies of triggers and routines written without dollar quoting
//! (`CREATE TRIGGER ... BEGIN ...; END`) are kept whole by counting
//! `BEGIN`/`CASE` against `END`.
//!
//! MySQL files are read as the `mysql` client reads them: an executable
//! comment (`/*!50001 ... */`, MariaDB's `/*M!100301 ... */`) is code the
//! server runs or skips by its version, so it is part of its statement (a
//! statement of one alone is a statement), and `DELIMITER ;;` lines (as
//! `mariadb-dump` writes around triggers and routines) change what ends a
//! statement until the next one.
//!
//! A comment `-- baas:destructive <reason>` anywhere in a statement marks it
//! as losing data: `apply` and `down` ask before running it. MongoDB files are
//! a JSON array of command documents; the keys `"baas:destructive"` (the
//! reason) and `"//"` (a note) are taken out before a command is sent.

use std::ops::Range;

use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

use super::Target;

/// The marker that flags a destructive statement.
pub const DESTRUCTIVE_MARKER: &str = "baas:destructive";

/// One statement of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatement {
    /// 1-based position in its file.
    pub number: usize,
    /// What is sent to the server: SQL without the `;` and without the
    /// comments before it, or a MongoDB command as compact JSON.
    pub text: String,
    /// 1-based line of the file where the statement starts.
    pub line: usize,
    /// `Some(reason)` when the statement is marked destructive.
    pub destructive: Option<String>,
}

impl FileStatement {
    /// The first line of the statement, shortened, for messages.
    pub fn first_line(&self) -> String {
        let line = self.text.lines().next().unwrap_or_default().trim();
        if line.chars().count() > 80 {
            let cut: String = line.chars().take(77).collect();
            format!("{cut}...")
        } else {
            line.to_owned()
        }
    }
}

/// A migration file could not be cut into statements.
#[derive(Debug, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct SplitError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Cuts `text` (an `up`/`down` file for `target`) into statements.
pub fn split(text: &str, target: Target) -> Result<Vec<FileStatement>, SplitError> {
    match target {
        Target::Postgres => split_sql(text, &PostgreSqlDialect {}),
        Target::Mysql => split_mysql(text),
        Target::Sqlite => split_sql(text, &SQLiteDialect {}),
        Target::Mongodb => split_json(text),
    }
}

/// Cuts an SQL script at every top-level `;`.
pub fn split_sql(text: &str, dialect: &dyn Dialect) -> Result<Vec<FileStatement>, SplitError> {
    let mut statements = Vec::new();
    cut(text, 0..text.len(), dialect, true, &mut statements)?;
    Ok(statements)
}

/// Cuts a MySQL script: at every top-level `;`, or where a `DELIMITER`
/// line says, at its delimiter outside strings and comments.
fn split_mysql(text: &str) -> Result<Vec<FileStatement>, SplitError> {
    let mut statements = Vec::new();
    let mut delimiter = ";".to_owned();
    let mut start = 0;
    let mut regions = Vec::new();
    for (offset, line) in text.split_inclusive('\n').scan(0, |offset, line| {
        let at = *offset;
        *offset += line.len();
        Some((at, line))
    }) {
        let words = line.trim();
        if words.len() > 10 && words[..10].eq_ignore_ascii_case("DELIMITER ") {
            regions.push((start..offset, delimiter.clone()));
            delimiter = words[10..].trim().to_owned();
            start = offset + line.len();
        }
    }
    regions.push((start..text.len(), delimiter));
    for (region, delimiter) in regions {
        if delimiter == ";" {
            cut(text, region, &MysqlScript, true, &mut statements)?;
            continue;
        }
        for piece in pieces(text, region, &delimiter) {
            cut(text, piece, &MysqlScript, false, &mut statements)?;
        }
    }
    Ok(statements)
}

/// MySQL's tokens as the `mysql` client cuts a script, but for an
/// executable comment (`/*!50100 ... */`), which stays one token:
/// sqlparser's MySQL dialect reads what is inside it as tokens, whose
/// places in the text are not theirs and whose `;` would end the statement.
#[derive(Debug)]
struct MysqlScript;

impl Dialect for MysqlScript {
    fn is_identifier_start(&self, ch: char) -> bool {
        MySqlDialect {}.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        MySqlDialect {}.is_identifier_part(ch)
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        MySqlDialect {}.is_delimited_identifier_start(ch)
    }

    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }

    fn supports_numeric_prefix(&self) -> bool {
        true
    }

    fn supports_hash_comment(&self) -> bool {
        true
    }

    fn requires_single_line_comment_whitespace(&self) -> bool {
        true
    }
}

/// The parts of `text[region]` between each `delimiter` outside strings,
/// quoted names and comments.
fn pieces(text: &str, region: Range<usize>, delimiter: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = region.start;
    let mut i = region.start;
    while i < region.end {
        let rest = &text[i..region.end];
        if rest.starts_with(delimiter) {
            pieces.push(start..i);
            i += delimiter.len();
            start = i;
            continue;
        }
        i = match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                crate::dialect::skip_quoted(&bytes[..region.end], i, quote)
            }
            b'#' => rest.find('\n').map_or(region.end, |n| i + n),
            b'-' if rest.starts_with("--")
                && rest[2..].chars().next().is_none_or(char::is_whitespace) =>
            {
                rest.find('\n').map_or(region.end, |n| i + n)
            }
            b'/' if rest.starts_with("/*") && !rest.starts_with("/*!") => {
                rest[2..].find("*/").map_or(region.end, |n| i + 2 + n + 2)
            }
            _ => i + rest.chars().next().map_or(1, char::len_utf8),
        };
    }
    pieces.push(start..region.end);
    pieces
}

/// Cuts `text[region]` into statements after `statements`: at every
/// top-level `;` with `at_semicolons`, else as one statement.
fn cut(
    text: &str,
    region: Range<usize>,
    dialect: &dyn Dialect,
    at_semicolons: bool,
    statements: &mut Vec<FileStatement>,
) -> Result<(), SplitError> {
    let lines_before = text[..region.start].matches('\n').count();
    let text = &text[region];
    let tokens = Tokenizer::new(dialect, text)
        .tokenize_with_location()
        .map_err(|error| SplitError {
            line: lines_before + error.location.line as usize,
            column: error.location.column as usize,
            message: error.message,
        })?;
    // MySQL runs an executable comment's text (by the server's version).
    let executable = |comment: &str| {
        dialect.is::<MysqlScript>() && (comment.starts_with('!') || comment.starts_with("M!"))
    };
    let offsets = Offsets::new(text);
    let mut current = Pending::default();
    for (index, token) in tokens.iter().enumerate() {
        let span = offsets.range(token.span.start, token.span.end);
        match &token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => {
                current.comment(comment);
            }
            Token::Whitespace(Whitespace::MultiLineComment(comment)) if !executable(comment) => {
                current.comment(comment);
            }
            Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab) => {}
            Token::SemiColon if at_semicolons && current.depth == 0 => {
                if let Some(statement) = current.finish(text, statements.len() + 1) {
                    statements.push(statement);
                }
                current = Pending::default();
            }
            token_value => {
                if current.range.is_none() {
                    current.line = lines_before + token.span.start.line as usize;
                }
                let start = current.range.as_ref().map_or(span.start, |r| r.start);
                current.range = Some(start..span.end);
                if let Token::Word(word) = token_value
                    && word.quote_style.is_none()
                {
                    let next = next_word(&tokens[index + 1..]);
                    current.word(&word.value.to_ascii_uppercase(), next.as_deref());
                }
            }
        }
    }
    if let Some(statement) = current.finish(text, statements.len() + 1) {
        statements.push(statement);
    }
    Ok(())
}

/// The next unquoted word after whitespace and comments, upper-cased.
fn next_word(tokens: &[sqlparser::tokenizer::TokenWithSpan]) -> Option<String> {
    tokens
        .iter()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
        .and_then(|t| match &t.token {
            Token::Word(word) if word.quote_style.is_none() => {
                Some(word.value.to_ascii_uppercase())
            }
            _ => None,
        })
}

/// The statement being read.
#[derive(Debug, Default)]
struct Pending {
    /// Bytes from its first to its last significant token.
    range: Option<Range<usize>>,
    line: usize,
    destructive: Option<String>,
    /// The first words, to know whether it defines a routine or trigger.
    head: Vec<String>,
    /// Open `BEGIN`/`CASE` blocks in a routine or trigger body.
    depth: usize,
    /// The `CASE` just read closes an `END CASE`, not opens a block.
    skip_case: bool,
}

impl Pending {
    fn comment(&mut self, comment: &str) {
        if let Some(reason) = comment.trim().strip_prefix(DESTRUCTIVE_MARKER) {
            let reason = reason.trim();
            self.destructive = Some(if reason.is_empty() {
                "marked destructive".to_owned()
            } else {
                reason.to_owned()
            });
        }
    }

    fn word(&mut self, word: &str, next: Option<&str>) {
        if self.head.len() < 6 {
            self.head.push(word.to_owned());
        }
        if !self.has_body() {
            return;
        }
        match word {
            "BEGIN" => self.depth += 1,
            "CASE" if self.skip_case => self.skip_case = false,
            "CASE" => self.depth += 1,
            "END" => match next {
                // `END IF`, `END LOOP`... close blocks that never opened one.
                Some("IF" | "LOOP" | "WHILE" | "REPEAT" | "FOR") => {}
                Some("CASE") => {
                    self.skip_case = true;
                    self.depth = self.depth.saturating_sub(1);
                }
                _ => self.depth = self.depth.saturating_sub(1),
            },
            _ => {}
        }
    }

    /// `CREATE [OR REPLACE] [DEFINER ...] TRIGGER|PROCEDURE|FUNCTION|EVENT`:
    /// a statement whose body may hold `;`.
    fn has_body(&self) -> bool {
        self.head.first().is_some_and(|w| w == "CREATE")
            && self
                .head
                .iter()
                .any(|w| matches!(w.as_str(), "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT"))
    }

    fn finish(&self, text: &str, number: usize) -> Option<FileStatement> {
        let range = self.range.clone()?;
        Some(FileStatement {
            number,
            text: text[range].to_owned(),
            line: self.line,
            destructive: self.destructive.clone(),
        })
    }
}

/// Line and column (in characters, both 1-based) → byte offset.
struct Offsets<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.char_indices()
                .filter(|(_, ch)| *ch == '\n')
                .map(|(offset, _)| offset + 1),
        );
        Self { text, line_starts }
    }

    fn offset(&self, location: Location) -> usize {
        let line = usize::try_from(location.line.saturating_sub(1)).unwrap_or(usize::MAX);
        let column = usize::try_from(location.column.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = self.line_starts.get(line) else {
            return self.text.len();
        };
        self.text[start..]
            .char_indices()
            .nth(column)
            .map_or(self.text.len(), |(offset, _)| start + offset)
    }

    fn range(&self, start: Location, end: Location) -> Range<usize> {
        self.offset(start)..self.offset(end)
    }
}

/// Reads a MongoDB migration file: a JSON array of command documents.
pub fn split_json(text: &str) -> Result<Vec<FileStatement>, SplitError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|error| SplitError {
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    })?;
    let not_array = || SplitError {
        line: 1,
        column: 1,
        message: "expected a JSON array of command documents, e.g. \
                  [{\"createIndexes\": \"books\", \"indexes\": [...]}]"
            .to_owned(),
    };
    let serde_json::Value::Array(commands) = value else {
        return Err(not_array());
    };
    let mut statements = Vec::new();
    for (index, command) in commands.into_iter().enumerate() {
        let serde_json::Value::Object(mut command) = command else {
            return Err(SplitError {
                line: 1,
                column: 1,
                message: format!("command {} is not a JSON object", index + 1),
            });
        };
        let destructive = command.shift_remove(DESTRUCTIVE_MARKER).map(|reason| {
            reason
                .as_str()
                .map_or_else(|| "marked destructive".to_owned(), str::to_owned)
        });
        command.shift_remove("//");
        if command.is_empty() {
            continue;
        }
        statements.push(FileStatement {
            number: statements.len() + 1,
            text: serde_json::Value::Object(command).to_string(),
            line: 1,
            destructive,
        });
    }
    Ok(statements)
}

/// Whether `statement` begins or ends a transaction, which the runner does
/// itself (a `COMMIT` in a file would end its transaction early).
pub fn is_transaction_control(statement: &FileStatement) -> bool {
    let words: Vec<String> = statement
        .text
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .take(2)
        .map(str::to_ascii_uppercase)
        .collect();
    match words.first().map(String::as_str) {
        Some("COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "ABORT") => true,
        Some("BEGIN") => !matches!(words.get(1).map(String::as_str), Some("ATOMIC")),
        Some("START") => words.get(1).is_some_and(|w| w == "TRANSACTION"),
        Some("END") => words.len() == 1 || words[1] == "TRANSACTION" || words[1] == "WORK",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str, target: Target) -> Vec<String> {
        split(sql, target)
            .unwrap()
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn splits_outside_strings_comments_and_dollar_bodies() {
        let sql = "-- first\nCREATE TABLE a (x text DEFAULT 'a;b');\n\
                   /* c; d */ INSERT INTO a VALUES ('it''s; ok');\n\
                   CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                   CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;\n\
                   SELECT \"a;b\" FROM a -- trailing; comment\n;\n-- only a comment\n";
        assert_eq!(
            texts(sql, Target::Postgres),
            [
                "CREATE TABLE a (x text DEFAULT 'a;b')",
                "INSERT INTO a VALUES ('it''s; ok')",
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                "CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql",
                "SELECT \"a;b\" FROM a",
            ]
        );
    }

    #[test]
    fn keeps_trigger_bodies_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = CASE WHEN 1 THEN 2 END;\n  DELETE FROM b;\nEND;\nSELECT 1";
        let statements = texts(sql, Target::Sqlite);
        assert_eq!(statements.len(), 2, "{statements:#?}");
        assert!(statements[0].ends_with("END"));
        let mysql = "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; CASE WHEN 1 THEN SELECT 2; END CASE; END;\nSELECT 3;";
        assert_eq!(texts(mysql, Target::Mysql).len(), 2);
    }

    #[test]
    fn mysql_executable_comments_are_code_and_delimiter_lines_end_statements() {
        let sql = "/*M!999999\\- enable the sandbox mode */\n\
                   /*!40101 SET @saved = @@character_set_client */;\n\
                   CREATE TABLE t (id int, b blob /*M!100301 COMPRESSED*/) /*!50100 PARTITION BY HASH (id) PARTITIONS 2 */;\n\
                   /*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 AS `a` */;\n\
                   DELIMITER ;;\n\
                   /*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.id = 1; END */;;\n\
                   CREATE PROCEDURE p() BEGIN SELECT ';;'; SELECT 2; END ;;\n\
                   DELIMITER ;\n\
                   DELIMITER $$\n\
                   CREATE FUNCTION f() RETURNS int RETURN 1 $$\n\
                   delimiter ;\n\
                   -- baas:destructive drops `t`\n\
                   DROP TABLE t;";
        let statements = split(sql, Target::Mysql).unwrap();
        let read = statements
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>();
        assert_eq!(
            read,
            [
                "/*M!999999\\- enable the sandbox mode */\n/*!40101 SET @saved = @@character_set_client */",
                "CREATE TABLE t (id int, b blob /*M!100301 COMPRESSED*/) /*!50100 PARTITION BY HASH (id) PARTITIONS 2 */",
                "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 AS `a` */",
                "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.id = 1; END */",
                "CREATE PROCEDURE p() BEGIN SELECT ';;'; SELECT 2; END",
                "CREATE FUNCTION f() RETURNS int RETURN 1",
                "DROP TABLE t",
            ]
        );
        assert_eq!(statements[5].line, 12);
        assert_eq!(statements[6].destructive.as_deref(), Some("drops `t`"));
        // Elsewhere a comment is a comment.
        assert_eq!(
            texts("SELECT 1 /*!50100 x */;", Target::Postgres),
            ["SELECT 1"]
        );
    }

    #[test]
    fn reads_destructive_markers_and_lines() {
        let sql = "CREATE TABLE a (x int);\n\n-- baas:destructive drops `b` and its rows\nDROP TABLE b;\n";
        let statements = split(sql, Target::Sqlite).unwrap();
        assert_eq!(statements[0].destructive, None);
        assert_eq!(
            statements[1].destructive.as_deref(),
            Some("drops `b` and its rows")
        );
        assert_eq!((statements[1].number, statements[1].line), (2, 4));
        assert_eq!(statements[1].text, "DROP TABLE b");
    }

    #[test]
    fn unterminated_strings_are_errors_with_a_place() {
        let error = split("SELECT 1;\nSELECT 'oops", Target::Postgres).unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn mongodb_commands_lose_their_markers() {
        let json = r#"[{"//": "note", "createIndexes": "books", "indexes": []},
                       {"baas:destructive": "drops an index", "dropIndexes": "books", "index": "x"}]"#;
        let statements = split(json, Target::Mongodb).unwrap();
        assert_eq!(
            statements[0].text,
            r#"{"createIndexes":"books","indexes":[]}"#
        );
        assert_eq!(statements[1].destructive.as_deref(), Some("drops an index"));
        assert!(split("{}", Target::Mongodb).is_err());
    }

    #[test]
    fn transaction_control_is_recognized() {
        let statement = |text: &str| FileStatement {
            number: 1,
            text: text.to_owned(),
            line: 1,
            destructive: None,
        };
        for text in [
            "BEGIN",
            "begin transaction",
            "COMMIT",
            "START TRANSACTION",
            "END",
        ] {
            assert!(is_transaction_control(&statement(text)), "{text}");
        }
        for text in [
            "BEGIN ATOMIC SELECT 1; END",
            "CREATE TABLE begin (x int)",
            "ENDX",
        ] {
            assert!(!is_transaction_control(&statement(text)), "{text}");
        }
    }
}
