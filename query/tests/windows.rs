//! Window partitions past work_mem spill to a temporary file and give the in-memory
//! answer, which is checked against values computed here by brute force.

mod common;

use common::*;
use covet_engine::table::{ColumnDef, TableSchema};
use covet_engine::value::{SqlType, Value};
use covet_engine::Database;
use covet_query::exec::ExecSettings;

const ROWS: i64 = 3000;

/// `g(k BIGINT PRIMARY KEY, p BIGINT, v BIGINT, s TEXT)`, k = 1..=3000, p = k % 2 (two
/// partitions of 1500 rows), v = (k * 7919) % 100 (peers: 15 rows per v per partition).
fn g() -> Database {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    {
        let mut tw = w.tables();
        tw.create_table(
            TableSchema::new(
                "g",
                vec![
                    ColumnDef::new("k", SqlType::BigInt).not_null(),
                    ColumnDef::new("p", SqlType::BigInt),
                    ColumnDef::new("v", SqlType::BigInt),
                    ColumnDef::new("s", SqlType::Text),
                ],
            )
            .with_primary_key(vec![0]),
        )
        .unwrap();
        for k in 1..=ROWS {
            tw.insert_row(
                "g",
                vec![i(k), i(k % 2), i(v_of(k)), t(&format!("row {k:04}"))],
            )
            .unwrap();
        }
    }
    w.commit().unwrap();
    db
}

