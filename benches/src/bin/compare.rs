//! `compare`: runs a benchmark suite and prints one JSON line per result (see
//! `benches/README.md` and `compare --help`).
//!
//! The suites other than `space` run every engine in its own child process: this binary
//! re-executed as `compare --child SUITE ENGINE VARIANT ...`, which runs one engine once in a
//! directory the parent made and reports in the line protocol of `covet_benches::protocol`.
//! Results go to stdout; progress and errors go to stderr. The exit status is 0 only if every
//! child completed every workload and every check passed.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use covet_benches::cli::{self, Args, Invocation, Suite};
use covet_benches::commits;
use covet_benches::engines::{self, EngineConfig, EngineVisitor, KvEngine, SyncMode};
use covet_benches::kv::{self, KvParams};
use covet_benches::load_savepoint::{self, Mode};
use covet_benches::protocol::Report;
use covet_benches::rounds;
use covet_benches::space::{self, SpaceReport};
use covet_benches::sql::{self, engine::SqlEngine, SqlParams};

/// Runs one child's work for the engine type it is given.
struct Child<'a, W: Write> {
    args: &'a Args,
    variant: Option<&'a str>,
    report: &'a mut Report<W>,
}

impl<W: Write> EngineVisitor for Child<'_, W> {
    type Output = ();

    fn visit<E: KvEngine>(self) {
        let a = self.args;
        match a.suite {
            Suite::Kv => {
                let params = KvParams {
                    n: a.n,
                    seed: a.seed,
                    config: EngineConfig::durable(a.cache_bytes),
                    workloads: a.workloads.clone(),
                };
                kv::run_child::<E, W>(&params, &a.dir, self.report)
            }
            Suite::Commits => {
                let Some(sync) = self.variant.and_then(SyncMode::from_name) else {
                    eprintln!("compare: commits child without a durability");
                    return self.report.fail();
                };
                let config = EngineConfig {
                    sync,
                    autocheckpoint: false,
                    ..EngineConfig::durable(a.cache_bytes)
                };
                commits::run_child::<E, W>(a.n, a.seed, &config, &a.dir, self.report)
            }
            Suite::LoadSavepoint | Suite::Space | Suite::Sql => {
                eprintln!("compare: {} is not an engine suite", a.suite.name());
                self.report.fail()
            }
        }
    }
}

/// Runs one child of the sql suite on the SQL engine type it is given.
struct SqlChild<'a, W: Write> {
    args: &'a Args,
    report: &'a mut Report<W>,
}

impl<W: Write> sql::engine::SqlVisitor for SqlChild<'_, W> {
    type Output = ();

    fn visit<E: SqlEngine>(self) {
        let a = self.args;
        let params = SqlParams {
            n: a.n,
            seed: a.seed,
            cache_bytes: a.cache_bytes,
            workloads: a.sql_workloads.clone(),
        };
        sql::run_child::<E, W>(&params, &a.dir, self.report)
    }
}

fn run_child(args: &Args, engine: &str, variant: Option<&str>) -> ExitCode {
    let mut report = Report::new(std::io::stdout().lock());
    if args.suite == Suite::Sql {
        let child = SqlChild {
            args,
            report: &mut report,
        };
        if sql::engine::run_by_name(engine, child).is_none() {
            eprintln!("compare: unknown sql engine {engine:?}");
            return ExitCode::from(2);
        }
    } else if args.suite == Suite::LoadSavepoint {
        match variant.and_then(Mode::from_name) {
            Some(mode) => load_savepoint::run_child(
                args.n,
                args.seed,
                args.cache_bytes,
                mode,
                &args.dir,
                &mut report,
            ),
            None => {
                eprintln!("compare: load_savepoint child without a mode");
                report.fail();
            }
        }
    } else {
        let child = Child {
            args,
            variant,
            report: &mut report,
        };
        if engines::run_by_name(engine, child).is_none() {
            eprintln!("compare: unknown engine {engine:?}");
            return ExitCode::from(2);
        }
    }
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the space suite on the engine type it is given.
struct RunSpace<'a>(&'a Args);

impl EngineVisitor for RunSpace<'_> {
    type Output = Option<SpaceReport>;

    fn visit<E: KvEngine>(self) -> Self::Output {
        eprintln!("== {} ==", E::NAME);
        let a = self.0;
        match space::run::<E>(a.n, a.seed, &EngineConfig::durable(a.cache_bytes), &a.dir) {
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
    let n = args.n;
    let mut rows: Vec<(String, Option<SpaceReport>)> = Vec::new();
    for name in &args.engines {
        if let Some(report) = engines::run_by_name(name, RunSpace(args)) {
            rows.push((name.clone(), report));
        }
    }
    let line = |workload: &str, unit: &str, f: &dyn Fn(&SpaceReport) -> String| {
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
fn warn_if_tmpfs(dir: &Path) {
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
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(Invocation::Help) => {
            eprintln!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Child {
            args,
            engine,
            variant,
        }) => return run_child(&args, &engine, variant.as_deref()),
        Ok(Invocation::Run(args)) => args,
        Err(message) => {
            eprintln!("compare: {message}\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    if let Err(err) = std::fs::create_dir_all(&args.dir) {
        eprintln!("compare: cannot create {:?}: {err}", args.dir);
        return ExitCode::from(2);
    }
    warn_if_tmpfs(&args.dir);
    if args.suite == Suite::Space {
        return run_space(&args);
    }
    let n = args.n;
    eprintln!(
        "{}: n = {n}, {} rounds, cache {} MiB, seed {}{}",
        args.suite.name(),
        args.rounds,
        args.cache_bytes >> 20,
        args.seed,
        if args.suite == Suite::Kv {
            format!(
                " ({} keys after loading, {} scans of {})",
                kv::loaded_keys(n),
                kv::scans(n),
                kv::SCAN_LEN
            )
        } else {
            String::new()
        }
    );
    if rounds::run(&args.plan()) {
        ExitCode::SUCCESS
    } else {
        eprintln!("compare: a child failed or a check did not pass: the results are not valid");
        ExitCode::FAILURE
    }
}
