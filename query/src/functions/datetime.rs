//! Date and time functions: the statement clock (`now()`, `current_date`, …), field
//! extraction (`extract`, `date_part`), `date_trunc`, `age`, `to_char`, `make_date`,
//! `to_timestamp`. covet's only time zone is UTC.

use covet_engine::value::{Date, Decimal, Timestamp, Value, MICROS_PER_DAY, MICROS_PER_SECOND};

use super::registry::{float_arg, func, int_arg, no_function, text_arg, volatile, Resolved};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::EvalContext;
use crate::ops::datetime::{age, date_start, datetime_overflow};
use crate::types::DataType::{self, *};

/// The date/time function `name(args)`, if `name` is one.
pub(super) fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
    let clock = |n: &'static str, ret: DataType, f: super::registry::EvalFn| {
        args.is_empty().then(|| (volatile(func(n, ret, f)), vec![]))
    };
    // A timestamp-like argument: date and unknown read as timestamp.
    let instant = |t: DataType| match t {
        Timestamp | TimestampTz | Interval | Time => Some(t),
        Date | Unknown => Some(Timestamp),
        _ => None,
    };
    let found: Option<Resolved> = match name {
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp" => clock("now", TimestampTz, |_, c| {
            Ok(Value::TimestampTz(Timestamp::from_micros(
                c.statement_time_micros(),
            )))
        }),
        "localtimestamp" => clock("localtimestamp", Timestamp, |_, c| {
            Ok(Value::Timestamp(Timestamp::from_micros(
                c.statement_time_micros(),
            )))
        }),
        "current_date" => clock("current_date", Date, |_, c| {
            Ok(Value::Date(
                Timestamp::from_micros(c.statement_time_micros())
                    .to_date_time()
                    .0,
            ))
        }),
        "current_time" | "localtime" => clock("current_time", Time, |_, c| {
            Ok(Value::Time(
                Timestamp::from_micros(c.statement_time_micros())
                    .to_date_time()
                    .1,
            ))
        }),
        "extract" | "date_part" => match args {
            [Text | Unknown, t] => instant(*t).map(|t| {
                if name == "extract" {
                    (func("extract", Decimal, extract), vec![Text, t])
                } else {
                    (func("date_part", Float, date_part), vec![Text, t])
                }
            }),
            _ => None,
        },
        "date_trunc" => match args {
            [Text | Unknown, t] => instant(*t)
                .filter(|t| matches!(t, Timestamp | TimestampTz))
                .map(|t| (func("date_trunc", t, date_trunc), vec![Text, t])),
            _ => None,
        },
        "age" => match args {
            [a, b] => match (instant(*a), instant(*b)) {
                (Some(Timestamp | TimestampTz), Some(Timestamp | TimestampTz)) => {
                    Some((func("age", Interval, age2), vec![Timestamp, Timestamp]))
                }
                _ => None,
            },
            [a] => matches!(instant(*a), Some(Timestamp | TimestampTz))
                .then(|| (volatile(func("age", Interval, age1)), vec![Timestamp])),
            _ => None,
        },
        "to_char" => match args {
            [t, Text | Unknown] => match instant(*t) {
                Some(t @ (Timestamp | TimestampTz)) => {
                    Some((func("to_char", Text, to_char), vec![t, Text]))
                }
                _ => return Some(Err(QueryError::unsupported(format!("to_char of {t}")))),
            },
            _ => None,
        },
        "make_date" => super::registry::signature(args, &[Int, Int, Int])
            .map(|p| (func("make_date", Date, make_date), p)),
        "to_timestamp" => super::registry::signature(args, &[Float])
            .map(|p| (func("to_timestamp", TimestampTz, to_timestamp), p)),
        _ => return None,
    };
    Some(found.ok_or_else(|| no_function(name, args)))
}

fn invalid_field(field: &str, ty: &str) -> QueryError {
    QueryError::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("unit \"{field}\" not supported for type {ty}"),
    )
}

