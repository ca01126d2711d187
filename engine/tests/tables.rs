//! Tables, indexes, the catalog and ANALYZE through the public API, with exact-state
//! assertions (rows, raw index trees, catalog after reopen). The model-based proptest is
//! in `table_model.rs`.

use std::ops::Bound;
use std::sync::Arc;

use covet_engine::stats::StatsConfig;
use covet_engine::table::{
    ColumnDef, IndexDef, KeyRange, Row, SchemaError, TableError, TableRead, TableSchema,
    TableWriter,
};
use covet_engine::value::{encode_key, SortOrder, SqlType, Value};
use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Error, Options};

use SortOrder::{Asc, Desc};

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

/// people(id BIGINT PRIMARY KEY, city TEXT, age INTEGER, email TEXT)
fn people() -> TableSchema {
    TableSchema::new(
        "people",
        vec![
            ColumnDef::new("id", SqlType::BigInt).not_null(),
            ColumnDef::new("city", SqlType::Text),
            ColumnDef::new("age", SqlType::Integer),
            ColumnDef::new("email", SqlType::Varchar(40)),
        ],
    )
    .with_primary_key(vec![0])
}

fn person(id: i64, city: Option<&str>, age: Option<i64>, email: Option<&str>) -> Vec<Value> {
    vec![
        int(id),
        city.map_or(Value::Null, text),
        age.map_or(Value::Null, int),
        email.map_or(Value::Null, text),
    ]
}

/// people with a composite (city ASC, age DESC) index and a unique email index.
fn setup(t: &mut TableWriter<'_>) {
    t.create_table(people()).unwrap();
    t.create_index(IndexDef::new(
        "people_city_age",
        "people",
        vec![(1, Asc), (2, Desc)],
    ))
    .unwrap();
    t.create_index(IndexDef::new("people_email", "people", vec![(3, Asc)]).unique())
        .unwrap();
}

fn rows(iter: impl Iterator<Item = covet_engine::Result<Row>>) -> Vec<Vec<Value>> {
    iter.map(|r| r.unwrap().values).collect()
}

fn ids(iter: impl Iterator<Item = covet_engine::Result<Row>>) -> Vec<i64> {
    iter.map(|r| match r.unwrap().pk[..] {
        [Value::Int(i)] => i,
        ref other => panic!("pk {other:?}"),
    })
    .collect()
}

/// The raw keys of tree `name`.
fn raw_keys(t: &TableWriter<'_>, name: &str) -> Vec<Vec<u8>> {
    let txn = t.txn();
    let tree = txn.open_tree(name).unwrap();
    txn.iter(&tree)
        .map(|e| {
            let e = e.unwrap();
            assert!(e.value().is_empty() || name.starts_with("t:"));
            e.key().to_vec()
        })
        .collect()
}

fn key(values: &[Value], orders: &[SortOrder]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(values, orders, &mut out);
    out
}

/// The entries both indexes of `people` must hold for `rows`, sorted.
fn expected_entries(rows: &[Vec<Value>]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut by_city: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| {
            let mut k = key(&[r[1].clone(), r[2].clone()], &[Asc, Desc]);
            k.extend(key(&[r[0].clone()], &[]));
            k
        })
        .collect();
    let mut by_email: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| {
            let mut k = key(&[r[3].clone()], &[]);
            k.extend(key(&[r[0].clone()], &[]));
            k
        })
        .collect();
    by_city.sort();
    by_email.sort();
    (by_city, by_email)
}

fn assert_indexes_hold(t: &TableWriter<'_>, rows: &[Vec<Value>]) {
    let (city, email) = expected_entries(rows);
    assert_eq!(raw_keys(t, "i:people_city_age"), city);
    assert_eq!(raw_keys(t, "i:people_email"), email);
    assert_eq!(t.check_table("people").unwrap(), vec![]);
}

fn table_err(e: Error) -> TableError {
    match e {
        Error::Table(t) => t,
        other => panic!("not a table error: {other:?}"),
    }
}

