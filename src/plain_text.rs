//! Output of programs meant for a terminal (pip's colours, progress bars
//! redrawn with carriage returns) made plain, for the wizard's screen, the
//! command line's lines and the log file: escape sequences removed, a line
//! redrawn with `\r` kept as it was last drawn, other control characters
//! dropped. An escape sequence left in would move the wizard's cursor or
//! show up as `[91m` … `[0m`.

/// `line` without terminal escape sequences and control characters.
pub fn plain(line: &str) -> String {
    // What a terminal shows last of a line redrawn with carriage returns.
    let line = line
        .rsplit('\r')
        .find(|part| !part.trim().is_empty())
        .unwrap_or("");
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ST (ESC \).
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                // Any other escape is two characters long.
                _ => {}
            },
            // The 8-bit CSI.
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_cursor_moves_are_removed() {
        assert_eq!(
            plain("\u{1b}[91mERROR: No matching distribution found for dash==9.9\u{1b}[0m"),
            "ERROR: No matching distribution found for dash==9.9"
        );
        assert_eq!(plain("\u{1b}[1;32mok\u{1b}[0m \u{1b}[2K\u{1b}[1A"), "ok ");
        assert_eq!(
            plain("\u{1b}]8;;https://pip.pypa.io\u{7}link\u{1b}]8;;\u{1b}\\ done"),
            "link done"
        );
        assert_eq!(plain("\u{9b}31mred"), "red");
        assert_eq!(plain("a\tb\u{7}c"), "a bc");
    }

    #[test]
    fn a_line_redrawn_with_carriage_returns_is_its_last_drawing() {
        assert_eq!(
            plain("   10% |##        |\r   55% |#####     |\r  100% |##########|"),
            "  100% |##########|"
        );
        assert_eq!(plain("done\r"), "done");
        assert_eq!(plain("plain text"), "plain text");
    }
}
