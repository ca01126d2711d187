//! The table integrity check: tables against their indexes, and the catalog against
//! itself. It reports every problem it finds (up to a bound) instead of stopping.
//!
//! For each table it checks, streaming (one cursor and one lookup at a time):
//!
//! * every row decodes and fits the schema, and has exactly the entry it should have in
//!   every index;
//! * every index entry decodes, has an empty value, leads to an existing row, and equals
//!   the entry that row should have (so entries and rows correspond one to one);
//! * no two entries of a unique index share non-NULL indexed values (entries with equal
//!   values are adjacent in index order);
//! * a rowid table's largest rowid is below its counter.
//!
//! For the catalog it checks the invariants listed in `catalog.rs`. Problems carry the
//! root page of the tree concerned (the catalog's for catalog problems).

use std::collections::{HashMap, HashSet};
use std::ops::Bound::Unbounded;

use super::catalog::{self, Resolved};
use super::keys;
use super::kv::Kv;
use super::read::{decode_stored_row, row_pk, split_index_key, Access};
use crate::error::Result;
use crate::integrity::Problem;
use crate::page::PageNo;
use crate::value::Value;

/// Most problems one check reports.
const MAX_PROBLEMS: usize = 1000;

struct Report(Vec<Problem>);

impl Report {
    fn add(&mut self, page: PageNo, detail: String) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(Problem { page, detail });
        }
    }

    fn full(&self) -> bool {
        self.0.len() >= MAX_PROBLEMS
    }
}

impl Access<'_> {
    /// Checks one table against its indexes.
    pub(crate) fn check_table(&self, table: &str) -> Result<Vec<Problem>> {
        let t = self.table(table)?;
        let mut report = Report(Vec::new());
        check_rows(self.kv, &t, &mut report);
        if t.schema().has_rowid() {
            check_rowid_counter(self.kv, &t, &mut report);
        }
        for i in 0..t.rec.indexes.len() {
            check_index(self.kv, &t, i, &mut report);
        }
        Ok(report.0)
    }
}

fn check_rows(kv: &dyn Kv, t: &Resolved, report: &mut Report) {
    let root = t.tree.root();
    let name = t.name();
    for entry in kv.range(&t.tree, Unbounded, Unbounded, false) {
        if report.full() {
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                report.add(root, format!("table {name:?}: scan failed: {e}"));
                return;
            }
        };
        let values = match decode_stored_row(t, entry.value()) {
            Ok(v) => v,
            Err(e) => {
                report.add(root, format!("table {name:?}: {e}"));
                continue;
            }
        };
        let pk = row_pk(t, entry.key(), &values).unwrap_or_default();
        if let Err(e) = t.schema().check_row(&values) {
            report.add(root, format!("table {name:?}: row {pk:?}: {e}"));
        }
        if !t.schema().has_rowid() && keys::row_key(&pk) != entry.key() {
            report.add(
                root,
                format!("table {name:?}: row {pk:?} is stored under another key"),
            );
        }
        for (ix, itree) in t.rec.indexes.iter().zip(&t.index_trees) {
            let (key, _) = keys::index_key(&ix.def, &values, entry.key());
            match kv.get(itree, &key) {
                Ok(Some(_)) => {}
                Ok(None) => report.add(
                    itree.root(),
                    format!(
                        "index {:?} of table {name:?}: row {pk:?} has no entry",
                        ix.def.name
                    ),
                ),
                Err(e) => report.add(
                    itree.root(),
                    format!("index {:?}: lookup failed: {e}", ix.def.name),
                ),
            }
        }
    }
}

/// The largest rowid must be below the table's counter, or the next insert would collide.
fn check_rowid_counter(kv: &dyn Kv, t: &Resolved, report: &mut Report) {
    let root = t.tree.root();
    let name = t.name();
    let last = match kv.range(&t.tree, Unbounded, Unbounded, true).next() {
        Some(Ok(entry)) => row_pk(t, entry.key(), &[]),
        Some(Err(e)) => Err(e),
        None => return,
    };
    let next = catalog::next_rowid(kv, name);
    match (last.as_deref(), next.as_ref()) {
        (Ok([Value::Int(last)]), Ok(next)) if last < next => {}
        (Ok(last), Ok(next)) => report.add(
            root,
            format!("table {name:?}: last rowid {last:?} is not below the rowid counter {next}"),
        ),
        (Err(e), _) | (_, Err(e)) => report.add(root, format!("table {name:?}: rowid: {e}")),
    }
}

