//! Evaluation: operators, three-valued logic, laziness, IN, CASE, subqueries.

use covet_engine::value::Value;

use super::*;

const T: Value = Value::Bool(true);
const F: Value = Value::Bool(false);
const N: Value = Value::Null;

#[test]
fn arithmetic() {
    assert_eq!(val("a + 1"), int(8));
    assert_eq!(val("a - 10"), int(-3));
    assert_eq!(val("a * 3"), int(21));
    assert_eq!(val("a / 2"), int(3));
    assert_eq!(val("-a / 2"), int(-3));
    assert_eq!(val("a % 4"), int(3));
    assert_eq!(val("-a % 4"), int(-3));
    assert_eq!(val("a + b"), Value::Float(9.5));
    assert_eq!(val("a + d"), dec("19.50"));
    assert_eq!(val("d * 2"), dec("25.00"));
    assert_eq!(val("d / 4"), dec("3.1250000000000000"));
    assert_eq!(val("1 / 3.0"), dec("0.33333333333333333333"));
    assert_eq!(val("7 / 2.0"), dec("3.5000000000000000"));
    assert_eq!(val("2 ^ 10"), Value::Float(1024.0));
    assert_eq!(val("(1 + 2) * 3"), int(9));
    assert_eq!(val("+a"), int(7));
    assert_eq!(val("-(a)"), int(-7));
    assert_eq!(val("5 & 3"), int(1));
    assert_eq!(val("5 | 3"), int(7));
    assert_eq!(val("5 # 3"), int(6));
    assert_eq!(val("1 << 3"), int(8));
    assert_eq!(val("~0"), int(-1));
    assert_eq!(val("n + 1"), N);
    assert_eq!(val("NULL + 1"), N);
    assert_eq!(val("NULL::integer * a"), N);
}

