//! ALTER TABLE: ADD/DROP/RENAME COLUMN (the engine never rewrites rows for these),
//! RENAME TO, ADD CONSTRAINT (CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY) and DROP
//! CONSTRAINT. Every added constraint is checked against the rows already stored
//! (UNIQUE by building its index, CHECK and FOREIGN KEY by a scan, PRIMARY KEY by the
//! rewrite that keys the rows by it).
//!
//! ADD PRIMARY KEY is the one ALTER that rewrites rows: a table without a primary key
//! keys its rows by rowid, and the primary key *is* the row key, so the engine copies
//! the rows into a new tree under the key and rebuilds the indexes, in the statement's
//! write transaction (what SQLite's and PostgreSQL's table rewrites do). The rewrite is
//! O(rows) in time and holds one batch in memory.
//!
//! CHECK constraints are stored as SQL text: dropping a column drops the checks that
//! read it (as PostgreSQL does), and renaming a column rewrites the checks that name
//! it, word by word, so that the stored text keeps binding.

use covet_engine::table::{CheckDef, ColumnDef, IndexDef, TableRead, TableWriter};
use covet_engine::value::SortOrder;
use sqlparser::ast::{
    AlterTable, AlterTableOperation, ColumnOption, RenameTableNameKind, TableConstraint,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::constraint::{add_check, add_foreign_key};
use super::default::constant_default;
use super::index::{generated_name, key_column, positions};
use super::types::column_type;
use super::undefined_table;
use crate::dml::constraints::bind_check;
use crate::error::{QueryError, Result, SqlState};
use crate::session::Outcome;
use crate::statement::{done, names};

pub(super) fn alter_table(w: &mut TableWriter<'_>, at: &AlterTable) -> Result<Outcome> {
    let mut table = names::object(&at.name)?;
    if !w.table_exists(&table)? {
        if at.if_exists {
            return Ok(done("ALTER TABLE", None));
        }
        return Err(undefined_table(&table));
    }
    for op in &at.operations {
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => add_column(w, &table, column_def, *if_not_exists)?,
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                if matches!(drop_behavior, Some(sqlparser::ast::DropBehavior::Cascade)) {
                    return Err(QueryError::unsupported("DROP COLUMN … CASCADE"));
                }
                for c in column_names {
                    drop_column(w, &table, &names::ident(c), *if_exists)?;
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => rename_column(
                w,
                &table,
                &names::ident(old_column_name),
                &names::ident(new_column_name),
            )?,
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::To(n) | RenameTableNameKind::As(n)) = table_name;
                let new = names::object(n)?;
                w.rename_table(&table, &new)?;
                table = new;
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                add_constraint(w, &table, constraint)?
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => drop_constraint(w, &table, &names::ident(name), *if_exists)?,
            other => return Err(QueryError::unsupported(format!("ALTER TABLE … {other}"))),
        }
    }
    Ok(done("ALTER TABLE", None))
}

fn add_column(
    w: &mut TableWriter<'_>,
    table: &str,
    def: &sqlparser::ast::ColumnDef,
    if_not_exists: bool,
) -> Result<()> {
    let name = names::ident(&def.name);
    if w.table_schema(table)?.column_index(&name).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(QueryError::new(
            SqlState::DUPLICATE_COLUMN,
            format!("column \"{name}\" of relation \"{table}\" already exists"),
        ));
    }
    let declared = column_type(&def.data_type)?;
    if declared.serial {
        return Err(QueryError::unsupported("ADD COLUMN of a SERIAL column"));
    }
    let mut column = ColumnDef::new(name.clone(), declared.ty);
    let mut unique = None;
    let mut checks = Vec::new();
    let mut fks = Vec::new();
    for opt in &def.options {
        match &opt.option {
            ColumnOption::Null => column.nullable = true,
            ColumnOption::NotNull => column.nullable = false,
            ColumnOption::Default(e) => {
                column.default = Some(constant_default(e, &name, &declared.ty)?)
            }
            ColumnOption::Unique(_) => unique = Some(opt.name.as_ref().map(names::ident)),
            ColumnOption::Check(c) => {
                checks.push((c.name.as_ref().or(opt.name.as_ref()), c.expr.as_ref()))
            }
            ColumnOption::ForeignKey(fk) => fks.push(fk),
            ColumnOption::PrimaryKey(_) => {
                return Err(QueryError::unsupported("ADD COLUMN … PRIMARY KEY"))
            }
            other => return Err(QueryError::unsupported(format!("column option {other}"))),
        }
    }
    w.add_column(table, column)?;
    if let Some(index_name) = unique {
        let cols = vec![(name.clone(), SortOrder::Asc)];
        let index_name = match index_name {
            Some(n) => n,
            None => generated_name(w, table, &cols, "key")?,
        };
        let cols = positions(w, table, &cols)?;
        w.create_index(IndexDef::new(index_name, table, cols).unique())?;
    }
    for (n, e) in checks {
        add_check(w, table, n, Some(&name), e)?;
    }
    for fk in fks {
        add_foreign_key(w, table, fk, std::slice::from_ref(&name))?;
    }
    Ok(())
}

/// Whether the CHECK text `sql` reads column `column` of `table`.
fn check_reads(w: &TableWriter<'_>, table: &str, check: &CheckDef, column: &str) -> Result<bool> {
    let schema = w.table_schema(table)?;
    let Some(pos) = schema.column_index(column) else {
        return Ok(false);
    };
    let bound = bind_check(&check.sql, &schema)?;
    let mut read = Vec::new();
    bound.collect_columns(&mut read);
    Ok(read.contains(&pos))
}

