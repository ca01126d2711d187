//! `compare`: runs a benchmark suite on each chosen engine and prints one JSON line per workload.
//!
//! ```text
//! cargo run --release -p covet-benches --bin compare -- kv [--n N] [--engines a,b]
//!     [--workloads x,y] [--cache-mb M] [--dir PATH] [--seed S]
//! cargo run --release -p covet-benches --bin compare -- space [--n N] [--engines a,b] ...
//! ```
//!
//! Results go to stdout once every engine has run; progress and errors go to stderr. The exit
//! status is 0 only if every engine completed every workload and every read check passed.

use std::path::PathBuf;
use std::process::ExitCode;

use covet_benches::engines::{self, EngineConfig, EngineVisitor, KvEngine};
use covet_benches::kv::{self, EngineReport, KvParams, Outcome, Workload};

const USAGE: &str = "\
usage: compare kv [--n N] [--engines a,b] [--workloads x,y] [--cache-mb M] [--dir PATH] [--seed S]
       compare space [--n N] [--engines a,b] [--cache-mb M] [--dir PATH] [--seed S]

  kv               the key-value workloads (bulk load, writes, reads, removals, file size)
  space            load N keys, remove them all, load them again: file sizes and their ratio

  --n N            keys bulk-loaded and point reads made (default 1000000)
  --engines a,b    engines to run, in this order (default: all)
  --workloads x,y  workloads to report (default: all; loads they need still run, untimed)
  --cache-mb M     cache per engine in MiB, where it has one (default 64)
  --dir PATH       where each engine's fresh temporary directory goes (default: the system
                   temporary directory); use a real disk, not tmpfs, or fsync means nothing
  --seed S         seed of the keys, values and read orders (default 3)";

/// The parsed command line.
struct Args {
    params: KvParams,
    engines: Vec<String>,
    dir: PathBuf,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("kv") => {}
        Some("-h" | "--help") | None => return Err(String::new()),
        Some(other) => return Err(format!("unknown suite {other:?} (suites: kv)")),
    }
    let mut params = KvParams {
        n: 1_000_000,
        seed: 3,
        config: EngineConfig {
            cache_bytes: 64 << 20,
        },
        workloads: Workload::ALL.to_vec(),
    };
    let mut engines: Vec<String> = engines::ENGINES.iter().map(|e| e.to_string()).collect();
    let mut dir = std::env::temp_dir();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag} {v:?}: {e}"))
        };
        match flag.as_str() {
            "--n" => params.n = number(&value)?,
            "--seed" => params.seed = number(&value)?,
            "--cache-mb" => {
                params.config.cache_bytes = number(&value)?
                    .checked_mul(1 << 20)
                    .ok_or("--cache-mb too large")?
            }
            "--dir" => dir = PathBuf::from(value),
            "--engines" => {
                engines = split(&value);
                let mut seen = Vec::new();
                engines.retain(|e| {
                    !seen.contains(e) && {
                        seen.push(e.clone());
                        true
                    }
                });
                if let Some(bad) = engines
                    .iter()
                    .find(|e| !engines::ENGINES.contains(&e.as_str()))
                {
                    return Err(format!(
                        "unknown engine {bad:?} (engines: {})",
                        engines::ENGINES.join(",")
                    ));
                }
            }
            "--workloads" => {
                params.workloads = split(&value)
                    .iter()
                    .map(|w| {
                        Workload::from_name(w).ok_or_else(|| {
                            let all: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
                            format!("unknown workload {w:?} (workloads: {})", all.join(","))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            _ => return Err(format!("unknown option {flag:?}")),
        }
    }
    if params.n == 0 {
        return Err("--n must be at least 1".into());
    }
    Ok(Args {
        params,
        engines,
        dir,
    })
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Runs the kv suite on the engine type it is given.
struct RunKv<'a>(&'a Args);

impl EngineVisitor for RunKv<'_> {
    type Output = EngineReport;

    fn visit<E: KvEngine>(self) -> EngineReport {
        eprintln!("== {} ==", E::NAME);
        kv::run_engine::<E>(&self.0.params, &self.0.dir)
    }
}

/// Runs the space suite on the engine type it is given.
struct RunSpace<'a>(&'a Args);

impl EngineVisitor for RunSpace<'_> {
    type Output = Option<covet_benches::space::SpaceReport>;

    fn visit<E: KvEngine>(self) -> Self::Output {
        eprintln!("== {} ==", E::NAME);
        let p = &self.0.params;
        match covet_benches::space::run::<E>(p.n, p.seed, &p.config, &self.0.dir) {
            Ok(r) => {
                eprintln!("{}: {} -> {} bytes", E::NAME, r.first, r.reloaded);
                Some(r)
            }
            Err(e) => {
                eprintln!("{}: space: ERROR: {e}", E::NAME);
                None
            }
        }
    }
}

