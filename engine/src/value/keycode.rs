//! The order-preserving key encoding: tuples of [`Value`]s as bytes whose `memcmp` order is
//! the SQL order ([`Value::sql_cmp`], lexicographic over columns).
//!
//! Invariants (format version 1; changing any byte here changes every index on disk):
//!
//! 1. `memcmp(encode(a), encode(b)) == sql_cmp(a, b)` column by column, with a descending
//!    column's bytes inverted (XOR 0xFF).
//! 2. Each column's encoding is *prefix-free* (self-delimiting): no column's bytes are a
//!    proper prefix of another's. Hence the encoding of the first `k` columns of a tuple is
//!    a byte prefix of the whole tuple's encoding, so a range over leading columns is a byte
//!    range (see [`prefix_successor`]), and inverting bytes reverses the order exactly.
//! 3. SQL-equal values encode to equal bytes: `Int(1)`, `Float(1.0)` and `Decimal(1.00)`
//!    are one key; `-0.0` is `0`; all NaNs are one key; `'1 mon'` and `'30 days'` are one
//!    key. So a decoded key is *canonical*, not the original: numbers come back as `Int`
//!    when integral and in `i64` range, as `Float` for NaN and ±∞, else as `Decimal`
//!    (normalized); intervals come back as [`Interval::from_span`].
//! 4. Decoding never panics: bad input is a [`KeyDecodeError`]. Non-canonical encodings
//!    (which `encode_key` never produces) are rejected, so any key that decodes re-encodes
//!    to the same bytes.
//!
//! Layout of one column (ascending), by leading tag byte:
//!
//! ```text
//! 0x01 NULL                 0x02 false           0x03 true
//! 0x10 -inf
//! 0x11 negative, E > 10     then !(E + 0x8000) as u16 BE, then !mantissa
//! 0x12..=0x1C negative, E = 0x1C - tag (0..=10), then !mantissa
//! 0x1D negative, E < 0      then !(E + 0x8000) as u16 BE, then !mantissa
//! 0x1E zero
//! 0x1F positive, E < 0      then (E + 0x8000) as u16 BE, then mantissa
//! 0x20..=0x2A positive, E = tag - 0x20 (0..=10), then mantissa
//! 0x2B positive, E > 10     then (E + 0x8000) as u16 BE, then mantissa
//! 0x2C +inf                 0x2D NaN
//! 0x30 text, 0x31 blob, 0x60 json: bytes with 0x00 written 0x00 0xFF, then 0x00 0x01
//! 0x40 date (i32), 0x41 time, 0x42 timestamp, 0x43 timestamptz (i64): big-endian with the
//!      sign bit flipped; 0x44 interval: its span as i128, the same way
//! 0x50 uuid: its 16 bytes
//! ```
//!
//! A number `|x| = 0.M1 M2 … Mn × 100^E` is written as base-100 digits `Mi` in `1..=99` at
//! the ends (`M1 != 0`, `Mn != 0`): each digit but the last as the byte `2·Mi + 1`, the last
//! as `2·Mn`, so the mantissa ends itself and a shorter mantissa sorts first (the scheme of
//! SQLite4 and CockroachDB). Integers up to 10^20 use the one-byte exponent tags.

use super::numeric::{Mantissa, Numeric, NumericRangeError};
use super::{Date, Interval, Time, Timestamp, Value};

/// The direction of one key column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// Ascending: NULLs first.
    #[default]
    Asc,
    /// Descending (bytes inverted): NULLs last.
    Desc,
}

/// Why bytes are not a valid key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyDecodeError {
    /// The bytes end inside a column.
    #[error("key ends inside column {column} (at byte {offset})")]
    UnexpectedEnd {
        /// Index of the column being decoded.
        column: usize,
        /// Where the bytes ran out.
        offset: usize,
    },
    /// A column starts with a byte that is no type tag.
    #[error("unknown type tag {tag:#04x} for column {column} at byte {offset}")]
    UnknownTag {
        /// Index of the column being decoded.
        column: usize,
        /// Where the tag is.
        offset: usize,
        /// The byte found (as stored, before any DESC inversion is undone).
        tag: u8,
    },
    /// A column's body is malformed (bad escape, non-canonical number, …).
    #[error("malformed column {column} at byte {offset}: {reason}")]
    Malformed {
        /// Index of the column being decoded.
        column: usize,
        /// Where the column starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A column is well formed but holds no representable value.
    #[error("column {column} at byte {offset} is out of range: {reason}")]
    OutOfRange {
        /// Index of the column being decoded.
        column: usize,
        /// Where the column starts.
        offset: usize,
        /// What does not fit.
        reason: &'static str,
    },
}

