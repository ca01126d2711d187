//! Running a suite in child processes, round by round, and printing medians and spreads.
//!
//! Each [`Unit`] (an engine, or an engine in one variant such as a durability mode) runs in its
//! own child process (the `compare` binary re-executed with `--child`), in a fresh directory
//! made by the parent and removed after the child exits, so no engine starts with another's
//! process state (its cache, its allocator, its threads); what the OS page cache holds from
//! earlier children is shared, as it is for any process. Round `r` runs the units in the
//! order given, rotated left by `r`, so no unit always runs first or last.
//!
//! A line's result for a column is the median over the rounds (the middle value, or the mean of
//! the two middle ones for an even count), its spread `[min, max]`; both are `null` if any round
//! failed to produce the value, and then the run fails.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::json;
use crate::protocol::{self, Message};

/// One child's identity: an engine, and the variant it runs in (if the suite has variants).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The engine name (as in `--engines`).
    pub engine: String,
    /// The variant (a durability mode, a load mode), if any.
    pub variant: Option<String>,
}

impl Unit {
    fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}-{v}", self.engine),
            None => self.engine.clone(),
        }
    }
}

/// A line derived from two columns of another line, round by round: `numerator / denominator`.
#[derive(Clone, Debug)]
pub struct Ratio {
    /// The `workload` of the line it is computed from.
    pub of: &'static str,
    /// The `workload` of the derived line.
    pub workload: &'static str,
    /// The column divided.
    pub numerator: &'static str,
    /// The column it is divided by.
    pub denominator: &'static str,
}

/// How the columns and lines of a suite are formed from its units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One column per engine; the variant, if any, is a field of the line named `field`.
    EngineColumns {
        /// The line field that holds the variant (`None`: the suite has no variants).
        field: Option<&'static str>,
    },
    /// One column per variant (of a single engine).
    VariantColumns,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The suite name, as in the JSON `suite` field and the child's command line.
    pub suite: &'static str,
    /// The units, in the order of round 0 and of the columns.
    pub units: Vec<Unit>,
    /// How lines and columns are formed.
    pub layout: Layout,
    /// N, printed in every line.
    pub n: u64,
    /// Rounds (at least 1).
    pub rounds: usize,
    /// Flags passed to every child (`--n`, `--seed`, `--cache-bytes`, ...).
    pub child_args: Vec<String>,
    /// Where the children's directories are made.
    pub dir: PathBuf,
    /// Lines derived from two columns.
    pub ratios: Vec<Ratio>,
}

impl Plan {
    fn column(&self, unit: &Unit) -> String {
        match self.layout {
            Layout::EngineColumns { .. } => unit.engine.clone(),
            Layout::VariantColumns => unit.variant.clone().unwrap_or_default(),
        }
    }

    /// The fields a unit adds after its lines' own (the variant, when it is not a column).
    fn line_suffix(&self, unit: &Unit) -> String {
        match (self.layout, &unit.variant) {
            (Layout::EngineColumns { field: Some(field) }, Some(v)) => {
                format!(",{}:{}", json::string(field), json::string(v))
            }
            _ => String::new(),
        }
    }

    fn settings_line(&self, unit: &Unit, settings: &str) -> String {
        let variant = match (self.layout, &unit.variant) {
            (Layout::EngineColumns { field: Some(field) }, Some(v)) => {
                format!(",{}:{}", json::string(field), json::string(v))
            }
            (Layout::VariantColumns, Some(v)) => format!(",\"mode\":{}", json::string(v)),
            _ => String::new(),
        };
        format!(
            "{{\"suite\":{},\"engine\":{}{variant},\"settings\":{settings}}}",
            json::string(self.suite),
            json::string(&unit.engine)
        )
    }
}

/// The units of round `round`: `units` rotated left by `round`.
pub fn round_order(units: &[Unit], round: usize) -> Vec<&Unit> {
    (0..units.len())
        .map(|i| &units[(i + round) % units.len()])
        .collect()
}

/// Median and extremes of a column's values over the rounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The median.
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

/// The summary of `values`, or `None` if there are none or any round has none.
pub fn summarize(values: &[Option<f64>]) -> Option<Summary> {
    let mut sorted: Vec<f64> = values.iter().copied().collect::<Option<_>>()?;
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    };
    Some(Summary {
        median,
        min: sorted[0],
        max: sorted[sorted.len() - 1],
    })
}

/// The values gathered: per line, per column, one value per round.
#[derive(Debug, Default)]
pub struct Table {
    rounds: usize,
    /// (fields, unit) of each line, in the order first seen.
    lines: Vec<(String, String)>,
    columns: Vec<String>,
    cells: HashMap<(usize, usize), Vec<Option<f64>>>,
}

impl Table {
    /// An empty table for `rounds` rounds with `columns` in this order.
    pub fn new(rounds: usize, columns: Vec<String>) -> Table {
        Table {
            rounds,
            columns,
            ..Table::default()
        }
    }

