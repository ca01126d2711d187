//! Keys longer than a page fraction, through the public API: a model test at
//! the smallest page size and at 4 KiB (with the integrity check, VACUUM, backup
//! and page accounting after every case), lookups that cost no extra page for
//! short keys (counted in the cache), the format version, and a crash test with
//! a power cut at every mutating file operation of a long-key workload.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use covet_engine::vfs::{CrashMode, FaultConfig, FaultKind, FaultVfs, MemoryVfs, Vfs};
use covet_engine::{Database, Error, Options, ReadTxn, MAX_KEY_LEN};
use proptest::prelude::*;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

fn opts(page_size: usize) -> Options {
    Options {
        page_size,
        cache_bytes: 4 << 20,
        ..Options::default()
    }
}

/// The bytes of a long key kept in its cell at this page size (FORMAT.md:
/// half of `(page_size − 28) / 4 − 18`).
fn key_prefix(page_size: usize) -> usize {
    ((page_size - 28) / 4 - 18) / 2
}

/// Long strings keys are cut from: 1 shares its first 10,000 bytes with 0, 2
/// its first 300, and 3 is one repeated byte, so prefixes tie and comparisons
/// must read chains.
fn stems() -> &'static [Vec<u8>] {
    static STEMS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    STEMS.get_or_init(|| {
        (0..4)
            .map(|i| {
                let mut s: Vec<u8> = (0..20_480).map(|j| (j * 7 % 251) as u8).collect();
                match i {
                    1 => s[10_000] ^= 0x55,
                    2 => s[300] ^= 0x55,
                    3 => s.fill(b'a'),
                    _ => {}
                }
                s
            })
            .collect()
    })
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    let cut = prop_oneof![
        Just(0usize),
        1usize..8,
        45usize..60,
        98usize..110,
        490usize..510,
        990usize..1010,
        1500usize..2600,
        9_990usize..10_010,
        19_000usize..20_480,
    ];
    (0usize..4, cut, prop::collection::vec(0u8..3, 0..3)).prop_map(|(s, cut, suffix)| {
        let mut k = stems()[s][..cut].to_vec();
        k.extend(suffix);
        k
    })
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..30),
        1 => prop::collection::vec(any::<u8>(), 500..3000),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
    Range(Option<Vec<u8>>, Option<Vec<u8>>, bool, bool),
    Commit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (key(), value()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key().prop_map(Op::Remove),
        1 => (prop::option::of(key()), prop::option::of(key()), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, inc, rev)| Op::Range(a, b, inc, rev)),
        1 => Just(Op::Commit),
    ]
}

fn bounds(a: Option<Vec<u8>>, b: Option<Vec<u8>>, inclusive: bool) -> Option<KeyRange> {
    let start = a.map_or(Bound::Unbounded, Bound::Included);
    let end = b.map_or(Bound::Unbounded, |k| {
        if inclusive {
            Bound::Included(k)
        } else {
            Bound::Excluded(k)
        }
    });
    let valid = match (&start, &end) {
        (Bound::Included(s), Bound::Included(e)) => s <= e,
        (Bound::Included(s), Bound::Excluded(e)) => s < e,
        _ => true,
    };
    valid.then_some((start, end))
}

fn expect_range(model: &Map, range: &KeyRange, rev: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<_> = model
        .range(range.clone())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if rev {
        out.reverse();
    }
    out
}

/// Everything a read transaction sees of tree `t`, forwards and backwards, and
/// each key by lookup (the read path with the branch memo).
fn check_committed(db: &Database, model: &Map) {
    let r = db.begin_read().unwrap();
    let t = r.open_tree("t").unwrap();
    let fwd: Map = r
        .iter(&t)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect();
    assert_eq!(&fwd, model);
    let back: Vec<Vec<u8>> = r
        .range_rev::<&[u8], _>(&t, ..)
        .map(|e| e.unwrap().key().to_vec())
        .collect();
    assert!(back.iter().rev().eq(model.keys()));
    for (k, v) in model {
        assert_eq!(r.get(&t, k).unwrap().unwrap().value(), v.as_slice());
    }
}

