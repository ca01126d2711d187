//! Session settings: `SET name = value` / `SET name TO value` / `SHOW name`.
//!
//! covet has no PRAGMAs: what a connection can tune is here, by PostgreSQL's names.
//! `work_mem` bounds the memory of a sort or hash before it spills;
//! `default_transaction_isolation` is the level of the blocks this session opens;
//! `transaction_isolation` shows (and, before a block's first statement, sets) the
//! current block's level. Parameters that clients set when they connect
//! (`search_path`, `client_encoding`, `application_name`, …) are accepted and shown
//! back without further effect. Any other name is 42704, as in PostgreSQL.

use std::collections::BTreeMap;

use crate::error::{QueryError, Result, SqlState};
use crate::txn::IsolationLevel;

/// The default `work_mem`: 64 MiB.
pub const DEFAULT_WORK_MEM: usize = 64 << 20;

/// Accepted parameters without effect in covet, with their defaults.
const PASSIVE: &[(&str, &str)] = &[
    ("application_name", ""),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    ("extra_float_digits", "1"),
    ("intervalstyle", "postgres"),
    ("lock_timeout", "0"),
    ("search_path", "\"$user\", public"),
    ("standard_conforming_strings", "on"),
    ("statement_timeout", "0"),
    ("timezone", "UTC"),
];

/// One session's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Bytes a sort or hash may hold before it spills.
    pub work_mem: usize,
    /// The level of new transaction blocks.
    pub default_isolation: IsolationLevel,
    passive: BTreeMap<&'static str, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            work_mem: DEFAULT_WORK_MEM,
            default_isolation: IsolationLevel::ReadCommitted,
            passive: PASSIVE.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }
}

/// What a `SET` asks of the session beyond its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetEffect {
    /// Nothing more.
    None,
    /// `SET transaction_isolation`: the current block's level.
    TransactionIsolation(IsolationLevel),
}

impl Settings {
    /// Applies `SET name = value` (`value` as text; `None` for `DEFAULT`).
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<SetEffect> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "work_mem" => {
                self.work_mem = match value {
                    None => DEFAULT_WORK_MEM,
                    Some(v) => parse_memory(v)?,
                };
                Ok(SetEffect::None)
            }
            "default_transaction_isolation" => {
                self.default_isolation = match value {
                    None => IsolationLevel::ReadCommitted,
                    Some(v) => parse_isolation(v)?,
                };
                Ok(SetEffect::None)
            }
            "transaction_isolation" => {
                let level = match value {
                    None => self.default_isolation,
                    Some(v) => parse_isolation(v)?,
                };
                Ok(SetEffect::TransactionIsolation(level))
            }
            _ => {
                let Some((key, default)) = PASSIVE.iter().find(|(k, _)| *k == name) else {
                    return Err(unknown(&name));
                };
                let v = value.unwrap_or(default).to_string();
                self.passive.insert(key, v);
                Ok(SetEffect::None)
            }
        }
    }

    /// The value `SHOW name` prints; `current_isolation` is the open block's level
    /// (or the default outside one).
    pub fn show(&self, name: &str, current_isolation: IsolationLevel) -> Result<String> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "work_mem" => Ok(format_memory(self.work_mem)),
            "default_transaction_isolation" => Ok(self.default_isolation.name().into()),
            "transaction_isolation" => Ok(current_isolation.name().into()),
            _ => self
                .passive
                .get(name.as_str())
                .cloned()
                .ok_or_else(|| unknown(&name)),
        }
    }

    /// Every parameter with its value, by name (`SHOW ALL`).
    pub fn all(&self, current_isolation: IsolationLevel) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .passive
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        for name in [
            "default_transaction_isolation",
            "transaction_isolation",
            "work_mem",
        ] {
            let value = self.show(name, current_isolation).unwrap_or_default();
            out.push((name.to_string(), value));
        }
        out.sort();
        out
    }
}

fn unknown(name: &str) -> QueryError {
    QueryError::new(
        SqlState::UNDEFINED_OBJECT,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

fn invalid(name: &str, value: &str) -> QueryError {
    QueryError::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{name}\": \"{value}\""),
    )
}

/// An isolation level by its SQL name (`'repeatable read'`, any case).
pub fn parse_isolation(value: &str) -> Result<IsolationLevel> {
    let v = value.trim().to_ascii_lowercase();
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    match v.as_str() {
        // As in PostgreSQL, READ UNCOMMITTED behaves as READ COMMITTED.
        "read committed" | "read uncommitted" => Ok(IsolationLevel::ReadCommitted),
        "repeatable read" => Ok(IsolationLevel::RepeatableRead),
        "serializable" => Ok(IsolationLevel::Serializable),
        _ => Err(invalid("transaction_isolation", value)),
    }
}

