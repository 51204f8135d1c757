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

mod aws_down;
mod build;
mod check;
mod deploy;
mod deploy_faults;
mod destroy;
mod dockerfile;
mod ecr;
mod engine_down;
mod monitor;
mod pipeline;
mod prereqs;
mod push;
mod push_faults;
mod secrets;
mod signals;

use std::path::{Path, PathBuf};
use std::process::Command;

use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, Choices, StepId};

use common::stack::Stack;

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
