//! The command line: help, version, and every bad argument refused with
//! clap's message and exit code 2 before anything runs.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn dashdeploy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .args(args)
        .env(
            "DASHDEPLOY_STATE_DIR",
            std::env::temp_dir().join("dashdeploy-cli-test"),
        )
        .output()
        .expect("run dashdeploy")
}

fn refused(args: &[&str], expected: &str) {
    let out = dashdeploy(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(expected),
        "{args:?}: '{expected}' not in:\n{stderr}"
    );
}

#[test]
fn help_lists_the_shared_options() {
    let out = dashdeploy(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for option in [
        "[APP_DIR]",
        "--profile",
        "--region",
        "--name",
        "--base-image",
        "--cpu",
        "--memory",
        "--arch",
        "--desired-count",
        "--allow-from",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
    // Subcommands appear only once they work.
    assert!(help.contains("  plan "), "{help}");
    assert!(help.contains("  deploy "), "{help}");
    assert!(help.contains("  status "), "{help}");
    assert!(help.contains("  logs "), "{help}");
    assert!(help.contains("  destroy "), "{help}");
    assert!(help.contains("  completions "), "{help}");
    assert!(help.contains("  man "), "{help}");
}

#[test]
fn version_names_the_commit() {
    let out = dashdeploy(&["--version"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("dashdeploy {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = stdout
        .trim()
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not `{prefix}…)`: {stdout}"));
    // In a git checkout of this crate, the commit it was built from: the
    // one checked out (cargo runs build.rs again when HEAD moves).
    // Elsewhere (a source tarball), `unknown`.
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(here)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let checkout = git(&["rev-parse", "--show-toplevel"]).is_some_and(|top| {
        std::path::Path::new(&top).canonicalize().ok() == here.canonicalize().ok()
    });
    let head = git(&["rev-parse", "--short=12", "HEAD"]).filter(|_| checkout);
    match head {
        Some(head) => assert_eq!(commit, head),
        None => assert_eq!(commit, "unknown"),
    }
    // -V says the same.
    assert_eq!(dashdeploy(&["-V"]).stdout, out.stdout);
}

#[test]
fn bad_arguments_exit_2_with_a_reason() {
    refused(
        &["/no/such/folder"],
        "the folder /no/such/folder does not exist",
    );
    refused(&["Cargo.toml"], "Cargo.toml is a file");
    refused(&["--region", "useast1"], "not an AWS region name");
    refused(&["--name", "Sales Dashboard"], "not a valid app name");
    refused(&["--cpu", "300"], "no task size with 300 CPU");
    refused(&["--memory", "lots"], "not a memory size");
    refused(
        &["--cpu", "512", "--memory", "512"],
        "with 0.5 vCPU the memory must be one of 1 GB",
    );
    refused(&["--arch", "sparc"], "use x86_64 (amd64) or arm64");
    refused(&["--desired-count", "0"], "0 is not in 1..=100");
    refused(&["--allow-from", "10.0.0.1/8"], "the network is 10.0.0.0/8");
    refused(&["--base-image", "python 3"], "not a Docker image name");
    refused(
        &["--domain", "localhost"],
        "'localhost' is not a domain name: give one like dash.example.com",
    );
    refused(
        &["--min-tasks", "4", "--max-tasks", "2"],
        "--min-tasks 4 is more than --max-tasks 2",
    );
    refused(
        &["--min-tasks", "2"],
        "scaling takes both --min-tasks and --max-tasks",
    );
    refused(
        &["--load-balancer", "--public-ip"],
        "'--load-balancer' cannot be used with '--public-ip'",
    );
    refused(&["--no-such-flag"], "unexpected argument '--no-such-flag'");
    refused(
        &["deploy", "."],
        "the following required arguments were not provided:\n  --yes",
    );
    refused(
        &["deploy", ".", "--yes", "--until", "launch"],
        "unknown step 'launch': expected one of prereqs, app",
    );
    refused(
        &["plan", "/no/such/folder"],
        "the folder /no/such/folder does not exist",
    );
}

#[test]
fn without_a_terminal_the_wizard_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dashdeploy(&[dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs an interactive terminal"), "{stderr}");
}
