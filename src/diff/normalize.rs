//! Equality that ignores spelling: SQL expressions compared as parsed SQL,
//! engine type names without case and spacing, and the usual synonyms
//! (`now()` and `CURRENT_TIMESTAMP`), so equal things never show as changes.

use sqlparser::ast::Expr;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::dialect::Dialect as _;
use crate::manifest::{
    DefaultValue, Entity, Exclusion, Field, FieldType, Generated, Index, IndexPart, Relation,
    SortOrder, SourceEngine, Unique,
};

/// Whether two SQL expressions say the same thing: parsed, with grouping
/// parentheses dropped (the tree keeps the grouping), and the current-time
/// functions taken as one. Text that does not parse is compared without
/// spacing differences.
pub fn sql_eq(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => squeeze(a) == squeeze(b),
    }
}

/// `text` lower-cased without spaces, and without the fractional-second
/// precision of a current-time function: `CURRENT_TIMESTAMP(3)` (MySQL's
/// default of a `datetime(3)`) is `current_timestamp()`, `now(6)` `now()`.
fn without_precision(text: &str) -> String {
    let bare: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match bare
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once('('))
    {
        Some((function, digits))
            if !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && ["now", "current_timestamp", "localtimestamp"].contains(&function) =>
        {
            format!("{function}()")
        }
        _ => squeeze(text).to_ascii_lowercase(),
    }
}

fn parse(text: &str) -> Option<Expr> {
    let current_time = [
        "now()",
        "current_timestamp",
        "current_timestamp()",
        "localtimestamp",
        "localtimestamp()",
        "transaction_timestamp()",
    ];
    let text = if current_time.contains(&without_precision(text).as_str()) {
        "CURRENT_TIMESTAMP"
    } else {
        text
    };
    let expr = Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_expr())
        .ok()?;
    Some(ungroup(expr))
}

