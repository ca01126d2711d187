//! Tests of the shell as functions: meta-commands, scripts, error reports and formats,
//! on an in-memory database, with the output captured.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use super::format::Format;
use super::shell::{Flow, Origin, Shell};

/// An output both the shell and the test hold.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.borrow_mut())).unwrap()
    }
}

fn shell() -> (Shell, Captured, Captured) {
    let out = Captured::default();
    let err = Captured::default();
    let db = covet::Database::memory().unwrap();
    let shell = Shell::new(db, None, Box::new(out.clone()), Box::new(err.clone()));
    (shell, out, err)
}

fn meta(shell: &mut Shell, line: &str) -> Flow {
    shell.meta(line, 1, Origin::Prompt)
}

const SCHEMA: &str = "CREATE TABLE t(a INT PRIMARY KEY, b TEXT NOT NULL, c VARCHAR(3));
CREATE UNIQUE INDEX t_b ON t(b);
CREATE TABLE \"Mixed\"(x BIGINT);
";

#[test]
fn tables_schema_and_indexes() {
    let (mut sh, out, err) = shell();
    assert_eq!(sh.run_script(SCHEMA, Origin::Script), Flow::Continue);
    assert_eq!(err.take(), "");
    assert_eq!(out.take(), "CREATE TABLE\nCREATE INDEX\nCREATE TABLE\n");

    meta(&mut sh, ".tables");
    assert_eq!(out.take(), "Mixed\nt\n");

    meta(&mut sh, ".schema t");
    assert_eq!(
        out.take(),
        "CREATE TABLE t (\n    a INTEGER,\n    b TEXT NOT NULL,\n    c VARCHAR(3),\n    PRIMARY KEY (a)\n);\nCREATE UNIQUE INDEX t_b ON t (b);\n"
    );
    meta(&mut sh, ".schema \"Mixed\"");
    assert_eq!(out.take(), "CREATE TABLE \"Mixed\" (\n    x BIGINT\n);\n");

    meta(&mut sh, ".indexes");
    assert_eq!(out.take(), "t_b\n");
    meta(&mut sh, ".indexes Mixed");
    assert_eq!(out.take(), "");
    assert_eq!(err.take(), "");
    assert_eq!(sh.failures(), 0);
}

#[test]
fn psql_describe_commands() {
    let (mut sh, out, _err) = shell();
    sh.run_script(SCHEMA, Origin::Script);
    out.take();
    sh.format = Format::Csv;
    meta(&mut sh, "\\dt");
    assert_eq!(out.take(), "name,type\nMixed,table\nt,table\n");
    meta(&mut sh, "\\di");
    assert_eq!(out.take(), "name,table,columns,unique\nt_b,t,b,true\n");
    meta(&mut sh, "\\d t");
    assert_eq!(
        out.take(),
        "Table \"t\"\ncolumn,type,nullable,default\na,integer,not null,\"\"\nb,text,not null,\"\"\nc,varchar(3),\"\",\"\"\nPrimary key: (a)\nIndexes:\n    t_b UNIQUE (b)\n"
    );
    sh.format = Format::Table;
    meta(&mut sh, "\\d");
    assert_eq!(
        out.take(),
        "+-------+-------+\n| name  | type  |\n+===============+\n| Mixed | table |\n| t     | table |\n+-------+-------+\n(2 rows)\n"
    );
}

#[test]
fn unknown_tables_and_commands_are_errors() {
    let (mut sh, out, err) = shell();
    assert_eq!(meta(&mut sh, "\\d nowhere"), Flow::Continue);
    assert_eq!(
        err.take(),
        "ERROR 42P01: relation \"nowhere\" does not exist\n"
    );
    assert_eq!(meta(&mut sh, ".frobnicate"), Flow::Continue);
    assert_eq!(
        err.take(),
        "ERROR: unknown command .frobnicate (.help lists the commands)\n"
    );
    assert_eq!(meta(&mut sh, ".mode xml"), Flow::Continue);
    assert_eq!(err.take(), "ERROR: usage: .mode table|csv|json|tsv\n");
    assert_eq!(sh.failures(), 3);
    assert_eq!(out.take(), "");
}

