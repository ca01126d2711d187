//! An engine's answer in a normal form both engines map onto, and the comparison of two.
//!
//! Values become [`Cell`]s: integers and numerics both become an exact decimal ([`Cell::Exact`],
//! compared by value: `2`, `2.0` and `2.00` are equal, as PostgreSQL's `numeric` equality says),
//! doubles stay `f64` and compare to a relative precision of [`FLOAT_PRECISION`] or an
//! absolute one of [`FLOAT_ABSOLUTE`] (an exact
//! number against a double compares the same way, and is tallied as a type difference),
//! dates and timestamps compare by their day or microsecond number, texts and booleans exactly.
//! An answer is its rows or its error's SQLSTATE; two errors agree when their SQLSTATE classes
//! agree or neither is a data exception (class 22) or a cardinality violation (class 21)
//! (which error a statement raises first is otherwise not specified). Rows are compared in
//! order when the query has a total `ORDER BY`, else as multisets.

use std::cmp::Ordering;
use std::fmt;

use covet_engine::value::{Date, Timestamp, Value};

/// The relative precision doubles are compared to.
pub const FLOAT_PRECISION: f64 = 1e-9;

/// The absolute difference below which two doubles agree whatever their size: a result that
/// is exactly 0 in one engine and a rounding residue (`variance` of equal values: 1e-30) in
/// the other. The generated data is below 10^5 in magnitude, so this is far below any value
/// a query computes on purpose.
pub const FLOAT_ABSOLUTE: f64 = 1e-12;

/// A value in normal form.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An exact number: sign, digits without leading or trailing zeros, and the power of ten of
    /// the last digit (`-1.50` is `(true, "15", -1)`, zero is `(false, "", 0)`).
    Exact(bool, String, i64),
    /// A double.
    Float(f64),
    /// A text.
    Text(String),
    /// A date, as days since 1970-01-01.
    Date(i64),
    /// A timestamp, as microseconds since 1970-01-01 00:00.
    Timestamp(i64),
    /// Anything else, as text (its type first).
    Other(String),
}

/// Parses a decimal number (`-12.340`, `5`, `1e3`) into [`Cell::Exact`]'s parts.
pub fn exact(text: &str) -> Option<Cell> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let mut power = exponent - fraction.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    let kept = trimmed.trim_end_matches('0');
    power += (trimmed.len() - kept.len()) as i64;
    if kept.is_empty() {
        return Some(Cell::Exact(false, String::new(), 0));
    }
    Some(Cell::Exact(negative, kept.to_owned(), power))
}

impl Cell {
    /// covet's value.
    pub fn from_covet(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Int(i) => exact(&i.to_string()).unwrap_or(Cell::Other(i.to_string())),
            Value::Decimal(d) => {
                let text = d.to_string();
                exact(&text).unwrap_or(Cell::Other(format!("numeric {text}")))
            }
            Value::Float(f) => Cell::Float(*f),
            Value::Text(s) => Cell::Text(s.clone()),
            Value::Date(d) => Cell::Date(i64::from(d.days())),
            Value::Timestamp(ts) => Cell::Timestamp(ts.micros()),
            other => Cell::Other(format!("{} {other}", other.type_name())),
        }
    }

    /// PostgreSQL's text output `text` of a value of type `type_name` (`int8`, `numeric`, …);
    /// `None` is NULL.
    pub fn from_pg_text(type_name: &str, text: Option<&str>) -> Cell {
        let Some(text) = text else {
            return Cell::Null;
        };
        let other = || Cell::Other(format!("{type_name} {text}"));
        match type_name {
            "int2" | "int4" | "int8" | "numeric" => exact(text).unwrap_or_else(other),
            "float4" | "float8" => match text {
                "Infinity" => Cell::Float(f64::INFINITY),
                "-Infinity" => Cell::Float(f64::NEG_INFINITY),
                _ => text.parse().map(Cell::Float).unwrap_or_else(|_| other()),
            },
            "bool" => match text {
                "t" => Cell::Bool(true),
                "f" => Cell::Bool(false),
                _ => other(),
            },
            "text" | "varchar" | "bpchar" | "name" | "unknown" => Cell::Text(text.to_owned()),
            "date" => Date::parse(text)
                .map(|d| Cell::Date(i64::from(d.days())))
                .unwrap_or_else(|_| other()),
            "timestamp" => Timestamp::parse(text)
                .map(|ts| Cell::Timestamp(ts.micros()))
                .unwrap_or_else(|_| other()),
            _ => other(),
        }
    }

    /// The value as a double, for numbers.
    fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Float(f) => Some(*f),
            Cell::Exact(negative, digits, power) => {
                let text = format!("{}{}e{power}", if *negative { "-" } else { "" }, digits);
                text.parse().ok().or(Some(0.0))
            }
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Cell::Null => 0,
            Cell::Bool(_) => 1,
            Cell::Exact(..) | Cell::Float(_) => 2,
            Cell::Text(_) => 3,
            Cell::Date(_) => 4,
            Cell::Timestamp(_) => 5,
            Cell::Other(_) => 6,
        }
    }

    /// A total order for sorting rows into a canonical order (numbers by value).
    fn sort_cmp(&self, other: &Cell) -> Ordering {
        match (self, other) {
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (Cell::Text(a), Cell::Text(b)) | (Cell::Other(a), Cell::Other(b)) => a.cmp(b),
            (Cell::Date(a), Cell::Date(b)) | (Cell::Timestamp(a), Cell::Timestamp(b)) => a.cmp(b),
            (Cell::Exact(..), Cell::Exact(..)) => exact_cmp(self, other),
            (a, b) if a.rank() == 2 && b.rank() == 2 => {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                x.total_cmp(&y)
            }
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    /// Whether two cells agree (doubles to [`FLOAT_PRECISION`]).
    pub fn agrees(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Exact(..), Cell::Exact(..)) => self == other,
            (a, b) if a.rank() == 2 && b.rank() == 2 => {
                let (x, y) = (
                    a.as_f64().unwrap_or(f64::NAN),
                    b.as_f64().unwrap_or(f64::NAN),
                );
                floats_agree(x, y)
            }
            (a, b) => a == b,
        }
    }
}

