//! EXPLAIN shows the access path the planner chose, and the plan's shape.

mod common;

use common::*;

#[test]
fn primary_key_seek_index_seek_and_full_scan() {
    let db = db();
    assert_eq!(
        explain_sql(&db, "SELECT c FROM t WHERE a = 1"),
        vec!["Project: t.c", "  Primary Key Seek on t: a = 1"]
    );
    assert_eq!(
        explain_sql(&db, "SELECT a FROM t WHERE b = $1"),
        vec!["Project: t.a", "  Index Seek on t(b) using idx_t_b: b = $1"]
    );
    assert_eq!(
        explain_sql(&db, "SELECT a FROM t WHERE c = 'x'"),
        vec!["Project: t.a", "  Seq Scan on t (filter: c = 'x')"]
    );
    assert_eq!(
        explain_sql(&db, "SELECT a FROM t WHERE a > 1 AND a <= 4 AND c = 'x'"),
        vec![
            "Project: t.a",
            "  Primary Key Range Scan on t: a > 1 AND a <= 4 (filter: c = 'x')"
        ]
    );
    assert_eq!(
        explain_sql(&db, "SELECT a FROM t WHERE b BETWEEN 15 AND 25"),
        vec![
            "Project: t.a",
            "  Index Range Scan on t(b) using idx_t_b: b >= 15 AND b <= 25"
        ]
    );
    // A point lookup on the primary key wins over an index equality.
    assert_eq!(
        explain_sql(&db, "SELECT a FROM t WHERE b = 20 AND a = 4"),
        vec![
            "Project: t.a",
            "  Primary Key Seek on t: a = 4 (filter: b = 20)"
        ]
    );
}

#[test]
fn seeks_return_the_rows_a_scan_would() {
    let db = db();
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE b = 20 ORDER BY a"),
        vec![vec![i(2)], vec![i(4)]]
    );
    // Range scans never return NULL keys.
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE b < 25 ORDER BY a"),
        vec![vec![i(1)], vec![i(2)], vec![i(4)]]
    );
    assert_eq!(rows(&db, "SELECT a FROM t WHERE b >= 30"), vec![vec![i(5)]]);
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE b = NULL"),
        Vec::<Vec<_>>::new()
    );
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE a >= 4 ORDER BY a"),
        vec![vec![i(4)], vec![i(5)]]
    );
    // A float bound on an integer key compares numerically.
    assert_eq!(
        rows(&db, "SELECT a FROM t WHERE a < 2.5 ORDER BY a"),
        vec![vec![i(1)], vec![i(2)]]
    );
}

#[test]
fn joins_pushdown_and_top_n() {
    let db = db();
    assert_eq!(
        explain_sql(
            &db,
            "SELECT t.a, u.v FROM t JOIN u ON t.a = u.t_a WHERE u.v <> 'x' AND t.b > 5 ORDER BY t.a LIMIT 3"
        ),
        vec![
            "Top-N: 3 by t.a ASC",
            "  Project: t.a, u.v",
            "    Hash Join (Inner): t.a = u.t_a",
            "      Index Range Scan on t(b) using idx_t_b: b > 5",
            "      Seq Scan on u (filter: v <> 'x')",
        ]
    );
    assert_eq!(
        explain_sql(&db, "SELECT count(*) FROM t JOIN u ON t.a < u.t_a"),
        vec![
            "Project: count(*)",
            "  Hash Aggregate: count(*)",
            "    Nested Loop Join (Inner): t.a < u.t_a",
            "      Seq Scan on t",
            "      Seq Scan on u",
        ]
    );
}

#[test]
fn index_nested_loop_join_when_the_outer_side_is_a_seek() {
    let db = db();
    let sql = "SELECT t.a, u.v FROM t JOIN u ON u.id = t.b / 10 WHERE t.a = 2";
    assert_eq!(
        explain_sql(&db, sql),
        vec![
            "Project: t.a, u.v",
            "  Index Nested Loop Join (Inner)",
            "    Primary Key Seek on t: a = 2",
            "    Primary Key Seek on u: id = t.b / 10",
        ]
    );
    assert_eq!(rows(&db, sql), vec![vec![i(2), t("uno")]]);
    // LEFT: a NULL key seeks nothing and pads the row.
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, u.v FROM t LEFT JOIN u ON u.id = t.b WHERE t.a = 3"
        ),
        vec![vec![i(3), N]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT t.a, u.v FROM t LEFT JOIN u ON u.id = t.b / 10 AND u.v <> 'uno' WHERE t.a = 2"
        ),
        vec![vec![i(2), N]]
    );
    // An index on the inner side serves too.
    let sql = "SELECT u.id, t.a FROM u JOIN t ON t.b = u.id * 10 WHERE u.id = 2 ORDER BY t.a";
    assert!(explain_sql(&db, sql)
        .iter()
        .any(|l| l.contains("Index Seek on t(b) using idx_t_b")));
    assert_eq!(rows(&db, sql), vec![vec![i(2), i(2)], vec![i(2), i(4)]]);
}

