//! Result sets as text: `table` (comfy-table), `csv`, `json` and `tsv`.
//!
//! * `table`: a bordered table, numbers right-aligned, NULL shown as `NULL`, then
//!   `(N rows)`; ASCII when the output is not a terminal, so that it pipes cleanly.
//!   It holds the whole result before printing (a table needs its column widths).
//! * `csv` (RFC 4180): a header line, then one line per row. NULL is an empty unquoted
//!   field; the empty string is `""`; a field with a comma, quote, CR or LF is quoted.
//!   Streams.
//! * `tsv`: PostgreSQL's COPY text format: a header line, tab-separated fields, NULL
//!   as `\N`, and backslash, tab, LF and CR escaped as `\\`, `\t`, `\n`, `\r`. Streams.
//! * `json`: one JSON array per result set, one object per row on its own line;
//!   numbers as numbers (NaN and infinities as strings), `json` values embedded, other
//!   values as their text. Streams.

use std::io::{self, Write};

use covet::{Column, Value};

/// How result sets are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A bordered table (the default).
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects per result set.
    Json,
    /// Tab-separated values (PostgreSQL COPY text) with a header line.
    Tsv,
}

impl Format {
    /// The format named `name` (`table`, `csv`, `json`, `tsv`).
    pub fn parse(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "table" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "tsv" => Some(Format::Tsv),
            _ => None,
        }
    }

    /// Whether command tags (`INSERT 0 1`) are printed: only for people, so that the
    /// machine formats carry result sets alone.
    pub fn shows_tags(self) -> bool {
        self == Format::Table
    }
}

/// Prints one result set, row by row.
pub struct ResultWriter<'w> {
    out: &'w mut dyn Write,
    format: Format,
    columns: Vec<Column>,
    /// Rows held for `table`, which needs every width before the first line.
    held: Vec<Vec<Value>>,
    rows: u64,
    ascii: bool,
    /// Whether the header (or JSON's opening bracket) is out.
    started: bool,
}

