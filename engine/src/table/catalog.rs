//! The catalog: the tree `__covet_catalog`, which records every table, index, rowid
//! floor, statistics, view, sequence and constraint, and the per-transaction [`Cache`]
//! of resolved tables.
//!
//! Keys are one kind byte then a name (UTF-8); values are the records of `codec.rs`:
//!
//! ```text
//! 'T' table name  → table record (schema, row tree, its indexes and their trees)
//! 'X' index name  → index owner (the index's table)
//! 'R' table name  → rowid floor (tables without a primary key; see `dml.rs`)
//! 'S' table name  → statistics (after ANALYZE)
//! 'V' view name   → view record            'Q' sequence name → sequence record
//! 'D' table name  → the table's SQL text (as the SQL layer gave it)
//! 'C' len table constraint → CHECK record  (len: the table name's byte length, u8)
//! 'F' len table constraint → FOREIGN KEY record
//! 'E' len table slot → a column's default expression (SQL text; slot in decimal)
//! ```
//!
//! Invariants (checked by the table integrity check):
//!
//! 1. Tables, indexes, views and sequences share one namespace: no name is the key of
//!    two of `T`, `X`, `V`, `Q`.
//! 2. `X i → t` exists exactly when the record `T t` lists index `i`.
//! 3. Every tree a record names exists, and no two records name the same tree.
//! 4. `R`, `S`, `D`, `C`, `E` and `F` keys name existing tables (and `E` keys a slot
//!    of a column of theirs); a constraint name is used
//!    once per table (by a `C` or an `F` key); a foreign key's columns and referenced
//!    columns exist and the referenced table exists.
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
pub(crate) const VIEW: u8 = b'V';
pub(crate) const SEQUENCE: u8 = b'Q';
pub(crate) const TABLE_SQL: u8 = b'D';
pub(crate) const CHECK: u8 = b'C';
pub(crate) const FOREIGN_KEY: u8 = b'F';
pub(crate) const DEFAULT_SQL: u8 = b'E';

/// The record kinds scoped to a table, moved and removed with it.
const SCOPED: [u8; 3] = [CHECK, FOREIGN_KEY, DEFAULT_SQL];

fn key(kind: u8, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(kind);
    k.extend_from_slice(name.as_bytes());
    k
}

/// The key of a record scoped to a table: kind, the table name's length, table, name.
fn scoped_key(kind: u8, table: &str, name: &str) -> Vec<u8> {
    let mut k = scoped_prefix(kind, table);
    k.extend_from_slice(name.as_bytes());
    k
}

fn scoped_prefix(kind: u8, table: &str) -> Vec<u8> {
    // Names are at most 63 bytes (schema.rs), so the length fits a byte.
    let mut k = Vec::with_capacity(2 + table.len());
    k.push(kind);
    k.push(table.len() as u8);
    k.extend_from_slice(table.as_bytes());
    k
}

pub(crate) fn corrupt(what: &str, name: &str, source: CatalogDecodeError) -> Error {
    Error::Table(TableError::CatalogCorrupt {
        record: format!("{what} {name:?}"),
        source,
    })
}