fn collect_entries(it: covet_engine::RangeIter<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    it.map(|e| {
        let e = e.unwrap();
        (e.key().to_vec(), e.value().to_vec())
    })
    .collect()
}

fn assert_integrity(db: &Database, what: &str) {
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{what}: {:?}", report.problems);
}

fn run_model(page_size: usize, ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::memory_with(opts(page_size)).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.create_tree("t").unwrap();
    let mut model = Map::new();
    // What the last commit holds (before the first, there is no tree).
    let mut committed = Map::new();
    for op in ops {
        match op {
            Op::Insert(k, v) => {
                let had = w.insert(&t, &k, &v).unwrap();
                assert_eq!(had, model.insert(k, v).is_some());
            }
            Op::Remove(k) => {
                assert_eq!(w.remove(&t, &k).unwrap(), model.remove(&k).is_some());
            }
            Op::Range(a, b, inclusive, rev) => {
                if let Some(range) = bounds(a, b, inclusive) {
                    let got: Vec<(Vec<u8>, Vec<u8>)> = if rev {
                        w.range_rev(&t, range.clone())
                    } else {
                        w.range(&t, range.clone())
                    }
                    .map(|e| {
                        let e = e.unwrap();
                        (e.key().to_vec(), e.value().to_vec())
                    })
                    .collect();
                    assert_eq!(got, expect_range(&model, &range, rev));
                    // The same range in a read transaction: the last commit.
                    let r = db.begin_read().unwrap();
                    let got: Vec<(Vec<u8>, Vec<u8>)> = match r.open_tree("t") {
                        Ok(rt) if rev => collect_entries(r.range_rev(&rt, range.clone())),
                        Ok(rt) => collect_entries(r.range(&rt, range.clone())),
                        Err(_) => Vec::new(),
                    };
                    assert_eq!(got, expect_range(&committed, &range, rev));
                }
            }
            Op::Commit => {
                w.commit().unwrap();
                committed = model.clone();
                check_committed(&db, &model);
                w = db.begin_write().unwrap();
                t = w.open_tree("t").unwrap();
            }
        }
    }
    w.commit().unwrap();
    check_committed(&db, &model);
    assert_integrity(&db, "after the workload");
    // Every other key goes, leaving free pages all over the file; VACUUM then
    // moves the pages above them, key and separator chains among them.
    let mut w = db.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    let gone: Vec<Vec<u8>> = model.keys().step_by(2).cloned().collect();
    for k in &gone {
        assert!(w.remove(&t, k).unwrap());
        model.remove(k);
    }
    w.commit().unwrap();
    check_committed(&db, &model);
    db.vacuum().unwrap();
    assert_integrity(&db, "after VACUUM");
    check_committed(&db, &model);
    // A backup holds the same, and is sound.
    let path = dir.path().join("backup.covet");
    db.backup_to(&path).unwrap();
    {
        let copy = Database::open(&path, opts(page_size)).unwrap();
        assert_integrity(&copy, "the backup");
        check_committed(&copy, &model);
    }
    // Removing every key gives every page back: the integrity check finds no
    // orphan, and VACUUM leaves the header, the directory and the empty root.
    let mut w = db.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    for k in model.keys() {
        assert!(w.remove(&t, k).unwrap());
    }
    w.commit().unwrap();
    assert_integrity(&db, "after removing everything");
    let out = db.vacuum().unwrap();
    assert_eq!(out.pages_after, 3, "{out:?}");
    assert_integrity(&db, "after the last VACUUM");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn long_keys_like_a_btreemap_at_512(ops in prop::collection::vec(op(), 1..200)) {
        run_model(512, ops);
    }

    #[test]
    fn long_keys_like_a_btreemap_at_4096(ops in prop::collection::vec(op(), 1..200)) {
        run_model(4096, ops);
    }
}

