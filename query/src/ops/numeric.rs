//! Exact arithmetic on the engine's [`Decimal`] (38 significant digits), with
//! PostgreSQL's result scales: `+`/`-` keep the larger scale, `*` adds the scales, `/`
//! chooses at least 16 significant digits (PostgreSQL's `select_div_scale`), `%` keeps
//! the larger scale and the dividend's sign.
//!
//! Where a result needs more than 38 digits, digits after the point are rounded away
//! (half away from zero); a result whose integer part alone needs more than 38 digits is
//! 22003 `numeric field overflow` (PostgreSQL's numeric would carry on; see COMPAT.md).

use covet_engine::value::{Decimal, MAX_PRECISION, MAX_SCALE, MIN_SCALE};

use super::division_by_zero;
use super::wide::U256;
use crate::error::{QueryError, Result, SqlState};

/// `22003 numeric field overflow`.
pub(crate) fn numeric_overflow() -> QueryError {
    QueryError::new(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "numeric field overflow",
    )
}

/// A signed wide intermediate: `(-1)^negative × magnitude × 10^(-scale)`.
struct Wide {
    negative: bool,
    magnitude: U256,
    scale: i64,
}

fn wide(d: &Decimal) -> Wide {
    Wide {
        negative: d.is_negative(),
        magnitude: U256::from_u128(d.coefficient()),
        scale: d.scale().into(),
    }
}

fn pow10(k: i64) -> Result<U256> {
    u32::try_from(k)
        .ok()
        .and_then(U256::pow10)
        .ok_or_else(numeric_overflow)
}

/// Rounds `m / 10^k` half away from zero.
fn round_div_pow10(m: U256, k: i64) -> Result<U256> {
    if k <= 0 {
        return Ok(m);
    }
    if k > 77 {
        return Ok(U256::ZERO);
    }
    let p = pow10(k)?;
    let (q, r) = m.div_rem(p).ok_or_else(division_by_zero)?;
    let twice = r.checked_add(r).ok_or_else(numeric_overflow)?;
    if twice >= p {
        q.checked_add(U256::from_u128(1))
            .ok_or_else(numeric_overflow)
    } else {
        Ok(q)
    }
}

/// The decimal nearest to `w` in 38 digits: rounds digits after the point away if
/// needed; 22003 if the integer part does not fit.
fn finish(w: Wide) -> Result<Decimal> {
    let Wide {
        negative,
        mut magnitude,
        mut scale,
    } = w;
    if scale > i64::from(MAX_SCALE) {
        magnitude = round_div_pow10(magnitude, scale - i64::from(MAX_SCALE))?;
        scale = MAX_SCALE.into();
    }
    let digits = i64::from(magnitude.digits());
    let excess = digits - i64::from(MAX_PRECISION);
    if excess > 0 {
        if scale - excess < 0 && !magnitude.is_zero() {
            return Err(numeric_overflow());
        }
        magnitude = round_div_pow10(magnitude, excess)?;
        scale -= excess;
        if magnitude.digits() > MAX_PRECISION {
            // Rounding carried into a 39th digit (999… → 1000…): one more exact step.
            magnitude = round_div_pow10(magnitude, 1)?;
            scale -= 1;
            if scale < 0 {
                return Err(numeric_overflow());
            }
        }
    }
    if scale < i64::from(MIN_SCALE) {
        return Err(numeric_overflow());
    }
    let coefficient = magnitude.to_u128().ok_or_else(numeric_overflow)?;
    Decimal::new(negative, coefficient, scale as i32).map_err(|_| numeric_overflow())
}

/// Brings both operands to the same scale (the larger), in 256 bits. When the scales
/// are so far apart that the finer operand's extra digits lie beyond any 38-digit
/// result, it is rounded first (only non-zero operands reach here).
fn align(a: &Decimal, b: &Decimal) -> Result<(Wide, Wide)> {
    let (mut a, mut b) = (*a, *b);
    let (sa, sb) = (i64::from(a.scale()), i64::from(b.scale()));
    if sa - sb > 40 {
        a = a
            .rescale((sb + 40) as i32)
            .map_err(|_| numeric_overflow())?;
    } else if sb - sa > 40 {
        b = b
            .rescale((sa + 40) as i32)
            .map_err(|_| numeric_overflow())?;
    }
    let (mut wa, mut wb) = (wide(&a), wide(&b));
    let s = wa.scale.max(wb.scale);
    wa.magnitude = wa
        .magnitude
        .checked_mul(pow10(s - wa.scale)?)
        .ok_or_else(numeric_overflow)?;
    wb.magnitude = wb
        .magnitude
        .checked_mul(pow10(s - wb.scale)?)
        .ok_or_else(numeric_overflow)?;
    wa.scale = s;
    wb.scale = s;
    Ok((wa, wb))
}