/// The order of two exact numbers by value (exactly: 10^17 + 1 and 10^17 + 2 are two values,
/// which they are not as doubles).
fn exact_cmp(a: &Cell, b: &Cell) -> Ordering {
    let (Cell::Exact(an, ad, ap), Cell::Exact(bn, bd, bp)) = (a, b) else {
        return Ordering::Equal;
    };
    let sign = |negative: bool, digits: &str| match (digits.is_empty(), negative) {
        (true, _) => 0,
        (false, true) => -1,
        (false, false) => 1,
    };
    let (sa, sb) = (sign(*an, ad), sign(*bn, bd));
    if sa != sb || sa == 0 {
        return sa.cmp(&sb);
    }
    // Same sign, both non-zero: compare magnitudes (integer digits first, then the digits).
    let magnitude = {
        let (ia, ib) = (ad.len() as i64 + ap, bd.len() as i64 + bp);
        ia.cmp(&ib).then_with(|| {
            let width = ad.len().max(bd.len());
            let pad = |d: &str| format!("{d:0<width$}");
            pad(ad).cmp(&pad(bd))
        })
    };
    if sa < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

/// Whether two doubles agree to [`FLOAT_PRECISION`] or [`FLOAT_ABSOLUTE`] (NaN agrees with
/// NaN, infinities with themselves).
pub fn floats_agree(x: f64, y: f64) -> bool {
    if x.is_nan() || y.is_nan() {
        return x.is_nan() && y.is_nan();
    }
    if x.is_infinite() || y.is_infinite() {
        return x == y;
    }
    let diff = (x - y).abs();
    diff <= FLOAT_ABSOLUTE || diff <= FLOAT_PRECISION * x.abs().max(y.abs())
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => f.write_str("NULL"),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Exact(negative, digits, power) => {
                let sign = if *negative { "-" } else { "" };
                if digits.is_empty() {
                    f.write_str("0")
                } else if *power >= 0 {
                    write!(f, "{sign}{digits}{}", "0".repeat(*power as usize))
                } else {
                    let point = digits.len() as i64 + power;
                    if point > 0 {
                        let (w, fr) = digits.split_at(point as usize);
                        write!(f, "{sign}{w}.{fr}")
                    } else {
                        write!(f, "{sign}0.{}{digits}", "0".repeat((-point) as usize))
                    }
                }
            }
            Cell::Float(x) => write!(f, "{x:?}"),
            Cell::Text(s) => write!(f, "{s:?}"),
            Cell::Date(d) => write!(f, "{}", Date::from_days(*d as i32)),
            Cell::Timestamp(t) => write!(f, "{}", Timestamp::from_micros(*t)),
            Cell::Other(s) => write!(f, "<{s}>"),
        }
    }
}

/// What an engine answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Rows.
    Rows(Vec<Vec<Cell>>),
    /// An error: its SQLSTATE and message.
    Error(String, String),
}

