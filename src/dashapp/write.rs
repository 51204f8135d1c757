//! Writing the app's source fixes: each file whole or not at all
//! ([`write_atomic`]), every file a fix changes written once.

use std::path::Path;

use crate::store::atomic::{WriteError, write_atomic};

use super::fixes::Fix;

/// Writes every file the fixes change (each file once, with its final
/// text); returns the files written, relative to `dir`.
pub fn apply_fixes(dir: &Path, fixes: &[Fix]) -> Result<Vec<String>, WriteError> {
    let mut written: Vec<String> = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        let last_for_file = !fixes[i + 1..].iter().any(|f| f.file == fix.file);
        if last_for_file {
            write_atomic(&dir.join(&fix.file), &fix.new_text)?;
            written.push(fix.file.clone());
        }
    }
    Ok(written)
}
