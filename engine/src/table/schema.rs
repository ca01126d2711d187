//! Table and index definitions, [`TableSchema`] and [`IndexDef`], and their validation.
//!
//! Invariants of a *valid* schema (what [`TableSchema::validate`] and
//! [`IndexDef::validate`] check, and what every other file of the table layer relies on;
//! the catalog decoder validates what it reads, so damaged bytes cannot break them):
//!
//! 1. Names (tables, columns, indexes) are 1 to [`MAX_NAME_LEN`] bytes of UTF-8. The bound
//!    is PostgreSQL's identifier limit and keeps catalog and tree-directory keys far below
//!    the key limit of the smallest page size.
//! 2. A table has 1 to [`MAX_COLUMNS`] columns with distinct names.
//! 3. A primary key, when present, lists 1 or more distinct columns that exist. Primary
//!    key columns are NOT NULL whatever their `nullable` flag says (as in SQL).
//! 4. A column's default, when present, fits the column's type.
//! 5. An index lists 1 or more distinct columns that exist in its table.
//!
//! Column positions (`usize`) index [`TableSchema::columns`]; rows are full-width vectors
//! in that order.

use super::error::TableError;
use crate::value::{SortOrder, SqlType, TypeCheckError, Value};

/// Longest name of a table, column or index, in bytes.
pub const MAX_NAME_LEN: usize = 63;

/// Most columns a table may have.
pub const MAX_COLUMNS: usize = 1600;

/// A column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// The column's name, unique within its table.
    pub name: String,
    /// Its type; stored values must pass [`SqlType::check`].
    pub ty: SqlType,
    /// Whether NULL may be stored.
    pub nullable: bool,
    /// The value the SQL layer supplies when an INSERT leaves the column out. The engine
    /// stores it and checks its type; it does not fill it in itself.
    pub default: Option<Value>,
}

impl ColumnDef {
    /// A nullable column without a default.
    pub fn new(name: impl Into<String>, ty: SqlType) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
        }
    }

    /// The same column, NOT NULL.
    pub fn not_null(mut self) -> ColumnDef {
        self.nullable = false;
        self
    }

    /// The same column with a default value.
    pub fn with_default(mut self, value: Value) -> ColumnDef {
        self.default = Some(value);
        self
    }
}

/// A table's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// The table's name, unique among tables and indexes.
    pub name: String,
    /// Its columns, in row order.
    pub columns: Vec<ColumnDef>,
    /// The positions of the primary key columns, in key order; `None` gives the table an
    /// implicit 64-bit rowid instead.
    pub primary_key: Option<Vec<usize>>,
}

impl TableSchema {
    /// A table without a primary key (rows are keyed by an implicit rowid).
    pub fn new(name: impl Into<String>, columns: Vec<ColumnDef>) -> TableSchema {
        TableSchema {
            name: name.into(),
            columns,
            primary_key: None,
        }
    }

    /// The same table keyed by the columns at `positions`.
    pub fn with_primary_key(mut self, positions: Vec<usize>) -> TableSchema {
        self.primary_key = Some(positions);
        self
    }

    /// The position of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether rows are keyed by the implicit rowid (no primary key declared).
    pub fn has_rowid(&self) -> bool {
        self.primary_key.is_none()
    }

