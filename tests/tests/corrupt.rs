//! Damaged files: a database with a few trees and a few thousand keys is built
//! in memory, then damaged in many ways (single flipped bytes in every page and
//! page type and in the WAL, truncation of the main file and of the WAL,
//! garbled WAL tails, zeroed pages, random bytes, an empty file, a SQLite file)
//! and opened and read in full. Every outcome must be `Ok` with exactly the right
//! data, or a typed error (`Corrupt`, `NotADatabase`, `Io`), never a panic or
//! wrong data. Where the damage is known to be read, the outcome is exact: a
//! flipped byte in a live B+tree, overflow or header page gives `Corrupt` naming
//! that page; damage to the WAL gives exactly the state of the last commit before
//! the damaged frame.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Durability, Error, Options};
use covet_tests::{diff, read_state, spread_key, value_for, Model, ModelTxn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PATH: &str = "damaged.covet";
const WAL: &str = "damaged.covet-wal";
const PS: usize = 512;
const FRAME: usize = 24 + PS;
/// The WAL header's size (engine/FORMAT.md).
const WAL_HEADER: usize = 64;

fn opts() -> Options {
    Options {
        page_size: PS,
        cache_bytes: 64 * PS,
        durability: Durability::Full,
        autocheckpoint_frames: 1_000_000,
        create: false,
        ..Options::default()
    }
}

/// The database files and what they hold.
struct Fixture {
    /// Main file after a clean close (the WAL is empty).
    main: Vec<u8>,
    /// Its contents.
    model: Model,
    /// Main file and WAL of a database with commits still in the WAL.
    wal_main: Vec<u8>,
    wal: Vec<u8>,
    /// `wal_states[0]`: the state in `wal_main` alone; `wal_states[i]`: after the
    /// i-th commit in the WAL.
    wal_states: Vec<Model>,
}

fn build() -> Fixture {
    let vfs = MemoryVfs::new();
    let create = Options {
        create: true,
        ..opts()
    };
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), PATH, create.clone()).unwrap();
    let mut m = Model::new();
    let mut t = ModelTxn::begin(&db, &m).unwrap();
    for i in 0..2000 {
        t.insert(
            "alpha",
            &spread_key(i),
            &value_for(i, 0, 20 + (i % 40) as usize),
        )
        .unwrap();
    }
    for i in 0..120 {
        let len = if i % 4 == 0 { 1800 } else { 60 };
        t.insert("beta", &spread_key(i), &value_for(i, 1, len))
            .unwrap();
    }
    for i in 0..600 {
        t.insert("gamma", &spread_key(i), &value_for(i, 2, 50))
            .unwrap();
    }
    for i in 0..300 {
        t.insert("delta", &spread_key(i), &value_for(i, 3, 200))
            .unwrap();
    }
    m = t.commit().unwrap();
    // Free pages: most of gamma goes, delta is dropped.
    let mut t = ModelTxn::begin(&db, &m).unwrap();
    for i in 0..600 {
        if i % 5 != 0 {
            t.remove("gamma", &spread_key(i)).unwrap();
        }
    }
    t.drop_tree("delta").unwrap();
    m = t.commit().unwrap();
    drop(db);
    let main = vfs.file_bytes(PATH).unwrap();
    assert_eq!(vfs.file_bytes(WAL).map(|w| w.len()), Some(0));

    // A second database whose last commits are still in the WAL.
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), PATH, create).unwrap();
    let mut wal_states = vec![m.clone()];
    for c in 0..6u64 {
        let mut t = ModelTxn::begin(&db, wal_states.last().unwrap()).unwrap();
        for i in 0..(10 + c * 15) {
            let k = 5000 + c * 1000 + i;
            t.insert("alpha", &spread_key(k), &value_for(k, c, 40))
                .unwrap();
        }
        t.remove("alpha", &spread_key(c * 7)).unwrap();
        t.insert("beta", &spread_key(c), &value_for(c, 9, 700))
            .unwrap();
        wal_states.push(t.commit().unwrap());
    }
    // A transaction that spills and rolls back: frames after the last commit.
    let mut w = db.begin_write().unwrap();
    let a = w.open_tree("alpha").unwrap();
    for i in 0..1200 {
        w.insert(&a, &spread_key(9000 + i), &[1u8; 60]).unwrap();
    }
    w.rollback();
    let wal_main = vfs.file_bytes(PATH).unwrap();
    let wal = vfs.file_bytes(WAL).unwrap();
    drop(db);
    Fixture {
        main,
        model: m,
        wal_main,
        wal,
        wal_states,
    }
}

