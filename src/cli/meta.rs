//! Meta-commands: sqlite3's dot commands and psql's backslash commands.

use std::io::Write;
use std::path::Path;

use covet::{Column, DataType, Value};

use super::format::{Format, ResultWriter};
use covet::engine::table::{IndexDef, ViewDef};

use super::introspect::{self, TableInfo};
use super::shell::{Failure, Flow, Origin, Shell};

/// The text `.help` prints.
pub const HELP: &str = "\
Statements end with ';' and may span lines. Meta-commands:
  .help                    this text (also \\?)
  .tables                  list tables (also \\dt)
  .schema [TABLE]          CREATE statements of every table, or of TABLE
  .indexes [TABLE]         list indexes (also \\di [TABLE])
  .open FILE               close this database and open FILE (created if missing)
  .read FILE               run the statements in FILE
  .mode table|csv|json|tsv how results are printed
  .timer on|off            show how long each statement took (also \\timing [on|off])
  .explain on|off          show each query's plan before its result
  .explain SQL             show the plan of SQL without running it
  .quit                    leave (also .exit, \\q, Ctrl-D)
  \\d [TABLE]               describe TABLE (or view), or list tables and views
  \\dv                      list views
";

impl Shell {
    /// Runs the meta-command on `line` (line `number` of a script from `origin`).
    pub fn meta(&mut self, line: &str, number: usize, origin: Origin<'_>) -> Flow {
        let text = line.trim();
        // psql lets a backslash command be followed by a ';' by habit; drop it.
        let text = text.strip_suffix(';').unwrap_or(text).trim_end();
        let (command, rest) = match text.find(char::is_whitespace) {
            Some(i) => (&text[..i], text[i..].trim()),
            None => (text, ""),
        };
        let result = match command {
            ".help" | "\\?" | "\\h" => self.write(HELP),
            ".quit" | ".exit" | "\\q" => return Flow::Stop,
            ".tables" => self.list_tables(),
            "\\dt" => self.relations(true, false),
            "\\dv" => self.relations(false, true),
            "\\d" if rest.is_empty() => self.relations(true, true),
            "\\d" => self.describe(rest),
            ".schema" => self.schema(rest),
            ".indexes" | ".indices" => self.index_names(rest),
            "\\di" => self.index_table(rest),
            ".open" => self.open(rest),
            ".read" | "\\i" => {
                if rest.is_empty() {
                    Err(Problem::Usage(".read FILE"))
                } else {
                    return self.read_file(rest, number, origin);
                }
            }
            ".mode" => match Format::parse(rest) {
                Some(f) => {
                    self.format = f;
                    Ok(())
                }
                None if rest.is_empty() => {
                    let name = format!("{:?}\n", self.format).to_lowercase();
                    self.write(&name)
                }
                None => Err(Problem::Usage(".mode table|csv|json|tsv")),
            },
            ".timer" => match on_off(rest) {
                Some(on) => {
                    self.timer = on;
                    Ok(())
                }
                None => Err(Problem::Usage(".timer on|off")),
            },
            "\\timing" => {
                let on = if rest.is_empty() {
                    Some(!self.timer)
                } else {
                    on_off(rest)
                };
                match on {
                    Some(on) => {
                        self.timer = on;
                        let state = if on { "on" } else { "off" };
                        self.write(&format!("Timing is {state}.\n"))
                    }
                    None => Err(Problem::Usage("\\timing [on|off]")),
                }
            }
            ".explain" => match on_off(rest) {
                Some(on) => {
                    self.explain = on;
                    Ok(())
                }
                None if rest.is_empty() => Err(Problem::Usage(".explain on|off|SQL")),
                None => {
                    let sql = rest.strip_suffix(';').unwrap_or(rest);
                    self.print_plan(sql).map_err(Problem::from)
                }
            },
            _ => Err(Problem::Unknown(command.to_owned())),
        };
        match result {
            Ok(()) => Flow::Continue,
            Err(Problem::Sql(e)) => self.report(&e, number, origin),
            Err(Problem::Output) => {
                self.closed = true;
                Flow::Stop
            }
            Err(Problem::Usage(usage)) => {
                self.report_command(&format!("usage: {usage}"), number, origin)
            }
            Err(Problem::Unknown(c)) => self.report_command(
                &format!("unknown command {c} (.help lists the commands)"),
                number,
                origin,
            ),
        }
    }

