//! The rowid counter of tables without a primary key: no catalog write per insert, never
//! a rowid handed out twice (even after its row is deleted), exact across savepoint
//! rollbacks, transaction rollbacks and reopening. A seeded random walk checks each
//! handed-out rowid against a model.

use std::sync::Arc;

use covet_engine::table::{ColumnDef, TableRead, TableSchema, TableWriter, CATALOG_TREE};
use covet_engine::value::{SqlType, Value};
use covet_engine::vfs::MemoryVfs;
use covet_engine::WriteTxn;
use covet_engine::{Database, Options};

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

fn create(db: &Database) {
    let mut w = db.begin_write().unwrap();
    w.tables()
        .create_table(TableSchema::new(
            "r",
            vec![ColumnDef::new("v", SqlType::BigInt)],
        ))
        .unwrap();
    w.commit().unwrap();
}

fn insert(t: &mut TableWriter<'_>, v: i64) -> i64 {
    match t.insert_row("r", vec![int(v)]).unwrap().as_slice() {
        [Value::Int(rowid)] => *rowid,
        other => panic!("{other:?}"),
    }
}

/// The catalog's keys and values, raw.
fn catalog(w: &WriteTxn) -> Vec<(Vec<u8>, Vec<u8>)> {
    let cat = w.open_tree(CATALOG_TREE).unwrap();
    w.iter(&cat)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect()
}

fn rowids(t: &dyn TableRead) -> Vec<i64> {
    t.scan("r")
        .unwrap()
        .map(|r| match r.unwrap().pk.as_slice() {
            [Value::Int(i)] => *i,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn inserts_write_no_catalog_record() {
    let db = Database::memory_with(opts()).unwrap();
    create(&db);
    let mut w = db.begin_write().unwrap();
    let before = catalog(&w);
    let mut t = w.tables();
    let got: Vec<i64> = (0..500).map(|i| insert(&mut t, i)).collect();
    assert_eq!(got, (1..=500).collect::<Vec<_>>());
    drop(t);
    assert_eq!(catalog(&w), before);
    w.commit().unwrap();
    // A new writer (new transaction) counts on from the largest rowid.
    let mut w = db.begin_write().unwrap();
    assert_eq!(insert(&mut w.tables(), 0), 501);
    assert_eq!(catalog(&w), before);
}

#[test]
fn a_deleted_rowid_is_never_handed_out_again() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    create(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    for i in 1..=3 {
        insert(&mut t, i);
    }
    // Deleting a row below the largest writes nothing; deleting the largest raises the
    // floor past it.
    let before = catalog(t.txn());
    assert!(t.delete_row("r", &[int(2)]).unwrap());
    assert_eq!(catalog(t.txn()), before);
    assert!(t.delete_row("r", &[int(3)]).unwrap());
    assert_eq!(catalog(t.txn()).len(), before.len() + 1);
    drop(t);
    w.commit().unwrap();
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!(insert(&mut t, 4), 4);
    assert!(t.delete_row("r", &[int(4)]).unwrap());
    assert!(t.delete_row("r", &[int(1)]).unwrap());
    assert_eq!(rowids(&t), Vec::<i64>::new());
    assert_eq!(insert(&mut t, 5), 5);
    // TRUNCATE keeps them used too.
    t.truncate("r").unwrap();
    assert_eq!(insert(&mut t, 6), 6);
    assert_eq!(rowids(&t), vec![6]);
    drop(t);
    w.commit().unwrap();
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn the_counter_follows_savepoints_rollbacks_and_reopening() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    create(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!((insert(&mut t, 0), insert(&mut t, 0)), (1, 2));
    let sp = t.savepoint().unwrap();
    assert_eq!((insert(&mut t, 0), insert(&mut t, 0)), (3, 4));
    t.rollback_to(sp).unwrap();
    // 3 and 4 were never live outside the rolled-back savepoint.
    assert_eq!(insert(&mut t, 0), 3);
    let sp = t.savepoint().unwrap();
    assert!(t.delete_row("r", &[int(3)]).unwrap());
    t.release(sp).unwrap();
    assert_eq!(insert(&mut t, 0), 4);
    drop(t);
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!(insert(&mut t, 0), 5);
    drop(t);
    w.rollback();
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!(rowids(&t), vec![1, 2, 4]);
    assert_eq!(insert(&mut t, 0), 5);
    // A bulk load counts on from the same counter.
    t.create_table(TableSchema::new(
        "l",
        vec![ColumnDef::new("v", SqlType::BigInt)],
    ))
    .unwrap();
    assert_eq!(
        t.load_sorted_rows("l", (0..3).map(|i| vec![int(i)]))
            .unwrap(),
        3
    );
    assert_eq!(t.insert_row("l", vec![int(9)]).unwrap(), vec![int(4)]);
}

/// A small deterministic generator (the test must not depend on a crate's stream).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What the rowid counter must hand out: the live rowids and the largest rowid ever
/// handed out in this history; the next rowid is exactly one above it.
#[derive(Clone, Debug, Default)]
struct Model {
    live: Vec<i64>,
    high: i64,
}

#[test]
fn random_walk_hands_out_exactly_the_next_unused_rowid() {
    let vfs = Arc::new(MemoryVfs::new());
    let mut db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    create(&db);
    let mut rng = Lcg(12);
    let mut committed = Model::default();
    for round in 0..40 {
        if round % 10 == 9 {
            drop(db);
            db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
        }
        let mut w = db.begin_write().unwrap();
        let mut t = w.tables();
        let mut model = committed.clone();
        // Savepoints open, with the model as it stood at each.
        let mut saved: Vec<(covet_engine::Savepoint, Model)> = Vec::new();
        for _ in 0..30 {
            match rng.below(10) {
                0..=3 => {
                    let got = insert(&mut t, 0);
                    assert_eq!(got, model.high + 1, "round {round}: {model:?}");
                    model.high = got;
                    model.live.push(got);
                }
                4..=5 if !model.live.is_empty() => {
                    let i = rng.below(model.live.len() as u64) as usize;
                    let rowid = model.live.remove(i);
                    assert!(t.delete_row("r", &[int(rowid)]).unwrap());
                }
                6 => saved.push((t.savepoint().unwrap(), model.clone())),
                7 if !saved.is_empty() => {
                    let (sp, m) = saved.pop().unwrap();
                    t.rollback_to(sp).unwrap();
                    t.release(sp).unwrap();
                    model = m;
                }
                8 if !saved.is_empty() => {
                    let (sp, _) = saved.pop().unwrap();
                    t.release(sp).unwrap();
                }
                9 if rng.below(4) == 0 => {
                    t.truncate("r").unwrap();
                    model.live.clear();
                }
                _ => {}
            }
        }
        let mut live = model.live.clone();
        live.sort_unstable();
        assert_eq!(rowids(&t), live, "round {round}");
        drop(t);
        if rng.below(3) == 0 {
            w.rollback();
        } else {
            w.commit().unwrap();
            committed = model;
        }
    }
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}
