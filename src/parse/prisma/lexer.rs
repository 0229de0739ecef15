//! Prisma schema text → tokens with byte spans.
//!
//! Newlines are tokens: in Prisma a field, an enum value or a `key = value`
//! entry ends at the end of its line (inside brackets the parser skips them).
//! `//` comments are dropped; `///` doc comments are tokens, because they
//! become the `comment` of the next model, enum or field.

use std::ops::Range;

/// What a token is. Identifiers and numbers keep their text in the source
/// (read it back through the span); strings carry their unescaped value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    Ident,
    Number,
    String(String),
    /// A `///` comment, without the slashes and trimmed.
    Doc(String),
    Newline,
    LeftBrace,
    RightBrace,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Colon,
    Equals,
    Question,
    Dot,
    At,
    AtAt,
    /// A character that starts no token; already reported.
    Unknown,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

/// A problem found while tokenizing: where and what.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LexError {
    pub span: Range<usize>,
    pub message: String,
}

/// Splits `text` into tokens, ending with [`TokenKind::Eof`]. Problems are
/// returned beside the tokens: the lexer never stops early.
pub(super) fn tokenize(text: &str) -> (Vec<Token>, Vec<LexError>) {
    let mut lexer = Lexer {
        text,
        position: 0,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.errors)
}

