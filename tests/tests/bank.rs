//! Concurrency: the bank test. One writer moves random amounts between 100
//! accounts in many small transactions (some rolled back, some with savepoints
//! rolled back to or released), appends each commit to a history tree and
//! removes the entry `KEEP` commits older, and counts its commits in the
//! database itself (`meta/transfers`, in the same transaction). Before each
//! commit it publishes that commit's number and full balance vector in a shared
//! map; four readers meanwhile take snapshots, read the commit number the
//! snapshot holds, and compare the snapshot exactly with that commit: every
//! balance (not only the total), the history window, the counter; two full
//! scans agree (also when the writer commits and checkpoints between them),
//! and point lookups and bounded ranges — over removed history entries and
//! keys not yet written too — agree with the expected state. A small cache
//! forces eviction, a small checkpoint threshold frequent checkpoints and WAL
//! resets.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use covet_engine::{Database, Durability, Options, ReadTxn};
use covet_tests::{diff, probe_txn, read_txn_state, Model, TreeModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ACCOUNTS: u64 = 100;
const INITIAL: i64 = 1_000;
const TOTAL: i64 = ACCOUNTS as i64 * INITIAL;
const TRANSACTIONS: u64 = 4_000;
const READERS: usize = 4;
/// The history keeps the entries of the last `KEEP` commits.
const KEEP: u64 = 10;

/// The balances of every commit by its number, published by the writer before
/// the commit (so a reader that sees the commit finds them).
type Published = Arc<Mutex<HashMap<u64, Arc<Vec<i64>>>>>;

fn account(i: u64) -> Vec<u8> {
    format!("account-{i:03}").into_bytes()
}

/// A balance, padded so that the accounts span several pages.
fn balance_value(b: i64) -> Vec<u8> {
    let mut v = b.to_le_bytes().to_vec();
    v.extend_from_slice(&[0xAB; 40]);
    v
}

fn balance_of(v: &[u8]) -> i64 {
    assert_eq!(v.len(), 48, "balance value has the wrong size");
    assert!(v[8..].iter().all(|&b| b == 0xAB), "balance padding damaged");
    i64::from_le_bytes(v[..8].try_into().unwrap())
}

fn history_key(c: u64) -> Vec<u8> {
    c.to_be_bytes().to_vec()
}

fn history_value(c: u64) -> Vec<u8> {
    let mut v = c.to_le_bytes().repeat(12);
    v.push((c % 251) as u8);
    v
}

/// The first history entry commit `c` keeps.
fn first_kept(c: u64) -> u64 {
    (c + 1).saturating_sub(KEEP).max(1)
}

/// The whole database after commit `c` (0: the initial one) with `balances`.
fn expected_state(c: u64, balances: &[i64]) -> Model {
    let accounts: TreeModel = balances
        .iter()
        .enumerate()
        .map(|(i, &b)| (account(i as u64), balance_value(b)))
        .collect();
    let history: TreeModel = (first_kept(c)..=c)
        .map(|k| (history_key(k), history_value(k)))
        .collect();
    let mut meta = TreeModel::new();
    if c > 0 {
        meta.insert(b"transfers".to_vec(), c.to_le_bytes().to_vec());
    }
    [
        ("accounts".to_string(), accounts),
        ("history".to_string(), history),
        ("meta".to_string(), meta),
    ]
    .into_iter()
    .collect()
}

/// Keys to look up in every tree of commit `c`'s snapshot: the history around
/// its window (entries removed already, kept, not written yet), accounts at the
/// edges and past them, the counter.
fn probes(c: u64) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = (c.saturating_sub(KEEP + 3)..=c + 3)
        .map(history_key)
        .collect();
    out.extend([0, 1, ACCOUNTS / 2, ACCOUNTS - 1, ACCOUNTS, ACCOUNTS + 7].map(account));
    out.extend([b"transfers".to_vec(), b"account-".to_vec(), Vec::new()]);
    out
}