    /// Whether the column at `position` may hold NULL (never for a primary key column).
    pub fn is_nullable(&self, position: usize) -> bool {
        let in_pk = self
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.contains(&position));
        !in_pk && self.columns.get(position).is_some_and(|c| c.nullable)
    }

    /// Checks that `row` may be stored: one value per column, each fitting its column's
    /// type, no NULL in a NOT NULL or primary key column.
    pub fn check_row(&self, row: &[Value]) -> Result<(), TableError> {
        if row.len() != self.columns.len() {
            return Err(TableError::ColumnCount {
                table: self.name.clone(),
                expected: self.columns.len(),
                found: row.len(),
            });
        }
        for (i, (c, v)) in self.columns.iter().zip(row).enumerate() {
            if v.is_null() {
                if !self.is_nullable(i) {
                    return Err(TableError::NotNull {
                        table: self.name.clone(),
                        column: c.name.clone(),
                    });
                }
                continue;
            }
            c.ty.check(v).map_err(|source| TableError::TypeMismatch {
                table: self.name.clone(),
                column: c.name.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Checks the invariants listed in the module documentation.
    pub fn validate(&self) -> Result<(), SchemaError> {
        check_name(&self.name)?;
        if self.columns.is_empty() {
            return Err(SchemaError::EmptyTable {
                table: self.name.clone(),
            });
        }
        if self.columns.len() > MAX_COLUMNS {
            return Err(SchemaError::TooManyColumns {
                table: self.name.clone(),
                count: self.columns.len(),
            });
        }
        for (i, c) in self.columns.iter().enumerate() {
            check_name(&c.name)?;
            if self.columns[..i].iter().any(|d| d.name == c.name) {
                return Err(SchemaError::DuplicateColumn {
                    table: self.name.clone(),
                    column: c.name.clone(),
                });
            }
            if let Some(d) = &c.default {
                c.ty.check(d).map_err(|source| SchemaError::BadDefault {
                    table: self.name.clone(),
                    column: c.name.clone(),
                    source,
                })?;
            }
        }
        if let Some(pk) = &self.primary_key {
            if pk.is_empty() {
                return Err(SchemaError::EmptyPrimaryKey {
                    table: self.name.clone(),
                });
            }
            self.check_positions(pk.iter().copied(), &self.name)?;
        }
        Ok(())
    }

    /// Checks that `positions` name distinct existing columns; `object` is the table or
    /// index the list belongs to, for the error.
    fn check_positions(
        &self,
        positions: impl Iterator<Item = usize> + Clone,
        object: &str,
    ) -> Result<(), SchemaError> {
        for (i, p) in positions.clone().enumerate() {
            let Some(column) = self.columns.get(p) else {
                return Err(SchemaError::UnknownColumn {
                    table: self.name.clone(),
                    position: p,
                });
            };
            if positions.clone().take(i).any(|q| q == p) {
                return Err(SchemaError::RepeatedKeyColumn {
                    object: object.to_owned(),
                    column: column.name.clone(),
                });
            }
        }
        Ok(())
    }
}

/// A secondary index's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    /// The index's name, unique among tables and indexes.
    pub name: String,
    /// The table it indexes.
    pub table: String,
    /// The indexed columns (positions in the table) with their directions, in key order.
    pub columns: Vec<(usize, SortOrder)>,
    /// Whether two rows may not share the same non-NULL values in these columns.
    pub unique: bool,
}

impl IndexDef {
    /// A non-unique index of `table` on `columns`.
    pub fn new(
        name: impl Into<String>,
        table: impl Into<String>,
        columns: Vec<(usize, SortOrder)>,
    ) -> IndexDef {
        IndexDef {
            name: name.into(),
            table: table.into(),
            columns,
            unique: false,
        }
    }

    /// The same index, unique.
    pub fn unique(mut self) -> IndexDef {
        self.unique = true;
        self
    }

    /// The directions of the indexed columns, in key order.
    pub fn orders(&self) -> Vec<SortOrder> {
        self.columns.iter().map(|&(_, o)| o).collect()
    }

    /// Checks the index against the schema of its table.
    pub fn validate(&self, table: &TableSchema) -> Result<(), SchemaError> {
        check_name(&self.name)?;
        if self.columns.is_empty() {
            return Err(SchemaError::EmptyIndex {
                index: self.name.clone(),
            });
        }
        table.check_positions(self.columns.iter().map(|&(p, _)| p), &self.name)
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), SchemaError> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > MAX_NAME_LEN {
        "longer than 63 bytes"
    } else {
        return Ok(());
    };
    Err(SchemaError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

/// Why a table or index definition is not valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A table, column or index name is empty or too long.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A table without columns.
    #[error("table {table:?} has no columns")]
    EmptyTable {
        /// The table.
        table: String,
    },
    /// More columns than [`MAX_COLUMNS`].
    #[error("table {table:?} has {count} columns, more than the limit of 1600")]
    TooManyColumns {
        /// The table.
        table: String,
        /// Its number of columns.
        count: usize,
    },
    /// Two columns share a name.
    #[error("column {column:?} appears twice in table {table:?}")]
    DuplicateColumn {
        /// The table.
        table: String,
        /// The repeated name.
        column: String,
    },
    /// A key lists a column position the table does not have.
    #[error("table {table:?} has no column at position {position}")]
    UnknownColumn {
        /// The table.
        table: String,
        /// The position asked for.
        position: usize,
    },
    /// A primary key or index lists one column twice.
    #[error("column {column:?} appears twice in the key of {object:?}")]
    RepeatedKeyColumn {
        /// The table (for its primary key) or index.
        object: String,
        /// The repeated column.
        column: String,
    },
    /// A primary key without columns.
    #[error("the primary key of table {table:?} has no columns")]
    EmptyPrimaryKey {
        /// The table.
        table: String,
    },
    /// An index without columns.
    #[error("index {index:?} has no columns")]
    EmptyIndex {
        /// The index.
        index: String,
    },
    /// A column's default does not fit its type.
    #[error("default of column {column:?} of table {table:?}: {source}")]
    BadDefault {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Why the value does not fit.
        #[source]
        source: TypeCheckError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> TableSchema {
        TableSchema::new(
            "users",
            vec![
                ColumnDef::new("id", SqlType::BigInt).not_null(),
                ColumnDef::new("name", SqlType::Text),
                ColumnDef::new("age", SqlType::Integer).with_default(Value::Int(0)),
            ],
        )
        .with_primary_key(vec![0])
    }

    #[test]
    fn valid_schema_passes() {
        let t = users();
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.column_index("age"), Some(2));
        assert!(!t.has_rowid());
        assert!(!t.is_nullable(0));
        assert!(t.is_nullable(1));
        let i = IndexDef::new("by_name", "users", vec![(1, SortOrder::Asc)]);
        assert_eq!(i.validate(&t), Ok(()));
    }

    #[test]
    fn rows_are_checked_against_the_columns() {
        let t = users();
        assert_eq!(
            t.check_row(&[Value::Int(1), Value::Null, Value::Int(3)]),
            Ok(())
        );
        assert!(matches!(
            t.check_row(&[Value::Int(1)]),
            Err(TableError::ColumnCount {
                expected: 3,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            t.check_row(&[Value::Null, Value::Null, Value::Null]),
            Err(TableError::NotNull { column, .. }) if column == "id"
        ));
        assert!(matches!(
            t.check_row(&[Value::Int(1), Value::Int(2), Value::Null]),
            Err(TableError::TypeMismatch { column, .. }) if column == "name"
        ));
        assert!(matches!(
            t.check_row(&[Value::Int(1), Value::Null, Value::Int(1 << 40)]),
            Err(TableError::TypeMismatch { column, .. }) if column == "age"
        ));
        // A primary key column is NOT NULL even when declared nullable.
        let mut t = users();
        t.columns[0].nullable = true;
        assert!(matches!(
            t.check_row(&[Value::Null, Value::Null, Value::Null]),
            Err(TableError::NotNull { .. })
        ));
    }

    #[test]
    fn each_violation_is_typed() {
        let mut t = users();
        t.columns[2].name = "name".into();
        assert!(matches!(
            t.validate(),
            Err(SchemaError::DuplicateColumn { column, .. }) if column == "name"
        ));

        let t = TableSchema::new("empty", vec![]);
        assert!(matches!(t.validate(), Err(SchemaError::EmptyTable { .. })));

        let t = users().with_primary_key(vec![3]);
        assert!(matches!(
            t.validate(),
            Err(SchemaError::UnknownColumn { position: 3, .. })
        ));
        let t = users().with_primary_key(vec![0, 0]);
        assert!(matches!(
            t.validate(),
            Err(SchemaError::RepeatedKeyColumn { .. })
        ));
        let t = users().with_primary_key(vec![]);
        assert!(matches!(
            t.validate(),
            Err(SchemaError::EmptyPrimaryKey { .. })
        ));

        let mut t = users();
        t.columns[2].default = Some(Value::Text("x".into()));
        assert!(matches!(t.validate(), Err(SchemaError::BadDefault { .. })));

        let t = TableSchema::new("x".repeat(64), vec![ColumnDef::new("a", SqlType::Text)]);
        assert!(matches!(t.validate(), Err(SchemaError::InvalidName { .. })));
        let t = TableSchema::new("t", vec![ColumnDef::new("", SqlType::Text)]);
        assert!(matches!(t.validate(), Err(SchemaError::InvalidName { .. })));

        let t = users();
        let i = IndexDef::new("i", "users", vec![]);
        assert!(matches!(
            i.validate(&t),
            Err(SchemaError::EmptyIndex { .. })
        ));
        let i = IndexDef::new("i", "users", vec![(9, SortOrder::Asc)]);
        assert!(matches!(
            i.validate(&t),
            Err(SchemaError::UnknownColumn { position: 9, .. })
        ));
        let i = IndexDef::new(
            "i",
            "users",
            vec![(1, SortOrder::Asc), (1, SortOrder::Desc)],
        );
        assert!(matches!(
            i.validate(&t),
            Err(SchemaError::RepeatedKeyColumn { object, .. }) if object == "i"
        ));
    }
}
