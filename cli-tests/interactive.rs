//! The interactive shell on a pseudo-terminal: the hint, prompts (idle, in a block,
//! continuation), a statement over two lines, a meta-command, and the history file.
#![cfg(unix)]

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const COVET: &str = env!("CARGO_BIN_EXE_covet");

/// The shell's side of a terminal: what it printed so far, and a way to type.
struct Terminal {
    master: File,
    output: mpsc::Receiver<Vec<u8>>,
    seen: String,
}

impl Terminal {
    /// Waits until the output since the last match contains `text` (a generous bound
    /// guards against a hang; it is not a timing assertion).
    fn expect(&mut self, text: &str) {
        loop {
            if let Some(i) = self.seen.find(text) {
                self.seen.drain(..i + text.len());
                return;
            }
            match self.output.recv_timeout(Duration::from_secs(60)) {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => panic!("never saw {text:?}; output so far: {:?}", self.seen),
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        self.master.write_all(line.as_bytes()).unwrap();
        self.master.write_all(b"\r").unwrap();
        self.master.flush().unwrap();
    }
}

#[test]
fn interactive_session_on_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let pty = nix::pty::openpty(None, None).unwrap();
    let slave = File::from(pty.slave);
    let mut command = Command::new(COVET);
    command
        .env("HOME", home.path())
        .env("TERM", "dumb")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = command.spawn().unwrap();
    // Only the child holds the terminal's other end now: its exit ends the output.
    drop(command);
    let master = File::from(pty.master);
    let mut reader = master.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // EIO once the child has closed the terminal: the end of its output.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut term = Terminal {
        master,
        output: rx,
        seen: String::new(),
    };

    term.expect("covet 0.1.0 on an in-memory database: .help for help, .open FILE to open a file");
    term.expect("covet=> ");
    term.type_line("CREATE TABLE t(a INT PRIMARY KEY);");
    term.expect("CREATE TABLE");
    term.expect("covet=> ");
    term.type_line("BEGIN;");
    term.expect("covet*> ");
    term.type_line("INSERT INTO t VALUES (1), (2);");
    term.expect("INSERT 0 2");
    term.type_line("SELECT sum(a) AS total");
    term.expect("   ...> ");
    term.type_line("  FROM t;");
    term.expect("total");
    term.expect("3");
    term.expect("(1 row)");
    term.type_line("SELECT 1/0;");
    term.expect("ERROR 22012: division by zero");
    term.expect("covet!> ");
    term.type_line("ROLLBACK;");
    term.expect("covet=> ");
    term.type_line(".mode csv");
    term.expect("covet=> ");
    term.type_line("SELECT count(*) AS n FROM t;");
    term.expect("n\r\n0\r\n");
    term.type_line(".quit");
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "a statement failed, so the exit status is 1"
    );

    let history = std::fs::read_to_string(home.path().join(".covet_history")).unwrap();
    let entries: Vec<&str> = history.lines().collect();
    assert_eq!(
        entries,
        [
            "#V2",
            "CREATE TABLE t(a INT PRIMARY KEY);",
            "BEGIN;",
            "INSERT INTO t VALUES (1), (2);",
            "SELECT sum(a) AS total\\n  FROM t;",
            "SELECT 1/0;",
            "ROLLBACK;",
            ".mode csv",
            "SELECT count(*) AS n FROM t;",
            ".quit",
        ]
    );
}
