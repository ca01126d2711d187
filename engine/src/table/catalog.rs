//! The catalog: the tree `__covet_catalog`, which records every table, index, rowid
//! counter and statistics, and the per-transaction [`Cache`] of resolved tables.
//!
//! Keys are one kind byte then a name (UTF-8); values are the records of `codec.rs`:
//!
//! ```text
//! 'T' table name  → table record (schema, row tree, its indexes and their trees)
//! 'X' index name  → index owner (the index's table)
//! 'R' table name  → rowid counter (tables without a primary key, once a row was inserted)
//! 'S' table name  → statistics (after ANALYZE)
//! ```
//!
//! Invariants (checked by the table integrity check):
//!
//! 1. Table and index names share one namespace: no name is both a `T` and an `X` key.
//! 2. `X i → t` exists exactly when the record `T t` lists index `i`.
//! 3. Every tree a record names exists, and no two records name the same tree.
//! 4. `R` and `S` keys name existing tables.
//!
//! The catalog tree is created with the first table; a database without it has no tables.
//! It changes in the same write transaction as the rows, so a rollback undoes DDL.
//!
//! [`Cache`] holds tables resolved (decoded, trees opened) in one transaction. It is
//! valid while the catalog is unchanged: `TableWriter` drops entries on every DDL, and
//! drops everything when its transaction is borrowed or rolled back to a savepoint.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::codec::{self, CatalogDecodeError, TableRecord};
use super::error::TableError;
use super::kv::Kv;
use super::schema::TableSchema;
use crate::error::{Error, Result};
use crate::stats::TableStats;
use crate::txn::{Tree, WriteTxn};

/// The name of the catalog tree.
pub const CATALOG_TREE: &str = "__covet_catalog";

const TABLE: u8 = b'T';
const OWNER: u8 = b'X';
const ROWID: u8 = b'R';
const STATS: u8 = b'S';

fn key(kind: u8, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(kind);
    k.extend_from_slice(name.as_bytes());
    k
}

fn corrupt(what: &str, name: &str, source: CatalogDecodeError) -> Error {
    Error::Table(TableError::CatalogCorrupt {
        record: format!("{what} {name:?}"),
        source,
    })
}

/// The name of the tree holding a table's rows.
pub(crate) fn row_tree_name(table: &str) -> String {
    format!("t:{table}")
}

/// The name of the tree holding an index's entries.
pub(crate) fn index_tree_name(index: &str) -> String {
    format!("i:{index}")
}

/// A table resolved in one transaction: its record and its open trees.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub rec: TableRecord,
    /// The row tree.
    pub tree: Tree,
    /// The index trees, in the order of `rec.indexes`.
    pub index_trees: Vec<Tree>,
}

impl Resolved {
    pub(crate) fn schema(&self) -> &TableSchema {
        &self.rec.schema
    }

    pub(crate) fn name(&self) -> &str {
        &self.rec.schema.name
    }
}

fn catalog(kv: &dyn Kv) -> Result<Option<Tree>> {
    kv.find_tree(CATALOG_TREE)
}

fn get(kv: &dyn Kv, kind: u8, name: &str) -> Result<Option<Vec<u8>>> {
    let Some(cat) = catalog(kv)? else {
        return Ok(None);
    };
    Ok(kv.get(&cat, &key(kind, name))?.map(|v| v.to_vec()))
}

/// The record of table `name`.
pub(crate) fn load_table(kv: &dyn Kv, name: &str) -> Result<Option<TableRecord>> {
    let Some(bytes) = get(kv, TABLE, name)? else {
        return Ok(None);
    };
    let rec = TableRecord::from_bytes(&bytes).map_err(|e| corrupt("table", name, e))?;
    if rec.schema.name != name {
        return Err(corrupt(
            "table",
            name,
            CatalogDecodeError::Invalid {
                what: "table name",
                reason: "does not match the record's key",
            },
        ));
    }
    Ok(Some(rec))
}

