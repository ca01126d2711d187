//! The schema objects beside tables and indexes: views, sequences, CHECK and FOREIGN KEY
//! constraints, and their catalog records.
//!
//! The engine stores these definitions and validates them against the catalog (names
//! free, tables and columns exist, a foreign key references a primary key or unique
//! index); it does not evaluate SQL text nor enforce constraints: that is the SQL
//! layer's job. Views and CHECK constraints are SQL text the SQL layer parses again.
//!
//! Record layouts (every value starts with the catalog format version byte, 2; strings
//! are a LEB128 length then UTF-8, counts LEB128, i64 zigzag LEB128):
//!
//! ```text
//! view:        version, sql str, column count n, n × column name str
//! sequence:    version, start i64, increment i64, min i64, max i64,
//!              flags u8 (bit 0 cycle, bit 1 called), last value i64
//! check:       version, sql str
//! foreign key: version, column count c, c × column slot, referenced table str,
//!              c × referenced column slot, on delete u8, on update u8
//!              (actions: 0 NO ACTION, 1 RESTRICT, 2 CASCADE, 3 SET NULL, 4 SET DEFAULT)
//! table sql:   version, sql str
//! ```
//!
//! A foreign key names columns by slot, so renaming or dropping other columns of either
//! table changes nothing stored; its tables are named by name, and renaming a table
//! rewrites the foreign keys that name it.

use super::codec::{CatalogDecodeError, Reader, Writer, CATALOG_FORMAT_VERSION};
use super::error::TableError;
use super::schema::{check_name, SchemaError};

type DecodeResult<T> = Result<T, CatalogDecodeError>;

/// A view: a name for a query, stored as its SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewDef {
    /// The view's name; views, tables, indexes and sequences share one namespace.
    pub name: String,
    /// The query's SQL text (the SQL layer's business; the engine keeps it verbatim).
    pub sql: String,
    /// The names of its output columns, in order (may be empty if the SQL layer derives
    /// them from the text).
    pub columns: Vec<String>,
}

/// A sequence: a counter handed out by [`nextval`](super::TableWriter::nextval), for
/// identity and SERIAL columns. Its bounds and step follow PostgreSQL's CREATE SEQUENCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceDef {
    /// The sequence's name; it shares the namespace of tables, indexes and views.
    pub name: String,
    /// The first value `nextval` returns.
    pub start: i64,
    /// The step between values (never 0; negative counts down).
    pub increment: i64,
    /// The smallest value.
    pub min: i64,
    /// The largest value.
    pub max: i64,
    /// Whether passing a bound wraps around to the other one (else it is an error).
    pub cycle: bool,
}

impl SequenceDef {
    /// An ascending sequence from 1 by 1 up to `i64::MAX`, PostgreSQL's default.
    pub fn new(name: impl Into<String>) -> SequenceDef {
        SequenceDef {
            name: name.into(),
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cycle: false,
        }
    }

    /// Checks the name, a non-zero step and `min <= start <= max`.
    pub fn validate(&self) -> Result<(), TableError> {
        check_name(&self.name)?;
        let reason = if self.increment == 0 {
            "INCREMENT must not be zero"
        } else if self.min > self.max {
            "MINVALUE must not exceed MAXVALUE"
        } else if self.start < self.min || self.start > self.max {
            "START must lie between MINVALUE and MAXVALUE"
        } else {
            return Ok(());
        };
        Err(TableError::InvalidDefinition {
            object: self.name.clone(),
            reason: reason.to_owned(),
        })
    }
}

/// Where a sequence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceState {
    /// The last value handed out (the start before the first `nextval`).
    pub last_value: i64,
    /// Whether `last_value` was handed out (`false`: the next `nextval` returns it).
    pub called: bool,
}

/// A CHECK constraint of a table: a boolean SQL expression over its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDef {
    /// The constraint's name, unique among the table's constraints.
    pub name: String,
    /// The table.
    pub table: String,
    /// The expression's SQL text, kept verbatim.
    pub sql: String,
}

/// What a foreign key does to referencing rows when the referenced row is deleted or its
/// key updated (the SQL layer acts; the engine stores the choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FkAction {
    /// Fail at the end of the statement if referencing rows remain (SQL's default).
    #[default]
    NoAction,
    /// Fail at once if referencing rows exist.
    Restrict,
    /// Delete (or update) the referencing rows too.
    Cascade,
    /// Set the referencing columns to NULL.
    SetNull,
    /// Set the referencing columns to their defaults.
    SetDefault,
}

