//! The catalog's record format: hand-written, versioned bytes for table records (a
//! table's schema, row tree and indexes), index-owner records, rowid counters and
//! statistics.
//!
//! Every record value starts with the version byte [`CATALOG_FORMAT_VERSION`]. Strings
//! are a LEB128 length then UTF-8; counts and positions are LEB128; a default value is a
//! one-column row in the row format (`value::encode_row`) behind its byte length.
//!
//! ```text
//! table record:  version u8 = 1
//!                name str, row tree str
//!                column count n, n × column
//!                pk count k (0 = implicit rowid), k × column position
//!                index count m, m × index
//! column:        name str, type, flags u8 (bit 0 nullable, bit 1 has default),
//!                [default: byte length, row of one value]
//! type:          tag u8, then for NUMERIC a flags u8 (bit 0 precision, bit 1 scale) and
//!                the present ones as varints, for VARCHAR/CHAR the length as a varint
//! index:         name str, tree str, flags u8 (bit 0 unique),
//!                column count c, c × (column position, order u8: 0 asc, 1 desc)
//! index owner:   version u8, table name (UTF-8, to the end)
//! rowid counter: version u8, next rowid i64 LE (≥ 1)
//! statistics:    version u8, TableStats::to_bytes
//! ```
//!
//! Invariants: the decoder never panics and never allocates more than the bytes it is
//! given justify (every count is bounded by the bytes left); it rejects trailing bytes,
//! unknown tags and flags, and any decoded definition that fails
//! [`TableSchema::validate`] / [`IndexDef::validate`], so a decoded record satisfies every
//! invariant of `schema.rs`. A new layout gets a new version byte; readers keep reading
//! the old ones.

use super::schema::{ColumnDef, IndexDef, SchemaError, TableSchema};
use crate::value::{decode_row, encode_row, RowDecodeError, SortOrder, SqlType, Value};
use crate::varint;

/// The version byte this build writes at the start of every catalog record.
pub const CATALOG_FORMAT_VERSION: u8 = 1;

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
}

