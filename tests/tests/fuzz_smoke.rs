//! The fuzz targets' logic (`covet_tests::fuzz_logic`, run by `fuzz/` under
//! libFuzzer) on seeded pseudo-random inputs, so that `cargo test` on the stable
//! toolchain exercises it too; plus regression inputs found by fuzzing.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use std::sync::Arc;

use covet_engine::vfs::{CrashMode, FaultConfig, FaultVfs, MemoryVfs};
use covet_engine::{Database, Options};
use covet_tests::fuzz_logic::{
    open_bytes, open_input, reseal_main, reseal_wal, run_ops, run_ops_summary, OpsSummary,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Each loop stops after this long even if it has inputs left, so that a slow
/// machine keeps the test bounded (the counts below take a few seconds in debug).
const BUDGET: Duration = Duration::from_secs(12);

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `f` on `data`; on a panic, prints the input so that it can be replayed
/// (`cargo fuzz run TARGET FILE` with the bytes, or a regression test here).
fn run_case(label: &str, case: usize, data: &[u8], f: impl FnOnce(&[u8])) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(data))) {
        eprintln!(
            "{label} case {case} failed; input ({} bytes): {}",
            data.len(),
            hex(data)
        );
        resume_unwind(panic);
    }
}

/// An ops input: a header (fault kind, countdown, crash mode, tuning) and a
/// body of random operation bytes. The countdown is kept within the number of
/// mutating calls a body of this size makes, so that most cases hit the fault.
fn ops_input(rng: &mut StdRng) -> Vec<u8> {
    let mut data = vec![0u8; 7];
    rng.fill(&mut data[..]);
    let countdown: u16 = match rng.gen_range(0..10) {
        0 => 0,
        1..=6 => rng.gen_range(1..40),
        _ => rng.gen_range(40..400),
    };
    data[1..3].copy_from_slice(&countdown.to_le_bytes());
    let len = rng.gen_range(0..600);
    data.extend((0..len).map(|_| rng.gen::<u8>()));
    data
}

#[test]
fn ops_with_io_faults_on_seeded_inputs() {
    let mut rng = StdRng::seed_from_u64(0xc0fe_7f42);
    let start = Instant::now();
    let (mut cases, mut stopped, mut power_cuts) = (0, 0, 0);
    while cases < 4000 && start.elapsed() < BUDGET {
        let data = ops_input(&mut rng);
        let mut summary = OpsSummary::default();
        run_case("run_ops", cases, &data, |d| summary = run_ops_summary(d));
        stopped += usize::from(summary.stopped);
        power_cuts += usize::from(summary.stopped && summary.power_cut);
        cases += 1;
    }
    assert!(cases >= 100, "only {cases} cases ran within the budget");
    // The inputs must reach the faults, or this test checks little.
    assert!(
        stopped * 3 >= cases && power_cuts * 6 >= cases,
        "{cases} cases: {stopped} stopped by a fault, {power_cuts} by a power cut"
    );
}

#[test]
fn open_arbitrary_file_on_seeded_inputs() {
    let mut rng = StdRng::seed_from_u64(0x0be7_f11e);
    let start = Instant::now();
    let mut cases = 0;
    while cases < 3000 && start.elapsed() < BUDGET {
        let len = rng.gen_range(1..400);
        let mut data: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        // Mostly edited templates (checksums recomputed), some raw bytes.
        if rng.gen_bool(0.8) {
            data[0] = (data[0] & 0x3c) | 1;
        }
        run_case("open_input", cases, &data, open_input);
        cases += 1;
    }
    assert!(cases >= 100, "only {cases} cases ran within the budget");
}

#[test]
fn open_bytes_rejects_garbage_without_panicking() {
    open_bytes(&[], &[]);
    open_bytes(&[0; 512], &[]);
    open_bytes(b"covetDB", b"cvwl");
    open_bytes(&[0xff; 4096], &[0xff; 4096]);
}

