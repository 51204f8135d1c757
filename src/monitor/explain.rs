//! The failures a Dash app on Fargate is known to hit, recognised in what
//! ECS, the health check and the log say, and put in words with what to do.

use super::snapshot::{Snapshot, TaskFacts};
use crate::fargate::{self, Arch};
use crate::pricing;

/// The next size up in memory from `cpu`/`memory`: the next memory size
/// Fargate runs with the same CPU, else the smallest pair with more CPU and
/// more memory.
pub fn next_memory(cpu: u32, memory: u32) -> Option<(u32, u32)> {
    fargate::CPU_CHOICES
        .iter()
        .filter(|c| **c >= cpu)
        .find_map(|c| {
            fargate::memory_choices(*c)?
                .into_iter()
                .find(|m| *m > memory)
                .map(|m| (*c, m))
        })
}

/// What an OOM-killed task should be given instead, with its cost.
fn out_of_memory(task: &TaskFacts, region: &str) -> String {
    let id = crate::monitor::short_id(&task.id);
    let (Some(cpu), Some(memory)) = (task.cpu, task.memory) else {
        return format!(
            "Task {id} was killed for using more memory than its size allows (OutOfMemoryError, exit code 137). \
             Rerun Sizing with more memory, then Deploy again."
        );
    };
    let Some((new_cpu, new_memory)) = next_memory(cpu, memory) else {
        return format!(
            "Task {id} was killed for using more than its {} of memory (OutOfMemoryError, exit code 137), the most \
             Fargate gives a task: the app must use less memory.",
            fargate::memory_label(memory)
        );
    };
    let more = match (
        pricing::cost(region, cpu, memory, Arch::X86_64, 1),
        pricing::cost(region, new_cpu, new_memory, Arch::X86_64, 1),
    ) {
        (Ok(now), Ok(then)) => format!(
            ", about ${:.2} a 30-day month more per task",
            then.per_month() - now.per_month()
        ),
        _ => String::new(),
    };
    format!(
        "Task {id} was killed for using more than its {} of memory (OutOfMemoryError, exit code 137). Give it {} with \
         {}{more}: rerun Sizing with that size, then Deploy again.",
        fargate::memory_label(memory),
        fargate::memory_label(new_memory),
        fargate::vcpu_label(new_cpu)
    )
}

