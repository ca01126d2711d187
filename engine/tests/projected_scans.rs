//! Reads that decode only the columns a query needs (`get_row_columns`, `scan_columns`,
//! `index_scan_columns`), and scans that continue after the same write transaction
//! changed the table (`KeyRange::after`, `KeyRange::resume_after`).

use std::ops::Bound;

use covet_engine::table::{
    ColumnDef, IndexDef, KeyRange, SchemaError, TableError, TableRead, TableSchema,
};
use covet_engine::value::{encode_key, encode_row, SortOrder, SqlType, Value};
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

/// p(k BIGINT, name TEXT, n INTEGER, PRIMARY KEY (n, k)) with index p_name on name;
/// rows k = 1..=count, name "n{k}", n = k % 3.
fn setup(db: &Database, count: i64) {
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(
        TableSchema::new(
            "p",
            vec![
                ColumnDef::new("k", SqlType::BigInt).not_null(),
                ColumnDef::new("name", SqlType::Text),
                ColumnDef::new("n", SqlType::Integer).not_null(),
            ],
        )
        .with_primary_key(vec![2, 0]),
    )
    .unwrap();
    t.create_index(IndexDef::new("p_name", "p", vec![(1, SortOrder::Desc)]))
        .unwrap();
    for k in 1..=count {
        t.insert_row("p", vec![int(k), text(&format!("n{k}")), int(k % 3)])
            .unwrap();
    }
    drop(t);
    w.commit().unwrap();
}

#[test]
fn projections_return_only_the_asked_columns_in_the_asked_order() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db, 4);
    let r = db.begin_read().unwrap();
    let t = r.tables();
    assert_eq!(
        t.get_row_columns("p", &[int(1), int(4)], &[1, 2, 1])
            .unwrap(),
        Some(vec![text("n4"), int(1), text("n4")])
    );
    assert_eq!(
        t.get_row_columns("p", &[int(0), int(4)], &[1]).unwrap(),
        None
    );
    let rows: Vec<_> = t
        .scan_columns("p", &KeyRange::prefix(vec![int(1)]), &[1])
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.pk, r.values)
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (vec![int(1), int(1)], vec![text("n1")]),
            (vec![int(1), int(4)], vec![text("n4")]),
        ]
    );
    // No column at all: the primary keys alone.
    let keys: Vec<_> = t
        .scan_columns("p", &KeyRange::all(), &[])
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            assert!(r.values.is_empty());
            r.pk
        })
        .collect();
    assert_eq!(keys.len(), 4);
    assert_eq!(keys[0], vec![int(0), int(3)]);
    let by_name: Vec<_> = t
        .index_scan_columns("p_name", &KeyRange::all(), &[0])
        .unwrap()
        .map(|r| r.unwrap().values)
        .collect();
    assert_eq!(
        by_name,
        vec![vec![int(4)], vec![int(3)], vec![int(2)], vec![int(1)]]
    );
    let e = t
        .scan_columns("p", &KeyRange::all(), &[0, 3])
        .err()
        .unwrap();
    assert!(matches!(
        e,
        Error::Table(TableError::Schema(SchemaError::UnknownColumn {
            position: 3,
            ..
        }))
    ));
}

#[test]
fn projections_decode_nothing_else_and_map_slots() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(TableSchema::new(
        "r",
        vec![
            ColumnDef::new("a", SqlType::Text),
            ColumnDef::new("b", SqlType::Integer),
            ColumnDef::new("c", SqlType::Integer),
        ],
    ))
    .unwrap();
    t.insert_row("r", vec![text("x"), int(1), int(2)]).unwrap();
    t.drop_column("r", "b").unwrap();
    t.add_column(
        "r",
        ColumnDef::new("d", SqlType::Integer).with_default(int(9)),
    )
    .unwrap();
    assert_eq!(
        t.get_row_columns("r", &[int(1)], &[2, 1]).unwrap(),
        Some(vec![int(9), int(2)])
    );
    drop(t);
    // A stored row whose text column is not UTF-8: a full read fails, a projection
    // without that column never decodes it.
    let tree = w.open_tree("t:r").unwrap();
    let mut row = Vec::new();
    encode_row(&[text("ok"), int(5), int(6)], &mut row);
    let at = row.len() - 4; // the payloads: "ok", 5, 6
    row[at] = 0xff;
    let mut key = Vec::new();
    encode_key(&[int(2)], &[], &mut key);
    w.insert(&tree, &key, &row).unwrap();
    let t = w.tables();
    assert!(matches!(
        t.get_row("r", &[int(2)]),
        Err(Error::Table(TableError::RowCorrupt { .. }))
    ));
    assert_eq!(
        t.get_row_columns("r", &[int(2)], &[1, 2]).unwrap(),
        Some(vec![int(6), int(9)])
    );
    let all: Vec<_> = t
        .scan_columns("r", &KeyRange::all(), &[1])
        .unwrap()
        .map(|r| r.unwrap())
        .map(|r| (r.pk, r.values))
        .collect();
    assert_eq!(
        all,
        vec![(vec![int(1)], vec![int(2)]), (vec![int(2)], vec![int(6)])]
    );
}

