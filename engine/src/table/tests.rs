//! Unit tests of the table layer that look below its public surface: page counts, the
//! stored row shapes, the catalog's own records and the integrity check's catalog part.

use super::analyze::count_pages;
use super::catalog::{self, CATALOG_TREE};
use super::objects;
use super::*;
use crate::value::{encode_row, SortOrder, SqlType, Value};
use crate::{Database, Options};

fn db() -> Database {
    Database::memory_with(Options {
        page_size: 1024,
        ..Options::default()
    })
    .unwrap()
}

fn two_ints(name: &str) -> TableSchema {
    TableSchema::new(
        name,
        vec![
            ColumnDef::new("a", SqlType::BigInt),
            ColumnDef::new("b", SqlType::BigInt),
        ],
    )
}

fn err(e: crate::Error) -> TableError {
    match e {
        crate::Error::Table(t) => t,
        other => panic!("not a table error: {other:?}"),
    }
}

#[test]
fn page_count_covers_branches_leaves_and_overflow() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(TableSchema::new(
        "b",
        vec![ColumnDef::new("v", SqlType::Blob)],
    ))
    .unwrap();
    assert_eq!(t.analyze("b").unwrap().page_count, 1);
    // 3000 bytes at 1008 data bytes per overflow page: one leaf and three overflow pages.
    t.insert_row("b", vec![Value::Blob(vec![7; 3000])]).unwrap();
    assert_eq!(t.analyze("b").unwrap().page_count, 4);
    t.create_table(two_ints("many")).unwrap();
    for i in 0..5000 {
        t.insert_row("many", vec![Value::Int(i), Value::Int(-i)])
            .unwrap();
    }
    drop(t);
    w.commit().unwrap();
    // Every page is the header, the directory, a tree's, or free.
    let r = db.begin_read().unwrap();
    let meta = r.snapshot().meta;
    let trees: u64 = r
        .list_trees()
        .unwrap()
        .iter()
        .map(|(_, tree)| count_pages(&r, tree.root()).unwrap())
        .sum();
    let directory = count_pages(&r, crate::meta::DIRECTORY_ROOT).unwrap();
    assert_eq!(
        u64::from(meta.page_count),
        1 + directory + trees + u64::from(meta.free_count)
    );
    assert!(count_pages(&r, r.open_tree("t:many").unwrap().root()).unwrap() > 50);
}

#[test]
fn stored_rows_shorter_than_the_table_read_null() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    w.tables().create_table(two_ints("t")).unwrap();
    let tree = w.open_tree("t:t").unwrap();
    let mut short = Vec::new();
    encode_row(&[Value::Int(1)], &mut short);
    w.insert(&tree, &keys::rowid_key(1), &short).unwrap();
    let t = w.tables();
    assert_eq!(
        t.get_row("t", &[Value::Int(1)]).unwrap(),
        Some(vec![Value::Int(1), Value::Null])
    );
    drop(t);
    let mut long = Vec::new();
    encode_row(&[Value::Int(1), Value::Int(2), Value::Int(3)], &mut long);
    w.insert(&tree, &keys::rowid_key(2), &long).unwrap();
    let t = w.tables();
    assert_eq!(
        err(t.get_row("t", &[Value::Int(2)]).unwrap_err()),
        TableError::RowShape {
            table: "t".into(),
            expected: 2,
            found: 3
        }
    );
}

#[test]
fn composite_unique_index_lets_nulls_repeat() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(two_ints("t")).unwrap();
    t.create_index(
        IndexDef::new("t_ab", "t", vec![(0, SortOrder::Asc), (1, SortOrder::Desc)]).unique(),
    )
    .unwrap();
    let row = |a: Option<i64>, b: Option<i64>| vec![Value::from(a), Value::from(b)];
    t.insert_row("t", row(Some(1), None)).unwrap();
    t.insert_row("t", row(Some(1), None)).unwrap();
    t.insert_row("t", row(None, None)).unwrap();
    t.insert_row("t", row(None, None)).unwrap();
    t.insert_row("t", row(Some(1), Some(2))).unwrap();
    t.insert_row("t", row(Some(2), Some(1))).unwrap();
    assert!(matches!(
        err(t.insert_row("t", row(Some(1), Some(2))).unwrap_err()),
        TableError::UniqueViolation { index, .. } if index == "t_ab"
    ));
    assert_eq!(t.scan("t").unwrap().count(), 6);
    assert_eq!(t.check_table("t").unwrap(), vec![]);
}

