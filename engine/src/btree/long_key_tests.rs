//! Long keys (over `node::max_inline_key`): against a `BTreeMap` model, with a
//! structural check that accounts for every page (nodes, value chains, key and
//! separator chains), at the smallest page size and at 4 KiB.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::cursor::Range;
use super::node::{self, KeyRef};
use super::tests::MemPages;
use super::*;

/// Checks the tree at `root` and returns its entry count: keys in order and
/// within the bounds their parents give (whole keys, chains read), leaves at one
/// depth, and every live page of `m` reached exactly once from the tree (no
/// leaked page, none used twice).
pub(crate) fn check_tree(m: &MemPages, root: Root) -> usize {
    let mut used = BTreeSet::new();
    let mut entries = 0;
    let mut depths = BTreeSet::new();
    walk(
        m,
        root.page,
        None,
        None,
        0,
        &mut used,
        &mut entries,
        &mut depths,
    );
    assert_eq!(depths.len(), 1, "leaves at depths {depths:?}");
    let live: BTreeSet<PageNo> = (0..m.pages.len() as PageNo)
        .filter(|&p| m.pages[p as usize].is_some())
        .collect();
    assert_eq!(used, live, "pages reached from the tree vs live pages");
    entries
}

fn claim(used: &mut BTreeSet<PageNo>, p: PageNo) {
    assert!(used.insert(p), "page {p} used twice");
}

fn claim_chain(m: &MemPages, used: &mut BTreeSet<PageNo>, first: PageNo, len: u64) {
    for p in overflow::pages(m, first, len).unwrap() {
        claim(used, p);
    }
}

#[allow(clippy::too_many_arguments)]
fn walk(
    m: &MemPages,
    no: PageNo,
    lo: Option<&[u8]>,
    hi: Option<&[u8]>,
    depth: usize,
    used: &mut BTreeSet<PageNo>,
    entries: &mut usize,
    depths: &mut BTreeSet<usize>,
) {
    claim(used, no);
    let page = m.page(no).unwrap();
    let n = Node::new(&page, no).unwrap();
    assert_eq!(n.layout_problem(), None);
    let mut keys = Vec::new();
    for i in 0..n.len() {
        let k = n.key(i).unwrap();
        assert_eq!(
            k.is_long(),
            k.len as usize > node::max_inline_key(m.page_size),
            "stored form of a {}-byte key",
            k.len
        );
        if k.is_long() {
            assert_eq!(k.inline.len(), node::key_prefix(m.page_size));
            claim_chain(m, used, k.first, k.rest_len());
        }
        keys.push(key::load(m, k).unwrap().into_owned());
    }
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            assert!(keys[i - 1] < *k, "keys out of order in page {no}");
        }
        assert!(lo.is_none_or(|l| l <= k.as_slice()), "key below its bound");
        assert!(hi.is_none_or(|h| k.as_slice() < h), "key above its bound");
    }
    if n.is_leaf() {
        *entries += n.len();
        depths.insert(depth);
        for i in 0..n.len() {
            if let ValueLoc::Overflow { len, first } = n.leaf_cell(i).unwrap().value {
                claim_chain(m, used, first, len);
            }
        }
        return;
    }
    for slot in 0..=n.len() {
        let clo = if slot == 0 {
            lo
        } else {
            Some(keys[slot - 1].as_slice())
        };
        let chi = if slot == n.len() {
            hi
        } else {
            Some(keys[slot].as_slice())
        };
        let child = n.child(slot).unwrap();
        walk(m, child, clo, chi, depth + 1, used, entries, depths);
    }
}

/// Long byte strings that keys are cut from: 1 shares its first 10,000 bytes
/// with 0, 2 its first 300 (inside a 4 KiB page's key prefix, past a 512-byte
/// page's), and 3 is all one byte, so that prefixes tie and comparisons must go
/// on in the chains.
fn stem(i: usize) -> Vec<u8> {
    const LEN: usize = 20_480;
    let base: Vec<u8> = (0..LEN).map(|j| (j * 7 % 251) as u8).collect();
    let mut s = match i {
        3 => vec![b'a'; LEN],
        _ => base,
    };
    match i {
        1 => s[10_000] ^= 0x55,
        2 => s[300] ^= 0x55,
        _ => {}
    }
    s
}

fn stems() -> &'static [Vec<u8>] {
    static STEMS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    STEMS.get_or_init(|| (0..4).map(stem).collect())
}

