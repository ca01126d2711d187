//! Error-safe constant folding, and the property that folding never changes a result.

use covet_engine::value::Value;
use proptest::prelude::*;

use super::*;
use crate::expr::{fold_constants, NoContext};

fn folded(sql: &str) -> ScalarExpr {
    fold_constants(bind(sql).unwrap().0)
}

#[test]
fn folds_constant_subtrees() {
    assert_eq!(folded("1 + 2 * 3"), ScalarExpr::Literal(int(7)));
    assert_eq!(
        folded("lower('ABC') || 'd'"),
        ScalarExpr::Literal(txt("abcd"))
    );
    assert_eq!(
        folded("CASE WHEN 1 = 0 THEN 1/0 END"),
        ScalarExpr::Literal(Value::Null)
    );
    assert_eq!(
        folded("CASE WHEN 1 = 1 THEN 2 ELSE 1/0 END"),
        ScalarExpr::Literal(int(2))
    );
    assert_eq!(
        folded("false AND 1/0 = 1"),
        ScalarExpr::Literal(Value::Bool(false))
    );
    assert_eq!(folded("COALESCE(1, 1/0)"), ScalarExpr::Literal(int(1)));
    // A column stays; its constant sibling folds.
    assert_eq!(
        folded("a + (2 * 3)"),
        ScalarExpr::Binary {
            op: crate::expr::BinaryOp::Add,
            left: Box::new(ScalarExpr::Column(0)),
            right: Box::new(ScalarExpr::Literal(int(6))),
        }
    );
}

