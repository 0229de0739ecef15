//! Where a dump's statement writes its expressions: the text of a check,
//! a default, an index's key expressions and predicate as the dump has
//! them, which is what the server prints (`pg_dump` prints them with the
//! functions live introspection reads: `pg_get_constraintdef`,
//! `pg_get_indexdef`; `mariadb-dump` with `SHOW CREATE TABLE`, which prints
//! them as `information_schema` does), spelling and line breaks included,
//! where sqlparser's reprinting of the parsed expression would change them.

use std::collections::HashMap;
use std::ops::Range;

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

/// The checks a statement names (`CONSTRAINT name CHECK (...)`), by name:
/// the text between the parentheses.
pub(super) fn checks(text: &str, dialect: &dyn Dialect) -> HashMap<String, String> {
    let Some(tokens) = Tokens::new(text, dialect) else {
        return HashMap::new();
    };
    let mut checks = HashMap::new();
    for at in 0..tokens.len() {
        if !(tokens.is(at, "CONSTRAINT")
            && tokens.is(at + 2, "CHECK")
            && matches!(tokens.token(at + 3), Some(Token::LParen)))
        {
            continue;
        }
        if let (Some(name), Some(close)) = (tokens.name(at + 1), tokens.closing(at + 3)) {
            checks.insert(name, tokens.inner(at + 3, close));
        }
    }
    checks
}

/// What a `CREATE TABLE` statement's columns write in parentheses, by
/// column: a default that is an expression, with its parentheses
/// (`DEFAULT (curdate() + interval 1 day)`), and a generated column's
/// expression, without them (`AS (lower(email))`), and the generated
/// columns not written `STORED` (PostgreSQL 18's virtual ones, `VIRTUAL`
/// or nothing), with the bytes that say so (the word, or none after the
/// expression).
#[derive(Default)]
pub(super) struct ColumnExpressions {
    pub(super) defaults: HashMap<String, String>,
    pub(super) generated: HashMap<String, String>,
    pub(super) virtual_columns: Vec<(String, Range<usize>)>,
}

impl ColumnExpressions {
    pub(super) fn of(text: &str, dialect: &dyn Dialect) -> Self {
        Tokens::new(text, dialect).map_or_else(Self::default, |tokens| Self::of_tokens(&tokens))
    }

