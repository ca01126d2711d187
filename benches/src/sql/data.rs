//! The rows of the `sql` suite, streamed from a seed, and the digest every read is checked with.
//!
//! Row `i` of the table `t(id, k, a, b, c, d)` is a pure function of the seed and `i`
//! ([`RowGen::row`]); nothing holds the rows, so a run's memory is the engine's. `k` is a
//! bijection of `0..n` ([`KeyMap`]: an affine map modulo `n` with a known inverse), so the rows
//! whose `k` falls in a range are known without a scan, and a range of 1,000 values of `k` holds
//! exactly 1,000 rows.
//!
//! A read folds every value it receives into a [`RowDigest`] (each row's cells mixed in column
//! order, the rows summed, so the total does not depend on the order the rows come in); the
//! expected digest folds the generated rows the same way. A missing, extra, repeated or wrong
//! row, or a value of another type, changes the digest.

use crate::keys::mix;

/// Columns of the table, in the order of every `SELECT` of the suite.
pub const COLUMNS: usize = 6;

/// Index of `c`, the non-indexed `DOUBLE PRECISION` column `order_by_stream` sorts on.
pub const C_COLUMN: usize = 4;

/// One value as a workload sees it: borrowed from the engine's row, so nothing is copied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// Text, as its UTF-8 bytes.
    Text(&'a [u8]),
    /// Any other type (never expected: it spoils the digest).
    Other,
}

/// What receives the rows of a query, one cell at a time.
pub trait RowSink {
    /// Cell `column` of the current row.
    fn cell(&mut self, column: usize, cell: Cell<'_>);
    /// The current row is complete.
    fn end_row(&mut self);
}

/// The affine bijection `k = (i * mult + offset) mod n` of `0..n` and its inverse.
#[derive(Clone, Copy, Debug)]
pub struct KeyMap {
    n: u64,
    mult: u64,
    inverse: u64,
    offset: u64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The inverse of `a` modulo `n` (`a` and `n` coprime, `n >= 1`), by extended Euclid.
fn mod_inverse(a: u64, n: u64) -> u64 {
    let (mut old_r, mut r) = (i128::from(a), i128::from(n));
    let (mut old_s, mut s) = (1i128, 0i128);
    while r != 0 {
        let q = old_r / r;
        (old_r, r) = (r, old_r - q * r);
        (old_s, s) = (s, old_s - q * s);
    }
    old_s.rem_euclid(i128::from(n)) as u64
}

impl KeyMap {
    /// A bijection of `0..n` chosen by `seed`.
    pub fn new(n: u64, seed: u64) -> KeyMap {
        let n = n.max(1);
        let mut mult = (mix(seed ^ 0x6B6D_6170) % n).max(1); // "kmap"
        while gcd(mult, n) != 1 {
            mult = mult % n + 1;
        }
        KeyMap {
            n,
            mult,
            inverse: mod_inverse(mult, n),
            offset: mix(seed ^ 0x6F66_6673) % n, // "offs"
        }
    }

    /// `k` of row `i < n`.
    pub fn k(&self, i: u64) -> u64 {
        ((u128::from(i) * u128::from(self.mult) + u128::from(self.offset)) % u128::from(self.n))
            as u64
    }

    /// The row whose `k` is `k < n`.
    pub fn row_of(&self, k: u64) -> u64 {
        let shifted = (k + self.n - self.offset) % self.n;
        ((u128::from(shifted) * u128::from(self.inverse)) % u128::from(self.n)) as u64
    }
}

/// One generated row (its texts owned, since they are built).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// `id INTEGER PRIMARY KEY`.
    pub id: i64,
    /// `k INTEGER`, indexed: a bijection of `0..n` for the loaded rows, `id` past them.
    pub k: i64,
    /// `a TEXT`, 8 to 23 letters.
    pub a: String,
    /// `b TEXT`, 20 to 59 letters.
    pub b: String,
    /// `c DOUBLE PRECISION`, a multiple of 1/16 below 62,500 (exact in binary and in text).
    pub c: f64,
    /// `d INTEGER`, below 1,000.
    pub d: i64,
}

impl Row {
    /// Feeds the row to `sink` in column order.
    pub fn feed(&self, sink: &mut dyn RowSink) {
        sink.cell(0, Cell::Int(self.id));
        sink.cell(1, Cell::Int(self.k));
        sink.cell(2, Cell::Text(self.a.as_bytes()));
        sink.cell(3, Cell::Text(self.b.as_bytes()));
        sink.cell(4, Cell::Float(self.c));
        sink.cell(5, Cell::Int(self.d));
        sink.end_row();
    }
}

/// Generates the rows of a table of `n` loaded rows (and the rows past `n` that
/// `insert_10k` adds) from a seed.
#[derive(Clone, Copy, Debug)]
pub struct RowGen {
    n: u64,
    base: u64,
    keys: KeyMap,
}

impl RowGen {
    /// The generator of seed `seed` for `n` loaded rows.
    pub fn new(n: u64, seed: u64) -> RowGen {
        RowGen {
            n,
            base: mix(seed ^ 0x7371_6C72_6F77_7331), // "sqlrows1"
            keys: KeyMap::new(n, seed),
        }
    }

