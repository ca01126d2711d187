//! Running the records of one file against a database, as SQLite's runner judges
//! them: statements by success or failure, queries by their values after formatting,
//! sorting and (past the hash threshold) hashing; labels checked across records.

use std::collections::HashMap;
use std::path::Path;

use covet_engine::value::Value;

use super::format::format_value;
use super::parser::{Command, Expected, Record, SortMode};
use super::skips::SkipList;

/// The rows of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    /// The number of result columns.
    pub columns: usize,
    /// The rows, each of `columns` values.
    pub rows: Vec<Vec<Value>>,
}

/// What the runner needs of a database: one connection, used by one thread.
pub trait SltDatabase {
    /// Runs a statement, discarding any rows; `Err` carries the error's text.
    fn statement(&mut self, sql: &str) -> Result<(), String>;
    /// Runs a query and returns all its rows.
    fn query(&mut self, sql: &str) -> Result<QueryOutput, String>;
}

/// The hash threshold before any `hash-threshold` record: SQLite's runner default.
pub const DEFAULT_HASH_THRESHOLD: usize = 8;

/// How far a failure's expected and actual values are printed.
const SHOWN_VALUES: usize = 24;

/// Why a record failed: the categories of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// `statement ok` returned an error.
    StatementFailed,
    /// `statement error` succeeded.
    StatementSucceeded,
    /// A query returned an error.
    QueryFailed,
    /// A query returned a different number of columns than its type string.
    ColumnCount,
    /// A query returned other values.
    WrongResult,
    /// A labeled query's values differ from an earlier one with the same label.
    LabelMismatch,
    /// The engine panicked.
    Panic,
    /// The record ran past the time limit.
    Timeout,
    /// The record could not be parsed.
    Parse,
}

impl FailureKind {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::StatementFailed => "statement failed",
            FailureKind::StatementSucceeded => "statement should have failed",
            FailureKind::QueryFailed => "query failed",
            FailureKind::ColumnCount => "wrong column count",
            FailureKind::WrongResult => "wrong result",
            FailureKind::LabelMismatch => "label mismatch",
            FailureKind::Panic => "panic",
            FailureKind::Timeout => "timeout",
            FailureKind::Parse => "parse error",
        }
    }
}

/// A failed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The record's line.
    pub line: usize,
    /// Why.
    pub kind: FailureKind,
    /// The SQL (empty for a parse error).
    pub sql: String,
    /// What was expected, as printed.
    pub expected: String,
    /// What happened, as printed.
    pub actual: String,
}

/// The verdict on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It passed.
    Pass,
    /// It failed.
    Fail(Failure),
    /// It was not run: a condition, or the skip list (with its reason).
    Skip(Option<String>),
}

/// What running one record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A statement or query, with its verdict.
    Counted(Verdict),
    /// A record that is not counted (`hash-threshold`, or `halt` under a condition
    /// that does not hold).
    Uncounted,
    /// `halt`: stop the file.
    Halt,
}

/// The state of one file's run: its hash threshold and the labels seen so far.
pub struct FileRunner<'a> {
    file: &'a Path,
    engine: &'a str,
    skips: &'a SkipList,
    hash_threshold: usize,
    labels: HashMap<String, Digest>,
}

/// The count and MD5 of a list of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// How many values.
    pub count: usize,
    /// The lower-case hex MD5 of the values, each followed by `\n`.
    pub md5: String,
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} values hashing to {}", self.count, self.md5)
    }
}

/// SQLite's result hash: MD5 of every value followed by a newline.
pub fn digest(values: &[String]) -> Digest {
    let mut ctx = md5::Context::new();
    for v in values {
        ctx.consume(v.as_bytes());
        ctx.consume(b"\n");
    }
    Digest {
        count: values.len(),
        md5: format!("{:x}", ctx.compute()),
    }
}

