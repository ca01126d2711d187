//! The command line of `compare`: suites, flags and their defaults, and the [`Plan`] a suite
//! runs as.

use std::path::PathBuf;

use crate::engines::{self, SyncMode};
use crate::kv::Workload;
use crate::load_savepoint::Mode;
use crate::rounds::{Layout, Plan, Ratio, Unit};
use crate::sql;

/// The usage text.
pub const USAGE: &str = "\
usage: compare kv [--n N] [--rounds R] [--engines a,b] [--workloads x,y] [--cache-mib M]
                  [--dir PATH] [--seed S]
       compare commits [--n N] [--rounds R] [--engines covet,sqlite] [--durability full,off]
                  [--cache-mib M] [--dir PATH] [--seed S]
       compare load_savepoint [--n N] [--rounds R] [--modes plain,savepoint] [--cache-mib M]
                  [--dir PATH] [--seed S]
       compare space [--n N] [--engines a,b] [--cache-mib M] [--dir PATH] [--seed S]
       compare sql [--n N] [--rounds R] [--engines covet,sqlite] [--workloads x,y]
                  [--cache-mib M] [--dir PATH] [--seed S]

  kv               the key-value workloads (bulk load, writes, reads, removals, close, size)
  commits          N single-insert commits with no checkpoint between, timed in 10 buckets
                   (covet and SQLite; synced and unsynced)
  load_savepoint   N rows through covet's table layer, plainly and inside a savepoint:
                   times, their ratio, peak RSS
  space            load N keys, remove them all, load them again: file sizes and their ratio
  sql              SQL workloads on a 6-column table of N rows (covet's SQL layer and SQLite):
                   point and range selects, streams, a sorted stream, inserts, updates, deletes

  --n N            kv: keys bulk-loaded and point reads made (default 1000000);
                   commits: commits (default 100000); load_savepoint: rows (default 5000000);
                   space: keys (default 1000000); sql: rows loaded (default 1000000)
  --rounds R       rounds; each runs every engine once, in its own process, in an order
                   rotated by one per round; lines give the median and [min,max] (default 3)
  --engines a,b    engines to run, in this order (default: all; commits, sql: covet,sqlite)
  --workloads x,y  kv, sql: workloads to report (default: all; loads they need still run,
                   untimed)
  --durability a,b commits: full (synced commits) and/or off (default: full,off)
  --modes a,b      load_savepoint: plain and/or savepoint (default: both)
  --cache-mib M    cache per engine in MiB, where it has one (default 64); an engine with a
                   cache per connection divides it between the connections used at once
                   (--cache-mb is accepted too)
  --dir PATH       where each child's fresh directory goes (default: the system temporary
                   directory); use a real disk, not tmpfs, or fsync means nothing
  --seed S         seed of the keys, values and orders (default 3)";

/// A suite of the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// [`crate::kv`].
    Kv,
    /// [`crate::commits`].
    Commits,
    /// [`crate::load_savepoint`].
    LoadSavepoint,
    /// [`crate::space`] (in one process, engines in turn).
    Space,
    /// [`crate::sql`].
    Sql,
}

impl Suite {
    /// Every suite.
    pub const ALL: [Suite; 5] = [
        Suite::Kv,
        Suite::Commits,
        Suite::LoadSavepoint,
        Suite::Space,
        Suite::Sql,
    ];

    /// Its name on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Kv => "kv",
            Suite::Commits => "commits",
            Suite::LoadSavepoint => "load_savepoint",
            Suite::Space => "space",
            Suite::Sql => "sql",
        }
    }

    fn default_n(self) -> u64 {
        match self {
            Suite::Kv | Suite::Space | Suite::Sql => 1_000_000,
            Suite::Commits => 100_000,
            Suite::LoadSavepoint => 5_000_000,
        }
    }
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    /// The suite.
    pub suite: Suite,
    /// N (its meaning depends on the suite).
    pub n: u64,
    /// Rounds.
    pub rounds: usize,
    /// Engines, in order.
    pub engines: Vec<String>,
    /// kv: the workloads to report.
    pub workloads: Vec<Workload>,
    /// sql: the workloads to report.
    pub sql_workloads: Vec<sql::Workload>,
    /// commits: durability modes; load_savepoint: load modes.
    pub variants: Vec<String>,
    /// Cache per engine, in bytes.
    pub cache_bytes: u64,
    /// Where the directories go.
    pub dir: PathBuf,
    /// The seed.
    pub seed: u64,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Invocation {
    /// Print the usage.
    Help,
    /// Run a suite (the parent).
    Run(Args),
    /// Be one child of a run: one unit in `args.dir`.
    Child {
        /// The settings (the suite, N, seed, cache, workloads; `dir` is the child's own).
        args: Args,
        /// The engine.
        engine: String,
        /// The variant (`None` for `-`).
        variant: Option<String>,
    },
}