mod tag {
    pub const NULL: u8 = 0x01;
    pub const FALSE: u8 = 0x02;
    pub const TRUE: u8 = 0x03;
    pub const NEG_INF: u8 = 0x10;
    pub const NEG_LARGE: u8 = 0x11;
    pub const NEG_MED_MIN: u8 = 0x12; // E = 10
    pub const NEG_MED_MAX: u8 = 0x1C; // E = 0
    pub const NEG_SMALL: u8 = 0x1D;
    pub const ZERO: u8 = 0x1E;
    pub const POS_SMALL: u8 = 0x1F;
    pub const POS_MED_MIN: u8 = 0x20; // E = 0
    pub const POS_MED_MAX: u8 = 0x2A; // E = 10
    pub const POS_LARGE: u8 = 0x2B;
    pub const POS_INF: u8 = 0x2C;
    pub const NAN: u8 = 0x2D;
    pub const TEXT: u8 = 0x30;
    pub const BLOB: u8 = 0x31;
    pub const DATE: u8 = 0x40;
    pub const TIME: u8 = 0x41;
    pub const TIMESTAMP: u8 = 0x42;
    pub const TIMESTAMPTZ: u8 = 0x43;
    pub const INTERVAL: u8 = 0x44;
    pub const UUID: u8 = 0x50;
    pub const JSON: u8 = 0x60;
}

/// The largest base-100 exponent given a one-byte tag.
const MED_EXP_MAX: i32 = 10;

/// Appends the key encoding of `values` to `out`. Column `i` uses `dirs[i]`, or
/// [`SortOrder::Asc`] when `dirs` is shorter.
pub fn encode_key(values: &[Value], dirs: &[SortOrder], out: &mut Vec<u8>) {
    for (i, v) in values.iter().enumerate() {
        encode_key_value(v, dirs.get(i).copied().unwrap_or_default(), out);
    }
}

/// Appends the key encoding of one column.
pub fn encode_key_value(value: &Value, dir: SortOrder, out: &mut Vec<u8>) {
    let start = out.len();
    match value {
        Value::Null => out.push(tag::NULL),
        Value::Bool(b) => out.push(if *b { tag::TRUE } else { tag::FALSE }),
        Value::Int(i) => encode_int(*i, out),
        Value::Float(_) | Value::Decimal(_) => {
            if let Some(n) = Numeric::of(value) {
                encode_numeric(&n, out);
            }
        }
        Value::Text(s) => encode_bytes(tag::TEXT, s.as_bytes(), out),
        Value::Blob(b) => encode_bytes(tag::BLOB, b, out),
        Value::Json(s) => encode_bytes(tag::JSON, s.as_bytes(), out),
        Value::Date(d) => {
            out.push(tag::DATE);
            out.extend_from_slice(&((d.days() as u32) ^ (1 << 31)).to_be_bytes());
        }
        Value::Time(t) => encode_i64(tag::TIME, t.micros(), out),
        Value::Timestamp(t) => encode_i64(tag::TIMESTAMP, t.micros(), out),
        Value::TimestampTz(t) => encode_i64(tag::TIMESTAMPTZ, t.micros(), out),
        Value::Interval(i) => {
            out.push(tag::INTERVAL);
            out.extend_from_slice(&((i.span_micros() as u128) ^ (1 << 127)).to_be_bytes());
        }
        Value::Uuid(u) => {
            out.push(tag::UUID);
            out.extend_from_slice(u);
        }
    }
    if dir == SortOrder::Desc {
        out[start..].iter_mut().for_each(|b| *b = !*b);
    }
}

fn encode_i64(tag: u8, v: i64, out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
}

