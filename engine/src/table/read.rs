//! Reading tables: the [`TableRead`] trait (lookups, scans, index seeks, catalog
//! queries), its row iterators, and [`TableReader`], the read-only facade over a
//! [`ReadTxn`].
//!
//! Every method here works the same on a read and on a write transaction: both facades
//! implement [`TableRead`] through the crate-private `Access`, which holds the
//! transaction's trees (`Kv`) and the catalog [`Cache`]. Scans are lazy and stream: they
//! hold one cursor (plus one lookup per row for index scans), whatever the table's size.
//!
//! Rows come back exactly as stored (a decimal keeps its scale, a float its bits). Values
//! decoded from index keys ([`IndexEntry`]) are numerically equal to the stored ones but
//! canonical (see `keys::retype`).

use std::sync::Arc;

use super::catalog::{self, Cache, Resolved};
use super::error::TableError;
use super::keys::{self, KeyRange};
use super::kv::Kv;
pub(crate) use super::layout::decode_stored_row;
use super::layout::{check_positions, decode_projected};
use super::objects::{CheckDef, ForeignKeyDef, SequenceDef, SequenceState, ViewDef};
use super::schema::{IndexDef, TableSchema};
use crate::error::{Error, Result};
use crate::integrity::Problem;
use crate::stats::TableStats;
use crate::txn::{RangeIter, ReadTxn};
use crate::value::{decode_key, decode_key_prefix, SortOrder, Value};

/// A row read from a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its primary key values (`[Int(rowid)]` for a table without a primary key): what
    /// [`TableWriter::update_row`](super::TableWriter::update_row) and
    /// [`delete_row`](super::TableWriter::delete_row) take.
    pub pk: Vec<Value>,
    /// Every column's value, in the table's column order; or, from a projected read
    /// (`scan_columns`, `index_scan_columns`), the projected columns' values only, in
    /// the projection's order.
    pub values: Vec<Value>,
}

/// An index entry, decoded from its key alone (no row lookup).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// The indexed columns' values, in index order (canonical; see the module docs).
    pub values: Vec<Value>,
    /// The primary key of its row (`[Int(rowid)]` without a primary key).
    pub pk: Vec<Value>,
}