    /// The rows loaded.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The bijection that gives `k`.
    pub fn keys(&self) -> &KeyMap {
        &self.keys
    }

    fn word(&self, i: u64, field: u64) -> u64 {
        mix(self.base ^ mix(i.wrapping_mul(8).wrapping_add(field)))
    }

    fn letters(&self, i: u64, field: u64, len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut w = self.word(i, field);
        for j in 0..len {
            if j % 12 == 11 {
                w = mix(w);
            }
            out.push(char::from(b'a' + (w % 26) as u8));
            w /= 26;
        }
        out
    }

    /// Row `i` (any `i`: `0..n` are loaded, `n..` are what `insert_10k` inserts).
    pub fn row(&self, i: u64) -> Row {
        let shape = self.word(i, 0);
        Row {
            id: i as i64,
            k: if i < self.n { self.keys.k(i) } else { i } as i64,
            a: self.letters(i, 1, 8 + (shape % 16) as usize),
            b: self.letters(i, 2, 20 + ((shape >> 8) % 40) as usize),
            c: ((shape >> 16) % 1_000_000) as f64 / 16.0,
            d: ((shape >> 40) % 1000) as i64,
        }
    }
}

/// The order-independent digest of a multiset of rows, and whether one column came in
/// non-decreasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowDigest {
    rows: u64,
    sum: u64,
    row_hash: u64,
    cells_in_row: u64,
    bad_rows: u64,
    order_column: Option<usize>,
    previous: Option<u64>,
    out_of_order: u64,
}

impl RowDigest {
    /// An empty digest.
    pub fn new() -> RowDigest {
        RowDigest {
            rows: 0,
            sum: 0,
            row_hash: 0,
            cells_in_row: 0,
            bad_rows: 0,
            order_column: None,
            previous: None,
            out_of_order: 0,
        }
    }

    /// An empty digest that also checks column `column` (a double) never decreases.
    pub fn ordered_by(column: usize) -> RowDigest {
        RowDigest {
            order_column: Some(column),
            ..RowDigest::new()
        }
    }

    /// The rows folded in.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows with another number of cells than [`COLUMNS`].
    pub fn bad_rows(&self) -> u64 {
        self.bad_rows
    }

    /// Rows whose order column was below the previous row's.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// Whether `self` holds the same multiset of rows as `other` (the order checks aside).
    pub fn same_rows(&self, other: &RowDigest) -> bool {
        (self.rows, self.sum, self.bad_rows) == (other.rows, other.sum, other.bad_rows)
    }

    /// An error naming what differs from `expected`, if anything.
    pub fn check(&self, expected: &RowDigest, what: &str) -> Result<(), String> {
        if self.bad_rows > 0 {
            return Err(format!(
                "{what}: {} rows without exactly {COLUMNS} columns",
                self.bad_rows
            ));
        }
        if self.out_of_order > 0 {
            return Err(format!("{what}: {} rows out of order", self.out_of_order));
        }
        if !self.same_rows(expected) {
            return Err(format!(
                "{what}: {} rows with digest {:016x}, expected {} rows with digest {:016x}",
                self.rows, self.sum, expected.rows, expected.sum
            ));
        }
        Ok(())
    }
}

impl Default for RowDigest {
    fn default() -> Self {
        RowDigest::new()
    }
}

