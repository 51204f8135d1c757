//! The registry and push steps against the test stack: the repository is
//! created then reused, the image is tagged and pushed with the emulator's
//! token, the pushed image pulls back from the registry, a second push
//! sends no layer again, and the token's password appears in no event.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use crate::common::stack;
use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, EventKind, LayerState, PipelineEvent, StepId};

async fn step_with_events(
    settings: &dashdeploy::pipeline::Choices,
    step: StepId,
) -> (Result<String, String>, Vec<PipelineEvent>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, step, tx);
    let result = run_step(step, settings, &reporter, &mut Answers::AcceptAll)
        .await
        .map_err(|f| f.message);
    drop(reporter);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    (result, events)
}

fn texts(events: &[PipelineEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Log { text, .. } => Some(text.clone()),
            EventKind::Push(t) => Some(t.label.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_image_is_pushed_to_ecr_and_pulls_back() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let name = stack::unique("push");
    // A file of its own, so the app's layer is new to the registry.
    std::fs::write(app.join("build-id.txt"), &name).unwrap();
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.base_image = Some(stack.base_image.clone());
    settings.name = Some(name.clone());
    for s in [StepId::App, StepId::Dockerfile, StepId::Build] {
        step_with_events(&settings, s).await.0.unwrap();
    }
    let (registry, registry_events) = step_with_events(&settings, StepId::Registry).await;
    let registry = registry.unwrap();
    assert!(
        registry.starts_with(&format!(
            "{name} created · tagged {}/{name}:",
            stack.registry
        )),
        "{registry}"
    );
    let (push, push_events) = step_with_events(&settings, StepId::Push).await;
    let push = push.unwrap();
    let digest = push
        .split(" · ")
        .find(|part| part.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in {push}"))
        .to_string();
    // Layer by layer: the last snapshot of each tag has every layer in the
    // registry, and bytes went out for the first tag.
    let transfers: Vec<_> = push_events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Push(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let last = transfers.last().expect("the push reported its layers");
    assert!(last.layers.len() >= 2, "{last:?}");
    assert_eq!(last.finished(), last.layers.len(), "{last:?}");
    assert!(
        transfers.iter().any(|t| t
            .layers
            .iter()
            .any(|l| l.state == LayerState::Pushing && l.current > 0)),
        "bytes were seen moving"
    );

    // A second run reuses the repository and sends no layer again.
    let (again, _) = step_with_events(&settings, StepId::Registry).await;
    assert!(again.unwrap().starts_with(&format!("{name} reused")));
    let (_, second_push) = step_with_events(&settings, StepId::Push).await;
    let lines = texts(&second_push);
    assert!(
        lines.iter().any(|l| l.ends_with(": already exists")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.ends_with(": pushed")),
        "no layer sent twice: {lines:?}"
    );

    // The token's password is in no event.
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap();
    let login = dashdeploy::aws::ecr::login(&session).await.unwrap();
    for line in texts(&registry_events)
        .iter()
        .chain(texts(&push_events).iter())
    {
        assert!(
            !line.contains(&login.password),
            "the password leaked into: {line}"
        );
    }

    // The pushed image pulls back from the registry.
    crate::pull_back(&stack, &name).await;
    let docker = bollard::Docker::connect_with_host(&stack.docker_host)
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let uri = format!("{}/{name}", stack.registry);
    let pulled = docker
        .inspect_image(&format!("{uri}:latest"))
        .await
        .unwrap();
    let repo_digests = pulled.repo_digests.unwrap_or_default();
    assert!(
        repo_digests.contains(&format!("{uri}@{digest}")),
        "the pulled image's digests {repo_digests:?} hold the pushed {digest}"
    );
}