    fn write(&mut self, text: &str) -> Result<(), Problem> {
        self.out
            .write_all(text.as_bytes())
            .map_err(|_| Problem::Output)?;
        self.out.flush().map_err(|_| Problem::Output)
    }

    fn list_tables(&mut self) -> Result<(), Problem> {
        let mut names = introspect::table_names(&self.db)?;
        names.extend(introspect::view_names(&self.db)?);
        names.sort();
        let mut text = String::new();
        for name in names {
            text.push_str(&name);
            text.push('\n');
        }
        self.write(&text)
    }

    /// `\\d`, `\\dt`, `\\dv`: relations of the kinds asked for, by name.
    fn relations(&mut self, tables: bool, views: bool) -> Result<(), Problem> {
        let mut rows: Vec<Vec<Value>> = Vec::new();
        if tables {
            for n in introspect::table_names(&self.db)? {
                rows.push(vec![Value::Text(n), Value::Text("table".into())]);
            }
        }
        if views {
            for n in introspect::view_names(&self.db)? {
                rows.push(vec![Value::Text(n), Value::Text("view".into())]);
            }
        }
        rows.sort_by(|a, b| a[0].to_string().cmp(&b[0].to_string()));
        self.result_set(&[("name", DataType::Text), ("type", DataType::Text)], rows)
    }