#[test]
fn never_raises_and_keeps_failing_subtrees() {
    let e = folded("1/0");
    assert!(matches!(e, ScalarExpr::Binary { .. }), "{e:?}");
    assert_eq!(
        evaluate(&e, &[], &mut NoContext { time_micros: 0 })
            .unwrap_err()
            .code,
        SqlState::DIVISION_BY_ZERO
    );
    let e = folded("CASE WHEN a > 0 THEN 1/0 ELSE 0 END");
    // The arm with 1/0 is left as it was: rows with a <= 0 never raise.
    let ScalarExpr::Case { branches, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(matches!(branches[0].1, ScalarExpr::Binary { .. }));
    let mut r = row();
    r[0] = int(-1);
    assert_eq!(evaluate(&e, &r, &mut TestContext::new()).unwrap(), int(0));
    assert!(matches!(
        folded("'x'::text || (9223372036854775807 + 1)"),
        ScalarExpr::Binary { .. }
    ));
}

#[test]
fn strict_nodes_with_a_null_operand_fold_to_null() {
    // The other operand is not evaluated, as in PostgreSQL: no 22P02 for 'hello'.
    assert_eq!(
        folded("(length(c) / NULL) + CAST(c AS bigint)"),
        ScalarExpr::Literal(Value::Null)
    );
    assert_eq!(
        folded("a <= CAST(c AS bigint) - NULL"),
        ScalarExpr::Literal(Value::Null)
    );
    assert_eq!(
        folded("sqrt(b) + power(NULL::float8, 1)"),
        ScalarExpr::Literal(Value::Null)
    );
    assert_eq!(folded("NULL IN (a, 1/0)"), ScalarExpr::Literal(Value::Null));
    assert_eq!(folded("c LIKE NULL"), ScalarExpr::Literal(Value::Null));
    // Not strict: IS NULL, COALESCE, AND/OR, CASE keep their operands.
    assert!(matches!(
        folded("CAST(c AS bigint) IS NULL"),
        ScalarExpr::IsNull { .. }
    ));
    assert!(matches!(
        folded("COALESCE(CAST(c AS bigint), NULL, a)"),
        ScalarExpr::Coalesce(v) if v.len() == 2
    ));
    assert!(matches!(folded("flag AND NULL"), ScalarExpr::Binary { .. }));
    // Unfolded, the row's evaluation reaches the cast and fails: folding removed it.
    assert_eq!(
        err("(length(c) / NULL) + CAST(c AS bigint)"),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
}

#[test]
fn and_or_with_a_deciding_constant_fold() {
    let f = ScalarExpr::Literal(Value::Bool(false));
    let t = ScalarExpr::Literal(Value::Bool(true));
    assert_eq!(
        folded("(6 / a < 1) AND (DATE '2000-03-25' IN (DATE '2024-09-10'))"),
        f
    );
    assert_eq!(folded("(27 % a = 1) AND (FALSE IS NOT FALSE)"), f);
    assert_eq!(folded("(a / 0 = 1) OR TRUE"), t);
    assert_eq!(folded("flag AND TRUE"), ScalarExpr::Column(7));
    assert_eq!(folded("FALSE OR flag"), ScalarExpr::Column(7));
    assert!(matches!(
        folded("flag AND a > 1"),
        ScalarExpr::Binary { .. }
    ));
}

#[test]
fn coalesce_and_case_drop_what_is_never_evaluated() {
    assert_eq!(folded("COALESCE(-86, a)"), ScalarExpr::Literal(int(-86)));
    assert_eq!(
        folded("COALESCE(NULL, a, 1/0)"),
        ScalarExpr::Coalesce(vec![
            ScalarExpr::Column(0),
            ScalarExpr::Binary {
                op: crate::expr::BinaryOp::Div,
                left: Box::new(ScalarExpr::Literal(int(1))),
                right: Box::new(ScalarExpr::Literal(int(0))),
            }
        ])
    );
    assert_eq!(folded("COALESCE(NULL, a)"), ScalarExpr::Column(0));
    assert!(matches!(folded("COALESCE(a, 2, b)"), ScalarExpr::Coalesce(v) if v.len() == 2));
    assert_eq!(
        folded("CASE WHEN 1 = 1 THEN a ELSE n END"),
        ScalarExpr::Column(0)
    );
    assert_eq!(
        folded("CASE WHEN false THEN a WHEN NULL THEN a + 1 ELSE n END"),
        ScalarExpr::Column(8)
    );
    assert_eq!(
        folded("CASE WHEN false THEN a END"),
        ScalarExpr::Literal(Value::Null)
    );
    assert_eq!(
        folded("CASE 64 WHEN 77 THEN a ELSE n END"),
        ScalarExpr::Column(8)
    );
    assert_eq!(
        folded("CASE 64 WHEN 64 THEN a ELSE n END"),
        ScalarExpr::Column(0)
    );
    // An undecided arm before the taken one stays, with the taken one as the ELSE.
    let ScalarExpr::Case {
        branches,
        else_expr,
        ..
    } = folded("CASE WHEN flag THEN a WHEN true THEN n ELSE 5 END")
    else {
        panic!("a CASE stays")
    };
    assert_eq!(branches.len(), 1);
    assert_eq!(else_expr.as_deref(), Some(&ScalarExpr::Column(8)));
    let ScalarExpr::Case { branches, .. } = folded("CASE 64 WHEN a THEN NULL WHEN 77 THEN b END")
    else {
        panic!("a CASE stays")
    };
    assert_eq!(branches.len(), 1);
    let mut r = row();
    r[0] = int(64);
    let e = folded("CASE 64 WHEN a THEN 1 WHEN 77 THEN 2 ELSE 3 END");
    assert_eq!(evaluate(&e, &r, &mut TestContext::new()).unwrap(), int(1));
}

/// A NULL operand (or two NULL bounds) makes BETWEEN NULL; `CASE x WHEN NULL` is never
/// taken, whatever x is (the corpus's GROUP BY queries rely on both).
#[test]
fn null_between_and_case_when_null_fold() {
    for sql in [
        "NULL BETWEEN a AND b",
        "NULL NOT BETWEEN a AND NULL",
        "a BETWEEN NULL AND NULL",
    ] {
        assert_eq!(folded(sql), ScalarExpr::Literal(Value::Null), "{sql}");
    }
    // One NULL bound: `a BETWEEN NULL AND 5` is FALSE for a = 6, so it stays.
    assert!(matches!(
        folded("a BETWEEN NULL AND 5"),
        ScalarExpr::Between { .. }
    ));
    assert_eq!(
        folded("CASE - COALESCE(a, b) WHEN CAST(NULL AS bigint) THEN - a ELSE n END"),
        ScalarExpr::Column(8)
    );
    assert_eq!(
        folded("CASE a WHEN NULL THEN b END"),
        ScalarExpr::Literal(Value::Null)
    );
    let ScalarExpr::Case { branches, .. } = folded("CASE a WHEN NULL THEN 1 WHEN b THEN 2 END")
    else {
        panic!("a CASE stays")
    };
    assert_eq!(branches.len(), 1);
}

#[test]
fn volatile_calls_and_parameters_stay() {
    assert!(matches!(folded("random()"), ScalarExpr::Function { .. }));
    assert!(matches!(folded("now()"), ScalarExpr::Function { .. }));
    assert!(matches!(folded("$1 + 1"), ScalarExpr::Binary { .. }));
}

/// Random constant expressions over a small grammar that reaches overflow, division by
/// zero, CASE, COALESCE, IN and casts; with `pg_rules`, also NULLs and AND/OR (where
/// PostgreSQL's simplifications may skip an evaluation that fails); without, boolean
/// operands meet with `=` and `<>` instead.
fn arb_expr(pg_rules: bool) -> impl Strategy<Value = String> {
    let nulls = pg_rules;
    let (and, or) = if pg_rules { ("AND", "OR") } else { ("=", "<>") };
    let mut leaves = vec![
        "9223372036854775807".to_owned(),
        "0".to_owned(),
        "1.5".to_owned(),
        "'3'".to_owned(),
        "'x'".to_owned(),
        "1".to_owned(),
        "-2".to_owned(),
        "true".to_owned(),
    ];
    if nulls {
        leaves.push("NULL".to_owned());
    }
    let leaf = prop_oneof![
        (-5i64..5).prop_map(|i| i.to_string()),
        prop::sample::select(leaves)
    ];
    leaf.prop_recursive(4, 32, 3, move |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (
                inner.clone(),
                prop::sample::select(vec!["=", "<", ">="]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("(({a}) {op} ({b}))::text")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("CASE WHEN ({c}) > 0 THEN {a} ELSE {b} END")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("COALESCE({a}, {b})")),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| format!(
                "CASE {c} WHEN 1 THEN {a} WHEN 2 THEN {b} ELSE 0 END"
            )),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(({a}) IN ({b}, 2))::text")),
            inner.clone().prop_map(|a| format!("CAST({a} AS integer)")),
            inner.clone().prop_map(|a| format!("abs({a})")),
            (inner.clone(), inner.clone())
                .prop_map(move |(a, b)| format!("((({a}) > 0) {and} (({b}) < 1))::text")),
            (inner.clone(), inner.clone())
                .prop_map(move |(a, b)| format!("((({a}) > 0) {or} (({b}) < 1))::text")),
        ]
    })
}