/// The commit number a snapshot holds.
fn commit_of(r: &ReadTxn) -> u64 {
    let meta = r.open_tree("meta").unwrap();
    r.get(&meta, b"transfers")
        .unwrap()
        .map(|v| u64::from_le_bytes(v.value().try_into().unwrap()))
        .unwrap_or(0)
}

/// Checks one snapshot exactly against the commit it holds. Returns that
/// commit's number.
fn check_snapshot(r: &ReadTxn, published: &Published, pause: bool) -> u64 {
    let c = commit_of(r);
    let balances = published
        .lock()
        .unwrap()
        .get(&c)
        .cloned()
        .unwrap_or_else(|| panic!("snapshot {} holds commit {c}, never published", r.txn_id()));
    assert_eq!(
        balances.iter().sum::<i64>(),
        TOTAL,
        "commit {c} was published wrong"
    );
    let expected = expected_state(c, &balances);
    let first = read_txn_state(r).unwrap();
    assert!(
        first == expected,
        "snapshot {} of commit {c}: {}",
        r.txn_id(),
        diff(&expected, &first)
    );
    if pause {
        // Let the writer commit (and checkpoint) while this snapshot is open.
        thread::sleep(Duration::from_millis(2));
    }
    let second = read_txn_state(r).unwrap();
    assert!(
        second == expected,
        "snapshot {} of commit {c}, second scan: {}",
        r.txn_id(),
        diff(&expected, &second)
    );
    if let Err(e) = probe_txn(r, &expected, &probes(c)) {
        panic!("snapshot {} of commit {c}: {e}", r.txn_id());
    }
    // The reverse scan sees the same accounts.
    let accounts = r.open_tree("accounts").unwrap();
    let rev: Vec<Vec<u8>> = r
        .range_rev::<&[u8], _>(&accounts, ..)
        .map(|e| e.unwrap().key().to_vec())
        .collect();
    assert!(
        rev.iter().rev().eq(expected["accounts"].keys()),
        "reverse scan differs"
    );
    c
}