    fn of_tokens(tokens: &Tokens<'_>) -> Self {
        let mut found = Self::default();
        let Some(open) =
            (0..tokens.len()).find(|&at| matches!(tokens.token(at), Some(Token::LParen)))
        else {
            return found;
        };
        let mut depth = 0usize;
        let mut column = tokens.name(open + 1);
        let mut at = open + 1;
        while at < tokens.len() {
            let parenthesized = matches!(tokens.token(at + 1), Some(Token::LParen));
            match tokens.token(at) {
                Some(Token::LParen) => depth += 1,
                Some(Token::RParen) if depth == 0 => break,
                Some(Token::RParen) => depth -= 1,
                Some(Token::Comma) if depth == 0 => column = tokens.name(at + 1),
                _ if depth == 0 && parenthesized && tokens.is(at, "DEFAULT") => {
                    if let (Some(name), Some(close)) = (&column, tokens.closing(at + 1)) {
                        found
                            .defaults
                            .insert(name.clone(), tokens.through(at + 1, close));
                        at = close;
                    }
                }
                _ if depth == 0 && parenthesized && tokens.is(at, "AS") => {
                    if let (Some(name), Some(close)) = (&column, tokens.closing(at + 1)) {
                        found
                            .generated
                            .insert(name.clone(), tokens.inner(at + 1, close));
                        if tokens.is(close + 1, "VIRTUAL")
                            && let Some(offset) = tokens.offset(close + 1)
                        {
                            let word = offset..offset + "VIRTUAL".len();
                            found.virtual_columns.push((name.clone(), word));
                        } else if !tokens.is(close + 1, "STORED")
                            && let Some(offset) = tokens.offset(close)
                        {
                            let after = offset + 1..offset + 1;
                            found.virtual_columns.push((name.clone(), after));
                        }
                        at = close;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        found
    }
}

/// A `CREATE INDEX` statement's key expressions, one per key (`None` for a
/// key that is not written as an expression: a column), and its predicate.
pub(super) fn index(
    text: &str,
    dialect: &dyn Dialect,
) -> Option<(Vec<Option<String>>, Option<String>)> {
    let tokens = Tokens::new(text, dialect)?;
    let on = (0..tokens.len()).find(|&at| tokens.is(at, "ON"))?;
    let open = (on..tokens.len()).find(|&at| matches!(tokens.token(at), Some(Token::LParen)))?;
    let close = tokens.closing(open)?;
    let mut keys = Vec::new();
    let mut start = open + 1;
    let mut depth = 0usize;
    for at in open + 1..=close {
        match tokens.token(at) {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) if depth > 0 => depth -= 1,
            Some(Token::Comma | Token::RParen) if depth == 0 => {
                keys.push(key_expression(&tokens, start, at));
                start = at + 1;
            }
            _ => {}
        }
    }
    let mut depth = 0usize;
    let mut predicate = None;
    for at in close + 1..tokens.len() {
        match tokens.token(at) {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) => depth = depth.saturating_sub(1),
            _ if depth == 0 && tokens.is(at, "WHERE") => {
                predicate = Some(
                    tokens
                        .rest(at + 1)
                        .trim_end_matches(';')
                        .trim_end()
                        .to_owned(),
                );
                break;
            }
            _ => {}
        }
    }
    Some((keys, predicate))
}

/// The expression of an index key written from `from` to `to`: a
/// parenthesized expression or a function call, without what follows it
/// (collation, operator class, order).
fn key_expression(tokens: &Tokens<'_>, from: usize, to: usize) -> Option<String> {
    let open = match tokens.token(from)? {
        Token::LParen => from,
        Token::Word(_) => (from + 1..to)
            .find(|&at| !matches!(tokens.token(at), Some(Token::Word(_) | Token::Period)))?,
        _ => return None,
    };
    if !matches!(tokens.token(open), Some(Token::LParen)) {
        return None;
    }
    let close = tokens.closing(open)?;
    (close < to).then(|| tokens.through(from, close))
}

/// A not-null constraint a `CREATE TABLE` statement writes in a form
/// sqlparser does not read (PostgreSQL 18): `CONSTRAINT name NOT NULL
/// column [NO INHERIT]` among the columns, or a column's `[CONSTRAINT name]
/// NOT NULL NO INHERIT`.
pub(super) struct NotNull {
    pub(super) column: String,
    /// Its name, when written.
    pub(super) name: Option<String>,
    pub(super) no_inherit: bool,
    /// The bytes to cut for sqlparser: the whole element (and the comma
    /// before it, or after it when it comes first), or a column's `NO
    /// INHERIT`.
    pub(super) cut: Range<usize>,
}

/// What a PostgreSQL `CREATE TABLE` statement writes in forms sqlparser
/// does not read (PostgreSQL 18): its virtual columns (see
/// [`ColumnExpressions::virtual_columns`]) and its [`NotNull`]s, in order.
/// The statement is read only when it has a word that starts one of them,
/// once for both.
#[derive(Default)]
pub(super) struct Postgres18Columns {
    pub(super) virtual_columns: Vec<(String, Range<usize>)>,
    pub(super) not_nulls: Vec<NotNull>,
}

impl Postgres18Columns {
    pub(super) fn of(text: &str, dialect: &dyn Dialect) -> Self {
        let generated = mentions(text, "GENERATED");
        let constrained = mentions(text, "CONSTRAINT") || mentions(text, "INHERIT");
        if !generated && !constrained {
            return Self::default();
        }
        let Some(tokens) = Tokens::new(text, dialect) else {
            return Self::default();
        };
        Self {
            virtual_columns: if generated {
                ColumnExpressions::of_tokens(&tokens).virtual_columns
            } else {
                Vec::new()
            },
            not_nulls: if constrained {
                not_nulls(&tokens)
            } else {
                Vec::new()
            },
        }
    }

    /// Whether there is anything sqlparser would not read.
    pub(super) fn is_empty(&self) -> bool {
        self.virtual_columns.is_empty() && self.not_nulls.is_empty()
    }
}

/// Whether `text` holds `word`, in any case.
pub(super) fn mentions(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
}

/// The [`NotNull`]s of a `CREATE TABLE` statement, in order.
fn not_nulls(tokens: &Tokens<'_>) -> Vec<NotNull> {
    let text = tokens.text;
    let mut found = Vec::new();
    let Some(open) = (0..tokens.len()).find(|&at| matches!(tokens.token(at), Some(Token::LParen)))
    else {
        return found;
    };
    let Some(close) = tokens.closing(open) else {
        return found;
    };
    let offset = |i: usize| tokens.offset(i).unwrap_or(text.len());
    // Each element, from `start` to its comma or the closing parenthesis
    // at `end`, outside nested parentheses.
    let mut start = open + 1;
    let mut depth = 0usize;
    for end in open + 1..=close {
        match tokens.token(end) {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) if end < close => depth -= 1,
            Some(Token::Comma | Token::RParen) if depth == 0 => {
                let no_inherit_at = |from: usize| {
                    (from..end).find(|&i| tokens.is(i, "NO") && tokens.is(i + 1, "INHERIT"))
                };
                if tokens.is(start, "CONSTRAINT")
                    && tokens.is(start + 2, "NOT")
                    && tokens.is(start + 3, "NULL")
                {
                    if let Some(column) = tokens.name(start + 4) {
                        let cut = if start > open + 1 {
                            offset(start - 1)..offset(end)
                        } else if end < close {
                            offset(start)..offset(end + 1)
                        } else {
                            offset(start)..offset(end)
                        };
                        found.push(NotNull {
                            column,
                            name: tokens.name(start + 1),
                            no_inherit: no_inherit_at(start + 5).is_some(),
                            cut,
                        });
                    }
                } else if let Some(column) = tokens.name(start) {
                    // A column: `NOT NULL NO INHERIT` among its options.
                    let not_null =
                        (start + 1..end).find(|&i| tokens.is(i, "NOT") && tokens.is(i + 1, "NULL"));
                    if let Some(not_null) = not_null
                        && tokens.is(not_null + 2, "NO")
                        && tokens.is(not_null + 3, "INHERIT")
                    {
                        let name = (not_null >= 2 && tokens.is(not_null - 2, "CONSTRAINT"))
                            .then(|| tokens.name(not_null - 1))
                            .flatten();
                        let inherit_end = offset(not_null + 3) + "INHERIT".len();
                        found.push(NotNull {
                            column,
                            name,
                            no_inherit: true,
                            cut: offset(not_null + 2)..inherit_end,
                        });
                    }
                }
                start = end + 1;
            }
            _ => {}
        }
    }
    found
}

/// The statement's tokens (no spacing or comments), each with where it
/// starts in the text.
pub(super) struct Tokens<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
}