/// Read access to tables, implemented by [`TableReader`] and
/// [`TableWriter`](super::TableWriter). Object safe: an executor can hold a
/// `&dyn TableRead`.
pub trait TableRead {
    /// Every table's name, sorted by bytes.
    fn list_tables(&self) -> Result<Vec<String>>;
    /// Whether table `table` exists.
    fn table_exists(&self, table: &str) -> Result<bool>;
    /// The definition of `table`.
    fn table_schema(&self, table: &str) -> Result<TableSchema>;
    /// The indexes of `table`, in creation order.
    fn indexes(&self, table: &str) -> Result<Vec<IndexDef>>;
    /// Whether index `index` exists.
    fn index_exists(&self, index: &str) -> Result<bool>;
    /// The definition of index `index`.
    fn index_def(&self, index: &str) -> Result<IndexDef>;
    /// The row with primary key `pk` (`[Int(rowid)]` without a primary key).
    fn get_row(&self, table: &str, pk: &[Value]) -> Result<Option<Vec<Value>>>;
    /// Every row of `table`, in primary key order.
    fn scan(&self, table: &str) -> Result<Rows<'_>> {
        self.scan_range(table, &KeyRange::all())
    }
    /// The rows of `table` whose primary key is in `range`, in primary key order (or
    /// reversed).
    fn scan_range(&self, table: &str, range: &KeyRange) -> Result<Rows<'_>>;
    /// The rows whose entries of index `index` are in `range` (over the indexed columns,
    /// then the primary key), in index order (or reversed).
    fn index_scan(&self, index: &str, range: &KeyRange) -> Result<IndexRows<'_>>;
    /// The entries of index `index` in `range`, without reading the rows.
    fn index_entries(&self, index: &str, range: &KeyRange) -> Result<IndexEntries<'_>>;
    /// The statistics [`TableWriter::analyze`](super::TableWriter::analyze) stored for
    /// `table`, if any.
    fn table_stats(&self, table: &str) -> Result<Option<TableStats>>;
    /// Checks `table` against its indexes (see `integrity.rs` of this module): every
    /// problem found, empty when sound.
    fn check_table(&self, table: &str) -> Result<Vec<Problem>>;

    /// The values of the columns at `columns` (visible positions, any order, repeats
    /// allowed) of the row with primary key `pk`, in the order of `columns`. Only those
    /// columns are decoded. Refusal: `SchemaError::UnknownColumn` for a position past
    /// the last column.
    fn get_row_columns(
        &self,
        table: &str,
        pk: &[Value],
        columns: &[usize],
    ) -> Result<Option<Vec<Value>>>;
    /// [`scan_range`](Self::scan_range) decoding only the columns at `columns`: each
    /// [`Row`] holds its primary key and the values of `columns`, in that order (not
    /// full width). Refuses like [`get_row_columns`](Self::get_row_columns).
    fn scan_columns(&self, table: &str, range: &KeyRange, columns: &[usize]) -> Result<Rows<'_>>;
    /// [`index_scan`](Self::index_scan) decoding only the columns at `columns`, as
    /// [`scan_columns`](Self::scan_columns) does.
    fn index_scan_columns(
        &self,
        index: &str,
        range: &KeyRange,
        columns: &[usize],
    ) -> Result<IndexRows<'_>>;

    /// Every view's name, sorted by bytes.
    fn list_views(&self) -> Result<Vec<String>>;
    /// View `view`, if it exists.
    fn view(&self, view: &str) -> Result<Option<ViewDef>>;
    /// Every sequence's name, sorted by bytes.
    fn list_sequences(&self) -> Result<Vec<String>>;
    /// Sequence `sequence` and where it stands, if it exists.
    fn sequence(&self, sequence: &str) -> Result<Option<(SequenceDef, SequenceState)>>;
    /// The CHECK constraints of `table`, by name.
    fn checks(&self, table: &str) -> Result<Vec<CheckDef>>;
    /// The FOREIGN KEY constraints of `table` (as the referencing table), by name.
    fn foreign_keys(&self, table: &str) -> Result<Vec<ForeignKeyDef>>;
    /// The FOREIGN KEY constraints that reference `table` (of any table, itself
    /// included), by referencing table then name: what a DELETE or key UPDATE of
    /// `table` must enforce.
    fn foreign_keys_referencing(&self, table: &str) -> Result<Vec<ForeignKeyDef>>;
    /// The default expression text of each column of `table` (one entry per visible
    /// column, in column order), as stored by
    /// [`set_column_default_sql`](super::TableWriter::set_column_default_sql).
    fn column_default_sql(&self, table: &str) -> Result<Vec<Option<String>>>;
    /// The SQL text stored for `table` by
    /// [`set_table_sql`](super::TableWriter::set_table_sql), if any.
    fn table_sql(&self, table: &str) -> Result<Option<String>>;
}

/// The shared implementation of [`TableRead`].
pub(crate) struct Access<'a> {
    pub kv: &'a dyn Kv,
    pub cache: &'a Cache,
}

impl<'a> Access<'a> {
    pub(crate) fn table(&self, name: &str) -> Result<Arc<Resolved>> {
        self.cache.table(self.kv, name)
    }

    pub(crate) fn list_tables(&self) -> Result<Vec<String>> {
        catalog::table_names(self.kv)
    }

    pub(crate) fn table_exists(&self, table: &str) -> Result<bool> {
        self.cache.has_table(self.kv, table)
    }

    pub(crate) fn table_schema(&self, table: &str) -> Result<TableSchema> {
        Ok(self.table(table)?.schema().clone())
    }

    pub(crate) fn indexes(&self, table: &str) -> Result<Vec<IndexDef>> {
        let t = self.table(table)?;
        Ok(t.rec.indexes.iter().map(|i| i.def.clone()).collect())
    }

    pub(crate) fn index_exists(&self, index: &str) -> Result<bool> {
        self.cache.has_index(self.kv, index)
    }

    pub(crate) fn index_def(&self, index: &str) -> Result<IndexDef> {
        let (t, i) = self.cache.index(self.kv, index)?;
        Ok(t.rec.indexes[i].def.clone())
    }

    pub(crate) fn get_row(&self, table: &str, pk: &[Value]) -> Result<Option<Vec<Value>>> {
        let t = self.table(table)?;
        let key = checked_row_key(&t, pk)?;
        match self.kv.get(&t.tree, &key)? {
            Some(v) => decode_stored_row(&t, v.value()).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn scan_range(&self, table: &str, range: &KeyRange) -> Result<Rows<'a>> {
        self.scan_projected(table, range, None)
    }

    pub(crate) fn scan_projected(
        &self,
        table: &str,
        range: &KeyRange,
        columns: Option<&[usize]>,
    ) -> Result<Rows<'a>> {
        let t = self.table(table)?;
        let projection = projection(&t, columns)?;
        let width = keys::pk_width(t.schema());
        let (lo, hi) = range.to_bytes(&[], width, t.name())?;
        Ok(Rows {
            inner: self.kv.range(&t.tree, lo, hi, range.reverse),
            table: t,
            projection,
        })
    }

