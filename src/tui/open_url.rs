//! Key o's side effects: reading whether a browser can be opened here,
//! and starting the opener. What to do is decided in `app` (pure).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use crate::app::BrowserFacts;

/// This machine's facts: its system, the environment, the programs on PATH.
pub fn facts() -> BrowserFacts {
    BrowserFacts::read_with(
        std::env::consts::OS,
        |name| std::env::var_os(name),
        is_program,
    )
}

fn is_program(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Starts `program url` detached: no terminal (the wizard owns it), its own
/// process group (Ctrl-C and the wizard's exit do not reach it), never
/// waited on (tokio reaps it once it exits).
pub fn spawn(program: &str, url: &str) -> std::io::Result<()> {
    tokio::process::Command::new(program)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_opener_gets_the_url_and_runs_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        // `touch` as the opener: its argument is the file it makes.
        let made = dir.path().join("opened");
        spawn("touch", made.to_str().unwrap()).unwrap();
        // Nothing waits on it: the file shows up once it has run.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !made.exists() {
            assert!(std::time::Instant::now() < deadline, "the opener never ran");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn a_program_is_an_executable_file() {
        assert!(is_program(Path::new("/bin/sh")));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("xdg-open");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        assert!(!is_program(&file), "not executable");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(is_program(&file));
        assert!(!is_program(dir.path()), "a folder");
        assert!(!is_program(&dir.path().join("missing")));
    }

    #[tokio::test]
    async fn an_opener_that_cannot_start_is_an_error() {
        assert!(spawn("/nonexistent/xdg-open", "http://203.0.113.7:8050/").is_err());
    }
}