/// A name for a new tree of a table (`prefix` "t:") or index ("i:") called `name`:
/// `<prefix><name>`, or when a tree of that name exists (its table or index was renamed
/// and kept its tree) `<prefix><name>#2`, `#3`, …, the first one free. Records name
/// their trees, so a tree's name is only ever chosen here, once.
pub(crate) fn new_tree_name(kv: &dyn Kv, prefix: &str, name: &str) -> Result<String> {
    let base = format!("{prefix}{name}");
    if kv.find_tree(&base)?.is_none() {
        return Ok(base);
    }
    let mut n = 2u64;
    loop {
        let candidate = format!("{base}#{n}");
        if kv.find_tree(&candidate)?.is_none() {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// A table resolved in one transaction: its record and its open trees.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub rec: TableRecord,
    /// The row tree.
    pub tree: Tree,
    /// The index trees, in the order of `rec.indexes`.
    pub index_trees: Vec<Tree>,
    /// Whether rows are stored in visible column order (`TableRecord::is_identity`).
    pub identity: bool,
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

pub(crate) fn get(kv: &dyn Kv, kind: u8, name: &str) -> Result<Option<Vec<u8>>> {
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
        identity: rec.is_identity(),
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

/// The rowid floor of table `name`: the next rowid is at least this (1 when absent).
pub(crate) fn next_rowid(kv: &dyn Kv, name: &str) -> Result<i64> {
    match get(kv, ROWID, name)? {
        Some(bytes) => codec::decode_rowid(&bytes).map_err(|e| corrupt("rowid floor", name, e)),
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
pub(crate) fn names(kv: &dyn Kv, kind: u8) -> Result<Vec<String>> {
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

/// The names of the rowid floors, statistics and table SQL records.
pub(crate) fn table_scoped_names(kv: &dyn Kv) -> Result<[(&'static str, Vec<String>); 3]> {
    Ok([
        ("rowid floor", names(kv, ROWID)?),
        ("statistics", names(kv, STATS)?),
        ("table SQL text", names(kv, TABLE_SQL)?),
    ])
}

pub(crate) fn put(w: &mut WriteTxn, kind: u8, name: &str, value: &[u8]) -> Result<()> {
    let cat = w.open_or_create_tree(CATALOG_TREE)?;
    w.insert(&cat, &key(kind, name), value)?;
    Ok(())
}

pub(crate) fn remove(w: &mut WriteTxn, kind: u8, name: &str) -> Result<()> {
    if let Some(cat) = catalog(&*w)? {
        w.remove(&cat, &key(kind, name))?;
    }
    Ok(())
}

/// The value of the record `name` of `table` of a scoped kind (`CHECK`, `FOREIGN_KEY`).
pub(crate) fn scoped_get(
    kv: &dyn Kv,
    kind: u8,
    table: &str,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    let Some(cat) = catalog(kv)? else {
        return Ok(None);
    };
    Ok(kv
        .get(&cat, &scoped_key(kind, table, name))?
        .map(|v| v.to_vec()))
}

/// Stores the record `name` of `table` of a scoped kind.
pub(crate) fn scoped_put(
    w: &mut WriteTxn,
    kind: u8,
    table: &str,
    name: &str,
    value: &[u8],
) -> Result<()> {
    let cat = w.open_or_create_tree(CATALOG_TREE)?;
    w.insert(&cat, &scoped_key(kind, table, name), value)?;
    Ok(())
}

/// Removes the record `name` of `table` of a scoped kind.
pub(crate) fn scoped_remove(w: &mut WriteTxn, kind: u8, table: &str, name: &str) -> Result<()> {
    if let Some(cat) = catalog(&*w)? {
        w.remove(&cat, &scoped_key(kind, table, name))?;
    }
    Ok(())
}

/// A record of a scoped kind: its table, its name and its value.
pub(crate) struct Scoped {
    pub table: String,
    pub name: String,
    pub value: Vec<u8>,
}

/// The records of a scoped kind, of one table or (`None`) of all, in key order.
pub(crate) fn scoped_list(kv: &dyn Kv, kind: u8, table: Option<&str>) -> Result<Vec<Scoped>> {
    let Some(cat) = catalog(kv)? else {
        return Ok(Vec::new());
    };
    let prefix = match table {
        Some(t) => scoped_prefix(kind, t),
        None => vec![kind],
    };
    let upper = crate::value::prefix_successor(&prefix)
        .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
    let mut out = Vec::new();
    for entry in kv.range(&cat, std::ops::Bound::Included(prefix), upper, false) {
        let entry = entry?;
        let key = entry.key();
        let bad = || {
            corrupt(
                "key",
                &String::from_utf8_lossy(key),
                CatalogDecodeError::Invalid {
                    what: "scoped key",
                    reason: "malformed table name",
                },
            )
        };
        let len = *key.get(1).ok_or_else(bad)? as usize;
        let table = key.get(2..2 + len).ok_or_else(bad)?;
        let name = &key[2 + len..];
        let (Ok(table), Ok(name)) = (std::str::from_utf8(table), std::str::from_utf8(name)) else {
            return Err(bad());
        };
        out.push(Scoped {
            table: table.to_owned(),
            name: name.to_owned(),
            value: entry.value().to_vec(),
        });
    }
    Ok(out)
}

/// Writes (or replaces) a table record.
pub(crate) fn store_table(w: &mut WriteTxn, rec: &TableRecord) -> Result<()> {
    put(w, TABLE, &rec.schema.name, &rec.to_bytes())
}

/// Removes a table's record, rowid floor, statistics, SQL text and constraints.
pub(crate) fn remove_table(w: &mut WriteTxn, name: &str) -> Result<()> {
    remove(w, TABLE, name)?;
    remove(w, ROWID, name)?;
    remove(w, STATS, name)?;
    remove(w, TABLE_SQL, name)?;
    for kind in SCOPED {
        for rec in scoped_list(&*w, kind, Some(name))? {
            scoped_remove(w, kind, name, &rec.name)?;
        }
    }
    Ok(())
}

/// Removes a table's rowid floor (the table is given a primary key).
pub(crate) fn remove_rowid_floor(w: &mut WriteTxn, name: &str) -> Result<()> {
    remove(w, ROWID, name)
}

/// Moves the records keyed by a table's name (rowid floor, statistics, SQL text,
/// constraints) from `old` to `new`. The table record and index owners are the
/// caller's.
pub(crate) fn move_table_records(w: &mut WriteTxn, old: &str, new: &str) -> Result<()> {
    for kind in [ROWID, STATS, TABLE_SQL] {
        if let Some(v) = get(&*w, kind, old)? {
            remove(w, kind, old)?;
            put(w, kind, new, &v)?;
        }
    }
    for kind in SCOPED {
        for rec in scoped_list(&*w, kind, Some(old))? {
            scoped_remove(w, kind, old, &rec.name)?;
            scoped_put(w, kind, new, &rec.name, &rec.value)?;
        }
    }
    Ok(())
}

/// Removes the table record of `name` (renaming it: the caller stores the new one).
pub(crate) fn remove_table_record(w: &mut WriteTxn, name: &str) -> Result<()> {
    remove(w, TABLE, name)
}

/// Forgets the statistics of `table` (its columns changed).
pub(crate) fn remove_stats(w: &mut WriteTxn, table: &str) -> Result<()> {
    remove(w, STATS, table)
}

/// Records that index `index` belongs to `table`.
pub(crate) fn store_owner(w: &mut WriteTxn, index: &str, table: &str) -> Result<()> {
    put(w, OWNER, index, &codec::encode_owner(table))
}

/// Forgets the owner of index `index`.
pub(crate) fn remove_owner(w: &mut WriteTxn, index: &str) -> Result<()> {
    remove(w, OWNER, index)
}

/// Stores the rowid floor of `table`.
pub(crate) fn store_next_rowid(w: &mut WriteTxn, table: &str, next: i64) -> Result<()> {
    put(w, ROWID, table, &codec::encode_rowid(next))
}

/// Stores the statistics of `table`.
pub(crate) fn store_stats(w: &mut WriteTxn, table: &str, stats: &TableStats) -> Result<()> {
    put(w, STATS, table, &codec::encode_stats(&stats.to_bytes()))
}

/// What a [`SharedTables`] entry is valid for: a committed snapshot's schema cookie and
/// layout generation.
pub(crate) type SharedKey = (u64, u64);

/// Tables resolved through committed snapshots, shared by the read transactions of one
/// open database: resolving a table (reading and decoding its record, opening its
/// trees) costs more than a point query, and every statement outside a block reads
/// through a new snapshot.
///
/// Invariant: the entries are those of one [`SharedKey`]. A schema cookie names one
/// committed schema (every change of a table record bumps it in the same commit, and
/// only committed snapshots use this), and tree handles stay valid until VACUUM moves
/// roots, which starts a new layout generation. A reader of another key replaces the
/// entries (the newest snapshot is the common case).
#[derive(Debug, Default)]
pub(crate) struct SharedTables(parking_lot::Mutex<SharedState>);

#[derive(Debug, Default)]
struct SharedState {
    key: Option<SharedKey>,
    tables: HashMap<String, Arc<Resolved>>,
}

impl SharedTables {
    fn get(&self, key: SharedKey, name: &str) -> Option<Arc<Resolved>> {
        let state = self.0.lock();
        if state.key != Some(key) {
            return None;
        }
        state.tables.get(name).cloned()
    }

    fn put(&self, key: SharedKey, name: &str, table: Arc<Resolved>) {
        let mut state = self.0.lock();
        if state.key != Some(key) {
            state.key = Some(key);
            state.tables.clear();
        }
        state.tables.insert(name.to_owned(), table);
    }
}

/// Tables and index owners resolved in one transaction.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    tables: RefCell<HashMap<String, Arc<Resolved>>>,
    owners: RefCell<HashMap<String, String>>,
    /// The database's shared tables and this snapshot's key (read transactions only).
    shared: Option<(Arc<SharedTables>, SharedKey)>,
}

impl Cache {
    /// A cache that also reads and fills `shared` under `key` (a committed snapshot's).
    pub(crate) fn sharing(shared: Arc<SharedTables>, key: SharedKey) -> Cache {
        Cache {
            shared: Some((shared, key)),
            ..Cache::default()
        }
    }

    /// Table `name`, resolved (from the cache when it can).
    pub(crate) fn table(&self, kv: &dyn Kv, name: &str) -> Result<Arc<Resolved>> {
        if let Some(t) = self.tables.borrow().get(name) {
            return Ok(t.clone());
        }
        let shared = match &self.shared {
            Some((shared, key)) => shared.get(*key, name),
            None => None,
        };
        let t = match shared {
            Some(t) => t,
            None => {
                let rec = load_table(kv, name)?.ok_or_else(|| TableError::TableNotFound {
                    table: name.to_owned(),
                })?;
                let t = Arc::new(resolve(kv, rec)?);
                if let Some((shared, key)) = &self.shared {
                    shared.put(*key, name, t.clone());
                }
                t
            }
        };
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
