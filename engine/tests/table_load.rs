//! Loads through the table layer: `TableWriter::load_sorted_rows` (exact state,
//! equal to row-by-row inserts; refusals leave the table empty), and large loads
//! inside a savepoint — sorted, and row by row — whose pages go to the main file:
//! the WAL gets a handful of frames and the cache stays within its bound.

use std::sync::Arc;

use covet_engine::table::{ColumnDef, IndexDef, KeyRange, Row, TableError, TableRead, TableSchema};
use covet_engine::value::{SortOrder, SqlType, Value};
use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Error, Options};

const PATH: &str = "t.covet";
const PAGE: usize = 4096;

fn opts() -> Options {
    Options {
        page_size: PAGE,
        cache_bytes: 256 * PAGE,
        autocheckpoint_frames: 1_000_000,
        ..Options::default()
    }
}

fn wal_frames(vfs: &MemoryVfs) -> usize {
    let len = vfs.file_bytes(format!("{PATH}-wal")).map_or(0, |b| b.len());
    len.saturating_sub(40) / (24 + PAGE)
}

/// items(id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INTEGER) with a unique
/// index on name and a plain one on qty; or the same without a primary key.
fn items(with_pk: bool) -> TableSchema {
    let s = TableSchema::new(
        "items",
        vec![
            ColumnDef::new("id", SqlType::BigInt).not_null(),
            ColumnDef::new("name", SqlType::Text).not_null(),
            ColumnDef::new("qty", SqlType::Integer),
        ],
    );
    if with_pk {
        s.with_primary_key(vec![0])
    } else {
        s
    }
}

fn item(i: i64) -> Vec<Value> {
    vec![
        Value::Int(i),
        Value::Text(format!("item number {i:07}")),
        if i % 10 == 0 {
            Value::Null
        } else {
            Value::Int(i % 97)
        },
    ]
}

fn create(db: &Database, with_pk: bool) {
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(items(with_pk)).unwrap();
    t.create_index(IndexDef::new("items_name", "items", vec![(1, SortOrder::Asc)]).unique())
        .unwrap();
    t.create_index(IndexDef::new(
        "items_qty",
        "items",
        vec![(2, SortOrder::Desc)],
    ))
    .unwrap();
    drop(t);
    w.commit().unwrap();
}

