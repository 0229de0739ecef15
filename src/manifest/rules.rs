//! The rules language of `[entities.X.rules]` (DESIGN.md §5b "Rules"):
//! parsed once when the manifest is loaded, its names resolved against the
//! manifest ([`check`]); `serve::policy::rules` evaluates what is constant
//! per request and compiles the rest into the API's filter.
//!
//! ```text
//! rule     := or
//! or       := and ("||" and)*
//! and      := unary ("&&" unary)*
//! unary    := "!" unary | "(" or ")" | term
//! term     := operand [op operand]
//! op       := "=" | "==" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "!~" | "in"
//! operand  := literal | list | "@now" | "@auth." name ("." name)*
//!           | "@body." name | "@query." name | name ("." name)*   (a field, or a relation path)
//!             each optionally followed by ":isset", ":unchanged" or ":length"
//! literal  := 'text' | "text" | number | true | false | null
//! list     := "(" operand ("," operand)* ")" | "[" ... "]"    (after `in` only)
//! ```
//!
//! A bare term is a condition when it is `true`/`false`, a bool field, a
//! `:isset`/`:unchanged` modifier, or a value (true unless null or false).

use std::fmt;
use std::ops::Range;

use super::links::Link;
use super::model::{Entity, FieldType, Manifest};

/// Rules longer than this are refused (they are parsed by recursion).
pub const MAX_RULE_LENGTH: usize = 4096;
/// Nesting of groups and `!` in one rule.
pub const MAX_RULE_DEPTH: usize = 32;

/// A rule that does not parse or does not fit the manifest; `span` is a
/// byte range in the rule's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl RuleError {
    fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A boolean expression of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
    },
    /// A term standing alone (`published`, `@body.title:isset`, `true`).
    Truth(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    /// `~`: contains (case-insensitive; `%` and `_` are wildcards when given).
    Like,
    /// `!~`
    NotLike,
    In,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Neq => "!=",
            Self::Gt => ">",
            Self::Gte => ">=",
            Self::Lt => "<",
            Self::Lte => "<=",
            Self::Like => "~",
            Self::NotLike => "!~",
            Self::In => "in",
        }
    }

    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> Self {
        match self {
            Self::Gt => Self::Lt,
            Self::Gte => Self::Lte,
            Self::Lt => Self::Gt,
            Self::Lte => Self::Gte,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// The value was sent (`@body`, `@query`) or is set (`@auth`).
    Isset,
    /// Update only: the body leaves the field out or sends its stored value.
    Unchanged,
    /// Characters of a text, items of a list.
    Length,
}

impl Modifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Isset => "isset",
            Self::Unchanged => "unchanged",
            Self::Length => "length",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    pub kind: OperandKind,
    pub modifier: Option<Modifier>,
    /// Bytes of the rule's text.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperandKind {
    /// A string, number, boolean or `null` written in the rule.
    Literal(serde_json::Value),
    /// The items of `in (...)`.
    List(Vec<Operand>),
    /// The current time (UTC).
    Now,
    /// A claim of the caller: `@auth.id`, `@auth.role`, `@auth.org.id`.
    Auth(Vec<String>),
    /// A field of the request body.
    Body(String),
    /// A query-string parameter.
    Query(String),
    /// A field or relation path as written; [`check`] turns it into [`Self::Row`].
    Path(Vec<String>),
    /// A field of the row, reached through `hops` (relation paths).
    Row(RowRef),
}

/// A field of the row an operation works on, or of a row related to it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRef {
    /// The relations followed, in order (empty: the entity's own field).
    pub hops: Vec<Hop>,
    /// The field's name in the last entity.
    pub field: String,
}

impl RowRef {
    /// The type of the field this path ends at, for a rule of `entity`.
    pub fn field_type(&self, manifest: &Manifest, entity: &str) -> Option<FieldType> {
        let entity = self.hops.last().map_or(entity, |hop| hop.entity.as_str());
        manifest
            .entities
            .get(entity)?
            .fields
            .get(&self.field)
            .map(|field| field.ty)
    }
}

/// One relation followed: rows of `entity` whose `to_fields` equal the
/// `from_fields` of the row before.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub entity: String,
    pub from_fields: Vec<String>,
    pub to_fields: Vec<String>,
}

/// Whether `:length` means something on a field of type `ty`: characters
/// of a string or text, items of an array or of a json array.
pub fn has_length(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::String | FieldType::Text | FieldType::Array | FieldType::Json
    )
}

/// Whether two fields of these types compare with `= != > >= < <=` alike
/// on every engine: the same scalar type, two numbers, or two texts.
pub fn comparable(a: FieldType, b: FieldType) -> bool {
    let scalar = |ty: FieldType| {
        !matches!(
            ty,
            FieldType::Json
                | FieldType::Object
                | FieldType::Array
                | FieldType::Bytes
                | FieldType::Native
                | FieldType::Interval
        )
    };
    let text = |ty: FieldType| matches!(ty, FieldType::String | FieldType::Text);
    scalar(a) && scalar(b) && (a == b || (a.is_numeric() && b.is_numeric()) || (text(a) && text(b)))
}

