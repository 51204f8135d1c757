//! The prerequisites step against the test stack's real Docker engine and
//! AWS emulator: every check passes and reports what it found.

use std::sync::Arc;
use std::time::Duration;

use crate::common::stack;
use dashdeploy::docker::{DockerTarget, engine};
use dashdeploy::pipeline::{CheckId, CheckState, EventKind, StepId, runner};

#[tokio::test]
async fn the_docker_check_reports_the_engine_and_its_api() {
    let stack = stack::require();
    let (_, info) = engine::connect(&DockerTarget::new(&stack.docker_host))
        .await
        .expect("the stack's engine answers");
    assert!(info.version.starts_with("20.10"), "{info:?}");
    assert_eq!(
        info.api_version, "1.41",
        "negotiated down to the engine's API"
    );
    assert_eq!(info.os, "linux");
    assert_eq!(info.host, stack.docker_host);
}

#[tokio::test]
async fn the_whole_step_passes_and_names_account_region_and_engine() {
    let stack = stack::require();
    let settings = crate::common::settings(None, &stack.docker_host);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = runner::spawn_step(
        StepId::Prereqs,
        7,
        Arc::new(settings),
        tx,
        dashdeploy::pipeline::Answers::AcceptAll,
    );
    let mut checks = Vec::new();
    let mut finished = None;
    let mut target = None;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
        assert_eq!((event.run_id, event.step), (7, StepId::Prereqs));
        match event.kind {
            EventKind::Check { check, state } if !matches!(state, CheckState::Running) => {
                checks.push((check, state))
            }
            EventKind::AwsTarget {
                credentials,
                region,
            } => target = Some((credentials, region)),
            EventKind::Finished(outcome) => {
                finished = Some(outcome);
                break;
            }
            _ => {}
        }
    }
    handle.await.unwrap();
    let summary = finished
        .expect("the step finished")
        .expect("the step passed");
    assert!(summary.contains("account 123456789012"), "{summary}");
    assert!(summary.contains("us-east-1"), "{summary}");
    assert_eq!(target, Some(("env credentials".into(), "us-east-1".into())));
    let aws = checks
        .iter()
        .find(|(c, _)| *c == CheckId::Aws)
        .map(|(_, s)| s.clone());
    let Some(CheckState::Passed { summary, lines }) = aws else {
        panic!("the AWS check passes: {aws:?}");
    };
    assert!(summary.starts_with("arn:aws:"), "{summary}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("endpoint http://127.0.0.1")),
        "{lines:?}"
    );
    let docker = checks
        .iter()
        .find(|(c, _)| *c == CheckId::Docker)
        .map(|(_, s)| s.clone());
    assert!(
        matches!(&docker, Some(CheckState::Passed { summary, .. }) if summary.contains("(API 1.41)")),
        "{docker:?}"
    );
    assert!(
        checks
            .iter()
            .any(|(c, s)| *c == CheckId::Arch && matches!(s, CheckState::Passed { .. }))
    );
}
