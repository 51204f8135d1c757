//! Each state of the wizard drawn into ratatui's TestBackend and compared
//! with its reviewed snapshot (tests/snapshots).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use dashdeploy::app::{Action, App, Input, StepState};
use dashdeploy::pipeline::{CheckId, CheckState, StepId, StepStatus};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[test]
fn all_pending() {
    let mut app = started();
    app.steps[StepId::Prereqs.index()].status = StepStatus::Pending;
    app.steps[StepId::Prereqs.index()].run_id = None;
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn prerequisites_running() {
    let mut app = started();
    feed(
        &mut app,
        vec![
            event(
                StepId::Prereqs,
                1,
                check(CheckId::Docker, CheckState::Running),
            ),
            event(StepId::Prereqs, 1, check(CheckId::Aws, CheckState::Running)),
            event(
                StepId::Prereqs,
                1,
                check(
                    CheckId::Arch,
                    passed("x86_64: images built here run on X86_64 tasks", &[]),
                ),
            ),
        ],
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn prerequisites_failed_with_its_error() {
    let mut app = started();
    prereqs_fail(&mut app, 1);
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn root_user_warning() {
    let mut app = started();
    feed(
        &mut app,
        vec![event(
            StepId::Prereqs,
            1,
            check(
                CheckId::Aws,
                CheckState::Warning {
                    summary: "ROOT USER arn:aws:iam::123456789012:root".into(),
                    lines: vec![
                        "These are the root user's keys, as the tutorial uses. Root keys can do anything, close the account included, and cannot be limited or safely shared. Create an IAM Identity Center (SSO) or IAM user with only the rights a deploy needs, and use its profile instead.".into(),
                        "account 123456789012 · region us-east-1".into(),
                    ],
                },
            ),
        )],
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn all_done() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..] {
        app.steps[step.index()] = StepState {
            status: StepStatus::Done,
            run_id: Some(1),
            summary: Some(format!("{} finished", step.title())),
            error: None,
        };
    }
    app.selected = StepId::Monitor;
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn help_overlay() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    app.update(Input::Key(Action::Help), NOW);
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn confirm_quit_overlay() {
    let mut app = started();
    app.update(Input::Key(Action::Quit), NOW);
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn sample_offer() {
    let mut init = init();
    init.app_dir = None;
    init.app_name = None;
    init.sample_dest = Some("/home/ana/dashdeploy-sample".into());
    let (app, _) = App::new(init);
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn log_hidden() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    app.update(Input::Key(Action::ToggleLog), NOW);
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn terminal_too_small() {
    let app = started();
    let screen = render(&app, 79, 24);
    assert!(
        screen.contains("at least 80×24; this one is 79×24"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    let screen = render(&app, 120, 23);
    assert!(screen.contains("this one is 120×23"), "{screen}");
}

#[test]
fn the_quit_question_shows_in_a_terminal_too_small_for_the_popup() {
    let mut app = started();
    app.update(Input::Key(Action::Quit), NOW);
    let screen = render(&app, 79, 24);
    assert!(
        screen.contains("Prerequisites is still running: y quits anyway"),
        "{screen}"
    );
    // The step ends while the question is open: it says so.
    prereqs_fail(&mut app, 1);
    let screen = render(&app, 79, 24);
    assert!(screen.contains("Quit? y quits, n stays."), "{screen}");
    let screen = render(&app, 100, 30);
    assert!(screen.contains("Nothing is running any more."), "{screen}");
}

#[test]
fn the_smallest_terminal_shows_every_step() {
    let app = started();
    let screen = render(&app, 80, 24);
    for step in StepId::ALL {
        assert!(
            screen.contains(step.title()),
            "{} missing:\n{screen}",
            step.title()
        );
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn states_have_their_colours() {
    use ratatui::style::Color;
    let mut app = started();
    prereqs_fail(&mut app, 1);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal
        .draw(|frame| dashdeploy::ui::draw(&app, frame))
        .unwrap();
    let buffer = terminal.backend().buffer();
    // Row 2 is the first step; its mark sits in column 2.
    assert_eq!(buffer[(2, 2)].symbol(), "✗");
    assert_eq!(buffer[(2, 2)].fg, Color::Red);
    assert_eq!(buffer[(2, 3)].symbol(), "·");
    assert_eq!(buffer[(2, 3)].fg, Color::DarkGray);
    prereqs_pass(&mut app, 1);
    app.update(Input::Key(Action::Retry), NOW);
    prereqs_pass(&mut app, 2);
    terminal
        .draw(|frame| dashdeploy::ui::draw(&app, frame))
        .unwrap();
    let buffer = terminal.backend().buffer();
    assert_eq!(buffer[(2, 2)].symbol(), "✓");
    assert_eq!(buffer[(2, 2)].fg, Color::Green);
}

#[test]
fn app_fixes_to_accept() {
    let (app_fixes, _) = tutorial_proposals();
    let app = waiting_on(StepId::App, app_fixes);
    insta::assert_snapshot!(render(&app, 110, 40));
}

#[test]
fn dockerfile_to_accept() {
    let (_, dockerfile) = tutorial_proposals();
    let app = waiting_on(StepId::Dockerfile, dockerfile);
    insta::assert_snapshot!(render(&app, 110, 40));
}

#[test]
fn choose_the_entry_module() {
    let app = waiting_on(
        StepId::App,
        dashdeploy::pipeline::Proposal::ChooseEntry(vec!["admin.py".into(), "dashboard.py".into()]),
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn build_in_progress() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in [StepId::App, StepId::Dockerfile] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Build;
    app.update(Input::Key(Action::Activate), NOW);
    feed(
        &mut app,
        vec![event(
            StepId::Build,
            2,
            dashdeploy::pipeline::EventKind::Progress {
                label: "Step 5/11 : RUN pip install --no-cache-dir -r requirements.txt".into(),
                done: 5,
                total: 11,
                elapsed_ms: 12_300,
            },
        )],
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn local_test_answering() {
    let app = waiting_on(
        StepId::LocalTest,
        dashdeploy::pipeline::Proposal::LocalTestUp {
            url: "http://127.0.0.1:40123/".into(),
        },
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn root_user_confirmation() {
    let mut app = started();
    feed(
        &mut app,
        vec![event(
            StepId::Prereqs,
            1,
            dashdeploy::pipeline::EventKind::Proposal(
                dashdeploy::pipeline::Proposal::ConfirmRoot {
                    arn: "arn:aws:iam::123456789012:root".into(),
                },
            ),
        )],
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn credentials_form_masks_the_secret() {
    use dashdeploy::app::FormKey;
    let mut app = started();
    prereqs_fail(&mut app, 1);
    app.update(Input::Key(Action::Credentials), NOW);
    app.update(
        Input::Profiles(
            vec!["default".into(), "work".into()],
            Some("/home/ana/.aws/credentials".into()),
        ),
        NOW,
    );
    for key in [
        FormKey::Down,
        FormKey::Down,
        FormKey::Tab,
        FormKey::Tab,
        FormKey::Tab,
        FormKey::Tab,
    ] {
        app.update(Input::Form(key), NOW);
    }
    for c in "hunter2-secret".chars() {
        app.update(Input::Form(FormKey::Char(c)), NOW);
    }
    let screen = render(&app, 100, 30);
    assert!(!screen.contains("hunter2"), "{screen}");
    assert!(screen.contains("••••••••••••••"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn push_with_several_layers_in_flight() {
    use dashdeploy::pipeline::{EventKind, LayerProgress, LayerState, PushProgress};
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in [
        StepId::App,
        StepId::Dockerfile,
        StepId::Build,
        StepId::LocalTest,
        StepId::Registry,
    ] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Push;
    app.update(Input::Key(Action::Activate), NOW);
    let layer = |id: &str, state, current, total| LayerProgress {
        id: id.into(),
        state,
        current,
        total,
    };
    let transfer = PushProgress {
        label: "123456789012.dkr.ecr.us-east-1.amazonaws.com/sample:3f2a1b9c0d4e".into(),
        layers: vec![
            layer("5f70bf18a086", LayerState::Exists, 0, 0),
            layer("a1b2c3d4e5f6", LayerState::Pushed, 41_200_000, 41_200_000),
            layer("b2c3d4e5f6a7", LayerState::Pushing, 12_300_000, 40_100_000),
            layer("c3d4e5f6a7b8", LayerState::Pushing, 2_000_000, 8_000_000),
            layer("d4e5f6a7b8c9", LayerState::Retrying, 500_000, 3_000_000),
            layer("e5f6a7b8c9d0", LayerState::Waiting, 0, 0),
        ],
        sent: 56_000_000,
        total: 92_300_000,
        elapsed_ms: 4_200,
        bytes_per_sec: 31_200_000.0,
    };
    feed(
        &mut app,
        vec![event(StepId::Push, 2, EventKind::Push(transfer))],
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

fn sizing(cpu: u32, memory: u32, desired: u32) -> dashdeploy::pipeline::Proposal {
    dashdeploy::pipeline::Proposal::Sizing(Box::new(dashdeploy::pipeline::SizingProposal {
        region: "us-east-1".into(),
        cpu,
        memory,
        arch: dashdeploy::fargate::Arch::X86_64,
        arch_reason: "the image is linux/amd64".into(),
        desired,
    }))
}

#[test]
fn sizing_with_cost() {
    let app = waiting_on(StepId::Sizing, sizing(512, 1024, 1));
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("[2 0.5]") && screen.contains("[1 GB]"),
        "{screen}"
    );
    assert!(screen.contains("≈ $0.0297/h"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn sizing_redraws_the_cost_as_keys_change_it() {
    let mut app = waiting_on(StepId::Sizing, sizing(512, 1024, 1));
    for action in [Action::Choose(3), Action::Right, Action::More] {
        app.update(Input::Key(action), NOW);
    }
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("[3 1]") && screen.contains("[3 GB]"),
        "{screen}"
    );
    assert!(screen.contains("2 tasks ≈"), "{screen}");
    assert!(!screen.contains("$0.0297/h"), "{screen}");
    // The many memory sizes of 4 vCPU fit in the panel, around the chosen one.
    let app = waiting_on(StepId::Sizing, sizing(4096, 30720, 1));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("[30 GB]"), "{screen}");
    let app = waiting_on(StepId::Sizing, sizing(4096, 8192, 100));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("[8 GB]") && screen.contains("100 tasks"),
        "{screen}"
    );
}

fn ingress(suggested: Option<&str>) -> dashdeploy::pipeline::Proposal {
    dashdeploy::pipeline::Proposal::Ingress(Box::new(dashdeploy::pipeline::IngressProposal {
        vpc: "vpc-0a1b2c3d4e5f60718".into(),
        vpc_is_default: true,
        subnets: vec![
            "subnet-0a1b2c3d4e5f60001".into(),
            "subnet-0a1b2c3d4e5f60002".into(),
            "subnet-0a1b2c3d4e5f60003".into(),
        ],
        group: "dashdeploy-sales-dashboard".into(),
        group_exists: false,
        suggested: suggested.map(String::from),
        load_balancer: false,
        lb_cost: Some(
            "≈ $29.16 a 30-day month at light traffic (list prices of 2024-06-01)".into(),
        ),
        zones: 2,
        desired: 1,
    }))
}

#[test]
fn network_with_the_anywhere_warning() {
    let app = waiting_on(StepId::Network, ingress(None));
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn network_with_the_load_balancer_chosen() {
    let mut app = waiting_on(StepId::Network, ingress(Some("198.51.100.0/24")));
    app.update(Input::Key(Action::LoadBalancer), NOW);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("▶ a load balancer"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn network_with_two_tasks_on_public_ips_is_warned_about() {
    let mut proposal = ingress(Some("198.51.100.0/24"));
    if let dashdeploy::pipeline::Proposal::Ingress(p) = &mut proposal {
        p.desired = 2;
    }
    let app = waiting_on(StepId::Network, proposal);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("2 tasks on public IPs"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn name_taken_by_another_app() {
    let app = waiting_on(
        StepId::Registry,
        dashdeploy::pipeline::Proposal::NameTaken {
            sentence: "The name sales-dashboard is already used in account 123456789012 (us-east-1) by another app: \
                       the ECR repository sales-dashboard belongs to the app of the folder sales-dashboard, deployed \
                       2026-11-28T10:00:00Z. Nothing was changed. Pick another name: --name sales-dashboard-2 (or name = \
                       \"sales-dashboard-2\" in dashdeploy.toml), which is free; or deploy from that app's own folder."
                .into(),
            suggested: "sales-dashboard-2".into(),
        },
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[test]
fn network_typing_an_address() {
    use dashdeploy::app::FormKey;
    let mut app = waiting_on(StepId::Network, ingress(Some("198.51.100.0/24")));
    app.update(Input::Key(Action::Edit), NOW);
    for c in "203.0.113.7/24".chars() {
        app.update(Input::Form(FormKey::Char(c)), NOW);
    }
    app.update(Input::Form(FormKey::Enter), NOW);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("host bits set"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn deploy_in_progress() {
    use dashdeploy::pipeline::{EventKind, LogLevel};
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..StepId::Deploy.index()] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Deploy;
    app.update(Input::Key(Action::Activate), NOW);
    let log = |text: &str| {
        event(
            StepId::Deploy,
            2,
            EventKind::Log {
                level: LogLevel::Info,
                text: text.into(),
            },
        )
    };
    feed(
        &mut app,
        vec![
            log("execution role ecsTaskExecutionRole created"),
            log("log group /ecs/sales-dashboard created"),
            log("ECS cluster sales-dashboard created"),
            event(
                StepId::Deploy,
                2,
                EventKind::Progress {
                    label: "cluster".into(),
                    done: 3,
                    total: 6,
                    elapsed_ms: 8_400,
                },
            ),
        ],
    );
    insta::assert_snapshot!(render(&app, 100, 30));
}

// The monitor panel, fed the way the monitor step feeds it: the log lines
// of what changed, then the snapshot.

use dashdeploy::monitor::Snapshot;
use dashdeploy::monitor::metrics::{Metrics, Reading};
use dashdeploy::monitor::snapshot::{Health, ServiceEvent, ServiceFacts, TaskFacts};
use dashdeploy::pipeline::{EventKind, LogLevel, PipelineEvent, StepFailure};

const NEW_TASK: &str = "4f1c2b3a9d8e4c7b8a6f5e4d3c2b1a09";
const OLD_TASK: &str = "9be0a1c2d3e4f5061728394a5b6c7d8e";
const IP: &str = "54.12.34.56";
const URL: &str = "http://54.12.34.56:8050/";

fn service_facts(rollout: &str, running: i32, pending: i32, deployments: usize) -> ServiceFacts {
    ServiceFacts {
        name: "sales-dashboard".into(),
        cluster: "sales-dashboard".into(),
        status: "ACTIVE".into(),
        desired: 1,
        running,
        pending,
        rollout: rollout.into(),
        rollout_reason: None,
        task_definition: "sales-dashboard:3".into(),
        deployments,
    }
}

fn task_facts(id: &str, status: &str, revision: u32) -> TaskFacts {
    TaskFacts {
        id: id.into(),
        last_status: status.into(),
        desired_status: "RUNNING".into(),
        started_at: None,
        stopped_at: None,
        public_ip: None,
        stopped_reason: None,
        exit_code: None,
        container_reason: None,
        task_definition: format!("sales-dashboard:{revision}"),
        cpu: Some(512),
        memory: Some(1024),
        private_ip: None,
        target_health: None,
        target_health_reason: None,
    }
}

fn service_event(at: &str, message: &str) -> ServiceEvent {
    ServiceEvent {
        at: at.into(),
        message: message.into(),
    }
}

fn gunicorn() -> Vec<String> {
    [
        "[2025-06-03 11:58:49 +0000] [1] [INFO] Starting gunicorn 23.0.0",
        "[2025-06-03 11:58:49 +0000] [1] [INFO] Listening at: http://0.0.0.0:8050 (1)",
        "[2025-06-03 11:58:49 +0000] [1] [INFO] Using worker: sync",
        "[2025-06-03 11:58:49 +0000] [7] [INFO] Booting worker with pid: 7",
    ]
    .map(String::from)
    .to_vec()
}

fn healthy() -> Snapshot {
    let mut running = task_facts(NEW_TASK, "RUNNING", 3);
    running.started_at = Some("2025-06-03T11:58:47Z".into());
    running.public_ip = Some(IP.into());
    let mut logs = gunicorn();
    logs.push(
        "10.0.1.23 - - [03/Jun/2025:12:00:58 +0000] \"GET / HTTP/1.1\" 200 4021 \"-\" \"dashdeploy\""
            .into(),
    );
    Snapshot {
        service: Some(service_facts("COMPLETED", 1, 0, 1)),
        tasks: vec![running],
        url: Some(URL.into()),
        health: Some(Health {
            url: URL.into(),
            http_status: Some(200),
            latency_ms: Some(84),
            checked_at: "2025-06-03T12:01:02Z".into(),
            error: None,
            dash: true,
        }),
        events: vec![
            service_event(
                "2025-06-03T12:00:12Z",
                "(service sales-dashboard) has reached a steady state.",
            ),
            service_event(
                "2025-06-03T12:00:12Z",
                "(service sales-dashboard) (deployment ecs-svc/5126094418) deployment completed.",
            ),
            service_event(
                "2025-06-03T11:58:21Z",
                "(service sales-dashboard) has started 1 tasks: (task 4f1c2b3a9d8e4c7b8a6f5e4d3c2b1a09).",
            ),
        ],
        logs,
        explanations: Vec::new(),
        taken_at: "2025-06-03T12:01:02Z".into(),
        api_calls: 6,
        load_balancer: None,
        metrics: Some(an_hour_of_metrics()),
    }
}

/// An hour of one-minute CPU and memory figures, the way CloudWatch gives them.
fn an_hour_of_metrics() -> Metrics {
    let cpu: Vec<f64> = (0..60).map(|i| 6.0 + f64::from((i * 7) % 13)).collect();
    let memory: Vec<f64> = (0..60).map(|i| 31.0 + f64::from(i % 9)).collect();
    Metrics {
        cpu_percent: Some(Reading {
            value: cpu[59],
            at: "2025-06-03T12:00:00Z".into(),
        }),
        memory_percent: Some(Reading {
            value: memory[59],
            at: "2025-06-03T12:00:00Z".into(),
        }),
        cpu_history: cpu,
        memory_history: memory,
        unavailable: None,
    }
}

fn rolling_out() -> Snapshot {
    let mut old = task_facts(OLD_TASK, "RUNNING", 2);
    old.started_at = Some("2025-06-03T11:42:10Z".into());
    old.public_ip = Some(IP.into());
    let new = task_facts(NEW_TASK, "PROVISIONING", 3);
    let mut service = service_facts("IN_PROGRESS", 1, 1, 2);
    service.rollout_reason = Some("ECS deployment ecs-svc/5126094418 in progress.".into());
    Snapshot {
        service: Some(service),
        tasks: vec![old, new],
        url: Some(URL.into()),
        health: None,
        events: vec![
            service_event(
                "2025-06-03T12:00:41Z",
                "(service sales-dashboard) has started 1 tasks: (task 4f1c2b3a9d8e4c7b8a6f5e4d3c2b1a09).",
            ),
            service_event(
                "2025-06-03T11:43:05Z",
                "(service sales-dashboard) has reached a steady state.",
            ),
        ],
        logs: gunicorn(),
        explanations: Vec::new(),
        taken_at: "2025-06-03T12:01:02Z".into(),
        api_calls: 5,
        load_balancer: None,
        metrics: Some(Metrics::from(&Default::default())),
    }
}

fn crashed() -> Snapshot {
    let mut stopped = task_facts(OLD_TASK, "STOPPED", 3);
    stopped.desired_status = "STOPPED".into();
    stopped.started_at = Some("2025-06-03T11:59:40Z".into());
    stopped.stopped_at = Some("2025-06-03T12:00:05Z".into());
    stopped.stopped_reason = Some("Essential container in task exited".into());
    stopped.exit_code = Some(1);
    let replacement = task_facts(NEW_TASK, "PENDING", 3);
    let mut snapshot = Snapshot {
        service: Some(service_facts("IN_PROGRESS", 0, 1, 1)),
        // As the product orders them: running, then by when they stopped.
        tasks: vec![stopped, replacement],
        url: None,
        health: None,
        events: vec![
            service_event(
                "2025-06-03T12:00:31Z",
                "(service sales-dashboard) has started 1 tasks: (task 4f1c2b3a9d8e4c7b8a6f5e4d3c2b1a09).",
            ),
            service_event(
                "2025-06-03T11:59:20Z",
                "(service sales-dashboard) has started 1 tasks: (task 9be0a1c2d3e4f5061728394a5b6c7d8e).",
            ),
        ],
        logs: [
            "Traceback (most recent call last):",
            "  File \"/app/dashapp.py\", line 4, in <module>",
            "    import pandas as pd",
            "ModuleNotFoundError: No module named 'pandas'",
        ]
        .map(String::from)
        .to_vec(),
        explanations: Vec::new(),
        taken_at: "2025-06-03T12:01:02Z".into(),
        api_calls: 5,
        load_balancer: None,
        metrics: None,
    };
    snapshot.explanations = dashdeploy::monitor::explain::explain(&snapshot, "us-east-1");
    snapshot
}

/// Everything before Monitor done, Monitor running as run 2 and fed
/// `snapshots` with the log lines the step writes for them.
fn watching(snapshots: &[Snapshot]) -> App {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..StepId::Monitor.index()] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Monitor;
    app.update(Input::Key(Action::Activate), NOW);
    let mut previous: Option<&Snapshot> = None;
    for snapshot in snapshots {
        let mut inputs: Vec<Input> =
            dashdeploy::pipeline::steps::monitor::changes(previous, snapshot)
                .into_iter()
                .map(|text| {
                    event(
                        StepId::Monitor,
                        2,
                        EventKind::Log {
                            level: LogLevel::Info,
                            text,
                        },
                    )
                })
                .collect();
        inputs.push(Input::Pipeline(PipelineEvent {
            run_id: 2,
            step: StepId::Monitor,
            kind: EventKind::Monitor(Box::new(snapshot.clone())),
        }));
        feed(&mut app, inputs);
        previous = Some(snapshot);
    }
    assert_eq!(app.step(StepId::Monitor).status, StepStatus::Running);
    app
}

#[test]
fn monitor_before_the_first_snapshot_says_it_runs() {
    let screen = render(&watching(&[]), 100, 30);
    assert!(screen.contains("running…"), "{screen}");
}

#[test]
fn monitor_rolling_out() {
    let snapshot = rolling_out();
    assert!(dashdeploy::monitor::explain::explain(&snapshot, "us-east-1").is_empty());
    let screen = render(&watching(&[snapshot]), 100, 30);
    assert!(screen.contains("PROVISIONING"), "{screen}");
    assert!(screen.contains("rollout IN_PROGRESS"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn monitor_steady_and_healthy() {
    let app = watching(&[rolling_out(), healthy()]);
    let screen = render(&app, 100, 30);
    for text in [
        "Service sales-dashboard",
        "1/1 running",
        "● 200 Dash page in 84 ms",
        "checked 12:01:02",
        "4f1c2b3a  RUNNING",
        "Booting worker",
        "has reached a steady state.",
        "CPU      16 % of 0.5 vCPU",
        "Memory   36 % of 1 GB",
        "Health    84 ms",
        "Esc stop watching",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn monitor_gauges_with_a_long_note_leave_the_task_its_row() {
    let mut snapshot = healthy();
    if let Some(m) = snapshot.metrics.as_mut() {
        m.unavailable = Some(
            "Memory figures from before the resize at 11:40 are left out of the advice; \
             the next figures come within a minute, as CloudWatch publishes them."
                .into(),
        );
    }
    // 80x24: the panel has 14 rows, the gauges at most a third of them.
    let screen = render(&watching(&[snapshot]), 80, 24);
    assert!(screen.contains("CPU      16 %"), "{screen}");
    assert!(
        screen.contains("Booting worker"),
        "the log tail keeps rows:\n{screen}"
    );
    assert!(screen.contains("resize at 11:40 are…"), "{screen}");
    assert!(
        screen.contains("4f1c2b3a  RUNNING"),
        "the task keeps its row:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn a_step_run_again_forgets_the_latency_history() {
    let mut app = watching(&[healthy(), healthy()]);
    assert_eq!(app.latencies, vec![84, 84]);
    // The watch fails, and is run again: the old facts and latencies go.
    feed(
        &mut app,
        vec![event(
            StepId::Monitor,
            2,
            EventKind::Finished(Err(StepFailure::new("The service could not be read."))),
        )],
    );
    assert_eq!(app.step(StepId::Monitor).status, StepStatus::Failed);
    app.update(Input::Key(Action::Retry), NOW);
    assert_eq!(app.step(StepId::Monitor).status, StepStatus::Running);
    assert!(app.latencies.is_empty(), "{:?}", app.latencies);
    let screen = render(&app, 100, 30);
    assert!(!screen.contains("Health    84 ms"), "{screen}");
}

#[test]
fn monitor_steady_and_healthy_80x24() {
    let app = watching(&[healthy()]);
    let screen = render(&app, 80, 24);
    for text in [
        "sales-dashboard",
        "1/1 running",
        "● 200 Dash page in 84 ms",
        "RUNNING",
        "CPU      16 % of 0.5 vCPU",
        "Esc stop watching",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn monitor_task_stopped_with_an_explained_reason() {
    let snapshot = crashed();
    assert!(
        snapshot.explanations[0].contains("cannot import pandas"),
        "{:?}",
        snapshot.explanations
    );
    let screen = render(&watching(&[snapshot]), 100, 30);
    for text in [
        "STOPPED",
        "exit 1: Essential container in task exited",
        "! The app crashed at start (exit code 1)",
        "ModuleNotFoundError: No module named 'pandas'",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn monitor_health_dot_is_coloured_by_the_answer() {
    use ratatui::style::Color;
    let dot = |snapshot: Snapshot| {
        let app = watching(&[snapshot]);
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        terminal
            .draw(|frame| dashdeploy::ui::draw(&app, frame))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        let area = buffer.area;
        (0..area.height)
            .flat_map(|y| (0..area.width).map(move |x| (x, y)))
            .find(|&(x, y)| buffer[(x, y)].symbol() == "●")
            .map(|(x, y)| buffer[(x, y)].fg)
    };
    assert_eq!(dot(healthy()), Some(Color::Green));
    let mut not_dash = healthy();
    if let Some(h) = not_dash.health.as_mut() {
        h.dash = false;
    }
    assert_eq!(dot(not_dash), Some(Color::Yellow));
    let mut refused = healthy();
    if let Some(h) = refused.health.as_mut() {
        h.http_status = None;
        h.latency_ms = None;
        h.error = Some("connection refused".into());
    }
    refused.explanations = dashdeploy::monitor::explain::explain(&refused, "us-east-1");
    assert_eq!(dot(refused.clone()), Some(Color::Red));
    let screen = render(&watching(&[refused]), 100, 30);
    assert!(screen.contains("no answer: connection refused"), "{screen}");
}

#[test]
fn monitor_events_and_log_sit_side_by_side_on_a_wide_panel() {
    let app = watching(&[healthy()]);
    let screen = render(&app, 140, 30);
    let row = screen
        .lines()
        .find(|l| l.contains("Events") && l.contains("Logs"))
        .unwrap_or_else(|| panic!("no row with both titles:\n{screen}"));
    assert!(row.contains("│ Logs (following)"), "{row}");
}

#[test]
fn monitor_stopped_keeps_the_last_snapshot_and_says_how_to_watch_again() {
    let mut app = watching(&[healthy()]);
    app.update(Input::Key(Action::Back), NOW);
    let screen = render(&app, 100, 30);
    for text in [
        "Stopped watching. Press r to watch again.",
        "not watching",
        "1/1 running",
        "r watch again",
        "o browse",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
}

#[test]
fn help_fits_the_smallest_terminal() {
    let mut app = started();
    app.update(Input::Key(Action::Help), NOW);
    let screen = render(&app, 80, 24);
    for text in [
        "select a step",
        "Monitor   Esc stop watching",
        "o open in browser",
        "Version",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
}

#[test]
fn monitor_with_many_tasks_says_how_many_more_and_keeps_the_log() {
    let mut snapshot = crashed();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let mut t = task_facts(&format!("{i:08x}aaaabbbbccccdddd"), "STOPPED", 2);
        t.stopped_at = Some("2025-06-03T11:50:00Z".into());
        t.stopped_reason = Some("Task failed container health checks".into());
        t.exit_code = Some(137);
        tasks.push(t);
    }
    snapshot.tasks.extend(tasks);
    for (width, height) in [(100, 30), (80, 24)] {
        let screen = render(&watching(&[snapshot.clone()]), width, height);
        for text in ["more", "Logs (following)", "! The app crashed at start"] {
            assert!(
                screen.contains(text),
                "{text} missing at {width}x{height}:\n{screen}"
            );
        }
    }
}

#[test]
fn monitor_a_crash_loop_explains_a_few_and_counts_the_rest() {
    let mut snapshot = crashed();
    snapshot.logs.clear();
    snapshot.tasks = (0..10)
        .map(|i| {
            let mut t = task_facts(&format!("{i:08x}aaaabbbbccccdddd"), "STOPPED", 3);
            t.stopped_reason = Some("Essential container in task exited".into());
            t.exit_code = Some(3);
            t
        })
        .collect();
    // The same crash ten times is said once...
    assert_eq!(
        dashdeploy::monitor::explain::explain(&snapshot, "us-east-1").len(),
        1
    );
    // ...and many different sentences are capped on the panel.
    snapshot.explanations = (0..10)
        .map(|i| format!("Task {i}: the app exited with code 3 for a reason of its own."))
        .collect();
    for (width, height) in [(100, 30), (80, 24)] {
        let screen = render(&watching(&[snapshot.clone()]), width, height);
        for text in ["more like these", "Logs (following)", "exited with code 3"] {
            assert!(
                screen.contains(text),
                "{text} missing at {width}x{height}:\n{screen}"
            );
        }
    }
}

// Tear down (t).

/// Every step done, Deploy selected, and `list` arrived after t.
fn tear_down_listed(list: dashdeploy::pipeline::tear_down::TearDown) -> App {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..] {
        app.steps[step.index()] = StepState {
            status: StepStatus::Done,
            run_id: Some(1),
            summary: Some(format!("{} finished", step.title())),
            error: None,
        };
    }
    app.selected = StepId::Deploy;
    app.update(Input::Key(Action::TearDown), NOW);
    app.update(Input::TearDownList(Ok(list)), NOW);
    app
}

#[test]
fn tear_down_confirmation() {
    let app = tear_down_listed(made());
    let screen = render(&app, 100, 30);
    for text in [
        "dashdeploy made these for sales-dashboard in us-east-1; they will be removed:",
        "arn:aws:ecs:us-east-1:123456789012:service/sales-dashboard/",
        "sg-0abc1234def567890/tcp/8050/203.0.113.7/32",
        "Used but not made by dashdeploy, so kept:",
        "ecsTaskExecutionRole",
        "y remove them · n/Esc keep everything",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn tear_down_nothing_to_remove() {
    let app = tear_down_listed(dashdeploy::pipeline::tear_down::TearDown {
        app: "sales-dashboard".into(),
        region: "us-east-1".into(),
        remove: Vec::new(),
        keep: Vec::new(),
    });
    let screen = render(&app, 100, 30);
    assert!(screen.contains("Nothing to remove"), "{screen}");
    assert!(!screen.contains("remove them"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_long_tear_down_list_is_cut_with_how_many_more_and_scrolls() {
    use dashdeploy::store::record::ResourceKind as K;
    let mut list = made();
    // Every deploy registers a task definition revision.
    for revision in 4..30 {
        list.remove.insert(
            2,
            resource(
                K::TaskDefinition,
                &format!(
                    "arn:aws:ecs:us-east-1:123456789012:task-definition/sales-dashboard:{revision}"
                ),
                true,
            ),
        );
    }
    let mut app = tear_down_listed(list);
    let screen = render(&app, 80, 24);
    for text in [
        "dashdeploy made these for sales-dashboard",
        "more (↓ to see them)",
        "y remove them",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
    assert!(!screen.contains("ecsTaskExecutionRole"), "{screen}");
    // Scrolled to the end, the kept role shows, and what is above is counted.
    for _ in 0..4 {
        app.update(Input::Key(Action::ScrollDown), NOW);
    }
    let screen = render(&app, 80, 24);
    for text in ["more above (↑)", "ecsTaskExecutionRole", "y remove them"] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
}

#[test]
fn a_running_tear_down_shows_in_the_title_and_the_key_line() {
    let mut app = tear_down_listed(made());
    app.update(Input::Key(Action::Yes), NOW);
    for (width, height) in [(100, 30), (80, 24)] {
        let screen = render(&app, width, height);
        let lines: Vec<&str> = screen.lines().collect();
        assert!(lines[0].contains("tearing down…"), "{screen}");
        assert!(
            lines[height as usize - 2].contains("tearing down…"),
            "{screen}"
        );
    }
    // q asks first, and says what quitting stops.
    app.update(Input::Key(Action::Quit), NOW);
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("The tear-down is still running."),
        "{screen}"
    );
    let screen = render(&app, 79, 24);
    assert!(
        screen.contains("The tear-down is still running: y quits"),
        "{screen}"
    );
}

#[test]
fn the_key_line_and_help_name_tear_down_at_80_columns() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("t tear down"), "{screen}");
    app.update(Input::Key(Action::Help), NOW);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("t         tear down (remove what dashdeploy made on AWS)"),
        "{screen}"
    );
}