/// The pages the cache holds after one lookup on a freshly opened database:
/// every page of the lookup's path but the tree's root (read by `open_tree`).
fn pages_loaded_by_get(vfs: &MemoryVfs, key: &[u8]) -> (usize, bool) {
    let db = Database::open_with_vfs(Arc::new(copy(vfs)), "db", opts(512)).unwrap();
    let r: ReadTxn = db.begin_read().unwrap();
    let t = r.open_tree("t").unwrap();
    let before = db.cache_stats().pages;
    let found = r.get(&t, key).unwrap().is_some();
    (db.cache_stats().pages - before, found)
}

fn copy(vfs: &MemoryVfs) -> MemoryVfs {
    let out = MemoryVfs::new();
    for p in vfs.paths() {
        out.set_file_bytes(&p, vfs.file_bytes(&p).unwrap());
    }
    out
}

/// Short keys in a tree full of long keys cost the same pages as any other
/// lookup of that tree (the path; all leaves are at one depth), and so does an
/// absent long key whose prefix differs from every stored one; a long key found
/// costs its chain on top, exactly.
#[test]
fn short_key_lookups_read_no_extra_page() {
    let vfs = MemoryVfs::new();
    let short = |i: u32| format!("s{i:05}").into_bytes();
    let long = |i: u32| {
        let mut k = format!("L{i:05}").into_bytes();
        k.extend(std::iter::repeat_n(b'x', 3000));
        k
    };
    {
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(512)).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        for i in 0..300 {
            w.insert(&t, &short(i), b"v").unwrap();
            w.insert(&t, &long(i), b"w").unwrap();
        }
        w.commit().unwrap();
    }
    let (path, found) = pages_loaded_by_get(&vfs, &short(0));
    assert!(found);
    assert!(path >= 2, "a tree of {path} levels below the root");
    let chain = (3006 - key_prefix(512)).div_ceil(512 - 16);
    for i in (0..300).step_by(37) {
        assert_eq!(
            pages_loaded_by_get(&vfs, &short(i)),
            (path, true),
            "short {i}"
        );
        assert_eq!(pages_loaded_by_get(&vfs, &short(i + 500)), (path, false));
        assert_eq!(
            pages_loaded_by_get(&vfs, &long(i)),
            (path + chain, true),
            "long {i}"
        );
        assert_eq!(pages_loaded_by_get(&vfs, &long(i + 500)), (path, false));
    }
}