fn check_index(kv: &dyn Kv, t: &Resolved, i: usize, report: &mut Report) {
    let ix = &t.rec.indexes[i];
    let itree = &t.index_trees[i];
    let root = itree.root();
    let (index, name) = (&ix.def.name, t.name());
    // The indexed part of the previous entry, when it held no NULL.
    let mut previous: Option<Vec<u8>> = None;
    for entry in kv.range(itree, Unbounded, Unbounded, false) {
        if report.full() {
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                report.add(root, format!("index {index:?}: scan failed: {e}"));
                return;
            }
        };
        let key = entry.key();
        let (values, at) = match split_index_key(t, i, key) {
            Ok(split) => split,
            Err(e) => {
                report.add(root, format!("index {index:?}: {e}"));
                continue;
            }
        };
        if !entry.value().is_empty() {
            report.add(root, format!("index {index:?}: an entry has a value"));
        }
        let (indexed, row_key) = key.split_at(at);
        if ix.def.unique {
            if previous.as_deref() == Some(indexed) {
                report.add(
                    root,
                    format!("unique index {index:?}: two entries hold {values:?}"),
                );
            }
            previous = (!values.iter().any(|v| v.is_null())).then(|| indexed.to_vec());
        }
        let row = match kv.get(&t.tree, row_key) {
            Ok(Some(row)) => row,
            Ok(None) => {
                report.add(
                    root,
                    format!("index {index:?} of table {name:?}: entry {values:?} has no row"),
                );
                continue;
            }
            Err(e) => {
                report.add(root, format!("index {index:?}: row lookup failed: {e}"));
                continue;
            }
        };
        // A row that does not decode is reported by the row pass.
        if let Ok(row) = decode_stored_row(t, row.value()) {
            if keys::index_key(&ix.def, &row, row_key).0 != key {
                report.add(
                    root,
                    format!(
                        "index {index:?} of table {name:?}: entry {values:?} does not match its row"
                    ),
                );
            }
        }
    }
}

/// Checks the catalog and every table in it.
pub(crate) fn check_all(kv: &dyn Kv) -> Result<Vec<Problem>> {
    let Some(cat) = kv.find_tree(catalog::CATALOG_TREE)? else {
        return Ok(Vec::new());
    };
    let root = cat.root();
    let mut report = Report(Vec::new());
    let tables = catalog::table_names(kv)?;
    let table_set: HashSet<&str> = tables.iter().map(String::as_str).collect();
    // Index name → table, as the table records say.
    let mut listed: HashMap<String, String> = HashMap::new();
    let mut trees: HashSet<String> = HashSet::new();
    let cache = catalog::Cache::default();
    let access = Access { kv, cache: &cache };
    for name in &tables {
        let rec = match catalog::load_table(kv, name) {
            Ok(Some(rec)) => rec,
            Ok(None) => continue,
            Err(e) => {
                report.add(root, format!("catalog: {e}"));
                continue;
            }
        };
        for tree in std::iter::once(&rec.tree).chain(rec.indexes.iter().map(|i| &i.tree)) {
            if !trees.insert(tree.clone()) {
                report.add(root, format!("catalog: tree {tree:?} is used twice"));
            }
        }
        for ix in &rec.indexes {
            if table_set.contains(ix.def.name.as_str()) {
                report.add(
                    root,
                    format!("catalog: {:?} is both a table and an index", ix.def.name),
                );
            }
            if let Some(other) = listed.insert(ix.def.name.clone(), name.clone()) {
                report.add(
                    root,
                    format!(
                        "catalog: index {:?} is listed by tables {other:?} and {name:?}",
                        ix.def.name
                    ),
                );
            }
        }
        match catalog::resolve(kv, rec) {
            Ok(_) => match access.check_table(name) {
                Ok(problems) => problems
                    .into_iter()
                    .for_each(|p| report.add(p.page, p.detail)),
                Err(e) => report.add(root, format!("table {name:?}: {e}")),
            },
            Err(e) => report.add(root, format!("table {name:?}: {e}")),
        }
    }
    for index in catalog::index_names(kv)? {
        let owner = catalog::index_owner(kv, &index);
        match (owner, listed.remove(&index)) {
            (Ok(Some(owner)), Some(table)) if owner == table => {}
            (Ok(owner), table) => report.add(
                root,
                format!("catalog: index {index:?} has owner {owner:?} but is listed by {table:?}"),
            ),
            (Err(e), _) => report.add(root, format!("catalog: {e}")),
        }
    }
    for (index, table) in listed {
        report.add(
            root,
            format!("catalog: table {table:?} lists index {index:?}, which has no owner record"),
        );
    }
    let (counters, stats) = catalog::counter_and_stats_names(kv)?;
    for name in counters.iter().chain(&stats) {
        if !table_set.contains(name.as_str()) {
            report.add(
                root,
                format!("catalog: rowid counter or statistics of missing table {name:?}"),
            );
        }
    }
    Ok(report.0)
}
