//! Model-based test of the table layer: random inserts, updates and deletes (with
//! commits and rollbacks) on a table with two indexes, against a `Vec` of rows. After
//! every step, the table scan, every index scan (full, prefix seeks with NULL, a reversed
//! range) and the index-only entries must equal the model filtered and sorted, and the
//! table check must find nothing.

use std::cmp::Ordering;
use std::ops::Bound;

use covet_engine::table::{
    ColumnDef, IndexDef, KeyRange, Row, TableError, TableRead, TableSchema, TableWriter,
};
use covet_engine::value::{SortOrder::Asc, SortOrder::Desc, SqlType, Value};
use covet_engine::{Database, Error, Options};
use proptest::prelude::*;

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

fn values_of(iter: impl Iterator<Item = covet_engine::Result<Row>>) -> Vec<Vec<Value>> {
    iter.map(|r| r.unwrap().values).collect()
}

fn table_err(e: Error) -> TableError {
    match e {
        Error::Table(t) => t,
        other => panic!("not a table error: {other:?}"),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(i64, Option<i64>, Option<u8>),
    Update(i64, i64, Option<i64>, Option<u8>),
    Delete(i64),
    Commit,
    Rollback,
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0i64..16;
    let a = proptest::option::weighted(0.8, 0i64..5);
    let b = proptest::option::weighted(0.7, 0u8..12);
    prop_oneof![
        6 => (id.clone(), a.clone(), b.clone()).prop_map(|(i, a, b)| Op::Insert(i, a, b)),
        4 => (id.clone(), id.clone(), a, b).prop_map(|(i, j, a, b)| Op::Update(i, j, a, b)),
        3 => id.prop_map(Op::Delete),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
    ]
}

/// (id, a, b)
type ModelRow = (i64, Option<i64>, Option<String>);

fn b_text(b: Option<u8>) -> Option<String> {
    b.map(|b| format!("b{b:02}"))
}

fn values(r: &ModelRow) -> Vec<Value> {
    vec![
        int(r.0),
        r.1.map_or(Value::Null, int),
        r.2.as_deref().map_or(Value::Null, text),
    ]
}

fn schema() -> TableSchema {
    TableSchema::new(
        "m",
        vec![
            ColumnDef::new("id", SqlType::BigInt),
            ColumnDef::new("a", SqlType::Integer),
            ColumnDef::new("b", SqlType::Text),
        ],
    )
    .with_primary_key(vec![0])
}

/// NULL first (ascending).
fn asc<T: Ord>(x: &Option<T>, y: &Option<T>) -> Ordering {
    x.cmp(y)
}

/// The model's answer to the operation, applied to `rows`.
fn apply(rows: &mut Vec<ModelRow>, op: &Op) -> Result<bool, &'static str> {
    match op {
        Op::Insert(id, a, b) => {
            let b = b_text(*b);
            if rows.iter().any(|r| r.0 == *id) {
                return Err("pk");
            }
            if b.is_some() && rows.iter().any(|r| r.2 == b) {
                return Err("unique");
            }
            rows.push((*id, *a, b));
            Ok(true)
        }
        Op::Update(id, new_id, a, b) => {
            let b = b_text(*b);
            let Some(pos) = rows.iter().position(|r| r.0 == *id) else {
                return Ok(false);
            };
            if new_id != id && rows.iter().any(|r| r.0 == *new_id) {
                return Err("pk");
            }
            if b.is_some() && rows.iter().any(|r| r.0 != *id && r.2 == b) {
                return Err("unique");
            }
            rows[pos] = (*new_id, *a, b);
            Ok(true)
        }
        Op::Delete(id) => {
            let before = rows.len();
            rows.retain(|r| r.0 != *id);
            Ok(rows.len() != before)
        }
        Op::Commit | Op::Rollback => Ok(true),
    }
}

