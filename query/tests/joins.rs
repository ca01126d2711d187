//! Every join kind, against hand-computed results, with NULL semantics.

mod common;

use common::*;

#[test]
fn inner_left_right_full_cross() {
    let db = db();
    assert_eq!(
        sorted(&db, "SELECT t.a, u.id FROM t JOIN u ON t.a = u.t_a"),
        vec![vec![i(1), i(1)], vec![i(1), i(2)], vec![i(2), i(3)]]
    );
    assert_eq!(
        sorted(&db, "SELECT t.a, u.id FROM t LEFT JOIN u ON t.a = u.t_a"),
        vec![
            vec![i(1), i(1)],
            vec![i(1), i(2)],
            vec![i(2), i(3)],
            vec![i(3), N],
            vec![i(4), N],
            vec![i(5), N]
        ]
    );
    assert_eq!(
        sorted(
            &db,
            "SELECT t.a, u.id FROM t RIGHT OUTER JOIN u ON t.a = u.t_a"
        ),
        vec![
            vec![i(1), i(1)],
            vec![i(1), i(2)],
            vec![i(2), i(3)],
            vec![N, i(4)],
            vec![N, i(5)]
        ]
    );
    assert_eq!(
        sorted(&db, "SELECT t.a, u.id FROM t FULL JOIN u ON t.a = u.t_a"),
        vec![
            vec![i(1), i(1)],
            vec![i(1), i(2)],
            vec![i(2), i(3)],
            vec![i(3), N],
            vec![i(4), N],
            vec![i(5), N],
            vec![N, i(4)],
            vec![N, i(5)]
        ]
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM t CROSS JOIN u"),
        vec![vec![i(25)]]
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM t, u WHERE t.a = u.id"),
        vec![vec![i(5)]]
    );
}

#[test]
fn non_equi_and_null_safe_conditions() {
    let db = db();
    // u.t_a = 2 pairs with a = 1; u.t_a = 9 with every a.
    assert_eq!(
        rows(&db, "SELECT count(*) FROM t JOIN u ON t.a < u.t_a"),
        vec![vec![i(6)]]
    );
    // NULL never equals NULL with `=`, but does with IS NOT DISTINCT FROM.
    assert_eq!(
        rows(&db, "SELECT count(*) FROM t JOIN u ON t.b = u.t_a"),
        vec![vec![i(0)]]
    );
    assert_eq!(
        sorted(
            &db,
            "SELECT t.a, u.id FROM t JOIN u ON t.b IS NOT DISTINCT FROM u.t_a"
        ),
        vec![vec![i(3), i(5)]]
    );
    // A condition on the right side of a LEFT JOIN filters the right side only.
    assert_eq!(
        sorted(
            &db,
            "SELECT t.a, u.id FROM t LEFT JOIN u ON t.a = u.t_a AND u.v = 'uno' WHERE t.a < 3"
        ),
        vec![vec![i(1), i(2)], vec![i(2), N]]
    );
    // The same condition in WHERE removes the unmatched rows.
    assert_eq!(
        sorted(
            &db,
            "SELECT t.a, u.id FROM t LEFT JOIN u ON t.a = u.t_a WHERE u.v = 'uno'"
        ),
        vec![vec![i(1), i(2)]]
    );
    // ON conditions on the preserved side do not filter it.
    assert_eq!(
        sorted(
            &db,
            "SELECT t.a, u.id FROM t LEFT JOIN u ON t.a = u.t_a AND t.a = 2"
        ),
        vec![
            vec![i(1), N],
            vec![i(2), i(3)],
            vec![i(3), N],
            vec![i(4), N],
            vec![i(5), N]
        ]
    );
}

#[test]
fn using_and_natural() {
    let db = db();
    let w = "(SELECT t_a AS a, v FROM u) AS w";
    assert_eq!(
        sorted(&db, &format!("SELECT * FROM t JOIN {w} USING (a)")),
        vec![
            vec![i(1), i(10), t("x"), t("one")],
            vec![i(1), i(10), t("x"), t("uno")],
            vec![i(2), i(20), t("y"), t("two")]
        ]
    );
    assert_eq!(
        sorted(&db, &format!("SELECT * FROM t NATURAL JOIN {w}")),
        sorted(&db, &format!("SELECT * FROM t JOIN {w} USING (a)"))
    );
    // FULL JOIN USING: the merged column is COALESCE(t.a, w.a).
    assert_eq!(
        sorted(
            &db,
            &format!("SELECT a, t.a, w.a, v FROM t FULL JOIN {w} USING (a)")
        ),
        vec![
            vec![i(1), i(1), i(1), t("one")],
            vec![i(1), i(1), i(1), t("uno")],
            vec![i(2), i(2), i(2), t("two")],
            vec![i(3), i(3), N, N],
            vec![i(4), i(4), N, N],
            vec![i(5), i(5), N, N],
            vec![i(9), N, i(9), t("nine")],
            vec![N, N, N, t("none")]
        ]
    );
    assert_eq!(
        sorted(&db, &format!("SELECT a FROM t RIGHT JOIN {w} USING (a)")),
        vec![vec![i(1)], vec![i(1)], vec![i(2)], vec![i(9)], vec![N]]
    );
    assert_eq!(
        error_code(&db, "SELECT * FROM t JOIN u USING (nope)"),
        "42703"
    );
}