#[test]
fn a_scan_resumes_after_its_own_transaction_wrote() {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    t.create_table(
        TableSchema::new(
            "c",
            vec![
                ColumnDef::new("k", SqlType::BigInt).not_null(),
                ColumnDef::new("v", SqlType::BigInt),
            ],
        )
        .with_primary_key(vec![0]),
    )
    .unwrap();
    for k in 0..1000 {
        t.insert_row("c", vec![int(k * 2), int(0)]).unwrap();
    }
    // UPDATE c SET v = v + 1 in batches of 64, deleting every k ≡ 6 (mod 10) and
    // inserting an odd key behind the cursor and one ahead of it after each batch.
    let mut range = KeyRange::all();
    let mut visited = Vec::new();
    loop {
        let batch: Vec<_> = t
            .scan_range("c", &range)
            .unwrap()
            .take(64)
            .map(|r| r.unwrap())
            .collect();
        let Some(last) = batch.last() else { break };
        range = range.resume_after(last.pk.clone());
        for row in &batch {
            let Value::Int(k) = row.pk[0] else { panic!() };
            visited.push(k);
            if k % 10 == 6 {
                assert!(t.delete_row("c", &row.pk).unwrap());
                continue;
            }
            let Value::Int(v) = row.values[1] else {
                panic!()
            };
            t.update_row("c", &row.pk, vec![int(k), int(v + 1)])
                .unwrap();
        }
        let Value::Int(last_k) = last.pk[0] else {
            panic!()
        };
        for k in [last_k - 1, last_k + 1] {
            if k % 2 != 0 && k < 2000 && t.get_row("c", &[int(k)]).unwrap().is_none() {
                t.insert_row("c", vec![int(k), int(100)]).unwrap();
            }
        }
    }
    // Each key once, the old ones all in order.
    assert_eq!(
        visited.len(),
        visited
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    let old: Vec<i64> = visited.iter().copied().filter(|k| k % 2 == 0).collect();
    assert_eq!(old, (0..2000).step_by(2).collect::<Vec<_>>());
    // Every old row was updated once or deleted; keys inserted behind were not seen.
    for row in t.scan("c").unwrap() {
        let row = row.unwrap();
        let (Value::Int(k), Value::Int(v)) = (&row.values[0], &row.values[1]) else {
            panic!()
        };
        if k % 2 == 0 {
            assert_ne!(k % 10, 6, "deleted row {k} is back");
            assert_eq!(*v, 1, "row {k}");
        } else {
            // Odd keys came from the inserts: one ahead of a batch was visited (and
            // updated to 101) exactly when the scan reached it.
            assert_eq!(*v, if visited.contains(k) { 101 } else { 100 }, "row {k}");
        }
    }
    assert_eq!(t.check_table("c").unwrap(), vec![]);
}

#[test]
fn an_index_scan_resumes_after_its_last_entry() {
    let db = Database::memory_with(opts()).unwrap();
    setup(&db, 30);
    let mut w = db.begin_write().unwrap();
    let mut t = w.tables();
    // Walk the DESC index on name in batches of 7, renaming each row's name to
    // "z…", which sorts before every "n…" in this DESC index: behind the cursor, so
    // never visited again; every third row is deleted instead.
    let mut range = KeyRange::all();
    let mut names = Vec::new();
    loop {
        let batch: Vec<_> = t
            .index_scan("p_name", &range)
            .unwrap()
            .take(7)
            .map(|r| r.unwrap())
            .collect();
        let Some(last) = batch.last() else { break };
        // The full index key: the indexed value, then the primary key.
        let mut resume = vec![last.values[1].clone()];
        resume.extend(last.pk.iter().cloned());
        range = range.resume_after(resume);
        for row in batch {
            let Value::Text(name) = &row.values[1] else {
                panic!()
            };
            names.push(name.clone());
            let Value::Int(k) = row.values[0] else {
                panic!()
            };
            if k % 3 == 0 {
                assert!(t.delete_row("p", &row.pk).unwrap());
            } else {
                let mut new = row.values.clone();
                new[1] = text(&format!("z{name}"));
                assert!(t.update_row("p", &row.pk, new).unwrap());
            }
        }
    }
    let mut want: Vec<String> = (1..=30).map(|k| format!("n{k}")).collect();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, want);
    let now: Vec<_> = t
        .index_entries("p_name", &KeyRange::all())
        .unwrap()
        .map(|e| e.unwrap().values)
        .collect();
    assert_eq!(now.len(), 20);
    assert_eq!(now[0], vec![text("zn8")]);
    assert_eq!(t.check_table("p").unwrap(), vec![]);
    // A reversed range resumes downwards.
    let back = KeyRange::all().reversed().resume_after(vec![text("zn5")]);
    let first = t
        .index_entries("p_name", &back)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first.values, vec![text("zn7")]);
    assert_eq!(
        KeyRange::after(vec![int(1)]).lower,
        Bound::Excluded(vec![int(1)])
    );
}
