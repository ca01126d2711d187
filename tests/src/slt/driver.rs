//! Running whole files: each on a fresh database in a worker thread of its own, with a
//! watchdog and panic capture, so that neither a hang nor a panic of the engine ends
//! the run.
//!
//! What must stay true:
//! - a record that panics is a failure naming its file:line, and the file goes on with
//!   its next record on the same database;
//! - a record that runs past the time limit is a failure; its worker thread cannot be
//!   stopped (Rust has no thread cancellation), so it is left behind and the file's
//!   remaining records are counted as skipped, with a note saying so;
//! - every counted record of a file lands in exactly one of passed, failed, skipped
//!   (except after `halt`, where SQLite's runner stops reading too).

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use super::parser::{parse, Item, ParseError};
use super::runner::{Failure, FailureKind, FileRunner, SltDatabase, Step, Verdict};
use super::skips::SkipList;

/// Makes a fresh database for one file.
pub type DbFactory = dyn Fn() -> Result<Box<dyn SltDatabase>, String> + Send + Sync;

/// How files are run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The engine name for `skipif`/`onlyif`.
    pub engine: String,
    /// The longest one record may take.
    pub record_timeout: Duration,
    /// Records that take at least this long are listed in the report.
    pub slow: Duration,
}

/// The outcome of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Records that passed.
    pub passed: usize,
    /// Records that failed.
    pub failed: usize,
    /// Records skipped (conditions, skip list, or not run after a hang).
    pub skipped: usize,
    /// Every failure, in file order.
    pub failures: Vec<Failure>,
    /// How long the file took.
    pub elapsed: Duration,
    /// Something the reader must know (a hang that abandoned the file, a skipped file).
    pub note: Option<String>,
    /// The records that took at least [`RunOptions::slow`]: line and time.
    pub slow: Vec<(usize, Duration)>,
}

impl FileReport {
    fn new(path: &Path) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            passed: 0,
            failed: 0,
            skipped: 0,
            failures: Vec::new(),
            elapsed: Duration::ZERO,
            note: None,
            slow: Vec::new(),
        }
    }

    fn tally(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Skip(_) => self.skipped += 1,
            Verdict::Fail(f) => {
                self.failed += 1;
                self.failures.push(f);
            }
        }
    }
}

