//! The sqllogictest file format as SQLite's `sqllogictest.c` reads it.
//!
//! A file is a sequence of records separated by blank lines. Lines starting with `#`
//! are comments wherever they appear (also between result lines); a line of spaces is
//! blank; a trailing `\r` is dropped. A record starts with zero or more condition lines
//! (`skipif ENGINE`, `onlyif ENGINE`, anything after the engine name is a comment),
//! then one of:
//!
//! - `statement ok` / `statement error`, the SQL on the following lines up to the blank
//!   line;
//! - `query TYPES [SORT [LABEL]]`, the SQL up to a `----` line (or the end of the
//!   record, which then expects no values), then the expected values one per line (or
//!   one `N values hashing to MD5` line);
//! - `hash-threshold N`;
//! - `halt`.
//!
//! What must stay true: line numbers are 1-based and name the record's command line
//! (`statement`/`query`), as SQLite's runner reports them.

/// The engine condition of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `skipif ENGINE`: do not run on that engine.
    SkipIf(String),
    /// `onlyif ENGINE`: run only on that engine.
    OnlyIf(String),
}

/// How the values of a query are sorted before they are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    /// As returned.
    NoSort,
    /// Rows sorted, comparing their formatted values column by column.
    RowSort,
    /// Every value sorted on its own, ignoring rows.
    ValueSort,
}

/// What a query record expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The values, one per line, already sorted as the sort mode says.
    Values(Vec<String>),
    /// `N values hashing to MD5`.
    Hash {
        /// The number of values.
        count: usize,
        /// The lower-case hex MD5 of the values, each followed by `\n`.
        md5: String,
    },
}

/// One record's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `statement ok|error`.
    Statement {
        /// The SQL.
        sql: String,
        /// Whether it must fail.
        expect_error: bool,
    },
    /// `query …`.
    Query {
        /// The SQL.
        sql: String,
        /// One letter a column: `I`, `R` or `T`.
        types: String,
        /// The sort mode.
        sort: SortMode,
        /// The label: records with the same label must give the same values.
        label: Option<String>,
        /// The expected values.
        expected: Expected,
    },
    /// `hash-threshold N`: hash results of more than N values (0: never).
    HashThreshold(usize),
    /// `halt`: stop reading the file.
    Halt,
}

/// A record with its conditions and place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The 1-based line of the command (`statement`, `query`, …).
    pub line: usize,
    /// The conditions before it.
    pub conditions: Vec<Condition>,
    /// The command.
    pub command: Command,
}

impl Record {
    /// Whether an engine named `engine` runs this record: not when it is `skipif` that
    /// engine or `onlyif` another one (names compared case-insensitively, as SQLite).
    pub fn runs_on(&self, engine: &str) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::SkipIf(e) => !e.eq_ignore_ascii_case(engine),
            Condition::OnlyIf(e) => e.eq_ignore_ascii_case(engine),
        })
    }

    /// Whether this record counts in the pass/fail/skip totals (statements and
    /// queries; not `hash-threshold` or `halt`).
    pub fn is_counted(&self) -> bool {
        matches!(
            self.command,
            Command::Statement { .. } | Command::Query { .. }
        )
    }
}

/// A record that could not be read: the runner reports it as a failed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed item: a record, or a record that could not be parsed.
pub type Item = Result<Record, ParseError>;

/// A line of the file with its number, after comment and blank handling.
struct Line<'a> {
    number: usize,
    text: &'a str,
}

/// The lines of a file, comments removed, all-space lines made empty.
fn lines(text: &str) -> Vec<Line<'_>> {
    text.split('\n')
        .enumerate()
        .filter_map(|(i, raw)| {
            let l = raw.strip_suffix('\r').unwrap_or(raw);
            let l = if l.trim().is_empty() { "" } else { l };
            if l.starts_with('#') {
                None
            } else {
                Some(Line {
                    number: i + 1,
                    text: l,
                })
            }
        })
        .collect()
}

/// Parses a whole file. A malformed record becomes an `Err` item and parsing goes on
/// with the next record, so one typo does not hide a file.
pub fn parse(text: &str) -> Vec<Item> {
    let lines = lines(text);
    let mut items = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].text.is_empty() {
            i += 1;
            continue;
        }
        // The record spans lines[i..end], up to the next blank line.
        let mut end = i;
        while end < lines.len() && !lines[end].text.is_empty() {
            end += 1;
        }
        items.push(parse_record(&lines[i..end]));
        i = end;
    }
    items
}