fn split(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

fn check_names(kind: &str, given: &[String], known: &[&str]) -> Result<(), String> {
    match given.iter().find(|g| !known.contains(&g.as_str())) {
        Some(bad) => Err(format!(
            "unknown {kind} {bad:?} ({kind}s: {})",
            known.join(",")
        )),
        None if given.is_empty() => Err(format!("no {kind} given")),
        None => Ok(()),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Invocation, String> {
    let mut args = args.into_iter().peekable();
    let child = args.peek().map(String::as_str) == Some("--child");
    if child {
        args.next();
    }
    let suite = match args.next().as_deref() {
        Some("-h" | "--help") | None => return Ok(Invocation::Help),
        Some(name) => Suite::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let all: Vec<_> = Suite::ALL.iter().map(|s| s.name()).collect();
                format!("unknown suite {name:?} (suites: {})", all.join(", "))
            })?,
    };
    let child_unit = if child {
        let engine = args.next().ok_or("--child needs SUITE ENGINE VARIANT")?;
        let variant = args.next().ok_or("--child needs SUITE ENGINE VARIANT")?;
        Some((engine, (variant != "-").then_some(variant)))
    } else {
        None
    };
    let mut parsed = Args {
        suite,
        n: suite.default_n(),
        rounds: 3,
        engines: match suite {
            Suite::Commits => crate::commits::ENGINES
                .iter()
                .map(|e| e.to_string())
                .collect(),
            Suite::Sql => sql::engine::ENGINES.iter().map(|e| e.to_string()).collect(),
            _ => engines::ENGINES.iter().map(|e| e.to_string()).collect(),
        },
        workloads: Workload::ALL.to_vec(),
        sql_workloads: sql::Workload::ALL.to_vec(),
        variants: match suite {
            Suite::Commits => vec![SyncMode::Full.name().into(), SyncMode::Off.name().into()],
            Suite::LoadSavepoint => Mode::ALL.iter().map(|m| m.name().into()).collect(),
            _ => Vec::new(),
        },
        cache_bytes: 64 << 20,
        dir: std::env::temp_dir(),
        seed: 3,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Invocation::Help);
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag} {v:?}: {e}"))
        };
        let only = |suites: &[Suite]| {
            if suites.contains(&suite) {
                Ok(())
            } else {
                Err(format!(
                    "{flag} does not apply to the {} suite",
                    suite.name()
                ))
            }
        };
        match flag.as_str() {
            "--n" => parsed.n = number(&value)?,
            "--seed" => parsed.seed = number(&value)?,
            "--rounds" => {
                only(&[Suite::Kv, Suite::Commits, Suite::LoadSavepoint, Suite::Sql])?;
                parsed.rounds = usize::try_from(number(&value)?).map_err(|e| e.to_string())?;
            }
            "--cache-mib" | "--cache-mb" => {
                parsed.cache_bytes = number(&value)?
                    .checked_mul(1 << 20)
                    .ok_or("--cache-mib too large")?
            }
            // The parent passes the exact size to its children.
            "--cache-bytes" if child => parsed.cache_bytes = number(&value)?,
            "--dir" => parsed.dir = PathBuf::from(value),
            "--engines" => {
                only(&[Suite::Kv, Suite::Commits, Suite::Space, Suite::Sql])?;
                parsed.engines = split(&value);
                let known = match suite {
                    Suite::Commits => crate::commits::ENGINES,
                    Suite::Sql => sql::engine::ENGINES,
                    _ => engines::ENGINES,
                };
                check_names("engine", &parsed.engines, known)?;
            }
            "--workloads" if suite == Suite::Sql => {
                let names = split(&value);
                let all: Vec<_> = sql::Workload::ALL.iter().map(|w| w.name()).collect();
                check_names("workload", &names, &all)?;
                parsed.sql_workloads = names
                    .iter()
                    .filter_map(|w| sql::Workload::from_name(w))
                    .collect();
            }
            "--workloads" => {
                only(&[Suite::Kv])?;
                let names = split(&value);
                let all: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
                check_names("workload", &names, &all)?;
                parsed.workloads = names
                    .iter()
                    .filter_map(|w| Workload::from_name(w))
                    .collect();
            }
            "--durability" => {
                only(&[Suite::Commits])?;
                parsed.variants = split(&value);
                check_names("durability", &parsed.variants, &["full", "off"])?;
            }
            "--modes" => {
                only(&[Suite::LoadSavepoint])?;
                parsed.variants = split(&value);
                check_names("mode", &parsed.variants, &["plain", "savepoint"])?;
            }
            _ => return Err(format!("unknown option {flag:?}")),
        }
    }
    if parsed.n == 0 {
        return Err("--n must be at least 1".into());
    }
    if parsed.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    if suite == Suite::Kv && parsed.n < 2 {
        return Err("kv: --n must be at least 2 (the 2-thread reads split it)".into());
    }
    Ok(match child_unit {
        Some((engine, variant)) => Invocation::Child {
            args: parsed,
            engine,
            variant,
        },
        None => Invocation::Run(parsed),
    })
}

