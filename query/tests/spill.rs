//! Spilling operators past `work_mem`: hash joins (Grace partitions, re-splits and the
//! block nested loop for a key too big for memory), nested-loop joins over a spilled
//! inner side, recursive CTEs and INTERSECT / EXCEPT [ALL]. Each query runs with a few
//! kilobytes of work memory and must return exactly what a naive reference in this file
//! computes (and what the in-memory run returns), and leave no temporary file behind.

mod common;

use std::collections::HashMap;

use common::*;
use covet_engine::table::{ColumnDef, TableSchema};
use covet_engine::value::{SqlType, Value};
use covet_engine::Database;
use covet_query::exec::{run_to_end, ExecSettings, ExecState, ExecStats};
use covet_query::plan::{JoinKind, PhysicalNode};

/// A left row: (k, v) with v its number; k is NULL, the skewed key 7 or spread out.
fn left_rows() -> Vec<(Option<i64>, i64)> {
    (0..800)
        .map(|id| {
            let k = if id % 37 == 0 {
                None
            } else if id % 10 == 0 {
                Some(7)
            } else {
                Some((id * 13) % 500)
            };
            (k, id)
        })
        .collect()
}

/// A right row: (k, w); keys 100..700 overlap the left's 0..500 in part.
fn right_rows() -> Vec<(Option<i64>, i64)> {
    (0..600)
        .map(|id| {
            let k = if id % 41 == 0 {
                None
            } else if id % 12 == 0 {
                Some(7)
            } else {
                Some((id * 7) % 600 + 100)
            };
            (k, id)
        })
        .collect()
}

fn opt(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Int)
}

/// `l(k, v, s)` and `r(k, w, s)` from [`left_rows`] and [`right_rows`]; `s` pads the
/// rows to about 100 bytes. No keys, no indexes: equi-joins are hash joins.
fn join_db() -> Database {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    {
        let mut tw = w.tables();
        for (name, v, rows) in [("l", "v", left_rows()), ("r", "w", right_rows())] {
            tw.create_table(TableSchema::new(
                name,
                vec![
                    ColumnDef::new("k", SqlType::BigInt),
                    ColumnDef::new(v, SqlType::BigInt),
                    ColumnDef::new("s", SqlType::Text),
                ],
            ))
            .unwrap();
            for (k, id) in rows {
                let pad = format!("{name} row {id:05} {}", "-".repeat(60));
                tw.insert_row(name, vec![opt(k), i(id), t(&pad)]).unwrap();
            }
        }
    }
    w.commit().unwrap();
    db
}

/// A fresh, empty directory for one test's spill files.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("covet-spill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// Runs `sql` with `work_mem` bytes; the rows sorted, and what spilled.
fn run_spilled(
    db: &Database,
    sql: &str,
    work_mem: usize,
    dir: &std::path::Path,
) -> (Vec<Vec<Value>>, ExecStats) {
    let settings = ExecSettings {
        work_mem,
        temp_dir: dir.to_path_buf(),
    };
    let (mut rows, state) =
        run_with(db, sql, vec![], settings).unwrap_or_else(|e| panic!("{sql}: {e} ({})", e.code));
    assert_eq!(files_in(dir), 0, "spill files left behind by {sql}");
    sort_rows(&mut rows);
    (rows, state.stats)
}

fn sort_rows(rows: &mut [Vec<Value>]) {
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => x.sql_cmp(y),
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Inner,
    Left,
    Right,
    Full,
    Semi,
    Anti,
}

/// The naive nested-loop answer: `(v, w)` pairs (NULL-padded for outer joins) or, for
/// semi and anti joins, `(v)`.
fn reference(
    kind: Kind,
    matches: impl Fn(&(Option<i64>, i64), &(Option<i64>, i64)) -> bool,
) -> Vec<Vec<Value>> {
    let (left, right) = (left_rows(), right_rows());
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for l in &left {
        let mut any = false;
        for (j, r) in right.iter().enumerate() {
            if matches(l, r) {
                any = true;
                right_matched[j] = true;
                if matches!(kind, Kind::Inner | Kind::Left | Kind::Right | Kind::Full) {
                    out.push(vec![i(l.1), i(r.1)]);
                }
            }
        }
        match kind {
            Kind::Left | Kind::Full if !any => out.push(vec![i(l.1), Value::Null]),
            Kind::Semi if any => out.push(vec![i(l.1)]),
            Kind::Anti if !any => out.push(vec![i(l.1)]),
            _ => {}
        }
    }
    if matches!(kind, Kind::Right | Kind::Full) {
        for (j, r) in right.iter().enumerate() {
            if !right_matched[j] {
                out.push(vec![Value::Null, i(r.1)]);
            }
        }
    }
    sort_rows(&mut out);
    out
}

