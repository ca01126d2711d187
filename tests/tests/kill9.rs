//! kill -9 with real processes: a child (`src/bin/kill9_child.rs`) commits
//! numbered transactions to a real file with `Durability::Full` and reports each
//! one after its commit returns; the parent kills it with SIGKILL at a random
//! moment (after a random delay, or after a random number of reports), 30
//! times on the same file, so that every round recovers the crash of the one
//! before.
//!
//! After each kill the parent copies the files and opens the copy: it must hold
//! every reported commit and nothing else, except possibly the next one whole
//! (DESIGN.md, "Tests and benchmarks"); every tree is compared in full with the
//! model and the integrity check must pass. The next child then recovers the
//! original files and must start from the same commit.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use covet_engine::{Database, Durability, Options};
use covet_tests::{assert_integrity, diff, numbered_counter, numbered_state, read_state};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ROUNDS: usize = 30;

/// The options the child uses (see `kill9_child.rs`).
fn options() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 256 * 1024,
        durability: Durability::Full,
        autocheckpoint_frames: 64,
        ..Options::default()
    }
}

/// What one child run printed.
enum Line {
    Start(u64),
    Committed(u64),
}

fn parse(line: &str) -> Option<Line> {
    if let Some(n) = line.strip_prefix("start ") {
        return n.trim().parse().ok().map(Line::Start);
    }
    if let Some(n) = line.strip_prefix("committed ") {
        return n.trim().parse().ok().map(Line::Committed);
    }
    None
}

fn spawn(dir: &Path) -> (Child, mpsc::Receiver<String>, thread::JoinHandle<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kill9_child"))
        .arg(dir)
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

#[test]
fn kill9_loses_no_reported_commit_and_keeps_no_partial_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed: u64 = rand::random();
    eprintln!("kill9 seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    // The commit count the database holds, as the last check found it.
    let mut durable = 0u64;
    let (mut kills, mut reported_total, mut next_seen) = (0, 0, 0);
    for round in 0..ROUNDS {
        let (mut child, rx, err) = spawn(dir.path());
        let mut lines: Vec<String> = Vec::new();
        // Kill after a random delay (sometimes during the child's recovery), or
        // after a random number of reported commits.
        if round % 2 == 0 {
            thread::sleep(Duration::from_millis(rng.gen_range(0..120)));
        } else {
            let want = rng.gen_range(1..60);
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut seen = 0;
            while seen < want && Instant::now() < deadline {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(line) => {
                        seen += usize::from(line.starts_with("committed "));
                        lines.push(line);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        let exited_early = child.try_wait().expect("try_wait").is_some();
        child.kill().expect("kill -9");
        let status = child.wait().expect("wait");
        kills += 1;
        let stderr = err.join().expect("stderr reader");
        assert!(
            !exited_early,
            "round {round}: the child exited on its own ({status}): {stderr}"
        );
        // The pipe is closed now: every line the child wrote is in the channel.
        lines.extend(rx.iter());

        let mut start = None;
        let mut reported = Vec::new();
        for line in &lines {
            match parse(line) {
                Some(Line::Start(c)) => start = Some(c),
                Some(Line::Committed(n)) => reported.push(n),
                None => {}
            }
        }
        if let Some(c) = start {
            assert_eq!(
                c, durable,
                "round {round}: the child recovered commit {c}, the check before found {durable}"
            );
        } else {
            assert!(
                reported.is_empty(),
                "round {round}: commits without a start line"
            );
        }
        for (i, n) in reported.iter().enumerate() {
            assert_eq!(
                *n,
                durable + 1 + i as u64,
                "round {round}: reports out of sequence"
            );
        }
        let last_reported = reported.last().copied().unwrap_or(durable);
        reported_total += reported.len();

        // Check a copy, so that the next child recovers the original itself.
        let check = tempfile::tempdir().expect("tempdir");
        copy_files(dir.path(), check.path());
        let db = Database::open(check.path().join("kill9.covet"), options())
            .unwrap_or_else(|e| panic!("round {round}: reopening after kill -9: {e}"));
        let seen = read_state(&db).unwrap_or_else(|e| panic!("round {round}: reading: {e}"));
        let c = numbered_counter(&seen);
        assert!(
            c == last_reported || c == last_reported + 1,
            "round {round}: {} commits reported, the database holds {c}",
            last_reported
        );
        let expected = numbered_state(c);
        assert_eq!(
            seen,
            expected,
            "round {round}: the state of commit {c} is not whole: {}",
            diff(&expected, &seen)
        );
        assert_integrity(&db, &format!("round {round}"));
        next_seen += usize::from(c == last_reported + 1);
        durable = c;
    }
    eprintln!(
        "kill9: {kills} kills, {reported_total} commits reported, {durable} in the database, \
         {next_seen} times the unreported next commit was there"
    );
    assert_eq!(kills, ROUNDS);
    assert!(
        reported_total >= ROUNDS / 2 * 10,
        "too few commits reported to test anything: {reported_total}"
    );
}