// ---------------------------------------------------------------------------
// A small reader of the file format (engine/FORMAT.md), to know which page is
// what without asking the engine.

fn u16_at(b: &[u8], off: usize) -> usize {
    u16::from_le_bytes([b[off], b[off + 1]]) as usize
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn varint(b: &[u8], mut off: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[off];
        v |= u64::from(byte & 0x7f) << shift;
        off += 1;
        if byte & 0x80 == 0 {
            return (v, off);
        }
        shift += 7;
    }
}

fn page(main: &[u8], no: u32) -> &[u8] {
    &main[no as usize * PS..(no as usize + 1) * PS]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Header,
    Directory,
    Branch,
    Leaf,
    Overflow,
    FreeTrunk,
    Free,
}

/// What every page of a cleanly closed main file is.
fn classify(main: &[u8]) -> Vec<Kind> {
    let count = u32_at(page(main, 0), 32) as usize;
    assert_eq!(count * PS, main.len());
    let mut kinds: Vec<Option<Kind>> = vec![None; count];
    kinds[0] = Some(Kind::Header);
    let mut roots = Vec::new();
    walk(main, 1, true, &mut kinds, &mut roots);
    for root in roots {
        walk(main, root, false, &mut kinds, &mut Vec::new());
    }
    let mut trunk = u32_at(page(main, 0), 36);
    while trunk != 0 {
        let p = page(main, trunk);
        kinds[trunk as usize] = Some(Kind::FreeTrunk);
        for i in 0..u32_at(p, 16) as usize {
            kinds[u32_at(p, 20 + 4 * i) as usize] = Some(Kind::Free);
        }
        trunk = u32_at(p, 12);
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, k)| k.unwrap_or_else(|| panic!("page {i} is neither used nor free")))
        .collect()
}

fn walk(main: &[u8], no: u32, directory: bool, kinds: &mut [Option<Kind>], roots: &mut Vec<u32>) {
    let p = page(main, no);
    let n = u16_at(p, 10);
    let leaf = p[8] == 2;
    kinds[no as usize] = Some(match (directory && no == 1, leaf) {
        (true, _) => Kind::Directory,
        (false, true) => Kind::Leaf,
        (false, false) => Kind::Branch,
    });
    for i in 0..n {
        // Cell pointers follow the 28-byte node header (FORMAT.md, version 2).
        let off = u16_at(p, 28 + 2 * i);
        if leaf {
            let (klen, a) = varint(p, off);
            let (code, b) = varint(p, a);
            let key_end = b + klen as usize;
            if directory {
                roots.push(u32_at(p, key_end));
            } else if code & 1 == 1 {
                let len = code >> 1;
                let mut next = u32_at(p, key_end);
                for _ in 0..len.div_ceil((PS - 16) as u64) {
                    kinds[next as usize] = Some(Kind::Overflow);
                    next = u32_at(page(main, next), 12);
                }
            }
        } else {
            walk(main, u32_at(p, off), directory, kinds, roots);
        }
    }
    if !leaf {
        walk(main, u32_at(p, 16), directory, kinds, roots);
    }
}

// ---------------------------------------------------------------------------
// Opening damaged files.

/// What opening and reading a damaged database gave.
#[derive(Debug)]
enum Outcome {
    Read(Model),
    Failed(Error),
}