impl<'w> ResultWriter<'w> {
    /// Starts a result set with `columns`. Nothing is written yet: the header goes
    /// out with the first row (or at the end of an empty result), so that a query
    /// failing on its first row prints only its error. `ascii` draws tables with
    /// ASCII only.
    pub fn start(
        out: &'w mut dyn Write,
        format: Format,
        columns: &[Column],
        ascii: bool,
    ) -> io::Result<ResultWriter<'w>> {
        Ok(ResultWriter {
            out,
            format,
            columns: columns.to_vec(),
            held: Vec::new(),
            rows: 0,
            ascii,
            started: false,
        })
    }

    fn header(&mut self) -> io::Result<()> {
        if std::mem::replace(&mut self.started, true) {
            return Ok(());
        }
        match self.format {
            Format::Csv => {
                let names: Vec<Option<&str>> =
                    self.columns.iter().map(|c| Some(&*c.name)).collect();
                write_csv_record(self.out, &names)
            }
            Format::Tsv => {
                let names: Vec<String> = self.columns.iter().map(|c| tsv_field(&c.name)).collect();
                writeln!(self.out, "{}", names.join("\t"))
            }
            Format::Json => write!(self.out, "["),
            Format::Table => Ok(()),
        }
    }

    /// Prints (or, for `table`, holds) one row.
    pub fn row(&mut self, values: Vec<Value>) -> io::Result<()> {
        self.header()?;
        match self.format {
            Format::Csv => {
                let texts: Vec<Option<String>> = values.iter().map(text_or_null).collect();
                let fields: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
                write_csv_record(self.out, &fields)?;
            }
            Format::Tsv => {
                let fields: Vec<String> = values
                    .iter()
                    .map(|v| match text_or_null(v) {
                        None => "\\N".to_owned(),
                        Some(t) => tsv_field(&t),
                    })
                    .collect();
                writeln!(self.out, "{}", fields.join("\t"))?;
            }
            Format::Json => {
                let sep = if self.rows == 0 { "\n" } else { ",\n" };
                write!(self.out, "{sep}{}", json_object(&self.columns, &values))?;
            }
            Format::Table => self.held.push(values),
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the result set; the number of rows.
    pub fn finish(mut self) -> io::Result<u64> {
        self.header()?;
        match self.format {
            Format::Json => {
                if self.rows == 0 {
                    writeln!(self.out, "]")?;
                } else {
                    writeln!(self.out, "\n]")?;
                }
            }
            Format::Table => {
                writeln!(self.out, "{}", table(&self.columns, &self.held, self.ascii))?;
                let noun = if self.rows == 1 { "row" } else { "rows" };
                writeln!(self.out, "({} {noun})", self.rows)?;
            }
            Format::Csv | Format::Tsv => {}
        }
        self.out.flush()?;
        Ok(self.rows)
    }
}

fn table(columns: &[Column], rows: &[Vec<Value>], ascii: bool) -> comfy_table::Table {
    use comfy_table::{presets, CellAlignment, ColumnConstraint, ContentArrangement, Table};
    let mut t = Table::new();
    t.load_preset(if ascii {
        presets::ASCII_FULL_CONDENSED
    } else {
        presets::UTF8_FULL_CONDENSED
    });
    // Never wrap cells to a terminal width: the table is as wide as its content.
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(columns.iter().map(|c| c.name.clone()));
    for row in rows {
        t.add_row(row.iter().map(|v| match v {
            Value::Null => "NULL".to_owned(),
            v => v.to_string(),
        }));
    }
    for (i, c) in columns.iter().enumerate() {
        if let Some(col) = t.column_mut(i) {
            if c.ty.is_numeric() {
                col.set_cell_alignment(CellAlignment::Right);
            }
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    t
}

/// A value as text for the line formats; `None` for NULL.
pub fn text_or_null(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        v => Some(v.to_string()),
    }
}

/// Writes one CSV record (`None` is NULL: an empty unquoted field) and its newline.
pub fn write_csv_record(out: &mut dyn Write, fields: &[Option<&str>]) -> io::Result<()> {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if let Some(f) = f {
            if f.is_empty() || f.contains([',', '"', '\n', '\r']) {
                line.push('"');
                line.push_str(&f.replace('"', "\"\""));
                line.push('"');
            } else {
                line.push_str(f);
            }
        }
    }
    line.push('\n');
    out.write_all(line.as_bytes())
}

fn tsv_field(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

fn json_object(columns: &[Column], values: &[Value]) -> String {
    let mut o = String::from("{");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let name = columns.get(i).map_or("?column?", |c| &c.name);
        o.push_str(&serde_json::Value::String(name.to_owned()).to_string());
        o.push(':');
        o.push_str(&json_value(v));
    }
    o.push('}');
    o
}

fn json_value(v: &Value) -> String {
    use serde_json::Value as J;
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) if x.is_finite() => J::from(*x).to_string(),
        // A decimal's text is a valid JSON number, exact to the last digit.
        Value::Decimal(d) => d.to_string(),
        // A stored JSON document is embedded as itself; text that does not parse
        // (should the layer ever let one through) stays a string.
        Value::Json(s) => match serde_json::from_str::<J>(s) {
            Ok(j) => j.to_string(),
            Err(_) => J::String(s.clone()).to_string(),
        },
        other => J::String(other.to_string()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet::DataType;

    fn cols() -> Vec<Column> {
        vec![
            Column {
                name: "n".into(),
                ty: DataType::Int,
            },
            Column {
                name: "s".into(),
                ty: DataType::Text,
            },
        ]
    }

    fn render(format: Format, rows: Vec<Vec<Value>>) -> String {
        let mut out = Vec::new();
        let mut w = ResultWriter::start(&mut out, format, &cols(), true).unwrap();
        for r in rows {
            w.row(r).unwrap();
        }
        w.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sample() -> Vec<Vec<Value>> {
        vec![
            vec![Value::Int(1), Value::Text("a,\"b\"".into())],
            vec![Value::Null, Value::Text(String::new())],
            vec![Value::Int(-20), Value::Null],
        ]
    }

    #[test]
    fn csv_distinguishes_null_and_empty() {
        assert_eq!(
            render(Format::Csv, sample()),
            "n,s\n1,\"a,\"\"b\"\"\"\n,\"\"\n-20,\n"
        );
    }

    #[test]
    fn tsv_is_copy_text() {
        let rows = vec![
            vec![Value::Int(1), Value::Text("t\tab\\\n".into())],
            vec![Value::Null, Value::Text(String::new())],
        ];
        assert_eq!(render(Format::Tsv, rows), "n\ts\n1\tt\\tab\\\\\\n\n\\N\t\n");
    }

    #[test]
    fn json_rows_are_objects() {
        assert_eq!(
            render(Format::Json, sample()),
            "[\n{\"n\":1,\"s\":\"a,\\\"b\\\"\"},\n{\"n\":null,\"s\":\"\"},\n{\"n\":-20,\"s\":null}\n]\n"
        );
        assert_eq!(render(Format::Json, vec![]), "[]\n");
        assert_eq!(json_value(&Value::Float(f64::NAN)), "\"NaN\"");
        assert_eq!(json_value(&Value::Float(0.5)), "0.5");
        assert_eq!(
            json_value(&Value::Json("{\"a\": [1]}".into())),
            "{\"a\":[1]}"
        );
    }

    #[test]
    fn table_aligns_numbers_and_counts_rows() {
        assert_eq!(
            render(Format::Table, sample()),
            "\
+------+-------+
|    n | s     |
+==============+
|    1 | a,\"b\" |
| NULL |       |
|  -20 | NULL  |
+------+-------+
(3 rows)
"
        );
    }
}