/// A key: a cut of a stem at a length around the limits that matter (key
/// prefixes 51 and 499 bytes, inline limits 103 and 999, chain page sizes),
/// then a short suffix from a three-letter alphabet; or a short key.
pub(crate) fn long_key() -> impl Strategy<Value = Vec<u8>> {
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
    Get(Vec<u8>),
    Range(Option<Vec<u8>>, Option<Vec<u8>>, bool, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (long_key(), value()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => long_key().prop_map(Op::Remove),
        1 => long_key().prop_map(Op::Get),
        1 => (prop::option::of(long_key()), prop::option::of(long_key()), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, inc, rev)| Op::Range(a, b, inc, rev)),
    ]
}

fn collect(
    src: &MemPages,
    root: Root,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    rev: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    Range::new(src, root, start, end, rev)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect()
}

fn run_model(page_size: usize, ops: Vec<Op>) -> std::result::Result<(), TestCaseError> {
    let mut m = MemPages::new(page_size);
    let root = create(&mut m, 1).unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Insert(k, v) => {
                let had = insert(&mut m, root, &k, &v).unwrap();
                prop_assert_eq!(had, model.insert(k, v).is_some());
            }
            Op::Remove(k) => {
                prop_assert_eq!(
                    remove(&mut m, root, &k).unwrap(),
                    model.remove(&k).is_some()
                );
            }
            Op::Get(k) => {
                let got = get(&m, root, &k).unwrap().map(|g| g.to_vec());
                prop_assert_eq!(got.as_ref(), model.get(&k));
            }
            Op::Range(a, b, inclusive, rev) => {
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
                if valid {
                    let mut expect: Vec<(Vec<u8>, Vec<u8>)> = model
                        .range((start.clone(), end.clone()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if rev {
                        expect.reverse();
                    }
                    prop_assert_eq!(collect(&m, root, start, end, rev), expect);
                }
            }
        }
    }
    prop_assert_eq!(check_tree(&m, root), model.len());
    let all = collect(&m, root, Bound::Unbounded, Bound::Unbounded, false);
    let expect: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
    prop_assert_eq!(all, expect);
    // Removing every key, long ones last, gives back every page but the root.
    let (long, short): (Vec<Vec<u8>>, Vec<Vec<u8>>) = model
        .keys()
        .cloned()
        .partition(|k| k.len() > node::max_inline_key(page_size));
    for k in short.iter().chain(&long) {
        prop_assert!(remove(&mut m, root, k).unwrap());
    }
    prop_assert_eq!(m.live(), 1);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn long_keys_behave_like_btreemap_at_512(ops in prop::collection::vec(op(), 1..300)) {
        run_model(512, ops)?;
    }

    #[test]
    fn long_keys_behave_like_btreemap_at_4096(ops in prop::collection::vec(op(), 1..300)) {
        run_model(4096, ops)?;
    }
}

/// A page source that counts the pages read.
struct Counting<'a> {
    inner: &'a MemPages,
    reads: AtomicUsize,
}

impl PageSource for Counting<'_> {
    fn page(&self, no: PageNo) -> Result<Page> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.page(no)
    }
    fn page_size(&self) -> usize {
        self.inner.page_size()
    }
}

fn height(m: &MemPages, root: Root) -> usize {
    let mut no = root.page;
    let mut h = 1;
    loop {
        let page = m.page(no).unwrap();
        let n = Node::new(&page, no).unwrap();
        if n.is_leaf() {
            return h;
        }
        no = n.child(0).unwrap();
        h += 1;
    }
}

