//! The token-level reading and rewriting of trigger text: the head of a CREATE
//! TRIGGER, and the body rewrites that make NEW/OLD references parameters and RAISE a
//! function call.
//!
//! Rewrites work on the original text: each token keeps its byte range, and a rewrite
//! replaces whole tokens, so that string literals, quoted names and comments between
//! them stay exactly as written.

use std::ops::Range;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::error::{QueryError, Result};

/// A token with its byte range in the text it was read from.
pub(crate) struct Spanned {
    pub token: Token,
    pub range: Range<usize>,
}

/// The tokens of `sql` other than whitespace (comments included in whitespace), with
/// their byte ranges. 42601 when the text does not tokenize.
pub(crate) fn tokens(sql: &str) -> Result<Vec<Spanned>> {
    let raw = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| QueryError::syntax(e.to_string()))?;
    let offsets = LineOffsets::new(sql);
    Ok(raw
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| Spanned {
            range: offsets.byte(t.span.start)..offsets.byte(t.span.end),
            token: t.token,
        })
        .collect())
}

/// Maps the tokenizer's (line, column) locations, counted in characters, to bytes.
struct LineOffsets {
    /// For each line, the byte offset of each of its characters and of its end.
    lines: Vec<Vec<usize>>,
}

impl LineOffsets {
    fn new(sql: &str) -> LineOffsets {
        let mut lines = vec![Vec::new()];
        for (i, c) in sql.char_indices() {
            lines.last_mut().expect("one line at least").push(i);
            if c == '\n' {
                lines.push(Vec::new());
            }
        }
        lines.last_mut().expect("one line at least").push(sql.len());
        LineOffsets { lines }
    }

    fn byte(&self, at: Location) -> usize {
        let line = (at.line.max(1) - 1) as usize;
        let col = (at.column.max(1) - 1) as usize;
        match self.lines.get(line) {
            Some(chars) => chars
                .get(col)
                .copied()
                .unwrap_or_else(|| *chars.last().unwrap_or(&0)),
            None => self
                .lines
                .last()
                .and_then(|l| l.last().copied())
                .unwrap_or(0),
        }
    }
}

/// Whether `t` is the unquoted word `w` (any case).
pub(crate) fn is_word(t: Option<&Spanned>, w: &str) -> bool {
    matches!(t.map(|t| &t.token), Some(Token::Word(x)) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

/// `sql` with the token ranges in `edits` (sorted, not overlapping) replaced.
pub(crate) fn apply(sql: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut out = String::with_capacity(sql.len() + 16 * edits.len());
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&sql[at..range.start]);
        out.push_str(text);
        at = range.end;
    }
    out.push_str(&sql[at..]);
    out
}