impl FkAction {
    fn code(self) -> u8 {
        match self {
            FkAction::NoAction => 0,
            FkAction::Restrict => 1,
            FkAction::Cascade => 2,
            FkAction::SetNull => 3,
            FkAction::SetDefault => 4,
        }
    }

    fn from_code(code: u8) -> DecodeResult<FkAction> {
        Ok(match code {
            0 => FkAction::NoAction,
            1 => FkAction::Restrict,
            2 => FkAction::Cascade,
            3 => FkAction::SetNull,
            4 => FkAction::SetDefault,
            _ => {
                return Err(CatalogDecodeError::Invalid {
                    what: "foreign key action",
                    reason: "unknown code",
                })
            }
        })
    }
}

/// A FOREIGN KEY constraint: `table(columns)` references `ref_table(ref_columns)`, which
/// must be the referenced table's primary key or the columns of one of its unique
/// indexes (in any order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyDef {
    /// The constraint's name, unique among the table's constraints.
    pub name: String,
    /// The referencing table.
    pub table: String,
    /// The referencing columns (positions in `table`).
    pub columns: Vec<usize>,
    /// The referenced table (may be `table` itself).
    pub ref_table: String,
    /// The referenced columns (positions in `ref_table`), one per referencing column.
    pub ref_columns: Vec<usize>,
    /// What deleting a referenced row does.
    pub on_delete: FkAction,
    /// What changing a referenced key does.
    pub on_update: FkAction,
}

impl ForeignKeyDef {
    /// A foreign key with NO ACTION on delete and update.
    pub fn new(
        name: impl Into<String>,
        table: impl Into<String>,
        columns: Vec<usize>,
        ref_table: impl Into<String>,
        ref_columns: Vec<usize>,
    ) -> ForeignKeyDef {
        ForeignKeyDef {
            name: name.into(),
            table: table.into(),
            columns,
            ref_table: ref_table.into(),
            ref_columns,
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
        }
    }
}

/// A foreign key as stored: columns as slots, the table and name in the record's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FkRecord {
    pub columns: Vec<u32>,
    pub ref_table: String,
    pub ref_columns: Vec<u32>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

fn writer() -> Writer {
    Writer(vec![CATALOG_FORMAT_VERSION])
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl Writer {
    fn i64(&mut self, v: i64) {
        self.varint(zigzag(v));
    }
}

impl Reader<'_> {
    fn i64(&mut self, what: &'static str) -> DecodeResult<i64> {
        self.varint(what).map(unzigzag)
    }
}

pub(crate) fn encode_view(v: &ViewDef) -> Vec<u8> {
    let mut w = writer();
    w.str(&v.sql);
    w.varint(v.columns.len() as u64);
    v.columns.iter().for_each(|c| w.str(c));
    w.0
}

pub(crate) fn decode_view(name: &str, bytes: &[u8]) -> DecodeResult<ViewDef> {
    let mut r = Reader { bytes };
    r.current_version()?;
    let sql = r.str("view text")?;
    let n = r.len("view column count")?;
    let columns = (0..n)
        .map(|_| r.str("view column"))
        .collect::<DecodeResult<Vec<_>>>()?;
    r.end()?;
    let view = ViewDef {
        name: name.to_owned(),
        sql,
        columns,
    };
    validate_view(&view).map_err(|_| CatalogDecodeError::Invalid {
        what: "view",
        reason: "invalid name or columns",
    })?;
    Ok(view)
}

/// Checks a view's name and column names (valid, distinct).
pub(crate) fn validate_view(v: &ViewDef) -> Result<(), TableError> {
    check_name(&v.name)?;
    for (i, c) in v.columns.iter().enumerate() {
        check_name(c)?;
        if v.columns[..i].contains(c) {
            return Err(SchemaError::DuplicateColumn {
                table: v.name.clone(),
                column: c.clone(),
            }
            .into());
        }
    }
    Ok(())
}

const CYCLE: u8 = 1;
const CALLED: u8 = 2;

pub(crate) fn encode_sequence(d: &SequenceDef, s: SequenceState) -> Vec<u8> {
    let mut w = writer();
    for v in [d.start, d.increment, d.min, d.max] {
        w.i64(v);
    }
    w.0.push((u8::from(d.cycle) * CYCLE) | (u8::from(s.called) * CALLED));
    w.i64(s.last_value);
    w.0
}

