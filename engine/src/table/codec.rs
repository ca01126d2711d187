//! The catalog's record format: hand-written, versioned bytes for table records (a
//! table's schema, row tree and indexes), index-owner records, rowid floors and
//! statistics.
//!
//! Every record value starts with the version byte [`CATALOG_FORMAT_VERSION`]. Strings
//! are a LEB128 length then UTF-8; counts and positions are LEB128; a default value is a
//! one-column row in the row format (`value::encode_row`) behind its byte length.
//!
//! ```text
//! table record:  version u8 = 2
//!                name str, row tree str, next slot
//!                column count n, n × column (in visible order)
//!                pk count k (0 = implicit rowid), k × column slot
//!                index count m, m × index
//! column:        name str, slot, type,
//!                flags u8 (bit 0 nullable, bit 1 has default, bit 2 has missing value),
//!                [default: byte length, row of one value]
//!                [missing value: byte length, row of one value]
//! type:          tag u8, then for NUMERIC a flags u8 (bit 0 precision, bit 1 scale) and
//!                the present ones as varints, for VARCHAR/CHAR the length as a varint
//! index:         name str, tree str, flags u8 (bit 0 unique),
//!                column count c, c × (column slot, order u8: 0 asc, 1 desc)
//! index owner:   version u8, table name (UTF-8, to the end)
//! rowid floor:   version u8, lowest next rowid i64 LE (≥ 1)
//! statistics:    version u8, TableStats::to_bytes
//! ```
//!
//! Column slots (version 2): each column has a stable slot, the place of its value in
//! stored rows. A new table's columns take slots `0..n`; an added column takes the next
//! slot, which only grows (a dropped column's slot is never reused), so a row written
//! before an ADD COLUMN is shorter than the new slot and reads the column's *missing
//! value* (the default given at ADD time; NULL without one). Keys (primary key, indexes)
//! name slots, so dropping or renaming another column renumbers nothing stored. The
//! decoded record maps slots to visible positions: [`TableSchema`] and [`IndexDef`]
//! speak positions only. Version 1 records (no slots) read as slots `0..n`.
//!
//! Invariants: the decoder never panics and never allocates more than the bytes it is
//! given justify (every count is bounded by the bytes left); it rejects trailing bytes,
//! unknown tags and flags, and any decoded definition that fails
//! [`TableSchema::validate`] / [`IndexDef::validate`], so a decoded record satisfies every
//! invariant of `schema.rs`. A new layout gets a new version byte; readers keep reading
//! the old ones.

use super::schema::{ColumnDef, IndexDef, SchemaError, TableSchema, MAX_COLUMNS};
use crate::value::{decode_row, encode_row, RowDecodeError, SortOrder, SqlType, Value};
use crate::varint;

/// The version byte this build writes at the start of every catalog record.
pub const CATALOG_FORMAT_VERSION: u8 = 2;

/// The oldest catalog format version this build reads.
const OLDEST_VERSION: u8 = 1;

/// Why bytes are not a valid catalog record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogDecodeError {
    /// The bytes end inside a field.
    #[error("truncated in {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// A version byte this build cannot read.
    #[error("unsupported catalog format version {version}")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// A field holds an impossible value.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A default value is not a valid one-column row.
    #[error("bad default value: {source}")]
    Value {
        /// The row decoder's error.
        #[source]
        source: RowDecodeError,
    },
    /// The decoded definition breaks a schema invariant.
    #[error("invalid definition: {0}")]
    Schema(#[from] SchemaError),
}

type DecodeResult<T> = Result<T, CatalogDecodeError>;

/// A table as the catalog records it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableRecord {
    pub schema: TableSchema,
    /// The tree holding the rows.
    pub tree: String,
    pub indexes: Vec<IndexRecord>,
    /// The slot of each column, in visible order (distinct, below `next_slot`).
    pub slots: Vec<u32>,
    /// What each column reads in a row too short to hold its slot: the default given
    /// when the column was added (`None`: NULL).
    pub missing: Vec<Option<Value>>,
    /// The slot the next added column takes; above every slot ever used.
    pub next_slot: u32,
}

