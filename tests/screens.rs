//! Each state of the wizard drawn into ratatui's TestBackend and compared
//! with its reviewed snapshot (tests/snapshots).

mod common;

use common::*;
use dashdeploy::app::{Action, App, Input, StepState};
use dashdeploy::pipeline::{CheckId, CheckState, StepId, StepStatus};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| dashdeploy::ui::draw(app, frame))
        .unwrap();
    terminal.backend().to_string()
}

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
    use dashdeploy::pipeline::{EventKind, LayerProgress, LayerState, Transfer};
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
    let transfer = Transfer {
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
        vec![event(StepId::Push, 2, EventKind::Transfer(transfer))],
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
    }))
}

#[test]
fn network_with_the_anywhere_warning() {
    let app = waiting_on(StepId::Network, ingress(None));
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