/// Drops what an engine adds when it prints an expression back: grouping
/// parentheses (the tree keeps the grouping), casts (`(label)::text`,
/// `0::numeric`), the quotes of an identifier, and PostgreSQL's
/// `x = ANY (ARRAY[...])` for `x IN (...)`. Applied throughout the
/// expression, function arguments included.
fn ungroup(expr: Expr) -> Expr {
    use sqlparser::ast::{
        BinaryOperator, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, UnaryOperator,
        Value,
    };
    let boxed = |e: Box<Expr>| Box::new(ungroup(*e));
    match expr {
        Expr::Nested(inner) => ungroup(*inner),
        Expr::Cast { expr, .. } => ungroup(*expr),
        // `DATE '2024-01-01'` is `'2024-01-01'::date` printed back.
        Expr::TypedString(typed) => ungroup(Expr::Value(typed.value)),
        // PostgreSQL prints `'-1'::integer` for `-1`, and `'5'` where a
        // number was cast: a literal that is a number is that number.
        Expr::Value(value) => match &value.value {
            Value::SingleQuotedString(text) if is_number(text) => {
                Expr::Value(Value::Number(text.clone(), false).into())
            }
            _ => Expr::Value(value),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } if matches!(ungroup(*expr.clone()), Expr::Value(ref v) if matches!(v.value, Value::Number(..))) => {
            match ungroup(*expr) {
                Expr::Value(value) => match value.value {
                    Value::Number(text, long) => {
                        Expr::Value(Value::Number(format!("-{text}"), long).into())
                    }
                    other => Expr::Value(other.into()),
                },
                other => other,
            }
        }
        // Unquoted names fold to lower case (PostgreSQL prints them so).
        Expr::Identifier(mut ident) => {
            if ident.quote_style.is_none() {
                ident.value = ident.value.to_ascii_lowercase();
            }
            ident.quote_style = None;
            Expr::Identifier(ident)
        }
        // PostgreSQL expands `x BETWEEN a AND b` to `x >= a AND x <= b`.
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => Expr::BinaryOp {
            left: Box::new(Expr::BinaryOp {
                left: boxed(expr.clone()),
                op: BinaryOperator::GtEq,
                right: boxed(low),
            }),
            op: BinaryOperator::And,
            right: Box::new(Expr::BinaryOp {
                left: boxed(expr),
                op: BinaryOperator::LtEq,
                right: boxed(high),
            }),
        },
        // ... and prints `LIKE` as `~~`.
        Expr::BinaryOp {
            left,
            op:
                op @ (BinaryOperator::PGLikeMatch
                | BinaryOperator::PGNotLikeMatch
                | BinaryOperator::PGILikeMatch
                | BinaryOperator::PGNotILikeMatch),
            right,
        } => {
            let negated = matches!(
                op,
                BinaryOperator::PGNotLikeMatch | BinaryOperator::PGNotILikeMatch
            );
            let (expr, pattern) = (boxed(left), boxed(right));
            if matches!(
                op,
                BinaryOperator::PGLikeMatch | BinaryOperator::PGNotLikeMatch
            ) {
                Expr::Like {
                    negated,
                    any: false,
                    expr,
                    pattern,
                    escape_char: None,
                }
            } else {
                Expr::ILike {
                    negated,
                    any: false,
                    expr,
                    pattern,
                    escape_char: None,
                }
            }
        }
        // ... and `x NOT IN (...)` as `x <> ALL (ARRAY[...])`.
        Expr::AllOp {
            left,
            compare_op: BinaryOperator::NotEq,
            right,
        } if matches!(ungroup(*right.clone()), Expr::Array(_)) => {
            let Expr::Array(array) = ungroup(*right) else {
                unreachable!("matched above")
            };
            Expr::In {
                expr: boxed(left),
                target: InTarget::List(array.elem.into_iter().map(ungroup).collect()),
                negated: true,
                global: false,
            }
        }
        Expr::CompoundIdentifier(idents) => Expr::CompoundIdentifier(
            idents
                .into_iter()
                .map(|mut ident| {
                    ident.quote_style = None;
                    ident
                })
                .collect(),
        ),
        Expr::BinaryOp { left, op, right } => Expr::BinaryOp {
            left: boxed(left),
            op,
            right: boxed(right),
        },
        Expr::UnaryOp { op, expr } => Expr::UnaryOp {
            op,
            expr: boxed(expr),
        },
        Expr::Case {
            case_token,
            end_token,
            operand,
            conditions,
            else_result,
        } => Expr::Case {
            case_token,
            end_token,
            operand: operand.map(boxed),
            conditions: conditions
                .into_iter()
                .map(|when| sqlparser::ast::CaseWhen {
                    condition: ungroup(when.condition),
                    result: ungroup(when.result),
                })
                .collect(),
            else_result: else_result.map(boxed),
        },
        Expr::IsNull(e) => Expr::IsNull(boxed(e)),
        Expr::IsNotNull(e) => Expr::IsNotNull(boxed(e)),
        Expr::IsTrue(e) => Expr::IsTrue(boxed(e)),
        Expr::IsFalse(e) => Expr::IsFalse(boxed(e)),
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => Expr::Between {
            expr: boxed(expr),
            negated,
            low: boxed(low),
            high: boxed(high),
        },
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } if matches!(ungroup(*right.clone()), Expr::Array(_)) => {
            let Expr::Array(array) = ungroup(*right) else {
                unreachable!("matched above")
            };
            Expr::In {
                expr: boxed(left),
                target: InTarget::List(array.elem.into_iter().map(ungroup).collect()),
                negated: false,
                global: false,
            }
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated,
            global,
        } => Expr::In {
            expr: boxed(expr),
            target: InTarget::List(list.into_iter().map(ungroup).collect()),
            negated,
            global,
        },
        Expr::Like {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        } => Expr::Like {
            negated,
            any,
            expr: boxed(expr),
            pattern: boxed(pattern),
            escape_char,
        },
        Expr::ILike {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        } => Expr::ILike {
            negated,
            any,
            expr: boxed(expr),
            pattern: boxed(pattern),
            escape_char,
        },
        Expr::Array(mut array) => {
            array.elem = array.elem.into_iter().map(ungroup).collect();
            Expr::Array(array)
        }
        Expr::Function(mut function) => {
            if let FunctionArguments::List(list) = &mut function.args {
                for arg in &mut list.args {
                    let expr = match arg {
                        FunctionArg::Named { arg, .. }
                        | FunctionArg::ExprNamed { arg, .. }
                        | FunctionArg::Unnamed(arg) => arg,
                    };
                    if let FunctionArgExpr::Expr(inner) = expr {
                        *inner = ungroup(std::mem::replace(inner, Expr::Value(Value::Null.into())));
                    }
                }
            }
            for part in &mut function.name.0 {
                if let Some(ident) = part.as_ident().cloned() {
                    let mut ident = ident;
                    ident.quote_style = None;
                    ident.value = ident.value.to_ascii_lowercase();
                    *part = sqlparser::ast::ObjectNamePart::Identifier(ident);
                }
            }
            // `public.gen_random_uuid()` is how the server prints a function
            // of the first schema that a built-in of the same name hides,
            // and how a dump writes every function: the qualification is
            // spelling, not another function.
            if function.name.0.len() == 2
                && function.name.0[0]
                    .as_ident()
                    .is_some_and(|schema| schema.value == "public")
            {
                function.name.0.remove(0);
            }
            Expr::Function(function)
        }
        other => other,
    }
}