/// Keys up to `MAX_KEY_LEN` work at the smallest page size; longer ones are
/// refused with their length and the maximum.
#[test]
fn the_maximum_key_length() {
    let db = Database::memory_with(opts(512)).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    let max: Vec<u8> = (0..MAX_KEY_LEN).map(|i| (i % 249) as u8).collect();
    w.insert(&t, &max, b"v").unwrap();
    let mut longer = max.clone();
    longer.push(1);
    match w.insert(&t, &longer, b"v") {
        Err(Error::KeyTooLarge { len, max }) => {
            assert_eq!((len, max), (MAX_KEY_LEN + 1, MAX_KEY_LEN))
        }
        other => panic!("{other:?}"),
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(r.get(&t, &max).unwrap().unwrap().value(), b"v");
    let keys: Vec<Vec<u8>> = r.iter(&t).map(|e| e.unwrap().key().to_vec()).collect();
    assert_eq!(keys, vec![max]);
    drop(r);
    assert_integrity(&db, "a maximal key");
}

/// Sorted loads take long keys too.
#[test]
fn bulk_load_with_long_keys() {
    for page_size in [512, 4096] {
        let db = Database::memory_with(opts(page_size)).unwrap();
        let mut model = Map::new();
        for i in 0..400u32 {
            let mut k = stems()[(i % 4) as usize][..(i as usize * 53) % 15_000].to_vec();
            k.extend(i.to_be_bytes());
            model.insert(k, vec![i as u8; (i as usize * 11) % 700]);
        }
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        assert_eq!(w.bulk_load(&t, model.iter()).unwrap(), 400);
        w.commit().unwrap();
        check_committed(&db, &model);
        assert_integrity(&db, "after a bulk load");
    }
}

/// Page 0 says format version 3 once this build commits; a version 2 file
/// (no long keys) opens and reads the same, and becomes version 3 at its
/// first commit; a version this build does not know is refused.
#[test]
fn format_versions() {
    let vfs = MemoryVfs::new();
    {
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(512)).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        w.insert(&t, b"k", b"v").unwrap();
        w.commit().unwrap();
    }
    let version = |vfs: &MemoryVfs| {
        let b = vfs.file_bytes("db").unwrap();
        u32::from_le_bytes(b[16..20].try_into().unwrap())
    };
    assert_eq!(version(&vfs), 3);
    let set_version = |vfs: &MemoryVfs, v: u32| {
        let mut b = vfs.file_bytes("db").unwrap();
        b[16..20].copy_from_slice(&v.to_le_bytes());
        let sum = xxhash_rust::xxh3::xxh3_64_with_seed(&b[8..512], 0x636f_7665_745f_7067);
        b[..8].copy_from_slice(&sum.to_le_bytes());
        vfs.set_file_bytes("db", b);
    };
    set_version(&vfs, 4);
    match Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(512)) {
        Err(Error::NotADatabase { .. }) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
    set_version(&vfs, 2);
    {
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(512)).unwrap();
        let r = db.begin_read().unwrap();
        let t = r.open_tree("t").unwrap();
        assert_eq!(r.get(&t, b"k").unwrap().unwrap().value(), b"v");
        drop(r);
        assert_integrity(&db, "a version 2 file");
        let mut w = db.begin_write().unwrap();
        w.insert(&t, &[7u8; 2000], b"long").unwrap();
        w.commit().unwrap();
    }
    assert_eq!(version(&vfs), 3);
}

// ---- crash test ----------------------------------------------------------------

const PATH: &str = "crash.covet";

fn crash_opts() -> Options {
    Options {
        autocheckpoint_frames: 48,
        ..opts(512)
    }
}

/// The long-key workload: commits that insert long keys (sharing prefixes, so
/// that separators get chains), replace and remove some, and a VACUUM. Returns
/// the states committed (`Ok` returned) in order, and the state of a commit
/// that failed, if one did (it may or may not have become durable).
fn workload(vfs: Arc<dyn Vfs>) -> (Vec<Map>, Option<Map>) {
    let mut done = vec![Map::new()];
    let Ok(db) = Database::open_with_vfs(vfs, PATH, crash_opts()) else {
        return (done, None);
    };
    let mut model = Map::new();
    for round in 0..7u32 {
        let Ok(mut w) = db.begin_write() else {
            return (done, None);
        };
        let Ok(t) = w.open_or_create_tree("t") else {
            return (done, None);
        };
        for i in 0..6u32 {
            let n = round * 6 + i;
            let mut k = stems()[(n % 3) as usize][..700 + (n as usize * 389) % 3000].to_vec();
            k.extend(n.to_be_bytes());
            let v = vec![n as u8; 20 + (n as usize * 97) % 900];
            if w.insert(&t, &k, &v).is_err() {
                return (done, None);
            }
            model.insert(k, v);
        }
        // Remove every third key so far (merges drop and move separators).
        let gone: Vec<Vec<u8>> = model
            .keys()
            .skip(round as usize % 3)
            .step_by(3)
            .cloned()
            .collect();
        for k in gone.iter().take(3) {
            if w.remove(&t, k).is_err() {
                return (done, None);
            }
            model.remove(k);
        }
        match w.commit() {
            Ok(()) => done.push(model.clone()),
            Err(_) => return (done, Some(model)),
        }
        if round == 4 {
            // VACUUM changes no content: a failed one leaves the last state.
            if db.vacuum().is_err() {
                return (done, None);
            }
        }
    }
    (done, None)
}

