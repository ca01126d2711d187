//! The scalar function library and the aggregates, through SQL text.

use covet_engine::value::Value;

use super::*;
use crate::functions::{resolve_aggregate, resolve_scalar, AggregateFunction};

const N: Value = Value::Null;

#[test]
fn string_functions() {
    let cases: &[(&str, Value)] = &[
        ("length(c)", int(5)),
        ("length('héllo')", int(5)),
        ("char_length('abc')", int(3)),
        ("octet_length('héllo')", int(6)),
        ("length(X'0102')", int(2)),
        ("lower('ABC')", txt("abc")),
        ("upper(c)", txt("HELLO")),
        ("initcap('hello wORLD-foo')", txt("Hello World-Foo")),
        ("substr(c, 2)", txt("ello")),
        ("substr(c, 2, 3)", txt("ell")),
        ("substr(c, 0, 3)", txt("he")),
        ("substr(c, -5, 3)", txt("")),
        ("substring(c from 2 for 2)", txt("el")),
        ("substring(c from 3)", txt("llo")),
        ("substring(c for 2)", txt("he")),
        ("trim('  x  ')", txt("x")),
        ("trim(both 'x' from 'xxaxx')", txt("a")),
        ("trim(leading 'x' from 'xxaxx')", txt("axx")),
        ("trim(trailing 'x' from 'xxaxx')", txt("xxa")),
        ("ltrim('  a ')", txt("a ")),
        ("rtrim('  a ')", txt("  a")),
        ("btrim('xyaxy', 'xy')", txt("a")),
        ("replace('abcabc', 'b', 'XX')", txt("aXXcaXXc")),
        ("replace('abc', '', 'X')", txt("abc")),
        (
            "overlay('Txxxxas' placing 'hom' from 2 for 4)",
            txt("Thomas"),
        ),
        ("overlay('abcdef' placing 'XY' from 3)", txt("abXYef")),
        ("overlay('abc' placing 'XY' from 5)", txt("abcXY")),
        ("position('l' in c)", int(3)),
        ("position('z' in c)", int(0)),
        ("strpos('héllo', 'l')", int(3)),
        ("instr(c, 'lo')", int(4)),
        ("concat('a', 1, NULL, 2.5, true)", txt("a12.5t")),
        ("format('%s %L', false, true)", txt("f 't'")),
        ("concat()", txt("")),
        ("concat_ws('-', 'a', NULL, 'b', 3)", txt("a-b-3")),
        ("concat_ws(NULL, 'a')", N),
        ("lpad('7', 3, '0')", int_text("007")),
        ("lpad('hello', 3)", txt("hel")),
        ("lpad('a', 4)", txt("   a")),
        ("rpad('a', 4, 'xy')", txt("axyx")),
        ("repeat('ab', 3)", txt("ababab")),
        ("repeat('ab', -1)", txt("")),
        ("reverse('abc')", txt("cba")),
        ("split_part('a,b,c', ',', 2)", txt("b")),
        ("split_part('a,b,c', ',', 5)", txt("")),
        ("split_part('a,b,c', ',', -1)", txt("c")),
        ("left('hello', 2)", txt("he")),
        ("left('hello', -2)", txt("hel")),
        ("right('hello', 2)", txt("lo")),
        ("right('hello', -2)", txt("llo")),
        ("ascii('A')", int(65)),
        ("ascii('')", int(0)),
        ("chr(65)", txt("A")),
        ("format('%s-%s', 'a', 1)", txt("a-1")),
        (
            "format('%I.%I', 'tbl', 'Odd Name')",
            txt("tbl.\"Odd Name\""),
        ),
        ("format('%L, %L', 'it''s', NULL)", txt("'it''s', NULL")),
        ("format('%2$s %1$s', 'a', 'b')", txt("b a")),
        ("format('100%%')", txt("100%")),
        ("md5('abc')", txt("900150983cd24fb0d6963f7d28e17f72")),
        ("starts_with(c, 'he')", Value::Bool(true)),
        ("to_hex(255)", txt("ff")),
        ("translate('12345', '143', 'ax')", txt("a2x5")),
        ("bit_length('é')", int(16)),
        ("quote_ident('a b')", txt("\"a b\"")),
        ("quote_ident('ab')", txt("ab")),
        ("quote_literal('it''s')", txt("'it''s'")),
        ("quote_nullable(NULL)", txt("NULL")),
        ("quote_nullable('x')", txt("'x'")),
        ("encode('\\x00ff'::bytea, 'hex')", txt("00ff")),
        ("encode('abc'::bytea, 'base64')", txt("YWJj")),
        ("encode('ab'::bytea, 'base64')", txt("YWI=")),
        ("encode('a'::bytea, 'base64')", txt("YQ==")),
        ("encode('a\\000b'::bytea, 'escape')", txt("a\\000b")),
        ("decode('YWJj', 'base64')", Value::Blob(b"abc".to_vec())),
        ("decode('YQ==', 'base64')", Value::Blob(b"a".to_vec())),
        ("decode('00ff', 'hex')", Value::Blob(vec![0, 255])),
        ("length(NULL)", N),
        ("upper(NULL)", N),
        ("substr(NULL, 1)", N),
        ("substr(c, NULL)", N),
        ("replace(c, NULL, 'x')", N),
    ];
    for (sql, want) in cases {
        assert_eq!(&val(sql), want, "{sql}");
    }
    assert_eq!(err("substr(c, 1, -1)").as_str(), "22011");
    assert_eq!(err("chr(0)"), SqlState::PROGRAM_LIMIT_EXCEEDED);
    assert_eq!(
        err("encode('a'::bytea, 'rot13')"),
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        err("decode('!!', 'base64')"),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    assert_eq!(
        err("split_part('a', ',', 0)"),
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        err("format('%s %s', 'a')"),
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(err("format('%x', 'a')"), SqlState::INVALID_PARAMETER_VALUE);
    assert_eq!(err("length(a)"), SqlState::UNDEFINED_FUNCTION);
    assert_eq!(
        err("repeat('x', 1000000000)"),
        SqlState::PROGRAM_LIMIT_EXCEEDED
    );
    assert_eq!(
        err("lpad('x', 1000000000000)"),
        SqlState::PROGRAM_LIMIT_EXCEEDED
    );
    assert_eq!(
        err("format('%99999999999999999999999$s', 'a')"),
        SqlState::INVALID_PARAMETER_VALUE
    );
}

fn int_text(s: &str) -> Value {
    txt(s)
}

#[test]
fn math_functions() {
    let f = Value::Float;
    let cases: &[(&str, Value)] = &[
        ("abs(-5)", int(-5 * -1)),
        ("abs(-2.5)", dec("2.5")),
        ("abs(-b)", f(2.5)),
        ("round(2.5)", dec("3")),
        ("round(-2.5)", dec("-3")),
        ("round(b)", f(2.0)),
        ("round(3.5::float8)", f(4.0)),
        ("round(1.2345, 2)", dec("1.23")),
        ("round(1.235, 2)", dec("1.24")),
        ("round(1250, -2)", dec("1300")),
        ("round(d, 1)", dec("12.5")),
        ("round(2.675::float8, 2)", f(2.68)),
        ("round(a)", f(7.0)),
        ("ceil(2.1)", dec("3")),
        ("ceiling(-2.1)", dec("-2")),
        ("ceil(b)", f(3.0)),
        ("floor(-2.1)", dec("-3")),
        ("floor(b)", f(2.0)),
        ("trunc(-2.7)", dec("-2")),
        ("trunc(2.789, 2)", dec("2.78")),
        ("trunc(b)", f(2.0)),
        ("mod(7, 3)", int(1)),
        ("mod(-7, 3)", int(-1)),
        ("mod(7.5, 2)", dec("1.5")),
        ("div(7, 2)", int(3)),
        ("div(-7, 2)", int(-3)),
        ("div(7.5, 2)", dec("3")),
        ("power(2, 10)", f(1024.0)),
        ("pow(2.0, 3)", dec("8.0000000000000000")),
        ("power(2.0, -1)", dec("0.50000000000000000000")),
        ("power(10.0, 3)", dec("1000.0000000000000")),
        ("power(4, 0.5)", dec("2")),
        ("sqrt(16)", f(4.0)),
        ("sqrt(2.25)", dec("1.5")),
        ("cbrt(27)", f(3.0)),
        ("exp(0)", f(1.0)),
        ("ln(1)", f(0.0)),
        ("log(100)", f(2.0)),
        ("log10(1000)", f(3.0)),
        ("log(2, 8)", f(3.0)),
        ("sign(-3)", f(-1.0)),
        ("sign(0.0)", dec("0")),
        ("sign(2.5)", dec("1")),
        ("pi()", f(std::f64::consts::PI)),
        ("gcd(12, -18)", int(6)),
        ("gcd(0, 0)", int(0)),
        ("lcm(4, 6)", int(12)),
        ("lcm(0, 5)", int(0)),
        ("degrees(pi())", f(180.0)),
        ("radians(180)", f(std::f64::consts::PI)),
        ("greatest(1, 5, 3)", int(5)),
        ("greatest(1, NULL, 3)", int(3)),
        ("least(2, 1.5)", dec("1.5")),
        ("least(NULL, NULL)", N),
        ("greatest('a', 'b')", txt("b")),
        ("abs(n)", N),
        ("round(NULL)", N),
        ("power(2, NULL)", N),
    ];
    for (sql, want) in cases {
        assert_eq!(&val(sql), want, "{sql}");
    }
    assert_eq!(
        err("abs(-9223372036854775808)"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(err("sqrt(-1)"), SqlState::INVALID_ARGUMENT_FOR_POWER);
    assert_eq!(err("ln(0)"), SqlState::INVALID_ARGUMENT_FOR_LOG);
    assert_eq!(err("log(-1)"), SqlState::INVALID_ARGUMENT_FOR_LOG);
    assert_eq!(err("power(0, -1)"), SqlState::INVALID_ARGUMENT_FOR_POWER);
    assert_eq!(
        err("power(-8, 0.5::float8)"),
        SqlState::INVALID_ARGUMENT_FOR_POWER
    );
    assert_eq!(err("mod(1, 0)"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("setseed(0.5)"), SqlState::FEATURE_NOT_SUPPORTED);
    // Numeric results keep PostgreSQL's scales (equality above is by value).
    assert_eq!(text("power(2.0, 3)"), "8.0000000000000000");
    assert_eq!(text("power(10.0, 3)"), "1000.0000000000000");
    assert_eq!(text("power(0.5, 3)"), "0.1250000000000000");
    assert_eq!(text("round(1.5, 3)"), "1.500");
    assert_eq!(text("7 / 2.0"), "3.5000000000000000");
    assert_eq!(err("div(1, 0)"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("exp(1000)"), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
    assert_eq!(
        err("greatest(1, 'x')"),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    assert_eq!(err("greatest(a, c)"), SqlState::DATATYPE_MISMATCH);
    assert_eq!(err("abs(c)"), SqlState::UNDEFINED_FUNCTION);
    assert_eq!(
        err("lcm(9223372036854775807, 2)"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    let (Value::Uuid(u1), Value::Uuid(u2)) = (val("gen_random_uuid()"), val("gen_random_uuid()"))
    else {
        panic!("gen_random_uuid() is a uuid")
    };
    assert_ne!(u1, u2);
    assert_eq!((u1[6] >> 4, u1[8] >> 6), (4, 2));
    for _ in 0..20 {
        let Value::Float(r) = val("random()") else {
            panic!("random() is a float")
        };
        assert!((0.0..1.0).contains(&r), "{r}");
    }
}

#[test]
fn date_functions() {
    let cases: &[(&str, &str)] = &[
        ("now()", "2024-03-01 12:30:00+00"),
        ("current_timestamp", "2024-03-01 12:30:00+00"),
        ("current_date", "2024-03-01"),
        ("localtimestamp", "2024-03-01 12:30:00"),
        ("extract(year from ts)", "2024"),
        ("extract(month from dt)", "2"),
        ("extract(day from ts)", "29"),
        ("extract(hour from ts)", "13"),
        ("extract(minute from ts)", "45"),
        (
            "extract(second from TIMESTAMP '2001-02-16 20:38:40.5')",
            "40.500000",
        ),
        ("extract(dow from dt)", "4"),
        ("extract(isodow from DATE '2024-03-03')", "7"),
        ("extract(doy from dt)", "60"),
        ("extract(quarter from dt)", "1"),
        ("extract(week from DATE '2024-01-01')", "1"),
        ("extract(week from DATE '2021-01-03')", "53"),
        (
            "extract(epoch from TIMESTAMP '1970-01-02 00:00:00')",
            "86400.000000",
        ),
        ("extract(century from dt)", "21"),
        (
            "extract(epoch from INTERVAL '1 day 2 hours')",
            "93600.000000",
        ),
        ("extract(hour from INTERVAL '1 day 2 hours')", "2"),
        ("date_part('year', ts)", "2024"),
        (
            "date_part('second', TIMESTAMP '2001-02-16 20:38:40.5')",
            "40.5",
        ),
        ("date_trunc('month', ts)", "2024-02-01 00:00:00"),
        ("date_trunc('day', ts)", "2024-02-29 00:00:00"),
        ("date_trunc('hour', ts)", "2024-02-29 13:00:00"),
        ("date_trunc('year', ts)", "2024-01-01 00:00:00"),
        ("date_trunc('week', ts)", "2024-02-26 00:00:00"),
        (
            "date_trunc('quarter', TIMESTAMP '2024-05-17 10:00:00')",
            "2024-04-01 00:00:00",
        ),
        ("date_trunc('day', dt)", "2024-02-29 00:00:00"),
        (
            "age(TIMESTAMP '2001-04-10', TIMESTAMP '1957-06-13')",
            "43 years 9 mons 27 days",
        ),
        ("age(TIMESTAMP '2024-02-29 00:00:00')", "1 day"),
        (
            "to_char(ts, 'YYYY-MM-DD HH24:MI:SS')",
            "2024-02-29 13:45:00",
        ),
        ("to_char(ts, 'DD Mon YYYY HH12 AM')", "29 Feb 2024 01 PM"),
        ("to_char(ts, 'Day')", "Thursday "),
        (
            "to_char(ts, 'FMDay, FMDD FMMonth YYYY')",
            "Thursday, 29 February 2024",
        ),
        ("to_char(DATE '2024-03-05', 'FMMM/FMDD')", "3/5"),
        ("to_char(dt, '\"Q\"Q YY')", "Q1 24"),
        ("make_date(2024, 2, 29)", "2024-02-29"),
        ("to_timestamp(0)", "1970-01-01 00:00:00+00"),
        ("extract(year from NULL::date)", "NULL"),
    ];
    for (sql, want) in cases {
        assert_eq!(text(sql), *want, "{sql}");
    }
    assert_eq!(type_of("extract(year from ts)"), DataType::Decimal);
    assert_eq!(type_of("date_part('year', ts)"), DataType::Float);
    assert_eq!(
        err("make_date(2023, 2, 29)"),
        SqlState::DATETIME_FIELD_OVERFLOW
    );
    assert_eq!(
        err("date_trunc('fortnight', ts)"),
        SqlState::FEATURE_NOT_SUPPORTED
    );
    assert_eq!(
        err("extract(dow from INTERVAL '1 day')"),
        SqlState::FEATURE_NOT_SUPPORTED
    );
    assert_eq!(err("to_char(1.5, '999')"), SqlState::FEATURE_NOT_SUPPORTED);
}

#[test]
fn json_functions() {
    let j = |s: &str| Value::Json(s.into());
    let cases: &[(&str, Value)] = &[
        (
            "json_build_object('a', 1, 'b', 'x', 'c', NULL, 'd', true)",
            j(r#"{"a": 1, "b": "x", "c": null, "d": true}"#),
        ),
        (
            "jsonb_build_object('n', 1.50, 'j', j -> 's')",
            j(r#"{"n": 1.50, "j": "str"}"#),
        ),
        ("json_build_object()", j("{}")),
        ("json_build_array(1, 'a', NULL)", j(r#"[1, "a", null]"#)),
        ("json_array_length('[1, 2, 3]')", int(3)),
        ("json_array_length(j -> 'k')", int(2)),
        ("json_typeof(j)", txt("object")),
        ("json_typeof(j -> 'k' -> 0)", txt("number")),
        ("json_extract(j, '$.k[1]')", txt("two")),
        ("json_extract(j, '$.k')", txt("[1, \"two\"]")),
        ("json_extract(j, '$.k[#-1]')", txt("two")),
        (
            "json_extract('{\"a\": {\"b c\": 5}}', '$.a.\"b c\"')",
            txt("5"),
        ),
        ("json_extract(j, '$.nope')", N),
        ("to_json('x'::text)", j("\"x\"")),
        ("to_json(a)", j("7")),
        ("json_valid('{')", Value::Bool(false)),
    ];
    for (sql, want) in cases {
        assert_eq!(&val(sql), want, "{sql}");
    }
    assert_eq!(
        err("json_build_object('a')"),
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        err("json_build_object(NULL, 1)"),
        SqlState::NULL_VALUE_NOT_ALLOWED
    );
    assert_eq!(
        err("json_array_length(j)"),
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        err("json_array_length('{')"),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    assert_eq!(
        err("json_extract(j, 'k')"),
        SqlState::INVALID_PARAMETER_VALUE
    );
}

#[test]
fn type_functions() {
    let cases: &[(&str, &str)] = &[
        ("typeof(1)", "integer"),
        ("typeof(1.5)", "real"),
        ("typeof(b)", "real"),
        ("typeof('x')", "text"),
        ("typeof(X'00')", "blob"),
        ("typeof(NULL)", "null"),
        ("typeof(n)", "null"),
        ("pg_typeof(a)", "bigint"),
        ("pg_typeof(1.5)", "numeric"),
        ("pg_typeof('x')", "unknown"),
        ("pg_typeof(n)", "bigint"),
        ("pg_typeof(ts)", "timestamp without time zone"),
    ];
    for (sql, want) in cases {
        assert_eq!(text(sql), *want, "{sql}");
    }
}

/// Runs an aggregate over single-argument rows.
fn agg(f: &AggregateFunction, rows: &[Value]) -> Result<Value> {
    let mut acc = (f.create)();
    for r in rows {
        acc.update(std::slice::from_ref(r))?;
    }
    acc.evaluate()
}

fn agg_of(name: &str, ty: DataType, distinct: bool, rows: &[Value]) -> Result<Value> {
    agg(&resolve_aggregate(name, &[ty], distinct).unwrap(), rows)
}

#[test]
fn aggregates() {
    use DataType::*;
    let ints = [int(1), int(2), N, int(2), int(4)];
    let count_star = resolve_aggregate("count", &[], false).unwrap();
    assert_eq!(count_star.return_type, Int);
    assert_eq!(agg(&count_star, &ints).unwrap(), int(5));
    assert_eq!(agg(&count_star, &[]).unwrap(), int(0));
    assert_eq!(agg_of("count", Int, false, &ints).unwrap(), int(4));
    assert_eq!(agg_of("count", Int, true, &ints).unwrap(), int(3));
    assert_eq!(agg_of("count", Int, false, &[]).unwrap(), int(0));
    assert_eq!(agg_of("sum", Int, false, &ints).unwrap(), int(9));
    assert_eq!(agg_of("sum", Int, true, &ints).unwrap(), int(7));
    assert_eq!(agg_of("sum", Int, false, &[]).unwrap(), N);
    assert_eq!(agg_of("sum", Int, false, &[N, N]).unwrap(), N);
    assert_eq!(
        agg_of("sum", Int, false, &[int(i64::MAX), int(1)])
            .unwrap_err()
            .code,
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    // The running total is wide: an intermediate overflow that comes back is fine.
    assert_eq!(
        agg_of("sum", Int, false, &[int(i64::MAX), int(1), int(-2)]).unwrap(),
        int(i64::MAX - 1)
    );
    assert_eq!(
        agg_of("sum", Decimal, false, &[dec("1.5"), dec("2.25")]).unwrap(),
        dec("3.75")
    );
    assert_eq!(
        agg_of(
            "sum",
            Float,
            false,
            &[Value::Float(0.5), Value::Float(0.25)]
        )
        .unwrap(),
        Value::Float(0.75)
    );
    assert_eq!(
        agg_of(
            "sum",
            Interval,
            false,
            &[val("INTERVAL '1 day'"), val("INTERVAL '2 hours'")]
        )
        .unwrap(),
        val("INTERVAL '1 day 2 hours'")
    );
    assert_eq!(
        agg_of(
            "avg",
            Interval,
            false,
            &[val("INTERVAL '1 day'"), N, val("INTERVAL '2 days'")]
        )
        .unwrap(),
        val("INTERVAL '1 day 12:00:00'")
    );
    let avg = resolve_aggregate("avg", &[Int], false).unwrap();
    assert_eq!(avg.return_type, Decimal);
    assert_eq!(agg(&avg, &ints).unwrap(), dec("2.2500000000000000"));
    assert_eq!(
        agg(&avg, &[int(1), int(2)]).unwrap().to_string(),
        "1.5000000000000000"
    );
    assert_eq!(agg(&avg, &[]).unwrap(), N);
    assert_eq!(
        agg_of("avg", Float, false, &[Value::Float(1.0), Value::Float(2.0)]).unwrap(),
        Value::Float(1.5)
    );
    assert_eq!(agg_of("min", Int, false, &ints).unwrap(), int(1));
    assert_eq!(agg_of("max", Int, false, &ints).unwrap(), int(4));
    assert_eq!(
        agg_of("max", Text, false, &[txt("b"), txt("a"), N]).unwrap(),
        txt("b")
    );
    assert_eq!(
        agg_of(
            "min",
            Date,
            false,
            &[val("DATE '2024-01-02'"), val("DATE '2023-05-01'")]
        )
        .unwrap(),
        val("DATE '2023-05-01'")
    );
    assert_eq!(agg_of("min", Int, false, &[]).unwrap(), N);
    assert_eq!(
        agg_of("total", Int, false, &ints).unwrap(),
        Value::Float(9.0)
    );
    assert_eq!(agg_of("total", Int, false, &[]).unwrap(), Value::Float(0.0));
    assert_eq!(
        agg_of(
            "bool_and",
            Bool,
            false,
            &[Value::Bool(true), N, Value::Bool(false)]
        )
        .unwrap(),
        Value::Bool(false)
    );
    assert_eq!(
        agg_of("every", Bool, false, &[Value::Bool(true)]).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        agg_of(
            "bool_or",
            Bool,
            false,
            &[Value::Bool(false), Value::Bool(true)]
        )
        .unwrap(),
        Value::Bool(true)
    );
    assert_eq!(agg_of("bool_or", Bool, false, &[N]).unwrap(), N);
    let four = [int(1), int(2), int(3), int(4)];
    assert_eq!(
        agg_of("stddev", Int, false, &four).unwrap(),
        dec("1.2909944487358056")
    );
    assert_eq!(
        agg_of("stddev_pop", Int, false, &four).unwrap(),
        dec("1.118033988749895")
    );
    assert_eq!(
        agg_of("variance", Int, false, &four).unwrap(),
        dec("1.6666666666666667")
    );
    assert_eq!(agg_of("var_pop", Int, false, &four).unwrap(), dec("1.25"));
    assert_eq!(
        agg_of(
            "var_samp",
            Float,
            false,
            &[Value::Float(1.0), Value::Float(3.0)]
        )
        .unwrap(),
        Value::Float(2.0)
    );
    assert_eq!(agg_of("stddev", Int, false, &[int(1)]).unwrap(), N);
    assert_eq!(agg_of("var_pop", Int, false, &[int(5)]).unwrap(), dec("0"));
    assert_eq!(
        agg_of("json_agg", Int, false, &[int(1), N, int(3)]).unwrap(),
        Value::Json("[1, null, 3]".into())
    );
    assert_eq!(agg_of("json_agg", Int, false, &[]).unwrap(), N);
}

#[test]
fn string_aggregates() {
    use DataType::*;
    let sa = resolve_aggregate("string_agg", &[Text, Text], false).unwrap();
    let mut acc = (sa.create)();
    for (v, sep) in [
        (txt("a"), txt(", ")),
        (N, txt("; ")),
        (txt("b"), txt("; ")),
        (txt("c"), txt("|")),
    ] {
        acc.update(&[v, sep]).unwrap();
    }
    assert_eq!(acc.evaluate().unwrap(), txt("a; b|c"));
    let gc = resolve_aggregate("group_concat", &[Int], false).unwrap();
    assert_eq!(
        agg(&gc, &[int(1), int(2), N, int(3)]).unwrap(),
        txt("1,2,3")
    );
    assert_eq!(agg(&gc, &[]).unwrap(), N);
    let gcd = resolve_aggregate("group_concat", &[Text], true).unwrap();
    assert_eq!(
        agg(&gcd, &[txt("x"), txt("y"), txt("x")]).unwrap(),
        txt("x,y")
    );
}

#[test]
fn retraction_for_sliding_frames() {
    use DataType::*;
    for (name, ty, rows, want) in [
        ("count", Int, vec![int(1), int(2), int(3)], int(2)),
        ("sum", Int, vec![int(1), int(2), int(3)], int(5)),
        (
            "sum",
            Decimal,
            vec![dec("1.5"), dec("2"), dec("3")],
            dec("5.0"),
        ),
        (
            "avg",
            Int,
            vec![int(1), int(2), int(4)],
            dec("3.0000000000000000"),
        ),
    ] {
        let f = resolve_aggregate(name, &[ty], false).unwrap();
        assert!(f.retractable, "{name}");
        let mut acc = (f.create)();
        for r in &rows {
            acc.update(std::slice::from_ref(r)).unwrap();
        }
        acc.retract(std::slice::from_ref(&rows[0])).unwrap();
        assert_eq!(acc.evaluate().unwrap(), want, "{name}");
        assert!(acc.memory_bytes() > 0);
    }
    let star = resolve_aggregate("count", &[], false).unwrap();
    let mut acc = (star.create)();
    acc.update(&[]).unwrap();
    acc.update(&[]).unwrap();
    acc.retract(&[]).unwrap();
    assert_eq!(acc.evaluate().unwrap(), int(1));
    assert!(
        !resolve_aggregate("sum", &[Float], false)
            .unwrap()
            .retractable
    );
    assert!(!resolve_aggregate("max", &[Int], false).unwrap().retractable);
    assert!(!resolve_aggregate("sum", &[Int], true).unwrap().retractable);
}

#[test]
fn aggregate_resolution_errors() {
    use DataType::*;
    assert_eq!(
        resolve_aggregate("sum", &[Text], false).unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        resolve_aggregate("sum", &[Text], false)
            .unwrap_err()
            .message,
        "function sum(text) does not exist"
    );
    assert_eq!(
        resolve_aggregate("avg", &[Bool], false).unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        resolve_aggregate("sum", &[Unknown], false)
            .unwrap_err()
            .code,
        SqlState::AMBIGUOUS_FUNCTION
    );
    assert_eq!(
        resolve_aggregate("nope", &[Int], false).unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(
        resolve_aggregate("count", &[Int, Int], false)
            .unwrap_err()
            .code,
        SqlState::UNDEFINED_FUNCTION
    );
    assert_eq!(resolve_aggregate("SUM", &[Int], false).unwrap().name, "sum");
    assert!(crate::functions::is_aggregate_name("group_concat"));
    assert!(!crate::functions::is_aggregate_name("lower"));
    assert_eq!(
        resolve_aggregate("max", &[Int], false).unwrap().return_type,
        Int
    );
    assert_eq!(
        resolve_scalar("count", &[Int]).unwrap_err().code,
        SqlState::GROUPING_ERROR
    );
}

#[test]
fn resolution_returns_argument_casts() {
    use DataType::*;
    let (f, casts) = resolve_scalar("round", &[Int, Int]).unwrap();
    assert_eq!((f.return_type, casts), (Decimal, vec![Decimal, Int]));
    let (f, casts) = resolve_scalar("sqrt", &[Int]).unwrap();
    assert_eq!((f.return_type, casts), (Float, vec![Float]));
    let (f, casts) = resolve_scalar("length", &[Unknown]).unwrap();
    assert_eq!((f.return_type, casts), (Int, vec![Text]));
    let (f, _) = resolve_scalar("random", &[]).unwrap();
    assert!(f.volatile);
    let (f, _) = resolve_scalar("now", &[]).unwrap();
    assert!(f.volatile);
    let (f, _) = resolve_scalar("LOWER", &[Text]).unwrap();
    assert!(!f.volatile && f.strict);
    assert_eq!(
        resolve_scalar("lower", &[Int]).unwrap_err().code,
        SqlState::UNDEFINED_FUNCTION
    );
}
