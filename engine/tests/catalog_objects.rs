//! Views, sequences, CHECK and FOREIGN KEY constraints and tables' SQL text through the
//! public API: create, list, get, drop and validation, each asserted after commit and
//! reopening, and after rolling back the transaction (or savepoint) that made it.

use std::sync::Arc;

use covet_engine::table::{
    CheckDef, ColumnDef, FkAction, ForeignKeyDef, IndexDef, SchemaError, SequenceDef,
    SequenceState, TableError, TableRead, TableSchema, ViewDef,
};
use covet_engine::value::{SortOrder, SqlType};
use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Error, Options};

fn opts() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 512 * 1024,
        ..Options::default()
    }
}

fn table_err(e: Error) -> TableError {
    match e {
        Error::Table(t) => t,
        other => panic!("not a table error: {other:?}"),
    }
}

fn view(name: &str) -> ViewDef {
    ViewDef {
        name: name.into(),
        sql: format!("SELECT a FROM t WHERE a > 1 -- {name}"),
        columns: vec!["a".into()],
    }
}

fn one_column(name: &str) -> TableSchema {
    TableSchema::new(name, vec![ColumnDef::new("a", SqlType::Integer)])
}

#[test]
fn views_share_the_namespace_and_change_with_the_transaction() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let c0 = w.schema_cookie();
    let mut t = w.tables();
    t.create_table(one_column("t")).unwrap();
    t.create_view(view("v")).unwrap();
    t.create_view(view("w")).unwrap();
    assert_eq!(t.txn().schema_cookie(), c0 + 3);
    assert_eq!(t.list_views().unwrap(), ["v", "w"]);
    assert_eq!(t.view("v").unwrap(), Some(view("v")));
    assert_eq!(t.view("t").unwrap(), None);
    assert_eq!(
        table_err(t.create_view(view("t")).unwrap_err()),
        TableError::TableExists { table: "t".into() }
    );
    assert_eq!(
        table_err(t.create_table(one_column("v")).unwrap_err()),
        TableError::ViewExists { view: "v".into() }
    );
    assert_eq!(
        table_err(
            t.create_index(IndexDef::new("w", "t", vec![(0, SortOrder::Asc)]))
                .unwrap_err()
        ),
        TableError::ViewExists { view: "w".into() }
    );
    let mut twice = view("x");
    twice.columns = vec!["a".into(), "a".into()];
    assert!(matches!(
        table_err(t.create_view(twice).unwrap_err()),
        TableError::Schema(SchemaError::DuplicateColumn { .. })
    ));
    drop(t);
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.drop_view("w").unwrap();
    assert_eq!(
        table_err(t.drop_view("w").unwrap_err()),
        TableError::ViewNotFound { view: "w".into() }
    );
    drop(t);
    w.rollback();
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(r.tables().list_views().unwrap(), ["v", "w"]);
    assert_eq!(r.tables().view("w").unwrap(), Some(view("w")));
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn nextval_counts_on_rolls_back_and_survives_reopening() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_sequence(SequenceDef::new("s")).unwrap();
    let cookie = t.txn().schema_cookie();
    assert_eq!((t.nextval("s").unwrap(), t.nextval("s").unwrap()), (1, 2));
    // nextval is not DDL.
    assert_eq!(t.txn().schema_cookie(), cookie);
    let sp = t.savepoint().unwrap();
    assert_eq!(t.nextval("s").unwrap(), 3);
    t.rollback_to(sp).unwrap();
    assert_eq!(t.nextval("s").unwrap(), 3);
    assert_eq!(
        t.sequence("s").unwrap(),
        Some((
            SequenceDef::new("s"),
            SequenceState {
                last_value: 3,
                called: true
            }
        ))
    );
    drop(t);
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    assert_eq!(w.tables().nextval("s").unwrap(), 4);
    w.rollback();
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!(t.nextval("s").unwrap(), 4);
    t.setval("s", 100, true).unwrap();
    assert_eq!(t.nextval("s").unwrap(), 101);
    t.setval("s", 100, false).unwrap();
    assert_eq!(t.nextval("s").unwrap(), 100);
    assert!(matches!(
        table_err(t.setval("s", 0, true).unwrap_err()),
        TableError::InvalidDefinition { .. }
    ));
    assert_eq!(
        table_err(t.nextval("nope").unwrap_err()),
        TableError::SequenceNotFound {
            sequence: "nope".into()
        }
    );
    assert_eq!(
        table_err(t.create_table(one_column("s")).unwrap_err()),
        TableError::SequenceExists {
            sequence: "s".into()
        }
    );
    t.drop_sequence("s").unwrap();
    assert_eq!(t.sequence("s").unwrap(), None);
    assert_eq!(t.list_sequences().unwrap(), Vec::<String>::new());
    drop(t);
    w.commit().unwrap();
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn sequences_stop_or_cycle_at_their_bounds() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let down = SequenceDef {
        name: "down".into(),
        start: -1,
        increment: -2,
        min: -5,
        max: -1,
        cycle: false,
    };
    t.create_sequence(down).unwrap();
    let got: Vec<i64> = (0..3).map(|_| t.nextval("down").unwrap()).collect();
    assert_eq!(got, [-1, -3, -5]);
    assert_eq!(
        table_err(t.nextval("down").unwrap_err()),
        TableError::SequenceExhausted {
            sequence: "down".into(),
            bound: "minimum",
            value: -5
        }
    );
    // The refused call changed nothing.
    assert_eq!(t.sequence("down").unwrap().unwrap().1.last_value, -5);
    let ring = SequenceDef {
        name: "ring".into(),
        start: 2,
        increment: 1,
        min: 1,
        max: 3,
        cycle: true,
    };
    t.create_sequence(ring).unwrap();
    let got: Vec<i64> = (0..5).map(|_| t.nextval("ring").unwrap()).collect();
    assert_eq!(got, [2, 3, 1, 2, 3]);
    // Overflow of i64 is the bound too.
    let mut top = SequenceDef::new("top");
    top.start = i64::MAX - 1;
    t.create_sequence(top).unwrap();
    assert_eq!(t.nextval("top").unwrap(), i64::MAX - 1);
    assert_eq!(t.nextval("top").unwrap(), i64::MAX);
    assert!(matches!(
        table_err(t.nextval("top").unwrap_err()),
        TableError::SequenceExhausted {
            bound: "maximum",
            ..
        }
    ));
    let mut bad = SequenceDef::new("bad");
    bad.increment = 0;
    assert!(matches!(
        table_err(t.create_sequence(bad).unwrap_err()),
        TableError::InvalidDefinition { .. }
    ));
}