struct Lexer<'a> {
    text: &'a str,
    position: usize,
    tokens: Vec<Token>,
    errors: Vec<LexError>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.text[self.position..].chars().nth(offset)
    }

    fn bump(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.position += ch.len_utf8();
        Some(ch)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: start..self.position,
        });
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(LexError {
            span,
            message: message.into(),
        });
    }

    fn run(&mut self) {
        while let Some(ch) = self.peek() {
            let start = self.position;
            match ch {
                '\n' => {
                    self.bump();
                    self.push(TokenKind::Newline, start);
                }
                c if c.is_whitespace() || c == '\u{feff}' => {
                    self.bump();
                }
                '/' if self.peek_at(1) == Some('/') => self.comment(start),
                '/' if self.peek_at(1) == Some('*') => self.block_comment(start),
                '"' => self.string(start),
                c if c.is_ascii_alphabetic() || c == '_' => {
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        self.bump();
                    }
                    self.push(TokenKind::Ident, start);
                }
                c if c.is_ascii_digit()
                    || (c == '-' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) =>
                {
                    self.number(start)
                }
                '@' => {
                    self.bump();
                    if self.peek() == Some('@') {
                        self.bump();
                        self.push(TokenKind::AtAt, start);
                    } else {
                        self.push(TokenKind::At, start);
                    }
                }
                _ => {
                    self.bump();
                    let kind = match ch {
                        '{' => TokenKind::LeftBrace,
                        '}' => TokenKind::RightBrace,
                        '(' => TokenKind::LeftParen,
                        ')' => TokenKind::RightParen,
                        '[' => TokenKind::LeftBracket,
                        ']' => TokenKind::RightBracket,
                        ',' => TokenKind::Comma,
                        ':' => TokenKind::Colon,
                        '=' => TokenKind::Equals,
                        '?' => TokenKind::Question,
                        '.' => TokenKind::Dot,
                        other => {
                            self.error(
                                start..self.position,
                                format!("unexpected character `{}`", other.escape_debug()),
                            );
                            TokenKind::Unknown
                        }
                    };
                    self.push(kind, start);
                }
            }
        }
        let end = self.text.len();
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: end..end,
        });
    }

    fn comment(&mut self, start: usize) {
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let body = &self.text[start..line_end];
        self.position = line_end;
        if let Some(doc) = body.strip_prefix("///") {
            self.push(TokenKind::Doc(doc.trim().to_owned()), start);
        }
    }

    /// `/* ... */`, which may span lines. A comment that spans lines ends
    /// the line it starts on (it stands for one newline), so that a field
    /// followed by such a comment still ends where its line does.
    fn block_comment(&mut self, start: usize) {
        let body_start = start + 2;
        match self.text[body_start..].find("*/") {
            Some(length) => {
                let end = body_start + length + 2;
                let newline = self.text[start..end].find('\n').map(|i| start + i);
                self.position = end;
                if let Some(at) = newline {
                    self.tokens.push(Token {
                        kind: TokenKind::Newline,
                        span: at..at + 1,
                    });
                }
            }
            None => {
                self.position = self.text.len();
                self.error(
                    start..start + 2,
                    "unterminated comment: `/*` has no closing `*/`",
                );
            }
        }
    }

    fn number(&mut self, start: usize) {
        if self.peek() == Some('-') {
            self.bump();
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E'))
            && (self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
                || (matches!(self.peek_at(1), Some('+' | '-'))
                    && self.peek_at(2).is_some_and(|c| c.is_ascii_digit())))
        {
            self.bump();
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        self.push(TokenKind::Number, start);
    }

    /// A double-quoted string on one line, with JSON-like escapes. An
    /// unterminated string is reported and becomes an [`TokenKind::Unknown`]
    /// token, so that the parser gives up the line without a second message.
    fn string(&mut self, start: usize) {
        self.bump();
        let mut value = String::new();
        let mut terminated = false;
        loop {
            let escape_start = self.position;
            match self.peek() {
                None | Some('\n') => {
                    self.error(
                        start..self.position,
                        "unterminated string: expected a closing `\"` before the end of the line",
                    );
                    break;
                }
                Some('"') => {
                    self.bump();
                    terminated = true;
                    break;
                }
                Some('\\') => {
                    self.bump();
                    match self.bump() {
                        Some('"') => value.push('"'),
                        Some('\\') => value.push('\\'),
                        Some('/') => value.push('/'),
                        Some('n') => value.push('\n'),
                        Some('r') => value.push('\r'),
                        Some('t') => value.push('\t'),
                        Some('b') => value.push('\u{8}'),
                        Some('f') => value.push('\u{c}'),
                        Some('0') => value.push('\0'),
                        Some('u') => match self.unicode_escape() {
                            Some(ch) => value.push(ch),
                            None => self.error(
                                escape_start..self.position,
                                "invalid unicode escape: expected `\\u` and four hex digits",
                            ),
                        },
                        Some('\n') | None => {
                            self.error(
                                start..self.position,
                                "unterminated string: expected a closing `\"` before the end of the line",
                            );
                            // Leave the newline for the parser.
                            if self.text[..self.position].ends_with('\n') {
                                self.position -= 1;
                            }
                            break;
                        }
                        Some(other) => {
                            self.error(
                                escape_start..self.position,
                                format!("unknown escape `\\{}` in a string", other.escape_debug()),
                            );
                            value.push(other);
                        }
                    }
                }
                Some(ch) => {
                    self.bump();
                    value.push(ch);
                }
            }
        }
        let kind = if terminated {
            TokenKind::String(value)
        } else {
            TokenKind::Unknown
        };
        self.push(kind, start);
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self.peek()?.to_digit(16)?;
            self.bump();
            code = code * 16 + digit;
        }
        char::from_u32(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let (tokens, errors) = tokenize(text);
        assert!(errors.is_empty(), "{errors:?}");
        tokens.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn fields_attributes_and_comments() {
        use TokenKind::*;
        assert_eq!(
            kinds("/// doc\nid Int? @db.VarChar(2) // x\n@@map(\"a\\\"b\")"),
            vec![
                Doc("doc".into()),
                Newline,
                Ident,
                Ident,
                Question,
                At,
                Ident,
                Dot,
                Ident,
                LeftParen,
                Number,
                RightParen,
                Newline,
                AtAt,
                Ident,
                LeftParen,
                String("a\"b".into()),
                RightParen,
                Eof,
            ]
        );
    }

    #[test]
    fn numbers_include_signs_decimals_and_exponents() {
        let text = "-1 2.5 3e10 4";
        let (tokens, _) = tokenize(text);
        let texts: Vec<&str> = tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Number)
            .map(|t| &text[t.span.clone()])
            .collect();
        assert_eq!(texts, ["-1", "2.5", "3e10", "4"]);
    }

    #[test]
    fn unterminated_strings_and_stray_characters_are_reported() {
        let (tokens, errors) = tokenize("a \"open\nb $");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].span, 2..7);
        assert_eq!(errors[1].span, 10..11);
        assert!(tokens.iter().any(|t| t.kind == TokenKind::Newline));
        assert_eq!(tokens[1].kind, TokenKind::Unknown);
    }

    #[test]
    fn block_comments_are_skipped_and_end_their_line() {
        use TokenKind::*;
        assert_eq!(
            kinds("a /* x */ b /* y\n z */ c /**/"),
            vec![Ident, Ident, Newline, Ident, Eof]
        );
        let (_, errors) = tokenize("a /* open");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].span, 2..4);
    }

    #[test]
    fn unicode_escapes_decode() {
        assert_eq!(
            kinds("\"\\u00e9\""),
            vec![TokenKind::String("é".into()), TokenKind::Eof]
        );
    }
}
