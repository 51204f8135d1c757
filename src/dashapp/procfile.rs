//! A `Procfile` (`web: gunicorn app:server --workers 4 …`), which apps made
//! for Heroku, as the Dash docs once showed, still carry: the module it
//! serves and its gunicorn options are kept in the image's command. The
//! address is dashdeploy's (0.0.0.0:8050), whatever the Procfile binds.

use std::path::Path;

/// What the Procfile's `web` process runs with gunicorn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gunicorn {
    /// `app:server`
    pub target: String,
    /// Its options, `--bind` left out: `["--workers", "4"]`.
    pub options: Vec<String>,
    /// `Procfile:1`
    pub from: String,
}

/// Options that take a value as the next word.
const WITH_VALUE: &[&str] = &[
    "-w",
    "--workers",
    "-t",
    "--timeout",
    "--threads",
    "-k",
    "--worker-class",
    "--keep-alive",
    "--max-requests",
    "--max-requests-jitter",
    "--graceful-timeout",
    "--log-level",
    "--access-logfile",
    "--error-logfile",
    "--access-logformat",
    "--pythonpath",
    "--chdir",
    "-c",
    "--config",
    "-e",
    "--env",
    "--worker-connections",
];

/// The `web:` process of `dir/Procfile` when gunicorn runs it; None
/// without a Procfile, a `web` line, or gunicorn on it.
pub fn read(dir: &Path) -> Option<Gunicorn> {
    let text = std::fs::read_to_string(dir.join("Procfile")).ok()?;
    let (number, command) = text.lines().enumerate().find_map(|(i, line)| {
        let rest = line.trim().strip_prefix("web:")?;
        Some((i + 1, rest.trim()))
    })?;
    let words: Vec<&str> = command.split_whitespace().collect();
    let start = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some("gunicorn"))?;
    let mut options = Vec::new();
    let mut target = None;
    let mut rest = words[start + 1..].iter();
    while let Some(word) = rest.next() {
        let word = word.trim_matches(['"', '\'']);
        let bind_joined = word.starts_with("--bind=") || (word.starts_with("-b") && word.len() > 2);
        if matches!(word, "-b" | "--bind") {
            // dashdeploy's address instead: skip the value too.
            rest.next();
        } else if bind_joined {
            continue;
        } else if WITH_VALUE.contains(&word) {
            options.push(word.to_string());
            if let Some(value) = rest.next() {
                options.push(value.trim_matches(['"', '\'']).to_string());
            }
        } else if word.starts_with('-') {
            options.push(word.to_string());
        } else if target.is_none() {
            target = Some(word.to_string());
        }
    }
    Some(Gunicorn {
        target: target?,
        options,
        from: format!("Procfile:{number}"),
    })
}

impl Gunicorn {
    /// Whether an option (`--workers`, or its short form `-w`) is given.
    pub fn has(&self, long: &str, short: &str) -> bool {
        self.options
            .iter()
            .any(|o| o == long || o == short || o.starts_with(&format!("{long}=")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procfile(text: &str) -> Option<Gunicorn> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Procfile"), text).unwrap();
        read(dir.path())
    }

    #[test]
    fn the_web_process_gives_the_module_and_options_without_the_bind() {
        let g = procfile(
            "release: python migrate.py\nweb: gunicorn index:server --workers 4 -b 0.0.0.0:$PORT --timeout=60 --preload\n",
        )
        .unwrap();
        assert_eq!(g.target, "index:server");
        assert_eq!(g.options, ["--workers", "4", "--timeout=60", "--preload"]);
        assert_eq!(g.from, "Procfile:2");
        assert!(g.has("--workers", "-w") && g.has("--timeout", "-t"));
        assert!(!g.has("--threads", "--threads"));
        let g = procfile("web: gunicorn --bind=0.0.0.0:$PORT -w 3 app:server").unwrap();
        assert_eq!(g.target, "app:server");
        assert_eq!(g.options, ["-w", "3"]);
    }

    #[test]
    fn no_gunicorn_on_the_web_line_is_no_command() {
        assert_eq!(procfile("web: python app.py\n"), None);
        assert_eq!(procfile("worker: gunicorn app:server\n"), None);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
    }
}
