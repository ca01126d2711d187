//! Session settings: `SET name = value` / `SET name TO value` / `SHOW name`.
//!
//! covet has no PRAGMAs: what a connection can tune is here, by PostgreSQL's names.
//! `work_mem` bounds the memory of a sort or hash before it spills;
//! `statement_timeout` cancels a statement that runs longer (57014, see `exec`);
//! `default_transaction_isolation` is the level of the blocks this session opens;
//! `transaction_isolation` shows (and, before a block's first statement, sets) the
//! current block's level. Parameters that clients set when they connect
//! (`search_path`, `client_encoding`, `application_name`, …) are accepted and shown
//! back without further effect. Any other name is 42704, as in PostgreSQL. Settings
//! with units (times, memory) parse and show as PostgreSQL's do (`units.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{QueryError, Result, SqlState};
use crate::txn::IsolationLevel;

mod units;

pub use units::{IntSetting, UnitKind};

/// The default `work_mem`: 64 MiB.
pub const DEFAULT_WORK_MEM: usize = 64 << 20;

/// `work_mem`, in kB: at least 64 kB, as PostgreSQL's minimum.
const WORK_MEM: IntSetting = IntSetting {
    name: "work_mem",
    kind: UnitKind::Kilobytes,
    min: 64,
    max: i32::MAX as i64,
};

/// `statement_timeout`, in ms (0: none).
const STATEMENT_TIMEOUT: IntSetting = IntSetting {
    name: "statement_timeout",
    kind: UnitKind::Milliseconds,
    min: 0,
    max: i32::MAX as i64,
};

/// `lock_timeout`, in ms: accepted and shown; covet's writers never wait for a lock
/// (a busy database is 55P03 at once).
const LOCK_TIMEOUT: IntSetting = IntSetting {
    name: "lock_timeout",
    kind: UnitKind::Milliseconds,
    min: 0,
    max: i32::MAX as i64,
};

/// Accepted parameters without effect in covet, with their defaults.
const PASSIVE: &[(&str, &str)] = &[
    ("application_name", ""),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    ("extra_float_digits", "1"),
    ("intervalstyle", "postgres"),
    ("search_path", "\"$user\", public"),
    ("standard_conforming_strings", "on"),
    ("timezone", "UTC"),
];

/// One session's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Bytes a sort or hash may hold before it spills.
    pub work_mem: usize,
    /// The level of new transaction blocks.
    pub default_isolation: IsolationLevel,
    /// How long a statement may run, in ms (0: without limit).
    pub statement_timeout_ms: i64,
    lock_timeout_ms: i64,
    passive: BTreeMap<&'static str, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            work_mem: DEFAULT_WORK_MEM,
            default_isolation: IsolationLevel::ReadCommitted,
            statement_timeout_ms: 0,
            lock_timeout_ms: 0,
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
            "statement_timeout" => {
                self.statement_timeout_ms = match value {
                    None => 0,
                    Some(v) => STATEMENT_TIMEOUT.parse(v)?,
                };
                Ok(SetEffect::None)
            }
            "lock_timeout" => {
                self.lock_timeout_ms = match value {
                    None => 0,
                    Some(v) => LOCK_TIMEOUT.parse(v)?,
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
            "statement_timeout" => Ok(STATEMENT_TIMEOUT.show(self.statement_timeout_ms)),
            "lock_timeout" => Ok(LOCK_TIMEOUT.show(self.lock_timeout_ms)),
            "default_transaction_isolation" => Ok(self.default_isolation.name().into()),
            "transaction_isolation" => Ok(current_isolation.name().into()),
            _ => self
                .passive
                .get(name.as_str())
                .cloned()
                .ok_or_else(|| unknown(&name)),
        }
    }

    /// How long a statement may run (`None`: without limit).
    pub fn statement_timeout(&self) -> Option<Duration> {
        (self.statement_timeout_ms > 0)
            .then(|| Duration::from_millis(self.statement_timeout_ms as u64))
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
            "lock_timeout",
            "statement_timeout",
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

/// A memory size as PostgreSQL writes it (a number of kB, or a number with a unit
/// `B`, `kB`, `MB`, `GB`, `TB`), in bytes.
pub fn parse_memory(value: &str) -> Result<usize> {
    Ok(WORK_MEM.parse(value)? as usize * 1024)
}

/// A memory size in PostgreSQL's display form (`64MB`, `4096kB`).
pub fn format_memory(bytes: usize) -> String {
    WORK_MEM.show((bytes / 1024) as i64)
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
        s.set("work_mem", Some("1.5MB")).unwrap();
        assert_eq!(
            s.show("work_mem", IsolationLevel::ReadCommitted).unwrap(),
            "1536kB"
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
    fn time_settings_show_in_postgresqls_units() {
        let mut s = Settings::default();
        let show = |s: &Settings, n: &str| s.show(n, IsolationLevel::ReadCommitted).unwrap();
        assert_eq!(show(&s, "statement_timeout"), "0");
        assert_eq!(s.statement_timeout(), None);
        s.set("statement_timeout", Some("5000")).unwrap();
        assert_eq!(show(&s, "statement_timeout"), "5s");
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(5)));
        s.set("statement_timeout", Some("1500")).unwrap();
        assert_eq!(show(&s, "statement_timeout"), "1500ms");
        s.set("statement_timeout", Some("1min")).unwrap();
        assert_eq!(s.statement_timeout_ms, 60_000);
        assert_eq!(show(&s, "statement_timeout"), "1min");
        assert_eq!(
            s.set("statement_timeout", Some("-1")).unwrap_err().code,
            SqlState::INVALID_PARAMETER_VALUE
        );
        assert_eq!(s.statement_timeout_ms, 60_000);
        s.set("statement_timeout", None).unwrap();
        assert_eq!(show(&s, "statement_timeout"), "0");
        s.set("lock_timeout", Some("1000")).unwrap();
        assert_eq!(show(&s, "lock_timeout"), "1s");
        let all = s.all(IsolationLevel::ReadCommitted);
        assert!(all.contains(&("lock_timeout".to_string(), "1s".to_string())));
        assert!(all.contains(&("statement_timeout".to_string(), "0".to_string())));
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
