//! Tree handles reach only the tree they were opened for (issue 11, defect 2).
//!
//! A handle outlives the transaction that opened it (the SQL layer's plan cache
//! keeps them across DDL), so every public entry point that takes a [`Tree`] must
//! refuse, with `StaleTree`, the handle of a dropped tree, of a tree whose creation
//! was rolled back, of a tree of another database, and of any tree before a VACUUM,
//! even when the tree's root page now belongs to another tree.

use std::sync::Arc;

use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Error, Options, ReadTxn, Tree, WriteTxn};

fn stale<T: std::fmt::Debug>(what: &str, r: covet_engine::Result<T>) {
    match r {
        Err(Error::StaleTree) => {}
        other => panic!("{what}: expected Err(StaleTree), got {other:?}"),
    }
}

/// A range iterator over a stale handle yields `StaleTree` once, then ends.
fn stale_iter(what: &str, it: covet_engine::RangeIter<'_>) {
    let got: Vec<String> = it
        .map(|e| match e {
            Ok(e) => format!("Ok(key {:?}, value {:?})", e.key(), e.value()),
            Err(e) => format!("Err({e:?})"),
        })
        .collect();
    assert_eq!(got, vec!["Err(StaleTree)".to_string()], "{what}");
}

/// Every read entry point of a read transaction refuses `t`.
fn read_refuses(r: &ReadTxn, t: &Tree) {
    stale("ReadTxn::get", r.get(t, b"k"));
    stale_iter(
        "ReadTxn::range",
        r.range(t, b"a".as_slice()..b"z".as_slice()),
    );
    stale_iter("ReadTxn::range_rev", r.range_rev::<&[u8], _>(t, ..));
    stale_iter("ReadTxn::iter", r.iter(t));
}

/// Every entry point of a write transaction refuses `t`, and changes nothing.
fn write_refuses(w: &mut WriteTxn, t: &Tree) {
    stale("WriteTxn::get", w.get(t, b"k"));
    stale_iter(
        "WriteTxn::range",
        w.range(t, b"a".as_slice()..=b"z".as_slice()),
    );
    stale_iter("WriteTxn::range_rev", w.range_rev::<&[u8], _>(t, ..));
    stale_iter("WriteTxn::iter", w.iter(t));
    stale(
        "WriteTxn::insert",
        w.insert(t, b"k", b"through a stale handle"),
    );
    stale("WriteTxn::insert (new key)", w.insert(t, b"new", b"x"));
    stale("WriteTxn::remove", w.remove(t, b"k"));
    stale("WriteTxn::clear_tree", w.clear_tree(t));
    stale(
        "WriteTxn::bulk_load",
        w.bulk_load(t, [(b"a".as_slice(), b"1".as_slice())]),
    );
}

/// The whole content of tree `name` as committed.
fn content(db: &Database, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let r = db.begin_read().unwrap();
    let t = r.open_tree(name).unwrap();
    r.iter(&t)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect()
}

fn kv(k: &[u8], v: &[u8]) -> (Vec<u8>, Vec<u8>) {
    (k.to_vec(), v.to_vec())
}

/// Creates tree `a` holding k = "a's value", committed; returns its handle.
fn tree_a(db: &Database) -> Tree {
    let mut w = db.begin_write().unwrap();
    let a = w.create_tree("a").unwrap();
    w.insert(&a, b"k", b"a's value").unwrap();
    w.commit().unwrap();
    a
}