/// A field of a timestamp (or date, time, interval) in microseconds-exact form:
/// `(integer part, microseconds of fraction)` so that numeric and float results agree.
fn field_value(field: &str, v: &Value) -> Result<Decimal> {
    let f = field.to_ascii_lowercase();
    let dec = |i: i64| Decimal::from(i);
    let with_micros = |whole_micros: i64| -> Result<Decimal> {
        // seconds with a 6-digit fraction
        let negative = whole_micros < 0;
        Decimal::new(negative, u128::from(whole_micros.unsigned_abs()), 6)
            .map_err(|_| crate::ops::numeric::numeric_overflow())
    };
    match v {
        Value::Interval(i) => {
            let total_secs_micros = i.micros;
            return Ok(match f.as_str() {
                "year" | "years" => dec(i64::from(i.months / 12)),
                "month" | "months" | "mon" => dec(i64::from(i.months % 12)),
                "day" | "days" => dec(i64::from(i.days)),
                "hour" | "hours" => dec(total_secs_micros / 3_600_000_000),
                "minute" | "minutes" => dec(total_secs_micros / 60_000_000 % 60),
                "second" | "seconds" => with_micros(total_secs_micros % 60_000_000)?,
                "millisecond" | "milliseconds" => Decimal::new(
                    total_secs_micros < 0,
                    u128::from((total_secs_micros % 60_000_000).unsigned_abs()),
                    3,
                )
                .map_err(|_| crate::ops::numeric::numeric_overflow())?,
                "microsecond" | "microseconds" => dec(total_secs_micros % 60_000_000),
                "epoch" => {
                    let span = i.span_micros();
                    let neg = span < 0;
                    Decimal::new(neg, span.unsigned_abs(), 6)
                        .map_err(|_| crate::ops::numeric::numeric_overflow())?
                }
                _ => return Err(invalid_field(field, "interval")),
            });
        }
        Value::Time(t) => {
            let m = t.micros();
            return Ok(match f.as_str() {
                "hour" | "hours" => dec(m / 3_600_000_000),
                "minute" | "minutes" => dec(m / 60_000_000 % 60),
                "second" | "seconds" => with_micros(m % 60_000_000)?,
                "millisecond" | "milliseconds" => {
                    Decimal::new(false, u128::from((m % 60_000_000) as u64), 3)
                        .map_err(|_| crate::ops::numeric::numeric_overflow())?
                }
                "microsecond" | "microseconds" => dec(m % 60_000_000),
                "epoch" => with_micros(m)?,
                _ => return Err(invalid_field(field, "time without time zone")),
            });
        }
        _ => {}
    }
    let ts = match v {
        Value::Timestamp(t) | Value::TimestampTz(t) => *t,
        Value::Date(d) => date_start(*d),
        other => {
            return Err(QueryError::internal(format!(
                "extract from {}",
                other.type_name()
            )))
        }
    };
    let (date, time) = ts.to_date_time();
    let (y, mo, d) = date.to_ymd();
    let tm = time.micros();
    let dow = (i64::from(date.days()) + 4).rem_euclid(7); // 1970-01-01 was a Thursday
    let doy = i64::from(date.days()) - days_from_year_start(y) + 1;
    Ok(match f.as_str() {
        "year" | "years" => dec(y),
        "month" | "months" | "mon" => dec(i64::from(mo)),
        "day" | "days" => dec(i64::from(d)),
        "hour" | "hours" => dec(tm / 3_600_000_000),
        "minute" | "minutes" => dec(tm / 60_000_000 % 60),
        "second" | "seconds" => with_micros(tm % 60_000_000)?,
        "millisecond" | "milliseconds" => {
            Decimal::new(false, u128::from((tm % 60_000_000) as u64), 3)
                .map_err(|_| crate::ops::numeric::numeric_overflow())?
        }
        "microsecond" | "microseconds" => dec(tm % 60_000_000),
        "dow" => dec(dow),
        "isodow" => dec(if dow == 0 { 7 } else { dow }),
        "doy" => dec(doy),
        "quarter" => dec(i64::from((mo - 1) / 3 + 1)),
        "week" => dec(iso_week(date).1),
        "isoyear" => dec(iso_week(date).0),
        "decade" => dec(y.div_euclid(10)),
        "century" => dec(if y > 0 {
            (y + 99) / 100
        } else {
            -((99 - y) / 100)
        }),
        "millennium" => dec(if y > 0 {
            (y + 999) / 1000
        } else {
            -((999 - y) / 1000)
        }),
        "epoch" => with_micros(ts.micros())?,
        "julian" => dec(i64::from(date.days()) + 2_440_588),
        _ => return Err(invalid_field(field, "timestamp")),
    })
}