/// A total order on doubles as unsigned words (for the order check; no NaN is generated).
fn ordered_bits(f: f64) -> u64 {
    let bits = f.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

impl RowSink for RowDigest {
    fn cell(&mut self, column: usize, cell: Cell<'_>) {
        // Each value is touched: integers and doubles whole, texts by length and their first
        // and last bytes (the same work for every engine, cheap next to reading the row).
        let word = match cell {
            Cell::Null => 0x6E75_6C6C, // "null"
            Cell::Int(i) => i as u64,
            Cell::Float(f) => f.to_bits() ^ 0xF10A_7000_0000_0000,
            Cell::Text(t) => {
                let first = t.first().copied().unwrap_or(0);
                let last = t.last().copied().unwrap_or(0);
                (t.len() as u64) | u64::from(first) << 32 | u64::from(last) << 40 | 1 << 56
            }
            Cell::Other => 0x6F_7468_6572, // "other"
        };
        self.row_hash = mix(self.row_hash ^ word ^ (column as u64) << 58);
        self.cells_in_row += 1;
        if Some(column) == self.order_column {
            let key = match cell {
                Cell::Float(f) => ordered_bits(f),
                _ => 0,
            };
            if self.previous.is_some_and(|p| key < p) {
                self.out_of_order += 1;
            }
            self.previous = Some(key);
        }
    }

    fn end_row(&mut self) {
        if self.cells_in_row != COLUMNS as u64 {
            self.bad_rows += 1;
        }
        self.sum = self.sum.wrapping_add(mix(self.row_hash));
        self.rows += 1;
        self.row_hash = 0;
        self.cells_in_row = 0;
    }
}

/// The integers of the first row of a result (for the untimed counts and sums).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FirstRow {
    /// The first row's cells as integers (`None` for NULL or a non-integer).
    pub values: Vec<Option<i64>>,
    /// Rows seen.
    pub rows: u64,
}

impl RowSink for FirstRow {
    fn cell(&mut self, _column: usize, cell: Cell<'_>) {
        if self.rows == 0 {
            self.values.push(match cell {
                Cell::Int(i) => Some(i),
                _ => None,
            });
        }
    }

    fn end_row(&mut self) {
        self.rows += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_map_is_a_bijection_with_its_inverse() {
        for n in [1u64, 2, 7, 1000, 1024, 20_000] {
            let map = KeyMap::new(n, 3);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let k = map.k(i);
                assert!(!seen[k as usize], "n {n}: k {k} twice");
                seen[k as usize] = true;
                assert_eq!(map.row_of(k), i, "n {n}");
            }
        }
    }

    #[test]
    fn rows_are_deterministic_and_in_their_ranges() {
        let gen = RowGen::new(500, 3);
        assert_eq!(gen.row(17), RowGen::new(500, 3).row(17));
        assert_ne!(gen.row(17), RowGen::new(500, 4).row(17));
        for i in 0..600 {
            let r = gen.row(i);
            assert_eq!(r.id, i as i64);
            assert!((8..24).contains(&r.a.len()) && (20..60).contains(&r.b.len()));
            assert!(r
                .a
                .bytes()
                .chain(r.b.bytes())
                .all(|b| b.is_ascii_lowercase()));
            assert!((0.0..62_500.0).contains(&r.c) && (r.c * 16.0).fract() == 0.0);
            assert!((0..1000).contains(&r.d));
            assert_eq!(r.k, if i < 500 { gen.keys().k(i) } else { i } as i64);
        }
    }

    #[test]
    fn the_digest_ignores_row_order_but_sees_every_change() {
        let gen = RowGen::new(100, 3);
        let digest = |ids: &[u64]| {
            let mut d = RowDigest::new();
            for &i in ids {
                gen.row(i).feed(&mut d);
            }
            d
        };
        let all = digest(&[1, 2, 3]);
        assert!(all.same_rows(&digest(&[3, 1, 2])));
        assert!(!all.same_rows(&digest(&[1, 2, 2])));
        assert!(!all.same_rows(&digest(&[1, 2])));
        let mut changed = RowDigest::new();
        for i in [1u64, 2, 3] {
            let mut row = gen.row(i);
            if i == 2 {
                row.d += 1;
            }
            row.feed(&mut changed);
        }
        assert!(!all.same_rows(&changed));
        assert_eq!(
            changed.check(&all, "x").unwrap_err(),
            format!(
                "x: 3 rows with digest {:016x}, expected 3 rows with digest {:016x}",
                changed.sum, all.sum
            )
        );
    }

    #[test]
    fn the_order_check_counts_descents() {
        let mut d = RowDigest::ordered_by(0);
        for c in [-1.5, 0.0, 2.0, 1.0, 3.0] {
            d.cell(0, Cell::Float(c));
            d.end_row();
        }
        assert_eq!((d.out_of_order(), d.bad_rows()), (1, 5));
        assert_eq!(
            d.check(&d, "o").unwrap_err(),
            "o: 5 rows without exactly 6 columns"
        );
    }
}