    /// Records `value` for the line `fields`/`unit`, column `column`, round `round`.
    pub fn record(
        &mut self,
        round: usize,
        fields: &str,
        unit: &str,
        column: &str,
        value: Option<f64>,
    ) {
        let line = match self
            .lines
            .iter()
            .position(|(f, u)| f == fields && u == unit)
        {
            Some(line) => line,
            None => {
                self.lines.push((fields.to_owned(), unit.to_owned()));
                self.lines.len() - 1
            }
        };
        let col = match self.columns.iter().position(|c| c == column) {
            Some(col) => col,
            None => {
                self.columns.push(column.to_owned());
                self.columns.len() - 1
            }
        };
        let cell = self
            .cells
            .entry((line, col))
            .or_insert_with(|| vec![None; self.rounds]);
        if let Some(slot) = cell.get_mut(round) {
            *slot = value;
        }
    }

    /// Whether every recorded line has a value in every round for every column it has.
    pub fn complete(&self) -> bool {
        self.cells.values().all(|v| v.iter().all(Option::is_some))
    }

    /// The JSON lines: one per line recorded, then the ratios.
    pub fn to_json(&self, suite: &str, n: u64, ratios: &[Ratio]) -> Vec<String> {
        let mut out = Vec::new();
        for (line, (fields, unit)) in self.lines.iter().enumerate() {
            let columns: Vec<(&str, &[Option<f64>])> = self
                .columns
                .iter()
                .enumerate()
                .filter_map(|(col, name)| {
                    self.cells
                        .get(&(line, col))
                        .map(|v| (name.as_str(), v.as_slice()))
                })
                .collect();
            out.push(self.json_line(suite, fields, n, unit, &columns));
        }
        for ratio in ratios {
            let of = format!("\"workload\":{}", json::string(ratio.of));
            let values = |column: &str| -> Option<&[Option<f64>]> {
                let line = self.lines.iter().position(|(f, _)| *f == of)?;
                let col = self.columns.iter().position(|c| c == column)?;
                self.cells.get(&(line, col)).map(Vec::as_slice)
            };
            let (Some(num), Some(den)) = (values(ratio.numerator), values(ratio.denominator))
            else {
                continue;
            };
            let per_round: Vec<Option<f64>> = num
                .iter()
                .zip(den)
                .map(|(a, b)| Some(a.as_ref()? / b.as_ref()?))
                .collect();
            let name = format!("{}_over_{}", ratio.numerator, ratio.denominator);
            let fields = format!("\"workload\":{}", json::string(ratio.workload));
            out.push(self.json_line(suite, &fields, n, "ratio", &[(&name, &per_round)]));
        }
        out
    }

    fn json_line(
        &self,
        suite: &str,
        fields: &str,
        n: u64,
        unit: &str,
        columns: &[(&str, &[Option<f64>])],
    ) -> String {
        let mut results = Vec::new();
        let mut spread = Vec::new();
        for (name, values) in columns {
            let summary = summarize(values);
            let name = json::string(name);
            results.push(format!(
                "{name}:{}",
                json::number(summary.map(|s| s.median), unit)
            ));
            spread.push(match summary {
                Some(s) => format!(
                    "{name}:[{},{}]",
                    json::number(Some(s.min), unit),
                    json::number(Some(s.max), unit)
                ),
                None => format!("{name}:null"),
            });
        }
        format!(
            "{{\"suite\":{},{fields},\"n\":{n},\"unit\":{},\"rounds\":{},\"results\":{{{}}},\"spread\":{{{}}}}}",
            json::string(suite),
            json::string(unit),
            self.rounds,
            results.join(","),
            spread.join(",")
        )
    }
}

/// What one child reported.
struct ChildRun {
    messages: Vec<Message>,
    ok: bool,
}

fn run_child(exe: &Path, plan: &Plan, unit: &Unit) -> ChildRun {
    let failed = ChildRun {
        messages: Vec::new(),
        ok: false,
    };
    let dir = match tempfile::Builder::new()
        .prefix(&format!("covet-bench-{}-", unit.label()))
        .tempdir_in(&plan.dir)
    {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("compare: cannot make a directory in {:?}: {err}", plan.dir);
            return failed;
        }
    };
    let output = Command::new(exe)
        .arg("--child")
        .arg(plan.suite)
        .arg(&unit.engine)
        .arg(unit.variant.as_deref().unwrap_or("-"))
        .args(&plan.child_args)
        .arg("--dir")
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .and_then(|child| child.wait_with_output());
    let output = match output {
        Ok(output) => output,
        Err(err) => {
            eprintln!("compare: cannot run the child for {}: {err}", unit.label());
            return failed;
        }
    };
    let mut run = ChildRun {
        messages: Vec::new(),
        ok: output.status.success(),
    };
    if !run.ok {
        eprintln!(
            "compare: the child for {} failed: {}",
            unit.label(),
            output.status
        );
    }
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        match protocol::parse(line) {
            Ok(message) => run.messages.push(message),
            Err(err) => {
                eprintln!("compare: child for {}: {err}", unit.label());
                run.ok = false;
            }
        }
    }
    run
}