#[test]
fn create_insert_get_and_scan_in_key_order() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    for id in [3, 1, 2] {
        let pk = t
            .insert_row("people", person(id, Some("Oslo"), Some(30 + id), None))
            .unwrap();
        assert_eq!(pk, vec![int(id)]);
    }
    assert_eq!(ids(t.scan("people").unwrap()), vec![1, 2, 3]);
    assert_eq!(
        t.get_row("people", &[int(2)]).unwrap(),
        Some(person(2, Some("Oslo"), Some(32), None))
    );
    assert_eq!(t.get_row("people", &[int(9)]).unwrap(), None);
    assert_eq!(t.list_tables().unwrap(), vec!["people".to_string()]);
    assert_eq!(t.table_schema("people").unwrap(), people());
    assert_eq!(
        t.indexes("people")
            .unwrap()
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        vec!["people_city_age", "people_email"]
    );
    // Primary key ranges, both directions.
    let range = KeyRange::new(Bound::Excluded(vec![int(1)]), Bound::Unbounded);
    assert_eq!(ids(t.scan_range("people", &range).unwrap()), vec![2, 3]);
    assert_eq!(
        ids(t.scan_range("people", &range.clone().reversed()).unwrap()),
        vec![3, 2]
    );
    drop(t);
    w.commit().unwrap();

    // A reader sees the commit through the same trait.
    let r = db.begin_read().unwrap();
    let reader = r.tables();
    assert_eq!(ids(reader.scan("people").unwrap()), vec![1, 2, 3]);
    let dyn_reader: &dyn TableRead = &reader;
    assert!(dyn_reader.table_exists("people").unwrap());
    assert!(!dyn_reader.table_exists("nobody").unwrap());
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn rowids_grow_and_are_never_reused() {
    let db = Database::memory_with(opts()).unwrap();
    let schema = TableSchema::new("log", vec![ColumnDef::new("msg", SqlType::Text)]);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(schema).unwrap();
    t.create_index(IndexDef::new("log_msg", "log", vec![(0, Asc)]))
        .unwrap();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        assert_eq!(
            t.insert_row("log", vec![text(m)]).unwrap(),
            vec![int(i as i64 + 1)]
        );
    }
    assert!(t.delete_row("log", &[int(3)]).unwrap());
    assert!(!t.delete_row("log", &[int(3)]).unwrap());
    drop(t);
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!(t.insert_row("log", vec![text("d")]).unwrap(), vec![int(4)]);
    assert_eq!(ids(t.scan("log").unwrap()), vec![1, 2, 4]);
    assert!(t.update_row("log", &[int(1)], vec![text("z")]).unwrap());
    let by_msg: Vec<Vec<Value>> = t
        .index_entries("log_msg", &KeyRange::all())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            vec![e.values[0].clone(), e.pk[0].clone()]
        })
        .collect();
    assert_eq!(
        by_msg,
        vec![
            vec![text("b"), int(2)],
            vec![text("d"), int(4)],
            vec![text("z"), int(1)]
        ]
    );
    assert!(matches!(
        table_err(t.get_row("log", &[int(1), int(2)]).unwrap_err()),
        TableError::KeyArity {
            expected: 1,
            found: 2,
            ..
        }
    ));
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn composite_index_with_desc_column_and_nulls() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    let data = [
        person(1, Some("Paris"), Some(40), Some("a@x")),
        person(2, Some("Oslo"), Some(20), Some("b@x")),
        person(3, Some("Paris"), Some(25), None),
        person(4, None, Some(50), None),
        person(5, Some("Paris"), None, Some("c@x")),
        person(6, Some("Oslo"), Some(35), Some("d@x")),
        person(7, Some("Paris"), Some(40), Some("e@x")),
    ];
    for r in &data {
        t.insert_row("people", r.clone()).unwrap();
    }
    // Full index order: city ascending (NULL first), then age descending (NULL last),
    // then id.
    let all = ids(t.index_scan("people_city_age", &KeyRange::all()).unwrap());
    assert_eq!(all, vec![4, 6, 2, 1, 7, 3, 5]);
    let rev = KeyRange::all().reversed();
    let mut back = ids(t.index_scan("people_city_age", &rev).unwrap());
    back.reverse();
    assert_eq!(back, all);
    // Equality on the leading column.
    let paris = KeyRange::prefix(vec![text("Paris")]);
    assert_eq!(
        ids(t.index_scan("people_city_age", &paris).unwrap()),
        vec![1, 7, 3, 5]
    );
    // Equality on both columns.
    let p40 = KeyRange::prefix(vec![text("Paris"), int(40)]);
    assert_eq!(
        ids(t.index_scan("people_city_age", &p40).unwrap()),
        vec![1, 7]
    );
    // A range over the DESC column runs from high to low: Paris ages in [25, 40).
    let range = KeyRange::new(
        Bound::Excluded(vec![text("Paris"), int(40)]),
        Bound::Included(vec![text("Paris"), int(25)]),
    );
    assert_eq!(
        ids(t.index_scan("people_city_age", &range).unwrap()),
        vec![3]
    );
    // NULLs are values in the key: NULL city first, NULL age last within Paris.
    let null_city = KeyRange::prefix(vec![Value::Null]);
    assert_eq!(
        ids(t.index_scan("people_city_age", &null_city).unwrap()),
        vec![4]
    );
    let null_age = KeyRange::prefix(vec![text("Paris"), Value::Null]);
    assert_eq!(
        ids(t.index_scan("people_city_age", &null_age).unwrap()),
        vec![5]
    );
    // Index-only entries give the indexed values and the primary key.
    let entries: Vec<(Vec<Value>, Vec<Value>)> = t
        .index_entries("people_city_age", &KeyRange::prefix(vec![text("Oslo")]))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.values, e.pk)
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (vec![text("Oslo"), int(35)], vec![int(6)]),
            (vec![text("Oslo"), int(20)], vec![int(2)]),
        ]
    );
    // Empty and inverted ranges yield nothing.
    let empty = KeyRange::new(
        Bound::Included(vec![text("Z")]),
        Bound::Excluded(vec![text("A")]),
    );
    assert_eq!(
        ids(t.index_scan("people_city_age", &empty).unwrap()),
        Vec::<i64>::new()
    );
    let excl_all = KeyRange::new(Bound::Excluded(vec![]), Bound::Unbounded);
    assert_eq!(
        ids(t.index_scan("people_city_age", &excl_all).unwrap()),
        Vec::<i64>::new()
    );
    // The unique email index: NULLs first.
    assert_eq!(
        ids(t.index_scan("people_email", &KeyRange::all()).unwrap()),
        vec![3, 4, 1, 2, 5, 6, 7]
    );
    assert_indexes_hold(&t, &data);
}