#[test]
fn bank_transfers_keep_every_snapshot_consistent() {
    let db = Database::memory_with(Options {
        page_size: 512,
        cache_bytes: 48 * 512,
        durability: Durability::Full,
        autocheckpoint_frames: 40,
        wal_keep_bytes: 64 * 1024,
        ..Options::default()
    })
    .unwrap();
    let published: Published = Arc::default();
    let mut balances: Vec<i64> = vec![INITIAL; ACCOUNTS as usize];
    {
        let mut w = db.begin_write().unwrap();
        let a = w.create_tree("accounts").unwrap();
        w.create_tree("history").unwrap();
        w.create_tree("meta").unwrap();
        for i in 0..ACCOUNTS {
            w.insert(&a, &account(i), &balance_value(INITIAL)).unwrap();
        }
        published
            .lock()
            .unwrap()
            .insert(0, Arc::new(balances.clone()));
        w.commit().unwrap();
    }

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|id| {
            let db = db.clone();
            let done = done.clone();
            let published = published.clone();
            thread::spawn(move || {
                let mut checked = 0u64;
                let mut seen = BTreeSet::new();
                loop {
                    // Read the flag first: the last snapshot is taken after the
                    // writer finished, so every reader checks the final state.
                    let finished = done.load(Ordering::Acquire);
                    let r = db.begin_read().unwrap();
                    seen.insert(check_snapshot(&r, &published, checked % 8 == id as u64));
                    checked += 1;
                    if id == 0 && checked.is_multiple_of(64) {
                        let report = db.check_integrity().unwrap();
                        assert!(report.is_ok(), "{:?}", report.problems);
                    }
                    if finished {
                        return (checked, seen.len());
                    }
                }
            })
        })
        .collect();

    let mut rng = StdRng::seed_from_u64(7);
    let (mut committed, mut rolled_back, mut savepoints_undone) = (0u64, 0u64, 0u64);
    for i in 0..TRANSACTIONS {
        let mut w = db.begin_write().unwrap();
        let a = w.open_tree("accounts").unwrap();
        let h = w.open_tree("history").unwrap();
        let m = w.open_tree("meta").unwrap();
        let mut pending = balances.clone();
        let mut pending_sp = None;
        let transfers = rng.gen_range(1..=3);
        for _ in 0..transfers {
            let sp = if rng.gen_bool(0.3) {
                pending_sp = Some(pending.clone());
                Some(w.savepoint().unwrap())
            } else {
                None
            };
            let from = rng.gen_range(0..ACCOUNTS);
            let to = rng.gen_range(0..ACCOUNTS);
            let amount = rng.gen_range(1..=250);
            let fb = balance_of(w.get(&a, &account(from)).unwrap().unwrap().value());
            assert_eq!(
                fb, pending[from as usize],
                "the writer reads its own changes"
            );
            w.insert(&a, &account(from), &balance_value(fb - amount))
                .unwrap();
            let tb = balance_of(w.get(&a, &account(to)).unwrap().unwrap().value());
            w.insert(&a, &account(to), &balance_value(tb + amount))
                .unwrap();
            pending[from as usize] -= amount;
            pending[to as usize] += amount;
            if let Some(sp) = sp {
                if rng.gen_bool(0.5) {
                    w.rollback_to(sp).unwrap();
                    pending = pending_sp.take().unwrap();
                    savepoints_undone += 1;
                } else {
                    w.release(sp).unwrap();
                }
            }
        }
        // The commit number, in the same transaction: its history entry, the
        // removal of the entry that leaves the window, and the counter.
        let count = w
            .get(&m, b"transfers")
            .unwrap()
            .map(|v| u64::from_le_bytes(v.value().try_into().unwrap()))
            .unwrap_or(0);
        assert_eq!(count, committed, "the counter counts the commits");
        let c = count + 1;
        assert!(!w.insert(&h, &history_key(c), &history_value(c)).unwrap());
        if c > KEEP {
            assert!(w.remove(&h, &history_key(c - KEEP)).unwrap());
        }
        w.insert(&m, b"transfers", &c.to_le_bytes()).unwrap();
        if rng.gen_bool(0.1) {
            w.rollback();
            rolled_back += 1;
        } else {
            published
                .lock()
                .unwrap()
                .insert(c, Arc::new(pending.clone()));
            w.commit().unwrap();
            balances = pending;
            committed += 1;
        }
        if i % 250 == 249 {
            db.checkpoint().unwrap();
        }
        if i % 16 == 0 {
            // Give the readers (fewer cores than threads on CI) a chance.
            thread::yield_now();
        }
    }
    done.store(true, Ordering::Release);
    let mut total_checked = 0;
    for (id, r) in readers.into_iter().enumerate() {
        let (checked, distinct) = r.join().expect("a reader failed");
        eprintln!("reader {id}: {checked} snapshots, {distinct} distinct commits");
        assert!(
            checked >= 20,
            "reader {id} checked only {checked} snapshots"
        );
        assert!(
            distinct >= 5,
            "reader {id} saw only {distinct} distinct commits"
        );
        total_checked += checked;
    }
    eprintln!(
        "bank: {committed} commits, {rolled_back} rollbacks, {savepoints_undone} savepoint rollbacks, {total_checked} snapshots checked"
    );

    // The final state is exactly the writer's last commit.
    let r = db.begin_read().unwrap();
    assert_eq!(check_snapshot(&r, &published, false), committed);
    assert_eq!(
        published.lock().unwrap()[&committed].as_slice(),
        balances.as_slice()
    );
    let h = r.open_tree("history").unwrap();
    assert_eq!(r.iter(&h).count() as u64, KEEP.min(committed));
    assert!(rolled_back > 100 && savepoints_undone > 100);
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(
        db.cache_stats().bytes <= 48 * 512,
        "the cache exceeded its bound"
    );
}
