//! Date, time, timestamp and interval arithmetic, as PostgreSQL does it:
//!
//! * `date ± int` (days) is a date; `date - date` is an int (days);
//! * `date ± interval`, `timestamp ± interval` are timestamps (months first, clamping
//!   the day to the month's end, then days, then microseconds); `timestamptz` likewise
//!   (in UTC, covet's only zone);
//! * `timestamp - timestamp` is an interval of days and microseconds;
//! * `date + time` is a timestamp; `time ± interval` wraps around midnight;
//!   `time - time` is an interval;
//! * `interval ± interval`, `interval * number`, `interval / number`, `-interval`.
//!
//! Results out of range are 22008.

use covet_engine::value::{Date, Interval, Time, Timestamp, Value, DAYS_PER_MONTH, MICROS_PER_DAY};

use super::arith::ArithOp;
use super::division_by_zero;
use crate::error::{QueryError, Result, SqlState};

/// `22008 <what> out of range`.
pub(crate) fn datetime_overflow(what: &str) -> QueryError {
    QueryError::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("{what} out of range"),
    )
}

/// The date/time arithmetic of `left op right`, or `None` when no such operator exists
/// (the caller reports 42883).
pub(crate) fn arith(op: ArithOp, left: &Value, right: &Value) -> Option<Result<Value>> {
    use Value::*;
    let r = match (op, left, right) {
        (ArithOp::Add, Date(d), Int(n)) | (ArithOp::Add, Int(n), Date(d)) => {
            add_days(*d, *n).map(Date)
        }
        (ArithOp::Sub, Date(d), Int(n)) => match n.checked_neg() {
            Some(m) => add_days(*d, m).map(Date),
            None => Err(datetime_overflow("date")),
        },
        (ArithOp::Sub, Date(a), Date(b)) => Ok(Int(i64::from(a.days()) - i64::from(b.days()))),
        (ArithOp::Add, Date(d), Interval(i)) | (ArithOp::Add, Interval(i), Date(d)) => {
            timestamp_add(date_start(*d), i).map(Timestamp)
        }
        (ArithOp::Sub, Date(d), Interval(i)) => negate_interval(i)
            .and_then(|n| timestamp_add(date_start(*d), &n))
            .map(Timestamp),
        (ArithOp::Add, Date(d), Time(t)) | (ArithOp::Add, Time(t), Date(d)) => {
            covet_engine::value::Timestamp::from_date_time(*d, *t)
                .map(Timestamp)
                .ok_or_else(|| datetime_overflow("timestamp"))
        }
        (ArithOp::Add, Timestamp(t), Interval(i)) | (ArithOp::Add, Interval(i), Timestamp(t)) => {
            timestamp_add(*t, i).map(Timestamp)
        }
        (ArithOp::Sub, Timestamp(t), Interval(i)) => negate_interval(i)
            .and_then(|n| timestamp_add(*t, &n))
            .map(Timestamp),
        (ArithOp::Add, TimestampTz(t), Interval(i))
        | (ArithOp::Add, Interval(i), TimestampTz(t)) => timestamp_add(*t, i).map(TimestampTz),
        (ArithOp::Sub, TimestampTz(t), Interval(i)) => negate_interval(i)
            .and_then(|n| timestamp_add(*t, &n))
            .map(TimestampTz),
        (ArithOp::Sub, Timestamp(a), Timestamp(b))
        | (ArithOp::Sub, TimestampTz(a), TimestampTz(b)) => timestamp_diff(*a, *b).map(Interval),
        // A date meets a timestamp as its midnight, a timestamp meets a timestamptz as
        // UTC (PostgreSQL's implicit casts; covet's zone is UTC).
        (
            ArithOp::Sub,
            Date(_) | Timestamp(_) | TimestampTz(_),
            Date(_) | Timestamp(_) | TimestampTz(_),
        ) => match (instant(left), instant(right)) {
            (Some(a), Some(b)) => timestamp_diff(a, b).map(Interval),
            _ => return None,
        },
        (ArithOp::Add, Time(t), Interval(i)) | (ArithOp::Add, Interval(i), Time(t)) => {
            Ok(Time(time_add(*t, i.micros)))
        }
        (ArithOp::Sub, Time(t), Interval(i)) => Ok(Time(time_add(*t, i.micros.wrapping_neg()))),
        (ArithOp::Sub, Time(a), Time(b)) => Ok(Interval(covet_engine::value::Interval::new(
            0,
            0,
            a.micros() - b.micros(),
        ))),
        (ArithOp::Add, Interval(a), Interval(b)) => interval_add(a, b).map(Interval),
        (ArithOp::Sub, Interval(a), Interval(b)) => negate_interval(b)
            .and_then(|n| interval_add(a, &n))
            .map(Interval),
        (ArithOp::Mul, Interval(i), n) | (ArithOp::Mul, n, Interval(i)) if n.is_numeric() => {
            interval_scale(i, as_f64(n)).map(Interval)
        }
        (ArithOp::Div, Interval(i), n) if n.is_numeric() => {
            let f = as_f64(n);
            if f == 0.0 {
                Err(division_by_zero())
            } else {
                interval_scale(i, 1.0 / f).map(Interval)
            }
        }
        _ => return None,
    };
    Some(r)
}