/// Opens `main` (and `wal`) and reads everything; then, if `full`, runs the
/// integrity check and tries a write, which may fail but must not panic. Returns
/// the read and whether the integrity check was clean (`None` if not run).
fn open_and_read(main: Vec<u8>, wal: Option<Vec<u8>>, full: bool) -> (Outcome, Option<bool>) {
    let vfs = MemoryVfs::new();
    vfs.set_file_bytes(PATH, main.clone());
    if let Some(wal) = &wal {
        vfs.set_file_bytes(WAL, wal.clone());
    }
    let db = match Database::open_with_vfs(Arc::new(vfs.clone()), PATH, opts()) {
        Ok(db) => db,
        Err(e) => {
            // A failed open writes nothing (DESIGN.md, "Opening never destroys
            // data"): not the main file, not the WAL, and it creates no WAL.
            assert!(
                vfs.file_bytes(PATH).as_ref() == Some(&main) && vfs.file_bytes(WAL) == wal,
                "the open failed ({e}) and changed the files"
            );
            return (Outcome::Failed(e), None);
        }
    };
    let read = match read_state(&db) {
        Ok(m) => Outcome::Read(m),
        Err(e) => Outcome::Failed(e),
    };
    if !full {
        return (read, None);
    }
    let clean = match db.check_integrity() {
        Ok(report) => Some(report.is_ok()),
        Err(_) => Some(false),
    };
    // A write on whatever opened: errors are fine, panics are not.
    if let Ok(mut w) = db.begin_write() {
        let ok = (|| -> covet_engine::Result<()> {
            let t = w.open_or_create_tree("alpha")?;
            for i in 0..50u64 {
                w.insert(&t, &spread_key(70_000 + i), &[3u8; 90])?;
            }
            w.remove(&t, &spread_key(1))?;
            Ok(())
        })();
        if ok.is_ok() {
            let _ = w.commit();
        }
    }
    let _ = db.checkpoint();
    drop(db);
    (read, clean)
}

/// Collects failures instead of stopping at the first, and catches panics.
#[derive(Default)]
struct Report {
    variants: usize,
    ok: usize,
    typed_errors: usize,
    failures: Vec<String>,
}

impl Report {
    fn run(&mut self, name: String, f: impl FnOnce() -> Result<bool, String>) {
        self.variants += 1;
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(true)) => self.ok += 1,
            Ok(Ok(false)) => self.typed_errors += 1,
            Ok(Err(msg)) => self.failures.push(format!("{name}: {msg}")),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                self.failures.push(format!("{name}: PANIC {msg}"));
            }
        }
    }

    fn finish(self, what: &str) {
        eprintln!(
            "{what}: {} variants, {} read correctly, {} typed errors, {} failures",
            self.variants,
            self.ok,
            self.typed_errors,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} failures, first ones:\n{}",
            self.failures.len(),
            self.failures[..self.failures.len().min(20)].join("\n")
        );
    }
}

/// Any outcome but a wrong read: `Ok(true)` read right, `Ok(false)` typed error.
fn right_or_typed_error(outcome: Outcome, model: &Model) -> Result<bool, String> {
    match outcome {
        Outcome::Read(m) if &m == model => Ok(true),
        Outcome::Read(m) => Err(format!("read wrong data: {}", diff(model, &m))),
        Outcome::Failed(Error::Corrupt { .. } | Error::NotADatabase { .. } | Error::Io { .. }) => {
            Ok(false)
        }
        Outcome::Failed(e) => Err(format!("untyped error {e:?}")),
    }
}

/// The outcome when page `no` (of kind `kind`) is damaged and is read.
fn expect_damage_seen(
    outcome: Outcome,
    clean: Option<bool>,
    no: u32,
    kind: Kind,
    model: &Model,
) -> Result<bool, String> {
    match (kind, outcome) {
        // A damaged header of a database is never taken for a foreign file (nor
        // for an unfinished creation): its other pages are valid.
        (_, Outcome::Failed(Error::Corrupt { page, .. })) if page == no => Ok(false),
        (Kind::Free, outcome) => {
            let res = right_or_typed_error(outcome, model)?;
            if res {
                Ok(true)
            } else {
                Err("damage in a free page made reading fail".into())
            }
        }
        (Kind::FreeTrunk, outcome) => {
            // Trees read fine; the integrity check walks the free list and must
            // see the damage.
            let res = right_or_typed_error(outcome, model)?;
            if !res {
                return Err("damage in a free-list page made reading fail".into());
            }
            if clean == Some(true) {
                return Err("the integrity check missed a damaged free-list page".into());
            }
            Ok(true)
        }
        (_, outcome) => Err(format!("expected Corrupt at page {no}, got {outcome:?}")),
    }
}

