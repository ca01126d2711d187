//! The snapshot's page map against a model: every snapshot, old or new, reads
//! exactly the frames visible at its commit, across commits and WAL resets; and a
//! publish costs what the commit changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn meta(page_count: PageNo) -> Meta {
    Meta {
        page_size: 4096,
        txn_id: 0,
        page_count,
        free_head: 0,
        free_count: 0,
        directory_root: crate::meta::DIRECTORY_ROOT,
        schema_cookie: 0,
        layout_gen: 0,
        db_id: 1,
        tree_counter: 0,
    }
}

fn header(first_frame: FrameNo) -> WalHeader {
    WalHeader {
        page_size: 4096,
        db_id: 1,
        salt: first_frame,
        first_frame,
        base_txn: 0,
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A commit writing these pages (the last one is its commit frame).
    Commit(Vec<PageNo>),
    /// A checkpoint that empties the WAL: a new generation, no frames.
    Reset,
    /// Reopen: the newest state rebuilt from its frames (as recovery does).
    Recover,
    /// The oldest retained snapshot's reader ends.
    DropOldest,
}

fn page() -> impl Strategy<Value = PageNo> {
    prop_oneof![
        8 => 0..300u32,
        2 => 0..100_000u32,
        1 => any::<u32>(),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => prop::collection::vec(page(), 1..12).prop_map(Op::Commit),
        1 => Just(Op::Reset),
        1 => Just(Op::Recover),
        2 => Just(Op::DropOldest),
    ]
}

type Visible = BTreeMap<PageNo, FrameNo>;

/// Checks that `snap` reads exactly `model`, for every page either of them or
/// `probes` mention.
fn check(snap: &Snapshot, model: &Visible, probes: &[PageNo]) {
    assert_eq!(
        snap.frames(),
        model.iter().map(|(&p, &f)| (p, f)).collect::<Vec<_>>()
    );
    assert_eq!(snap.has_frames(), !model.is_empty());
    for &p in probes.iter().chain(model.keys()) {
        assert_eq!(snap.frame_of(p), model.get(&p).copied(), "page {p}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn snapshots_read_the_frames_visible_at_their_commit(ops in prop::collection::vec(op(), 1..120)) {
        let mut next_frame: FrameNo = 1;
        let mut gen = 0;
        let mut live: Vec<(Arc<Snapshot>, Visible)> =
            vec![(Arc::new(Snapshot::new(meta(2), 0, gen, header(1), FastMap::default())), Visible::new())];
        let mut probes: Vec<PageNo> = vec![0, 1, 63, 64, 4095, 4096, u32::MAX];
        for op in ops {
            let (newest, model) = live.last().cloned().expect("never empty");
            match op {
                Op::Commit(pages) => {
                    let mut frames = FastMap::default();
                    let mut model = model;
                    for p in pages {
                        frames.insert(p, next_frame);
                        model.insert(p, next_frame);
                        probes.push(p ^ 1);
                        next_frame += 1;
                    }
                    let changed = frames.len();
                    let (_, copied) = newest.extended_frames(frames.clone());
                    // Six levels cover every u32 page number.
                    prop_assert!(copied <= 6 * changed, "{copied} nodes copied for {changed} pages");
                    let snap = newest.extend(meta(10), next_frame - 1, frames, false);
                    live.push((Arc::new(snap), model));
                }
                Op::Reset => {
                    gen += 1;
                    let snap = Snapshot::new(meta(10), newest.commit, gen, header(next_frame), FastMap::default());
                    live.push((Arc::new(snap), Visible::new()));
                }
                Op::Recover => {
                    let frames: FastMap<PageNo, FrameNo> = model.iter().map(|(&p, &f)| (p, f)).collect();
                    let snap = Snapshot::new(meta(10), newest.commit, gen, newest.wal_header, frames);
                    live.push((Arc::new(snap), model));
                }
                Op::DropOldest => {
                    if live.len() > 1 {
                        live.remove(0);
                    }
                }
            }
            for (snap, model) in &live {
                check(snap, model, &probes);
            }
        }
    }
}

/// 100,000 small commits between checkpoints: each publish copies a bounded
/// number of trie nodes (a constant per changed page), the same for the last
/// commit as for the first, while the map grows to 100,000 pages.
#[test]
fn publishing_costs_the_commit_not_the_wal() {
    let mut snap = Arc::new(Snapshot::new(meta(2), 0, 0, header(1), FastMap::default()));
    let mut frame: FrameNo = 1;
    let mut total_copied = 0;
    let mut held = Vec::new();
    for c in 0..100_000u32 {
        // Three pages per commit: a leaf spread over a million pages, its branch
        // and page 0.
        let leaf = c.wrapping_mul(2_654_435_761) % 1_000_000 + 1000;
        let pages = [leaf, leaf / 200, 0];
        let frames: FastMap<PageNo, FrameNo> = pages
            .iter()
            .map(|&p| {
                frame += 1;
                (p, frame)
            })
            .collect();
        let (_, copied) = snap.extended_frames(frames.clone());
        // Four levels cover pages below 2^24: at most one path per changed page.
        assert!(
            copied <= 4 * frames.len(),
            "commit {c}: {copied} nodes copied"
        );
        total_copied += copied;
        let next = Arc::new(snap.extend(meta(1_001_000), frame, frames, true));
        // A long reader every 10,000 commits keeps an old version alive.
        if c % 10_000 == 0 {
            held.push((snap.clone(), leaf));
        }
        snap = next;
    }
    assert!(snap.frames.len() > 90_000, "{}", snap.frames.len());
    // The root and page 0's path are shared by the three pages: fewer than 12.
    assert!(total_copied <= 100_000 * 10, "{total_copied}");
    for (old, leaf) in held {
        // The old reader does not see the leaf its commit's successor wrote.
        let newer = snap.frame_of(leaf).expect("written");
        assert!(old.frame_of(leaf).is_none_or(|f| f < newer));
        assert!(old.commit < newer);
    }
}

#[test]
fn fallback_page_count_keeps_the_largest_state_since_the_last_sync() {
    let mut recovered = FastMap::default();
    recovered.insert(7, 1);
    let s = Snapshot::new(meta(100), 1, 0, header(1), recovered);
    assert_eq!(
        s.fallback_page_count,
        PageNo::MAX,
        "recovered frames may be unsynced"
    );
    let s = s.extend(meta(100), 2, FastMap::default(), false);
    assert_eq!(s.fallback_page_count, PageNo::MAX);
    let s = s.extend(meta(90), 3, FastMap::default(), true);
    assert_eq!(s.fallback_page_count, 90);

    let s = Snapshot::new(meta(100), 0, 0, header(1), FastMap::default());
    assert_eq!(s.fallback_page_count, 100);
    let s = s.extend(meta(40), 1, FastMap::default(), false);
    assert_eq!(s.fallback_page_count, 100);
    let s = s.extend(meta(50), 2, FastMap::default(), false);
    assert_eq!(s.fallback_page_count, 100);
    let s = s.extend(meta(60), 3, FastMap::default(), true);
    assert_eq!(s.fallback_page_count, 60);
}