fn read_tree(db: &Database) -> Map {
    let r = db.begin_read().unwrap();
    let Ok(t) = r.open_tree("t") else {
        return Map::new();
    };
    r.iter(&t)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect()
}

/// A power cut at every mutating file operation (writes, syncs, truncations)
/// of the workload: every crash image (unsynced writes dropped, kept, the last
/// one torn, a random subset of their sectors) opens to the last committed
/// state or the one in flight, with a sound file.
#[test]
fn power_cut_at_every_operation_leaves_a_committed_state() {
    let clean = FaultVfs::new(FaultConfig::default());
    let (states, failed) = workload(Arc::new(clean.clone()));
    assert_eq!(states.len(), 8, "every commit of the clean run");
    assert!(failed.is_none());
    let n = clean.ops();
    // At least a WAL write and a sync per commit.
    assert!(n >= 2 * 7, "{n} operations");
    let modes = [
        CrashMode::DropUnsynced,
        CrashMode::KeepUnsynced,
        CrashMode::TornLastWrite { keep_bytes: 100 },
    ];
    let mut images = 0;
    for k in 1..=n {
        let fault = FaultVfs::new(FaultConfig::at(k, FaultKind::PowerCut));
        let (done, in_flight) = workload(Arc::new(fault.clone()));
        assert!(fault.is_dead(), "cut {k} of {n} happened");
        let last = done.last().expect("the empty state");
        let random = CrashMode::RandomSubset {
            seed: k,
            sector: 512,
        };
        for mode in modes.into_iter().chain([random]) {
            let image = Arc::new(fault.crash_image(mode));
            let db = Database::open_with_vfs(image, PATH, crash_opts())
                .unwrap_or_else(|e| panic!("cut {k}, {mode:?}: {e}"));
            let got = read_tree(&db);
            assert!(
                &got == last || in_flight.as_ref() == Some(&got),
                "cut {k}, {mode:?}: {} entries, the last commit has {}",
                got.len(),
                last.len()
            );
            let report = db.check_integrity().unwrap();
            assert!(report.is_ok(), "cut {k}, {mode:?}: {:?}", report.problems);
            images += 1;
        }
    }
    assert_eq!(images, 4 * n);
}

// ---- tables: unique indexes and primary keys on long text -----------------------

