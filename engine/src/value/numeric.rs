//! [`Numeric`]: the one canonical form of every SQL number, for ordering and key encoding.
//!
//! `Int`, `Float` and `Decimal` values are one numeric class in SQL comparisons, so they are
//! all mapped to a single exact form: a sign and a digit string `0.d1d2…dn × 10^exp` with
//! `d1 != 0` and `dn != 0` (no leading or trailing zeros), or one of the specials −∞, 0, +∞,
//! NaN. Numerically equal values of different types map to the *same* `Numeric`, so their
//! key encodings are byte-equal.
//!
//! Floats. An integral `f64` with `|f| <= 2^63` is taken exactly; any other finite `f64` is
//! taken as the shortest decimal that reads back as `f` ([`Decimal::try_from_f64`]). Why
//! this keeps the order exact:
//!
//! * every chosen decimal lies in the float's round-to-nearest preimage (the shortest digits
//!   read back as `f`, and `f` itself trivially does); those preimages are disjoint intervals
//!   ordered like the floats, so the mapping is strictly increasing over all floats;
//! * against `i64`: integral floats in `[-2^63, 2^63]` are exact. A non-integral float has
//!   `|f| < 2^52`, where its integral neighbours `floor(f)` and `ceil(f)` are floats too, so
//!   its preimage lies strictly between them and contains no integer: it compares with every
//!   `i64` as `f` itself does and is equal to none. A float with `|f| > 2^63` is at least
//!   2048 away from `±2^63` and its preimage is at most ±1024 wide, so it stays outside the
//!   `i64` range.
//!
//! So `Int` vs `Float` and `Float` vs `Float` comparisons are exact, and a `Float` equals the
//! `Decimal` it prints as (`0.1f64 == 0.1` as in PostgreSQL). NaN is above every number and
//! equal to itself (PostgreSQL semantics); `-0.0 == 0.0`.

use std::cmp::Ordering;

use super::decimal::{digit_count, Decimal, MAX_PRECISION, MAX_SCALE, MIN_SCALE};
use super::Value;

/// A non-zero magnitude `0.d1d2…dn × 10^exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mantissa {
    /// Decimal digits, each `0..=9`, with no leading or trailing zero (so never empty).
    pub(crate) digits: Vec<u8>,
    /// The decimal exponent.
    pub(crate) exp: i32,
}

/// A number in canonical form, ordered as SQL orders numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Numeric {
    NegInf,
    Neg(Mantissa),
    Zero,
    Pos(Mantissa),
    PosInf,
    NaN,
}

/// Why digits from a key cannot be turned back into a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumericRangeError {
    /// More than 38 significant digits.
    TooManyDigits,
    /// The exponent puts the scale outside the decimal range.
    ScaleOutOfRange,
}

impl Mantissa {
    /// The magnitude of `coefficient × 10^(-scale)`, `None` for zero.
    fn from_coefficient(coefficient: u128, scale: i32) -> Option<Mantissa> {
        if coefficient == 0 {
            return None;
        }
        let mut digits: Vec<u8> = coefficient.to_string().bytes().map(|b| b - b'0').collect();
        let exp = digits.len() as i32 - scale;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        Some(Mantissa { digits, exp })
    }