#[test]
fn settings_and_quit() {
    let (mut sh, out, _err) = shell();
    meta(&mut sh, ".mode json");
    assert_eq!(sh.format, Format::Json);
    meta(&mut sh, ".mode");
    assert_eq!(out.take(), "json\n");
    meta(&mut sh, ".timer on");
    assert!(sh.timer);
    meta(&mut sh, "\\timing");
    assert!(!sh.timer);
    assert_eq!(out.take(), "Timing is off.\n");
    meta(&mut sh, ".explain on");
    assert!(sh.explain);
    meta(&mut sh, ".help");
    assert_eq!(out.take(), super::meta::HELP);
    assert_eq!(meta(&mut sh, ".quit"), Flow::Stop);
    assert_eq!(meta(&mut sh, "\\q"), Flow::Stop);
    assert_eq!(sh.failures(), 0);
}

#[test]
fn open_and_read_files() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("opened.covet");
    let script = dir.path().join("s.sql");
    std::fs::write(
        &script,
        "CREATE TABLE r(a INT);\n\nCREATE TABLE r(a INT);\n.tables\n",
    )
    .unwrap();
    let (mut sh, out, err) = shell();
    meta(&mut sh, &format!(".open {}", db_path.display()));
    assert_eq!(sh.location.as_deref(), Some(db_path.to_str().unwrap()));
    meta(&mut sh, &format!(".read {}", script.display()));
    assert_eq!(out.take(), "CREATE TABLE\nr\n");
    assert_eq!(
        err.take(),
        format!(
            "ERROR 42P07 at line 3 of {}: relation \"r\" already exists\n",
            script.display()
        )
    );
    // The table is in the file: a fresh shell on it sees it.
    drop(sh);
    let db = covet::Database::open(&db_path).unwrap();
    let out2 = Captured::default();
    let mut again = Shell::new(
        db,
        None,
        Box::new(out2.clone()),
        Box::new(Captured::default()),
    );
    meta(&mut again, ".tables");
    assert_eq!(out2.take(), "r\n");
}

#[test]
fn a_file_reading_itself_stops() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("loop.sql");
    std::fs::write(&script, format!(".read {}\n", script.display())).unwrap();
    let (mut sh, _out, err) = shell();
    meta(&mut sh, &format!(".read {}", script.display()));
    assert_eq!(
        err.take(),
        format!(
            "ERROR at line 1 of {}: .read nested more than 16 deep\n",
            script.display()
        )
    );
    assert_eq!(sh.failures(), 1);
}

#[test]
fn statements_span_lines_and_errors_carry_their_line() {
    let (mut sh, out, err) = shell();
    let script = "CREATE TABLE a(\n  x INT\n);\nCREATE TABLE a(x INT); CREATE TABLE b(y INT);\n\nDROP TABLE nowhere;\nCREATE TABLE c(z INT)";
    assert_eq!(sh.run_script(script, Origin::Script), Flow::Continue);
    assert_eq!(out.take(), "CREATE TABLE\nCREATE TABLE\nCREATE TABLE\n");
    assert_eq!(
        err.take(),
        "ERROR 42P07 at line 4: relation \"a\" already exists\nERROR 42P01 at line 6: relation \"nowhere\" does not exist\n"
    );
    assert_eq!(sh.failures(), 2);
    sh.bail = true;
    let flow = sh.run_script("DROP TABLE nowhere; CREATE TABLE d(w INT);", Origin::Script);
    assert_eq!(flow, Flow::Stop);
    meta(&mut sh, ".tables");
    assert_eq!(out.take(), "a\nb\nc\n");
}

