//! The `covet` binary as a user runs it: real processes, exact output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const COVET: &str = env!("CARGO_BIN_EXE_covet");

struct Run {
    stdout: String,
    stderr: String,
    ok: bool,
}

fn finish(out: Output) -> Run {
    let run = Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        ok: out.status.success(),
    };
    // Whatever the input, the binary never panics.
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

/// `covet ARGS` with `stdin` as its standard input.
fn covet_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(COVET)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    finish(child.wait_with_output().unwrap())
}

/// `covet ARGS` with nothing on standard input.
fn covet(args: &[&str]) -> Run {
    covet_stdin(args, "")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn db_with_t(dir: &Path) -> PathBuf {
    let db = dir.join("x.db");
    let r = covet_stdin(
        &[s(&db)],
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1,'x'); SELECT * FROM t;",
    );
    assert!(r.ok, "{}", r.stderr);
    db
}

#[test]
fn acceptance_script_on_stdin_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let r = covet_stdin(
        &[s(&db)],
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1,'x'); SELECT * FROM t;",
    );
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout,
        "CREATE TABLE\nINSERT 0 1\n+---+---+\n| a | b |\n+=======+\n| 1 | x |\n+---+---+\n(1 row)\n"
    );
    assert!(r.ok);
    let r = covet(&[
        s(&db),
        "-c",
        "SELECT b FROM t WHERE a = 1",
        "--format",
        "csv",
    ]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.ok),
        ("b\nx\n", "", true)
    );
}

#[test]
fn several_commands_run_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_t(dir.path());
    let r = covet(&[
        s(&db),
        "--format",
        "csv",
        "-c",
        "INSERT INTO t VALUES (2, 'y')",
        "-c",
        "SELECT a FROM t ORDER BY a; SELECT count(*) AS n FROM t",
        "-c",
        ".tables",
    ]);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout, "a\n1\n2\nn\n2\nt\n");
    assert!(r.ok);
}

const SAMPLE: &str =
    "SELECT * FROM (VALUES (1, 'a,b', 1.5), (NULL, '', NULL), (-3, 'q\"t', 2.0)) AS v(n, s, f)";

#[test]
fn every_format() {
    let csv = covet(&["-c", SAMPLE, "--format", "csv"]);
    assert_eq!(
        csv.stdout,
        "n,s,f\n1,\"a,b\",1.5\n,\"\",\n-3,\"q\"\"t\",2.0\n"
    );
    let tsv = covet(&["-c", SAMPLE, "--format", "tsv"]);
    assert_eq!(
        tsv.stdout,
        "n\ts\tf\n1\ta,b\t1.5\n\\N\t\t\\N\n-3\tq\"t\t2.0\n"
    );
    let json = covet(&["-c", SAMPLE, "--format", "json"]);
    assert_eq!(
        json.stdout,
        "[\n{\"n\":1,\"s\":\"a,b\",\"f\":1.5},\n{\"n\":null,\"s\":\"\",\"f\":null},\n{\"n\":-3,\"s\":\"q\\\"t\",\"f\":2.0}\n]\n"
    );
    let table = covet(&["-c", SAMPLE, "--format", "table"]);
    assert_eq!(
        table.stdout,
        "\
+------+-----+------+
|    n | s   |    f |
+===================+
|    1 | a,b |  1.5 |
| NULL |     | NULL |
|   -3 | q\"t |  2.0 |
+------+-----+------+
(3 rows)
"
    );
    for r in [csv, tsv, json, table] {
        assert_eq!((r.stderr.as_str(), r.ok), ("", true));
    }
    // Statements without rows print their tag only in the table format.
    let r = covet(&[
        "--format",
        "csv",
        "-c",
        "CREATE TABLE z(a INT); SELECT 1 AS one",
    ]);
    assert_eq!(r.stdout, "one\n1\n");
}

#[test]
fn a_failing_statement_in_the_middle_of_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_t(dir.path());
    let script = "INSERT INTO t VALUES (2, 'y');\nINSERT INTO t VALUES (1, 'dup');\n\nSELECT a, b\n  FROM nowhere;\nSELECT count(*) AS n FROM t;\n";
    let r = covet_stdin(&[s(&db), "--format", "csv"], script);
    assert_eq!(r.stdout, "n\n2\n");
    assert_eq!(
        r.stderr,
        "ERROR 23505 at line 2: duplicate key value violates unique constraint \"t_pkey\"\nERROR 42P01 at line 4: relation \"nowhere\" does not exist\n"
    );
    assert!(!r.ok);
    // --bail stops at the first failure: the count never runs.
    let fresh = tempfile::tempdir().unwrap();
    let db = db_with_t(fresh.path());
    let r = covet_stdin(&[s(&db), "--format", "csv", "--bail"], script);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "ERROR 23505 at line 2: duplicate key value violates unique constraint \"t_pkey\"\n"
    );
    assert!(!r.ok);
}

