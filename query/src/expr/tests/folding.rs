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
fn volatile_calls_and_parameters_stay() {
    assert!(matches!(folded("random()"), ScalarExpr::Function { .. }));
    assert!(matches!(folded("now()"), ScalarExpr::Function { .. }));
    assert!(matches!(folded("$1 + 1"), ScalarExpr::Binary { .. }));
}

/// Random constant expressions over a small grammar that reaches overflow, division by
/// zero, NULLs, CASE, COALESCE, IN and casts.
fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-5i64..5).prop_map(|i| i.to_string()),
        Just("9223372036854775807".to_owned()),
        Just("NULL".to_owned()),
        Just("0".to_owned()),
        Just("1.5".to_owned()),
        Just("'3'".to_owned()),
        Just("'x'".to_owned()),
    ];
    leaf.prop_recursive(4, 32, 3, |inner| {
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
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(({a}) IN ({b}, 2))::text")),
            inner.clone().prop_map(|a| format!("CAST({a} AS integer)")),
            inner.clone().prop_map(|a| format!("abs({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn folding_preserves_results(sql in arb_expr()) {
        // Only expressions that bind: the property is about evaluation.
        let Ok((e, _)) = bind_expr(&parse(&sql), &mut TestScope::default()) else { return Ok(()); };
        let mut ctx = NoContext { time_micros: 0 };
        let plain = evaluate(&e, &[], &mut ctx);
        let folded = evaluate(&fold_constants(e.clone()), &[], &mut ctx);
        match (plain, folded) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", sql),
            (Err(a), Err(b)) => prop_assert_eq!(a.code, b.code, "{}", sql),
            (a, b) => prop_assert!(false, "{}: {:?} vs {:?}", sql, a, b),
        }
    }
}
