//! The interactive shell: line editing and history (rustyline), prompts that show
//! the transaction state, statements over several lines.

use std::path::PathBuf;

use covet::TransactionStatus;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;

use super::buffer::{is_meta, StatementBuffer};
use super::shell::{Flow, Origin, Shell};

/// The history file: `~/.covet_history`, or none without a home directory.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".covet_history"))
}

/// `covet=> ` idle, `covet*> ` in a transaction block, `covet!> ` in a failed one;
/// `...> ` (aligned) on continuation lines.
fn prompt(shell: &Shell, continuing: bool) -> &'static str {
    match (continuing, shell.transaction_status()) {
        (true, _) => "   ...> ",
        (false, TransactionStatus::Idle) => "covet=> ",
        (false, TransactionStatus::InTransaction) => "covet*> ",
        (false, TransactionStatus::Failed) => "covet!> ",
    }
}

/// Runs the shell until `.quit` or end of input. A history that cannot be read or
/// written is not an error: the shell works without one.
pub fn run(shell: &mut Shell, hint: &str) -> rustyline::Result<()> {
    let mut editor: Editor<(), FileHistory> = Editor::new()?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    shell.say(hint);
    let mut buffer = StatementBuffer::default();
    let mut number = 0;
    loop {
        let line = match editor.readline(prompt(shell, !buffer.is_empty())) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C drops the statement being typed, as psql does.
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        number += 1;
        if buffer.is_empty() && is_meta(&line) {
            let _ = editor.add_history_entry(line.as_str());
            if shell.meta(&line, number, Origin::Prompt) == Flow::Stop {
                break;
            }
            continue;
        }
        buffer.push(&line, number);
        if line.contains(';') && buffer.is_complete() {
            // One history entry per statement, however many lines it took.
            let _ = editor.add_history_entry(buffer_text(&line, &buffer));
            if shell.run_buffer(&mut buffer, Origin::Prompt) == Flow::Stop {
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

fn buffer_text(last: &str, buffer: &StatementBuffer) -> String {
    let text = buffer.text();
    if text.is_empty() {
        last.to_owned()
    } else {
        // Kept with its line breaks (the history file escapes them): a string literal
        // over two lines must come back as it was typed.
        text.trim_end().to_owned()
    }
}
