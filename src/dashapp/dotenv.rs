//! `.env` files as python-dotenv reads them: `NAME=value` lines (an
//! `export ` before the name is allowed), values bare, single-quoted
//! (taken as they are) or double-quoted (`\n`, `\"`, `\\` escapes, and
//! lines up to the closing quote), a ` #` after a bare value starting a
//! comment. Values are handed on, never printed.

use crate::secret::Secret;

/// One variable a file sets: its name, its value and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub value: Secret,
    pub line: usize,
}

/// Every variable `text` sets, in order (a later line of a name wins when
/// read into a map).
pub fn parse(text: &str) -> Vec<Entry> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let line = lines[i].trim_start();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, rest)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = rest.trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            // Up to the closing quote, across lines if need be.
            let mut raw = quoted.to_string();
            while closing_quote(&raw).is_none() && i < lines.len() {
                raw.push('\n');
                raw.push_str(lines[i]);
                i += 1;
            }
            let end = closing_quote(&raw).unwrap_or(raw.len());
            unescape(&raw[..end])
        } else if let Some(quoted) = rest.strip_prefix('\'') {
            quoted.split('\'').next().unwrap_or_default().to_string()
        } else {
            let bare = match rest.find(" #") {
                Some(at) => &rest[..at],
                None => rest,
            };
            bare.trim_end().to_string()
        };
        out.push(Entry {
            name: name.to_string(),
            value: Secret::new(value),
            line: number,
        });
    }
    out
}

/// The byte where an unescaped `"` closes a double-quoted value.
fn closing_quote(raw: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in raw.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(at),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The names a file sets, never their values.
pub fn names(text: &str) -> Vec<String> {
    parse(text).into_iter().map(|e| e.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, usize)> {
        parse(text)
            .into_iter()
            .map(|e| (e.name, e.value.expose().to_string(), e.line))
            .collect()
    }

    #[test]
    fn values_are_read_as_python_dotenv_reads_them() {
        let text = "# settings\nTOKEN=abc123\nexport DB_URL = postgres://u:p@h/db\n\nQUOTED=\"a b # not a comment\"\n\
                    SINGLE='raw \\n kept'\nESCAPED=\"line1\\nline2 \\\"q\\\"\"\nBARE=value # a comment\nEMPTY=\n\
                    MULTI=\"first\nsecond\"\nnot a line\nBAD NAME=1\n";
        assert_eq!(
            pairs(text),
            [
                ("TOKEN".into(), "abc123".into(), 2),
                ("DB_URL".into(), "postgres://u:p@h/db".into(), 3),
                ("QUOTED".into(), "a b # not a comment".into(), 5),
                ("SINGLE".into(), "raw \\n kept".into(), 6),
                ("ESCAPED".into(), "line1\nline2 \"q\"".into(), 7),
                ("BARE".into(), "value".into(), 8),
                ("EMPTY".into(), String::new(), 9),
                ("MULTI".into(), "first\nsecond".into(), 10),
            ]
        );
        assert_eq!(names("A=1\r\nB=2\r\n"), ["A", "B"]);
    }
}
