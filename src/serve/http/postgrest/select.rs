//! PostgREST's `select` grammar: `*`, `field`, `alias:field`,
//! `field::text`, and embedded resources
//! `[alias:][...]name[!hint...](items)`, nested.

use super::error::PgError;

/// The deepest nesting of embedded resources in one `select`.
const MAX_NESTING: usize = 8;

/// One item of a `select` list.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `*`: every field, in manifest order.
    Star,
    Field {
        name: String,
        alias: Option<String>,
        /// `::text`: the value as a string.
        text: bool,
    },
    Embed(Embed),
}

/// `alias:name!hint(items)`: the rows of a related entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    /// The entity, link, or key field named.
    pub name: String,
    pub alias: Option<String>,
    /// `!inner`, `!left`, or a foreign key / field name that picks one
    /// relation among several.
    pub hints: Vec<String>,
    /// `...name(items)`: the fields of a to-one row, spread into its parent.
    pub spread: bool,
    pub items: Vec<Item>,
}

impl Embed {
    /// The key the embedded rows are returned under.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    pub fn inner(&self) -> bool {
        self.hints.iter().any(|h| h == "inner")
    }

    /// The hints that name a relation (not the join kind).
    pub fn relation_hints(&self) -> impl Iterator<Item = &str> {
        self.hints
            .iter()
            .map(String::as_str)
            .filter(|h| *h != "inner" && *h != "left")
    }
}

/// Parses a whole `select` value (whitespace outside quotes is ignored).
pub fn parse(text: &str) -> Result<Vec<Item>, PgError> {
    let compact: String = strip_spaces(text);
    if compact.is_empty() {
        return Ok(vec![Item::Star]);
    }
    let mut parser = Parser {
        text: &compact,
        at: 0,
    };
    let items = parser.items(0)?;
    if parser.at < compact.len() {
        return Err(parser.fail("unexpected `)`"));
    }
    Ok(items)
}

fn strip_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if quoted || !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> PgError {
        PgError::parse(format!(
            "\"failed to parse select parameter ({})\" at character {}: {what}",
            self.text, self.at
        ))
    }

    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.text[self.at..].starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    /// A name: letters, digits, `_`, `$`, `-` or a double-quoted string.
    fn name(&mut self) -> Result<String, PgError> {
        if self.eat("\"") {
            let rest = &self.text[self.at..];
            let end = rest
                .find('"')
                .ok_or_else(|| self.fail("unterminated quote"))?;
            let name = rest[..end].to_owned();
            self.at += end + 1;
            return Ok(name);
        }
        let rest = &self.text[self.at..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '$' | '-')))
            .unwrap_or(rest.len());
        if end == 0 {
            return Err(self.fail("a name is expected"));
        }
        let name = rest[..end].to_owned();
        self.at += end;
        Ok(name)
    }

    fn items(&mut self, depth: usize) -> Result<Vec<Item>, PgError> {
        if depth > MAX_NESTING {
            return Err(self.fail(&format!(
                "embedded resources nest deeper than {MAX_NESTING} levels"
            )));
        }
        let mut items = Vec::new();
        if self.peek() == Some(')') {
            // `author()`: an embedding that returns nothing (for `!inner`).
            return Ok(items);
        }
        loop {
            items.push(self.item(depth)?);
            if !self.eat(",") {
                return Ok(items);
            }
        }
    }

    fn item(&mut self, depth: usize) -> Result<Item, PgError> {
        if self.eat("*") {
            return Ok(Item::Star);
        }
        let spread = self.eat("...");
        let first = self.name()?;
        let renamed = !spread
            && self.text[self.at..].starts_with(':')
            && !self.text[self.at..].starts_with("::");
        let (alias, name) = if renamed && self.eat(":") {
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        if matches!(name.as_str(), "count" | "sum" | "avg" | "min" | "max")
            && self.text[self.at..].starts_with("()")
        {
            return Err(PgError::unsupported(format!(
                "aggregate functions in `select` (`{name}()`) are not supported"
            )));
        }
        let mut hints = Vec::new();
        while self.eat("!") {
            hints.push(self.name()?);
        }
        if self.eat("(") {
            let items = self.items(depth + 1)?;
            if !self.eat(")") {
                return Err(self.fail("`)` is expected"));
            }
            return Ok(Item::Embed(Embed {
                name,
                alias,
                hints,
                spread,
                items,
            }));
        }
        if spread || !hints.is_empty() {
            return Err(self.fail("an embedded resource takes its fields in parentheses"));
        }
        if self.text[self.at..].starts_with("->") {
            return Err(PgError::unsupported(format!(
                "JSON paths in `select` (`{name}->...`) are not supported; select `{name}` whole"
            )));
        }
        let text = if self.eat("::") {
            let cast = self.name()?;
            match cast.as_str() {
                "text" | "varchar" => true,
                "json" | "jsonb" => false,
                other => {
                    return Err(PgError::unsupported(format!(
                        "the cast `{name}::{other}` is not supported (casts: text, json)"
                    )));
                }
            }
        } else {
            false
        };
        Ok(Item::Field { name, alias, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, alias: Option<&str>) -> Item {
        Item::Field {
            name: name.into(),
            alias: alias.map(Into::into),
            text: false,
        }
    }

    #[test]
    fn parses_fields_aliases_and_embeds() {
        let items =
            parse("id, name:title, writer:author!book_author_fkey!inner(name), ...a(x)").unwrap();
        assert_eq!(items[0], field("id", None));
        assert_eq!(items[1], field("title", Some("name")));
        let Item::Embed(embed) = &items[2] else {
            panic!("{items:?}")
        };
        assert_eq!(embed.name, "author");
        assert_eq!(embed.key(), "writer");
        assert!(embed.inner());
        assert_eq!(
            embed.relation_hints().collect::<Vec<_>>(),
            ["book_author_fkey"]
        );
        assert_eq!(embed.items, [field("name", None)]);
        assert!(matches!(&items[3], Item::Embed(e) if e.spread));
        assert_eq!(parse("").unwrap(), [Item::Star]);
        assert_eq!(parse("a()").unwrap().len(), 1);
    }

    #[test]
    fn refuses_what_it_cannot_serve() {
        for bad in [
            "a(", "a)", "a!inner", "a->b", "a::int", "count()", "a,,b", "a:",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