/// An identity column's sequence options (`identity_options`) by what
/// each sets, spelled as PostgreSQL prints them, those that say what
/// PostgreSQL does anyway left out: `INCREMENT 10` is `INCREMENT BY 10`,
/// `START 5` is `START WITH 5`, and `NO CYCLE`, `CACHE 1`, `INCREMENT BY
/// 1`, `NO MINVALUE` or a `MAXVALUE` that is the column type's maximum
/// (`bounds`), and a start at the sequence's first value, say nothing.
/// `SEQUENCE NAME` is kept as written; `AS` (the column's type) and
/// `RESTART` are not options of the column.
pub fn identity_options(
    options: Option<&str>,
    bounds: (i64, i64),
) -> BTreeMap<&'static str, String> {
    let words: Vec<&str> = options.unwrap_or_default().split_whitespace().collect();
    let upper = |at: usize| words.get(at).map(|word| word.to_ascii_uppercase());
    let number = |at: usize| words.get(at).and_then(|word| word.parse::<i64>().ok());
    let mut given: BTreeMap<&'static str, Option<i64>> = BTreeMap::new();
    let mut name = None;
    let mut at = 0;
    while at < words.len() {
        let word = upper(at).unwrap_or_default();
        let noise = |at: usize, word: &str| usize::from(upper(at).as_deref() == Some(word));
        match word.as_str() {
            "INCREMENT" | "START" | "RESTART" => {
                let value = at + 1 + noise(at + 1, if word == "INCREMENT" { "BY" } else { "WITH" });
                match word.as_str() {
                    "INCREMENT" => given.insert("INCREMENT", number(value)),
                    "START" => given.insert("START", number(value)),
                    _ => None,
                };
                at = value + usize::from(number(value).is_some());
            }
            "MINVALUE" | "MAXVALUE" | "CACHE" => {
                let kind = match word.as_str() {
                    "MINVALUE" => "MINVALUE",
                    "MAXVALUE" => "MAXVALUE",
                    _ => "CACHE",
                };
                given.insert(kind, number(at + 1));
                at += 2;
            }
            "CYCLE" => {
                given.insert("CYCLE", Some(1));
                at += 1;
            }
            "NO" => {
                if let Some(kind) = upper(at + 1) {
                    given.retain(|known, _| *known != kind.as_str());
                }
                at += 2;
            }
            "SEQUENCE" if upper(at + 1).as_deref() == Some("NAME") => {
                name = words.get(at + 2).map(|name| (*name).to_owned());
                at += 3;
            }
            "AS" => at += 2,
            _ => at += 1,
        }
    }
    let value = |kind: &str| given.get(kind).copied().flatten();
    let increment = value("INCREMENT").unwrap_or(1);
    let (type_minimum, type_maximum) = bounds;
    let (minimum_default, maximum_default) = if increment < 0 {
        (type_minimum, -1)
    } else {
        (1, type_maximum)
    };
    let minimum = value("MINVALUE").unwrap_or(minimum_default);
    let maximum = value("MAXVALUE").unwrap_or(maximum_default);
    let start_default = if increment < 0 { maximum } else { minimum };
    let mut canonical = BTreeMap::new();
    if let Some(name) = name {
        canonical.insert("SEQUENCE NAME", format!("SEQUENCE NAME {name}"));
    }
    for (kind, clause, actual, default) in [
        ("INCREMENT", "INCREMENT BY", increment, 1),
        ("MINVALUE", "MINVALUE", minimum, minimum_default),
        ("MAXVALUE", "MAXVALUE", maximum, maximum_default),
        (
            "START",
            "START WITH",
            value("START").unwrap_or(start_default),
            start_default,
        ),
        ("CACHE", "CACHE", value("CACHE").unwrap_or(1), 1),
    ] {
        if actual != default {
            canonical.insert(kind, format!("{clause} {actual}"));
        }
    }
    if value("CYCLE").is_some() {
        canonical.insert("CYCLE", "CYCLE".to_owned());
    }
    canonical
}