fn drop_column(w: &mut TableWriter<'_>, table: &str, column: &str, if_exists: bool) -> Result<()> {
    if w.table_schema(table)?.column_index(column).is_none() {
        if if_exists {
            return Ok(());
        }
        return Err(QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{table}\" does not exist"),
        ));
    }
    for check in w.checks(table)? {
        if check_reads(w, table, &check, column)? {
            w.drop_constraint(table, &check.name)?;
        }
    }
    // As in PostgreSQL, an index on the column goes with it (the engine refuses, 2BP01,
    // when a foreign key needs it as its referenced key).
    let position = w.table_schema(table)?.column_index(column);
    for index in w.indexes(table)? {
        if index.columns.iter().any(|&(p, _)| Some(p) == position) {
            w.drop_index(&index.name)?;
        }
    }
    w.drop_column(table, column)?;
    Ok(())
}

/// `sql` with every unquoted or quoted word equal to `old` replaced by `new` (quoted).
fn rename_word(sql: &str, old: &str, new: &str) -> Result<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize()
        .map_err(|e| QueryError::internal(format!("stored CHECK text does not tokenize: {e}")))?;
    let mut out = String::with_capacity(sql.len());
    for t in tokens {
        match &t {
            Token::Word(w)
                if names::ident(&sqlparser::ast::Ident {
                    value: w.value.clone(),
                    quote_style: w.quote_style,
                    span: sqlparser::tokenizer::Span::empty(),
                }) == old =>
            {
                out.push('"');
                out.push_str(&new.replace('"', "\"\""));
                out.push('"');
            }
            _ => out.push_str(&t.to_string()),
        }
    }
    Ok(out)
}

fn rename_column(w: &mut TableWriter<'_>, table: &str, old: &str, new: &str) -> Result<()> {
    let checks = w.checks(table)?;
    let mut affected = Vec::new();
    for check in checks {
        if check_reads(w, table, &check, old)? {
            affected.push(check);
        }
    }
    w.rename_column(table, old, new)?;
    for check in affected {
        w.drop_constraint(table, &check.name)?;
        let sql = rename_word(&check.sql, old, new)?;
        w.add_check(CheckDef { sql, ..check })?;
    }
    Ok(())
}

fn add_constraint(w: &mut TableWriter<'_>, table: &str, c: &TableConstraint) -> Result<()> {
    match c {
        TableConstraint::Check(ch) => add_check(w, table, ch.name.as_ref(), None, &ch.expr),
        TableConstraint::ForeignKey(fk) => add_foreign_key(w, table, fk, &[]),
        TableConstraint::Unique(u) => {
            let cols = u
                .columns
                .iter()
                .map(key_column)
                .collect::<Result<Vec<_>>>()?;
            let name = match &u.name {
                Some(n) => names::ident(n),
                None => generated_name(w, table, &cols, "key")?,
            };
            let cols = positions(w, table, &cols)?;
            w.create_index(IndexDef::new(name, table, cols).unique())?;
            Ok(())
        }
        TableConstraint::PrimaryKey(pk) => add_primary_key(w, table, pk),
        other => Err(QueryError::unsupported(format!("constraint {other}"))),
    }
}

/// ADD PRIMARY KEY to a table created without one: the engine rewrites its rows under
/// the key in this write transaction (`engine/src/table/rekey.rs`), checking every row
/// (23502 for a NULL, 23505 for a duplicate, nothing changed on either); the key
/// columns become NOT NULL.
fn add_primary_key(
    w: &mut TableWriter<'_>,
    table: &str,
    pk: &sqlparser::ast::PrimaryKeyConstraint,
) -> Result<()> {
    if w.table_schema(table)?.primary_key.is_some() {
        return Err(QueryError::new(
            SqlState::INVALID_TABLE_DEFINITION,
            format!("multiple primary keys for table \"{table}\" are not allowed"),
        ));
    }
    if !pk.include.is_empty() || pk.index_type.is_some() || !pk.index_options.is_empty() {
        return Err(QueryError::unsupported(
            "PRIMARY KEY … INCLUDE / USING / index options",
        ));
    }
    let mut columns = Vec::with_capacity(pk.columns.len());
    for c in &pk.columns {
        let (name, order) = key_column(c)?;
        if order != SortOrder::Asc {
            return Err(QueryError::unsupported("a descending primary key column"));
        }
        columns.push((name, order));
    }
    let positions = positions(w, table, &columns)?
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    w.add_primary_key(table, positions)?;
    Ok(())
}

fn drop_constraint(
    w: &mut TableWriter<'_>,
    table: &str,
    name: &str,
    if_exists: bool,
) -> Result<()> {
    let is_constraint = w.checks(table)?.iter().any(|c| c.name == name)
        || w.foreign_keys(table)?.iter().any(|f| f.name == name);
    if is_constraint {
        w.drop_constraint(table, name)?;
        return Ok(());
    }
    if w.indexes(table)?.iter().any(|i| i.name == name && i.unique) {
        w.drop_index(name)?;
        return Ok(());
    }
    if if_exists {
        return Ok(());
    }
    Err(QueryError::new(
        SqlState::UNDEFINED_OBJECT,
        format!("constraint \"{name}\" of relation \"{table}\" does not exist"),
    ))
}

#[cfg(test)]
mod tests {
    use super::rename_word;

    #[test]
    fn renaming_words_in_check_text() {
        assert_eq!(
            rename_word("a > 0 AND \"a\" < b", "a", "z").unwrap(),
            "\"z\" > 0 AND \"z\" < b"
        );
        assert_eq!(rename_word("'a' = A", "a", "q").unwrap(), "'a' = \"q\"");
    }
}
