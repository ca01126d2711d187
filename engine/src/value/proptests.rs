//! Property tests tying the encodings to [`Value::sql_cmp`]: key order is SQL order, keys
//! and rows round-trip, the prefix property holds, and no decoder panics on any bytes.

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

pub(crate) fn arb_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<bool>(), any::<u128>(), -20i32..40).prop_map(|(n, c, s)| {
            let c = (c >> (c % 128) as u32) % 100_000_000_000_000_000_000_000_000_000_000_000_000;
            Decimal::new(n, c, s).unwrap()
        }),
        (-1000i64..1000, 0i32..3).prop_map(|(i, s)| Decimal::new(
            i < 0,
            i.unsigned_abs().into(),
            s
        )
        .unwrap()),
        // Dense around every exponent class of the key encoding.
        (-2000i64..2000, -24i32..30).prop_map(|(i, s)| Decimal::new(
            i < 0,
            i.unsigned_abs().into(),
            s
        )
        .unwrap()),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('\0'),
            prop::char::range('a', 'c'),
            Just('é'),
            Just('\u{ffff}')
        ],
        0..6,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// Values of every type, biased so that equal values of different types and shared
/// prefixes turn up often.
pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-300i64..300).prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        (-300i64..300).prop_map(|i| Value::Float(i as f64 / 4.0)),
        (-2000i64..2000, -70i32..70).prop_map(|(i, k)| Value::Float(i as f64 * 2f64.powi(k))),
        prop_oneof![
            Just(f64::NAN),
            Just(-f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(9_223_372_036_854_775_808.0),
            Just(-9_223_372_036_854_775_808.0),
            Just(1e-310),
        ]
        .prop_map(Value::Float),
        arb_decimal().prop_map(Value::Decimal),
        arb_string().prop_map(Value::Text),
        prop::collection::vec(
            prop_oneof![Just(0u8), Just(1), Just(0xFF), any::<u8>()],
            0..6
        )
        .prop_map(Value::Blob),
        any::<i32>().prop_map(|d| Value::Date(Date::from_days(d))),
        (0..MICROS_PER_DAY).prop_map(|t| Value::Time(Time::from_micros(t).unwrap())),
        any::<i64>().prop_map(|t| Value::Timestamp(Timestamp::from_micros(t))),
        (-3i64..3).prop_map(|t| Value::TimestampTz(Timestamp::from_micros(t))),
        (
            -2i32..2,
            -61i32..61,
            prop_oneof![Just(0i64), Just(-1), Just(MICROS_PER_DAY), any::<i64>()]
        )
            .prop_map(|(m, d, u)| Value::Interval(Interval::new(m, d, u))),
        (any::<i32>(), any::<i32>(), any::<i64>())
            .prop_map(|(m, d, u)| Value::Interval(Interval::new(m, d, u))),
        prop_oneof![Just([0u8; 16]), Just([0xFF; 16]), any::<[u8; 16]>()].prop_map(Value::Uuid),
        arb_string().prop_map(Value::Json),
    ]
}

/// Numbers only, of all three types, dense around every exponent class of the key encoding.
fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        (-2000i64..2000).prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        (-2000i64..2000, -70i32..70).prop_map(|(i, k)| Value::Float(i as f64 * 2f64.powi(k))),
        (-2000i64..2000, -24i32..30).prop_map(|(i, k)| Value::Float(i as f64 * 10f64.powi(-k))),
        arb_decimal().prop_map(Value::Decimal),
    ]
}

fn arb_tuple() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(arb_value(), 0..4)
}

fn arb_dirs() -> impl Strategy<Value = Vec<SortOrder>> {
    prop::collection::vec(prop_oneof![Just(SortOrder::Asc), Just(SortOrder::Desc)], 4)
}