/// An index as its table's record holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexRecord {
    pub def: IndexDef,
    /// The tree holding the entries.
    pub tree: String,
}

pub(super) struct Writer(pub(super) Vec<u8>);

impl Writer {
    /// A one-value row behind its byte length.
    pub(super) fn value(&mut self, v: &Value) {
        let mut row = Vec::new();
        encode_row(std::slice::from_ref(v), &mut row);
        self.varint(row.len() as u64);
        self.0.extend_from_slice(&row);
    }

    pub(super) fn varint(&mut self, v: u64) {
        varint::put(&mut self.0, v);
    }

    pub(super) fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn ty(&mut self, ty: SqlType) {
        let (tag, extra): (u8, Option<u32>) = match ty {
            SqlType::Boolean => (1, None),
            SqlType::SmallInt => (2, None),
            SqlType::Integer => (3, None),
            SqlType::BigInt => (4, None),
            SqlType::Real => (5, None),
            SqlType::Double => (6, None),
            SqlType::Decimal { precision, scale } => {
                self.0.push(7);
                self.0
                    .push(u8::from(precision.is_some()) | u8::from(scale.is_some()) << 1);
                for v in [precision, scale].into_iter().flatten() {
                    self.varint(v.into());
                }
                return;
            }
            SqlType::Text => (8, None),
            SqlType::Varchar(n) => (9, Some(n)),
            SqlType::Char(n) => (10, Some(n)),
            SqlType::Blob => (11, None),
            SqlType::Date => (12, None),
            SqlType::Time => (13, None),
            SqlType::Timestamp => (14, None),
            SqlType::TimestampTz => (15, None),
            SqlType::Interval => (16, None),
            SqlType::Uuid => (17, None),
            SqlType::Json => (18, None),
        };
        self.0.push(tag);
        if let Some(n) = extra {
            self.varint(n.into());
        }
    }
}

pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A one-value row behind its byte length (see [`Writer::value`]).
    pub(super) fn value(&mut self, what: &'static str) -> DecodeResult<Value> {
        let len = self.len(what)?;
        let row = decode_row(self.take(len, what)?)
            .map_err(|source| CatalogDecodeError::Value { source })?;
        match <[Value; 1]>::try_from(row) {
            Ok([v]) => Ok(v),
            Err(_) => Err(CatalogDecodeError::Invalid {
                what,
                reason: "not exactly one value",
            }),
        }
    }

    /// A column slot (version 2) or position (version 1, where they coincide).
    fn slot(&mut self, version: u8, what: &'static str) -> DecodeResult<u32> {
        if version >= 2 {
            self.u32(what)
        } else {
            u32::try_from(self.position(what)?).map_err(|_| CatalogDecodeError::Invalid {
                what,
                reason: "does not fit 32 bits",
            })
        }
    }

    pub(super) fn take(&mut self, n: usize, what: &'static str) -> DecodeResult<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(CatalogDecodeError::Truncated { what });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(super) fn u8(&mut self, what: &'static str) -> DecodeResult<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(super) fn varint(&mut self, what: &'static str) -> DecodeResult<u64> {
        let (v, used) = varint::get(self.bytes).ok_or(CatalogDecodeError::Truncated { what })?;
        self.bytes = &self.bytes[used..];
        Ok(v)
    }

    /// A count or length: each item takes at least one byte, so it cannot exceed the bytes
    /// left.
    pub(super) fn len(&mut self, what: &'static str) -> DecodeResult<usize> {
        let v = self.varint(what)?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= self.bytes.len())
            .ok_or(CatalogDecodeError::Truncated { what })
    }

    pub(super) fn u32(&mut self, what: &'static str) -> DecodeResult<u32> {
        u32::try_from(self.varint(what)?).map_err(|_| CatalogDecodeError::Invalid {
            what,
            reason: "does not fit 32 bits",
        })
    }

    fn position(&mut self, what: &'static str) -> DecodeResult<usize> {
        usize::try_from(self.varint(what)?).map_err(|_| CatalogDecodeError::Invalid {
            what,
            reason: "does not fit a column position",
        })
    }

    pub(super) fn str(&mut self, what: &'static str) -> DecodeResult<String> {
        let n = self.len(what)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CatalogDecodeError::Invalid {
            what,
            reason: "not UTF-8",
        })
    }

    pub(super) fn flags(&mut self, what: &'static str, allowed: u8) -> DecodeResult<u8> {
        let f = self.u8(what)?;
        if f & !allowed != 0 {
            return Err(CatalogDecodeError::Invalid {
                what,
                reason: "unknown flag bits",
            });
        }
        Ok(f)
    }

    fn ty(&mut self) -> DecodeResult<SqlType> {
        Ok(match self.u8("column type")? {
            1 => SqlType::Boolean,
            2 => SqlType::SmallInt,
            3 => SqlType::Integer,
            4 => SqlType::BigInt,
            5 => SqlType::Real,
            6 => SqlType::Double,
            7 => {
                let f = self.flags("numeric flags", 0b11)?;
                let precision = if f & 1 != 0 {
                    Some(self.u32("numeric precision")?)
                } else {
                    None
                };
                let scale = if f & 2 != 0 {
                    Some(self.u32("numeric scale")?)
                } else {
                    None
                };
                SqlType::Decimal { precision, scale }
            }
            8 => SqlType::Text,
            9 => SqlType::Varchar(self.u32("varchar length")?),
            10 => SqlType::Char(self.u32("char length")?),
            11 => SqlType::Blob,
            12 => SqlType::Date,
            13 => SqlType::Time,
            14 => SqlType::Timestamp,
            15 => SqlType::TimestampTz,
            16 => SqlType::Interval,
            17 => SqlType::Uuid,
            18 => SqlType::Json,
            _ => {
                return Err(CatalogDecodeError::Invalid {
                    what: "column type",
                    reason: "unknown type tag",
                })
            }
        })
    }

    /// The version byte, one this build reads.
    pub(super) fn version(&mut self) -> DecodeResult<u8> {
        match self.u8("version")? {
            v @ OLDEST_VERSION..=CATALOG_FORMAT_VERSION => Ok(v),
            version => Err(CatalogDecodeError::UnsupportedVersion { version }),
        }
    }

    /// The version byte of a record kind that version 2 introduced.
    pub(super) fn current_version(&mut self) -> DecodeResult<()> {
        match self.u8("version")? {
            CATALOG_FORMAT_VERSION => Ok(()),
            version => Err(CatalogDecodeError::UnsupportedVersion { version }),
        }
    }

    pub(super) fn end(&self) -> DecodeResult<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(CatalogDecodeError::Invalid {
                what: "record",
                reason: "trailing bytes",
            })
        }
    }
}

const NULLABLE: u8 = 1;
const HAS_DEFAULT: u8 = 2;
const HAS_MISSING: u8 = 4;
const UNIQUE: u8 = 1;

/// Most column slots a table may ever use, dropped columns included (each dropped column
/// keeps its slot, one NULL bit in every row written after it). PostgreSQL counts dropped
/// columns against its column limit the same way; this bound is four times ours.
pub const MAX_SLOTS: u32 = 4 * MAX_COLUMNS as u32;

impl TableRecord {
    /// A new table's record: column `i` in slot `i`, nothing missing.
    pub(crate) fn new(schema: TableSchema, tree: String) -> TableRecord {
        let n = schema.columns.len();
        TableRecord {
            slots: (0..n as u32).collect(),
            missing: vec![None; n],
            next_slot: n as u32,
            schema,
            tree,
            indexes: Vec::new(),
        }
    }

    /// Whether rows store column `i` in slot `i` for every column, with no slot dropped
    /// and no value missing: rows then encode and decode without remapping.
    pub(crate) fn is_identity(&self) -> bool {
        self.next_slot as usize == self.slots.len()
            && self.slots.iter().enumerate().all(|(i, &s)| s as usize == i)
            && self.missing.iter().all(Option::is_none)
    }

    /// The number of slots a row written now stores: up to the highest visible slot.
    pub(crate) fn row_width(&self) -> usize {
        self.slots.iter().max().map_or(0, |&s| s as usize + 1)
    }