/// A memory size as PostgreSQL writes it: a number of kB, or a number with a unit
/// (`B`, `kB`, `MB`, `GB`, `TB`). At least 64 kB, as PostgreSQL's minimum.
pub fn parse_memory(value: &str) -> Result<usize> {
    let v = value.trim();
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = v.split_at(digits);
    let number: u64 = number.parse().map_err(|_| invalid("work_mem", value))?;
    let unit_bytes: u64 = match unit.trim() {
        "" | "kB" => 1 << 10,
        "B" => 1,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return Err(invalid("work_mem", value)),
    };
    let bytes = number
        .checked_mul(unit_bytes)
        .filter(|b| *b <= usize::MAX as u64)
        .ok_or_else(|| {
            QueryError::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("{value} is outside the valid range for parameter \"work_mem\""),
            )
        })?;
    if bytes < 64 << 10 {
        return Err(QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!(
                "{value} is outside the valid range for parameter \"work_mem\" (64kB .. 2147483647kB)"
            ),
        ));
    }
    Ok(bytes as usize)
}

/// A memory size in PostgreSQL's display form (`64MB`, `4096kB`).
pub fn format_memory(bytes: usize) -> String {
    let kb = bytes / 1024;
    if kb.is_multiple_of(1 << 20) {
        format!("{}GB", kb >> 20)
    } else if kb.is_multiple_of(1024) {
        format!("{}MB", kb >> 10)
    } else {
        format!("{kb}kB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_mem_round_trips() {
        let mut s = Settings::default();
        assert_eq!(
            s.show("work_mem", IsolationLevel::ReadCommitted).unwrap(),
            "64MB"
        );
        s.set("WORK_MEM", Some("4096")).unwrap();
        assert_eq!(s.work_mem, 4 << 20);
        assert_eq!(
            s.show("work_mem", IsolationLevel::ReadCommitted).unwrap(),
            "4MB"
        );
        s.set("work_mem", Some("100kB")).unwrap();
        assert_eq!(
            s.show("work_mem", IsolationLevel::ReadCommitted).unwrap(),
            "100kB"
        );
        s.set("work_mem", Some("1GB")).unwrap();
        assert_eq!(
            s.show("work_mem", IsolationLevel::ReadCommitted).unwrap(),
            "1GB"
        );
        assert_eq!(
            s.set("work_mem", Some("12 parsecs")).unwrap_err().code,
            SqlState::INVALID_PARAMETER_VALUE
        );
        assert_eq!(
            s.set("work_mem", Some("1kB")).unwrap_err().code,
            SqlState::INVALID_PARAMETER_VALUE
        );
        s.set("work_mem", None).unwrap();
        assert_eq!(s.work_mem, DEFAULT_WORK_MEM);
    }

    #[test]
    fn isolation_names() {
        let mut s = Settings::default();
        s.set("default_transaction_isolation", Some("Repeatable  Read"))
            .unwrap();
        assert_eq!(s.default_isolation, IsolationLevel::RepeatableRead);
        assert_eq!(
            s.set("transaction_isolation", Some("serializable"))
                .unwrap(),
            SetEffect::TransactionIsolation(IsolationLevel::Serializable)
        );
        assert_eq!(
            s.show("transaction_isolation", IsolationLevel::Serializable)
                .unwrap(),
            "serializable"
        );
        assert_eq!(
            s.set("default_transaction_isolation", Some("chaos"))
                .unwrap_err()
                .code,
            SqlState::INVALID_PARAMETER_VALUE
        );
    }

    #[test]
    fn passive_and_unknown_parameters() {
        let mut s = Settings::default();
        s.set("search_path", Some("myschema, public")).unwrap();
        assert_eq!(
            s.show("search_path", IsolationLevel::ReadCommitted)
                .unwrap(),
            "myschema, public"
        );
        let e = s.set("no_such_thing", Some("1")).unwrap_err();
        assert_eq!(e.code, SqlState::UNDEFINED_OBJECT);
        assert_eq!(
            e.message,
            "unrecognized configuration parameter \"no_such_thing\""
        );
        assert_eq!(
            s.show("no_such_thing", IsolationLevel::ReadCommitted)
                .unwrap_err()
                .code,
            SqlState::UNDEFINED_OBJECT
        );
        let all = s.all(IsolationLevel::ReadCommitted);
        assert!(all.contains(&("work_mem".to_string(), "64MB".to_string())));
    }
}
