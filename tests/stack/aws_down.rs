//! Issue 9's "AWS down at each AWS step" rows: one AWS service at a time
//! points at a closed port (its own `AWS_ENDPOINT_URL_<SERVICE>`, so the
//! others still answer), and a headless deploy fails at the step that
//! needs it with a sentence naming what it was doing and the refused
//! connection; run again with the service back, it finishes and nothing
//! exists twice.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::stack::{self, Stack};

/// A port nothing listens on.
const CLOSED: &str = "http://127.0.0.1:9";

fn deploy(stack: &Stack, app: &Path, state: &Path, name: &str, down: Option<&str>) -> Output {
    let mut command = crate::dashdeploy(stack, state, &["deploy", &app.to_string_lossy()]);
    command
        .args(["--yes", "--until", "deploy", "--name", name])
        .args(["--allow-from", "203.0.113.7"]);
    if let Some(variable) = down {
        command.env(variable, CLOSED);
    }
    command.output().expect("run dashdeploy")
}

/// Deploys with `variable`'s service down: the deploy fails at `step` with
/// a sentence containing `doing`; then again with it back: it finishes,
/// and the service and security group exist once.
async fn row(prefix: &str, variable: &str, step: &str, doing: &str) {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique(prefix);
    let app = work.path().join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let state = work.path().join("state");

    let out = deploy(&stack, &app, &state, &name, Some(variable));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    let failed = said
        .lines()
        .find(|l| l.contains(": FAILED: "))
        .unwrap_or_else(|| panic!("no failed step:\n{said}"));
    assert!(failed.starts_with(&format!("{step}: FAILED: ")), "{failed}");
    assert!(failed.contains(doing), "{failed}");
    assert!(
        failed.contains("connection refused") && failed.contains("retry the step"),
        "{failed}"
    );

    let out = deploy(&stack, &app, &state, &name, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let services = ecs.list_services().cluster(&name).send().await.unwrap();
    assert_eq!(services.service_arns().len(), 1);
    let groups = crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await;
    assert_eq!(groups.len(), 1);
    let out = Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .args(["destroy"])
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

#[tokio::test]
async fn ecr_down_at_the_registry_step() {
    row(
        "ecrdown",
        "AWS_ENDPOINT_URL_ECR",
        "registry",
        "the ECR repository",
    )
    .await;
}

#[tokio::test]
async fn ec2_down_at_the_network_step() {
    row("ec2down", "AWS_ENDPOINT_URL_EC2", "network", "the VPC").await;
}

#[tokio::test]
async fn iam_down_at_the_deploy_step() {
    row("iamdown", "AWS_ENDPOINT_URL_IAM", "deploy", "the IAM role").await;
}

/// CloudWatch Logs holds the app's run lock (in its log group), taken
/// before the first step that changes the app in AWS.
#[tokio::test]
async fn logs_down_at_the_registry_step() {
    row(
        "logsdown",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
        "registry",
        "the log group",
    )
    .await;
}

#[tokio::test]
async fn ecs_down_at_the_deploy_step() {
    row(
        "ecsdown",
        "AWS_ENDPOINT_URL_ECS",
        "deploy",
        "the ECS cluster",
    )
    .await;
}
