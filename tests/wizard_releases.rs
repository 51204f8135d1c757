//! h on the monitor: the releases overlay and a rollback from it, driven
//! through `App::update` with no terminal (the rollback itself is proven
//! against the test stack in tests/stack/releases.rs).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use dashdeploy::app::{Action, App, Command, Input, Overlay};
use dashdeploy::pipeline::releases::Listed;
use dashdeploy::pipeline::{StepId, StepStatus};
use dashdeploy::store::releases::{Outcome, Release};

fn release(number: u32, rev: u32, restorable: bool, running: bool) -> Listed {
    Listed {
        release: Release {
            number,
            at: format!("2025-06-03T1{number}:00:00Z"),
            task_definition: format!(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/sales-dashboard:{rev}"
            ),
            digest: format!("sha256:{rev}{}", "ab".repeat(31)),
            content_tag: Some(format!("c-{rev}0f3a9e2")),
            cpu: 512,
            memory: 1024,
            deployed_by: "arn:aws:iam::123456789012:user/alice".into(),
            outcome: Outcome::Healthy,
            rollback_of: None,
        },
        restorable: Some(restorable),
        restorable_unknown: None,
        running,
    }
}

fn three() -> Vec<Listed> {
    vec![
        release(3, 3, true, true),
        release(2, 2, false, false),
        release(1, 1, true, false),
    ]
}

fn monitoring() -> App {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Monitor;
    app
}

fn opened() -> App {
    let mut app = monitoring();
    assert_eq!(
        app.update(Input::Key(Action::Releases), NOW),
        vec![Command::ListReleases]
    );
    // A second h while they are read asks for nothing more.
    assert!(app.update(Input::Key(Action::Releases), NOW).is_empty());
    assert!(app.update(Input::ReleasesList(Ok(three())), NOW).is_empty());
    app
}

#[test]
fn h_lists_the_releases_and_a_rollback_is_asked_for_then_handed_to_the_loop() {
    let mut app = opened();
    assert_eq!(
        app.overlay,
        Overlay::Releases {
            list: three(),
            // On the release `rollback` goes back to by default: the one
            // before the release that runs.
            selected: 1
        }
    );
    app.update(Input::Key(Action::Down), NOW);
    app.update(Input::Key(Action::Down), NOW);
    app.update(Input::Key(Action::Down), NOW);
    assert!(app.update(Input::Key(Action::Activate), NOW).is_empty());
    let Overlay::ConfirmRollback { plan, .. } = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(plan.target.release.number, 1);
    assert_eq!(plan.current.as_ref().unwrap().release.number, 3);
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("back: release 1 · sales-dashboard:1"),
        "{screen}"
    );
    // The question's keys fit under its sentences, at 100 and at 80 columns.
    assert!(screen.contains("y roll back to release 1"), "{screen}");
    let wide = render(&app, 110, 32);
    assert!(wide.contains("y roll back to release 1"), "{wide}");
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("y roll back to release 1"), "{narrow}");

    // n goes back to the list, on the same release.
    app.update(Input::Key(Action::No), NOW);
    assert!(matches!(app.overlay, Overlay::Releases { selected: 2, .. }));
    app.update(Input::Key(Action::Activate), NOW);
    assert_eq!(
        app.update(Input::Key(Action::Yes), NOW),
        vec![Command::Rollback { to: 1 }]
    );
    assert_eq!(app.overlay, Overlay::None);
    // While it runs, h does not start another.
    assert!(app.update(Input::Key(Action::Releases), NOW).is_empty());
    app.update(
        Input::RolledBack(Ok("release 4 is healthy after 40 s".into())),
        NOW,
    );
    assert_eq!(
        app.log.back().unwrap().text,
        "rollback: release 4 is healthy after 40 s"
    );
    assert_eq!(
        app.update(Input::Key(Action::Releases), NOW),
        vec![Command::ListReleases]
    );
}

#[test]
fn a_release_that_cannot_run_again_is_refused_with_the_reason() {
    let mut app = opened();
    // The one that runs now.
    app.update(Input::Key(Action::Up), NOW);
    app.update(Input::Key(Action::Activate), NOW);
    assert!(app.log.back().unwrap().text.contains("runs now"));
    assert!(matches!(app.overlay, Overlay::Releases { selected: 0, .. }));
    // The one whose image is gone.
    app.update(Input::Key(Action::Down), NOW);
    app.update(Input::Key(Action::Activate), NOW);
    let said = &app.log.back().unwrap().text;
    assert!(said.contains("Release 2 cannot be restored"), "{said}");
    assert!(matches!(app.overlay, Overlay::Releases { selected: 1, .. }));
    // Esc closes.
    app.update(Input::Key(Action::Back), NOW);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn h_elsewhere_or_before_a_deploy_says_why_and_an_error_is_logged() {
    let mut app = monitoring();
    app.selected = StepId::Deploy;
    assert!(app.update(Input::Key(Action::Releases), NOW).is_empty());
    assert!(app.log.back().unwrap().text.contains("Monitor step"));
    app.selected = StepId::Monitor;
    app.update(Input::Key(Action::Releases), NOW);
    app.update(
        Input::ReleasesList(Err("AWS refused ecs:ListTaskDefinitions".into())),
        NOW,
    );
    assert!(
        app.log
            .back()
            .unwrap()
            .text
            .contains("could not be read: AWS refused")
    );
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn the_releases_overlay_at_100x30() {
    let mut app = opened();
    app.update(Input::Key(Action::Down), NOW);
    let screen = render(&app, 100, 30);
    for text in [
        "Releases",
        "▶   3  2025-06-03 13:00  rev 3    3abababababa  healthy",
        "healthy · image gone from ECR",
        "roll back to it",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn while_a_rollback_runs_quitting_asks_and_nothing_else_starts() {
    let mut app = opened();
    app.update(Input::Key(Action::Down), NOW);
    app.update(Input::Key(Action::Down), NOW);
    app.update(Input::Key(Action::Activate), NOW);
    assert_eq!(
        app.update(Input::Key(Action::Yes), NOW),
        vec![Command::Rollback { to: 1 }]
    );
    assert!(app.is_busy() && app.quit_needs_asking());
    assert!(app.update(Input::Key(Action::TearDown), NOW).is_empty());
    assert!(app.log.back().unwrap().text.contains("rollback is running"));
    app.update(Input::Key(Action::Quit), NOW);
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    app.update(Input::Key(Action::No), NOW);
    app.update(Input::RolledBack(Err("ECS went back".into())), NOW);
    assert!(!app.is_busy() || app.running_step().is_some());
    assert!(!app.quit_needs_asking());
}