impl Args {
    /// The plan of a suite run in children (not `space`).
    pub fn plan(&self) -> Plan {
        let mut child_args = vec![
            "--n".to_owned(),
            self.n.to_string(),
            "--seed".to_owned(),
            self.seed.to_string(),
            "--cache-bytes".to_owned(),
            self.cache_bytes.to_string(),
        ];
        let (units, layout, ratios) = match self.suite {
            Suite::Kv | Suite::Space => {
                let names: Vec<&str> = self.workloads.iter().map(|w| w.name()).collect();
                child_args.extend(["--workloads".to_owned(), names.join(",")]);
                let units = self
                    .engines
                    .iter()
                    .map(|e| Unit {
                        engine: e.clone(),
                        variant: None,
                    })
                    .collect();
                (units, Layout::EngineColumns { field: None }, Vec::new())
            }
            Suite::Sql => {
                let names: Vec<&str> = self.sql_workloads.iter().map(|w| w.name()).collect();
                child_args.extend(["--workloads".to_owned(), names.join(",")]);
                let units = self
                    .engines
                    .iter()
                    .map(|e| Unit {
                        engine: e.clone(),
                        variant: None,
                    })
                    .collect();
                (units, Layout::EngineColumns { field: None }, Vec::new())
            }
            Suite::Commits => {
                // Durability outer, engine inner: a round runs one mode's engines side by side.
                let units = self
                    .variants
                    .iter()
                    .flat_map(|v| {
                        self.engines.iter().map(|e| Unit {
                            engine: e.clone(),
                            variant: Some(v.clone()),
                        })
                    })
                    .collect();
                (
                    units,
                    Layout::EngineColumns {
                        field: Some("durability"),
                    },
                    Vec::new(),
                )
            }
            Suite::LoadSavepoint => {
                let units = self
                    .variants
                    .iter()
                    .map(|v| Unit {
                        engine: "covet".to_owned(),
                        variant: Some(v.clone()),
                    })
                    .collect();
                let ratio = |of, workload| Ratio {
                    of,
                    workload,
                    numerator: "savepoint",
                    denominator: "plain",
                };
                (
                    units,
                    Layout::VariantColumns,
                    vec![
                        ratio("load", "load_ratio"),
                        ratio("load_and_close", "load_and_close_ratio"),
                    ],
                )
            }
        };
        Plan {
            suite: self.suite.name(),
            units,
            layout,
            n: self.n,
            rounds: self.rounds,
            child_args,
            dir: self.dir.clone(),
            ratios,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Invocation, String> {
        parse(line.split_whitespace().map(String::from))
    }

    fn run(line: &str) -> Args {
        match args(line).unwrap() {
            Invocation::Run(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_per_suite() {
        let kv = run("kv");
        assert_eq!(
            (kv.n, kv.rounds, kv.cache_bytes, kv.seed),
            (1_000_000, 3, 64 << 20, 3)
        );
        assert_eq!(kv.engines, ["covet", "redb", "sled", "sqlite", "lmdb"]);
        assert_eq!(kv.workloads, Workload::ALL);
        let c = run("commits");
        assert_eq!(
            (c.n, c.engines.clone(), c.variants.clone()),
            (
                100_000,
                vec!["covet".into(), "sqlite".into()],
                vec!["full".into(), "off".into()]
            )
        );
        let l = run("load_savepoint");
        assert_eq!(
            (l.n, l.variants.clone()),
            (5_000_000, vec!["plain".into(), "savepoint".into()])
        );
        assert_eq!(args("").unwrap(), Invocation::Help);
        assert_eq!(args("kv --help").unwrap(), Invocation::Help);
    }

    #[test]
    fn flags_are_parsed_and_checked() {
        let a = run("kv --n 20_000 --rounds=1 --engines sqlite,covet,sqlite --workloads removals,close --cache-mib 1024 --dir /x --seed 9");
        assert_eq!(
            (a.n, a.rounds, a.cache_bytes, a.seed),
            (20_000, 1, 1 << 30, 9)
        );
        assert_eq!(a.engines, ["sqlite", "covet"]);
        assert_eq!(a.workloads, [Workload::Removals, Workload::Close]);
        assert_eq!(a.dir, PathBuf::from("/x"));
        assert_eq!(run("kv --cache-mb 8").cache_bytes, 8 << 20);
        for (bad, message) in [
            ("kv --engines covet,mysql", "unknown engine \"mysql\""),
            (
                "commits --engines redb",
                "unknown engine \"redb\" (engines: covet,sqlite)",
            ),
            (
                "kv --durability off",
                "--durability does not apply to the kv suite",
            ),
            (
                "commits --durability normal",
                "unknown durability \"normal\"",
            ),
            ("load_savepoint --engines covet", "--engines does not apply"),
            ("kv --workloads bulk", "unknown workload \"bulk\""),
            ("kv --rounds 0", "--rounds must be at least 1"),
            ("kv --n 0", "--n must be at least 1"),
            ("kv --cache-bytes 5", "unknown option \"--cache-bytes\""),
            ("kv --n", "--n needs a value"),
            ("bench", "unknown suite \"bench\""),
        ] {
            let err = args(bad).unwrap_err();
            assert!(err.starts_with(message), "{bad}: {err}");
        }
    }

    #[test]
    fn a_child_line_round_trips_through_the_plan() {
        let a = run("commits --n 50 --durability off --cache-mib 2 --seed 4");
        let plan = a.plan();
        assert_eq!(plan.units.len(), 2);
        assert_eq!(plan.units[1].engine, "sqlite");
        assert_eq!(plan.units[1].variant.as_deref(), Some("off"));
        let mut line = vec![
            "--child".to_owned(),
            "commits".into(),
            "sqlite".into(),
            "off".into(),
        ];
        line.extend(plan.child_args.iter().cloned());
        line.extend(["--dir".to_owned(), "/child".into()]);
        match parse(line).unwrap() {
            Invocation::Child {
                args,
                engine,
                variant,
            } => {
                assert_eq!(
                    (engine.as_str(), variant.as_deref()),
                    ("sqlite", Some("off"))
                );
                assert_eq!((args.n, args.seed, args.cache_bytes), (50, 4, 2 << 20));
                assert_eq!(args.dir, PathBuf::from("/child"));
            }
            other => panic!("{other:?}"),
        }
        let kv = run("kv --workloads range_reads").plan();
        assert!(kv
            .child_args
            .ends_with(&["--workloads".to_owned(), "range_reads".to_owned()]));
        assert_eq!(run("load_savepoint").plan().ratios.len(), 2);
    }

    #[test]
    fn the_sql_suite_takes_its_engines_and_workloads() {
        let d = run("sql");
        assert_eq!((d.n, d.rounds), (1_000_000, 3));
        assert_eq!(d.engines, ["covet", "sqlite"]);
        assert_eq!(d.sql_workloads, sql::Workload::ALL);
        let a = run("sql --n 20000 --rounds 1 --engines sqlite --workloads stream,load");
        assert_eq!((a.n, a.rounds), (20_000, 1));
        assert_eq!(a.engines, ["sqlite"]);
        assert_eq!(
            a.sql_workloads,
            [sql::Workload::Stream, sql::Workload::Load]
        );
        assert!(a
            .plan()
            .child_args
            .ends_with(&["--workloads".to_owned(), "stream,load".to_owned()]));
        for (bad, message) in [
            (
                "sql --engines redb",
                "unknown engine \"redb\" (engines: covet,sqlite)",
            ),
            (
                "sql --workloads bulk_load",
                "unknown workload \"bulk_load\"",
            ),
            (
                "sql --durability off",
                "--durability does not apply to the sql suite",
            ),
        ] {
            let err = args(bad).unwrap_err();
            assert!(err.starts_with(message), "{bad}: {err}");
        }
    }
}