#[test]
fn check_accepts_a_sound_file_and_rejects_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_t(dir.path());
    let r = covet(&["check", s(&db)]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.starts_with("ok: "), "{}", r.stdout);

    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        (0..20_000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let r = covet(&["check", s(&garbage)]);
    assert!(!r.ok);
    assert_eq!(
        r.stderr,
        format!(
            "cannot open {}: not a covet database: wrong magic bytes\n",
            s(&garbage)
        )
    );
    // The garbage is left as it was.
    assert_eq!(std::fs::read(&garbage).unwrap().len(), 20_000);

    let missing = dir.path().join("missing.db");
    assert!(!covet(&["check", s(&missing)]).ok);
    assert!(!missing.exists());
}

#[test]
fn check_reports_a_damaged_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let r = covet(&[
        s(&db),
        "-c",
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT)",
        "-c",
        "CREATE INDEX tb ON t(b)",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 8192);
    for b in &mut bytes[4096 + 100..4096 + 200] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, bytes).unwrap();
    let r = covet(&["check", s(&db)]);
    assert!(!r.ok);
    assert!(
        r.stderr
            .starts_with("page 1: database corrupt at page 1: checksum mismatch\n"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.ends_with(" problems found\n"), "{}", r.stderr);
}

#[test]
fn backup_makes_a_working_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_t(dir.path());
    let copy = dir.path().join("copy.db");
    let r = covet(&["backup", s(&db), s(&copy)]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.starts_with("backed up "), "{}", r.stdout);
    let r = covet(&[s(&copy), "--format", "csv", "-c", "SELECT * FROM t"]);
    assert_eq!(r.stdout, "a,b\n1,x\n");
    // A second backup onto an existing file is refused.
    assert!(!covet(&["backup", s(&db), s(&copy)]).ok);
}

#[test]
fn import_with_a_bad_line_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    assert!(
        covet(&[
            s(&db),
            "-c",
            "CREATE TABLE p(id INT PRIMARY KEY, name TEXT, score DOUBLE PRECISION)"
        ])
        .ok
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,name,score\n1,ann,1.5\n2,bob,zz\n3,cy,2\n").unwrap();
    let r = covet(&["import", s(&db), "p", s(&bad)]);
    assert!(!r.ok);
    assert_eq!(
        r.stderr,
        format!(
            "ERROR 22P02 at line 3 of {}: column \"score\": invalid input syntax for type double precision: \"zz\" (nothing was imported)\n",
            s(&bad)
        )
    );
    let count = covet(&[
        s(&db),
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM p",
    ]);
    assert_eq!(count.stdout, "n\n0\n");

    // A duplicate key is reported at its line too.
    let dup = dir.path().join("dup.csv");
    std::fs::write(&dup, "id,name\n1,a\n1,b\n").unwrap();
    let r = covet(&["import", s(&db), "p", s(&dup)]);
    assert!(!r.ok);
    assert!(
        r.stderr
            .starts_with(&format!("ERROR 23505 at line 3 of {}: ", s(&dup))),
        "{}",
        r.stderr
    );

    // Columns in another order, a NULL, a quoted empty string.
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "name,id,score\nann,1,1.5\n,2,\n\"\",3,-2\n").unwrap();
    let r = covet(&["import", s(&db), "p", s(&good)]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.ok),
        ("imported 3 rows into p\n", "", true)
    );
    let rows = covet(&[
        s(&db),
        "--format",
        "csv",
        "-c",
        "SELECT id, name, score FROM p ORDER BY id",
    ]);
    assert_eq!(rows.stdout, "id,name,score\n1,ann,1.5\n2,,\n3,\"\",-2\n");

    let unknown = dir.path().join("unknown.csv");
    std::fs::write(&unknown, "id,nope\n9,x\n").unwrap();
    let r = covet(&["import", s(&db), "p", s(&unknown)]);
    assert_eq!(
        r.stderr,
        format!(
            "ERROR 42703 at line 1 of {}: column \"nope\" of relation \"p\" does not exist (nothing was imported)\n",
            s(&unknown)
        )
    );
}