/// Short keys cost exactly the tree's height in page reads, long keys among
/// them or not; a long key costs its chain on top only when found (its prefix
/// ties with the key sought), and nothing more when absent with a prefix that
/// differs from every stored key's.
#[test]
fn lookups_read_chains_only_on_prefix_ties() {
    let page_size = 512;
    let mut m = MemPages::new(page_size);
    let root = create(&mut m, 1).unwrap();
    let short = |i: u32| format!("s{i:05}").into_bytes();
    // Long keys whose first bytes differ: "L" and a number, then 2,000 bytes.
    let long = |i: u32| {
        let mut k = format!("L{i:05}").into_bytes();
        k.extend(std::iter::repeat_n(b'x', 2000));
        k
    };
    for i in 0..400 {
        insert(&mut m, root, &short(i), b"v").unwrap();
        insert(&mut m, root, &long(i), b"w").unwrap();
    }
    let h = height(&m, root);
    assert!(h >= 3, "height {h}");
    let chain = (2006 - node::key_prefix(page_size)).div_ceil(overflow::capacity(page_size));
    for i in 0..400 {
        let c = Counting {
            inner: &m,
            reads: AtomicUsize::new(0),
        };
        assert_eq!(get(&c, root, &short(i)).unwrap().unwrap().value(), b"v");
        assert_eq!(c.reads.load(Ordering::Relaxed), h, "short key {i}");
        let c = Counting {
            inner: &m,
            reads: AtomicUsize::new(0),
        };
        assert!(get(&c, root, &short(i + 1000)).unwrap().is_none());
        assert_eq!(c.reads.load(Ordering::Relaxed), h, "absent short key {i}");
        let c = Counting {
            inner: &m,
            reads: AtomicUsize::new(0),
        };
        assert_eq!(get(&c, root, &long(i)).unwrap().unwrap().value(), b"w");
        assert_eq!(c.reads.load(Ordering::Relaxed), h + chain, "long key {i}");
        let c = Counting {
            inner: &m,
            reads: AtomicUsize::new(0),
        };
        assert!(get(&c, root, &long(i + 1000)).unwrap().is_none());
        assert_eq!(c.reads.load(Ordering::Relaxed), h, "absent long key {i}");
    }
    // Suffix truncation: neighbours differ in their first bytes, so every
    // separator is a few bytes and inline.
    let mut todo = vec![root.page];
    let mut separators = 0;
    while let Some(no) = todo.pop() {
        let page = m.page(no).unwrap();
        let n = Node::new(&page, no).unwrap();
        if n.is_leaf() {
            continue;
        }
        for i in 0..n.len() {
            let k: KeyRef<'_> = n.key(i).unwrap();
            assert!(!k.is_long() && k.len <= 6, "separator {:?}", k.inline);
            separators += 1;
        }
        todo.extend((0..=n.len()).map(|s| n.child(s).unwrap()));
    }
    assert!(separators > 50, "{separators} separators");
    check_tree(&m, root);
}

/// Keys that share a 3,000-byte prefix need separators as long: they get
/// chains, which splits move up and merges bring down or free; removing every
/// key frees every chain.
#[test]
fn long_separators_get_chains_and_are_freed() {
    let page_size = 512;
    let mut m = MemPages::new(page_size);
    let root = create(&mut m, 1).unwrap();
    let key = |i: u32| {
        let mut k = vec![b'p'; 3000];
        k.extend(format!("{:06}", i.wrapping_mul(7919) % 100_000).into_bytes());
        k
    };
    for i in 0..600 {
        insert(&mut m, root, &key(i), &[i as u8; 10]).unwrap();
    }
    assert_eq!(check_tree(&m, root), 600);
    let page = m.page(root.page).unwrap();
    let n = Node::new(&page, root.page).unwrap();
    assert!(!n.is_leaf());
    assert!((0..n.len()).all(|i| n.key(i).unwrap().is_long()));
    drop(page);
    for i in 0..600 {
        assert_eq!(
            get(&m, root, &key(i)).unwrap().unwrap().value(),
            &[i as u8; 10]
        );
    }
    for i in (0..600).step_by(2) {
        assert!(remove(&mut m, root, &key(i)).unwrap());
    }
    assert_eq!(check_tree(&m, root), 300);
    for i in (1..600).step_by(2) {
        assert!(remove(&mut m, root, &key(i)).unwrap());
    }
    assert_eq!(m.live(), 1);
}