/// Opens the trees of a table record.
pub(crate) fn resolve(kv: &dyn Kv, rec: TableRecord) -> Result<Resolved> {
    let open = |name: &str| {
        kv.find_tree(name)?.ok_or_else(|| Error::TreeNotFound {
            name: name.to_owned(),
        })
    };
    let tree = open(&rec.tree)?;
    let index_trees = rec
        .indexes
        .iter()
        .map(|i| open(&i.tree))
        .collect::<Result<_>>()?;
    Ok(Resolved {
        rec,
        tree,
        index_trees,
    })
}

/// The table of index `name`.
pub(crate) fn index_owner(kv: &dyn Kv, name: &str) -> Result<Option<String>> {
    match get(kv, OWNER, name)? {
        Some(bytes) => codec::decode_owner(&bytes)
            .map(Some)
            .map_err(|e| corrupt("index owner", name, e)),
        None => Ok(None),
    }
}

/// The next rowid of table `name` (1 before its first row).
pub(crate) fn next_rowid(kv: &dyn Kv, name: &str) -> Result<i64> {
    match get(kv, ROWID, name)? {
        Some(bytes) => codec::decode_rowid(&bytes).map_err(|e| corrupt("rowid counter", name, e)),
        None => Ok(1),
    }
}

/// The statistics of table `name`, if analyzed.
pub(crate) fn load_stats(kv: &dyn Kv, name: &str) -> Result<Option<TableStats>> {
    let Some(bytes) = get(kv, STATS, name)? else {
        return Ok(None);
    };
    let inner = codec::decode_stats(&bytes).map_err(|e| corrupt("statistics", name, e))?;
    TableStats::from_bytes(inner).map(Some).map_err(|source| {
        Error::Table(TableError::StatsCorrupt {
            table: name.to_owned(),
            source,
        })
    })
}

/// The names of the records of one kind, in byte order.
fn names(kv: &dyn Kv, kind: u8) -> Result<Vec<String>> {
    let Some(cat) = catalog(kv)? else {
        return Ok(Vec::new());
    };
    let lower = std::ops::Bound::Included(vec![kind]);
    let upper = std::ops::Bound::Excluded(vec![kind + 1]);
    let mut out = Vec::new();
    for entry in kv.range(&cat, lower, upper, false) {
        let entry = entry?;
        let name = std::str::from_utf8(&entry.key()[1..]).map_err(|_| {
            corrupt(
                "key",
                &String::from_utf8_lossy(entry.key()),
                CatalogDecodeError::Invalid {
                    what: "name",
                    reason: "not UTF-8",
                },
            )
        })?;
        out.push(name.to_owned());
    }
    Ok(out)
}

/// Every table's name, in byte order.
pub(crate) fn table_names(kv: &dyn Kv) -> Result<Vec<String>> {
    names(kv, TABLE)
}

/// Every index's name, in byte order.
pub(crate) fn index_names(kv: &dyn Kv) -> Result<Vec<String>> {
    names(kv, OWNER)
}

/// The names of the rowid counters and statistics records.
pub(crate) fn counter_and_stats_names(kv: &dyn Kv) -> Result<(Vec<String>, Vec<String>)> {
    Ok((names(kv, ROWID)?, names(kv, STATS)?))
}

fn put(w: &mut WriteTxn, kind: u8, name: &str, value: &[u8]) -> Result<()> {
    let cat = w.open_or_create_tree(CATALOG_TREE)?;
    w.insert(&cat, &key(kind, name), value)?;
    Ok(())
}

fn remove(w: &mut WriteTxn, kind: u8, name: &str) -> Result<()> {
    if let Some(cat) = catalog(&*w)? {
        w.remove(&cat, &key(kind, name))?;
    }
    Ok(())
}

/// Writes (or replaces) a table record.
pub(crate) fn store_table(w: &mut WriteTxn, rec: &TableRecord) -> Result<()> {
    put(w, TABLE, &rec.schema.name, &rec.to_bytes())
}