#[test]
fn export_round_trips_through_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let setup = "CREATE TABLE src(id INT PRIMARY KEY, name TEXT, note TEXT, d DATE, ok BOOLEAN);
CREATE TABLE dst(id INT PRIMARY KEY, name TEXT, note TEXT, d DATE, ok BOOLEAN);
INSERT INTO src VALUES (1, 'a,b', NULL, DATE '2024-02-29', true), (2, '', 'line1\nline2', NULL, false), (3, 'q\"uote', 'x', DATE '1999-12-31', NULL);
";
    let r = covet_stdin(&[s(&db)], setup);
    assert!(r.ok, "{}", r.stderr);
    let out = dir.path().join("src.csv");
    let r = covet(&["export", s(&db), "src", s(&out)]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.ok),
        ("exported 3 rows\n", "", true)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        "id,name,note,d,ok\n1,\"a,b\",,2024-02-29,true\n2,\"\",\"line1\nline2\",,false\n3,\"q\"\"uote\",x,1999-12-31,\n"
    );
    let r = covet(&["import", s(&db), "dst", s(&out)]);
    assert!(r.ok, "{}", r.stderr);
    let again = dir.path().join("dst.csv");
    assert!(covet(&["export", s(&db), "SELECT * FROM dst ORDER BY id", s(&again)]).ok);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);

    // A query to standard output.
    let r = covet(&["export", s(&db), "SELECT id FROM src WHERE ok", "-"]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        ("id\n1\n", "exported 1 rows\n")
    );
    // An unknown table writes no file.
    let none = dir.path().join("none.csv");
    let r = covet(&["export", s(&db), "nowhere", s(&none)]);
    assert_eq!(
        r.stderr,
        "ERROR 42P01: relation \"nowhere\" does not exist\n"
    );
    assert!(!none.exists());
}

#[test]
fn introspection_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_t(dir.path());
    let r = covet(&[
        s(&db),
        "-c",
        "CREATE INDEX t_b ON t(b)",
        "-c",
        ".schema",
        "-c",
        "\\di",
    ]);
    assert_eq!(
        r.stdout,
        "CREATE INDEX\nCREATE TABLE t (\n    a INTEGER,\n    b TEXT,\n    PRIMARY KEY (a)\n);\nCREATE INDEX t_b ON t (b);\n\
+------+-------+---------+--------+\n| name | table | columns | unique |\n+=================================+\n| t_b  | t     | b       | false  |\n+------+-------+---------+--------+\n(1 row)\n"
    );
    assert!(r.ok);
}

#[test]
fn a_garbage_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("g.db");
    std::fs::write(&garbage, vec![0xabu8; 9000]).unwrap();
    let r = covet(&[s(&garbage), "-c", "SELECT 1"]);
    assert!(!r.ok);
    assert_eq!(
        r.stderr,
        format!(
            "cannot open {}: not a covet database: wrong magic bytes\n",
            s(&garbage)
        )
    );
    let r = covet(&["--format", "xml"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("invalid value 'xml'"), "{}", r.stderr);
}

#[test]
fn every_type_round_trips_through_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("types.db");
    let columns = "a INT PRIMARY KEY, b BOOLEAN, c NUMERIC(6,2), d DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, j JSON, u UUID, y BYTEA, f DOUBLE PRECISION, r REAL, sm SMALLINT, bi BIGINT, v VARCHAR(4)";
    let script = format!(
        "CREATE TABLE s({columns});\nCREATE TABLE d({columns});\n\
INSERT INTO s VALUES (1, true, -1.5, DATE '2024-02-29', TIME '13:14:15.5', TIMESTAMP '2024-02-29 13:14:15.000001', \
TIMESTAMPTZ '2024-02-29 13:14:15+02', INTERVAL '1 year 2 mons 3 days 04:05:06.7', '[1, {{\"a\": null}}]', \
'67e55044-10b1-426f-9247-bb680e5fe0c8', '\\xdeadbeef', 2.5e10, 0.1, -32768, 9223372036854775807, 'abcd'), \
(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);\n"
    );
    let r = covet_stdin(&[s(&db)], &script);
    assert!(r.ok, "{}", r.stderr);
    let first = dir.path().join("s.csv");
    assert!(covet(&["export", s(&db), "s", s(&first)]).ok);
    let text = std::fs::read_to_string(&first).unwrap();
    assert_eq!(
        text,
        "a,b,c,d,tm,ts,tz,iv,j,u,y,f,r,sm,bi,v\n\
1,true,-1.50,2024-02-29,13:14:15.5,2024-02-29 13:14:15.000001,2024-02-29 11:14:15+00,1 year 2 mons 3 days 04:05:06.7,\
\"[1, {\"\"a\"\": null}]\",67e55044-10b1-426f-9247-bb680e5fe0c8,\\xdeadbeef,25000000000,0.1,-32768,9223372036854775807,abcd\n\
2,,,,,,,,,,,,,,,\n"
    );
    let r = covet(&["import", s(&db), "d", s(&first)]);
    assert_eq!(
        (r.stdout.as_str(), r.ok),
        ("imported 2 rows into d\n", true)
    );
    let second = dir.path().join("d.csv");
    assert!(covet(&["export", s(&db), "SELECT * FROM d ORDER BY a", s(&second)]).ok);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), text);
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(COVET)
        .args([
            "--format",
            "csv",
            "-c",
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 200000) SELECT i FROM r",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "i");
    assert_eq!(lines.next().unwrap().unwrap(), "1");
    drop(lines);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    assert!(out.status.success());
}
