//! SQL `DATE`, `TIME` and `TIMESTAMP[TZ]` values, and the civil-calendar arithmetic under them.
//!
//! Representations (all proleptic Gregorian, astronomical year numbering: year 0 is 1 BC):
//!
//! * [`Date`]: days since 1970-01-01 as `i32` — every `i32` is a valid date;
//! * [`Time`]: microseconds since midnight, invariant `0 <= micros < 86_400_000_000`;
//! * [`Timestamp`]: microseconds since 1970-01-01 00:00:00 as `i64` — every `i64` is valid.
//!   `TIMESTAMPTZ` values use the same type and always hold UTC.
//!
//! Text forms are ISO 8601 with a space separator, as PostgreSQL prints them:
//! `2024-02-29`, `13:45:00.123456` (fraction only when non-zero, trailing zeros trimmed),
//! `2024-02-29 13:45:00`, and for time zones `2024-02-29 13:45:00+00`. Years outside
//! `0..=9999` print with more digits and a leading `-` when negative; everything printed
//! parses back to the same value.

use std::fmt;

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Microseconds in a second.
pub const MICROS_PER_SECOND: i64 = 1_000_000;

/// Why a date, time, timestamp or interval could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateTimeError {
    /// The text does not have the expected shape.
    #[error("invalid {kind} {input:?}: {reason}")]
    Invalid {
        /// What was being parsed (`"date"`, `"time"`, `"timestamp"`, `"interval"`).
        kind: &'static str,
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The fields are well formed but the value does not exist or does not fit.
    #[error("{kind} {input:?} is out of range")]
    OutOfRange {
        /// What was being built.
        kind: &'static str,
        /// The text (or fields) given.
        input: String,
    },
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's `days_from_civil`).
/// `month` must be `1..=12`; `day` is not checked against the month.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let mp = i64::from((month + 9) % 12); // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count from 1970-01-01 (Hinnant's
/// `civil_from_days`); exact for every `i64` whose result year fits.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (era * 400 + yoe + i64::from(month <= 2), month, day)
}

/// Whether `year` is a leap year in the proleptic Gregorian calendar.
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (`1..=12`) of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A calendar date: days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// The date `days` days after 1970-01-01 (before it when negative).
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// The date of a civil year, month (`1..=12`) and day, if it exists and fits.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Bound the year first so the day arithmetic cannot overflow.
        if year.unsigned_abs() > 10_000_000 {
            return None;
        }
        i32::try_from(days_from_civil(year, month, day))
            .ok()
            .map(Date)
    }

    /// The civil `(year, month, day)` of this date.
    pub fn to_ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.0.into())
    }

    /// Parses `[-]YYYY-MM-DD` (four or more year digits).
    pub fn parse(input: &str) -> Result<Date, DateTimeError> {
        let mut p = Parser::new(input.trim_ascii(), "date");
        let date = p.date()?;
        p.end()?;
        Ok(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        let sign = if y < 0 { "-" } else { "" };
        f.pad(&format!("{sign}{:04}-{m:02}-{d:02}", y.unsigned_abs()))
    }
}

/// A time of day: microseconds since midnight, always `< 86_400_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    /// Midnight.
    pub const MIDNIGHT: Time = Time(0);

    /// The time `micros` microseconds after midnight, if that is within one day.
    pub fn from_micros(micros: i64) -> Option<Time> {
        (0..MICROS_PER_DAY)
            .contains(&micros)
            .then_some(Time(micros))
    }

    /// The time of hour `0..=23`, minute `0..=59`, second `0..=59` and microsecond.
    pub fn from_hms_micro(hour: u32, minute: u32, second: u32, micro: u32) -> Option<Time> {
        if hour > 23 || minute > 59 || second > 59 || micro > 999_999 {
            return None;
        }
        let secs = i64::from(hour * 3600 + minute * 60 + second);
        Some(Time(secs * MICROS_PER_SECOND + i64::from(micro)))
    }

    /// Microseconds since midnight.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// `(hour, minute, second, microsecond)`.
    pub fn to_hms_micro(self) -> (u32, u32, u32, u32) {
        let secs = self.0 / MICROS_PER_SECOND;
        let micro = (self.0 % MICROS_PER_SECOND) as u32;
        (
            (secs / 3600) as u32,
            (secs / 60 % 60) as u32,
            (secs % 60) as u32,
            micro,
        )
    }

    /// Parses `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction` (fraction rounded to microseconds).
    pub fn parse(input: &str) -> Result<Time, DateTimeError> {
        let mut p = Parser::new(input.trim_ascii(), "time");
        let micros = p.time_of_day()?;
        p.end()?;
        Time::from_micros(micros).ok_or_else(|| p.out_of_range())
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format_time_of_day(self.0))
    }
}