pub(crate) fn decode_sequence(
    name: &str,
    bytes: &[u8],
) -> DecodeResult<(SequenceDef, SequenceState)> {
    let mut r = Reader { bytes };
    r.current_version()?;
    let start = r.i64("sequence start")?;
    let increment = r.i64("sequence increment")?;
    let min = r.i64("sequence minimum")?;
    let max = r.i64("sequence maximum")?;
    let flags = r.flags("sequence flags", CYCLE | CALLED)?;
    let last_value = r.i64("sequence value")?;
    r.end()?;
    let def = SequenceDef {
        name: name.to_owned(),
        start,
        increment,
        min,
        max,
        cycle: flags & CYCLE != 0,
    };
    if def.validate().is_err() || last_value < min || last_value > max {
        return Err(CatalogDecodeError::Invalid {
            what: "sequence",
            reason: "bounds, step or value out of order",
        });
    }
    let state = SequenceState {
        last_value,
        called: flags & CALLED != 0,
    };
    Ok((def, state))
}

/// A SQL text record (CHECK expression, table definition).
pub(crate) fn encode_text(sql: &str) -> Vec<u8> {
    let mut w = writer();
    w.str(sql);
    w.0
}

pub(crate) fn decode_text(bytes: &[u8]) -> DecodeResult<String> {
    let mut r = Reader { bytes };
    r.current_version()?;
    let sql = r.str("SQL text")?;
    r.end()?;
    Ok(sql)
}

pub(crate) fn encode_fk(f: &FkRecord) -> Vec<u8> {
    let mut w = writer();
    w.varint(f.columns.len() as u64);
    f.columns.iter().for_each(|&s| w.varint(s.into()));
    w.str(&f.ref_table);
    f.ref_columns.iter().for_each(|&s| w.varint(s.into()));
    w.0.push(f.on_delete.code());
    w.0.push(f.on_update.code());
    w.0
}

pub(crate) fn decode_fk(bytes: &[u8]) -> DecodeResult<FkRecord> {
    let mut r = Reader { bytes };
    r.current_version()?;
    let n = r.len("foreign key column count")?;
    if n == 0 {
        return Err(CatalogDecodeError::Invalid {
            what: "foreign key",
            reason: "no columns",
        });
    }
    let columns = (0..n)
        .map(|_| r.u32("foreign key column"))
        .collect::<DecodeResult<Vec<_>>>()?;
    let ref_table = r.str("referenced table")?;
    let ref_columns = (0..n)
        .map(|_| r.u32("referenced column"))
        .collect::<DecodeResult<Vec<_>>>()?;
    let on_delete = FkAction::from_code(r.u8("on delete")?)?;
    let on_update = FkAction::from_code(r.u8("on update")?)?;
    r.end()?;
    Ok(FkRecord {
        columns,
        ref_table,
        ref_columns,
        on_delete,
        on_update,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn records_round_trip() {
        let v = ViewDef {
            name: "v".into(),
            sql: "SELECT a, b FROM t".into(),
            columns: vec!["a".into(), "b".into()],
        };
        assert_eq!(decode_view("v", &encode_view(&v)), Ok(v));
        let d = SequenceDef {
            name: "s".into(),
            start: -5,
            increment: -3,
            min: i64::MIN,
            max: -1,
            cycle: true,
        };
        let st = SequenceState {
            last_value: -8,
            called: true,
        };
        assert_eq!(
            decode_sequence("s", &encode_sequence(&d, st)),
            Ok((d.clone(), st))
        );
        assert_eq!(decode_text(&encode_text("a > 0")), Ok("a > 0".into()));
        let f = FkRecord {
            columns: vec![3, 1],
            ref_table: "p".into(),
            ref_columns: vec![0, 2],
            on_delete: FkAction::Cascade,
            on_update: FkAction::SetDefault,
        };
        assert_eq!(decode_fk(&encode_fk(&f)), Ok(f));
        // A value outside the bounds is damage.
        let bad = SequenceState {
            last_value: 0,
            called: true,
        };
        assert!(decode_sequence("s", &encode_sequence(&d, bad)).is_err());
    }

    #[test]
    fn sequence_definitions_are_validated() {
        assert_eq!(SequenceDef::new("s").validate(), Ok(()));
        let mut d = SequenceDef::new("s");
        d.increment = 0;
        assert!(matches!(
            d.validate(),
            Err(TableError::InvalidDefinition { reason, .. }) if reason.contains("INCREMENT")
        ));
        let mut d = SequenceDef::new("s");
        d.start = 0;
        assert!(matches!(
            d.validate(),
            Err(TableError::InvalidDefinition { reason, .. }) if reason.contains("START")
        ));
        let mut d = SequenceDef::new("s");
        d.min = 5;
        d.max = 4;
        d.start = 4;
        assert!(d.validate().is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = decode_view("v", &bytes);
            let _ = decode_sequence("s", &bytes);
            let _ = decode_text(&bytes);
            let _ = decode_fk(&bytes);
        }
    }
}