// ---- lexer ----

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Num(serde_json::Number),
    Ident(String),
    /// `@name`
    At(String),
    Dot,
    Colon,
    Comma,
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Not,
    And,
    Or,
    Op(CmpOp),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Str(_) => "a string".into(),
            Token::Num(n) => format!("`{n}`"),
            Token::Ident(name) => format!("`{name}`"),
            Token::At(name) => format!("`@{name}`"),
            Token::Dot => "`.`".into(),
            Token::Colon => "`:`".into(),
            Token::Comma => "`,`".into(),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
            Token::OpenBracket => "`[`".into(),
            Token::CloseBracket => "`]`".into(),
            Token::Not => "`!`".into(),
            Token::And => "`&&`".into(),
            Token::Or => "`||`".into(),
            Token::Op(op) => format!("`{}`", op.as_str()),
        }
    }
}

fn lex(text: &str) -> Result<Vec<(Token, Range<usize>)>, RuleError> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = |a: u8, b: u8| c == a && bytes.get(i + 1) == Some(&b);
        let (token, len) = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'\'' | b'"' => {
                let quote = c;
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    let Some(&b) = bytes.get(j) else {
                        return Err(
                            RuleError::new(start..text.len(), "this string is not closed")
                                .help(format!("end it with {}", quote as char)),
                        );
                    };
                    if b == quote {
                        break;
                    }
                    if b == b'\\'
                        && matches!(bytes.get(j + 1), Some(&q) if q == quote || q == b'\\')
                    {
                        value.push(bytes[j + 1] as char);
                        j += 2;
                        continue;
                    }
                    // Whole characters: `j` is always on a boundary here.
                    let ch = text[j..].chars().next().unwrap_or_default();
                    value.push(ch);
                    j += ch.len_utf8();
                }
                (Token::Str(value), j + 1 - i)
            }
            b'0'..=b'9' | b'-' if c != b'-' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                    j += 1;
                }
                let literal = &text[i..j];
                let number = literal
                    .parse::<i64>()
                    .ok()
                    .map(serde_json::Number::from)
                    .or_else(|| {
                        literal
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                    })
                    .ok_or_else(|| RuleError::new(i..j, format!("`{literal}` is not a number")))?;
                (Token::Num(number), j - i)
            }
            b'@' => {
                let j = ident_end(bytes, i + 1);
                if j == i + 1 {
                    return Err(RuleError::new(i..i + 1, "`@` must be followed by a name")
                        .help("write @auth.<claim>, @body.<field>, @query.<name> or @now"));
                }
                (Token::At(text[i + 1..j].to_owned()), j - i)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let j = ident_end(bytes, i);
                (Token::Ident(text[i..j].to_owned()), j - i)
            }
            _ if two(b'&', b'&') => (Token::And, 2),
            _ if two(b'|', b'|') => (Token::Or, 2),
            _ if two(b'!', b'=') => (Token::Op(CmpOp::Neq), 2),
            _ if two(b'!', b'~') => (Token::Op(CmpOp::NotLike), 2),
            _ if two(b'=', b'=') => (Token::Op(CmpOp::Eq), 2),
            _ if two(b'>', b'=') => (Token::Op(CmpOp::Gte), 2),
            _ if two(b'<', b'=') => (Token::Op(CmpOp::Lte), 2),
            b'=' => (Token::Op(CmpOp::Eq), 1),
            b'>' => (Token::Op(CmpOp::Gt), 1),
            b'<' => (Token::Op(CmpOp::Lt), 1),
            b'~' => (Token::Op(CmpOp::Like), 1),
            b'!' => (Token::Not, 1),
            b'.' => (Token::Dot, 1),
            b':' => (Token::Colon, 1),
            b',' => (Token::Comma, 1),
            b'(' => (Token::Open, 1),
            b')' => (Token::Close, 1),
            b'[' => (Token::OpenBracket, 1),
            b']' => (Token::CloseBracket, 1),
            _ => {
                let ch = text[i..].chars().next().unwrap_or_default();
                let help = match ch {
                    '&' => Some("`and` is written `&&`"),
                    '|' => Some("`or` is written `||`"),
                    _ => None,
                };
                let error = RuleError::new(
                    i..i + ch.len_utf8(),
                    format!("unexpected character `{}`", ch.escape_debug()),
                );
                return Err(match help {
                    Some(help) => error.help(help),
                    None => error,
                });
            }
        };
        i += len;
        tokens.push((token, start..i));
    }
    Ok(tokens)
}

fn ident_end(bytes: &[u8], mut j: usize) -> usize {
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        j += 1;
    }
    j
}

// ---- parser ----

