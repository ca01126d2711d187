//! ALTER TABLE through the public API: ADD/DROP/RENAME COLUMN and RENAME TABLE/INDEX,
//! asserting the rows every read returns, the bytes stored (rows are not rewritten),
//! the state after reopening, and after rolling back the change.

use std::sync::Arc;

use covet_engine::table::{
    ColumnDef, IndexDef, KeyRange, SchemaError, TableError, TableRead, TableSchema,
};
use covet_engine::value::{decode_row, SortOrder, SqlType, Value};
use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Error, Options};

fn opts() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 512 * 1024,
        ..Options::default()
    }
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn table_err(e: Error) -> TableError {
    match e {
        Error::Table(t) => t,
        other => panic!("not a table error: {other:?}"),
    }
}

/// t(id BIGINT PRIMARY KEY, a TEXT, b INTEGER, c TEXT) with index t_c on c.
fn setup(db: &Database) {
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(
        TableSchema::new(
            "t",
            vec![
                ColumnDef::new("id", SqlType::BigInt).not_null(),
                ColumnDef::new("a", SqlType::Text),
                ColumnDef::new("b", SqlType::Integer),
                ColumnDef::new("c", SqlType::Text),
            ],
        )
        .with_primary_key(vec![0]),
    )
    .unwrap();
    t.create_index(IndexDef::new("t_c", "t", vec![(3, SortOrder::Asc)]))
        .unwrap();
    for i in 1..=3 {
        t.insert_row(
            "t",
            vec![
                int(i),
                text(&format!("a{i}")),
                int(i * 10),
                text(&format!("c{i}")),
            ],
        )
        .unwrap();
    }
    drop(t);
    w.commit().unwrap();
}

fn rows(t: &dyn TableRead) -> Vec<Vec<Value>> {
    t.scan("t")
        .unwrap()
        .map(|r| r.unwrap().values)
        .collect::<Vec<_>>()
}

/// The stored rows of `t`, decoded as raw rows (every slot they hold).
fn stored(db: &Database, tree: &str) -> Vec<Vec<Value>> {
    let r = db.begin_read().unwrap();
    let tree = r.open_tree(tree).unwrap();
    r.iter(&tree)
        .map(|e| decode_row(e.unwrap().value()).unwrap())
        .collect()
}

fn column_names(t: &dyn TableRead, table: &str) -> Vec<String> {
    t.table_schema(table)
        .unwrap()
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn add_column_reads_its_default_in_old_rows_without_rewriting_them() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    setup(&db);
    let before = stored(&db, "t:t");
    let mut w = db.begin_write().unwrap();
    let cookie = w.schema_cookie();
    let mut t = w.tables();
    t.add_column(
        "t",
        ColumnDef::new("d", SqlType::Integer).with_default(int(7)),
    )
    .unwrap();
    t.add_column("t", ColumnDef::new("e", SqlType::Text))
        .unwrap();
    assert_eq!(t.txn().schema_cookie(), cookie + 2);
    assert_eq!(
        t.get_row("t", &[int(1)]).unwrap(),
        Some(vec![
            int(1),
            text("a1"),
            int(10),
            text("c1"),
            int(7),
            Value::Null
        ])
    );
    t.insert_row(
        "t",
        vec![int(4), text("a4"), int(40), text("c4"), int(8), text("e4")],
    )
    .unwrap();
    // A NOT NULL column needs a default on a table with rows; a duplicate name fails.
    assert_eq!(
        table_err(
            t.add_column("t", ColumnDef::new("f", SqlType::Integer).not_null())
                .unwrap_err()
        ),
        TableError::NotNull {
            table: "t".into(),
            column: "f".into()
        }
    );
    assert_eq!(
        table_err(
            t.add_column("t", ColumnDef::new("a", SqlType::Integer))
                .unwrap_err()
        ),
        TableError::ColumnExists {
            table: "t".into(),
            column: "a".into()
        }
    );
    assert!(matches!(
        table_err(
            t.add_column(
                "t",
                ColumnDef::new("g", SqlType::Integer).with_default(text("x"))
            )
            .unwrap_err()
        ),
        TableError::Schema(SchemaError::BadDefault { .. })
    ));
    t.add_column(
        "t",
        ColumnDef::new("h", SqlType::Integer)
            .not_null()
            .with_default(int(0)),
    )
    .unwrap();
    drop(t);
    w.commit().unwrap();

    // The old rows are the bytes they were; the new row holds every slot.
    let after = stored(&db, "t:t");
    assert_eq!(&after[..3], &before[..]);
    assert_eq!(
        after[3],
        vec![int(4), text("a4"), int(40), text("c4"), int(8), text("e4")]
    );
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.tables();
    assert_eq!(column_names(&t, "t"), ["id", "a", "b", "c", "d", "e", "h"]);
    assert_eq!(
        rows(&t),
        vec![
            vec![
                int(1),
                text("a1"),
                int(10),
                text("c1"),
                int(7),
                Value::Null,
                int(0)
            ],
            vec![
                int(2),
                text("a2"),
                int(20),
                text("c2"),
                int(7),
                Value::Null,
                int(0)
            ],
            vec![
                int(3),
                text("a3"),
                int(30),
                text("c3"),
                int(7),
                Value::Null,
                int(0)
            ],
            // Inserted before `h` was added: it reads h's default too.
            vec![
                int(4),
                text("a4"),
                int(40),
                text("c4"),
                int(8),
                text("e4"),
                int(0)
            ],
        ]
    );
    // The default for later inserts is the column's, kept in its definition.
    assert_eq!(
        t.table_schema("t").unwrap().columns[4].default,
        Some(int(7))
    );
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn add_column_rolls_back_with_its_transaction_and_savepoint() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let sp = t.savepoint().unwrap();
    t.add_column(
        "t",
        ColumnDef::new("d", SqlType::Integer).with_default(int(1)),
    )
    .unwrap();
    t.insert_row(
        "t",
        vec![int(9), Value::Null, Value::Null, Value::Null, int(2)],
    )
    .unwrap();
    t.rollback_to(sp).unwrap();
    assert_eq!(column_names(&t, "t"), ["id", "a", "b", "c"]);
    assert_eq!(t.get_row("t", &[int(9)]).unwrap(), None);
    t.add_column("t", ColumnDef::new("x", SqlType::Boolean))
        .unwrap();
    drop(t);
    w.rollback();
    let r = db.begin_read().unwrap();
    assert_eq!(column_names(&r.tables(), "t"), ["id", "a", "b", "c"]);
    assert_eq!(
        rows(&r.tables())[0],
        vec![int(1), text("a1"), int(10), text("c1")]
    );
}

