//! B+tree tests against an in-memory page store, with a small page size so that
//! splits, merges and overflow chains happen constantly.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proptest::prelude::*;

use super::cursor::Range;
use super::*;

/// Pages in a vector; freed pages are reused last-in first-out.
pub(crate) struct MemPages {
    pub pages: Vec<Option<Page>>,
    pub free: Vec<PageNo>,
    pub page_size: usize,
}

impl MemPages {
    pub(crate) fn new(page_size: usize) -> MemPages {
        MemPages {
            pages: vec![None],
            free: Vec::new(),
            page_size,
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.pages.iter().filter(|p| p.is_some()).count()
    }
}

impl PageSource for MemPages {
    fn page(&self, no: PageNo) -> Result<Page> {
        self.pages
            .get(no as usize)
            .and_then(|p| p.clone())
            .ok_or_else(|| Error::corrupt(no, "no such page"))
    }
    fn page_size(&self) -> usize {
        self.page_size
    }
}

impl PageSink for MemPages {
    fn page_mut(&mut self, no: PageNo) -> Result<&mut PageBuf> {
        let slot = self
            .pages
            .get_mut(no as usize)
            .and_then(|p| p.as_mut())
            .ok_or_else(|| Error::corrupt(no, "no such page"))?;
        Ok(Arc::make_mut(slot))
    }
    fn allocate(&mut self) -> Result<PageNo> {
        let page = Some(Arc::new(PageBuf::zeroed(self.page_size)));
        if let Some(no) = self.free.pop() {
            self.pages[no as usize] = page;
            return Ok(no);
        }
        self.pages.push(page);
        Ok((self.pages.len() - 1) as PageNo)
    }
    fn free(&mut self, no: PageNo) -> Result<()> {
        assert!(
            self.pages[no as usize].take().is_some(),
            "double free of page {no}"
        );
        self.free.push(no);
        Ok(())
    }
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

#[test]
fn sequential_inserts_fill_pages_and_read_back() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    for i in 0u32..2000 {
        assert!(!insert(&mut m, root, &i.to_be_bytes(), &[i as u8; 20]).unwrap());
    }
    for i in 0u32..2000 {
        assert_eq!(
            get(&m, root, &i.to_be_bytes()).unwrap().unwrap().value(),
            &[i as u8; 20]
        );
    }
    assert!(get(&m, root, &5000u32.to_be_bytes()).unwrap().is_none());
    // 4-byte key + 20-byte value = 26-byte cells + 2-byte pointers: 17 per 492-byte
    // leaf when appends fill pages; 2000 / 17 = 118 leaves plus a few branches.
    assert!(
        m.live() < 135,
        "append splits should fill leaves, used {}",
        m.live()
    );
    let all = collect(&m, root, Bound::Unbounded, Bound::Unbounded, false);
    assert_eq!(all.len(), 2000);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
}

#[test]
fn delete_everything_returns_every_page() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    for i in 0u32..3000 {
        let k = (i.wrapping_mul(2654435761)).to_be_bytes();
        insert(&mut m, root, &k, &vec![7u8; (i % 300) as usize]).unwrap();
    }
    for i in 0u32..3000 {
        let k = (i.wrapping_mul(2654435761)).to_be_bytes();
        assert!(remove(&mut m, root, &k).unwrap(), "key {i}");
        assert!(!remove(&mut m, root, &k).unwrap());
    }
    assert_eq!(m.live(), 1, "only the empty root leaf remains");
    assert!(collect(&m, root, Bound::Unbounded, Bound::Unbounded, false).is_empty());
}

#[test]
fn large_values_use_overflow_chains_and_are_freed() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    insert(&mut m, root, b"big", &big).unwrap();
    insert(&mut m, root, b"small", b"x").unwrap();
    assert_eq!(get(&m, root, b"big").unwrap().unwrap().value(), &big[..]);
    assert!(m.live() > 10);
    insert(&mut m, root, b"big", b"now small").unwrap();
    assert_eq!(m.live(), 1);
    assert_eq!(
        get(&m, root, b"big").unwrap().unwrap().value(),
        b"now small"
    );
    drop_tree(&mut m, root).unwrap();
    assert_eq!(m.live(), 0);
}

