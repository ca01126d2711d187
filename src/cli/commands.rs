//! The subcommands: `check`, `backup`, `import` and `export`. Each opens an existing
//! database only (`create: false`): a typo in a path is an error, not a new file.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;

use covet::engine::Options;
use covet::{Database, QueryError, SqlState, Value};

use super::coerce::coerce;
use super::csv_read::CsvReader;
use super::format::{text_or_null, write_csv_record};
use super::introspect;

/// A subcommand's failure: what to print on stderr.
#[derive(Debug)]
pub struct CommandError(pub String);

impl From<covet::Error> for CommandError {
    fn from(e: covet::Error) -> CommandError {
        CommandError(format!("ERROR {}: {}", e.sqlstate(), e.message()))
    }
}

fn open_existing(path: &Path) -> Result<Database, CommandError> {
    let options = Options {
        create: false,
        ..Options::default()
    };
    Database::open_with(path, options)
        .map_err(|e| CommandError(format!("cannot open {}: {e}", path.display())))
}

/// `covet check PATH`: the integrity check. The report line on success; every problem
/// (and the count) as the error otherwise.
pub fn check(path: &Path) -> Result<String, CommandError> {
    let db = open_existing(path)?;
    let report = db
        .check_integrity()
        .map_err(|e| CommandError(format!("{}: integrity check failed: {e}", path.display())))?;
    if report.is_ok() {
        return Ok(format!(
            "ok: {} pages, {} trees, {} entries",
            report.page_count, report.trees, report.entries
        ));
    }
    let mut msg = String::new();
    for p in &report.problems {
        msg.push_str(&format!("{p}\n"));
    }
    msg.push_str(&format!(
        "{}: {} problem{} found",
        path.display(),
        report.problems.len(),
        if report.problems.len() == 1 { "" } else { "s" }
    ));
    Err(CommandError(msg))
}

/// `covet backup SRC DST`: a consistent copy of SRC at DST (which must not exist).
pub fn backup(src: &Path, dst: &Path) -> Result<String, CommandError> {
    let db = open_existing(src)?;
    let out = db
        .backup_to(dst)
        .map_err(|e| CommandError(format!("backup to {} failed: {e}", dst.display())))?;
    Ok(format!(
        "backed up {} pages to {}",
        out.pages,
        dst.display()
    ))
}

/// `covet import PATH TABLE FILE`: the CSV file's rows into TABLE, in one
/// transaction: a bad line imports nothing and reports its line number.
pub fn import(path: &Path, table: &str, file: &Path) -> Result<String, CommandError> {
    let db = open_existing(path)?;
    let info = introspect::describe(&db, table)?;
    let schema = &info.schema;
    let input = File::open(file)
        .map_err(|e| CommandError(format!("cannot open {}: {e}", file.display())))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = CsvReader::new(BufReader::new(input));
    let at = |line: usize, e: &dyn std::fmt::Display, code: &str| {
        CommandError(format!(
            "ERROR {code} at line {line} of {}: {e} (nothing was imported)",
            file.display()
        ))
    };
    let header = match reader.next_record() {
        Ok(Some((_, h))) => h,
        Ok(None) => {
            return Err(CommandError(format!(
                "{} is empty: it needs a header line",
                file.display()
            )))
        }
        Err(e) => return Err(at(e.line, &e.message, "22P04")),
    };
    let mut positions = Vec::with_capacity(header.len());
    for name in &header {
        let pos = schema
            .column_index(&name.text)
            .or_else(|| schema.column_index(&name.text.to_lowercase()))
            .ok_or_else(|| {
                at(
                    1,
                    &format!(
                        "column \"{}\" of relation \"{}\" does not exist",
                        name.text, schema.name
                    ),
                    "42703",
                )
            })?;
        if positions.contains(&pos) {
            return Err(at(
                1,
                &format!("column \"{}\" is named twice", name.text),
                "42701",
            ));
        }
        positions.push(pos);
    }
    let columns: Vec<String> = positions
        .iter()
        .map(|&p| introspect::ident(&schema.columns[p].name))
        .collect();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        introspect::ident(&schema.name),
        columns.join(", "),
        placeholders.join(", ")
    );
    let progress = if std::io::stderr().is_terminal() {
        // Cleared when dropped too, so that an error prints on a clean line.
        let bar =
            indicatif::ProgressBar::new(size).with_finish(indicatif::ProgressFinish::AndClear);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let conn = db.connect();
    let tx = conn.begin()?;
    let mut insert = tx.prepare(&sql)?;
    let mut rows = 0u64;
    loop {
        let (line, fields) = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(at(e.line, &e.message, "22P04")),
        };
        if fields.len() != positions.len() {
            return Err(at(
                line,
                &format!(
                    "expected {} fields, found {}",
                    positions.len(),
                    fields.len()
                ),
                "22P04",
            ));
        }
        let mut values = Vec::with_capacity(fields.len());
        for (field, &pos) in fields.iter().zip(&positions) {
            let col = &schema.columns[pos];
            if field.is_null() {
                values.push(Value::Null);
                continue;
            }
            let v = coerce(&field.text, &col.ty).map_err(|e| {
                at(
                    line,
                    &format!("column \"{}\": {}", col.name, e.message),
                    e.code.as_str(),
                )
            })?;
            values.push(v);
        }
        insert
            .execute(values)
            .map_err(|e| at(line, &e.message(), e.sqlstate().as_str()))?;
        rows += 1;
        if rows.is_multiple_of(1024) {
            progress.set_position(reader.bytes_read());
        }
    }
    drop(insert);
    tx.commit()?;
    progress.finish_and_clear();
    Ok(format!("imported {rows} rows into {}", schema.name))
}