#[test]
fn sort_aggregate_over_a_scan_in_group_key_order() {
    let db = db();
    let sql = "SELECT b, count(*) FROM t WHERE b > 0 GROUP BY b";
    assert_eq!(
        explain_sql(&db, sql),
        vec![
            "Project: t.b, count(*)",
            "  Sort Aggregate: group by t.b; count(*)",
            "    Index Range Scan on t(b) using idx_t_b: b > 0",
        ]
    );
    assert_eq!(
        rows(&db, sql),
        vec![vec![i(10), i(1)], vec![i(20), i(2)], vec![i(30), i(1)]]
    );
    assert!(explain_sql(&db, "SELECT a, sum(b) FROM t GROUP BY a")
        .iter()
        .any(|l| l.starts_with("  Sort Aggregate")));
    assert_eq!(
        rows(&db, "SELECT a, sum(b) FROM t WHERE a >= 4 GROUP BY a"),
        vec![vec![i(4), i(20)], vec![i(5), i(30)]]
    );
    assert_eq!(
        rows(&db, "SELECT a, count(*) FROM t WHERE a > 9 GROUP BY a"),
        Vec::<Vec<_>>::new()
    );
    // Not in key order: hashing.
    assert!(explain_sql(&db, "SELECT c, count(*) FROM t GROUP BY c")
        .iter()
        .any(|l| l.starts_with("  Hash Aggregate")));
}

/// The join order of a comma join follows its equalities (a key seek first, then
/// relations connected by an equality), not the FROM list's cross products; a
/// projection restores the written column order.
#[test]
fn comma_join_order_follows_the_equalities() {
    let db = db();
    assert_eq!(
        explain_sql(
            &db,
            "SELECT u1.v, t.c, u2.v FROM u AS u1, t, u AS u2 \
             WHERE u1.t_a = u2.id AND u2.t_a = t.a AND u1.id = 3"
        ),
        vec![
            "Project: u1.v, t.c, u2.v",
            "  Project: NULL, NULL, u1.v, NULL, NULL, t.c, NULL, NULL, u2.v",
            "    Index Nested Loop Join (Inner)",
            "      Index Nested Loop Join (Inner)",
            "        Primary Key Seek on u u1: id = 3",
            "        Primary Key Seek on u u2: id = u1.t_a",
            "      Primary Key Seek on t: a = u2.t_a"
        ]
    );
}

/// select5.test's shape: 17 tables `tK(aK INTEGER PRIMARY KEY, bK, xK)`, a comma join in
/// an order where neighbours share no equality, a chain of 16 equalities and one key
/// filter. The plan joins along the chain (no cross product) and the result is the one
/// row the chain selects, in the written column order.
#[test]
fn seventeen_table_comma_join_has_no_cross_product() {
    let db = covet_engine::Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    {
        let mut tw = w.tables();
        for k in 1..=17 {
            let (a, b, x) = (format!("a{k}"), format!("b{k}"), format!("x{k}"));
            tw.create_table(
                covet_engine::table::TableSchema::new(
                    format!("t{k}"),
                    vec![
                        covet_engine::table::ColumnDef::new(
                            &a,
                            covet_engine::value::SqlType::BigInt,
                        )
                        .not_null(),
                        covet_engine::table::ColumnDef::new(
                            &b,
                            covet_engine::value::SqlType::BigInt,
                        ),
                        covet_engine::table::ColumnDef::new(&x, covet_engine::value::SqlType::Text),
                    ],
                )
                .with_primary_key(vec![0]),
            )
            .unwrap();
            // bK = 11 - aK: each equality of the chain maps a row to exactly one row.
            for r in 1..=10 {
                tw.insert_row(
                    &format!("t{k}"),
                    vec![i(r), i(11 - r), t(&format!("t{k} row {r}"))],
                )
                .unwrap();
            }
        }
    }
    w.commit().unwrap();
    // FROM order: odd tables, then even ones; the chain is a1 = b2, a2 = b3, …
    let from: Vec<String> = (1..=17)
        .filter(|k| k % 2 == 1)
        .chain((1..=17).filter(|k| k % 2 == 0))
        .map(|k| format!("t{k}"))
        .collect();
    let query = |chain: &dyn Fn(usize) -> String| {
        let chain: Vec<String> = (1..17).map(chain).collect();
        format!(
            "SELECT x1, x2, x17 FROM {} WHERE a1 = 3 AND {}",
            from.join(", "),
            chain.join(" AND ")
        )
    };
    let count = |lines: &[String], what: &str| lines.iter().filter(|l| l.contains(what)).count();
    let first = format!("{}Primary Key Seek on t1: a1 = 3", " ".repeat(2 * 18));
    // Each equality reaches the next table's primary key: index nested loops from the
    // filtered table on, every table read by a key seek.
    let keyed = query(&|k| format!("b{k} = a{}", k + 1));
    let lines = explain_sql(&db, &keyed);
    assert_eq!(count(&lines, "Join"), 16, "{lines:#?}");
    assert_eq!(
        count(&lines, "Index Nested Loop Join (Inner)"),
        16,
        "{lines:#?}"
    );
    assert_eq!(count(&lines, "Primary Key Seek"), 17, "{lines:#?}");
    assert!(lines.contains(&first), "{lines:#?}");
    // t1 row 3 (b1 = 8) → t2 row 8 (b2 = 3) → t3 row 3 …
    assert_eq!(
        rows(&db, &keyed),
        vec![vec![t("t1 row 3"), t("t2 row 8"), t("t17 row 3")]]
    );
    // Equalities on non-key columns: hash joins along the chain, still no cross product.
    let unkeyed = query(&|k| format!("a{k} = b{}", k + 1));
    let lines = explain_sql(&db, &unkeyed);
    assert_eq!(count(&lines, "Join"), 16, "{lines:#?}");
    assert_eq!(count(&lines, "Hash Join (Inner)"), 16, "{lines:#?}");
    assert!(lines.contains(&first), "{lines:#?}");
    assert_eq!(
        rows(&db, &unkeyed),
        vec![vec![t("t1 row 3"), t("t2 row 8"), t("t17 row 3")]]
    );
}

