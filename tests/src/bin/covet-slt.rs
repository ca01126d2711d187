//! `covet-slt FILE_OR_DIR…`: runs sqllogictest files (SQLite's corpus format) on covet,
//! each file on a fresh in-memory database, files in parallel.
//!
//! Prints each failure with file:line, the SQL, what was expected and what came; one
//! line per file with its counts and time; and last, alone on its line,
//! `N passed, N failed, N skipped` (records). Exits 1 when any record failed, 2 on a
//! usage error.
//!
//! Options:
//! - `--jobs N`: files run at once (default: the number of cores);
//! - `--timeout SECS`: the longest one record may take (default 60);
//! - `--time-budget SECS`: start no file after this long (files not started are listed
//!   and not counted), for CI;
//! - `--skips PATH`: the skip list (default `tests/slt/skips.txt` of this crate);
//! - `--max-failures N`: print at most N failures per file (all are counted);
//! - `--failures-tsv PATH`: also write every failure as a tab-separated line (file,
//!   line, kind, sql, expected, actual; newlines as `\n`), for triage;
//! - `--slow SECS`: list the records that took at least this long (default 5);
//! - `--quiet`: no failure details, only the per-file lines and the total;
//! - `--engine covet|sqlite`: the database under test (default covet; `sqlite`, with
//!   feature `sqlite-check`, runs SQLite itself as engine `sqlite`, to check the runner);
//! - `--categories`: after the files, the failures grouped by kind and error message
//!   (numbers as `N`), most records first, for triage;
//! - `--parse-only`: run nothing; per file, the records and the malformed ones (each
//!   printed as a failure), to check the parser on a corpus.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use covet_tests::slt::covet_db::CovetDb;
use covet_tests::slt::parser::parse;
use covet_tests::slt::{run_file, DbFactory, FileReport, RunOptions, SkipList, SltDatabase};
use rayon::prelude::*;

struct Args {
    paths: Vec<PathBuf>,
    jobs: usize,
    timeout: Duration,
    budget: Option<Duration>,
    skips: PathBuf,
    max_failures: usize,
    tsv: Option<PathBuf>,
    quiet: bool,
    parse_only: bool,
    engine: String,
    categories: bool,
    slow: Duration,
}

const USAGE: &str = "usage: covet-slt [--jobs N] [--timeout SECS] [--time-budget SECS] \
                     [--skips PATH] [--max-failures N] [--failures-tsv PATH] [--quiet] [--parse-only] [--categories] [--slow SECS] \
                     [--engine covet|sqlite] \
                     FILE_OR_DIR...";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        paths: Vec::new(),
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        timeout: Duration::from_secs(60),
        budget: None,
        skips: Path::new(env!("CARGO_MANIFEST_DIR")).join("slt/skips.txt"),
        max_failures: usize::MAX,
        tsv: None,
        quiet: false,
        parse_only: false,
        engine: "covet".into(),
        categories: false,
        slow: Duration::from_secs(5),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let secs = |v: String, name: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .map(Duration::from_secs_f64)
                .ok_or(format!("{name} needs a positive number of seconds"))
        };
        match a.as_str() {
            "--jobs" => {
                args.jobs = value("--jobs")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--jobs needs a positive number")?
            }
            "--timeout" => args.timeout = secs(value("--timeout")?, "--timeout")?,
            "--time-budget" => args.budget = Some(secs(value("--time-budget")?, "--time-budget")?),
            "--skips" => args.skips = value("--skips")?.into(),
            "--max-failures" => {
                args.max_failures = value("--max-failures")?
                    .parse()
                    .map_err(|_| "--max-failures needs a number")?
            }
            "--failures-tsv" => args.tsv = Some(value("--failures-tsv")?.into()),
            "--quiet" => args.quiet = true,
            "--parse-only" => args.parse_only = true,
            "--categories" => args.categories = true,
            "--slow" => args.slow = secs(value("--slow")?, "--slow")?,
            "--engine" => args.engine = value("--engine")?,
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ => args.paths.push(a.into()),
        }
    }
    if args.paths.is_empty() {
        return Err(USAGE.into());
    }
    Ok(args)
}

