//! Integer settings with units, parsed and shown as PostgreSQL does (`guc.c`'s
//! `parse_int` and `_ShowOption`).
//!
//! A value is a number (an integer or a decimal, `1.5`, `1e3`), optional spaces, and
//! an optional unit, case-sensitive; no unit means the parameter's base unit. The
//! value is converted to the base unit and rounded half to even (`rint`): `1.5` ms is
//! 2 ms, `100us` is 0. It must fit a 32-bit integer (else 22023 "Value exceeds
//! integer range.") and the parameter's range. SHOW prints the largest unit the value
//! is a whole multiple of (5000 ms is `5s`, 1500 ms is `1500ms`, 0 is `0`).

use crate::error::{QueryError, Result, SqlState};

/// The unit family of a setting, with its base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// Time, in milliseconds.
    Milliseconds,
    /// Memory, in kilobytes (1024 bytes).
    Kilobytes,
}

impl UnitKind {
    /// The units a value may be written with and their size in base units, largest
    /// first (SHOW picks the first one that divides the value).
    fn units(self) -> &'static [(&'static str, f64)] {
        match self {
            UnitKind::Milliseconds => &[
                ("d", 86_400_000.0),
                ("h", 3_600_000.0),
                ("min", 60_000.0),
                ("s", 1000.0),
                ("ms", 1.0),
                ("us", 0.001),
            ],
            UnitKind::Kilobytes => &[
                ("TB", 1024.0 * 1024.0 * 1024.0),
                ("GB", 1024.0 * 1024.0),
                ("MB", 1024.0),
                ("kB", 1.0),
                ("B", 1.0 / 1024.0),
            ],
        }
    }

    /// The base unit's name, as range errors write it.
    fn base(self) -> &'static str {
        match self {
            UnitKind::Milliseconds => "ms",
            UnitKind::Kilobytes => "kB",
        }
    }

    /// PostgreSQL's hint for a value with an unknown unit.
    fn hint(self) -> &'static str {
        match self {
            UnitKind::Milliseconds => {
                "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."
            }
            UnitKind::Kilobytes => {
                "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\"."
            }
        }
    }
}

/// An integer setting: its name, unit family and range in base units.
#[derive(Debug, Clone, Copy)]
pub struct IntSetting {
    /// The parameter's name, for errors.
    pub name: &'static str,
    /// Its unit family.
    pub kind: UnitKind,
    /// The least value allowed.
    pub min: i64,
    /// The greatest value allowed.
    pub max: i64,
}

impl IntSetting {
    /// `value` in base units.
    pub fn parse(&self, value: &str) -> Result<i64> {
        let invalid = || {
            QueryError::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"{}\": \"{value}\"", self.name),
            )
        };
        let v = value.trim_start();
        let end = v
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_digit()
                    || c == '.'
                    || (i == 0 && (c == '-' || c == '+'))
                    || ((c == 'e' || c == 'E') && i > 0))
            })
            .map_or(v.len(), |(i, _)| i);
        let number: f64 = v[..end].parse().map_err(|_| invalid())?;
        let unit = v[end..].trim();
        let factor = if unit.is_empty() {
            1.0
        } else {
            match self.kind.units().iter().find(|(u, _)| *u == unit) {
                Some((_, f)) => *f,
                None => return Err(invalid().with_hint(self.kind.hint())),
            }
        };
        let base = (number * factor).round_ties_even();
        if !base.is_finite() || base > i32::MAX as f64 || base < i32::MIN as f64 {
            return Err(invalid().with_hint("Value exceeds integer range."));
        }
        let base = base as i64;
        if base < self.min || base > self.max {
            return Err(QueryError::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!(
                    "{base} {} is outside the valid range for parameter \"{}\" ({} .. {})",
                    self.kind.base(),
                    self.name,
                    self.min,
                    self.max
                ),
            ));
        }
        Ok(base)
    }

    /// `value` (in base units) as SHOW prints it.
    pub fn show(&self, value: i64) -> String {
        if value <= 0 {
            return value.to_string();
        }
        for &(unit, factor) in self.kind.units() {
            if factor >= 1.0 && value % (factor as i64) == 0 {
                return format!("{}{unit}", value / factor as i64);
            }
        }
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: IntSetting = IntSetting {
        name: "statement_timeout",
        kind: UnitKind::Milliseconds,
        min: 0,
        max: i32::MAX as i64,
    };
    const MEM: IntSetting = IntSetting {
        name: "work_mem",
        kind: UnitKind::Kilobytes,
        min: 64,
        max: i32::MAX as i64,
    };

    #[test]
    fn times_parse_and_show_as_postgresql() {
        let cases = [
            ("5000", 5000, "5s"),
            ("1500", 1500, "1500ms"),
            ("1min", 60_000, "1min"),
            ("1 min", 60_000, "1min"),
            ("60000", 60_000, "1min"),
            ("0", 0, "0"),
            ("90s", 90_000, "90s"),
            ("3600000", 3_600_000, "1h"),
            ("1.5s", 1500, "1500ms"),
            ("100us", 0, "0"),
            ("2d", 172_800_000, "2d"),
            ("1.5", 2, "2ms"),
            ("2.5", 2, "2ms"),
            ("0.4", 0, "0"),
            ("1e3", 1000, "1s"),
        ];
        for (text, ms, shown) in cases {
            assert_eq!(TIMEOUT.parse(text).unwrap(), ms, "{text}");
            assert_eq!(TIMEOUT.show(ms), shown, "{text}");
        }
    }

    #[test]
    fn bad_times_are_22023_with_postgresqls_messages() {
        let e = TIMEOUT.parse("-1").unwrap_err();
        assert_eq!(e.code, SqlState::INVALID_PARAMETER_VALUE);
        assert_eq!(
            e.message,
            "-1 ms is outside the valid range for parameter \"statement_timeout\" (0 .. 2147483647)"
        );
        let e = TIMEOUT.parse("10 parsecs").unwrap_err();
        assert_eq!(
            e.message,
            "invalid value for parameter \"statement_timeout\": \"10 parsecs\""
        );
        assert_eq!(e.hint.as_deref(), Some(UnitKind::Milliseconds.hint()));
        assert_eq!(
            TIMEOUT.parse("1MIN").unwrap_err().hint.as_deref(),
            Some(UnitKind::Milliseconds.hint())
        );
        assert_eq!(
            TIMEOUT.parse("2147483648").unwrap_err().hint.as_deref(),
            Some("Value exceeds integer range.")
        );
        assert_eq!(
            TIMEOUT.parse("abc").unwrap_err().code,
            SqlState::INVALID_PARAMETER_VALUE
        );
    }

    #[test]
    fn memory_parses_and_shows_as_postgresql() {
        let cases = [
            ("65536", 65536, "64MB"),
            ("1.5MB", 1536, "1536kB"),
            ("1048576kB", 1_048_576, "1GB"),
            ("1TB", 1 << 30, "1TB"),
            ("2147483647", 2_147_483_647, "2147483647kB"),
            ("65536B", 64, "64kB"),
            ("65537B", 64, "64kB"),
        ];
        for (text, kb, shown) in cases {
            assert_eq!(MEM.parse(text).unwrap(), kb, "{text}");
            assert_eq!(MEM.show(kb), shown, "{text}");
        }
        assert_eq!(
            MEM.parse("100B").unwrap_err().message,
            "0 kB is outside the valid range for parameter \"work_mem\" (64 .. 2147483647)"
        );
    }
}
