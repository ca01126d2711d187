//! Tests of the catalog record format (`codec.rs`): round trips, version 1 records,
//! slots, and damage.

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
    let mut rec = TableRecord::new(schema, "t:orders".into());
    rec.indexes = vec![
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
    ];
    rec
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

/// A version 1 record: `t(a INTEGER NOT NULL, b TEXT DEFAULT 'x')` keyed by the
/// column at `pk`, with index `i` on `b`.
fn version_1(pk: u64) -> Vec<u8> {
    let mut w = Writer(vec![1]);
    w.str("t");
    w.str("t:t");
    w.varint(2);
    w.str("a");
    w.0.extend_from_slice(&[3, 0]);
    w.str("b");
    w.0.extend_from_slice(&[8, NULLABLE | HAS_DEFAULT]);
    w.value(&Value::Text("x".into()));
    w.varint(1);
    w.varint(pk);
    w.varint(1);
    w.str("i");
    w.str("i:i");
    w.0.push(0);
    w.varint(1);
    w.varint(1);
    w.0.push(0);
    w.0
}

#[test]
fn version_1_records_read_as_slots_in_column_order() {
    let rec = TableRecord::from_bytes(&version_1(0)).unwrap();
    assert_eq!(rec.slots, vec![0, 1]);
    assert_eq!(rec.next_slot, 2);
    assert_eq!(rec.missing, vec![None, None]);
    assert!(rec.is_identity());
    assert_eq!(rec.schema.primary_key, Some(vec![0]));
    assert_eq!(rec.schema.columns[1].default, Some(Value::Text("x".into())));
    assert_eq!(rec.indexes[0].def.columns, vec![(1, SortOrder::Asc)]);
    // Written again, it is version 2 and reads back the same.
    let bytes = rec.to_bytes();
    assert_eq!(bytes[0], 2);
    assert_eq!(TableRecord::from_bytes(&bytes), Ok(rec));
    // A key naming a column that does not exist.
    assert_eq!(
        TableRecord::from_bytes(&version_1(9)),
        Err(CatalogDecodeError::Invalid {
            what: "key column",
            reason: "names no column of the table"
        })
    );
}

#[test]
fn slots_and_missing_values_round_trip() {
    // As after: ADD COLUMN c DEFAULT 5 (slot 5), DROP COLUMN (slots 1, 3, 4 gone).
    let mut rec = record();
    rec.slots = vec![0, 2, 6, 7, 5];
    rec.missing = vec![None, None, None, None, Some(Value::Int(5))];
    rec.schema.columns[4].ty = SqlType::Integer;
    rec.next_slot = 8;
    assert!(!rec.is_identity());
    assert_eq!(rec.row_width(), 8);
    let back = TableRecord::from_bytes(&rec.to_bytes()).unwrap();
    assert_eq!(back, rec);
    // A missing value of the wrong type is refused like a bad default.
    rec.missing[4] = Some(Value::Text("five".into()));
    assert!(matches!(
        TableRecord::from_bytes(&rec.to_bytes()),
        Err(CatalogDecodeError::Schema(SchemaError::BadDefault { .. }))
    ));
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
    let rec = TableRecord::new(TableSchema::new("all", columns), "t:all".into());
    assert_eq!(TableRecord::from_bytes(&rec.to_bytes()), Ok(rec));
}

#[test]
fn damage_is_a_typed_error() {
    let bytes = record().to_bytes();
    let mut v2 = bytes.clone();
    v2[0] = 3;
    assert_eq!(
        TableRecord::from_bytes(&v2),
        Err(CatalogDecodeError::UnsupportedVersion { version: 3 })
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
    // A primary key listing a column twice fails validation.
    let mut bad = record();
    bad.schema.primary_key = Some(vec![0, 0]);
    assert!(matches!(
        TableRecord::from_bytes(&bad.to_bytes()),
        Err(CatalogDecodeError::Schema(
            SchemaError::RepeatedKeyColumn { .. }
        ))
    ));
    // A column slot at or past the next slot, and two columns in one slot.
    let mut bad = record();
    bad.slots[1] = bad.next_slot;
    assert!(matches!(
        TableRecord::from_bytes(&bad.to_bytes()),
        Err(CatalogDecodeError::Invalid {
            what: "column slot",
            ..
        })
    ));
    let mut bad = record();
    bad.slots[1] = 0;
    assert!(matches!(
        TableRecord::from_bytes(&bad.to_bytes()),
        Err(CatalogDecodeError::Invalid {
            what: "column slot",
            ..
        })
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