/// The values an integer field's identity sequence can take by default:
/// those of its type.
pub fn identity_bounds(field: &Field) -> (i64, i64) {
    match field.ty {
        FieldType::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        FieldType::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Whether two whole statements (an engine object's `CREATE ...`) are the
/// same as the server would keep them. A dump and the live catalog print
/// one object differently: `pg_dump` writes `CREATE FUNCTION ... AS $_$`,
/// `pg_get_functiondef` `CREATE OR REPLACE FUNCTION ... AS $function$` with
/// its clauses on their own lines and in another order, and a domain's
/// `CHECK (((VALUE > 0)))` comes back as `CHECK (VALUE > 0)`. So spacing,
/// `OR REPLACE`, dollar-quote tags, the order of a routine's clauses and the
/// grouping inside `CHECK (...)` are not differences. Nor are, outside a
/// body or a string, quotes around a name that needs none (`"public"."f"`
/// of a Supabase dump), the `public.` schema (an older `pg_dump` sets the
/// search path instead of qualifying) or a trigger's `EXECUTE PROCEDURE`
/// (PostgreSQL 10's spelling of `EXECUTE FUNCTION`). Bodies are compared
/// as written: what a function does is its text.
pub fn statement_eq(a: &str, b: &str) -> bool {
    canonical_statement(a) == canonical_statement(b)
}

/// [`statement_eq`]'s form of a statement.
fn canonical_statement(text: &str) -> String {
    let text = text.trim().trim_end_matches(';');
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Where the routine's clauses start (after its argument list) and where
    // its body starts: the words between are sorted.
    let mut clauses_from = None;
    let mut body_at = None;
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                let end = skip_quoted(bytes, i, b'\'');
                out.push_str(&text[i..end]);
                i = end;
            }
            b'"' => {
                let end = skip_quoted(bytes, i, b'"');
                let name = &text[i + 1..end.saturating_sub(1).max(i + 1)];
                if name == "public" && bytes.get(end) == Some(&b'.') {
                    i = end + 1;
                } else if is_plain_name(name) {
                    out.push_str(name);
                    i = end;
                } else {
                    out.push_str(&text[i..end]);
                    i = end;
                }
            }
            b'p' if text[i..].starts_with("public.")
                && !out
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') =>
            {
                i += "public.".len();
            }
            b'$' => {
                let tag_end = text[i + 1..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map(|n| i + 1 + n);
                match tag_end {
                    Some(end) if bytes[end] == b'$' => {
                        let tag = &text[i..=end];
                        let close = text[end + 1..]
                            .find(tag)
                            .map_or(text.len(), |n| end + 1 + n);
                        body_at.get_or_insert(out.len());
                        out.push_str("$$");
                        out.push_str(&text[end + 1..close]);
                        out.push_str("$$");
                        i = (close + tag.len()).min(text.len());
                    }
                    _ => {
                        out.push('$');
                        i += 1;
                    }
                }
            }
            b'(' => {
                let word_before = out.trim_end().rsplit(|c: char| !c.is_alphanumeric()).next();
                if word_before.is_some_and(|w| w.eq_ignore_ascii_case("CHECK")) {
                    let close = closing_paren(bytes, i);
                    let inner = &text[i + 1..close.saturating_sub(1).max(i + 1)];
                    // A domain's check names its value `VALUE`, a keyword
                    // sqlparser does not take for a name.
                    let parsed =
                        parse(&inner.replace("VALUE", "\"VALUE\"")).or_else(|| parse(inner));
                    match parsed {
                        Some(expr) => out.push_str(&format!("({})", grouped(&expr))),
                        None => out.push_str(&text[i..close]),
                    }
                    i = close;
                    continue;
                }
                depth += 1;
                out.push('(');
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                out.push(')');
                i += 1;
                if depth == 0 && clauses_from.is_none() {
                    clauses_from = Some(out.len());
                }
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    let routine = ["CREATE FUNCTION ", "CREATE PROCEDURE "]
        .iter()
        .any(|head| {
            without_or_replace(&squeeze(&out))
                .to_ascii_uppercase()
                .starts_with(head)
        });
    match (clauses_from, body_at) {
        (Some(from), Some(to)) if routine && from <= to => {
            // The clauses between the argument list and the body, in any order.
            let mut clauses: Vec<&str> = out[from..to].split_whitespace().collect();
            clauses.sort_unstable();
            format!(
                "{} {} {}",
                without_or_replace(&squeeze(&out[..from])),
                clauses.join(" "),
                squeeze(&out[to..])
            )
        }
        _ => {
            let statement = without_or_replace(&squeeze(&out));
            let upper = statement.to_ascii_uppercase();
            match upper.find(" EXECUTE PROCEDURE ") {
                Some(at)
                    if upper.starts_with("CREATE TRIGGER ")
                        || upper.starts_with("CREATE CONSTRAINT TRIGGER ") =>
                {
                    format!(
                        "{} EXECUTE FUNCTION {}",
                        &statement[..at],
                        &statement[at + " EXECUTE PROCEDURE ".len()..]
                    )
                }
                _ => statement,
            }
        }
    }
}

/// A name PostgreSQL reads the same with or without double quotes: lower
/// case letters, digits and underscores, not starting with a digit.
fn is_plain_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `CREATE OR REPLACE x` as `CREATE x` (words already single-spaced).
fn without_or_replace(text: &str) -> String {
    const OR_REPLACE: &str = "CREATE OR REPLACE ";
    if text.len() >= OR_REPLACE.len() && text[..OR_REPLACE.len()].eq_ignore_ascii_case(OR_REPLACE) {
        format!("CREATE {}", &text[OR_REPLACE.len()..])
    } else {
        text.to_owned()
    }
}

/// Index just past the quoted token that starts at `i` (a doubled quote
/// is an escaped one; a backslash is a character, as in the SQL the
/// server prints).
fn skip_quoted(bytes: &[u8], i: usize, quote: u8) -> usize {
    crate::dialect::skip_quoted_with(bytes, i, quote, false)
}

/// An expression printed with every operation in parentheses, so that two
/// texts are equal exactly when the trees are (spans, which sqlparser's
/// `Debug` shows, aside).
fn grouped(expr: &Expr) -> String {
    match expr {
        Expr::BinaryOp { left, op, right } => {
            format!("({} {op} {})", grouped(left), grouped(right))
        }
        Expr::UnaryOp { op, expr } => format!("({op} {})", grouped(expr)),
        other => other.to_string(),
    }
}

/// Index just past the `)` that closes the `(` at `open` (quotes skipped).
fn closing_paren(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                i = skip_quoted(bytes, i, bytes[i]);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// `12`, `-3`, `4.50`: a decimal number and nothing else.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether two exclusion constraints are the same: the same name, and
/// definitions that say the same thing (expressions and the predicate
/// compared as [`sql_eq`] does: a dump's `WHERE ((x))` is the server's
/// `WHERE (x)`).
pub fn exclusion_eq(a: &Exclusion, b: &Exclusion) -> bool {
    a.name == b.name
        && match (exclusion_form(&a.sql), exclusion_form(&b.sql)) {
            (Some(left), Some(right)) => left == right,
            _ => squeeze(&a.sql) == squeeze(&b.sql),
        }
}

/// An `EXCLUDE ...` definition parsed, its expressions without grouping.
fn exclusion_form(sql: &str) -> Option<sqlparser::ast::ExcludeConstraint> {
    use sqlparser::ast::{AlterTableOperation, Statement, TableConstraint};
    let statements = Parser::parse_sql(
        &sqlparser::dialect::PostgreSqlDialect {},
        &format!("ALTER TABLE t ADD {sql}"),
    )
    .ok()?;
    let [Statement::AlterTable(alter)] = statements.as_slice() else {
        return None;
    };
    let [
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::Exclude(exclude),
            ..
        },
    ] = alter.operations.as_slice()
    else {
        return None;
    };
    let mut exclude = exclude.clone();
    exclude.where_clause = exclude.where_clause.map(|e| Box::new(ungroup(*e)));
    for element in &mut exclude.elements {
        element.column.column.expr = ungroup(element.column.column.expr.clone());
    }
    Some(exclude)
}

/// `sql` (a check, an index expression, a partition key, an exclusion
/// constraint) with each column of `renames` (old → new) called by its new
/// name. Only whole identifiers are renamed: not a function of the same
/// name, not a name qualified by another (`other.code`), never inside a
/// string. A quoted name is matched exactly, a bare one without case, as
/// the engines fold it. Text that does not tokenize is left as it is.
pub fn rename_columns(sql: &str, renames: &std::collections::BTreeMap<String, String>) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return sql.to_owned();
    };
    let significant = |index: usize| !matches!(tokens[index], Token::Whitespace(_));
    let mut out = String::with_capacity(sql.len());
    for (index, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else {
            out.push_str(&token.to_string());
            continue;
        };
        let previous = (0..index)
            .rev()
            .find(|&i| significant(i))
            .map(|i| &tokens[i]);
        let next = (index + 1..tokens.len())
            .find(|&i| significant(i))
            .map(|i| &tokens[i]);
        let renamed = renames.iter().find(|(from, _)| match word.quote_style {
            Some(_) => word.value == **from,
            None => word.value.eq_ignore_ascii_case(from),
        });
        match renamed {
            Some((_, to))
                if !matches!(next, Some(Token::LParen))
                    && !matches!(previous, Some(Token::Period)) =>
            {
                let bare = to
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                    && to
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                match word.quote_style {
                    Some(quote) => {
                        let end = if quote == '[' { ']' } else { quote };
                        out.push(quote);
                        out.push_str(&to.replace(end, &format!("{end}{end}")));
                        out.push(end);
                    }
                    None if bare => out.push_str(to),
                    None => out.push_str(&format!("\"{}\"", to.replace('"', "\"\""))),
                }
            }
            _ => out.push_str(&token.to_string()),
        }
    }
    out
}

/// SQL text whose equality is [`sql_eq`].
#[derive(Debug, Clone)]
pub struct Sql(pub String);

impl PartialEq for Sql {
    fn eq(&self, other: &Self) -> bool {
        sql_eq(&self.0, &other.0)
    }
}

/// An engine type name without case or spacing differences.
pub fn native(text: &Option<String>) -> Option<String> {
    text.as_ref().map(|t| {
        let collapsed = t
            .to_ascii_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut out = String::with_capacity(collapsed.len());
        for c in collapsed.chars() {
            if matches!(c, '(' | ')' | ',') && out.ends_with(' ') {
                out.pop();
            }
            if c == ' ' && (out.ends_with('(') || out.ends_with(',')) {
                continue;
            }
            out.push(c);
        }
        out
    })
}

/// The usual synonyms of engine type names, in [`native`]'s form:
/// `int4` → `integer`, `varchar(10)` → `character varying(10)`. Applied to
/// both sides of a comparison, so a name and its synonym compare equal.
fn synonym(native: &str) -> String {
    let (base, rest) = match native.find('(') {
        Some(open) => (&native[..open], &native[open..]),
        None => (native, ""),
    };
    let base = match base.trim() {
        "int2" | "smallint" => "smallint",
        "int4" | "int" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "float4" | "real" => "real",
        "float8" | "double precision" | "double" => "double precision",
        "bool" | "boolean" => "boolean",
        "varchar" | "character varying" | "char varying" => "character varying",
        "char" | "character" | "bpchar" => "character",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timestamp" | "timestamp without time zone" => "timestamp without time zone",
        "timetz" | "time with time zone" => "time with time zone",
        "time" | "time without time zone" => "time without time zone",
        "varbit" | "bit varying" => "bit varying",
        other => other,
    };
    // `timestamp(3) with time zone`: the words after the modifier count too.
    match rest.split_once(')') {
        Some((modifier, tail)) if !tail.trim().is_empty() => {
            let tail = tail.trim();
            let base = match (base, tail) {
                ("timestamp without time zone", "with time zone") => "timestamp with time zone",
                ("time without time zone", "with time zone") => "time with time zone",
                (base, _) => base,
            };
            format!("{base}{modifier})")
        }
        _ => format!("{base}{rest}"),
    }
}

/// The native type of `field` as it matters for a comparison: lower-case,
/// spacing and synonyms aside; `None` when it only spells out the portable
/// type's canonical type on `engine` (on every SQL engine when the manifest
/// names none), as `int4` does for `int32` on PostgreSQL.
pub fn effective_native(field: &Field, engine: Option<SourceEngine>) -> Option<String> {
    let written = synonym(&native(&field.native)?);
    if field.ty == FieldType::Native {
        return Some(written);
    }
    let mut bare = field.clone();
    bare.native = None;
    let canonicals: Vec<String> = match engine {
        Some(SourceEngine::Postgres | SourceEngine::Supabase) => {
            vec![crate::dialect::postgres::PostgresDialect.canonical_type(&bare)]
        }
        Some(SourceEngine::Mysql) => {
            vec![crate::dialect::mysql::MysqlDialect.canonical_type(&bare)]
        }
        Some(SourceEngine::Sqlite) => vec![crate::dialect::SqliteDialect.canonical_type(&bare)],
        _ => vec![
            crate::dialect::postgres::PostgresDialect.canonical_type(&bare),
            crate::dialect::mysql::MysqlDialect.canonical_type(&bare),
            crate::dialect::SqliteDialect.canonical_type(&bare),
        ],
    };
    let canonical = canonicals
        .iter()
        .any(|c| native(&Some(c.clone())).is_some_and(|c| synonym(&c) == written));
    (!canonical).then_some(written)
}

/// `entity` with each unnamed one-field unique constraint said on its
/// field (`unique = true`), the form introspection reads it back in.
pub fn uniques(entity: &Entity) -> Cow<'_, Entity> {
    let single = |u: &crate::manifest::Unique| {
        u.name.is_none() && u.fields.len() == 1 && u.options.is_empty()
    };
    if !entity.uniques.iter().any(single) {
        return Cow::Borrowed(entity);
    }
    let mut entity = entity.clone();
    let (moved, kept): (Vec<_>, Vec<_>) = entity.uniques.drain(..).partition(single);
    entity.uniques = kept;
    for unique in moved {
        if let Some(field) = entity.fields.get_mut(&unique.fields[0]) {
            field.unique = true;
        }
    }
    Cow::Owned(entity)
}

/// `old` and `new` with each plain unique index of one side said as a
/// unique constraint where the other side holds a unique constraint over
/// the same fields: `CREATE UNIQUE INDEX` and `UNIQUE (...)` enforce the
/// same thing, and tools pick either (Prisma Migrate makes indexes where a
/// manifest says constraints; MySQL and SQLite show some constraints as
/// indexes). Plain is a list of fields with no predicate, expression, sort
/// order, collation, prefix length, operator class, `INCLUDE`, `NULLS NOT
/// DISTINCT`, storage parameter or method other than btree. An index whose name the
/// other side also has as an index stays an index, so a unique index made
/// plain, or moved to other fields, is still a change.
pub fn unique_indexes<'a>(
    old: Cow<'a, Entity>,
    new: Cow<'a, Entity>,
) -> (Cow<'a, Entity>, Cow<'a, Entity>) {
    let old_said = as_constraints(&old, &new);
    let new_said = as_constraints(&new, &old);
    (
        old_said.map_or(old, Cow::Owned),
        new_said.map_or(new, Cow::Owned),
    )
}

