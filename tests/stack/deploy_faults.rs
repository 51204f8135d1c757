//! The AWS emulator stops answering in the middle of the deploy step (its
//! process is frozen with SIGSTOP, as a dead endpoint would look): the step
//! fails with what it was doing; once the emulator answers again a retry
//! finishes, and nothing exists twice.
//!
//! Its own test binary: freezing the shared emulator would stall any other
//! test running beside it, and cargo runs test binaries one at a time.
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::time::Duration;

use crate::common::stack;
use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, EventKind, StepId};

/// Sends SIGCONT to the emulator when dropped, so a failing assertion does
/// not leave it frozen for the test binaries after this one.
struct Frozen(String);

impl Frozen {
    fn new(pid: String) -> Frozen {
        signal("-STOP", &pid);
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("-CONT", &self.0);
    }
}

fn signal(which: &str, pid: &str) {
    let status = std::process::Command::new("kill")
        .args([which, pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {which} {pid} failed");
}

fn moto_pid() -> String {
    let dir = std::env::var("DASHDEPLOY_TEST_STACK").expect("DASHDEPLOY_TEST_STACK");
    let file = format!("{dir}/run/moto.pid");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_emulator_stopping_mid_deploy_fails_the_step_and_a_retry_finishes_once() {
    let stack = stack::require_alone();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let name = stack::unique("deployfault");
    std::fs::write(app.join("build-id.txt"), &name).unwrap();
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.base_image = Some(stack.base_image.clone());
    settings.name = Some(name.clone());
    settings.allow_from = Some(dashdeploy::pipeline::values::parse_cidr("0.0.0.0/0").unwrap());
    // SAFETY of the test: this binary holds one test, so no other thread
    // reads the environment while it is set.
    unsafe { std::env::set_var("DASHDEPLOY_STATE_DIR", work.path().join("state")) };
    for step in [
        StepId::App,
        StepId::Dockerfile,
        StepId::Build,
        StepId::Registry,
        StepId::Push,
        StepId::Sizing,
        StepId::Network,
    ] {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let reporter = Reporter::new(1, step, tx);
        run_step(step, &settings, &reporter, &mut Answers::AcceptAll)
            .await
            .unwrap_or_else(|e| panic!("{step:?}: {}", e.message));
    }

    // Freeze the emulator as soon as the deploy step starts on its resources.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(2, StepId::Deploy, tx);
    let run = {
        let settings = settings.clone();
        tokio::spawn(async move {
            run_step(
                StepId::Deploy,
                &settings,
                &reporter,
                &mut Answers::AcceptAll,
            )
            .await
        })
    };
    let mut frozen = None;
    while let Some(event) = rx.recv().await {
        if let EventKind::Progress { done, .. } = event.kind
            && done >= 1
            && frozen.is_none()
        {
            frozen = Some(Frozen::new(moto_pid()));
        }
    }
    let result = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the step ends within 3 minutes")
        .unwrap();
    assert!(
        frozen.is_some(),
        "the deploy step reported its progress: {:?}",
        result.as_ref().map_err(|e| &e.message)
    );
    let message = result
        .expect_err("the step fails while the emulator is frozen")
        .message;
    assert!(
        message.starts_with("Could not ") && message.contains("timed out"),
        "{message}"
    );
    drop(frozen);

    // Back again: a retry finishes, and each resource exists once.
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(3, StepId::Deploy, tx);
    let summary = run_step(
        StepId::Deploy,
        &settings,
        &reporter,
        &mut Answers::AcceptAll,
    )
    .await
    .unwrap_or_else(|e| panic!("the retry failed: {}", e.message));
    assert!(
        summary.starts_with(&format!("service {name} ")),
        "{summary}"
    );
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let services = ecs.list_services().cluster(&name).send().await.unwrap();
    assert_eq!(services.service_arns().len(), 1);
    let defs = ecs
        .list_task_definitions()
        .family_prefix(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(defs.task_definition_arns().len(), 1, "{defs:?}");
    let clusters = ecs
        .describe_clusters()
        .clusters(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(clusters.clusters().len(), 1);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/ecs/dashdeploy/{name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
}