    /// The slot of each position in `positions`.
    fn slots_of(&self, positions: impl Iterator<Item = usize>) -> Vec<u32> {
        positions.map(|p| self.slots[p]).collect()
    }

    /// The record's bytes (see the module documentation): always the current version.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(vec![CATALOG_FORMAT_VERSION]);
        let s = &self.schema;
        w.str(&s.name);
        w.str(&self.tree);
        w.varint(self.next_slot.into());
        w.varint(s.columns.len() as u64);
        for (i, c) in s.columns.iter().enumerate() {
            w.str(&c.name);
            w.varint(self.slots[i].into());
            w.ty(c.ty);
            let missing = &self.missing[i];
            let flags = if c.nullable { NULLABLE } else { 0 }
                | if c.default.is_some() { HAS_DEFAULT } else { 0 }
                | if missing.is_some() { HAS_MISSING } else { 0 };
            w.0.push(flags);
            for v in [&c.default, missing].into_iter().flatten() {
                w.value(v);
            }
        }
        let pk = self.slots_of(s.primary_key.iter().flatten().copied());
        w.varint(pk.len() as u64);
        pk.iter().for_each(|&p| w.varint(p.into()));
        w.varint(self.indexes.len() as u64);
        for ix in &self.indexes {
            w.str(&ix.def.name);
            w.str(&ix.tree);
            w.0.push(if ix.def.unique { UNIQUE } else { 0 });
            w.varint(ix.def.columns.len() as u64);
            for &(p, order) in &ix.def.columns {
                w.varint(self.slots[p].into());
                w.0.push(u8::from(order == SortOrder::Desc));
            }
        }
        w.0
    }

    /// Reads the form written by [`TableRecord::to_bytes`] (or by version 1, whose
    /// columns sit in slots `0..n`), checking every invariant.
    pub(crate) fn from_bytes(bytes: &[u8]) -> DecodeResult<TableRecord> {
        let mut r = Reader { bytes };
        let version = r.version()?;
        let name = r.str("table name")?;
        let tree = r.str("row tree name")?;
        let next_slot = if version >= 2 {
            let n = r.u32("next slot")?;
            if n > MAX_SLOTS {
                return Err(CatalogDecodeError::Invalid {
                    what: "next slot",
                    reason: "above the slot limit",
                });
            }
            Some(n)
        } else {
            None
        };
        let n = r.len("column count")?;
        let mut columns = Vec::with_capacity(n);
        let mut slots = Vec::with_capacity(n);
        let mut missing_values = Vec::with_capacity(n);
        for i in 0..n {
            let cname = r.str("column name")?;
            let slot = if version >= 2 {
                r.u32("column slot")?
            } else {
                i as u32
            };
            let ty = r.ty()?;
            let allowed = if version >= 2 {
                NULLABLE | HAS_DEFAULT | HAS_MISSING
            } else {
                NULLABLE | HAS_DEFAULT
            };
            let flags = r.flags("column flags", allowed)?;
            let default = if flags & HAS_DEFAULT != 0 {
                Some(r.value("default")?)
            } else {
                None
            };
            let missing = if flags & HAS_MISSING != 0 {
                Some(r.value("missing value")?)
            } else {
                None
            };
            columns.push(ColumnDef {
                name: cname,
                ty,
                nullable: flags & NULLABLE != 0,
                default,
            });
            slots.push(slot);
            missing_values.push(missing);
        }
        let next_slot = next_slot.unwrap_or(n as u32);
        for (i, &s) in slots.iter().enumerate() {
            if s >= next_slot || slots[..i].contains(&s) {
                return Err(CatalogDecodeError::Invalid {
                    what: "column slot",
                    reason: "repeated, or not below the next slot",
                });
            }
        }
        let position = |slot: u32| {
            slots
                .iter()
                .position(|&s| s == slot)
                .ok_or(CatalogDecodeError::Invalid {
                    what: "key column",
                    reason: "names no column of the table",
                })
        };
        let k = r.len("primary key length")?;
        let primary_key = if k == 0 {
            None
        } else {
            let mut pk = Vec::with_capacity(k);
            for _ in 0..k {
                pk.push(position(r.slot(version, "primary key column")?)?);
            }
            Some(pk)
        };
        let schema = TableSchema {
            name,
            columns,
            primary_key,
        };
        schema.validate()?;
        for (c, m) in schema.columns.iter().zip(&missing_values) {
            if let Some(v) = m {
                c.ty.check(v).map_err(|source| SchemaError::BadDefault {
                    table: schema.name.clone(),
                    column: c.name.clone(),
                    source,
                })?;
            }
        }
        let m = r.len("index count")?;
        let mut indexes: Vec<IndexRecord> = Vec::with_capacity(m);
        for _ in 0..m {
            let iname = r.str("index name")?;
            let itree = r.str("index tree name")?;
            let flags = r.flags("index flags", UNIQUE)?;
            let c = r.len("index column count")?;
            let mut cols = Vec::with_capacity(c);
            for _ in 0..c {
                let p = position(r.slot(version, "index column")?)?;
                let order = match r.u8("index column order")? {
                    0 => SortOrder::Asc,
                    1 => SortOrder::Desc,
                    _ => {
                        return Err(CatalogDecodeError::Invalid {
                            what: "index column order",
                            reason: "neither 0 nor 1",
                        })
                    }
                };
                cols.push((p, order));
            }
            let def = IndexDef {
                name: iname,
                table: schema.name.clone(),
                columns: cols,
                unique: flags & UNIQUE != 0,
            };
            def.validate(&schema)?;
            if indexes.iter().any(|i| i.def.name == def.name) {
                return Err(CatalogDecodeError::Invalid {
                    what: "index name",
                    reason: "two indexes of one name",
                });
            }
            if itree.is_empty() {
                return Err(CatalogDecodeError::Invalid {
                    what: "index tree name",
                    reason: "empty",
                });
            }
            indexes.push(IndexRecord { def, tree: itree });
        }
        r.end()?;
        if tree.is_empty() {
            return Err(CatalogDecodeError::Invalid {
                what: "row tree name",
                reason: "empty",
            });
        }
        Ok(TableRecord {
            schema,
            tree,
            indexes,
            slots,
            missing: missing_values,
            next_slot,
        })
    }
}

