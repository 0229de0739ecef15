//! Equality that ignores spelling: SQL expressions compared as parsed SQL,
//! engine type names without case and spacing, and the usual synonyms
//! (`now()` and `CURRENT_TIMESTAMP`), so equal things never show as changes.

use sqlparser::ast::Expr;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::manifest::{DefaultValue, Generated, Index, IndexPart};

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

fn parse(text: &str) -> Option<Expr> {
    let current_time = [
        "now()",
        "current_timestamp",
        "current_timestamp()",
        "localtimestamp",
        "transaction_timestamp()",
    ];
    let text = if current_time.contains(&squeeze(text).to_ascii_lowercase().as_str()) {
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

/// Drops grouping parentheses from the expressions that conditions and
/// defaults are made of; the tree itself keeps the grouping.
fn ungroup(expr: Expr) -> Expr {
    let boxed = |e: Box<Expr>| Box::new(ungroup(*e));
    match expr {
        Expr::Nested(inner) => ungroup(*inner),
        Expr::BinaryOp { left, op, right } => Expr::BinaryOp {
            left: boxed(left),
            op,
            right: boxed(right),
        },
        Expr::UnaryOp { op, expr } => Expr::UnaryOp {
            op,
            expr: boxed(expr),
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
        other => other,
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

pub fn default_eq(a: &Option<DefaultValue>, b: &Option<DefaultValue>) -> bool {
    match (a, b) {
        (Some(DefaultValue::Sql { sql: a }), Some(DefaultValue::Sql { sql: b })) => sql_eq(a, b),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_the_same_sql_are_equal() {
        assert!(sql_eq("now()", "CURRENT_TIMESTAMP"));
        assert!(sql_eq("(price >= 0)", "price>=0"));
        assert!(sql_eq("((a > 1) AND (b < 2))", "a > 1 AND b < 2"));
        assert!(!sql_eq("price > 0", "price >= 0"));
        // Grouping is kept by the tree, so different groupings differ.
        assert!(!sql_eq("(a + b) * c", "a + (b * c)"));
        assert_eq!(
            native(&Some("Character Varying( 10 )".into())),
            native(&Some("character varying(10)".into()))
        );
    }
}