#[test]
fn unique_violation_is_typed_and_changes_nothing() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    let mut data = vec![
        person(1, Some("Oslo"), Some(30), Some("a@x")),
        person(2, Some("Rome"), Some(31), None),
        person(3, Some("Rome"), Some(32), None), // two NULL emails are fine
    ];
    for r in &data {
        t.insert_row("people", r.clone()).unwrap();
    }
    let err = t
        .insert_row("people", person(4, Some("Bern"), Some(33), Some("a@x")))
        .unwrap_err();
    assert_eq!(
        table_err(err),
        TableError::UniqueViolation {
            index: "people_email".into(),
            table: "people".into()
        }
    );
    // Neither the row nor its entry in the other index was written.
    assert_eq!(t.get_row("people", &[int(4)]).unwrap(), None);
    assert_indexes_hold(&t, &data);

    // A duplicate primary key.
    let err = t
        .insert_row("people", person(1, None, None, Some("new@x")))
        .unwrap_err();
    assert_eq!(
        table_err(err),
        TableError::DuplicateKey {
            table: "people".into()
        }
    );
    assert_indexes_hold(&t, &data);

    // An update into a conflict changes nothing either.
    let err = t
        .update_row(
            "people",
            &[int(2)],
            person(2, Some("Bern"), Some(1), Some("a@x")),
        )
        .unwrap_err();
    assert!(matches!(table_err(err), TableError::UniqueViolation { .. }));
    assert_eq!(
        t.get_row("people", &[int(2)]).unwrap(),
        Some(data[1].clone())
    );
    // Moving a row onto another's primary key is refused.
    let err = t
        .update_row("people", &[int(2)], person(3, None, None, None))
        .unwrap_err();
    assert!(matches!(table_err(err), TableError::DuplicateKey { .. }));
    assert_indexes_hold(&t, &data);

    // Updating a row without changing its unique value is no conflict with itself.
    t.update_row(
        "people",
        &[int(1)],
        person(1, Some("Oslo"), Some(99), Some("a@x")),
    )
    .unwrap();
    data[0] = person(1, Some("Oslo"), Some(99), Some("a@x"));
    // The transaction is still usable and commits.
    t.insert_row("people", person(4, Some("Bern"), Some(33), Some("d@x")))
        .unwrap();
    data.push(person(4, Some("Bern"), Some(33), Some("d@x")));
    assert_indexes_hold(&t, &data);
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn row_checks_are_typed() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    let e = |r: covet_engine::Result<Vec<Value>>| table_err(r.unwrap_err());
    assert!(matches!(
        e(t.insert_row("people", vec![int(1)])),
        TableError::ColumnCount {
            expected: 4,
            found: 1,
            ..
        }
    ));
    assert!(matches!(
        e(t.insert_row("people", person(1, None, Some(1 << 40), None))),
        TableError::TypeMismatch { column, .. } if column == "age"
    ));
    let long = "x".repeat(41);
    assert!(matches!(
        e(t.insert_row("people", person(1, None, None, Some(&long)))),
        TableError::TypeMismatch { column, .. } if column == "email"
    ));
    assert!(matches!(
        e(t.insert_row("people", vec![Value::Null, Value::Null, Value::Null, Value::Null])),
        TableError::NotNull { column, .. } if column == "id"
    ));
    assert!(matches!(
        e(t.insert_row("nobody", vec![])),
        TableError::TableNotFound { table } if table == "nobody"
    ));
    // A key longer than a 1 KiB page works (overflow); one past the maximum
    // key length is refused before anything is written.
    let huge = "y".repeat(40);
    let wide = TableSchema::new("wide", vec![ColumnDef::new("k", SqlType::Text)])
        .with_primary_key(vec![0]);
    t.create_table(wide).unwrap();
    t.insert_row("wide", vec![text(&huge)]).unwrap();
    t.insert_row("wide", vec![text(&"z".repeat(5000))]).unwrap();
    assert!(matches!(
        t.insert_row("wide", vec![text(&"z".repeat(covet_engine::MAX_KEY_LEN))]),
        Err(Error::KeyTooLarge { .. })
    ));
    assert_eq!(t.scan("wide").unwrap().count(), 2);
    assert_eq!(t.check_table("people").unwrap(), vec![]);
}

