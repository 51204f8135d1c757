//! The `monitor` step: the status panels. It looks at the service, tasks,
//! URL and log again and again (fast while a rollout is in flight or
//! something is wrong, slow once healthy), sends each snapshot to the
//! wizard and logs what changed. In the wizard it watches until stopped;
//! headless it ends once the app is healthy, or fails after a bounded wait
//! saying why.

use std::time::{Duration, Instant};

use crate::monitor::look::take;
use crate::monitor::{Snapshot, next_poll};
use crate::pipeline::cloud::Cloud;
use crate::pipeline::releases;
use crate::pipeline::runner::Reporter;
use crate::pipeline::{Answers, EventKind, LogLevel, Spec, StepFailure};
use crate::store::releases::{Outcome, Release};

/// How long a headless deploy waits for the app to become healthy.
const HEADLESS_LIMIT: Duration = Duration::from_secs(300);

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let headless = matches!(answers, Answers::AcceptAll);
    let cloud = Cloud::new(spec).await?;
    let target = crate::pipeline::load_balancer::monitor_target(spec, &cloud.app);
    let started = Instant::now();
    let mut previous: Option<Snapshot> = None;
    let mut calls = 0u32;
    let mut last_error: Option<String> = None;
    // The direct rules closed once healthy behind a load balancer.
    let mut closed = false;
    // The release the Deploy step began, settled by what is seen.
    let mut open = releases::open(&cloud).await.unwrap_or_else(|e| {
        reporter.log(
            LogLevel::Warn,
            format!("the releases could not be read ({e})"),
        );
        None
    });
    loop {
        let wait = match take(&cloud.session, &target).await {
            Ok(snapshot) => {
                calls += snapshot.api_calls;
                if snapshot.service.is_none() {
                    return Err(StepFailure::new(format!(
                        "There is no service {} in the cluster {} ({}): run the Deploy step first.",
                        target.service, target.cluster, cloud.region
                    )));
                }
                for line in changes(previous.as_ref(), &snapshot) {
                    reporter.log(LogLevel::Info, line);
                }
                reporter.send(EventKind::Monitor(Box::new(snapshot.clone())));
                if let Some(release) = &open
                    && let Some(outcome) = releases::seen(release, &snapshot)
                {
                    settle(&cloud, release, outcome, reporter).await;
                    if headless && outcome == Outcome::RolledBack {
                        return Err(StepFailure::new(format!(
                            "ECS rolled the deploy back: release {} did not start healthily, and the service runs {} \
                             again. `dashdeploy status` and `dashdeploy logs` show why.",
                            release.number,
                            snapshot
                                .service
                                .as_ref()
                                .map(|s| s.task_definition.as_str())
                                .unwrap_or("the earlier revision")
                        )));
                    }
                    open = None;
                }
                if target.balancer.is_some() && snapshot.is_healthy() && !closed {
                    // The app answers through the load balancer: the tasks'
                    // direct address rules of a public-IP run go now.
                    if let Err(e) =
                        crate::pipeline::load_balancer::close_direct_rules(&cloud, reporter).await
                    {
                        reporter.log(
                            LogLevel::Warn,
                            format!(
                                "the tasks' direct address rules could not be closed: {} (the next watch tries again)",
                                e.message
                            ),
                        );
                    }
                    closed = true;
                }
                if headless && snapshot.is_healthy() {
                    return Ok(format!(
                        "healthy after {:.0} s · {} · {calls} AWS calls",
                        started.elapsed().as_secs_f64(),
                        snapshot.line()
                    ));
                }
                let wait = next_poll(&snapshot);
                previous = Some(snapshot);
                wait
            }
            Err(e) => {
                // Said once, not at every look, while it stays the same.
                if last_error.as_deref() != Some(e.as_str()) {
                    reporter.log(LogLevel::Warn, format!("{e} (looking again shortly)"));
                    last_error = Some(e);
                }
                crate::monitor::FAST
            }
        };
        if headless && started.elapsed() >= HEADLESS_LIMIT {
            let why = previous
                .as_ref()
                .map(|s| s.why())
                .unwrap_or_else(|| "the service could not be read".into());
            if let Some(release) = &open {
                settle(&cloud, release, Outcome::Failed, reporter).await;
            }
            return Err(StepFailure::new(format!(
                "The app did not become healthy within {} s: {why}. `dashdeploy status` and `dashdeploy logs` show more; retry the step to keep watching.",
                HEADLESS_LIMIT.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
    }
}

/// Writes the release's outcome down, saying so (a failure to write is
/// said, not fatal: the watch goes on).
async fn settle(cloud: &Cloud, release: &Release, outcome: Outcome, reporter: &Reporter) {
    match releases::settle(cloud, release, outcome).await {
        Ok(()) => reporter.log(
            LogLevel::Info,
            format!("release {} is {}", release.number, outcome.word()),
        ),
        Err(e) => reporter.log(
            LogLevel::Warn,
            format!(
                "release {}'s outcome ({}) could not be written down: {e}",
                release.number,
                outcome.word()
            ),
        ),
    }
}

/// Log lines for what changed between two snapshots: tasks that appeared,
/// moved on or stopped (with why), the URL, the health.
pub fn changes(before: Option<&Snapshot>, now: &Snapshot) -> Vec<String> {
    let mut lines = Vec::new();
    for task in &now.tasks {
        let old = before.and_then(|b| b.tasks.iter().find(|t| t.id == task.id));
        let changed = match (before, old) {
            // At the first look, stopped tasks are history, not news.
            (None, _) => task.last_status != "STOPPED",
            (Some(_), None) => true,
            (Some(_), Some(old)) => old.last_status != task.last_status,
        };
        if changed {
            let mut line = format!(
                "task {} {}",
                crate::monitor::short_id(&task.id),
                task.last_status
            );
            if let Some(ip) = &task.public_ip
                && task.last_status == "RUNNING"
            {
                line.push_str(&format!(" at {ip}"));
            }
            if task.last_status == "STOPPED" {
                if let Some(reason) = &task.stopped_reason {
                    line.push_str(&format!(": {reason}"));
                }
                if let Some(code) = task.exit_code {
                    line.push_str(&format!(" (exit code {code})"));
                }
            }
            lines.push(line);
        }
    }
    // The load balancer's targets: a task entering or leaving service.
    for task in &now.tasks {
        let old = before
            .and_then(|b| b.tasks.iter().find(|t| t.id == task.id))
            .and_then(|t| t.target_health.clone());
        if let Some(health) = &task.target_health
            && Some(health) != old.as_ref()
        {
            let mut line = format!(
                "task {} is {health} at the load balancer",
                crate::monitor::short_id(&task.id)
            );
            if let Some(reason) = &task.target_health_reason {
                line.push_str(&format!(" ({reason})"));
            }
            lines.push(line);
        }
    }
    let old_state = before
        .and_then(|b| b.load_balancer.as_ref())
        .map(|l| l.state.clone());
    if let Some(lb) = &now.load_balancer
        && Some(&lb.state) != old_state.as_ref()
    {
        lines.push(format!("load balancer {} is {}", lb.name, lb.state));
    }
    let old_url = before.and_then(|b| b.url.clone());
    if now.url.is_some() && now.url != old_url {
        lines.push(format!(
            "the app's address is {}",
            now.url.as_deref().unwrap_or_default()
        ));
    }
    let was = before
        .and_then(|b| b.health.as_ref())
        .map(|h| h.is_healthy());
    if let Some(h) = &now.health
        && Some(h.is_healthy()) != was
    {
        lines.push(match (h.http_status, &h.error) {
            (Some(code), _) if h.is_healthy() => format!(
                "{} answers {code} with a Dash page in {} ms",
                h.url,
                h.latency_ms.unwrap_or(0)
            ),
            (Some(code), _) => format!("{} answers {code}, not with a Dash page", h.url),
            (None, Some(e)) => format!("{} does not answer: {e}", h.url),
            (None, None) => format!("{} does not answer", h.url),
        });
    }
    lines
}
