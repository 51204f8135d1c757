//! Issue 19 against the test stack: the service's CPU and memory. The
//! Fargate stand-in publishes each service's `AWS/ECS` utilisation from the
//! engine's stats of its real containers; `status --json` shows `metrics`
//! with the numbers of the running container, at whole minutes as
//! CloudWatch gives them; credentials that may not
//! `cloudwatch:GetMetricData` still get the status, with the permission
//! named in place of the figures.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::stack;
use crate::{dashdeploy, said};

/// The stand-in publishes every 20 s; CloudWatch's one-minute periods.
const WAIT: Duration = Duration::from_secs(180);

/// MiB of "155.2MiB / 23.4GiB".
fn mib(text: &str) -> f64 {
    let used = text.split('/').next().unwrap().trim();
    let (number, unit) = used.split_at(used.find(|c: char| c.is_ascii_alphabetic()).unwrap());
    let n: f64 = number.parse().unwrap();
    match unit {
        "B" => n / 1024.0 / 1024.0,
        "KiB" | "kB" => n / 1024.0,
        "MiB" | "MB" => n,
        "GiB" | "GB" => n * 1024.0,
        other => panic!("unit {other} in {text}"),
    }
}

/// The memory the service's running container uses now, in MiB.
fn container_mib(name: &str) -> f64 {
    let ids = Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=dashdeploy.standin.service={name}"))
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let stats = Command::new("docker")
        .args(["stats", "--no-stream", "--format", "{{.MemUsage}}", &id])
        .output()
        .unwrap();
    mib(&String::from_utf8_lossy(&stats.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_cpu_and_memory_taken_from_the_running_container() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("metrics");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let out = dashdeploy(&stack, &state, &["deploy", &app.to_string_lossy()])
        .args(["--yes", "--name", &name, "--allow-from", "0.0.0.0/0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));

    // Before the first figures: null, and the panel says why.
    let started = Instant::now();
    let metrics = loop {
        let s = crate::status_json(&stack, &app, &state, &name);
        let m = s["metrics"].clone();
        assert!(m.is_object(), "status --json has metrics: {s:#}");
        if m["cpu_percent"].is_object() && m["memory_percent"].is_object() {
            break m;
        }
        assert!(
            m["unavailable"]
                .as_str()
                .is_some_and(|u| u.contains("No CPU or memory figures yet")),
            "{m:#}"
        );
        assert!(
            started.elapsed() < WAIT,
            "no CPU and memory figures within {WAIT:?}: {m:#}"
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
    };
    // The sample's size: 1024 MiB reserved; the container uses what
    // docker stats says (an idle Dash app's memory hardly moves).
    let memory = metrics["memory_percent"]["value"].as_f64().unwrap();
    let expected = container_mib(&name) / 1024.0 * 100.0;
    assert!(
        (memory - expected).abs() < 5.0,
        "memory {memory} % in CloudWatch, the container uses {expected:.1} % of 1 GB"
    );
    assert!(memory > 1.0, "a running Python app uses memory: {memory}");
    let cpu = metrics["cpu_percent"]["value"].as_f64().unwrap();
    assert!((0.0..100.0).contains(&cpu), "an idle app's CPU: {cpu}");
    // The task's size, as ECS gives it for a Fargate task (task-size): the
    // figures are shares of it, and the text status says so.
    let s = crate::status_json(&stack, &app, &state, &name);
    let task = &s["tasks"][0];
    assert_eq!(
        (task["cpu"].as_u64(), task["memory"].as_u64()),
        (Some(512), Some(1024)),
        "{s:#}"
    );
    // A running task says when it started (task-started-at), and the
    // rollout becomes COMPLETED once the service has been steady a while,
    // as ECS marks it (rollout-state; 20 s on the stack).
    assert!(
        task["started_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{s:#}"
    );
    let steady = Instant::now();
    loop {
        let s = crate::status_json(&stack, &app, &state, &name);
        if s["service"]["rollout"] == "COMPLETED" {
            break;
        }
        assert!(
            steady.elapsed() < Duration::from_secs(90),
            "the rollout is not COMPLETED 90 s after the service was steady: {s:#}"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let out = dashdeploy(&stack, &state, &["status", &app.to_string_lossy()])
        .args(["--name", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("% of 0.5 vCPU · memory ") && text.contains("% of 1 GB"),
        "{text}"
    );
    for key in ["cpu_percent", "memory_percent"] {
        let at = metrics[key]["at"].as_str().unwrap();
        assert!(
            at.ends_with(":00Z"),
            "one-minute periods start on the minute: {at}"
        );
    }

    // Credentials that may not read the metrics: the rest of the status,
    // and the permission that would show them.
    crate::policy::require_enforcement(&stack);
    let policy = crate::policy::policy_of(&stack, &state, &app, &name);
    let user = crate::policy::user_with(
        &format!("{name}-nocw"),
        &crate::policy::without(&policy, "cloudwatch:GetMetricData"),
    )
    .await;
    let out = crate::policy::run_as(
        &stack,
        &state,
        &user,
        &["status", &app.to_string_lossy(), "--json"],
    );
    assert!(out.status.success(), "{}", said(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["health"]["http_status"] == 200, "{s:#}");
    assert!(s["metrics"]["cpu_percent"].is_null(), "{s:#}");
    let why = s["metrics"]["unavailable"].as_str().unwrap();
    assert!(
        why.contains("cloudwatch:GetMetricData") && why.contains("dashdeploy policy"),
        "{why}"
    );
    crate::policy::remove(&user).await;

    let out = dashdeploy(&stack, &state, &["destroy", &app.to_string_lossy()])
        .args(["--yes", "--name", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
}