/// `HH:MM:SS[.ffffff]` for `micros` in one day, fraction trimmed of trailing zeros.
pub(crate) fn format_time_of_day(micros: i64) -> String {
    let secs = micros / MICROS_PER_SECOND;
    let frac = micros % MICROS_PER_SECOND;
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let digits = format!("{frac:06}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s
}

/// A point in time: microseconds since 1970-01-01 00:00:00 (UTC for `TIMESTAMPTZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `micros` microseconds after the epoch.
    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    /// Microseconds since the epoch.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// The timestamp at `time` on `date`, if it fits (dates reach further than timestamps:
    /// about ±5.8 million years against ±292 thousand).
    pub fn from_date_time(date: Date, time: Time) -> Option<Timestamp> {
        let micros = i128::from(date.0) * i128::from(MICROS_PER_DAY) + i128::from(time.0);
        i64::try_from(micros).ok().map(Timestamp)
    }

    /// The date and time of day of this timestamp.
    pub fn to_date_time(self) -> (Date, Time) {
        // |micros / day| < 2^63 / 8.64e10 ≈ 1.07e8, which fits an i32.
        let days = self.0.div_euclid(MICROS_PER_DAY) as i32;
        (Date(days), Time(self.0.rem_euclid(MICROS_PER_DAY)))
    }

    /// Parses `DATE[( |T)TIME]`, e.g. `2024-02-29 13:45:00` or `2024-02-29T13:45`.
    pub fn parse(input: &str) -> Result<Timestamp, DateTimeError> {
        let mut p = Parser::new(input.trim_ascii(), "timestamp");
        let ts = p.timestamp()?;
        p.end()?;
        Ok(ts)
    }

    /// Parses a timestamp with an optional zone suffix (`Z`, `UTC`, `+HH`, `+HHMM`,
    /// `+HH:MM`, or the same with `-`), returning the UTC instant. No suffix means UTC.
    pub fn parse_tz(input: &str) -> Result<Timestamp, DateTimeError> {
        let mut p = Parser::new(input.trim_ascii(), "timestamptz");
        let ts = p.timestamp()?;
        p.skip_spaces();
        let offset = p.zone_offset()?;
        p.end()?;
        ts.0.checked_sub(offset)
            .map(Timestamp)
            .ok_or_else(|| p.out_of_range())
    }

    /// A `Display` of this instant as `TIMESTAMPTZ` in UTC: `2024-02-29 13:45:00+00`.
    pub fn display_tz(self) -> impl fmt::Display {
        struct Tz(Timestamp);
        impl fmt::Display for Tz {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&format!("{}+00", self.0))
            }
        }
        Tz(self)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, time) = self.to_date_time();
        f.pad(&format!("{date} {time}"))
    }
}

