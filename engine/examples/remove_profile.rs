//! A driver for profiling removals under callgrind (instruction counts are
//! repeatable on a busy machine, wall time is not):
//!
//! ```text
//! cargo build --release -p covet-engine --example remove_profile
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*remove_phase*' \
//!     target/release/examples/remove_profile 200000 100000
//! callgrind_annotate --inclusive=yes callgrind.out.<pid>
//! ```
//!
//! Loads `rows` random 24-byte keys with 150-byte values in one commit (the
//! benchmark's shapes), then removes the first `removals` of them — a random
//! order — in one commit, inside `remove_phase`, and checks what is left.

use covet_engine::{Database, Durability, Options, Tree};

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(i: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    for (w, chunk) in k.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(i.wrapping_mul(3).wrapping_add(w as u64 + 1)).to_le_bytes());
    }
    k
}

fn value(i: u64) -> [u8; 150] {
    [(i % 251) as u8; 150]
}

#[inline(never)]
fn remove_phase(db: &Database, t: &Tree, removals: u64) -> u64 {
    let mut w = db.begin_write().unwrap();
    let mut removed = 0;
    for i in 0..removals {
        removed += w.remove(t, &key(i)).unwrap() as u64;
    }
    w.commit().unwrap();
    removed
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let rows = args.next().unwrap_or(200_000);
    let removals = args.next().unwrap_or(rows / 2).min(rows);
    let options = Options {
        durability: Durability::Full,
        ..Options::default()
    };
    // A real file: the memory VFS's copying would dominate the count, while the
    // kernel's share of a real write is not counted.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db"), options).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    for i in 0..rows {
        w.insert(&t, &key(i), &value(i)).unwrap();
    }
    w.commit().unwrap();
    let removed = remove_phase(&db, &t, removals);
    assert_eq!(removed, removals);
    let r = db.begin_read().unwrap();
    let left = r.iter(&t).count() as u64;
    assert_eq!(left, rows - removals);
    for i in (0..rows).step_by(997) {
        let got = r.get(&t, &key(i)).unwrap();
        assert_eq!(got.is_some(), i >= removals, "key {i}");
    }
    println!("{rows} rows, {removed} removed, {left} left");
}
