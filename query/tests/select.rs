//! SELECT over one table: projection, WHERE, ORDER BY, LIMIT, VALUES.

mod common;

use common::*;

#[test]
fn projection_filter_order_limit() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "SELECT a, b * 2 AS d FROM t WHERE b >= 20 ORDER BY a DESC LIMIT 2"
        ),
        vec![vec![i(5), i(60)], vec![i(4), i(40)]]
    );
    assert_eq!(rows(&db, "SELECT c FROM t WHERE a = 2"), vec![vec![t("y")]]);
    assert_eq!(
        rows(&db, "SELECT * FROM t ORDER BY a LIMIT 1 OFFSET 2"),
        vec![vec![i(3), N, t("x")]]
    );
    assert_eq!(
        rows(&db, "SELECT a FROM t ORDER BY a OFFSET 3"),
        vec![vec![i(4)], vec![i(5)]]
    );
    assert_eq!(
        rows(&db, "SELECT a FROM t ORDER BY a FETCH FIRST 2 ROWS ONLY"),
        vec![vec![i(1)], vec![i(2)]]
    );
}

#[test]
fn nulls_sort_last_ascending_and_first_descending() {
    let db = db();
    let col = |sql: &str| {
        rows(&db, sql)
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        col("SELECT b FROM t ORDER BY b, a"),
        vec![i(10), i(20), i(20), i(30), N]
    );
    assert_eq!(
        col("SELECT b FROM t ORDER BY b DESC, a"),
        vec![N, i(30), i(20), i(20), i(10)]
    );
    assert_eq!(
        col("SELECT b FROM t ORDER BY b NULLS FIRST, a"),
        vec![N, i(10), i(20), i(20), i(30)]
    );
    assert_eq!(
        col("SELECT b FROM t ORDER BY b DESC NULLS LAST, a"),
        vec![i(30), i(20), i(20), i(10), N]
    );
}

#[test]
fn order_by_positions_aliases_and_hidden_expressions() {
    let db = db();
    assert_eq!(
        rows(&db, "SELECT a AS k, c FROM t ORDER BY 2 DESC, k"),
        vec![
            vec![i(4), N],
            vec![i(5), t("z")],
            vec![i(2), t("y")],
            vec![i(1), t("x")],
            vec![i(3), t("x")]
        ]
    );
    // ORDER BY a column not selected, and an expression.
    assert_eq!(
        rows(&db, "SELECT c FROM t WHERE b IS NOT NULL ORDER BY -b, a"),
        vec![vec![t("z")], vec![t("y")], vec![N], vec![t("x")]]
    );
    assert_eq!(error_code(&db, "SELECT a FROM t ORDER BY 3"), "42P10");
}

#[test]
fn where_three_valued_logic() {
    let db = db();
    // b = NULL is never true; NOT (b > 15) is not true for NULL b.
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE b = NULL"),
        Vec::<Vec<_>>::new()
    );
    assert_eq!(
        sorted(&db, "SELECT a FROM t WHERE NOT (b > 15)"),
        vec![vec![i(1)]]
    );
    assert_eq!(
        sorted(&db, "SELECT a FROM t WHERE b IS NULL OR c IS NULL"),
        vec![vec![i(3)], vec![i(4)]]
    );
    assert_eq!(error_code(&db, "SELECT a FROM t WHERE b"), "42804");
}

#[test]
fn values_and_select_without_from() {
    let db = db();
    assert_eq!(rows(&db, "SELECT 1 + 2, 'a'"), vec![vec![i(3), t("a")]]);
    assert_eq!(
        rows(&db, "VALUES (1, 'a'), (2, NULL) ORDER BY 1 DESC"),
        vec![vec![i(2), N], vec![i(1), t("a")]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT column2 FROM (VALUES (1, 'p'), (2, 'q')) AS v WHERE column1 = 2"
        ),
        vec![vec![t("q")]]
    );
    assert_eq!(
        rows(&db, "SELECT x, y FROM (VALUES (1, 2)) AS v(x, y)"),
        vec![vec![i(1), i(2)]]
    );
    assert_eq!(error_code(&db, "VALUES (1), (1, 2)"), "42601");
}

#[test]
fn distinct_and_limit_errors() {
    let db = db();
    assert_eq!(
        rows(&db, "SELECT DISTINCT b FROM t ORDER BY b"),
        vec![vec![i(10)], vec![i(20)], vec![i(30)], vec![N]]
    );
    assert_eq!(
        error_code(&db, "SELECT DISTINCT b FROM t ORDER BY a"),
        "42P10"
    );
    assert_eq!(error_code(&db, "SELECT a FROM t LIMIT -1"), "2201W");
    assert_eq!(error_code(&db, "SELECT a FROM t OFFSET -1"), "2201X");
    assert_eq!(rows(&db, "SELECT a FROM t ORDER BY a LIMIT NULL").len(), 5);
    assert_eq!(error_code(&db, "SELECT a FROM t LIMIT a"), "42P10");
}

#[test]
fn name_resolution_errors() {
    let db = db();
    assert_eq!(error_code(&db, "SELECT nope FROM t"), "42703");
    assert_eq!(error_code(&db, "SELECT a FROM nope"), "42P01");
    assert_eq!(error_code(&db, "SELECT x.a FROM t"), "42P01");
    assert_eq!(error_code(&db, "SELECT t.nope FROM t"), "42703");
    assert_eq!(error_code(&db, "SELECT a FROM t, t"), "42712");
    assert_eq!(error_code(&db, "SELECT id FROM u, u AS w"), "42702");
    // Quoted identifiers keep their case.
    assert_eq!(error_code(&db, "SELECT \"A\" FROM t"), "42703");
    assert_eq!(
        rows(&db, "SELECT \"a\" FROM T WHERE A = 1"),
        vec![vec![i(1)]]
    );
}

#[test]
fn parameters() {
    let db = db();
    let (r, _) = run_with(
        &db,
        "SELECT c FROM t WHERE a = $1",
        vec![i(5)],
        Default::default(),
    )
    .unwrap();
    assert_eq!(r, vec![vec![t("z")]]);
}
