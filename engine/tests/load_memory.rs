//! Memory of a large load inside a savepoint, counted (not timed): the heap the
//! load holds at its peak stays within the cache's bound plus a constant (the
//! write buffers), whatever the size of the load. The load is twenty times the
//! cache; a load that kept its pages, or per-page undo records, in memory would
//! exceed the bound.

// A counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to the
// system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use covet_engine::table::{ColumnDef, TableSchema};
use covet_engine::value::{SqlType, Value};
use covet_engine::{Database, Options};

struct Counting;

thread_local! {
    /// Bytes this thread allocated and has not freed, and the peak of that.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn add(delta: i64) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// Safety: every call forwards to `System` with the caller's arguments, which
// meet `System`'s contract because they meet ours; the counters are
// thread-local `Cell`s with const initializers (no allocation, no reentrance),
// and `try_with` skips counting while they are being destroyed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        // Safety: as above.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64));
        // Safety: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as i64 - layout.size() as i64);
        // Safety: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PAGE: usize = 4096;
const CACHE: usize = 1 << 20;
/// Write buffers: a run of main-file pages (4 MiB) and a piece of WAL frames
/// (1 MiB) at most, with room for the rest of the transaction's bookkeeping.
const SLACK: i64 = 6 << 20;

/// Runs `load` and returns the peak of the heap it held above what was live
/// before it. (The databases live in real files, whose bytes are not heap.)
fn peak_during(load: impl FnOnce()) -> i64 {
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    load();
    PEAK.with(|p| p.get()) - base
}

/// A new database in a temporary directory, and its path.
fn create(dir: &tempfile::TempDir) -> (Database, PathBuf) {
    let path = dir.path().join("m.covet");
    (Database::open(&path, opts()).unwrap(), path)
}

fn file_size(path: &Path) -> usize {
    std::fs::metadata(path).unwrap().len() as usize
}

fn opts() -> Options {
    Options {
        page_size: PAGE,
        cache_bytes: CACHE,
        autocheckpoint_frames: 1_000_000,
        ..Options::default()
    }
}

fn key(i: u64) -> Vec<u8> {
    format!("key{i:09}").into_bytes()
}

fn value(i: u64) -> Vec<u8> {
    let mut v = format!("value {i} ").into_bytes();
    v.resize(100, b'v');
    v
}

const ROWS: u64 = 200_000;

#[test]
fn kv_loads_in_a_savepoint_hold_the_cache_bound() {
    for sorted in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (db, path) = create(&dir);
        let mut w = db.begin_write().unwrap();
        w.create_tree("t").unwrap();
        w.commit().unwrap();
        let peak = peak_during(|| {
            let mut w = db.begin_write().unwrap();
            let t = w.open_tree("t").unwrap();
            let sp = w.savepoint().unwrap();
            if sorted {
                w.bulk_load(&t, (0..ROWS).map(|i| (key(i), value(i))))
                    .unwrap();
            } else {
                for i in 0..ROWS {
                    let stmt = w.savepoint().unwrap();
                    w.insert(&t, &key(i), &value(i)).unwrap();
                    w.release(stmt).unwrap();
                }
            }
            w.release(sp).unwrap();
            w.commit().unwrap();
        });
        let size = file_size(&path);
        eprintln!("sorted {sorted}: peak {peak} bytes for a file of {size}");
        assert!(size > 20 * CACHE, "the load is {size} bytes");
        assert!(
            peak <= CACHE as i64 + SLACK,
            "sorted {sorted}: a load of {size} bytes held {peak} bytes at its peak"
        );
        let r = db.begin_read().unwrap();
        let t = r.open_tree("t").unwrap();
        assert_eq!(r.iter(&t).count() as u64, ROWS);
        assert_eq!(
            r.get(&t, &key(ROWS - 1)).unwrap().unwrap().value(),
            value(ROWS - 1)
        );
    }
}

#[test]
fn table_loads_in_a_savepoint_hold_the_cache_bound() {
    for sorted in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (db, path) = create(&dir);
        let mut w = db.begin_write().unwrap();
        w.tables()
            .create_table(TableSchema::new(
                "rows",
                vec![
                    ColumnDef::new("n", SqlType::BigInt).not_null(),
                    ColumnDef::new("text", SqlType::Text),
                ],
            ))
            .unwrap();
        w.commit().unwrap();
        let row = |i: u64| vec![Value::Int(i as i64), Value::Text(format!("{:0>90}", i))];
        let peak = peak_during(|| {
            let mut w = db.begin_write().unwrap();
            let sp = w.savepoint().unwrap();
            let mut t = w.tables();
            if sorted {
                t.load_sorted_rows("rows", (0..ROWS).map(row)).unwrap();
            } else {
                for i in 0..ROWS {
                    t.insert_row("rows", row(i)).unwrap();
                }
            }
            drop(t);
            w.release(sp).unwrap();
            w.commit().unwrap();
        });
        let size = file_size(&path);
        eprintln!("sorted {sorted}: peak {peak} bytes for a file of {size}");
        assert!(size > 20 * CACHE, "the load is {size} bytes");
        assert!(
            peak <= CACHE as i64 + SLACK,
            "sorted {sorted}: a table load of {size} bytes held {peak} bytes at its peak"
        );
    }
}