/// What long keys are for: a UNIQUE index and a primary key on TEXT values of
/// kilobytes that share long prefixes, at a 4 KiB page (where a key over 999
/// bytes used to be `KeyTooLarge`).
#[test]
fn unique_index_and_primary_key_on_long_text() {
    use covet_engine::table::{ColumnDef, IndexDef, KeyRange, TableError, TableRead, TableSchema};
    use covet_engine::value::{SortOrder, SqlType, Value};

    let db = Database::memory_with(opts(4096)).unwrap();
    let body = |i: u32| {
        // A 5,000-byte shared prefix, a number, a tail of up to 7 KB.
        let mut s = "lorem ipsum ".repeat(417);
        s.push_str(&format!("{:05}", i.wrapping_mul(7919) % 10_000));
        s.push_str(&"x".repeat((i as usize * 131) % 7000));
        s
    };
    let title = |i: u32| format!("{}{i:04}", "t".repeat(6000));
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(
        TableSchema::new(
            "docs",
            vec![
                ColumnDef::new("title", SqlType::Text).not_null(),
                ColumnDef::new("body", SqlType::Text),
            ],
        )
        .with_primary_key(vec![0]),
    )
    .unwrap();
    t.create_index(IndexDef::new("docs_body", "docs", vec![(1, SortOrder::Asc)]).unique())
        .unwrap();
    for i in 0..150 {
        t.insert_row("docs", vec![Value::Text(title(i)), Value::Text(body(i))])
            .unwrap();
    }
    // The same long body again, under another title: a unique violation.
    let err = t
        .insert_row("docs", vec![Value::Text(title(999)), Value::Text(body(7))])
        .unwrap_err();
    match err {
        Error::Table(TableError::UniqueViolation { index, table }) => {
            assert_eq!((index.as_str(), table.as_str()), ("docs_body", "docs"))
        }
        other => panic!("{other:?}"),
    }
    // The same long title: a duplicate primary key.
    assert!(matches!(
        t.insert_row(
            "docs",
            vec![Value::Text(title(3)), Value::Text("new".into())]
        ),
        Err(Error::Table(TableError::DuplicateKey { .. }))
    ));
    for i in (0..150).step_by(3) {
        assert!(t.delete_row("docs", &[Value::Text(title(i))]).unwrap());
    }
    let kept: Vec<u32> = (0..150).filter(|i| i % 3 != 0).collect();
    // The index orders the rows by body, each found by its whole body.
    let mut by_body: Vec<(String, String)> = kept.iter().map(|&i| (body(i), title(i))).collect();
    by_body.sort();
    let scanned: Vec<Value> = t
        .index_scan("docs_body", &KeyRange::all())
        .unwrap()
        .map(|r| r.unwrap().values[0].clone())
        .collect();
    let want: Vec<Value> = by_body
        .iter()
        .map(|(_, t)| Value::Text(t.clone()))
        .collect();
    assert_eq!(scanned, want);
    for &i in kept.iter().step_by(7) {
        let found: Vec<Vec<Value>> = t
            .index_scan("docs_body", &KeyRange::prefix(vec![Value::Text(body(i))]))
            .unwrap()
            .map(|r| r.unwrap().pk)
            .collect();
        assert_eq!(found, vec![vec![Value::Text(title(i))]]);
        assert_eq!(
            t.get_row("docs", &[Value::Text(title(i))]).unwrap(),
            Some(vec![Value::Text(title(i)), Value::Text(body(i))])
        );
    }
    assert_eq!(t.check_table("docs").unwrap(), vec![]);
    drop(t);
    w.commit().unwrap();
    assert_integrity(&db, "long text keys");
}

/// Page accounting: a tree of long keys (values in chains too, separators with
/// chains) filled and then emptied gives every page back to the free list:
/// VACUUM afterwards leaves exactly the pages of the state before it was filled.
#[test]
fn removing_every_long_key_gives_back_every_page() {
    for page_size in [512, 4096] {
        let db = Database::memory_with(opts(page_size)).unwrap();
        let mut w = db.begin_write().unwrap();
        let s = w.create_tree("short").unwrap();
        w.create_tree("long").unwrap();
        for i in 0..500u32 {
            w.insert(&s, &i.to_be_bytes(), &[i as u8; 40]).unwrap();
        }
        w.commit().unwrap();
        let before = db.vacuum().unwrap().pages_after;
        let keys: Vec<Vec<u8>> = (0..300u32)
            .map(|i| {
                let stem = &stems()[(i % 4) as usize];
                let mut k = stem[..2000 + (i as usize * 61) % 15_000].to_vec();
                k.extend(i.to_be_bytes());
                k
            })
            .collect();
        let mut w = db.begin_write().unwrap();
        let l = w.open_tree("long").unwrap();
        for (i, k) in keys.iter().enumerate() {
            w.insert(&l, k, &vec![i as u8; (i * 37) % 5000]).unwrap();
        }
        w.commit().unwrap();
        let full = db.check_integrity().unwrap();
        assert!(full.is_ok(), "{:?}", full.problems);
        assert!(full.page_count > before + 300, "{} pages", full.page_count);
        let mut w = db.begin_write().unwrap();
        for k in &keys {
            assert!(w.remove(&l, k).unwrap());
        }
        w.commit().unwrap();
        // No page is lost: each is used or on the free list.
        let emptied = db.check_integrity().unwrap();
        assert!(emptied.is_ok(), "{:?}", emptied.problems);
        assert_eq!(emptied.page_count, full.page_count);
        assert_eq!(emptied.pages_checked, emptied.page_count);
        let after = db.vacuum().unwrap();
        assert_eq!(after.pages_after, before, "page size {page_size}");
    }
}