/// `a + b`.
pub fn add(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    if b.is_zero() && a.scale() >= b.scale() {
        return Ok(*a);
    }
    if a.is_zero() && b.scale() >= a.scale() {
        return Ok(*b);
    }
    let (wa, wb) = align(a, b)?;
    let scale = wa.scale;
    let (negative, magnitude) = if wa.negative == wb.negative {
        (
            wa.negative,
            wa.magnitude
                .checked_add(wb.magnitude)
                .ok_or_else(numeric_overflow)?,
        )
    } else if wa.magnitude >= wb.magnitude {
        (wa.negative, wa.magnitude.wrapping_sub(wb.magnitude))
    } else {
        (wb.negative, wb.magnitude.wrapping_sub(wa.magnitude))
    };
    finish(Wide {
        negative,
        magnitude,
        scale,
    })
}

/// `a - b`.
pub fn sub(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    add(a, &-*b)
}

/// `a * b`.
pub fn mul(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    let magnitude = U256::from_u128(a.coefficient())
        .checked_mul(U256::from_u128(b.coefficient()))
        .ok_or_else(numeric_overflow)?;
    finish(Wide {
        negative: a.is_negative() != b.is_negative(),
        magnitude,
        scale: i64::from(a.scale()) + i64::from(b.scale()),
    })
}

/// The base-10000 weight and first base-10000 digit of a non-zero decimal, as
/// PostgreSQL's numeric stores it (used to choose the scale of a quotient).
fn weight_and_first_digit(d: &Decimal) -> (i64, u128) {
    let c = d.coefficient();
    let ndigits = i64::from(U256::from_u128(c).digits());
    let exponent = ndigits - 1 - i64::from(d.scale());
    let weight = exponent.div_euclid(4);
    let group = exponent - 4 * weight + 1; // 1..=4 digits in the first group
    let first = if ndigits >= group {
        c / 10u128.pow((ndigits - group) as u32)
    } else {
        c * 10u128.pow((group - ndigits) as u32)
    };
    (weight, first)
}

/// `a / b` with PostgreSQL's result scale; 22012 when `b` is zero.
pub fn div(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    if b.is_zero() {
        return Err(division_by_zero());
    }
    let display = |d: &Decimal| i64::from(d.scale().max(0));
    let mut rscale = if a.is_zero() {
        16
    } else {
        let (w1, f1) = weight_and_first_digit(a);
        let (w2, f2) = weight_and_first_digit(b);
        let mut qweight = w1 - w2;
        if f1 <= f2 {
            qweight -= 1;
        }
        16 - qweight * 4
    };
    rscale = rscale.max(display(a)).max(display(b)).clamp(0, 1000);
    // q = round(ca × 10^(rscale - sa + sb) / cb); keep the dividend below 10^76.
    let (sa, sb) = (i64::from(a.scale()), i64::from(b.scale()));
    let ca = U256::from_u128(a.coefficient());
    let max_shift = 76 - i64::from(ca.digits());
    let mut shift = rscale - sa + sb;
    if shift > max_shift {
        shift = max_shift;
        rscale = shift + sa - sb;
    }
    let cb = U256::from_u128(b.coefficient());
    let (dividend, divisor) = if shift >= 0 {
        (
            ca.checked_mul(pow10(shift)?).ok_or_else(numeric_overflow)?,
            cb,
        )
    } else if -shift <= 38 {
        (
            ca,
            cb.checked_mul(pow10(-shift)?)
                .ok_or_else(numeric_overflow)?,
        )
    } else {
        // The quotient is below 10^-38 of a unit at this scale: zero.
        (U256::ZERO, cb)
    };
    let (q, r) = dividend.div_rem(divisor).ok_or_else(division_by_zero)?;
    let twice = r.checked_add(r).ok_or_else(numeric_overflow)?;
    let q = if twice >= divisor {
        q.checked_add(U256::from_u128(1))
            .ok_or_else(numeric_overflow)?
    } else {
        q
    };
    finish(Wide {
        negative: a.is_negative() != b.is_negative(),
        magnitude: q,
        scale: rscale,
    })
}

/// `a % b`: the remainder of truncating division, with the dividend's sign.
pub fn rem(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    if b.is_zero() {
        return Err(division_by_zero());
    }
    if a.is_zero() {
        return Ok(*a);
    }
    let (wa, wb) = align(a, b)?;
    let (_, r) = wa
        .magnitude
        .div_rem(wb.magnitude)
        .ok_or_else(division_by_zero)?;
    finish(Wide {
        negative: wa.negative,
        magnitude: r,
        scale: wa.scale,
    })
}

/// Truncates toward zero to `scale` digits after the point.
pub fn trunc(d: &Decimal, scale: i32) -> Result<Decimal> {
    if i64::from(d.scale()) <= i64::from(scale) {
        return d.rescale(scale).map_err(|_| numeric_overflow());
    }
    let drop = i64::from(d.scale()) - i64::from(scale);
    let m = if drop > 77 {
        U256::ZERO
    } else {
        U256::from_u128(d.coefficient())
            .div_rem(pow10(drop)?)
            .map(|(q, _)| q)
            .unwrap_or(U256::ZERO)
    };
    finish(Wide {
        negative: d.is_negative(),
        magnitude: m,
        scale: scale.into(),
    })
}