fn encode_bytes(tag: u8, bytes: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// [`encode_numeric`] of an integer, without building its digit string: the same bytes
/// (`int_keys_match_the_numeric_encoding` checks it). An integer's exponent `E` (in
/// centesimal digits) is its count of base-100 digits, at most 10 for an `i64`: always
/// a medium tag.
fn encode_int(i: i64, out: &mut Vec<u8>) {
    if i == 0 {
        return out.push(tag::ZERO);
    }
    let negative = i < 0;
    let mut u = i.unsigned_abs();
    // Base-100 digits, least significant first.
    let mut centis = [0u8; 10];
    let mut len = 0;
    while u > 0 {
        centis[len] = (u % 100) as u8;
        u /= 100;
        len += 1;
    }
    let flip = |b: u8| if negative { !b } else { b };
    out.push(if negative {
        tag::NEG_MED_MAX - len as u8
    } else {
        tag::POS_MED_MIN + len as u8
    });
    // Trailing zero digits are not stored (the canonical mantissa ends in a non-zero
    // digit); the last stored digit is marked by an even byte.
    let lowest = centis[..len].iter().position(|&c| c != 0).unwrap_or(0);
    for at in (lowest..len).rev() {
        let byte = if at == lowest {
            2 * centis[at]
        } else {
            2 * centis[at] + 1
        };
        out.push(flip(byte));
    }
}

fn encode_numeric(n: &Numeric, out: &mut Vec<u8>) {
    let (negative, m) = match n {
        Numeric::NegInf => return out.push(tag::NEG_INF),
        Numeric::Zero => return out.push(tag::ZERO),
        Numeric::PosInf => return out.push(tag::POS_INF),
        Numeric::NaN => return out.push(tag::NAN),
        Numeric::Neg(m) => (true, m),
        Numeric::Pos(m) => (false, m),
    };
    // 0.d1d2… × 10^exp as 0.M1M2… × 100^E: an odd exponent gets a leading zero digit.
    let mut digits = Vec::with_capacity(m.digits.len() + 2);
    if m.exp % 2 != 0 {
        digits.push(0);
    }
    digits.extend_from_slice(&m.digits);
    if digits.len() % 2 != 0 {
        digits.push(0);
    }
    let e = (m.exp + (m.exp % 2).abs()) / 2;
    let flip = |b: u8| if negative { !b } else { b };
    let exp_bytes = ((e + 0x8000) as u16).to_be_bytes();
    match (negative, e) {
        (false, e) if e < 0 => {
            out.push(tag::POS_SMALL);
            out.extend_from_slice(&exp_bytes);
        }
        (false, e) if e > MED_EXP_MAX => {
            out.push(tag::POS_LARGE);
            out.extend_from_slice(&exp_bytes);
        }
        (false, e) => out.push(tag::POS_MED_MIN + e as u8),
        (true, e) if e < 0 => {
            out.push(tag::NEG_SMALL);
            out.extend(exp_bytes.map(flip));
        }
        (true, e) if e > MED_EXP_MAX => {
            out.push(tag::NEG_LARGE);
            out.extend(exp_bytes.map(flip));
        }
        (true, e) => out.push(tag::NEG_MED_MAX - e as u8),
    }
    let pairs = digits.len() / 2;
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let centi = pair[0] * 10 + pair[1];
        let byte = if i + 1 == pairs {
            2 * centi
        } else {
            2 * centi + 1
        };
        out.push(flip(byte));
    }
}

/// Decodes every column of `key`. Column `i` uses `dirs[i]` ([`SortOrder::Asc`] when
/// `dirs` is shorter). Values come back canonical (see the module documentation).
pub fn decode_key(key: &[u8], dirs: &[SortOrder]) -> Result<Vec<Value>, KeyDecodeError> {
    let mut r = Reader {
        bytes: key,
        pos: 0,
        mask: 0,
        column: 0,
        start: 0,
    };
    let mut values = Vec::new();
    while r.pos < key.len() {
        r.begin(values.len(), dirs);
        values.push(r.value()?);
    }
    Ok(values)
}

/// Decodes the first `columns` columns of `key`, returning them and the number of bytes
/// they take (so the rest of the key, such as a primary key after an index's columns,
/// starts there).
pub fn decode_key_prefix(
    key: &[u8],
    dirs: &[SortOrder],
    columns: usize,
) -> Result<(Vec<Value>, usize), KeyDecodeError> {
    let mut r = Reader {
        bytes: key,
        pos: 0,
        mask: 0,
        column: 0,
        start: 0,
    };
    let mut values = Vec::with_capacity(columns.min(key.len()));
    for i in 0..columns {
        r.begin(i, dirs);
        values.push(r.value()?);
    }
    Ok((values, r.pos))
}

