//! The command line, declared for clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::format::Format;

/// covet: an embedded relational database. Without a subcommand, a SQL shell on PATH
/// (in memory when omitted): interactive on a terminal, else running the script on
/// standard input or the -c commands.
#[derive(Debug, Parser)]
#[command(name = "covet", version, args_conflicts_with_subcommands = true)]
pub struct Args {
    /// What to do instead of the shell.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The database file (created if missing); in memory when omitted.
    pub path: Option<PathBuf>,

    /// Run SQL (statements separated by ';', or one meta-command) and exit; may be
    /// given several times, run in order.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub commands: Vec<String>,

    /// How results print: table (the default), csv, json or tsv.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Stop a script or the -c commands at the first error.
    #[arg(long)]
    pub bail: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a database file's integrity (exit status 1 on any problem).
    Check {
        /// The database file.
        path: PathBuf,
    },
    /// Copy a database, consistently, while it may be in use.
    Backup {
        /// The database to copy.
        src: PathBuf,
        /// The new file (must not exist).
        dst: PathBuf,
    },
    /// Load a CSV file into a table (the header line names the columns; an empty
    /// unquoted field is NULL; one transaction: a bad line imports nothing).
    Import {
        /// The database file.
        path: PathBuf,
        /// The table to load.
        table: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// Write a table's rows, or a query's, as CSV with a header line.
    Export {
        /// The database file.
        path: PathBuf,
        /// A table name, or a query (any text with a space is taken as a query).
        #[arg(value_name = "TABLE_OR_QUERY")]
        source: String,
        /// The CSV file to write (`-` for standard output).
        file: PathBuf,
    },
}
