//! The tables of the differential test and their NULL-heavy rows, as SQL text both engines run.
//!
//! Four tables `t1`…`t4` share one column set, so any two can be joined on any pair of
//! columns of a type: `id BIGINT PRIMARY KEY` (a unique, non-NULL tie-breaker), `i BIGINT`
//! (small values, now and then huge ones, ±10^17, so that products overflow),
//! `j BIGINT` (0–4: join and group keys), `f DOUBLE PRECISION` (multiples of 1/8 and of 1/10),
//! `n NUMERIC(12,2)`, `s TEXT` (a vocabulary with LIKE metacharacters, quotes, spaces, case),
//! `b BOOLEAN`, `d DATE`, `ts TIMESTAMP`. About 30% of the values of every nullable column are
//! NULL. Integers are `BIGINT`, never `INTEGER`: covet's integer arithmetic is 64-bit at every
//! width, PostgreSQL's `integer` overflows at 32 bits (see `query/COMPAT.md`).

use covet_engine::value::{Date, Timestamp};

use super::rng::Rng;

/// A column type of the generated tables (and of generated expressions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// `BIGINT`.
    Int,
    /// `DOUBLE PRECISION`.
    Float,
    /// `NUMERIC`.
    Numeric,
    /// `TEXT`.
    Text,
    /// `BOOLEAN`.
    Bool,
    /// `DATE`.
    Date,
    /// `TIMESTAMP`.
    Timestamp,
}

impl Ty {
    /// Every type.
    pub const ALL: [Ty; 7] = [
        Ty::Int,
        Ty::Float,
        Ty::Numeric,
        Ty::Text,
        Ty::Bool,
        Ty::Date,
        Ty::Timestamp,
    ];

    /// The name used in casts (the same in both engines).
    pub fn sql(self) -> &'static str {
        match self {
            Ty::Int => "BIGINT",
            Ty::Float => "DOUBLE PRECISION",
            Ty::Numeric => "NUMERIC",
            Ty::Text => "TEXT",
            Ty::Bool => "BOOLEAN",
            Ty::Date => "DATE",
            Ty::Timestamp => "TIMESTAMP",
        }
    }

    /// Whether it is a number type.
    pub fn is_number(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Numeric)
    }
}

/// The columns every table has, with their types (`id` first).
pub const COLUMNS: [(&str, Ty); 9] = [
    ("id", Ty::Int),
    ("i", Ty::Int),
    ("j", Ty::Int),
    ("f", Ty::Float),
    ("n", Ty::Numeric),
    ("s", Ty::Text),
    ("b", Ty::Bool),
    ("d", Ty::Date),
    ("ts", Ty::Timestamp),
];

/// The declared type of each column in `CREATE TABLE`.
fn declared(column: &str, ty: Ty) -> &'static str {
    match (column, ty) {
        ("id", _) => "BIGINT PRIMARY KEY",
        (_, Ty::Numeric) => "NUMERIC(12,2)",
        (_, ty) => ty.sql(),
    }
}

/// The tables and their row counts (small enough that a 4-way join stays small).
pub const TABLES: [(&str, u64); 4] = [("t1", 18), ("t2", 24), ("t3", 12), ("t4", 16)];

/// Texts the rows draw from: LIKE metacharacters, a quote, spaces, case, digits, empty.
const WORDS: [&str; 16] = [
    "",
    "a",
    "abc",
    "Abc",
    "ABC",
    "b%c",
    "x_y",
    " pad ",
    "hello world",
    "zeta",
    "123",
    "it's",
    "a\\b",
    "mixed Case",
    "z",
    "abcabc",
];

/// A SQL string literal of `s`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Day number (since 1970-01-01) of 1999-01-01, the first generated date.
const FIRST_DAY: i32 = 10_592;

/// A random value of `ty` for column `column` as a SQL literal (never NULL).
pub fn value_literal(rng: &mut Rng, column: &str, ty: Ty) -> String {
    match ty {
        Ty::Int if column == "j" => rng.range(0, 4).to_string(),
        Ty::Int => match rng.below(100) {
            // Big enough that a product of two overflows 64 bits (22003 in both engines),
            // small enough that a sum over a join (at most 90 of them) does not: covet's
            // sum(bigint) is bigint, PostgreSQL's numeric (an accepted difference,
            // query/COMPAT.md).
            0 => "100000000000000000".to_owned(),
            1 => "-100000000000000000".to_owned(),
            2..=5 => rng.range(-5_000_000_000, 5_000_000_000).to_string(),
            _ => rng.range(-20, 20).to_string(),
        },
        Ty::Float => float_literal(rng),
        Ty::Numeric => numeric_literal(rng, 100_000),
        Ty::Text => text_literal(rng),
        Ty::Bool => bool_literal(rng),
        Ty::Date => date_literal(rng),
        Ty::Timestamp => timestamp_literal(rng),
    }
}

/// A double as decimal text: a multiple of 1/8 (exact in binary) or, now and then, of 1/10.
pub fn float_text(rng: &mut Rng) -> String {
    if rng.pct(15) {
        format!("{:.1}", rng.range(-300, 300) as f64 / 10.0)
    } else {
        let v = rng.range(-800, 800) as f64 / 8.0;
        format!("{v}")
    }
}