/// Every `.test` file under the paths (a file named directly is taken whatever its
/// name), sorted within each directory so that runs are comparable.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|e| e == "test") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok(out)
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn print_report(r: &FileReport, args: &Args) {
    let mut out = String::new();
    if !args.quiet {
        for f in r.failures.iter().take(args.max_failures) {
            out.push_str(&format!(
                "FAIL {}:{}: {}\n  sql:\n{}\n  expected:\n{}\n  actual:\n{}\n",
                r.path.display(),
                f.line,
                f.kind.name(),
                indent(&f.sql),
                indent(&f.expected),
                indent(&f.actual)
            ));
        }
        if r.failures.len() > args.max_failures {
            out.push_str(&format!(
                "  ({} more failures in {} not shown)\n",
                r.failures.len() - args.max_failures,
                r.path.display()
            ));
        }
    }
    for (line, took) in &r.slow {
        out.push_str(&format!(
            "SLOW {}:{line}: {:.2} s\n",
            r.path.display(),
            took.as_secs_f64()
        ));
    }
    out.push_str(&format!(
        "{}: {} passed, {} failed, {} skipped in {:.2} s{}\n",
        r.path.display(),
        r.passed,
        r.failed,
        r.skipped,
        r.elapsed.as_secs_f64(),
        r.note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    ));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

fn tsv_field(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn write_tsv(path: &Path, reports: &[Option<FileReport>]) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "file\tline\tkind\tsql\texpected\tactual")?;
    for r in reports.iter().flatten() {
        for f in &r.failures {
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.path.display(),
                f.line,
                f.kind.name(),
                tsv_field(&f.sql),
                tsv_field(&f.expected),
                tsv_field(&f.actual)
            )?;
        }
    }
    w.flush()
}

/// A failure's category: its kind, and for errors the SQLSTATE and the first words
/// of the message with numbers as `N` (messages that quote the SQL stay together).
fn category(f: &covet_tests::slt::Failure) -> String {
    use covet_tests::slt::FailureKind as K;
    match f.kind {
        K::StatementFailed | K::QueryFailed | K::Panic | K::Parse => {
            let first = f.actual.lines().next().unwrap_or("");
            let (code, message) = match first.split_once(": ") {
                Some((c, m)) if c.len() == 5 && c.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                    (format!("{c} "), m)
                }
                _ => (String::new(), first),
            };
            let mut norm = String::new();
            let mut in_number = false;
            for c in message.chars() {
                if c.is_ascii_digit() {
                    if !in_number {
                        norm.push('N');
                    }
                    in_number = true;
                } else {
                    in_number = false;
                    norm.push(c);
                }
            }
            let words: Vec<&str> = norm.split_whitespace().take(6).collect();
            format!("{}: {code}{}", f.kind.name(), words.join(" "))
        }
        other => other.name().to_string(),
    }
}

fn print_categories(reports: &[Option<FileReport>]) {
    let mut by: std::collections::HashMap<String, (usize, String)> = Default::default();
    for r in reports.iter().flatten() {
        for f in &r.failures {
            let e = by
                .entry(category(f))
                .or_insert_with(|| (0, format!("{}:{}", r.path.display(), f.line)));
            e.0 += 1;
        }
    }
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    println!("failure categories (records, category, first example):");
    for (cat, (n, example)) in rows {
        println!("{n:>8}  {cat}  [{example}]");
    }
}

