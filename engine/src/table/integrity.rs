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
//! * a rowid table's floor record, if any, is readable.
//!
//! Stored rows are checked through the slot mapping (`layout.rs`): a row holds at most
//! `next_slot` values, and its visible columns (read from their slots, or missing
//! values) fit the schema.
//!
//! For the catalog it checks the invariants listed in `catalog.rs`, views, sequences and
//! constraints included. Problems carry the
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
            check_rowid_floor(self.kv, &t, &mut report);
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

/// The rowid floor of a rowid table, when present, must be readable (the next rowid
/// is `max(floor, last + 1)`, so no value of it can collide; see `dml.rs`).
fn check_rowid_floor(kv: &dyn Kv, t: &Resolved, report: &mut Report) {
    if let Err(e) = catalog::next_rowid(kv, t.name()) {
        report.add(
            t.tree.root(),
            format!("table {:?}: rowid floor: {e}", t.name()),
        );
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
    for (what, names) in catalog::table_scoped_names(kv)? {
        for name in names {
            if !table_set.contains(name.as_str()) {
                report.add(root, format!("catalog: {what} of missing table {name:?}"));
            }
        }
    }
    let indexes: HashSet<String> = catalog::index_names(kv)?.into_iter().collect();
    check_objects(kv, &access, &table_set, &indexes, root, &mut report)?;
    Ok(report.0)
}

/// Views, sequences and constraints: readable, in the shared namespace, naming tables
/// and columns that exist.
fn check_objects(
    kv: &dyn Kv,
    access: &Access<'_>,
    tables: &HashSet<&str>,
    indexes: &HashSet<String>,
    root: PageNo,
    report: &mut Report,
) -> Result<()> {
    let views = access.list_views()?;
    let sequences = access.list_sequences()?;
    for name in &views {
        if tables.contains(name.as_str()) || indexes.contains(name) {
            report.add(root, format!("catalog: view {name:?} shares its name"));
        }
        if let Err(e) = access.view(name) {
            report.add(root, format!("catalog: {e}"));
        }
    }
    for name in &sequences {
        if tables.contains(name.as_str()) || indexes.contains(name) || views.contains(name) {
            report.add(root, format!("catalog: sequence {name:?} shares its name"));
        }
        if let Err(e) = access.sequence(name) {
            report.add(root, format!("catalog: {e}"));
        }
    }
    let mut constraints: HashSet<(String, String)> = HashSet::new();
    for kind in [catalog::CHECK, catalog::FOREIGN_KEY, catalog::DEFAULT_SQL] {
        for rec in catalog::scoped_list(kv, kind, None)? {
            let what = match kind {
                catalog::CHECK => "check",
                catalog::FOREIGN_KEY => "foreign key",
                _ => "column default",
            };
            let (table, name) = (&rec.table, &rec.name);
            if !tables.contains(table.as_str()) {
                report.add(
                    root,
                    format!("catalog: {what} {name:?} of missing table {table:?}"),
                );
                continue;
            }
            if kind != catalog::DEFAULT_SQL && !constraints.insert((table.clone(), name.clone())) {
                report.add(
                    root,
                    format!("catalog: constraint {name:?} of table {table:?} is both a check and a foreign key"),
                );
            }
        }
    }
    for table in tables {
        if let Err(e) = access.checks(table) {
            report.add(root, format!("catalog: table {table:?}: {e}"));
        }
        // Decoding maps the slots of both tables; a missing referenced table or column
        // is an error here.
        if let Err(e) = access.foreign_keys(table) {
            report.add(root, format!("catalog: table {table:?}: {e}"));
        }
        if let Err(e) = access.column_default_sql(table) {
            report.add(root, format!("catalog: table {table:?}: {e}"));
        }
    }
    Ok(())
}