/// Parses a rule's text (names are not checked: see [`check`]).
pub fn parse(text: &str) -> Result<Expr, RuleError> {
    if text.len() > MAX_RULE_LENGTH {
        return Err(RuleError::new(
            0..text.len(),
            format!(
                "the rule is {} bytes long; at most {MAX_RULE_LENGTH} are allowed",
                text.len()
            ),
        ));
    }
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(RuleError::new(0..text.len(), "the rule is empty")
            .help("write \"true\" to allow everyone, or leave the action out to allow no one"));
    }
    let mut parser = Parser {
        tokens,
        position: 0,
        end: text.len(),
        depth: 0,
    };
    let expr = parser.or()?;
    if let Some((token, span)) = parser.tokens.get(parser.position) {
        return Err(RuleError::new(
            span.clone(),
            format!("unexpected {} after a complete condition", token.describe()),
        )
        .help("join conditions with && or ||"));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<(Token, Range<usize>)>,
    position: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|(token, _)| token)
    }

    fn span(&self) -> Range<usize> {
        self.tokens
            .get(self.position)
            .map_or(self.end..self.end, |(_, span)| span.clone())
    }

    fn previous_end(&self) -> usize {
        self.position
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |(_, span)| span.end)
    }

    fn next(&mut self) -> Option<(Token, Range<usize>)> {
        let token = self.tokens.get(self.position).cloned();
        if token.is_some() {
            self.position += 1;
        }
        token
    }

    fn eat(&mut self, wanted: &Token) -> bool {
        if self.peek() == Some(wanted) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expected(&self, what: &str) -> RuleError {
        match self.tokens.get(self.position) {
            Some((token, span)) => RuleError::new(
                span.clone(),
                format!("expected {what}, found {}", token.describe()),
            ),
            None => RuleError::new(
                self.end..self.end,
                format!("expected {what}, but the rule ends here"),
            ),
        }
    }

    fn deeper(&mut self) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_RULE_DEPTH {
            return Err(RuleError::new(
                self.span(),
                format!("the rule nests deeper than {MAX_RULE_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut terms = vec![self.and()?];
        while self.eat(&Token::Or) {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut terms = vec![self.unary()?];
        while self.eat(&Token::And) {
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        match self.peek() {
            Some(Token::Not) => {
                self.position += 1;
                self.deeper()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Token::Open) => {
                let open = self.span();
                self.position += 1;
                self.deeper()?;
                let inner = self.or()?;
                self.depth -= 1;
                if !self.eat(&Token::Close) {
                    return Err(self
                        .expected("`)`")
                        .help(format!("the `(` at byte {} is not closed", open.start)));
                }
                Ok(inner)
            }
            _ => self.term(),
        }
    }

    fn term(&mut self) -> Result<Expr, RuleError> {
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token::Op(op)) => *op,
            Some(Token::Ident(word)) if word == "in" => CmpOp::In,
            _ => return Ok(Expr::Truth(left)),
        };
        self.position += 1;
        let right = if op == CmpOp::In {
            self.list_or_operand()?
        } else {
            self.operand()?
        };
        Ok(Expr::Compare { left, op, right })
    }

    fn list_or_operand(&mut self) -> Result<Operand, RuleError> {
        let close = match self.peek() {
            Some(Token::Open) => Token::Close,
            Some(Token::OpenBracket) => Token::CloseBracket,
            _ => return self.operand(),
        };
        let start = self.span().start;
        self.position += 1;
        let mut items = Vec::new();
        if !self.eat(&close) {
            loop {
                let item = self.operand()?;
                if matches!(item.kind, OperandKind::Path(_) | OperandKind::List(_)) {
                    return Err(RuleError::new(
                        item.span,
                        "the items of an `in` list are values, not fields",
                    )
                    .help("write literals or @auth/@body/@query values"));
                }
                items.push(item);
                if self.eat(&close) {
                    break;
                }
                if !self.eat(&Token::Comma) {
                    return Err(self.expected("`,` or the end of the list"));
                }
            }
        }
        Ok(Operand {
            kind: OperandKind::List(items),
            modifier: None,
            span: start..self.previous_end(),
        })
    }

    fn name(&mut self) -> Result<String, RuleError> {
        match self.next() {
            Some((Token::Ident(name), _)) => Ok(name),
            _ => {
                self.position = self.position.saturating_sub(1);
                Err(self.expected("a name"))
            }
        }
    }

    fn dotted(&mut self, first: String) -> Result<Vec<String>, RuleError> {
        let mut path = vec![first];
        while self.eat(&Token::Dot) {
            path.push(self.name()?);
        }
        Ok(path)
    }

    fn operand(&mut self) -> Result<Operand, RuleError> {
        let Some((token, span)) = self.next() else {
            return Err(self.expected("a value or a field"));
        };
        let start = span.start;
        let kind = match token {
            Token::Str(text) => OperandKind::Literal(serde_json::Value::String(text)),
            Token::Num(number) => OperandKind::Literal(serde_json::Value::Number(number)),
            Token::Ident(word) => match word.as_str() {
                "true" => OperandKind::Literal(serde_json::Value::Bool(true)),
                "false" => OperandKind::Literal(serde_json::Value::Bool(false)),
                "null" => OperandKind::Literal(serde_json::Value::Null),
                _ => OperandKind::Path(self.dotted(word)?),
            },
            Token::At(scope) => {
                let what = match scope.as_str() {
                    "now" => None,
                    "auth" | "body" | "query" => Some(scope.as_str()),
                    other => {
                        return Err(RuleError::new(span, format!("unknown `@{other}`")).help(
                            "rules know @auth.<claim>, @body.<field>, @query.<name> and @now",
                        ));
                    }
                };
                match what {
                    None => OperandKind::Now,
                    Some(what) => {
                        if !self.eat(&Token::Dot) {
                            return Err(self.expected(&format!("`.` and a name after `@{what}`")));
                        }
                        let first = self.name()?;
                        match what {
                            "auth" => OperandKind::Auth(self.dotted(first)?),
                            "body" => OperandKind::Body(first),
                            _ => OperandKind::Query(first),
                        }
                    }
                }
            }
            _ => {
                self.position -= 1;
                return Err(self.expected("a value or a field"));
            }
        };
        let modifier = if self.eat(&Token::Colon) {
            let (word, span) = match self.next() {
                Some((Token::Ident(word), span)) => (word, span),
                _ => {
                    self.position = self.position.saturating_sub(1);
                    return Err(self.expected("a modifier (isset, unchanged or length)"));
                }
            };
            Some(match word.as_str() {
                "isset" => Modifier::Isset,
                "unchanged" => Modifier::Unchanged,
                "length" => Modifier::Length,
                other => {
                    return Err(RuleError::new(span, format!("unknown modifier `:{other}`"))
                        .help("modifiers are :isset, :unchanged and :length"));
                }
            })
        } else {
            None
        };
        Ok(Operand {
            kind,
            modifier,
            span: start..self.previous_end(),
        })
    }
}

// ---- names ----

/// The action a rule is for: what its names may refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    List,
    View,
    Create,
    Update,
    Delete,
}

impl RuleAction {
    pub const ALL: [RuleAction; 5] = [
        Self::List,
        Self::View,
        Self::Create,
        Self::Update,
        Self::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::View => "view",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Parses `text` as the rule of `action` on `entity_name` and resolves its
/// names: fields, relation paths (through the manifest's relations) and
/// `@body` fields must exist, and each modifier must fit where it is used.
pub fn check(
    manifest: &Manifest,
    links: &std::collections::BTreeMap<String, Vec<Link>>,
    entity_name: &str,
    action: RuleAction,
    text: &str,
) -> Result<Expr, RuleError> {
    let mut expr = parse(text)?;
    let Some(entity) = manifest.entities.get(entity_name) else {
        return Err(RuleError::new(
            0..text.len(),
            format!("there is no entity `{entity_name}`"),
        ));
    };
    let checker = Checker {
        manifest,
        links,
        entity_name,
        entity,
        action,
    };
    checker.expr(&mut expr)?;
    Ok(expr)
}

/// Parses `text` as a rule about the caller alone (`[tenancy] admin`):
/// `@auth` claims, `@now` and literals; no field of a row, `@body` or
/// `@query`, since it is asked before any entity is.
pub fn check_caller_rule(text: &str) -> Result<Expr, RuleError> {
    let expr = parse(text)?;
    caller_only(&expr)?;
    Ok(expr)
}

fn caller_only(expr: &Expr) -> Result<(), RuleError> {
    match expr {
        Expr::And(terms) | Expr::Or(terms) => terms.iter().try_for_each(caller_only),
        Expr::Not(inner) => caller_only(inner),
        Expr::Truth(operand) => caller_operand(operand),
        Expr::Compare { left, right, .. } => {
            caller_operand(left)?;
            caller_operand(right)
        }
    }
}

fn caller_operand(operand: &Operand) -> Result<(), RuleError> {
    let span = operand.span.clone();
    match (&operand.kind, operand.modifier) {
        (OperandKind::Auth(_), None | Some(Modifier::Isset)) => Ok(()),
        (OperandKind::Literal(_) | OperandKind::Now, None) => Ok(()),
        (OperandKind::List(items), None) => items.iter().try_for_each(caller_operand),
        (OperandKind::Auth(_), Some(modifier)) => Err(RuleError::new(
            span,
            format!("`:{}` does not apply here: write `@auth.<claim>:isset` or compare the claim", modifier.as_str()),
        )),
        (OperandKind::Literal(_) | OperandKind::Now | OperandKind::List(_), Some(modifier)) => {
            Err(RuleError::new(
                span,
                format!("`:{}` applies to @auth values", modifier.as_str()),
            ))
        }
        (OperandKind::Path(_) | OperandKind::Row(_), _) => Err(RuleError::new(
            span,
            "the admin rule is about the caller, not a row: it cannot name a field",
        )
        .help("compare claims of the caller, e.g. `@auth.role = 'admin'`")),
        (OperandKind::Body(_) | OperandKind::Query(_), _) => Err(RuleError::new(
            span,
            "the admin rule is about the caller: it reads `@auth` claims and `@now`, not `@body` or `@query`",
        )
        .help("compare claims of the caller, e.g. `@auth.role = 'admin'`")),
    }
}

struct Checker<'a> {
    manifest: &'a Manifest,
    links: &'a std::collections::BTreeMap<String, Vec<Link>>,
    entity_name: &'a str,
    entity: &'a Entity,
    action: RuleAction,
}

impl Checker<'_> {
    fn expr(&self, expr: &mut Expr) -> Result<(), RuleError> {
        match expr {
            Expr::And(terms) | Expr::Or(terms) => terms.iter_mut().try_for_each(|t| self.expr(t)),
            Expr::Not(inner) => self.expr(inner),
            Expr::Truth(operand) => {
                self.operand(operand)?;
                match (&operand.kind, operand.modifier) {
                    (_, Some(Modifier::Length)) => Err(RuleError::new(
                        operand.span.clone(),
                        "a length is a number, not a condition",
                    )
                    .help("compare it: `@body.tags:length <= 5`")),
                    (OperandKind::Row(row), None) => {
                        let ty = row.field_type(self.manifest, self.entity_name);
                        if ty == Some(FieldType::Bool) {
                            Ok(())
                        } else {
                            Err(RuleError::new(
                                operand.span.clone(),
                                format!(
                                    "`{}` is not a bool field, so it is not a condition by itself",
                                    row.field
                                ),
                            )
                            .help("compare it with a value: `field = ...`"))
                        }
                    }
                    _ => Ok(()),
                }
            }
            Expr::Compare { left, op, right } => {
                self.operand(left)?;
                self.operand(right)?;
                for side in [&*left, &*right] {
                    if side.modifier == Some(Modifier::Unchanged) {
                        return Err(RuleError::new(
                            side.span.clone(),
                            "`:unchanged` is a condition by itself, not a value",
                        )
                        .help("write `@body.field:unchanged` alone"));
                    }
                }
                let is_row = |o: &Operand| matches!(o.kind, OperandKind::Row(_));
                self.row_sides(left, *op, right)?;
                if let OperandKind::List(_) = left.kind {
                    return Err(RuleError::new(
                        left.span.clone(),
                        "a list may only follow `in`",
                    ));
                }
                if *op != CmpOp::In && matches!(right.kind, OperandKind::List(_)) {
                    return Err(RuleError::new(
                        right.span.clone(),
                        "a list may only follow `in`",
                    ));
                }
                if *op == CmpOp::In && is_row(right) {
                    return Err(RuleError::new(
                        right.span.clone(),
                        "`in` takes a list or an @auth/@body/@query value on its right",
                    ));
                }
                if matches!(op, CmpOp::Like | CmpOp::NotLike) && is_row(right) {
                    return Err(RuleError::new(
                        right.span.clone(),
                        "the pattern of `~` is a value: write the field on the left",
                    ));
                }
                let null = |o: &Operand| {
                    matches!(o.kind, OperandKind::Literal(serde_json::Value::Null))
                        && o.modifier.is_none()
                };
                if !matches!(op, CmpOp::Eq | CmpOp::Neq) && (null(left) || null(right)) {
                    let at = if null(left) { left } else { right };
                    return Err(RuleError::new(
                        at.span.clone(),
                        format!(
                            "`null` can only be compared with = or !=, not {}",
                            op.as_str()
                        ),
                    ));
                }
                for side in [&*left, &*right] {
                    if let OperandKind::Row(row) = &side.kind
                        && matches!(op, CmpOp::Like | CmpOp::NotLike)
                        && !matches!(
                            row.field_type(self.manifest, self.entity_name),
                            Some(
                                FieldType::String
                                    | FieldType::Text
                                    | FieldType::Uuid
                                    | FieldType::Enum
                            )
                        )
                    {
                        return Err(RuleError::new(
                            side.span.clone(),
                            format!("`~` matches text, and `{}` is not a text field", row.field),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// A comparison with a field of the row on each side (`end_at >
    /// start_at`), or with the length of one (`tags:length > 0`): the
    /// types must compare alike on every engine, and two fields must be of
    /// one row (the entity's own, or one reached by the same path).
    fn row_sides(&self, left: &Operand, op: CmpOp, right: &Operand) -> Result<(), RuleError> {
        let length = |o: &Operand| {
            matches!(o.kind, OperandKind::Row(_)) && o.modifier == Some(Modifier::Length)
        };
        fn row(operand: &Operand) -> Option<&RowRef> {
            match &operand.kind {
                OperandKind::Row(row) => Some(row),
                _ => None,
            }
        }
        let span = left.span.start..right.span.end;
        if (length(left) || length(right))
            && !matches!(
                op,
                CmpOp::Eq | CmpOp::Neq | CmpOp::Gt | CmpOp::Gte | CmpOp::Lt | CmpOp::Lte
            )
        {
            return Err(RuleError::new(
                span,
                format!(
                    "the length of a field compares with = != > >= < <=, not {}",
                    op.as_str()
                ),
            ));
        }
        for (side, other) in [(left, right), (right, left)] {
            if length(side)
                && let OperandKind::Literal(value) = &other.kind
                && !value.is_number()
            {
                return Err(RuleError::new(
                    other.span.clone(),
                    "a length is a number: compare it with a number",
                ));
            }
        }
        let (Some(a), Some(b)) = (row(left), row(right)) else {
            return Ok(());
        };
        if a.hops != b.hops {
            return Err(RuleError::new(
                span,
                "the two fields of a comparison must be of one row: both of this entity, or both reached by the same relation path",
            ));
        }
        let ty = |o: &Operand, row: &RowRef| {
            if o.modifier == Some(Modifier::Length) {
                Some(FieldType::Int64)
            } else {
                row.field_type(self.manifest, self.entity_name)
            }
        };
        let (ta, tb) = (ty(left, a), ty(right, b));
        if let (Some(ta), Some(tb)) = (ta, tb)
            && !comparable(ta, tb)
        {
            let name = |o: &Operand, row: &RowRef, ty: FieldType| {
                if o.modifier == Some(Modifier::Length) {
                    format!("the length of `{}` is a number", row.field)
                } else {
                    format!("`{}` is {}", row.field, ty.as_str())
                }
            };
            return Err(RuleError::new(
                span,
                format!(
                    "these two cannot be compared: {} and {}",
                    name(left, a, ta),
                    name(right, b, tb)
                ),
            )
            .help("two fields compare when both are numbers, both texts, or of one type (not json, object, array, bytes, interval or native)"));
        }
        Ok(())
    }

    fn operand(&self, operand: &mut Operand) -> Result<(), RuleError> {
        let span = operand.span.clone();
        match (&operand.kind, operand.modifier) {
            (OperandKind::Path(_), Some(Modifier::Length)) => {}
            (OperandKind::Path(_), Some(modifier)) => {
                return Err(RuleError::new(
                    span,
                    format!(
                        "`:{}` applies to @auth, @body and @query values; a field of the row takes only `:length`",
                        modifier.as_str()
                    ),
                ));
            }
            (OperandKind::Literal(_) | OperandKind::Now | OperandKind::List(_), Some(m)) => {
                return Err(RuleError::new(
                    span,
                    format!(
                        "`:{}` applies to @auth, @body and @query values",
                        m.as_str()
                    ),
                ));
            }
            (OperandKind::Body(_), Some(Modifier::Unchanged))
                if self.action != RuleAction::Update =>
            {
                return Err(RuleError::new(
                    span,
                    format!(
                        "`:unchanged` compares the body with the stored row, so it only fits an update rule, not {}",
                        self.action.as_str()
                    ),
                ));
            }
            (OperandKind::Auth(_) | OperandKind::Query(_), Some(Modifier::Unchanged)) => {
                return Err(RuleError::new(
                    span,
                    "`:unchanged` applies to @body fields only",
                ));
            }
            _ => {}
        }
        match &mut operand.kind {
            OperandKind::List(items) => {
                for item in items {
                    self.operand(item)?;
                }
            }
            OperandKind::Body(name) => {
                if matches!(
                    self.action,
                    RuleAction::List | RuleAction::View | RuleAction::Delete
                ) {
                    return Err(RuleError::new(
                        span,
                        format!("a {} request has no body", self.action.as_str()),
                    ));
                }
                if !self.entity.fields.contains_key(name.as_str()) {
                    return Err(self.unknown_field(span, name, self.entity_name, self.entity));
                }
            }
            OperandKind::Path(path) => {
                let row = self.resolve(path, &span)?;
                if operand.modifier == Some(Modifier::Length) {
                    let ty = row.field_type(self.manifest, self.entity_name);
                    if let Some(ty) = ty.filter(|ty| !has_length(*ty)) {
                        return Err(RuleError::new(
                            span,
                            format!(
                                "`:length` counts the characters of a text or the items of an array, and `{}` is {}",
                                row.field,
                                ty.as_str()
                            ),
                        )
                        .help("`:length` fits string, text, array and json fields"));
                    }
                }
                operand.kind = OperandKind::Row(row);
            }
            _ => {}
        }
        Ok(())
    }

    fn unknown_field(
        &self,
        span: Range<usize>,
        name: &str,
        entity_name: &str,
        entity: &Entity,
    ) -> RuleError {
        let names: Vec<&str> = entity.fields.keys().map(String::as_str).collect();
        let error = RuleError::new(span, format!("`{entity_name}` has no field `{name}`"));
        match super::diagnostics::closest(name, &names) {
            Some(best) => error.help(format!("did you mean `{best}`?")),
            None => error.help(format!("its fields are: {}", names.join(", "))),
        }
    }

    /// A field or a relation path (`author.org_id`, through link names).
    fn resolve(&self, path: &[String], span: &Range<usize>) -> Result<RowRef, RuleError> {
        let mut hops = Vec::new();
        let mut entity_name = self.entity_name.to_owned();
        let mut entity = self.entity;
        let (last, through) = path
            .split_last()
            .ok_or_else(|| RuleError::new(span.clone(), "expected a field"))?;
        for step in through {
            let link = self
                .links
                .get(&entity_name)
                .and_then(|links| links.iter().find(|l| &l.name == step));
            let Some(link) = link else {
                let names: Vec<&str> = self
                    .links
                    .get(&entity_name)
                    .map(|links| links.iter().map(|l| l.name.as_str()).collect())
                    .unwrap_or_default();
                let error = RuleError::new(
                    span.clone(),
                    format!("`{entity_name}` has no relation `{step}`"),
                );
                return Err(match super::diagnostics::closest(step, &names) {
                    Some(best) => error.help(format!("did you mean `{best}`?")),
                    None if names.is_empty() => error.help(format!(
                        "`{entity_name}` has no relations; a path `a.b` follows a relation `a` to its field `b`"
                    )),
                    None => error.help(format!("its relations are: {}", names.join(", "))),
                });
            };
            if self.action == RuleAction::Create {
                return Err(RuleError::new(
                    span.clone(),
                    "a create rule sees the body only: relation paths are not available",
                )
                .help("compare @body fields, or check the related row in its own rules"));
            }
            hops.push(Hop {
                entity: link.to.clone(),
                from_fields: link.from_fields.clone(),
                to_fields: link.to_fields.clone(),
            });
            entity_name = link.to.clone();
            entity = self.manifest.entities.get(&entity_name).ok_or_else(|| {
                RuleError::new(span.clone(), format!("there is no entity `{entity_name}`"))
            })?;
        }
        if !entity.fields.contains_key(last.as_str()) {
            return Err(self.unknown_field(span.clone(), last, &entity_name, entity));
        }
        Ok(RowRef {
            hops,
            field: last.clone(),
        })
    }
}

/// Every rule of `manifest` that does not parse or fit: `(entity, action,
/// error)`.
pub fn problems(manifest: &Manifest) -> Vec<(String, RuleAction, RuleError)> {
    let mut found = Vec::new();
    if manifest.entities.values().all(|e| e.rules.is_empty()) {
        return found;
    }
    let links = super::links::links(manifest);
    for (name, entity) in &manifest.entities {
        for (action, text) in entity.rules.iter() {
            let Some(action) = RuleAction::parse(action) else {
                continue;
            };
            if let Err(error) = check(manifest, &links, name, action, text) {
                found.push((name.clone(), action, error));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        crate::manifest::load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1

[entities.org]
table = "org"
primary_key = ["id"]
[entities.org.fields]
id = { type = "int64" }
name = { type = "string" }

[entities.author]
table = "author"
primary_key = ["id"]
[entities.author.fields]
id = { type = "int64" }
org_id = { type = "int64" }
[[entities.author.relations]]
fields = ["org_id"]
references = { entity = "org", fields = ["id"] }

[entities.post]
table = "post"
primary_key = ["id"]
[entities.post.fields]
id = { type = "int64" }
title = { type = "string" }
published = { type = "bool" }
author_id = { type = "int64" }
[[entities.post.relations]]
fields = ["author_id"]
references = { entity = "author", fields = ["id"] }
"#
            .to_owned(),
        )
        .map(|loaded| loaded.manifest)
        .unwrap_or_else(|error| panic!("{error:?}"))
    }

    fn checked(action: RuleAction, text: &str) -> Result<Expr, RuleError> {
        let manifest = manifest();
        let links = crate::manifest::links::links(&manifest);
        check(&manifest, &links, "post", action, text)
    }

    #[test]
    fn precedence_is_not_over_and_over_or() {
        let expr = parse("a = 1 || !b = 2 && c").unwrap();
        let Expr::Or(terms) = expr else {
            panic!("{expr:?}")
        };
        assert!(matches!(terms[0], Expr::Compare { .. }));
        let Expr::And(inner) = &terms[1] else {
            panic!("{:?}", terms[1])
        };
        assert!(matches!(inner[0], Expr::Not(_)));
        assert!(matches!(inner[1], Expr::Truth(_)));
    }

    #[test]
    fn every_operator_and_operand_parses() {
        let text = "a = 1 && a == 1 && a != 'x' && a > 1.5 && a >= -2 && a < @now && a <= @query.x \
                    && a ~ \"b\" && a !~ 'c' && a in (1, 2, @auth.id) && a in [null] \
                    && @body.x:isset && @body.y:unchanged && @auth.tags:length > 1 && (true || false)";
        let expr = parse(text).unwrap();
        let Expr::And(terms) = expr else { panic!() };
        assert_eq!(terms.len(), 15);
    }

    #[test]
    fn syntax_errors_point_at_the_offending_bytes() {
        let cases: &[(&str, Range<usize>, &str)] = &[
            ("a = ", 4..4, "the rule ends here"),
            ("a = 1 &", 6..7, "unexpected character `&`"),
            ("a = 'x", 4..6, "not closed"),
            ("(a = 1", 6..6, "expected `)`"),
            ("a = 1 b = 2", 6..7, "after a complete condition"),
            ("@self.x = 1", 0..5, "unknown `@self`"),
            ("@body.x:fresh", 8..13, "unknown modifier"),
            ("a in (b)", 6..7, "values, not fields"),
            ("", 0..0, "empty"),
        ];
        for (text, span, message) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(&error.span, span, "{text}: {error:?}");
            assert!(error.message.contains(message), "{text}: {error:?}");
        }
    }

    #[test]
    fn depth_and_length_are_bounded() {
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
        let nots = format!("{}a", "!".repeat(40));
        assert!(parse(&nots).unwrap_err().message.contains("deeper"));
        let long = "a = 1 || ".repeat(1000) + "true";
        assert!(parse(&long).unwrap_err().message.contains("bytes long"));
    }

    #[test]
    fn names_resolve_through_fields_and_relations() {
        let expr = checked(RuleAction::Delete, "author.org.name = 'x'").unwrap();
        let Expr::Compare { left, .. } = expr else {
            panic!()
        };
        let OperandKind::Row(row) = left.kind else {
            panic!()
        };
        assert_eq!(row.field, "name");
        assert_eq!(row.hops.len(), 2);
        assert_eq!(row.hops[0].entity, "author");
        assert_eq!(row.hops[0].from_fields, ["author_id"]);
        assert_eq!(row.hops[1].entity, "org");
    }

    #[test]
    fn unknown_names_and_misplaced_modifiers_are_refused_where_written() {
        let cases: &[(RuleAction, &str, Range<usize>, &str)] = &[
            (
                RuleAction::List,
                "publishd = true",
                0..8,
                "has no field `publishd`",
            ),
            (
                RuleAction::List,
                "id = 1 || writer.id = 1",
                10..19,
                "no relation `writer`",
            ),
            (
                RuleAction::List,
                "author.orgg = 1",
                0..11,
                "`author` has no field `orgg`",
            ),
            (
                RuleAction::Create,
                "@body.titel = 'x'",
                0..11,
                "no field `titel`",
            ),
            (RuleAction::List, "@body.title = 'x'", 0..11, "has no body"),
            (
                RuleAction::Create,
                "@body.title:unchanged",
                0..21,
                "only fits an update",
            ),
            (
                RuleAction::Create,
                "author.org_id = 1",
                0..13,
                "relation paths",
            ),
            (RuleAction::List, "title", 0..5, "not a bool field"),
            (
                RuleAction::List,
                "title = author_id",
                0..17,
                "cannot be compared: `title` is string and `author_id` is int64",
            ),
            (
                RuleAction::List,
                "author.org_id = author_id",
                0..25,
                "must be of one row",
            ),
            (
                RuleAction::List,
                "author_id:length > 1",
                0..16,
                "`author_id` is int64",
            ),
            (
                RuleAction::List,
                "title:length ~ '1'",
                0..18,
                "compares with = != > >= < <=",
            ),
            (
                RuleAction::List,
                "title:length = 'x'",
                15..18,
                "compare it with a number",
            ),
            (
                RuleAction::List,
                "title:length = published",
                0..24,
                "the length of `title` is a number and `published` is bool",
            ),
            (
                RuleAction::List,
                "title:isset",
                0..11,
                "takes only `:length`",
            ),
            (
                RuleAction::List,
                "author_id ~ 'x'",
                0..9,
                "not a text field",
            ),
            (RuleAction::List, "title > null", 8..12, "only be compared"),
        ];
        for (action, text, span, message) in cases {
            let error = checked(*action, text).unwrap_err();
            assert_eq!(&error.span, span, "{text}: {error:?}");
            assert!(error.message.contains(message), "{text}: {error:?}");
        }
        assert!(
            checked(
                RuleAction::Update,
                "author_id = @auth.id && @body.author_id:unchanged"
            )
            .is_ok()
        );
        assert!(checked(RuleAction::List, "published || title ~ 'x'").is_ok());
        for fine in [
            "title:length <= 80 && id > author_id",
            "author.org.name:length > 1",
            "author.id = author.org_id",
            "id = title:length",
        ] {
            assert!(checked(RuleAction::Delete, fine).is_ok(), "{fine}");
        }
    }
}
