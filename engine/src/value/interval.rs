//! SQL `INTERVAL`: months, days and microseconds kept apart, as PostgreSQL keeps them.
//!
//! The three fields are independent (a month is not a fixed number of days until it is
//! added to a date) and any combination of signs is valid. For *comparison* PostgreSQL
//! flattens an interval to one span with a month as 30 days and a day as 24 hours, so
//! `'1 mon' = '30 days'`; [`Interval::span_micros`] is that span and the SQL order of
//! intervals is the order of their spans. [`Interval::from_span`] gives the canonical
//! interval of a span (the one keys decode to).
//!
//! Text: the PostgreSQL output style, `1 year 2 mons 3 days 04:05:06.5` (zero is
//! `00:00:00`); the parser reads that style, `<number> <unit>` pairs with the usual unit
//! names and abbreviations, an `HH:MM[:SS[.f]]` time part, and a trailing `ago`.

use std::fmt;

use super::datetime::{format_time_of_day, DateTimeError, Parser, MICROS_PER_DAY};

/// Days in a month when intervals are compared (PostgreSQL's rule).
pub const DAYS_PER_MONTH: i64 = 30;

/// A span of time in months, days and microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    /// Whole months (a year is 12).
    pub months: i32,
    /// Whole days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

impl Interval {
    /// An interval of the given parts.
    pub fn new(months: i32, days: i32, micros: i64) -> Interval {
        Interval {
            months,
            days,
            micros,
        }
    }

    /// The span used for comparison: months as 30 days, days as 24 hours, in microseconds.
    pub fn span_micros(&self) -> i128 {
        (i128::from(self.months) * i128::from(DAYS_PER_MONTH) + i128::from(self.days))
            * i128::from(MICROS_PER_DAY)
            + i128::from(self.micros)
    }

    /// The canonical interval with the given span: as many whole 30-day months as fit an
    /// `i32`, then whole days, then microseconds, all with the span's sign. `None` only when
    /// no interval has this span. For every interval `i`,
    /// `from_span(i.span_micros())` exists and has the same span.
    pub fn from_span(span: i128) -> Option<Interval> {
        let day = i128::from(MICROS_PER_DAY);
        let clamp32 = |v: i128| v.clamp(i32::MIN.into(), i32::MAX.into());
        let months = clamp32(span / day / i128::from(DAYS_PER_MONTH));
        let rest = span - months * i128::from(DAYS_PER_MONTH) * day;
        let days = clamp32(rest / day);
        let micros = i64::try_from(rest - days * day).ok()?;
        Some(Interval {
            months: months as i32,
            days: days as i32,
            micros,
        })
    }