/// parent(id BIGINT PRIMARY KEY, code TEXT, note TEXT) with unique index parent_code
/// and non-unique index parent_note; child(id BIGINT PRIMARY KEY, extra TEXT,
/// pid BIGINT, pcode TEXT).
fn family(t: &mut covet_engine::table::TableWriter<'_>) {
    t.create_table(
        TableSchema::new(
            "parent",
            vec![
                ColumnDef::new("id", SqlType::BigInt).not_null(),
                ColumnDef::new("code", SqlType::Text),
                ColumnDef::new("note", SqlType::Text),
            ],
        )
        .with_primary_key(vec![0]),
    )
    .unwrap();
    t.create_index(IndexDef::new("parent_code", "parent", vec![(1, SortOrder::Asc)]).unique())
        .unwrap();
    t.create_index(IndexDef::new(
        "parent_note",
        "parent",
        vec![(2, SortOrder::Asc)],
    ))
    .unwrap();
    t.create_table(
        TableSchema::new(
            "child",
            vec![
                ColumnDef::new("id", SqlType::BigInt).not_null(),
                ColumnDef::new("extra", SqlType::Text),
                ColumnDef::new("pid", SqlType::BigInt),
                ColumnDef::new("pcode", SqlType::Text),
            ],
        )
        .with_primary_key(vec![0]),
    )
    .unwrap();
}

fn fk_by_id() -> ForeignKeyDef {
    let mut fk = ForeignKeyDef::new("child_pid", "child", vec![2], "parent", vec![0]);
    fk.on_delete = FkAction::Cascade;
    fk.on_update = FkAction::SetNull;
    fk
}

