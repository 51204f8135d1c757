//! Issue 18 against the test stack: the load balancer way. The stack's
//! local load balancer (scripts/elb/elb.py) serves each load balancer made
//! in the emulator on a loopback address under its DNS name, health-checks
//! the targets the Fargate stand-in registers, and forwards only to healthy
//! ones; the stand-in drains a task for its group's deregistration delay
//! before it stops it. So the tests make real requests through the name:
//!
//! - `deploy --load-balancer` with two tasks answers on the load balancer's
//!   name; the tasks admit 8050 from the load balancer's group only;
//! - a redeploy of a changed app switches to the new version while a
//!   request loop through the name sees no failed request;
//! - a killed task is replaced, and requests fail only within the health
//!   check's unhealthy window;
//! - destroy leaves no ELBv2, scaling or security-group resource.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dashdeploy::aws::{AwsTarget, Session, elbv2};
use dashdeploy::monitor::Snapshot;
use dashdeploy::monitor::look::Target;

use crate::common::stack::{self, Stack};
use crate::{dashdeploy, said};

/// How long the stand-in may take to start, drain or replace tasks.
const WAIT: Duration = Duration::from_secs(180);

async fn session() -> Session {
    Session::open(&AwsTarget::default()).await.unwrap()
}

fn deploy(stack: &Stack, app: &Path, state: &Path, name: &str, extra: &[&str]) -> Output {
    dashdeploy(stack, state, &["deploy", &app.to_string_lossy()])
        .args(["--yes", "--name", name, "--allow-from", "0.0.0.0/0"])
        .args(extra)
        .output()
        .expect("run dashdeploy")
}

/// The page's `<title>`: which version of the app answered.
fn title(body: &str) -> Option<String> {
    let start = body.find("<title>")? + "<title>".len();
    let end = body[start..].find("</title>")?;
    Some(body[start..start + end].to_string())
}

/// One answer of the request loop: when, and the title or what failed.
#[derive(Debug, Clone)]
struct Answer {
    at: Instant,
    result: Result<String, String>,
}

/// Asks `http://<dns>/` every 50 ms on a thread of its own until stopped.
struct Requests {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Answer>>,
}

impl Requests {
    fn start(dns: &str) -> Requests {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, dns) = (stop.clone(), dns.to_string());
        let thread = std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let result = match stack::http_get_name(&dns, "/") {
                    Ok((200, body)) => {
                        title(&body).ok_or(format!("200 without a title: {body:.80}"))
                    }
                    Ok((status, body)) => Err(format!("HTTP {status}: {body:.80}")),
                    Err(e) => Err(e),
                };
                answers.push(Answer {
                    at: Instant::now(),
                    result,
                });
                std::thread::sleep(Duration::from_millis(50));
            }
            answers
        });
        Requests { stop, thread }
    }

    fn finish(self) -> Vec<Answer> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

fn failures(answers: &[Answer]) -> Vec<&Answer> {
    answers.iter().filter(|a| a.result.is_err()).collect()
}

/// The running tasks of the app, each healthy at the load balancer.
fn all_in_service(s: &Snapshot, count: usize) -> bool {
    let running: Vec<_> = s
        .tasks
        .iter()
        .filter(|t| t.last_status == "RUNNING" && t.desired_status == "RUNNING")
        .collect();
    running.len() == count
        && running
            .iter()
            .all(|t| t.target_health.as_deref() == Some("healthy"))
        && s.health.as_ref().is_some_and(|h| h.is_healthy())
}

fn target(name: &str) -> Target {
    Target::for_app(name).behind_load_balancer(None)
}

/// The stand-in's running containers of the app.
fn containers(name: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=dashdeploy.standin.service={name}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The id of the task the stand-in's container `id` stands for.
fn task_of(id: &str) -> String {
    let out = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{index .Config.Labels \"dashdeploy.standin.task-arn\"}}",
            id,
        ])
        .output()
        .unwrap();
    let arn = String::from_utf8_lossy(&out.stdout).trim().to_string();
    arn.rsplit('/').next().unwrap_or_default().to_string()
}