impl Answer {
    /// The answer, printed for a report (at most `max_rows` rows).
    pub fn render(&self, max_rows: usize) -> String {
        match self {
            Answer::Error(code, message) => format!("ERROR {code}: {message}"),
            Answer::Rows(rows) => {
                let mut out = format!("{} rows", rows.len());
                for row in rows.iter().take(max_rows) {
                    let cells: Vec<String> = row.iter().map(Cell::to_string).collect();
                    out.push_str(&format!("\n    ({})", cells.join(", ")));
                }
                if rows.len() > max_rows {
                    out.push_str("\n    …");
                }
                out
            }
        }
    }
}

/// The comparison of two answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The same rows.
    Same,
    /// The same rows, but where one has an exact number the other has a double (the count).
    SameValuesOtherTypes(usize),
    /// Both errors, in agreeing classes.
    BothError,
    /// A difference, described.
    Differ(String),
}

/// Whether two errors agree (see the module comment).
fn errors_agree(a: &str, b: &str) -> bool {
    let class = |code: &str| code.get(..2).unwrap_or("").to_owned();
    let strict = |c: &str| c == "22" || c == "21";
    class(a) == class(b) || !strict(&class(a)) && !strict(&class(b))
}

fn row_agrees(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.agrees(y))
}

fn type_differences(a: &[Vec<Cell>], b: &[Vec<Cell>]) -> usize {
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y))
        .filter(|(x, y)| {
            matches!(
                (x, y),
                (Cell::Exact(..), Cell::Float(_)) | (Cell::Float(_), Cell::Exact(..))
            )
        })
        .count()
}

fn sorted(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    let mut rows = rows.to_vec();
    rows.sort_by(|x, y| {
        x.iter()
            .zip(y)
            .map(|(a, b)| a.sort_cmp(b))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len()))
    });
    rows
}

