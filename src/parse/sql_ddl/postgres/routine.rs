//! A dump's `CREATE FUNCTION` / `CREATE PROCEDURE` in the layout
//! `pg_get_functiondef` prints, so that a routine read from a dump is the
//! text live introspection reads from the server.
//!
//! `pg_dump` and `pg_get_functiondef` print the same parts (the argument
//! list, the result, the body) from the same catalog, but lay them out
//! differently: `pg_dump` writes `CREATE FUNCTION ... RETURNS t` and its
//! options on one indented line, the body in `$$`; the server writes
//! `CREATE OR REPLACE FUNCTION`, one clause per line in an order of its own,
//! and the body in `$function$`. The parts are taken from the dump's text
//! as written and put in the server's layout.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::Token;

use crate::dialect::postgres::quote_identifier;
use crate::parse::sql_ddl::written::Tokens;

/// The clauses a routine's options may start with: where a result type or
/// a `SET` value ends.
const CLAUSES: &[&str] = &[
    "AS",
    "ATOMIC",
    "BEGIN",
    "CALLED",
    "COST",
    "EXTERNAL",
    "IMMUTABLE",
    "LANGUAGE",
    "LEAKPROOF",
    "NOT",
    "PARALLEL",
    "RETURN",
    "RETURNS",
    "ROWS",
    "SECURITY",
    "SET",
    "STABLE",
    "STRICT",
    "SUPPORT",
    "TRANSFORM",
    "VOLATILE",
    "WINDOW",
];

