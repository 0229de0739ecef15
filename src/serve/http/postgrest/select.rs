//! PostgREST's `select` grammar: `*`, `field`, `alias:field`,
//! `field::text`, JSON paths `[alias:]field->key->0->>key`, and embedded
//! resources `[alias:][...]name[!hint...](items)`, nested.

use super::error::PgError;
use crate::query::JsonPath;

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
        /// `name->a->>b`: the value inside the json field `name`, read
        /// from the row in memory ([`crate::query::json::read`]).
        path: Option<JsonPath>,
    },
    Embed(Embed),
}

impl Item {
    /// The key a field is returned under: its alias, else the last step
    /// of its path (PostgREST names `data->address->>city` `city`), else
    /// its name.
    pub fn key(&self) -> Option<String> {
        match self {
            Item::Field {
                alias: Some(alias), ..
            } => Some(alias.clone()),
            Item::Field {
                path: Some(path), ..
            } => Some(crate::query::json::output_name(path)),
            Item::Field { name, .. } => Some(name.clone()),
            Item::Star | Item::Embed(_) => None,
        }
    }

    /// The value of a field item in `row` (the row's fields by name):
    /// the field, or what its path reads; `::text` turns it into a string.
    pub fn value(&self, row: &crate::serve::store::Row) -> serde_json::Value {
        use serde_json::Value as Json;
        let Item::Field {
            name, text, path, ..
        } = self
        else {
            return Json::Null;
        };
        let mut value = match path {
            Some(path) => crate::query::json::read(path, row.get(name)).unwrap_or(Json::Null),
            None => row.get(name).cloned().unwrap_or(Json::Null),
        };
        if *text && !value.is_null() && !value.is_string() {
            value = Json::String(value.to_string());
        }
        value
    }
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

    /// A name: letters, digits, `_`, `$`, `-` (not `->`) or a
    /// double-quoted string.
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
            .char_indices()
            .find(|(index, c)| {
                !(c.is_alphanumeric() || matches!(c, '_' | '$' | '-'))
                    || rest[*index..].starts_with("->")
            })
            .map_or(rest.len(), |(index, _)| index);
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
        let path = self.path(&name)?;
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
        Ok(Item::Field {
            name,
            alias,
            text,
            path,
        })
    }

    /// `->key->0->>key` after a field name, if any: keys run to the next
    /// arrow, `,`, `)`, `(` or `:` unless double-quoted.
    fn path(&mut self, name: &str) -> Result<Option<JsonPath>, PgError> {
        let start = self.at;
        while self.text[self.at..].starts_with("->") {
            self.at += if self.text[self.at..].starts_with("->>") {
                3
            } else {
                2
            };
            let rest = &self.text[self.at..];
            let length = if rest.starts_with('"') {
                let mut escaped = false;
                rest.char_indices()
                    .skip(1)
                    .find(|(_, c)| {
                        let close = !escaped && *c == '"';
                        escaped = !escaped && *c == '\\';
                        close
                    })
                    .map_or(rest.len(), |(index, _)| index + 1)
            } else {
                rest.char_indices()
                    .find(|(index, c)| {
                        matches!(c, ',' | ')' | '(' | ':') || rest[*index..].starts_with("->")
                    })
                    .map_or(rest.len(), |(index, _)| index)
            };
            self.at += length;
        }
        if self.at == start {
            return Ok(None);
        }
        let written = &self.text[start..self.at];
        let (steps, text) = crate::query::json::parse_steps(written)
            .map_err(|why| self.fail(&format!("the JSON path `{name}{written}` {why}")))?;
        Ok(Some(JsonPath {
            field: name.to_owned(),
            steps,
            text,
        }))
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
            path: None,
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
    fn parses_json_paths_with_aliases_and_quoted_keys() {
        use crate::query::Step;
        let items = parse(r#"id,data->address->>city,town:data->>"a,b\"c",data->tags->0"#).unwrap();
        assert_eq!(items.len(), 4);
        let Item::Field {
            name,
            path: Some(path),
            ..
        } = &items[1]
        else {
            panic!("{items:?}")
        };
        assert_eq!(name, "data");
        assert_eq!(
            path.steps,
            [Step::Key("address".into()), Step::Key("city".into())]
        );
        assert!(path.text);
        assert_eq!(items[1].key().as_deref(), Some("city"));
        assert_eq!(items[2].key().as_deref(), Some("town"));
        let Item::Field {
            path: Some(path), ..
        } = &items[2]
        else {
            panic!("{items:?}")
        };
        assert_eq!(path.steps, [Step::Key("a,b\"c".into())]);
        assert_eq!(items[3].key().as_deref(), Some("0"));
        let row: crate::serve::store::Row = serde_json::from_value(serde_json::json!({
            "data": {"address": {"city": "Paris"}, "tags": ["x"], "a,b\"c": 1}
        }))
        .unwrap();
        assert_eq!(items[1].value(&row), serde_json::json!("Paris"));
        assert_eq!(items[2].value(&row), serde_json::json!("1"));
        assert_eq!(items[3].value(&row), serde_json::json!("x"));
    }

    #[test]
    fn refuses_what_it_cannot_serve() {
        for bad in [
            "a(", "a)", "a!inner", "a->", "a->>b->c", "a->\"b", "a::int", "count()", "a,,b", "a:",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
