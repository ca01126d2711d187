//! The line protocol from a child process to the parent (see [`crate::rounds`]).
//!
//! A child writes one message per line on stdout, tab-separated (progress goes to stderr):
//!
//! ```text
//! settings<TAB>{"read_back":{..},"passed":{..}}
//! measure<TAB>"workload":"bulk_load"<TAB>ms<TAB>1234.567
//! measure<TAB>"workload":"random_reads"<TAB>ms<TAB>null
//! ```
//!
//! A measurement names its output line by a JSON fragment (the fields that identify the line,
//! `"workload":..` first); the parent gathers the same fragment from every child and round into
//! one line. `null` is a workload that failed; the child then also exits non-zero.

use std::io::Write;

use crate::engines::Settings;

/// One measurement of one child run.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// The JSON fields that identify the output line, without braces.
    pub line: String,
    /// The unit (`ms`, `bytes`, `KiB`, `ratio`).
    pub unit: String,
    /// The value; `None` if the workload failed.
    pub value: Option<f64>,
}

/// One line of a child's stdout.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// The engine's settings, a JSON object.
    Settings(String),
    /// A measurement.
    Measure(Measurement),
}

/// Parses one line of a child's stdout.
pub fn parse(line: &str) -> Result<Message, String> {
    let fields: Vec<&str> = line.split('\t').collect();
    match fields[..] {
        ["settings", json] if json.starts_with('{') && json.ends_with('}') => {
            Ok(Message::Settings(json.to_owned()))
        }
        ["measure", fragment, unit, value] if fragment.starts_with("\"workload\":") => {
            let value = match value {
                "null" => None,
                v => Some(
                    v.parse::<f64>()
                        .map_err(|e| format!("bad value {v:?} in {line:?}: {e}"))?,
                ),
            };
            Ok(Message::Measure(Measurement {
                line: fragment.to_owned(),
                unit: unit.to_owned(),
                value,
            }))
        }
        _ => Err(format!("not a protocol line: {line:?}")),
    }
}

/// What a child reports, written as it happens (so a crash keeps what came before).
pub struct Report<W: Write> {
    out: W,
    failed: bool,
}

impl<W: Write> Report<W> {
    /// A report written to `out`.
    pub fn new(out: W) -> Report<W> {
        Report { out, failed: false }
    }

    /// The writer, with everything written.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Whether anything failed (a failed measurement or an error reported).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Records a failure that has no measurement of its own (after printing it to stderr).
    pub fn fail(&mut self) {
        self.failed = true;
    }

    /// Writes the settings line.
    pub fn settings(&mut self, settings: &Settings) {
        self.write(&format!("settings\t{}", settings.to_json()));
    }

    /// Writes a measurement for the line `"workload":"<workload>"`.
    pub fn measure(&mut self, workload: &str, unit: &str, value: Option<f64>) {
        self.measure_line(
            &format!("\"workload\":{}", crate::json::string(workload)),
            unit,
            value,
        );
    }

    /// Writes a measurement for a line with more fields than the workload (`fragment` starts
    /// with `"workload":..`).
    pub fn measure_line(&mut self, fragment: &str, unit: &str, value: Option<f64>) {
        self.failed |= value.is_none();
        let value = value.map_or("null".to_owned(), |v| format!("{v}"));
        self.write(&format!("measure\t{fragment}\t{unit}\t{value}"));
    }

    fn write(&mut self, line: &str) {
        // The parent reads stdout; if it is gone there is nobody to tell.
        if writeln!(self.out, "{line}")
            .and_then(|()| self.out.flush())
            .is_err()
        {
            self.failed = true;
        }
    }
}

/// The peak resident set size of this process in KiB (`VmHWM` of `/proc/self/status`), if the
/// system reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_parses_back() {
        let mut report = Report::new(Vec::new());
        report.settings(&Settings::new().passed("x", 1u64));
        report.measure("bulk_load", "ms", Some(12.5));
        report.measure_line("\"workload\":\"bucket\",\"bucket\":3", "ms", Some(2.0));
        assert!(!report.failed());
        report.measure("removals", "ms", None);
        assert!(report.failed());
        let text = String::from_utf8(report.into_inner()).unwrap();
        let messages: Vec<Message> = text.lines().map(|l| parse(l).unwrap()).collect();
        assert_eq!(
            messages,
            vec![
                Message::Settings("{\"read_back\":{},\"passed\":{\"x\":1}}".into()),
                Message::Measure(Measurement {
                    line: "\"workload\":\"bulk_load\"".into(),
                    unit: "ms".into(),
                    value: Some(12.5)
                }),
                Message::Measure(Measurement {
                    line: "\"workload\":\"bucket\",\"bucket\":3".into(),
                    unit: "ms".into(),
                    value: Some(2.0)
                }),
                Message::Measure(Measurement {
                    line: "\"workload\":\"removals\"".into(),
                    unit: "ms".into(),
                    value: None
                }),
            ]
        );
    }

    #[test]
    fn other_lines_are_refused() {
        for bad in [
            "",
            "hello",
            "measure\t\"workload\":\"x\"\tms",
            "measure\t\"workload\":\"x\"\tms\tfast",
            "measure\tworkload\tms\t1",
            "settings\tnot json",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let kib = peak_rss_kib().unwrap();
            assert!(kib > 0);
        }
    }
}
