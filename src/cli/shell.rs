//! [`Shell`]: the state of a covet shell (database, connection, output settings) and
//! how it runs statements and scripts, printing results and errors.

use std::io::{self, BufRead, Write};
use std::path::Path;
use std::time::Instant;

use covet::query::{CommandTag, Outcome};
use covet::{Connection, Database, TransactionStatus};

use super::buffer::{is_meta, StatementBuffer};
use super::format::{Format, ResultWriter};

/// Where a statement came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// Typed at the prompt: errors carry no line.
    Prompt,
    /// A script on standard input, or a `-c` command: `at line N`.
    Script,
    /// A file given to `.read`: `at line N of FILE`.
    File(&'a str),
}

/// What to do after a line or a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop: `.quit`, `\q`, or `--bail` after an error.
    Stop,
}

/// Why a statement did not run to its end.
pub enum Failure {
    /// The database refused or failed it.
    Sql(covet::Error),
    /// The output is gone (a closed pipe) or unwritable; there is no one to tell.
    Output,
}

impl From<covet::Error> for Failure {
    fn from(e: covet::Error) -> Failure {
        Failure::Sql(e)
    }
}

impl From<io::Error> for Failure {
    fn from(_: io::Error) -> Failure {
        Failure::Output
    }
}

/// A shell: one database, one connection, and how to print.
pub struct Shell {
    pub(super) db: Database,
    pub(super) conn: Connection,
    /// The file open, or `None` in memory.
    pub(super) location: Option<String>,
    pub(super) format: Format,
    pub(super) timer: bool,
    /// Print each query's plan before running it (`.explain on`).
    pub(super) explain: bool,
    /// Stop a script at its first error.
    pub(super) bail: bool,
    /// Draw tables with ASCII only (the output is not a terminal).
    pub(super) ascii: bool,
    /// Statements and meta-commands that failed so far (the exit status).
    pub(super) failures: u64,
    /// `.read` nesting, bounded so that a file reading itself ends.
    pub(super) depth: usize,
    pub(super) out: Box<dyn Write>,
    pub(super) err: Box<dyn Write>,
    /// The output is gone: stop quietly.
    pub(super) closed: bool,
}

/// Most `.read` files open inside one another.
const MAX_READ_DEPTH: usize = 16;

impl Shell {
    /// A shell on `db` at `location` (`None`: in memory), printing to `out` and `err`.
    pub fn new(
        db: Database,
        location: Option<String>,
        out: Box<dyn Write>,
        err: Box<dyn Write>,
    ) -> Shell {
        let conn = db.connect();
        Shell {
            db,
            conn,
            location,
            format: Format::Table,
            timer: false,
            explain: false,
            bail: false,
            ascii: true,
            failures: 0,
            depth: 0,
            out,
            err,
            closed: false,
        }
    }

    /// Opens the database at `path` (a file, created if missing), or in memory.
    pub fn open_database(path: Option<&Path>) -> covet::Result<Database> {
        match path {
            Some(p) => Database::open(p),
            None => Database::memory(),
        }
    }

    /// Prints a line for the user (the interactive hint), ignoring a closed output.
    pub fn say(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }

    /// How many statements and commands failed.
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// The connection's transaction state (for the prompt).
    pub fn transaction_status(&self) -> TransactionStatus {
        self.conn.transaction_status()
    }

    /// Runs a whole script: statements ended by `;` (the last may lack it) and
    /// meta-commands on lines of their own. Every statement runs, as psql and sqlite3
    /// do, unless `bail` is set; each failure is reported with its line.
    pub fn run_script(&mut self, text: &str, origin: Origin<'_>) -> Flow {
        self.run_reader(text.as_bytes(), origin)
    }