#[test]
fn derived_tables_and_lateral() {
    let db = db();
    assert_eq!(
        rows(
            &db,
            "SELECT s FROM (SELECT a + b AS s FROM t WHERE b > 10) AS d ORDER BY s"
        ),
        vec![vec![i(22)], vec![i(24)], vec![i(35)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, l.v FROM t, LATERAL (SELECT v FROM u WHERE u.t_a = t.a ORDER BY v LIMIT 1) AS l ORDER BY t.a"
        ),
        vec![vec![i(1), t("one")], vec![i(2), t("two")]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, l.n FROM t LEFT JOIN LATERAL (SELECT count(*) AS n FROM u WHERE u.t_a = t.a) AS l ON true ORDER BY t.a"
        ),
        vec![
            vec![i(1), i(2)],
            vec![i(2), i(1)],
            vec![i(3), i(0)],
            vec![i(4), i(0)],
            vec![i(5), i(0)]
        ]
    );
    // A derived table cannot see its FROM neighbours without LATERAL.
    assert_eq!(
        error_code(
            &db,
            "SELECT * FROM t, (SELECT v FROM u WHERE u.t_a = t.a) AS l"
        ),
        "42P01"
    );
}

#[test]
fn three_way_join_and_nested_join_alias() {
    let db = db();
    assert_eq!(
        sorted(
            &db,
            "SELECT t.a, u.id, w.id FROM t JOIN u ON u.t_a = t.a JOIN u AS w ON w.id = u.id + 1"
        ),
        vec![
            vec![i(1), i(1), i(2)],
            vec![i(1), i(2), i(3)],
            vec![i(2), i(3), i(4)]
        ]
    );
    assert_eq!(
        sorted(
            &db,
            "SELECT j.a, j.id FROM (t JOIN u ON t.a = u.t_a) AS j WHERE j.id > 1"
        ),
        vec![vec![i(1), i(2)], vec![i(2), i(3)]]
    );
}

/// A comma join whose FROM order starts with a cross product is reordered along its
/// equalities; the result and its column order are those of the FROM order.
#[test]
fn comma_joins_follow_their_equalities_and_keep_the_written_columns() {
    let db = db();
    let expected = vec![
        vec![
            i(1),
            i(1),
            t("one"),
            i(1),
            i(10),
            t("x"),
            i(1),
            i(1),
            t("one"),
        ],
        vec![
            i(2),
            i(1),
            t("uno"),
            i(1),
            i(10),
            t("x"),
            i(1),
            i(1),
            t("one"),
        ],
        vec![
            i(3),
            i(2),
            t("two"),
            i(1),
            i(10),
            t("x"),
            i(2),
            i(1),
            t("uno"),
        ],
    ];
    // u1 and t have no equality between them: the FROM order would cross them.
    let reordered = "SELECT * FROM u AS u1, t, u AS u2 \
                     WHERE u1.t_a = u2.id AND u2.t_a = t.a";
    assert_eq!(sorted(&db, reordered), expected);
    // Written in a connected order, the planner keeps it; the same rows.
    let connected = "SELECT u1.*, t.*, u2.* FROM u AS u1 \
                     JOIN u AS u2 ON u1.t_a = u2.id JOIN t ON u2.t_a = t.a";
    assert_eq!(sorted(&db, connected), expected);
    // A relation connected to nothing is the cross product, joined last.
    assert_eq!(
        rows(
            &db,
            "SELECT count(*), sum(e.x) FROM e, u AS u1, t, u AS u2 \
             WHERE u1.t_a = u2.id AND u2.t_a = t.a"
        ),
        vec![vec![i(0), N]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM t AS t0, u AS u1, t, u AS u2 \
             WHERE u1.t_a = u2.id AND u2.t_a = t.a"
        ),
        vec![vec![i(15)]]
    );
    // A WHERE conjunct with a correlated subquery reads the written columns.
    assert_eq!(
        sorted(
            &db,
            "SELECT u1.id, t.a, u2.id FROM u AS u1, t, u AS u2 \
             WHERE u1.t_a = u2.id AND u2.t_a = t.a \
             AND EXISTS (SELECT 1 FROM u AS w WHERE w.id = u1.id AND w.v <> 'uno')"
        ),
        vec![vec![i(1), i(1), i(1)], vec![i(3), i(1), i(2)]]
    );
    // Outer joins keep their place: the LEFT JOIN's null-extended rows stay.
    assert_eq!(
        sorted(
            &db,
            "SELECT u1.id, t.a, u2.id FROM u AS u1 LEFT JOIN t ON t.a = u1.t_a + 10, \
             u AS u2 WHERE u1.t_a = u2.id"
        ),
        vec![
            vec![i(1), N, i(1)],
            vec![i(2), N, i(1)],
            vec![i(3), N, i(2)]
        ]
    );
}