fn run_space(args: &Args) -> ExitCode {
    let n = args.params.n;
    let mut rows: Vec<(String, Option<covet_benches::space::SpaceReport>)> = Vec::new();
    for name in &args.engines {
        if let Some(report) = engines::run_by_name(name, RunSpace(args)) {
            rows.push((name.clone(), report));
        }
    }
    let line = |workload: &str,
                unit: &str,
                f: &dyn Fn(&covet_benches::space::SpaceReport) -> String| {
        let results: Vec<String> = rows
            .iter()
            .map(|(name, r)| format!("\"{name}\":{}", r.as_ref().map_or("null".to_string(), f)))
            .collect();
        println!(
            "{{\"suite\":\"space\",\"workload\":\"{workload}\",\"n\":{n},\"unit\":\"{unit}\",\"results\":{{{}}}}}",
            results.join(",")
        );
    };
    line("first_load", "bytes", &|r| r.first.to_string());
    line("delete_all_and_reload", "bytes", &|r| {
        r.reloaded.to_string()
    });
    line("reload_ratio", "ratio", &|r| {
        format!("{:.3}", r.reloaded as f64 / r.first.max(1) as f64)
    });
    if rows.iter().all(|(_, r)| r.is_some()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Warns when `dir` is on tmpfs, where fsync is free and durable commits are not measured.
fn warn_if_tmpfs(dir: &std::path::Path) {
    let Ok(dir) = dir.canonicalize() else { return };
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    let fs_type = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, fs_type) = (fields.next()?, fields.next()?, fields.next()?);
            dir.starts_with(point).then_some((point.len(), fs_type))
        })
        .max_by_key(|&(len, _)| len)
        .map(|(_, fs_type)| fs_type);
    if fs_type == Some("tmpfs") {
        eprintln!("WARNING: {dir:?} is on tmpfs: fsync costs nothing there; use --dir on a disk");
    }
}

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    let space = argv.first().map(String::as_str) == Some("space");
    if space {
        argv[0] = "kv".into();
    }
    let args = match parse(argv.into_iter()) {
        Ok(args) => args,
        Err(message) => {
            if message.is_empty() {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("compare: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = std::fs::create_dir_all(&args.dir) {
        eprintln!("compare: cannot create {:?}: {err}", args.dir);
        return ExitCode::from(2);
    }
    warn_if_tmpfs(&args.dir);
    if space {
        return run_space(&args);
    }
    let n = args.params.n;
    eprintln!(
        "kv: n = {n} ({} keys after loading, {} scans of {}), cache {} MiB, seed {}",
        kv::loaded_keys(n),
        kv::scans(n),
        kv::SCAN_LEN,
        args.params.config.cache_bytes >> 20,
        args.params.seed
    );

    let mut reports = Vec::new();
    for name in &args.engines {
        if let Some(report) = engines::run_by_name(name, RunKv(&args)) {
            reports.push((name.as_str(), report));
        }
    }

    let mut ok = true;
    for workload in Workload::ALL {
        if !args.params.workloads.contains(&workload) {
            continue;
        }
        let results: Vec<String> = reports
            .iter()
            .map(|(name, report)| {
                let outcome = report
                    .results
                    .iter()
                    .find(|(w, _)| *w == workload)
                    .map_or(Outcome::Failed, |&(_, outcome)| outcome);
                ok &= outcome != Outcome::Failed;
                format!("\"{name}\":{outcome}")
            })
            .collect();
        println!(
            "{{\"suite\":\"kv\",\"workload\":\"{}\",\"n\":{n},\"unit\":\"{}\",\"results\":{{{}}}}}",
            workload.name(),
            workload.unit(),
            results.join(",")
        );
    }
    let problems: u64 = reports.iter().map(|(_, r)| r.problems).sum();
    if problems > 0 {
        eprintln!("compare: {problems} failed read checks: the results above are not valid");
    }
    if ok && problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