/// Sentences for what is wrong, most useful first; none when all is well.
/// `region` prices the sizes suggested.
pub fn explain(snapshot: &Snapshot, region: &str) -> Vec<String> {
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
    balancer(snapshot, &mut push);
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
        } else if reasons.contains("unable to pull secrets") && secrets_failed(&reasons) {
            push(unreadable_secrets(&task.id, &reasons));
        } else if reasons.contains("ResourceInitializationError") {
            push(format!(
                "Task {} could not start its resources ({}): usually the log group is missing or the execution role may not use it. Retry Deploy, which makes both.",
                crate::monitor::short_id(&task.id),
                reasons.trim()
            ));
        } else if reasons.contains("OutOfMemoryError")
            || task.exit_code == Some(137) && reasons.contains("memory")
        {
            push(out_of_memory(task, region));
        } else if let Some(code) = task.exit_code.filter(|c| *c != 0)
            && let Some(var) = crate::dashapp::env_reads::crash_variable(&log)
        {
            push(format!(
                "The app crashed at start (exit code {code}): it needs the environment variable {var}, which the task \
                 does not have. Give it a value (the App step's environment screen, or [env] / secrets in \
                 dashdeploy.toml with the value in .env), then Deploy again."
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
    // ECS could not place a task: the account's Fargate vCPU quota.
    if snapshot.events.iter().take(5).any(|e| {
        e.message
            .contains("reached the limit on the number of vCPUs you can run concurrently")
    }) {
        push("Fargate would not start a task: the account has reached its quota of vCPUs running at once in this region. Stop tasks you do not need, choose a smaller size in Sizing, or ask AWS for more (Service Quotas → AWS Fargate → Fargate On-Demand vCPU resource count), then Deploy again.".into());
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

/// What the load balancer says of the tasks and of itself, in words.
fn balancer(snapshot: &Snapshot, push: &mut impl FnMut(String)) {
    if let Some(lb) = &snapshot.load_balancer
        && lb.state == "provisioning"
    {
        push(format!(
            "The load balancer {} is being made (a few minutes on AWS): {} answers once it is active.",
            lb.name, lb.dns_name
        ));
    }
    for task in snapshot.tasks.iter().filter(|t| t.last_status == "RUNNING") {
        if task.target_health.as_deref() != Some("unhealthy") {
            continue;
        }
        let reason = task.target_health_reason.as_deref().unwrap_or_default();
        let id = crate::monitor::short_id(&task.id);
        if reason.contains("ResponseCodeMismatch") {
            push(format!(
                "Task {id} fails the load balancer's health check: the checked page does not answer 200 ({reason}). \
                 Set health_check_path in dashdeploy.toml to a page of the app that answers 200 (the Network step \
                 applies it), or make / answer 200."
            ));
        } else if reason.contains("Timeout") || reason.contains("FailedHealthChecks") {
            push(format!(
                "The load balancer cannot reach task {id} on 8050 ({reason}): the tasks' security group must admit \
                 8050 from the load balancer's group (the Network step sets it; run it again if it was changed), \
                 and the app must listen on 0.0.0.0:8050."
            ));
        } else {
            push(format!(
                "Task {id} is unhealthy at the load balancer ({reason}); its log below says more."
            ));
        }
    }
}

/// The refusal is about the app's secrets in Parameter Store, not the
/// image's registry auth.
fn secrets_failed(reasons: &str) -> bool {
    let lower = reasons.to_ascii_lowercase();
    lower.contains("ssm") || lower.contains("parameter") || lower.contains("secrets from")
}

/// A task that could not read its secrets: why, in words, and what to do.
fn unreadable_secrets(task: &str, reasons: &str) -> String {
    let lower = reasons.to_ascii_lowercase();
    let why = if lower.contains("accessdenied") || lower.contains("not authorized") {
        "its execution role may not read them (ssm:GetParameters on the app's parameters, and kms:Decrypt when a \
         customer managed key encrypts them). Deploy again: it gives the app's own role exactly that; a role named \
         in dashdeploy.toml (execution_role) must be given it by its owner"
    } else if lower.contains("invalid")
        || lower.contains("not found")
        || lower.contains("parameternotfound")
    {
        "a parameter the task definition names is gone from Parameter Store. Deploy again with the value in .env \
         (or the shell): it stores the parameter again"
    } else {
        "Parameter Store did not hand them over. Check the task's network (a public IP, or a NAT or VPC endpoint \
         for SSM), then Deploy again"
    };
    format!(
        "Task {} could not read the app's secrets at start: {why}. ({})",
        crate::monitor::short_id(task),
        reasons.trim()
    )
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
            cpu: Some(512),
            memory: Some(1024),
            private_ip: None,
            target_health: None,
            target_health_reason: None,
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
        assert!(explain(&s, "us-east-1").is_empty());
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
        assert!(
            explain(&s, "us-east-1")[0].contains("public IP"),
            "{:?}",
            explain(&s, "us-east-1")
        );
        let s = Snapshot {
            tasks: vec![arch],
            logs: vec!["exec /usr/local/bin/gunicorn: exec format error".into()],
            ..Default::default()
        };
        assert!(explain(&s, "us-east-1")[0].contains("architecture"));
        let s = Snapshot {
            tasks: vec![crash.clone()],
            logs: vec!["ModuleNotFoundError: No module named 'pandas'".into()],
            ..Default::default()
        };
        assert!(
            explain(&s, "us-east-1")[0].contains("cannot import pandas"),
            "{:?}",
            explain(&s, "us-east-1")
        );
        let s = Snapshot {
            tasks: vec![crash],
            ..Default::default()
        };
        assert!(explain(&s, "us-east-1")[0].contains("exited with code 3"));
    }

    #[test]
    fn secrets_that_cannot_be_read_and_missing_variables_are_explained() {
        let mut denied = task("STOPPED");
        denied.stopped_reason = Some(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval \
             failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): \
             AccessDeniedException: User: arn:aws:sts::1:assumed-role/x is not authorized to perform: ssm:GetParameters"
                .into(),
        );
        let s = Snapshot {
            tasks: vec![denied],
            ..Default::default()
        };
        let said = explain(&s, "us-east-1");
        assert!(
            said[0].contains("could not read the app's secrets")
                && said[0].contains("ssm:GetParameters on the app's parameters"),
            "{said:?}"
        );
        let mut gone = task("STOPPED");
        gone.stopped_reason = Some(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval \
             failed: unable to retrieve secrets from ssm: invalid ssm parameters: /dashdeploy/app/API_KEY"
                .into(),
        );
        let s = Snapshot {
            tasks: vec![gone],
            ..Default::default()
        };
        assert!(explain(&s, "us-east-1")[0].contains("gone from Parameter Store"));
        let mut crash = task("STOPPED");
        crash.exit_code = Some(1);
        let s = Snapshot {
            tasks: vec![crash],
            logs: vec![
                "  File \"<frozen os>\", line 714, in __getitem__ environ".into(),
                "KeyError: 'DATABASE_URL'".into(),
            ],
            ..Default::default()
        };
        assert!(
            explain(&s, "us-east-1")[0].contains("environment variable DATABASE_URL"),
            "{:?}",
            explain(&s, "us-east-1")
        );
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
        assert!(
            explain(&s, "us-east-1").is_empty(),
            "{:?}",
            explain(&s, "us-east-1")
        );
        let mut crash = task("STOPPED");
        crash.exit_code = Some(3);
        let mut again = crash.clone();
        again.id = "another-task".into();
        let s = Snapshot {
            tasks: vec![crash, again],
            ..Default::default()
        };
        assert_eq!(
            explain(&s, "us-east-1").len(),
            1,
            "{:?}",
            explain(&s, "us-east-1")
        );
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
        assert!(explain(&s, "us-east-1")[0].contains("circuit breaker"));
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
        assert!(explain(&s, "us-east-1")[0].contains("listens on 127.0.0.1"));
    }

    #[test]
    fn an_oom_kill_suggests_the_next_size_and_its_cost_and_a_quota_is_named() {
        assert_eq!(next_memory(512, 1024), Some((512, 2048)));
        assert_eq!(next_memory(512, 4096), Some((1024, 5120)));
        assert_eq!(next_memory(256, 2048), Some((512, 3072)));
        assert_eq!(next_memory(16384, 122880), None);
        let mut oom = task("STOPPED");
        oom.exit_code = Some(137);
        oom.stopped_reason = Some("Essential container in task exited".into());
        oom.container_reason =
            Some("OutOfMemoryError: Container killed due to memory usage".into());
        let s = Snapshot {
            tasks: vec![oom],
            ..Default::default()
        };
        let said = explain(&s, "us-east-1");
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("more than its 1 GB of memory")
                && said[0].contains("Give it 2 GB with 0.5 vCPU")
                && said[0].contains("a 30-day month more per task"),
            "{said:?}"
        );
        let s = Snapshot {
            events: vec![ServiceEvent {
                at: String::new(),
                message: "(service app) was unable to place a task. Reason: You've reached the limit on the number of vCPUs you can run concurrently.".into(),
            }],
            ..Default::default()
        };
        assert!(explain(&s, "us-east-1")[0].contains("quota of vCPUs"));
    }
}