    fn cmp_magnitude(&self, other: &Mantissa) -> Ordering {
        // No leading zeros, so a larger exponent is a larger magnitude; with equal exponents
        // the digit strings compare lexicographically, a strict prefix being smaller because
        // the longer string's extra digits end in a non-zero one.
        self.exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

impl Numeric {
    /// The canonical form of `v` if it is a number (`Int`, `Float` or `Decimal`).
    pub(crate) fn of(v: &Value) -> Option<Numeric> {
        match v {
            Value::Int(i) => Some(Numeric::from_i64(*i)),
            Value::Float(f) => Some(Numeric::from_f64(*f)),
            Value::Decimal(d) => Some(Numeric::from_decimal(d)),
            _ => None,
        }
    }

    pub(crate) fn from_i64(i: i64) -> Numeric {
        Numeric::signed(
            i < 0,
            Mantissa::from_coefficient(i.unsigned_abs().into(), 0),
        )
    }

    pub(crate) fn from_decimal(d: &Decimal) -> Numeric {
        Numeric::signed(
            d.is_negative(),
            Mantissa::from_coefficient(d.coefficient(), d.scale()),
        )
    }

    pub(crate) fn from_f64(f: f64) -> Numeric {
        if f.is_nan() {
            Numeric::NaN
        } else if f == f64::INFINITY {
            Numeric::PosInf
        } else if f == f64::NEG_INFINITY {
            Numeric::NegInf
        } else {
            match Decimal::try_from_f64(f) {
                Ok(d) => Numeric::from_decimal(&d),
                // Unreachable for finite input; NaN is the only safe answer that is not a lie
                // about order between finite numbers.
                Err(_) => Numeric::NaN,
            }
        }
    }

    fn signed(negative: bool, m: Option<Mantissa>) -> Numeric {
        match m {
            None => Numeric::Zero,
            Some(m) if negative => Numeric::Neg(m),
            Some(m) => Numeric::Pos(m),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Numeric::NegInf => 0,
            Numeric::Neg(_) => 1,
            Numeric::Zero => 2,
            Numeric::Pos(_) => 3,
            Numeric::PosInf => 4,
            Numeric::NaN => 5,
        }
    }

    /// The canonical value: NaN and ±∞ as `Float`, integers in `i64` range as `Int`,
    /// everything else as `Decimal` (integers with scale 0 when they fit 38 digits).
    pub(crate) fn to_value(&self) -> Result<Value, NumericRangeError> {
        let (negative, m) = match self {
            Numeric::NaN => return Ok(Value::Float(f64::NAN)),
            Numeric::PosInf => return Ok(Value::Float(f64::INFINITY)),
            Numeric::NegInf => return Ok(Value::Float(f64::NEG_INFINITY)),
            Numeric::Zero => return Ok(Value::Int(0)),
            Numeric::Neg(m) => (true, m),
            Numeric::Pos(m) => (false, m),
        };
        let n = m.digits.len();
        if n > MAX_PRECISION as usize {
            return Err(NumericRangeError::TooManyDigits);
        }
        let coefficient = m.digits.iter().fold(0u128, |c, &d| c * 10 + u128::from(d));
        let mut scale = i64::try_from(n).unwrap_or(i64::MAX) - i64::from(m.exp);
        let mut coefficient = coefficient;
        if scale < 0 && i64::from(digit_count(coefficient)) - scale <= i64::from(MAX_PRECISION) {
            coefficient *= 10u128.pow((-scale) as u32);
            scale = 0;
        }
        if scale == 0 {
            if let Ok(i) = i64::try_from(coefficient) {
                return Ok(Value::Int(if negative { -i } else { i }));
            }
            if negative && coefficient == 1u128 << 63 {
                return Ok(Value::Int(i64::MIN));
            }
        }
        if !(i64::from(MIN_SCALE)..=i64::from(MAX_SCALE)).contains(&scale) {
            return Err(NumericRangeError::ScaleOutOfRange);
        }
        Decimal::new(negative, coefficient, scale as i32)
            .map(Value::Decimal)
            .map_err(|_| NumericRangeError::TooManyDigits)
    }
}

impl PartialOrd for Numeric {
    fn partial_cmp(&self, other: &Numeric) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Numeric {
    fn cmp(&self, other: &Numeric) -> Ordering {
        match (self, other) {
            (Numeric::Pos(a), Numeric::Pos(b)) => a.cmp_magnitude(b),
            (Numeric::Neg(a), Numeric::Neg(b)) => b.cmp_magnitude(a),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(v: Value) -> Numeric {
        Numeric::of(&v).unwrap()
    }

    fn dec(s: &str) -> Value {
        Value::Decimal(s.parse().unwrap())
    }

    #[test]
    fn equal_numbers_of_different_types_are_one_form() {
        assert_eq!(num(Value::Int(1)), num(Value::Float(1.0)));
        assert_eq!(num(Value::Int(1)), num(dec("1.00")));
        assert_eq!(num(Value::Float(-0.0)), Numeric::Zero);
        assert_eq!(num(Value::Float(0.1)), num(dec("0.1")));
        assert_eq!(
            num(Value::Int(i64::MIN)),
            num(Value::Float(-9_223_372_036_854_775_808.0))
        );
        assert_eq!(num(dec("1200")), num(dec("12e2")));
    }

    #[test]
    fn orders_across_types() {
        assert!(num(Value::Int(1)) < num(Value::Float(1.5)));
        assert!(num(Value::Float(1.5)) < num(dec("2")));
        assert!(num(Value::Float(f64::NEG_INFINITY)) < num(Value::Int(i64::MIN)));
        assert!(num(Value::Float(f64::INFINITY)) < num(Value::Float(f64::NAN)));
        assert!(num(Value::Int(i64::MAX)) < num(Value::Float(9_223_372_036_854_775_808.0)));
        assert!(num(Value::Int(-5)) < num(Value::Float(-4.999)));
    }

    #[test]
    fn canonical_values() {
        assert_eq!(num(Value::Float(3.0)).to_value(), Ok(Value::Int(3)));
        assert_eq!(num(Value::Float(0.5)).to_value(), Ok(dec("0.5")));
        assert_eq!(
            num(Value::Int(i64::MIN)).to_value(),
            Ok(Value::Int(i64::MIN))
        );
        assert_eq!(
            num(dec("1e20")).to_value().unwrap().to_string(),
            "100000000000000000000"
        );
        assert_eq!(num(dec("1e50")).to_value(), Ok(dec("1e50")));
    }

    /// Exact comparison of an integer with a float, done independently of `Numeric`.
    fn cmp_int_float(i: i64, f: f64) -> Ordering {
        if f.is_nan() {
            return Ordering::Less;
        }
        if f >= 9_223_372_036_854_775_808.0 {
            return Ordering::Less;
        }
        if f < -9_223_372_036_854_775_808.0 {
            return Ordering::Greater;
        }
        let floor = f.floor();
        match i128::from(i).cmp(&(floor as i128)) {
            Ordering::Equal if f > floor => Ordering::Less,
            o => o,
        }
    }

    fn float_cmp(a: f64, b: f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => a.partial_cmp(&b).unwrap(),
        }
    }

    fn interesting_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            (-1_000_000i64..1_000_000).prop_map(|i| i as f64 / 4.0),
            any::<i64>().prop_map(|i| i as f64),
            Just(9_223_372_036_854_775_808.0),
            Just(-9_223_372_036_854_775_808.0),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
        ]
    }

    fn near_i64() -> impl Strategy<Value = i64> {
        prop_oneof![any::<i64>(), -1000i64..1000, Just(i64::MAX), Just(i64::MIN)]
    }

    proptest! {
        #[test]
        fn int_vs_float_is_exact(i in near_i64(), f in interesting_f64()) {
            prop_assert_eq!(num(Value::Int(i)).cmp(&num(Value::Float(f))), cmp_int_float(i, f));
        }

        #[test]
        fn float_vs_float_is_float_order(a in interesting_f64(), b in interesting_f64()) {
            prop_assert_eq!(num(Value::Float(a)).cmp(&num(Value::Float(b))), float_cmp(a, b));
        }

        #[test]
        fn int_vs_int_and_decimal(a in near_i64(), b in near_i64(), s in 0i32..5) {
            prop_assert_eq!(num(Value::Int(a)).cmp(&num(Value::Int(b))), a.cmp(&b));
            let db = Decimal::new(b < 0, b.unsigned_abs().into(), s).unwrap();
            let da = Decimal::from(a);
            prop_assert_eq!(num(Value::Int(a)).cmp(&num(Value::Decimal(db))), da.cmp(&db));
        }

        #[test]
        fn decimals_against_decimals_and_floats(a in crate::value::proptests::arb_decimal(),
                                                b in crate::value::proptests::arb_decimal(),
                                                f in interesting_f64()) {
            let (na, nb) = (num(Value::Decimal(a)), num(Value::Decimal(b)));
            prop_assert_eq!(na.cmp(&nb), a.cmp(&b));
            let expected = match Decimal::try_from_f64(f) {
                Ok(d) => a.cmp(&d),
                Err(_) if f > 0.0 => Ordering::Less,
                Err(_) if f < 0.0 => Ordering::Greater,
                Err(_) => Ordering::Less, // NaN
            };
            prop_assert_eq!(na.cmp(&num(Value::Float(f))), expected);
        }

        #[test]
        fn canonical_value_has_the_same_form(f in interesting_f64()) {
            let n = num(Value::Float(f));
            let v = n.to_value().unwrap();
            prop_assert_eq!(Numeric::of(&v).unwrap(), n);
        }
    }
}
