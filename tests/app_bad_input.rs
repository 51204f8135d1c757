//! The `app` step on folders it cannot use: each ends with a sentence that
//! says what is wrong, and no file in the folder changes (even with every
//! proposal accepted).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, Choices, StepId};

fn settings(dir: &Path) -> Choices {
    common::settings(Some(dir), "unix:///nonexistent.sock")
}

/// Every file under `dir` with its bytes (symlinks by their target).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            out.insert(
                path.clone(),
                std::fs::read_link(&path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            );
        } else if kind.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

/// Runs the app step accepting everything; returns its failure sentence.
async fn app_step_fails(dir: &Path) -> String {
    let before = snapshot(dir);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::App, tx);
    let settings = Arc::new(settings(dir));
    let result = run_step(StepId::App, &settings, &reporter, &mut Answers::AcceptAll).await;
    assert_eq!(
        snapshot(dir),
        before,
        "no file may change in {}",
        dir.display()
    );
    match result {
        Ok(summary) => panic!("expected a failure for {}, got: {summary}", dir.display()),
        Err(failure) => failure.message,
    }
}

const APP: &str = "from dash import Dash, html\napp = Dash(__name__)\napp.layout = html.Div('hi')\n\nif __name__ == '__main__':\n    app.run_server(debug=True)\n";

#[tokio::test]
async fn a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let err = app_step_fails(&dir.path().join("nope")).await;
    assert!(
        err.ends_with("nope does not exist: give the folder that holds the Dash app"),
        "{err}"
    );
}

#[tokio::test]
async fn a_file_instead_of_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.py");
    std::fs::write(&file, APP).unwrap();
    let err = app_step_fails(&file).await;
    assert!(err.contains("app.py is a file, not a folder"), "{err}");
}

#[tokio::test]
async fn an_unreadable_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A dangling link cannot be read by anyone, root included.
    std::os::unix::fs::symlink(dir.path().join("gone.py"), dir.path().join("app.py")).unwrap();
    let err = app_step_fails(dir.path()).await;
    assert!(err.starts_with("No Dash app in"), "{err}");
    assert!(
        err.contains("app.py is a symlink that cannot be followed"),
        "{err}"
    );
}

#[tokio::test]
async fn non_utf8_source() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"# caf\xe9\n".to_vec();
    bytes.extend_from_slice(APP.as_bytes());
    std::fs::write(dir.path().join("app.py"), bytes).unwrap();
    let err = app_step_fails(dir.path()).await;
    assert!(err.starts_with("app.py is not UTF-8 text"), "{err}");
    assert!(err.contains("Save it as UTF-8"), "{err}");
}

#[tokio::test]
async fn a_symlink_loop_is_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("b"), dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("b")).unwrap();
    std::fs::create_dir(dir.path().join("pages")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("pages/up")).unwrap();
    let err = app_step_fails(dir.path()).await;
    assert!(err.starts_with("No Dash app in"), "{err}");
    assert!(
        err.contains("a is a symlink that cannot be followed"),
        "{err}"
    );
    assert!(err.contains("Too many levels of symbolic links"), "{err}");
}

#[tokio::test]
async fn a_python_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        APP.replace("if __name__ == '__main__':", "if __name__ == '__main__'"),
    )
    .unwrap();
    let err = app_step_fails(dir.path()).await;
    assert!(
        err.starts_with("app.py does not parse as Python: syntax error at line 5"),
        "{err}"
    );
    assert!(err.contains("no file was changed"), "{err}");
}

#[tokio::test]
async fn a_bad_dashdeploy_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), APP).unwrap();
    std::fs::write(dir.path().join("dashdeploy.toml"), "cpu = \"lots\"\n").unwrap();
    let err = app_step_fails(dir.path()).await;
    assert!(err.contains("dashdeploy.toml is not valid"), "{err}");
    assert!(err.contains("Fix or delete it"), "{err}");
}

#[tokio::test]
async fn a_good_app_is_fixed_when_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), APP).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::App, tx);
    let settings = Arc::new(settings(dir.path()));
    let summary = run_step(StepId::App, &settings, &reporter, &mut Answers::AcceptAll)
        .await
        .unwrap();
    assert!(
        summary.contains("fixed app.py, requirements.txt"),
        "{summary}"
    );
    let text = std::fs::read_to_string(dir.path().join("app.py")).unwrap();
    assert!(
        text.contains("    app.run(host=\"0.0.0.0\", port=8050, debug=False)\n"),
        "{text}"
    );
    assert!(text.contains("\nserver = app.server\n"), "{text}");
    let requirements = std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    assert!(
        requirements.contains("\ndash\ngunicorn\n"),
        "{requirements}"
    );
    // A second run finds nothing to fix.
    let again = run_step(StepId::App, &settings, &reporter, &mut Answers::AcceptAll)
        .await
        .unwrap();
    assert!(again.ends_with("nothing to fix"), "{again}");
}