    /// Parses the PostgreSQL style (see the module documentation).
    pub fn parse(input: &str) -> Result<Interval, DateTimeError> {
        let mut p = Parser::new(input.trim_ascii(), "interval");
        let (mut months, mut days, mut micros) = (0i64, 0i64, 0i128);
        let mut any = false;
        loop {
            p.skip_spaces();
            if p.at_end() {
                break;
            }
            if p.rest().eq_ignore_ascii_case("ago") {
                p.advance(3);
                if !any {
                    return Err(p.invalid("'ago' with nothing before it"));
                }
                months = -months;
                days = -days;
                micros = -micros;
                break;
            }
            any = true;
            let negative = p.eat(b'-');
            if !negative {
                p.eat(b'+');
            }
            let sign: i64 = if negative { -1 } else { 1 };
            let Some((whole, _)) = p.digits() else {
                return Err(p.invalid("expected a number"));
            };
            if p.eat(b':') {
                // A time part, HH:MM[:SS[.f]]; the hours may pass 23 here.
                let minutes = p.fixed_digits(2, "expected two-digit minutes")?;
                let (seconds, fraction) = if p.eat(b':') {
                    (
                        p.fixed_digits(2, "expected two-digit seconds")?,
                        p.fraction_micros()?,
                    )
                } else {
                    (0, 0)
                };
                if minutes > 59 || seconds > 59 {
                    return Err(p.out_of_range());
                }
                let total = i128::from(whole) * 3_600_000_000
                    + i128::from(minutes * 60 + seconds) * 1_000_000
                    + i128::from(fraction);
                micros += i128::from(sign) * total;
                continue;
            }
            let frac = p.fraction_micros()?; // millionths of the unit
            p.skip_spaces();
            let unit_start = p.rest();
            let unit_len = unit_start
                .bytes()
                .take_while(u8::is_ascii_alphabetic)
                .count();
            let unit = unit_start[..unit_len].to_ascii_lowercase();
            p.advance(unit_len);
            let per_unit: Option<i128> = match unit.as_str() {
                "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Some(1),
                "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Some(1_000),
                "second" | "seconds" | "sec" | "secs" | "s" => Some(1_000_000),
                "minute" | "minutes" | "min" | "mins" | "m" => Some(60_000_000),
                "hour" | "hours" | "h" | "hr" | "hrs" => Some(3_600_000_000),
                _ => None,
            };
            if let Some(per) = per_unit {
                let v = i128::from(whole) * per + i128::from(frac) * per / 1_000_000;
                micros += i128::from(sign) * v;
                continue;
            }
            if frac != 0 {
                return Err(p.invalid("fractions are supported for time units only"));
            }
            let v = sign.saturating_mul(whole);
            match unit.as_str() {
                "day" | "days" | "d" => days = days.saturating_add(v),
                "week" | "weeks" | "w" => days = days.saturating_add(v.saturating_mul(7)),
                "mon" | "mons" | "month" | "months" => months = months.saturating_add(v),
                "year" | "years" | "y" | "yr" | "yrs" => {
                    months = months.saturating_add(v.saturating_mul(12))
                }
                "" => return Err(p.invalid("a number needs a unit")),
                _ => return Err(p.invalid("unknown unit")),
            }
        }
        if !any {
            return Err(p.invalid("empty interval"));
        }
        let months = i32::try_from(months).map_err(|_| p.out_of_range())?;
        let days = i32::try_from(days).map_err(|_| p.out_of_range())?;
        let micros = i64::try_from(micros).map_err(|_| p.out_of_range())?;
        Ok(Interval {
            months,
            days,
            micros,
        })
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let plural =
            |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let (years, months) = (self.months / 12, self.months % 12);
        if years != 0 {
            parts.push(plural(years.into(), "year", "years"));
        }
        if months != 0 {
            parts.push(plural(months.into(), "mon", "mons"));
        }
        if self.days != 0 {
            parts.push(plural(self.days.into(), "day", "days"));
        }
        if self.micros != 0 || parts.is_empty() {
            let sign = if self.micros < 0 { "-" } else { "" };
            let m = self.micros.unsigned_abs();
            let hours = m / 3_600_000_000;
            let rest = (m % 3_600_000_000) as i64;
            // rest < 1 hour, so format_time_of_day prints "00:MM:SS[.f]".
            let t = format_time_of_day(rest);
            parts.push(format!("{sign}{hours:02}{}", &t[2..]));
        }
        f.pad(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_postgres() {
        assert_eq!(
            Interval::new(14, 3, 14_706_500_000).to_string(),
            "1 year 2 mons 3 days 04:05:06.5"
        );
        assert_eq!(Interval::default().to_string(), "00:00:00");
        assert_eq!(
            Interval::new(-1, -1, -1_000_000).to_string(),
            "-1 mons -1 days -00:00:01"
        );
        assert_eq!(
            Interval::new(0, 0, 100 * 3_600_000_000).to_string(),
            "100:00:00"
        );
    }

    #[test]
    fn parses_units_and_time_parts() {
        let p = |s| Interval::parse(s).unwrap();
        assert_eq!(
            p("1 year 2 mons 3 days 04:05:06.5"),
            Interval::new(14, 3, 14_706_500_000)
        );
        assert_eq!(p("2 weeks"), Interval::new(0, 14, 0));
        assert_eq!(p("1.5 seconds"), Interval::new(0, 0, 1_500_000));
        assert_eq!(p("3 days ago"), Interval::new(0, -3, 0));
        assert_eq!(p("-00:00:01"), Interval::new(0, 0, -1_000_000));
        assert_eq!(p("90 min"), Interval::new(0, 0, 5_400_000_000));
        assert_eq!(p("100:00"), Interval::new(0, 0, 100 * 3_600_000_000));
        for bad in [
            "",
            "ago",
            "1",
            "1 fortnight",
            "1.5 days",
            "99999999999 years",
            "1:2",
        ] {
            assert!(Interval::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn span_compares_like_postgres() {
        assert_eq!(
            Interval::new(1, 0, 0).span_micros(),
            Interval::new(0, 30, 0).span_micros()
        );
        assert!(
            Interval::new(0, 1, 0).span_micros()
                > Interval::new(0, 0, 23 * 3_600_000_000).span_micros()
        );
    }

    fn arb_interval() -> impl Strategy<Value = Interval> {
        (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(m, d, u)| Interval::new(m, d, u))
    }

    proptest! {
        #[test]
        fn from_span_keeps_the_span(i in arb_interval()) {
            let c = Interval::from_span(i.span_micros()).unwrap();
            prop_assert_eq!(c.span_micros(), i.span_micros());
            prop_assert_eq!(Interval::from_span(c.span_micros()), Some(c));
        }

        #[test]
        fn text_round_trips(i in arb_interval()) {
            prop_assert_eq!(Interval::parse(&i.to_string()).unwrap(), i);
        }

        #[test]
        fn parse_never_panics(s in "[-+0-9:. a-z]{0,40}") {
            let _ = Interval::parse(&s);
        }
    }
}
