//! Math functions. Resolution follows PostgreSQL's overloads: `abs`, `mod`, `sign` keep
//! integers integers; the float/numeric pairs (`round`, `ceil`, `sqrt`, …) give numeric
//! for numeric and double precision otherwise (an integer argument goes to the double
//! version, PostgreSQL's preferred numeric type). `round(x, n)` and `trunc(x, n)` are
//! numeric (covet also accepts a double `x`, rounding in decimal: see COMPAT.md).

use covet_engine::value::{Decimal, Value};

use super::registry::{
    float_arg, func, int_arg, lenient, no_function, signature, volatile, Resolved,
};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::EvalContext;
use crate::ops::{self, arith::check_float, numeric, out_of_range};
use crate::types::DataType::{self, *};

/// The math function `name(args)`, if `name` is one.
pub(super) fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
    let sig = |params: &[DataType]| signature(args, params);
    let one = |n: &'static str, ret: DataType, params: &[DataType], f: super::registry::EvalFn| {
        sig(params).map(|p| (func(n, ret, f), p))
    };
    // Numeric for a numeric argument, else double precision.
    let num_or_float = |n: &'static str, f: super::registry::EvalFn| match args {
        [Decimal] => Some((func(n, Decimal, f), vec![Decimal])),
        [Int | Float | Unknown] => Some((func(n, Float, f), vec![Float])),
        _ => None,
    };
    let found: Option<Resolved> = match name {
        "abs" => match args {
            [Int] => Some((func("abs", Int, abs), vec![Int])),
            [Decimal] => Some((func("abs", Decimal, abs), vec![Decimal])),
            [Float | Unknown] => Some((func("abs", Float, abs), vec![Float])),
            _ => None,
        },
        "sign" => num_or_float("sign", sign),
        "round" => match args {
            [_] => num_or_float("round", round),
            [Decimal | Int, Int | Unknown] => {
                Some((func("round", Decimal, round), vec![Decimal, Int]))
            }
            [Float | Unknown, Int | Unknown] => {
                Some((func("round", Float, round), vec![Float, Int]))
            }
            _ => None,
        },
        "trunc" | "truncate" => match args {
            [_] => num_or_float("trunc", trunc),
            [Decimal | Int, Int | Unknown] => {
                Some((func("trunc", Decimal, trunc), vec![Decimal, Int]))
            }
            [Float | Unknown, Int | Unknown] => {
                Some((func("trunc", Float, trunc), vec![Float, Int]))
            }
            _ => None,
        },
        "ceil" | "ceiling" => num_or_float("ceil", ceil),
        "floor" => num_or_float("floor", floor),
        "mod" => match args {
            [Int | Unknown, Int | Unknown] => Some((func("mod", Int, modulo), vec![Int, Int])),
            _ => one("mod", Decimal, &[Decimal, Decimal], modulo),
        },
        "div" => match args {
            [Int | Unknown, Int | Unknown] => Some((func("div", Int, div), vec![Int, Int])),
            _ => one("div", Decimal, &[Decimal, Decimal], div),
        },
        "power" | "pow" => match args {
            [Decimal, Decimal | Int] | [Int, Decimal] => {
                Some((func("power", Decimal, power), vec![Decimal, Decimal]))
            }
            _ => one("power", Float, &[Float, Float], power),
        },
        "sqrt" => num_or_float("sqrt", sqrt),
        "cbrt" => one("cbrt", Float, &[Float], |a, _| float1(a, f64::cbrt)),
        "exp" => num_or_float("exp", exp),
        "ln" => num_or_float("ln", ln),
        "log10" => num_or_float("log10", log10),
        "log" => match args {
            [_] => num_or_float("log", log10),
            [Decimal, _] | [_, Decimal] => one("log", Decimal, &[Decimal, Decimal], log_base),
            _ => one("log", Float, &[Float, Float], log_base),
        },
        "pi" => one("pi", Float, &[], |_, _| {
            Ok(Value::Float(std::f64::consts::PI))
        }),
        "degrees" => one("degrees", Float, &[Float], |a, _| {
            float1(a, f64::to_degrees)
        }),
        "radians" => one("radians", Float, &[Float], |a, _| {
            float1(a, f64::to_radians)
        }),
        "sin" => one("sin", Float, &[Float], |a, _| float1(a, f64::sin)),
        "cos" => one("cos", Float, &[Float], |a, _| float1(a, f64::cos)),
        "tan" => one("tan", Float, &[Float], |a, _| float1(a, f64::tan)),
        "atan" => one("atan", Float, &[Float], |a, _| float1(a, f64::atan)),
        "atan2" => one("atan2", Float, &[Float, Float], |a, _| {
            Ok(Value::Float(float_arg(&a[0])?.atan2(float_arg(&a[1])?)))
        }),
        "gcd" => one("gcd", Int, &[Int, Int], |a, _| gcd_lcm(a, false)),
        "lcm" => one("lcm", Int, &[Int, Int], |a, _| gcd_lcm(a, true)),
        "gen_random_uuid" | "uuid_generate_v4" => one("gen_random_uuid", Uuid, &[], |_, _| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&random_u64().to_be_bytes());
            b[8..].copy_from_slice(&random_u64().to_be_bytes());
            // RFC 4122 version 4, variant 1.
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            Ok(Value::Uuid(b))
        })
        .map(|(f, p)| (volatile(f), p)),
        "setseed" => {
            return Some(Err(QueryError::unsupported(
                "setseed (random() cannot be seeded)",
            )))
        }
        "random" => one("random", Float, &[], |_, _| Ok(Value::Float(random_unit())))
            .map(|(f, p)| (volatile(f), p)),
        "greatest" | "least" => {
            let t = args.first().copied().unwrap_or(Unknown);
            let f = if name == "greatest" {
                func("greatest", t, greatest)
            } else {
                func("least", t, least)
            };
            Some((lenient(f), args.to_vec()))
        }
        _ => return None,
    };
    Some(found.ok_or_else(|| no_function(name, args)))
}

