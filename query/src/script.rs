//! Splitting a script into statements, with the line each one starts on.
//!
//! A `;` ends a statement unless it is inside a quoted string (`'…'` with `''`, `E'…'`
//! with backslash escapes), a quoted identifier (`"…"`), a comment (`-- …` to the end of
//! the line, `/* … */`, which nest as in PostgreSQL), a dollar-quoted string
//! (`$$…$$`, `$tag$…$tag$`) or the body of a SQLite trigger
//! (`CREATE [TEMP] TRIGGER … BEGIN stmt; stmt; END;`): there the `;` after the `END`
//! that closes the body (not one that closes a `CASE`) ends the statement.
//!
//! Invariants: every statement returned is non-empty after trimming, starts at its
//! first token (comments and blanks before it are not part of it) and has no ending
//! `;`; its `line` is the 1-based line of that first token.

use crate::error::{QueryError, Result};
use crate::session::StatementText;

/// Splits `sql` into statements (see the module documentation). An unterminated
/// string, quoted identifier, dollar quote or block comment is 42601.
pub fn split(sql: &str) -> Result<Vec<StatementText>> {
    let mut splitter = Splitter {
        src: sql.as_bytes(),
        text: sql,
        pos: 0,
        line: 1,
    };
    let mut out = Vec::new();
    loop {
        splitter.skip_blanks_and_comments()?;
        if splitter.pos >= splitter.src.len() {
            return Ok(out);
        }
        if splitter.src[splitter.pos] == b';' {
            splitter.pos += 1;
            continue;
        }
        let start = splitter.pos;
        let line = splitter.line;
        let end = splitter.statement_end()?;
        let stmt = sql[start..end].trim_end();
        if !stmt.is_empty() {
            out.push(StatementText {
                sql: stmt.to_string(),
                line,
            });
        }
    }
}

struct Splitter<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    /// The line of `pos`.
    line: usize,
}

/// Where the splitter is in the words that matter for trigger bodies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// The statement is not (yet known to be) a CREATE TRIGGER.
    No,
    /// `CREATE [TEMP]` seen as its first words: a `TRIGGER` would make it one.
    MaybeCreate,
    /// A CREATE TRIGGER before its body's BEGIN.
    Head,
    /// Inside the body; `case_depth` counts open `CASE` expressions.
    Body { case_depth: usize },
    /// The body's END was the last word: a `;` now ends the statement.
    AfterEnd,
}

impl Splitter<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) {
        if self.src[self.pos] == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn skip_blanks_and_comments(&mut self) -> Result<()> {
        loop {
            match self.peek(0) {
                Some(c) if c.is_ascii_whitespace() => self.bump(),
                Some(b'-') if self.peek(1) == Some(b'-') => self.line_comment(),
                Some(b'/') if self.peek(1) == Some(b'*') => self.block_comment()?,
                _ => return Ok(()),
            }
        }
    }