#[test]
fn ddl_errors_are_typed() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    let e = |r: covet_engine::Result<()>| table_err(r.unwrap_err());
    assert_eq!(
        e(t.create_table(people())),
        TableError::TableExists {
            table: "people".into()
        }
    );
    // Tables and indexes share one namespace.
    let clash = TableSchema::new("people_email", vec![ColumnDef::new("a", SqlType::Text)]);
    assert_eq!(
        e(t.create_table(clash)),
        TableError::IndexExists {
            index: "people_email".into()
        }
    );
    assert_eq!(
        e(t.create_index(IndexDef::new("people", "people", vec![(1, Asc)]))),
        TableError::TableExists {
            table: "people".into()
        }
    );
    assert_eq!(
        e(t.create_index(IndexDef::new("people_email", "people", vec![(1, Asc)]))),
        TableError::IndexExists {
            index: "people_email".into()
        }
    );
    assert!(matches!(
        e(t.create_index(IndexDef::new("x", "nobody", vec![(0, Asc)]))),
        TableError::TableNotFound { .. }
    ));
    assert!(matches!(
        e(t.create_index(IndexDef::new("x", "people", vec![(7, Asc)]))),
        TableError::Schema(SchemaError::UnknownColumn { position: 7, .. })
    ));
    assert!(matches!(
        e(t.drop_index("nope")),
        TableError::IndexNotFound { .. }
    ));
    assert!(matches!(
        e(t.drop_table("nope")),
        TableError::TableNotFound { .. }
    ));
    let dup = TableSchema::new(
        "d",
        vec![
            ColumnDef::new("a", SqlType::Text),
            ColumnDef::new("a", SqlType::Text),
        ],
    );
    assert!(matches!(
        e(t.create_table(dup)),
        TableError::Schema(SchemaError::DuplicateColumn { .. })
    ));
    assert!(matches!(
        e(t.create_table(TableSchema::new("e", vec![]))),
        TableError::Schema(SchemaError::EmptyTable { .. })
    ));
    // Nothing above changed the catalog.
    assert_eq!(t.list_tables().unwrap(), vec!["people".to_string()]);
    drop(t);
    w.commit().unwrap();
}

