//! Subqueries (scalar, IN, EXISTS, ANY/ALL, correlated at depth 1 and 2), set
//! operations, WITH and WITH RECURSIVE.

mod common;

use common::*;

#[test]
fn scalar_in_exists_any_all() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "SELECT a, (SELECT count(*) FROM u WHERE u.t_a = t.a) FROM t ORDER BY a"
        ),
        vec![
            vec![i(1), i(2)],
            vec![i(2), i(1)],
            vec![i(3), i(0)],
            vec![i(4), i(0)],
            vec![i(5), i(0)]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE a IN (SELECT t_a FROM u) ORDER BY a"
        ),
        vec![vec![i(1)], vec![i(2)]]
    );
    // u.t_a holds a NULL: NOT IN is never TRUE.
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE a NOT IN (SELECT t_a FROM u)"),
        Vec::<Vec<_>>::new()
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE a NOT IN (SELECT t_a FROM u WHERE t_a IS NOT NULL) ORDER BY a"
        ),
        vec![vec![i(3)], vec![i(4)], vec![i(5)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.t_a = t.a) ORDER BY a"
        ),
        vec![vec![i(1)], vec![i(2)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.t_a = t.a) ORDER BY a"
        ),
        vec![vec![i(3)], vec![i(4)], vec![i(5)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE a > ALL (SELECT t_a FROM u WHERE t_a < 3) ORDER BY a"
        ),
        vec![vec![i(3)], vec![i(4)], vec![i(5)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE a = ANY (SELECT t_a FROM u) ORDER BY a"
        ),
        vec![vec![i(1)], vec![i(2)]]
    );
    assert_eq!(rows(&db, "SELECT (SELECT x FROM e)"), vec![vec![N]]);
    assert_eq!(error_code(&db, "SELECT (SELECT t_a FROM u)"), "21000");
    assert_eq!(error_code(&db, "SELECT (SELECT id, v FROM u)"), "42601");
}

#[test]
fn correlation_at_depth_two() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.t_a = t.a AND EXISTS \
             (SELECT 1 FROM u AS w WHERE w.id = u.id AND t.c = 'x'))"
        ),
        vec![vec![i(1)]]
    );
    // A derived table inside a correlated subquery reads the outer row at depth 1.
    assert_eq!(
        rows(
            &db,
            "SELECT a, (SELECT d.s FROM (SELECT t.a * 100 AS s) AS d) FROM t WHERE a < 3 ORDER BY a"
        ),
        vec![vec![i(1), i(100)], vec![i(2), i(200)]]
    );
}

#[test]
fn set_operations() {
    let db = db();
    assert_eq!(
        rows(&db, "SELECT b FROM t UNION SELECT t_a FROM u ORDER BY 1"),
        vec![
            vec![i(1)],
            vec![i(2)],
            vec![i(9)],
            vec![i(10)],
            vec![i(20)],
            vec![i(30)],
            vec![N]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM (SELECT b FROM t UNION ALL SELECT t_a FROM u) AS s"
        ),
        vec![vec![i(10)]]
    );
    assert_eq!(
        rows(
            &db,
            "VALUES (1), (1), (2) INTERSECT ALL VALUES (1), (1), (1)"
        ),
        vec![vec![i(1)], vec![i(1)]]
    );
    assert_eq!(
        rows(
            &db,
            "VALUES (1), (1), (2), (3) INTERSECT VALUES (1), (3) ORDER BY 1"
        ),
        vec![vec![i(1)], vec![i(3)]]
    );
    assert_eq!(
        rows(&db, "SELECT b FROM t EXCEPT SELECT 20 ORDER BY b"),
        vec![vec![i(10)], vec![i(30)], vec![N]]
    );
    assert_eq!(
        rows(&db, "VALUES (1), (1), (2) EXCEPT ALL VALUES (1) ORDER BY 1"),
        vec![vec![i(1)], vec![i(2)]]
    );
    assert_eq!(
        rows(
            &db,
            "(SELECT a FROM t ORDER BY a DESC LIMIT 2) UNION ALL (SELECT 0) ORDER BY 1 LIMIT 2"
        ),
        vec![vec![i(0)], vec![i(4)]]
    );
    assert_eq!(error_code(&db, "SELECT 1 UNION SELECT 1, 2"), "42601");
    // A quoted literal takes the other operand's type, as PostgreSQL's unknown.
    assert_eq!(
        rows(&db, "SELECT 1 UNION ALL SELECT '2' ORDER BY 1"),
        vec![vec![i(1)], vec![i(2)]]
    );
    assert_eq!(rows(&db, "VALUES (1), ('2')"), vec![vec![i(1)], vec![i(2)]]);
    assert_eq!(error_code(&db, "SELECT 'a' UNION SELECT 1"), "22P02");
    assert_eq!(
        rows(&db, "SELECT 'b' UNION SELECT 'a' ORDER BY 1"),
        vec![vec![t("a")], vec![t("b")]]
    );
}

#[test]
fn common_table_expressions() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "WITH x AS (SELECT a FROM t WHERE a > 3) SELECT * FROM x ORDER BY a"
        ),
        vec![vec![i(4)], vec![i(5)]]
    );
    assert_eq!(
        rows(
            &db,
            "WITH x(k) AS (SELECT a FROM t), y AS (SELECT k * 2 AS d FROM x) SELECT sum(d) FROM y"
        ),
        vec![vec![i(30)]]
    );
    assert_eq!(
        rows(
            &db,
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n), count(*) FROM r"
        ),
        vec![vec![i(15), i(5)]]
    );
    // UNION stops at the fixpoint even though the step cycles.
    assert_eq!(
        rows(
            &db,
            "WITH RECURSIVE r(n) AS (VALUES (1) UNION SELECT (n % 3) + 1 FROM r) SELECT n FROM r ORDER BY n"
        ),
        vec![vec![i(1)], vec![i(2)], vec![i(3)]]
    );
    // A recursive walk over a table: the ids reachable from u.id = 1 by id + 1 while v <> 'nine'.
    assert_eq!(
        rows(
            &db,
            "WITH RECURSIVE walk(id) AS (SELECT 1 UNION ALL SELECT u.id FROM u JOIN walk ON u.id = walk.id + 1 \
             WHERE u.v <> 'nine') SELECT id FROM walk ORDER BY id"
        ),
        vec![vec![i(1)], vec![i(2)], vec![i(3)]]
    );
}

#[test]
fn views_expand_their_stored_query() {
    use covet_engine::table::ViewDef;
    let db = db();
    let mut w = db.begin_write().unwrap();
    {
        let mut tw = w.tables();
        tw.create_view(ViewDef {
            name: "big_b".into(),
            sql: "SELECT a, b FROM t WHERE b >= 20".into(),
            columns: vec!["k".into(), "bb".into()],
        })
        .unwrap();
        tw.create_view(ViewDef {
            name: "of_view".into(),
            sql: "SELECT k FROM big_b WHERE bb = 20".into(),
            columns: vec![],
        })
        .unwrap();
    }
    w.commit().unwrap();
    assert_eq!(
        rows(&db, "SELECT k, bb FROM big_b ORDER BY k"),
        vec![vec![i(2), i(20)], vec![i(4), i(20)], vec![i(5), i(30)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT v.k, u.v FROM of_view AS v JOIN u ON u.id = v.k ORDER BY 1"
        ),
        vec![vec![i(2), t("uno")], vec![i(4), t("nine")]]
    );
    // The view's names do not leak into the query: its table is not in scope.
    assert_eq!(error_code(&db, "SELECT t.a FROM big_b"), "42P01");
}