/// The smallest byte string greater than every string that starts with `prefix`, or `None`
/// if there is none (`prefix` empty or all `0xFF`). With invariant 2, the keys whose
/// leading columns equal some values are exactly `[encode(values), prefix_successor(..))`.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xFF)?;
    let mut s = prefix[..=last].to_vec();
    s[last] += 1;
    Some(s)
}

/// A cursor over key bytes that undoes the current column's DESC inversion.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    mask: u8,
    column: usize,
    start: usize,
}

impl Reader<'_> {
    fn begin(&mut self, column: usize, dirs: &[SortOrder]) {
        self.column = column;
        self.start = self.pos;
        let desc = dirs.get(column).copied().unwrap_or_default() == SortOrder::Desc;
        self.mask = if desc { 0xFF } else { 0 };
    }

    fn byte(&mut self) -> Result<u8, KeyDecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(KeyDecodeError::UnexpectedEnd {
                column: self.column,
                offset: self.pos,
            })?;
        self.pos += 1;
        Ok(b ^ self.mask)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], KeyDecodeError> {
        let mut a = [0u8; N];
        for b in &mut a {
            *b = self.byte()?;
        }
        Ok(a)
    }

    fn malformed(&self, reason: &'static str) -> KeyDecodeError {
        KeyDecodeError::Malformed {
            column: self.column,
            offset: self.start,
            reason,
        }
    }

    fn out_of_range(&self, reason: &'static str) -> KeyDecodeError {
        KeyDecodeError::OutOfRange {
            column: self.column,
            offset: self.start,
            reason,
        }
    }

    fn value(&mut self) -> Result<Value, KeyDecodeError> {
        let t = self.byte()?;
        Ok(match t {
            tag::NULL => Value::Null,
            tag::FALSE => Value::Bool(false),
            tag::TRUE => Value::Bool(true),
            tag::NEG_INF..=tag::NAN => self.numeric(t)?,
            tag::TEXT | tag::JSON => {
                let bytes = self.escaped()?;
                let s = String::from_utf8(bytes).map_err(|_| self.malformed("invalid UTF-8"))?;
                if t == tag::TEXT {
                    Value::Text(s)
                } else {
                    Value::Json(s)
                }
            }
            tag::BLOB => Value::Blob(self.escaped()?),
            tag::DATE => Value::Date(Date::from_days(
                (u32::from_be_bytes(self.array()?) ^ (1 << 31)) as i32,
            )),
            tag::TIME => {
                let micros = self.i64()?;
                Value::Time(Time::from_micros(micros).ok_or(self.out_of_range("time of day"))?)
            }
            tag::TIMESTAMP => Value::Timestamp(Timestamp::from_micros(self.i64()?)),
            tag::TIMESTAMPTZ => Value::TimestampTz(Timestamp::from_micros(self.i64()?)),
            tag::INTERVAL => {
                let span = (u128::from_be_bytes(self.array()?) ^ (1 << 127)) as i128;
                Value::Interval(
                    Interval::from_span(span).ok_or(self.out_of_range("interval span"))?,
                )
            }
            tag::UUID => Value::Uuid(self.array()?),
            _ => {
                return Err(KeyDecodeError::UnknownTag {
                    column: self.column,
                    offset: self.start,
                    tag: t ^ self.mask,
                })
            }
        })
    }

    fn i64(&mut self) -> Result<i64, KeyDecodeError> {
        Ok((u64::from_be_bytes(self.array()?) ^ (1 << 63)) as i64)
    }

    fn escaped(&mut self) -> Result<Vec<u8>, KeyDecodeError> {
        let mut out = Vec::new();
        loop {
            match self.byte()? {
                0 => match self.byte()? {
                    0xFF => out.push(0),
                    0x01 => return Ok(out),
                    _ => return Err(self.malformed("bad escape after 0x00")),
                },
                b => out.push(b),
            }
        }
    }

    fn numeric(&mut self, t: u8) -> Result<Value, KeyDecodeError> {
        let (negative, e) = match t {
            tag::NEG_INF => return Ok(Value::Float(f64::NEG_INFINITY)),
            tag::ZERO => return Ok(Value::Int(0)),
            tag::POS_INF => return Ok(Value::Float(f64::INFINITY)),
            tag::NAN => return Ok(Value::Float(f64::NAN)),
            tag::NEG_MED_MIN..=tag::NEG_MED_MAX => (true, i32::from(tag::NEG_MED_MAX - t)),
            tag::POS_MED_MIN..=tag::POS_MED_MAX => (false, i32::from(t - tag::POS_MED_MIN)),
            _ => {
                let negative = t < tag::ZERO;
                let raw = u16::from_be_bytes(self.array()?);
                let e = i32::from(if negative { !raw } else { raw }) - 0x8000;
                let small = t == tag::NEG_SMALL || t == tag::POS_SMALL;
                if (small && e >= 0) || (!small && e <= MED_EXP_MAX) {
                    return Err(self.malformed("exponent does not match its tag"));
                }
                (negative, e)
            }
        };
        let mut digits = Vec::new();
        loop {
            let mut b = self.byte()?;
            if negative {
                b = !b;
            }
            let centi = b / 2;
            if b > 199 || (b % 2 == 0 && centi == 0) {
                return Err(self.malformed("bad mantissa byte"));
            }
            if digits.is_empty() && centi == 0 {
                return Err(self.malformed("mantissa has a leading zero"));
            }
            digits.extend_from_slice(&[centi / 10, centi % 10]);
            if digits.len() > 2 * 40 {
                return Err(self.out_of_range("more than 38 significant digits"));
            }
            if b % 2 == 0 {
                break;
            }
        }
        let mut exp = 2 * e;
        if digits[0] == 0 {
            digits.remove(0);
            exp -= 1;
        }
        if digits.last() == Some(&0) {
            digits.pop();
        }
        let m = Mantissa { digits, exp };
        let n = if negative {
            Numeric::Neg(m)
        } else {
            Numeric::Pos(m)
        };
        n.to_value().map_err(|e| match e {
            NumericRangeError::TooManyDigits => {
                self.out_of_range("more than 38 significant digits")
            }
            NumericRangeError::ScaleOutOfRange => {
                self.out_of_range("exponent beyond decimal range")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Decimal;

    fn key(values: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key(values, &[], &mut out);
        out
    }

    fn dec(s: &str) -> Value {
        Value::Decimal(s.parse::<Decimal>().unwrap())
    }

    #[test]
    fn int_keys_match_the_numeric_encoding() {
        let mut ints = vec![0, 1, -1, 9, 10, 11, 99, 100, 101, 1000, 1010, 123_456_789];
        ints.extend([i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1]);
        let mut x: i64 = 1;
        for _ in 0..18 {
            x *= 10;
            ints.extend([x, -x, x - 1, 1 - x, x + 1, -x - 1, 5 * x, -5 * x]);
        }
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let shift = (seed >> 58) as u32;
            ints.push((seed as i64) >> shift);
        }
        for i in ints {
            let mut fast = Vec::new();
            encode_int(i, &mut fast);
            let mut general = Vec::new();
            encode_numeric(&Numeric::from_i64(i), &mut general);
            assert_eq!(fast, general, "{i}");
        }
    }

    #[test]
    fn numbers_equal_across_types_are_equal_bytes() {
        let one = key(&[Value::Int(1)]);
        assert_eq!(key(&[Value::Float(1.0)]), one);
        assert_eq!(key(&[dec("1.00")]), one);
        assert_eq!(key(&[Value::Float(-0.0)]), key(&[Value::Int(0)]));
        assert_eq!(
            key(&[Value::Float(f64::NAN)]),
            key(&[Value::Float(-f64::NAN)])
        );
        assert_eq!(one, vec![tag::POS_MED_MIN + 1, 2]);
        assert_eq!(key(&[Value::Int(100)]), vec![tag::POS_MED_MIN + 2, 2]);
        assert_eq!(
            key(&[Value::Int(12345)]),
            vec![tag::POS_MED_MIN + 3, 3, 47, 90]
        );
    }

    #[test]
    fn known_orders() {
        let asc = [
            vec![Value::Null],
            vec![Value::Bool(false)],
            vec![Value::Float(f64::NEG_INFINITY)],
            vec![dec("-1e300")],
            vec![Value::Int(-100)],
            vec![Value::Int(-99)],
            vec![dec("-0.001")],
            vec![Value::Int(0)],
            vec![dec("1e-300")],
            vec![Value::Float(0.5)],
            vec![Value::Int(1)],
            vec![Value::Float(1.5)],
            vec![dec("2")],
            vec![Value::Int(i64::MAX)],
            vec![Value::Float(1e300)],
            vec![Value::Float(f64::INFINITY)],
            vec![Value::Float(f64::NAN)],
            vec![Value::Text("".into())],
            vec![Value::Text("".into()), Value::Int(1)],
            vec![Value::Text("a".into())],
            vec![Value::Text("a\0".into())],
            vec![Value::Text("ab".into())],
            vec![Value::Blob(vec![0xFF])],
        ];
        for w in asc.windows(2) {
            assert!(key(&w[0]) < key(&w[1]), "{:?} < {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn desc_reverses_and_nulls_go_last() {
        let enc = |v: Value| {
            let mut out = Vec::new();
            encode_key(&[v], &[SortOrder::Desc], &mut out);
            out
        };
        assert!(enc(Value::Int(2)) < enc(Value::Int(1)));
        assert!(enc(Value::Text("ab".into())) < enc(Value::Text("a".into())));
        assert!(enc(Value::Int(5)) < enc(Value::Null));
        let mut k = Vec::new();
        let dirs = [SortOrder::Desc, SortOrder::Asc];
        encode_key(&[Value::Text("x\0y".into()), Value::Int(-7)], &dirs, &mut k);
        assert_eq!(
            decode_key(&k, &dirs).unwrap(),
            vec![Value::Text("x\0y".into()), Value::Int(-7)]
        );
    }

    #[test]
    fn decodes_canonically() {
        let k = key(&[
            Value::Float(2.0),
            Value::Float(0.25),
            dec("1.500"),
            Value::Int(i64::MIN),
        ]);
        assert_eq!(
            decode_key(&k, &[]).unwrap(),
            vec![Value::Int(2), dec("0.25"), dec("1.5"), Value::Int(i64::MIN)]
        );
        let (prefix, used) = decode_key_prefix(&k, &[], 2).unwrap();
        assert_eq!(prefix.len(), 2);
        assert_eq!(decode_key(&k[used..], &[]).unwrap().len(), 2);
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(matches!(
            decode_key(&[0x7F], &[]),
            Err(KeyDecodeError::UnknownTag { tag: 0x7F, .. })
        ));
        assert!(matches!(
            decode_key(&[tag::TEXT, b'a'], &[]),
            Err(KeyDecodeError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            decode_key(&[tag::TEXT, 0, 7], &[]),
            Err(KeyDecodeError::Malformed { .. })
        ));
        // Leading zero digit, zero last digit, and a large-exponent tag with a small exponent.
        assert!(decode_key(&[tag::POS_MED_MIN, 1, 2], &[]).is_err());
        assert!(decode_key(&[tag::POS_MED_MIN, 3, 0], &[]).is_err());
        assert!(decode_key(&[tag::POS_LARGE, 0x80, 0x01, 2], &[]).is_err());
        assert!(decode_key(&[tag::TIME, 0xFF, 0, 0, 0, 0, 0, 0, 0], &[]).is_err());
    }

    #[test]
    fn prefix_successor_bounds_the_prefix() {
        assert_eq!(prefix_successor(&[1, 2, 0xFF, 0xFF]), Some(vec![1, 3]));
        assert_eq!(prefix_successor(&[0xFF]), None);
        assert_eq!(prefix_successor(&[]), None);
        let p = key(&[Value::Int(7)]);
        let succ = prefix_successor(&p).unwrap();
        for tail in [Value::Null, Value::Float(f64::NAN), Value::Json("z".into())] {
            let k = key(&[Value::Int(7), tail]);
            assert!(k.as_slice() >= p.as_slice() && k < succ);
        }
        assert!(key(&[Value::Int(8)]) >= succ);
    }
}