/// Formats rows by the type letters and sorts them as the mode says (comparing the
/// formatted strings bytewise, as `strcmp`).
pub fn format_and_sort(rows: &[Vec<Value>], types: &str, sort: SortMode) -> Vec<String> {
    let letters: Vec<char> = types.chars().collect();
    let mut formatted: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&letters)
                .map(|(v, &t)| format_value(v, t))
                .collect()
        })
        .collect();
    match sort {
        SortMode::NoSort => formatted.into_iter().flatten().collect(),
        SortMode::RowSort => {
            formatted.sort();
            formatted.into_iter().flatten().collect()
        }
        SortMode::ValueSort => {
            let mut all: Vec<String> = formatted.into_iter().flatten().collect();
            all.sort();
            all
        }
    }
}

fn expected_digest(expected: &Expected) -> Digest {
    match expected {
        Expected::Values(v) => digest(v),
        Expected::Hash { count, md5 } => Digest {
            count: *count,
            md5: md5.clone(),
        },
    }
}

fn show_values(values: &[String]) -> String {
    let mut out: Vec<&str> = values
        .iter()
        .take(SHOWN_VALUES)
        .map(String::as_str)
        .collect();
    let more = values.len().saturating_sub(SHOWN_VALUES);
    let tail = format!("… {more} more");
    if more > 0 {
        out.push(&tail);
    }
    out.join("\n")
}

