//! Tokens → the syntax tree of one Prisma schema file, by recursive descent.
//!
//! The parser reports every problem it can: after an error it skips to the
//! end of the line (or the block) and goes on. What it could read is kept, so
//! the builder can report unknown types and fields in the rest of the file.

use std::ops::Range;

use super::lexer::{Token, TokenKind, tokenize};
use crate::manifest::diagnostics::closest;
use crate::parse::MAX_NESTING;

/// One parsed file: its blocks in source order.
#[derive(Debug, Clone, Default)]
pub(super) struct SchemaAst {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockKind {
    Model,
    View,
    Type,
    Enum,
    Datasource,
    Generator,
}

impl BlockKind {
    const KEYWORDS: &'static [&'static str] =
        &["model", "view", "type", "enum", "datasource", "generator"];

    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "model" => Self::Model,
            "view" => Self::View,
            "type" => Self::Type,
            "enum" => Self::Enum,
            "datasource" => Self::Datasource,
            "generator" => Self::Generator,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::View => "view",
            Self::Type => "type",
            Self::Enum => "enum",
            Self::Datasource => "datasource",
            Self::Generator => "generator",
        }
    }
}

/// A name and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ident {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct Block {
    pub kind: BlockKind,
    pub name: Ident,
    pub docs: Vec<String>,
    /// Fields of a model, view or composite type.
    pub fields: Vec<FieldDecl>,
    /// Values of an enum.
    pub values: Vec<EnumValueDecl>,
    /// `key = value` entries of a datasource or generator.
    pub entries: Vec<Entry>,
    /// `@@` attributes.
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arity {
    Required,
    Optional,
    List,
}

#[derive(Debug, Clone)]
pub(super) struct TypeRef {
    pub name: Ident,
    /// The arguments of `Unsupported("...")`.
    pub arguments: Option<Vec<Argument>>,
    pub arity: Arity,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct FieldDecl {
    pub name: Ident,
    pub ty: TypeRef,
    pub attributes: Vec<Attribute>,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct EnumValueDecl {
    pub name: Ident,
    pub attributes: Vec<Attribute>,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub key: Ident,
    pub value: Expr,
}

/// `@name(args)` or `@@name(args)`; `name` may be dotted (`db.VarChar`).
#[derive(Debug, Clone)]
pub(super) struct Attribute {
    pub name: String,
    /// A block attribute (`@@`), not a field attribute (`@`).
    pub block: bool,
    /// The whole attribute, from `@` to its closing parenthesis.
    pub span: Range<usize>,
    /// The name, from `@`.
    pub name_span: Range<usize>,
    pub arguments: Vec<Argument>,
}

#[derive(Debug, Clone)]
pub(super) struct Argument {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(super) enum Expr {
    String(String, Range<usize>),
    /// The number as written.
    Number(String, Range<usize>),
    /// A bare name: `true`, `Cascade`, an enum value, a field name.
    Ident(Ident),
    Array(Vec<Expr>, Range<usize>),
    /// `{ published: true }`: the object filter of `where:`.
    Object(Vec<Argument>, Range<usize>),
    Call {
        name: Ident,
        arguments: Vec<Argument>,
        span: Range<usize>,
    },
}

impl Attribute {
    /// The attribute as written, for messages: `@@index`, `@db.VarChar`.
    pub fn display(&self) -> String {
        let prefix = if self.block { "@@" } else { "@" };
        format!("{prefix}{}", self.name)
    }
}

impl Expr {
    pub fn span(&self) -> Range<usize> {
        match self {
            Expr::String(_, span)
            | Expr::Number(_, span)
            | Expr::Array(_, span)
            | Expr::Object(_, span)
            | Expr::Call { span, .. } => span.clone(),
            Expr::Ident(ident) => ident.span.clone(),
        }
    }

    /// A short description for messages: `a string`, `a list`, ...
    pub fn describe(&self) -> &'static str {
        match self {
            Expr::String(..) => "a string",
            Expr::Number(..) => "a number",
            Expr::Ident(_) => "a name",
            Expr::Array(..) => "a list",
            Expr::Object(..) => "an object",
            Expr::Call { .. } => "a function call",
        }
    }
}

/// A syntax error: where and what, with an optional hint.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Parses one file. Always returns a tree (possibly partial) and the errors.
pub(super) fn parse(text: &str) -> (SchemaAst, Vec<SyntaxError>) {
    let (tokens, lex_errors) = tokenize(text);
    let mut parser = Parser {
        text,
        tokens,
        position: 0,
        nesting: 0,
        errors: lex_errors
            .into_iter()
            .map(|e| SyntaxError {
                span: e.span,
                message: e.message,
                help: None,
            })
            .collect(),
    };
    let ast = parser.schema();
    let mut errors = parser.errors;
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup();
    (ast, errors)
}

/// The parse failed here; the error is already recorded.
struct Failed;

type Parsed<T> = Result<T, Failed>;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    position: usize,
    /// Depth of `(` and `[`: newlines inside them are not line ends.
    nesting: usize,
    errors: Vec<SyntaxError>,
}

impl Parser<'_> {
    // -- token access -------------------------------------------------------

