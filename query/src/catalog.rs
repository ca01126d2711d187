//! [`Catalog`]: the binder's read-only view of the schema of one snapshot.
//!
//! Loaded once from a [`TableRead`] (a read or write transaction's tables) and shared
//! by every statement that runs on a snapshot with the same schema: [`CatalogCache`]
//! keeps the last catalog with the engine's `schema_cookie()` it was read at, and reloads
//! only when the cookie moved (every DDL bumps it).
//!
//! Names are stored as the engine stores them (the SQL layer folds unquoted identifiers
//! to lower case before they reach the engine, so lookups here are exact).

use std::collections::HashMap;
use std::sync::Arc;

use covet_engine::table::{IndexDef, TableRead, TableSchema};
use covet_engine::value::{SortOrder, SqlType, Value};

use crate::error::Result;
use crate::exec::storage_error;
use crate::types::DataType;

/// A column of a table as the binder sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    /// Its name.
    pub name: String,
    /// Its declared type, with limits.
    pub ty: SqlType,
    /// Whether it may hold NULL (false for primary key columns).
    pub nullable: bool,
    /// The value an INSERT that leaves it out stores.
    pub default: Option<Value>,
}

impl ColumnInfo {
    /// The kind of values the column holds.
    pub fn data_type(&self) -> DataType {
        DataType::of_sql_type(&self.ty)
    }
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    /// Its name.
    pub name: String,
    /// The indexed columns (positions in the table) with their directions, in key order.
    pub columns: Vec<(usize, SortOrder)>,
    /// Whether it is UNIQUE.
    pub unique: bool,
}

/// A table: its columns, primary key and indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    /// Its name.
    pub name: String,
    /// Its columns, in row order.
    pub columns: Vec<ColumnInfo>,
    /// The positions of the primary key columns, in key order; `None` for a rowid table.
    pub primary_key: Option<Vec<usize>>,
    /// Its secondary indexes, in creation order.
    pub indexes: Vec<IndexInfo>,
    /// The engine's definition, as loaded.
    pub schema: TableSchema,
}

impl TableInfo {
    /// The table as the engine defines it, with these indexes.
    pub fn from_schema(schema: TableSchema, indexes: &[IndexDef]) -> TableInfo {
        let columns = schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ColumnInfo {
                name: c.name.clone(),
                ty: c.ty,
                nullable: schema.is_nullable(i),
                default: c.default.clone(),
            })
            .collect();
        TableInfo {
            name: schema.name.clone(),
            columns,
            primary_key: schema.primary_key.clone(),
            indexes: indexes
                .iter()
                .map(|d| IndexInfo {
                    name: d.name.clone(),
                    columns: d.columns.clone(),
                    unique: d.unique,
                })
                .collect(),
            schema,
        }
    }

    /// The position of column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The number of values of a row's primary key (1, the rowid, without a declared key).
    pub fn pk_width(&self) -> usize {
        self.primary_key.as_ref().map_or(1, Vec::len)
    }
}

/// A view: its query's SQL text, bound where the view is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewInfo {
    /// Its name.
    pub name: String,
    /// The query's SQL text.
    pub sql: String,
    /// Its column names (empty: the query's own output names).
    pub columns: Vec<String>,
}

/// The schema of one snapshot: every table and view.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tables: HashMap<String, Arc<TableInfo>>,
    views: HashMap<String, Arc<ViewInfo>>,
}

impl Catalog {
    /// An empty catalog (no tables).
    pub fn empty() -> Catalog {
        Catalog::default()
    }

    /// Reads every table, index and view definition through `tables`.
    pub fn load(tables: &dyn TableRead) -> Result<Catalog> {
        let mut catalog = Catalog::default();
        for name in tables.list_tables().map_err(storage_error)? {
            let schema = tables.table_schema(&name).map_err(storage_error)?;
            let indexes = tables.indexes(&name).map_err(storage_error)?;
            catalog.insert(TableInfo::from_schema(schema, &indexes));
        }
        for name in tables.list_views().map_err(storage_error)? {
            if let Some(v) = tables.view(&name).map_err(storage_error)? {
                catalog.insert_view(ViewInfo {
                    name: v.name,
                    sql: v.sql,
                    columns: v.columns,
                });
            }
        }
        Ok(catalog)
    }

    /// Adds (or replaces) a view.
    pub fn insert_view(&mut self, view: ViewInfo) {
        self.views.insert(view.name.clone(), Arc::new(view));
    }

    /// The view called `name`.
    pub fn view(&self, name: &str) -> Option<&Arc<ViewInfo>> {
        self.views.get(name)
    }

    /// Adds (or replaces) a table; for tests and for statements that see their own DDL.
    pub fn insert(&mut self, table: TableInfo) {
        self.tables.insert(table.name.clone(), Arc::new(table));
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Arc<TableInfo>> {
        self.tables.get(name)
    }

    /// Every table's name, sorted.
    pub fn table_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tables.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// The last loaded [`Catalog`] with the schema cookie it was read at.
#[derive(Debug, Default)]
pub struct CatalogCache {
    cached: Option<(u64, Arc<Catalog>)>,
}

impl CatalogCache {
    /// An empty cache.
    pub fn new() -> CatalogCache {
        CatalogCache::default()
    }

    /// The catalog of a snapshot whose `schema_cookie()` is `cookie`: the cached one
    /// when the cookie matches, else loaded through `tables` (and cached).
    pub fn get(&mut self, cookie: u64, tables: &dyn TableRead) -> Result<Arc<Catalog>> {
        if let Some((c, catalog)) = &self.cached {
            if *c == cookie {
                return Ok(catalog.clone());
            }
        }
        let catalog = Arc::new(Catalog::load(tables)?);
        self.cached = Some((cookie, catalog.clone()));
        Ok(catalog)
    }

    /// Forgets the cached catalog (after a rolled-back DDL, whose cookie may be reused).
    pub fn invalidate(&mut self) {
        self.cached = None;
    }
}