/// `entity` with its plain unique indexes that `other` holds as unique
/// constraints said as `other` says them (on the field when it is one
/// field `other` marks `unique`); `None` when there are none.
fn as_constraints(entity: &Entity, other: &Entity) -> Option<Entity> {
    let held = |fields: &[String]| match fields {
        [single] if other.fields.get(single).is_some_and(|f| f.unique) => true,
        _ => other.uniques.iter().any(|u| u.fields == fields),
    };
    let said: Vec<(usize, Vec<String>)> = entity
        .indexes
        .iter()
        .enumerate()
        .filter(|(_, index)| !other.indexes.iter().any(|i| i.name == index.name))
        .filter_map(|(position, index)| Some((position, plain_unique_fields(index)?)))
        .filter(|(_, fields)| held(fields))
        .collect();
    if said.is_empty() {
        return None;
    }
    let mut entity = entity.clone();
    for (position, fields) in said.into_iter().rev() {
        let index = entity.indexes.remove(position);
        match fields.as_slice() {
            [single] if other.fields.get(single).is_some_and(|f| f.unique) => {
                if let Some(field) = entity.fields.get_mut(single) {
                    field.unique = true;
                }
            }
            _ => entity.uniques.push(Unique::new(Some(index.name), fields)),
        }
    }
    Some(entity)
}