impl<'a> FileRunner<'a> {
    /// A runner for `file`, as engine `engine` (for `skipif`/`onlyif`).
    pub fn new(file: &'a Path, engine: &'a str, skips: &'a SkipList) -> FileRunner<'a> {
        FileRunner {
            file,
            engine,
            skips,
            hash_threshold: DEFAULT_HASH_THRESHOLD,
            labels: HashMap::new(),
        }
    }

    /// Runs one record.
    pub fn run(&mut self, record: &Record, db: &mut dyn SltDatabase) -> Step {
        if !record.runs_on(self.engine) {
            // A skipped labeled query still registers its expected values, as SQLite's
            // runner does, so the records that run are checked against them.
            if let Command::Query {
                label: Some(label),
                expected,
                ..
            } = &record.command
            {
                self.labels
                    .entry(label.clone())
                    .or_insert_with(|| expected_digest(expected));
            }
            return if record.is_counted() {
                Step::Counted(Verdict::Skip(None))
            } else {
                Step::Uncounted
            };
        }
        let sql = match &record.command {
            Command::HashThreshold(n) => {
                self.hash_threshold = *n;
                return Step::Uncounted;
            }
            Command::Halt => return Step::Halt,
            Command::Statement { sql, .. } | Command::Query { sql, .. } => sql,
        };
        if let Some(reason) = self.skips.reason(self.file, record.line, sql) {
            return Step::Counted(Verdict::Skip(Some(reason.to_string())));
        }
        let fail = |kind, expected: String, actual: String| {
            Verdict::Fail(Failure {
                line: record.line,
                kind,
                sql: sql.clone(),
                expected,
                actual,
            })
        };
        let verdict = match &record.command {
            Command::Statement { expect_error, .. } => match (db.statement(sql), expect_error) {
                (Ok(()), false) | (Err(_), true) => Verdict::Pass,
                (Err(e), false) => fail(FailureKind::StatementFailed, "ok".into(), e),
                (Ok(()), true) => fail(
                    FailureKind::StatementSucceeded,
                    "an error".into(),
                    "ok".into(),
                ),
            },
            Command::Query {
                types,
                sort,
                label,
                expected,
                ..
            } => match db.query(sql) {
                Err(e) => fail(FailureKind::QueryFailed, show_expected(expected), e),
                Ok(out) if out.columns != types.len() => fail(
                    FailureKind::ColumnCount,
                    format!("{} columns ({types})", types.len()),
                    format!("{} columns", out.columns),
                ),
                Ok(out) => {
                    let values = format_and_sort(&out.rows, types, *sort);
                    self.judge(&values, expected, label.as_deref(), fail)
                }
            },
            Command::HashThreshold(_) | Command::Halt => unreachable!("handled above"),
        };
        Step::Counted(verdict)
    }

    /// Compares a query's values with the expected ones. Both sides are reduced to
    /// their digest, so a file whose threshold differs from the one its values were
    /// written with still compares correctly (values are equal exactly when their
    /// counts and MD5s are).
    fn judge(
        &mut self,
        values: &[String],
        expected: &Expected,
        label: Option<&str>,
        fail: impl Fn(FailureKind, String, String) -> Verdict,
    ) -> Verdict {
        let actual = digest(values);
        let hashed = self.hash_threshold > 0 && values.len() > self.hash_threshold;
        let show_actual = || {
            if hashed || matches!(expected, Expected::Hash { .. }) {
                format!("{actual}\n{}", show_values(values))
            } else {
                show_values(values)
            }
        };
        if actual != expected_digest(expected) {
            return fail(
                FailureKind::WrongResult,
                show_expected(expected),
                show_actual(),
            );
        }
        if let Some(label) = label {
            match self.labels.get(label) {
                Some(earlier) if *earlier != actual => {
                    return fail(
                        FailureKind::LabelMismatch,
                        format!("{label}: {earlier}"),
                        format!("{label}: {actual}"),
                    );
                }
                Some(_) => {}
                None => {
                    self.labels.insert(label.to_string(), actual);
                }
            }
        }
        Verdict::Pass
    }
}

fn show_expected(expected: &Expected) -> String {
    match expected {
        Expected::Values(v) => show_values(v),
        Expected::Hash { count, md5 } => format!("{count} values hashing to {md5}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slt::parser::parse;

    /// A fake database: tables are named lists of integer rows, and it understands
    /// exactly `CREATE t`, `INSERT t a b …`, `SELECT t` (all rows), `FAIL` and `PANIC`.
    #[derive(Default)]
    struct Fake {
        tables: HashMap<String, Vec<Vec<Value>>>,
    }

    impl SltDatabase for Fake {
        fn statement(&mut self, sql: &str) -> Result<(), String> {
            let words: Vec<&str> = sql.split_whitespace().collect();
            match words.as_slice() {
                ["CREATE", t] => {
                    self.tables.insert(t.to_string(), vec![]);
                    Ok(())
                }
                ["INSERT", t, vals @ ..] => {
                    let row = vals
                        .iter()
                        .map(|v| match *v {
                            "null" => Value::Null,
                            v => v
                                .parse::<i64>()
                                .map(Value::Int)
                                .unwrap_or(Value::Text(v.into())),
                        })
                        .collect();
                    self.tables.get_mut(*t).ok_or("no such table")?.push(row);
                    Ok(())
                }
                ["PANIC"] => panic!("fake panic"),
                _ => Err(format!("cannot run {sql}")),
            }
        }

        fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
            match sql.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["SELECT", t] => {
                    let rows = self.tables.get(*t).ok_or("no such table")?.clone();
                    let columns = rows.first().map_or(1, Vec::len);
                    Ok(QueryOutput { columns, rows })
                }
                _ => Err(format!("cannot query {sql}")),
            }
        }
    }

    /// Runs a script on a fresh fake and returns every counted verdict's summary:
    /// `P`, `S` or `F:<kind>@<line>`.
    fn run(script: &str, skips: &SkipList) -> Vec<String> {
        let mut db = Fake::default();
        let path = Path::new("dir/t.test");
        let mut runner = FileRunner::new(path, "covet", skips);
        let mut out = vec![];
        for item in parse(script) {
            match runner.run(&item.unwrap(), &mut db) {
                Step::Counted(Verdict::Pass) => out.push("P".to_string()),
                Step::Counted(Verdict::Skip(_)) => out.push("S".to_string()),
                Step::Counted(Verdict::Fail(f)) => {
                    out.push(format!("F:{}@{}", f.kind.name(), f.line))
                }
                Step::Uncounted => {}
                Step::Halt => break,
            }
        }
        out
    }

    const TABLE: &str = "statement ok\nCREATE t\n\nstatement ok\nINSERT t 3 x\n\n\
                         statement ok\nINSERT t 1 y\n\nstatement ok\nINSERT t 2 null\n\n";

    #[test]
    fn md5_of_a_known_result_set() {
        // md5("1\n2\n3\n") and md5("") computed with coreutils' md5sum.
        let v: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            digest(&v).to_string(),
            "3 values hashing to c0710d6b4f15dfa88f600b0e6b624077"
        );
        assert_eq!(digest(&[]).md5, "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn sorting_modes() {
        let rows = vec![
            vec![Value::Int(3), Value::Text("x".into())],
            vec![Value::Int(10), Value::Text("a".into())],
            vec![Value::Int(1), Value::Null],
        ];
        assert_eq!(
            format_and_sort(&rows, "IT", SortMode::NoSort),
            ["3", "x", "10", "a", "1", "NULL"]
        );
        // Rows compare as strings: "10" < "3".
        assert_eq!(
            format_and_sort(&rows, "IT", SortMode::RowSort),
            ["1", "NULL", "10", "a", "3", "x"]
        );
        assert_eq!(
            format_and_sort(&rows, "IT", SortMode::ValueSort),
            ["1", "10", "3", "NULL", "a", "x"]
        );
    }

    #[test]
    fn statements_and_values() {
        let script = format!(
            "{TABLE}statement error\nBOGUS\n\nstatement ok\nBOGUS\n\nstatement error\nCREATE u\n\n\
             query IT rowsort\nSELECT t\n----\n1\ny\n2\nNULL\n3\nx\n\n\
             query IT nosort\nSELECT t\n----\n1\ny\n2\nNULL\n3\nx\n\n\
             query I nosort\nSELECT t\n----\n3\n\n\
             query I nosort\nSELECT nothing\n----\n\n"
        );
        assert_eq!(
            run(&script, &SkipList::default()),
            [
                "P",
                "P",
                "P",
                "P",
                "P",
                "F:statement failed@16",
                "F:statement should have failed@19",
                "P",
                "F:wrong result@32",
                "F:wrong column count@42",
                "F:query failed@47",
            ]
        );
    }

    #[test]
    fn hashing_follows_the_threshold_and_either_form_compares() {
        // Six values: over a threshold of 4 they are hashed; the expected side may be
        // the hash or (written with another threshold) the values.
        let hash = digest(
            &["1", "y", "2", "NULL", "3", "x"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        );
        let script = format!(
            "{TABLE}hash-threshold 4\n\n\
             query IT rowsort\nSELECT t\n----\n{hash}\n\n\
             query IT rowsort\nSELECT t\n----\n1\ny\n2\nNULL\n3\nx\n\n\
             query IT nosort\nSELECT t\n----\n{hash}\n\n"
        );
        assert_eq!(
            run(&script, &SkipList::default()),
            ["P", "P", "P", "P", "P", "P", "F:wrong result@30"]
        );
    }

    #[test]
    fn labels_must_agree() {
        let script = format!(
            "{TABLE}query IT rowsort lab\nSELECT t\n----\n1\ny\n2\nNULL\n3\nx\n\n\
             statement ok\nINSERT t 4 z\n\n\
             query IT rowsort lab\nSELECT t\n----\n1\ny\n2\nNULL\n3\nx\n4\nz\n\n\
             skipif covet\nquery I nosort other\nSELECT t\n----\n5\n\n\
             query I nosort other\nSELECT u\n----\n5\n\n"
        );
        // The second `lab` query's values match its own expectation but not the label's
        // earlier values; the skipped `other` registers 5, so the next `other` (which
        // fails on its own) is a failure either way.
        assert_eq!(
            run(&script, &SkipList::default()),
            [
                "P",
                "P",
                "P",
                "P",
                "P",
                "P",
                "F:label mismatch@26",
                "S",
                "F:query failed@44",
            ]
        );
    }

    #[test]
    fn conditions_skip_list_and_halt() {
        let script = "onlyif sqlite\nstatement ok\nBOGUS\n\n\
                      skipif covet\nstatement ok\nBOGUS\n\n\
                      onlyif covet\nstatement ok\nCREATE t\n\n\
                      statement ok\nBOGUS\n\n\
                      onlyif mysql\nhalt\n\n\
                      statement ok\nCREATE u\n\nhalt\n\nstatement ok\nBOGUS\n";
        let skips = SkipList::parse("t.test:13 | bogus on purpose").unwrap();
        assert_eq!(run(script, &skips), ["S", "S", "P", "S", "P"]);
    }
}