/// A cursor over ASCII text, shared by the date, time, timestamp and interval parsers.
pub(crate) struct Parser<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    kind: &'static str,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(input: &'a str, kind: &'static str) -> Parser<'a> {
        Parser {
            input,
            bytes: input.as_bytes(),
            pos: 0,
            kind,
        }
    }

    pub(crate) fn invalid(&self, reason: &'static str) -> DateTimeError {
        DateTimeError::Invalid {
            kind: self.kind,
            input: self.input.to_owned(),
            reason,
        }
    }

    pub(crate) fn out_of_range(&self) -> DateTimeError {
        DateTimeError::OutOfRange {
            kind: self.kind,
            input: self.input.to_owned(),
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, b: u8, reason: &'static str) -> Result<(), DateTimeError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.invalid(reason))
        }
    }

    pub(crate) fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    pub(crate) fn end(&self) -> Result<(), DateTimeError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.invalid("unexpected trailing characters"))
        }
    }

    /// The rest of the input from the cursor.
    pub(crate) fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes.len());
    }

    /// A run of digits as a number, with its length; `None` when no digit is next.
    /// Saturates far beyond any valid field, so overflow shows up as a range error.
    pub(crate) fn digits(&mut self) -> Option<(i64, usize)> {
        let start = self.pos;
        let mut v: i64 = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
            self.pos += 1;
        }
        (self.pos > start).then_some((v, self.pos - start))
    }

    pub(crate) fn fixed_digits(
        &mut self,
        n: usize,
        reason: &'static str,
    ) -> Result<i64, DateTimeError> {
        match self.digits() {
            Some((v, len)) if len == n => Ok(v),
            _ => Err(self.invalid(reason)),
        }
    }

    /// `.fraction` after seconds, as microseconds rounded half up (may be 1_000_000).
    pub(crate) fn fraction_micros(&mut self) -> Result<i64, DateTimeError> {
        if !self.eat(b'.') {
            return Ok(0);
        }
        let start = self.pos;
        let mut micros = 0i64;
        let mut round_up = false;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            let n = self.pos - start;
            if n < 6 {
                micros = micros * 10 + i64::from(b - b'0');
            } else if n == 6 {
                round_up = b >= b'5';
            }
            self.pos += 1;
        }
        let n = self.pos - start;
        if n == 0 {
            return Err(self.invalid("missing digits after '.'"));
        }
        for _ in n..6 {
            micros *= 10;
        }
        Ok(micros + i64::from(round_up))
    }

    pub(crate) fn date(&mut self) -> Result<Date, DateTimeError> {
        let negative = self.eat(b'-');
        if !negative {
            self.eat(b'+');
        }
        let year = match self.digits() {
            Some((y, len)) if len >= 4 => y,
            _ => return Err(self.invalid("expected a year of four or more digits")),
        };
        self.expect(b'-', "expected '-' after the year")?;
        let month = self.fixed_digits(2, "expected a two-digit month")?;
        self.expect(b'-', "expected '-' after the month")?;
        let day = self.fixed_digits(2, "expected a two-digit day")?;
        let year = if negative { -year } else { year };
        let (month, day) = (
            u32::try_from(month).unwrap_or(0),
            u32::try_from(day).unwrap_or(0),
        );
        Date::from_ymd(year, month, day).ok_or_else(|| self.out_of_range())
    }

    /// `HH:MM[:SS[.f]]` as microseconds; may equal one day after fraction rounding.
    pub(crate) fn time_of_day(&mut self) -> Result<i64, DateTimeError> {
        let hour = self.fixed_digits(2, "expected a two-digit hour")?;
        self.expect(b':', "expected ':' after the hour")?;
        let minute = self.fixed_digits(2, "expected two-digit minutes")?;
        let (second, micros) = if self.eat(b':') {
            (
                self.fixed_digits(2, "expected two-digit seconds")?,
                self.fraction_micros()?,
            )
        } else {
            (0, 0)
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(self.out_of_range());
        }
        Ok((hour * 3600 + minute * 60 + second) * MICROS_PER_SECOND + micros)
    }

    pub(crate) fn timestamp(&mut self) -> Result<Timestamp, DateTimeError> {
        let date = self.date()?;
        let micros = if self.eat(b' ') || self.eat(b'T') || self.eat(b't') {
            self.skip_spaces();
            self.time_of_day()?
        } else {
            0
        };
        // i128: the day's start may lie outside the i64 range while the instant is inside.
        let total = i128::from(date.0) * i128::from(MICROS_PER_DAY) + i128::from(micros);
        i64::try_from(total)
            .map(Timestamp)
            .map_err(|_| self.out_of_range())
    }

    /// A zone suffix as an offset east of UTC in microseconds (0 when absent).
    fn zone_offset(&mut self) -> Result<i64, DateTimeError> {
        if self.at_end() {
            return Ok(0);
        }
        let rest = self.rest();
        if rest.eq_ignore_ascii_case("z") || rest.eq_ignore_ascii_case("utc") {
            self.advance(rest.len());
            return Ok(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Err(self.invalid("expected a time zone offset"));
        };
        let (hours, minutes) = match self.digits() {
            Some((h, 2)) => {
                let m = if self.eat(b':') {
                    self.fixed_digits(2, "expected two-digit offset minutes")?
                } else {
                    self.digits().filter(|&(_, n)| n == 2).map_or(0, |(m, _)| m)
                };
                (h, m)
            }
            Some((hm, 4)) => (hm / 100, hm % 100),
            _ => return Err(self.invalid("malformed time zone offset")),
        };
        if hours > 15 || minutes > 59 {
            return Err(self.out_of_range());
        }
        Ok(sign * (hours * 3600 + minutes * 60) * MICROS_PER_SECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(Date::parse("1970-01-01").unwrap().days(), 0);
        assert_eq!(Date::parse("2000-03-01").unwrap().days(), 11_017);
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("1969-12-31").unwrap().days(), -1);
        assert_eq!(Date::parse("0000-01-01").unwrap().days(), -719_528);
        assert_eq!(Date::from_days(-719_529).to_string(), "-0001-12-31");
        assert_eq!(Date::parse("-0001-12-31").unwrap().days(), -719_529);
        assert_eq!(
            Date::parse("12345-06-07").unwrap().to_string(),
            "12345-06-07"
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "24-01-01",
            "2024-01-01x",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("1900-02-29").is_err());
        assert!(Date::parse("99999999-01-01").is_err());
    }

    #[test]
    fn times_and_timestamps() {
        let t = Time::parse("13:45:00.123456").unwrap();
        assert_eq!(t.to_hms_micro(), (13, 45, 0, 123_456));
        assert_eq!(t.to_string(), "13:45:00.123456");
        assert_eq!(Time::parse("13:45").unwrap().to_string(), "13:45:00");
        assert_eq!(Time::parse("00:00:00.5").unwrap().to_string(), "00:00:00.5");
        assert_eq!(Time::parse("00:00:00.0000004").unwrap(), Time::MIDNIGHT);
        assert!(Time::parse("23:59:59.9999999").is_err());
        assert!(Time::parse("24:00:00").is_err());
        assert!(Time::parse("12:60").is_err());
        let ts = Timestamp::parse("2024-02-29 13:45:00").unwrap();
        assert_eq!(ts.to_string(), "2024-02-29 13:45:00");
        assert_eq!(Timestamp::parse("2024-02-29T13:45:00").unwrap(), ts);
        assert_eq!(Timestamp::parse("1970-01-01").unwrap().micros(), 0);
        assert_eq!(
            Timestamp::parse("1969-12-31 23:59:59.999999")
                .unwrap()
                .micros(),
            -1
        );
        assert_eq!(Timestamp::parse_tz("2024-02-29 15:45:00+02").unwrap(), ts);
        assert_eq!(
            Timestamp::parse_tz("2024-02-29 08:15:00-05:30").unwrap(),
            ts
        );
        assert_eq!(Timestamp::parse_tz("2024-02-29T13:45:00Z").unwrap(), ts);
        assert_eq!(ts.display_tz().to_string(), "2024-02-29 13:45:00+00");
        assert_eq!(
            Timestamp::parse_tz(&ts.display_tz().to_string()).unwrap(),
            ts
        );
        assert!(Timestamp::parse_tz("2024-02-29 13:45:00+2").is_err());
    }

    proptest! {
        #[test]
        fn civil_round_trips(days in -1_000_000_000i64..1_000_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
            prop_assert_eq!(days_from_civil(y, m, d), days);
            let (y2, m2, d2) = civil_from_days(days + 1);
            // The next day is the next civil date.
            let next = if d < days_in_month(y, m) { (y, m, d + 1) }
                       else if m < 12 { (y, m + 1, 1) } else { (y + 1, 1, 1) };
            prop_assert_eq!((y2, m2, d2), next);
        }

        #[test]
        fn date_text_round_trips(days in any::<i32>()) {
            let date = Date::from_days(days);
            prop_assert_eq!(Date::parse(&date.to_string()).unwrap(), date);
        }

        #[test]
        fn timestamp_text_round_trips(micros in any::<i64>()) {
            let ts = Timestamp::from_micros(micros);
            prop_assert_eq!(Timestamp::parse(&ts.to_string()).unwrap(), ts);
        }

        #[test]
        fn parsers_never_panic(s in "[-+0-9:. TZz]{0,40}") {
            let _ = Date::parse(&s);
            let _ = Time::parse(&s);
            let _ = Timestamp::parse(&s);
            let _ = Timestamp::parse_tz(&s);
        }
    }
}