#[test]
fn drop_column_keeps_the_slots_keys_and_indexes_use() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    setup(&db);
    let before = stored(&db, "t:t");
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.drop_column("t", "b").unwrap();
    assert_eq!(column_names(&t, "t"), ["id", "a", "c"]);
    // The index now names position 2 (it was 3): the same column, the same entries.
    assert_eq!(
        t.index_def("t_c").unwrap().columns,
        vec![(2, SortOrder::Asc)]
    );
    let found: Vec<_> = t
        .index_scan("t_c", &KeyRange::prefix(vec![text("c2")]))
        .unwrap()
        .map(|r| r.unwrap().values)
        .collect();
    assert_eq!(found, vec![vec![int(2), text("a2"), text("c2")]]);
    // Updating writes the row in the new layout: the dropped slot is NULL.
    t.update_row("t", &[int(2)], vec![int(2), text("A2"), text("C2")])
        .unwrap();
    t.insert_row("t", vec![int(5), text("a5"), text("c5")])
        .unwrap();
    // A column added after the drop takes a new slot: old rows read its default.
    t.add_column(
        "t",
        ColumnDef::new("b", SqlType::Text).with_default(text("new")),
    )
    .unwrap();
    assert_eq!(
        rows(&t),
        vec![
            vec![int(1), text("a1"), text("c1"), text("new")],
            vec![int(2), text("A2"), text("C2"), text("new")],
            vec![int(3), text("a3"), text("c3"), text("new")],
            vec![int(5), text("a5"), text("c5"), text("new")],
        ]
    );
    // Keys and the last column are refused.
    let in_use = |e: Error| match table_err(e) {
        TableError::ColumnInUse { column, by, .. } => (column, by),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        in_use(t.drop_column("t", "id").unwrap_err()),
        ("id".to_string(), "the primary key".to_string())
    );
    assert_eq!(
        in_use(t.drop_column("t", "c").unwrap_err()),
        ("c".to_string(), "index \"t_c\"".to_string())
    );
    assert_eq!(
        table_err(t.drop_column("t", "zz").unwrap_err()),
        TableError::ColumnNotFound {
            table: "t".into(),
            column: "zz".into()
        }
    );
    t.create_table(TableSchema::new(
        "one",
        vec![ColumnDef::new("only", SqlType::Text)],
    ))
    .unwrap();
    assert!(matches!(
        table_err(t.drop_column("one", "only").unwrap_err()),
        TableError::Schema(SchemaError::EmptyTable { .. })
    ));
    drop(t);
    w.commit().unwrap();

    let after = stored(&db, "t:t");
    assert_eq!(after[0], before[0]);
    assert_eq!(after[2], before[2]);
    assert_eq!(after[1], vec![int(2), text("A2"), Value::Null, text("C2")]);
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.tables();
    assert_eq!(column_names(&t, "t"), ["id", "a", "c", "b"]);
    assert_eq!(
        rows(&t)[1],
        vec![int(2), text("A2"), text("C2"), text("new")]
    );
    let entries: Vec<_> = t
        .index_entries("t_c", &KeyRange::all())
        .unwrap()
        .map(|e| e.unwrap().values)
        .collect();
    assert_eq!(
        entries,
        vec![
            vec![text("C2")],
            vec![text("c1")],
            vec![text("c3")],
            vec![text("c5")]
        ]
    );
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn drop_column_rolls_back() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let sp = t.savepoint().unwrap();
    t.drop_column("t", "a").unwrap();
    assert_eq!(rows(&t)[0], vec![int(1), int(10), text("c1")]);
    t.rollback_to(sp).unwrap();
    assert_eq!(rows(&t)[0], vec![int(1), text("a1"), int(10), text("c1")]);
    t.drop_column("t", "b").unwrap();
    drop(t);
    w.rollback();
    let r = db.begin_read().unwrap();
    assert_eq!(column_names(&r.tables(), "t"), ["id", "a", "b", "c"]);
    assert_eq!(
        r.tables().index_def("t_c").unwrap().columns,
        vec![(3, SortOrder::Asc)]
    );
}

