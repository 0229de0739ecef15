//! Which SQL dialect a dump is written in, from what only one dialect
//! writes: `pg_dump`'s `::` casts, dollar quotes and `COPY ... FROM stdin`;
//! `mysqldump`'s backticks and executable comments; the SQLite shell's
//! `PRAGMA`, `sqlite_sequence` and `[bracketed]` names. The text is read as
//! tokens, so a signal inside a string or a comment (data that holds `::1`
//! or a backtick) does not count, and a dump is read whole, not only its
//! first lines.
//!
//! Plain DDL that all three accept (`CREATE TABLE t (id INTEGER PRIMARY
//! KEY)`) means different things to each (a rowid alias on SQLite, a
//! 32-bit column elsewhere), so it is not guessed: [`detect`] says which
//! dialects remain and the importer asks for `--dialect`.

use std::collections::BTreeSet;

use super::{SqlDialect, skip_quoted};

/// What [`detect`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// One dialect's signals, and the first of them (`PRAGMA`).
    Dialect(SqlDialect, &'static str),
    /// No signal, or as many for two dialects: the candidates.
    Ambiguous(Vec<SqlDialect>),
}

/// Tallies the signals of each dialect found in `text`, each counted once.
#[derive(Default)]
struct Signals {
    postgres: BTreeSet<&'static str>,
    mysql: BTreeSet<&'static str>,
    sqlite: BTreeSet<&'static str>,
}

impl Signals {
    fn add(&mut self, dialect: SqlDialect, signal: &'static str) {
        match dialect {
            SqlDialect::Postgres => self.postgres.insert(signal),
            SqlDialect::Mysql => self.mysql.insert(signal),
            SqlDialect::Sqlite => self.sqlite.insert(signal),
        };
    }

    fn of(&self, dialect: SqlDialect) -> &BTreeSet<&'static str> {
        match dialect {
            SqlDialect::Postgres => &self.postgres,
            SqlDialect::Mysql => &self.mysql,
            SqlDialect::Sqlite => &self.sqlite,
        }
    }
}

const DIALECTS: [SqlDialect; 3] = [SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite];

/// The dialect `text` is written in, or the candidates when it cannot tell.
pub fn detect(text: &str) -> Detected {
    let signals = scan(text);
    let best = DIALECTS
        .iter()
        .map(|&d| signals.of(d).len())
        .max()
        .unwrap_or(0);
    let leaders: Vec<SqlDialect> = DIALECTS
        .into_iter()
        .filter(|&d| signals.of(d).len() == best)
        .collect();
    match leaders.as_slice() {
        [only] if best > 0 => {
            let first = signals.of(*only).iter().next().copied().unwrap_or_default();
            Detected::Dialect(*only, first)
        }
        _ => Detected::Ambiguous(leaders),
    }
}

/// Signals in a comment's text (dump headers name their tool).
fn comment_signals(comment: &str, signals: &mut Signals) {
    let upper = comment.to_ascii_uppercase();
    if upper.contains("POSTGRESQL DATABASE DUMP") {
        signals.add(SqlDialect::Postgres, "pg_dump header");
    }
    if upper.contains("; TYPE: TABLE;") || upper.starts_with("-- NAME: ") {
        signals.add(SqlDialect::Postgres, "pg_dump object comment");
    }
    if upper.contains("MYSQL DUMP") || upper.contains("MARIADB DUMP") {
        signals.add(SqlDialect::Mysql, "mysqldump header");
    }
}