/// `text` (one `CREATE [OR REPLACE] FUNCTION|PROCEDURE` statement, its
/// names of `first_schema` already unqualified) as `pg_get_functiondef`
/// prints it, without its final line break. `None` when the statement says
/// something this reading does not know (`TRANSFORM`, `SET ... FROM
/// CURRENT`): the caller keeps the text as written.
pub(super) fn functiondef(text: &str, first_schema: &str) -> Option<String> {
    let text = text.trim().trim_end_matches(';').trim_end();
    let tokens = Tokens::new(text, &PostgreSqlDialect {})?;
    let mut at = 0;
    tokens.expect(&mut at, "CREATE")?;
    if tokens.is(at, "OR") {
        at += 1;
        tokens.expect(&mut at, "REPLACE")?;
    }
    let kind = tokens.word(at)?.to_ascii_uppercase();
    if kind != "FUNCTION" && kind != "PROCEDURE" {
        return None;
    }
    at += 1;
    let mut name = vec![tokens.name(at)?];
    at += 1;
    while matches!(tokens.token(at), Some(Token::Period)) {
        name.push(tokens.name(at + 1)?);
        at += 2;
    }
    if name.len() == 1 {
        name.insert(0, first_schema.to_owned());
    }
    let name: Vec<String> = name.iter().map(|part| quote_identifier(part)).collect();
    if !matches!(tokens.token(at), Some(Token::LParen)) {
        return None;
    }
    let close = tokens.closing(at)?;
    let arguments = tokens.squeezed(at + 1, close);
    at = close + 1;

    let mut out = format!("CREATE OR REPLACE {kind} {}({arguments})\n", name.join("."));
    let mut options = Options::default();
    while at < tokens.len() {
        let word = tokens.word(at).map(|w| w.to_ascii_uppercase());
        match word.as_deref()? {
            "RETURNS" if tokens.is(at + 1, "NULL") => {
                // RETURNS NULL ON NULL INPUT
                options.strict = true;
                at += 5;
            }
            "RETURNS" => {
                let end = tokens.clause_end(at + 1, CLAUSES);
                options.returns = Some(tokens.squeezed(at + 1, end));
                at = end;
            }
            "LANGUAGE" => {
                let language = match tokens.token(at + 1)? {
                    Token::SingleQuotedString(language) => language.to_ascii_lowercase(),
                    _ => tokens.name(at + 1)?,
                };
                options.language = Some(language);
                at += 2;
            }
            "WINDOW" => {
                options.window = true;
                at += 1;
            }
            volatility @ ("IMMUTABLE" | "STABLE" | "VOLATILE") => {
                options.volatility = (volatility != "VOLATILE").then(|| volatility.to_owned());
                at += 1;
            }
            "STRICT" => {
                options.strict = true;
                at += 1;
            }
            // CALLED ON NULL INPUT
            "CALLED" => at += 4,
            "EXTERNAL" => at += 1,
            "SECURITY" => {
                options.definer = tokens.is(at + 1, "DEFINER");
                at += 2;
            }
            "NOT" if tokens.is(at + 1, "LEAKPROOF") => {
                options.leakproof = false;
                at += 2;
            }
            "LEAKPROOF" => {
                options.leakproof = true;
                at += 1;
            }
            "PARALLEL" => {
                let mode = tokens.word(at + 1)?.to_ascii_uppercase();
                options.parallel = (mode != "UNSAFE").then_some(mode);
                at += 2;
            }
            "COST" => {
                options.cost = Some(tokens.squeezed(at + 1, at + 2));
                at += 2;
            }
            "ROWS" => {
                options.rows = Some(tokens.squeezed(at + 1, at + 2));
                at += 2;
            }
            "SUPPORT" => {
                let end = tokens.clause_end(at + 1, CLAUSES);
                options.support = Some(tokens.squeezed(at + 1, end));
                at = end;
            }
            "SET" => {
                let setting = tokens.name(at + 1)?;
                if !(tokens.is(at + 2, "TO") || matches!(tokens.token(at + 2), Some(Token::Eq))) {
                    return None;
                }
                let end = tokens.clause_end(at + 3, CLAUSES);
                options.settings.push(format!(
                    " SET {} TO {}\n",
                    quote_identifier(&setting),
                    tokens.squeezed(at + 3, end)
                ));
                at = end;
            }
            "AS" => {
                let (binary, source) = match (tokens.token(at + 1)?, tokens.token(at + 2)) {
                    (first, Some(Token::Comma)) => {
                        let source = string_value(tokens.token(at + 3)?)?;
                        at += 4;
                        (Some(string_value(first)?), source)
                    }
                    (only, _) => {
                        at += 2;
                        let only = string_value(only)?;
                        // A C function named by its file alone has the
                        // function's own name for its symbol.
                        if options.language.as_deref() == Some("c") {
                            let own = name.last().cloned().unwrap_or_default();
                            (Some(only), own.trim_matches('"').to_owned())
                        } else {
                            (None, only)
                        }
                    }
                };
                options.body = Some(Body::Source { binary, source });
            }
            "RETURN" | "BEGIN" => {
                options.body = Some(Body::Standard(tokens.rest(at)));
                at = tokens.len();
            }
            _ => return None,
        }
    }
    if let Some(returns) = &options.returns {
        out.push_str(&format!(" RETURNS {returns}\n"));
    }
    out.push_str(&format!(
        " LANGUAGE {}\n",
        quote_identifier(options.language.as_deref()?)
    ));
    out.push_str(&options.line(&kind));
    for setting in &options.settings {
        out.push_str(setting);
    }
    match options.body? {
        Body::Standard(body) => out.push_str(&body),
        Body::Source { binary, source } => {
            out.push_str("AS ");
            if let Some(binary) = binary {
                out.push_str(&format!("'{}', ", binary.replace('\'', "''")));
            }
            let mut tag = format!("${}", kind.to_ascii_lowercase());
            while source.contains(&tag) {
                tag.push('x');
            }
            tag.push('$');
            out.push_str(&format!("{tag}{source}{tag}"));
        }
    }
    Some(out)
}

/// The types a routine's signature names (its arguments, `OUT` ones
/// included, and its result: `SETOF t`, `TABLE (...)`), each as the
/// (schema, name) written, `None` for an unqualified one; arrays and type
/// modifiers are left out (`t[]` names `t`). The server records that the
/// routine depends on each, as live introspection reads.
pub(super) fn signature_types(definition: &str) -> Vec<(Option<String>, String)> {
    let Some(tokens) = Tokens::new(definition, &PostgreSqlDialect {}) else {
        return Vec::new();
    };
    let Some(open) = (0..tokens.len()).find(|&at| matches!(tokens.token(at), Some(Token::LParen)))
    else {
        return Vec::new();
    };
    let Some(close) = tokens.closing(open) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    parameter_types(&tokens, open + 1, close, &mut found);
    let returns = (close + 1..tokens.len())
        .find(|&at| tokens.is(at, "RETURNS") && !tokens.is(at + 1, "NULL"));
    if let Some(at) = returns {
        let end = tokens.clause_end(at + 1, CLAUSES);
        if tokens.is(at + 1, "TABLE") && matches!(tokens.token(at + 2), Some(Token::LParen)) {
            if let Some(close) = tokens.closing(at + 2) {
                parameter_types(&tokens, at + 3, close, &mut found);
            }
        } else if let Some(name) = type_name(&tokens, at + 1, end) {
            found.push(name);
        }
    }
    found
}

