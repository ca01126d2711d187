//! Concurrency: the bank test. One writer moves random amounts between 100
//! accounts in many small transactions (some rolled back, some with savepoints
//! rolled back to or released), and appends each transfer to a history tree;
//! four readers meanwhile take snapshots and check that every snapshot is
//! consistent: the balances sum to the constant total, two full scans of a
//! snapshot agree (also when the writer commits and checkpoints between them),
//! point lookups agree with the scan, and the history holds exactly as many
//! entries as the snapshot's transfer counter says. A small cache forces
//! eviction, a small checkpoint threshold frequent checkpoints and WAL resets.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use covet_engine::{Database, Durability, Options, ReadTxn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ACCOUNTS: u64 = 100;
const INITIAL: i64 = 1_000;
const TOTAL: i64 = ACCOUNTS as i64 * INITIAL;
const TRANSACTIONS: u64 = 4_000;
const READERS: usize = 4;

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

/// Everything a reader checks in one snapshot. Returns the balances.
fn check_snapshot(r: &ReadTxn, rng: &mut StdRng, pause: bool) -> BTreeMap<Vec<u8>, i64> {
    let accounts = r.open_tree("accounts").unwrap();
    let history = r.open_tree("history").unwrap();
    let meta = r.open_tree("meta").unwrap();
    let scan = |r: &ReadTxn| -> BTreeMap<Vec<u8>, i64> {
        r.iter(&accounts)
            .map(|e| {
                let e = e.unwrap();
                (e.key().to_vec(), balance_of(e.value()))
            })
            .collect()
    };
    let first = scan(r);
    assert_eq!(first.len() as u64, ACCOUNTS, "accounts missing");
    let sum: i64 = first.values().sum();
    assert_eq!(
        sum,
        TOTAL,
        "the balances of snapshot {} do not add up",
        r.txn_id()
    );
    if pause {
        // Let the writer commit (and checkpoint) while this snapshot is open.
        thread::sleep(Duration::from_millis(2));
    }
    let second = scan(r);
    assert_eq!(first, second, "two scans of one snapshot differ");
    for _ in 0..5 {
        let k = account(rng.gen_range(0..ACCOUNTS));
        let got = balance_of(r.get(&accounts, &k).unwrap().unwrap().value());
        assert_eq!(got, first[&k], "get disagrees with the scan");
    }
    // The reverse scan sees the same entries.
    let rev: Vec<Vec<u8>> = r
        .range_rev::<&[u8], _>(&accounts, ..)
        .map(|e| e.unwrap().key().to_vec())
        .collect();
    assert!(rev.iter().rev().eq(first.keys()), "reverse scan differs");
    let transfers = r
        .get(&meta, b"transfers")
        .unwrap()
        .map(|v| u64::from_le_bytes(v.value().try_into().unwrap()))
        .unwrap_or(0);
    assert_eq!(
        r.iter(&history).count() as u64,
        transfers,
        "history and transfer counter disagree in snapshot {}",
        r.txn_id()
    );
    first
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
    let mut balances: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    {
        let mut w = db.begin_write().unwrap();
        let a = w.create_tree("accounts").unwrap();
        w.create_tree("history").unwrap();
        w.create_tree("meta").unwrap();
        for i in 0..ACCOUNTS {
            w.insert(&a, &account(i), &balance_value(INITIAL)).unwrap();
            balances.insert(account(i), INITIAL);
        }
        w.commit().unwrap();
    }

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|id| {
            let db = db.clone();
            let done = done.clone();
            thread::spawn(move || {
                let mut rng = StdRng::seed_from_u64(100 + id as u64);
                let mut checked = 0u64;
                let mut seen = BTreeSet::new();
                loop {
                    // Read the flag first: the last snapshot is taken after the
                    // writer finished, so every reader checks the final state.
                    let finished = done.load(Ordering::Acquire);
                    let r = db.begin_read().unwrap();
                    check_snapshot(&r, &mut rng, checked % 8 == id as u64);
                    seen.insert(r.txn_id());
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
            let from = account(rng.gen_range(0..ACCOUNTS));
            let to = account(rng.gen_range(0..ACCOUNTS));
            let amount = rng.gen_range(1..=250);
            let fb = balance_of(w.get(&a, &from).unwrap().unwrap().value());
            assert_eq!(fb, pending[&from], "the writer reads its own changes");
            w.insert(&a, &from, &balance_value(fb - amount)).unwrap();
            let tb = balance_of(w.get(&a, &to).unwrap().unwrap().value());
            w.insert(&a, &to, &balance_value(tb + amount)).unwrap();
            *pending.get_mut(&from).unwrap() -= amount;
            *pending.get_mut(&to).unwrap() += amount;
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
        // One history entry per committed transaction, and the counter.
        let count = w
            .get(&m, b"transfers")
            .unwrap()
            .map(|v| u64::from_le_bytes(v.value().try_into().unwrap()))
            .unwrap_or(0);
        w.insert(&h, &(count + 1).to_be_bytes(), &[i as u8; 100])
            .unwrap();
        w.insert(&m, b"transfers", &(count + 1).to_le_bytes())
            .unwrap();
        if rng.gen_bool(0.1) {
            w.rollback();
            rolled_back += 1;
        } else {
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

    // The final state is exactly the writer's model.
    let r = db.begin_read().unwrap();
    let final_balances = check_snapshot(&r, &mut rng, false);
    assert_eq!(final_balances, balances);
    assert_eq!(final_balances.values().sum::<i64>(), TOTAL);
    let h = r.open_tree("history").unwrap();
    assert_eq!(r.iter(&h).count() as u64, committed);
    assert!(rolled_back > 100 && savepoints_undone > 100);
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(
        db.cache_stats().bytes <= 48 * 512,
        "the cache exceeded its bound"
    );
}