#[test]
fn keys_up_to_the_maximum_work_and_longer_ones_are_a_typed_error() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    let max: Vec<u8> = (0..MAX_KEY_LEN).map(|i| (i % 253) as u8).collect();
    insert(&mut m, root, &max, b"v").unwrap();
    assert_eq!(get(&m, root, &max).unwrap().unwrap().value(), b"v");
    let mut longer = max.clone();
    longer.push(0);
    match insert(&mut m, root, &longer, b"v") {
        Err(Error::KeyTooLarge { len, max }) => {
            assert_eq!((len, max), (MAX_KEY_LEN + 1, MAX_KEY_LEN));
        }
        other => panic!("{other:?}"),
    }
    assert!(remove(&mut m, root, &max).unwrap());
    assert_eq!(m.live(), 1, "the key's chain is freed");
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
    Range(Option<Vec<u8>>, Option<Vec<u8>>, bool, bool),
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(0u8..4, 0..6),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::collection::vec(any::<u8>(), 90..104), // up to max_key(512) = 103
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..60),
        1 => prop::collection::vec(any::<u8>(), 100..1500),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (key(), value()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key().prop_map(Op::Remove),
        1 => (prop::option::of(key()), prop::option::of(key()), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, inc, rev)| Op::Range(a, b, inc, rev)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn behaves_like_btreemap(ops in prop::collection::vec(op(), 1..600)) {
        let mut m = MemPages::new(512);
        let root = create(&mut m, 1).unwrap();
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let had = insert(&mut m, root, &k, &v).unwrap();
                    prop_assert_eq!(had, model.insert(k, v).is_some());
                }
                Op::Remove(k) => {
                    prop_assert_eq!(remove(&mut m, root, &k).unwrap(), model.remove(&k).is_some());
                }
                Op::Range(a, b, inclusive, rev) => {
                    let start = a.map_or(Bound::Unbounded, Bound::Included);
                    let end = b.map_or(Bound::Unbounded, |k| if inclusive { Bound::Included(k) } else { Bound::Excluded(k) });
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
                        if rev { expect.reverse(); }
                        prop_assert_eq!(collect(&m, root, start, end, rev), expect);
                    }
                }
            }
        }
        for (k, v) in &model {
            let got = get(&m, root, k).unwrap();
            prop_assert_eq!(got.as_ref().map(|g| g.value()), Some(v.as_slice()));
        }
        let all = collect(&m, root, Bound::Unbounded, Bound::Unbounded, false);
        prop_assert_eq!(all.len(), model.len());
        // Removing everything gives back every page but the root.
        let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
        for k in keys { remove(&mut m, root, &k).unwrap(); }
        prop_assert_eq!(m.live(), 1);
    }
}

#[test]
fn bulk_load_builds_full_pages_and_a_valid_tree() {
    for n in [0u32, 1, 17, 18, 500, 20_000] {
        let mut m = MemPages::new(512);
        let root = create(&mut m, 1).unwrap();
        let entries = (0..n).map(|i| {
            (
                i.to_be_bytes(),
                vec![(i % 200) as u8; 20 + (i % 7) as usize * 200],
            )
        });
        assert_eq!(bulk_load(&mut m, root, entries).unwrap(), n as u64);
        let all = collect(&m, root, Bound::Unbounded, Bound::Unbounded, false);
        assert_eq!(all.len(), n as usize);
        for (i, (k, v)) in all.iter().enumerate() {
            assert_eq!(k, &(i as u32).to_be_bytes());
            assert_eq!(v, &vec![(i % 200) as u8; 20 + (i % 7) * 200]);
        }
        for i in (0..n).step_by(97) {
            assert!(get(&m, root, &i.to_be_bytes()).unwrap().is_some());
        }
        // The loaded tree behaves like any other: remove all, only the root remains.
        for i in 0..n {
            assert!(remove(&mut m, root, &i.to_be_bytes()).unwrap());
        }
        assert_eq!(m.live(), 1, "n = {n}");
    }
}

