//! [`Settings`]: what an engine runs with, as printed in the `settings` line of each suite.

use crate::json::{self, Value};

/// An engine's settings in two groups: those read back from the engine after opening it (what
/// is really in force), and those only passed to it, where its API offers no way to read them
/// back. Printed as `{"read_back":{..},"passed":{..}}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    read_back: Vec<(String, Value)>,
    passed: Vec<(String, Value)>,
}

impl Settings {
    /// An empty set.
    pub fn new() -> Settings {
        Settings::default()
    }

    /// Adds a setting read back from the engine.
    pub fn read_back(mut self, name: &str, value: impl Into<Value>) -> Settings {
        self.read_back.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a setting passed to the engine that it cannot report.
    pub fn passed(mut self, name: &str, value: impl Into<Value>) -> Settings {
        self.passed.push((name.to_owned(), value.into()));
        self
    }

    /// The JSON object, on one line.
    pub fn to_json(&self) -> String {
        let group = |items: &[(String, Value)]| {
            let fields: Vec<String> = items
                .iter()
                .map(|(name, value)| format!("{}:{value}", json::string(name)))
                .collect();
            format!("{{{}}}", fields.join(","))
        };
        format!(
            "{{\"read_back\":{},\"passed\":{}}}",
            group(&self.read_back),
            group(&self.passed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_groups_are_printed_in_order() {
        let s = Settings::new()
            .read_back("journal_mode", "wal")
            .read_back("synchronous", 2i64)
            .passed("cache_bytes", 1024u64)
            .passed("sync", true);
        assert_eq!(
            s.to_json(),
            "{\"read_back\":{\"journal_mode\":\"wal\",\"synchronous\":2},\
             \"passed\":{\"cache_bytes\":1024,\"sync\":true}}"
        );
        assert_eq!(
            Settings::new().to_json(),
            "{\"read_back\":{},\"passed\":{}}"
        );
    }
}