impl<'a> Tokens<'a> {
    pub(super) fn new(text: &'a str, dialect: &dyn Dialect) -> Option<Self> {
        let spanned: Vec<TokenWithSpan> = Tokenizer::new(dialect, text)
            .tokenize_with_location()
            .ok()?;
        let offsets = Offsets::new(text);
        let tokens = spanned
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .map(|t| Some((t.token, offsets.of(t.span.start)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Self { text, tokens })
    }

    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Where token `at` starts in the text, in bytes.
    pub(super) fn offset(&self, at: usize) -> Option<usize> {
        self.tokens.get(at).map(|&(_, offset)| offset)
    }

    pub(super) fn token(&self, at: usize) -> Option<&Token> {
        self.tokens.get(at).map(|(token, _)| token)
    }

    /// The unquoted word at `at`, as written.
    pub(super) fn word(&self, at: usize) -> Option<&str> {
        match self.token(at)? {
            Token::Word(word) if word.quote_style.is_none() => Some(&word.value),
            _ => None,
        }
    }

    pub(super) fn is(&self, at: usize, keyword: &str) -> bool {
        self.word(at)
            .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
    }

    pub(super) fn expect(&self, at: &mut usize, keyword: &str) -> Option<()> {
        self.is(*at, keyword).then(|| *at += 1)
    }

    /// The name at `at` as the catalog keeps it: folded to lower case
    /// unless quoted.
    pub(super) fn name(&self, at: usize) -> Option<String> {
        match self.token(at)? {
            Token::Word(word) if word.quote_style.is_none() => Some(word.value.to_lowercase()),
            Token::Word(word) => Some(word.value.clone()),
            _ => None,
        }
    }

    /// The index of the parenthesis closing the one at `open`.
    pub(super) fn closing(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (at, (token, _)) in self.tokens.iter().enumerate().skip(open) {
            match token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Where the clause starting at `from` ends: the next of `clauses`
    /// outside parentheses.
    pub(super) fn clause_end(&self, from: usize, clauses: &[&str]) -> usize {
        let mut depth = 0usize;
        for at in from..self.len() {
            match self.token(at) {
                Some(Token::LParen) => depth += 1,
                Some(Token::RParen) => depth = depth.saturating_sub(1),
                _ if depth == 0
                    && at > from
                    && self
                        .word(at)
                        .is_some_and(|w| clauses.iter().any(|c| c.eq_ignore_ascii_case(w))) =>
                {
                    return at;
                }
                _ => {}
            }
        }
        self.len()
    }

    /// The text of tokens `from..to`, its runs of spacing one space.
    pub(super) fn squeezed(&self, from: usize, to: usize) -> String {
        let start = self.tokens.get(from).map_or(self.text.len(), |t| t.1);
        let end = self.tokens.get(to).map_or(self.text.len(), |t| t.1);
        if start >= end {
            return String::new();
        }
        self.text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The text from the token at `from` through the one-character token
    /// at `last` (a closing parenthesis), as written.
    pub(super) fn through(&self, from: usize, last: usize) -> String {
        let start = self.tokens.get(from).map_or(self.text.len(), |t| t.1);
        let end = self.tokens.get(last).map_or(self.text.len(), |t| t.1 + 1);
        self.text.get(start..end).unwrap_or_default().to_owned()
    }

    /// The text between the parentheses at `open` and `close`, as written
    /// but for the spacing around it; a `CASE` the server starts on a line
    /// of its own keeps that line break.
    pub(super) fn inner(&self, open: usize, close: usize) -> String {
        let start = self.tokens.get(open).map_or(self.text.len(), |t| t.1 + 1);
        let end = self.tokens.get(close).map_or(self.text.len(), |t| t.1);
        let raw = self.text.get(start..end).unwrap_or_default();
        let text = raw.trim();
        let case = text
            .get(..4)
            .is_some_and(|head| head.eq_ignore_ascii_case("CASE"));
        if case && raw.trim_start_matches(' ').starts_with('\n') {
            format!("\n{text}")
        } else {
            text.to_owned()
        }
    }

    /// The text from the token at `from` to the end, as written.
    pub(super) fn rest(&self, from: usize) -> String {
        let start = self.tokens.get(from).map_or(self.text.len(), |t| t.1);
        self.text[start..].trim_end().to_owned()
    }
}

/// Byte offsets of the tokenizer's line and column (in characters).
struct Offsets<'a> {
    text: &'a str,
    lines: Vec<usize>,
}

impl<'a> Offsets<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Self { text, lines }
    }

    pub(super) fn of(&self, location: Location) -> Option<usize> {
        let line_start = *self
            .lines
            .get(usize::try_from(location.line).ok()?.checked_sub(1)?)?;
        let column = usize::try_from(location.column).ok()?.checked_sub(1)?;
        let line = &self.text[line_start..];
        Some(
            line_start
                + line
                    .char_indices()
                    .nth(column)
                    .map_or(line.len(), |(at, _)| at),
        )
    }
}
