//! The row format: a table row's column values as one compact, versioned byte string.
//!
//! Layout of format version 1 ([`ROW_FORMAT_VERSION`]):
//!
//! ```text
//! version      u8 = 1
//! count        varint: number of columns
//! null bitmap  ceil(count / 8) bytes; bit (i % 8) of byte (i / 8) set = column i is NULL;
//!              unused high bits of the last byte are zero
//! header_len   varint: bytes in the header that follows
//! header       per non-NULL column, in order: varint (payload_len << 4 | type_code)
//! payload      the non-NULL columns' payloads, in order; the row ends where they end
//! ```
//!
//! Type codes and payloads (varints are LEB128, signed ones zigzag-encoded first):
//!
//! ```text
//!  1 false, 2 true   empty              8 date         zigzag varint days
//!  3 int             zigzag varint      9 time         varint micros
//!  4 float           f64 bits, LE       10 timestamp   zigzag varint micros
//!  5 decimal         sign u8 (0|1), zigzag varint scale, coefficient LE (0..=16 bytes)
//!  6 text, 14 json   UTF-8              11 timestamptz zigzag varint micros
//!  7 blob            bytes              12 interval    zigzag varints months, days, micros
//! 13 uuid            16 bytes
//! ```
//!
//! Invariants: the header alone locates every column, so [`decode_column`] reads one column
//! by summing the lengths before it, without touching earlier payloads. Rows keep values
//! exactly (a float's bits, a decimal's scale), unlike keys. Decoding never panics; any
//! malformed input is a [`RowDecodeError`]. A new layout gets a new version byte, and
//! readers keep reading old versions.

use crate::varint;

use super::{Date, Decimal, Interval, Time, Timestamp, Value};

/// The version byte this build writes.
pub const ROW_FORMAT_VERSION: u8 = 1;

mod code {
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const INT: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const DECIMAL: u8 = 5;
    pub const TEXT: u8 = 6;
    pub const BLOB: u8 = 7;
    pub const DATE: u8 = 8;
    pub const TIME: u8 = 9;
    pub const TIMESTAMP: u8 = 10;
    pub const TIMESTAMPTZ: u8 = 11;
    pub const INTERVAL: u8 = 12;
    pub const UUID: u8 = 13;
    pub const JSON: u8 = 14;
}