/// Removes a table's record, rowid counter and statistics.
pub(crate) fn remove_table(w: &mut WriteTxn, name: &str) -> Result<()> {
    remove(w, TABLE, name)?;
    remove(w, ROWID, name)?;
    remove(w, STATS, name)
}

/// Records that index `index` belongs to `table`.
pub(crate) fn store_owner(w: &mut WriteTxn, index: &str, table: &str) -> Result<()> {
    put(w, OWNER, index, &codec::encode_owner(table))
}

/// Forgets the owner of index `index`.
pub(crate) fn remove_owner(w: &mut WriteTxn, index: &str) -> Result<()> {
    remove(w, OWNER, index)
}

/// Stores the next rowid of `table`.
pub(crate) fn store_next_rowid(w: &mut WriteTxn, table: &str, next: i64) -> Result<()> {
    put(w, ROWID, table, &codec::encode_rowid(next))
}

/// Stores the statistics of `table`.
pub(crate) fn store_stats(w: &mut WriteTxn, table: &str, stats: &TableStats) -> Result<()> {
    put(w, STATS, table, &codec::encode_stats(&stats.to_bytes()))
}

/// Tables and index owners resolved in one transaction.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    tables: RefCell<HashMap<String, Arc<Resolved>>>,
    owners: RefCell<HashMap<String, String>>,
}

impl Cache {
    /// Table `name`, resolved (from the cache when it can).
    pub(crate) fn table(&self, kv: &dyn Kv, name: &str) -> Result<Arc<Resolved>> {
        if let Some(t) = self.tables.borrow().get(name) {
            return Ok(t.clone());
        }
        let rec = load_table(kv, name)?.ok_or_else(|| TableError::TableNotFound {
            table: name.to_owned(),
        })?;
        let t = Arc::new(resolve(kv, rec)?);
        self.tables.borrow_mut().insert(name.to_owned(), t.clone());
        Ok(t)
    }

    /// Whether table `name` exists.
    pub(crate) fn has_table(&self, kv: &dyn Kv, name: &str) -> Result<bool> {
        if self.tables.borrow().contains_key(name) {
            return Ok(true);
        }
        Ok(get(kv, TABLE, name)?.is_some())
    }

    /// Index `name`: its table and its position in the table's index list.
    pub(crate) fn index(&self, kv: &dyn Kv, name: &str) -> Result<(Arc<Resolved>, usize)> {
        let not_found = || TableError::IndexNotFound {
            index: name.to_owned(),
        };
        let cached = self.owners.borrow().get(name).cloned();
        let owner = match cached {
            Some(o) => o,
            None => {
                let o = index_owner(kv, name)?.ok_or_else(not_found)?;
                self.owners.borrow_mut().insert(name.to_owned(), o.clone());
                o
            }
        };
        let table = self.table(kv, &owner)?;
        let pos = table
            .rec
            .indexes
            .iter()
            .position(|i| i.def.name == name)
            .ok_or_else(|| {
                corrupt(
                    "index owner",
                    name,
                    CatalogDecodeError::Invalid {
                        what: "owner",
                        reason: "the owning table does not list the index",
                    },
                )
            })?;
        Ok((table, pos))
    }

    /// Whether index `name` exists.
    pub(crate) fn has_index(&self, kv: &dyn Kv, name: &str) -> Result<bool> {
        if self.owners.borrow().contains_key(name) {
            return Ok(true);
        }
        Ok(get(kv, OWNER, name)?.is_some())
    }

    /// Forgets table `name` and the owners of indexes (after DDL on it).
    pub(crate) fn forget(&self, name: &str) {
        self.tables.borrow_mut().remove(name);
        self.owners.borrow_mut().retain(|_, t| t != name);
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.tables.borrow_mut().clear();
        self.owners.borrow_mut().clear();
    }
}
