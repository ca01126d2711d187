//! Helpers shared by the engine's integration tests (each test file that needs
//! them says `mod common;`).

use std::collections::BTreeMap;

use covet_engine::Database;

/// Every entry of every tree: `(tree, key) -> value`.
pub type Contents = BTreeMap<(String, Vec<u8>), Vec<u8>>;

/// What `db`'s newest snapshot holds, tree by tree.
pub fn contents(db: &Database) -> Contents {
    let r = db.begin_read().unwrap();
    let mut out = Contents::new();
    for (name, tree) in r.list_trees().unwrap() {
        for e in r.iter(&tree) {
            let e = e.unwrap();
            out.insert((name.clone(), e.key().to_vec()), e.value().to_vec());
        }
    }
    out
}

/// Panics with a short account of how `got` differs from `want`.
pub fn assert_same(want: &Contents, got: &Contents, what: &str) {
    if want == got {
        return;
    }
    let missing = want.keys().filter(|k| !got.contains_key(*k)).count();
    let extra = got.keys().filter(|k| !want.contains_key(*k)).count();
    let changed = want
        .iter()
        .filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v))
        .count();
    let first = want
        .iter()
        .find(|(k, v)| got.get(*k) != Some(*v))
        .map(|(k, _)| format!("{}/{}", k.0, String::from_utf8_lossy(&k.1)));
    panic!(
        "{what}: {} entries expected, {} found: {missing} missing, {extra} extra, \
         {changed} changed (first: {first:?})",
        want.len(),
        got.len()
    );
}