/// The databases of `--engine`. covet's sessions get a statement timeout of nine
/// tenths of the record timeout: the engine's cancel comes before the watchdog's.
fn factory(engine: &str, record_timeout: Duration) -> Result<Arc<DbFactory>, String> {
    let statement_timeout = record_timeout.mul_f64(0.9);
    match engine {
        "covet" => Ok(Arc::new(move || {
            CovetDb::new(Some(statement_timeout)).map(|db| Box::new(db) as Box<dyn SltDatabase>)
        })),
        #[cfg(feature = "sqlite-check")]
        "sqlite" => Ok(Arc::new(|| {
            covet_tests::slt::sqlite_db::SqliteDb::new()
                .map(|db| Box::new(db) as Box<dyn SltDatabase>)
        })),
        #[cfg(not(feature = "sqlite-check"))]
        "sqlite" => Err("--engine sqlite needs the sqlite-check feature".into()),
        other => Err(format!("unknown engine {other} (covet or sqlite)")),
    }
}

/// `--parse-only`: every file parsed, malformed records printed; exit 1 if any.
fn parse_only(files: &[PathBuf]) -> ExitCode {
    let (mut records, mut malformed) = (0, 0);
    for path in files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                println!("FAIL {}: {e}", path.display());
                malformed += 1;
                continue;
            }
        };
        let items = parse(&text);
        let bad: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
        for e in &bad {
            println!("FAIL {}:{}: {}", path.display(), e.line, e.message);
        }
        let counted = items
            .iter()
            .filter(|i| i.as_ref().map_or(true, |r| r.is_counted()))
            .count();
        let conditional = items
            .iter()
            .filter(|i| {
                i.as_ref()
                    .is_ok_and(|r| r.is_counted() && !r.runs_on("covet"))
            })
            .count();
        println!(
            "{}: {counted} records, {conditional} not for covet, {} malformed",
            path.display(),
            bad.len()
        );
        records += counted;
        malformed += bad.len();
    }
    println!("{} records, {malformed} malformed", records);
    if malformed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let skips = match std::fs::read_to_string(&args.skips) {
        Ok(text) => match SkipList::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}: {e}", args.skips.display());
                return ExitCode::from(2);
            }
        },
        Err(e) => {
            eprintln!("{}: {e}", args.skips.display());
            return ExitCode::from(2);
        }
    };
    let files = match collect(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if args.parse_only {
        return parse_only(&files);
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs)
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot start {} threads: {e}", args.jobs);
            return ExitCode::from(2);
        }
    };
    let factory = match factory(&args.engine, args.timeout) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let skips = Arc::new(skips);
    let options = RunOptions {
        engine: args.engine.clone(),
        record_timeout: args.timeout,
        slow: args.slow,
    };
    let start = Instant::now();
    let not_started = Mutex::new(Vec::new());
    // One file a task; `with_max_len(1)` so that no worker takes a run of files at once
    // (the corpus files differ a hundredfold in size).
    let reports: Vec<Option<FileReport>> = pool.install(|| {
        files
            .par_iter()
            .with_max_len(1)
            .map(|path| {
                if args.budget.is_some_and(|b| start.elapsed() >= b) {
                    not_started.lock().unwrap().push(path.clone());
                    return None;
                }
                let r = run_file(path, Arc::clone(&factory), Arc::clone(&skips), &options);
                print_report(&r, &args);
                Some(r)
            })
            .collect()
    });
    let not_started = not_started.into_inner().unwrap();
    for p in &not_started {
        println!("{}: not run (time budget spent)", p.display());
    }
    if let Some(tsv) = &args.tsv {
        if let Err(e) = write_tsv(tsv, &reports) {
            eprintln!("{}: {e}", tsv.display());
        }
    }
    if args.categories {
        print_categories(&reports);
    }
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for r in reports.iter().flatten() {
        passed += r.passed;
        failed += r.failed;
        skipped += r.skipped;
    }
    println!(
        "{} files in {:.1} s{}",
        reports.iter().flatten().count(),
        start.elapsed().as_secs_f64(),
        if not_started.is_empty() {
            String::new()
        } else {
            format!(", {} not started within the time budget", not_started.len())
        }
    );
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
