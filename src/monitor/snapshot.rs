//! What the monitor knows at one moment: the service, its tasks, the URL
//! and its health check, the service's events and the log tail, and what
//! the known failures among them mean. Plain data: the wizard draws it,
//! `status --json` prints it.

use serde::Serialize;

pub use crate::aws::status::{ServiceEvent, ServiceFacts, TaskFacts};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub url: String,
    /// The HTTP status, when the app answered.
    pub http_status: Option<u16>,
    pub latency_ms: Option<u64>,
    /// RFC 3339.
    pub checked_at: String,
    /// Why there is no answer, when there is none.
    pub error: Option<String>,
    /// The answer is a Dash page.
    pub dash: bool,
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        self.http_status == Some(200) && self.dash
    }
}

/// The app's load balancer, the load balancer way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadBalancerFacts {
    pub name: String,
    pub dns_name: String,
    /// `provisioning`, `active`, `active_impaired`, `failed`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Snapshot {
    pub service: Option<ServiceFacts>,
    /// Running ones first, then the most recently stopped.
    pub tasks: Vec<TaskFacts>,
    /// `http://<public ip>:8050/` of a running task, or the load
    /// balancer's address.
    pub url: Option<String>,
    /// The load balancer, the load balancer way.
    pub load_balancer: Option<LoadBalancerFacts>,
    pub health: Option<Health>,
    /// The service's CPU and memory use (CloudWatch), when there is a service.
    pub metrics: Option<super::metrics::Metrics>,
    /// Newest first.
    pub events: Vec<ServiceEvent>,
    /// The last lines of the running task's log, oldest first.
    pub logs: Vec<String>,
    /// Known failures in words, with what to do.
    pub explanations: Vec<String>,
    /// RFC 3339.
    pub taken_at: String,
    /// AWS API calls made to take this snapshot.
    pub api_calls: u32,
}

impl Snapshot {
    /// The size the running task reserves, as labels: ("0.5 vCPU", "1 GB")
    /// (a starting task's when none runs; None where ECS did not say).
    pub fn reserved(&self) -> (Option<String>, Option<String>) {
        let task = self
            .tasks
            .iter()
            .find(|t| t.last_status == "RUNNING")
            .or(self.tasks.first());
        (
            task.and_then(|t| t.cpu).map(crate::fargate::vcpu_label),
            task.and_then(|t| t.memory)
                .map(crate::fargate::memory_label),
        )
    }

    /// The service runs what it should and the app answers with a Dash
    /// page (behind a load balancer, through it, every task in service).
    pub fn is_healthy(&self) -> bool {
        self.is_steady()
            && self.in_service()
            && self.health.as_ref().is_some_and(Health::is_healthy)
    }

    /// Behind a load balancer: each task that is to keep running passed
    /// the load balancer's health checks (an answer before that may come
    /// from a task the load balancer only tries because none is healthy
    /// yet). Without one: true.
    pub fn in_service(&self) -> bool {
        if self.load_balancer.is_none() {
            return true;
        }
        let kept: Vec<&TaskFacts> = self
            .tasks
            .iter()
            .filter(|t| t.last_status == "RUNNING" && t.desired_status == "RUNNING")
            .filter(|t| t.target_health.as_deref() != Some("draining"))
            .collect();
        !kept.is_empty()
            && kept
                .iter()
                .all(|t| t.target_health.as_deref() == Some("healthy"))
    }

    /// One deployment, as many tasks running as desired, none starting.
    /// (ECS marks the rollout COMPLETED only minutes after that, and the
    /// emulator never does, so the rollout state itself is not waited for,
    /// only a failed one counts against it.)
    pub fn is_steady(&self) -> bool {
        self.service.as_ref().is_some_and(|s| {
            s.status == "ACTIVE"
                && s.rollout != "FAILED"
                && s.deployments <= 1
                && s.running == s.desired
                && s.pending == 0
        })
    }

    /// Why it is not healthy, for a watch that gave up: the line and the
    /// explanations.
    pub fn why(&self) -> String {
        let mut why = self.line();
        for e in &self.explanations {
            why.push_str(". ");
            why.push_str(e);
        }
        why
    }

    /// The line without the latency, which changes at every look: what a
    /// follower prints when it changes.
    pub fn state_line(&self) -> String {
        let mut line = self.line();
        if let Some(at) = line.rfind(" in ")
            && line.ends_with(" ms")
        {
            line.truncate(at);
        }
        line
    }

    /// One line: `ACTIVE · rollout COMPLETED · sample:3 · 1/1 running · http://...: 200 in 84 ms`.
    pub fn line(&self) -> String {
        let Some(s) = &self.service else {
            return "no service".to_string();
        };
        let health = match &self.health {
            Some(h) => match (h.http_status, &h.error) {
                (Some(code), _) => {
                    format!(" · {}: {code} in {} ms", h.url, h.latency_ms.unwrap_or(0))
                }
                (None, Some(e)) => format!(" · {}: {e}", h.url),
                (None, None) => String::new(),
            },
            None => " · no public address yet".to_string(),
        };
        format!(
            "{} · rollout {} · {} · {}/{} running{health}",
            s.status, s.rollout, s.task_definition, s.running, s.desired
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, last: &str, desired: &str, health: Option<&str>) -> TaskFacts {
        TaskFacts {
            id: id.into(),
            last_status: last.into(),
            desired_status: desired.into(),
            started_at: None,
            stopped_at: None,
            public_ip: None,
            stopped_reason: None,
            exit_code: None,
            container_reason: None,
            task_definition: "sales:2".into(),
            cpu: None,
            memory: None,
            private_ip: Some(format!("10.0.0.{}", id.len())),
            target_health: health.map(str::to_string),
            target_health_reason: None,
        }
    }

    fn behind(tasks: Vec<TaskFacts>) -> Snapshot {
        Snapshot {
            tasks,
            load_balancer: Some(LoadBalancerFacts {
                name: "dd-sales".into(),
                dns_name: "dd-sales-1.us-east-1.elb.amazonaws.com".into(),
                state: "active".into(),
            }),
            ..Snapshot::default()
        }
    }

    #[test]
    fn behind_a_load_balancer_every_kept_task_must_be_in_service() {
        let healthy = || task("a", "RUNNING", "RUNNING", Some("healthy"));
        assert!(behind(vec![healthy()]).in_service());
        // One still initial (an answer may come from the load balancer
        // failing open): not yet.
        assert!(
            !behind(vec![
                healthy(),
                task("bb", "RUNNING", "RUNNING", Some("initial"))
            ])
            .in_service()
        );
        // A draining old task, or one on its way out, does not count.
        assert!(
            behind(vec![
                healthy(),
                task("bb", "RUNNING", "RUNNING", Some("draining"))
            ])
            .in_service()
        );
        assert!(
            behind(vec![
                healthy(),
                task("bb", "RUNNING", "STOPPED", Some("unhealthy"))
            ])
            .in_service()
        );
        // None running: not in service.
        assert!(!behind(vec![task("a", "STOPPED", "STOPPED", None)]).in_service());
        // Without a load balancer there is nothing to wait for.
        assert!(Snapshot::default().in_service());
    }
}