    pub(crate) fn get_row_columns(
        &self,
        table: &str,
        pk: &[Value],
        columns: &[usize],
    ) -> Result<Option<Vec<Value>>> {
        let t = self.table(table)?;
        check_positions(&t, columns)?;
        let key = checked_row_key(&t, pk)?;
        match self.kv.get(&t.tree, &key)? {
            Some(v) => Ok(Some(decode_projected(&t, v.value(), columns)?.0)),
            None => Ok(None),
        }
    }

    fn index_range(
        &self,
        index: &str,
        range: &KeyRange,
    ) -> Result<(Arc<Resolved>, usize, RangeIter<'a>)> {
        let (t, i) = self.cache.index(self.kv, index)?;
        let def = &t.rec.indexes[i].def;
        let width = def.columns.len() + keys::pk_width(t.schema());
        let (lo, hi) = range.to_bytes(&def.orders(), width, index)?;
        let inner = self.kv.range(&t.index_trees[i], lo, hi, range.reverse);
        Ok((t, i, inner))
    }

    pub(crate) fn index_scan(&self, index: &str, range: &KeyRange) -> Result<IndexRows<'a>> {
        self.index_scan_projected(index, range, None)
    }

    pub(crate) fn index_scan_projected(
        &self,
        index: &str,
        range: &KeyRange,
        columns: Option<&[usize]>,
    ) -> Result<IndexRows<'a>> {
        let (table, index, inner) = self.index_range(index, range)?;
        let projection = projection(&table, columns)?;
        let orders = table.rec.indexes[index].def.orders();
        Ok(IndexRows {
            kv: self.kv,
            inner,
            table,
            index,
            orders,
            projection,
        })
    }

    pub(crate) fn index_entries(&self, index: &str, range: &KeyRange) -> Result<IndexEntries<'a>> {
        let (table, index, inner) = self.index_range(index, range)?;
        Ok(IndexEntries {
            inner,
            table,
            index,
        })
    }

    pub(crate) fn table_stats(&self, table: &str) -> Result<Option<TableStats>> {
        if !self.table_exists(table)? {
            return Err(TableError::TableNotFound {
                table: table.to_owned(),
            }
            .into());
        }
        catalog::load_stats(self.kv, table)
    }
}

/// The row key of `pk` for table `t`, checking the number of values.
pub(crate) fn checked_row_key(t: &Resolved, pk: &[Value]) -> Result<Vec<u8>> {
    let width = keys::pk_width(t.schema());
    if pk.len() != width {
        return Err(TableError::KeyArity {
            object: t.name().to_owned(),
            expected: width,
            found: pk.len(),
        }
        .into());
    }
    Ok(keys::row_key(pk))
}

/// The primary key of a stored row, from its values or (rowid tables) its key.
pub(crate) fn row_pk(t: &Resolved, key: &[u8], values: &[Value]) -> Result<Vec<Value>> {
    if t.schema().has_rowid() {
        decode_key(key, &[]).map_err(|source| {
            Error::Table(TableError::KeyCorrupt {
                object: t.name().to_owned(),
                source,
            })
        })
    } else {
        Ok(keys::pk_values(t.schema(), values))
    }
}

/// Where the row key starts in an entry key of index `i` of `t`, with the indexed values.
pub(crate) fn split_index_key(t: &Resolved, i: usize, key: &[u8]) -> Result<(Vec<Value>, usize)> {
    let def = &t.rec.indexes[i].def;
    decode_key_prefix(key, &def.orders(), def.columns.len()).map_err(|source| {
        Error::Table(TableError::KeyCorrupt {
            object: def.name.clone(),
            source,
        })
    })
}

/// The checked projection of a projected read.
fn projection(t: &Resolved, columns: Option<&[usize]>) -> Result<Option<Arc<[usize]>>> {
    columns
        .map(|c| check_positions(t, c).map(|()| Arc::from(c)))
        .transpose()
}