fn float1(a: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    let x = float_arg(&a[0])?;
    check_float(f(x), x.is_infinite()).map(Value::Float)
}

fn abs(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match &a[0] {
        Value::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| out_of_range("bigint")),
        Value::Decimal(d) => Ok(Value::Decimal(numeric::abs(d))),
        v => Ok(Value::Float(float_arg(v)?.abs())),
    }
}

fn sign(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match &a[0] {
        Value::Decimal(d) => Ok(Value::Decimal(Decimal::from(if d.is_zero() {
            0
        } else if d.is_negative() {
            -1
        } else {
            1
        }))),
        v => {
            let x = float_arg(v)?;
            Ok(Value::Float(if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }))
        }
    }
}

/// The digits argument of round/trunc, bounded to what a decimal can hold.
fn places(a: &[Value]) -> Result<i32> {
    Ok(match a.get(1) {
        None => 0,
        Some(v) => int_arg(v)?.clamp(-1000, 1000) as i32,
    })
}

/// A float rounded or truncated at `n` decimal places, going through its decimal value
/// so that `round(2.675::float8, 2)` rounds the printed digits.
fn float_places(x: f64, n: i32, f: fn(&Decimal, i32) -> Result<Decimal>) -> Result<f64> {
    if !x.is_finite() {
        return Ok(x);
    }
    let d = Decimal::try_from_f64(x).map_err(|_| out_of_range("value"))?;
    Ok(f(&d, n)?.to_f64())
}

fn round(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let n = places(a)?;
    match &a[0] {
        Value::Decimal(d) => numeric::round(d, n).map(Value::Decimal),
        // PostgreSQL's round(double) is rint: half to even.
        v if a.len() == 1 => Ok(Value::Float(float_arg(v)?.round_ties_even())),
        v => float_places(float_arg(v)?, n, numeric::round).map(Value::Float),
    }
}

fn trunc(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let n = places(a)?;
    match &a[0] {
        Value::Decimal(d) => numeric::trunc(d, n).map(Value::Decimal),
        v if a.len() == 1 => Ok(Value::Float(float_arg(v)?.trunc())),
        v => float_places(float_arg(v)?, n, numeric::trunc).map(Value::Float),
    }
}

fn ceil(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match &a[0] {
        Value::Decimal(d) => numeric::ceil(d).map(Value::Decimal),
        v => Ok(Value::Float(float_arg(v)?.ceil())),
    }
}

fn floor(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match &a[0] {
        Value::Decimal(d) => numeric::floor(d).map(Value::Decimal),
        v => Ok(Value::Float(float_arg(v)?.floor())),
    }
}

fn modulo(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    ops::binary_arith(ops::ArithOp::Mod, &a[0], &a[1])
}

/// `div(a, b)`: the quotient truncated toward zero (an integer for integers, a
/// numeric of scale 0 for numerics).
fn div(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match (&a[0], &a[1]) {
        (Value::Decimal(x), Value::Decimal(y)) => {
            let q = numeric::div(x, y)?;
            numeric::trunc(&q, 0).map(Value::Decimal)
        }
        (x, y) => ops::binary_arith(ops::ArithOp::Div, x, y),
    }
}

/// `gcd(a, b)` / `lcm(a, b)` of integers (non-negative; 22003 when the result does not
/// fit, as `gcd(i64::MIN, 0)`).
fn gcd_lcm(a: &[Value], lcm: bool) -> Result<Value> {
    let (x, y) = (int_arg(&a[0])?, int_arg(&a[1])?);
    let (mut p, mut q) = (x.unsigned_abs(), y.unsigned_abs());
    while q != 0 {
        (p, q) = (q, p % q);
    }
    let r = match (lcm, x.unsigned_abs().checked_div(p)) {
        (false, _) => p,
        (true, None) => 0, // a gcd of 0: both are 0
        (true, Some(k)) => k
            .checked_mul(y.unsigned_abs())
            .ok_or_else(|| out_of_range("bigint"))?,
    };
    i64::try_from(r)
        .map(Value::Int)
        .map_err(|_| out_of_range("bigint"))
}

fn power_error(message: &str) -> QueryError {
    QueryError::new(SqlState::INVALID_ARGUMENT_FOR_POWER, message.to_owned())
}