/// Rounds half away from zero to `scale` digits (negative: to tens, hundreds, …).
pub fn round(d: &Decimal, scale: i32) -> Result<Decimal> {
    let scale = scale.clamp(MIN_SCALE, MAX_SCALE);
    if d.scale() <= scale {
        return d.rescale(scale).map_err(|_| numeric_overflow());
    }
    let m = round_div_pow10(
        U256::from_u128(d.coefficient()),
        i64::from(d.scale()) - i64::from(scale),
    )?;
    finish(Wide {
        negative: d.is_negative(),
        magnitude: m,
        scale: scale.into(),
    })
}

/// The largest integer not above `d` (scale 0).
pub fn floor(d: &Decimal) -> Result<Decimal> {
    let t = trunc(d, 0)?;
    if d.is_negative() && t != *d {
        sub(&t, &Decimal::from(1))
    } else {
        Ok(t)
    }
}

/// The smallest integer not below `d` (scale 0).
pub fn ceil(d: &Decimal) -> Result<Decimal> {
    let t = trunc(d, 0)?;
    if !d.is_negative() && t != *d {
        add(&t, &Decimal::from(1))
    } else {
        Ok(t)
    }
}

/// `|d|`.
pub fn abs(d: &Decimal) -> Decimal {
    if d.is_negative() {
        -*d
    } else {
        *d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn show(r: Result<Decimal>) -> String {
        r.unwrap().to_string()
    }

    #[test]
    fn adds_and_subtracts_with_the_larger_scale() {
        assert_eq!(show(add(&d("1.5"), &d("2.25"))), "3.75");
        assert_eq!(show(add(&d("1.50"), &d("2"))), "3.50");
        assert_eq!(show(sub(&d("1"), &d("2.5"))), "-1.5");
        assert_eq!(show(sub(&d("2.5"), &d("2.5"))), "0.0");
        assert_eq!(show(add(&d("-0.1"), &d("0.3"))), "0.2");
        let big = d("99999999999999999999999999999999999999");
        assert_eq!(
            add(&big, &d("1")).unwrap_err().code,
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        // 38 nines plus 0.1: the fraction rounds away, the integer part does not fit.
        assert_eq!(add(&big, &d("0.1")).unwrap().to_string(), big.to_string());
    }

    #[test]
    fn multiplies_adding_scales_and_rounds_past_38_digits() {
        assert_eq!(show(mul(&d("1.5"), &d("2.25"))), "3.375");
        assert_eq!(show(mul(&d("-2"), &d("0.5"))), "-1.0");
        let third = d("0.3333333333333333333333333333333333333"); // 37 digits
        assert_eq!(
            show(mul(&third, &third)),
            "0.11111111111111111111111111111111111109"
        );
        let big = d("10000000000000000000000000000000000000"); // 10^37
        assert_eq!(
            mul(&big, &big).unwrap_err().code,
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
    }

    #[test]
    fn divides_with_postgres_scales() {
        assert_eq!(show(div(&d("1"), &d("3"))), "0.33333333333333333333");
        assert_eq!(show(div(&d("10"), &d("4"))), "2.5000000000000000");
        assert_eq!(show(div(&d("2"), &d("3"))), "0.66666666666666666667");
        assert_eq!(show(div(&d("-7.5"), &d("2.5"))), "-3.0000000000000000");
        assert_eq!(show(div(&d("0"), &d("5"))), "0.0000000000000000");
        assert_eq!(show(div(&d("1000000"), &d("3"))), "333333.333333333333");
        assert_eq!(
            div(&d("1"), &d("0")).unwrap_err().code,
            SqlState::DIVISION_BY_ZERO
        );
    }

    #[test]
    fn remainder_keeps_the_dividend_sign() {
        assert_eq!(show(rem(&d("7.5"), &d("2"))), "1.5");
        assert_eq!(show(rem(&d("-7.5"), &d("2"))), "-1.5");
        assert_eq!(show(rem(&d("7"), &d("-3"))), "1");
        assert_eq!(
            rem(&d("1"), &d("0.0")).unwrap_err().code,
            SqlState::DIVISION_BY_ZERO
        );
    }

    #[test]
    fn rounds_truncates_floors_and_ceils() {
        assert_eq!(show(round(&d("2.5"), 0)), "3");
        assert_eq!(show(round(&d("-2.5"), 0)), "-3");
        assert_eq!(show(round(&d("1.2345"), 2)), "1.23");
        assert_eq!(show(round(&d("1.235"), 2)), "1.24");
        assert_eq!(show(round(&d("1.5"), 3)), "1.500");
        assert_eq!(round(&d("1250"), -2).unwrap(), d("1300"));
        assert_eq!(show(trunc(&d("-2.79"), 1)), "-2.7");
        assert_eq!(show(floor(&d("-2.1"))), "-3");
        assert_eq!(show(floor(&d("2.9"))), "2");
        assert_eq!(show(ceil(&d("2.1"))), "3");
        assert_eq!(show(ceil(&d("-2.9"))), "-2");
        assert_eq!(abs(&d("-1.5")), d("1.5"));
    }
}
