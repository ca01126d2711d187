//! Properties of the value operations: no input panics, decimal arithmetic agrees with
//! exact integer arithmetic, LIKE agrees with plain string tests, JSON round-trips.

use covet_engine::value::{Decimal, SqlType, Value};
use proptest::prelude::*;

use super::{arith, cast, json, like, numeric, ArithOp};

const TYPES: &[SqlType] = &[
    SqlType::Boolean,
    SqlType::SmallInt,
    SqlType::Integer,
    SqlType::BigInt,
    SqlType::Real,
    SqlType::Double,
    SqlType::Decimal {
        precision: None,
        scale: None,
    },
    SqlType::Decimal {
        precision: Some(5),
        scale: Some(2),
    },
    SqlType::Text,
    SqlType::Varchar(3),
    SqlType::Blob,
    SqlType::Date,
    SqlType::Time,
    SqlType::Timestamp,
    SqlType::TimestampTz,
    SqlType::Interval,
    SqlType::Uuid,
    SqlType::Json,
];

/// A decimal `m × 10^-s` for small `s`.
fn arb_decimal() -> impl Strategy<Value = (i64, u32)> {
    (-1_000_000_000_000i64..1_000_000_000_000, 0u32..6)
}

fn decimal(m: i64, s: u32) -> Decimal {
    Decimal::new(m < 0, u128::from(m.unsigned_abs()), s as i32).unwrap()
}

/// The exact value `m × 10^-s` scaled to `10^-12` units, as i128.
fn units(m: i64, s: u32) -> i128 {
    i128::from(m) * 10i128.pow(12 - s)
}

fn units_of(d: &Decimal) -> i128 {
    let r = d.rescale(12).unwrap();
    let c = r.coefficient() as i128;
    if r.is_negative() {
        -c
    } else {
        c
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        arb_decimal().prop_map(|(m, s)| Value::Decimal(decimal(m, s))),
        ".{0,12}".prop_map(Value::Text),
        any::<i32>().prop_map(|d| Value::Date(covet_engine::value::Date::from_days(d))),
        any::<i64>().prop_map(|t| Value::Timestamp(covet_engine::value::Timestamp::from_micros(t))),
        (any::<i32>(), any::<i32>(), any::<i64>())
            .prop_map(|(m, d, u)| Value::Interval(covet_engine::value::Interval::new(m, d, u))),
    ]
}

proptest! {
    #[test]
    fn casting_any_text_never_panics(s in ".{0,40}", t in prop::sample::select(TYPES)) {
        let _ = cast::cast(&Value::Text(s.clone()), &t);
        let _ = cast::cast_explicit(&Value::Text(s), &t);
    }

    #[test]
    fn casting_any_value_never_panics(v in arb_value(), t in prop::sample::select(TYPES)) {
        if let Ok(c) = cast::cast(&v, &t) {
            // Whatever a cast produces, the column type accepts.
            prop_assert!(t.accepts(&c), "{:?} -> {} gave {:?}", v, t, c);
        }
    }

    #[test]
    fn arithmetic_on_any_values_never_panics(
        a in arb_value(),
        b in arb_value(),
        op in prop::sample::select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div, ArithOp::Mod]),
    ) {
        let _ = arith::binary_arith(op, &a, &b);
        let _ = arith::negate(&a);
        let _ = super::compare("=", &a, &b);
    }

    #[test]
    fn decimal_add_sub_mul_are_exact((am, as_) in arb_decimal(), (bm, bs) in arb_decimal()) {
        let (a, b) = (decimal(am, as_), decimal(bm, bs));
        prop_assert_eq!(units_of(&numeric::add(&a, &b).unwrap()), units(am, as_) + units(bm, bs));
        prop_assert_eq!(units_of(&numeric::sub(&a, &b).unwrap()), units(am, as_) - units(bm, bs));
        let product = numeric::mul(&a, &b).unwrap();
        // a × b exactly: (am × bm) × 10^-(as + bs)
        let exact = i128::from(am) * i128::from(bm);
        let p = product.rescale((as_ + bs) as i32).unwrap();
        let c = p.coefficient() as i128;
        prop_assert_eq!(if p.is_negative() { -c } else { c }, exact);
        prop_assert_eq!(product.scale(), (as_ + bs) as i32);
    }

    #[test]
    fn decimal_division_rounds_correctly((am, as_) in arb_decimal(), (bm, bs) in arb_decimal()) {
        prop_assume!(bm != 0);
        let (a, b) = (decimal(am, as_), decimal(bm, bs));
        let q = numeric::div(&a, &b).unwrap();
        // |q - a/b| <= half a unit in q's last place: |q×b - a| <= |b| × 10^-scale / 2.
        let back = numeric::sub(&numeric::mul(&q, &b).unwrap(), &a).unwrap();
        let half_ulp = Decimal::new(false, 5, q.scale() + 1).unwrap();
        let bound = numeric::mul(&numeric::abs(&b), &half_ulp).unwrap();
        prop_assert!(numeric::abs(&back) <= bound, "{} / {} = {}", a, b, q);
        prop_assert!(q.scale() >= as_ as i32 && q.scale() >= bs as i32);
        // The remainder has the dividend's sign and is below the divisor.
        let r = numeric::rem(&a, &b).unwrap();
        prop_assert!(numeric::abs(&r) < numeric::abs(&b));
        prop_assert!(r.is_zero() || r.is_negative() == a.is_negative());
    }

    #[test]
    fn like_agrees_with_string_tests(s in "[ab%_]{0,8}", t in "[ab]{0,8}") {
        // A pattern with every special character escaped is equality.
        let escaped: String = s.chars().flat_map(|c| if c == '%' || c == '_' { vec!['\\', c] } else { vec![c] }).collect();
        prop_assert_eq!(like::like(&s, &escaped, Some('\\'), false).unwrap(), true);
        let plain: String = t.clone();
        prop_assert_eq!(like::like(&s, &plain, Some('\\'), false).unwrap(), s == t);
        prop_assert_eq!(like::like(&s, &format!("%{t}%"), Some('\\'), false).unwrap(), s.contains(&t));
        prop_assert_eq!(like::like(&s, &format!("{t}%"), Some('\\'), false).unwrap(), s.starts_with(&t));
        let _ = like::like(&t, &s, Some('a'), true);
    }

    #[test]
    fn json_round_trips(v in arb_json()) {
        let text = v.to_text();
        let parsed = json::parse(&text).unwrap();
        prop_assert_eq!(parsed.to_text(), text);
    }

    #[test]
    fn json_parse_never_panics(s in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,30}") {
        let _ = json::parse(&s);
        let _ = json::parse_path(&s);
    }
}

fn arb_json() -> impl Strategy<Value = json::Json> {
    let leaf = prop_oneof![
        Just(json::Json::Null),
        any::<bool>().prop_map(json::Json::Bool),
        any::<i32>().prop_map(|i| json::Json::Number(i.to_string())),
        ".{0,6}".prop_map(json::Json::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(json::Json::Array),
            prop::collection::vec(("[a-z\"\\\\]{0,3}", inner), 0..4).prop_map(json::Json::Object),
        ]
    })
}
