//! A driver for profiling the read path under callgrind (instruction counts are
//! repeatable on a loaded machine, wall-clock times are not).
//!
//! It loads `N` keys like the kv suite of the comparison harness (24 random bytes,
//! values of 150 random bytes, one transaction; then 1,000 single-insert commits and
//! 100 commits of 1,000, so the WAL holds frames as it does there), into a cache
//! that holds everything, warms the cache, and then runs two phases, each in its
//! own never-inlined function so callgrind can count it alone:
//!
//! - `read_phase`: `N` point reads of existing keys in a random order;
//! - `scan_phase`: `N / 2` scans of 10 entries, each from a random existing key.
//!
//! ```text
//! cargo build --release -p covet-engine --example read_profile
//! valgrind --tool=callgrind --toggle-collect='*read_phase*' --toggle-collect='*scan_phase*' \
//!     target/release/examples/read_profile 200000
//! callgrind_annotate --inclusive=yes callgrind.out.<pid>
//! ```
//!
//! Set `CARGO_PROFILE_RELEASE_DEBUG=line-tables-only` for file and line names.

use std::hint::black_box;

use covet_engine::{Database, Durability, Options, ReadTxn, Tree};

const KEY_LEN: usize = 24;
const VALUE_LEN: usize = 150;
const SCAN_LEN: usize = 10;

/// SplitMix64: a counter-based generator, so the data is the same on every run.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fill(stream: u64, i: u64, out: &mut [u8]) {
    for (k, chunk) in out.chunks_mut(8).enumerate() {
        let w = mix(stream ^ mix(i.wrapping_mul(64) + k as u64)).to_le_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
}

fn key(i: u64) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    fill(0x6B65_795F, i, &mut k);
    k
}

fn value(i: u64) -> [u8; VALUE_LEN] {
    let mut v = [0u8; VALUE_LEN];
    fill(0x7661_6C75, i, &mut v);
    v
}

/// `0..n` in a seeded random order (Fisher–Yates).
fn shuffled(n: u64, seed: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).collect();
    for i in (1..v.len()).rev() {
        let j = (mix(seed ^ i as u64) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

fn load(db: &Database, n: u64) -> covet_engine::Result<Tree> {
    let mut w = db.begin_write()?;
    let tree = w.create_tree("kv")?;
    for i in 0..n {
        w.insert(&tree, &key(i), &value(i))?;
    }
    w.commit()?;
    for i in n..n + 1_000 {
        let mut w = db.begin_write()?;
        w.insert(&tree, &key(i), &value(i))?;
        w.commit()?;
    }
    for batch in 0..100 {
        let mut w = db.begin_write()?;
        let first = n + 1_000 + batch * 1_000;
        for i in first..first + 1_000 {
            w.insert(&tree, &key(i), &value(i))?;
        }
        w.commit()?;
    }
    Ok(tree)
}

/// Point reads of `keys`; returns the bytes read (so nothing is optimised away).
#[inline(never)]
fn read_phase(txn: &ReadTxn, tree: &Tree, keys: &[[u8; KEY_LEN]]) -> usize {
    let mut bytes = 0;
    for k in keys {
        let v = txn.get(tree, k).expect("get").expect("present");
        bytes += black_box(v.value()).len();
    }
    bytes
}

/// Scans of [`SCAN_LEN`] entries from each of `starts`; returns the entries seen.
#[inline(never)]
fn scan_phase(txn: &ReadTxn, tree: &Tree, starts: &[[u8; KEY_LEN]]) -> usize {
    let mut seen = 0;
    for start in starts {
        for entry in txn.range(tree, &start[..]..).take(SCAN_LEN) {
            let entry = entry.expect("scan");
            black_box((entry.key(), entry.value()));
            seen += 1;
        }
    }
    seen
}

fn main() -> covet_engine::Result<()> {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N must be a number"))
        .unwrap_or(200_000);
    let db = Database::memory_with(Options {
        cache_bytes: 1 << 30,
        durability: Durability::Normal,
        ..Options::default()
    })?;
    let tree = load(&db, n)?;
    let total = n + 1_000 + 100 * 1_000;
    let reads: Vec<[u8; KEY_LEN]> = shuffled(total, 1)
        .into_iter()
        .take(n as usize)
        .map(key)
        .collect();
    let starts: Vec<[u8; KEY_LEN]> = shuffled(total, 2)
        .into_iter()
        .take((n / 2) as usize)
        .map(key)
        .collect();
    let txn = db.begin_read()?;
    // Warm the cache: every page is read once before anything is counted.
    let all: Vec<[u8; KEY_LEN]> = (0..total).map(key).collect();
    assert_eq!(
        all.iter()
            .filter(|k| txn.get(&tree, &k[..]).expect("get").is_some())
            .count() as u64,
        total
    );
    let bytes = read_phase(&txn, &tree, &reads);
    assert_eq!(bytes, reads.len() * VALUE_LEN);
    let seen = scan_phase(&txn, &tree, &starts);
    let stats = db.cache_stats();
    println!(
        "n {n} (total {total} keys): {} gets, {} scans ({seen} entries); cache {} pages, {} bytes",
        reads.len(),
        starts.len(),
        stats.pages,
        stats.bytes
    );
    Ok(())
}