fn equal_keys(l: &(Option<i64>, i64), r: &(Option<i64>, i64)) -> bool {
    l.0.is_some() && l.0 == r.0
}

/// The query of a join kind between `l` and `r` on `on`, output as in [`reference`].
fn join_sql(kind: Kind, on: &str) -> String {
    match kind {
        Kind::Inner => format!("SELECT l.v, r.w FROM l JOIN r ON {on}"),
        Kind::Left => format!("SELECT l.v, r.w FROM l LEFT JOIN r ON {on}"),
        Kind::Right => format!("SELECT l.v, r.w FROM l RIGHT JOIN r ON {on}"),
        Kind::Full => format!("SELECT l.v, r.w FROM l FULL JOIN r ON {on}"),
        // The planner makes no semi or anti joins (EXISTS stays a subquery): these run
        // the inner join's plan with the join's kind replaced (see `run_kind`).
        Kind::Semi | Kind::Anti => format!("SELECT l.v FROM l JOIN r ON {on}"),
    }
}

/// The first join of `node`, below projections and filters.
fn first_join(node: &mut PhysicalNode) -> &mut JoinKind {
    match node {
        PhysicalNode::HashJoin { kind, .. } | PhysicalNode::NestedLoopJoin { kind, .. } => kind,
        PhysicalNode::Project { input, .. } | PhysicalNode::Filter { input, .. } => {
            first_join(input)
        }
        other => panic!("no join in {other:?}"),
    }
}

/// Runs `sql` with `work_mem` bytes, its first join made a semi or anti join when `kind`
/// is one; the rows sorted, and what spilled.
fn run_kind(
    db: &Database,
    sql: &str,
    kind: Kind,
    work_mem: usize,
    dir: &std::path::Path,
) -> (Vec<Vec<Value>>, ExecStats) {
    let r = db.begin_read().unwrap();
    let tables = r.tables();
    let mut plan = plan(&tables, sql).unwrap();
    match kind {
        Kind::Semi => *first_join(&mut plan.root) = JoinKind::Semi,
        Kind::Anti => *first_join(&mut plan.root) = JoinKind::Anti,
        _ => {}
    }
    let settings = ExecSettings {
        work_mem,
        temp_dir: dir.to_path_buf(),
    };
    let mut state = ExecState::new(&plan, vec![]).with_settings(settings);
    let mut rows = run_to_end(&plan, &tables, &mut state)
        .unwrap_or_else(|e| panic!("{sql}: {e} ({})", e.code));
    assert_eq!(files_in(dir), 0, "spill files left behind by {sql}");
    sort_rows(&mut rows);
    (rows, state.stats)
}

const KINDS: [Kind; 6] = [
    Kind::Inner,
    Kind::Left,
    Kind::Right,
    Kind::Full,
    Kind::Semi,
    Kind::Anti,
];

