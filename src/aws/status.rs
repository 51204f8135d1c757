//! Reading a running deployment: the ECS service with its deployments and
//! events, its tasks (running and recently stopped) with their public IPs
//! (through each task's network interface), and the tail of a task's
//! CloudWatch log. Read-only; plain facts (the monitor makes its snapshot
//! of them); counts the calls it makes.

use aws_sdk_ecs::types::DesiredStatus;
use serde::Serialize;

use super::ecs::CONTAINER;
use super::error;
use super::session::Session;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceFacts {
    pub name: String,
    pub cluster: String,
    /// ACTIVE, DRAINING, INACTIVE, or MISSING when there is none.
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The primary deployment's rollout state: IN_PROGRESS, COMPLETED, FAILED.
    pub rollout: String,
    /// Why the rollout is in that state, when ECS says.
    pub rollout_reason: Option<String>,
    /// `family:revision` the service runs.
    pub task_definition: String,
    /// Deployments in flight (more than one while rolling).
    pub deployments: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskFacts {
    /// The task id (last part of its ARN).
    pub id: String,
    pub last_status: String,
    pub desired_status: String,
    /// RFC 3339.
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    pub public_ip: Option<String>,
    pub stopped_reason: Option<String>,
    pub exit_code: Option<i32>,
    /// The container's own reason (for example "CannotPullContainerError: ...").
    pub container_reason: Option<String>,
    /// `family:revision`.
    pub task_definition: String,
    /// The task's size: CPU units and memory in MiB.
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    /// Its address in the VPC (the load balancer's target).
    pub private_ip: Option<String>,
    /// The load balancer's view of it: initial, healthy, unhealthy,
    /// draining (the load balancer way only).
    pub target_health: Option<String>,
    /// Why, when it is not healthy: `Target.ResponseCodeMismatch: …`.
    pub target_health_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceEvent {
    /// RFC 3339.
    pub at: String,
    pub message: String,
}

/// The service and its tasks as ECS and EC2 describe them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceState {
    /// None when there is no such service (or cluster).
    pub service: Option<ServiceFacts>,
    /// Running ones first, then starting ones, then the most recently stopped.
    pub tasks: Vec<TaskFacts>,
    /// Newest first.
    pub events: Vec<ServiceEvent>,
    /// AWS API calls made to read this.
    pub api_calls: u32,
}

/// Service events kept.
const EVENTS_KEPT: usize = 20;

fn rfc3339(t: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    let t = t?;
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// `family:revision` from a task definition ARN.
pub fn short_td(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// N in a stop reason that says "(exit code N)".
fn exit_code_in(reason: &str) -> Option<i32> {
    let at = reason.find("exit code ")? + "exit code ".len();
    let digits: String = reason[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

/// What the tasks' log streams start with (the awslogs prefix is
/// `dashdeploy`); the run lock's stream does not.
pub const STREAM_PREFIX: &str = "dashdeploy/";

/// The log stream of a task's container.
pub fn log_stream(task_id: &str) -> String {
    format!("{STREAM_PREFIX}{CONTAINER}/{task_id}")
}

/// The service `service` in `cluster` and its tasks.
pub async fn read(session: &Session, cluster: &str, service: &str) -> Result<ServiceState, String> {
    let mut state = ServiceState::default();
    let found = session
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await;
    state.api_calls += 1;
    let found = match found {
        Ok(found) => found,
        Err(e) if error::code(&e) == Some("ClusterNotFoundException") => return Ok(state),
        Err(e) => return Err(error::sentence("read the ECS service", &e)),
    };
    let Some(svc) = found
        .services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
        .or(found.services().first())
    else {
        return Ok(state);
    };
    state.events = svc
        .events()
        .iter()
        .take(EVENTS_KEPT)
        .map(|e| ServiceEvent {
            at: rfc3339(e.created_at()).unwrap_or_default(),
            message: e.message().unwrap_or_default().to_string(),
        })
        .collect();
    let primary = svc
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));

    // Tasks: the running ones, then the recently stopped.
    let mut arns = Vec::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let list = session
            .ecs()
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(status)
            .send()
            .await;
        state.api_calls += 1;
        match list {
            Ok(list) => arns.extend(list.task_arns().iter().cloned()),
            Err(e) => return Err(error::sentence("list the service's tasks", &e)),
        }
    }
    let mut tasks = Vec::new();
    if !arns.is_empty() {
        let described = session
            .ecs()
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns.into_iter().take(100).collect()))
            .send()
            .await
            .map_err(|e| error::sentence("read the service's tasks", &e))?;
        state.api_calls += 1;
        tasks = described.tasks().to_vec();
    }
    // Public IPs through the tasks' network interfaces.
    let enis: Vec<(String, String)> = tasks
        .iter()
        .filter_map(|t| {
            let id = t.task_arn()?.rsplit('/').next()?.to_string();
            let eni = t
                .attachments()
                .iter()
                .filter(|a| a.r#type() == Some("ElasticNetworkInterface"))
                .flat_map(|a| a.details())
                .find(|d| d.name() == Some("networkInterfaceId"))
                .and_then(|d| d.value())?;
            Some((id, eni.to_string()))
        })
        .collect();
    let mut ips = std::collections::HashMap::new();
    if !enis.is_empty() {
        let ids: Vec<String> = enis.iter().map(|(_, e)| e.clone()).collect();
        let described = match session.ec2() {
            Ok(ec2) => ec2.describe_network_interfaces(&ids).await.ok(),
            Err(_) => None,
        };
        state.api_calls += 1;
        // An interface already deleted (a stopped task) is not an error.
        for ni in described.into_iter().flatten() {
            if let Some(ip) = ni.public_ip {
                ips.insert(ni.id, ip);
            }
        }
    }
    let mut facts: Vec<TaskFacts> = tasks
        .iter()
        .map(|t| {
            let id = t
                .task_arn()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or_default()
                .to_string();
            let container = t.containers().first();
            let public_ip = enis
                .iter()
                .find(|(task, _)| *task == id)
                .and_then(|(_, eni)| ips.get(eni).cloned());
            TaskFacts {
                last_status: t.last_status().unwrap_or("UNKNOWN").to_string(),
                desired_status: t.desired_status().unwrap_or("UNKNOWN").to_string(),
                started_at: rfc3339(t.started_at()),
                stopped_at: rfc3339(t.stopped_at()),
                public_ip,
                stopped_reason: t
                    .stopped_reason()
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                // Only a stopped task's exit code means anything; a code in
                // the stop reason ("... exited (exit code 137)") wins over a
                // container that says 0 or nothing.
                exit_code: exit_code_in(t.stopped_reason().unwrap_or_default())
                    .or(container.and_then(|c| c.exit_code()))
                    .filter(|_| t.last_status() == Some("STOPPED")),
                container_reason: container
                    .and_then(|c| c.reason())
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                task_definition: short_td(t.task_definition_arn().unwrap_or_default()),
                cpu: t.cpu().and_then(|c| c.parse().ok()),
                memory: t.memory().and_then(|m| m.parse().ok()),
                private_ip: t
                    .attachments()
                    .iter()
                    .flat_map(|a| a.details())
                    .find(|d| d.name() == Some("privateIPv4Address"))
                    .and_then(|d| d.value())
                    .map(str::to_string),
                target_health: None,
                target_health_reason: None,
                id,
            }
        })
        .collect();
    // Running first, then starting, then the stopped by how recently.
    let rank = |status: &str| match status {
        "RUNNING" => 0,
        "STOPPED" => 2,
        _ => 1,
    };
    facts.sort_by(|a, b| {
        rank(&a.last_status)
            .cmp(&rank(&b.last_status))
            .then(b.stopped_at.cmp(&a.stopped_at))
            .then(b.started_at.cmp(&a.started_at))
    });
    let running = facts.iter().filter(|t| t.last_status == "RUNNING").count() as i32;
    let pending = facts
        .iter()
        .filter(|t| {
            matches!(
                t.last_status.as_str(),
                "PROVISIONING" | "PENDING" | "ACTIVATING"
            )
        })
        .count() as i32;
    let deployments = svc.deployments().len();
    let rollout = primary
        .and_then(|d| d.rollout_state())
        .map(|r| r.as_str().to_string())
        .unwrap_or_else(|| {
            // Without a rollout state (older APIs, the emulator), a single
            // deployment with every task running counts as completed.
            if deployments <= 1 && running == svc.desired_count() && pending == 0 {
                "COMPLETED".to_string()
            } else {
                "IN_PROGRESS".to_string()
            }
        });
    state.service = Some(ServiceFacts {
        name: svc.service_name().unwrap_or(service).to_string(),
        cluster: cluster.to_string(),
        status: svc.status().unwrap_or("UNKNOWN").to_string(),
        desired: svc.desired_count(),
        running,
        pending,
        rollout,
        rollout_reason: primary
            .and_then(|d| d.rollout_state_reason())
            .map(str::to_string),
        task_definition: short_td(svc.task_definition().unwrap_or_default()),
        deployments,
    });
    state.tasks = facts;
    Ok(state)
}

/// The last `keep` lines of a task's log, and the calls made; none when
/// there is no stream yet.
pub async fn tail(
    session: &Session,
    group: &str,
    task_id: &str,
    keep: usize,
) -> (Vec<String>, u32) {
    let events = session
        .logs()
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(log_stream(task_id))
        .start_from_head(false)
        .limit(keep as i32)
        .send()
        .await;
    let lines = match events {
        Ok(events) => events
            .events()
            .iter()
            .filter_map(|e| {
                e.message()
                    .map(|m| crate::plain_text::plain(m).trim_end().to_string())
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    (lines, 1)
}

/// One line of the app's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// CloudWatch's id of the event: the same event read twice has the same.
    pub id: String,
    /// Epoch milliseconds.
    pub at: i64,
    pub message: String,
}

/// Pages of one FilterLogEvents read at the most: AWS may answer pages
/// with no events and a next token for a while; this bounds a broken one.
const MAX_PAGES: usize = 10_000;

/// The app's log events since `since_ms` (epoch milliseconds), across its
/// tasks' streams, oldest first. Every page is read, empty ones too, until
/// CloudWatch gives no next token.
pub async fn log_lines(
    session: &Session,
    group: &str,
    since_ms: i64,
) -> Result<Vec<LogEvent>, String> {
    let logs = session.logs();
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let asked = token.take();
        let page = logs
            .filter_log_events()
            .log_group_name(group)
            // The tasks' streams only, not the run lock's.
            .log_stream_name_prefix(STREAM_PREFIX)
            .start_time(since_ms)
            .set_next_token(asked.clone())
            .send()
            .await
            .map_err(|e| {
                if error::code(&e) == Some("ResourceNotFoundException") {
                    format!("There is no log group {group}: the app has not been deployed here (run dashdeploy deploy), or it was destroyed.")
                } else {
                    error::sentence(&format!("read the log group {group}"), &e)
                }
            })?;
        for e in page.events() {
            if let (Some(at), Some(message)) = (e.timestamp(), e.message()) {
                events.push(LogEvent {
                    id: e.event_id().unwrap_or_default().to_string(),
                    at,
                    message: crate::plain_text::plain(message).trim_end().to_string(),
                });
            }
        }
        match page.next_token() {
            // The same token again would read the same page forever.
            Some(next) if Some(next) != asked.as_deref() => token = Some(next.to_string()),
            _ => break,
        }
    }
    events.sort_by_key(|e| e.at);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_read_from_stop_reasons() {
        assert_eq!(
            exit_code_in("Essential container in task exited (exit code 137)"),
            Some(137)
        );
        assert_eq!(exit_code_in("Essential container in task exited"), None);
        assert_eq!(
            short_td("arn:aws:ecs:us-east-1:1:task-definition/app:3"),
            "app:3"
        );
    }
}