/// Replays a hex-encoded input printed by a failing case.
fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Replays one input: `COVET_FUZZ_OPS=<hex>` for `run_ops`, `COVET_FUZZ_OPEN=<hex>`
/// for `open_input` (does nothing when neither is set).
#[test]
fn replay_from_env() {
    if let Ok(h) = std::env::var("COVET_FUZZ_OPS") {
        run_ops(&unhex(h.trim()));
    }
    if let Ok(h) = std::env::var("COVET_FUZZ_OPEN") {
        open_input(&unhex(h.trim()));
    }
}

// ---------------------------------------------------------------------------
// Regressions found by the fuzz targets, reduced to the damage that matters.
// ---------------------------------------------------------------------------

const PAGE: usize = 512;

/// A closed database (everything in the main file) with tree "t" of `n`
/// entries, and the page numbers of its leaves.
fn closed_database(n: u32) -> (Vec<u8>, Vec<u32>) {
    let vfs = MemoryVfs::new();
    let opts = Options {
        page_size: PAGE,
        ..Options::default()
    };
    {
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        for i in 0..n {
            w.insert(&t, format!("key{i:05}").as_bytes(), &[7; 30])
                .unwrap();
        }
        w.commit().unwrap();
    }
    let bytes = vfs.file_bytes("db").unwrap();
    let leaves = bytes
        .chunks_exact(PAGE)
        .enumerate()
        .filter(|(no, page)| *no > 1 && page[8] == 2)
        .map(|(no, _)| no as u32)
        .collect();
    (bytes, leaves)
}

/// A WAL header whose first frame number is 0 (frames count from 1) made
/// `Pager::open` compute `first_frame - 1` and panic on overflow.
#[test]
fn regression_wal_header_with_first_frame_zero() {
    let (db, _) = closed_database(10);
    for first_frame in [0u64, u64::MAX] {
        let mut wal = Vec::new();
        wal.extend_from_slice(b"cvwl");
        wal.extend_from_slice(&1u32.to_le_bytes());
        wal.extend_from_slice(&(PAGE as u32).to_le_bytes());
        wal.extend_from_slice(&0u32.to_le_bytes());
        wal.extend_from_slice(&0x5a17u64.to_le_bytes());
        wal.extend_from_slice(&first_frame.to_le_bytes());
        wal.extend_from_slice(&[0; 8]);
        reseal_wal(&mut wal, PAGE);
        open_bytes(&db, &wal);
    }
}

/// A node whose "fragmented bytes" field exceeded its content area passed
/// `Node::new`, and deleting from it underflowed in `Node::used`.
#[test]
fn regression_node_with_too_many_fragmented_bytes() {
    let (mut db, leaves) = closed_database(200);
    assert!(leaves.len() > 2, "the tree needs non-root leaves");
    for &no in &leaves {
        let page = &mut db[no as usize * PAGE..][..PAGE];
        page[14..16].copy_from_slice(&0x1000u16.to_le_bytes());
    }
    reseal_main(&mut db, PAGE);
    open_bytes(&db, &[]);
}

/// A header whose layout generation was u64::MAX: VACUUM bumps it, and the
/// addition overflowed.
#[test]
fn regression_vacuum_with_the_last_layout_generation() {
    let (mut db, _) = closed_database(10);
    db[56..64].copy_from_slice(&u64::MAX.to_le_bytes());
    reseal_main(&mut db, PAGE);
    let vfs = MemoryVfs::new();
    vfs.set_file_bytes("db", db);
    let db = Database::open_with_vfs(Arc::new(vfs), "db", Options::default()).unwrap();
    let before = db.begin_read().unwrap().open_tree("t").unwrap();
    db.vacuum().unwrap();
    let r = db.begin_read().unwrap();
    assert!(
        r.get(&before, b"key00000").is_err(),
        "the old handle is stale"
    );
    let t = r.open_tree("t").unwrap();
    assert_eq!(r.iter(&t).count(), 10);
}

