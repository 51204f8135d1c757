//! Two runs of one app at once (two terminals, a CI job and a laptop): the
//! second waits for the first under the app's run lock and says who holds
//! it, nothing is made twice, and the lock is given back.

use std::process::Stdio;

use crate::common::stack;
use crate::said as text;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_deploys_at_once_take_turns_and_make_one_of_each() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let name = stack::unique("twice");
    let app = crate::sample_app(work.path(), &name);
    let deploy = |until: &str| {
        let mut command = crate::dashdeploy(&stack, &state, &["deploy", app.to_str().unwrap()]);
        command.args([
            "--yes",
            "--until",
            until,
            "--name",
            &name,
            "--allow-from",
            "203.0.113.7",
        ]);
        command
    };
    // The folder gets its identity (and the image) once, as a checked-out
    // folder with its dashdeploy.toml has it.
    let out = deploy("registry").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    // Two runs started together.
    let start = || {
        deploy("network")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start(), start());
    let (first, second) = (
        tokio::task::spawn_blocking(move || first.wait_with_output()),
        tokio::task::spawn_blocking(move || second.wait_with_output()),
    );
    let first = first.await.unwrap().unwrap();
    let second = second.await.unwrap().unwrap();
    let (one, two) = (text(&first), text(&second));
    assert!(first.status.success(), "the first run: {one}");
    assert!(second.status.success(), "the second run: {two}");
    let waited = [&one, &two]
        .into_iter()
        .filter(|t| {
            t.contains(&format!(
                "the app {name} is being changed by dashdeploy deploy (pid "
            ))
        })
        .count();
    assert_eq!(
        waited, 1,
        "one run waits for the other, saying who holds the app:\n{one}\n---\n{two}"
    );

    // One security group, not two, and no lock left behind.
    let groups = crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let streams = aws_sdk_cloudwatchlogs::Client::new(&config)
        .describe_log_streams()
        .log_group_name(format!("/ecs/dashdeploy/{name}"))
        .send()
        .await
        .unwrap();
    assert!(
        streams
            .log_streams()
            .iter()
            .all(|s| s.log_stream_name() != Some("run-lock")),
        "the lock is given back: {streams:?}"
    );

    let out = crate::dashdeploy(&stack, &state, &["destroy", app.to_str().unwrap()])
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}
