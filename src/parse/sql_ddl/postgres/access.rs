//! What a dump says of privileges, owners and tablespaces, which the
//! manifest does not carry: the rows live introspection reads from the
//! catalog (`access.sql`), for the same ledger lines.
//!
//! `pg_dump` writes a `GRANT` or `REVOKE` only where an object's privileges
//! differ from the defaults, an `ALTER ... OWNER TO` for every object (but
//! an index, or an identity column's sequence), and `SET default_tablespace`
//! before the tables and indexes of a tablespace other than the default.

use sqlparser::tokenizer::Token;

use super::{
    after_parentheses, altered_table, keyword_at, qualified_name_at, significant_tokens, word_at,
};
use crate::introspect::postgres::AccessRow;
use crate::parse::sql_ddl::Statement;
use crate::parse::sql_ddl::written::mentions;

#[derive(Default)]
pub(super) struct Access {
    /// The `SET default_tablespace` in force; `None` for the default.
    tablespace: Option<String>,
    pub(super) rows: Vec<AccessRow>,
}

impl Access {
    /// Notes what `statement` says of privileges, owners or tablespaces.
    /// `is_sequence(schema, name)` tells a sequence from a table (`pg_dump`
    /// writes `ALTER TABLE` for both).
    pub(super) fn note(&mut self, statement: &Statement, is_sequence: impl Fn(&str, &str) -> bool) {
        // Most statements say nothing of these: only those that may are
        // tokenized (a tenth of a large dump's import time otherwise).
        let text = &statement.text;
        let may = match statement.head(1).as_str() {
            "SET" => mentions(text, "default_tablespace"),
            "GRANT" | "REVOKE" => true,
            "ALTER" => self.tablespace.is_some() || mentions(text, "OWNER"),
            "CREATE" => self.tablespace.is_some() || mentions(text, "TABLESPACE"),
            _ => false,
        };
        if !may {
            return;
        }
        let Some(mut tokens) = significant_tokens(text) else {
            return;
        };
        if matches!(tokens.last(), Some(Token::SemiColon)) {
            tokens.pop();
        }
        let is = |i: usize, text: &str| keyword_at(&tokens, i, text);
        if is(0, "SET") && is(1, "default_tablespace") {
            self.tablespace = match tokens.get(3) {
                Some(Token::SingleQuotedString(name)) => Some(name.clone()),
                _ => word_at(&tokens, 3),
            }
            .filter(|name| !name.is_empty() && name != "pg_default");
        } else if is(0, "GRANT") || is(0, "REVOKE") {
            self.grant(&tokens, &is_sequence);
        } else if is(0, "ALTER") {
            self.owner(&tokens, &is_sequence);
            self.constraint_index(&tokens);
        } else if is(0, "CREATE") {
            self.created(&tokens);
        }
    }

    fn push(&mut self, what: &str, kind: &str, (schema, name): (String, String), detail: String) {
        self.rows.push(AccessRow {
            what: what.to_owned(),
            kind: kind.to_owned(),
            schema,
            name,
            detail,
        });
    }

    /// `GRANT|REVOKE ... ON [TABLE|SEQUENCE|FUNCTION|...] name, ... TO|FROM
    /// ...`: each object named has privileges of its own.
    fn grant(&mut self, tokens: &[Token], is_sequence: &impl Fn(&str, &str) -> bool) {
        let Some(on) = top_level_word(tokens, "ON") else {
            return;
        };
        let keyword = word_at(tokens, on + 1).unwrap_or_default();
        let (kind, mut at) = match keyword.as_str() {
            "table" => ("table", on + 2),
            "sequence" => ("sequence", on + 2),
            "function" | "procedure" | "routine" => ("function", on + 2),
            "type" | "domain" => ("type", on + 2),
            // Schemas, databases, languages, `ALL TABLES IN SCHEMA`, ...:
            // not objects of the schemas read.
            "schema" | "database" | "language" | "foreign" | "large" | "tablespace"
            | "parameter" | "all" => return,
            _ => ("table", on + 1),
        };
        while let Some((name, end)) = qualified_name_at(tokens, at) {
            let kind = if kind == "table" && is_sequence(&name.0, &name.1) {
                "sequence"
            } else {
                kind
            };
            self.push("privileges", kind, name, String::new());
            at = after_parentheses(tokens, end).unwrap_or(end);
            if !matches!(tokens.get(at), Some(Token::Comma)) {
                break;
            }
            at += 1;
        }
    }

    /// `ALTER <kind> name ... OWNER TO role` of a table, view, sequence,
    /// function or type.
    fn owner(&mut self, tokens: &[Token], is_sequence: &impl Fn(&str, &str) -> bool) {
        let n = tokens.len();
        if n < 4
            || word_at(tokens, n - 3).as_deref() != Some("owner")
            || word_at(tokens, n - 2).as_deref() != Some("to")
        {
            return;
        }
        let Some(role) = word_at(tokens, n - 1) else {
            return;
        };
        let first = word_at(tokens, 1).unwrap_or_default();
        let second = word_at(tokens, 2).unwrap_or_default();
        let (kind, at) = match (first.as_str(), second.as_str()) {
            ("table" | "view" | "sequence", _) => ("table", 2),
            ("materialized", "view") | ("foreign", "table") => ("table", 3),
            ("function" | "procedure" | "aggregate" | "routine", _) => ("function", 2),
            ("type" | "domain", _) => ("type", 2),
            _ => return,
        };
        let Some((name, _)) = qualified_name_at(tokens, at) else {
            return;
        };
        let kind = if kind == "table" && is_sequence(&name.0, &name.1) {
            "sequence"
        } else {
            kind
        };
        self.push("owner", kind, name, role);
    }