    fn line_comment(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == b'\n' {
                return;
            }
            self.bump();
        }
    }

    fn block_comment(&mut self) -> Result<()> {
        let start_line = self.line;
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (None, _) => {
                    return Err(QueryError::syntax(format!(
                        "unterminated /* comment starting on line {start_line}"
                    )))
                }
                (Some(b'*'), Some(b'/')) => {
                    self.pos += 2;
                    depth -= 1;
                }
                (Some(b'/'), Some(b'*')) => {
                    self.pos += 2;
                    depth += 1;
                }
                _ => self.bump(),
            }
        }
        Ok(())
    }

    /// Skips a quoted string or identifier opened by `quote` at `pos`; with
    /// `backslash`, a backslash escapes the next character (E'…').
    fn quoted(&mut self, quote: u8, backslash: bool) -> Result<()> {
        let start_line = self.line;
        self.pos += 1;
        loop {
            match self.peek(0) {
                None => {
                    let what = if quote == b'"' {
                        "quoted identifier"
                    } else {
                        "quoted string"
                    };
                    return Err(QueryError::syntax(format!(
                        "unterminated {what} starting on line {start_line}"
                    )));
                }
                Some(b'\\') if backslash && self.peek(1).is_some() => {
                    self.bump();
                    self.bump();
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    if self.peek(0) == Some(quote) {
                        // A doubled quote is one quote character.
                        self.pos += 1;
                    } else {
                        return Ok(());
                    }
                }
                Some(_) => self.bump(),
            }
        }
    }

    /// The tag of a dollar quote starting at `pos` (`$$` or `$tag$`), if one starts
    /// there.
    fn dollar_tag(&self) -> Option<&str> {
        let rest = &self.src[self.pos + 1..];
        let len = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c >= 0x80)
            .count();
        if rest.get(len) != Some(&b'$') {
            return None;
        }
        // `$1` is a parameter, not a tag.
        if rest.first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        Some(&self.text[self.pos..self.pos + len + 2])
    }

    fn dollar_quoted(&mut self, tag_len: usize) -> Result<()> {
        let start_line = self.line;
        let tag = self.src[self.pos..self.pos + tag_len].to_vec();
        self.pos += tag_len;
        while self.pos < self.src.len() {
            if self.src[self.pos..].starts_with(&tag) {
                self.pos += tag_len;
                return Ok(());
            }
            self.bump();
        }
        Err(QueryError::syntax(format!(
            "unterminated dollar-quoted string starting on line {start_line}"
        )))
    }

    fn prev_is_word_char(&self) -> bool {
        self.pos > 0 && is_word_byte(self.src[self.pos - 1])
    }

    /// Advances to the `;` that ends the statement starting at `pos` (or the end of
    /// the input) and returns its offset; `pos` is left after the `;`.
    fn statement_end(&mut self) -> Result<usize> {
        let mut trigger = Trigger::No;
        let mut words = 0usize;
        while let Some(c) = self.peek(0) {
            match c {
                b';' => {
                    if !matches!(trigger, Trigger::Head | Trigger::Body { .. }) {
                        let end = self.pos;
                        self.pos += 1;
                        return Ok(end);
                    }
                    self.pos += 1;
                }
                b'\'' => {
                    let escape = self.pos > 0
                        && matches!(self.src[self.pos - 1], b'e' | b'E')
                        && !(self.pos > 1 && is_word_byte(self.src[self.pos - 2]));
                    self.quoted(b'\'', escape)?;
                }
                b'"' => self.quoted(b'"', false)?,
                b'-' if self.peek(1) == Some(b'-') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'$' if !self.prev_is_word_char() => match self.dollar_tag() {
                    Some(tag) => {
                        let len = tag.len();
                        self.dollar_quoted(len)?;
                    }
                    None => self.pos += 1,
                },
                c if is_word_byte(c) && !self.prev_is_word_char() => {
                    let start = self.pos;
                    while self.peek(0).is_some_and(is_word_byte) {
                        self.pos += 1;
                    }
                    let word = &self.text[start..self.pos];
                    trigger = next_trigger_state(trigger, words, word);
                    words += 1;
                }
                _ => self.bump(),
            }
        }
        Ok(self.src.len())
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// The trigger state after `word`, the statement's `index`-th word.
fn next_trigger_state(state: Trigger, index: usize, word: &str) -> Trigger {
    let is = |w: &str| word.eq_ignore_ascii_case(w);
    match state {
        Trigger::No if index == 0 && is("create") => Trigger::MaybeCreate,
        Trigger::No => Trigger::No,
        Trigger::MaybeCreate if is("temp") || is("temporary") => Trigger::MaybeCreate,
        Trigger::MaybeCreate if is("trigger") => Trigger::Head,
        Trigger::MaybeCreate => Trigger::No,
        Trigger::Head if is("begin") => Trigger::Body { case_depth: 0 },
        Trigger::Head => Trigger::Head,
        Trigger::Body { case_depth } if is("case") => Trigger::Body {
            case_depth: case_depth + 1,
        },
        Trigger::Body { case_depth: 0 } if is("end") => Trigger::AfterEnd,
        Trigger::Body { case_depth } if is("end") => Trigger::Body {
            case_depth: case_depth - 1,
        },
        Trigger::Body { case_depth } => Trigger::Body { case_depth },
        // A word after the body's END (`END TRIGGER` is not SQL; keep waiting for `;`).
        Trigger::AfterEnd => Trigger::AfterEnd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(String, usize)> {
        split(sql)
            .unwrap()
            .into_iter()
            .map(|s| (s.sql, s.line))
            .collect()
    }

    fn owned(v: &[(&str, usize)]) -> Vec<(String, usize)> {
        v.iter().map(|(s, l)| (s.to_string(), *l)).collect()
    }

    #[test]
    fn plain_statements_with_lines() {
        assert_eq!(
            texts("SELECT 1;\nSELECT 2;\n\n  SELECT 3"),
            owned(&[("SELECT 1", 1), ("SELECT 2", 2), ("SELECT 3", 4)])
        );
    }

    #[test]
    fn empty_statements_and_comments_are_skipped() {
        assert_eq!(
            texts(";;-- only a comment\n/* block\n */ ; SELECT 1 -- trailing\n;"),
            owned(&[("SELECT 1 -- trailing", 3)])
        );
        assert_eq!(texts("  \n -- nothing\n"), Vec::<(String, usize)>::new());
    }

    #[test]
    fn semicolons_inside_quotes_and_comments() {
        assert_eq!(
            texts("SELECT 'a;b''c;'; SELECT \"x;y\" /* ; /* nested ; */ ; */ FROM t;"),
            owned(&[
                ("SELECT 'a;b''c;'", 1),
                ("SELECT \"x;y\" /* ; /* nested ; */ ; */ FROM t", 1)
            ])
        );
        assert_eq!(
            texts("SELECT E'it\\'s;'; SELECT 2"),
            owned(&[("SELECT E'it\\'s;'", 1), ("SELECT 2", 1)])
        );
    }

    #[test]
    fn dollar_quotes_and_parameters() {
        assert_eq!(
            texts("SELECT $$a;\nb$$;\nSELECT $tag$ $$; $tag$, $1;SELECT a$b;"),
            owned(&[
                ("SELECT $$a;\nb$$", 1),
                ("SELECT $tag$ $$; $tag$, $1", 3),
                ("SELECT a$b", 3)
            ])
        );
    }

    #[test]
    fn trigger_bodies_hold_semicolons() {
        let sql = "CREATE TRIGGER t1 AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES (1);\n  \
                   UPDATE t SET a = CASE WHEN a > 1 THEN 0 ELSE 1 END;\nEND;\nSELECT 1;";
        let got = split(sql).unwrap();
        assert_eq!(got.len(), 2);
        assert!(got[0].sql.starts_with("CREATE TRIGGER t1"));
        assert!(got[0].sql.ends_with("END"));
        assert_eq!(got[0].line, 1);
        assert_eq!((got[1].sql.as_str(), got[1].line), ("SELECT 1", 5));
        let temp = texts("create temp trigger x before delete on t begin select 1; end; select 2");
        assert_eq!(
            temp,
            owned(&[
                (
                    "create temp trigger x before delete on t begin select 1; end",
                    1
                ),
                ("select 2", 1)
            ])
        );
        // A table named `trigger` is not a trigger.
        assert_eq!(
            texts("CREATE TABLE \"trigger\"(a INT); SELECT 1"),
            owned(&[("CREATE TABLE \"trigger\"(a INT)", 1), ("SELECT 1", 1)])
        );
    }

    #[test]
    fn begin_transaction_is_not_a_trigger_body() {
        assert_eq!(
            texts("BEGIN; INSERT INTO t VALUES (1); END;"),
            owned(&[("BEGIN", 1), ("INSERT INTO t VALUES (1)", 1), ("END", 1)])
        );
    }

    #[test]
    fn unterminated_things_are_syntax_errors() {
        for sql in [
            "SELECT 'abc",
            "SELECT \"abc",
            "SELECT 1 /* open",
            "SELECT $$ never",
            "SELECT 1;\nSELECT 'x",
        ] {
            let e = split(sql).unwrap_err();
            assert_eq!(e.code, crate::SqlState::SYNTAX_ERROR, "{sql}");
        }
        assert_eq!(
            split("SELECT 1;\n\nSELECT 'x").unwrap_err().message,
            "unterminated quoted string starting on line 3"
        );
    }
}
