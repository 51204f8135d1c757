//! The port an app's own Dockerfile serves on, and the one-line changes
//! that make it 8050, the port the task maps, its security group opens and
//! the health check asks: `EXPOSE 8000`, `--bind 0.0.0.0:8000` (or `-b`,
//! `:8000`), `--port 8000`, `ENV PORT=8000`. A Dockerfile that still serves
//! another port is never deployed.

use super::fixes::PORT;

/// A port other than 8050 that the Dockerfile serves, where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherPort {
    pub port: u16,
    /// 1-based lines that name it.
    pub lines: Vec<usize>,
}

/// Whether a line is one whose ports count: EXPOSE, the start command
/// (CMD, ENTRYPOINT), or ENV/ARG setting PORT.
fn counts(line: &str) -> Option<&'static str> {
    let word = line.split_whitespace().next()?.to_ascii_uppercase();
    match word.as_str() {
        "EXPOSE" => Some("EXPOSE"),
        "CMD" | "ENTRYPOINT" => Some("CMD"),
        "ENV" | "ARG" if line.contains("PORT") => Some("ENV"),
        _ => None,
    }
}

/// The ports one line names, each with the byte range of its digits.
fn ports_in(line: &str, kind: &str) -> Vec<(u16, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let before = &line[..start];
        let after = &line[i..];
        let port_like = match kind {
            "EXPOSE" => {
                before
                    .trim_end()
                    .ends_with(|c: char| c.is_whitespace() || c.is_ascii_alphabetic())
                    && (after.is_empty() || after.starts_with(['/', ' ', '\t']))
            }
            "ENV" => {
                let b = before.trim_end();
                (b.ends_with("PORT=") || b.ends_with("PORT")) && !after.starts_with('.')
            }
            // A bind's port (`0.0.0.0:8000`, `:8000`) or a --port option.
            _ => {
                // The exec form's quotes and commas between an option and its value.
                let option = before.trim_end_matches([' ', '\t', '"', '\'', ',']);
                before.ends_with(':') && !before.ends_with("::")
                    || option.ends_with("--port")
                    || before.ends_with("--port=")
                    || before.ends_with("PORT=")
            }
        };
        // Not part of an IP address or a version.
        let dotted = before.ends_with('.') || after.starts_with('.');
        if port_like
            && !dotted
            && let Ok(port) = line[start..i].parse::<u16>()
        {
            out.push((port, start..i));
        }
    }
    out
}

/// Logical lines: (first line number, the lines it spans joined).
fn instructions(text: &str) -> Vec<(usize, Vec<usize>)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, Vec<usize>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let (start, mut spans) = current.take().unwrap_or((i + 1, Vec::new()));
        spans.push(i);
        if line.ends_with('\\') {
            current = Some((start, spans));
        } else {
            out.push((start, spans));
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

/// The port other than 8050 the Dockerfile serves, if it names one.
pub fn other_port(text: &str) -> Option<OtherPort> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Option<OtherPort> = None;
    for (_, spans) in instructions(text) {
        let Some(kind) = lines.get(spans[0]).and_then(|l| counts(l.trim())) else {
            continue;
        };
        for at in &spans {
            for (port, _) in ports_in(lines[*at], kind) {
                if port == PORT {
                    continue;
                }
                let entry = found.get_or_insert(OtherPort {
                    port,
                    lines: Vec::new(),
                });
                if entry.port == port && !entry.lines.contains(&(at + 1)) {
                    entry.lines.push(at + 1);
                }
            }
        }
    }
    found
}

/// The Dockerfile with its other port made 8050 on every line that names
/// it, and what changed in words; None when it serves no other port.
pub fn to_8050(text: &str) -> Option<(String, String)> {
    let other = other_port(text)?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let kinds: Vec<(usize, &'static str)> = instructions(text)
        .into_iter()
        .filter_map(|(_, spans)| {
            let kind = counts(lines.get(spans[0])?.trim())?;
            Some(spans.into_iter().map(move |s| (s, kind)))
        })
        .flatten()
        .collect();
    for (at, kind) in kinds {
        let line = lines[at].clone();
        let mut fixed = line.clone();
        for (port, range) in ports_in(&line, kind).into_iter().rev() {
            if port == other.port {
                fixed.replace_range(range, &PORT.to_string());
            }
        }
        lines[at] = fixed;
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    let at: Vec<String> = other.lines.iter().map(usize::to_string).collect();
    let said = format!(
        "The Dockerfile serves port {} (line{} {}), but the task maps {PORT}, its security group opens {PORT} and the \
         health check asks {PORT}: the app would be unreachable. The proposal makes it {PORT} on those lines.",
        other.port,
        if at.len() == 1 { "" } else { "s" },
        at.join(", ")
    );
    Some((out, said))
}

/// The refusal for a Dockerfile that still serves another port.
pub fn refusal(other: &OtherPort) -> String {
    let at: Vec<String> = other.lines.iter().map(usize::to_string).collect();
    format!(
        "The Dockerfile serves port {} (line{} {}), but the task maps {PORT}, its security group opens {PORT} and the \
         health check asks {PORT}: deployed, the app would be unreachable. Accept the proposed change to {PORT} \
         (retry the step), or make the app listen on {PORT} yourself; nothing was built.",
        other.port,
        if at.len() == 1 { "" } else { "s" },
        at.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_found_where_the_dockerfile_names_it_and_made_8050() {
        let text = "FROM python:3.12-slim\nENV PORT=8000\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt==1.2\n\
                    EXPOSE 8000\nCMD gunicorn --workers 2 \\\n    -b 0.0.0.0:8000 app:server\n";
        let other = other_port(text).unwrap();
        assert_eq!(other.port, 8000);
        assert_eq!(other.lines, [2, 6, 8]);
        let (fixed, said) = to_8050(text).unwrap();
        assert_eq!(
            fixed,
            "FROM python:3.12-slim\nENV PORT=8050\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt==1.2\n\
             EXPOSE 8050\nCMD gunicorn --workers 2 \\\n    -b 0.0.0.0:8050 app:server\n"
        );
        assert!(said.contains("serves port 8000 (lines 2, 6, 8)"), "{said}");
        assert_eq!(other_port(&fixed), None);
        assert!(refusal(&other).contains("nothing was built"));
    }

    #[test]
    fn exec_form_uvicorn_style_and_right_ports() {
        let text = "FROM python:3.12\nEXPOSE 5000/tcp\nCMD [\"gunicorn\", \"--bind\", \":5000\", \"app:server\"]\n";
        let (fixed, _) = to_8050(text).unwrap();
        assert!(
            fixed.contains("EXPOSE 8050/tcp") && fixed.contains("\":8050\""),
            "{fixed}"
        );
        let port = "FROM python:3.12\nCMD [\"python\", \"-m\", \"flask\", \"run\", \"--port\", \"8000\", \"--host=0.0.0.0\"]\n";
        assert_eq!(other_port(port).unwrap().port, 8000);
        let right = "FROM python:3.12-slim\nEXPOSE 8050\nCMD [\"gunicorn\", \"-b\", \"0.0.0.0:8050\", \"app:server\"]\n";
        assert_eq!(other_port(right), None);
        assert_eq!(to_8050(right), None);
        let versions =
            "FROM python:3.12.1-slim\nRUN pip install dash==2.17.1\nCMD [\"python\", \"app.py\"]\n";
        assert_eq!(other_port(versions), None);
    }
}