/// A double literal (`CAST`: a bare `1.5` is `numeric` in PostgreSQL).
pub fn float_literal(rng: &mut Rng) -> String {
    format!("CAST({} AS DOUBLE PRECISION)", float_text(rng))
}

/// A numeric literal with two decimals, below `limit` in magnitude.
pub fn numeric_literal(rng: &mut Rng, limit: i64) -> String {
    let cents = rng.range(-limit * 100, limit * 100) / if rng.pct(50) { 1 } else { 100 };
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A text literal.
pub fn text_literal(rng: &mut Rng) -> String {
    if rng.pct(70) {
        quote(rng.pick::<&str>(&WORDS))
    } else {
        let len = rng.range(1, 5);
        let s: String = (0..len)
            .map(|_| char::from(b'a' + rng.below(4) as u8))
            .collect();
        quote(&s)
    }
}

/// `TRUE` or `FALSE`.
pub fn bool_literal(rng: &mut Rng) -> String {
    if rng.pct(50) { "TRUE" } else { "FALSE" }.to_owned()
}

fn random_date(rng: &mut Rng) -> Date {
    Date::from_days(FIRST_DAY + rng.below(12_000) as i32)
}

/// A `DATE '…'` literal between 1999 and 2031.
pub fn date_literal(rng: &mut Rng) -> String {
    format!("DATE '{}'", random_date(rng))
}

/// A `TIMESTAMP '…'` literal, whole seconds or a quarter past.
pub fn timestamp_literal(rng: &mut Rng) -> String {
    let day = i64::from(random_date(rng).days());
    let second = rng.below(86_400) as i64;
    let quarter = if rng.pct(20) { 250_000 } else { 0 };
    let ts = Timestamp::from_micros((day * 86_400 + second) * 1_000_000 + quarter);
    format!("TIMESTAMP '{ts}'")
}

/// The generated tables: their DDL and rows, as SQL statements.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// `CREATE TABLE` statements.
    pub ddl: Vec<String>,
    /// One multi-row `INSERT` per table.
    pub inserts: Vec<String>,
}

impl Dataset {
    /// The dataset of `seed`.
    pub fn generate(seed: u64) -> Dataset {
        let mut rng = Rng::for_item(seed, u64::MAX);
        let mut ddl = Vec::new();
        let mut inserts = Vec::new();
        for (table, rows) in TABLES {
            let columns: Vec<String> = COLUMNS
                .iter()
                .map(|(c, ty)| format!("{c} {}", declared(c, *ty)))
                .collect();
            ddl.push(format!("CREATE TABLE {table} ({})", columns.join(", ")));
            let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
            let values: Vec<String> = (1..=rows)
                .map(|id| {
                    let cells: Vec<String> = COLUMNS
                        .iter()
                        .map(|&(c, ty)| match c {
                            "id" => id.to_string(),
                            "j" if rng.pct(15) => "NULL".to_owned(),
                            "j" => value_literal(&mut rng, c, ty),
                            _ if rng.pct(30) => "NULL".to_owned(),
                            _ => value_literal(&mut rng, c, ty),
                        })
                        .collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            inserts.push(format!(
                "INSERT INTO {table} ({}) VALUES {}",
                names.join(", "),
                values.join(", ")
            ));
        }
        Dataset { ddl, inserts }
    }

    /// Every statement, DDL first.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.ddl.iter().chain(&self.inserts).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_is_deterministic_and_null_heavy() {
        let a = Dataset::generate(5);
        assert_eq!(a.statements().count(), 8);
        assert_eq!(
            a.ddl[0],
            "CREATE TABLE t1 (id BIGINT PRIMARY KEY, i BIGINT, j BIGINT, f DOUBLE PRECISION, \
             n NUMERIC(12,2), s TEXT, b BOOLEAN, d DATE, ts TIMESTAMP)"
        );
        assert_eq!(a.inserts, Dataset::generate(5).inserts);
        assert_ne!(a.inserts, Dataset::generate(6).inserts);
        let nulls = a
            .inserts
            .iter()
            .map(|i| i.matches("NULL").count())
            .sum::<usize>();
        let rows: u64 = TABLES.iter().map(|t| t.1).sum();
        // 8 nullable columns per row, about 30% NULL each (j: 15%).
        assert!(nulls as u64 > rows * 8 / 5, "{nulls} NULLs in {rows} rows");
        assert!(
            a.inserts[1].starts_with("INSERT INTO t2 (id, i, j, f, n, s, b, d, ts) VALUES (1, ")
        );
    }

    #[test]
    fn literals_are_valid_sql_text() {
        let mut rng = Rng::new(1);
        assert_eq!(quote("it's"), "'it''s'");
        for _ in 0..200 {
            let n = numeric_literal(&mut rng, 100);
            let (whole, cents) = n.trim_start_matches('-').split_once('.').unwrap();
            assert!(
                whole.parse::<u64>().unwrap() <= 100 && cents.len() == 2,
                "{n}"
            );
            let d = date_literal(&mut rng);
            assert!(
                d.starts_with("DATE '") && d.len() == "DATE '1999-01-01'".len(),
                "{d}"
            );
            let f = float_text(&mut rng);
            assert!(f.parse::<f64>().is_ok(), "{f}");
        }
    }
}
