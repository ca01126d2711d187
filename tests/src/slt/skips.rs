//! The documented skip list (`tests/slt/skips.txt`): records the run counts as skipped
//! instead of running, each with the reason it is skipped.
//!
//! One entry a line, `SELECTOR | REASON`; `#` starts a comment line. A selector is
//!
//! - `PATH:LINE`: the record whose command is on that line of a file whose path ends
//!   with PATH (compared on `/`-separated components, so `select1.test` does not match
//!   `xselect1.test`);
//! - `PATH`: every record of such files;
//! - `sql~TEXT`: every record whose SQL contains TEXT (ASCII case-insensitive).
//!
//! What must stay true: an entry without a reason is an error, so that no skip is
//! undocumented.

use std::path::Path;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipEntry {
    /// What it selects.
    pub selector: Selector,
    /// Why.
    pub reason: String,
}

/// What an entry selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Records of files whose path ends with this, at this line (or all lines).
    File {
        /// The path suffix.
        path: String,
        /// The record's line, or `None` for the whole file.
        line: Option<usize>,
    },
    /// Records whose SQL contains this (lower-cased).
    Sql(String),
}

/// The skip list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipList {
    entries: Vec<SkipEntry>,
}

impl SkipList {
    /// Parses the list; errors name the line.
    pub fn parse(text: &str) -> Result<SkipList, String> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (sel, reason) = line
                .split_once('|')
                .map(|(s, r)| (s.trim(), r.trim()))
                .filter(|(_, r)| !r.is_empty())
                .ok_or_else(|| format!("skip list line {}: no `| reason`", i + 1))?;
            let selector = if let Some(sql) = sel.strip_prefix("sql~") {
                Selector::Sql(sql.to_ascii_lowercase())
            } else {
                match sel.rsplit_once(':') {
                    Some((path, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
                        Selector::File {
                            path: path.to_string(),
                            line: Some(n.parse().map_err(|_| {
                                format!("skip list line {}: bad line number", i + 1)
                            })?),
                        }
                    }
                    _ => Selector::File {
                        path: sel.to_string(),
                        line: None,
                    },
                }
            };
            entries.push(SkipEntry {
                selector,
                reason: reason.to_string(),
            });
        }
        Ok(SkipList { entries })
    }

    /// The entries.
    pub fn entries(&self) -> &[SkipEntry] {
        &self.entries
    }

    /// Whether a file has any whole-file entry (it need not be read at all).
    pub fn whole_file(&self, file: &Path) -> Option<&str> {
        self.entries.iter().find_map(|e| match &e.selector {
            Selector::File { path, line: None } if path_ends_with(file, path) => {
                Some(e.reason.as_str())
            }
            _ => None,
        })
    }

    /// The reason the record at `line` of `file` with `sql` is skipped, if it is.
    pub fn reason(&self, file: &Path, line: usize, sql: &str) -> Option<&str> {
        let mut lower: Option<String> = None;
        self.entries.iter().find_map(|e| {
            let hit = match &e.selector {
                Selector::File { path, line: l } => {
                    l.is_none_or(|l| l == line) && path_ends_with(file, path)
                }
                Selector::Sql(text) => lower
                    .get_or_insert_with(|| sql.to_ascii_lowercase())
                    .contains(text.as_str()),
            };
            hit.then_some(e.reason.as_str())
        })
    }
}

/// Whether `file`'s `/`-separated components end with those of `suffix`.
fn path_ends_with(file: &Path, suffix: &str) -> bool {
    let file = file.to_string_lossy().replace('\\', "/");
    let f: Vec<&str> = file
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let s: Vec<&str> = suffix
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    !s.is_empty() && f.ends_with(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_reasons() {
        let list = SkipList::parse(
            "# header\n\nselect1.test:12 | twelve\nevidence/in1.test | whole\nsql~create trigger | no triggers\n",
        )
        .unwrap();
        assert_eq!(list.entries().len(), 3);
        let p = Path::new("/work/shared/slt/select1.test");
        assert_eq!(list.reason(p, 12, "SELECT 1"), Some("twelve"));
        assert_eq!(list.reason(p, 13, "SELECT 1"), None);
        assert_eq!(
            list.reason(Path::new("x/xselect1.test"), 12, "SELECT 1"),
            None
        );
        let e = Path::new("./slt/evidence/in1.test");
        assert_eq!(list.whole_file(e), Some("whole"));
        assert_eq!(list.reason(e, 99, "SELECT 1"), Some("whole"));
        assert_eq!(list.whole_file(Path::new("slt/in1.test")), None);
        assert_eq!(
            list.reason(p, 1, "CREATE  TRIGGER x; CREATE Trigger t1r1"),
            Some("no triggers")
        );
    }

    #[test]
    fn an_entry_needs_a_reason() {
        assert_eq!(
            SkipList::parse("select1.test:12\n"),
            Err("skip list line 1: no `| reason`".into())
        );
        assert_eq!(
            SkipList::parse("\nselect1.test |  \n"),
            Err("skip list line 2: no `| reason`".into())
        );
    }
}
