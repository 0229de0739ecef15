//! SQL dialects: pure rendering of the manifest's types and objects into each
//! engine's SQL. No I/O here.
//!
//! Each engine implements [`Dialect`]; the default methods hold the behaviour
//! shared by every engine and a dialect overrides only where it differs.

use crate::manifest::Field;

pub mod mysql;
pub mod postgres;
pub mod sqlite;

pub use sqlite::SqliteDialect;

/// What one SQL engine can do and how it spells things.
pub trait Dialect {
    /// The engine's name, for messages (`sqlite`, `postgres`, ...).
    fn name(&self) -> &'static str;

    /// The engine's canonical column type for `field`'s portable type
    /// (`type`, `max_length`, `precision`, `scale`). [`Field::native`] is
    /// ignored except for `type = "native"`, whose type *is* its native text.
    fn canonical_type(&self, field: &Field) -> String;

    /// The type to declare for `field`: its pinned `native` type when it has
    /// one, else the canonical rendering of its portable type.
    fn column_type(&self, field: &Field) -> String {
        match &field.native {
            Some(native) => native.clone(),
            None => self.canonical_type(field),
        }
    }
}

/// Index just past the closing quote of the quoted token starting at `i`
/// (a doubled quote is an escaped quote; so is a backslash in single quotes).
pub(crate) fn skip_quoted(bytes: &[u8], i: usize, quote: u8) -> usize {
    skip_quoted_with(bytes, i, quote, true)
}

/// [`skip_quoted`], a backslash in single quotes escaping the next byte
/// only when `backslash_escapes` (MySQL's strings; not PostgreSQL's
/// standard ones, as the server prints them).
pub(crate) fn skip_quoted_with(
    bytes: &[u8],
    i: usize,
    quote: u8,
    backslash_escapes: bool,
) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        if backslash_escapes && bytes[j] == b'\\' && quote == b'\'' {
            j += 2;
            continue;
        }
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}
