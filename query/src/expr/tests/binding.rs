//! Types and bind-time errors.

use covet_engine::value::{SqlType, Value};

use super::*;
use crate::expr::{bind_condition, bind_expr_as, fold_constants, ScalarExpr};
use sqlparser::parser::Parser;

#[test]
fn literal_types() {
    assert_eq!(type_of("1"), DataType::Int);
    assert_eq!(type_of("9223372036854775807"), DataType::Int);
    assert_eq!(type_of("9223372036854775808"), DataType::Decimal);
    assert_eq!(val("-9223372036854775808"), int(i64::MIN));
    assert_eq!(type_of("1.5"), DataType::Decimal);
    assert_eq!(val("1.50"), dec("1.50"));
    assert_eq!(type_of("1e3"), DataType::Float);
    assert_eq!(val("1e3"), Value::Float(1000.0));
    assert_eq!(type_of("'x'"), DataType::Text);
    assert_eq!(type_of("NULL"), DataType::Unknown);
    assert_eq!(type_of("TRUE"), DataType::Bool);
    assert_eq!(type_of("DATE '2024-01-02'"), DataType::Date);
    assert_eq!(text("DATE '2024-01-02'"), "2024-01-02");
    assert_eq!(
        type_of("TIMESTAMP '2024-01-02 03:04:05'"),
        DataType::Timestamp
    );
    assert_eq!(
        text("TIMESTAMP '2024-01-02 03:04:05'"),
        "2024-01-02 03:04:05"
    );
    assert_eq!(type_of("INTERVAL '1 day'"), DataType::Interval);
    assert_eq!(text("INTERVAL '2' DAY"), "2 days");
    assert_eq!(text("INTERVAL '1 year 2 months'"), "1 year 2 mons");
    assert_eq!(err("DATE '2024-13-01'"), SqlState::DATETIME_FIELD_OVERFLOW);
    assert_eq!(err("INTERVAL 'soon'"), SqlState::INVALID_DATETIME_FORMAT);
    assert_eq!(val("X'0aff'"), Value::Blob(vec![0x0a, 0xff]));
    assert_eq!(
        super::super::bind::number_literal("1_000").unwrap().expr,
        ScalarExpr::Literal(int(1000))
    );
    assert_eq!(
        super::super::bind::number_literal("0x1F").unwrap().expr,
        ScalarExpr::Literal(int(31))
    );
    assert_eq!(
        super::super::bind::number_literal("-0b101").unwrap().expr,
        ScalarExpr::Literal(int(-5))
    );
    assert_eq!(
        super::super::bind::number_literal("0xFFFFFFFFFFFFFFFFFF")
            .unwrap_err()
            .code,
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(
        super::super::bind::number_literal("1.2.3")
            .unwrap_err()
            .code,
        SqlState::SYNTAX_ERROR
    );
}

#[test]
fn identifiers_fold_to_lower_case() {
    assert_eq!(bind("A").unwrap().0, ScalarExpr::Column(0));
    assert_eq!(bind("t.C").unwrap().0, ScalarExpr::Column(2));
    assert_eq!(bind("\"Mixed\"").unwrap().0, ScalarExpr::Column(9));
    assert_eq!(bind("mixed").unwrap_err().code, SqlState::UNDEFINED_COLUMN);
    assert_eq!(bind("zz").unwrap_err().code, SqlState::UNDEFINED_COLUMN);
    assert_eq!(bind("u.a").unwrap_err().code, SqlState::UNDEFINED_TABLE);
    assert_eq!(bind("public.t.a").unwrap().0, ScalarExpr::Column(0));
    assert_eq!(
        bind("x.y.z.w").unwrap_err().code,
        SqlState::FEATURE_NOT_SUPPORTED
    );
}

#[test]
fn operator_types_and_mismatches() {
    assert_eq!(type_of("a + 1"), DataType::Int);
    assert_eq!(type_of("a + b"), DataType::Float);
    assert_eq!(type_of("a + d"), DataType::Decimal);
    assert_eq!(type_of("d * b"), DataType::Float);
    assert_eq!(type_of("a = b"), DataType::Bool);
    assert_eq!(type_of("dt + 1"), DataType::Date);
    assert_eq!(type_of("dt - dt"), DataType::Int);
    assert_eq!(type_of("ts - ts"), DataType::Interval);
    assert_eq!(type_of("ts - dt"), DataType::Interval);
    assert_eq!(text("ts - dt"), "13:45:00");
    assert_eq!(type_of("ts + INTERVAL '1 day'"), DataType::Timestamp);
    assert_eq!(type_of("c || a"), DataType::Text);
    assert_eq!(type_of("j -> 'k'"), DataType::Json);
    assert_eq!(type_of("j ->> 'k'"), DataType::Text);
    let e = bind("c = 1").unwrap_err();
    assert_eq!(e.code, SqlState::UNDEFINED_FUNCTION);
    assert_eq!(e.message, "operator does not exist: text = bigint");
    assert_eq!(
        bind("c + 1").unwrap_err().message,
        "operator does not exist: text + bigint"
    );
    assert_eq!(
        bind("'1'::text + 1").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        bind("a || 1").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        bind("flag + 1").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        bind("a AND flag").unwrap_err().code,
        SqlState::DATATYPE_MISMATCH
    );
    assert_eq!(bind("NOT a").unwrap_err().code, SqlState::DATATYPE_MISMATCH);
    assert_eq!(bind("-c").unwrap_err().code, SqlState::UNDEFINED_FUNCTION);
    // Unary plus is the identity on any type, as in SQLite.
    assert_eq!(type_of("+ + c"), DataType::Text);
    assert_eq!(val("+ + c"), txt("hello"));
    assert_eq!(type_of("+'x'"), DataType::Text);
    assert_eq!(val("NOT + + c IS NOT NULL"), Value::Bool(false));
    assert_eq!(
        bind("c LIKE 1").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        bind("a LIKE 'x'").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        bind("'a' + 'b'").unwrap_err().code,
        SqlState::AMBIGUOUS_FUNCTION
    );
}

#[test]
fn unknown_literals_take_the_other_operands_type() {
    assert_eq!(val("'1' + 1"), int(2));
    assert_eq!(val("a = '7'"), Value::Bool(true));
    assert_eq!(val("dt > '2020-01-01'"), Value::Bool(true));
    assert_eq!(val("dt = '2024-02-29'"), Value::Bool(true));
    assert_eq!(val("ts - '1 hour'"), val("TIMESTAMP '2024-02-29 12:45:00'"));
    assert_eq!(val("dt + '1'"), val("DATE '2024-03-01'"));
    assert_eq!(val("'a' || 'b'"), txt("ab"));
    assert_eq!(val("'x' = 'x'"), Value::Bool(true));
    assert_eq!(val("d = '12.5'"), Value::Bool(true));
    assert_eq!(err("a = 'abc'"), SqlState::INVALID_TEXT_REPRESENTATION);
    assert_eq!(err("dt > 'soon'"), SqlState::INVALID_DATETIME_FORMAT);
    assert_eq!(val("flag AND 'true'"), Value::Bool(true));
    assert_eq!(val("j ->> 's'"), txt("str"));
    assert_eq!(val("'{\"a\": 1}'::json -> 'a'"), Value::Json("1".into()));
}

#[test]
fn case_branches_unify() {
    assert_eq!(
        type_of("CASE WHEN flag THEN 1 ELSE 2.5 END"),
        DataType::Decimal
    );
    assert_eq!(type_of("CASE WHEN flag THEN 1 ELSE b END"), DataType::Float);
    assert_eq!(
        type_of("CASE WHEN flag THEN NULL ELSE 'x' END"),
        DataType::Text
    );
    assert_eq!(type_of("CASE WHEN flag THEN NULL END"), DataType::Unknown);
    assert_eq!(type_of("CASE WHEN flag THEN '5' ELSE 1 END"), DataType::Int);
    assert_eq!(val("CASE WHEN flag THEN '5' ELSE 1 END"), int(5));
    let e = bind("CASE WHEN flag THEN 1 ELSE c END").unwrap_err();
    assert_eq!(e.code, SqlState::DATATYPE_MISMATCH);
    assert_eq!(e.message, "CASE types bigint and text cannot be matched");
    assert_eq!(
        bind("CASE WHEN a THEN 1 END").unwrap_err().code,
        SqlState::DATATYPE_MISMATCH
    );
    assert_eq!(
        bind("CASE a WHEN 'x' THEN 1 END").unwrap_err().code,
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    assert_eq!(type_of("COALESCE(n, 1.5)"), DataType::Decimal);
    assert_eq!(
        bind("COALESCE(a, c)").unwrap_err().code,
        SqlState::DATATYPE_MISMATCH
    );
}

#[test]
fn casts() {
    assert_eq!(type_of("CAST(a AS text)"), DataType::Text);
    assert_eq!(type_of("a::double precision"), DataType::Float);
    assert_eq!(type_of("'3'::integer"), DataType::Int);
    assert_eq!(val("'3'::integer"), int(3));
    assert_eq!(val("'3.14159'::numeric(5,2)"), dec("3.14"));
    assert_eq!(val("CAST(b AS integer)"), int(2));
    assert_eq!(val("CAST(d AS integer)"), int(13));
    assert_eq!(val("CAST('abcdef' AS varchar(3))"), txt("abc"));
    assert_eq!(val("c::varchar(2)"), txt("he"));
    assert_eq!(err("'abc'::integer"), SqlState::INVALID_TEXT_REPRESENTATION);
    assert_eq!(err("c::integer"), SqlState::INVALID_TEXT_REPRESENTATION);
    assert_eq!(err("CAST(a AS date)"), SqlState::CANNOT_COERCE);
    assert_eq!(err("70000::smallint"), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
    assert_eq!(err("TRY_CAST(a AS text)"), SqlState::FEATURE_NOT_SUPPORTED);
    assert_eq!(err("ROW(1, 2)"), SqlState::FEATURE_NOT_SUPPORTED);
    assert_eq!(val("NULL::integer"), Value::Null);
    assert_eq!(type_of("NULL::integer"), DataType::Int);
    assert_eq!(val("ts::date"), val("DATE '2024-02-29'"));
    assert_eq!(
        val("'2024-01-01 10:00'::timestamp"),
        val("TIMESTAMP '2024-01-01 10:00:00'")
    );
    assert_eq!(
        bind("a::geometry").unwrap_err().code,
        SqlState::FEATURE_NOT_SUPPORTED
    );
}

#[test]
fn parameters_take_hints() {
    let mut scope = TestScope::default();
    let (e, t) = bind_expr(&parse("a = $1"), &mut scope).unwrap();
    assert_eq!(t, DataType::Bool);
    assert_eq!(scope.params, vec![Some(DataType::Int)]);
    let mut ctx = TestContext::new();
    // A parameter sent as text is read as the type its context gave it.
    ctx.params = vec![txt("7")];
    assert_eq!(evaluate(&e, &row(), &mut ctx).unwrap(), Value::Bool(true));
    ctx.params = vec![int(8)];
    assert_eq!(evaluate(&e, &row(), &mut ctx).unwrap(), Value::Bool(false));
    ctx.params = vec![];
    assert_eq!(
        evaluate(&e, &row(), &mut ctx).unwrap_err().code,
        SqlState::UNDEFINED_PARAMETER
    );

    let mut scope = TestScope::default();
    let (_, t) = bind_expr(&parse("$2"), &mut scope).unwrap();
    assert_eq!(t, DataType::Unknown);
    let (_, t) = bind_expr(&parse("$1::date"), &mut scope).unwrap();
    assert_eq!(t, DataType::Date);
    assert_eq!(scope.params, vec![Some(DataType::Date), None]);
}

#[test]
fn conditions_and_assignments() {
    let mut scope = TestScope::default();
    assert!(bind_condition(&parse("a > 1"), &mut scope, "WHERE").is_ok());
    assert_eq!(
        bind_condition(&parse("'t'"), &mut scope, "WHERE").unwrap(),
        ScalarExpr::Literal(Value::Bool(true))
    );
    let e = bind_condition(&parse("a"), &mut scope, "WHERE").unwrap_err();
    assert_eq!(e.code, SqlState::DATATYPE_MISMATCH);
    assert_eq!(
        e.message,
        "argument of WHERE must be type boolean, not type bigint"
    );
    let (e, t) = bind_expr_as(&parse("'2024-01-01'"), DataType::Date, &mut scope).unwrap();
    assert_eq!(t, DataType::Date);
    assert_eq!(
        e,
        ScalarExpr::Literal(Value::Date(
            covet_engine::value::Date::parse("2024-01-01").unwrap()
        ))
    );
    let (e, t) = bind_expr_as(&parse("a"), DataType::Decimal, &mut scope).unwrap();
    assert_eq!(t, DataType::Decimal);
    assert!(matches!(
        e,
        ScalarExpr::Cast {
            to: SqlType::Decimal { .. },
            ..
        }
    ));
}

#[test]
fn aggregates_windows_and_subqueries_go_to_the_scope() {
    let mut scope = TestScope::default();
    let (e, t) = bind_expr(&parse("sum(a) + count(*)"), &mut scope).unwrap();
    assert_eq!(t, DataType::Int);
    assert_eq!(scope.aggregates.len(), 2);
    assert_eq!(scope.aggregates[0].name, "sum");
    assert_eq!(scope.aggregates[1].name, "count");
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    assert_eq!(cols, vec![100, 101]);
    let (_, t) = bind_expr(&parse("avg(DISTINCT a)"), &mut scope).unwrap();
    assert_eq!(t, DataType::Decimal);
    assert!(scope.aggregates[2].distinct);
    assert_eq!(
        bind("row_number() OVER ()").unwrap_err().code,
        SqlState::WINDOWING_ERROR
    );
    assert_eq!(
        bind("lower(DISTINCT c)").unwrap_err().code,
        SqlState::WRONG_OBJECT_TYPE
    );
    assert_eq!(
        bind("lower(c) FILTER (WHERE flag)").unwrap_err().code,
        SqlState::WRONG_OBJECT_TYPE
    );
    let mut scope = TestScope::default();
    bind_expr(
        &parse("a IN (SELECT 1) AND EXISTS (SELECT 1) AND a > ALL (SELECT 1) AND (SELECT 1) = 1"),
        &mut scope,
    )
    .unwrap();
    assert_eq!(
        scope.subqueries,
        vec![
            SubqueryKind::In,
            SubqueryKind::Exists,
            SubqueryKind::All(crate::expr::BinaryOp::Gt),
            SubqueryKind::Scalar
        ]
    );
    assert_eq!(
        bind("c IN (SELECT 1)").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
}

#[test]
fn exotic_syntax_is_unsupported() {
    for sql in [
        "ARRAY[1, 2]",
        "(1, 2)",
        "c SIMILAR TO 'x'",
        "ts AT TIME ZONE 'Europe/Paris'",
        "c COLLATE \"de_DE\"",
        "a = ANY(ARRAY[1])",
    ] {
        assert_eq!(
            bind(sql).unwrap_err().code,
            SqlState::FEATURE_NOT_SUPPORTED,
            "{sql}"
        );
    }
    assert_eq!(
        bind("no_such_fn(1)").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        bind("no_such_fn(1)").unwrap_err().message,
        "function no_such_fn(bigint) does not exist"
    );
    assert_eq!(
        bind("lower(a)").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let sql = vec!["1"; 600].join(" + ");
    let e = bind(&sql).unwrap_err();
    assert_eq!(e.code, SqlState::STATEMENT_TOO_COMPLEX);
    // The depth count is released: a later shallow bind works.
    assert_eq!(val("1 + 1"), int(2));
    let sql = vec!["1"; 250].join(" + ");
    assert_eq!(val(&sql), int(250));
    assert_eq!(
        fold_constants(bind(&sql).unwrap().0),
        ScalarExpr::Literal(int(250))
    );
}

#[test]
fn utc_time_zone_and_byte_collations() {
    assert_eq!(type_of("ts AT TIME ZONE 'UTC'"), DataType::TimestampTz);
    assert_eq!(text("ts AT TIME ZONE 'UTC'"), "2024-02-29 13:45:00+00");
    assert_eq!(type_of("now() AT TIME ZONE 'utc'"), DataType::Timestamp);
    assert_eq!(
        text("TIMESTAMPTZ '2024-01-01 10:00:00+02' AT TIME ZONE 'GMT'"),
        "2024-01-01 08:00:00"
    );
    assert_eq!(
        bind("a AT TIME ZONE 'UTC'").unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(val("c COLLATE \"C\" < 'z'"), Value::Bool(true));
    assert_eq!(type_of("c COLLATE \"default\""), DataType::Text);
}

#[test]
fn mysql_div_is_integer_division() {
    use sqlparser::dialect::MySqlDialect;
    let stmts = Parser::parse_sql(&MySqlDialect {}, "SELECT -7 DIV 2").unwrap();
    let ast::Statement::Query(q) = &stmts[0] else {
        panic!("not a query")
    };
    let ast::SetExpr::Select(s) = q.body.as_ref() else {
        panic!("not a select")
    };
    let ast::SelectItem::UnnamedExpr(e) = &s.projection[0] else {
        panic!("not an expression")
    };
    let (e, t) = bind_expr(e, &mut TestScope::default()).unwrap();
    assert_eq!(t, DataType::Int);
    assert_eq!(evaluate(&e, &[], &mut TestContext::new()).unwrap(), int(-3));
}

#[test]
fn type_names_map_to_column_types() {
    let sql_type = |sql: &str| {
        let ast::Expr::Cast { data_type, .. } = parse(&format!("NULL::{sql}")) else {
            panic!("{sql}")
        };
        crate::expr::sql_type_from_ast(&data_type)
    };
    assert_eq!(sql_type("varchar(10)").unwrap(), SqlType::Varchar(10));
    assert_eq!(sql_type("character varying").unwrap(), SqlType::Text);
    assert_eq!(sql_type("char").unwrap(), SqlType::Char(1));
    assert_eq!(
        sql_type("numeric(10,2)").unwrap(),
        SqlType::Decimal {
            precision: Some(10),
            scale: Some(2)
        }
    );
    assert_eq!(
        sql_type("decimal").unwrap(),
        SqlType::Decimal {
            precision: None,
            scale: None
        }
    );
    assert_eq!(sql_type("int8").unwrap(), SqlType::BigInt);
    assert_eq!(sql_type("int").unwrap(), SqlType::Integer);
    assert_eq!(sql_type("smallint").unwrap(), SqlType::SmallInt);
    assert_eq!(sql_type("real").unwrap(), SqlType::Real);
    assert_eq!(sql_type("float").unwrap(), SqlType::Double);
    assert_eq!(sql_type("double precision").unwrap(), SqlType::Double);
    assert_eq!(sql_type("timestamptz").unwrap(), SqlType::TimestampTz);
    assert_eq!(
        sql_type("timestamp with time zone").unwrap(),
        SqlType::TimestampTz
    );
    assert_eq!(sql_type("timestamp").unwrap(), SqlType::Timestamp);
    assert_eq!(sql_type("bytea").unwrap(), SqlType::Blob);
    assert_eq!(sql_type("jsonb").unwrap(), SqlType::Json);
    assert_eq!(sql_type("uuid").unwrap(), SqlType::Uuid);
    assert_eq!(sql_type("boolean").unwrap(), SqlType::Boolean);
    assert_eq!(
        sql_type("numeric(50)").unwrap_err().code,
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        sql_type("numeric(5,6)").unwrap_err().code,
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        sql_type("point").unwrap_err().code,
        SqlState::FEATURE_NOT_SUPPORTED
    );
    assert_eq!(type_of("NULL::date"), DataType::Date);
}
