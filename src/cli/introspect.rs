//! What the meta-commands show about a database: its tables, their columns, keys and
//! indexes, read through the engine's table layer over a read transaction (so they
//! show what is committed, not a connection's open transaction).

use covet::engine::table::{IndexDef, TableRead, TableSchema};
use covet::engine::value::{SortOrder, Value};
use covet::{Database, QueryError, SqlState};

/// Names of the tables, sorted. The engine's own trees are not tables, so nothing
/// needs filtering here.
pub fn table_names(db: &Database) -> covet::Result<Vec<String>> {
    let txn = db.engine().begin_read()?;
    Ok(txn.tables().list_tables()?)
}

/// A table's definition and its indexes.
pub struct TableInfo {
    /// Columns and primary key.
    pub schema: TableSchema,
    /// Secondary indexes, in creation order.
    pub indexes: Vec<IndexDef>,
}

/// The definition of `table`; 42P01 when there is no such table.
pub fn describe(db: &Database, table: &str) -> covet::Result<TableInfo> {
    let txn = db.engine().begin_read()?;
    let tables = txn.tables();
    let name = resolve(&tables, table)?;
    Ok(TableInfo {
        schema: tables.table_schema(&name)?,
        indexes: tables.indexes(&name)?,
    })
}

/// Every table's definition, sorted by name.
pub fn describe_all(db: &Database) -> covet::Result<Vec<TableInfo>> {
    let txn = db.engine().begin_read()?;
    let tables = txn.tables();
    let mut out = Vec::new();
    for name in tables.list_tables()? {
        out.push(TableInfo {
            schema: tables.table_schema(&name)?,
            indexes: tables.indexes(&name)?,
        });
    }
    Ok(out)
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
            let name = schema
                .columns
                .get(pos)
                .map_or_else(|| format!("#{pos}"), |c| ident(&c.name));
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
            if let Some(d) = &c.default {
                col.push_str(" DEFAULT ");
                col.push_str(&literal(d));
            }
            col
        })
        .collect();
    if let Some(pk) = primary_key(s) {
        parts.push(format!("    PRIMARY KEY ({pk})"));
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
        let info = TableInfo {
            schema,
            indexes: vec![idx],
        };
        assert_eq!(
            create_statements(&info),
            "CREATE TABLE t (\n    a INTEGER,\n    b TEXT NOT NULL,\n    c VARCHAR(5) DEFAULT 'x',\n    PRIMARY KEY (a)\n);\nCREATE UNIQUE INDEX t_bc ON t (b, c DESC);\n"
        );
    }
}