/// Reads `text` as SQL tokens and collects each dialect's signals.
fn scan(text: &str) -> Signals {
    let bytes = text.as_bytes();
    let mut signals = Signals::default();
    // The last few words (upper-cased) outside strings and comments.
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        if line_start {
            line_start = false;
            let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let line = text[i..line_end].trim_start();
            if line.starts_with("\\connect ") || line.starts_with("\\c ") || line == "\\." {
                signals.add(SqlDialect::Postgres, "psql meta-command");
                i = line_end;
                continue;
            }
            if line.to_ascii_uppercase().starts_with("DELIMITER ") {
                signals.add(SqlDialect::Mysql, "DELIMITER");
                i = line_end;
                continue;
            }
        }
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'\'' => i = skip_quoted(bytes, i, c),
            b'"' => i = skip_quoted(bytes, i, c),
            b'`' => {
                signals.add(SqlDialect::Mysql, "`quoted` name");
                i = skip_quoted(bytes, i, c);
            }
            b'[' => {
                // `[Name]` where a name goes (not `int[]`, not `a[1]`).
                let after_word = i > 0
                    && (bytes[i - 1].is_ascii_alphanumeric()
                        || matches!(bytes[i - 1], b'_' | b']' | b')'));
                let window = &bytes[i..bytes.len().min(i + 256)];
                let close = window.iter().position(|&b| b == b']').map(|n| i + n);
                if let Some(close) = close
                    && !after_word
                    && text[i + 1..close]
                        .chars()
                        .next()
                        .is_some_and(|ch| ch.is_alphabetic() || ch == '_')
                    && !text[i + 1..close].contains(['\n', '[', ','])
                {
                    signals.add(SqlDialect::Sqlite, "[bracketed] name");
                    i = close + 1;
                } else {
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                comment_signals(&text[i..end], &mut signals);
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                if bytes.get(i + 2) == Some(&b'!') {
                    signals.add(SqlDialect::Mysql, "/*! executable comment */");
                    i += 3;
                } else {
                    let end = text[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |n| i + 2 + n + 2);
                    comment_signals(&text[i..end], &mut signals);
                    i = end;
                }
            }
            b':' if bytes.get(i + 1) == Some(&b':') => {
                signals.add(SqlDialect::Postgres, ":: cast");
                i += 2;
            }
            b'$' => {
                // `$$` or `$tag$`: a dollar-quoted body, skipped whole.
                let tag_end = text[i + 1..]
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .map(|n| i + 1 + n);
                match tag_end {
                    Some(end)
                        if bytes.get(end) == Some(&b'$')
                            && !text[i + 1..end].starts_with(|ch: char| ch.is_ascii_digit()) =>
                    {
                        signals.add(SqlDialect::Postgres, "$$ dollar quote");
                        let tag = &text[i..=end];
                        i = text[end + 1..]
                            .find(tag)
                            .map_or(bytes.len(), |n| end + 1 + n + tag.len());
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                // `COPY ... FROM stdin;`: the data rows follow, up to `\.`.
                let copy = words.len() >= 2
                    && words[words.len() - 2] == "FROM"
                    && words[words.len() - 1] == "STDIN";
                words.clear();
                i += 1;
                if copy {
                    signals.add(SqlDialect::Postgres, "COPY FROM stdin");
                    i = text[i..].find("\n\\.").map_or(bytes.len(), |n| i + n + 3);
                }
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let end = text[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(bytes.len(), |n| i + n);
                let word = text[i..end].to_ascii_uppercase();
                let next = text[end..].trim_start();
                word_signals(&word, &words, next, &mut signals);
                if words.len() == 4 {
                    words.remove(0);
                }
                words.push(word);
                i = end;
            }
            _ => i += 1,
        }
    }
    signals
}

/// Signals of one word, given the words before it and the text after it.
fn word_signals(word: &str, before: &[String], next: &str, signals: &mut Signals) {
    let previous = before.last().map(String::as_str).unwrap_or_default();
    let statement_start = before.is_empty();
    use SqlDialect::{Mysql, Postgres, Sqlite};
    match word {
        "SERIAL" | "BIGSERIAL" | "SMALLSERIAL" => signals.add(Postgres, "SERIAL"),
        "JSONB" | "BYTEA" | "TIMESTAMPTZ" | "TIMETZ" | "CITEXT" | "TSVECTOR" => {
            signals.add(Postgres, "a PostgreSQL type")
        }
        "PLPGSQL" => signals.add(Postgres, "plpgsql"),
        "PG_CATALOG" => signals.add(Postgres, "pg_catalog"),
        "EXTENSION" if previous == "CREATE" => signals.add(Postgres, "CREATE EXTENSION"),
        "SEARCH_PATH" if previous == "SET" => signals.add(Postgres, "SET search_path"),
        "ONLY" if before.len() >= 2 && before[before.len() - 2] == "ALTER" => {
            signals.add(Postgres, "ALTER TABLE ONLY")
        }
        "TO" if previous == "OWNER" => signals.add(Postgres, "OWNER TO"),
        "IDENTITY" if previous == "AS" => signals.add(Postgres, "GENERATED AS IDENTITY"),
        "AUTO_INCREMENT" => signals.add(Mysql, "AUTO_INCREMENT"),
        "UNSIGNED" | "ZEROFILL" => signals.add(Mysql, "UNSIGNED"),
        "ENGINE" if next.starts_with('=') => signals.add(Mysql, "ENGINE="),
        "CHARSET" if next.starts_with('=') => signals.add(Mysql, "CHARSET="),
        "TABLES" if previous == "LOCK" || previous == "UNLOCK" => signals.add(Mysql, "LOCK TABLES"),
        "NAMES" if previous == "SET" => signals.add(Mysql, "SET NAMES"),
        "ATOMIC"
            if previous == "NOT" && before.len() >= 2 && before[before.len() - 2] == "BEGIN" =>
        {
            signals.add(Mysql, "BEGIN NOT ATOMIC")
        }
        "TINYINT" | "MEDIUMINT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "MEDIUMBLOB"
        | "LONGBLOB" | "TINYBLOB" => signals.add(Mysql, "a MySQL type"),
        "AUTOINCREMENT" => signals.add(Sqlite, "AUTOINCREMENT"),
        "PRAGMA" if statement_start => signals.add(Sqlite, "PRAGMA"),
        "ROWID" if previous == "WITHOUT" => signals.add(Sqlite, "WITHOUT ROWID"),
        "SQLITE_SEQUENCE" | "SQLITE_MASTER" | "SQLITE_SCHEMA" => {
            signals.add(Sqlite, "sqlite_ tables")
        }
        "VIRTUAL" if previous == "CREATE" => signals.add(Sqlite, "CREATE VIRTUAL TABLE"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialect(text: &str) -> Option<SqlDialect> {
        match detect(text) {
            Detected::Dialect(dialect, _) => Some(dialect),
            Detected::Ambiguous(_) => None,
        }
    }

    #[test]
    fn each_dialect_by_what_only_it_writes() {
        assert_eq!(
            dialect("CREATE TABLE `a` (id int) ENGINE=InnoDB;"),
            Some(SqlDialect::Mysql)
        );
        assert_eq!(
            dialect("CREATE TABLE [a] (id INTEGER PRIMARY KEY AUTOINCREMENT);"),
            Some(SqlDialect::Sqlite)
        );
        assert_eq!(
            dialect("-- PostgreSQL database dump\nSET search_path = public;"),
            Some(SqlDialect::Postgres)
        );
        assert_eq!(
            dialect(
                "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE a (id INTEGER PRIMARY KEY, b BOOL);\nCOMMIT;"
            ),
            Some(SqlDialect::Sqlite)
        );
        assert_eq!(
            dialect("setup: BEGIN NOT ATOMIC CREATE TABLE a (id int); END setup;"),
            Some(SqlDialect::Mysql)
        );
    }

    #[test]
    fn signals_in_strings_comments_and_copy_data_do_not_count() {
        let sqlite = "PRAGMA foreign_keys=OFF;\nCREATE TABLE h (ip TEXT, note TEXT);\n\
                      INSERT INTO h VALUES('::1','`x` costs $$ -- ENGINE=x');\n\
                      -- ENGINE=InnoDB :: `a`\n";
        assert_eq!(dialect(sqlite), Some(SqlDialect::Sqlite));
        let postgres =
            "COPY t (a) FROM stdin;\n`a` [b] PRAGMA AUTOINCREMENT\n\\.\nCREATE TABLE t (a int);\n";
        assert_eq!(dialect(postgres), Some(SqlDialect::Postgres));
        // Array types and subscripts are not bracketed names.
        assert_eq!(
            dialect("CREATE TABLE t (a int[], b text[3]);"),
            None,
            "plain DDL stays ambiguous"
        );
    }

    #[test]
    fn plain_ddl_is_ambiguous() {
        assert_eq!(
            detect(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, owner INTEGER REFERENCES users(id));"
            ),
            Detected::Ambiguous(DIALECTS.to_vec())
        );
    }
}