/// Up to `per_kind` pages of each kind (all of the rare kinds), to keep the
/// test fast: the pages of one kind are alike.
fn sample_pages(kinds: &[Kind], per_kind: usize, rng: &mut StdRng) -> Vec<(u32, Kind)> {
    let mut out = Vec::new();
    let distinct: BTreeSet<Kind> = kinds.iter().copied().collect();
    for kind in distinct {
        let mut of_kind: Vec<u32> = (0..kinds.len() as u32)
            .filter(|&no| kinds[no as usize] == kind)
            .collect();
        while of_kind.len() > per_kind {
            of_kind.swap_remove(rng.gen_range(0..of_kind.len()));
        }
        out.extend(of_kind.into_iter().map(|no| (no, kind)));
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn flipped_bytes_in_every_page_type() {
    let fx = build();
    let kinds = classify(&fx.main);
    let kinds_seen: BTreeSet<Kind> = kinds.iter().copied().collect();
    assert_eq!(kinds_seen.len(), 7, "every page type: {kinds_seen:?}");
    let mut rng = StdRng::seed_from_u64(1);
    let mut report = Report::default();
    for (no, kind) in sample_pages(&kinds, 16, &mut rng) {
        let mut offsets = vec![0, 8, 10, 16, 20, PS - 1, rng.gen_range(21..PS)];
        if matches!(kind, Kind::Header | Kind::Directory) {
            offsets = (0..64).chain([PS / 2, PS - 1]).collect();
        }
        for (i, off) in offsets.into_iter().enumerate() {
            let mask = 1u8 << rng.gen_range(0..8);
            let mut main = fx.main.clone();
            main[no as usize * PS + off] ^= mask;
            let full = i % 3 == 0 || matches!(kind, Kind::Free | Kind::FreeTrunk);
            report.run(
                format!("page {no} ({kind:?}) byte {off} ^ {mask:#x}"),
                || {
                    let (outcome, clean) = open_and_read(main, None, full);
                    expect_damage_seen(outcome, clean, no, kind, &fx.model)
                },
            );
        }
    }
    report.finish("flipped bytes");
}

#[test]
fn zeroed_and_garbled_pages() {
    let fx = build();
    let kinds = classify(&fx.main);
    let mut rng = StdRng::seed_from_u64(2);
    let mut report = Report::default();
    for (no, kind) in sample_pages(&kinds, 12, &mut rng) {
        for garble in [false, true] {
            let mut main = fx.main.clone();
            let range = no as usize * PS..(no as usize + 1) * PS;
            if garble {
                rng.fill(&mut main[range]);
            } else {
                main[range].fill(0);
            }
            let what = if garble { "garbled" } else { "zeroed" };
            let full = garble || matches!(kind, Kind::Free | Kind::FreeTrunk);
            report.run(format!("page {no} ({kind:?}) {what}"), || {
                let (outcome, clean) = open_and_read(main, None, full);
                expect_damage_seen(outcome, clean, no, kind, &fx.model)
            });
        }
    }
    report.finish("zeroed and garbled pages");
}

#[test]
fn truncated_main_file() {
    let fx = build();
    let kinds = classify(&fx.main);
    let mut lengths: Vec<usize> = vec![1, 8, 9, 16, 23, 24, 25, 100, PS - 1, PS, PS + 1];
    let mut rng = StdRng::seed_from_u64(5);
    // Every cut in the last pages (free pages may end the file), a sample before.
    for p in 2..kinds.len() {
        if p + 8 >= kinds.len() || rng.gen_bool(0.05) {
            lengths.push(p * PS);
            lengths.push(p * PS - rng.gen_range(1..PS));
        }
    }
    let mut report = Report::default();
    for len in lengths {
        let main = fx.main[..len].to_vec();
        // A page that a full read needs is cut off: the read must fail.
        let live_cut = kinds
            .iter()
            .enumerate()
            .any(|(no, k)| (no + 1) * PS > len && !matches!(k, Kind::Free | Kind::FreeTrunk));
        report.run(format!("main file cut to {len} bytes"), || {
            let (outcome, _) = open_and_read(main, None, len % 3 == 0);
            match outcome {
                Outcome::Failed(Error::NotADatabase { .. }) if len < PS => Ok(false),
                Outcome::Failed(Error::Corrupt { page, .. }) if (page as usize + 1) * PS > len => {
                    Ok(false)
                }
                Outcome::Read(m) if !live_cut && m == fx.model => Ok(true),
                other => Err(format!(
                    "unexpected outcome (a live page cut: {live_cut}): {other:?}"
                )),
            }
        });
    }
    report.finish("truncated main file");
}

#[test]
fn not_a_database() {
    let fx = build();
    let mut report = Report::default();
    // An empty file is not a database without `create` (engine/tests/
    // open_safety.rs: with it, the file is created).
    report.run("empty file".into(), || {
        match open_and_read(Vec::new(), None, true).0 {
            Outcome::Failed(Error::NotADatabase { .. }) => Ok(false),
            other => Err(format!("{other:?}")),
        }
    });
    // A SQLite database file.
    let mut sqlite = b"SQLite format 3\0".to_vec();
    sqlite.extend_from_slice(&[0x10, 0x00, 1, 1, 0, 64, 32, 32]);
    sqlite.resize(4096, 0);
    report.run("sqlite file".into(), || {
        match open_and_read(sqlite, None, true).0 {
            Outcome::Failed(Error::NotADatabase { .. }) => Ok(false),
            other => Err(format!("{other:?}")),
        }
    });
    // Random bytes of many sizes.
    let mut rng = StdRng::seed_from_u64(3);
    for i in 0..60 {
        let len = [1, 23, 24, 511, 512, 1024, 4096, 65536][i % 8] + rng.gen_range(0..3);
        let mut bytes = vec![0u8; len];
        rng.fill(&mut bytes[..]);
        report.run(format!("{len} random bytes"), || {
            match open_and_read(bytes, None, true).0 {
                Outcome::Failed(Error::NotADatabase { .. }) => Ok(false),
                other => Err(format!("{other:?}")),
            }
        });
    }
    // A real header page followed by random pages, and a real file with random
    // bytes after the header: checksums catch it all.
    for i in 0..20 {
        let mut bytes = fx.main.clone();
        let from = if i % 2 == 0 { PS } else { 24 };
        rng.fill(&mut bytes[from..]);
        report.run(format!("random bytes after offset {from} ({i})"), || {
            right_or_typed_error(open_and_read(bytes, None, true).0, &fx.model).and_then(|ok| {
                if ok {
                    Err("read the right data from random bytes".into())
                } else {
                    Ok(false)
                }
            })
        });
    }
    // A good main file with a WAL of random bytes or of another page size: the
    // WAL is not a valid log and is ignored.
    for i in 0..10 {
        let mut wal = vec![0u8; WAL_HEADER + FRAME * (i + 1)];
        rng.fill(&mut wal[..]);
        if i % 2 == 1 {
            wal[..WAL_HEADER].copy_from_slice(&fx.wal[..WAL_HEADER]);
            wal[8..12].copy_from_slice(&1024u32.to_le_bytes());
        }
        report.run(format!("garbage wal {i}"), || {
            match open_and_read(fx.main.clone(), Some(wal), true).0 {
                Outcome::Read(m) if m == fx.model => Ok(true),
                other => Err(format!("{other:?}")),
            }
        });
    }
    report.finish("not a database");
}

/// The byte ranges of the frames of `wal` and the number of commits each one
/// completes (frame i is the commit frame of commit `commits_through[i]`).
fn wal_frames(wal: &[u8]) -> Vec<(usize, bool)> {
    let mut out = Vec::new();
    let mut off = WAL_HEADER;
    while off + FRAME <= wal.len() {
        let mark = u32_at(wal, off + 4);
        out.push((off, mark != 0));
        off += FRAME;
    }
    out
}

/// The state recovery must find when the WAL is intact only before byte `cut`.
fn state_before<'a>(fx: &'a Fixture, frames: &[(usize, bool)], cut: usize) -> &'a Model {
    let commits = frames
        .iter()
        .filter(|(off, commit)| *commit && off + FRAME <= cut)
        .count();
    &fx.wal_states[commits]
}