/// A date, timestamp or timestamptz as an instant (a date is its midnight).
fn instant(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Date(d) => Some(date_start(*d)),
        Value::Timestamp(t) | Value::TimestampTz(t) => Some(*t),
        _ => None,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Decimal(d) => d.to_f64(),
        _ => f64::NAN,
    }
}

/// Midnight of `d` as a timestamp (dates reach further than timestamps: clamp).
pub(crate) fn date_start(d: Date) -> Timestamp {
    Timestamp::from_micros(i64::from(d.days()).saturating_mul(MICROS_PER_DAY))
}

fn add_days(d: Date, n: i64) -> Result<Date> {
    i64::from(d.days())
        .checked_add(n)
        .and_then(|x| i32::try_from(x).ok())
        .map(Date::from_days)
        .ok_or_else(|| datetime_overflow("date"))
}

/// `(y, m, d)` plus `months`, clamping the day to the end of the month.
pub(crate) fn add_months_ymd(y: i64, m: u32, d: u32, months: i64) -> (i64, u32, u32) {
    let total = y * 12 + i64::from(m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let nd = d.min(covet_engine::value::days_in_month(ny, nm));
    (ny, nm, nd)
}

/// `t + i`: months (day clamped), then days, then microseconds.
pub fn timestamp_add(t: Timestamp, i: &Interval) -> Result<Timestamp> {
    let overflow = || datetime_overflow("timestamp");
    let (date, time) = t.to_date_time();
    let mut date = date;
    if i.months != 0 {
        let (y, m, d) = date.to_ymd();
        let (ny, nm, nd) = add_months_ymd(y, m, d, i.months.into());
        date = Date::from_ymd(ny, nm, nd).ok_or_else(overflow)?;
    }
    let base = Timestamp::from_date_time(date, time).ok_or_else(overflow)?;
    let micros = i128::from(base.micros())
        + i128::from(i.days) * i128::from(MICROS_PER_DAY)
        + i128::from(i.micros);
    i64::try_from(micros)
        .map(Timestamp::from_micros)
        .map_err(|_| overflow())
}

/// `a - b` as PostgreSQL's `timestamp_mi`: whole days and the rest in microseconds,
/// both with the difference's sign.
pub fn timestamp_diff(a: Timestamp, b: Timestamp) -> Result<Interval> {
    let diff = i128::from(a.micros()) - i128::from(b.micros());
    let day = i128::from(MICROS_PER_DAY);
    let days = i32::try_from(diff / day).map_err(|_| datetime_overflow("interval"))?;
    Ok(Interval::new(0, days, (diff % day) as i64))
}

fn time_add(t: Time, micros: i64) -> Time {
    let m = (i128::from(t.micros()) + i128::from(micros)).rem_euclid(i128::from(MICROS_PER_DAY));
    Time::from_micros(m as i64).unwrap_or(Time::MIDNIGHT)
}

fn interval_add(a: &Interval, b: &Interval) -> Result<Interval> {
    let overflow = || datetime_overflow("interval");
    Ok(Interval::new(
        a.months.checked_add(b.months).ok_or_else(overflow)?,
        a.days.checked_add(b.days).ok_or_else(overflow)?,
        a.micros.checked_add(b.micros).ok_or_else(overflow)?,
    ))
}

/// `-i`.
pub fn negate_interval(i: &Interval) -> Result<Interval> {
    let overflow = || datetime_overflow("interval");
    Ok(Interval::new(
        i.months.checked_neg().ok_or_else(overflow)?,
        i.days.checked_neg().ok_or_else(overflow)?,
        i.micros.checked_neg().ok_or_else(overflow)?,
    ))
}

/// `i * f` as PostgreSQL's `interval_mul`: fractional months cascade into days (30 to a
/// month) and fractional days into microseconds.
fn interval_scale(i: &Interval, f: f64) -> Result<Interval> {
    let overflow = || datetime_overflow("interval");
    if !f.is_finite() {
        return Err(overflow());
    }
    let months = f64::from(i.months) * f;
    let days = f64::from(i.days) * f;
    let whole_months = months.trunc();
    let month_days = (months - whole_months) * DAYS_PER_MONTH as f64;
    let all_days = days + month_days;
    let whole_days = all_days.trunc();
    let micros = i.micros as f64 * f + (all_days - whole_days) * MICROS_PER_DAY as f64;
    let fits32 = |x: f64| x >= f64::from(i32::MIN) && x <= f64::from(i32::MAX);
    if !fits32(whole_months) || !fits32(whole_days) || micros.abs() >= 9.2e18 {
        return Err(overflow());
    }
    Ok(Interval::new(
        whole_months as i32,
        whole_days as i32,
        micros.round() as i64,
    ))
}

/// `age(a, b)`: the symbolic difference in years, months, days and time, as PostgreSQL
/// computes it (a negative day count borrows the earlier date's month length).
pub fn age(a: Timestamp, b: Timestamp) -> Result<Interval> {
    let (later, earlier, sign) = if a >= b { (a, b, 1) } else { (b, a, -1) };
    let (d1, t1) = later.to_date_time();
    let (d0, t0) = earlier.to_date_time();
    let (y1, m1, dd1) = d1.to_ymd();
    let (y0, m0, dd0) = d0.to_ymd();
    let mut micros = t1.micros() - t0.micros();
    let mut days = i64::from(dd1) - i64::from(dd0);
    let mut months = i64::from(m1) - i64::from(m0);
    let mut years = y1 - y0;
    if micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    }
    if days < 0 {
        // PostgreSQL borrows the length of the earlier date's month.
        days += i64::from(covet_engine::value::days_in_month(y0, m0));
        months -= 1;
    }
    if months < 0 {
        months += 12;
        years -= 1;
    }
    let total_months = years * 12 + months;
    let overflow = || datetime_overflow("interval");
    Ok(Interval::new(
        i32::try_from(sign * total_months).map_err(|_| overflow())?,
        i32::try_from(sign * days).map_err(|_| overflow())?,
        sign * micros,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::arith::binary_arith;

    fn date(s: &str) -> Value {
        Value::Date(Date::parse(s).unwrap())
    }
    fn ts(s: &str) -> Value {
        Value::Timestamp(Timestamp::parse(s).unwrap())
    }
    fn iv(s: &str) -> Value {
        Value::Interval(Interval::parse(s).unwrap())
    }

    #[test]
    fn dates_and_days() {
        assert_eq!(
            binary_arith(ArithOp::Add, &date("2024-02-28"), &Value::Int(2)).unwrap(),
            date("2024-03-01")
        );
        assert_eq!(
            binary_arith(ArithOp::Sub, &date("2024-03-01"), &Value::Int(1)).unwrap(),
            date("2024-02-29")
        );
        assert_eq!(
            binary_arith(ArithOp::Sub, &date("2024-03-01"), &date("2024-01-01")).unwrap(),
            Value::Int(60)
        );
        assert_eq!(
            binary_arith(ArithOp::Add, &date("2024-01-01"), &Value::Int(i64::MAX))
                .unwrap_err()
                .code,
            SqlState::DATETIME_FIELD_OVERFLOW
        );
    }

    #[test]
    fn intervals_on_dates_and_timestamps() {
        assert_eq!(
            binary_arith(ArithOp::Add, &date("2024-01-31"), &iv("1 mon")).unwrap(),
            ts("2024-02-29 00:00:00")
        );
        assert_eq!(
            binary_arith(
                ArithOp::Add,
                &ts("2024-01-31 10:00:00"),
                &iv("1 mon 1 day 2 hours")
            )
            .unwrap(),
            ts("2024-03-01 12:00:00")
        );
        assert_eq!(
            binary_arith(ArithOp::Sub, &ts("2024-03-31 00:00:00"), &iv("1 mon")).unwrap(),
            ts("2024-02-29 00:00:00")
        );
        assert_eq!(
            binary_arith(ArithOp::Sub, &date("2024-03-01"), &iv("1 day")).unwrap(),
            ts("2024-02-29 00:00:00")
        );
        assert_eq!(
            binary_arith(
                ArithOp::Sub,
                &ts("2024-03-02 06:00:00"),
                &ts("2024-03-01 00:00:00")
            )
            .unwrap(),
            iv("1 day 06:00:00")
        );
        assert_eq!(
            binary_arith(
                ArithOp::Sub,
                &ts("2024-03-01 00:00:00"),
                &ts("2024-03-02 06:00:00")
            )
            .unwrap(),
            iv("-1 days -06:00:00")
        );
        assert_eq!(
            binary_arith(
                ArithOp::Add,
                &date("2024-01-01"),
                &Value::Time(Time::parse("10:30").unwrap())
            )
            .unwrap(),
            ts("2024-01-01 10:30:00")
        );
        assert_eq!(
            binary_arith(
                ArithOp::Add,
                &Value::Time(Time::parse("23:00").unwrap()),
                &iv("2 hours")
            )
            .unwrap(),
            Value::Time(Time::parse("01:00").unwrap())
        );
    }

    #[test]
    fn interval_arithmetic() {
        assert_eq!(
            binary_arith(ArithOp::Add, &iv("1 day"), &iv("2 hours")).unwrap(),
            iv("1 day 02:00:00")
        );
        assert_eq!(
            binary_arith(ArithOp::Sub, &iv("1 day"), &iv("2 days")).unwrap(),
            iv("-1 days")
        );
        assert_eq!(
            binary_arith(ArithOp::Mul, &iv("1 hour"), &Value::Int(3)).unwrap(),
            iv("03:00:00")
        );
        assert_eq!(
            binary_arith(ArithOp::Mul, &iv("1 mon"), &Value::Float(1.5)).unwrap(),
            iv("1 mon 15 days")
        );
        assert_eq!(
            binary_arith(ArithOp::Div, &iv("1 day"), &Value::Int(4)).unwrap(),
            iv("06:00:00")
        );
        assert_eq!(
            binary_arith(ArithOp::Div, &iv("1 day"), &Value::Int(0))
                .unwrap_err()
                .code,
            SqlState::DIVISION_BY_ZERO
        );
        assert_eq!(
            crate::ops::arith::negate(&iv("1 day")).unwrap(),
            iv("-1 days")
        );
    }

    #[test]
    fn age_borrows_months() {
        let t = |s: &str| Timestamp::parse(s).unwrap();
        assert_eq!(
            age(t("2024-03-15 00:00:00"), t("2023-01-20 00:00:00")).unwrap(),
            Interval::new(13, 26, 0)
        );
        assert_eq!(
            age(t("2023-01-20 00:00:00"), t("2024-03-15 00:00:00")).unwrap(),
            Interval::new(-13, -26, 0)
        );
        // PostgreSQL's documented example.
        assert_eq!(
            age(t("2001-04-10 00:00:00"), t("1957-06-13 00:00:00")).unwrap(),
            Interval::new(43 * 12 + 9, 27, 0)
        );
        assert_eq!(
            age(t("2024-01-01 10:00:00"), t("2024-01-01 12:00:00")).unwrap(),
            Interval::new(0, 0, -7_200_000_000)
        );
    }

    #[test]
    fn dates_and_timestamps_subtract_as_instants() {
        assert_eq!(
            binary_arith(
                ArithOp::Sub,
                &ts("2024-03-02 06:00:00"),
                &date("2024-03-01")
            )
            .unwrap(),
            iv("1 day 06:00:00")
        );
        assert_eq!(
            binary_arith(
                ArithOp::Sub,
                &date("2024-03-01"),
                &ts("2024-03-01 06:00:00")
            )
            .unwrap(),
            iv("-06:00:00")
        );
        let tz = Value::TimestampTz(Timestamp::parse("2024-03-01 01:00:00").unwrap());
        assert_eq!(
            binary_arith(ArithOp::Sub, &tz, &ts("2024-03-01 00:00:00")).unwrap(),
            iv("01:00:00")
        );
        // date - date stays a day count.
        assert_eq!(
            binary_arith(ArithOp::Sub, &date("2024-03-02"), &date("2024-03-01")).unwrap(),
            Value::Int(1)
        );
    }
}
