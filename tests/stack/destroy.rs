//! Issue 9 against the test stack: a deploy run twice, then destroy, then
//! destroy again. The emulator then holds none of what dashdeploy made for
//! the app, and still holds what was there before (a cluster and a log
//! group the "user" made by hand, which dashdeploy reused, the shared
//! execution role, the default VPC's group).
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::Path;
use std::process::Output;

use crate::common::stack::{self, Stack};

fn dashdeploy(stack: &Stack, state: &Path, args: &[&str]) -> Output {
    crate::dashdeploy(stack, state, args)
        .output()
        .expect("run dashdeploy")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_twice_destroy_twice_leaves_only_what_was_there() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("destroy");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap();
    let iam = aws_sdk_iam::Client::new(&config);

    // Made by hand before dashdeploy ever ran: a cluster and a log group
    // with the names it would use, untagged.
    ecs.create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .unwrap();
    let log_group = format!("/ecs/dashdeploy/{name}");
    logs.create_log_group()
        .log_group_name(&log_group)
        .send()
        .await
        .unwrap();
    let default_groups = crate::common::ec2::groups_named(None, "default")
        .await
        .len();

    for round in 1..=2 {
        let out = dashdeploy(
            &stack,
            &state,
            &[
                "deploy",
                app.to_str().unwrap(),
                "--yes",
                "--name",
                &name,
                "--allow-from",
                "203.0.113.7",
            ],
        );
        assert!(
            out.status.success(),
            "deploy {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let role_existed = iam
        .get_role()
        .role_name("ecsTaskExecutionRole")
        .send()
        .await
        .is_ok();

    let out = dashdeploy(
        &stack,
        &state,
        &["destroy", app.to_str().unwrap(), "--name", &name, "--yes"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("ECS service") && text.contains("removed"),
        "{text}"
    );
    assert!(
        text.contains("Used but not made by dashdeploy, so kept:"),
        "{text}"
    );

    // Nothing dashdeploy made is left.
    let services = ecs
        .describe_services()
        .cluster(&name)
        .services(&name)
        .send()
        .await
        .unwrap();
    assert!(
        services
            .services()
            .iter()
            .all(|s| s.status() != Some("ACTIVE")),
        "{services:?}"
    );
    let defs = ecs
        .list_task_definitions()
        .family_prefix(&name)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    assert!(defs.task_definition_arns().is_empty(), "{defs:?}");
    let groups = crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await;
    assert!(groups.is_empty());
    assert!(
        dashdeploy::aws::ecr::find_repository(&session, &name)
            .await
            .unwrap()
            .is_none()
    );

    // What was there before is still there.
    let clusters = ecs
        .describe_clusters()
        .clusters(&name)
        .send()
        .await
        .unwrap();
    assert!(
        clusters
            .clusters()
            .iter()
            .any(|c| c.status() == Some("ACTIVE")),
        "the user's own cluster was kept"
    );
    let found = logs
        .describe_log_groups()
        .log_group_name_prefix(&log_group)
        .send()
        .await
        .unwrap();
    assert_eq!(
        found.log_groups().len(),
        1,
        "the user's own log group was kept"
    );
    assert_eq!(
        iam.get_role()
            .role_name("ecsTaskExecutionRole")
            .send()
            .await
            .is_ok(),
        role_existed,
        "the shared execution role is not touched"
    );
    assert!(
        iam.get_role()
            .role_name(format!("dashdeploy-{name}-execution"))
            .send()
            .await
            .is_err(),
        "the app's own execution role is removed"
    );
    let defaults_now = crate::common::ec2::groups_named(None, "default")
        .await
        .len();
    assert!(defaults_now >= default_groups);

    // A second destroy has nothing to do, and says so.
    let out = dashdeploy(
        &stack,
        &state,
        &["destroy", app.to_str().unwrap(), "--name", &name, "--yes"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.starts_with("Nothing to remove"), "{text}");

    // Without --yes and without a terminal, nothing is removed.
    let out = dashdeploy(
        &stack,
        &state,
        &[
            "deploy",
            app.to_str().unwrap(),
            "--yes",
            "--name",
            &name,
            "--until",
            "registry",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = dashdeploy(
        &stack,
        &state,
        &["destroy", app.to_str().unwrap(), "--name", &name],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Nothing was removed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dashdeploy::aws::ecr::find_repository(&session, &name)
            .await
            .unwrap()
            .is_some()
    );
}