/// A header claiming 2^32 − 1 pages made the integrity check collect every
/// orphan page number (16 GiB) and take minutes; now it counts them. VACUUM on
/// it ran out of memory the same way.
#[test]
fn regression_integrity_check_of_a_huge_page_count() {
    let (mut db, _) = closed_database(10);
    db[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    reseal_main(&mut db, PAGE);
    let vfs = MemoryVfs::new();
    vfs.set_file_bytes("db", db);
    let db = Database::open_with_vfs(Arc::new(vfs), "db", Options::default()).unwrap();
    let start = Instant::now();
    let report = db.check_integrity().unwrap();
    assert!(!report.is_ok());
    assert!(report.problems.len() <= 1000);
    // VACUUM kept a flag per page and a map entry per page above the live ones
    // (16 GiB here); now it follows the live pages, and repairs the count.
    let outcome = db.vacuum().unwrap();
    assert_eq!(outcome.pages_before, u32::MAX);
    assert!(outcome.pages_after < 10);
    assert!(db.check_integrity().unwrap().is_ok());
    assert!(start.elapsed() < Duration::from_secs(20));
}

/// A leaf whose content-area start was one byte past its first cell passed the
/// integrity check; the next insert then wrote over that cell and the commit
/// left a page used twice. The check now verifies each node's cell layout.
#[test]
fn regression_integrity_check_sees_cells_outside_the_content_area() {
    let (clean, leaves) = closed_database(200);
    let leaf = leaves[1] as usize * PAGE;
    for (field, delta) in [(12, 1i32), (14, 1), (14, -1)] {
        let mut db = clean.clone();
        let at = leaf + field;
        let v = i32::from(u16::from_le_bytes([db[at], db[at + 1]])) + delta;
        db[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes());
        reseal_main(&mut db, PAGE);
        let vfs = MemoryVfs::new();
        vfs.set_file_bytes("db", db.clone());
        let opened = Database::open_with_vfs(Arc::new(vfs), "db", Options::default()).unwrap();
        let report = opened.check_integrity().unwrap();
        assert!(
            !report.is_ok(),
            "field {field} changed by {delta} went unnoticed"
        );
        // And the whole target logic holds on it.
        open_bytes(&db, &[]);
    }
}

/// A transaction that spilled pages to the WAL after a savepoint and then
/// rolled back to it left those frames in the WAL, uncommitted, in front of its
/// commit frames. Recovery reads them as part of the commit: a power cut after
/// the commit brought back rolled-back versions of existing pages (entries lost
/// from a tree). Fixed in ae06b95 (found there independently).
#[test]
fn regression_rollback_to_savepoint_after_a_spill() {
    let vfs = FaultVfs::new(FaultConfig::default());
    let opts = Options {
        page_size: PAGE,
        cache_bytes: 16 * PAGE,
        autocheckpoint_frames: 1_000_000,
        ..Options::default()
    };
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts.clone()).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    let u = w.create_tree("u").unwrap();
    w.insert(&t, b"a", b"1").unwrap();
    let key = |i: u32| format!("key{i:05}").into_bytes();
    for i in (0..3000).step_by(2) {
        w.insert(&u, &key(i), &[1; 40]).unwrap();
    }
    w.commit().unwrap();
    db.checkpoint().unwrap();

    let mut w = db.begin_write().unwrap();
    let sp = w.savepoint().unwrap();
    // Splits every leaf of u; most of them are spilled and not touched again.
    for i in (1..3000).step_by(2) {
        w.insert(&u, &key(i), &[2; 40]).unwrap();
    }
    w.rollback_to(sp).unwrap();
    w.insert(&t, b"b", b"2").unwrap();
    w.commit().unwrap();
    assert!(
        vfs.ops() > 10,
        "the transaction should have spilled to the WAL"
    );

    let image = vfs.crash_image(CrashMode::DropUnsynced);
    drop(db);
    let db = Database::open_with_vfs(Arc::new(image), "db", opts).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.open_tree("t").unwrap();
    let got: Vec<(Vec<u8>, Vec<u8>)> = r
        .iter(&t)
        .map(|e| e.map(|e| (e.key().to_vec(), e.value().to_vec())))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        got,
        vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec())
        ]
    );
    let u = r.open_tree("u").unwrap();
    let keys: Vec<Vec<u8>> = r.iter(&u).map(|e| e.unwrap().key().to_vec()).collect();
    let want: Vec<Vec<u8>> = (0..3000).step_by(2).map(key).collect();
    assert!(
        keys == want,
        "tree u has {} entries, want {}",
        keys.len(),
        want.len()
    );
    drop(r);
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// The same discarded frames, seen from the other side: after a rollback to a
/// savepoint (and its release), pages past the committed end were written
/// straight into the main file although a frame of this transaction still held
/// an older version of them, which recovery took instead. Fixed in ae06b95.
#[test]
fn regression_direct_write_over_a_discarded_frame() {
    let vfs = FaultVfs::new(FaultConfig::default());
    let opts = Options {
        page_size: PAGE,
        cache_bytes: 16 * PAGE,
        autocheckpoint_frames: 1_000_000,
        ..Options::default()
    };
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts.clone()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_tree("t").unwrap();
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    let sp = w.savepoint().unwrap();
    for i in 0..1000u32 {
        w.insert(&t, format!("old{i:05}").as_bytes(), &[1; 300])
            .unwrap();
    }
    w.rollback_to(sp).unwrap();
    w.release(sp).unwrap();
    let key = |i: u32| format!("new{i:05}").into_bytes();
    for i in 0..1000 {
        w.insert(&t, &key(i), &[2; 40]).unwrap();
    }
    w.commit().unwrap();

    let image = vfs.crash_image(CrashMode::DropUnsynced);
    drop(db);
    let db = Database::open_with_vfs(Arc::new(image), "db", opts).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.open_tree("t").unwrap();
    let keys: Vec<Vec<u8>> = r
        .iter(&t)
        .map(|e| e.map(|e| e.key().to_vec()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(keys == (0..1000).map(key).collect::<Vec<_>>());
    drop(r);
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// A leaf cell whose overflow value claimed gigabytes made `overflow::read`
/// reserve all of it up front (and a chain that loops back on itself would
/// have been copied until it reached that length).
#[test]
fn regression_overflow_value_with_a_damaged_length() {
    let vfs = MemoryVfs::new();
    let opts = Options {
        page_size: PAGE,
        ..Options::default()
    };
    {
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        w.insert(&t, b"k", &[7; 1000]).unwrap();
        w.commit().unwrap();
    }
    let clean = vfs.file_bytes("db").unwrap();
    let page = |db: &[u8], no: usize| db[no * PAGE..][..PAGE].to_vec();
    // The tree's root leaf, and the first page of the value's chain.
    let leaf = (2..clean.len() / PAGE)
        .find(|&no| page(&clean, no)[8] == 2)
        .expect("a leaf");
    let first = (2..clean.len() / PAGE)
        .find(|&no| page(&clean, no)[8] == 4)
        .expect("an overflow page");
    for (len, loops) in [(1u64 << 40, false), (u64::from(u32::MAX), true)] {
        let mut db = clean.clone();
        let mut cell = vec![1u8];
        let mut code = len << 1 | 1;
        while code >= 0x80 {
            cell.push(code as u8 | 0x80);
            code >>= 7;
        }
        cell.push(code as u8);
        cell.push(b'k');
        cell.extend_from_slice(&(first as u32).to_le_bytes());
        let p = &mut db[leaf * PAGE..][..PAGE];
        let start = PAGE - cell.len();
        p[start..].copy_from_slice(&cell);
        p[10..12].copy_from_slice(&1u16.to_le_bytes());
        p[12..14].copy_from_slice(&(start as u16).to_le_bytes());
        p[14..16].copy_from_slice(&0u16.to_le_bytes());
        // Cell pointer 0, after the 28-byte node header (FORMAT.md version 2).
        p[28..30].copy_from_slice(&(start as u16).to_le_bytes());
        if loops {
            let o = &mut db[first * PAGE..][..PAGE];
            o[12..16].copy_from_slice(&(first as u32).to_le_bytes());
        }
        reseal_main(&mut db, PAGE);
        let files = MemoryVfs::new();
        files.set_file_bytes("db", db.clone());
        let opened = Database::open_with_vfs(Arc::new(files), "db", Options::default()).unwrap();
        let r = opened.begin_read().unwrap();
        let t = r.open_tree("t").unwrap();
        assert!(r.get(&t, b"k").is_err(), "len {len}, loops {loops}");
        drop(r);
        assert!(!opened.check_integrity().unwrap().is_ok());
        drop(opened);
        open_bytes(&db, &[]);
    }
}

/// `ops_with_io_faults` inputs that failed, kept whole (each names what it hit).
/// They replay through the current decoder, so they stay valid tests even if
/// it changes, though then of something else.
#[test]
fn regression_ops_inputs() {
    let cases: [(&str, &[&str]); 3] = [
        (
            // A rollback to a savepoint re-read a page allocated and freed before
            // the savepoint and never written: "main file is shorter than the
            // database", with no fault injected.
            "rollback_to over a free page",
            &[
                "f1f1f1f1f1f13a643a40de10ef010000000000041010fe1c00bebe03030303107e7e7e7e7e7e7e7e",
                "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e10ef010000000000041010fe0c00110000a7ff00a7a7101010",
                "10feffff00a7a7100303030303030303030c00110000a7ff00a7a7101010100000000000000006fe",
                "ffff00a7a7100303030303030303030303ffffffffffffffffffffffffffffffffffffff0303006f",
                "6f6f6f6fc86f0000000000000000000000000000000000036f6f6f6fbef1f1f1f1f1743153bebef9",
                "f8f8f8c6c6c6233a39be746f6f35390055ff03553053bebef9f8f8f8bebeffff67",
            ],
        ),
        (
            // Pages written straight into the main file after a rollback to a
            // savepoint had discarded frames of theirs: recovery took the stale
            // frames (a leaf came back as an overflow page), even from the live
            // files with nothing lost.
            "direct write over a discarded frame",
            &[
                "ff562532ff01491000f911feff6e9e5ad129d39ffeffffffff0403035aa6ffd16e11feff6e9e5ad1",
                "2dd39ffeffffffff040303ff6e9e5ad12dd3539191919191919191665a402dd3536e5d2e2e2e2e2e",
                "2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e9191c30a040053e99292929292be2e2e2eea25fe7fff3abe",
                "be2546ac1241be4091919191197e6fbe2e2e2e7eff0015927e7eff3c3c3c3c3c3c3c7e3a7e2aff00",
                "200000000000000015927e3a7eff3c3c3c3c3c9191855a40b3ee",
            ],
        ),
        (
            // Found against work in progress on the page cache: a reader's
            // snapshot changed under it after later commits and a VACUUM.
            "reader snapshot across commits and vacuum",
            &[
                "6f7f009cb57ca7a17994433b6854bcfeb4332e3f5ed16e5bbe6c9519ffa989e47add7d69d0442fc8",
                "b0caaeb9242afbff1f095f40d8b8c09b2abb4ff728c0fc96965c04af38c2a8c17701f5715b63cee1",
                "719bf68561363ea7b190c91f08ae755ceaa66f8040bf6e2cb3ca65598cf670a761724d907b0372f2",
                "65bc79ef85f7ccc3bbd47efdf181e1d22726ca6566255229e9ed6f939483e25142854f7907c36817",
                "d7768a2de42958c81890dcb0fc239a9ee80df5eb67b017472d0641cec27187fe47394aadf9c1593d",
                "60bf7fe5bdfc4aba026a7a0d8d8b21c38bdc9078e11eccd48b237c84b8ec3309d8266580fdf4d4ed",
                "1f6873bf850a77fc22af3ca4192d595ccb607aab41ee3b",
            ],
        ),
    ];
    for (what, parts) in cases {
        let data = unhex(&parts.concat());
        run_case(what, 0, &data, run_ops);
    }
}

/// A leaf whose fragmented-bytes count claimed the whole content area: an
/// insert trusted it, defragmented, and then wrote its cell below the content
/// area (over the cell pointers, or past the page start: overflow).
#[test]
fn regression_insert_into_a_leaf_with_an_inflated_fragment_count() {
    let (clean, leaves) = closed_database(200);
    let leaf = leaves[1] as usize * PAGE;
    let mut db = clean.clone();
    let p = &mut db[leaf..leaf + PAGE];
    let cs = usize::from(u16::from_le_bytes([p[12], p[13]]));
    p[14..16].copy_from_slice(&((PAGE - cs) as u16).to_le_bytes());
    reseal_main(&mut db, PAGE);
    let vfs = MemoryVfs::new();
    vfs.set_file_bytes("db", db);
    let opened = Database::open_with_vfs(Arc::new(vfs), "db", Options::default()).unwrap();
    let mut w = opened.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    let failed = (0..200).any(|i| {
        w.insert(&t, format!("key{i:05}y").as_bytes(), &[6; 100])
            .is_err()
    });
    assert!(failed, "the damaged leaf went unnoticed");
}

/// A leaf whose header claimed no room left (with no cell, or with cell
/// pointers that all point at one cell) made an insert split it: one cell
/// cannot be split (`clamp` panicked), and the overlapping cells added up to
/// more than a page can hold (`rebuild` asserted). The split now refuses a
/// node whose cells do not add up.
#[test]
fn regression_split_of_a_damaged_leaf() {
    let (clean, leaves) = closed_database(200);
    let leaf = leaves[1] as usize * PAGE;
    for variant in 0..2 {
        let mut db = clean.clone();
        let p = &mut db[leaf..leaf + PAGE];
        if variant == 0 {
            // No cells, and a content area starting right after the header (28
            // bytes, FORMAT.md version 2).
            p[10..12].copy_from_slice(&0u16.to_le_bytes());
            p[12..14].copy_from_slice(&30u16.to_le_bytes());
            p[14..16].copy_from_slice(&0u16.to_le_bytes());
        } else {
            // 200 cell pointers, all to the first cell.
            let first = [p[28], p[29]];
            let cs = 28 + 2 * 200;
            for i in 0..200 {
                p[28 + 2 * i..30 + 2 * i].copy_from_slice(&first);
            }
            p[10..12].copy_from_slice(&200u16.to_le_bytes());
            p[12..14].copy_from_slice(&(cs as u16).to_le_bytes());
            p[14..16].copy_from_slice(&0u16.to_le_bytes());
        }
        reseal_main(&mut db, PAGE);
        let vfs = MemoryVfs::new();
        vfs.set_file_bytes("db", db);
        let opened = Database::open_with_vfs(Arc::new(vfs), "db", Options::default()).unwrap();
        let mut w = opened.begin_write().unwrap();
        let t = w.open_tree("t").unwrap();
        let mut failed = false;
        for i in 0..400 {
            if w.insert(&t, format!("key{i:05}x").as_bytes(), &[5; 30])
                .is_err()
            {
                failed = true;
                break;
            }
        }
        assert!(failed, "variant {variant}: the damaged leaf went unnoticed");
    }
}
