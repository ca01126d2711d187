//! kill -9 with real processes: a child (`src/bin/kill9_child.rs`) runs a
//! workload of numbered transactions on a real file with `Durability::Full`,
//! printing `committing N` before transaction N and `committed N` after its
//! commit returned and read back; the parent kills it with SIGKILL at a random
//! moment (after a random delay, sometimes inside the child's recovery; after a
//! random number of reports; or within a few milliseconds of a random
//! `committing N`), round after round on the same file, so that every round
//! recovers the crash of the one before.
//!
//! After each kill the parent copies the files and opens the copy: it must hold
//! every reported commit and nothing else, except the one commit the child had
//! begun (`committing` without `committed`), whole (DESIGN.md, "Tests and
//! benchmarks"); every tree is compared in full with the model and the
//! integrity check must pass. The next child then recovers the original files
//! and must start from the same commit. The count of kills that landed after a
//! commit was durable but before it was reported must be above zero.
//!
//! Two workloads: small numbered transactions, and transactions that spill
//! (more dirty pages than the cache holds) and write pages past the end of the
//! main file while being killed. The seed is printed; `COVET_KILL9_SEED=S`
//! repeats a run.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use covet_engine::vfs::MemoryVfs;
use covet_engine::Database;
use covet_tests::{
    apply_ops_txn, assert_integrity, diff, kill9_options, numbered_counter, numbered_state,
    read_state, spilling_state, spilling_txn, IoCounter, Model,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One workload of the child.
struct Workload {
    /// The child's argument.
    name: &'static str,
    spilling: bool,
    /// The database after transactions 1..=c.
    state: fn(u64) -> Model,
    rounds: usize,
    /// The longest delay after a `committing` line before a kill, in µs: about
    /// the time a transaction takes to write, sync and read back.
    max_kill_delay_us: u64,
    /// The child reports at least this many commits over all rounds.
    min_reported: usize,
}

/// What one child run printed.
enum Line {
    Start(u64),
    Committing(u64),
    Committed(u64),
}

fn parse(line: &str) -> Option<Line> {
    let (word, n) = line.split_once(' ')?;
    let n = n.trim().parse().ok()?;
    match word {
        "start" => Some(Line::Start(n)),
        "committing" => Some(Line::Committing(n)),
        "committed" => Some(Line::Committed(n)),
        _ => None,
    }
}

/// The seed of this run: `COVET_KILL9_SEED`, or a random one. Printed.
fn seed(workload: &str) -> u64 {
    let seed = match std::env::var("COVET_KILL9_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("COVET_KILL9_SEED={s:?} is not a u64")),
        Err(_) => rand::random(),
    };
    eprintln!("kill9 {workload}: seed {seed} (repeat with COVET_KILL9_SEED={seed})");
    seed
}

fn spawn(
    dir: &Path,
    workload: &str,
) -> (Child, mpsc::Receiver<String>, thread::JoinHandle<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kill9_child"))
        .arg(dir)
        .arg(workload)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    (child, rx, err)
}

/// Copies the database and its WAL into `to` (the child is dead: the files are
/// what a restart would find).
fn copy_files(from: &Path, to: &Path) {
    for name in ["kill9.covet", "kill9.covet-wal"] {
        let src = from.join(name);
        if src.exists() {
            std::fs::copy(&src, to.join(name)).expect("copy");
        }
    }
}

/// Reads lines from the child until `stop` says so (or 30 seconds pass).
fn read_until(
    rx: &mpsc::Receiver<String>,
    lines: &mut Vec<String>,
    mut stop: impl FnMut(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let done = stop(&line);
                lines.push(line);
                if done {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// What the kills of one run found.
#[derive(Debug, Default)]
struct Summary {
    kills: usize,
    /// Commits the children reported.
    reported: usize,
    /// Kills after which the database held the commit the child had begun but
    /// not reported: it was durable before its report.
    durable_unreported: usize,
    /// Kills that lost the commit the child had begun (not durable yet).
    lost_in_flight: usize,
    /// Kills before the child printed `start` (inside its recovery).
    before_start: usize,
}

fn kill9_run(w: &Workload) -> Summary {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = StdRng::seed_from_u64(seed(w.name));
    let opts = kill9_options(w.spilling);
    // The commit count the database holds, as the last check found it.
    let mut durable = 0u64;
    let mut sum = Summary::default();
    for round in 0..w.rounds {
        let (mut child, rx, err) = spawn(dir.path(), w.name);
        let mut lines: Vec<String> = Vec::new();
        match round % 3 {
            // After a random delay: sometimes during the child's recovery.
            0 => thread::sleep(Duration::from_millis(rng.gen_range(0..150))),
            // After a random number of reported commits.
            1 => {
                let want = rng.gen_range(1..40);
                let mut seen = 0;
                read_until(&rx, &mut lines, |l| {
                    seen += usize::from(l.starts_with("committed "));
                    seen >= want
                });
            }
            // Within a few milliseconds of a random `committing N`: while N is
            // written, synced or read back.
            _ => {
                let want = rng.gen_range(1..40);
                let mut seen = 0;
                read_until(&rx, &mut lines, |l| {
                    seen += usize::from(l.starts_with("committing "));
                    seen >= want
                });
                thread::sleep(Duration::from_micros(rng.gen_range(0..w.max_kill_delay_us)));
            }
        }
        let exited_early = child.try_wait().expect("try_wait").is_some();
        child.kill().expect("kill -9");
        let status = child.wait().expect("wait");
        sum.kills += 1;
        let stderr = err.join().expect("stderr reader");
        assert!(
            !exited_early,
            "{} round {round}: the child exited on its own ({status}): {stderr}",
            w.name
        );
        // The pipe is closed now: every line the child wrote is in the channel.
        lines.extend(rx.iter());

        let mut start = None;
        let mut begun = Vec::new();
        let mut reported = Vec::new();
        for line in &lines {
            match parse(line) {
                Some(Line::Start(c)) => start = Some(c),
                Some(Line::Committing(n)) => begun.push(n),
                Some(Line::Committed(n)) => {
                    assert_eq!(
                        begun.last(),
                        Some(&n),
                        "{} round {round}: committed {n} without committing {n}",
                        w.name
                    );
                    reported.push(n);
                }
                None => {}
            }
        }
        match start {
            Some(c) => assert_eq!(
                c, durable,
                "{} round {round}: the child recovered commit {c}, the check before found {durable}",
                w.name
            ),
            None => {
                assert!(begun.is_empty(), "{} round {round}: commits without a start line", w.name);
                sum.before_start += 1;
            }
        }
        for (i, n) in begun.iter().enumerate() {
            assert_eq!(
                *n,
                durable + 1 + i as u64,
                "{} round {round}: transactions out of sequence",
                w.name
            );
        }
        let last_reported = reported.last().copied().unwrap_or(durable);
        // The transaction the kill interrupted, if it had begun.
        let in_flight = begun.last().copied().filter(|&n| n > last_reported);
        sum.reported += reported.len();

        // Check a copy, so that the next child recovers the original itself.
        let check = tempfile::tempdir().expect("tempdir");
        copy_files(dir.path(), check.path());
        let db = Database::open(check.path().join("kill9.covet"), opts.clone())
            .unwrap_or_else(|e| panic!("{} round {round}: reopening after kill -9: {e}", w.name));
        let seen =
            read_state(&db).unwrap_or_else(|e| panic!("{} round {round}: reading: {e}", w.name));
        let c = numbered_counter(&seen);
        assert!(
            c == last_reported || Some(c) == in_flight,
            "{} round {round}: {last_reported} commits reported, {in_flight:?} in flight, the \
             database holds {c}",
            w.name
        );
        let expected = (w.state)(c);
        assert!(
            seen == expected,
            "{} round {round}: the state of commit {c} is not whole: {}",
            w.name,
            diff(&expected, &seen)
        );
        assert_integrity(&db, &format!("{} round {round}", w.name));
        match in_flight {
            Some(n) if n == c => sum.durable_unreported += 1,
            Some(_) => sum.lost_in_flight += 1,
            None => {}
        }
        durable = c;
    }
    eprintln!(
        "kill9 {}: {sum:?}, {durable} commits in the database",
        w.name
    );
    assert_eq!(sum.kills, w.rounds);
    assert!(
        sum.reported >= w.min_reported,
        "{}: too few commits reported to test anything: {sum:?}",
        w.name
    );
    assert!(
        sum.durable_unreported > 0,
        "{}: no kill landed between a durable commit and its report: {sum:?}",
        w.name
    );
    sum
}

#[test]
fn kill9_loses_no_reported_commit_and_keeps_no_partial_one() {
    kill9_run(&Workload {
        name: "numbered",
        spilling: false,
        state: numbered_state,
        rounds: 30,
        max_kill_delay_us: 4_000,
        min_reported: 150,
    });
}

#[test]
fn kill9_during_spilling_transactions_that_grow_the_file() {
    kill9_run(&Workload {
        name: "spilling",
        spilling: true,
        state: spilling_state,
        rounds: 24,
        max_kill_delay_us: 30_000,
        min_reported: 40,
    });
}

/// The spilling workload does what its name says, with the child's options:
/// every transaction writes WAL frames before its commit (it spills: it holds
/// more dirty pages than the cache allows) and writes pages past the end of the
/// main file — so the kills of the test above land in those paths too.
#[test]
fn spilling_workload_spills_and_writes_past_the_end() {
    let vfs = IoCounter::new(Arc::new(MemoryVfs::new()));
    let db =
        Database::open_with_vfs(Arc::new(vfs.clone()), "kill9.covet", kill9_options(true)).unwrap();
    for n in 1..=6 {
        let (wal, main) = (vfs.of("kill9.covet-wal"), vfs.of("kill9.covet"));
        let mut w = db.begin_write().unwrap();
        apply_ops_txn(&mut w, &spilling_txn(n)).unwrap();
        let spilled = vfs.of("kill9.covet-wal").writes - wal.writes;
        assert!(spilled > 0, "transaction {n} did not spill");
        w.commit().unwrap();
        let past_end = vfs.of("kill9.covet").writes_past_end - main.writes_past_end;
        assert!(
            past_end > 0,
            "transaction {n} wrote no page past the end of the main file"
        );
    }
    assert_eq!(read_state(&db).unwrap(), spilling_state(6));
}