#[test]
fn overflow_and_division_by_zero() {
    assert_eq!(
        err("9223372036854775807 + 1"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(
        err("-9223372036854775808 - 1"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(
        err("4611686018427387904 * 2"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(
        err("-(-9223372036854775808)"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(err("a / 0"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("a % 0"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("b / 0"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("d / 0"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("1e308 * 10"), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
    assert_eq!(val("n / 0"), N);
}

#[test]
fn comparisons() {
    assert_eq!(val("a = 7"), T);
    assert_eq!(val("a <> 7"), F);
    assert_eq!(val("a != 8"), T);
    assert_eq!(val("a < 7.5"), T);
    assert_eq!(val("a <= 7"), T);
    assert_eq!(val("a > b"), T);
    assert_eq!(val("a >= 7.0"), T);
    assert_eq!(val("1 = 1.0"), T);
    assert_eq!(val("d = 12.5"), T);
    assert_eq!(val("c = 'hello'"), T);
    assert_eq!(val("c < 'help'"), T);
    assert_eq!(val("n = 1"), N);
    assert_eq!(val("NULL = NULL"), N);
    assert_eq!(val("dt < ts"), T);
    assert_eq!(val("flag = true"), T);
    assert_eq!(val("INTERVAL '1 mon' = INTERVAL '30 days'"), T);
}

#[test]
fn three_valued_logic() {
    let cases = [
        ("true AND true", T),
        ("true AND false", F),
        ("true AND NULL", N),
        ("false AND NULL", F),
        ("NULL AND false", F),
        ("NULL AND NULL", N),
        ("true OR NULL", T),
        ("NULL OR true", T),
        ("false OR NULL", N),
        ("false OR false", F),
        ("NOT NULL", N),
        ("NOT true", F),
        ("NULL IS NULL", T),
        ("n IS NOT NULL", F),
        ("a IS NOT NULL", T),
        ("NULL IS TRUE", F),
        ("NULL IS NOT TRUE", T),
        ("false IS FALSE", T),
        ("true IS NOT FALSE", T),
        ("NULL IS UNKNOWN", T),
        ("true IS UNKNOWN", F),
        ("true IS NOT UNKNOWN", T),
        ("NULL IS DISTINCT FROM NULL", F),
        ("NULL IS DISTINCT FROM 1", T),
        ("1 IS DISTINCT FROM 1", F),
        ("1 IS NOT DISTINCT FROM 1.0", T),
        ("n IS NOT DISTINCT FROM NULL", T),
    ];
    for (sql, want) in cases {
        assert_eq!(val(sql), want, "{sql}");
    }
}

#[test]
fn and_or_are_lazy_but_errors_taken_propagate() {
    assert_eq!(val("false AND 1/0 = 1"), F);
    assert_eq!(val("true OR 1/0 = 1"), T);
    assert_eq!(err("true AND 1/0 = 1"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("NULL AND 1/0 = 1"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("false OR 1/0 = 1"), SqlState::DIVISION_BY_ZERO);
}

#[test]
fn between() {
    assert_eq!(val("a BETWEEN 1 AND 10"), T);
    assert_eq!(val("a BETWEEN 10 AND 1"), F);
    assert_eq!(val("a NOT BETWEEN 1 AND 5"), T);
    assert_eq!(val("a BETWEEN 7 AND 7.0"), T);
    assert_eq!(val("a BETWEEN NULL AND 10"), N);
    assert_eq!(val("a BETWEEN NULL AND 5"), F);
    assert_eq!(val("dt BETWEEN '2024-01-01' AND '2024-12-31'"), T);
    assert_eq!(val("c BETWEEN 'a' AND 'z'"), T);
    assert_eq!(
        bind("c BETWEEN 1 AND 2").unwrap_err().code,
        SqlState::DATATYPE_MISMATCH
    );
}

#[test]
fn symmetric_between_swaps_bounds() {
    // sqlparser 0.64 has no SYMMETRIC; the node supports it for the plan branch.
    use crate::expr::ScalarExpr as S;
    let e = S::Between {
        expr: Box::new(S::Literal(int(5))),
        low: Box::new(S::Literal(int(10))),
        high: Box::new(S::Literal(int(1))),
        negated: false,
        symmetric: true,
    };
    assert_eq!(evaluate(&e, &[], &mut TestContext::new()).unwrap(), T);
}

#[test]
fn in_lists_with_nulls() {
    assert_eq!(val("1 IN (1, 2)"), T);
    assert_eq!(val("1 IN (2, 3)"), F);
    assert_eq!(val("1 IN (2, NULL)"), N);
    assert_eq!(val("1 IN (1, NULL)"), T);
    assert_eq!(val("NULL IN (1, 2)"), N);
    assert_eq!(val("1 NOT IN (2, NULL)"), N);
    assert_eq!(val("1 NOT IN (2, 3)"), T);
    assert_eq!(val("1 NOT IN (1, 3)"), F);
    assert_eq!(val("a IN (7.0, 8)"), T);
    assert_eq!(val("c IN ('x', 'hello')"), T);
    assert_eq!(val("dt IN ('2024-02-29')"), T);
    // IN stops at the first match: later elements are not evaluated.
    assert_eq!(val("1 IN (1, 1/0)"), T);
    assert_eq!(
        bind("a IN ('x')").unwrap_err().code,
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    assert_eq!(
        bind("a IN (c)").unwrap_err().code,
        SqlState::DATATYPE_MISMATCH
    );
}

#[test]
fn like_and_ilike() {
    assert_eq!(val("c LIKE 'h%'"), T);
    assert_eq!(val("c LIKE 'H%'"), F);
    assert_eq!(val("c ILIKE 'H%O'"), T);
    assert_eq!(val("c NOT LIKE '_ello'"), F);
    assert_eq!(val("'50%' LIKE '50\\%'"), T);
    assert_eq!(val("'505' LIKE '50\\%'"), F);
    assert_eq!(val("'a_c' LIKE 'a#_c' ESCAPE '#'"), T);
    assert_eq!(val("'abc' LIKE 'a#_c' ESCAPE '#'"), F);
    assert_eq!(val("'a\\c' LIKE 'a\\c' ESCAPE ''"), T);
    assert_eq!(val("n::text LIKE 'x'"), N);
    assert_eq!(val("c LIKE NULL"), N);
    assert_eq!(val("c ~~ 'hel%'"), T);
    assert_eq!(val("c !~~* 'HEL%'"), F);
    assert_eq!(err("c LIKE 'abc\\'"), SqlState::INVALID_ESCAPE_SEQUENCE);
    assert_eq!(
        err("c LIKE 'x' ESCAPE 'ab'"),
        SqlState::INVALID_ESCAPE_SEQUENCE
    );
}

#[test]
fn case_takes_one_arm() {
    assert_eq!(
        val("CASE WHEN a > 5 THEN 'big' ELSE 'small' END"),
        txt("big")
    );
    assert_eq!(val("CASE WHEN a > 50 THEN 'big' END"), N);
    assert_eq!(
        val("CASE a WHEN 1 THEN 'one' WHEN 7 THEN 'seven' ELSE 'other' END"),
        txt("seven")
    );
    assert_eq!(
        val("CASE n WHEN NULL THEN 'null' ELSE 'else' END"),
        txt("else")
    );
    assert_eq!(val("CASE WHEN NULL THEN 1 ELSE 2 END"), int(2));
    assert_eq!(val("CASE WHEN a = 7 THEN 1 ELSE 1/0 END"), int(1));
    assert_eq!(val("CASE WHEN a = 8 THEN 1/0 ELSE 2 END"), int(2));
    assert_eq!(
        err("CASE WHEN a = 7 THEN 1/0 ELSE 2 END"),
        SqlState::DIVISION_BY_ZERO
    );
    assert_eq!(val("CASE WHEN flag THEN 1 ELSE 2.5 END"), dec("1"));
}

#[test]
fn coalesce_nullif_ifnull_are_lazy() {
    assert_eq!(val("COALESCE(n, a)"), int(7));
    assert_eq!(val("COALESCE(NULL, NULL)"), N);
    assert_eq!(val("COALESCE(a, 1/0)"), int(7));
    assert_eq!(err("COALESCE(n, 1/0)"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(val("COALESCE(n, 2.5)"), dec("2.5"));
    assert_eq!(val("IFNULL(n, 3)"), int(3));
    assert_eq!(val("NULLIF(a, 7)"), N);
    assert_eq!(val("NULLIF(a, 8)"), int(7));
    assert_eq!(val("NULLIF(n, 8)"), N);
    assert_eq!(val("NULLIF(1, NULL)"), int(1));
    assert_eq!(val("NULLIF('a', 'a')"), N);
}

#[test]
fn concatenation() {
    assert_eq!(val("c || ' world'"), txt("hello world"));
    assert_eq!(val("c || a"), txt("hello7"));
    assert_eq!(val("a || c"), txt("7hello"));
    assert_eq!(val("c || b"), txt("hello2.5"));
    assert_eq!(val("c || n"), N);
    // The output function's text: a boolean is t/f, unlike its cast to text.
    assert_eq!(val("c || flag"), txt("hellot"));
    assert_eq!(val("flag::text"), txt("true"));
    assert_eq!(val("'x' || NULL"), N);
    assert_eq!(val("X'01' || X'02'"), Value::Blob(vec![1, 2]));
}

#[test]
fn date_arithmetic_through_sql() {
    assert_eq!(text("dt + 1"), "2024-03-01");
    assert_eq!(text("dt - 60"), "2023-12-31");
    assert_eq!(val("dt - DATE '2024-01-01'"), int(59));
    assert_eq!(text("dt + INTERVAL '1 month'"), "2024-03-29 00:00:00");
    assert_eq!(text("ts + INTERVAL '1 day 2 hours'"), "2024-03-01 15:45:00");
    assert_eq!(
        text("ts - TIMESTAMP '2024-02-28 12:00:00'"),
        "1 day 01:45:00"
    );
    assert_eq!(text("INTERVAL '1 hour' * 2.5"), "02:30:00");
    assert_eq!(
        text("INTERVAL '1 day' - INTERVAL '1 hour'"),
        "1 day -01:00:00"
    );
    assert_eq!(text("-INTERVAL '1 day'"), "-1 days");
}

#[test]
fn json_operators() {
    assert_eq!(val("j -> 'k'"), Value::Json("[1, \"two\"]".into()));
    assert_eq!(val("j -> 'k' -> 1"), Value::Json("\"two\"".into()));
    assert_eq!(val("j -> 'k' ->> 1"), txt("two"));
    assert_eq!(val("j ->> 'missing'"), N);
    assert_eq!(val("j #> '{k,0}'"), Value::Json("1".into()));
    assert_eq!(val("j #>> '{k,1}'"), txt("two"));
    assert_eq!(val("j #>> '{nope}'"), N);
    assert_eq!(val("j -> NULL"), N);
    assert_eq!(val("NULL::json -> 'k'"), N);
    assert_eq!(val("j #> NULL"), N);
    assert_eq!(val("j ->> 's' = 'str'"), Value::Bool(true));
    assert_eq!(
        bind("c -> 'k'").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
}

#[test]
fn subqueries() {
    let run = |sql: &str, rows: Vec<Vec<Vec<Value>>>| -> Result<Value> {
        let (e, _) = bind(sql)?;
        let mut ctx = TestContext::new();
        ctx.subquery_rows = rows;
        evaluate(&e, &row(), &mut ctx)
    };
    let one = |v: i64| vec![int(v)];
    assert_eq!(run("(SELECT 1)", vec![vec![one(5)]]).unwrap(), int(5));
    assert_eq!(run("(SELECT 1)", vec![vec![]]).unwrap(), N);
    assert_eq!(
        run("(SELECT 1)", vec![vec![one(1), one(2)]])
            .unwrap_err()
            .code,
        SqlState::CARDINALITY_VIOLATION
    );
    assert_eq!(run("EXISTS (SELECT 1)", vec![vec![one(1)]]).unwrap(), T);
    assert_eq!(run("EXISTS (SELECT 1)", vec![vec![]]).unwrap(), F);
    assert_eq!(run("NOT EXISTS (SELECT 1)", vec![vec![]]).unwrap(), T);
    assert_eq!(
        run("a IN (SELECT 1)", vec![vec![one(1), one(7)]]).unwrap(),
        T
    );
    assert_eq!(
        run("a IN (SELECT 1)", vec![vec![one(1), vec![N]]]).unwrap(),
        N
    );
    assert_eq!(run("a IN (SELECT 1)", vec![vec![]]).unwrap(), F);
    assert_eq!(
        run("a NOT IN (SELECT 1)", vec![vec![one(1), vec![N]]]).unwrap(),
        N
    );
    assert_eq!(run("a NOT IN (SELECT 1)", vec![vec![one(1)]]).unwrap(), T);
    assert_eq!(run("n IN (SELECT 1)", vec![vec![one(1)]]).unwrap(), N);
    assert_eq!(
        run("a > ANY (SELECT 1)", vec![vec![one(9), one(3)]]).unwrap(),
        T
    );
    assert_eq!(
        run("a > ANY (SELECT 1)", vec![vec![one(9), vec![N]]]).unwrap(),
        N
    );
    assert_eq!(
        run("a > ALL (SELECT 1)", vec![vec![one(1), one(3)]]).unwrap(),
        T
    );
    assert_eq!(
        run("a > ALL (SELECT 1)", vec![vec![one(1), one(9)]]).unwrap(),
        F
    );
    assert_eq!(
        run("a > ALL (SELECT 1)", vec![vec![one(1), vec![N]]]).unwrap(),
        N
    );
    assert_eq!(run("a > ALL (SELECT 1)", vec![vec![]]).unwrap(), T);
    assert_eq!(run("a = SOME (SELECT 1)", vec![vec![one(7)]]).unwrap(), T);
    // Over no rows the left operand is not evaluated (PostgreSQL's answer, no 22012).
    assert_eq!(run("(a / 0) IN (SELECT 1)", vec![vec![]]).unwrap(), F);
    assert_eq!(run("(a / 0) NOT IN (SELECT 1)", vec![vec![]]).unwrap(), T);
    assert_eq!(run("(a / 0) > ALL (SELECT 1)", vec![vec![]]).unwrap(), T);
    assert_eq!(run("(a / 0) > ANY (SELECT 1)", vec![vec![]]).unwrap(), F);
    assert_eq!(
        run("(a / 0) IN (SELECT 1)", vec![vec![one(1)]])
            .unwrap_err()
            .code,
        SqlState::DIVISION_BY_ZERO
    );
}

#[test]
fn outer_columns_come_from_the_context() {
    let e = ScalarExpr::OuterColumn { depth: 1, index: 3 };
    assert_eq!(evaluate(&e, &[], &mut TestContext::new()).unwrap(), int(30));
    let e = ScalarExpr::Column(5);
    assert_eq!(
        evaluate(&e, &[int(1)], &mut TestContext::new())
            .unwrap_err()
            .code,
        SqlState::INTERNAL_ERROR
    );
}
