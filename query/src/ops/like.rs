//! `LIKE` / `ILIKE` matching: `%` matches any run of characters, `_` one character,
//! the escape character (default `\`, none when the ESCAPE string is empty) makes the
//! next character literal. A pattern ending in the escape character is 22025, as in
//! PostgreSQL. ILIKE compares the lower-case forms of both sides.

use crate::error::{QueryError, Result, SqlState};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Literal(char),
    One,
    Any,
}

fn compile(pattern: &str, escape: Option<char>) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(n) => out.push(Token::Literal(n)),
                None => {
                    return Err(QueryError::new(
                        SqlState::INVALID_ESCAPE_SEQUENCE,
                        "LIKE pattern must not end with escape character",
                    ))
                }
            }
        } else if c == '%' {
            if out.last() != Some(&Token::Any) {
                out.push(Token::Any);
            }
        } else if c == '_' {
            out.push(Token::One);
        } else {
            out.push(Token::Literal(c));
        }
    }
    Ok(out)
}

/// The escape character of an `ESCAPE` string: empty means none; more than one
/// character is 22025.
pub fn escape_char(escape: &str) -> Result<Option<char>> {
    let mut it = escape.chars();
    match (it.next(), it.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(
            QueryError::new(SqlState::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
                .with_hint("Escape string must be empty or one character."),
        ),
    }
}

/// The common shapes a case-sensitive pattern takes (`abc`, `abc%`, `%abc`, `%abc%`,
/// with no other special character), matched without building anything.
fn simple_match(text: &str, pattern: &str, escape: Option<char>) -> Option<bool> {
    let special = |c: char| c == '_' || c == '%' || Some(c) == escape;
    let (lead, rest) = match pattern.strip_prefix('%') {
        Some(r) => (true, r),
        None => (false, pattern),
    };
    let (core, trail) = match rest.strip_suffix('%') {
        Some(c) => (c, true),
        None => (rest, false),
    };
    if core.chars().any(special) {
        return None;
    }
    Some(match (lead, trail) {
        (false, false) => text == core,
        (false, true) => text.starts_with(core),
        (true, false) => text.ends_with(core),
        (true, true) => text.contains(core),
    })
}

/// Whether `text` matches `pattern`.
pub fn like(
    text: &str,
    pattern: &str,
    escape: Option<char>,
    case_insensitive: bool,
) -> Result<bool> {
    if !case_insensitive {
        if let Some(m) = simple_match(text, pattern, escape) {
            return Ok(m);
        }
    }
    let (text, pattern) = if case_insensitive {
        (text.to_lowercase(), pattern.to_lowercase())
    } else {
        (text.to_owned(), pattern.to_owned())
    };
    let tokens = compile(&pattern, escape)?;
    let chars: Vec<char> = text.chars().collect();
    Ok(matches(&tokens, &chars))
}

/// Greedy matching with backtracking to the last `%` only: since `%` matches any run,
/// extending the most recent `%` is the only choice that needs revisiting (linear
/// memory, O(n·m) time at worst).
fn matches(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None; // (pattern index after %, text index)
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Any) => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Literal(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|tok| *tok == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(t: &str, p: &str) -> bool {
        like(t, p, Some('\\'), false).unwrap()
    }

    #[test]
    fn wildcards() {
        assert!(l("hello", "h%"));
        assert!(l("hello", "%llo"));
        assert!(l("hello", "h_llo"));
        assert!(l("hello", "%"));
        assert!(l("", "%"));
        assert!(!l("", "_"));
        assert!(l("hello", "%l%l%"));
        assert!(!l("hello", "h_lo"));
        assert!(!l("hello", "Hello"));
        assert!(l("abcabc", "%abc"));
        assert!(l("aaa", "a%a"));
        assert!(!l("ab", "a%c"));
        assert!(l("héllo", "h_llo"));
    }

    #[test]
    fn escapes() {
        assert!(l("50%", "50\\%"));
        assert!(!l("500", "50\\%"));
        assert!(l("a_b", "a\\_b"));
        assert!(!l("axb", "a\\_b"));
        assert!(like("50%", "50#%", Some('#'), false).unwrap());
        assert!(like("a\\b", "a\\b", None, false).unwrap());
        let err = like("a", "a\\", Some('\\'), false).unwrap_err();
        assert_eq!(err.code, SqlState::INVALID_ESCAPE_SEQUENCE);
        assert_eq!(escape_char("").unwrap(), None);
        assert_eq!(escape_char("#").unwrap(), Some('#'));
        assert_eq!(
            escape_char("##").unwrap_err().code,
            SqlState::INVALID_ESCAPE_SEQUENCE
        );
    }

    #[test]
    fn simple_shapes_agree_with_the_general_matcher() {
        for (t, p) in [
            ("abc", "abc"),
            ("abc", "ab%"),
            ("abc", "%bc"),
            ("abc", "%b%"),
            ("abc", "%"),
            ("abc", "%%"),
            ("", "%"),
            ("a%", "a%"),
            ("abc", "%x%"),
        ] {
            let general = matches(
                &compile(p, Some('\\')).unwrap(),
                &t.chars().collect::<Vec<_>>(),
            );
            assert_eq!(
                simple_match(t, p, Some('\\')),
                Some(general),
                "{t} LIKE {p}"
            );
        }
        assert_eq!(simple_match("abc", "a_c", Some('\\')), None);
        assert_eq!(simple_match("abc", "a\\%", Some('\\')), None);
        assert_eq!(simple_match("a%c", "a%c", None), None);
    }

    #[test]
    fn ilike_ignores_case() {
        assert!(like("HeLLo", "hello", Some('\\'), true).unwrap());
        assert!(like("ÉCOLE", "é%", Some('\\'), true).unwrap());
        assert!(!like("HeLLo", "hello", Some('\\'), false).unwrap());
    }
}