#[test]
fn rename_column_changes_only_the_name() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.rename_column("t", "c", "see").unwrap();
    assert_eq!(column_names(&t, "t"), ["id", "a", "b", "see"]);
    assert_eq!(
        t.index_def("t_c").unwrap().columns,
        vec![(3, SortOrder::Asc)]
    );
    assert_eq!(
        table_err(t.rename_column("t", "a", "b").unwrap_err()),
        TableError::ColumnExists {
            table: "t".into(),
            column: "b".into()
        }
    );
    assert!(matches!(
        table_err(t.rename_column("t", "a", "").unwrap_err()),
        TableError::Schema(SchemaError::InvalidName { .. })
    ));
    drop(t);
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(column_names(&r.tables(), "t"), ["id", "a", "b", "see"]);
    assert_eq!(
        rows(&r.tables())[2],
        vec![int(3), text("a3"), int(30), text("c3")]
    );
}

#[test]
fn rename_table_moves_its_records_and_keeps_its_trees() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    setup(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(TableSchema::new(
        "log",
        vec![ColumnDef::new("m", SqlType::Text)],
    ))
    .unwrap();
    t.insert_row("log", vec![text("x")]).unwrap();
    t.insert_row("log", vec![text("y")]).unwrap();
    t.delete_row("log", &[int(2)]).unwrap(); // raises the rowid floor to 3
    t.analyze("t").unwrap();
    t.set_table_sql("t", Some("CREATE TABLE t (…)")).unwrap();
    let cookie = t.txn().schema_cookie();
    t.rename_table("t", "u").unwrap();
    t.rename_table("log", "journal").unwrap();
    t.rename_index("t_c", "u_c").unwrap();
    assert_eq!(t.txn().schema_cookie(), cookie + 3);
    assert!(!t.table_exists("t").unwrap());
    assert_eq!(t.list_tables().unwrap(), ["journal", "u"]);
    assert!(!t.index_exists("t_c").unwrap());
    let ix = t.index_def("u_c").unwrap();
    assert_eq!(
        (ix.table.as_str(), ix.columns.clone()),
        ("u", vec![(3, SortOrder::Asc)])
    );
    assert_eq!(t.indexes("u").unwrap(), vec![ix]);
    assert_eq!(t.table_stats("u").unwrap().unwrap().row_count, 3);
    assert_eq!(
        t.table_sql("u").unwrap().as_deref(),
        Some("CREATE TABLE t (…)")
    );
    // The floor moved with the table: rowid 2 stays used.
    assert_eq!(
        t.insert_row("journal", vec![text("z")]).unwrap(),
        vec![int(3)]
    );
    // The old name is free again; its new tree gets another name.
    t.create_table(TableSchema::new(
        "t",
        vec![ColumnDef::new("v", SqlType::Integer)],
    ))
    .unwrap();
    t.insert_row("t", vec![int(99)]).unwrap();
    assert_eq!(
        table_err(t.rename_table("u", "journal").unwrap_err()),
        TableError::TableExists {
            table: "journal".into()
        }
    );
    assert_eq!(
        table_err(t.rename_table("u", "u_c").unwrap_err()),
        TableError::IndexExists {
            index: "u_c".into()
        }
    );
    drop(t);
    w.commit().unwrap();
    drop(db);

    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    let trees: Vec<String> = r
        .list_trees()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(trees, ["__covet_catalog", "i:t_c", "t:log", "t:t", "t:t#2"]);
    let t = r.tables();
    assert_eq!(t.list_tables().unwrap(), ["journal", "t", "u"]);
    assert_eq!(
        t.scan("u")
            .unwrap()
            .map(|r| r.unwrap().pk)
            .collect::<Vec<_>>(),
        vec![vec![int(1)], vec![int(2)], vec![int(3)]]
    );
    assert_eq!(
        t.scan("t")
            .unwrap()
            .map(|r| r.unwrap().values)
            .collect::<Vec<_>>(),
        vec![vec![int(99)]]
    );
    assert_eq!(
        t.scan("journal")
            .unwrap()
            .map(|r| r.unwrap().values)
            .collect::<Vec<_>>(),
        vec![vec![text("x")], vec![text("z")]]
    );
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn rename_table_rolls_back() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let sp = t.savepoint().unwrap();
    t.rename_table("t", "u").unwrap();
    t.rollback_to(sp).unwrap();
    assert_eq!(t.list_tables().unwrap(), ["t"]);
    assert_eq!(t.index_def("t_c").unwrap().table, "t");
    t.rename_table("t", "v").unwrap();
    t.rename_index("t_c", "v_c").unwrap();
    drop(t);
    w.rollback();
    let r = db.begin_read().unwrap();
    let t = r.tables();
    assert_eq!(t.list_tables().unwrap(), ["t"]);
    assert_eq!(t.index_def("t_c").unwrap().table, "t");
    assert_eq!(rows(&t).len(), 3);
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn rowid_tables_alter_like_keyed_ones() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(TableSchema::new(
        "r",
        vec![
            ColumnDef::new("x", SqlType::Integer),
            ColumnDef::new("y", SqlType::Integer),
        ],
    ))
    .unwrap();
    t.create_index(IndexDef::new("r_y", "r", vec![(1, SortOrder::Desc)]))
        .unwrap();
    t.insert_row("r", vec![int(1), int(2)]).unwrap();
    t.drop_column("r", "x").unwrap();
    t.add_column(
        "r",
        ColumnDef::new("z", SqlType::Integer).with_default(int(3)),
    )
    .unwrap();
    t.insert_row("r", vec![int(5), int(6)]).unwrap();
    let all: Vec<_> = t
        .index_scan("r_y", &KeyRange::all())
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.pk, r.values)
        })
        .collect();
    assert_eq!(
        all,
        vec![
            (vec![int(2)], vec![int(5), int(6)]),
            (vec![int(1)], vec![int(2), int(3)]),
        ]
    );
    assert_eq!(t.check_table("r").unwrap(), vec![]);
}