/// Sorted load of long keys (long separators included) builds a tree like
/// inserts do; clear and drop free every chain.
#[test]
fn bulk_load_clear_and_drop_with_long_keys() {
    for page_size in [512, 4096] {
        let mut m = MemPages::new(page_size);
        let root = create(&mut m, 1).unwrap();
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for i in 0..700u32 {
            let s = &stems()[(i % 4) as usize];
            let mut k = s[..(i as usize * 37) % 12_000].to_vec();
            k.extend(i.to_be_bytes());
            model.insert(k, vec![i as u8; (i as usize * 13) % 900]);
        }
        let n = bulk_load(&mut m, root, model.iter()).unwrap();
        assert_eq!(n, 700);
        assert_eq!(check_tree(&m, root), 700);
        let all = collect(&m, root, Bound::Unbounded, Bound::Unbounded, true);
        let expect: Vec<_> = model.clone().into_iter().rev().collect();
        assert_eq!(all, expect);
        for (k, v) in model.iter().step_by(5) {
            assert_eq!(get(&m, root, k).unwrap().unwrap().value(), v.as_slice());
        }
        let half: Vec<Vec<u8>> = model.keys().step_by(2).cloned().collect();
        for k in &half {
            assert!(remove(&mut m, root, k).unwrap());
        }
        assert_eq!(check_tree(&m, root), 350);
        clear(&mut m, root).unwrap();
        assert_eq!(m.live(), 1);
        bulk_load(&mut m, root, model.iter()).unwrap();
        drop_tree(&mut m, root).unwrap();
        assert_eq!(m.live(), 0, "page size {page_size}");
    }
}

/// Too long is refused before anything is written, by inserts and loads.
#[test]
fn bulk_load_refuses_a_key_past_the_maximum() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    let key = vec![1u8; MAX_KEY_LEN + 1];
    match bulk_load(&mut m, root, [(key.as_slice(), b"v".as_slice())]) {
        Err(Error::KeyTooLarge { len, max }) => {
            assert_eq!((len, max), (MAX_KEY_LEN + 1, MAX_KEY_LEN))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.live(), 1);
}

/// The separators of every branch of the tree: (stored keys that need a chain,
/// all of them).
fn separators(m: &MemPages, root: Root) -> (usize, usize) {
    let (mut long, mut all) = (0, 0);
    let mut todo = vec![root.page];
    while let Some(no) = todo.pop() {
        let page = m.page(no).unwrap();
        let n = Node::new(&page, no).unwrap();
        if n.is_leaf() {
            continue;
        }
        for i in 0..n.len() {
            all += 1;
            long += usize::from(n.key(i).unwrap().is_long());
        }
        todo.extend((0..=n.len()).map(|s| n.child(s).unwrap()));
    }
    (long, all)
}

/// Splits cut where the separator can be short: keys come in groups of three
/// that share a 2,000-byte prefix, so a cut inside a group needs a long
/// separator and a cut between groups a one-byte one; every split finds a group
/// boundary in the middle half of its page, so no separator needs a chain.
#[test]
fn splits_prefer_cuts_with_short_separators() {
    for page_size in [512, 4096] {
        let mut m = MemPages::new(page_size);
        let root = create(&mut m, 1).unwrap();
        let key = |g: u32, i: u32| {
            let mut k = vec![(g % 251) as u8; 2000];
            k[1] = (g / 251) as u8;
            k.push(i as u8);
            k
        };
        let mut n = 0;
        for g in (0..1500u32).map(|g| g.wrapping_mul(7919) % 1500) {
            for i in 0..3 {
                insert(&mut m, root, &key(g, i), b"v").unwrap();
                n += 1;
            }
        }
        assert_eq!(check_tree(&m, root), n);
        let (long, all) = separators(&m, root);
        assert!(all > 100, "{all} separators");
        assert_eq!(
            long, 0,
            "page size {page_size}: {long} of {all} separators are long"
        );
    }
}

/// Bulk loads end leaves where the separator is short: the groups of
/// `splits_prefer_cuts_with_short_separators`, loaded in order, give no long
/// separator either, and the tree is sound.
#[test]
fn bulk_loads_prefer_short_separators() {
    for page_size in [512, 4096] {
        let mut m = MemPages::new(page_size);
        let root = create(&mut m, 1).unwrap();
        let mut model = BTreeMap::new();
        for g in 0..1500u32 {
            for i in 0..3u8 {
                let mut k = vec![(g % 251) as u8; 2000];
                k[1] = (g / 251) as u8;
                k.push(i);
                model.insert(k, vec![i; 20]);
            }
        }
        assert_eq!(bulk_load(&mut m, root, model.iter()).unwrap(), 4500);
        assert_eq!(check_tree(&m, root), 4500);
        let (long, all) = separators(&m, root);
        assert!(all > 100, "{all} separators");
        assert_eq!(
            long, 0,
            "page size {page_size}: {long} of {all} separators are long"
        );
        let got = collect(&m, root, Bound::Unbounded, Bound::Unbounded, false);
        assert_eq!(got, model.into_iter().collect::<Vec<_>>());
    }
}