#[test]
fn update_and_delete_maintain_every_index() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    let mut data: Vec<Vec<Value>> = (0..300)
        .map(|i| {
            person(
                i,
                Some(["Oslo", "Rome", "Lima"][i as usize % 3]),
                Some(i % 17),
                Some(&format!("p{i}@x")),
            )
        })
        .collect();
    for r in &data {
        t.insert_row("people", r.clone()).unwrap();
    }
    assert_indexes_hold(&t, &data);
    // Change every third row's city and age, every fifth row's email to NULL.
    for i in (0..300).step_by(3) {
        let mut r = data[i].clone();
        r[1] = text("Kyiv");
        r[2] = int(100 + i as i64);
        if i % 5 == 0 {
            r[3] = Value::Null;
        }
        assert!(t.update_row("people", &[int(i as i64)], r.clone()).unwrap());
        data[i] = r;
    }
    assert_indexes_hold(&t, &data);
    // Move some rows to new primary keys.
    for i in (1..300).step_by(7) {
        let mut r = data[i].clone();
        r[0] = int(1000 + i as i64);
        assert!(t.update_row("people", &[int(i as i64)], r.clone()).unwrap());
        data[i] = r;
    }
    assert_indexes_hold(&t, &data);
    assert!(!t
        .update_row("people", &[int(5555)], person(5555, None, None, None))
        .unwrap());
    // Delete every other row.
    let mut kept = Vec::new();
    for (n, r) in data.into_iter().enumerate() {
        if n % 2 == 0 {
            assert!(t.delete_row("people", &[r[0].clone()]).unwrap());
        } else {
            kept.push(r);
        }
    }
    assert_indexes_hold(&t, &kept);
    kept.sort_by(|a, b| a[0].sql_cmp(&b[0]));
    assert_eq!(rows(t.scan("people").unwrap()), kept);
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn create_index_builds_from_rows_and_unique_build_can_fail() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(people()).unwrap();
    // More rows than one build batch.
    let n = 2500;
    for i in 0..n {
        let email = (i != 2000).then(|| format!("p{}@x", i % 2400));
        t.insert_row(
            "people",
            person(i, Some("Oslo"), Some(i % 50), email.as_deref()),
        )
        .unwrap();
    }
    t.create_index(IndexDef::new("people_age", "people", vec![(2, Desc)]))
        .unwrap();
    assert_eq!(raw_keys(&t, "i:people_age").len(), n as usize);
    assert_eq!(
        ids(t
            .index_scan("people_age", &KeyRange::prefix(vec![int(49)]))
            .unwrap())
        .len(),
        50
    );
    // Emails repeat past row 2400: the unique build fails and leaves nothing behind.
    let cookie = t.txn().schema_cookie();
    let err = t
        .create_index(IndexDef::new("people_email", "people", vec![(3, Asc)]).unique())
        .unwrap_err();
    assert_eq!(
        table_err(err),
        TableError::UniqueViolation {
            index: "people_email".into(),
            table: "people".into()
        }
    );
    assert!(!t.index_exists("people_email").unwrap());
    assert!(t.txn().open_tree("i:people_email").is_err());
    assert_eq!(t.indexes("people").unwrap().len(), 1);
    assert_eq!(t.txn().schema_cookie(), cookie);
    // Remove the duplicates; now it builds (the one NULL email does not conflict).
    for i in 2400..n {
        t.delete_row("people", &[int(i)]).unwrap();
    }
    t.create_index(IndexDef::new("people_email", "people", vec![(3, Asc)]).unique())
        .unwrap();
    assert_eq!(raw_keys(&t, "i:people_email").len(), 2400);
    assert_eq!(t.check_table("people").unwrap(), vec![]);
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn drop_table_and_index_remove_trees_and_records() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    t.insert_row("people", person(1, Some("Oslo"), Some(3), Some("a@x")))
        .unwrap();
    t.analyze("people").unwrap();
    t.drop_index("people_email").unwrap();
    assert!(!t.index_exists("people_email").unwrap());
    assert!(t.txn().open_tree("i:people_email").is_err());
    assert_eq!(t.indexes("people").unwrap().len(), 1);
    assert_eq!(t.check_table("people").unwrap(), vec![]);
    t.drop_table("people").unwrap();
    assert!(!t.table_exists("people").unwrap());
    assert!(!t.index_exists("people_city_age").unwrap());
    let trees: Vec<String> = t
        .txn()
        .list_trees()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(trees, vec!["__covet_catalog".to_string()]);
    let catalog = t.txn().open_tree("__covet_catalog").unwrap();
    assert_eq!(t.txn().iter(&catalog).count(), 0);
    // The names are free again.
    setup(&mut t);
    assert_eq!(t.scan("people").unwrap().count(), 0);
    assert_eq!(t.table_stats("people").unwrap(), None);
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn rollback_undoes_ddl_and_rows() {
    let db = Database::memory_with(opts()).unwrap();
    let before = db.begin_read().unwrap().schema_cookie();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    t.insert_row("people", person(1, None, None, None)).unwrap();
    drop(t);
    w.rollback();
    let r = db.begin_read().unwrap();
    assert_eq!(r.schema_cookie(), before);
    assert_eq!(r.tables().list_tables().unwrap(), Vec::<String>::new());
    assert!(r.list_trees().unwrap().is_empty());
    drop(r);

    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    t.insert_row("people", person(1, None, None, Some("a@x")))
        .unwrap();
    drop(t);
    w.commit().unwrap();
    let committed = db.begin_read().unwrap().schema_cookie();
    assert!(committed > before);

    // A dropped table comes back with its rows when the drop is rolled back.
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.drop_table("people").unwrap();
    assert!(!t.table_exists("people").unwrap());
    drop(t);
    w.rollback();
    let r = db.begin_read().unwrap();
    assert_eq!(r.tables().scan("people").unwrap().count(), 1);
    assert_eq!(r.schema_cookie(), committed);
    drop(r);

    // Rolling back to a savepoint undoes an index created after it.
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    let sp = t.savepoint().unwrap();
    t.create_index(IndexDef::new("people_age", "people", vec![(2, Asc)]))
        .unwrap();
    t.insert_row("people", person(2, None, Some(5), None))
        .unwrap();
    assert!(t.index_exists("people_age").unwrap());
    t.rollback_to(sp).unwrap();
    assert!(!t.index_exists("people_age").unwrap());
    assert_eq!(t.indexes("people").unwrap().len(), 2);
    assert_eq!(ids(t.scan("people").unwrap()), vec![1]);
    t.release(sp).unwrap();
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn catalog_rows_and_statistics_survive_reopen() {
    let vfs = Arc::new(MemoryVfs::new());
    let stats = {
        let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
        let mut w = db.begin_write().unwrap();
        let mut t = w.tables();
        setup(&mut t);
        let typed = TableSchema::new(
            "typed",
            vec![
                ColumnDef::new(
                    "amount",
                    SqlType::Decimal {
                        precision: Some(8),
                        scale: Some(2),
                    },
                )
                .with_default(Value::Decimal("1.50".parse().unwrap())),
                ColumnDef::new("at", SqlType::Date).not_null(),
            ],
        );
        t.create_table(typed).unwrap();
        t.insert_row(
            "typed",
            vec![
                Value::Decimal("2.10".parse().unwrap()),
                Value::Date(covet_engine::value::Date::from_ymd(2024, 2, 29).unwrap()),
            ],
        )
        .unwrap();
        for i in 0..50 {
            t.insert_row("people", person(i, Some("Oslo"), Some(i % 7), None))
                .unwrap();
        }
        let stats = t.analyze("people").unwrap();
        drop(t);
        w.commit().unwrap();
        stats
    };
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.tables();
    assert_eq!(
        t.list_tables().unwrap(),
        vec!["people".to_string(), "typed".to_string()]
    );
    assert_eq!(t.table_schema("people").unwrap(), people());
    let typed = t.table_schema("typed").unwrap();
    assert_eq!(
        typed.columns[0].default,
        Some(Value::Decimal("1.50".parse().unwrap()))
    );
    assert_eq!(
        t.index_def("people_city_age").unwrap(),
        IndexDef::new("people_city_age", "people", vec![(1, Asc), (2, Desc)])
    );
    assert!(t.index_def("people_email").unwrap().unique);
    assert_eq!(t.scan("people").unwrap().count(), 50);
    assert_eq!(t.table_stats("people").unwrap(), Some(stats));
    assert_eq!(t.table_stats("typed").unwrap(), None);
    assert_eq!(
        ids(t
            .index_scan(
                "people_city_age",
                &KeyRange::prefix(vec![text("Oslo"), int(6)])
            )
            .unwrap()),
        vec![6, 13, 20, 27, 34, 41, 48]
    );
    drop(t);
    drop(r);
    // The rowid counter of a rowid table also persists.
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    assert_eq!(
        t.insert_row(
            "typed",
            vec![
                Value::Null,
                Value::Date(covet_engine::value::Date::from_ymd(2024, 3, 1).unwrap())
            ]
        )
        .unwrap(),
        vec![int(2)]
    );
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn analyze_is_exact_on_a_small_table() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    let data = [
        person(1, Some("Oslo"), Some(30), Some("a@x")),
        person(2, Some("Oslo"), None, Some("b@x")),
        person(3, Some("Rome"), Some(30), None),
        person(4, None, Some(41), None),
        person(5, Some("Lima"), None, None),
        person(6, Some("Oslo"), Some(22), Some("c@x")),
    ];
    for r in &data {
        t.insert_row("people", r.clone()).unwrap();
    }
    let s = t.analyze("people").unwrap();
    assert_eq!(s.row_count, 6);
    assert_eq!(s.page_count, 1);
    let col = |i: usize| &s.columns[i];
    assert_eq!(col(0).null_frac, 0.0);
    assert_eq!(col(0).distinct, 6.0);
    assert_eq!(
        (col(0).min.clone(), col(0).max.clone()),
        (Some(int(1)), Some(int(6)))
    );
    assert_eq!(col(1).null_frac, 1.0 / 6.0);
    assert_eq!(col(1).distinct, 3.0);
    assert_eq!(col(1).min, Some(text("Lima")));
    assert_eq!(col(1).max, Some(text("Rome")));
    assert_eq!(col(2).null_frac, 2.0 / 6.0);
    assert_eq!(col(2).distinct, 3.0);
    assert_eq!(col(3).null_frac, 3.0 / 6.0);
    assert_eq!(col(3).distinct, 3.0);
    assert_eq!(t.table_stats("people").unwrap(), Some(s));

    // A table spanning many pages, with overflow values: page_count counts them all.
    let blobs = TableSchema::new("blobs", vec![ColumnDef::new("b", SqlType::Blob)]);
    t.create_table(blobs).unwrap();
    for i in 0..200u32 {
        let len = if i % 10 == 0 { 3000 } else { 40 };
        t.insert_row("blobs", vec![Value::Blob(vec![i as u8; len])])
            .unwrap();
    }
    let config = StatsConfig {
        sample_size: 50,
        ..StatsConfig::default()
    };
    let s = t.analyze_with("blobs", config).unwrap();
    assert_eq!(s.row_count, 200);
    // 20 values of 3000 bytes take 3 overflow pages each at 1 KiB pages.
    assert!(s.page_count > 60, "{}", s.page_count);
    drop(t);
    w.commit().unwrap();
    // Every page of the database is one of: header, directory, catalog, the trees.
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(u64::from(report.pages_checked) > s.page_count);
}

#[test]
fn integrity_check_finds_index_damage() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    for i in 0..10 {
        t.insert_row(
            "people",
            person(i, Some("Oslo"), Some(i), Some(&format!("{i}@x"))),
        )
        .unwrap();
    }
    drop(t);
    w.commit().unwrap();
    assert!(db.check_integrity().unwrap().is_ok());

    // Remove one entry and add a stray one behind the table layer's back.
    let mut w = db.begin_write().unwrap();
    let tree = w.open_tree("i:people_email").unwrap();
    let mut gone = key(&[text("3@x")], &[]);
    gone.extend(key(&[int(3)], &[]));
    assert!(w.remove(&tree, &gone).unwrap());
    let mut stray = key(&[text("zz@x")], &[]);
    stray.extend(key(&[int(77)], &[]));
    w.insert(&tree, &stray, b"").unwrap();
    let problems = w.tables().check_table("people").unwrap();
    let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details[0].contains("row [Int(3)] has no entry"),
        "{details:?}"
    );
    assert!(details[1].contains("has no row"), "{details:?}");
    w.commit().unwrap();
    let report = db.check_integrity().unwrap();
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
}