fn parse_record(lines: &[Line<'_>]) -> Item {
    let mut conditions = Vec::new();
    let mut k = 0;
    while k < lines.len() {
        let mut tokens = lines[k].text.split_whitespace();
        match tokens.next() {
            Some(word @ ("skipif" | "onlyif")) => {
                let engine = tokens.next().ok_or_else(|| ParseError {
                    line: lines[k].number,
                    message: format!("{word} without an engine name"),
                })?;
                conditions.push(if word == "skipif" {
                    Condition::SkipIf(engine.to_string())
                } else {
                    Condition::OnlyIf(engine.to_string())
                });
                k += 1;
            }
            _ => break,
        }
    }
    let Some(head) = lines.get(k) else {
        let line = lines.last().map_or(0, |l| l.number);
        return Err(ParseError {
            line,
            message: "conditions without a record".into(),
        });
    };
    let err = |message: String| ParseError {
        line: head.number,
        message,
    };
    let body = &lines[k + 1..];
    let tokens: Vec<&str> = head.text.split_whitespace().collect();
    let command = match tokens.as_slice() {
        ["statement", mode, ..] => {
            let expect_error = match *mode {
                "ok" => false,
                "error" => true,
                other => return Err(err(format!("statement must be ok or error, not {other}"))),
            };
            Command::Statement {
                sql: join(body),
                expect_error,
            }
        }
        ["query", types, rest @ ..] => parse_query(types, rest, body).map_err(err)?,
        ["hash-threshold", n, ..] => Command::HashThreshold(
            n.parse()
                .map_err(|_| err(format!("hash-threshold needs a number, not {n}")))?,
        ),
        ["halt", ..] => Command::Halt,
        _ => return Err(err(format!("unknown record type: {}", head.text))),
    };
    Ok(Record {
        line: head.number,
        conditions,
        command,
    })
}

fn parse_query(types: &str, rest: &[&str], body: &[Line<'_>]) -> Result<Command, String> {
    if let Some(c) = types.chars().find(|c| !matches!(c, 'I' | 'R' | 'T')) {
        return Err(format!("unknown type character '{c}' in {types}"));
    }
    let sort = match rest.first().copied() {
        None | Some("nosort") => SortMode::NoSort,
        Some("rowsort") => SortMode::RowSort,
        Some("valuesort") => SortMode::ValueSort,
        Some(other) => return Err(format!("unknown sort mode {other}")),
    };
    let label = rest.get(1).map(|s| s.to_string());
    let split = body.iter().position(|l| l.text == "----");
    let (sql_lines, result_lines) = match split {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, &body[body.len()..]),
    };
    if sql_lines.is_empty() {
        return Err("query without SQL".into());
    }
    Ok(Command::Query {
        sql: join(sql_lines),
        types: types.to_string(),
        sort,
        label,
        expected: parse_expected(result_lines),
    })
}

/// The expected values: one line is `N values hashing to MD5`, or each line a value.
fn parse_expected(lines: &[Line<'_>]) -> Expected {
    if let [only] = lines {
        if let Some((count, md5)) = parse_hash_line(only.text) {
            return Expected::Hash { count, md5 };
        }
    }
    Expected::Values(lines.iter().map(|l| l.text.to_string()).collect())
}

/// `N values hashing to MD5` → (N, MD5).
pub fn parse_hash_line(line: &str) -> Option<(usize, String)> {
    let (count, rest) = line.split_once(" values hashing to ")?;
    let count = count.trim().parse().ok()?;
    let md5 = rest.trim();
    (md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| (count, md5.to_ascii_lowercase()))
}

fn join(lines: &[Line<'_>]) -> String {
    lines.iter().map(|l| l.text).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Record> {
        parse(text).into_iter().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn statements_queries_and_line_numbers() {
        let text = "# comment\nstatement ok\nCREATE TABLE t(a INT,\n b INT)\n\n\
                    statement error\nSELECT nope\n\n\
                    query IT rowsort\nSELECT a, b\n  FROM t\n----\n1\nx\n# c\n2\ny\n";
        let r = records(text);
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            Record {
                line: 2,
                conditions: vec![],
                command: Command::Statement {
                    sql: "CREATE TABLE t(a INT,\n b INT)".into(),
                    expect_error: false
                }
            }
        );
        assert_eq!(r[1].line, 6);
        assert_eq!(
            r[1].command,
            Command::Statement {
                sql: "SELECT nope".into(),
                expect_error: true
            }
        );
        assert_eq!(r[2].line, 9);
        assert_eq!(
            r[2].command,
            Command::Query {
                sql: "SELECT a, b\n  FROM t".into(),
                types: "IT".into(),
                sort: SortMode::RowSort,
                label: None,
                expected: Expected::Values(vec!["1".into(), "x".into(), "2".into(), "y".into()]),
            }
        );
    }

    #[test]
    fn hash_lines_labels_conditions_and_crlf() {
        let text = "hash-threshold 8\r\n\r\nskipif mysql # why\r\nonlyif covet\r\n\
                    query I valuesort label-7\r\nSELECT 1\r\n----\r\n\
                    30 values hashing to 3C13DEE48D9356AE19AF2515E05E6B54\r\n  \r\nhalt\n";
        let r = records(text);
        assert_eq!(r[0].command, Command::HashThreshold(8));
        assert_eq!(
            r[1].conditions,
            vec![
                Condition::SkipIf("mysql".into()),
                Condition::OnlyIf("covet".into())
            ]
        );
        assert_eq!(r[1].line, 5);
        assert_eq!(
            r[1].command,
            Command::Query {
                sql: "SELECT 1".into(),
                types: "I".into(),
                sort: SortMode::ValueSort,
                label: Some("label-7".into()),
                expected: Expected::Hash {
                    count: 30,
                    md5: "3c13dee48d9356ae19af2515e05e6b54".into()
                },
            }
        );
        assert_eq!(r[2].command, Command::Halt);
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn a_query_without_separator_expects_no_values() {
        let r = records("query I\nSELECT 1 WHERE false\n");
        assert_eq!(
            r[0].command,
            Command::Query {
                sql: "SELECT 1 WHERE false".into(),
                types: "I".into(),
                sort: SortMode::NoSort,
                label: None,
                expected: Expected::Values(vec![]),
            }
        );
    }

    #[test]
    fn malformed_records_are_errors_and_parsing_goes_on() {
        let items = parse(
            "query X nosort\nSELECT 1\n\nstatement maybe\nx\n\nbogus\n\nstatement ok\nSELECT 1\n",
        );
        assert_eq!(items.len(), 4);
        assert_eq!(
            items[0],
            Err(ParseError {
                line: 1,
                message: "unknown type character 'X' in X".into()
            })
        );
        assert_eq!(items[1].as_ref().unwrap_err().line, 4);
        assert_eq!(
            items[2],
            Err(ParseError {
                line: 7,
                message: "unknown record type: bogus".into()
            })
        );
        assert!(items[3].is_ok());
    }

    #[test]
    fn conditions_decide_by_engine_name() {
        let rec = |conditions| Record {
            line: 1,
            conditions,
            command: Command::Halt,
        };
        assert!(rec(vec![]).runs_on("covet"));
        assert!(rec(vec![Condition::SkipIf("mysql".into())]).runs_on("covet"));
        assert!(!rec(vec![Condition::SkipIf("COVET".into())]).runs_on("covet"));
        assert!(rec(vec![Condition::OnlyIf("covet".into())]).runs_on("covet"));
        assert!(!rec(vec![Condition::OnlyIf("sqlite".into())]).runs_on("covet"));
        assert!(!rec(vec![
            Condition::SkipIf("mysql".into()),
            Condition::OnlyIf("mssql".into())
        ])
        .runs_on("covet"));
    }

    #[test]
    fn hash_line_needs_a_count_and_32_hex_digits() {
        assert_eq!(
            parse_hash_line("9 values hashing to 0123456789abcdef0123456789abcdef"),
            Some((9, "0123456789abcdef0123456789abcdef".into()))
        );
        assert_eq!(parse_hash_line("9 values hashing to xyz"), None);
        assert_eq!(
            parse_hash_line("nine values hashing to 0123456789abcdef0123456789abcdef"),
            None
        );
    }
}