/// Tuples in SQL order: lexicographic over columns, a descending column reversed, and a
/// tuple that is a prefix of another first.
fn tuple_cmp(a: &[Value], b: &[Value], dirs: &[SortOrder]) -> Ordering {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let o = x.sql_cmp(y);
        let o = if dirs.get(i) == Some(&SortOrder::Desc) {
            o.reverse()
        } else {
            o
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn key(values: &[Value], dirs: &[SortOrder]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(values, dirs, &mut out);
    out
}

/// Bit-for-bit equality: floats by bits, decimals with their scale.
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Decimal(x), Value::Decimal(y)) => {
            (x.is_negative(), x.coefficient(), x.scale())
                == (y.is_negative(), y.coefficient(), y.scale())
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn key_order_is_sql_order(a in arb_tuple(), b in arb_tuple(), dirs in arb_dirs()) {
        let (ka, kb) = (key(&a, &dirs), key(&b, &dirs));
        prop_assert_eq!(ka.cmp(&kb), tuple_cmp(&a, &b, &dirs), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn single_values_order_like_sql_cmp(a in arb_value(), b in arb_value()) {
        let (ka, kb) = (key(std::slice::from_ref(&a), &[]), key(std::slice::from_ref(&b), &[]));
        prop_assert_eq!(ka.cmp(&kb), a.sql_cmp(&b));
        // sql_cmp is a total order: antisymmetric.
        prop_assert_eq!(b.sql_cmp(&a), a.sql_cmp(&b).reverse());
    }

    #[test]
    fn numbers_order_like_sql_cmp(a in arb_number(), b in arb_number(), dirs in arb_dirs()) {
        let (ka, kb) = (key(std::slice::from_ref(&a), &dirs), key(std::slice::from_ref(&b), &dirs));
        prop_assert_eq!(ka.cmp(&kb), tuple_cmp(std::slice::from_ref(&a), std::slice::from_ref(&b), &dirs), "{:?} vs {:?}", a, b);
        let back = decode_key(&ka, &dirs).unwrap();
        prop_assert!(back[0].sql_eq(&a), "{:?} came back as {:?}", a, back[0]);
    }

    #[test]
    fn keys_round_trip_canonically(t in arb_tuple(), dirs in arb_dirs()) {
        let k = key(&t, &dirs);
        let back = decode_key(&k, &dirs).unwrap();
        prop_assert_eq!(back.len(), t.len());
        for (x, y) in t.iter().zip(&back) {
            prop_assert!(x.sql_eq(y), "{:?} came back as {:?}", x, y);
        }
        prop_assert_eq!(key(&back, &dirs), k);
    }

    #[test]
    fn prefixes_are_byte_prefixes_and_ranges(t in arb_tuple(), other in arb_tuple(),
                                             k in 0usize..4, dirs in arb_dirs()) {
        let k = k.min(t.len());
        let full = key(&t, &dirs);
        let prefix = key(&t[..k], &dirs);
        prop_assert!(full.starts_with(&prefix));
        let (decoded, used) = decode_key_prefix(&full, &dirs, k).unwrap();
        prop_assert_eq!(used, prefix.len());
        prop_assert_eq!(decoded.len(), k);
        // A tuple lies in [prefix, successor) exactly when its first k columns equal t's.
        let ko = key(&other, &dirs);
        let same_prefix = other.len() >= k
            && t[..k].iter().zip(&other[..k]).all(|(x, y)| x.sql_eq(y));
        let in_range = ko >= prefix && prefix_successor(&prefix).is_none_or(|s| ko < s);
        prop_assert_eq!(in_range, same_prefix);
    }

    #[test]
    fn rows_round_trip_exactly(t in prop::collection::vec(arb_value(), 0..20)) {
        let mut bytes = Vec::new();
        encode_row(&t, &mut bytes);
        let back = decode_row(&bytes).unwrap();
        prop_assert_eq!(back.len(), t.len());
        for (i, (x, y)) in t.iter().zip(&back).enumerate() {
            prop_assert!(identical(x, y), "{:?} came back as {:?}", x, y);
            prop_assert!(identical(x, &decode_column(&bytes, i).unwrap()));
        }
        let widths: usize = t.iter().map(value_width).sum();
        prop_assert!(widths < bytes.len());
    }

    #[test]
    fn key_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..40),
                                 dirs in arb_dirs()) {
        if let Ok(values) = decode_key(&bytes, &dirs) {
            // Only canonical encodings decode.
            prop_assert_eq!(key(&values, &dirs), bytes.clone());
        }
        let _ = decode_key_prefix(&bytes, &dirs, 3);
    }

    #[test]
    fn mutated_keys_never_panic(t in arb_tuple(), at in any::<usize>(), byte in any::<u8>(),
                                dirs in arb_dirs()) {
        let mut k = key(&t, &dirs);
        if !k.is_empty() {
            let at = at % k.len();
            k[at] = byte;
        }
        if let Ok(values) = decode_key(&k, &dirs) {
            prop_assert_eq!(key(&values, &dirs), k);
        }
    }

    #[test]
    fn row_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..40),
                                 t in prop::collection::vec(arb_value(), 0..6),
                                 at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let _ = decode_row(&bytes);
        let mut probe = bytes.clone();
        probe.insert(0, ROW_FORMAT_VERSION);
        let _ = decode_row(&probe);
        for i in 0..4 {
            let _ = decode_column(&probe, i);
        }
        let mut row = Vec::new();
        encode_row(&t, &mut row);
        let at = at % row.len();
        row[at] = byte;
        let _ = decode_row(&row);
        for i in 0..t.len() {
            let _ = decode_column(&row, i);
        }
        row.truncate(cut % (row.len() + 1));
        let _ = decode_row(&row);
        let _ = decode_column(&row, 0);
    }
}
