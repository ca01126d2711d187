//! [`Decimal`]: an exact decimal number of up to 38 significant digits.
//!
//! A decimal is `(-1)^negative × coefficient × 10^(-scale)`. Invariants, kept by every
//! constructor:
//!
//! 1. `coefficient < 10^38` ([`MAX_PRECISION`] digits, so it always fits a `u128`);
//! 2. `MIN_SCALE <= scale <= MAX_SCALE` (a negative scale means trailing zeros before the
//!    decimal point: `1 × 10^3` is coefficient 1, scale -3);
//! 3. zero is never negative.
//!
//! Equality, ordering and hashing are *numeric*: `1.50 == 1.5`. The scale is kept only for
//! display (`1.50` prints as `"1.50"`), as SQL `NUMERIC` does. Correctness over speed: no
//! arithmetic beyond what conversion, comparison and rescaling need lives here.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The most significant digits a [`Decimal`] holds.
pub const MAX_PRECISION: u32 = 38;
/// The largest scale (digits after the decimal point) a [`Decimal`] may have.
pub const MAX_SCALE: i32 = 16_383;
/// The smallest (most negative) scale a [`Decimal`] may have.
pub const MIN_SCALE: i32 = -16_383;

/// `10^i` for `i` in `0..=38`.
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// One past the largest coefficient: `10^38`.
const COEFFICIENT_LIMIT: u128 = POW10[38];

/// Why a decimal could not be built or converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The text is not a decimal number.
    #[error("invalid decimal {input:?}: {reason}")]
    Invalid {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The exact value needs more than 38 significant digits.
    #[error("decimal {input:?} needs more than 38 significant digits")]
    TooManyDigits {
        /// The text (or value) given.
        input: String,
    },
    /// The scale is outside `MIN_SCALE..=MAX_SCALE`.
    #[error("decimal scale {scale} is outside [{MIN_SCALE}, {MAX_SCALE}]")]
    ScaleOutOfRange {
        /// The scale asked for.
        scale: i64,
    },
    /// A float that is NaN or infinite has no decimal value.
    #[error("{value} has no decimal value")]
    NotFinite {
        /// The float given.
        value: f64,
    },
}

/// An exact decimal number; see the module documentation for its invariants.
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    negative: bool,
    coefficient: u128,
    scale: i32,
}

/// How many decimal digits `c` has (1 for zero).
pub(crate) fn digit_count(c: u128) -> u32 {
    let mut n = 1;
    while n < 39 && c >= POW10[n as usize] {
        n += 1;
    }
    n
}

impl Decimal {
    /// Zero, with scale 0.
    pub const ZERO: Decimal = Decimal {
        negative: false,
        coefficient: 0,
        scale: 0,
    };

    /// Builds `(-1)^negative × coefficient × 10^(-scale)`, or an error if the coefficient has
    /// more than 38 digits or the scale is out of range. A negative zero becomes zero.
    pub fn new(negative: bool, coefficient: u128, scale: i32) -> Result<Decimal, DecimalError> {
        if coefficient >= COEFFICIENT_LIMIT {
            return Err(DecimalError::TooManyDigits {
                input: coefficient.to_string(),
            });
        }
        if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
            return Err(DecimalError::ScaleOutOfRange {
                scale: scale.into(),
            });
        }
        Ok(Decimal {
            negative: negative && coefficient != 0,
            coefficient,
            scale,
        })
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Whether the value is zero (of any scale).
    pub fn is_zero(&self) -> bool {
        self.coefficient == 0
    }

    /// The unsigned coefficient (the digits, without sign or decimal point).
    pub fn coefficient(&self) -> u128 {
        self.coefficient
    }

    /// The scale: how many digits of the coefficient are after the decimal point.
    pub fn scale(&self) -> i32 {
        self.scale
    }

    /// The same value with trailing zeros of the coefficient removed (`1.500` → `1.5`,
    /// `1200` → `12 × 10^2`); zero becomes `0` with scale 0.
    pub fn normalized(&self) -> Decimal {
        if self.coefficient == 0 {
            return Decimal::ZERO;
        }
        let mut d = *self;
        while d.scale > MIN_SCALE {
            let (q, r) = (d.coefficient / 10, d.coefficient % 10);
            if r != 0 {
                break;
            }
            d.coefficient = q;
            d.scale -= 1;
        }
        d
    }

    /// The number of significant digits left of the decimal point, after normalization
    /// (0 when `|self| < 1`).
    pub fn integer_digits(&self) -> u32 {
        let n = self.normalized();
        if n.coefficient == 0 {
            return 0;
        }
        let adjusted = i64::from(digit_count(n.coefficient)) - i64::from(n.scale);
        adjusted.max(0) as u32
    }