/// Rows, and the entries of both indexes, of the newest commit.
fn contents(db: &Database) -> (Vec<Row>, Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let r = db.begin_read().unwrap();
    let t = r.tables();
    let rows = t
        .scan("items")
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let entries = |ix: &str| {
        t.index_entries(ix, &KeyRange::all())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let mut v = e.values;
                v.extend(e.pk);
                v
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(t.check_table("items").unwrap(), vec![]);
    (rows, entries("items_name"), entries("items_qty"))
}

/// A sorted load gives exactly what inserting the rows one by one gives, rows
/// and index entries alike, with or without a primary key; the rowid counter
/// goes on after it.
#[test]
fn load_sorted_rows_equals_row_by_row_inserts() {
    for with_pk in [true, false] {
        let loaded = Database::memory().unwrap();
        create(&loaded, with_pk);
        let mut w = loaded.begin_write().unwrap();
        let mut t = w.tables();
        assert_eq!(
            t.load_sorted_rows("items", (1..=5000).map(item)).unwrap(),
            5000
        );
        let next = t.insert_row("items", item(6000)).unwrap();
        drop(t);
        w.commit().unwrap();

        let inserted = Database::memory().unwrap();
        create(&inserted, with_pk);
        let mut w = inserted.begin_write().unwrap();
        let mut t = w.tables();
        for i in 1..=5000 {
            t.insert_row("items", item(i)).unwrap();
        }
        assert_eq!(t.insert_row("items", item(6000)).unwrap(), next);
        drop(t);
        w.commit().unwrap();

        let want = contents(&inserted);
        assert_eq!(want.0.len(), 5001);
        assert_eq!(contents(&loaded), want, "with_pk {with_pk}");
        let expected_next = if with_pk {
            Value::Int(6000)
        } else {
            Value::Int(5001)
        };
        assert_eq!(next, vec![expected_next]);
        assert!(loaded.check_integrity().unwrap().is_ok());
    }
}

/// Every refusal leaves the table empty and the transaction usable; the rowid
/// counter is unchanged.
#[test]
fn refused_loads_change_nothing() {
    let db = Database::memory().unwrap();
    create(&db, true);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let err = |e: Error| match e {
        Error::Table(t) => Some(t),
        _ => None,
    };
    // Out of order.
    let rows = (1..=3000).map(item).chain([item(5)]);
    assert!(matches!(
        t.load_sorted_rows("items", rows),
        Err(Error::InvalidInput(_))
    ));
    // A duplicate primary key.
    let rows = (1..=3000).map(item).chain([item(3000)]);
    assert!(matches!(
        t.load_sorted_rows("items", rows).map_err(err),
        Err(Some(TableError::DuplicateKey { .. }))
    ));
    // NULL in a NOT NULL column, midway.
    let rows = (1..=3000).map(|i| {
        let mut r = item(i);
        if i == 2000 {
            r[1] = Value::Null;
        }
        r
    });
    assert!(matches!(
        t.load_sorted_rows("items", rows).map_err(err),
        Err(Some(TableError::NotNull { .. }))
    ));
    // Two rows with the same name: the unique index refuses, after the rows.
    let rows = (1..=3000).map(|i| {
        let mut r = item(i);
        if i == 2999 {
            r[1] = Value::Text(format!("item number {:07}", 17));
        }
        r
    });
    assert!(matches!(
        t.load_sorted_rows("items", rows).map_err(err),
        Err(Some(TableError::UniqueViolation { index, .. })) if index == "items_name"
    ));
    assert_eq!(t.scan("items").unwrap().count(), 0);
    assert_eq!(
        t.index_entries("items_name", &KeyRange::all())
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        t.index_entries("items_qty", &KeyRange::all())
            .unwrap()
            .count(),
        0
    );
    // The transaction goes on: a good load, then a second one is refused.
    assert_eq!(t.load_sorted_rows("items", (1..=10).map(item)).unwrap(), 10);
    assert!(matches!(
        t.load_sorted_rows("items", (20..=30).map(item)),
        Err(Error::InvalidInput(_))
    ));
    drop(t);
    w.commit().unwrap();
    let (rows, names, _) = contents(&db);
    assert_eq!(rows.len(), 10);
    assert_eq!(names.len(), 10);
    assert_eq!(rows[9].values, item(10));
}

/// A rowid table's refused load leaves the counter where it was.
#[test]
fn refused_load_keeps_the_rowid_counter() {
    let db = Database::memory().unwrap();
    create(&db, false);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.insert_row("items", item(0)).unwrap();
    t.delete_row("items", &[Value::Int(1)]).unwrap();
    let rows = (1..=100).map(item).chain([vec![Value::Int(1)]]);
    assert!(matches!(
        t.load_sorted_rows("items", rows),
        Err(Error::Table(TableError::ColumnCount { .. }))
    ));
    assert_eq!(t.insert_row("items", item(1)).unwrap(), vec![Value::Int(2)]);
}

/// 60,000 rows (about 1,000 pages of rows and index entries, four times the
/// cache) loaded inside a savepoint, sorted or row by row: the WAL gets a few
/// frames (page 0, the roots, the catalog), the main file gets the rest, and
/// the cache never holds more than its bound.
#[test]
fn large_table_loads_in_a_savepoint_go_to_the_main_file() {
    for sorted in [true, false] {
        let vfs = Arc::new(MemoryVfs::new());
        let db = Database::open_with_vfs(vfs.clone(), PATH, opts()).unwrap();
        create(&db, true);
        let before = wal_frames(&vfs);
        let mut w = db.begin_write().unwrap();
        let sp = w.savepoint().unwrap();
        let mut t = w.tables();
        if sorted {
            t.load_sorted_rows("items", (1..=60_000).map(item)).unwrap();
        } else {
            for i in 1..=60_000 {
                t.insert_row("items", item(i)).unwrap();
                if i % 1000 == 0 {
                    let stats = db.cache_stats();
                    assert!(stats.bytes <= stats.capacity, "{stats:?}");
                }
            }
        }
        drop(t);
        w.release(sp).unwrap();
        w.commit().unwrap();
        let frames = wal_frames(&vfs) - before;
        let main_pages = vfs.file_bytes(PATH).unwrap().len() / PAGE;
        eprintln!("sorted {sorted}: {frames} frames, {main_pages} main-file pages");
        assert!(main_pages > 900, "{main_pages}");
        assert!(
            frames <= 30,
            "sorted {sorted}: {frames} frames through the WAL, {main_pages} pages in the main file"
        );
        let stats = db.cache_stats();
        assert!(stats.bytes <= stats.capacity, "{stats:?}");
        let (rows, names, qty) = contents(&db);
        assert_eq!(rows.len(), 60_000);
        assert_eq!(rows[59_999].values, item(60_000));
        assert_eq!((names.len(), qty.len()), (60_000, 60_000));
    }
}

/// CREATE INDEX over a large table builds its index inside a savepoint (it rolls
/// back on a unique violation): the index's pages go to the main file too.
#[test]
fn create_index_on_a_large_table_writes_its_pages_once() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), PATH, opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(items(true)).unwrap();
    for i in 1..=60_000 {
        t.insert_row("items", item(i)).unwrap();
    }
    drop(t);
    w.commit().unwrap();
    let before = wal_frames(&vfs);
    let pages_before = vfs.file_bytes(PATH).unwrap().len() / PAGE;
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_index(IndexDef::new("items_name", "items", vec![(1, SortOrder::Asc)]).unique())
        .unwrap();
    drop(t);
    w.commit().unwrap();
    let frames = wal_frames(&vfs) - before;
    let new_pages = vfs.file_bytes(PATH).unwrap().len() / PAGE - pages_before;
    assert!(
        new_pages > 300,
        "the index's pages go to the main file: {new_pages} new pages there, {frames} frames through the WAL"
    );
    assert!(
        frames <= 12,
        "{frames} frames through the WAL for an index of {new_pages} pages"
    );
    let r = db.begin_read().unwrap();
    let t = r.tables();
    let names: Vec<_> = t
        .index_entries("items_name", &KeyRange::all())
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(names.len(), 60_000);
    assert_eq!(
        names[41].values,
        vec![Value::Text(format!("item number {:07}", 42))]
    );
    assert_eq!(names[41].pk, vec![Value::Int(42)]);
    assert_eq!(t.check_table("items").unwrap(), vec![]);
}