/// The types of the parameters between `from` and `to`.
fn parameter_types(
    tokens: &Tokens<'_>,
    from: usize,
    to: usize,
    found: &mut Vec<(Option<String>, String)>,
) {
    for (start, end) in parameters(tokens, from, to) {
        found.extend(type_name(tokens, start, end));
    }
}

/// The parameters between `from` and `to` (separated by commas, each
/// `[mode] [name] type [DEFAULT ...]`), each as the range of its tokens
/// without its default.
fn parameters(tokens: &Tokens<'_>, from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut start = from;
    let mut end = None;
    let mut depth = 0usize;
    for at in from..=to {
        let boundary = at == to || (depth == 0 && matches!(tokens.token(at), Some(Token::Comma)));
        if !boundary {
            match tokens.token(at) {
                Some(Token::LParen | Token::LBracket) => depth += 1,
                Some(Token::RParen | Token::RBracket) => depth = depth.saturating_sub(1),
                Some(Token::Eq) if depth == 0 => {
                    end.get_or_insert(at);
                }
                Some(Token::Word(_)) if depth == 0 && tokens.is(at, "DEFAULT") => {
                    end.get_or_insert(at);
                }
                _ => {}
            }
            continue;
        }
        if at > start {
            found.push((start, end.unwrap_or(at)));
        }
        start = at + 1;
        end = None;
    }
    found
}