    fn skip_insignificant(&mut self) {
        while self.nesting > 0
            && matches!(
                self.tokens.get(self.position).map(|t| &t.kind),
                Some(TokenKind::Newline | TokenKind::Doc(_))
            )
        {
            self.position += 1;
        }
    }

    fn peek(&mut self) -> &Token {
        self.skip_insignificant();
        self.token_at(self.position)
    }

    fn token_at(&self, index: usize) -> &Token {
        // The token list always ends with `Eof`, and the parser never moves
        // past it.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[index.min(last)]
    }

    fn peek_kind(&mut self) -> TokenKind {
        self.peek().kind.clone()
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.position += 1;
        }
        token
    }

    fn at(&mut self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    fn eat(&mut self, kind: &TokenKind) -> Option<Token> {
        if self.at(kind) {
            Some(self.next())
        } else {
            None
        }
    }

    fn text_of(&self, span: &Range<usize>) -> &str {
        self.text.get(span.clone()).unwrap_or_default()
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) -> Failed {
        self.errors.push(SyntaxError {
            span,
            message: message.into(),
            help: None,
        });
        Failed
    }

    fn error_with_help(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Failed {
        self.errors.push(SyntaxError {
            span,
            message: message.into(),
            help: Some(help.into()),
        });
        Failed
    }

    /// An error at the next token: `expected X, found Y`.
    fn expected(&mut self, what: &str) -> Failed {
        let token = self.peek().clone();
        match token.kind {
            // The lexer has reported it already.
            TokenKind::Unknown => Failed,
            TokenKind::Eof => self.error(
                token.span,
                format!("unexpected end of file: expected {what}"),
            ),
            _ => {
                let found = self.describe(&token);
                self.error(token.span, format!("expected {what}, found {found}"))
            }
        }
    }

    fn describe(&self, token: &Token) -> String {
        match &token.kind {
            TokenKind::Ident => format!("`{}`", self.text_of(&token.span)),
            TokenKind::Number => format!("`{}`", self.text_of(&token.span)),
            TokenKind::String(_) => "a string".to_owned(),
            TokenKind::Doc(_) => "a doc comment".to_owned(),
            TokenKind::Newline => "the end of the line".to_owned(),
            TokenKind::Eof => "the end of the file".to_owned(),
            TokenKind::Unknown => format!("`{}`", self.text_of(&token.span)),
            other => format!("`{}`", punctuation(other)),
        }
    }

    fn ident(&mut self, what: &str) -> Parsed<Ident> {
        if self.at(&TokenKind::Ident) {
            let token = self.next();
            Ok(Ident {
                name: self.text_of(&token.span).to_owned(),
                span: token.span,
            })
        } else {
            Err(self.expected(what))
        }
    }

    /// Skips to the end of the current line, over anything bracketed that
    /// started on it, without consuming the `}` of the enclosing block.
    fn recover_line(&mut self) {
        self.nesting = 0;
        let mut depth = 0usize;
        loop {
            let kind = self.token_at(self.position).kind.clone();
            match kind {
                TokenKind::Eof => return,
                TokenKind::Newline if depth == 0 => return,
                TokenKind::RightBrace if depth == 0 => return,
                TokenKind::LeftParen | TokenKind::LeftBracket => depth += 1,
                TokenKind::RightParen | TokenKind::RightBracket => {
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
            self.position += 1;
        }
    }

    /// Whether the next token is a block keyword (`model`, `enum`, ...).
    fn at_block_keyword(&mut self) -> bool {
        let span = self.peek().span.clone();
        BlockKind::parse(self.text_of(&span)).is_some()
    }

    /// Whether a new block starts at the current token: `keyword Name {`.
    fn at_block_start(&self) -> bool {
        let mut index = self.position;
        let keyword = self.token_at(index);
        if keyword.kind != TokenKind::Ident
            || BlockKind::parse(self.text_of(&keyword.span)).is_none()
        {
            return false;
        }
        index += 1;
        if self.token_at(index).kind != TokenKind::Ident {
            return false;
        }
        index += 1;
        self.token_at(index).kind == TokenKind::LeftBrace
    }

    // -- grammar ------------------------------------------------------------

    fn schema(&mut self) -> SchemaAst {
        let mut ast = SchemaAst::default();
        let mut docs = Vec::new();
        loop {
            match self.peek_kind() {
                TokenKind::Eof => break,
                TokenKind::Newline => {
                    self.next();
                }
                TokenKind::Doc(text) => {
                    self.next();
                    docs.push(text);
                }
                TokenKind::Ident if self.at_block_keyword() => {
                    let docs = std::mem::take(&mut docs);
                    if let Ok(block) = self.block(docs) {
                        ast.blocks.push(block);
                    }
                }
                _ => {
                    docs.clear();
                    let token = self.peek().clone();
                    let found = self.describe(&token);
                    let word = self.text_of(&token.span).to_owned();
                    let message = format!(
                        "expected a block (`model`, `enum`, `view`, `type`, `datasource` or `generator`), found {found}"
                    );
                    match (token.kind == TokenKind::Ident)
                        .then(|| closest(&word, BlockKind::KEYWORDS))
                        .flatten()
                    {
                        Some(best) => {
                            self.error_with_help(
                                token.span,
                                message,
                                format!("did you mean `{best}`?"),
                            );
                        }
                        None => {
                            self.error(token.span, message);
                        }
                    }
                    self.recover_top_level();
                }
            }
        }
        ast
    }

    /// Skips a broken top-level construct: up to the `}` that closes what it
    /// opened, or to the next line that starts a block.
    fn recover_top_level(&mut self) {
        self.nesting = 0;
        let mut depth = 0usize;
        loop {
            let kind = self.token_at(self.position).kind.clone();
            match kind {
                TokenKind::Eof => return,
                TokenKind::LeftBrace => depth += 1,
                TokenKind::RightBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.position += 1;
                        return;
                    }
                }
                TokenKind::Newline => {
                    self.position += 1;
                    if self.at_block_start() {
                        return;
                    }
                    continue;
                }
                _ => {}
            }
            self.position += 1;
        }
    }

    fn block(&mut self, docs: Vec<String>) -> Parsed<Block> {
        let keyword = self.next();
        let Some(kind) = BlockKind::parse(self.text_of(&keyword.span)) else {
            return Err(self.error(keyword.span, "expected a block keyword"));
        };
        let name = match self.ident(&format!("a name after `{}`", kind.keyword())) {
            Ok(name) => name,
            Err(failed) => {
                self.recover_top_level();
                return Err(failed);
            }
        };
        if kind == BlockKind::Type && self.at(&TokenKind::Equals) {
            let span = self.peek().span.clone();
            let failed = self.error_with_help(
                span,
                format!(
                    "type aliases (`type {} = ...`) are not supported",
                    name.name
                ),
                "Prisma removed type aliases; write the type and its attributes on each field",
            );
            self.recover_line();
            return Err(failed);
        }
        if self.eat(&TokenKind::LeftBrace).is_none() {
            let failed = self.expected(&format!("`{{` to open {} `{}`", kind.keyword(), name.name));
            self.recover_top_level();
            return Err(failed);
        }
        let mut block = Block {
            kind,
            name,
            docs,
            fields: Vec::new(),
            values: Vec::new(),
            entries: Vec::new(),
            attributes: Vec::new(),
        };
        self.block_body(&mut block);
        Ok(block)
    }

    fn block_body(&mut self, block: &mut Block) {
        let mut docs = Vec::new();
        loop {
            match self.peek_kind() {
                TokenKind::RightBrace => {
                    self.next();
                    return;
                }
                TokenKind::Eof => {
                    let span = self.peek().span.clone();
                    self.error_with_help(
                        span,
                        format!(
                            "unexpected end of file: {} `{}` is not closed",
                            block.kind.keyword(),
                            block.name.name
                        ),
                        "add `}` after its last line",
                    );
                    return;
                }
                TokenKind::Newline => {
                    self.next();
                }
                TokenKind::Doc(text) => {
                    self.next();
                    docs.push(text);
                }
                _ if self.at_block_start() => {
                    let span = self.peek().span.clone();
                    let next = self.text_of(&span).to_owned();
                    self.error_with_help(
                        span,
                        format!(
                            "expected `}}` to close {} `{}` before this `{next}`",
                            block.kind.keyword(),
                            block.name.name
                        ),
                        format!("add `}}` after the last line of `{}`", block.name.name),
                    );
                    return;
                }
                TokenKind::AtAt => {
                    docs.clear();
                    match self.attribute(TokenKind::AtAt) {
                        Ok(attribute) => {
                            block.attributes.push(attribute);
                            self.end_of_line();
                        }
                        Err(Failed) => self.recover_line(),
                    }
                }
                _ => {
                    let docs = std::mem::take(&mut docs);
                    let result = match block.kind {
                        BlockKind::Model | BlockKind::View | BlockKind::Type => {
                            self.field(docs).map(|field| block.fields.push(field))
                        }
                        BlockKind::Enum => self.enum_value(docs).map(|v| block.values.push(v)),
                        BlockKind::Datasource | BlockKind::Generator => {
                            self.entry().map(|entry| block.entries.push(entry))
                        }
                    };
                    match result {
                        Ok(()) => self.end_of_line(),
                        Err(Failed) => self.recover_line(),
                    }
                }
            }
        }
    }

    /// After a complete line: only a newline, `}` or the end may follow.
    fn end_of_line(&mut self) {
        match self.peek_kind() {
            TokenKind::Newline | TokenKind::RightBrace | TokenKind::Eof => {}
            TokenKind::Doc(_) => {
                // A trailing `///` comment: not attached to anything.
                self.next();
            }
            _ => {
                self.expected("the end of the line");
                self.recover_line();
            }
        }
    }

    fn field(&mut self, docs: Vec<String>) -> Parsed<FieldDecl> {
        let name = self.ident("a field name")?;
        if !self.at(&TokenKind::Ident) {
            let token = self.peek().clone();
            let found = self.describe(&token);
            let help = match token.kind {
                TokenKind::Equals | TokenKind::Colon => Some(format!(
                    "a field is written `{} Type`, without `{}`",
                    name.name,
                    punctuation(&token.kind)
                )),
                _ => None,
            };
            let message = format!("expected a field type after `{}`, found {found}", name.name);
            return Err(match help {
                Some(help) => self.error_with_help(token.span, message, help),
                None => self.error(token.span, message),
            });
        }
        let ty = self.type_ref()?;
        let mut attributes = Vec::new();
        while self.at(&TokenKind::At) {
            attributes.push(self.attribute(TokenKind::At)?);
        }
        if self.at(&TokenKind::AtAt) {
            let span = self.peek().span.clone();
            return Err(self.error_with_help(
                span,
                "a block attribute (`@@`) must be on a line of its own",
                "move it below the fields, or use `@` for a field attribute",
            ));
        }
        Ok(FieldDecl {
            name,
            ty,
            attributes,
            docs,
        })
    }

    fn type_ref(&mut self) -> Parsed<TypeRef> {
        let name = self.ident("a field type")?;
        let start = name.span.start;
        let mut end = name.span.end;
        let arguments = if self.at(&TokenKind::LeftParen) {
            let (arguments, span) = self.arguments()?;
            end = span.end;
            Some(arguments)
        } else {
            None
        };
        let mut arity = Arity::Required;
        if let Some(open) = self.eat(&TokenKind::LeftBracket) {
            match self.eat(&TokenKind::RightBracket) {
                Some(close) => {
                    arity = Arity::List;
                    end = close.span.end;
                }
                None => {
                    let next = self.peek().clone();
                    let found = self.describe(&next);
                    return Err(self.error(
                        open.span.start..next.span.end,
                        format!("expected `]` after `[` in a list type, found {found}"),
                    ));
                }
            }
        }
        if let Some(question) = self.eat(&TokenKind::Question) {
            if arity == Arity::List {
                return Err(self.error_with_help(
                    question.span,
                    "a list type cannot be optional",
                    format!(
                        "write `{}[]`: an empty list stands for no values",
                        name.name
                    ),
                ));
            }
            arity = Arity::Optional;
            end = question.span.end;
        }
        Ok(TypeRef {
            name,
            arguments,
            arity,
            span: start..end,
        })
    }

    fn enum_value(&mut self, docs: Vec<String>) -> Parsed<EnumValueDecl> {
        let name = self.ident("an enum value")?;
        let mut attributes = Vec::new();
        while self.at(&TokenKind::At) {
            attributes.push(self.attribute(TokenKind::At)?);
        }
        Ok(EnumValueDecl {
            name,
            attributes,
            docs,
        })
    }

    fn entry(&mut self) -> Parsed<Entry> {
        let key = self.ident("a setting name")?;
        if self.eat(&TokenKind::Equals).is_none() {
            return Err(self.expected(&format!("`=` after `{}`", key.name)));
        }
        let value = self.expr()?;
        Ok(Entry { key, value })
    }

    fn attribute(&mut self, marker: TokenKind) -> Parsed<Attribute> {
        let at = self.next();
        let prefix = if marker == TokenKind::AtAt { "@@" } else { "@" };
        // The name must follow the `@` directly.
        let first = self.peek().clone();
        if first.kind != TokenKind::Ident || first.span.start != at.span.end {
            return Err(self.expected(&format!("an attribute name after `{prefix}`")));
        }
        let mut name = self.ident("an attribute name")?.name;
        let mut end = first.span.end;
        while self.at(&TokenKind::Dot) {
            self.next();
            let part = self.ident(&format!("a name after `{prefix}{name}.`"))?;
            name.push('.');
            name.push_str(&part.name);
            end = part.span.end;
        }
        let name_span = at.span.start..end;
        let mut arguments = Vec::new();
        // Arguments must follow the name directly: `@id (x)` is not a call.
        if self.at(&TokenKind::LeftParen) && self.peek().span.start == end {
            let (parsed, span) = self.arguments()?;
            arguments = parsed;
            end = span.end;
        }
        Ok(Attribute {
            name,
            block: marker == TokenKind::AtAt,
            span: at.span.start..end,
            name_span,
            arguments,
        })
    }

    /// `( [name:] expr, ... )`, possibly over several lines.
    fn arguments(&mut self) -> Parsed<(Vec<Argument>, Range<usize>)> {
        let open = self.next();
        self.check_depth(&open)?;
        self.nesting += 1;
        let result = self.argument_list(&open);
        self.nesting -= 1;
        result
    }

    fn argument_list(&mut self, open: &Token) -> Parsed<(Vec<Argument>, Range<usize>)> {
        let mut arguments = Vec::new();
        loop {
            if let Some(close) = self.eat(&TokenKind::RightParen) {
                return Ok((arguments, open.span.start..close.span.end));
            }
            if self.at(&TokenKind::Eof) {
                let span = self.peek().span.clone();
                return Err(self.error_with_help(
                    span,
                    "unexpected end of file: expected `)`",
                    "close the argument list with `)`",
                ));
            }
            arguments.push(self.argument()?);
            if self.eat(&TokenKind::Comma).is_none() && !self.at(&TokenKind::RightParen) {
                return Err(self.expected("`,` or `)` in the argument list"));
            }
        }
    }

    fn argument(&mut self) -> Parsed<Argument> {
        let start = self.peek().span.start;
        let name = if self.at(&TokenKind::Ident) && self.token_after_peek_is(&TokenKind::Colon) {
            let name = self.ident("an argument name")?;
            self.next();
            Some(name)
        } else {
            None
        };
        let value = self.expr()?;
        let end = value.span().end;
        Ok(Argument {
            name,
            value,
            span: start..end,
        })
    }

    /// Refuses to open one more bracket past [`MAX_NESTING`]: each level is
    /// a recursive call, and the stack is not unlimited.
    fn check_depth(&mut self, open: &Token) -> Parsed<()> {
        if self.nesting < MAX_NESTING {
            return Ok(());
        }
        let span = open.span.clone();
        let failed = self.error_with_help(
            span,
            format!("brackets nested more than {MAX_NESTING} deep"),
            "no Prisma schema needs this; check that this is the file you meant",
        );
        // The caller's recovery skips the rest of the line, brackets and all.
        Err(failed)
    }

    /// Whether the token after the next one (skipping newlines in brackets) is `kind`.
    fn token_after_peek_is(&mut self, kind: &TokenKind) -> bool {
        self.skip_insignificant();
        let mut index = self.position + 1;
        while self.nesting > 0
            && matches!(
                self.token_at(index).kind,
                TokenKind::Newline | TokenKind::Doc(_)
            )
            && index < self.tokens.len()
        {
            index += 1;
        }
        &self.token_at(index).kind == kind
    }

    fn expr(&mut self) -> Parsed<Expr> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::String(value) => {
                self.next();
                Ok(Expr::String(value, token.span))
            }
            TokenKind::Number => {
                self.next();
                Ok(Expr::Number(
                    self.text_of(&token.span).to_owned(),
                    token.span,
                ))
            }
            TokenKind::Ident => {
                let mut name = self.ident("a value")?;
                // Dotted names appear in values such as `ops: raw("...")`
                // only as calls; accept `a.b` as one name anyway.
                while self.at(&TokenKind::Dot) {
                    self.next();
                    let part = self.ident("a name after `.`")?;
                    name.name.push('.');
                    name.name.push_str(&part.name);
                    name.span.end = part.span.end;
                }
                if self.at(&TokenKind::LeftParen) {
                    let (arguments, span) = self.arguments()?;
                    let span = name.span.start..span.end;
                    Ok(Expr::Call {
                        name,
                        arguments,
                        span,
                    })
                } else {
                    Ok(Expr::Ident(name))
                }
            }
            TokenKind::LeftBracket => {
                self.next();
                self.check_depth(&token)?;
                self.nesting += 1;
                let result = self.array_items(&token);
                self.nesting -= 1;
                result
            }
            TokenKind::LeftBrace => {
                self.next();
                self.check_depth(&token)?;
                self.nesting += 1;
                let result = self.object_entries(&token);
                self.nesting -= 1;
                result
            }
            _ => Err(self.expected("a value (a string, number, name, list or function call)")),
        }
    }

    /// `{ name: expr, ... }` after its `{`.
    fn object_entries(&mut self, open: &Token) -> Parsed<Expr> {
        let mut entries = Vec::new();
        loop {
            if let Some(close) = self.eat(&TokenKind::RightBrace) {
                return Ok(Expr::Object(entries, open.span.start..close.span.end));
            }
            if self.at(&TokenKind::Eof) {
                let span = self.peek().span.clone();
                return Err(self.error(span, "unexpected end of file: expected `}`"));
            }
            let entry = self.argument()?;
            if entry.name.is_none() {
                return Err(self.error(entry.span, "expected `name: value` in the object"));
            }
            entries.push(entry);
            if self.eat(&TokenKind::Comma).is_none() && !self.at(&TokenKind::RightBrace) {
                return Err(self.expected("`,` or `}` in the object"));
            }
        }
    }

    fn array_items(&mut self, open: &Token) -> Parsed<Expr> {
        let mut items = Vec::new();
        loop {
            if let Some(close) = self.eat(&TokenKind::RightBracket) {
                return Ok(Expr::Array(items, open.span.start..close.span.end));
            }
            if self.at(&TokenKind::Eof) {
                let span = self.peek().span.clone();
                return Err(self.error(span, "unexpected end of file: expected `]`"));
            }
            items.push(self.expr()?);
            if self.eat(&TokenKind::Comma).is_none() && !self.at(&TokenKind::RightBracket) {
                return Err(self.expected("`,` or `]` in the list"));
            }
        }
    }
}