#[test]
fn constraints_and_views_are_shown() {
    let (mut sh, out, err) = shell();
    sh.run_script(
        "CREATE TABLE p(id INT PRIMARY KEY, code TEXT UNIQUE);
CREATE TABLE c(id INT PRIMARY KEY, pid INT REFERENCES p(id) ON DELETE CASCADE, n INT CHECK (n > 0) DEFAULT 5);
CREATE VIEW pv AS SELECT id FROM p;",
        Origin::Script,
    );
    assert_eq!(err.take(), "");
    out.take();
    meta(&mut sh, ".schema c");
    assert_eq!(
        out.take(),
        "CREATE TABLE c (\n    id INTEGER,\n    pid INTEGER,\n    n INTEGER DEFAULT 5,\n    PRIMARY KEY (id),\n    CONSTRAINT c_n_check CHECK (n > 0),\n    CONSTRAINT c_pid_fkey FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE\n);\n"
    );
    meta(&mut sh, ".schema pv");
    assert_eq!(out.take(), "CREATE VIEW pv AS SELECT id FROM p;\n");
    meta(&mut sh, ".tables");
    assert_eq!(out.take(), "c\np\npv\n");
    sh.format = Format::Tsv;
    meta(&mut sh, "\\d");
    assert_eq!(out.take(), "name\ttype\nc\ttable\np\ttable\npv\tview\n");
    meta(&mut sh, "\\dv");
    assert_eq!(out.take(), "name\ttype\npv\tview\n");
    meta(&mut sh, "\\d c");
    assert_eq!(
        out.take(),
        "Table \"c\"\ncolumn\ttype\tnullable\tdefault\nid\tinteger\tnot null\t\npid\tinteger\t\t\nn\tinteger\t\t5\nPrimary key: (id)\nCheck constraints:\n    c_n_check CHECK (n > 0)\nForeign-key constraints:\n    c_pid_fkey FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE\n"
    );
    meta(&mut sh, "\\d pv");
    assert_eq!(
        out.take(),
        "View \"pv\"\nCREATE VIEW pv AS SELECT id FROM p;\n"
    );
    assert_eq!(sh.failures(), 0);
}

#[test]
fn a_script_that_is_not_utf8_stops_at_its_line() {
    let (mut sh, out, err) = shell();
    let script: &[u8] =
        b"CREATE TABLE a(x INT);\r\nCREATE TABLE \xff(x INT);\nCREATE TABLE b(x INT);\n";
    assert_eq!(sh.run_reader(script, Origin::Script), Flow::Stop);
    assert_eq!(out.take(), "CREATE TABLE\n");
    assert_eq!(err.take(), "ERROR at line 2: the line is not valid UTF-8\n");
    assert_eq!(sh.failures(), 1);
}

#[test]
fn the_timer_follows_each_statement() {
    let (mut sh, out, _err) = shell();
    meta(&mut sh, ".timer on");
    sh.run_script("CREATE TABLE a(x INT);", Origin::Script);
    let text = out.take();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "CREATE TABLE");
    let ms = lines[1]
        .strip_prefix("Time: ")
        .and_then(|t| t.strip_suffix(" ms"))
        .unwrap();
    assert!(ms.parse::<f64>().unwrap() >= 0.0);
    meta(&mut sh, ".timer off");
    sh.run_script("CREATE TABLE b(x INT);", Origin::Script);
    assert_eq!(out.take(), "CREATE TABLE\n");
}

#[test]
fn explain_shows_the_access_path() {
    let (mut sh, out, err) = shell();
    sh.format = Format::Csv;
    sh.run_script(
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT); CREATE INDEX tb ON t(b); INSERT INTO t VALUES (1, 'x');",
        Origin::Script,
    );
    meta(&mut sh, ".explain SELECT b FROM t WHERE a = 1;");
    assert_eq!(out.take(), "Project: t.b\n  Primary Key Seek on t: a = 1\n");
    meta(&mut sh, ".explain on");
    sh.run_script("SELECT a FROM t WHERE b = 'x';", Origin::Script);
    assert_eq!(
        out.take(),
        "Project: t.a\n  Index Seek on t(b) using tb: b = 'x'\na\n1\n"
    );
    // DDL is not explained, only run.
    sh.run_script("CREATE TABLE u(a INT);", Origin::Script);
    assert_eq!(out.take(), "");
    assert_eq!(err.take(), "");
}