#[test]
fn dropped_tree_handle_does_not_reach_the_tree_that_reused_its_root() {
    let db = Database::memory().unwrap();
    let a = tree_a(&db);
    let before_drop = db.begin_read().unwrap();
    let mut w = db.begin_write().unwrap();
    w.drop_tree("a").unwrap();
    let b = w.create_tree("b").unwrap();
    w.insert(&b, b"k", b"b's value").unwrap();
    w.commit().unwrap();
    // The precondition of the defect: b lives in a's old root page.
    assert_eq!(a.root(), b.root());

    read_refuses(&db.begin_read().unwrap(), &a);
    let mut w = db.begin_write().unwrap();
    write_refuses(&mut w, &a);
    w.commit().unwrap();
    assert_eq!(content(&db, "b"), vec![kv(b"k", b"b's value")]);
    // A snapshot from before the drop still has tree a, and the handle reads it.
    assert_eq!(
        before_drop.get(&a, b"k").unwrap().unwrap().value(),
        b"a's value"
    );
    drop(before_drop);
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn dropped_tree_handle_is_refused_in_the_transaction_that_reused_its_root() {
    let db = Database::memory().unwrap();
    let a = tree_a(&db);
    let mut w = db.begin_write().unwrap();
    w.drop_tree("a").unwrap();
    write_refuses(&mut w, &a);
    let b = w.create_tree("b").unwrap();
    w.insert(&b, b"k", b"b's value").unwrap();
    assert_eq!(a.root(), b.root());
    write_refuses(&mut w, &a);
    assert_eq!(w.get(&b, b"k").unwrap().unwrap().value(), b"b's value");
    w.commit().unwrap();
    assert_eq!(content(&db, "b"), vec![kv(b"k", b"b's value")]);
}

#[test]
fn handle_of_a_tree_created_and_dropped_in_one_transaction_is_refused() {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    let a = w.create_tree("a").unwrap();
    w.insert(&a, b"k", b"a's value").unwrap();
    w.drop_tree("a").unwrap();
    let b = w.create_tree("b").unwrap();
    w.insert(&b, b"k", b"b's value").unwrap();
    assert_eq!(a.root(), b.root());
    write_refuses(&mut w, &a);
    w.commit().unwrap();
    read_refuses(&db.begin_read().unwrap(), &a);
    assert_eq!(content(&db, "b"), vec![kv(b"k", b"b's value")]);
}

#[test]
fn dropped_tree_handle_is_refused_while_its_root_page_is_free() {
    let db = Database::memory().unwrap();
    let a = tree_a(&db);
    // Enough entries for a root branch over leaves: dropping frees the leaves first
    // (the first becomes a free-list trunk), then the root, which joins that trunk
    // with its content untouched.
    let mut w = db.begin_write().unwrap();
    for i in 0..200u32 {
        w.insert(&a, &i.to_be_bytes(), &[9u8; 100]).unwrap();
    }
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    w.drop_tree("a").unwrap();
    w.commit().unwrap();
    // The root page is on the free list with a's last content in the file.
    read_refuses(&db.begin_read().unwrap(), &a);
    db.checkpoint().unwrap();
    read_refuses(&db.begin_read().unwrap(), &a);
    let mut w = db.begin_write().unwrap();
    write_refuses(&mut w, &a);
    w.rollback();
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn handle_of_a_rolled_back_tree_does_not_reach_the_next_tree() {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    let a = w.create_tree("a").unwrap();
    w.insert(&a, b"k", b"a's value").unwrap();
    w.rollback();
    let mut w = db.begin_write().unwrap();
    let b = w.create_tree("b").unwrap();
    w.insert(&b, b"k", b"b's value").unwrap();
    assert_eq!(a.root(), b.root());
    write_refuses(&mut w, &a);
    w.commit().unwrap();
    read_refuses(&db.begin_read().unwrap(), &a);

    // The same with a savepoint inside one transaction.
    let mut w = db.begin_write().unwrap();
    let sp = w.savepoint().unwrap();
    let c = w.create_tree("c").unwrap();
    w.rollback_to(sp).unwrap();
    let d = w.create_tree("d").unwrap();
    w.insert(&d, b"k", b"d's value").unwrap();
    assert_eq!(c.root(), d.root());
    write_refuses(&mut w, &c);
    w.commit().unwrap();
    read_refuses(&db.begin_read().unwrap(), &c);
    assert_eq!(content(&db, "b"), vec![kv(b"k", b"b's value")]);
    assert_eq!(content(&db, "d"), vec![kv(b"k", b"d's value")]);
}

#[test]
fn handle_of_a_tree_newer_than_the_snapshot_is_refused() {
    let db = Database::memory().unwrap();
    let old = db.begin_read().unwrap();
    let a = tree_a(&db);
    read_refuses(&old, &a);
}

#[test]
fn handle_of_another_database_is_refused() {
    let one = Database::memory().unwrap();
    let two = Database::memory().unwrap();
    let a = tree_a(&one);
    let mut w = two.begin_write().unwrap();
    let other = w.create_tree("a").unwrap();
    w.insert(&other, b"k", b"two's value").unwrap();
    w.commit().unwrap();
    assert_eq!(a.root(), other.root());
    read_refuses(&two.begin_read().unwrap(), &a);
    let mut w = two.begin_write().unwrap();
    write_refuses(&mut w, &a);
    w.commit().unwrap();
    assert_eq!(content(&two, "a"), vec![kv(b"k", b"two's value")]);
    // And the handle still works on its own database.
    assert_eq!(
        one.begin_read()
            .unwrap()
            .get(&a, b"k")
            .unwrap()
            .unwrap()
            .value(),
        b"a's value"
    );
}

#[test]
fn handle_from_before_a_reopen_is_refused() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", Options::default()).unwrap();
    let a = tree_a(&db);
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", Options::default()).unwrap();
    read_refuses(&db.begin_read().unwrap(), &a);
    let r = db.begin_read().unwrap();
    let again = r.open_tree("a").unwrap();
    assert_eq!(again.root(), a.root());
    assert_eq!(r.get(&again, b"k").unwrap().unwrap().value(), b"a's value");
}

#[test]
fn handles_from_before_a_vacuum_are_refused() {
    let db = Database::memory().unwrap();
    let a = tree_a(&db);
    let mut w = db.begin_write().unwrap();
    let filler = w.create_tree("filler").unwrap();
    for i in 0..2000u32 {
        w.insert(&filler, &i.to_be_bytes(), &[7u8; 100]).unwrap();
    }
    w.commit().unwrap();
    db.vacuum().unwrap();
    read_refuses(&db.begin_read().unwrap(), &a);
    let mut w = db.begin_write().unwrap();
    write_refuses(&mut w, &a);
    w.commit().unwrap();
    assert_eq!(content(&db, "a"), vec![kv(b"k", b"a's value")]);
}

#[test]
fn clearing_and_bulk_loading_keep_the_handle_valid() {
    let db = Database::memory().unwrap();
    let a = tree_a(&db);
    let mut w = db.begin_write().unwrap();
    w.clear_tree(&a).unwrap();
    assert_eq!(
        w.bulk_load(&a, (0..3000u32).map(|i| (i.to_be_bytes(), [1u8; 50])))
            .unwrap(),
        3000
    );
    for i in 0..2990u32 {
        assert!(w.remove(&a, &i.to_be_bytes()).unwrap());
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let keys: Vec<Vec<u8>> = r.iter(&a).map(|e| e.unwrap().key().to_vec()).collect();
    let want: Vec<Vec<u8>> = (2990..3000u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(keys, want);
    assert_eq!(r.open_tree("a").unwrap(), a);
}