fn punctuation(kind: &TokenKind) -> &'static str {
    match kind {
        TokenKind::LeftBrace => "{",
        TokenKind::RightBrace => "}",
        TokenKind::LeftParen => "(",
        TokenKind::RightParen => ")",
        TokenKind::LeftBracket => "[",
        TokenKind::RightBracket => "]",
        TokenKind::Comma => ",",
        TokenKind::Colon => ":",
        TokenKind::Equals => "=",
        TokenKind::Question => "?",
        TokenKind::Dot => ".",
        TokenKind::At => "@",
        TokenKind::AtAt => "@@",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> SchemaAst {
        let (ast, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:#?}");
        ast
    }

    #[test]
    fn brackets_nested_past_the_limit_are_an_error_at_the_position() {
        for (open, close) in [("dbgenerated(", ")"), ("[", "]")] {
            let depth = 10_000;
            let text = format!(
                "model A {{\n  id String @id @default({}{})\n  name String\n}}\n",
                open.repeat(depth),
                close.repeat(depth)
            );
            let (ast, errors) = parse(&text);
            assert_eq!(errors.len(), 1, "{errors:#?}");
            assert!(
                errors[0].message.contains("nested more than"),
                "{errors:#?}"
            );
            // At the bracket that went one level too deep.
            let at = "model A {\n  id String @id @default(".len() + (MAX_NESTING - 1) * open.len();
            assert_eq!(&text[errors[0].span.clone()], &open[open.len() - 1..]);
            assert_eq!(errors[0].span.start, at + open.len() - 1);
            // The parser goes on after the broken line.
            assert_eq!(ast.blocks[0].fields.len(), 1);
            assert_eq!(ast.blocks[0].fields[0].name.name, "name");
        }
    }

    #[test]
    fn a_model_with_fields_and_block_attributes() {
        let ast = parse_ok(
            "/// A user\nmodel User {\n  /// the key\n  id Int @id @default(autoincrement())\n  \
             tags String[]\n  name String? @db.VarChar(20)\n  @@map(\"users\")\n  \
             @@index([name(sort: Desc), id], map: \"i\")\n}\n",
        );
        let block = &ast.blocks[0];
        assert_eq!(block.kind, BlockKind::Model);
        assert_eq!(block.name.name, "User");
        assert_eq!(block.docs, ["A user"]);
        assert_eq!(block.fields.len(), 3);
        assert_eq!(block.fields[0].docs, ["the key"]);
        assert_eq!(block.fields[1].ty.arity, Arity::List);
        assert_eq!(block.fields[2].ty.arity, Arity::Optional);
        assert_eq!(block.fields[2].attributes[0].name, "db.VarChar");
        assert_eq!(block.attributes.len(), 2);
        assert_eq!(block.attributes[1].arguments.len(), 2);
    }

    #[test]
    fn arguments_may_span_lines() {
        let ast = parse_ok(
            "model A {\n  b B @relation(\n    fields: [bId],\n    references: [id]\n  )\n  bId Int\n}\n",
        );
        assert_eq!(ast.blocks[0].fields.len(), 2);
        assert_eq!(ast.blocks[0].fields[0].attributes[0].arguments.len(), 2);
    }

    #[test]
    fn a_missing_brace_is_reported_at_the_next_block() {
        let text = "model A {\n  id Int @id\n\nmodel B {\n  id Int @id\n}\n";
        let (ast, errors) = parse(text);
        assert_eq!(ast.blocks.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(&text[errors[0].span.clone()], "model");
        assert!(errors[0].message.contains("`A`"), "{}", errors[0].message);
    }

    #[test]
    fn every_broken_line_is_reported() {
        let text = "model A {\n  id\n  b Int @default(\n  c = 1\n  d Int\n  e Int @id x\n}\n";
        let (ast, errors) = parse(text);
        assert_eq!(ast.blocks[0].fields.len(), 2, "{:#?}", ast.blocks[0].fields);
        let at: Vec<&str> = errors.iter().map(|e| &text[e.span.clone()]).collect();
        assert_eq!(at, ["\n", "=", "x"], "{errors:#?}");
    }

    #[test]
    fn unknown_top_level_words_get_a_suggestion() {
        let (_, errors) = parse("modle A {\n  id Int\n}\nmodel B {\n id Int\n}\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `model`?"));
    }
}
