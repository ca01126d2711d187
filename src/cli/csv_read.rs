//! A streaming reader of RFC 4180 CSV that keeps what the `csv` crate drops: whether
//! a field was quoted (an empty unquoted field is NULL, `""` the empty string; the
//! shell's own CSV output writes them so) and the line each record starts on (for
//! import errors).

use std::io::BufRead;

/// One field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its text, quotes removed and `""` unescaped.
    pub text: String,
    /// Whether it was written in quotes.
    pub quoted: bool,
}

impl Field {
    /// Whether the field stands for NULL: empty and unquoted.
    pub fn is_null(&self) -> bool {
        !self.quoted && self.text.is_empty()
    }
}

/// Malformed CSV, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// The 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads records from `input`, one at a time.
pub struct CsvReader<R> {
    input: R,
    /// Lines read so far.
    line: usize,
    /// Bytes read so far (for a progress bar).
    bytes: u64,
}

impl<R: BufRead> CsvReader<R> {
    /// A reader of `input`.
    pub fn new(input: R) -> CsvReader<R> {
        CsvReader {
            input,
            line: 0,
            bytes: 0,
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn read_line(&mut self, buf: &mut String) -> Result<bool, CsvError> {
        buf.clear();
        let n = self.input.read_line(buf).map_err(|e| CsvError {
            line: self.line + 1,
            message: match e.kind() {
                std::io::ErrorKind::InvalidData => "the line is not valid UTF-8".to_owned(),
                _ => format!("cannot read: {e}"),
            },
        })?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        self.bytes += n as u64;
        Ok(true)
    }

    /// The next record and the line it starts on; `None` at the end. Blank lines
    /// between records are skipped.
    pub fn next_record(&mut self) -> Result<Option<(usize, Vec<Field>)>, CsvError> {
        let mut line = String::new();
        loop {
            if !self.read_line(&mut line)? {
                return Ok(None);
            }
            if !line.trim_end_matches(['\r', '\n']).is_empty() {
                break;
            }
        }
        if start_of_file(self.line, &line) {
            // A byte-order mark (spreadsheets write one) is not part of the first field.
            line.drain(..'\u{feff}'.len_utf8());
        }
        let start = self.line;
        let mut fields = Vec::new();
        let mut field = Field {
            text: String::new(),
            quoted: false,
        };
        // States: at a field's start, inside unquoted text, inside quotes, just after
        // a quote inside quotes (either the closing one or the first of `""`).
        #[derive(PartialEq)]
        enum State {
            Start,
            Plain,
            Quoted,
            QuoteInQuoted,
        }
        let mut state = State::Start;
        loop {
            let body = line.strip_suffix('\n').unwrap_or(&line);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let ended_with_newline = body.len() < line.len();
            for c in body.chars() {
                match (&state, c) {
                    (State::Start, '"') => {
                        field.quoted = true;
                        state = State::Quoted;
                    }
                    (State::Start | State::Plain, ',') => {
                        fields.push(std::mem::replace(
                            &mut field,
                            Field {
                                text: String::new(),
                                quoted: false,
                            },
                        ));
                        state = State::Start;
                    }
                    (State::Start | State::Plain, c) => {
                        field.text.push(c);
                        state = State::Plain;
                    }
                    (State::Quoted, '"') => state = State::QuoteInQuoted,
                    (State::Quoted, c) => field.text.push(c),
                    (State::QuoteInQuoted, '"') => {
                        field.text.push('"');
                        state = State::Quoted;
                    }
                    (State::QuoteInQuoted, ',') => {
                        fields.push(std::mem::replace(
                            &mut field,
                            Field {
                                text: String::new(),
                                quoted: false,
                            },
                        ));
                        state = State::Start;
                    }
                    (State::QuoteInQuoted, c) => {
                        return Err(CsvError {
                            line: self.line,
                            message: format!("unexpected {c:?} after a closing quote"),
                        });
                    }
                }
            }
            if state != State::Quoted {
                break;
            }
            // A quoted field goes on over the line break, which is part of it.
            if ended_with_newline {
                field.text.push_str(&line[body.len()..]);
            }
            if !self.read_line(&mut line)? {
                return Err(CsvError {
                    line: start,
                    message: "a quoted field is not closed before the end of the file".into(),
                });
            }
        }
        fields.push(field);
        Ok(Some((start, fields)))
    }
}

fn start_of_file(line_number: usize, line: &str) -> bool {
    line_number == 1 && line.starts_with('\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as (line, [(text, quoted)]).
    type Records = Vec<(usize, Vec<(String, bool)>)>;

    fn read_all(text: &str) -> Result<Records, CsvError> {
        let mut r = CsvReader::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some((line, fields)) = r.next_record()? {
            out.push((
                line,
                fields.into_iter().map(|f| (f.text, f.quoted)).collect(),
            ));
        }
        Ok(out)
    }

    fn f(t: &str, q: bool) -> (String, bool) {
        (t.to_owned(), q)
    }

    #[test]
    fn quotes_nulls_and_line_breaks() {
        let got = read_all("a,b\r\n1,\"x,\"\"y\"\"\"\n\n,\"\"\n\"multi\nline\",z").unwrap();
        assert_eq!(
            got,
            vec![
                (1, vec![f("a", false), f("b", false)]),
                (2, vec![f("1", false), f("x,\"y\"", true)]),
                (4, vec![f("", false), f("", true)]),
                (5, vec![f("multi\nline", true), f("z", false)]),
            ]
        );
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let got = read_all("\u{feff}id,name\n1,\u{feff}x\n").unwrap();
        assert_eq!(
            got,
            vec![
                (1, vec![f("id", false), f("name", false)]),
                (2, vec![f("1", false), f("\u{feff}x", false)]),
            ]
        );
    }

    #[test]
    fn malformed_input_names_its_line() {
        assert_eq!(
            read_all("a\n\"x\"y\n").unwrap_err(),
            CsvError {
                line: 2,
                message: "unexpected 'y' after a closing quote".into()
            }
        );
        assert_eq!(read_all("a\n\"open\nstill").unwrap_err().line, 2);
        let bad = [b'a', b'\n', 0xff, b'\n'];
        let mut r = CsvReader::new(&bad[..]);
        assert_eq!(r.next_record().unwrap().unwrap().0, 1);
        assert_eq!(
            r.next_record().unwrap_err(),
            CsvError {
                line: 2,
                message: "the line is not valid UTF-8".into()
            }
        );
    }
}
