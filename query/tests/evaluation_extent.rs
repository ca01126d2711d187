//! Evaluations PostgreSQL's planner skips and covet must skip too (found by the
//! PostgreSQL differential test): an error raised only by an evaluation PostgreSQL never
//! makes is a different answer. Each query here raised a data exception in covet before
//! (the comparison query next to it shows the evaluation does fail when it happens), and
//! each answer is PostgreSQL 15's.

mod common;

use common::*;

#[test]
fn limit_zero_never_runs_its_input() {
    let db = db();
    // `CAST(c AS BIGINT)` fails on 'x': the sort below the limit would evaluate it.
    assert_eq!(
        error_code(&db, "SELECT a FROM t ORDER BY CAST(c AS BIGINT) LIMIT 1"),
        "22P02"
    );
    // (The top-N of ORDER BY … LIMIT 0 OFFSET 1 sorted its input.)
    for limit in ["LIMIT 0", "LIMIT 0 OFFSET 1"] {
        assert_eq!(
            rows(
                &db,
                &format!("SELECT a FROM t ORDER BY CAST(c AS BIGINT) {limit}")
            ),
            Vec::<Vec<_>>::new()
        );
    }
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM (SELECT sum(CAST(c AS BIGINT)) FROM t GROUP BY b LIMIT 0) s"
        ),
        vec![vec![i(0)]]
    );
    // A limit that folds to 0 is LIMIT 0.
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t ORDER BY CAST(c AS BIGINT) LIMIT 1 - 1"
        ),
        Vec::<Vec<_>>::new()
    );
}

#[test]
fn strict_calls_over_a_folded_null_are_null() {
    let db = db();
    assert_eq!(
        error_code(
            &db,
            "SELECT abs(1::bigint) / NULLIF(CAST(c AS BIGINT), 0) FROM t"
        ),
        "22P02"
    );
    // abs(NULL::bigint) folds to NULL, then so does the division (operators are strict).
    assert_eq!(
        rows(
            &db,
            "SELECT abs(NULL::bigint) / NULLIF(CAST(c AS BIGINT), 0) FROM t"
        ),
        vec![vec![N]; 5]
    );
    // A function over an operator over a NULL constant.
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE (NULL::bigint * 2) + length(CAST(CAST(c AS BIGINT) AS TEXT)) > 0"
        ),
        Vec::<Vec<_>>::new()
    );
    assert_eq!(
        rows(
            &db,
            "SELECT power(abs(NULL::bigint), CAST(c AS BIGINT)) FROM t WHERE a = 1"
        ),
        vec![vec![N]]
    );
}

#[test]
fn a_join_condition_that_is_never_true_reads_no_inner_row() {
    let db = db();
    let inner = "(SELECT id, CAST(v AS BIGINT) AS n FROM u)";
    assert_eq!(
        error_code(
            &db,
            &format!("SELECT t.a, s.n FROM t LEFT JOIN {inner} s ON true")
        ),
        "22P02"
    );
    // The inner side's filter and aggregate ran (their CASTs fail on 'one').
    for inner in [
        "(SELECT id, CAST(v AS BIGINT) AS n FROM u WHERE CAST(v AS BIGINT) > 0)",
        "(SELECT t_a, sum(CAST(v AS BIGINT)) AS n FROM u GROUP BY t_a)",
    ] {
        assert_eq!(
            rows(
                &db,
                &format!("SELECT count(*), count(s.n) FROM t LEFT JOIN {inner} s ON false")
            ),
            vec![vec![i(5), i(0)]]
        );
        assert_eq!(
            rows(
                &db,
                &format!("SELECT count(*) FROM {inner} s RIGHT JOIN t ON NULL")
            ),
            vec![vec![i(5)]]
        );
    }
    for on in [
        "NULL",
        "false",
        "s.id = t.a AND NULL",
        "NULL::boolean AND s.n > 0",
    ] {
        assert_eq!(
            rows(
                &db,
                &format!("SELECT t.a, s.n FROM t LEFT JOIN {inner} s ON {on} ORDER BY t.a")
            ),
            (1..=5).map(|a| vec![i(a), N]).collect::<Vec<_>>(),
            "ON {on}"
        );
    }
    assert_eq!(
        rows(
            &db,
            &format!("SELECT s.n, t.a FROM {inner} s RIGHT JOIN t ON false ORDER BY t.a")
        ),
        (1..=5).map(|a| vec![N, i(a)]).collect::<Vec<_>>()
    );
    assert_eq!(
        rows(&db, &format!("SELECT t.a FROM t JOIN {inner} s ON NULL")),
        Vec::<Vec<_>>::new()
    );
    assert_eq!(
        rows(
            &db,
            &format!("SELECT t.a, s.n FROM t, {inner} s WHERE false")
        ),
        Vec::<Vec<_>>::new()
    );
    // A full join keeps both sides' rows, each unmatched.
    assert_eq!(
        rows(
            &db,
            "SELECT count(*), count(t.a), count(u.id) FROM t FULL JOIN u ON NULL"
        ),
        vec![vec![i(10), i(5), i(5)]]
    );
}