/// The ingress rules of the security group `name` on `port`: (CIDR
/// sources, group sources).
async fn sources(name: &str, port: &str) -> (Vec<String>, Vec<String>) {
    let groups = crate::common::ec2::groups_named(None, name).await;
    let mut cidrs = Vec::new();
    let mut from_groups = Vec::new();
    for g in &groups {
        for p in g
            .items("ipPermissions")
            .filter(|p| p.text_of("fromPort") == Some(port))
        {
            cidrs.extend(
                p.items("ipRanges")
                    .filter_map(|r| r.text_of("cidrIp"))
                    .map(str::to_string),
            );
            from_groups.extend(
                p.items("groups")
                    .filter_map(|r| r.text_of("groupId"))
                    .map(str::to_string),
            );
        }
    }
    (cidrs, from_groups)
}

/// `destroy` of the app succeeded and left nothing of the load balancer
/// way; what it said.
async fn destroyed(stack: &Stack, state: &Path, app: &Path, name: &str) -> String {
    let out = dashdeploy(stack, state, &["destroy", &app.to_string_lossy()])
        .args(["--yes", "--name", name])
        .output()
        .unwrap();
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    nothing_left(name).await;
    log
}

/// Nothing of the load balancer way is left for `name`.
async fn nothing_left(name: &str) {
    let session = session().await;
    assert_eq!(
        elbv2::find_load_balancer(&session, &elbv2::load_balancer_name(name))
            .await
            .unwrap(),
        None,
        "the load balancer is gone"
    );
    assert_eq!(
        elbv2::find_target_group(&session, &elbv2::target_group_name(name))
            .await
            .unwrap(),
        None,
        "the target group is gone"
    );
    for group in [
        format!("dashdeploy-{name}"),
        format!("dashdeploy-{name}.lb"),
    ] {
        assert!(
            crate::common::ec2::groups_named(None, &group)
                .await
                .is_empty(),
            "the security group {group} is gone"
        );
    }
    let resource = dashdeploy::aws::autoscaling::resource_id(name, name);
    assert_eq!(
        dashdeploy::aws::autoscaling::target(&session, &resource)
            .await
            .unwrap(),
        None,
        "the scaling is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_name_answers_through_a_redeploy_and_a_killed_task_and_destroy_leaves_nothing() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("lb");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");

    // Two tasks behind the load balancer, watched until both are in service.
    let out = deploy(
        &stack,
        &app,
        &state,
        &name,
        &["--load-balancer", "--desired-count", "2"],
    );
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("monitor: done: healthy after"), "{log}");
    // Provisioning first, as on AWS; watched until active.
    assert!(
        log.contains("is provisioning") && log.contains("is active"),
        "{log}"
    );
    let lb = elbv2::find_load_balancer(&session().await, &elbv2::load_balancer_name(&name))
        .await
        .unwrap()
        .expect("the load balancer");
    let url = format!("http://{}/", lb.dns_name);
    let json = crate::status_json(&stack, &app, &state, &name);
    assert_eq!(json["url"], url.as_str(), "{json:#}");
    assert_eq!(json["load_balancer"]["dns_name"], lb.dns_name.as_str());
    assert_eq!(json["load_balancer"]["state"], "active");
    assert_eq!(json["health"]["http_status"], 200, "{json:#}");
    let running: Vec<&serde_json::Value> = json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["last_status"] == "RUNNING")
        .collect();
    assert_eq!(running.len(), 2, "{json:#}");
    assert!(
        running.iter().all(|t| t["target_health"] == "healthy"),
        "{json:#}"
    );
    let (status, body) = stack::http_get_name(&lb.dns_name, "/").unwrap();
    assert_eq!(status, 200);
    assert!(dashdeploy::http_probe::is_dash_page(&body), "{body:.200}");
    assert_eq!(title(&body).as_deref(), Some("Sales dashboard"));

    // The tasks admit 8050 from the load balancer's group only; it admits 80.
    let lb_group = &lb.security_groups[0];
    let (cidrs, groups) = sources(&format!("dashdeploy-{name}"), "8050").await;
    assert!(cidrs.is_empty(), "no address reaches the tasks: {cidrs:?}");
    assert_eq!(groups, std::slice::from_ref(lb_group));
    let (cidrs, _) = sources(&format!("dashdeploy-{name}.lb"), "80").await;
    assert_eq!(cidrs, ["0.0.0.0/0"]);

    // A redeploy of a changed app: the requests never fail, and in the end
    // only the new version answers.
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
    let requests = Requests::start(&lb.dns_name);
    let redeploy_started = Instant::now();
    let out = deploy(&stack, &app, &state, &name, &[]);
    assert!(out.status.success(), "{}", said(&out));
    // Until the old tasks have drained and only v2 answers (bounded).
    let mut only_new_since = None;
    while redeploy_started.elapsed() < WAIT {
        match stack::http_get_name(&lb.dns_name, "/") {
            Ok((200, body)) if title(&body).as_deref() == Some("Sales dashboard v2") => {
                let since = *only_new_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(5) {
                    break;
                }
            }
            _ => only_new_since = None,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let answers = requests.finish();
    assert!(answers.len() > 100, "{} requests", answers.len());
    let failed = failures(&answers);
    assert!(
        failed.is_empty(),
        "{} of {} requests failed during the redeploy: {:?}",
        failed.len(),
        answers.len(),
        failed.iter().take(5).collect::<Vec<_>>()
    );
    let last: Vec<&Answer> = answers.iter().rev().take(20).collect();
    assert!(
        last.iter()
            .all(|a| a.result.as_deref() == Ok("Sales dashboard v2")),
        "the last answers: {last:?}"
    );
    assert!(
        answers
            .iter()
            .any(|a| a.result.as_deref() == Ok("Sales dashboard")),
        "the old version answered while the new one started"
    );

    // A killed task: requests fail at most within the unhealthy window
    // (two checks 5 s apart, the stand-in's and the load balancer's
    // passes), and a replacement comes into service.
    let before = crate::watch_target_until(&target(&name), "two tasks in service", WAIT, |s| {
        all_in_service(s, 2)
    })
    .await;
    let before: Vec<String> = before.tasks.iter().map(|t| t.id.clone()).collect();
    let requests = Requests::start(&lb.dns_name);
    std::thread::sleep(Duration::from_secs(2));
    let victims = containers(&name);
    assert_eq!(victims.len(), 2, "{victims:?}");
    let victim = task_of(&victims[0]);
    assert!(before.contains(&victim), "{victim} in {before:?}");
    let killed_at = Instant::now();
    assert!(
        Command::new("docker")
            .args(["kill", &victims[0]])
            .status()
            .unwrap()
            .success()
    );
    crate::watch_target_until(&target(&name), "a replacement in service", WAIT, |s| {
        let stopped = s
            .tasks
            .iter()
            .any(|t| t.id == victim && t.last_status == "STOPPED");
        let new = s
            .tasks
            .iter()
            .any(|t| t.last_status == "RUNNING" && !before.contains(&t.id));
        stopped && new && all_in_service(s, 2)
    })
    .await;
    std::thread::sleep(Duration::from_secs(3));
    let answers = requests.finish();
    let window = Duration::from_secs(5 * 2 + 2 + 1 + 5);
    let late: Vec<&Answer> = failures(&answers)
        .into_iter()
        .filter(|a| a.at < killed_at || a.at > killed_at + window)
        .collect();
    assert!(
        late.is_empty(),
        "requests failed outside the {window:?} after the kill: {late:?}"
    );
    assert!(
        answers.iter().rev().take(20).all(|a| a.result.is_ok()),
        "answers again after the replacement"
    );

    // destroy leaves nothing of it.
    let log = destroyed(&stack, &state, &app, &name).await;
    assert!(log.contains("load balancer"), "{log}");
}

/// The running tasks' public IPs of a public-IP snapshot that answers.
fn answers_on_a_task(s: &Snapshot) -> bool {
    s.load_balancer.is_none()
        && s.url.as_deref().is_some_and(|u| u.ends_with(":8050/"))
        && s.health.as_ref().is_some_and(|h| h.is_healthy())
}

fn record_kinds(state: &Path, name: &str) -> Vec<String> {
    let rec = dashdeploy::store::record::load(state, name, "us-east-1").unwrap();
    let mut kinds: Vec<String> = rec
        .resources
        .iter()
        .filter(|r| r.created)
        .map(|r| format!("{:?}", r.kind))
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_switches_from_public_ip_to_the_load_balancer_with_scaling_and_back() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("lbswitch");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");

    // The tutorial's way first: a task's public IP, 8050 open to the source.
    let out = deploy(&stack, &app, &state, &name, &[]);
    assert!(out.status.success(), "{}", said(&out));
    crate::watch_until(&name, "the app on its task's IP", WAIT, answers_on_a_task).await;
    let (cidrs, _) = sources(&format!("dashdeploy-{name}"), "8050").await;
    assert_eq!(cidrs, ["0.0.0.0/0"]);

    // Rerun with the load balancer and scaling: one name, the direct rule
    // closed, the scaling registered between its bounds.
    let out = deploy(
        &stack,
        &app,
        &state,
        &name,
        &["--load-balancer", "--min-tasks", "1", "--max-tasks", "3"],
    );
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    // The old address closes only once the app answers through the load
    // balancer, so it works until the new one does.
    let closed = log
        .find("closed: the tasks are reached through the load balancer only")
        .unwrap_or_else(|| panic!("the direct rule is closed: {log}"));
    let through = log
        .find("answers 200 with a Dash page")
        .unwrap_or_else(|| panic!("the app answers through the load balancer: {log}"));
    assert!(
        through < closed,
        "closed before the load balancer answered: {log}"
    );
    assert!(log.contains("scaling between 1 and 3 tasks"), "{log}");
    let lb = elbv2::find_load_balancer(&session().await, &elbv2::load_balancer_name(&name))
        .await
        .unwrap()
        .expect("the load balancer");
    let (status, body) = stack::http_get_name(&lb.dns_name, "/").unwrap();
    assert_eq!(status, 200);
    assert!(dashdeploy::http_probe::is_dash_page(&body));
    let (cidrs, groups) = sources(&format!("dashdeploy-{name}"), "8050").await;
    assert!(cidrs.is_empty(), "{cidrs:?}");
    assert_eq!(groups, lb.security_groups);
    let resource = dashdeploy::aws::autoscaling::resource_id(&name, &name);
    let (arn, min, max) = dashdeploy::aws::autoscaling::target(&session().await, &resource)
        .await
        .unwrap()
        .expect("a scalable target");
    assert_eq!((min, max), (1, 3));
    let tags = dashdeploy::aws::autoscaling::tags(&session().await, &arn)
        .await
        .unwrap();
    assert!(
        tags.iter()
            .any(|(k, v)| k == "dashdeploy:app" && v == &name),
        "{tags:?}"
    );
    let kinds = record_kinds(&state, &name);
    for kind in [
        "LoadBalancer",
        "TargetGroup",
        "Listener",
        "ScalableTarget",
        "SecurityGroup",
    ] {
        assert!(kinds.contains(&kind.to_string()), "{kind} not in {kinds:?}");
    }

    // A rerun makes nothing twice.
    let out = deploy(
        &stack,
        &app,
        &state,
        &name,
        &["--load-balancer", "--min-tasks", "1", "--max-tasks", "3"],
    );
    assert!(out.status.success(), "{}", said(&out));
    let log = said(&out);
    assert!(!log.contains("created ("), "nothing made again: {log}");
    assert!(
        log.contains("service") && log.contains("unchanged"),
        "{log}"
    );

    // The record lost (another machine): rebuilt from the tags, with the
    // load balancer's parts.
    let other = work.path().join("other-state");
    let out = dashdeploy(&stack, &other, &["status", &app.to_string_lossy()])
        .args(["--name", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("rebuilt the record"), "{}", said(&out));
    let rebuilt = record_kinds(&other, &name);
    for kind in ["LoadBalancer", "TargetGroup", "Listener", "ScalableTarget"] {
        assert!(
            rebuilt.contains(&kind.to_string()),
            "{kind} not in {rebuilt:?}"
        );
    }

    // Back to the public IP: the load balancer way's parts go, 8050 opens
    // to the source again.
    let out = deploy(&stack, &app, &state, &name, &["--public-ip"]);
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    crate::watch_until(
        &name,
        "the app on its task's IP again",
        WAIT,
        answers_on_a_task,
    )
    .await;
    let (cidrs, groups) = sources(&format!("dashdeploy-{name}"), "8050").await;
    assert_eq!(cidrs, ["0.0.0.0/0"]);
    assert!(groups.is_empty(), "{groups:?}");
    nothing_left_but_the_task_group(&name).await;
    let kinds = record_kinds(&state, &name);
    assert!(
        !kinds.iter().any(
            |k| ["LoadBalancer", "TargetGroup", "Listener", "ScalableTarget"].contains(&k.as_str())
        ),
        "{kinds:?}"
    );

    destroyed(&stack, &state, &app, &name).await;
}

/// Back on public IPs: no load balancer, target group, scaling or load
/// balancer's group.
async fn nothing_left_but_the_task_group(name: &str) {
    let session = session().await;
    assert_eq!(
        elbv2::find_load_balancer(&session, &elbv2::load_balancer_name(name))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        elbv2::find_target_group(&session, &elbv2::target_group_name(name))
            .await
            .unwrap(),
        None
    );
    assert!(
        crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}.lb"))
            .await
            .is_empty()
    );
    let resource = dashdeploy::aws::autoscaling::resource_id(name, name);
    assert_eq!(
        dashdeploy::aws::autoscaling::target(&session, &resource)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_health_check_and_a_blocking_group_are_explained_and_fixed_by_a_rerun() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("lbcheck");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    std::fs::write(
        app.join("dashdeploy.toml"),
        "load_balancer = true\nhealth_check_path = \"/assets/no-such-file.txt\"\n",
    )
    .unwrap();

    // The checked page answers 404 (a Dash app answers 200 on any path but
    // its assets'): the targets are unhealthy, and said why.
    let out = deploy(&stack, &app, &state, &name, &["--until", "deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    let unhealthy = crate::watch_target_until(&target(&name), "an unhealthy target", WAIT, |s| {
        s.tasks
            .iter()
            .any(|t| t.target_health.as_deref() == Some("unhealthy"))
    })
    .await;
    let task = unhealthy
        .tasks
        .iter()
        .find(|t| t.target_health.as_deref() == Some("unhealthy"))
        .unwrap();
    assert_eq!(
        task.target_health_reason.as_deref(),
        Some("Target.ResponseCodeMismatch: Health checks failed with these codes: [404]")
    );
    let json = crate::status_json(&stack, &app, &state, &name);
    let explained = json["explanations"].to_string();
    assert!(
        explained.contains("fails the load balancer's health check")
            && explained.contains("health_check_path"),
        "{json:#}"
    );
    assert!(!unhealthy.in_service());

    // The path fixed in dashdeploy.toml: a rerun sets the check, and the
    // task comes into service.
    std::fs::write(
        app.join("dashdeploy.toml"),
        std::fs::read_to_string(app.join("dashdeploy.toml"))
            .unwrap()
            .replace("/assets/no-such-file.txt", "/"),
    )
    .unwrap();
    let out = deploy(&stack, &app, &state, &name, &[]);
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("monitor: done: healthy after"), "{log}");

    // A group that no longer admits the load balancer: the checks time out,
    // and said why; the Network step puts the rule back.
    let lb = elbv2::find_load_balancer(&session().await, &elbv2::load_balancer_name(&name))
        .await
        .unwrap()
        .unwrap();
    let task_group =
        &crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await[0];
    let group_id = task_group.text_of("groupId").unwrap().to_string();
    crate::common::ec2::call(
        None,
        "RevokeSecurityGroupIngress",
        &[
            ("GroupId", &group_id),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "8050"),
            ("IpPermissions.1.ToPort", "8050"),
            ("IpPermissions.1.Groups.1.GroupId", &lb.security_groups[0]),
        ],
    )
    .await;
    let blocked = crate::watch_target_until(&target(&name), "a target that times out", WAIT, |s| {
        s.tasks.iter().any(|t| {
            t.target_health.as_deref() == Some("unhealthy")
                && t.target_health_reason
                    .as_deref()
                    .is_some_and(|r| r.contains("Target.Timeout"))
        })
    })
    .await;
    let explanations = dashdeploy::monitor::explain::explain(&blocked, "us-east-1").join("\n");
    assert!(
        explanations.contains("cannot reach task") && explanations.contains("security group"),
        "{explanations}"
    );
    let out = deploy(&stack, &app, &state, &name, &[]);
    assert!(out.status.success(), "{}", said(&out));
    let (_, groups) = sources(&format!("dashdeploy-{name}"), "8050").await;
    assert_eq!(groups, lb.security_groups);

    destroyed(&stack, &state, &app, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_gets_a_validated_certificate_https_and_an_alias_and_destroy_removes_them() {
    use crate::common::route53;
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("lbdomain");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let zone_name = format!("{name}.example.test");
    let domain = format!("app.{zone_name}");
    let zone = route53::create_zone(&zone_name).await;

    // First run: the certificate is requested, its validation record and
    // the alias go into the account's zone; HTTPS waits for ACM.
    let args = ["--load-balancer", "--domain", &domain, "--until", "deploy"];
    let out = deploy(&stack, &app, &state, &name, &args);
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains(&format!("certificate for {domain} requested")),
        "{log}"
    );
    assert!(log.contains("is being validated (its record"), "{log}");
    assert!(
        log.contains(&format!("{domain} points at the load balancer")),
        "{log}"
    );
    let records = route53::records(&zone).await;
    assert!(
        records.contains(&(domain.clone(), "A".to_string())),
        "{records:?}"
    );
    assert!(
        records.iter().any(|(_, kind)| kind == "CNAME"),
        "{records:?}"
    );
    let session = session().await;
    let lb = elbv2::find_load_balancer(&session, &elbv2::load_balancer_name(&name))
        .await
        .unwrap()
        .unwrap();
    let listeners = elbv2::listeners(&session, &lb.arn).await.unwrap();
    assert_eq!(listeners.len(), 1, "{listeners:?}");
    assert_eq!(
        (listeners[0].port, listeners[0].action.as_str()),
        (80, "forward")
    );

    // ACM issues it once DNS proves the domain (seconds on the stack).
    let started = Instant::now();
    let issued = loop {
        let found = dashdeploy::aws::acm::for_domain(&session, &domain)
            .await
            .unwrap();
        if let Some(cert) = found.iter().find(|c| c.status == "ISSUED") {
            break cert.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not issued: {found:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };

    // Second run: HTTPS on 443 with it, and 80 redirecting there.
    let out = deploy(&stack, &app, &state, &name, &args);
    assert!(out.status.success(), "{}", said(&out));
    let mut listeners = elbv2::listeners(&session, &lb.arn).await.unwrap();
    listeners.sort_by_key(|l| l.port);
    assert_eq!(listeners.len(), 2, "{listeners:?}");
    assert_eq!(
        (listeners[0].port, listeners[0].action.as_str()),
        (80, "redirect")
    );
    assert_eq!(listeners[1].port, 443);
    assert_eq!(
        listeners[1].certificate.as_deref(),
        Some(issued.arn.as_str())
    );
    // 80 redirects to HTTPS (a listener's change reaches ELB's nodes within
    // seconds, the local load balancer's at its next pass).
    let started = Instant::now();
    loop {
        let (status, _) = stack::http_get_name(&lb.dns_name, "/").unwrap();
        if status == 301 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "80 answers {status}, not a redirect to HTTPS"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let json = crate::status_json(&stack, &app, &state, &name);
    assert_eq!(json["url"], format!("https://{domain}/"), "{json:#}");

    // destroy removes the records and the certificate it requested.
    let log = destroyed(&stack, &state, &app, &name).await;
    let left: Vec<(String, String)> = route53::records(&zone)
        .await
        .into_iter()
        .filter(|(_, kind)| kind != "SOA" && kind != "NS")
        .collect();
    assert!(left.is_empty(), "{left:?}\n{log}");
    assert!(
        dashdeploy::aws::acm::for_domain(&session, &domain)
            .await
            .unwrap()
            .is_empty(),
        "{log}"
    );
    route53::delete_zone(&zone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_whose_zone_is_elsewhere_waits_for_its_validation_record_and_says_which() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("lbnozone");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    // No hosted zone of it in the account: the DNS is at another provider.
    let domain = format!("{name}.example.org");
    let out = deploy(
        &stack,
        &app,
        &state,
        &name,
        &["--load-balancer", "--domain", &domain, "--until", "deploy"],
    );
    let log = said(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("waits for validation: add the CNAME") && log.contains("at your DNS provider"),
        "{log}"
    );
    assert!(
        log.contains(&format!("point {domain} at dd-")),
        "the alias to add by hand: {log}"
    );
    // ACM does not issue it while DNS does not prove the domain (moto alone
    // would after 5 s).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let found = dashdeploy::aws::acm::for_domain(&session().await, &domain)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].status, "PENDING_VALIDATION");
    let json = crate::status_json(&stack, &app, &state, &name);
    assert!(
        json["explanations"].to_string().contains("HTTPS on"),
        "{json:#}"
    );

    destroyed(&stack, &state, &app, &name).await;
    assert!(
        dashdeploy::aws::acm::for_domain(&session().await, &domain)
            .await
            .unwrap()
            .is_empty()
    );
}