#[test]
fn damaged_catalog_record_is_a_typed_error() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    setup(&mut w.tables());
    let cat = w.open_tree("__covet_catalog").unwrap();
    w.insert(&cat, b"Tpeople", &[1, 0xff, 0xff]).unwrap();
    let err = w.tables().scan("people").map(|_| ()).unwrap_err();
    assert!(
        matches!(table_err(err), TableError::CatalogCorrupt { ref record, .. } if record.contains("people"))
    );
    w.insert(&cat, b"Tpeople", &[9]).unwrap();
    assert!(matches!(
        table_err(w.tables().table_schema("people").unwrap_err()),
        TableError::CatalogCorrupt { .. }
    ));
    // A damaged row is an error on read, not a panic.
    w.insert(&cat, b"Tpeople", &[]).unwrap();
    w.rollback();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    setup(&mut t);
    t.insert_row("people", person(1, None, None, None)).unwrap();
    drop(t);
    let rows = w.open_tree("t:people").unwrap();
    w.insert(&rows, &key(&[int(1)], &[]), &[1, 200]).unwrap();
    assert!(matches!(
        table_err(w.tables().get_row("people", &[int(1)]).unwrap_err()),
        TableError::RowCorrupt { .. }
    ));
    assert!(w.tables().scan("people").unwrap().next().unwrap().is_err());
}

#[test]
fn handles_survive_vacuum_and_short_transactions() {
    let db = Database::memory_with(opts()).unwrap();
    {
        let mut w = db.begin_write().unwrap();
        setup(&mut w.tables());
        w.commit().unwrap();
    }
    for i in 0..200 {
        let mut w = db.begin_write().unwrap();
        w.tables()
            .insert_row("people", person(i, Some("Oslo"), Some(i), None))
            .unwrap();
        w.commit().unwrap();
    }
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    for i in 0..150 {
        t.delete_row("people", &[int(i)]).unwrap();
    }
    // Vacuum in the middle of a facade's life: cached tree handles are forgotten.
    t.txn_mut().vacuum().unwrap();
    t.insert_row("people", person(1000, Some("Rome"), Some(1), None))
        .unwrap();
    assert_eq!(t.scan("people").unwrap().count(), 51);
    drop(t);
    w.commit().unwrap();
    db.vacuum().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        ids(r
            .tables()
            .index_scan("people_city_age", &KeyRange::prefix(vec![text("Rome")]))
            .unwrap()),
        vec![1000]
    );
    assert!(db.check_integrity().unwrap().is_ok());
}