fn v_of(k: i64) -> i64 {
    (k * 7919) % 100
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("covet-window-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `sql` in memory and with an 8 KiB work_mem; both answers must be equal and the
/// second must have spilled. Returns the answer.
fn same_spilled(db: &Database, name: &str, sql: &str) -> Vec<Vec<Value>> {
    let (plain, state) = run_with(db, sql, vec![], ExecSettings::default()).unwrap();
    assert_eq!(state.stats.spill_files, 0, "{sql}");
    let dir = temp_dir(name);
    let tiny = ExecSettings {
        work_mem: 8 * 1024,
        temp_dir: dir.clone(),
    };
    let (spilled, state) = run_with(db, sql, vec![], tiny).unwrap();
    // The input sort spills too; a window partition adds one file per partition.
    assert!(state.stats.spill_files >= 2, "{sql}: {:?}", state.stats);
    assert_eq!(spilled, plain, "{sql}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "spill files left"
    );
    let _ = std::fs::remove_dir_all(&dir);
    spilled
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(x) => *x,
        other => panic!("not an integer: {other:?}"),
    }
}

/// The rows of partition `p`, in k order.
fn partition(p: i64) -> Vec<i64> {
    (1..=ROWS).filter(|k| k % 2 == p).collect()
}

#[test]
fn rows_frames_and_offsets_over_a_spilled_partition() {
    let db = g();
    let sql = "SELECT k, \
        sum(k) OVER (PARTITION BY p ORDER BY k ROWS BETWEEN 3 PRECEDING AND 2 FOLLOWING), \
        sum(k) OVER (PARTITION BY p ORDER BY k), \
        lag(k, 2) OVER (PARTITION BY p ORDER BY k), \
        lead(k, 700, -1) OVER (PARTITION BY p ORDER BY k), \
        first_value(k) OVER (PARTITION BY p ORDER BY k ROWS BETWEEN 10 PRECEDING AND CURRENT ROW), \
        max(k) OVER (PARTITION BY p ORDER BY k ROWS BETWEEN 1 FOLLOWING AND 4 FOLLOWING), \
        row_number() OVER (PARTITION BY p ORDER BY k), \
        ntile(7) OVER (PARTITION BY p ORDER BY k), \
        sum(k) OVER (PARTITION BY p ORDER BY k ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) \
        FROM g ORDER BY k";
    let got = same_spilled(&db, "rows", sql);
    assert_eq!(got.len(), ROWS as usize);
    let mut want = Vec::new();
    for k in 1..=ROWS {
        let part = partition(k % 2);
        let at = part.iter().position(|&x| x == k).unwrap();
        let n = part.len();
        let frame = |lo: i64, hi: i64| -> &[i64] {
            // Rows at + lo ..= at + hi, clipped to the partition.
            let a = (at as i64 + lo).clamp(0, n as i64) as usize;
            let b = (at as i64 + hi + 1).clamp(0, n as i64) as usize;
            &part[a..b.max(a)]
        };
        let ntile = {
            let (small, big) = (n / 7, n % 7);
            let boundary = big * (small + 1);
            if at < boundary {
                at / (small + 1)
            } else {
                big + (at - boundary) / small
            }
        };
        want.push(vec![
            i(k),
            i(frame(-3, 2).iter().sum()),
            i(part[..=at].iter().sum()),
            at.checked_sub(2).map_or(Value::Null, |j| i(part[j])),
            i(part.get(at + 700).copied().unwrap_or(-1)),
            i(frame(-10, 0)[0]),
            frame(1, 4).iter().max().map_or(Value::Null, |&m| i(m)),
            i(at as i64 + 1),
            i(ntile as i64 + 1),
            i(part[at..].iter().sum()),
        ]);
    }
    assert_eq!(got, want);
}

#[test]
fn range_groups_and_ranks_over_a_spilled_partition() {
    let db = g();
    let sql = "SELECT k, \
        count(*) OVER (PARTITION BY p ORDER BY v RANGE BETWEEN 5 PRECEDING AND 2 FOLLOWING), \
        sum(k) OVER (PARTITION BY p ORDER BY v DESC RANGE BETWEEN CURRENT ROW AND 3 FOLLOWING), \
        max(k) OVER (PARTITION BY p ORDER BY v GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING), \
        rank() OVER (PARTITION BY p ORDER BY v), \
        dense_rank() OVER (PARTITION BY p ORDER BY v), \
        min(s) OVER (PARTITION BY p ORDER BY v RANGE BETWEEN 2 FOLLOWING AND 4 FOLLOWING) \
        FROM g ORDER BY k";
    let got = same_spilled(&db, "range", sql);
    let mut want = Vec::new();
    for k in 1..=ROWS {
        let part = partition(k % 2);
        let v = v_of(k);
        let within = |lo: i64, hi: i64| {
            part.iter()
                .filter(move |&&x| (v + lo..=v + hi).contains(&v_of(x)))
        };
        // The distinct values of the partition, for GROUPS and dense_rank.
        let mut values: Vec<i64> = part.iter().map(|&x| v_of(x)).collect();
        values.sort_unstable();
        values.dedup();
        let g = values.iter().position(|&x| x == v).unwrap();
        let groups = &values[g.saturating_sub(1)..(g + 2).min(values.len())];
        want.push(vec![
            i(k),
            i(within(-5, 2).count() as i64),
            // DESC: 3 FOLLOWING is 3 below.
            i(within(-3, 0).sum()),
            i(part
                .iter()
                .filter(|&&x| groups.contains(&v_of(x)))
                .copied()
                .max()
                .unwrap()),
            i(part.iter().filter(|&&x| v_of(x) < v).count() as i64 + 1),
            i(g as i64 + 1),
            within(2, 4)
                .map(|&x| format!("row {x:04}"))
                .min()
                .map_or(Value::Null, |s| t(&s)),
        ]);
    }
    assert_eq!(got, want);
}

#[test]
fn one_peer_group_bigger_than_work_mem() {
    let db = g();
    // p is one value per partition: ORDER BY p makes each partition one peer group.
    let sql = "SELECT k, count(*) OVER (PARTITION BY p ORDER BY p), \
        cume_dist() OVER (PARTITION BY p ORDER BY p), \
        last_value(k) OVER (PARTITION BY p ORDER BY p RANGE BETWEEN 0 PRECEDING AND 0 FOLLOWING) \
        FROM g ORDER BY k";
    let got = same_spilled(&db, "peers", sql);
    for row in &got {
        assert_eq!(int(&row[1]), ROWS / 2);
        assert_eq!(row[2], Value::Float(1.0));
        // The last row of the partition in the sort's order is its own; the partition
        // holds all of one parity.
        assert_eq!(int(&row[3]) % 2, int(&row[0]) % 2);
    }
}
