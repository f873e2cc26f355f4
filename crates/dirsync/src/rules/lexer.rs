//! Tokenizer. Positions are char offsets, because that is what errors report and carets count.

use super::error::{RuleError, RuleErrorKind};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// A quoted string, escapes already resolved.
    Str(String),
    /// Anything else: `user.department`, `-eq`, `and`, `true`, `null`, `42`, `_`, `system.now`, `p1d`.
    Word(String),
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Char offsets, end exclusive.
    pub start: usize,
    pub end: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '–')
}

pub(crate) fn tokenize(chars: &[char]) -> Result<Vec<Token>, RuleError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token {
                tok,
                start,
                end: i + 1,
            });
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let (s, end) = string(chars, i)?;
            out.push(Token {
                tok: Tok::Str(s),
                start,
                end,
            });
            i = end;
        } else if is_word_char(c) {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Word(chars[start..i].iter().collect()),
                start,
                end: i,
            });
        } else {
            let hint = match c {
                '\'' => "a double-quoted string (single quotes only escape a quote inside one: \"O''Neil\")",
                '=' | '!' | '<' | '>' => "an operator such as -eq, -ne, -le or -ge",
                '&' | '|' => "-and or -or",
                '`' => "a backtick only inside a string, before a double quote",
                _ => "a property, operator, value or parenthesis",
            };
            return Err(RuleError::new(
                RuleErrorKind::Syntax,
                i,
                format!("Query compilation error: unexpected character '{c}'"),
            )
            .expected(hint));
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        start: chars.len(),
        end: chars.len(),
    });
    Ok(out)
}

/// A double-quoted string starting at `open`. Entra's escapes: `` `" `` is a double quote and `''` a
/// single quote; a lone backtick or single quote is kept as written.
fn string(chars: &[char], open: usize) -> Result<(String, usize), RuleError> {
    let mut s = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((s, i + 1)),
            '`' if chars.get(i + 1) == Some(&'"') => {
                s.push('"');
                i += 2;
            }
            '`' if chars.get(i + 1) == Some(&'`') => {
                s.push('`');
                i += 2;
            }
            '\'' if chars.get(i + 1) == Some(&'\'') => {
                s.push('\'');
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(RuleError::new(
        RuleErrorKind::UnterminatedString,
        open,
        "Query compilation error: unterminated string",
    )
    .expected("a closing \" (write `\" for a quote inside the string)"))
}