/// An index as its table's record holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexRecord {
    pub def: IndexDef,
    /// The tree holding the entries.
    pub tree: String,
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, v: u64) {
        varint::put(&mut self.0, v);
    }

    fn str(&mut self, s: &str) {
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

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> DecodeResult<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(CatalogDecodeError::Truncated { what });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> DecodeResult<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn varint(&mut self, what: &'static str) -> DecodeResult<u64> {
        let (v, used) = varint::get(self.bytes).ok_or(CatalogDecodeError::Truncated { what })?;
        self.bytes = &self.bytes[used..];
        Ok(v)
    }

    /// A count or length: each item takes at least one byte, so it cannot exceed the bytes
    /// left.
    fn len(&mut self, what: &'static str) -> DecodeResult<usize> {
        let v = self.varint(what)?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= self.bytes.len())
            .ok_or(CatalogDecodeError::Truncated { what })
    }

    fn u32(&mut self, what: &'static str) -> DecodeResult<u32> {
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

    fn str(&mut self, what: &'static str) -> DecodeResult<String> {
        let n = self.len(what)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CatalogDecodeError::Invalid {
            what,
            reason: "not UTF-8",
        })
    }

    fn flags(&mut self, what: &'static str, allowed: u8) -> DecodeResult<u8> {
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

    fn version(&mut self) -> DecodeResult<()> {
        match self.u8("version")? {
            CATALOG_FORMAT_VERSION => Ok(()),
            version => Err(CatalogDecodeError::UnsupportedVersion { version }),
        }
    }

    fn end(&self) -> DecodeResult<()> {
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
const UNIQUE: u8 = 1;

impl TableRecord {
    /// The record's bytes (see the module documentation).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(vec![CATALOG_FORMAT_VERSION]);
        let s = &self.schema;
        w.str(&s.name);
        w.str(&self.tree);
        w.varint(s.columns.len() as u64);
        for c in &s.columns {
            w.str(&c.name);
            w.ty(c.ty);
            let flags = if c.nullable { NULLABLE } else { 0 }
                | if c.default.is_some() { HAS_DEFAULT } else { 0 };
            w.0.push(flags);
            if let Some(d) = &c.default {
                let mut row = Vec::new();
                encode_row(std::slice::from_ref(d), &mut row);
                w.varint(row.len() as u64);
                w.0.extend_from_slice(&row);
            }
        }
        let pk = s.primary_key.as_deref().unwrap_or(&[]);
        w.varint(pk.len() as u64);
        pk.iter().for_each(|&p| w.varint(p as u64));
        w.varint(self.indexes.len() as u64);
        for ix in &self.indexes {
            w.str(&ix.def.name);
            w.str(&ix.tree);
            w.0.push(if ix.def.unique { UNIQUE } else { 0 });
            w.varint(ix.def.columns.len() as u64);
            for &(p, order) in &ix.def.columns {
                w.varint(p as u64);
                w.0.push(u8::from(order == SortOrder::Desc));
            }
        }
        w.0
    }

    /// Reads the form written by [`TableRecord::to_bytes`], checking every invariant.
    pub(crate) fn from_bytes(bytes: &[u8]) -> DecodeResult<TableRecord> {
        let mut r = Reader { bytes };
        r.version()?;
        let name = r.str("table name")?;
        let tree = r.str("row tree name")?;
        let n = r.len("column count")?;
        let mut columns = Vec::with_capacity(n);
        for _ in 0..n {
            let cname = r.str("column name")?;
            let ty = r.ty()?;
            let flags = r.flags("column flags", NULLABLE | HAS_DEFAULT)?;
            let default = if flags & HAS_DEFAULT != 0 {
                let len = r.len("default length")?;
                let row = decode_row(r.take(len, "default")?)
                    .map_err(|source| CatalogDecodeError::Value { source })?;
                match <[Value; 1]>::try_from(row) {
                    Ok([v]) => Some(v),
                    Err(_) => {
                        return Err(CatalogDecodeError::Invalid {
                            what: "default",
                            reason: "not exactly one value",
                        })
                    }
                }
            } else {
                None
            };
            columns.push(ColumnDef {
                name: cname,
                ty,
                nullable: flags & NULLABLE != 0,
                default,
            });
        }
        let k = r.len("primary key length")?;
        let primary_key = if k == 0 {
            None
        } else {
            Some(
                (0..k)
                    .map(|_| r.position("primary key column"))
                    .collect::<DecodeResult<Vec<usize>>>()?,
            )
        };
        let schema = TableSchema {
            name,
            columns,
            primary_key,
        };
        schema.validate()?;
        let m = r.len("index count")?;
        let mut indexes: Vec<IndexRecord> = Vec::with_capacity(m);
        for _ in 0..m {
            let iname = r.str("index name")?;
            let itree = r.str("index tree name")?;
            let flags = r.flags("index flags", UNIQUE)?;
            let c = r.len("index column count")?;
            let mut cols = Vec::with_capacity(c);
            for _ in 0..c {
                let p = r.position("index column")?;
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

/// The value of a rowid counter record: the next rowid to assign.
pub(crate) fn encode_rowid(next: i64) -> Vec<u8> {
    let mut out = vec![CATALOG_FORMAT_VERSION];
    out.extend_from_slice(&next.to_le_bytes());
    out
}

/// Reads a rowid counter record.
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
mod tests {
    use super::*;
    use crate::value::Decimal;
    use proptest::prelude::*;

    fn record() -> TableRecord {
        let schema = TableSchema::new(
            "orders",
            vec![
                ColumnDef::new("id", SqlType::BigInt).not_null(),
                ColumnDef::new("customer", SqlType::Varchar(40)),
                ColumnDef::new(
                    "total",
                    SqlType::Decimal {
                        precision: Some(10),
                        scale: Some(2),
                    },
                )
                .with_default(Value::Decimal("0.00".parse::<Decimal>().unwrap())),
                ColumnDef::new("at", SqlType::TimestampTz).not_null(),
                ColumnDef::new("flag", SqlType::Boolean).with_default(Value::Null),
            ],
        )
        .with_primary_key(vec![0]);
        TableRecord {
            indexes: vec![
                IndexRecord {
                    def: IndexDef::new(
                        "orders_by_customer",
                        "orders",
                        vec![(1, SortOrder::Asc), (3, SortOrder::Desc)],
                    ),
                    tree: "i:orders_by_customer".into(),
                },
                IndexRecord {
                    def: IndexDef::new("orders_at", "orders", vec![(3, SortOrder::Asc)]).unique(),
                    tree: "i:orders_at".into(),
                },
            ],
            schema,
            tree: "t:orders".into(),
        }
    }

    #[test]
    fn table_record_round_trips() {
        let rec = record();
        let bytes = rec.to_bytes();
        assert_eq!(bytes[0], CATALOG_FORMAT_VERSION);
        assert_eq!(TableRecord::from_bytes(&bytes), Ok(rec.clone()));
        let mut rowid = rec;
        rowid.schema.primary_key = None;
        rowid.indexes.clear();
        assert_eq!(TableRecord::from_bytes(&rowid.to_bytes()), Ok(rowid));
    }

    #[test]
    fn every_type_round_trips() {
        let types = [
            SqlType::Boolean,
            SqlType::SmallInt,
            SqlType::Integer,
            SqlType::BigInt,
            SqlType::Real,
            SqlType::Double,
            SqlType::Decimal {
                precision: None,
                scale: None,
            },
            SqlType::Decimal {
                precision: Some(5),
                scale: None,
            },
            SqlType::Decimal {
                precision: None,
                scale: Some(3),
            },
            SqlType::Text,
            SqlType::Varchar(7),
            SqlType::Char(u32::MAX),
            SqlType::Blob,
            SqlType::Date,
            SqlType::Time,
            SqlType::Timestamp,
            SqlType::TimestampTz,
            SqlType::Interval,
            SqlType::Uuid,
            SqlType::Json,
        ];
        let columns = types
            .iter()
            .enumerate()
            .map(|(i, &ty)| ColumnDef::new(format!("c{i}"), ty))
            .collect();
        let rec = TableRecord {
            schema: TableSchema::new("all", columns),
            tree: "t:all".into(),
            indexes: vec![],
        };
        assert_eq!(TableRecord::from_bytes(&rec.to_bytes()), Ok(rec));
    }

    #[test]
    fn damage_is_a_typed_error() {
        let bytes = record().to_bytes();
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(
            TableRecord::from_bytes(&v2),
            Err(CatalogDecodeError::UnsupportedVersion { version: 2 })
        );
        for cut in 0..bytes.len() {
            assert!(TableRecord::from_bytes(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            TableRecord::from_bytes(&trailing),
            Err(CatalogDecodeError::Invalid { .. })
        ));
        // A primary key naming a column that does not exist fails validation.
        let mut bad = record();
        bad.schema.primary_key = Some(vec![9]);
        assert!(matches!(
            TableRecord::from_bytes(&bad.to_bytes()),
            Err(CatalogDecodeError::Schema(
                SchemaError::UnknownColumn { .. }
            ))
        ));
        assert_eq!(decode_rowid(&encode_rowid(42)), Ok(42));
        assert!(decode_rowid(&encode_rowid(0)).is_err());
        assert!(decode_rowid(&[1, 2, 3]).is_err());
        assert_eq!(decode_owner(&encode_owner("t")), Ok("t".into()));
        assert!(decode_owner(&[1, 0xff]).is_err());
        assert_eq!(decode_stats(&encode_stats(b"xy")), Ok(&b"xy"[..]));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = TableRecord::from_bytes(&bytes);
            let _ = decode_owner(&bytes);
            let _ = decode_rowid(&bytes);
            let _ = decode_stats(&bytes);
        }

        #[test]
        fn flipped_bytes_never_panic(pos in 0usize..200, byte in any::<u8>()) {
            let mut bytes = record().to_bytes();
            let i = pos % bytes.len();
            bytes[i] = byte;
            let _ = TableRecord::from_bytes(&bytes);
        }
    }
}