fn power(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    if let (Value::Decimal(x), Value::Decimal(y)) = (&a[0], &a[1]) {
        return decimal_power(x, y).map(Value::Decimal);
    }
    let (x, y) = (float_arg(&a[0])?, float_arg(&a[1])?);
    if x == 0.0 && y < 0.0 {
        return Err(power_error("zero raised to a negative power is undefined"));
    }
    if x < 0.0 && y.fract() != 0.0 {
        return Err(power_error(
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    check_float(x.powf(y), x.is_infinite() || y.is_infinite()).map(Value::Float)
}

/// `x ^ y` in decimals: exact (to 38 digits) by squaring for an integral `y`, through
/// floats otherwise.
fn decimal_power(x: &Decimal, y: &Decimal) -> Result<Decimal> {
    if x.is_zero() && y.is_negative() {
        return Err(power_error("zero raised to a negative power is undefined"));
    }
    match y.to_i64() {
        Some(n) if n.unsigned_abs() <= 100_000 => {
            let mut result = Decimal::from(1);
            let mut base = *x;
            let mut e = n.unsigned_abs();
            while e > 0 {
                if e & 1 == 1 {
                    result = numeric::mul(&result, &base)?;
                }
                e >>= 1;
                if e > 0 {
                    base = numeric::mul(&base, &base)?;
                }
            }
            let exact = if n < 0 {
                numeric::div(&Decimal::from(1), &result)?
            } else {
                result
            };
            // PostgreSQL's power_var_int scale: at least 16 significant digits
            // (`power(2.0, 3)` is 8.0000000000000000), never fewer than the inputs show.
            let log10 = n as f64 * x.to_f64().abs().log10();
            let wanted = (16 - log10.trunc() as i64)
                .max(i64::from(x.scale().max(0)))
                .max(i64::from(y.scale().max(0)))
                .clamp(0, 1000) as i32;
            if exact.scale() >= wanted {
                return Ok(exact);
            }
            // More digits than 38 cannot be shown: keep the exact value's own scale.
            Ok(numeric::round(&exact, wanted).unwrap_or(exact))
        }
        _ => {
            let (fx, fy) = (x.to_f64(), y.to_f64());
            if fx < 0.0 {
                return Err(power_error(
                    "a negative number raised to a non-integer power yields a complex result",
                ));
            }
            Decimal::try_from_f64(fx.powf(fy)).map_err(|_| numeric::numeric_overflow())
        }
    }
}

/// A float result for a numeric-or-float function: a decimal argument gives a decimal
/// of the float's shortest digits.
fn same_kind(arg: &Value, r: f64) -> Result<Value> {
    match arg {
        Value::Decimal(_) => Decimal::try_from_f64(r)
            .map(Value::Decimal)
            .map_err(|_| numeric::numeric_overflow()),
        _ => check_float(r, float_arg(arg)?.is_infinite()).map(Value::Float),
    }
}

fn sqrt(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let x = float_arg(&a[0])?;
    if x < 0.0 {
        return Err(power_error("cannot take square root of a negative number"));
    }
    same_kind(&a[0], x.sqrt())
}

fn exp(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let x = float_arg(&a[0])?;
    let r = x.exp();
    if r.is_infinite() && x.is_finite() {
        return Err(out_of_range("value"));
    }
    same_kind(&a[0], r)
}

fn log_error(x: f64) -> Option<QueryError> {
    let m = if x == 0.0 {
        "cannot take logarithm of zero"
    } else if x < 0.0 {
        "cannot take logarithm of a negative number"
    } else {
        return None;
    };
    Some(QueryError::new(SqlState::INVALID_ARGUMENT_FOR_LOG, m))
}

fn ln(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let x = float_arg(&a[0])?;
    if let Some(e) = log_error(x) {
        return Err(e);
    }
    same_kind(&a[0], x.ln())
}

fn log10(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let x = float_arg(&a[0])?;
    if let Some(e) = log_error(x) {
        return Err(e);
    }
    same_kind(&a[0], x.log10())
}

fn log_base(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (b, x) = (float_arg(&a[0])?, float_arg(&a[1])?);
    if let Some(e) = log_error(b).or_else(|| log_error(x)) {
        return Err(e);
    }
    if b == 1.0 {
        return Err(crate::ops::division_by_zero());
    }
    same_kind(&a[0], x.ln() / b.ln())
}

/// 64 random bits: the standard library's randomly keyed hasher over a counter (no
/// dependency; not for cryptography).
pub(super) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// A uniform float in [0, 1).
fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn pick(a: &[Value], want: std::cmp::Ordering, op: &str) -> Result<Value> {
    let mut best: Option<&Value> = None;
    for v in a.iter().filter(|v| !v.is_null()) {
        best = match best {
            None => Some(v),
            Some(b) => {
                if ops::compare(op, v, b)? == Some(want) {
                    Some(v)
                } else {
                    Some(b)
                }
            }
        };
    }
    Ok(best.cloned().unwrap_or(Value::Null))
}

fn greatest(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    pick(a, std::cmp::Ordering::Greater, ">")
}

fn least(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    pick(a, std::cmp::Ordering::Less, "<")
}
