//! Helpers shared by the wizard's state and screen tests.
#![allow(dead_code)]

pub mod ec2;
pub mod route53;
pub mod stack;

use std::path::PathBuf;

use dashdeploy::app::{App, AppInit, Command, Input};
use dashdeploy::pipeline::{
    CheckId, CheckState, EventKind, PipelineEvent, RunId, StepFailure, StepId,
};

pub const NOW: &str = "12:01:03";

/// The wizard drawn into ratatui's TestBackend, as text.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| dashdeploy::ui::draw(app, frame))
        .unwrap();
    terminal.backend().to_string()
}

pub fn init() -> AppInit {
    AppInit {
        app_dir: Some(PathBuf::from("/home/ana/sales-dashboard")),
        app_name: Some("sales-dashboard".into()),
        credentials: "profile default".into(),
        region: Some("us-east-1".into()),
        log_file: Ok(PathBuf::from(
            "/home/ana/.local/state/dashdeploy/dashdeploy.log",
        )),
        sample_dest: None,
        choices: settings(None, "unix:///var/run/docker.sock"),
    }
}

/// The wizard right after start: prerequisites running as run 1.
pub fn started() -> App {
    let (app, commands) = App::new(init());
    assert_eq!(
        commands,
        vec![
            Command::Start {
                step: StepId::Prereqs,
                run_id: 1
            },
            Command::FindDone
        ]
    );
    app
}

pub fn event(step: StepId, run_id: RunId, kind: EventKind) -> Input {
    Input::Pipeline(PipelineEvent { run_id, step, kind })
}

pub fn check(check: CheckId, state: CheckState) -> EventKind {
    EventKind::Check { check, state }
}

pub fn passed(summary: &str, lines: &[&str]) -> CheckState {
    CheckState::Passed {
        summary: summary.into(),
        lines: lines.iter().map(|l| l.to_string()).collect(),
    }
}

pub fn failed(summary: &str, lines: &[&str]) -> CheckState {
    CheckState::Failed {
        summary: summary.into(),
        lines: lines.iter().map(|l| l.to_string()).collect(),
    }
}

pub fn feed(app: &mut App, inputs: Vec<Input>) -> Vec<Command> {
    inputs
        .into_iter()
        .flat_map(|input| app.update(input, NOW))
        .collect()
}

/// Prerequisites finished well in run `run_id`.
pub fn prereqs_pass(app: &mut App, run_id: RunId) {
    feed(
        app,
        vec![
            event(
                StepId::Prereqs,
                run_id,
                check(
                    CheckId::Docker,
                    passed(
                        "Docker Engine 27.3.1 (API 1.47) at unix:///var/run/docker.sock",
                        &["engine runs linux/x86_64"],
                    ),
                ),
            ),
            event(
                StepId::Prereqs,
                run_id,
                check(
                    CheckId::Aws,
                    passed(
                        "arn:aws:iam::123456789012:user/ana",
                        &[
                            "account 123456789012 · region us-east-1",
                            "credentials from profile default",
                        ],
                    ),
                ),
            ),
            event(
                StepId::Prereqs,
                run_id,
                check(
                    CheckId::Arch,
                    passed("x86_64: images built here run on X86_64 tasks", &[]),
                ),
            ),
            event(
                StepId::Prereqs,
                run_id,
                EventKind::Finished(Ok(
                    "Docker 27.3.1 · account 123456789012 · us-east-1 · x86_64".into(),
                )),
            ),
        ],
    );
}

/// Prerequisites failed in run `run_id`: Docker is not running.
pub fn prereqs_fail(app: &mut App, run_id: RunId) {
    feed(
        app,
        vec![
            event(
                StepId::Prereqs,
                run_id,
                check(
                    CheckId::Docker,
                    failed(
                        "Docker engine not reachable",
                        &[
                            "Docker is not running at unix:///var/run/docker.sock: the connection was refused. Start Docker (Docker Desktop, or `sudo systemctl start docker`), or set DOCKER_HOST to where your engine listens.",
                        ],
                    ),
                ),
            ),
            event(
                StepId::Prereqs,
                run_id,
                EventKind::Finished(Err(StepFailure::new(
                    "Not ready: the Docker engine. Fix what is said above, then retry the step.",
                ))),
            ),
        ],
    );
}

/// The proposals of the tutorial fixture, as the app and dockerfile steps make them.
pub fn tutorial_proposals() -> (
    dashdeploy::pipeline::Proposal,
    dashdeploy::pipeline::Proposal,
) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps/tutorial");
    let analysis = dashdeploy::dashapp::analysis::analyze(&dir, None).unwrap();
    let dockerfile = dashdeploy::pipeline::app_files::propose(&dir, &analysis, "python:3.12-slim");
    (
        dashdeploy::pipeline::Proposal::AppFixes(Box::new(analysis)),
        dashdeploy::pipeline::Proposal::Dockerfile(Box::new(dockerfile)),
    )
}

/// The wizard with prerequisites done and `step` running as run 2, waiting on `proposal`.
pub fn waiting_on(step: StepId, proposal: dashdeploy::pipeline::Proposal) -> App {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for s in &StepId::ALL[1..step.index()] {
        app.steps[s.index()].status = dashdeploy::pipeline::StepStatus::Done;
    }
    app.selected = step;
    let commands = app.update(Input::Key(dashdeploy::app::Action::Activate), NOW);
    assert_eq!(commands, vec![Command::Start { step, run_id: 2 }]);
    feed(
        &mut app,
        vec![event(step, 2, EventKind::Proposal(proposal))],
    );
    app
}

/// Nothing chosen yet, for an app folder and a Docker address.
pub fn settings(
    app_dir: Option<&std::path::Path>,
    docker_host: &str,
) -> dashdeploy::pipeline::Choices {
    dashdeploy::pipeline::Choices::new(
        app_dir.map(|d| d.to_path_buf()),
        dashdeploy::docker::DockerTarget::new(docker_host),
    )
}

// Tear down: a deployment record's resources, as the wizard lists them.

pub fn resource(
    kind: dashdeploy::store::record::ResourceKind,
    id: &str,
    created: bool,
) -> dashdeploy::store::record::Resource {
    dashdeploy::store::record::Resource {
        kind,
        id: id.into(),
        created,
        at: "2025-06-03T11:00:00Z".into(),
    }
}

/// What a deploy of sales-dashboard made: seven resources, and the
/// execution role it only used.
pub fn made() -> dashdeploy::pipeline::tear_down::TearDown {
    use dashdeploy::store::record::ResourceKind as K;
    dashdeploy::pipeline::tear_down::TearDown {
        app: "sales-dashboard".into(),
        region: "us-east-1".into(),
        remove: vec![
            resource(
                K::Service,
                "arn:aws:ecs:us-east-1:123456789012:service/sales-dashboard/sales-dashboard",
                true,
            ),
            resource(
                K::TaskDefinition,
                "arn:aws:ecs:us-east-1:123456789012:task-definition/sales-dashboard:3",
                true,
            ),
            resource(K::Cluster, "sales-dashboard", true),
            resource(
                K::IngressRule,
                "sg-0abc1234def567890/tcp/8050/203.0.113.7/32",
                true,
            ),
            resource(K::SecurityGroup, "sg-0abc1234def567890", true),
            resource(K::LogGroup, "/ecs/sales-dashboard", true),
            resource(K::Repository, "sales-dashboard", true),
        ],
        keep: vec![resource(K::ExecutionRole, "ecsTaskExecutionRole", false)],
    }
}