    /// [`run_script`](Shell::run_script) over a reader, line by line, so that a dump
    /// larger than memory streams through. A line that is not UTF-8 (or a read error)
    /// is reported and ends the script.
    pub fn run_reader(&mut self, mut input: impl BufRead, origin: Origin<'_>) -> Flow {
        let mut buffer = StatementBuffer::default();
        let mut line = String::new();
        let mut number = 0;
        loop {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => number += 1,
                Err(e) => {
                    let message = match e.kind() {
                        io::ErrorKind::InvalidData => "the line is not valid UTF-8".to_owned(),
                        _ => format!("cannot read the script: {e}"),
                    };
                    self.report_command(&message, number + 1, origin);
                    return Flow::Stop;
                }
            }
            let text = line.strip_suffix('\n').unwrap_or(&line);
            let text = text.strip_suffix('\r').unwrap_or(text);
            if buffer.is_empty() && is_meta(text) {
                buffer.clear();
                if self.meta(text, number, origin) == Flow::Stop {
                    return Flow::Stop;
                }
                continue;
            }
            buffer.push(text, number);
            if text.contains(';')
                && buffer.is_complete()
                && self.run_buffer(&mut buffer, origin) == Flow::Stop
            {
                return Flow::Stop;
            }
        }
        if !buffer.is_empty() {
            return self.run_buffer(&mut buffer, origin);
        }
        Flow::Continue
    }

    /// Runs the statements a buffer holds.
    pub(super) fn run_buffer(&mut self, buffer: &mut StatementBuffer, origin: Origin<'_>) -> Flow {
        match buffer.take() {
            Ok(stmts) => {
                for stmt in stmts {
                    if self.run_statement(&stmt.sql, stmt.line, origin) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Flow::Continue
            }
            Err((e, line)) => self.report(&covet::Error::from(e), line, origin),
        }
    }

    /// Runs one statement and prints its result, or reports its error.
    pub fn run_statement(&mut self, sql: &str, line: usize, origin: Origin<'_>) -> Flow {
        if self.closed {
            return Flow::Stop;
        }
        let result = self.execute(sql);
        // What a failed statement printed goes out before its error.
        let flushed = self.out.flush();
        match result {
            Ok(()) if flushed.is_ok() => Flow::Continue,
            Ok(()) => {
                self.closed = true;
                Flow::Stop
            }
            Err(Failure::Sql(e)) => self.report(&e, line, origin),
            Err(Failure::Output) => {
                // The reader went away (`covet … | head`): nothing more can be shown.
                self.closed = true;
                Flow::Stop
            }
        }
    }

    /// Reports a failed statement or command: `ERROR <SQLSTATE> at line N: message`.
    pub(super) fn report(&mut self, e: &covet::Error, line: usize, origin: Origin<'_>) -> Flow {
        self.failures += 1;
        let code = e.sqlstate();
        let place = place(line, origin);
        let _ = writeln!(self.err, "ERROR {code}{place}: {}", e.message());
        if let Some(hint) = e.query_error().and_then(|q| q.hint.as_deref()) {
            let _ = writeln!(self.err, "HINT: {hint}");
        }
        let _ = self.err.flush();
        if self.bail && !matches!(origin, Origin::Prompt) {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Reports a meta-command's failure (`ERROR: message`, no SQLSTATE of its own).
    pub(super) fn report_command(
        &mut self,
        message: &str,
        line: usize,
        origin: Origin<'_>,
    ) -> Flow {
        self.failures += 1;
        let place = place(line, origin);
        let _ = writeln!(self.err, "ERROR{place}: {message}");
        let _ = self.err.flush();
        if self.bail && !matches!(origin, Origin::Prompt) {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn execute(&mut self, sql: &str) -> Result<(), Failure> {
        if self.explain && is_query(sql) {
            self.print_plan(sql)?;
        }
        let started = Instant::now();
        let outcome = self.conn.with_session(|s| s.execute_sql(sql, &[]))?;
        match outcome {
            Outcome::Rows(stream) => {
                let columns = stream.columns().to_vec();
                let mut w = ResultWriter::start(&mut *self.out, self.format, &columns, self.ascii)?;
                for row in stream {
                    let row = row.map_err(covet::Error::from)?;
                    w.row(row)?;
                }
                w.finish()?;
            }
            Outcome::Done(tag) => {
                if self.format.shows_tags() {
                    writeln!(self.out, "{}", tag_text(&tag))?;
                }
            }
        }
        if self.timer {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            writeln!(self.out, "Time: {ms:.3} ms")?;
        }
        self.out.flush()?;
        Ok(())
    }

    /// Prints `EXPLAIN sql`, one plan line per row.
    pub(super) fn print_plan(&mut self, sql: &str) -> Result<(), Failure> {
        let outcome = self
            .conn
            .with_session(|s| s.execute_sql(&format!("EXPLAIN {sql}"), &[]))?;
        if let Outcome::Rows(stream) = outcome {
            for row in stream {
                let row = row.map_err(covet::Error::from)?;
                let line: Vec<String> = row.iter().map(|v| v.to_string()).collect();
                writeln!(self.out, "{}", line.join(" "))?;
            }
        }
        Ok(())
    }

    /// Runs the file at `path` as a script (`.read`).
    pub(super) fn read_file(&mut self, path: &str, line: usize, origin: Origin<'_>) -> Flow {
        if self.depth >= MAX_READ_DEPTH {
            return self.report_command(
                &format!(".read nested more than {MAX_READ_DEPTH} deep"),
                line,
                origin,
            );
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                return self.report_command(&format!("cannot read {path}: {e}"), line, origin)
            }
        };
        self.depth += 1;
        let flow = self.run_script(&text, Origin::File(path));
        self.depth -= 1;
        flow
    }
}

/// Where a failure happened, for its report: nothing at the prompt, ` at line N` in a
/// script, ` at line N of FILE` in a `.read` file.
fn place(line: usize, origin: Origin<'_>) -> String {
    match origin {
        Origin::Prompt => String::new(),
        Origin::Script => format!(" at line {line}"),
        Origin::File(f) => format!(" at line {line} of {f}"),
    }
}

/// Whether `sql` is a statement EXPLAIN takes (a query or DML), by its first word.
pub fn is_query(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "SELECT" | "WITH" | "VALUES" | "TABLE" | "INSERT" | "UPDATE" | "DELETE"
    )
}

/// A command tag as PostgreSQL prints it (`INSERT 0 3`, `UPDATE 2`, `CREATE TABLE`).
pub fn tag_text(tag: &CommandTag) -> String {
    match (tag.command.as_str(), tag.rows) {
        ("INSERT", Some(n)) => format!("INSERT 0 {n}"),
        (c, Some(n)) => format!("{c} {n}"),
        (c, None) => c.to_owned(),
    }
}