fn run(t: &mut TableWriter<'_>, op: &Op) -> Result<bool, &'static str> {
    let result = match op {
        Op::Insert(id, a, b) => t
            .insert_row("m", values(&(*id, *a, b_text(*b))))
            .map(|_| true),
        Op::Update(id, new_id, a, b) => {
            t.update_row("m", &[int(*id)], values(&(*new_id, *a, b_text(*b))))
        }
        Op::Delete(id) => t.delete_row("m", &[int(*id)]),
        Op::Commit | Op::Rollback => unreachable!(),
    };
    result.map_err(|e| match table_err(e) {
        TableError::DuplicateKey { .. } => "pk",
        TableError::UniqueViolation { index, table } => {
            assert_eq!((index.as_str(), table.as_str()), ("m_b", "m"));
            "unique"
        }
        other => panic!("unexpected {other:?}"),
    })
}

fn check(t: &TableWriter<'_>, rows: &[ModelRow]) {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| r.0);
    let want: Vec<Vec<Value>> = sorted.iter().map(values).collect();
    assert_eq!(values_of(t.scan("m").unwrap()), want);

    // m_ab: a ASC (NULL first), b DESC (NULL last), then id.
    let mut ab = rows.to_vec();
    ab.sort_by(|x, y| {
        asc(&x.1, &y.1)
            .then_with(|| asc(&x.2, &y.2).reverse())
            .then(x.0.cmp(&y.0))
    });
    let want: Vec<Vec<Value>> = ab.iter().map(values).collect();
    assert_eq!(
        values_of(t.index_scan("m_ab", &KeyRange::all()).unwrap()),
        want
    );
    let entries: Vec<(Vec<Value>, Vec<Value>)> = t
        .index_entries("m_ab", &KeyRange::all())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.values, e.pk)
        })
        .collect();
    let want_entries: Vec<(Vec<Value>, Vec<Value>)> = ab
        .iter()
        .map(|r| (values(r)[1..].to_vec(), vec![int(r.0)]))
        .collect();
    assert_eq!(entries, want_entries);
    // Equality seeks on a, NULL included, and a range lo <= a < hi.
    for a in [None, Some(0), Some(2), Some(4)] {
        let key = vec![a.map_or(Value::Null, int)];
        let got = values_of(t.index_scan("m_ab", &KeyRange::prefix(key)).unwrap());
        let want: Vec<Vec<Value>> = ab.iter().filter(|r| r.1 == a).map(values).collect();
        assert_eq!(got, want, "a = {a:?}");
    }
    let range = KeyRange::new(Bound::Included(vec![int(1)]), Bound::Excluded(vec![int(3)]));
    let got = values_of(t.index_scan("m_ab", &range.clone().reversed()).unwrap());
    let mut want: Vec<Vec<Value>> = ab
        .iter()
        .filter(|r| r.1.is_some_and(|a| (1..3).contains(&a)))
        .map(values)
        .collect();
    want.reverse();
    assert_eq!(got, want);

    // m_b (unique): b ASC (NULL first), then id.
    let mut by_b = rows.to_vec();
    by_b.sort_by(|x, y| asc(&x.2, &y.2).then(x.0.cmp(&y.0)));
    let want: Vec<Vec<Value>> = by_b.iter().map(values).collect();
    assert_eq!(
        values_of(t.index_scan("m_b", &KeyRange::all()).unwrap()),
        want
    );
    assert_eq!(t.check_table("m").unwrap(), vec![]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn indexes_follow_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        let db = Database::memory_with(opts()).unwrap();
        let mut w = db.begin_write().unwrap();
        {
            let mut t = w.tables();
            t.create_table(schema()).unwrap();
            t.create_index(IndexDef::new("m_ab", "m", vec![(1, Asc), (2, Desc)])).unwrap();
            t.create_index(IndexDef::new("m_b", "m", vec![(2, Asc)]).unique()).unwrap();
        }
        w.commit().unwrap();
        let mut committed: Vec<ModelRow> = Vec::new();
        let mut rows = committed.clone();
        let mut w = db.begin_write().unwrap();
        for op in &ops {
            match op {
                Op::Commit => {
                    w.commit().unwrap();
                    committed = rows.clone();
                    w = db.begin_write().unwrap();
                }
                Op::Rollback => {
                    w.rollback();
                    rows = committed.clone();
                    w = db.begin_write().unwrap();
                }
                _ => {
                    let want = apply(&mut rows, op);
                    let mut t = w.tables();
                    prop_assert_eq!(run(&mut t, op), want, "{:?}", op);
                }
            }
            check(&w.tables(), &rows);
        }
        w.commit().unwrap();
        let report = db.check_integrity().unwrap();
        prop_assert!(report.is_ok(), "{:?}", report.problems);
    }
}