#[test]
fn a_failing_query_in_a_transaction_block() {
    let (mut sh, out, err) = shell();
    sh.format = Format::Csv;
    let flow = sh.run_script(
        "CREATE TABLE t(a INT PRIMARY KEY);\nBEGIN;\nINSERT INTO t VALUES (1);\nSELECT 1/0;\nINSERT INTO t VALUES (2);\nCOMMIT;\nSELECT count(*) AS n FROM t;",
        Origin::Script,
    );
    assert_eq!(flow, Flow::Continue);
    assert_eq!(out.take(), "n\n0\n");
    assert_eq!(
        err.take(),
        "ERROR 22012 at line 4: division by zero\nERROR 25P02 at line 5: current transaction is aborted, commands ignored until end of transaction block\n"
    );
    assert_eq!(sh.failures(), 2);
}

#[test]
fn expression_defaults_are_shown_as_sql() {
    let (mut sh, out, err) = shell();
    sh.run_script(
        "CREATE TABLE s(id SERIAL PRIMARY KEY, at TIMESTAMPTZ DEFAULT now(), n INT DEFAULT 3);",
        Origin::Script,
    );
    out.take();
    meta(&mut sh, ".schema s");
    assert_eq!(
        out.take(),
        "CREATE TABLE s (\n    id INTEGER DEFAULT nextval('s_id_seq'),\n    at TIMESTAMPTZ DEFAULT now(),\n    n INTEGER DEFAULT 3,\n    PRIMARY KEY (id)\n);\n"
    );
    sh.format = Format::Csv;
    meta(&mut sh, "\\d s");
    assert_eq!(
        out.take(),
        "Table \"s\"\ncolumn,type,nullable,default\nid,integer,not null,nextval('s_id_seq')\nat,timestamptz,\"\",now()\nn,integer,\"\",3\nPrimary key: (id)\n"
    );
    assert_eq!(err.take(), "");
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    /// Pieces that stress the splitter and the meta-command parser: quotes, dollar
    /// quotes, comments, terminators, line breaks, dots and backslashes.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("'".to_owned()),
            Just("\"".to_owned()),
            Just("$$".to_owned()),
            Just("--".to_owned()),
            Just("/*".to_owned()),
            Just("*/".to_owned()),
            Just(";".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just(".".to_owned()),
            Just("\\".to_owned()),
            Just(".tables".to_owned()),
            Just(".schema".to_owned()),
            Just("\\d ".to_owned()),
            Just(".mode csv".to_owned()),
            Just("SELECT 1".to_owned()),
            Just("CREATE TABLE t(a INT)".to_owned()),
            Just("BEGIN".to_owned()),
            Just("ROLLBACK".to_owned()),
            Just("é".to_owned()),
            "[a-z ]{0,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Any script ends (no panic, no hang), and every failure was reported.
        #[test]
        fn any_script_runs_to_an_end(pieces in proptest::collection::vec(piece(), 0..24)) {
            let (mut sh, _out, err) = shell();
            let script: String = pieces.concat();
            sh.run_script(&script, Origin::Script);
            let reported = err.take().lines().filter(|l| l.starts_with("ERROR")).count() as u64;
            prop_assert_eq!(reported, sh.failures());
        }
    }
}

#[test]
fn a_trigger_over_several_lines_is_one_statement() {
    let (mut sh, out, err) = shell();
    sh.format = Format::Csv;
    let script = "CREATE TABLE t(a INT);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\nSELECT 3 AS x;\n";
    assert_eq!(sh.run_script(script, Origin::Script), Flow::Continue);
    assert_eq!(err.take(), "");
    assert_eq!(out.take(), "x\n3\n");
    meta(&mut sh, ".schema");
    assert_eq!(
        out.take(),
        "CREATE TABLE t (\n    a INTEGER\n);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    );
    meta(&mut sh, "\\d t");
    assert_eq!(
        out.take(),
        "Table \"t\"\ncolumn,type,nullable,default\na,integer,\"\",\"\"\nTriggers:\n    tr\n"
    );
}