/// The fields of `index` when it is a unique index that says no more than
/// a unique constraint over them could.
fn plain_unique_fields(index: &Index) -> Option<Vec<String>> {
    let plain = index.unique
        && index.predicate.is_none()
        && index.expire_after_seconds.is_none()
        && index
            .method
            .as_deref()
            .is_none_or(|method| method.eq_ignore_ascii_case("btree"))
        && index.options.operator_classes.iter().all(String::is_empty)
        && index.options.include.is_empty()
        && !index.options.nulls_not_distinct
        && index.options.storage_parameters.is_empty()
        && !index.options.invisible
        && index.options.comment.is_none();
    if !plain {
        return None;
    }
    index
        .fields
        .iter()
        .map(|part| match part {
            IndexPart::Field {
                field,
                order: None | Some(SortOrder::Asc),
                collation: None,
                prefix_length: None,
            } => Some(field.clone()),
            _ => None,
        })
        .collect()
}

/// Two foreign keys are the same when all but their names match and one of
/// them has no name (the engine named it).
pub fn relation_eq(a: &Relation, b: &Relation) -> bool {
    (a.name == b.name || a.name.is_none() || b.name.is_none())
        && a.fields == b.fields
        && a.references == b.references
        && a.on_delete == b.on_delete
        && a.on_update == b.on_update
        && a.deferrable == b.deferrable
        && a.deferred == b.deferred
}

pub fn default_eq(a: &Option<DefaultValue>, b: &Option<DefaultValue>) -> bool {
    use crate::manifest::Literal;
    match (a, b) {
        (Some(DefaultValue::Sql { sql: a }), Some(DefaultValue::Sql { sql: b })) => sql_eq(a, b),
        // `0` and `0.00` (a decimal default as MySQL prints it).
        (
            Some(DefaultValue::Literal(Literal::Int(i))),
            Some(DefaultValue::Literal(Literal::Float(f))),
        )
        | (
            Some(DefaultValue::Literal(Literal::Float(f))),
            Some(DefaultValue::Literal(Literal::Int(i))),
        ) => (*i as f64) == *f,
        _ => a == b,
    }
}

pub fn generated_eq(a: &Option<Generated>, b: &Option<Generated>) -> bool {
    match (a, b) {
        (
            Some(Generated::Computed { sql: a, stored: sa }),
            Some(Generated::Computed { sql: b, stored: sb }),
        ) => sa == sb && sql_eq(a, b),
        _ => a == b,
    }
}