/// Whether the export argument is a query rather than a table name.
fn is_query_text(s: &str) -> bool {
    s.trim().contains(char::is_whitespace)
}

/// `covet export PATH TABLE_OR_QUERY FILE`: a table's rows, or a query's, as CSV with
/// a header line (the shell's `--format csv`). FILE `-` is standard output. A failed
/// export removes the partial file.
pub fn export(path: &Path, source: &str, file: &Path) -> Result<String, CommandError> {
    let db = open_existing(path)?;
    let sql = if is_query_text(source) {
        source.trim().trim_end_matches(';').to_owned()
    } else {
        let info = introspect::describe(&db, source)?;
        format!("SELECT * FROM {}", introspect::ident(&info.schema.name))
    };
    let conn = db.connect();
    let rows = conn.query(&sql, ())?;
    if rows.columns().is_empty() {
        return Err(covet::Error::from(QueryError::new(
            SqlState::WRONG_OBJECT_TYPE,
            "the statement returns no rows to export",
        ))
        .into());
    }
    let to_stdout = file == Path::new("-");
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(BufWriter::new(std::io::stdout().lock()))
    } else {
        let f = File::create(file)
            .map_err(|e| CommandError(format!("cannot create {}: {e}", file.display())))?;
        Box::new(BufWriter::new(f))
    };
    let result = write_rows(&mut *out, rows);
    let flushed = out.flush();
    drop(out);
    let outcome = match (result, flushed) {
        (Ok(n), Ok(())) => Ok(n),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(CommandError(format!(
            "cannot write {}: {e}",
            file.display()
        ))),
    };
    match outcome {
        Ok(n) => Ok(format!("exported {n} rows")),
        Err(e) => {
            if !to_stdout {
                let _ = std::fs::remove_file(file);
            }
            Err(e)
        }
    }
}

fn write_rows(out: &mut dyn Write, rows: covet::Rows) -> Result<u64, CommandError> {
    let io = |e: std::io::Error| CommandError(format!("cannot write: {e}"));
    let names: Vec<String> = rows.columns().iter().map(|c| c.name.clone()).collect();
    let header: Vec<Option<&str>> = names.iter().map(|n| Some(n.as_str())).collect();
    write_csv_record(out, &header).map_err(io)?;
    let mut n = 0;
    for row in rows {
        let row = row?;
        let texts: Vec<Option<String>> = row.values().iter().map(text_or_null).collect();
        let fields: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        write_csv_record(out, &fields).map_err(io)?;
        n += 1;
    }
    Ok(n)
}