thread_local! {
    /// The last panic's message and place on this thread, set by the hook below.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The name of worker threads: the panic hook keeps their panics quiet (they are
/// reported as failures) and lets every other thread's reach stderr.
const WORKER: &str = "slt-worker";

/// A worker's stack: a program's main thread's (8 MiB) rather than a spawned thread's
/// default 2 MiB, since a stack overflow aborts the whole process, past any
/// `catch_unwind`. (The engine's own depth bounds are for 2 MiB; the fuzz target checks
/// those, the corpus run is not the place to find them.)
const WORKER_STACK: usize = 8 << 20;

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(WORKER) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
            } else {
                default(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let hooked = LAST_PANIC.with(|p| p.borrow_mut().take());
    hooked.unwrap_or_else(|| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// What a worker tells its watchdog: one message per item, in order, then `Finished`.
enum Event {
    Item(Step, Duration),
    Finished,
}

fn item_line(item: &Item) -> usize {
    match item {
        Ok(r) => r.line,
        Err(e) => e.line,
    }
}

fn item_sql(item: &Item) -> String {
    match item {
        Ok(r) => match &r.command {
            super::parser::Command::Statement { sql, .. }
            | super::parser::Command::Query { sql, .. } => sql.clone(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// Whether an item counts in the totals (a parse error does: it is a failed record).
fn item_counted(item: &Item) -> bool {
    item.as_ref().map_or(true, |r| r.is_counted())
}

/// Runs one file on a fresh database from `factory`.
pub fn run_file(
    path: &Path,
    factory: Arc<DbFactory>,
    skips: Arc<SkipList>,
    options: &RunOptions,
) -> FileReport {
    install_panic_hook();
    let start = Instant::now();
    let mut report = FileReport::new(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            report.tally(Verdict::Fail(Failure {
                line: 0,
                kind: FailureKind::Parse,
                sql: String::new(),
                expected: "a readable file".into(),
                actual: e.to_string(),
            }));
            return report;
        }
    };
    let items: Arc<Vec<Item>> = Arc::new(parse(&text));
    if let Some(reason) = skips.whole_file(path) {
        report.skipped = items.iter().filter(|i| item_counted(i)).count();
        report.note = Some(format!("skipped whole: {reason}"));
        report.elapsed = start.elapsed();
        return report;
    }

    let (tx, rx) = mpsc::channel();
    let worker = {
        let items = Arc::clone(&items);
        let path = path.to_path_buf();
        let engine = options.engine.clone();
        std::thread::Builder::new()
            .name(WORKER.into())
            .stack_size(WORKER_STACK)
            .spawn(move || work(&path, &items, &*factory, &skips, &engine, &tx))
    };
    if let Err(e) = worker {
        report.tally(Verdict::Fail(Failure {
            line: 0,
            kind: FailureKind::Panic,
            sql: String::new(),
            expected: "a worker thread".into(),
            actual: e.to_string(),
        }));
        return report;
    }

    let mut next = 0; // the index of the item the worker is on
    loop {
        match rx.recv_timeout(options.record_timeout) {
            Ok(Event::Item(step, took)) => {
                if took >= options.slow && item_counted(&items[next]) {
                    report.slow.push((item_line(&items[next]), took));
                }
                next += 1;
                match step {
                    Step::Counted(v) => report.tally(v),
                    Step::Uncounted => {}
                    Step::Halt => {}
                }
            }
            Ok(Event::Finished) => break,
            Err(e) => {
                let (kind, what) = match e {
                    mpsc::RecvTimeoutError::Timeout => (
                        FailureKind::Timeout,
                        format!("no result after {:?}", options.record_timeout),
                    ),
                    mpsc::RecvTimeoutError::Disconnected => (
                        FailureKind::Panic,
                        "the worker ended without finishing the file".to_string(),
                    ),
                };
                abandon(&mut report, &items, next, kind, what);
                break;
            }
        }
    }
    report.elapsed = start.elapsed();
    report
}

/// Records the item at `at` as failed and the counted items after it as skipped.
fn abandon(report: &mut FileReport, items: &[Item], at: usize, kind: FailureKind, what: String) {
    let Some(item) = items.get(at) else {
        return;
    };
    let line = item_line(item);
    report.tally(Verdict::Fail(Failure {
        line,
        kind,
        sql: item_sql(item),
        expected: "a result".into(),
        actual: what.clone(),
    }));
    let rest = items[at + 1..].iter().filter(|i| item_counted(i)).count();
    report.skipped += rest;
    report.note = Some(format!(
        "abandoned at line {line} ({what}); {rest} later records not run, counted as skipped"
    ));
}

/// The worker: runs every item, one event each. Returns when done or when the
/// watchdog stopped listening.
fn work(
    path: &Path,
    items: &[Item],
    factory: &DbFactory,
    skips: &SkipList,
    engine: &str,
    tx: &mpsc::Sender<Event>,
) {
    let made = panic::catch_unwind(AssertUnwindSafe(factory));
    let mut db = match made {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => return fail_all(items, "cannot open a database", e, tx),
        Err(p) => return fail_all(items, "opening a database panicked", panic_message(&*p), tx),
    };
    let mut runner = FileRunner::new(path, engine, skips);
    for item in items {
        let began = Instant::now();
        let step = match item {
            Err(ParseError { line, message }) => Step::Counted(Verdict::Fail(Failure {
                line: *line,
                kind: FailureKind::Parse,
                sql: String::new(),
                expected: "a well-formed record".into(),
                actual: message.clone(),
            })),
            Ok(record) => {
                match panic::catch_unwind(AssertUnwindSafe(|| runner.run(record, &mut *db))) {
                    Ok(step) => step,
                    Err(p) => Step::Counted(Verdict::Fail(Failure {
                        line: record.line,
                        kind: FailureKind::Panic,
                        sql: item_sql(item),
                        expected: "no panic".into(),
                        actual: panic_message(&*p),
                    })),
                }
            }
        };
        let halt = step == Step::Halt;
        if tx.send(Event::Item(step, began.elapsed())).is_err() || halt {
            break;
        }
    }
    let _ = tx.send(Event::Finished);
}

/// Without a database every counted record fails with the same reason.
fn fail_all(items: &[Item], expected: &str, actual: String, tx: &mpsc::Sender<Event>) {
    for item in items {
        let step = if item_counted(item) {
            Step::Counted(Verdict::Fail(Failure {
                line: item_line(item),
                kind: FailureKind::Panic,
                sql: item_sql(item),
                expected: expected.into(),
                actual: actual.clone(),
            }))
        } else {
            Step::Uncounted
        };
        if tx.send(Event::Item(step, Duration::ZERO)).is_err() {
            return;
        }
    }
    let _ = tx.send(Event::Finished);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slt::runner::QueryOutput;
    use covet_engine::value::Value;
    use std::io::Write;

    /// Answers `SELECT 1` with 1, panics on `PANIC`, sleeps on `SLEEP`, fails the rest.
    struct Toy;

    impl SltDatabase for Toy {
        fn statement(&mut self, sql: &str) -> Result<(), String> {
            match sql {
                "PANIC" => panic!("toy panic"),
                "SLEEP" => {
                    std::thread::sleep(Duration::from_secs(5));
                    Ok(())
                }
                "OK" => Ok(()),
                "NAP" => {
                    std::thread::sleep(Duration::from_millis(60));
                    Ok(())
                }
                _ => Err("no".into()),
            }
        }

        fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
            match sql {
                "SELECT 1" => Ok(QueryOutput {
                    columns: 1,
                    rows: vec![vec![Value::Int(1)]],
                }),
                _ => Err("no".into()),
            }
        }
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".test").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn toy() -> Arc<DbFactory> {
        Arc::new(|| Ok(Box::new(Toy) as Box<dyn SltDatabase>))
    }

    fn options(timeout_ms: u64) -> RunOptions {
        RunOptions {
            engine: "covet".into(),
            record_timeout: Duration::from_millis(timeout_ms),
            slow: Duration::MAX,
        }
    }

    #[test]
    fn a_panic_is_a_failure_and_the_file_goes_on() {
        let f = file("statement ok\nPANIC\n\nquery I nosort\nSELECT 1\n----\n1\n\nbogus line\n");
        let r = run_file(
            f.path(),
            toy(),
            Arc::new(SkipList::default()),
            &options(60_000),
        );
        assert_eq!((r.passed, r.failed, r.skipped), (1, 2, 0));
        assert_eq!(r.failures[0].line, 1);
        assert_eq!(r.failures[0].kind, FailureKind::Panic);
        assert!(
            r.failures[0].actual.contains("toy panic"),
            "{}",
            r.failures[0].actual
        );
        assert!(
            r.failures[0].actual.contains("driver.rs"),
            "{}",
            r.failures[0].actual
        );
        assert_eq!(r.failures[1].kind, FailureKind::Parse);
        assert_eq!(r.failures[1].line, 9);
        assert_eq!(r.note, None);
    }

    #[test]
    fn a_hang_is_a_failure_and_the_rest_is_skipped() {
        let f = file("statement ok\nOK\n\nstatement ok\nSLEEP\n\nstatement ok\nOK\n\nquery I\nSELECT 1\n----\n1\n");
        let r = run_file(
            f.path(),
            toy(),
            Arc::new(SkipList::default()),
            &options(300),
        );
        assert_eq!((r.passed, r.failed, r.skipped), (1, 1, 2));
        assert_eq!(r.failures[0].kind, FailureKind::Timeout);
        assert_eq!(r.failures[0].line, 4);
        assert_eq!(r.failures[0].sql, "SLEEP");
        assert!(r
            .note
            .as_deref()
            .unwrap()
            .starts_with("abandoned at line 4"));
    }

    #[test]
    fn slow_records_are_listed_by_line() {
        let f =
            file("statement ok\nOK\n\nhash-threshold 9\n\nstatement ok\nNAP\n\nstatement ok\nOK\n");
        let mut o = options(60_000);
        o.slow = Duration::from_millis(40);
        let r = run_file(f.path(), toy(), Arc::new(SkipList::default()), &o);
        assert_eq!((r.passed, r.failed, r.skipped), (3, 0, 0));
        assert_eq!(r.slow.iter().map(|s| s.0).collect::<Vec<_>>(), [6]);
        assert!(r.slow[0].1 >= Duration::from_millis(60));
    }

    #[test]
    fn whole_file_skips_and_a_missing_database() {
        let f = file("statement ok\nOK\n\nhash-threshold 3\n\nquery I\nSELECT 1\n----\n1\n");
        let name = f.path().file_name().unwrap().to_string_lossy().into_owned();
        let skips = SkipList::parse(&format!("{name} | the whole file")).unwrap();
        let r = run_file(f.path(), toy(), Arc::new(skips), &options(60_000));
        assert_eq!((r.passed, r.failed, r.skipped), (0, 0, 2));
        assert_eq!(r.note.as_deref(), Some("skipped whole: the whole file"));

        let broken: Arc<DbFactory> = Arc::new(|| Err("disk on fire".into()));
        let r = run_file(
            f.path(),
            broken,
            Arc::new(SkipList::default()),
            &options(60_000),
        );
        assert_eq!((r.passed, r.failed, r.skipped), (0, 2, 0));
        assert_eq!(r.failures[1].line, 6);
        assert_eq!(r.failures[1].actual, "disk on fire");
    }
}
