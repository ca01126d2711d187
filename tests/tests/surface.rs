//! The SQL surface tests of `tests/slt/covet`: their expected results are PostgreSQL's.
//!
//! - `surface_files_are_postgresql_true`: with `COVET_TEST_PG` set (CI sets it and starts
//!   PostgreSQL), `tests/slt/covet/verify-pg.py` runs every file on PostgreSQL and must
//!   pass, so that no record states an answer PostgreSQL does not give. Without the
//!   variable the check is not run (a developer machine may have no PostgreSQL).
//! - `statement_error_sqlstate_on_covet`: `statement error SQLSTATE` records judged on
//!   covet's own errors (the runner reads the SQLSTATE from the error's text).
//!
//! The surface files themselves are run on covet with `covet-slt tests/slt/covet`; their
//! failures are the work list of the SQL branches, not a test here.

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// `postgres://USER@HOST:PORT/DB` → (user, host, port, db).
fn parse_url(url: &str) -> (String, String, String, String) {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .unwrap_or_else(|| panic!("COVET_TEST_PG is not a postgres:// URL: {url}"));
    let (authority, db) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let (user, hostport) = authority.split_once('@').unwrap_or(("postgres", authority));
    let user = user.split(':').next().unwrap_or("postgres");
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    (user.into(), host.into(), port.into(), db.into())
}

#[test]
fn postgres_urls_are_read() {
    assert_eq!(
        parse_url("postgres://postgres@127.0.0.1:5432/test"),
        (
            "postgres".into(),
            "127.0.0.1".into(),
            "5432".into(),
            "test".into()
        )
    );
    assert_eq!(
        parse_url("postgresql://u:secret@db/x"),
        ("u".into(), "db".into(), "5432".into(), "x".into())
    );
}

#[test]
fn surface_files_are_postgresql_true() {
    let Ok(url) = std::env::var("COVET_TEST_PG") else {
        eprintln!("COVET_TEST_PG is not set: the surface files are not checked on PostgreSQL");
        return;
    };
    let (user, host, port, db) = parse_url(&url);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("slt/covet");
    let out = Command::new("python3")
        .arg(dir.join("verify-pg.py"))
        .args([
            "--host", &host, "--port", &port, "--user", &user, "--db", &db,
        ])
        .arg(&dir)
        .output()
        .expect("python3 runs verify-pg.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "PostgreSQL disagrees with tests/slt/covet:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The closing line counts the records: the files are not empty.
    let last = stdout.lines().last().unwrap_or_default();
    let passed: usize = last
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed > 500, "too few records passed: {last}");
}

#[test]
fn statement_error_sqlstate_on_covet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.test");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(
            b"statement error 22012\nSELECT 1 / 0\n\n\
              statement error 22012 division BY zero\nSELECT 1 / 0\n\n\
              statement error 42P01\nSELECT 1 / 0\n\n\
              statement error 22012 overflow\nSELECT 1 / 0\n\n\
              statement error 42P01\nSELECT 1\n",
        )
        .unwrap();
    let skips = dir.path().join("skips.txt");
    std::fs::write(&skips, "# none\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_covet-slt"))
        .arg("--skips")
        .arg(&skips)
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("e.test:7: wrong error"),
        "a 22012 is not a 42P01:\n{stdout}"
    );
    assert!(
        stdout.contains("e.test:10: wrong error"),
        "the message has no 'overflow':\n{stdout}"
    );
    assert!(
        stdout.contains("e.test:13: statement should have failed"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some("2 passed, 3 failed, 0 skipped"),
        "{stdout}"
    );
}
