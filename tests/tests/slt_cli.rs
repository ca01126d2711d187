//! The `covet-slt` command itself: arguments, the closing line and the exit status,
//! on files whose outcome does not depend on the SQL layer (records for other engines,
//! skip lists, malformed records).

use std::io::Write;
use std::process::Command;

fn slt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_covet-slt"))
}

fn file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    p
}

#[test]
fn records_for_other_engines_are_skipped_and_the_run_passes() {
    let dir = tempfile::tempdir().unwrap();
    file(
        dir.path(),
        "a.test",
        "onlyif sqlite\nstatement ok\nCREATE TABLE t(a INT)\n\n\
         skipif covet\nquery I nosort\nSELECT 1\n----\n1\n\nonlyif mssql\nhalt\n",
    );
    let skips = file(dir.path(), "skips.txt", "# none\n");
    let out = slt()
        .arg("--skips")
        .arg(&skips)
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("0 passed, 0 failed, 2 skipped"));
    assert!(
        stdout.contains("a.test: 0 passed, 0 failed, 2 skipped in "),
        "{stdout}"
    );
}

#[test]
fn a_malformed_record_fails_the_run_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = file(
        dir.path(),
        "b.test",
        "onlyif sqlite\nstatement ok\nSELECT 1\n\nquery Q\nSELECT 1\n",
    );
    let skips = file(dir.path(), "skips.txt", "");
    let out = slt().arg("--skips").arg(&skips).arg(&f).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("FAIL {}:5: parse error", f.display())),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("0 passed, 1 failed, 1 skipped"));

    let out = slt().arg("--parse-only").arg(&f).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("FAIL {}:5: unknown type character 'Q' in Q", f.display()),
            format!("{}: 2 records, 1 not for covet, 1 malformed", f.display()),
            "2 records, 1 malformed".to_string(),
        ]
    );
}

#[test]
fn the_skip_list_skips_a_whole_file_and_needs_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let f = file(
        dir.path(),
        "c.test",
        "statement ok\nCREATE TABLE t(a INT)\n\nquery I\nSELECT 1\n----\n1\n",
    );
    let skips = file(dir.path(), "skips.txt", "c.test | out of scope here\n");
    let out = slt().arg("--skips").arg(&skips).arg(&f).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("(skipped whole: out of scope here)"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("0 passed, 0 failed, 2 skipped"));

    let bad = file(dir.path(), "bad.txt", "c.test\n");
    let out = slt().arg("--skips").arg(&bad).arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("skip list line 1: no `| reason`"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(slt().output().unwrap().status.code(), Some(2));
    assert_eq!(
        slt()
            .args(["--jobs", "0", "x"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        slt().arg("/no/such/path").output().unwrap().status.code(),
        Some(2)
    );
}