#[test]
fn bulk_load_rejects_unsorted_input_and_non_empty_trees() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    let bad = vec![
        (b"b".to_vec(), b"1".to_vec()),
        (b"a".to_vec(), b"2".to_vec()),
    ];
    assert!(matches!(
        bulk_load(&mut m, root, bad),
        Err(Error::InvalidInput(_))
    ));
    let mut m = MemPages::new(512);
    let root = create(&mut m, 1).unwrap();
    insert(&mut m, root, b"x", b"y").unwrap();
    assert!(matches!(
        bulk_load(&mut m, root, vec![(b"a", b"b")]),
        Err(Error::InvalidInput(_))
    ));
}

/// Every node of the tree at `root`: (page, tree identity), root first.
fn identities(m: &MemPages, root: PageNo) -> Vec<(PageNo, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(no) = todo.pop() {
        let page = m.page(no).unwrap();
        out.push((no, node::tree_id(&page)));
        let n = Node::new(&page, no).unwrap();
        if !n.is_leaf() {
            todo.extend((0..=n.len()).map(|i| n.child(i).unwrap()));
        }
    }
    out
}

fn assert_identities(m: &MemPages, root: Root) {
    let ids = identities(m, root.page);
    assert_eq!(
        ids[0],
        (root.page, root.id),
        "the root carries the identity"
    );
    let others: Vec<_> = ids[1..].iter().filter(|(_, id)| *id != 0).collect();
    assert!(
        others.is_empty(),
        "non-root nodes with an identity: {others:?}"
    );
}

#[test]
fn only_the_root_carries_the_identity_through_splits_merges_and_loads() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 7).unwrap();
    for i in 0..3000u32 {
        insert(&mut m, root, &i.to_be_bytes(), &[1u8; 40]).unwrap();
    }
    assert!(identities(&m, root.page).len() > 100);
    assert_identities(&m, root);
    for i in 0..2999u32 {
        remove(&mut m, root, &i.to_be_bytes()).unwrap();
    }
    // The root collapsed back into a single leaf and is still the root.
    assert_eq!(identities(&m, root.page), vec![(root.page, 7)]);
    clear(&mut m, root).unwrap();
    assert_eq!(identities(&m, root.page), vec![(root.page, 7)]);
    bulk_load(
        &mut m,
        root,
        (0..5000u32).map(|i| (i.to_be_bytes(), [2u8; 30])),
    )
    .unwrap();
    assert!(identities(&m, root.page).len() > 100);
    assert_identities(&m, root);
}

#[test]
fn a_root_with_another_identity_is_stale_everywhere() {
    let mut m = MemPages::new(512);
    let root = create(&mut m, 7).unwrap();
    for i in 0..500u32 {
        insert(&mut m, root, &i.to_be_bytes(), &[1u8; 40]).unwrap();
    }
    let before = collect(&m, root, Bound::Unbounded, Bound::Unbounded, false);
    for wrong in [
        Root {
            page: root.page,
            id: 8,
        },
        // A non-root node of the same tree carries 0, which no tree has.
        Root {
            page: identities(&m, root.page)[1].0,
            id: 7,
        },
    ] {
        let k = 3u32.to_be_bytes();
        assert!(matches!(get(&m, wrong, &k), Err(Error::StaleTree)));
        assert!(matches!(
            insert(&mut m, wrong, &k, b"x"),
            Err(Error::StaleTree)
        ));
        assert!(matches!(remove(&mut m, wrong, &k), Err(Error::StaleTree)));
        assert!(matches!(clear(&mut m, wrong), Err(Error::StaleTree)));
        assert!(matches!(drop_tree(&mut m, wrong), Err(Error::StaleTree)));
        assert!(matches!(
            bulk_load(&mut m, wrong, [(b"a", b"b")]),
            Err(Error::StaleTree)
        ));
        for rev in [false, true] {
            let got: Vec<_> = Range::new(&m, wrong, Bound::Unbounded, Bound::Unbounded, rev)
                .map(|e| e.map(|e| e.key().to_vec()))
                .collect();
            assert!(matches!(got.as_slice(), [Err(Error::StaleTree)]), "{got:?}");
        }
    }
    assert_eq!(
        collect(&m, root, Bound::Unbounded, Bound::Unbounded, false),
        before
    );
}
