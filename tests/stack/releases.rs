//! Issue 19 against the test stack: releases and rollback. Two deploys of a
//! changed app are two releases; `rollback` runs the first one's image
//! again (the page is the first version's) and is a third release; the
//! history reads the same from AWS alone (the record moved aside, as on a
//! second machine); a release whose image was removed from ECR is refused
//! with the reason and nothing changed; without ecr:ListImages the history
//! is still listed, restorable unknown; numbering goes on from the
//! service's mark of the last release number.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use dashdeploy::aws::{AwsTarget, Session};

use crate::common::stack::{self, Stack};
use crate::{dashdeploy, said};

fn deploy(stack: &Stack, app: &Path, state: &Path, name: &str) -> Output {
    dashdeploy(stack, state, &["deploy", &app.to_string_lossy()])
        .args(["--yes", "--name", name, "--allow-from", "0.0.0.0/0"])
        .output()
        .expect("run dashdeploy")
}

fn releases(stack: &Stack, app: &Path, state: &Path, name: &str) -> Vec<serde_json::Value> {
    let out = dashdeploy(stack, state, &["releases", &app.to_string_lossy()])
        .args(["--json", "--name", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The page's `<title>` at the app's URL (from `status --json`).
async fn title(stack: &Stack, app: &Path, state: &Path, name: &str) -> String {
    let status = crate::status_json(stack, app, state, name);
    let url = status["url"].as_str().unwrap().to_string();
    let probe = dashdeploy::http_probe::get_url(&url, Duration::from_secs(5))
        .await
        .unwrap();
    let body = probe.body;
    let start = body.find("<title>").unwrap() + "<title>".len();
    let end = body[start..].find("</title>").unwrap();
    body[start..start + end].to_string()
}

/// Waits (at most 90 s) until the app's page says `expected` (the old
/// task may answer for a moment after a deploy is seen healthy).
async fn until_title(stack: &Stack, app: &Path, state: &Path, name: &str, expected: &str) {
    let started = std::time::Instant::now();
    loop {
        let now = title(stack, app, state, name).await;
        if now == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the page still says {now:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The image digest the service's running tasks were started from.
async fn running_digest(name: &str) -> String {
    let session = Session::open(&AwsTarget::default()).await.unwrap();
    let td = dashdeploy::aws::ecs_revisions::running(&session, name, name)
        .await
        .unwrap()
        .unwrap();
    let rev = dashdeploy::aws::ecs_revisions::revision(&session, &td)
        .await
        .unwrap();
    rev.digest().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_deploys_and_a_rollback_are_three_releases_and_the_first_version_serves_again() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("releases");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");

    let out = deploy(&stack, &app, &state, &name);
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("release 1"), "{}", said(&out));
    until_title(&stack, &app, &state, &name, "Sales dashboard").await;

    let source = app.join("dashapp.py");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(
        &source,
        text.replace(
            "app.title = \"Sales dashboard\"",
            "app.title = \"Sales dashboard v2\"",
        ),
    )
    .unwrap();
    let out = deploy(&stack, &app, &state, &name);
    assert!(out.status.success(), "{}", said(&out));
    until_title(&stack, &app, &state, &name, "Sales dashboard v2").await;

    // A deploy that changes nothing is no release.
    let out = deploy(&stack, &app, &state, &name);
    assert!(out.status.success(), "{}", said(&out));

    let two = releases(&stack, &app, &state, &name);
    assert_eq!(two.len(), 2, "{two:#?}");
    assert_eq!(two[0]["number"], 2);
    assert_eq!(two[0]["outcome"], "healthy", "{two:#?}");
    assert_eq!(two[0]["running"], true);
    assert_eq!(two[1]["outcome"], "healthy", "{two:#?}");
    assert_eq!(two[1]["restorable"], true, "{two:#?}");
    assert!(
        two[0]["deployed_by"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:"),
        "{two:#?}"
    );
    let first_digest = two[1]["digest"].as_str().unwrap().to_string();
    assert_ne!(first_digest, two[0]["digest"].as_str().unwrap());

    // Without --yes and without a terminal: nothing happens.
    let out = dashdeploy(&stack, &state, &["rollback", &app.to_string_lossy()])
        .args(["--name", &name])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(said(&out).contains("Nothing was changed"), "{}", said(&out));
    assert_eq!(releases(&stack, &app, &state, &name).len(), 2);

    let out = dashdeploy(&stack, &state, &["rollback", &app.to_string_lossy()])
        .args(["--yes", "--name", &name])
        .output()
        .unwrap();
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("back: release 1"), "{log}");
    assert!(log.contains("release 3 is healthy"), "{log}");
    assert_eq!(running_digest(&name).await, first_digest);
    until_title(&stack, &app, &state, &name, "Sales dashboard").await;

    let three = releases(&stack, &app, &state, &name);
    assert_eq!(three.len(), 3, "{three:#?}");
    assert_eq!(three[0]["number"], 3);
    assert_eq!(three[0]["rollback_of"], 1);
    assert_eq!(three[0]["outcome"], "healthy");
    assert_eq!(three[0]["running"], true);
    assert_eq!(three[0]["digest"], first_digest.as_str());

    // A second machine (no record) reads the same history from AWS.
    let elsewhere = work.path().join("elsewhere");
    let again = releases(&stack, &app, &elsewhere, &name);
    let numbers_and_outcomes = |list: &[serde_json::Value]| -> Vec<(i64, String)> {
        list.iter()
            .map(|r| {
                (
                    r["number"].as_i64().unwrap(),
                    r["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(numbers_and_outcomes(&again), numbers_and_outcomes(&three));

    // Release 2's image removed from ECR (as the lifecycle policy does):
    // shown as not restorable, and a rollback to it refused, nothing changed.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let second_digest = three[1]["digest"].as_str().unwrap().to_string();
    let removed = aws_sdk_ecr::Client::new(&config)
        .batch_delete_image()
        .repository_name(&name)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_digest(&second_digest)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(removed.image_ids().len(), 2, "{removed:?}");
    let listed = releases(&stack, &app, &state, &name);
    assert_eq!(listed[1]["restorable"], false, "{listed:#?}");
    let out = dashdeploy(&stack, &state, &["rollback", &app.to_string_lossy()])
        .args(["--yes", "--to", "2", "--name", &name])
        .output()
        .unwrap();
    let log = said(&out);
    assert!(!out.status.success(), "{log}");
    assert!(
        log.contains("Release 2 cannot be restored")
            && log.contains("no longer in the ECR repository"),
        "{log}"
    );
    assert_eq!(running_digest(&name).await, first_digest);
    assert_eq!(releases(&stack, &app, &state, &name).len(), 3);

    // Credentials that may not list ECR's images still see the history,
    // with whether each image is there unknown and why.
    crate::policy::require_enforcement(&stack);
    let policy = crate::policy::policy_of(&stack, &state, &app, &name);
    let user = crate::policy::user_with(
        &format!("{name}-noli"),
        &crate::policy::without(&policy, "ecr:ListImages"),
    )
    .await;
    let app_dir = app.to_string_lossy();
    let args = ["releases", &app_dir, "--json", "--name", &name];
    let out = crate::policy::run_as(&stack, &state, &user, &args);
    assert!(out.status.success(), "{}", said(&out));
    let unknown: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(unknown.len(), 3, "{unknown:#?}");
    assert!(unknown[1]["restorable"].is_null(), "{unknown:#?}");
    let why = unknown[1]["restorable_unknown"].as_str().unwrap();
    assert!(why.contains("ecr:ListImages"), "{why}");
    let out = crate::policy::run_as(
        &stack,
        &state,
        &user,
        &["releases", &app_dir, "--name", &name],
    );
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Whether each image is still in ECR is not known"),
        "{}",
        said(&out)
    );
    crate::policy::remove(&user).await;

    // The service keeps the last number given out, and numbering goes on
    // from it even when no revision read shows that release (one older
    // than the newest revisions read, on a machine without the record).
    let session = Session::open(&AwsTarget::default()).await.unwrap();
    let (service_arn, tags) = dashdeploy::aws::ecs::service_tags(&session, &name, &name)
        .await
        .unwrap()
        .unwrap();
    let mark = |tags: &[(String, String)]| {
        tags.iter()
            .find(|(k, _)| k == "dashdeploy:last-release")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(mark(&tags).as_deref(), Some("3"), "{tags:?}");
    dashdeploy::aws::ecs_revisions::set_tag(
        &session,
        &service_arn,
        "dashdeploy:last-release",
        "10",
    )
    .await
    .unwrap();
    std::fs::write(
        &source,
        text.replace("Sales dashboard", "Sales dashboard v3"),
    )
    .unwrap();
    let out = deploy(&stack, &app, &state, &name);
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("release 11"), "{}", said(&out));
    let (_, tags) = dashdeploy::aws::ecs::service_tags(&session, &name, &name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mark(&tags).as_deref(), Some("11"), "{tags:?}");

    let out = dashdeploy(&stack, &state, &["destroy", &app.to_string_lossy()])
        .args(["--yes", "--name", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
}
