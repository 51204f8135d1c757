//! Issue 8 against the test stack and its Fargate stand-in: after a deploy
//! the monitor sees the task RUNNING at its (loopback) public IP and the
//! app answering 200, and `status --json` says the same; a killed container
//! shows as a STOPPED task with its reason and exit code, and the
//! replacement is followed to its new address; `logs` prints the app's log;
//! a deploy killed with SIGKILL in the middle resumes on the next run with
//! nothing made twice.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::stack::{self, Stack};
use dashdeploy::monitor::Snapshot;

/// How long the stand-in may take to start or replace a task.
const WAIT: Duration = Duration::from_secs(120);

use crate::dashdeploy;

fn deployed(
    stack: &Stack,
    work: &Path,
    prefix: &str,
) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let name = stack::unique(prefix);
    let app = crate::sample_app(work, &name);
    let state = work.join("state");
    let out = dashdeploy(stack, &state, &["deploy"])
        .arg(&app)
        .args(["--yes", "--name", &name, "--allow-from", "0.0.0.0/0"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("monitor: done: healthy after"), "{log}");
    (name, app, state)
}

async fn watch_until(name: &str, what: &str, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    crate::watch_until(name, what, WAIT, done).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_follows_a_task_from_running_to_killed_to_replaced() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let (name, app, state) = deployed(&stack, work.path(), "monitor");

    // RUNNING at a loopback public IP, answering 200 with a Dash page.
    let healthy = watch_until(&name, "a healthy task", Snapshot::is_healthy).await;
    let task = healthy
        .tasks
        .iter()
        .find(|t| t.last_status == "RUNNING")
        .unwrap()
        .clone();
    let ip = task.public_ip.clone().unwrap();
    assert!(ip.starts_with("127.0.0."), "{ip}");
    assert_eq!(
        healthy.url.as_deref(),
        Some(format!("http://{ip}:8050/").as_str())
    );
    let json = crate::status_json(&stack, &app, &state, &name);
    assert_eq!(json["service"]["status"], "ACTIVE");
    assert_eq!(json["service"]["desired"], 1);
    assert_eq!(json["service"]["running"], 1);
    assert!(json["service"]["rollout"].is_string());
    assert_eq!(json["url"], format!("http://{ip}:8050/"));
    assert_eq!(json["health"]["http_status"], 200);
    let tasks = json["tasks"].as_array().unwrap();
    assert!(tasks.iter().any(|t| t["id"] == task.id
        && t["last_status"] == "RUNNING"
        && t["public_ip"] == ip.as_str()
        && t.get("stopped_reason").is_some()));

    // `logs` prints what gunicorn wrote (the awslogs driver sends it in
    // batches, so it may take a few seconds to arrive).
    let started = Instant::now();
    let logs = loop {
        let out = dashdeploy(&stack, &state, &["logs"])
            .arg(&app)
            .args(["--name", &name, "--since", "10m"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let logs = String::from_utf8_lossy(&out.stdout).to_string();
        if logs.contains("Listening at: http://0.0.0.0:8050") || started.elapsed() > WAIT {
            break logs;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert!(logs.contains("Listening at: http://0.0.0.0:8050"), "{logs}");

    // Kill the stand-in's container: the task stops with its reason and
    // exit code, and a new task comes up at a new address.
    let ids = Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=dashdeploy.standin.service={name}"))
        .output()
        .unwrap();
    let ids = String::from_utf8_lossy(&ids.stdout).trim().to_string();
    assert!(!ids.is_empty(), "the stand-in runs a container for {name}");
    let killed = Command::new("docker")
        .args(["kill"])
        .args(ids.split_whitespace())
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = watch_until(&name, "the killed task STOPPED", |s| {
        s.tasks
            .iter()
            .any(|t| t.id == task.id && t.last_status == "STOPPED")
    })
    .await;
    let dead = stopped.tasks.iter().find(|t| t.id == task.id).unwrap();
    assert!(
        dead.stopped_reason
            .as_deref()
            .is_some_and(|r| r.contains("exited")),
        "{dead:?}"
    );
    assert_eq!(dead.exit_code, Some(137), "{dead:?}");
    assert!(
        stopped
            .explanations
            .iter()
            .any(|e| e.contains("exited with code 137")),
        "{:?}",
        stopped.explanations
    );
    let replaced = watch_until(&name, "a replacement task healthy", |s| {
        s.is_healthy()
            && s.tasks
                .iter()
                .any(|t| t.last_status == "RUNNING" && t.id != task.id)
    })
    .await;
    let new = replaced
        .tasks
        .iter()
        .find(|t| t.last_status == "RUNNING")
        .unwrap();
    assert_ne!(new.id, task.id);
    assert_eq!(
        replaced.url,
        new.public_ip
            .as_ref()
            .map(|ip| format!("http://{ip}:8050/")),
        "the URL follows the new task"
    );
    // Fargate deletes the stopped task's interface: `status` still finds
    // the new task's address, and it answers.
    let json = crate::status_json(&stack, &app, &state, &name);
    assert_eq!(
        json["url"],
        replaced.url.clone().unwrap().as_str(),
        "{json}"
    );
    assert_eq!(json["health"]["http_status"], 200, "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_killed_mid_way_resumes_with_nothing_made_twice() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("sigkill");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");

    // Kill it as soon as the deploy step has made the cluster.
    let mut child = dashdeploy(&stack, &state, &["deploy"])
        .arg(&app)
        .args(["--yes", "--name", &name, "--allow-from", "0.0.0.0/0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("deploy: ECS cluster ") {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed before it finished: {seen:?}");

    // Started again, it finishes, and each resource exists once.
    let out = dashdeploy(&stack, &state, &["deploy"])
        .arg(&app)
        .args(["--yes", "--name", &name])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains(&format!("ECS cluster {name} reused")), "{log}");
    assert!(log.contains("monitor: done: healthy after"), "{log}");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    assert_eq!(
        ecs.list_services()
            .cluster(&name)
            .send()
            .await
            .unwrap()
            .service_arns()
            .len(),
        1
    );
    assert_eq!(
        ecs.list_task_definitions()
            .family_prefix(&name)
            .send()
            .await
            .unwrap()
            .task_definition_arns()
            .len(),
        1
    );
    let groups = crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await;
    assert_eq!(groups.len(), 1);
    let region = config.region().unwrap().to_string();
    let record = dashdeploy::store::record::load(&state, &name, &region).unwrap();
    assert_eq!(
        record
            .of(dashdeploy::store::record::ResourceKind::Cluster)
            .count(),
        1,
        "{record:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_finds_what_is_done_by_checking_it() {
    use dashdeploy::pipeline::StepId;
    use dashdeploy::pipeline::resume::done_steps;
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let (name, app, state) = deployed(&stack, work.path(), "resume");
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.name = Some(name.clone());
    let done: Vec<StepId> = done_steps(&settings, &state)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        done,
        [
            StepId::App,
            StepId::Dockerfile,
            StepId::Build,
            StepId::LocalTest,
            StepId::Registry,
            StepId::Push,
            StepId::Sizing,
            StepId::Network,
            StepId::Deploy
        ]
    );
    // A changed file makes the image stale: the build and all after it are to do.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(app.join("build-id.txt"), format!("{name} v2")).unwrap();
    let done: Vec<StepId> = done_steps(&settings, &state)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(done, [StepId::App, StepId::Dockerfile]);
}