#[test]
fn damaged_wal_gives_the_last_commit_before_the_damage() {
    let fx = build();
    let frames = wal_frames(&fx.wal);
    let commits = frames.iter().filter(|f| f.1).count();
    assert_eq!(
        commits,
        fx.wal_states.len() - 1,
        "one commit frame per commit"
    );
    assert!(
        !frames.last().unwrap().1,
        "the rolled-back transaction left frames after the last commit"
    );
    // The WAL as it is: every commit.
    let (outcome, _) = open_and_read(fx.wal_main.clone(), Some(fx.wal.clone()), true);
    match outcome {
        Outcome::Read(m) => assert_eq!(&m, fx.wal_states.last().unwrap()),
        other => panic!("intact WAL: {other:?}"),
    }
    let mut rng = StdRng::seed_from_u64(4);
    let mut report = Report::default();
    let exact = |main: Vec<u8>, wal: Vec<u8>, want: &Model| -> Result<bool, String> {
        let (outcome, clean) = open_and_read(main, Some(wal), true);
        match outcome {
            Outcome::Read(m) if &m == want => {
                if clean == Some(true) {
                    Ok(true)
                } else {
                    Err("the integrity check failed".into())
                }
            }
            Outcome::Read(m) => Err(format!("wrong state: {}", diff(want, &m))),
            Outcome::Failed(e) => Err(format!("failed: {e}")),
        }
    };
    // Flipped bytes in the header and in every frame (its header and its page).
    // Every commit frame and its neighbours, a sample of the others.
    let near_commit =
        |i: usize| (i.saturating_sub(1)..=(i + 1).min(frames.len() - 1)).any(|j| frames[j].1);
    let mut flips: Vec<usize> = (0..WAL_HEADER).step_by(3).collect();
    for (i, &(off, _)) in frames.iter().enumerate() {
        if near_commit(i) || rng.gen_bool(0.1) {
            for d in [0, 4, 9, 17, 23, 24 + 8, 24 + rng.gen_range(9..PS)] {
                if rng.gen_bool(0.5) {
                    flips.push(off + d);
                }
            }
        }
    }
    for at in flips {
        let mut wal = fx.wal.clone();
        wal[at] ^= 1 << rng.gen_range(0..8);
        // A damaged header voids the whole log.
        let want = if at < WAL_HEADER {
            &fx.wal_states[0]
        } else {
            state_before(&fx, &frames, at)
        };
        report.run(format!("wal byte {at} flipped"), || {
            exact(fx.wal_main.clone(), wal, want)
        });
    }
    // Truncated and garbled tails.
    let mut cuts: Vec<usize> = vec![0, 1, WAL_HEADER - 1, WAL_HEADER, WAL_HEADER + 1];
    for (i, &(off, _)) in frames.iter().enumerate() {
        if near_commit(i) || rng.gen_bool(0.1) {
            cuts.push(off + FRAME);
            cuts.push(off + rng.gen_range(1..FRAME));
        }
    }
    for cut in cuts {
        let want = if cut < WAL_HEADER {
            &fx.wal_states[0]
        } else {
            state_before(&fx, &frames, cut)
        };
        let short = fx.wal[..cut.min(fx.wal.len())].to_vec();
        report.run(format!("wal cut to {cut}"), || {
            exact(fx.wal_main.clone(), short, want)
        });
        if cut < fx.wal.len() {
            let mut garbled = fx.wal.clone();
            rng.fill(&mut garbled[cut..]);
            report.run(format!("wal garbled from {cut}"), || {
                exact(fx.wal_main.clone(), garbled, want)
            });
        }
    }
    // A missing WAL.
    report.run("no wal".into(), || {
        exact(fx.wal_main.clone(), Vec::new(), &fx.wal_states[0])
    });
    report.finish("damaged WAL");
}