    /// The number of digits after the decimal point once trailing zeros are dropped.
    pub fn fraction_digits(&self) -> u32 {
        self.normalized().scale.max(0) as u32
    }

    /// Whether the value fits `NUMERIC(precision, scale)` without rounding: at most
    /// `scale` digits after the point and `precision - scale` before it.
    pub fn fits(&self, precision: u32, scale: u32) -> bool {
        self.fraction_digits() <= scale
            && i64::from(self.integer_digits()) <= i64::from(precision) - i64::from(scale)
    }

    /// The value rounded (half away from zero, as PostgreSQL's `numeric`) or padded to
    /// `scale` digits after the point; an error if the result needs more than 38 digits or
    /// the scale is out of range.
    pub fn rescale(&self, scale: i32) -> Result<Decimal, DecimalError> {
        if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
            return Err(DecimalError::ScaleOutOfRange {
                scale: scale.into(),
            });
        }
        let diff = i64::from(scale) - i64::from(self.scale);
        let coefficient = match diff.cmp(&0) {
            Ordering::Equal => self.coefficient,
            Ordering::Greater => {
                if self.coefficient == 0 {
                    0
                } else if diff > 38 {
                    return Err(self.too_many_digits());
                } else {
                    self.coefficient
                        .checked_mul(POW10[diff as usize])
                        .filter(|c| *c < COEFFICIENT_LIMIT)
                        .ok_or_else(|| self.too_many_digits())?
                }
            }
            Ordering::Less => {
                let drop = (-diff) as usize;
                if drop > 38 {
                    0
                } else {
                    let p = POW10[drop];
                    let (q, r) = (self.coefficient / p, self.coefficient % p);
                    // `r >= p / 2` without overflow: p is a power of ten, so even.
                    let q = if r >= p / 2 { q + 1 } else { q };
                    if q >= COEFFICIENT_LIMIT {
                        return Err(self.too_many_digits());
                    }
                    q
                }
            }
        };
        Decimal::new(self.negative, coefficient, scale)
    }

    fn too_many_digits(&self) -> DecimalError {
        DecimalError::TooManyDigits {
            input: self.to_string(),
        }
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        let n = self.normalized();
        if n.scale > 0 {
            return None;
        }
        let shift = (-n.scale) as usize;
        if shift > 19 {
            return if n.coefficient == 0 { Some(0) } else { None };
        }
        let magnitude = i128::try_from(n.coefficient.checked_mul(POW10[shift])?).ok()?;
        i64::try_from(if n.negative { -magnitude } else { magnitude }).ok()
    }

    /// The nearest `f64` (correctly rounded; ±infinity past `f64::MAX`, ±0 below the
    /// smallest subnormal).
    pub fn to_f64(&self) -> f64 {
        let sign = if self.negative { "-" } else { "" };
        // Rust's float parser rounds exactly, so going through text is correct.
        format!("{sign}{}e{}", self.coefficient, -i64::from(self.scale))
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// The decimal value SQL comparisons give `f`: an integral `f` with `|f| <= 2^63` is
    /// taken exactly; any other finite `f` is taken as the shortest decimal that reads back
    /// as `f` (what it prints as, so `0.1f64` becomes `0.1`). This mapping is strictly
    /// increasing and agrees exactly with every `i64`; see `numeric.rs` for the argument.
    pub fn try_from_f64(f: f64) -> Result<Decimal, DecimalError> {
        if !f.is_finite() {
            return Err(DecimalError::NotFinite { value: f });
        }
        const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
        if f.fract() == 0.0 && f.abs() <= TWO_POW_63 {
            // Exact: |f| <= 2^63 fits an i128 without rounding.
            let i = f as i128;
            return Decimal::new(i < 0, i.unsigned_abs(), 0);
        }
        // `{:e}` prints the shortest digits that round-trip, e.g. "1.2345e-7".
        format!("{f:e}").parse()
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        match (self.coefficient == 0, other.coefficient == 0) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        let adjusted = |d: &Decimal| i64::from(digit_count(d.coefficient)) - i64::from(d.scale);
        match adjusted(self).cmp(&adjusted(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        // Same adjusted exponent: the scales differ by the digit counts' difference (< 38),
        // so scaling the shorter coefficient up cannot pass 10^38.
        match self.scale.cmp(&other.scale) {
            Ordering::Equal => self.coefficient.cmp(&other.coefficient),
            Ordering::Less => {
                let p = POW10[(other.scale - self.scale) as usize];
                (self.coefficient * p).cmp(&other.coefficient)
            }
            Ordering::Greater => {
                let p = POW10[(self.scale - other.scale) as usize];
                self.coefficient.cmp(&(other.coefficient * p))
            }
        }
    }
}

impl From<i64> for Decimal {
    fn from(i: i64) -> Decimal {
        Decimal {
            negative: i < 0,
            coefficient: u128::from(i.unsigned_abs()),
            scale: 0,
        }
    }
}

impl std::ops::Neg for Decimal {
    type Output = Decimal;
    fn neg(self) -> Decimal {
        Decimal {
            negative: !self.negative && self.coefficient != 0,
            ..self
        }
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        match (self.negative, other.negative) {
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        (n.negative, n.coefficient, n.scale).hash(state);
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        let digits = self.coefficient.to_string();
        if self.scale <= 0 {
            s.push_str(&digits);
            if self.coefficient != 0 {
                s.extend(std::iter::repeat_n('0', (-self.scale) as usize));
            }
        } else {
            let scale = self.scale as usize;
            if digits.len() > scale {
                let (int, frac) = digits.split_at(digits.len() - scale);
                s.push_str(int);
                s.push('.');
                s.push_str(frac);
            } else {
                s.push_str("0.");
                s.extend(std::iter::repeat_n('0', scale - digits.len()));
                s.push_str(&digits);
            }
        }
        f.pad(&s)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`, with surrounding ASCII whitespace.
    /// The scale is the number of digits written after the point minus the exponent, so
    /// `"1.50"` keeps scale 2. Trailing zeros beyond 38 digits are dropped when that makes
    /// the value fit; a value that truly needs more digits is an error, never rounded.
    fn from_str(input: &str) -> Result<Decimal, DecimalError> {
        let invalid = |reason| DecimalError::Invalid {
            input: input.to_owned(),
            reason,
        };
        let s = input.trim_ascii();
        let (negative, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(at) => (&s[..at], Some(&s[at + 1..])),
            None => (s, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
            None => (mantissa, ""),
        };
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid("no digits"));
        }
        if !all_digits(int_part) || !all_digits(frac_part) {
            return Err(invalid("unexpected character"));
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return Err(invalid("malformed exponent"));
                }
                // Anything this long is out of range whatever the mantissa; saturate.
                let magnitude: i64 = digits.parse().unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
                if e.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                }
            }
        };
        // Significant digits: drop leading zeros, and count trailing zeros apart so that
        // they can be shed if the coefficient would otherwise pass 38 digits.
        let all: Vec<u8> = int_part
            .bytes()
            .chain(frac_part.bytes())
            .map(|b| b - b'0')
            .collect();
        let first = all.iter().position(|&d| d != 0).unwrap_or(all.len());
        let significant = &all[first..];
        let mut scale = frac_part.len() as i64 - exponent;
        if significant.is_empty() {
            let scale = scale.clamp(MIN_SCALE.into(), MAX_SCALE.into()) as i32;
            return Ok(Decimal {
                negative: false,
                coefficient: 0,
                scale,
            });
        }
        let last = significant.iter().rposition(|&d| d != 0).unwrap_or(0);
        let mut kept = significant.len();
        if kept > MAX_PRECISION as usize {
            let needed = last + 1;
            if needed > MAX_PRECISION as usize {
                return Err(DecimalError::TooManyDigits {
                    input: input.to_owned(),
                });
            }
            scale -= (kept - MAX_PRECISION as usize) as i64;
            kept = MAX_PRECISION as usize;
        }
        // Shed further trailing zeros only if the scale is too large to keep them.
        while scale > i64::from(MAX_SCALE) && kept > last + 1 {
            kept -= 1;
            scale -= 1;
        }
        if !(i64::from(MIN_SCALE)..=i64::from(MAX_SCALE)).contains(&scale) {
            return Err(DecimalError::ScaleOutOfRange { scale });
        }
        let coefficient = significant[..kept]
            .iter()
            .fold(0u128, |c, &d| c * 10 + u128::from(d));
        Decimal::new(negative, coefficient, scale as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_formats_keeping_scale() {
        for (input, shown) in [
            ("-123.4500", "-123.4500"),
            ("0", "0"),
            ("-0.00", "0.00"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+007.10", "7.10"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            ("0.000001", "0.000001"),
            (
                "99999999999999999999999999999999999999",
                "99999999999999999999999999999999999999",
            ),
        ] {
            assert_eq!(d(input).to_string(), shown, "{input}");
        }
        assert_eq!(d("1e3").scale(), -3);
    }

    #[test]
    fn rejects_garbage_and_overflow() {
        for bad in [
            "", "-", ".", "1.2.3", "abc", "1e", "1e+", "--1", "1_0", "NaN",
        ] {
            assert!(
                matches!(bad.parse::<Decimal>(), Err(DecimalError::Invalid { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            "123456789012345678901234567890123456789".parse::<Decimal>(),
            Err(DecimalError::TooManyDigits { .. })
        ));
        assert!(matches!(
            "1e99999".parse::<Decimal>(),
            Err(DecimalError::ScaleOutOfRange { .. })
        ));
        // Excess trailing zeros are shed rather than refused.
        let long = format!("1.{}", "0".repeat(60));
        assert_eq!(d(&long), d("1"));
        assert_eq!(d("0e-99999"), Decimal::ZERO);
    }

    #[test]
    fn compares_numerically() {
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("-0.0"), d("0"));
        assert!(d("1.49") < d("1.5"));
        assert!(d("-2") < d("-1.999"));
        assert!(d("1e20") > d("99999999999999999999.9"));
        assert!(d("0.001") < d("0.01"));
        assert_eq!(d("1200"), d("12e2"));
    }

    #[test]
    fn converts() {
        assert_eq!(Decimal::from(-42i64).to_string(), "-42");
        assert_eq!(Decimal::from(i64::MIN).to_i64(), Some(i64::MIN));
        assert_eq!(d("12.0").to_i64(), Some(12));
        assert_eq!(d("12.5").to_i64(), None);
        assert_eq!(d("1e19").to_i64(), None);
        assert_eq!(d("0.1").to_f64(), 0.1);
        assert_eq!(d("-1e400").to_f64(), f64::NEG_INFINITY);
        assert_eq!(Decimal::try_from_f64(0.1).unwrap(), d("0.1"));
        assert_eq!(Decimal::try_from_f64(-2.5e-300).unwrap(), d("-2.5e-300"));
        assert_eq!(
            Decimal::try_from_f64(9_223_372_036_854_775_808.0)
                .unwrap()
                .to_string(),
            "9223372036854775808"
        );
        assert!(Decimal::try_from_f64(f64::NAN).is_err());
    }

    #[test]
    fn rescales_half_away_from_zero() {
        assert_eq!(d("1.25").rescale(1).unwrap().to_string(), "1.3");
        assert_eq!(d("-1.25").rescale(1).unwrap().to_string(), "-1.3");
        assert_eq!(d("1.24").rescale(1).unwrap().to_string(), "1.2");
        assert_eq!(d("1.2").rescale(3).unwrap().to_string(), "1.200");
        assert_eq!(d("0.4").rescale(0).unwrap().to_string(), "0");
        assert!(d("1").rescale(40).is_err());
        assert!(d("123.45").fits(5, 2));
        assert!(!d("1234.5").fits(5, 2));
        assert!(!d("1.234").fits(5, 2));
        assert!(d("1.2300").fits(3, 2));
    }

    fn arb_decimal() -> impl Strategy<Value = Decimal> {
        (any::<bool>(), 0u128..COEFFICIENT_LIMIT, -60i32..60).prop_map(|(n, c, s)| {
            let c = c >> (c % 120) as u32; // spread the digit counts
            Decimal::new(n, c, s).unwrap()
        })
    }

    proptest! {
        #[test]
        fn format_parse_round_trips_exactly(x in arb_decimal()) {
            let back: Decimal = x.to_string().parse().unwrap();
            prop_assert_eq!(back, x);
            prop_assert_eq!(back.to_string(), x.to_string());
        }

        #[test]
        fn order_matches_f64_when_f64_is_exact(a in -1_000_000i64..1_000_000, sa in 0i32..4,
                                               b in -1_000_000i64..1_000_000, sb in 0i32..4) {
            let x = Decimal::new(a < 0, a.unsigned_abs().into(), sa).unwrap();
            let y = Decimal::new(b < 0, b.unsigned_abs().into(), sb).unwrap();
            // Compare exactly as integers scaled to 4 places.
            let xi = i128::from(a) * 10i128.pow((4 - sa) as u32);
            let yi = i128::from(b) * 10i128.pow((4 - sb) as u32);
            prop_assert_eq!(x.cmp(&y), xi.cmp(&yi));
        }

        #[test]
        fn f64_round_trips_through_decimal(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let dec = Decimal::try_from_f64(f).unwrap();
            prop_assert_eq!(dec.to_f64(), f);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,50}") {
            let _ = s.parse::<Decimal>();
        }
    }
}