#[test]
fn hash_joins_of_every_kind_spill_and_match_the_reference() {
    let db = join_db();
    let dir = temp_dir("hash");
    for kind in KINDS {
        let sql = join_sql(kind, "l.k = r.k");
        let plan = explain_sql(&db, &sql).join("\n");
        assert!(plan.contains("Hash Join"), "{sql}:\n{plan}");
        let expected = reference(kind, equal_keys);
        let (memory, stats) = run_kind(&db, &sql, kind, 64 << 20, &dir);
        assert_eq!(stats.spill_files, 0, "{sql}");
        assert_eq!(memory, expected, "{sql} in memory");
        // 4 kB: the build side is ~15 times work_mem, so partitions split again, and
        // key 7 (48 right rows of ~100 bytes) needs the block nested loop.
        let (spilled, stats) = run_kind(&db, &sql, kind, 4 << 10, &dir);
        assert!(stats.spill_files > 16, "{sql}: {stats:?}");
        assert_eq!(spilled.len(), expected.len(), "{sql}");
        assert_eq!(spilled, expected, "{sql} spilled");
    }
    // Known values: 79 left rows (77 with id % 10 = 0, and ids 39 and 539) and 48
    // right rows (id % 12 = 0 but not id % 41 = 0) have key 7.
    let (rows, _) = run_spilled(
        &db,
        "SELECT count(*) FROM l JOIN r ON l.k = r.k WHERE l.k = 7",
        4 << 10,
        &dir,
    );
    assert_eq!(rows, vec![vec![i(79 * 48)]]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hash_join_with_a_residual_spills() {
    let db = join_db();
    let dir = temp_dir("residual");
    for kind in [Kind::Inner, Kind::Left, Kind::Full, Kind::Anti] {
        let sql = join_sql(kind, "l.k = r.k AND (l.v + r.w) % 3 = 0");
        let expected = reference(kind, |l, r| equal_keys(l, r) && (l.1 + r.1) % 3 == 0);
        let (spilled, stats) = run_kind(&db, &sql, kind, 4 << 10, &dir);
        assert!(stats.spill_files > 0, "{sql}");
        assert_eq!(spilled, expected, "{sql}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_error_in_a_spilled_join_removes_its_files() {
    let db = join_db();
    let dir = temp_dir("error");
    // l.v = r.w = 60 share key 7: a division by zero while joining partitions.
    let settings = ExecSettings {
        work_mem: 4 << 10,
        temp_dir: dir.clone(),
    };
    let sql = "SELECT 1 / (l.v - r.w) FROM l JOIN r ON l.k = r.k";
    let Err(err) = run_with(&db, sql, vec![], settings) else {
        panic!("{sql} divided by zero without an error");
    };
    assert_eq!(err.code.as_str(), "22012");
    assert_eq!(files_in(&dir), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nested_loop_joins_spill_their_inner_side() {
    let db = join_db();
    let dir = temp_dir("nested");
    // A condition with no equality: a nested loop. l.k + 595 < r.k matches right keys
    // 596..699 against left keys 0..103.
    let on = "l.k + 595 < r.k";
    for kind in KINDS {
        let sql = join_sql(kind, on);
        let plan = explain_sql(&db, &sql).join("\n");
        assert!(plan.contains("Nested Loop"), "{sql}:\n{plan}");
        let expected = reference(kind, |l, r| match (l.0, r.0) {
            (Some(a), Some(b)) => a + 595 < b,
            _ => false,
        });
        let (spilled, stats) = run_kind(&db, &sql, kind, 16 << 10, &dir);
        assert_eq!(stats.spill_files, 1, "{sql}");
        assert_eq!(stats.spilled_rows, 600, "{sql}");
        assert_eq!(spilled, expected, "{sql}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recursive_cte_stops_under_limit() {
    let db = join_db();
    let sql = "WITH RECURSIVE nat(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM nat) \
               SELECT n FROM nat LIMIT 4";
    assert_eq!(
        rows(&db, sql),
        vec![vec![i(1)], vec![i(2)], vec![i(3)], vec![i(4)]]
    );
    // Under a tiny work_mem too, and with an OFFSET into later rounds.
    let dir = temp_dir("nat");
    let sql = "WITH RECURSIVE nat(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM nat) \
               SELECT n FROM nat LIMIT 2 OFFSET 5000";
    let (got, _) = run_spilled(&db, sql, 4 << 10, &dir);
    assert_eq!(got, vec![vec![i(5001)], vec![i(5002)]]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recursive_work_tables_spill() {
    let db = join_db();
    let dir = temp_dir("recursive");
    // Rounds of 800 rows of ~190 bytes: each round's work table is ~40 times 4 kB.
    let sql = "WITH RECURSIVE w(n, s) AS (SELECT v, s FROM l \
               UNION ALL SELECT n + 1000, s FROM w WHERE n < 3000) \
               SELECT count(*), sum(n), count(DISTINCT s) FROM w";
    let (memory, stats) = run_spilled(&db, sql, 64 << 20, &dir);
    assert_eq!(stats.spill_files, 0);
    // n = v + 1000 j for j = 0..=3 and v = 0..800.
    let expected = vec![vec![i(3200), i(4 * 319_600 + 800 * 6000), i(800)]];
    assert_eq!(memory, expected);
    let (spilled, stats) = run_spilled(&db, sql, 4 << 10, &dir);
    assert!(stats.spill_files >= 4, "{stats:?}");
    assert_eq!(spilled, expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recursive_union_keeps_its_seen_set_in_work_mem() {
    let db = join_db();
    let dir = temp_dir("recursive-union");
    // 3^j mod 1000 from 1: the distinct values of the cycle.
    let sql = "WITH RECURSIVE c(n) AS (SELECT 1 UNION SELECT (n * 3) % 1000 FROM c) \
               SELECT count(*), sum(n) FROM c";
    let mut seen = std::collections::BTreeSet::new();
    let mut n = 1i64;
    while seen.insert(n) {
        n = (n * 3) % 1000;
    }
    let expected = vec![vec![i(seen.len() as i64), i(seen.iter().sum())]];
    let (got, _) = run_spilled(&db, sql, 64 << 20, &dir);
    assert_eq!(got, expected);
    // The set of rows seen does not spill: 53200, and no file is left.
    let settings = ExecSettings {
        work_mem: 1 << 10,
        temp_dir: dir.clone(),
    };
    let Err(err) = run_with(&db, sql, vec![], settings) else {
        panic!("{sql} fit in 1 kB");
    };
    assert_eq!(err.code.as_str(), "53200");
    assert!(err.message.contains("work_mem"), "{}", err.message);
    assert_eq!(files_in(&dir), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// INTERSECT / EXCEPT [ALL] of `(k, v % 7)` over `l` and `(k, w % 7)` over `r`, by
/// multiset arithmetic (NULL equal to NULL).
fn setop_reference(op: &str, all: bool) -> Vec<Vec<Value>> {
    let count = |rows: Vec<(Option<i64>, i64)>| {
        let mut m: HashMap<(Option<i64>, i64), i64> = HashMap::new();
        for (k, id) in rows {
            *m.entry((k, id % 7)).or_default() += 1;
        }
        m
    };
    let (left, right) = (count(left_rows()), count(right_rows()));
    let mut out = Vec::new();
    for (value, &cl) in &left {
        let cr = right.get(value).copied().unwrap_or(0);
        let n = match (op, all) {
            ("INTERSECT", true) => cl.min(cr),
            ("INTERSECT", false) => i64::from(cr > 0),
            ("EXCEPT", true) => (cl - cr).max(0),
            _ => i64::from(cr == 0),
        };
        for _ in 0..n {
            out.push(vec![opt(value.0), i(value.1)]);
        }
    }
    sort_rows(&mut out);
    out
}

#[test]
fn intersect_and_except_spill() {
    let db = join_db();
    let dir = temp_dir("setop");
    for op in ["INTERSECT", "EXCEPT"] {
        for all in [false, true] {
            let sql = format!(
                "SELECT k, v % 7 FROM l {op}{} SELECT k, w % 7 FROM r",
                if all { " ALL" } else { "" }
            );
            let expected = setop_reference(op, all);
            let (memory, stats) = run_spilled(&db, &sql, 64 << 20, &dir);
            assert_eq!(stats.spill_files, 0, "{sql}");
            assert_eq!(memory, expected, "{sql} in memory");
            // ~560 distinct right values of ~70 bytes: 2 kB splits parts again.
            let (spilled, stats) = run_spilled(&db, &sql, 2 << 10, &dir);
            assert!(stats.spill_files > 32, "{sql}: {stats:?}");
            assert_eq!(spilled, expected, "{sql} spilled");
        }
    }
    // Without memory for even one part's entries: 53200 at the depth limit, no file left.
    let settings = ExecSettings {
        work_mem: 1,
        temp_dir: dir.clone(),
    };
    let Err(err) = run_with(
        &db,
        "SELECT k FROM l INTERSECT SELECT k FROM r",
        vec![],
        settings,
    ) else {
        panic!("INTERSECT fit in 1 byte");
    };
    assert_eq!(err.code.as_str(), "53200");
    assert_eq!(files_in(&dir), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What PostgreSQL 15 answers over the same tables, made there with
/// `CREATE TABLE l AS SELECT CASE WHEN id % 37 = 0 THEN NULL WHEN id % 10 = 0 THEN 7
/// ELSE (id*13) % 500 END AS k, id AS v, ... FROM generate_series(0, 799) id` (and `r`
/// likewise), run here with 4 kB of work memory.
#[test]
fn spilled_results_match_postgresql() {
    let db = join_db();
    let dir = temp_dir("pg");
    let cases: [(&str, Vec<Value>); 8] = [
        (
            "SELECT count(*) FROM (SELECT k FROM l EXCEPT ALL SELECT k FROM r) x",
            vec![i(415)],
        ),
        (
            "SELECT count(*), sum(coalesce(l.v, 0)), sum(coalesce(r.w, 0)) \
             FROM l FULL JOIN r ON l.k = r.k",
            vec![i(4743), i(1_779_796), i(1_339_544)],
        ),
        (
            "SELECT count(*), sum(coalesce(l.v, 0)), sum(coalesce(r.w, 0)) \
             FROM l FULL JOIN r ON l.k = r.k AND (l.v + r.w) % 3 = 0",
            vec![i(2448), i(816_343), i(549_108)],
        ),
        (
            "SELECT count(*), sum(coalesce(l.v, 0)), sum(coalesce(r.w, 0)) \
             FROM l RIGHT JOIN r ON l.k + 595 < r.k",
            vec![i(14183), i(5_363_156), i(4_874_391)],
        ),
        (
            "SELECT count(*), sum(k) FROM \
             (SELECT k, v % 7 FROM l INTERSECT ALL SELECT k, w % 7 FROM r) x",
            vec![i(144), i(24531)],
        ),
        (
            "SELECT count(*), sum(k) FROM \
             (SELECT k, v % 7 FROM l EXCEPT SELECT k, w % 7 FROM r) x",
            vec![i(618), i(148_610)],
        ),
        (
            "WITH RECURSIVE w(n, s) AS (SELECT v, s FROM l \
             UNION ALL SELECT n + 1000, s FROM w WHERE n < 3000) \
             SELECT count(*), sum(n), count(DISTINCT s) FROM w",
            vec![i(3200), i(6_078_400), i(800)],
        ),
        (
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION SELECT (n * 3) % 1000 FROM c) \
             SELECT count(*), sum(n) FROM c",
            vec![i(100), i(49000)],
        ),
    ];
    for (sql, expected) in cases {
        // The recursive UNION's seen set does not spill: it gets the default.
        let work_mem = if sql.contains("UNION SELECT") {
            64 << 20
        } else {
            4 << 10
        };
        let (rows, _) = run_spilled(&db, sql, work_mem, &dir);
        assert_eq!(rows, vec![expected], "{sql}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn except_spills_in_the_middle_of_its_left_input() {
    let db = join_db();
    let dir = temp_dir("except-left");
    // The right side (20 rows) fits; EXCEPT's set of left values already returned grows
    // past 2 kB while the left side streams, so the values returned so far move to the
    // partitions with the right ones, and their later duplicates must stay out.
    let sql = "SELECT k, v % 300 FROM l EXCEPT SELECT k, w % 300 FROM r WHERE w < 20";
    let right: std::collections::HashSet<(Option<i64>, i64)> = right_rows()
        .into_iter()
        .filter(|&(_, w)| w < 20)
        .map(|(k, w)| (k, w % 300))
        .collect();
    let left: std::collections::BTreeSet<(Option<i64>, i64)> =
        left_rows().into_iter().map(|(k, v)| (k, v % 300)).collect();
    let mut expected: Vec<Vec<Value>> = left
        .into_iter()
        .filter(|value| !right.contains(value))
        .map(|(k, v)| vec![opt(k), i(v)])
        .collect();
    sort_rows(&mut expected);
    let (spilled, stats) = run_spilled(&db, sql, 2 << 10, &dir);
    assert!(stats.spill_files >= 32, "{stats:?}");
    assert_eq!(spilled, expected);
    let _ = std::fs::remove_dir_all(&dir);
}