#[test]
fn truncate_empties_rows_and_indexes_but_keeps_the_counter() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(two_ints("t")).unwrap();
    t.create_index(IndexDef::new("t_b", "t", vec![(1, SortOrder::Asc)]))
        .unwrap();
    for i in 0..10 {
        t.insert_row("t", vec![Value::Int(i), Value::Int(i)])
            .unwrap();
    }
    t.truncate("t").unwrap();
    assert_eq!(t.scan("t").unwrap().count(), 0);
    assert_eq!(t.index_entries("t_b", &KeyRange::all()).unwrap().count(), 0);
    assert_eq!(
        t.insert_row("t", vec![Value::Null, Value::Null]).unwrap(),
        vec![Value::Int(11)]
    );
    assert_eq!(t.check_table("t").unwrap(), vec![]);
}

#[test]
fn integrity_check_reports_catalog_damage() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(two_ints("t")).unwrap();
    t.create_index(IndexDef::new("t_b", "t", vec![(1, SortOrder::Asc)]))
        .unwrap();
    for i in 0..3 {
        t.insert_row("t", vec![Value::Int(i), Value::Null]).unwrap();
    }
    drop(t);
    assert_eq!(integrity::check_all(&w).unwrap(), vec![]);
    // A rowid floor that does not decode, an owner record of a missing index, and
    // statistics of a missing table.
    let cat = w.open_tree(CATALOG_TREE).unwrap();
    w.insert(&cat, b"Rt", &[2, 1, 2]).unwrap();
    catalog::store_owner(&mut w, "ghost", "t").unwrap();
    w.insert(&cat, b"Sgone", &[1]).unwrap();
    let problems = integrity::check_all(&w).unwrap();
    let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(details[0].contains("rowid floor"), "{details:?}");
    assert!(details[1].contains("\"ghost\""), "{details:?}");
    assert!(details[2].contains("\"gone\""), "{details:?}");
    assert!(problems.iter().all(|p| p.page != 0));
}

#[test]
fn ddl_bumps_the_schema_cookie_and_rows_do_not() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let c0 = w.schema_cookie();
    let mut t = w.tables();
    t.create_table(two_ints("t")).unwrap();
    t.insert_row("t", vec![Value::Int(1), Value::Int(2)])
        .unwrap();
    let c1 = t.txn().schema_cookie();
    assert_eq!(c1, c0 + 1);
    t.create_index(IndexDef::new("t_a", "t", vec![(0, SortOrder::Asc)]))
        .unwrap();
    t.drop_index("t_a").unwrap();
    t.drop_table("t").unwrap();
    assert_eq!(t.txn().schema_cookie(), c0 + 4);
    drop(t);
    w.commit().unwrap();
    assert_eq!(db.begin_read().unwrap().schema_cookie(), c0 + 4);
}

#[test]
fn integrity_check_reports_damaged_schema_objects() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(two_ints("p").with_primary_key(vec![0]))
        .unwrap();
    t.create_table(two_ints("c")).unwrap();
    t.add_foreign_key(ForeignKeyDef::new("c_b", "c", vec![1], "p", vec![0]))
        .unwrap();
    t.create_view(ViewDef {
        name: "v".into(),
        sql: "SELECT 1".into(),
        columns: vec![],
    })
    .unwrap();
    t.create_sequence(SequenceDef::new("s")).unwrap();
    drop(t);
    assert_eq!(integrity::check_all(&w).unwrap(), vec![]);
    let cat = w.open_tree(CATALOG_TREE).unwrap();
    // A view and a sequence under a table's name, a CHECK of a missing table, a foreign
    // key naming a slot its table does not have, and a sequence that does not decode.
    w.insert(
        &cat,
        b"Vp",
        &objects::encode_view(&ViewDef {
            name: "p".into(),
            sql: "SELECT 2".into(),
            columns: vec![],
        }),
    )
    .unwrap();
    w.insert(&cat, b"Qc", &w.get(&cat, b"Qs").unwrap().unwrap().to_vec())
        .unwrap();
    w.insert(&cat, b"C\x05ghostcheck", &objects::encode_text("true"))
        .unwrap();
    let fk = objects::FkRecord {
        columns: vec![7],
        ref_table: "p".into(),
        ref_columns: vec![0],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
    };
    w.insert(&cat, b"F\x01cc_b", &objects::encode_fk(&fk))
        .unwrap();
    w.insert(&cat, b"Qs", &[2, 0]).unwrap();
    let problems = integrity::check_all(&w).unwrap();
    let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
    assert_eq!(details.len(), 5, "{details:?}");
    assert!(
        details[0].contains("view \"p\" shares its name"),
        "{details:?}"
    );
    assert!(
        details[1].contains("sequence \"c\" shares its name"),
        "{details:?}"
    );
    assert!(
        details[2].contains("truncated in sequence increment"),
        "{details:?}"
    );
    assert!(
        details[3].contains("check \"check\" of missing table \"ghost\""),
        "{details:?}"
    );
    assert!(
        details[4].contains("names no column of its table"),
        "{details:?}"
    );
}