#[test]
fn unused_derived_table_columns_are_not_computed() {
    let db = db();
    let derived = "(SELECT a, CAST(c AS BIGINT) AS n FROM t)";
    assert_eq!(
        error_code(&db, &format!("SELECT x.n FROM {derived} x")),
        "22P02"
    );
    assert_eq!(
        rows(&db, &format!("SELECT x.a FROM {derived} x ORDER BY x.a")),
        (1..=5).map(|a| vec![i(a)]).collect::<Vec<_>>()
    );
    // With an uncorrelated subquery in the plan.
    assert_eq!(
        rows(
            &db,
            &format!("SELECT x.a FROM {derived} x WHERE x.a IN (SELECT t_a FROM u) ORDER BY x.a")
        ),
        vec![vec![i(1)], vec![i(2)]]
    );
    assert_eq!(
        rows(
            &db,
            &format!(
                "WITH x AS {derived} SELECT x.a, (SELECT max(id) FROM u) FROM x \
                 WHERE x.a < 3 ORDER BY x.a"
            )
        ),
        vec![vec![i(1), i(5)], vec![i(2), i(5)]]
    );
    // Under DISTINCT every column counts.
    assert_eq!(
        error_code(
            &db,
            "SELECT x.a FROM (SELECT DISTINCT a, CAST(c AS BIGINT) AS n FROM t) x"
        ),
        "22P02"
    );
}

#[test]
fn an_unused_volatile_column_is_still_computed_per_row() {
    let db = db();
    // random() is volatile: PostgreSQL keeps it (and a subquery with one is not
    // flattened), so the error of its row's other operand comes as well.
    assert_eq!(
        error_code(
            &db,
            "SELECT x.a FROM (SELECT a, random() + CAST(c AS BIGINT) AS r FROM t) x"
        ),
        "22P02"
    );
}

