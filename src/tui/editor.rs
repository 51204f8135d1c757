//! Handing the terminal to the user's editor ($VISUAL, $EDITOR, else vi)
//! for a proposed file, and taking it back.

use std::io::stdout;
use std::process::Command;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};

use super::terminal::{Term, restore};

/// Opens `text` in the editor as a temporary file named after `name`;
/// returns the edited text, or why editing did not happen.
pub fn edit(terminal: &mut Term, name: &str, text: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let dir = tempfile::tempdir().map_err(|e| format!("no temporary folder for the edit: {e}"))?;
    let path = dir.path().join(name);
    std::fs::write(&path, text).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    restore();
    let status = Command::new(program).args(words).arg(&path).status();
    // A new Terminal has empty buffers, so the next frame is drawn whole.
    // (`Terminal::clear` would ask the terminal for the cursor position,
    // and the answer can be lost while no one reads the keyboard.)
    let resumed = enable_raw_mode()
        .and_then(|()| execute!(stdout(), EnterAlternateScreen, Clear(ClearType::All)))
        .and_then(|()| Terminal::new(CrosstermBackend::new(stdout())));
    match resumed {
        Ok(fresh) => *terminal = fresh,
        Err(e) => {
            return Err(format!(
                "could not take the terminal back after the editor: {e}"
            ));
        }
    }
    match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("could not read the edited {name}: {e}")),
        Ok(s) => Err(format!(
            "{editor} exited with {s}; the proposal is unchanged"
        )),
        Err(e) => Err(format!(
            "could not start the editor '{editor}' ({e}); set EDITOR to one you have"
        )),
    }
}