#[test]
fn integrity_check_reads_rows_through_their_slots() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(two_ints("t")).unwrap();
    t.insert_row("t", vec![Value::Int(1), Value::Int(2)])
        .unwrap();
    t.drop_column("t", "a").unwrap();
    t.add_column(
        "t",
        ColumnDef::new("c", SqlType::Integer)
            .not_null()
            .with_default(Value::Int(3)),
    )
    .unwrap();
    t.insert_row("t", vec![Value::Int(4), Value::Int(5)])
        .unwrap();
    assert_eq!(t.check_table("t").unwrap(), vec![]);
    drop(t);
    // A row wider than every slot the table ever had, and a row whose NOT NULL column
    // (read from its slot) is NULL.
    let tree = w.open_tree("t:t").unwrap();
    let mut wide = Vec::new();
    encode_row(&vec![Value::Int(1); 4], &mut wide);
    w.insert(&tree, &keys::rowid_key(3), &wide).unwrap();
    let mut null_c = Vec::new();
    encode_row(&[Value::Null, Value::Int(1), Value::Null], &mut null_c);
    w.insert(&tree, &keys::rowid_key(4), &null_c).unwrap();
    let t = w.tables();
    let problems = t.check_table("t").unwrap();
    let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details[0].contains("has 4 columns, the table 3"),
        "{details:?}"
    );
    assert!(details[1].contains("NULL in column \"c\""), "{details:?}");
}

/// Read snapshots share resolved tables by schema cookie: a reader after an ALTER sees
/// the new definition, an older snapshot still open keeps its own, and each sees it
/// again after the other refilled the shared entries.
#[test]
fn readers_of_different_schemas_never_share_a_resolved_table() {
    let db = db();
    let mut w = db.begin_write().unwrap();
    w.tables().create_table(two_ints("t")).unwrap();
    w.tables()
        .insert_row("t", vec![Value::Int(1), Value::Int(2)])
        .unwrap();
    w.commit().unwrap();
    let scan = |r: &crate::ReadTxn| -> Vec<Vec<Value>> {
        r.tables()
            .scan("t")
            .unwrap()
            .map(|row| row.unwrap().values)
            .collect()
    };
    let old = db.begin_read().unwrap();
    assert_eq!(scan(&old), vec![vec![Value::Int(1), Value::Int(2)]]);
    let mut w = db.begin_write().unwrap();
    w.tables()
        .add_column("t", ColumnDef::new("c", SqlType::BigInt))
        .unwrap();
    w.commit().unwrap();
    let new = db.begin_read().unwrap();
    let widened = vec![vec![Value::Int(1), Value::Int(2), Value::Null]];
    assert_eq!(scan(&new), widened);
    assert_eq!(scan(&old), vec![vec![Value::Int(1), Value::Int(2)]]);
    assert_eq!(new.tables().table_schema("t").unwrap().columns.len(), 3);
    assert_eq!(scan(&db.begin_read().unwrap()), widened);
    drop(old);
    // A dropped table is gone for the next snapshot, though its entry was shared.
    let mut w = db.begin_write().unwrap();
    w.tables().drop_table("t").unwrap();
    w.commit().unwrap();
    let after = db.begin_read().unwrap();
    assert!(matches!(
        after.tables().scan("t").map(|_| ()),
        Err(crate::Error::Table(TableError::TableNotFound { .. }))
    ));
}