/// Two indexes are the same when only the spelling of their SQL differs.
pub fn index_eq(a: &Index, b: &Index) -> bool {
    let parts_eq = a.fields.len() == b.fields.len()
        && a.fields.iter().zip(&b.fields).all(|pair| match pair {
            (
                IndexPart::Expression { sql: x, order: ox },
                IndexPart::Expression { sql: y, order: oy },
            ) => ox == oy && sql_eq(x, y),
            (x, y) => x == y,
        });
    a.name == b.name
        && a.unique == b.unique
        && parts_eq
        && match (&a.predicate, &b.predicate) {
            (Some(x), Some(y)) => sql_eq(x, y),
            (x, y) => x == y,
        }
        && a.method.as_deref().map(str::to_ascii_lowercase)
            == b.method.as_deref().map(str::to_ascii_lowercase)
        && a.expire_after_seconds == b.expire_after_seconds
        && a.options == b.options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_columns_are_renamed_as_whole_identifiers_only() {
        let renames: std::collections::BTreeMap<String, String> = [
            ("code".to_owned(), "ref".to_owned()),
            ("region".to_owned(), "Area".to_owned()),
        ]
        .into();
        for (before, after) in [
            ("LIST (region)", "LIST (\"Area\")"),
            (
                "EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (code IS NOT NULL)",
                "EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (ref IS NOT NULL)",
            ),
            // A function, a qualified name, a string and a longer word stay.
            (
                "code(x) > 0 AND t.code <> 'code' AND codes = \"code\"",
                "code(x) > 0 AND t.code <> 'code' AND codes = \"ref\"",
            ),
            ("lower((CODE)::text)", "lower((ref)::text)"),
        ] {
            assert_eq!(rename_columns(before, &renames), after, "{before}");
        }
    }

    #[test]
    fn a_dump_and_pg_get_expr_spell_the_same_expression_alike() {
        // Written by hand (or by another tool) | printed by PostgreSQL.
        for (written, printed) in [
            (
                "rating BETWEEN 1 AND 5",
                "((rating >= 1) AND (rating <= 5))",
            ),
            ("code LIKE 'A%'", "((code)::text ~~ 'A%'::text)"),
            ("code ILIKE 'a%'", "((code)::text ~~* 'a%'::text)"),
            ("code NOT LIKE 'x%'", "((code)::text !~~ 'x%'::text)"),
            (
                "status NOT IN ('a', 'b')",
                "((status)::text <> ALL ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
            ),
            ("balance >= -1", "(balance >= '-1'::integer)"),
            (
                "starts_on >= DATE '2020-01-01'",
                "(starts_on >= '2020-01-01'::date)",
            ),
            ("Price > 0", "(price > (0)::numeric)"),
            ("lower(Email)", "lower((email)::text)"),
        ] {
            assert!(sql_eq(written, printed), "{written} | {printed}");
        }
        // Not the same: a quoted name keeps its case, bounds differ.
        assert!(!sql_eq("\"Price\" > 0", "price > 0"));
        assert!(!sql_eq(
            "rating BETWEEN 1 AND 5",
            "rating >= 1 AND rating <= 6"
        ));
        assert!(!sql_eq("code LIKE 'A%'", "code NOT LIKE 'A%'"));
    }

    #[test]
    fn spellings_of_the_same_sql_are_equal() {
        assert!(sql_eq("now()", "CURRENT_TIMESTAMP"));
        assert!(sql_eq("now()", "CURRENT_TIMESTAMP(3)"));
        assert!(sql_eq("current_timestamp( 6 )", "now()"));
        assert!(!sql_eq("now()", "CURRENT_DATE"));
        assert!(sql_eq("(price >= 0)", "price>=0"));
        assert!(sql_eq("((a > 1) AND (b < 2))", "a > 1 AND b < 2"));
        assert!(!sql_eq("price > 0", "price >= 0"));
        // Grouping is kept by the tree, so different groupings differ.
        assert!(!sql_eq("(a + b) * c", "a + (b * c)"));
        // What PostgreSQL adds when it prints an expression back.
        assert!(sql_eq("lower(label)", "lower((label)::text)"));
        assert!(sql_eq(
            "price >= 0 AND price < 1000000",
            "((price >= (0)::numeric) AND (price < (1000000)::numeric))"
        ));
        assert!(sql_eq(
            "status IN ('a', 'b')",
            "(status = ANY (ARRAY['a'::text, 'b'::text]))"
        ));
        assert!(sql_eq("\"price\" >= 0", "`price` >= 0"));
        assert!(!sql_eq("lower(label)", "upper(label)"));
        assert_eq!(
            native(&Some("Character Varying( 10 )".into())),
            native(&Some("character varying(10)".into()))
        );
    }

    #[test]
    fn type_synonyms_and_canonical_spellings_are_no_difference() {
        let mut int = Field::new(FieldType::Int32);
        int.native = Some("int4".into());
        let postgres = Some(SourceEngine::Postgres);
        assert_eq!(effective_native(&int, postgres), None);
        int.native = Some("INTEGER".into());
        assert_eq!(effective_native(&int, postgres), None);
        let mut code = Field::new(FieldType::String);
        code.max_length = Some(3);
        code.native = Some("char(3)".into());
        let mut other = code.clone();
        other.native = Some("character(3)".into());
        assert_eq!(
            effective_native(&code, postgres),
            effective_native(&other, postgres)
        );
        assert_eq!(
            effective_native(&code, postgres).as_deref(),
            Some("character(3)")
        );
        let mut stamp = Field::new(FieldType::Timestamptz);
        stamp.native = Some("timestamptz(3)".into());
        let mut spelled = stamp.clone();
        spelled.native = Some("timestamp(3) with time zone".into());
        assert_eq!(
            effective_native(&stamp, postgres),
            effective_native(&spelled, postgres)
        );
        let mut year = Field::new(FieldType::Int32);
        year.native = Some("year".into());
        assert_eq!(effective_native(&year, postgres).as_deref(), Some("year"));
    }

    #[test]
    fn a_plain_unique_index_is_the_unique_constraint_over_its_fields() {
        let mut said = Entity::new("users");
        for name in ["email", "team", "handle"] {
            said.fields
                .insert(name.to_owned(), Field::new(FieldType::Text));
        }
        let mut made = said.clone();
        said.fields["email"].unique = true;
        said.uniques
            .push(Unique::new(None, vec!["team".into(), "handle".into()]));
        let index = |name: &str, fields: &[&str]| Index {
            name: name.to_owned(),
            fields: fields.iter().map(|f| IndexPart::field(*f)).collect(),
            unique: true,
            predicate: None,
            method: None,
            expire_after_seconds: None,
            options: Default::default(),
        };
        made.indexes = vec![
            index("users_email_key", &["email"]),
            index("users_team_handle_key", &["team", "handle"]),
        ];
        let (left, right) = unique_indexes(Cow::Borrowed(&made), Cow::Borrowed(&said));
        assert!(left.indexes.is_empty(), "{:?}", left.indexes);
        assert!(left.fields["email"].unique);
        assert_eq!(left.uniques[0].fields, ["team", "handle"]);
        assert_eq!(*right, said);
        // What a constraint cannot say stays an index.
        let mut partial = made.clone();
        partial.indexes[0].predicate = Some("email <> ''".into());
        partial.indexes[1].fields[1] = IndexPart::Field {
            field: "handle".into(),
            order: Some(SortOrder::Desc),
            collation: None,
            prefix_length: None,
        };
        let (left, _) = unique_indexes(Cow::Borrowed(&partial), Cow::Borrowed(&said));
        assert_eq!(left.indexes.len(), 2);
        // Other fields, or an index of the same name on the other side.
        let mut other = made.clone();
        other.indexes[1].fields.pop();
        let mut plain = said.clone();
        plain.indexes.push(Index {
            unique: false,
            ..index("users_email_key", &["email"])
        });
        let (left, _) = unique_indexes(Cow::Borrowed(&other), Cow::Borrowed(&plain));
        assert_eq!(left.indexes.len(), 2, "{:?}", left.indexes);
    }

    #[test]
    fn a_dumped_object_equals_the_catalog_s_print_of_it() {
        let catalog = "CREATE OR REPLACE FUNCTION public.f(a integer)\n RETURNS SETOF integer\n LANGUAGE sql\n IMMUTABLE SECURITY DEFINER\nAS $function$ SELECT a $function$";
        let dump = "CREATE FUNCTION public.f(a integer) RETURNS SETOF integer\n    LANGUAGE sql SECURITY DEFINER IMMUTABLE\n    AS $_$ SELECT a $_$;";
        assert!(statement_eq(catalog, dump));
        assert!(!statement_eq(
            catalog,
            &dump.replace("SELECT a", "SELECT a + 1")
        ));
        assert!(!statement_eq(catalog, &dump.replace("IMMUTABLE", "STABLE")));
        let catalog = "CREATE DOMAIN public.year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155)";
        let dump = "CREATE DOMAIN public.year AS integer\n\tCONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));";
        assert!(statement_eq(catalog, dump));
        // An older `pg_dump` (search path set, `EXECUTE PROCEDURE`) and a
        // Supabase dump (every name quoted) against the catalog's print.
        assert!(statement_eq(
            "CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$ BEGIN RETURN NEW; END $function$",
            "CREATE FUNCTION touch() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$ BEGIN RETURN NEW; END $$;"
        ));
        assert!(statement_eq(
            "CREATE OR REPLACE FUNCTION public.has(a uuid, r public.role)\n RETURNS boolean\n LANGUAGE sql\nAS $function$ SELECT \"public\".x $function$",
            "CREATE OR REPLACE FUNCTION \"public\".\"has\"(\"a\" \"uuid\", \"r\" \"public\".\"role\") RETURNS boolean\n    LANGUAGE \"sql\"\n    AS $$ SELECT \"public\".x $$;"
        ));
        assert!(!statement_eq(
            "CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS $$ SELECT public.x $$",
            "CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS $$ SELECT x $$"
        ));
        assert!(!statement_eq(
            "CREATE FUNCTION \"F\"() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$",
            "CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$"
        ));
        assert!(statement_eq(
            "CREATE TRIGGER t BEFORE INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION touch()",
            "CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE PROCEDURE public.touch();"
        ));
        assert!(!statement_eq(
            "CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch()",
            "CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE PROCEDURE touch()"
        ));
        assert!(!statement_eq(
            "CREATE DOMAIN d AS integer CHECK ((VALUE > 1 OR VALUE < 0) AND VALUE <> 5)",
            "CREATE DOMAIN d AS integer CHECK (VALUE > 1 OR (VALUE < 0 AND VALUE <> 5))"
        ));
    }
}