/// The [`Row`] of the stored row `bytes` under `key`, full width or projected.
fn read_row(t: &Resolved, key: &[u8], bytes: &[u8], projection: Option<&[usize]>) -> Result<Row> {
    match projection {
        None => {
            let values = decode_stored_row(t, bytes)?;
            let pk = row_pk(t, key, &values)?;
            Ok(Row { pk, values })
        }
        Some(columns) => {
            let (values, pk) = decode_projected(t, bytes, columns)?;
            let pk = if t.schema().has_rowid() {
                row_pk(t, key, &[])?
            } else {
                pk
            };
            Ok(Row { pk, values })
        }
    }
}

/// The rows of a table in key order: see [`TableRead::scan_range`] and
/// [`TableRead::scan_columns`].
pub struct Rows<'t> {
    inner: RangeIter<'t>,
    table: Arc<Resolved>,
    projection: Option<Arc<[usize]>>,
}

impl Iterator for Rows<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let entry = match self.inner.next()? {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        Some(read_row(
            &self.table,
            entry.key(),
            entry.value(),
            self.projection.as_deref(),
        ))
    }
}

/// The rows of an index range: see [`TableRead::index_scan`].
pub struct IndexRows<'t> {
    kv: &'t dyn Kv,
    inner: RangeIter<'t>,
    table: Arc<Resolved>,
    index: usize,
    /// The index's column directions, computed once for every entry's key.
    orders: Vec<SortOrder>,
    projection: Option<Arc<[usize]>>,
}

impl Iterator for IndexRows<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let entry = match self.inner.next()? {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        let t = &self.table;
        Some((|| {
            let def = &t.rec.indexes[self.index].def;
            let (_, at) = decode_key_prefix(entry.key(), &self.orders, def.columns.len()).map_err(
                |source| {
                    Error::Table(TableError::KeyCorrupt {
                        object: def.name.clone(),
                        source,
                    })
                },
            )?;
            let row_key = &entry.key()[at..];
            let Some(bytes) = self.kv.get(&t.tree, row_key)? else {
                return Err(TableError::DanglingIndexEntry {
                    index: t.rec.indexes[self.index].def.name.clone(),
                    table: t.name().to_owned(),
                }
                .into());
            };
            read_row(t, row_key, bytes.value(), self.projection.as_deref())
        })())
    }
}

/// The entries of an index range: see [`TableRead::index_entries`].
pub struct IndexEntries<'t> {
    inner: RangeIter<'t>,
    table: Arc<Resolved>,
    index: usize,
}

impl Iterator for IndexEntries<'_> {
    type Item = Result<IndexEntry>;

    fn next(&mut self) -> Option<Result<IndexEntry>> {
        let entry = match self.inner.next()? {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        let t = &self.table;
        Some((|| {
            let (values, at) = split_index_key(t, self.index, entry.key())?;
            let pk = decode_key(&entry.key()[at..], &[]).map_err(|source| {
                Error::Table(TableError::KeyCorrupt {
                    object: t.rec.indexes[self.index].def.name.clone(),
                    source,
                })
            })?;
            let def = &t.rec.indexes[self.index].def;
            let columns = &t.schema().columns;
            let values = values
                .into_iter()
                .zip(&def.columns)
                .map(|(v, &(p, _))| match columns.get(p) {
                    Some(c) => keys::retype(v, c.ty),
                    None => v,
                })
                .collect();
            let pk = pk
                .into_iter()
                .zip(keys::pk_types(t.schema()))
                .map(|(v, ty)| keys::retype(v, ty))
                .collect();
            Ok(IndexEntry { values, pk })
        })())
    }
}

/// Read-only access to the tables of a [`ReadTxn`]: one snapshot, so the catalog it caches
/// never changes under it. Get one with [`ReadTxn::tables`].
pub struct TableReader<'t> {
    txn: &'t ReadTxn,
    cache: Cache,
}

impl std::fmt::Debug for TableReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableReader")
            .field("txn", &self.txn)
            .finish()
    }
}

impl<'t> TableReader<'t> {
    /// Table access through `txn`.
    pub fn new(txn: &'t ReadTxn) -> TableReader<'t> {
        let (shared, key) = txn.shared_tables();
        TableReader {
            txn,
            cache: Cache::sharing(shared.clone(), key),
        }
    }

    /// The transaction underneath.
    pub fn txn(&self) -> &'t ReadTxn {
        self.txn
    }

    fn access(&self) -> Access<'_> {
        Access {
            kv: self.txn,
            cache: &self.cache,
        }
    }
}