/// The (possibly qualified) name of the type written last in `from..to`,
/// after `SETOF` and before array brackets and a type modifier.
fn type_name(tokens: &Tokens<'_>, from: usize, to: usize) -> Option<(Option<String>, String)> {
    let mut at = to;
    // Array brackets (`[]`, `[3]`), a type modifier (`(10)`), `ARRAY`.
    while at > from {
        match tokens.token(at - 1)? {
            Token::LBracket | Token::RBracket | Token::Number(..) => at -= 1,
            Token::RParen => {
                let mut depth = 0usize;
                while at > from {
                    at -= 1;
                    match tokens.token(at)? {
                        Token::RParen => depth += 1,
                        Token::LParen => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            Token::Word(_) if tokens.is(at - 1, "ARRAY") => at -= 1,
            _ => break,
        }
    }
    let last = at.checked_sub(1).filter(|&last| last >= from)?;
    let name = tokens.name(last)?;
    let schema = (last >= from + 2 && matches!(tokens.token(last - 1), Some(Token::Period)))
        .then(|| tokens.name(last - 2))
        .flatten();
    Some((schema, name))
}

/// A routine's argument list (as written between its parentheses) as
/// `pg_get_function_identity_arguments` prints it, the routine's identity:
/// without defaults.
pub(super) fn identity_arguments(arguments: &str) -> String {
    let Some(tokens) = Tokens::new(arguments, &PostgreSqlDialect {}) else {
        return arguments.to_owned();
    };
    parameters(&tokens, 0, tokens.len())
        .into_iter()
        .map(|(start, end)| tokens.squeezed(start, end))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Default)]
struct Options {
    returns: Option<String>,
    language: Option<String>,
    window: bool,
    volatility: Option<String>,
    parallel: Option<String>,
    strict: bool,
    definer: bool,
    leakproof: bool,
    cost: Option<String>,
    rows: Option<String>,
    support: Option<String>,
    /// ` SET name TO value` lines.
    settings: Vec<String>,
    body: Option<Body>,
}

impl Options {
    /// The line of the options other than the language and settings, in
    /// the server's order; empty when all are the defaults. A cost or a
    /// row count the server takes by default is not written.
    fn line(&self, kind: &str) -> String {
        let mut line = String::new();
        if self.window {
            line.push_str(" WINDOW");
        }
        if let Some(volatility) = &self.volatility {
            line.push_str(&format!(" {volatility}"));
        }
        if let Some(parallel) = &self.parallel {
            line.push_str(&format!(" PARALLEL {parallel}"));
        }
        if self.strict {
            line.push_str(" STRICT");
        }
        if self.definer {
            line.push_str(" SECURITY DEFINER");
        }
        if self.leakproof {
            line.push_str(" LEAKPROOF");
        }
        let default_cost = match self.language.as_deref() {
            Some("c" | "internal") => 1.0,
            _ => 100.0,
        };
        if let Some(cost) = &self.cost
            && cost.parse::<f64>().ok() != Some(default_cost)
        {
            line.push_str(&format!(" COST {cost}"));
        }
        if let Some(rows) = &self.rows
            && kind == "FUNCTION"
            && rows.parse::<f64>().ok() != Some(1000.0)
        {
            line.push_str(&format!(" ROWS {rows}"));
        }
        if let Some(support) = &self.support {
            line.push_str(&format!(" SUPPORT {support}"));
        }
        if !line.is_empty() {
            line.push('\n');
        }
        line
    }
}

enum Body {
    /// `AS 'binary', 'source'` or `AS $$source$$`.
    Source {
        binary: Option<String>,
        source: String,
    },
    /// A body in SQL (`RETURN ...`, `BEGIN ATOMIC ... END`), as written.
    Standard(String),
}

fn string_value(token: &Token) -> Option<String> {
    match token {
        Token::SingleQuotedString(text) | Token::EscapedStringLiteral(text) => Some(text.clone()),
        Token::DollarQuotedString(quoted) => Some(quoted.value.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::functiondef;

    #[test]
    fn pg_dump_layout_becomes_the_servers() {
        let dump = "CREATE FUNCTION public.touch() RETURNS trigger\n    LANGUAGE plpgsql\n    AS \
                    $$ BEGIN RETURN NEW; END $$;";
        assert_eq!(
            functiondef(dump, "public").unwrap(),
            "CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS \
             $function$ BEGIN RETURN NEW; END $function$"
        );
        let options = "CREATE FUNCTION f(a integer, b text DEFAULT 'x''y'::text) RETURNS SETOF \
                       integer\n    LANGUAGE sql STABLE STRICT SECURITY DEFINER COST 5 ROWS 10 \
                       PARALLEL SAFE\n    SET search_path TO 'public', 'pg_temp'\n    AS $_$ \
                       SELECT $1 $_$;";
        assert_eq!(
            functiondef(options, "public").unwrap(),
            "CREATE OR REPLACE FUNCTION public.f(a integer, b text DEFAULT 'x''y'::text)\n \
             RETURNS SETOF integer\n LANGUAGE sql\n STABLE PARALLEL SAFE STRICT SECURITY DEFINER \
             COST 5 ROWS 10\n SET search_path TO 'public', 'pg_temp'\nAS $function$ SELECT $1 \
             $function$"
        );
    }

    #[test]
    fn c_internal_and_sql_bodies() {
        assert_eq!(
            functiondef(
                "CREATE FUNCTION public.lo(text) RETURNS text\n    LANGUAGE internal \
                 IMMUTABLE STRICT\n    AS $$lower$$;",
                "public"
            )
            .unwrap(),
            "CREATE OR REPLACE FUNCTION public.lo(text)\n RETURNS text\n LANGUAGE internal\n \
             IMMUTABLE STRICT\nAS $function$lower$function$"
        );
        assert_eq!(
            functiondef(
                "CREATE FUNCTION x.c(integer) RETURNS integer LANGUAGE C AS '$libdir/x', 'c_fn'",
                "public"
            )
            .unwrap(),
            "CREATE OR REPLACE FUNCTION x.c(integer)\n RETURNS integer\n LANGUAGE c\nAS \
             '$libdir/x', $function$c_fn$function$"
        );
        assert_eq!(
            functiondef(
                "CREATE PROCEDURE p(IN n integer)\n    LANGUAGE sql\n    BEGIN ATOMIC\n \
                 SELECT 1;\nEND;",
                "public"
            )
            .unwrap(),
            "CREATE OR REPLACE PROCEDURE public.p(IN n integer)\n LANGUAGE sql\nBEGIN ATOMIC\n \
             SELECT 1;\nEND"
        );
        assert_eq!(
            functiondef(
                "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $$ x $function$ $$",
                "public"
            )
            .unwrap(),
            "CREATE OR REPLACE FUNCTION public.f()\n RETURNS text\n LANGUAGE plpgsql\nAS \
             $functionx$ x $function$ $functionx$"
        );
        assert!(
            functiondef(
                "CREATE FUNCTION f() RETURNS t LANGUAGE sql SET x FROM CURRENT AS 'x'",
                "public"
            )
            .is_none()
        );
    }
}
