//! Issue 9's signal rows for the headless deploy: Ctrl-C (SIGINT) during
//! the build and SIGTERM during the local test stop it with a sentence and
//! exit code 130, leave no local test container behind, and the same
//! command run again goes on and finishes.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::stack::{self, Stack};

fn deploy(stack: &Stack, app: &Path, state: &Path, name: &str) -> Command {
    deploy_until(stack, app, state, name, "local-test")
}

fn deploy_until(stack: &Stack, app: &Path, state: &Path, name: &str, until: &str) -> Command {
    let mut command = crate::dashdeploy(stack, state, &["deploy", &app.to_string_lossy()]);
    command.args([
        "--yes",
        "--until",
        until,
        "--name",
        name,
        "--allow-from",
        "203.0.113.7",
    ]);
    command
}

/// Starts the deploy, sends `signal` once a stderr line starts with
/// `when`, and returns the exit code and everything it said.
fn interrupted(mut command: Command, when: &str, signal: &str) -> (Option<i32>, String) {
    let mut child = command
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut said = String::new();
    let mut sent = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if !sent && line.starts_with(when) {
            let status = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            sent = true;
        }
    }
    let status = child.wait().unwrap();
    assert!(sent, "'{when}' never came:\n{said}");
    (status.code(), said)
}

fn local_test_containers(name: &str) -> String {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=dashdeploy.local-test"])
        .arg("--filter")
        .arg(format!("label=dashdeploy.app={name}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn ctrl_c_during_the_build_stops_with_a_sentence_and_a_rerun_finishes() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("sigint");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let (code, said) = interrupted(deploy(&stack, &app, &state, &name), "build: ", "-INT");
    assert_eq!(code, Some(130), "{said}");
    assert!(
        said.contains("stopped by Ctrl-C") && said.contains("run the same command again"),
        "{said}"
    );
    let out = deploy(&stack, &app, &state, &name).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sigterm_during_the_local_test_removes_its_container() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("sigterm");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let (code, said) = interrupted(
        deploy(&stack, &app, &state, &name),
        "local-test: running ",
        "-TERM",
    );
    assert_eq!(code, Some(130), "{said}");
    assert!(said.contains("local-test: stopped by SIGTERM"), "{said}");
    assert_eq!(
        local_test_containers(&name),
        "",
        "no local test container is left"
    );
    let out = deploy(&stack, &app, &state, &name).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh copy of the sample with a file of its own.
#[test]
fn ctrl_c_during_the_push_stops_with_a_sentence_and_a_rerun_finishes() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("sigintpush");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let (code, said) = interrupted(
        deploy_until(&stack, &app, &state, &name, "push"),
        "registry: done",
        "-INT",
    );
    assert_eq!(code, Some(130), "{said}");
    assert!(said.contains("stopped by Ctrl-C"), "{said}");
    let out = deploy_until(&stack, &app, &state, &name, "push")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sigterm_while_the_monitor_watches_stops_with_a_sentence_and_a_rerun_finishes() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("sigtermmon");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let (code, said) = interrupted(
        deploy_until(&stack, &app, &state, &name, "monitor"),
        "deploy: done",
        "-TERM",
    );
    assert_eq!(code, Some(130), "{said}");
    assert!(said.contains("monitor: stopped by SIGTERM"), "{said}");
    let out = deploy_until(&stack, &app, &state, &name, "monitor")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains(&format!("service {name} unchanged")),
        "nothing made twice: {log}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .arg("destroy")
        .arg(&app)
        .args(["--yes", "--name", &name])
        .env("DASHDEPLOY_STATE_DIR", &state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
