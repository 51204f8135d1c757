//! The tests that run against the test stack (`scripts/test-stack`): a real
//! Docker engine, the registry posing as ECR, the AWS emulator and the
//! Fargate stand-in. One binary, one module per part of dashdeploy; each
//! test calls `stack::require()` first and fails, never skips, without the
//! stack. Most tests share the stack; a test that breaks a shared piece on
//! purpose (the registry stopped, the emulator frozen) takes it alone
//! (`stack::require_alone()`), so the others never see its faults.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod app_settings;
mod aws_down;
mod build;
mod check;
mod deploy;
mod deploy_faults;
mod destroy;
mod dockerfile;
mod ecr;
mod engine_down;
mod load_balancer;
mod metrics;
mod monitor;
mod ownership;
mod pipeline;
mod policy;
mod policy_lb;
mod prereqs;
mod push;
mod push_faults;
mod real_aws;
mod releases;
mod secrets;
mod signals;
mod two_runs;

use std::path::{Path, PathBuf};
use std::process::Command;

use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, Choices, StepId};

use common::stack::Stack;
use futures_util::StreamExt;

/// The `dashdeploy` binary with `args`, the stack's base image and a
/// state folder of the test's own.
pub fn dashdeploy(stack: &Stack, state: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dashdeploy"));
    command
        .args(args)
        .args(["--base-image", &stack.base_image])
        .env("DASHDEPLOY_STATE_DIR", state);
    command
}

/// `dashdeploy status APP --json --name NAME`, which must succeed, as JSON.
pub fn status_json(stack: &Stack, app: &Path, state: &Path, name: &str) -> serde_json::Value {
    let out = dashdeploy(stack, state, &["status", &app.to_string_lossy()])
        .args(["--json", "--name", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What a command printed, stdout then stderr, for assertions to search
/// and show.
pub fn said(out: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir`, folders walked.
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Looks at the app `name` every 2 s, as the monitor does, until `done`
/// holds (the snapshot), or fails after `limit` naming `what` and showing
/// the last snapshot.
pub async fn watch_until(
    name: &str,
    what: &str,
    limit: std::time::Duration,
    done: impl Fn(&dashdeploy::monitor::Snapshot) -> bool,
) -> dashdeploy::monitor::Snapshot {
    let target = dashdeploy::monitor::look::Target::for_app(name);
    watch_target_until(&target, what, limit, done).await
}

/// `watch_until` for what `target` says (an app behind its load balancer).
pub async fn watch_target_until(
    target: &dashdeploy::monitor::look::Target,
    what: &str,
    limit: std::time::Duration,
    done: impl Fn(&dashdeploy::monitor::Snapshot) -> bool,
) -> dashdeploy::monitor::Snapshot {
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut last = None;
    while started.elapsed() < limit {
        match dashdeploy::monitor::look::take(&session, target).await {
            Ok(snapshot) if done(&snapshot) => return snapshot,
            Ok(snapshot) => last = Some(snapshot),
            Err(e) => eprintln!("{e}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    panic!("{what} not seen within {limit:?}; last snapshot: {last:#?}");
}

/// A copy of the bundled sample in `dir/app` with a file of its own
/// (`marker`), so its image and digest are this test's.
pub fn sample_app(dir: &Path, marker: &str) -> PathBuf {
    let app = dir.join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    std::fs::write(app.join("build-id.txt"), marker).unwrap();
    app
}

/// One step run to its end with every proposal accepted.
pub async fn step(choices: &Choices, step: StepId) -> Result<String, String> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, step, tx);
    run_step(step, choices, &reporter, &mut Answers::AcceptAll)
        .await
        .map_err(|f| f.message)
}

/// Pulls `<uri>:latest` back from the registry (after dropping the local
/// tag) and returns the digest the registry served.
pub async fn pull_back(stack: &Stack, name: &str) -> String {
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap();
    let login = dashdeploy::aws::ecr::login(&session).await.unwrap();
    let docker = bollard::Docker::connect_with_host(&stack.docker_host)
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let uri = format!("{}/{name}", stack.registry);
    docker
        .remove_image(
            &format!("{uri}:latest"),
            Some(
                bollard::query_parameters::RemoveImageOptionsBuilder::default()
                    .noprune(true)
                    .build(),
            ),
            None,
        )
        .await
        .unwrap();
    let credentials = bollard::auth::DockerCredentials {
        username: Some(login.username.clone()),
        password: Some(login.password.clone()),
        serveraddress: Some(login.server.clone()),
        ..Default::default()
    };
    let options = bollard::query_parameters::CreateImageOptionsBuilder::default()
        .from_image(&uri)
        .tag("latest")
        .build();
    let mut pull = docker.create_image(Some(options), None, Some(credentials));
    let mut digest = None;
    while let Some(item) = pull.next().await {
        let info = item.unwrap_or_else(|e| panic!("the pushed image does not pull back: {e}"));
        if let Some(d) = info
            .status
            .as_deref()
            .and_then(|s| s.strip_prefix("Digest: "))
        {
            digest = Some(d.trim().to_string());
        }
    }
    docker
        .inspect_image(&format!("{uri}:latest"))
        .await
        .unwrap();
    digest.expect("the pull named the digest it got")
}
