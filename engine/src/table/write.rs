//! [`TableWriter`]: the facade over a [`WriteTxn`] through which tables are created,
//! changed and analyzed. Its DDL is in `ddl.rs`, its row changes in `dml.rs`, ANALYZE
//! in `analyze.rs`; reads come from [`TableRead`](super::TableRead).
//!
//! Invariants:
//!
//! 1. Every change to a table and its indexes happens in the one write transaction, so a
//!    commit makes them visible together and a rollback undoes them together.
//! 2. A refused operation (a [`TableError`](super::TableError) other than damage) changes
//!    nothing: every check runs before the first write, or the operation runs inside a
//!    savepoint that it rolls back (index builds).
//! 3. The catalog cache reflects the transaction's catalog: DDL forgets what it changes,
//!    and lending out the transaction ([`TableWriter::txn_mut`]) or rolling back to a
//!    savepoint forgets everything.
//! 4. A writer hands its cache (and rowid counters) back to the transaction when it is
//!    dropped, and the next writer starts from it: a prepared statement run row by row
//!    resolves its table once per transaction, not once per row. The transaction drops
//!    what it keeps on any change made past the table layer, and on every rollback to a
//!    savepoint, so a kept cache always reflects the transaction's catalog.

use std::collections::HashMap;
use std::sync::Arc;

use super::catalog::{Cache, Resolved};
use super::read::{table_read_via_access, Access};
use crate::error::Result;
use crate::txn::{Savepoint, WriteTxn};

/// Table access through a write transaction: DDL, row changes with index maintenance,
/// ANALYZE, and every read of [`TableRead`](super::TableRead). Get one with
/// [`WriteTxn::tables`]; drop it to commit or roll back the transaction.
///
/// ```
/// use covet_engine::table::{ColumnDef, IndexDef, KeyRange, TableRead, TableSchema};
/// use covet_engine::value::{SortOrder, SqlType, Value};
/// use covet_engine::Database;
///
/// let db = Database::memory()?;
/// let mut w = db.begin_write()?;
/// let mut t = w.tables();
/// t.create_table(
///     TableSchema::new(
///         "users",
///         vec![
///             ColumnDef::new("id", SqlType::BigInt).not_null(),
///             ColumnDef::new("email", SqlType::Text),
///         ],
///     )
///     .with_primary_key(vec![0]),
/// )?;
/// t.create_index(IndexDef::new("users_email", "users", vec![(1, SortOrder::Asc)]).unique())?;
/// t.insert_row("users", vec![Value::Int(1), "a@example.com".into()])?;
/// drop(t);
/// w.commit()?;
///
/// let r = db.begin_read()?;
/// let t = r.tables();
/// let found: Vec<_> = t
///     .index_scan("users_email", &KeyRange::prefix(vec!["a@example.com".into()]))?
///     .collect::<Result<_, _>>()?;
/// assert_eq!(found[0].pk, vec![Value::Int(1)]);
/// # Ok::<(), covet_engine::Error>(())
/// ```
pub struct TableWriter<'t> {
    pub(super) txn: &'t mut WriteTxn,
    pub(super) cache: Cache,
    /// The next rowid of rowid tables this writer inserted into (derived once from the
    /// rowid floor and the largest stored rowid, see `dml.rs`; forgotten whenever the
    /// transaction may have changed underneath).
    pub(super) rowids: HashMap<String, i64>,
}

impl std::fmt::Debug for TableWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("txn", &self.txn)
            .finish()
    }
}

/// What a dropped writer leaves for the next one (invariant 4).
#[derive(Default)]
struct WriterMemo {
    cache: Cache,
    rowids: HashMap<String, i64>,
}

impl<'t> TableWriter<'t> {
    /// Table access through `txn`.
    pub fn new(txn: &'t mut WriteTxn) -> TableWriter<'t> {
        let memo = txn
            .take_layer_memo()
            .and_then(|m| m.downcast::<WriterMemo>().ok())
            .map_or_else(WriterMemo::default, |m| *m);
        TableWriter {
            txn,
            cache: memo.cache,
            rowids: memo.rowids,
        }
    }

    /// The transaction underneath, for reading its trees.
    pub fn txn(&self) -> &WriteTxn {
        self.txn
    }

    /// The transaction underneath, for changing trees directly. The facade forgets its
    /// cached catalog, since the caller may change anything (even VACUUM).
    pub fn txn_mut(&mut self) -> &mut WriteTxn {
        self.forget_all();
        self.txn
    }

    /// Opens a savepoint (see [`WriteTxn::savepoint`]).
    pub fn savepoint(&mut self) -> Result<Savepoint> {
        self.txn.savepoint()
    }

    /// Undoes every change since `sp`, DDL included (see [`WriteTxn::rollback_to`]).
    pub fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        self.forget_all();
        self.txn.rollback_to(sp)
    }

    /// Closes `sp`, keeping the changes (see [`WriteTxn::release`]).
    pub fn release(&mut self, sp: Savepoint) -> Result<()> {
        self.txn.release(sp)
    }

    pub(super) fn access(&self) -> Access<'_> {
        Access {
            kv: &*self.txn,
            cache: &self.cache,
        }
    }

    pub(super) fn table(&self, name: &str) -> Result<Arc<Resolved>> {
        self.cache.table(&*self.txn, name)
    }

    pub(super) fn forget_all(&mut self) {
        self.cache.clear();
        self.rowids.clear();
    }

    /// Forgets what the cache holds about table `name` after DDL on it.
    pub(super) fn forget(&mut self, name: &str) {
        self.cache.forget(name);
        self.rowids.remove(name);
    }
}

impl Drop for TableWriter<'_> {
    fn drop(&mut self) {
        let memo = WriterMemo {
            cache: std::mem::take(&mut self.cache),
            rowids: std::mem::take(&mut self.rowids),
        };
        self.txn.keep_layer_memo(Box::new(memo));
    }
}

table_read_via_access!(TableWriter<'_>);