/// Implements [`TableRead`] for a type with an `access(&self) -> Access<'_>` method.
macro_rules! table_read_via_access {
    ($ty:ty) => {
        impl $crate::table::TableRead for $ty {
            fn list_tables(&self) -> $crate::Result<Vec<String>> {
                self.access().list_tables()
            }
            fn table_exists(&self, table: &str) -> $crate::Result<bool> {
                self.access().table_exists(table)
            }
            fn table_schema(&self, table: &str) -> $crate::Result<$crate::table::TableSchema> {
                self.access().table_schema(table)
            }
            fn indexes(&self, table: &str) -> $crate::Result<Vec<$crate::table::IndexDef>> {
                self.access().indexes(table)
            }
            fn index_exists(&self, index: &str) -> $crate::Result<bool> {
                self.access().index_exists(index)
            }
            fn index_def(&self, index: &str) -> $crate::Result<$crate::table::IndexDef> {
                self.access().index_def(index)
            }
            fn get_row(
                &self,
                table: &str,
                pk: &[$crate::value::Value],
            ) -> $crate::Result<Option<Vec<$crate::value::Value>>> {
                self.access().get_row(table, pk)
            }
            fn scan_range(
                &self,
                table: &str,
                range: &$crate::table::KeyRange,
            ) -> $crate::Result<$crate::table::Rows<'_>> {
                self.access().scan_range(table, range)
            }
            fn index_scan(
                &self,
                index: &str,
                range: &$crate::table::KeyRange,
            ) -> $crate::Result<$crate::table::IndexRows<'_>> {
                self.access().index_scan(index, range)
            }
            fn index_entries(
                &self,
                index: &str,
                range: &$crate::table::KeyRange,
            ) -> $crate::Result<$crate::table::IndexEntries<'_>> {
                self.access().index_entries(index, range)
            }
            fn table_stats(
                &self,
                table: &str,
            ) -> $crate::Result<Option<$crate::stats::TableStats>> {
                self.access().table_stats(table)
            }
            fn check_table(&self, table: &str) -> $crate::Result<Vec<$crate::Problem>> {
                self.access().check_table(table)
            }
            fn get_row_columns(
                &self,
                table: &str,
                pk: &[$crate::value::Value],
                columns: &[usize],
            ) -> $crate::Result<Option<Vec<$crate::value::Value>>> {
                self.access().get_row_columns(table, pk, columns)
            }
            fn scan_columns(
                &self,
                table: &str,
                range: &$crate::table::KeyRange,
                columns: &[usize],
            ) -> $crate::Result<$crate::table::Rows<'_>> {
                self.access().scan_projected(table, range, Some(columns))
            }
            fn index_scan_columns(
                &self,
                index: &str,
                range: &$crate::table::KeyRange,
                columns: &[usize],
            ) -> $crate::Result<$crate::table::IndexRows<'_>> {
                self.access()
                    .index_scan_projected(index, range, Some(columns))
            }
            fn list_views(&self) -> $crate::Result<Vec<String>> {
                self.access().list_views()
            }
            fn view(&self, view: &str) -> $crate::Result<Option<$crate::table::ViewDef>> {
                self.access().view(view)
            }
            fn list_sequences(&self) -> $crate::Result<Vec<String>> {
                self.access().list_sequences()
            }
            fn sequence(
                &self,
                sequence: &str,
            ) -> $crate::Result<Option<($crate::table::SequenceDef, $crate::table::SequenceState)>>
            {
                self.access().sequence(sequence)
            }
            fn checks(&self, table: &str) -> $crate::Result<Vec<$crate::table::CheckDef>> {
                self.access().checks(table)
            }
            fn foreign_keys(
                &self,
                table: &str,
            ) -> $crate::Result<Vec<$crate::table::ForeignKeyDef>> {
                self.access().foreign_keys(table)
            }
            fn foreign_keys_referencing(
                &self,
                table: &str,
            ) -> $crate::Result<Vec<$crate::table::ForeignKeyDef>> {
                self.access().foreign_keys_referencing(table)
            }
            fn column_default_sql(&self, table: &str) -> $crate::Result<Vec<Option<String>>> {
                self.access().column_default_sql(table)
            }
            fn table_sql(&self, table: &str) -> $crate::Result<Option<String>> {
                self.access().table_sql(table)
            }
        }
    };
}
pub(crate) use table_read_via_access;

table_read_via_access!(TableReader<'_>);
