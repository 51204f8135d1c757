//! One look at the deployed app: the AWS facts, then the HTTP health check
//! of the URL found, then the explanations.

use std::time::Duration;

use crate::aws::network::APP_PORT;
use crate::aws::status::{self, Clients};

use super::explain::explain;
use super::snapshot::{Health, Snapshot};

/// How long the health check may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// What to watch: the app's cluster, service and log group.
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

pub async fn take(clients: &Clients, target: &Target) -> Result<Snapshot, String> {
    let mut snapshot =
        status::read(clients, &target.cluster, &target.service, &target.log_group).await?;
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
    snapshot.explanations = explain(&snapshot);
    Ok(snapshot)
}