/// Binds and evaluates `sql` plainly and after folding.
fn both(sql: &str) -> Option<(Result<Value>, Result<Value>)> {
    // Only expressions that bind: the properties are about evaluation.
    let (e, _) = bind_expr(&parse(sql), &mut TestScope::default()).ok()?;
    let mut ctx = NoContext { time_micros: 0 };
    let plain = evaluate(&e, &[], &mut ctx);
    let folded = evaluate(&fold_constants(e), &[], &mut ctx);
    Some((plain, folded))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Without NULLs (no NULL literal, every CASE has an ELSE) and without AND/OR, folding
/// changes nothing: the same value or the same error.
    #[test]
    fn folding_preserves_results(sql in arb_expr(false)) {
        let Some((plain, folded)) = both(&sql) else { return Ok(()); };
        match (plain, folded) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", sql),
            (Err(a), Err(b)) => prop_assert_eq!(a.code, b.code, "{}", sql),
            (a, b) => prop_assert!(false, "{}: {:?} vs {:?}", sql, a, b),
        }
    }

    /// With NULL literals, folding may also skip an evaluation PostgreSQL skips (a strict
    /// operator with a NULL operand), removing its error; it never adds an error and never
    /// changes a value.
    #[test]
    fn folding_never_adds_errors_or_changes_values(sql in arb_expr(true)) {
        let Some((plain, folded)) = both(&sql) else { return Ok(()); };
        match (plain, folded) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", sql),
            (Ok(a), Err(b)) => prop_assert!(false, "{}: folding added {:?} (was {:?})", sql, b, a),
            (Err(_), _) => {}
        }
    }
}