#[test]
fn foreign_keys_are_validated_and_follow_renames_and_drops() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    family(&mut t);
    t.add_foreign_key(fk_by_id()).unwrap();
    let by_code = ForeignKeyDef::new("child_pcode", "child", vec![3], "parent", vec![1]);
    t.add_foreign_key(by_code.clone()).unwrap();
    assert_eq!(
        t.foreign_keys("child").unwrap(),
        vec![by_code.clone(), fk_by_id()]
    );
    assert_eq!(
        t.foreign_keys_referencing("parent").unwrap(),
        vec![by_code.clone(), fk_by_id()]
    );
    assert_eq!(t.foreign_keys("parent").unwrap(), vec![]);

    // Validation.
    let invalid = |e: Error| matches!(table_err(e), TableError::InvalidDefinition { .. });
    let not_unique = ForeignKeyDef::new("f1", "child", vec![1], "parent", vec![2]);
    assert!(invalid(t.add_foreign_key(not_unique).unwrap_err()));
    let counts = ForeignKeyDef::new("f2", "child", vec![1, 2], "parent", vec![0]);
    assert!(invalid(t.add_foreign_key(counts).unwrap_err()));
    let missing = ForeignKeyDef::new("f3", "child", vec![2], "nobody", vec![0]);
    assert_eq!(
        table_err(t.add_foreign_key(missing).unwrap_err()),
        TableError::TableNotFound {
            table: "nobody".into()
        }
    );
    let column = ForeignKeyDef::new("f4", "child", vec![9], "parent", vec![0]);
    assert!(matches!(
        table_err(t.add_foreign_key(column).unwrap_err()),
        TableError::Schema(SchemaError::UnknownColumn { position: 9, .. })
    ));
    let taken = ForeignKeyDef::new("child_pid", "child", vec![3], "parent", vec![1]);
    assert_eq!(
        table_err(t.add_foreign_key(taken).unwrap_err()),
        TableError::ConstraintExists {
            table: "child".into(),
            constraint: "child_pid".into()
        }
    );

    // What depends on a foreign key cannot go.
    let in_use = |e: Error| match table_err(e) {
        TableError::ColumnInUse { by, .. } | TableError::ObjectInUse { by, .. } => by,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        in_use(t.drop_column("child", "pid").unwrap_err()),
        "constraint \"child_pid\" of table \"child\""
    );
    assert_eq!(
        in_use(t.drop_index("parent_code").unwrap_err()),
        "constraint \"child_pcode\" of table \"child\""
    );
    assert_eq!(
        in_use(t.drop_table("parent").unwrap_err()),
        "constraint \"child_pcode\" of table \"child\""
    );
    t.drop_index("parent_note").unwrap();

    // Dropping another column shifts positions; renaming columns and the referenced
    // table keeps the constraint on the same columns.
    t.drop_column("child", "extra").unwrap();
    t.rename_column("child", "pid", "parent_id").unwrap();
    t.rename_table("parent", "mother").unwrap();
    let mut moved = fk_by_id();
    moved.columns = vec![1];
    moved.ref_table = "mother".into();
    let mut moved_code = by_code.clone();
    moved_code.columns = vec![2];
    moved_code.ref_table = "mother".into();
    assert_eq!(
        t.foreign_keys("child").unwrap(),
        vec![moved_code.clone(), moved.clone()]
    );
    assert_eq!(
        t.foreign_keys_referencing("mother").unwrap(),
        vec![moved_code.clone(), moved.clone()]
    );
    drop(t);
    w.commit().unwrap();

    // Rolled back: dropping the constraint, then the table.
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.drop_constraint("child", "child_pid").unwrap();
    t.drop_constraint("child", "child_pcode").unwrap();
    assert_eq!(
        table_err(t.drop_constraint("child", "child_pid").unwrap_err()),
        TableError::ConstraintNotFound {
            table: "child".into(),
            constraint: "child_pid".into()
        }
    );
    t.drop_table("mother").unwrap();
    drop(t);
    w.rollback();
    drop(db);

    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.tables().foreign_keys("child").unwrap(),
        vec![moved_code, moved]
    );
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn a_self_reference_moves_with_its_table() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(
        TableSchema::new(
            "node",
            vec![
                ColumnDef::new("id", SqlType::BigInt).not_null(),
                ColumnDef::new("up", SqlType::BigInt),
            ],
        )
        .with_primary_key(vec![0]),
    )
    .unwrap();
    t.add_foreign_key(ForeignKeyDef::new(
        "node_up",
        "node",
        vec![1],
        "node",
        vec![0],
    ))
    .unwrap();
    t.rename_table("node", "tree_node").unwrap();
    assert_eq!(
        t.foreign_keys("tree_node").unwrap(),
        vec![ForeignKeyDef::new(
            "node_up",
            "tree_node",
            vec![1],
            "tree_node",
            vec![0]
        )]
    );
    // A self-reference does not keep its own table from being dropped.
    t.drop_table("tree_node").unwrap();
    t.create_table(one_column("tree_node")).unwrap();
    assert_eq!(t.foreign_keys("tree_node").unwrap(), vec![]);
    assert_eq!(t.foreign_keys_referencing("tree_node").unwrap(), vec![]);
    drop(t);
    w.commit().unwrap();
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn checks_and_table_text_live_and_die_with_their_table() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    family(&mut t);
    let check = |name: &str, table: &str, sql: &str| CheckDef {
        name: name.into(),
        table: table.into(),
        sql: sql.into(),
    };
    t.add_check(check("positive", "child", "id > 0")).unwrap();
    t.add_check(check("short", "child", "length(extra) < 10"))
        .unwrap();
    t.add_check(check("positive", "parent", "id > 0")).unwrap();
    assert_eq!(
        table_err(t.add_check(check("short", "child", "true")).unwrap_err()),
        TableError::ConstraintExists {
            table: "child".into(),
            constraint: "short".into()
        }
    );
    // CHECK and FOREIGN KEY names share one namespace per table.
    assert_eq!(
        table_err(
            t.add_foreign_key(ForeignKeyDef::new(
                "short",
                "child",
                vec![2],
                "parent",
                vec![0]
            ))
            .unwrap_err()
        ),
        TableError::ConstraintExists {
            table: "child".into(),
            constraint: "short".into()
        }
    );
    assert_eq!(
        table_err(t.add_check(check("c", "ghost", "true")).unwrap_err()),
        TableError::TableNotFound {
            table: "ghost".into()
        }
    );
    t.set_table_sql(
        "child",
        Some("CREATE TABLE child (id BIGINT PRIMARY KEY, …)"),
    )
    .unwrap();
    assert_eq!(
        t.checks("child").unwrap(),
        vec![
            check("positive", "child", "id > 0"),
            check("short", "child", "length(extra) < 10")
        ]
    );
    drop(t);
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.rename_table("child", "kid").unwrap();
    assert_eq!(
        t.checks("kid").unwrap(),
        vec![
            check("positive", "kid", "id > 0"),
            check("short", "kid", "length(extra) < 10")
        ]
    );
    assert_eq!(
        t.table_sql("kid").unwrap().as_deref(),
        Some("CREATE TABLE child (id BIGINT PRIMARY KEY, …)")
    );
    t.drop_constraint("kid", "short").unwrap();
    assert_eq!(
        t.checks("kid").unwrap(),
        vec![check("positive", "kid", "id > 0")]
    );
    t.drop_table("kid").unwrap();
    // A new table of the old name starts without them.
    t.create_table(one_column("kid")).unwrap();
    assert_eq!(t.checks("kid").unwrap(), vec![]);
    assert_eq!(t.table_sql("kid").unwrap(), None);
    drop(t);
    w.commit().unwrap();
    drop(db);

    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.tables();
    assert_eq!(t.checks("kid").unwrap(), vec![]);
    assert_eq!(
        t.checks("parent").unwrap(),
        vec![check("positive", "parent", "id > 0")]
    );
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn default_expressions_follow_their_columns() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    family(&mut t);
    t.create_sequence(SequenceDef::new("child_id_seq")).unwrap();
    t.set_column_default_sql("child", "id", Some("nextval('child_id_seq')"))
        .unwrap();
    t.set_column_default_sql("child", "pcode", Some("upper('x')"))
        .unwrap();
    t.set_column_default_sql("child", "extra", Some("now()"))
        .unwrap();
    assert_eq!(
        table_err(
            t.set_column_default_sql("child", "nope", Some("1"))
                .unwrap_err()
        ),
        TableError::ColumnNotFound {
            table: "child".into(),
            column: "nope".into()
        }
    );
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        t.column_default_sql("child").unwrap(),
        vec![
            some("nextval('child_id_seq')"),
            some("now()"),
            None,
            some("upper('x')")
        ]
    );
    drop(t);
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.drop_column("child", "extra").unwrap();
    t.rename_column("child", "pcode", "code").unwrap();
    t.rename_table("child", "kid").unwrap();
    t.set_column_default_sql("kid", "id", None).unwrap();
    // A column added in the dropped column's place starts without one.
    t.add_column("kid", ColumnDef::new("extra", SqlType::Text))
        .unwrap();
    assert_eq!(
        t.column_default_sql("kid").unwrap(),
        vec![None, None, some("upper('x')"), None]
    );
    drop(t);
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.set_column_default_sql("kid", "pid", Some("0")).unwrap();
    t.drop_table("kid").unwrap();
    drop(t);
    w.rollback();
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.tables().column_default_sql("kid").unwrap(),
        vec![None, None, some("upper('x')"), None]
    );
    assert_eq!(db.check_integrity().unwrap().problems, vec![]);
}

#[test]
fn referencing_foreign_keys_come_by_table_then_name() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(one_column("p").with_primary_key(vec![0]))
        .unwrap();
    for name in ["zz", "b", "aa"] {
        t.create_table(one_column(name)).unwrap();
        for fk in ["y", "x"] {
            t.add_foreign_key(ForeignKeyDef::new(fk, name, vec![0], "p", vec![0]))
                .unwrap();
        }
    }
    let got: Vec<(String, String)> = t
        .foreign_keys_referencing("p")
        .unwrap()
        .into_iter()
        .map(|f| (f.table, f.name))
        .collect();
    let want: Vec<(String, String)> = [
        ("aa", "x"),
        ("aa", "y"),
        ("b", "x"),
        ("b", "y"),
        ("zz", "x"),
        ("zz", "y"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
}
