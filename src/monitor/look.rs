//! One look at the deployed app: the AWS facts, the URL of a running task,
//! its log tail, the HTTP health check of the URL, then the explanations.

use std::time::Duration;

use crate::aws::Session;
use crate::aws::network::APP_PORT;
use crate::aws::{cloudwatch, status};

use super::metrics::{Metrics, advice};
use super::metrics_cache;
use crate::fargate::Arch;

/// How old the newest CPU and memory figures may be for advice on the size.
const FIGURES_CURRENT_MINUTES: i64 = 5;

use super::explain::explain;
use super::snapshot::{Health, LoadBalancerFacts, Snapshot};

/// The load balancer's part of a look: its state, each task's target
/// health, and its address as the app's URL (https://<domain>/ once the
/// HTTPS listener is there). What cannot be read is left out of the
/// snapshot, and said in its explanations.
async fn balanced(session: &Session, balancer: &Balancer, snapshot: &mut Snapshot) {
    use crate::aws::elbv2;
    snapshot.url = None;
    snapshot.api_calls += 1;
    let lb = match elbv2::find_load_balancer(session, &balancer.load_balancer).await {
        Ok(Some(lb)) => lb,
        Ok(None) => {
            snapshot.explanations.push(format!(
                "There is no load balancer {}: run the Network step (it makes it), then Deploy.",
                balancer.load_balancer
            ));
            return;
        }
        Err(e) => {
            snapshot
                .explanations
                .push(crate::aws::error::query_sentence(
                    "read the load balancer",
                    &e,
                ));
            return;
        }
    };
    let mut url = format!("http://{}/", lb.dns_name);
    if let Some(domain) = &balancer.domain {
        snapshot.api_calls += 1;
        if let Ok(listeners) = elbv2::listeners(session, &lb.arn).await
            && listeners.iter().any(|l| l.port == 443)
        {
            url = format!("https://{domain}/");
        }
    }
    if let Some(domain) = &balancer.domain
        && url.starts_with("http://")
    {
        snapshot.explanations.push(format!(
            "HTTPS on {domain} is not on yet: its certificate waits for validation (the Network step said which DNS \
             record proves the domain). Run the Network step again once ACM says it is issued; until then the app \
             answers at {url}"
        ));
    }
    snapshot.load_balancer = Some(LoadBalancerFacts {
        name: lb.name.clone(),
        dns_name: lb.dns_name.clone(),
        state: lb.state.clone(),
    });
    snapshot.url = Some(url);
    snapshot.api_calls += 2;
    let health = match elbv2::find_target_group(session, &balancer.target_group).await {
        Ok(Some(tg)) => elbv2::target_health(session, &tg.arn)
            .await
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for task in &mut snapshot.tasks {
        if let Some(h) = task
            .private_ip
            .as_ref()
            .and_then(|ip| health.iter().find(|h| &h.id == ip))
        {
            task.target_health = Some(h.state.clone());
            task.target_health_reason = match (&h.reason, &h.description) {
                (Some(r), Some(d)) => Some(format!("{r}: {d}")),
                (Some(r), None) => Some(r.clone()),
                _ => None,
            };
        }
    }
}

/// How long the health check may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Log lines kept in a snapshot.
const LOG_LINES_KEPT: usize = 50;

/// What to look at: the app's cluster, service and log group, and its
/// load balancer the load balancer way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub cluster: String,
    pub service: String,
    pub log_group: String,
    pub balancer: Option<Balancer>,
}

/// The app's load balancer and target group, by name, and its domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balancer {
    pub load_balancer: String,
    pub target_group: String,
    pub domain: Option<String>,
}

impl Target {
    /// The names dashdeploy gives an app's resources.
    pub fn for_app(app: &str) -> Target {
        Target {
            cluster: app.to_string(),
            service: app.to_string(),
            log_group: crate::aws::logs::group_name(app),
            balancer: None,
        }
    }

    /// The same, served by the app's load balancer (answering on `domain`
    /// with HTTPS, when given).
    pub fn behind_load_balancer(mut self, domain: Option<String>) -> Target {
        self.balancer = Some(Balancer {
            load_balancer: crate::aws::elbv2::load_balancer_name(&self.service),
            target_group: crate::aws::elbv2::target_group_name(&self.service),
            domain,
        });
        self
    }
}

