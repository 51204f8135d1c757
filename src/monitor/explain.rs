//! The failures a Dash app on Fargate is known to hit, recognised in what
//! ECS, the health check and the log say, and put in words with what to do.

use super::snapshot::Snapshot;

/// Sentences for what is wrong, most useful first; none when all is well.
pub fn explain(snapshot: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |text: String| {
        if !out.contains(&text) {
            out.push(text);
        }
    };
    // Tasks ECS stopped on purpose (a rollout draining the old revision, a
    // scale-in, a user) are not failures.
    let failed = snapshot.tasks.iter().filter(|t| {
        t.last_status == "STOPPED"
            && !t.stopped_reason.as_deref().is_some_and(|r| {
                r.contains("Scaling activity initiated")
                    || r.contains("stopped by user")
                    || r.contains("Service ") && r.contains("deployment")
            })
    });
    for task in failed {
        let reasons = format!(
            "{} {}",
            task.stopped_reason.as_deref().unwrap_or_default(),
            task.container_reason.as_deref().unwrap_or_default()
        );
        let log = snapshot.logs.join("\n");
        if reasons.contains("exec format error") || log.contains("exec format error") {
            push("The image was built for another CPU architecture than the task runs on (\"exec format error\"). Build for the task's architecture, or rerun Sizing so the task follows the image's.".into());
        } else if reasons.contains("CannotPullContainerError") {
            push(format!(
                "Task {} could not pull its image ({}). A Fargate task needs a public IP (or a NAT) to reach ECR, and an execution role allowed to pull (AmazonECSTaskExecutionRolePolicy); check the subnets map public IPs, then retry Deploy.",
                crate::monitor::short_id(&task.id),
                reasons.trim()
            ));
        } else if reasons.contains("ResourceInitializationError") {
            push(format!(
                "Task {} could not start its resources ({}): usually the log group is missing or the execution role may not use it. Retry Deploy, which makes both.",
                crate::monitor::short_id(&task.id),
                reasons.trim()
            ));
        } else if let Some(code) = task.exit_code.filter(|c| *c != 0) {
            let missing = log
                .lines()
                .rev()
                .find_map(|l| l.split("No module named ").nth(1))
                .map(|m| m.trim().trim_matches('\'').to_string());
            match missing {
                Some(module) => push(format!(
                    "The app crashed at start (exit code {code}): Python cannot import {module}. Add the package that provides it to requirements.txt, then Build, Push and Deploy again."
                )),
                None => push(format!(
                    "A task stopped: the app exited with code {code} ({}). Its last log lines are below.",
                    task.stopped_reason.as_deref().unwrap_or("no reason given")
                )),
            }
        }
    }
    if let Some(service) = &snapshot.service {
        let rolled_back = service.rollout == "FAILED"
            || snapshot.events.iter().take(5).any(|e| {
                e.message.contains("circuit breaker") || e.message.contains("rolling back")
            });
        if rolled_back {
            push("The new tasks kept failing, so the deployment circuit breaker rolled the service back to the previous revision. See the stopped tasks' reasons and the log, fix the app, then Deploy again.".into());
        }
    }
    if let Some(health) = &snapshot.health
        && health.http_status.is_none()
        && snapshot.tasks.iter().any(|t| t.last_status == "RUNNING")
    {
        let log = snapshot.logs.join("\n");
        if log.contains("127.0.0.1:8050") || log.contains("localhost:8050") {
            push("The app runs but listens on 127.0.0.1 inside the container, so nothing outside can reach it. Let the App step fix the run call (host=\"0.0.0.0\") or serve it with gunicorn --bind 0.0.0.0:8050, then Build, Push and Deploy again.".into());
        } else if let Some(error) = &health.error {
            push(format!(
                "{} does not answer ({error}). If it stays so: check the security group allows your address on TCP 8050 (Network step), and that the app listens on 0.0.0.0:8050.",
                health.url
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::snapshot::{Health, ServiceEvent, ServiceFacts, TaskFacts};

    fn task(status: &str) -> TaskFacts {
        TaskFacts {
            id: "4f1c2b3a9d8e".into(),
            last_status: status.into(),
            desired_status: status.into(),
            started_at: None,
            stopped_at: None,
            public_ip: Some("54.1.2.3".into()),
            stopped_reason: None,
            exit_code: None,
            container_reason: None,
            task_definition: "app:1".into(),
        }
    }

    fn service(rollout: &str) -> ServiceFacts {
        ServiceFacts {
            name: "app".into(),
            cluster: "app".into(),
            status: "ACTIVE".into(),
            desired: 1,
            running: 0,
            pending: 0,
            rollout: rollout.into(),
            rollout_reason: None,
            task_definition: "app:2".into(),
            deployments: 1,
        }
    }

    #[test]
    fn a_healthy_service_needs_no_words() {
        let s = Snapshot {
            service: Some(service("COMPLETED")),
            tasks: vec![task("RUNNING")],
            ..Default::default()
        };
        assert!(explain(&s).is_empty());
    }

    #[test]
    fn known_stop_reasons_are_explained() {
        let mut t = task("STOPPED");
        t.container_reason = Some("CannotPullContainerError: pull access denied".into());
        let mut arch = task("STOPPED");
        arch.exit_code = Some(1);
        let mut crash = task("STOPPED");
        crash.exit_code = Some(3);
        crash.stopped_reason = Some("Essential container in task exited".into());
        let s = Snapshot {
            tasks: vec![t],
            ..Default::default()
        };
        assert!(explain(&s)[0].contains("public IP"), "{:?}", explain(&s));
        let s = Snapshot {
            tasks: vec![arch],
            logs: vec!["exec /usr/local/bin/gunicorn: exec format error".into()],
            ..Default::default()
        };
        assert!(explain(&s)[0].contains("architecture"));
        let s = Snapshot {
            tasks: vec![crash.clone()],
            logs: vec!["ModuleNotFoundError: No module named 'pandas'".into()],
            ..Default::default()
        };
        assert!(
            explain(&s)[0].contains("cannot import pandas"),
            "{:?}",
            explain(&s)
        );
        let s = Snapshot {
            tasks: vec![crash],
            ..Default::default()
        };
        assert!(explain(&s)[0].contains("exited with code 3"));
    }

    #[test]
    fn tasks_stopped_on_purpose_are_not_failures_and_repeats_say_it_once() {
        let mut drained = task("STOPPED");
        drained.exit_code = Some(143);
        drained.stopped_reason =
            Some("Scaling activity initiated by (deployment ecs-svc/1)".into());
        let s = Snapshot {
            tasks: vec![drained],
            ..Default::default()
        };
        assert!(explain(&s).is_empty(), "{:?}", explain(&s));
        let mut crash = task("STOPPED");
        crash.exit_code = Some(3);
        let mut again = crash.clone();
        again.id = "another-task".into();
        let s = Snapshot {
            tasks: vec![crash, again],
            ..Default::default()
        };
        assert_eq!(explain(&s).len(), 1, "{:?}", explain(&s));
    }

    #[test]
    fn a_rollback_and_a_loopback_listener_are_explained() {
        let s = Snapshot {
            service: Some(service("FAILED")),
            events: vec![ServiceEvent {
                at: String::new(),
                message: "(service app) deployment failed: tasks failed to start.".into(),
            }],
            ..Default::default()
        };
        assert!(explain(&s)[0].contains("circuit breaker"));
        let s = Snapshot {
            tasks: vec![task("RUNNING")],
            health: Some(Health {
                url: "http://54.1.2.3:8050/".into(),
                http_status: None,
                latency_ms: None,
                checked_at: String::new(),
                error: Some("connection refused".into()),
                dash: false,
            }),
            logs: vec!["Dash is running on http://127.0.0.1:8050/".into()],
            ..Default::default()
        };
        assert!(explain(&s)[0].contains("listens on 127.0.0.1"));
    }
}