#[test]
fn outer_joins_a_filter_rejects_the_null_rows_of_are_inner() {
    let db = db();
    // The WHERE is strict in t (reduced to an inner join, whose ON is never TRUE): no
    // row, and none of u's CASTs runs.
    assert_eq!(
        rows(
            &db,
            "SELECT t.a FROM t RIGHT JOIN u ON t.a = u.id AND NULL \
             WHERE CAST(u.v AS BIGINT) <> (t.b / NULLIF(t.b, 0))"
        ),
        Vec::<Vec<_>>::new()
    );
    // Through an inner join: d's condition rejects b's NULLs, so b's join is inner too.
    assert_eq!(
        rows(
            &db,
            "SELECT 1 FROM t a LEFT JOIN u b ON a.a = b.id AND NULL JOIN t c ON a.a = c.a \
             LEFT JOIN u d ON b.id = d.id WHERE CAST(d.v AS BIGINT) = a.b / 0"
        ),
        Vec::<Vec<_>>::new()
    );
    // IS NULL keeps the null-extended rows: still an outer join.
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, u.id FROM t LEFT JOIN u ON u.t_a = t.a WHERE u.id IS NULL ORDER BY t.a"
        ),
        vec![vec![i(3), N], vec![i(4), N], vec![i(5), N]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, u.id FROM t LEFT JOIN u ON u.t_a = t.a WHERE u.id > 1 ORDER BY t.a"
        ),
        vec![vec![i(1), i(2)], vec![i(2), i(3)]]
    );
    // A LIMIT between the filter and the join: the limit sees the null-extended rows.
    assert_eq!(
        rows(
            &db,
            "SELECT s.a FROM (SELECT t.a, u.id FROM t LEFT JOIN u ON u.t_a = t.a \
             ORDER BY t.a DESC LIMIT 2) s WHERE s.id IS NOT NULL"
        ),
        Vec::<Vec<_>>::new()
    );
    // FULL: a filter rejecting t's NULLs keeps t's rows only (a left join).
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, u.id FROM t FULL JOIN u ON u.t_a = t.a WHERE t.b > 10 \
             ORDER BY t.a, u.id"
        ),
        vec![vec![i(2), i(3)], vec![i(4), N], vec![i(5), N]]
    );
    // An OR rejects only what both sides reject: u's columns here, not t's.
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, u.id FROM t FULL JOIN u ON u.id = t.a + 3 \
             WHERE u.t_a IS NOT NULL OR u.v = 'x' ORDER BY u.id"
        ),
        vec![
            vec![N, i(1)],
            vec![N, i(2)],
            vec![N, i(3)],
            vec![i(1), i(4)]
        ]
    );
}

#[test]
fn a_filter_stops_at_its_first_conjunct_that_is_not_true() {
    let db = db();
    // Row 3 has b NULL: `b = -9` is NULL there, which drops the row as FALSE would, so
    // the CAST of its 'x' is never evaluated (PostgreSQL's qual list stops at it).
    for sql in [
        "SELECT a FROM t WHERE b = -9 AND CAST(c AS BIGINT) > 0",
        "SELECT a FROM t WHERE CAST(c AS BIGINT) < (SELECT avg(id) FROM u) AND b = -9",
        "SELECT a FROM t WHERE CAST(c AS BIGINT) IN (SELECT id FROM u) AND a = b",
        "SELECT t.a FROM t JOIN u ON u.id = t.a AND t.b = -9 AND CAST(u.v AS BIGINT) > 0",
    ] {
        assert_eq!(rows(&db, sql), Vec::<Vec<_>>::new(), "{sql}");
    }
    // Inside an expression AND goes on after a NULL (NULL AND FALSE is FALSE).
    assert_eq!(
        error_code(
            &db,
            "SELECT a FROM t WHERE (b = -9 AND CAST(c AS BIGINT) > 0) IS NULL"
        ),
        "22P02"
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE NOT (b = -9 AND a > 2) ORDER BY a"
        ),
        vec![vec![i(1)], vec![i(2)], vec![i(4)], vec![i(5)]]
    );
}

#[test]
fn in_a_list_of_nulls_and_between_a_null_bound_are_never_true() {
    let db = db();
    assert_eq!(
        error_code(&db, "SELECT a FROM t WHERE CAST(c AS BIGINT) IN (1)"),
        "22P02"
    );
    for sql in [
        "SELECT a FROM t WHERE CAST(c AS BIGINT) IN (CAST(NULL AS BIGINT))",
        "SELECT a FROM t WHERE CAST(c AS BIGINT) BETWEEN CAST(NULL AS BIGINT) AND 30",
        "SELECT a FROM t WHERE CAST(c AS BIGINT) BETWEEN 1 AND NULL",
    ] {
        assert_eq!(rows(&db, sql), Vec::<Vec<_>>::new(), "{sql}");
    }
    // A longer list of NULLs is evaluated (PostgreSQL: `= ANY (ARRAY[NULL, NULL])`).
    assert_eq!(
        error_code(
            &db,
            "SELECT a, CAST(c AS BIGINT) IN (NULL, NULL) FROM t WHERE a = 1"
        ),
        "22P02"
    );
}