fn days_from_year_start(y: i64) -> i64 {
    covet_engine::value::days_from_civil(y, 1, 1)
}

/// The ISO 8601 (year, week) of a date: weeks start on Monday and week 1 holds the
/// year's first Thursday.
fn iso_week(date: Date) -> (i64, i64) {
    let days = i64::from(date.days());
    let isodow = (days + 3).rem_euclid(7) + 1; // Monday = 1
    let thursday = days - isodow + 4;
    let (year, _, _) = covet_engine::value::civil_from_days(thursday);
    let week = (thursday - days_from_year_start(year)) / 7 + 1;
    (year, week)
}

fn extract(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    field_value(text_arg(&a[0])?, &a[1]).map(Value::Decimal)
}

fn date_part(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    field_value(text_arg(&a[0])?, &a[1]).map(|d| Value::Float(d.to_f64()))
}

fn date_trunc(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let field = text_arg(&a[0])?.to_ascii_lowercase();
    let (ts, tz) = match &a[1] {
        Value::Timestamp(t) => (*t, false),
        Value::TimestampTz(t) => (*t, true),
        other => {
            return Err(QueryError::internal(format!(
                "date_trunc of {}",
                other.type_name()
            )))
        }
    };
    let (date, time) = ts.to_date_time();
    let (y, m, _) = date.to_ymd();
    let tm = time.micros();
    let day_start = |d: Date| date_start(d).micros();
    let ymd =
        |y: i64, m: u32| Date::from_ymd(y, m, 1).ok_or_else(|| datetime_overflow("timestamp"));
    let micros = match field.as_str() {
        "microseconds" | "microsecond" => ts.micros(),
        "milliseconds" | "millisecond" => ts.micros() - tm % 1_000,
        "second" | "seconds" => ts.micros() - tm % MICROS_PER_SECOND,
        "minute" | "minutes" => ts.micros() - tm % 60_000_000,
        "hour" | "hours" => ts.micros() - tm % 3_600_000_000,
        "day" | "days" => day_start(date),
        "week" | "weeks" => {
            let isodow = (i64::from(date.days()) + 3).rem_euclid(7);
            day_start(Date::from_days(date.days() - isodow as i32))
        }
        "month" | "months" => day_start(ymd(y, m)?),
        "quarter" => day_start(ymd(y, (m - 1) / 3 * 3 + 1)?),
        "year" | "years" => day_start(ymd(y, 1)?),
        "decade" => day_start(ymd(y.div_euclid(10) * 10, 1)?),
        "century" => day_start(ymd(if y > 0 { (y - 1) / 100 * 100 + 1 } else { y }, 1)?),
        "millennium" => day_start(ymd(if y > 0 { (y - 1) / 1000 * 1000 + 1 } else { y }, 1)?),
        _ => return Err(invalid_field(&field, "timestamp")),
    };
    let t = Timestamp::from_micros(micros);
    Ok(if tz {
        Value::TimestampTz(t)
    } else {
        Value::Timestamp(t)
    })
}

fn ts_arg(v: &Value) -> Result<Timestamp> {
    match v {
        Value::Timestamp(t) | Value::TimestampTz(t) => Ok(*t),
        Value::Date(d) => Ok(date_start(*d)),
        other => Err(QueryError::internal(format!(
            "expected a timestamp, got {}",
            other.type_name()
        ))),
    }
}

fn age2(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    age(ts_arg(&a[0])?, ts_arg(&a[1])?).map(Value::Interval)
}