/// The value of an index-owner record: the name of the index's table.
pub(crate) fn encode_owner(table: &str) -> Vec<u8> {
    let mut out = vec![CATALOG_FORMAT_VERSION];
    out.extend_from_slice(table.as_bytes());
    out
}

/// Reads an index-owner record.
pub(crate) fn decode_owner(bytes: &[u8]) -> DecodeResult<String> {
    let mut r = Reader { bytes };
    r.version()?;
    String::from_utf8(r.bytes.to_vec()).map_err(|_| CatalogDecodeError::Invalid {
        what: "owner table name",
        reason: "not UTF-8",
    })
}

/// The value of a rowid floor record: the lowest rowid the next insert may take.
pub(crate) fn encode_rowid(next: i64) -> Vec<u8> {
    let mut out = vec![CATALOG_FORMAT_VERSION];
    out.extend_from_slice(&next.to_le_bytes());
    out
}

/// Reads a rowid floor record.
pub(crate) fn decode_rowid(bytes: &[u8]) -> DecodeResult<i64> {
    let mut r = Reader { bytes };
    r.version()?;
    let b: [u8; 8] = r
        .take(8, "next rowid")?
        .try_into()
        .map_err(|_| CatalogDecodeError::Truncated { what: "next rowid" })?;
    r.end()?;
    let next = i64::from_le_bytes(b);
    if next < 1 {
        return Err(CatalogDecodeError::Invalid {
            what: "next rowid",
            reason: "below 1",
        });
    }
    Ok(next)
}

/// The value of a statistics record around `TableStats::to_bytes`.
pub(crate) fn encode_stats(stats: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stats.len() + 1);
    out.push(CATALOG_FORMAT_VERSION);
    out.extend_from_slice(stats);
    out
}

/// The `TableStats` bytes inside a statistics record.
pub(crate) fn decode_stats(bytes: &[u8]) -> DecodeResult<&[u8]> {
    let mut r = Reader { bytes };
    r.version()?;
    Ok(r.bytes)
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