pub async fn take(session: &Session, target: &Target) -> Result<Snapshot, String> {
    let state = status::read(session, &target.cluster, &target.service).await?;
    let mut snapshot = Snapshot {
        taken_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        api_calls: state.api_calls,
        service: state.service,
        events: state.events,
        ..Default::default()
    };
    let live = state
        .tasks
        .iter()
        .find(|t| t.last_status == "RUNNING" && t.public_ip.is_some());
    // The running task's log; with none running, the last one's says why
    // it stopped.
    if let Some(task) = live.or(state.tasks.first()) {
        let (lines, calls) =
            status::tail(session, &target.log_group, &task.id, LOG_LINES_KEPT).await;
        snapshot.logs = lines;
        snapshot.api_calls += calls;
    }
    let mut used = None;
    if snapshot.service.is_some() {
        let reading = metrics_of(session, target, &mut snapshot.api_calls).await;
        snapshot.metrics = Some(reading.metrics);
        used = reading.used;
    }
    snapshot.url = live
        .and_then(|task| task.public_ip.as_ref())
        .map(|ip| format!("http://{ip}:{APP_PORT}/"));
    snapshot.tasks = state.tasks;
    if let Some(balancer) = &target.balancer {
        balanced(session, balancer, &mut snapshot).await;
    }
    if let Some(url) = snapshot.url.clone() {
        let checked_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        snapshot.health = Some(
            match crate::http_probe::get_url(&url, HEALTH_TIMEOUT).await {
                Ok(probe) => Health {
                    url,
                    http_status: Some(probe.status),
                    latency_ms: Some(probe.latency.as_millis() as u64),
                    checked_at,
                    error: None,
                    dash: probe.is_dash_page(),
                },
                Err(e) => Health {
                    url,
                    http_status: None,
                    latency_ms: None,
                    checked_at,
                    error: Some(e),
                    dash: false,
                },
            },
        );
    }
    let found = std::mem::take(&mut snapshot.explanations);
    snapshot.explanations = explain(&snapshot, &session.region);
    snapshot.explanations.extend(found);
    if let Some(used) = used
        && let Some(advice) = size_advice(session, &snapshot, &used).await
    {
        snapshot.explanations.push(advice);
    }
    Ok(snapshot)
}

/// The service's figures: the reading of the last minute, or one
/// GetMetricData call (counted in `calls`).
async fn metrics_of(session: &Session, target: &Target, calls: &mut u32) -> metrics_cache::Reading {
    let now = std::time::Instant::now();
    let (region, cluster, service) = (&session.region, &target.cluster, &target.service);
    if let Some(kept) = metrics_cache::get(region, cluster, service, now) {
        return kept;
    }
    *calls += 1;
    let reading = match cloudwatch::utilisation(session, cluster, service, 60).await {
        Ok(u) => metrics_cache::Reading {
            metrics: Metrics::from(&u),
            used: Some(u),
        },
        Err(e) => metrics_cache::Reading {
            metrics: Metrics::unavailable(&e),
            used: None,
        },
    };
    metrics_cache::put(region, cluster, service, now, reading.clone());
    reading
}

/// Advice on the size from the figures, for the size the running tasks
/// have: only the minutes since the oldest of them started count (not a
/// size before a resize), and only while the figures are current. The
/// cost difference is priced for the tasks' architecture, read (one
/// DescribeTaskDefinition) only when there is advice to give.
async fn size_advice(
    session: &Session,
    snapshot: &Snapshot,
    used: &cloudwatch::Utilisation,
) -> Option<String> {
    let running: Vec<_> = snapshot
        .tasks
        .iter()
        .filter(|t| t.last_status == "RUNNING")
        .collect();
    let task = running.first()?;
    let (cpu, memory) = (task.cpu?, task.memory?);
    // Mid-resize (tasks of two sizes): nothing to say until it is done.
    if running
        .iter()
        .any(|t| t.cpu != Some(cpu) || t.memory != Some(memory))
    {
        return None;
    }
    let since = running
        .iter()
        .filter_map(|t| t.started_at.as_deref())
        .min()?;
    let used = used.since(since);
    if !used.is_current(chrono::Utc::now(), FIGURES_CURRENT_MINUTES) {
        return None;
    }
    let seen = Metrics::from(&used);
    let tasks = u32::try_from(running.len()).unwrap_or(1);
    let region = &session.region;
    advice(&seen, cpu, memory, tasks, Arch::X86_64, region)?;
    let arch = crate::aws::ecs_revisions::revision(session, &task.task_definition)
        .await
        .map(|r| r.arch)
        .unwrap_or(Arch::X86_64);
    advice(&seen, cpu, memory, tasks, arch, region)
}
