//! The cost of publishing a commit does not grow with the WAL: 6,000 small
//! commits between checkpoints, each changing a leaf the WAL does not hold yet,
//! and the memory each commit allocates (counted, not timed) stays the same from
//! the first commits to the last. Before, each commit copied a page map that grew
//! with the distinct pages in the WAL.

// A counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to the
// system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Durability, Options};

struct Counting;

thread_local! {
    /// Bytes allocated by this thread so far.
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

// Safety: every call forwards to `System` with the caller's arguments, which
// meet `System`'s contract because they meet ours; the counter is a
// thread-local `Cell` with a const initializer (no allocation, no reentrance),
// and `try_with` skips counting while the thread-local is being destroyed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|c| c.set(c.get() + layout.size() as u64));
        // Safety: as above.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATED.try_with(|c| c.set(c.get() + new_size as u64));
        // Safety: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> u64 {
    ALLOCATED.with(|c| c.get())
}

fn key(i: u64) -> Vec<u8> {
    format!("{i:08}").into_bytes()
}

#[test]
fn commit_allocation_does_not_grow_with_the_wal() {
    const ROWS: u64 = 120_000;
    const COMMITS: u64 = 6_000;
    let vfs = Arc::new(MemoryVfs::new());
    let opts = Options {
        page_size: 512,
        cache_bytes: 8 << 20,
        durability: Durability::Full,
        autocheckpoint_frames: u64::MAX,
        ..Options::default()
    };
    let db = Database::open_with_vfs(vfs, "cost.covet", opts).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    w.bulk_load(&t, (0..ROWS).map(|i| (key(i), [7u8; 24])))
        .unwrap();
    w.commit().unwrap();
    db.checkpoint().unwrap();
    // Each commit changes one row in a leaf no earlier commit of this run
    // changed (consecutive commits are far apart in the key space), so the
    // WAL's distinct pages grow with every commit.
    let mut per_commit = Vec::with_capacity(COMMITS as usize);
    for c in 0..COMMITS {
        let row = (c * 7919) % COMMITS * (ROWS / COMMITS);
        let mut w = db.begin_write().unwrap();
        w.insert(&t, &key(row), &c.to_le_bytes()).unwrap();
        let before = allocated();
        w.commit().unwrap();
        per_commit.push(allocated() - before);
    }
    let mean = |s: &[u64]| s.iter().sum::<u64>() / s.len() as u64;
    let first = mean(&per_commit[200..1200]);
    let last = mean(&per_commit[per_commit.len() - 1000..]);
    eprintln!("bytes allocated per commit: first {first}, last {last}");
    assert!(
        last <= first + first / 4,
        "a commit allocates {last} bytes after {COMMITS} commits, {first} early on"
    );
    // Every change is visible.
    let r = db.begin_read().unwrap();
    for c in COMMITS - 10..COMMITS {
        let row = (c * 7919) % COMMITS * (ROWS / COMMITS);
        assert_eq!(
            r.get(&t, &key(row)).unwrap().unwrap().value(),
            c.to_le_bytes()
        );
    }
}
