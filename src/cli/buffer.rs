//! [`StatementBuffer`]: lines gathered until they hold complete statements, for the
//! interactive shell and for scripts read line by line.

use covet::query::{Session, StatementText};

/// Text that does not hold a statement yet (a continuation line is needed).
const SENTINEL: &str = "SELECT 1";

/// The lines of a statement being typed, and the line of the script it started on.
#[derive(Debug, Default)]
pub struct StatementBuffer {
    text: String,
    /// The script line of the buffer's first line (1-based); 0 when empty.
    first_line: usize,
}

impl StatementBuffer {
    /// Whether no statement text is pending (only blank lines don't count).
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Adds `line`, which is line `number` of its script.
    pub fn push(&mut self, line: &str, number: usize) {
        if self.text.is_empty() {
            self.first_line = number;
        }
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// Whether the text ends at a statement boundary: every statement is terminated
    /// by `;` outside strings, comments, `$$` bodies and trigger bodies. Asked of the
    /// SQL layer's own splitter: with a statement appended, a complete text splits
    /// into its statements and exactly that one; an unfinished one swallows it.
    pub fn is_complete(&self) -> bool {
        if self.is_empty() {
            return false;
        }
        let probe = format!("{}{SENTINEL}", self.text);
        match Session::split_statements(&probe) {
            Ok(stmts) => stmts.last().is_some_and(|s| s.sql.trim() == SENTINEL),
            Err(_) => false,
        }
    }

    /// Takes the buffered statements, with their lines in the script, leaving the
    /// buffer empty. A text the splitter refuses (an unterminated string) is its
    /// error, at the buffer's first line.
    pub fn take(&mut self) -> Result<Vec<StatementText>, (covet::QueryError, usize)> {
        let text = std::mem::take(&mut self.text);
        let first = self.first_line.max(1);
        self.first_line = 0;
        match Session::split_statements(&text) {
            Ok(stmts) => Ok(stmts
                .into_iter()
                .filter(|s| !s.sql.trim().is_empty())
                .map(|s| StatementText {
                    sql: s.sql,
                    line: s.line + first - 1,
                })
                .collect()),
            Err(e) => Err((e, first)),
        }
    }

    /// The pending text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Drops the pending text (Ctrl-C at a continuation prompt).
    pub fn clear(&mut self) {
        self.text.clear();
        self.first_line = 0;
    }
}

/// Whether `line`, typed where a statement would start, is a meta-command.
pub fn is_meta(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('.') || t.starts_with('\\')
}