fn age1(a: &[Value], c: &dyn EvalContext) -> Result<Value> {
    let today = Timestamp::from_micros(
        c.statement_time_micros().div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY,
    );
    age(today, ts_arg(&a[0])?).map(Value::Interval)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `to_char(timestamp, format)` with the common patterns: YYYY YY MM DD DDD D HH24
/// HH12 HH MI SS MS US AM PM Month Mon Day Dy Q, the FM modifier, and "quoted"
/// literal text.
fn to_char(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let ts = ts_arg(&a[0])?;
    let fmt = text_arg(&a[1])?;
    let (date, time) = ts.to_date_time();
    let (y, mo, d) = date.to_ymd();
    let (h, mi, s, us) = time.to_hms_micro();
    let dow = (i64::from(date.days()) + 4).rem_euclid(7) as usize;
    let doy = i64::from(date.days()) - days_from_year_start(y) + 1;
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let tokens: [(&str, String); 25] = [
        ("YYYY", format!("{y:04}")),
        ("YY", format!("{:02}", y.rem_euclid(100))),
        (
            "MONTH",
            format!("{:<9}", MONTHS[mo as usize - 1].to_uppercase()),
        ),
        ("Month", format!("{:<9}", MONTHS[mo as usize - 1])),
        (
            "month",
            format!("{:<9}", MONTHS[mo as usize - 1].to_lowercase()),
        ),
        ("MON", MONTHS[mo as usize - 1][..3].to_uppercase()),
        ("Mon", MONTHS[mo as usize - 1][..3].to_owned()),
        ("MM", format!("{mo:02}")),
        ("DAY", format!("{:<9}", DAYS[dow].to_uppercase())),
        ("Day", format!("{:<9}", DAYS[dow])),
        ("DY", DAYS[dow][..3].to_uppercase()),
        ("Dy", DAYS[dow][..3].to_owned()),
        ("DDD", format!("{doy:03}")),
        ("DD", format!("{d:02}")),
        ("D", format!("{}", dow + 1)),
        ("HH24", format!("{h:02}")),
        ("HH12", format!("{h12:02}")),
        ("HH", format!("{h12:02}")),
        ("MI", format!("{mi:02}")),
        ("SS", format!("{s:02}")),
        ("MS", format!("{:03}", us / 1000)),
        ("US", format!("{us:06}")),
        ("AM", if h < 12 { "AM" } else { "PM" }.to_owned()),
        ("PM", if h < 12 { "AM" } else { "PM" }.to_owned()),
        ("Q", format!("{}", (mo - 1) / 3 + 1)),
    ];
    let mut out = String::new();
    let mut rest = fmt;
    let mut fill_mode = false;
    'outer: while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            out.push_str(&after[..end]);
            rest = after.get(end + 1..).unwrap_or("");
            continue;
        }
        // FM ("fill mode") drops the next field's padding: leading zeros of numbers,
        // trailing blanks of names.
        if let Some(r) = rest.strip_prefix("FM") {
            fill_mode = true;
            rest = r;
            continue;
        }
        for (pat, val) in &tokens {
            if let Some(r) = rest.strip_prefix(pat) {
                if fill_mode {
                    let trimmed = val.trim_end();
                    let digits = trimmed.trim_start_matches('0');
                    let numeric = trimmed.bytes().all(|b| b.is_ascii_digit());
                    out.push_str(if numeric && !digits.is_empty() {
                        digits
                    } else if numeric {
                        "0"
                    } else {
                        trimmed
                    });
                    fill_mode = false;
                } else {
                    out.push_str(val);
                }
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(Value::Text(out))
}

fn make_date(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (y, m, d) = (int_arg(&a[0])?, int_arg(&a[1])?, int_arg(&a[2])?);
    let bad = || {
        QueryError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date field value out of range: {y}-{m:02}-{d:02}"),
        )
    };
    // PostgreSQL: a negative year is BC (year 0 does not exist).
    let year = match y {
        0 => return Err(bad()),
        y if y < 0 => y + 1,
        y => y,
    };
    let (m, d) = (
        u32::try_from(m).map_err(|_| bad())?,
        u32::try_from(d).map_err(|_| bad())?,
    );
    Date::from_ymd(year, m, d).map(Value::Date).ok_or_else(bad)
}

fn to_timestamp(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let secs = float_arg(&a[0])?;
    let micros = (secs * 1e6).round();
    if !micros.is_finite() || micros.abs() >= 9.2e18 {
        return Err(datetime_overflow("timestamp"));
    }
    Ok(Value::TimestampTz(Timestamp::from_micros(micros as i64)))
}
