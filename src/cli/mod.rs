//! The `covet` shell and its subcommands (DESIGN.md, "CLI").
//!
//! ```text
//! covet [PATH]                     interactive shell (in memory without PATH)
//! covet PATH -c SQL [-c SQL …]     run commands, print results, exit
//! covet PATH < script.sql          run a script from standard input
//!       --format table|csv|json|tsv   how results print (default: table)
//!       --bail                        stop a script at its first error
//! covet check PATH                 integrity check (exit 1 on any problem)
//! covet backup SRC DST             online backup
//! covet import PATH TABLE FILE.csv CSV rows into TABLE, in one transaction
//! covet export PATH TABLE|QUERY FILE.csv   rows as CSV (FILE - is stdout)
//! ```
//!
//! The default format is `table` everywhere (as psql's aligned output), in ASCII when
//! standard output is not a terminal; the machine formats print result sets only (no
//! command tags). A script runs to its end, as psql and sqlite3 do: each failed
//! statement is reported on stderr as `ERROR <SQLSTATE> at line N: message`, and the
//! exit status is 1 if any failed.
//!
//! Modules: `args` (clap), `shell` (state, running statements and scripts), `buffer`
//! (statements over several lines), `meta` (dot and backslash commands),
//! `introspect` (tables and indexes through the engine), `format` (result sets as
//! text), `interactive` (rustyline), `commands` with `csv_read` and `coerce` (the
//! subcommands).

mod args;
mod buffer;
mod coerce;
mod commands;
mod csv_read;
mod format;
mod interactive;
mod introspect;
mod meta;
mod shell;

#[cfg(test)]
mod tests;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use args::{Args, Command};
use shell::{Flow, Origin, Shell};

/// Runs the `covet` command line; the process's exit status.
pub fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(command) => run_command(command),
        None => run_shell(args),
    }
}

fn run_command(command: Command) -> ExitCode {
    let (result, quiet_stdout) = match &command {
        Command::Check { path } => (commands::check(path), false),
        Command::Backup { src, dst } => (commands::backup(src, dst), false),
        Command::Import { path, table, file } => (commands::import(path, table, file), false),
        Command::Export { path, source, file } => (
            commands::export(path, source, file),
            file.as_os_str() == "-",
        ),
    };
    match result {
        Ok(message) => {
            // Not println!: a closed pipe must not turn success into a panic.
            let _ = if quiet_stdout {
                writeln!(std::io::stderr(), "{message}")
            } else {
                writeln!(std::io::stdout(), "{message}")
            };
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", e.0);
            ExitCode::FAILURE
        }
    }
}

fn run_shell(args: Args) -> ExitCode {
    let db = match Shell::open_database(args.path.as_deref()) {
        Ok(db) => db,
        Err(e) => {
            let name = args
                .path
                .as_ref()
                .map_or_else(|| "memory".to_owned(), |p| p.display().to_string());
            eprintln!("cannot open {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let location = args.path.as_ref().map(|p| p.display().to_string());
    let stdout_tty = std::io::stdout().is_terminal();
    let mut shell = Shell::new(
        db,
        location.clone(),
        // Buffered (a result of a million rows is not a million write calls); the
        // shell flushes after each statement and before each error report.
        Box::new(std::io::BufWriter::with_capacity(
            64 << 10,
            std::io::stdout(),
        )),
        Box::new(std::io::stderr()),
    );
    shell.format = args.format.unwrap_or(format::Format::Table);
    shell.bail = args.bail;
    shell.ascii = !stdout_tty;

    if !args.commands.is_empty() {
        for command in &args.commands {
            let flow = if buffer::is_meta(command) {
                shell.meta(command, 1, Origin::Script)
            } else {
                shell.run_script(command, Origin::Script)
            };
            if flow == Flow::Stop {
                break;
            }
        }
    } else if std::io::stdin().is_terminal() {
        let hint = format!(
            "covet {} on {}: .help for help, .open FILE to open a file",
            env!("CARGO_PKG_VERSION"),
            location.as_deref().unwrap_or("an in-memory database")
        );
        if let Err(e) = interactive::run(&mut shell, &hint) {
            eprintln!("error: the terminal failed: {e}");
            return ExitCode::FAILURE;
        }
    } else {
        shell.run_reader(std::io::stdin().lock(), Origin::Script);
    }
    if shell.failures() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