/// Compares covet's answer with PostgreSQL's (`ordered`: the row order counts).
pub fn compare(covet: &Answer, pg: &Answer, ordered: bool) -> Verdict {
    match (covet, pg) {
        (Answer::Error(a, _), Answer::Error(b, _)) if errors_agree(a, b) => Verdict::BothError,
        (Answer::Error(a, _), Answer::Error(b, _)) => Verdict::Differ(format!(
            "errors of other classes: covet {a}, PostgreSQL {b}"
        )),
        (Answer::Error(code, _), Answer::Rows(_)) => {
            Verdict::Differ(format!("covet fails ({code}), PostgreSQL answers"))
        }
        (Answer::Rows(_), Answer::Error(code, _)) => {
            Verdict::Differ(format!("covet answers, PostgreSQL fails ({code})"))
        }
        (Answer::Rows(a), Answer::Rows(b)) => {
            if a.len() != b.len() {
                return Verdict::Differ(format!("{} rows against {}", a.len(), b.len()));
            }
            let (a, b) = if ordered {
                (a.clone(), b.clone())
            } else {
                (sorted(a), sorted(b))
            };
            if let Some(at) = (0..a.len()).find(|&k| !row_agrees(&a[k], &b[k])) {
                let what = if ordered { "row" } else { "sorted row" };
                return Verdict::Differ(format!("{what} {at} differs"));
            }
            match type_differences(&a, &b) {
                0 => Verdict::Same,
                n => Verdict::SameValuesOtherTypes(n),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet_engine::value::Decimal;

    fn e(text: &str) -> Cell {
        exact(text).unwrap()
    }

    #[test]
    fn exact_numbers_are_normalized() {
        assert_eq!(e("-1.50"), Cell::Exact(true, "15".into(), -1));
        assert_eq!(e("2"), e("2.00"));
        assert_eq!(e("0.000"), e("-0"));
        assert_eq!(e("1200"), Cell::Exact(false, "12".into(), 2));
        assert_eq!(e("1.5e3"), e("1500"));
        assert_eq!(exact("abc"), None);
        assert_eq!(exact("."), None);
        assert_eq!(exact("1.2.3"), None);
        for text in ["-1.5", "1200", "0.0012", "0", "12.34"] {
            assert_eq!(e(text).to_string(), text);
        }
    }

    #[test]
    fn both_engines_map_onto_the_same_cells() {
        let dec = Decimal::new(true, 1250, 2).unwrap();
        assert_eq!(
            Cell::from_covet(&Value::Decimal(dec)),
            Cell::from_pg_text("numeric", Some("-12.50"))
        );
        assert_eq!(
            Cell::from_covet(&Value::Int(7)),
            Cell::from_pg_text("int4", Some("7"))
        );
        assert_eq!(Cell::from_pg_text("bool", Some("t")), Cell::Bool(true));
        assert_eq!(
            Cell::from_pg_text("float8", Some("-Infinity")),
            Cell::Float(f64::NEG_INFINITY)
        );
        assert_eq!(Cell::from_pg_text("text", None), Cell::Null);
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(
            Cell::from_covet(&Value::Date(d)),
            Cell::from_pg_text("date", Some("2024-02-29"))
        );
        let ts = Timestamp::parse("2024-02-29 13:45:00.25").unwrap();
        assert_eq!(
            Cell::from_covet(&Value::Timestamp(ts)),
            Cell::from_pg_text("timestamp", Some("2024-02-29 13:45:00.25"))
        );
        assert_eq!(
            Cell::from_pg_text("interval", Some("1 day")),
            Cell::Other("interval 1 day".into())
        );
    }

    #[test]
    fn answers_compare_by_value_in_or_out_of_order() {
        let rows = |v: &[&[Cell]]| Answer::Rows(v.iter().map(|r| r.to_vec()).collect());
        let a = rows(&[&[e("1"), Cell::Text("x".into())], &[e("2"), Cell::Null]]);
        let b = rows(&[&[e("2.0"), Cell::Null], &[e("1"), Cell::Text("x".into())]]);
        assert_eq!(compare(&a, &b, false), Verdict::Same);
        assert_eq!(
            compare(&a, &b, true),
            Verdict::Differ("row 0 differs".into())
        );
        let f = rows(&[&[Cell::Float(0.1 + 0.2)]]);
        let g = rows(&[&[Cell::Float(0.3)]]);
        assert_eq!(compare(&f, &g, true), Verdict::Same);
        let h = rows(&[&[Cell::Float(0.3001)]]);
        assert!(matches!(compare(&f, &h, true), Verdict::Differ(_)));
        let zero = rows(&[&[Cell::Float(0.0)]]);
        assert_eq!(
            compare(&zero, &rows(&[&[Cell::Float(3e-30)]]), true),
            Verdict::Same
        );
        assert!(matches!(
            compare(&zero, &rows(&[&[Cell::Float(2e-12)]]), true),
            Verdict::Differ(_)
        ));
        let x = rows(&[&[e("2.5")]]);
        let y = rows(&[&[Cell::Float(2.5)]]);
        assert_eq!(compare(&x, &y, true), Verdict::SameValuesOtherTypes(1));
        assert_eq!(
            compare(&x, &rows(&[]), false),
            Verdict::Differ("1 rows against 0".into())
        );
        // Duplicates count: a multiset, not a set.
        let dup = rows(&[&[e("1")], &[e("1")]]);
        let two = rows(&[&[e("1")], &[e("2")]]);
        assert!(matches!(compare(&dup, &two, false), Verdict::Differ(_)));
    }

    #[test]
    fn exact_numbers_sort_exactly() {
        let mut cells: Vec<Cell> = [
            "100000000000000012",
            "-3",
            "0",
            "100000000000000011",
            "-12.5",
            "0.05",
            "7",
            "-0.5",
        ]
        .iter()
        .map(|t| e(t))
        .collect();
        cells.sort_by(|a, b| a.sort_cmp(b));
        let texts: Vec<String> = cells.iter().map(Cell::to_string).collect();
        assert_eq!(
            texts,
            [
                "-12.5",
                "-3",
                "-0.5",
                "0",
                "0.05",
                "7",
                "100000000000000011",
                "100000000000000012"
            ]
        );
        let rows = |v: &[&str]| Answer::Rows(v.iter().map(|t| vec![e(t)]).collect());
        let a = rows(&["100000000000000012", "100000000000000011"]);
        let b = rows(&["100000000000000011", "100000000000000012"]);
        assert_eq!(compare(&a, &b, false), Verdict::Same);
    }

    #[test]
    fn errors_compare_by_class_where_it_means_something() {
        let err = |c: &str| Answer::Error(c.into(), String::new());
        assert_eq!(
            compare(&err("22012"), &err("22003"), false),
            Verdict::BothError
        );
        assert_eq!(
            compare(&err("42883"), &err("0A000"), false),
            Verdict::BothError
        );
        assert!(matches!(
            compare(&err("22012"), &err("42883"), false),
            Verdict::Differ(_)
        ));
        assert!(matches!(
            compare(&err("22012"), &Answer::Rows(vec![]), false),
            Verdict::Differ(_)
        ));
    }
}