/// The lines `EXPLAIN <sql>` returns through a session.
fn explain_statement(db: &covet_engine::Database, sql: &str) -> Vec<String> {
    let mut s = covet_query::Session::new(covet_query::Engine::new(db.clone()));
    match s.execute_sql(&format!("EXPLAIN {sql}"), &[]) {
        Ok(covet_query::Outcome::Rows(r)) => r
            .map(|row| match row.unwrap().as_slice() {
                [covet_engine::value::Value::Text(l)] => l.clone(),
                other => panic!("{other:?}"),
            })
            .collect(),
        Ok(covet_query::Outcome::Done(t)) => panic!("{sql}: {t:?}"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

/// EXPLAIN of DML names the statement's operation above its rows' plan (PostgreSQL's
/// `Update on t`), without the executor's key columns, and changes nothing.
#[test]
fn explain_of_insert_update_and_delete() {
    let db = db();
    let before = rows(&db, "SELECT a, b, c FROM t ORDER BY a");
    assert_eq!(
        explain_statement(&db, "UPDATE t SET c = 'w' WHERE a = 2"),
        vec!["Update on t", "  Primary Key Seek on t: a = 2"]
    );
    assert_eq!(
        explain_statement(&db, "DELETE FROM t WHERE b = 20"),
        vec!["Delete on t", "  Index Seek on t(b) using idx_t_b: b = 20"]
    );
    assert_eq!(
        explain_statement(
            &db,
            "UPDATE t SET c = u.v FROM u WHERE u.id = t.b AND t.a = 1"
        ),
        vec![
            "Update on t",
            "  Index Nested Loop Join (Inner)",
            "    Primary Key Seek on t: a = 1",
            "    Primary Key Seek on u: id = t.b",
        ]
    );
    assert_eq!(
        explain_statement(&db, "INSERT INTO t VALUES (10, 1, 'x'), (11, 2, 'y')"),
        vec!["Insert on t", "  Values (2 rows)"]
    );
    assert_eq!(
        explain_statement(&db, "INSERT INTO t SELECT a + 100, b, c FROM t WHERE a = 1"),
        vec![
            "Insert on t",
            "  Project: t.a + 100, t.b, t.c",
            "    Primary Key Seek on t: a = 1",
        ]
    );
    // EXPLAIN binds the statement in full: its errors are the statement's.
    let mut s = covet_query::Session::new(covet_query::Engine::new(db.clone()));
    let code =
        |s: &mut covet_query::Session, sql: &str| s.execute_sql(sql, &[]).err().map(|e| e.code);
    assert_eq!(
        code(&mut s, "EXPLAIN UPDATE t SET nope = 1"),
        Some(covet_query::SqlState::UNDEFINED_COLUMN)
    );
    assert_eq!(
        code(&mut s, "EXPLAIN INSERT INTO nope VALUES (1)"),
        Some(covet_query::SqlState::UNDEFINED_TABLE)
    );
    assert_eq!(rows(&db, "SELECT a, b, c FROM t ORDER BY a"), before);
}