    fn describe(&mut self, table: &str) -> Result<(), Problem> {
        if let Some(view) = self.find_view(table)? {
            return self.write(&format!(
                "View \"{}\"\n{}",
                view.name,
                introspect::create_view(&view)
            ));
        }
        let info = introspect::describe(&self.db, table)?;
        let s = &info.schema;
        self.write(&format!("Table \"{}\"\n", s.name))?;
        let rows = s
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let nullable = if s.is_nullable(i) { "" } else { "not null" };
                vec![
                    Value::Text(c.name.clone()),
                    Value::Text(c.ty.to_string().to_lowercase()),
                    Value::Text(nullable.into()),
                    Value::Text(info.default_text(i).unwrap_or_default()),
                ]
            })
            .collect();
        self.result_set(
            &[
                ("column", DataType::Text),
                ("type", DataType::Text),
                ("nullable", DataType::Text),
                ("default", DataType::Text),
            ],
            rows,
        )?;
        let mut text = String::new();
        if let Some(pk) = introspect::primary_key(s) {
            text.push_str(&format!("Primary key: ({pk})\n"));
        }
        if !info.indexes.is_empty() {
            text.push_str("Indexes:\n");
            for idx in &info.indexes {
                let unique = if idx.unique { " UNIQUE" } else { "" };
                text.push_str(&format!(
                    "    {}{unique} ({})\n",
                    introspect::ident(&idx.name),
                    introspect::index_columns(idx, s)
                ));
            }
        }
        if !info.checks.is_empty() {
            text.push_str("Check constraints:\n");
            for c in &info.checks {
                text.push_str(&format!(
                    "    {} CHECK ({})\n",
                    introspect::ident(&c.name),
                    c.sql
                ));
            }
        }
        if !info.foreign_keys.is_empty() {
            text.push_str("Foreign-key constraints:\n");
            for (fk, names) in &info.foreign_keys {
                text.push_str(&format!(
                    "    {} {}\n",
                    introspect::ident(&fk.name),
                    introspect::foreign_key(fk, names, s)
                ));
            }
        }
        let triggers: Vec<_> = introspect::triggers(&self.db)?
            .into_iter()
            .filter(|t| t.table == s.name)
            .collect();
        if !triggers.is_empty() {
            text.push_str("Triggers:\n");
            for t in &triggers {
                text.push_str(&format!("    {}\n", introspect::ident(&t.name)));
            }
        }
        self.write(&text)
    }

    /// The view `name` means (exactly, or folded to lower case), if it is a view.
    fn find_view(&self, name: &str) -> Result<Option<ViewDef>, Problem> {
        let views = introspect::views(&self.db)?;
        let bare = name.trim_matches('"');
        Ok(views
            .iter()
            .find(|v| v.name == bare)
            .or_else(|| views.iter().find(|v| v.name == bare.to_lowercase()))
            .cloned())
    }

    fn schema(&mut self, table: &str) -> Result<(), Problem> {
        if !table.is_empty() {
            if let Some(view) = self.find_view(table)? {
                return self.write(&introspect::create_view(&view));
            }
        }
        let infos: Vec<TableInfo> = if table.is_empty() {
            introspect::describe_all(&self.db)?
        } else {
            vec![introspect::describe(&self.db, table)?]
        };
        let mut text: String = infos.iter().map(introspect::create_statements).collect();
        if table.is_empty() {
            for view in introspect::views(&self.db)? {
                text.push_str(&introspect::create_view(&view));
            }
        }
        for trigger in introspect::triggers(&self.db)? {
            if infos.iter().any(|i| i.schema.name == trigger.table) {
                text.push_str(&format!("{};\n", trigger.sql));
            }
        }
        self.write(&text)
    }

    /// The indexes of `table` (of every table when empty), each with its key columns
    /// as SQL.
    fn indexes(&self, table: &str) -> Result<Vec<(IndexDef, String)>, Problem> {
        let infos = if table.is_empty() {
            introspect::describe_all(&self.db)?
        } else {
            vec![introspect::describe(&self.db, table)?]
        };
        let mut out = Vec::new();
        for info in infos {
            for idx in info.indexes {
                let columns = introspect::index_columns(&idx, &info.schema);
                out.push((idx, columns));
            }
        }
        Ok(out)
    }

    fn index_names(&mut self, table: &str) -> Result<(), Problem> {
        let mut text = String::new();
        for (idx, _) in self.indexes(table)? {
            text.push_str(&idx.name);
            text.push('\n');
        }
        self.write(&text)
    }

    fn index_table(&mut self, table: &str) -> Result<(), Problem> {
        let rows = self
            .indexes(table)?
            .into_iter()
            .map(|(idx, columns)| {
                vec![
                    Value::Text(idx.name),
                    Value::Text(idx.table),
                    Value::Text(columns),
                    Value::Bool(idx.unique),
                ]
            })
            .collect();
        self.result_set(
            &[
                ("name", DataType::Text),
                ("table", DataType::Text),
                ("columns", DataType::Text),
                ("unique", DataType::Bool),
            ],
            rows,
        )
    }

    fn open(&mut self, path: &str) -> Result<(), Problem> {
        if path.is_empty() {
            return Err(Problem::Usage(".open FILE"));
        }
        let db = Shell::open_database(Some(Path::new(path)))?;
        // The old connection's open transaction (if any) rolls back as it drops.
        self.conn = db.connect();
        self.db = db;
        self.location = Some(path.to_owned());
        Ok(())
    }

    fn result_set(
        &mut self,
        columns: &[(&str, DataType)],
        rows: Vec<Vec<Value>>,
    ) -> Result<(), Problem> {
        let columns: Vec<Column> = columns
            .iter()
            .map(|&(name, ty)| Column {
                name: name.to_owned(),
                ty,
            })
            .collect();
        let format = self.format;
        let ascii = self.ascii;
        let write = |out: &mut dyn Write| -> std::io::Result<()> {
            let mut w = ResultWriter::start(out, format, &columns, ascii)?;
            for r in rows {
                w.row(r)?;
            }
            w.finish().map(|_| ())
        };
        write(&mut *self.out).map_err(|_| Problem::Output)
    }
}

fn on_off(arg: &str) -> Option<bool> {
    match arg.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Some(true),
        "off" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Why a meta-command failed.
enum Problem {
    Sql(covet::Error),
    Output,
    Usage(&'static str),
    Unknown(String),
}

impl From<covet::Error> for Problem {
    fn from(e: covet::Error) -> Problem {
        Problem::Sql(e)
    }
}

impl From<Failure> for Problem {
    fn from(f: Failure) -> Problem {
        match f {
            Failure::Sql(e) => Problem::Sql(e),
            Failure::Output => Problem::Output,
        }
    }
}