/// Why bytes are not a valid row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowDecodeError {
    /// The row has no bytes at all.
    #[error("empty row")]
    Empty,
    /// The version byte is not one this build reads.
    #[error("unsupported row format version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The row ends before a part of it is complete.
    #[error("row truncated in its {part}")]
    Truncated {
        /// Which part (`"column count"`, `"null bitmap"`, `"header"`, `"payload"`).
        part: &'static str,
    },
    /// A column index past the row's last column.
    #[error("column {index} asked of a row of {count} columns")]
    ColumnOutOfRange {
        /// The index asked for.
        index: usize,
        /// The row's column count.
        count: usize,
    },
    /// A header entry names no type.
    #[error("column {column} has unknown type code {code}")]
    UnknownType {
        /// The column.
        column: usize,
        /// The code found.
        code: u8,
    },
    /// A column's payload is malformed.
    #[error("column {column} is malformed: {reason}")]
    Malformed {
        /// The column.
        column: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The parts of the row do not add up (bitmap padding, header or payload sizes).
    #[error("inconsistent row layout: {reason}")]
    Layout {
        /// What is wrong.
        reason: &'static str,
    },
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v`'s payload and returns its type code. `v` must not be NULL.
fn write_payload(v: &Value, out: &mut Vec<u8>) -> u8 {
    match v {
        // NULLs live in the bitmap; callers never pass one here.
        Value::Null => 0,
        Value::Bool(false) => code::FALSE,
        Value::Bool(true) => code::TRUE,
        Value::Int(i) => {
            varint::put(out, zigzag(*i));
            code::INT
        }
        Value::Float(f) => {
            out.extend_from_slice(&f.to_bits().to_le_bytes());
            code::FLOAT
        }
        Value::Decimal(d) => {
            out.push(u8::from(d.is_negative()));
            varint::put(out, zigzag(d.scale().into()));
            let bytes = d.coefficient().to_le_bytes();
            let used = 16 - (d.coefficient().leading_zeros() / 8) as usize;
            out.extend_from_slice(&bytes[..used]);
            code::DECIMAL
        }
        Value::Text(s) => {
            out.extend_from_slice(s.as_bytes());
            code::TEXT
        }
        Value::Json(s) => {
            out.extend_from_slice(s.as_bytes());
            code::JSON
        }
        Value::Blob(b) => {
            out.extend_from_slice(b);
            code::BLOB
        }
        Value::Date(d) => {
            varint::put(out, zigzag(d.days().into()));
            code::DATE
        }
        Value::Time(t) => {
            varint::put(out, t.micros() as u64);
            code::TIME
        }
        Value::Timestamp(t) => {
            varint::put(out, zigzag(t.micros()));
            code::TIMESTAMP
        }
        Value::TimestampTz(t) => {
            varint::put(out, zigzag(t.micros()));
            code::TIMESTAMPTZ
        }
        Value::Interval(i) => {
            varint::put(out, zigzag(i.months.into()));
            varint::put(out, zigzag(i.days.into()));
            varint::put(out, zigzag(i.micros));
            code::INTERVAL
        }
        Value::Uuid(u) => {
            out.extend_from_slice(u);
            code::UUID
        }
    }
}

/// Appends the encoding of a row of `values` to `out`.
pub fn encode_row(values: &[Value], out: &mut Vec<u8>) {
    encode_row_from(values.iter(), out);
}

/// Appends the encoding of a row of the values `values` yields to `out`: the same bytes
/// as [`encode_row`] of them collected, without collecting them (a table whose columns
/// are not in slot order encodes its rows through it, NULL in the dropped slots).
pub fn encode_row_from<'v>(values: impl ExactSizeIterator<Item = &'v Value>, out: &mut Vec<u8>) {
    let count = values.len();
    out.push(ROW_FORMAT_VERSION);
    varint::put(out, count as u64);
    let bitmap_at = out.len();
    out.resize(bitmap_at + count.div_ceil(8), 0);
    // Sized for typical rows (a header entry takes one or two bytes, a payload a
    // handful to a few dozen), so that a row is encoded without regrowing buffers.
    let mut header = Vec::with_capacity(2 * count);
    let mut payload = Vec::with_capacity(16 * count);
    for (i, v) in values.enumerate() {
        if v.is_null() {
            out[bitmap_at + i / 8] |= 1 << (i % 8);
            continue;
        }
        let start = payload.len();
        let code = write_payload(v, &mut payload);
        varint::put(
            &mut header,
            ((payload.len() - start) as u64) << 4 | u64::from(code),
        );
    }
    out.reserve(10 + header.len() + payload.len()); // 10: the longest varint
    varint::put(out, header.len() as u64);
    out.extend_from_slice(&header);
    out.extend_from_slice(&payload);
}

/// The bytes `v` adds to a row beyond its null bit: header entry plus payload (0 for NULL).
/// Statistics use it as the column width.
pub fn value_width(v: &Value) -> usize {
    if v.is_null() {
        return 0;
    }
    let mut payload = Vec::new();
    let code = write_payload(v, &mut payload);
    payload.len() + varint::len((payload.len() as u64) << 4 | u64::from(code))
}

/// The parts of a row, located but not decoded.
struct Layout<'a> {
    count: usize,
    bitmap: &'a [u8],
    header: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Layout<'a> {
    fn parse(row: &'a [u8]) -> Result<Layout<'a>, RowDecodeError> {
        let (&version, rest) = row.split_first().ok_or(RowDecodeError::Empty)?;
        if version != ROW_FORMAT_VERSION {
            return Err(RowDecodeError::UnsupportedVersion { version });
        }
        let (count, used) = varint::get(rest).ok_or(RowDecodeError::Truncated {
            part: "column count",
        })?;
        let rest = &rest[used..];
        let bitmap_len = count.div_ceil(8);
        if bitmap_len > rest.len() as u64 {
            return Err(RowDecodeError::Truncated {
                part: "null bitmap",
            });
        }
        let (bitmap, rest) = rest.split_at(bitmap_len as usize);
        let count = count as usize; // <= 8 × rest.len(), so it fits
        let used_bits = count % 8;
        if used_bits != 0 && bitmap.last().is_some_and(|b| b >> used_bits != 0) {
            return Err(RowDecodeError::Layout {
                reason: "null bitmap padding is not zero",
            });
        }
        let (header_len, used) =
            varint::get(rest).ok_or(RowDecodeError::Truncated { part: "header" })?;
        let rest = &rest[used..];
        if header_len > rest.len() as u64 {
            return Err(RowDecodeError::Truncated { part: "header" });
        }
        let (header, payload) = rest.split_at(header_len as usize);
        Ok(Layout {
            count,
            bitmap,
            header,
            payload,
        })
    }

    fn is_null(&self, i: usize) -> bool {
        self.bitmap[i / 8] & (1 << (i % 8)) != 0
    }
}

/// Reads the header entry at `*pos`: `(type code, payload length)`.
fn header_entry(header: &[u8], pos: &mut usize) -> Result<(u8, usize), RowDecodeError> {
    let truncated = RowDecodeError::Truncated { part: "header" };
    let (entry, used) = varint::get(header.get(*pos..).unwrap_or(&[])).ok_or(truncated)?;
    *pos += used;
    let len =
        usize::try_from(entry >> 4).map_err(|_| RowDecodeError::Truncated { part: "payload" })?;
    Ok(((entry & 0xF) as u8, len))
}

/// Decodes one payload of the given type code.
fn read_payload(column: usize, code: u8, p: &[u8]) -> Result<Value, RowDecodeError> {
    let malformed = |reason| RowDecodeError::Malformed { column, reason };
    // One varint filling the payload exactly.
    let whole_varint = |p: &[u8]| match varint::get(p) {
        Some((v, used)) if used == p.len() => Ok(v),
        _ => Err(malformed("varint does not fill the payload")),
    };
    let fixed = |n: usize| {
        if p.len() == n {
            Ok(())
        } else {
            Err(malformed("wrong payload length"))
        }
    };
    let utf8 = |p: &[u8]| String::from_utf8(p.to_vec()).map_err(|_| malformed("invalid UTF-8"));
    Ok(match code {
        code::FALSE => fixed(0).map(|()| Value::Bool(false))?,
        code::TRUE => fixed(0).map(|()| Value::Bool(true))?,
        code::INT => Value::Int(unzigzag(whole_varint(p)?)),
        code::FLOAT => {
            fixed(8)?;
            let mut b = [0u8; 8];
            b.copy_from_slice(p);
            Value::Float(f64::from_bits(u64::from_le_bytes(b)))
        }
        code::DECIMAL => {
            let (&sign, rest) = p.split_first().ok_or(malformed("empty decimal"))?;
            let (scale, used) = varint::get(rest).ok_or(malformed("truncated decimal scale"))?;
            let coefficient = &rest[used..];
            if sign > 1 || coefficient.len() > 16 {
                return Err(malformed("bad decimal sign or coefficient"));
            }
            let mut b = [0u8; 16];
            b[..coefficient.len()].copy_from_slice(coefficient);
            let scale = i32::try_from(unzigzag(scale)).map_err(|_| malformed("decimal scale"))?;
            Decimal::new(sign == 1, u128::from_le_bytes(b), scale)
                .map(Value::Decimal)
                .map_err(|_| malformed("decimal out of range"))?
        }
        code::TEXT => Value::Text(utf8(p)?),
        code::JSON => Value::Json(utf8(p)?),
        code::BLOB => Value::Blob(p.to_vec()),
        code::DATE => {
            let days = i32::try_from(unzigzag(whole_varint(p)?)).map_err(|_| malformed("date"))?;
            Value::Date(Date::from_days(days))
        }
        code::TIME => {
            let micros = i64::try_from(whole_varint(p)?)
                .ok()
                .and_then(Time::from_micros);
            Value::Time(micros.ok_or(malformed("time of day out of range"))?)
        }
        code::TIMESTAMP => Value::Timestamp(Timestamp::from_micros(unzigzag(whole_varint(p)?))),
        code::TIMESTAMPTZ => Value::TimestampTz(Timestamp::from_micros(unzigzag(whole_varint(p)?))),
        code::INTERVAL => {
            let mut pos = 0;
            let mut next = || {
                let (v, used) = varint::get(&p[pos..]).ok_or(malformed("truncated interval"))?;
                pos += used;
                Ok::<i64, RowDecodeError>(unzigzag(v))
            };
            let (months, days, micros) = (next()?, next()?, next()?);
            if pos != p.len() {
                return Err(malformed("interval payload has extra bytes"));
            }
            let months = i32::try_from(months).map_err(|_| malformed("interval months"))?;
            let days = i32::try_from(days).map_err(|_| malformed("interval days"))?;
            Value::Interval(Interval::new(months, days, micros))
        }
        code::UUID => {
            fixed(16)?;
            let mut u = [0u8; 16];
            u.copy_from_slice(p);
            Value::Uuid(u)
        }
        code => return Err(RowDecodeError::UnknownType { column, code }),
    })
}

/// Decodes a whole row, checking that every byte is accounted for.
///
/// The same checks and errors as [`RowView::parse`] then [`RowView::values`], without
/// the view's per-row locator vector: a first walk of the header checks that header
/// and payload add up exactly, a second decodes the payloads in order.
pub fn decode_row(row: &[u8]) -> Result<Vec<Value>, RowDecodeError> {
    let layout = Layout::parse(row)?;
    let (mut pos, mut offset) = (0usize, 0usize);
    for i in 0..layout.count {
        if layout.is_null(i) {
            continue;
        }
        let (_, len) = header_entry(layout.header, &mut pos)?;
        offset = offset
            .checked_add(len)
            .filter(|&end| end <= layout.payload.len())
            .ok_or(RowDecodeError::Truncated { part: "payload" })?;
    }
    if pos != layout.header.len() {
        return Err(RowDecodeError::Layout {
            reason: "header longer than its entries",
        });
    }
    if offset != layout.payload.len() {
        return Err(RowDecodeError::Layout {
            reason: "bytes after the last payload",
        });
    }
    let mut values = Vec::with_capacity(layout.count);
    let (mut pos, mut offset) = (0usize, 0usize);
    for i in 0..layout.count {
        if layout.is_null(i) {
            values.push(Value::Null);
            continue;
        }
        // Checked by the first walk: the entry parses and its payload is in bounds.
        let (code, len) = header_entry(layout.header, &mut pos)?;
        values.push(read_payload(
            i,
            code,
            &layout.payload[offset..offset + len],
        )?);
        offset += len;
    }
    Ok(values)
}

/// The number of columns in an encoded row.
pub fn row_column_count(row: &[u8]) -> Result<usize, RowDecodeError> {
    Layout::parse(row).map(|l| l.count)
}

/// Decodes column `index` alone: it walks the header up to that column and reads only its
/// payload. (Only the parts it reads are checked; [`decode_row`] checks everything.)
pub fn decode_column(row: &[u8], index: usize) -> Result<Value, RowDecodeError> {
    let layout = Layout::parse(row)?;
    if index >= layout.count {
        return Err(RowDecodeError::ColumnOutOfRange {
            index,
            count: layout.count,
        });
    }
    if layout.is_null(index) {
        return Ok(Value::Null);
    }
    let (mut pos, mut offset) = (0usize, 0usize);
    for i in 0..index {
        if !layout.is_null(i) {
            let (_, len) = header_entry(layout.header, &mut pos)?;
            offset = offset
                .checked_add(len)
                .ok_or(RowDecodeError::Truncated { part: "payload" })?;
        }
    }
    let (code, len) = header_entry(layout.header, &mut pos)?;
    let payload = offset
        .checked_add(len)
        .and_then(|end| layout.payload.get(offset..end))
        .ok_or(RowDecodeError::Truncated { part: "payload" })?;
    read_payload(index, code, payload)
}

/// A row whose layout has been checked once, for reading several columns.
pub struct RowView<'a> {
    payload: &'a [u8],
    /// Per column: `None` for NULL, else `(type code, payload offset, payload length)`.
    columns: Vec<Option<(u8, usize, usize)>>,
}

impl<'a> RowView<'a> {
    /// Locates every column of `row`, checking that header and payload add up exactly.
    pub fn parse(row: &'a [u8]) -> Result<RowView<'a>, RowDecodeError> {
        let layout = Layout::parse(row)?;
        let mut columns = Vec::with_capacity(layout.count.min(row.len() * 8));
        let (mut pos, mut offset) = (0usize, 0usize);
        for i in 0..layout.count {
            if layout.is_null(i) {
                columns.push(None);
                continue;
            }
            let (code, len) = header_entry(layout.header, &mut pos)?;
            let end = offset
                .checked_add(len)
                .filter(|&end| end <= layout.payload.len())
                .ok_or(RowDecodeError::Truncated { part: "payload" })?;
            columns.push(Some((code, offset, len)));
            offset = end;
        }
        if pos != layout.header.len() {
            return Err(RowDecodeError::Layout {
                reason: "header longer than its entries",
            });
        }
        if offset != layout.payload.len() {
            return Err(RowDecodeError::Layout {
                reason: "bytes after the last payload",
            });
        }
        Ok(RowView {
            payload: layout.payload,
            columns,
        })
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Whether column `index` is NULL (`false` past the last column).
    pub fn is_null(&self, index: usize) -> bool {
        matches!(self.columns.get(index), Some(None))
    }

    /// Decodes column `index`.
    pub fn column(&self, index: usize) -> Result<Value, RowDecodeError> {
        match self.columns.get(index) {
            None => Err(RowDecodeError::ColumnOutOfRange {
                index,
                count: self.columns.len(),
            }),
            Some(None) => Ok(Value::Null),
            Some(Some((code, offset, len))) => {
                read_payload(index, *code, &self.payload[*offset..*offset + *len])
            }
        }
    }

    /// Decodes every column.
    pub fn values(&self) -> Result<Vec<Value>, RowDecodeError> {
        (0..self.columns.len()).map(|i| self.column(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_row(values, &mut out);
        out
    }

    #[test]
    fn layout_is_as_documented() {
        let bytes = row(&[Value::Int(-1), Value::Null, Value::Text("hi".into())]);
        // version, count, bitmap (column 1 NULL), header_len, int(1 byte), text(2 bytes), payloads
        assert_eq!(
            bytes,
            vec![1, 3, 0b010, 2, 1 << 4 | 3, 2 << 4 | 6, 1, b'h', b'i']
        );
        assert_eq!(row(&[]), vec![1, 0, 0]);
    }

    #[test]
    fn round_trips_and_reads_single_columns() {
        let values = vec![
            Value::Bool(true),
            Value::Null,
            Value::Int(i64::MIN),
            Value::Float(-0.0),
            Value::Decimal("-123.4500".parse().unwrap()),
            Value::Text("héllo".into()),
            Value::Blob(vec![0, 1, 2]),
            Value::Date(Date::from_days(-1)),
            Value::Time(Time::from_micros(1).unwrap()),
            Value::Timestamp(Timestamp::from_micros(i64::MAX)),
            Value::TimestampTz(Timestamp::from_micros(-5)),
            Value::Interval(Interval::new(-1, 2, -3)),
            Value::Uuid([7; 16]),
            Value::Json("{\"a\":1}".into()),
        ];
        let bytes = row(&values);
        let back = decode_row(&bytes).unwrap();
        assert_eq!(back, values);
        if let Value::Decimal(d) = &back[4] {
            assert_eq!(d.to_string(), "-123.4500");
        }
        for (i, v) in values.iter().enumerate() {
            assert_eq!(&decode_column(&bytes, i).unwrap(), v);
        }
        assert_eq!(row_column_count(&bytes), Ok(values.len()));
        assert!(matches!(
            decode_column(&bytes, 99),
            Err(RowDecodeError::ColumnOutOfRange { index: 99, .. })
        ));
    }

    #[test]
    fn rejects_bad_rows() {
        assert_eq!(decode_row(&[]), Err(RowDecodeError::Empty));
        assert_eq!(
            decode_row(&[2, 0, 0]),
            Err(RowDecodeError::UnsupportedVersion { version: 2 })
        );
        assert!(matches!(
            decode_row(&[1, 0xFF]),
            Err(RowDecodeError::Truncated { .. })
        ));
        assert!(matches!(
            decode_row(&[1, 1, 0b10, 0]),
            Err(RowDecodeError::Layout { .. })
        ));
        let mut bytes = row(&[Value::Int(5)]);
        bytes.push(0);
        assert!(matches!(
            decode_row(&bytes),
            Err(RowDecodeError::Layout { .. })
        ));
        // A float whose header claims 7 bytes.
        assert!(matches!(
            decode_row(&[1, 1, 0, 1, 7 << 4 | 4, 0, 0, 0, 0, 0, 0, 0]),
            Err(RowDecodeError::Malformed { .. })
        ));
        assert!(matches!(
            decode_row(&[1, 1, 0, 1, 15,]),
            Err(RowDecodeError::UnknownType { code: 15, .. })
        ));
        assert!(matches!(
            decode_row(&[1, 1, 0, 1, 2 << 4 | 6, 0xC3, 0x28]),
            Err(RowDecodeError::Malformed { .. })
        ));
    }
}
