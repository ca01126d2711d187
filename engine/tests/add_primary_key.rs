//! ALTER TABLE … ADD PRIMARY KEY through the public API: the rows move under their new
//! key (more than one copy batch of them), indexes are rebuilt and keep finding them,
//! the key is enforced afterwards, and a refused change (NULL, duplicate) leaves the
//! table exactly as it was. The integrity check passes after each step and reopening.

use std::sync::Arc;

use covet_engine::table::{
    ColumnDef, IndexDef, KeyRange, TableError, TableRead, TableSchema, TableWriter,
};
use covet_engine::value::{SortOrder, SqlType, Value};
use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Error, Options};

fn opts() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 512 * 1024,
        ..Options::default()
    }
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn table_err(e: Error) -> TableError {
    match e {
        Error::Table(t) => t,
        other => panic!("not a table error: {other:?}"),
    }
}

/// nopk(a BIGINT, b BIGINT) without a primary key, index nopk_b on b, and `rows` rows
/// (a = i, b = i % 7) inserted in descending `a` order (rowids run against `a`).
fn setup(db: &Database, rows: i64) {
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(TableSchema::new(
        "nopk",
        vec![
            ColumnDef::new("a", SqlType::BigInt),
            ColumnDef::new("b", SqlType::BigInt),
        ],
    ))
    .unwrap();
    t.create_index(IndexDef::new("nopk_b", "nopk", vec![(1, SortOrder::Asc)]))
        .unwrap();
    for i in (1..=rows).rev() {
        t.insert_row("nopk", vec![int(i), int(i % 7)]).unwrap();
    }
    drop(t);
    w.commit().unwrap();
}

fn all_rows(t: &TableWriter<'_>) -> Vec<Vec<Value>> {
    t.scan("nopk").unwrap().map(|r| r.unwrap().values).collect()
}

#[test]
fn rows_move_under_the_new_key_and_indexes_follow() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    setup(&db, 2500);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.add_primary_key("nopk", vec![0]).unwrap();
    assert_eq!(t.table_schema("nopk").unwrap().primary_key, Some(vec![0]));
    // Scans now run in key order: a ascending, where rowid order was descending.
    let rows = all_rows(&t);
    assert_eq!(rows.len(), 2500);
    assert_eq!(rows[0], vec![int(1), int(1)]);
    assert_eq!(rows[2499], vec![int(2500), int(2500 % 7)]);
    assert_eq!(
        t.get_row("nopk", &[int(1234)]).unwrap(),
        Some(vec![int(1234), int(1234 % 7)])
    );
    let via_index: Vec<Vec<Value>> = t
        .index_scan("nopk_b", &KeyRange::prefix(vec![int(3)]))
        .unwrap()
        .map(|r| r.unwrap().values)
        .collect();
    assert_eq!(via_index.len(), 357);
    assert_eq!(via_index[0], vec![int(3), int(3)]);
    // The key is enforced: a duplicate and a NULL are refused.
    assert!(matches!(
        table_err(t.insert_row("nopk", vec![int(7), int(0)]).unwrap_err()),
        TableError::DuplicateKey { .. }
    ));
    assert!(matches!(
        table_err(t.insert_row("nopk", vec![Value::Null, int(0)]).unwrap_err()),
        TableError::NotNull { .. }
    ));
    assert_eq!(
        t.insert_row("nopk", vec![int(9000), int(1)]).unwrap(),
        vec![int(9000)]
    );
    // A second primary key is refused.
    assert!(matches!(
        table_err(t.add_primary_key("nopk", vec![1]).unwrap_err()),
        TableError::InvalidDefinition { .. }
    ));
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.tables().get_row("nopk", &[int(9000)]).unwrap(),
        Some(vec![int(9000), int(1)])
    );
}

#[test]
fn a_duplicate_or_a_null_changes_nothing() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db, 1500);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let before = all_rows(&t);
    // b repeats (i % 7): the rewrite finds a duplicate halfway.
    assert!(matches!(
        table_err(t.add_primary_key("nopk", vec![1]).unwrap_err()),
        TableError::DuplicateKey { .. }
    ));
    assert_eq!(t.table_schema("nopk").unwrap().primary_key, None);
    assert_eq!(all_rows(&t), before);
    t.insert_row("nopk", vec![Value::Null, int(5)]).unwrap();
    assert!(matches!(
        table_err(t.add_primary_key("nopk", vec![0]).unwrap_err()),
        TableError::NotNull { .. }
    ));
    assert_eq!(t.table_schema("nopk").unwrap().primary_key, None);
    assert_eq!(all_rows(&t).len(), 1501);
    // Rowids keep counting where they were: the next row is rowid 1502.
    assert_eq!(
        t.insert_row("nopk", vec![int(1), int(1)]).unwrap(),
        vec![int(1502)]
    );
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}