/// Runs `plan`, printing the settings lines as they first come and the result lines at the
/// end; returns whether every child succeeded and every value is there.
pub fn run(plan: &Plan) -> bool {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            eprintln!("compare: cannot find its own executable: {err}");
            return false;
        }
    };
    let columns = plan
        .units
        .iter()
        .map(|u| plan.column(u))
        .collect::<Vec<_>>();
    let mut columns_dedup = Vec::new();
    for c in columns {
        if !columns_dedup.contains(&c) {
            columns_dedup.push(c);
        }
    }
    let mut table = Table::new(plan.rounds, columns_dedup);
    let mut settings: Vec<Option<String>> = vec![None; plan.units.len()];
    let mut ok = true;
    for round in 0..plan.rounds {
        let order = round_order(&plan.units, round);
        let labels: Vec<String> = order.iter().map(|u| u.label()).collect();
        eprintln!(
            "== {} round {}/{}: {}",
            plan.suite,
            round + 1,
            plan.rounds,
            labels.join(", ")
        );
        for unit in order {
            let index = plan.units.iter().position(|u| u == unit).unwrap_or(0);
            let child = run_child(&exe, plan, unit);
            ok &= child.ok;
            for message in child.messages {
                match message {
                    Message::Settings(json) => match &settings[index] {
                        None => {
                            println!("{}", plan.settings_line(unit, &json));
                            settings[index] = Some(json);
                        }
                        Some(first) if *first != json => {
                            eprintln!(
                                "compare: {} reported other settings in round {}: {json}",
                                unit.label(),
                                round + 1
                            );
                            ok = false;
                        }
                        Some(_) => {}
                    },
                    Message::Measure(m) => {
                        let fields = format!("{}{}", m.line, plan.line_suffix(unit));
                        table.record(round, &fields, &m.unit, &plan.column(unit), m.value);
                    }
                }
            }
        }
    }
    for line in table.to_json(plan.suite, plan.n, &plan.ratios) {
        println!("{line}");
    }
    ok && table.complete()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(engine: &str) -> Unit {
        Unit {
            engine: engine.into(),
            variant: None,
        }
    }

    #[test]
    fn rounds_rotate_the_order() {
        let units = [unit("a"), unit("b"), unit("c")];
        let names = |r| {
            round_order(&units, r)
                .iter()
                .map(|u| u.engine.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(0), ["a", "b", "c"]);
        assert_eq!(names(1), ["b", "c", "a"]);
        assert_eq!(names(2), ["c", "a", "b"]);
        assert_eq!(names(3), ["a", "b", "c"]);
    }

    #[test]
    fn medians_and_spreads() {
        let s = summarize(&[Some(3.0), Some(1.0), Some(2.0)]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = summarize(&[Some(4.0), Some(1.0), Some(2.0), Some(10.0)]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 10.0));
        assert_eq!(summarize(&[Some(1.0), None, Some(2.0)]), None);
        assert_eq!(summarize(&[]), None);
    }

    #[test]
    fn a_table_prints_medians_spreads_and_ratios() {
        let mut t = Table::new(3, vec!["plain".into(), "savepoint".into()]);
        for (round, plain, sp) in [(0, 10.0, 12.0), (1, 11.0, 11.0), (2, 9.0, 13.5)] {
            t.record(round, "\"workload\":\"load\"", "ms", "plain", Some(plain));
            t.record(round, "\"workload\":\"load\"", "ms", "savepoint", Some(sp));
            t.record(
                round,
                "\"workload\":\"peak_rss\"",
                "KiB",
                "plain",
                Some(1000.0 + round as f64),
            );
        }
        assert!(t.complete());
        let ratio = Ratio {
            of: "load",
            workload: "load_ratio",
            numerator: "savepoint",
            denominator: "plain",
        };
        let lines = t.to_json("load_savepoint", 5, &[ratio]);
        assert_eq!(
            lines,
            [
                "{\"suite\":\"load_savepoint\",\"workload\":\"load\",\"n\":5,\"unit\":\"ms\",\"rounds\":3,\
                 \"results\":{\"plain\":10.000,\"savepoint\":12.000},\
                 \"spread\":{\"plain\":[9.000,11.000],\"savepoint\":[11.000,13.500]}}",
                "{\"suite\":\"load_savepoint\",\"workload\":\"peak_rss\",\"n\":5,\"unit\":\"KiB\",\"rounds\":3,\
                 \"results\":{\"plain\":1001},\"spread\":{\"plain\":[1000,1002]}}",
                "{\"suite\":\"load_savepoint\",\"workload\":\"load_ratio\",\"n\":5,\"unit\":\"ratio\",\"rounds\":3,\
                 \"results\":{\"savepoint_over_plain\":1.200},\
                 \"spread\":{\"savepoint_over_plain\":[1.000,1.500]}}",
            ]
        );
        // A round without a value makes the cell null and the table incomplete.
        t.record(1, "\"workload\":\"load\"", "ms", "plain", None);
        assert!(!t.complete());
        assert!(t.to_json("s", 5, &[])[0].contains("\"results\":{\"plain\":null,"));
        assert!(t.to_json("s", 5, &[])[0].contains("\"spread\":{\"plain\":null,"));
    }
}
