//! GROUP BY, HAVING, aggregates (DISTINCT, FILTER), and window functions.

mod common;

use common::*;

#[test]
fn group_by_and_aggregates() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "SELECT b, count(*), sum(a) FROM t GROUP BY b ORDER BY b"
        ),
        vec![
            vec![i(10), i(1), i(1)],
            vec![i(20), i(2), i(6)],
            vec![i(30), i(1), i(5)],
            vec![N, i(1), i(3)]
        ]
    );
    assert_eq!(
        rows(&db, "SELECT count(*), count(c), count(DISTINCT c) FROM t"),
        vec![vec![i(5), i(4), i(3)]]
    );
    assert_eq!(
        rows(&db, "SELECT count(*), sum(x) FROM e"),
        vec![vec![i(0), N]]
    );
    assert_eq!(
        rows(&db, "SELECT x, count(*) FROM e GROUP BY x"),
        Vec::<Vec<_>>::new()
    );
    assert_eq!(
        rows(&db, "SELECT b FROM t GROUP BY b HAVING count(*) > 1"),
        vec![vec![i(20)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FILTER (WHERE b > 15), count(*) FROM t"
        ),
        vec![vec![i(3), i(5)]]
    );
}

#[test]
fn group_by_positions_aliases_expressions() {
    let db = db();
    assert_eq!(
        rows(&db, "SELECT c AS k, count(*) FROM t GROUP BY k ORDER BY 1"),
        vec![
            vec![t("x"), i(2)],
            vec![t("y"), i(1)],
            vec![t("z"), i(1)],
            vec![N, i(1)]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT c, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        vec![
            vec![t("x"), i(2)],
            vec![t("y"), i(1)],
            vec![t("z"), i(1)],
            vec![N, i(1)]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT b / 10 AS k, count(*) FROM t GROUP BY b / 10 ORDER BY k"
        ),
        vec![
            vec![i(1), i(1)],
            vec![i(2), i(2)],
            vec![i(3), i(1)],
            vec![N, i(1)]
        ]
    );
    // ORDER BY an aggregate not in the select list.
    assert_eq!(
        rows(
            &db,
            "SELECT c FROM t WHERE c IS NOT NULL GROUP BY c ORDER BY sum(a) DESC, c"
        ),
        vec![vec![t("z")], vec![t("x")], vec![t("y")]]
    );
}

#[test]
fn grouping_errors_follow_postgresql() {
    let db = db();
    assert_eq!(error_code(&db, "SELECT a, count(*) FROM t"), "42803");
    assert_eq!(error_code(&db, "SELECT b, c FROM t GROUP BY b"), "42803");
    assert_eq!(error_code(&db, "SELECT sum(count(*)) FROM t"), "42803");
    assert_eq!(
        error_code(&db, "SELECT a FROM t WHERE count(*) > 1"),
        "42803"
    );
    assert_eq!(
        error_code(&db, "SELECT a FROM t GROUP BY count(*)"),
        "42803"
    );
    assert_eq!(
        error_code(&db, "SELECT a FROM t WHERE row_number() OVER () > 1"),
        "42P20"
    );
    // Grouping by the primary key makes every column of the table available.
    assert_eq!(
        rows(
            &db,
            "SELECT a, b, c, count(*) FROM t GROUP BY a ORDER BY a LIMIT 2"
        ),
        vec![
            vec![i(1), i(10), t("x"), i(1)],
            vec![i(2), i(20), t("y"), i(1)]
        ]
    );
    // A subquery may read grouped columns of the outer query, not others.
    assert_eq!(
        rows(
            &db,
            "SELECT b, (SELECT count(*) FROM u WHERE u.id * 10 = t.b) FROM t GROUP BY b ORDER BY b"
        ),
        vec![
            vec![i(10), i(1)],
            vec![i(20), i(1)],
            vec![i(30), i(1)],
            vec![N, i(0)]
        ]
    );
    assert_eq!(
        error_code(
            &db,
            "SELECT b, (SELECT count(*) FROM u WHERE u.id = t.a) FROM t GROUP BY b"
        ),
        "42803"
    );
}

fn col(db: &covet_engine::Database, sql: &str) -> Vec<covet_engine::value::Value> {
    rows(db, sql).into_iter().map(|r| r[1].clone()).collect()
}

#[test]
fn ranking_functions() {
    let db = db();
    assert_eq!(
        col(
            &db,
            "SELECT a, row_number() OVER (ORDER BY a DESC) FROM t ORDER BY a"
        ),
        vec![i(5), i(4), i(3), i(2), i(1)]
    );
    assert_eq!(
        col(&db, "SELECT a, rank() OVER (ORDER BY b) FROM t ORDER BY a"),
        vec![i(1), i(2), i(5), i(2), i(4)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, dense_rank() OVER (ORDER BY b) FROM t ORDER BY a"
        ),
        vec![i(1), i(2), i(4), i(2), i(3)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, ntile(2) OVER (ORDER BY a) FROM t ORDER BY a"
        ),
        vec![i(1), i(1), i(1), i(2), i(2)]
    );
    assert_eq!(
        col(&db, "SELECT a, lag(a) OVER (ORDER BY a) FROM t ORDER BY a"),
        vec![N, i(1), i(2), i(3), i(4)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, lead(a, 2, 0) OVER (ORDER BY a) FROM t ORDER BY a"
        ),
        vec![i(3), i(4), i(5), i(0), i(0)]
    );
}

#[test]
fn aggregate_windows_and_frames() {
    let db = db();
    assert_eq!(
        col(
            &db,
            "SELECT a, sum(a) OVER (PARTITION BY c) FROM t ORDER BY a"
        ),
        vec![i(4), i(2), i(4), i(4), i(5)]
    );
    assert_eq!(
        col(&db, "SELECT a, sum(a) OVER (ORDER BY a) FROM t ORDER BY a"),
        vec![i(1), i(3), i(6), i(10), i(15)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, sum(a) OVER (ORDER BY a ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY a"
        ),
        vec![i(3), i(6), i(9), i(12), i(9)]
    );
    // RANGE: peers (equal b) share the frame end.
    assert_eq!(
        col(&db, "SELECT a, sum(a) OVER (ORDER BY b) FROM t ORDER BY a"),
        vec![i(1), i(7), i(15), i(7), i(12)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, sum(a) OVER (ORDER BY a RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t ORDER BY a"
        ),
        vec![i(1), i(3), i(5), i(7), i(9)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, last_value(a) OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t ORDER BY a"
        ),
        vec![i(5), i(5), i(5), i(5), i(5)]
    );
    assert_eq!(
        col(
            &db,
            "SELECT a, first_value(a) OVER w FROM t WINDOW w AS (ORDER BY a DESC) ORDER BY a"
        ),
        vec![i(5), i(5), i(5), i(5), i(5)]
    );
    // A window over an aggregate.
    assert_eq!(
        rows(
            &db,
            "SELECT b, sum(count(*)) OVER () FROM t GROUP BY b ORDER BY b"
        ),
        vec![
            vec![i(10), i(5)],
            vec![i(20), i(5)],
            vec![i(30), i(5)],
            vec![N, i(5)]
        ]
    );
}

/// A column that constant folding proves unreachable is not a use (SQLite's corpus
/// expects these results; PostgreSQL raises 42803, see COMPAT.md).
#[test]
fn unreachable_ungrouped_columns_are_not_uses() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "SELECT b, 33 * - COALESCE(- 86, t.a) + b FROM t GROUP BY t.b ORDER BY b"
        ),
        vec![
            vec![i(10), i(2848)],
            vec![i(20), i(2858)],
            vec![i(30), i(2868)],
            vec![N, N]
        ]
    );
    // Arguments after the first non-NULL constant are never evaluated.
    assert_eq!(
        rows(
            &db,
            "SELECT DISTINCT - COALESCE(- 86, + a, a, 63) FROM t GROUP BY b"
        ),
        vec![vec![i(86)]]
    );
    // `WHEN 77` can never equal the operand 64: its arm (reading c) is gone.
    assert_eq!(
        rows(
            &db,
            "SELECT b, CASE 64 WHEN b THEN 1 WHEN 77 THEN a END FROM t GROUP BY b ORDER BY b"
        ),
        vec![vec![i(10), N], vec![i(20), N], vec![i(30), N], vec![N, N]]
    );
    // `CASE x WHEN NULL` is never taken: x (reading a) is never evaluated.
    assert_eq!(
        rows(
            &db,
            "SELECT DISTINCT CASE - COALESCE(a, b) WHEN CAST(NULL AS bigint) THEN - a ELSE NULL END \
             FROM t GROUP BY b"
        ),
        vec![vec![N]]
    );
    // A NULL operand makes BETWEEN NULL whatever its bounds: the HAVING keeps no group.
    assert_eq!(
        rows(
            &db,
            "SELECT b FROM t GROUP BY b HAVING NULL NOT BETWEEN a AND NULL"
        ),
        Vec::<Vec<covet_engine::value::Value>>::new()
    );
}

/// A column that evaluation can reach is still 42803, named as written.
#[test]
fn reachable_ungrouped_columns_are_still_errors() {
    let db = db();
    for sql in [
        "SELECT COALESCE(b, a) FROM t GROUP BY b",
        "SELECT COALESCE(NULL, a) FROM t GROUP BY b",
        "SELECT CASE WHEN b > 15 THEN a END FROM t GROUP BY b",
        "SELECT CASE 64 WHEN b THEN a END FROM t GROUP BY b",
        "SELECT COALESCE(a, -86) FROM t GROUP BY b",
        "SELECT b FROM t GROUP BY b HAVING 1 NOT BETWEEN a AND NULL",
    ] {
        let err = run(&db, sql).unwrap_err();
        assert_eq!(err.code.as_str(), "42803", "{sql}");
        assert_eq!(
            err.message,
            "column \"t.a\" must appear in the GROUP BY clause or be used in an aggregate function",
            "{sql}"
        );
    }
}