    /// `ALTER TABLE [ONLY] t ADD CONSTRAINT name PRIMARY KEY|UNIQUE|EXCLUDE`
    /// under a `SET default_tablespace`: the constraint's index is there.
    fn constraint_index(&mut self, tokens: &[Token]) {
        let Some(tablespace) = self.tablespace.clone() else {
            return;
        };
        let Some(((schema, _), end)) = altered_table(tokens) else {
            return;
        };
        let adds = word_at(tokens, end).as_deref() == Some("add")
            && word_at(tokens, end + 1).as_deref() == Some("constraint");
        let keyed = matches!(
            word_at(tokens, end + 3).as_deref(),
            Some("primary" | "unique" | "exclude")
        );
        if let (true, true, Some(name)) = (adds, keyed, word_at(tokens, end + 2)) {
            self.push("tablespace", "index", (schema, name), tablespace);
        }
    }

    /// `CREATE TABLE`, `CREATE MATERIALIZED VIEW` or `CREATE INDEX` under
    /// a `SET default_tablespace`, or with a `TABLESPACE` clause of its own.
    fn created(&mut self, tokens: &[Token]) {
        let mut at = 1;
        while matches!(
            word_at(tokens, at).as_deref(),
            Some("unlogged" | "unique" | "materialized")
        ) {
            at += 1;
        }
        // A view has no storage; a materialized one has.
        let materialized = word_at(tokens, at - 1).as_deref() == Some("materialized");
        let kind = match word_at(tokens, at).as_deref() {
            Some("table") => "table",
            Some("view") if materialized => "table",
            Some("index") => "index",
            _ => return,
        };
        at += 1;
        while matches!(
            word_at(tokens, at).as_deref(),
            Some("concurrently" | "if" | "not" | "exists")
        ) {
            at += 1;
        }
        // The `TABLESPACE` clause of the object itself, not `USING INDEX
        // TABLESPACE` of one of its constraints.
        let own = top_level_word(tokens, "TABLESPACE")
            .filter(|&i| word_at(tokens, i - 1).as_deref() != Some("index"))
            .and_then(|i| word_at(tokens, i + 1))
            .filter(|name| name != "pg_default");
        let Some(tablespace) = own.or_else(|| self.tablespace.clone()) else {
            return;
        };
        let name = if kind == "index" {
            // An index is in its table's schema.
            let Some(index) = word_at(tokens, at) else {
                return;
            };
            let Some(on) = top_level_word(tokens, "ON") else {
                return;
            };
            let table_at = if word_at(tokens, on + 1).as_deref() == Some("only") {
                on + 2
            } else {
                on + 1
            };
            let Some(((schema, _), _)) = qualified_name_at(tokens, table_at) else {
                return;
            };
            (schema, index)
        } else {
            let Some((name, _)) = qualified_name_at(tokens, at) else {
                return;
            };
            name
        };
        self.push("tablespace", kind, name, tablespace);
    }
}

/// Where unquoted keyword `word` first stands outside every parenthesis.
fn top_level_word(tokens: &[Token], word: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (at, token) in tokens.iter().enumerate() {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Word(w)
                if depth == 0 && w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word) =>
            {
                return Some(at);
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows `script`'s statements give, `what kind schema.name detail`.
    fn rows(script: &[&str]) -> Vec<String> {
        let mut access = Access::default();
        for text in script {
            let statement = Statement {
                text: (*text).to_owned(),
                span: 0..text.len(),
            };
            access.note(&statement, |_, name| name == "counter");
        }
        access
            .rows
            .iter()
            .map(|r| format!("{} {} {}.{} {}", r.what, r.kind, r.schema, r.name, r.detail))
            .map(|line| line.trim_end().to_owned())
            .collect()
    }

    #[test]
    fn grants_name_each_object_of_the_schemas() {
        assert_eq!(
            rows(&[
                "GRANT SELECT, UPDATE (a) ON a, s.\"B\" TO x;",
                "REVOKE GRANT OPTION FOR SELECT ON TABLE counter FROM x;",
                "GRANT EXECUTE ON FUNCTION f(integer), s.g() TO x;",
                "GRANT USAGE ON DOMAIN d TO x",
                "GRANT ALL ON ALL TABLES IN SCHEMA public TO x;",
                "GRANT USAGE ON SCHEMA s TO x;",
                "GRANT x TO y;",
            ]),
            [
                "privileges table public.a",
                "privileges table s.B",
                "privileges sequence public.counter",
                "privileges function public.f",
                "privileges function s.g",
                "privileges type public.d",
            ]
        );
    }

    #[test]
    fn owners_and_tablespaces_are_read_as_the_catalog_has_them() {
        assert_eq!(
            rows(&[
                "ALTER MATERIALIZED VIEW m OWNER TO \"App\";",
                "ALTER TABLE public.counter OWNER TO app;",
                "ALTER AGGREGATE s.agg(text) OWNER TO app;",
                "ALTER SCHEMA s OWNER TO app;",
                "SET default_tablespace TO fast;",
                "CREATE UNLOGGED TABLE t (id integer);",
                "CREATE VIEW v AS SELECT 1;",
                "ALTER TABLE ONLY s.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);",
                "ALTER TABLE ONLY s.t ADD CONSTRAINT t_fk FOREIGN KEY (id) REFERENCES u;",
                "SET default_tablespace = '';",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t (c) TABLESPACE slow;",
                "CREATE TABLE k (id integer PRIMARY KEY USING INDEX TABLESPACE slow);",
                "CREATE TABLE p (id integer) TABLESPACE pg_default;",
            ]),
            [
                "owner table public.m App",
                "owner sequence public.counter app",
                "owner function s.agg app",
                "tablespace table public.t fast",
                "tablespace index s.t_pkey fast",
                "tablespace index s.i slow",
            ]
        );
    }
}
