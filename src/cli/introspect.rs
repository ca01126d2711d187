//! What the meta-commands show about a database: its tables (columns, keys, indexes,
//! CHECK and FOREIGN KEY constraints) and views, read through the engine's table layer over a read transaction (so they
//! show what is committed, not a connection's open transaction).

use covet::engine::table::{
    CheckDef, FkAction, ForeignKeyDef, IndexDef, TableRead, TableSchema, ViewDef,
};
use covet::engine::value::{SortOrder, Value};
use covet::{Database, QueryError, SqlState};

/// Names of the tables, sorted. The engine's own trees are not tables, so nothing
/// needs filtering here.
pub fn table_names(db: &Database) -> covet::Result<Vec<String>> {
    let txn = db.engine().begin_read()?;
    Ok(txn.tables().list_tables()?)
}

/// Names of the views, sorted.
pub fn view_names(db: &Database) -> covet::Result<Vec<String>> {
    let txn = db.engine().begin_read()?;
    Ok(txn.tables().list_views()?)
}

/// Every view's definition, sorted by name.
pub fn views(db: &Database) -> covet::Result<Vec<ViewDef>> {
    let txn = db.engine().begin_read()?;
    let tables = txn.tables();
    let mut out = Vec::new();
    for name in tables.list_views()? {
        if let Some(v) = tables.view(&name)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// A stored trigger (name, table, CREATE TRIGGER text).
pub use covet::query::StoredTrigger as Trigger;

/// Every trigger, by name (none when no trigger was ever created).
pub fn triggers(db: &Database) -> covet::Result<Vec<Trigger>> {
    let txn = db.engine().begin_read()?;
    let tree = match txn.open_tree(covet::query::TRIGGER_TREE) {
        Ok(t) => t,
        Err(covet::engine::Error::TreeNotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in txn.iter(&tree) {
        let entry = entry?;
        out.push(covet::query::decode_stored_trigger(
            entry.key(),
            entry.value(),
        ));
    }
    Ok(out)
}

/// A table's definition, its indexes and its constraints.
pub struct TableInfo {
    /// Columns and primary key.
    pub schema: TableSchema,
    /// Secondary indexes, in creation order.
    pub indexes: Vec<IndexDef>,
    /// CHECK constraints, by name.
    pub checks: Vec<CheckDef>,
    /// FOREIGN KEY constraints, by name, each with the referenced columns' names.
    pub foreign_keys: Vec<(ForeignKeyDef, Vec<String>)>,
    /// Each column's DEFAULT expression as SQL text, when it is not a constant
    /// (`now()`, `nextval('t_id_seq')`); one entry per column.
    pub default_sql: Vec<Option<String>>,
}

impl TableInfo {
    /// Column `i`'s DEFAULT clause as SQL: its expression, or its constant.
    pub fn default_text(&self, i: usize) -> Option<String> {
        if let Some(Some(sql)) = self.default_sql.get(i) {
            return Some(sql.clone());
        }
        self.schema.columns.get(i)?.default.as_ref().map(literal)
    }
}

fn load(tables: &impl TableRead, name: &str) -> covet::Result<TableInfo> {
    let mut foreign_keys = Vec::new();
    for fk in tables.foreign_keys(name)? {
        let referenced = tables.table_schema(&fk.ref_table)?;
        let names = fk
            .ref_columns
            .iter()
            .map(|&p| column_name(&referenced, p))
            .collect();
        foreign_keys.push((fk, names));
    }
    Ok(TableInfo {
        schema: tables.table_schema(name)?,
        indexes: tables.indexes(name)?,
        checks: tables.checks(name)?,
        foreign_keys,
        default_sql: tables.column_default_sql(name)?,
    })
}

/// The definition of `table`; 42P01 when there is no such table.
pub fn describe(db: &Database, table: &str) -> covet::Result<TableInfo> {
    let txn = db.engine().begin_read()?;
    let tables = txn.tables();
    let name = resolve(&tables, table)?;
    load(&tables, &name)
}

/// Every table's definition, sorted by name.
pub fn describe_all(db: &Database) -> covet::Result<Vec<TableInfo>> {
    let txn = db.engine().begin_read()?;
    let tables = txn.tables();
    let mut out = Vec::new();
    for name in tables.list_tables()? {
        out.push(load(&tables, &name)?);
    }
    Ok(out)
}

fn column_name(schema: &TableSchema, position: usize) -> String {
    schema
        .columns
        .get(position)
        .map_or_else(|| format!("#{position}"), |c| ident(&c.name))
}

/// A FOREIGN KEY constraint as SQL (`FOREIGN KEY (a) REFERENCES p (id) ON DELETE CASCADE`).
pub fn foreign_key(fk: &ForeignKeyDef, ref_names: &[String], schema: &TableSchema) -> String {
    let cols: Vec<String> = fk.columns.iter().map(|&p| column_name(schema, p)).collect();
    let mut out = format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        cols.join(", "),
        ident(&fk.ref_table),
        ref_names.join(", ")
    );
    for (when, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
        let action = match action {
            FkAction::NoAction => continue,
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        };
        out.push_str(&format!(" ON {when} {action}"));
    }
    out
}

/// `CREATE VIEW name AS query;`
pub fn create_view(view: &ViewDef) -> String {
    let columns = if view.columns.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = view.columns.iter().map(|c| ident(c)).collect();
        format!(" ({})", names.join(", "))
    };
    format!(
        "CREATE VIEW {}{columns} AS {};\n",
        ident(&view.name),
        view.sql.trim_end_matches(';')
    )
}

/// The stored name a user's `table` means: itself when it exists, else its lower-case
/// form (SQL folds unquoted names), else 42P01.
fn resolve(tables: &impl TableRead, table: &str) -> covet::Result<String> {
    let bare = table
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .map(|t| t.replace("\"\"", "\""));
    let candidates = match bare {
        Some(exact) => vec![exact],
        None => vec![table.to_owned(), table.to_lowercase()],
    };
    for c in candidates {
        if tables.table_exists(&c)? {
            return Ok(c);
        }
    }
    Err(QueryError::new(
        SqlState::UNDEFINED_TABLE,
        format!("relation \"{table}\" does not exist"),
    )
    .into())
}

/// `name` as a SQL identifier: bare when it is a plain lower-case name, else quoted.
pub fn ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A value as a SQL literal (for DEFAULT clauses).
pub fn literal(v: &Value) -> String {
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
    match v {
        Value::Null => "NULL".to_owned(),
        Value::Bool(b) => b.to_string().to_uppercase(),
        Value::Int(_) | Value::Decimal(_) => v.to_string(),
        Value::Float(x) if x.is_finite() => v.to_string(),
        Value::Text(s) => quoted(s),
        other => format!("{}::{}", quoted(&other.to_string()), other.type_name()),
    }
}

/// The key columns of an index, as SQL (`b DESC, c`).
pub fn index_columns(def: &IndexDef, schema: &TableSchema) -> String {
    def.columns
        .iter()
        .map(|&(pos, order)| {
            let name = column_name(schema, pos);
            match order {
                SortOrder::Asc => name,
                SortOrder::Desc => format!("{name} DESC"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The primary key columns, as SQL (`a, b`), if the table declares one.
pub fn primary_key(schema: &TableSchema) -> Option<String> {
    let pk = schema.primary_key.as_ref()?;
    Some(
        pk.iter()
            .map(|&p| {
                schema
                    .columns
                    .get(p)
                    .map_or_else(|| format!("#{p}"), |c| ident(&c.name))
            })
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// `CREATE TABLE …;` and a `CREATE INDEX …;` per index, each on its own lines.
pub fn create_statements(info: &TableInfo) -> String {
    let s = &info.schema;
    let mut parts: Vec<String> = s
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut col = format!("    {} {}", ident(&c.name), c.ty);
            let in_pk = s.primary_key.as_ref().is_some_and(|pk| pk.contains(&i));
            if !c.nullable && !in_pk {
                col.push_str(" NOT NULL");
            }
            if let Some(d) = info.default_text(i) {
                col.push_str(" DEFAULT ");
                col.push_str(&d);
            }
            col
        })
        .collect();
    if let Some(pk) = primary_key(s) {
        parts.push(format!("    PRIMARY KEY ({pk})"));
    }
    for check in &info.checks {
        parts.push(format!(
            "    CONSTRAINT {} CHECK ({})",
            ident(&check.name),
            check.sql
        ));
    }
    for (fk, ref_names) in &info.foreign_keys {
        parts.push(format!(
            "    CONSTRAINT {} {}",
            ident(&fk.name),
            foreign_key(fk, ref_names, s)
        ));
    }
    let mut out = format!(
        "CREATE TABLE {} (\n{}\n);\n",
        ident(&s.name),
        parts.join(",\n")
    );
    for idx in &info.indexes {
        out.push_str(&create_index(idx, s));
        out.push('\n');
    }
    out
}

/// `CREATE [UNIQUE] INDEX name ON table (cols);`
pub fn create_index(def: &IndexDef, schema: &TableSchema) -> String {
    format!(
        "CREATE {}INDEX {} ON {} ({});",
        if def.unique { "UNIQUE " } else { "" },
        ident(&def.name),
        ident(&def.table),
        index_columns(def, schema)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet::engine::table::ColumnDef;
    use covet::engine::value::SqlType;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("t_1"), "t_1");
        assert_eq!(ident("T"), "\"T\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("1a"), "\"1a\"");
        assert_eq!(ident("q\"x"), "\"q\"\"x\"");
    }

    #[test]
    fn literals() {
        assert_eq!(literal(&Value::Text("it's".into())), "'it''s'");
        assert_eq!(literal(&Value::Int(-3)), "-3");
        assert_eq!(literal(&Value::Bool(true)), "TRUE");
        assert_eq!(literal(&Value::Null), "NULL");
    }

    #[test]
    fn create_statements_of_a_schema() {
        let schema = TableSchema::new(
            "t",
            vec![
                ColumnDef::new("a", SqlType::Integer).not_null(),
                ColumnDef::new("b", SqlType::Text).not_null(),
                ColumnDef::new("c", SqlType::Varchar(5)).with_default(Value::Text("x".into())),
            ],
        )
        .with_primary_key(vec![0]);
        let idx =
            IndexDef::new("t_bc", "t", vec![(1, SortOrder::Asc), (2, SortOrder::Desc)]).unique();
        let mut fk = ForeignKeyDef::new("t_c_fkey", "t", vec![2], "p", vec![0]);
        fk.on_delete = FkAction::Cascade;
        fk.on_update = FkAction::SetNull;
        let info = TableInfo {
            schema,
            indexes: vec![idx],
            checks: vec![CheckDef {
                name: "t_a_check".into(),
                table: "t".into(),
                sql: "a > 0".into(),
            }],
            foreign_keys: vec![(fk, vec!["code".into()])],
            default_sql: vec![None, Some("now()".into()), None],
        };
        assert_eq!(
            create_statements(&info),
            "CREATE TABLE t (\n    a INTEGER,\n    b TEXT NOT NULL DEFAULT now(),\n    c VARCHAR(5) DEFAULT 'x',\n    PRIMARY KEY (a),\n    CONSTRAINT t_a_check CHECK (a > 0),\n    CONSTRAINT t_c_fkey FOREIGN KEY (c) REFERENCES p (code) ON DELETE CASCADE ON UPDATE SET NULL\n);\nCREATE UNIQUE INDEX t_bc ON t (b, c DESC);\n"
        );
        let view = ViewDef {
            name: "V".into(),
            sql: "SELECT a FROM t".into(),
            columns: vec!["a".into()],
        };
        assert_eq!(
            create_view(&view),
            "CREATE VIEW \"V\" (a) AS SELECT a FROM t;\n"
        );
    }
}