#[test]
fn an_index_on_an_added_column_indexes_the_default_of_old_rows() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.add_column(
        "t",
        ColumnDef::new("d", SqlType::Integer).with_default(int(5)),
    )
    .unwrap();
    t.insert_row(
        "t",
        vec![int(4), Value::Null, Value::Null, Value::Null, int(6)],
    )
    .unwrap();
    // The three old rows share the default: not unique.
    assert_eq!(
        table_err(
            t.create_index(IndexDef::new("t_d", "t", vec![(4, SortOrder::Asc)]).unique())
                .unwrap_err()
        ),
        TableError::UniqueViolation {
            index: "t_d".into(),
            table: "t".into()
        }
    );
    t.create_index(IndexDef::new("t_d", "t", vec![(4, SortOrder::Asc)]))
        .unwrap();
    let fives: Vec<_> = t
        .index_scan("t_d", &KeyRange::prefix(vec![int(5)]))
        .unwrap()
        .map(|r| r.unwrap().pk)
        .collect();
    assert_eq!(fives, vec![vec![int(1)], vec![int(2)], vec![int(3)]]);
    // Updating an old row moves its entry from the default to the new value.
    t.update_row(
        "t",
        &[int(2)],
        vec![int(2), text("a2"), int(20), text("c2"), int(6)],
    )
    .unwrap();
    let sixes: Vec<_> = t
        .index_entries("t_d", &KeyRange::prefix(vec![int(6)]))
        .unwrap()
        .map(|e| e.unwrap().pk)
        .collect();
    assert_eq!(sixes, vec![vec![int(2)], vec![int(4)]]);
    assert_eq!(t.check_table("t").unwrap(), vec![]);
}
