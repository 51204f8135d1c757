//! One look at the deployed app: the AWS facts, the URL of a running task,
//! its log tail, the HTTP health check of the URL, then the explanations.

use std::time::Duration;

use crate::aws::Session;
use crate::aws::network::APP_PORT;
use crate::aws::status;

use super::explain::explain;
use super::snapshot::{Health, Snapshot};

/// How long the health check may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Log lines kept in a snapshot.
const LOG_LINES_KEPT: usize = 50;

/// What to look at: the app's cluster, service and log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub cluster: String,
    pub service: String,
    pub log_group: String,
}

impl Target {
    /// The names dashdeploy gives an app's resources.
    pub fn for_app(app: &str) -> Target {
        Target {
            cluster: app.to_string(),
            service: app.to_string(),
            log_group: crate::aws::logs::group_name(app),
        }
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
    snapshot.url = live
        .and_then(|task| task.public_ip.as_ref())
        .map(|ip| format!("http://{ip}:{APP_PORT}/"));
    snapshot.tasks = state.tasks;
    if let Some(url) = snapshot.url.clone() {
        let host = url
            .trim_start_matches("http://")
            .split(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let checked_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        snapshot.health = Some(
            match crate::http_probe::get(&host, APP_PORT as u16, "/", HEALTH_TIMEOUT).await {
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
    snapshot.explanations = explain(&snapshot, &session.region);
    Ok(snapshot)
}
