//! `App::update` driven by key actions and pipeline events, with no
//! terminal: what each input does to the wizard's state.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use dashdeploy::app::{Action, App, Command, Input, Overlay};
use dashdeploy::pipeline::{CheckId, CheckState, EventKind, LogLevel, StepId, StepStatus};

#[test]
fn start_runs_the_prerequisites() {
    let app = started();
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Running);
    assert!(app.is_busy());
    assert!(app.is_animating());
    assert!(
        StepId::ALL[1..]
            .iter()
            .all(|s| app.step(*s).status == StepStatus::Pending)
    );
}

#[test]
fn checks_update_the_panel_and_success_moves_on() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Done);
    assert!(matches!(
        app.check(CheckId::Docker),
        CheckState::Passed { .. }
    ));
    assert!(matches!(
        app.check(CheckId::Arch),
        CheckState::Passed { .. }
    ));
    assert_eq!(
        app.selected,
        StepId::App,
        "selection moves to the next step"
    );
    assert!(!app.is_busy());
    let last = app.log.back().unwrap();
    assert!(
        last.text.starts_with("Prerequisites done: Docker 27.3.1"),
        "{}",
        last.text
    );
    assert_eq!(last.time, NOW);
}

#[test]
fn aws_target_event_updates_the_header() {
    let mut app = started();
    feed(
        &mut app,
        vec![event(
            StepId::Prereqs,
            1,
            EventKind::AwsTarget {
                credentials: "profile work".into(),
                region: "eu-west-2".into(),
            },
        )],
    );
    assert_eq!(app.credentials, "profile work");
    assert_eq!(app.region.as_deref(), Some("eu-west-2"));
}

#[test]
fn a_failed_step_is_retried_with_r_and_a_new_run_id() {
    let mut app = started();
    prereqs_fail(&mut app, 1);
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Failed);
    assert_eq!(app.selected, StepId::Prereqs);
    assert!(
        app.step(StepId::Prereqs)
            .error
            .as_deref()
            .unwrap()
            .contains("retry the step")
    );
    let commands = app.update(Input::Key(Action::Retry), NOW);
    assert_eq!(
        commands,
        vec![Command::Start {
            step: StepId::Prereqs,
            run_id: 2
        }]
    );
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Running);
    assert_eq!(app.step(StepId::Prereqs).error, None);
    assert_eq!(
        app.check(CheckId::Docker),
        &CheckState::Pending,
        "checks reset"
    );
}

#[test]
fn events_of_a_superseded_run_are_dropped() {
    let mut app = started();
    prereqs_fail(&mut app, 1);
    app.update(Input::Key(Action::Retry), NOW);
    // Late events of run 1 must not touch run 2.
    prereqs_pass(&mut app, 1);
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Running);
    assert_eq!(app.check(CheckId::Docker), &CheckState::Pending);
    prereqs_pass(&mut app, 2);
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Done);
}

#[test]
fn retry_on_a_step_that_is_neither_failed_nor_done_says_so() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    app.selected = StepId::App;
    let commands = app.update(Input::Key(Action::Retry), NOW);
    assert!(commands.is_empty());
    assert!(app.log.back().unwrap().text.contains("is neither"));
}

#[test]
fn enter_on_a_done_step_continues_and_on_a_blocked_step_explains() {
    let mut app = started();
    app.selected = StepId::Build;
    let commands = app.update(Input::Key(Action::Activate), NOW);
    assert!(commands.is_empty());
    assert!(
        app.log
            .back()
            .unwrap()
            .text
            .contains("wait for Prerequisites")
    );
    prereqs_pass(&mut app, 1);
    app.selected = StepId::Prereqs;
    app.update(Input::Key(Action::Activate), NOW);
    assert_eq!(app.selected, StepId::App);
    app.selected = StepId::Build;
    app.update(Input::Key(Action::Activate), NOW);
    assert_eq!(
        app.log.back().unwrap().text,
        "Build comes after App: finish that first"
    );
}

#[test]
fn arrows_move_within_the_list() {
    let mut app = started();
    app.update(Input::Key(Action::Up), NOW);
    assert_eq!(app.selected, StepId::Prereqs);
    for _ in 0..20 {
        app.update(Input::Key(Action::Down), NOW);
    }
    assert_eq!(app.selected, StepId::Monitor);
    app.update(Input::Key(Action::Up), NOW);
    assert_eq!(app.selected, StepId::Deploy);
}

#[test]
fn quitting_while_work_runs_asks_first() {
    let mut app = started();
    assert!(app.update(Input::Key(Action::Quit), NOW).is_empty());
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    app.update(Input::Key(Action::No), NOW);
    assert_eq!(app.overlay, Overlay::None);
    assert!(!app.should_quit);
    app.update(Input::Key(Action::Interrupt), NOW);
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    // A second Ctrl-C quits at once.
    assert_eq!(
        app.update(Input::Key(Action::Interrupt), NOW),
        vec![Command::Quit]
    );
    assert!(app.should_quit);
}

#[test]
fn quitting_when_idle_is_immediate() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    assert_eq!(
        app.update(Input::Key(Action::Quit), NOW),
        vec![Command::Quit]
    );
    assert!(app.should_quit);
}

#[test]
fn sigterm_quits_even_while_running() {
    let mut app = started();
    assert_eq!(app.update(Input::Terminate, NOW), vec![Command::Quit]);
    assert!(app.should_quit);
}

#[test]
fn help_and_log_toggle() {
    let mut app = started();
    app.update(Input::Key(Action::Help), NOW);
    assert_eq!(app.overlay, Overlay::Help);
    // q closes help rather than quitting.
    assert!(app.update(Input::Key(Action::Quit), NOW).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.show_log);
    app.update(Input::Key(Action::ToggleLog), NOW);
    assert!(!app.show_log);
}

#[test]
fn ticks_animate_only_the_spinner() {
    let mut app = started();
    let before = app.clone();
    app.update(Input::Tick, NOW);
    assert_eq!(app.spinner, before.spinner + 1);
    app.spinner = before.spinner;
    assert_eq!(app, before);
}

#[test]
fn the_sample_offer_copies_on_yes() {
    let mut init = init();
    init.app_dir = None;
    init.app_name = None;
    init.sample_dest = Some("/home/ana/dashdeploy-sample".into());
    let (mut app, _) = App::new(init);
    assert!(matches!(app.overlay, Overlay::SampleOffer { .. }));
    let commands = app.update(Input::Key(Action::Yes), NOW);
    assert_eq!(
        commands,
        vec![Command::CopySample {
            dest: "/home/ana/dashdeploy-sample".into()
        }]
    );
    app.update(
        Input::SampleCopied(Ok("/home/ana/dashdeploy-sample".into())),
        NOW,
    );
    assert_eq!(
        app.app_dir.as_deref(),
        Some(std::path::Path::new("/home/ana/dashdeploy-sample"))
    );
    assert_eq!(app.app_name.as_deref(), Some("dashdeploy-sample"));
}

#[test]
fn declining_the_sample_leaves_no_app_and_later_steps_say_why() {
    let mut init = init();
    init.app_dir = None;
    init.sample_dest = Some("/home/ana/dashdeploy-sample".into());
    let (mut app, _) = App::new(init);
    assert!(app.update(Input::Key(Action::No), NOW).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.app_dir.is_none());
    assert!(app.log.back().unwrap().text.contains("dashdeploy APP_DIR"));
    let failed_copy = app.update(Input::SampleCopied(Err("disk full".into())), NOW);
    assert!(failed_copy.is_empty());
    assert_eq!(app.log.back().unwrap().level, LogLevel::Error);
}

#[test]
fn the_log_keeps_a_bounded_number_of_lines() {
    let mut app = started();
    for i in 0..(dashdeploy::app::LOG_CAPACITY + 10) {
        feed(
            &mut app,
            vec![event(
                StepId::Prereqs,
                1,
                EventKind::Log {
                    level: LogLevel::Info,
                    text: format!("line {i}"),
                },
            )],
        );
    }
    assert_eq!(app.log.len(), dashdeploy::app::LOG_CAPACITY);
    assert_eq!(app.log.front().unwrap().text, "line 10");
}

#[test]
fn a_proposal_waits_for_a_and_answers_its_run() {
    use dashdeploy::pipeline::Answer;
    let (app_fixes, _) = tutorial_proposals();
    let mut app = waiting_on(StepId::App, app_fixes);
    assert_eq!(app.selected, StepId::App);
    assert!(!app.is_busy(), "waiting for the user is not busy work");
    assert!(!app.is_animating());
    // q while waiting quits at once: nothing runs.
    let mut quitter = app.clone();
    assert_eq!(
        quitter.update(Input::Key(Action::Quit), NOW),
        vec![Command::Quit]
    );
    // g means nothing for source fixes.
    assert!(app.update(Input::Key(Action::Regenerate), NOW).is_empty());
    assert!(app.waiting.is_some());
    let commands = app.update(Input::Key(Action::Accept), NOW);
    assert_eq!(
        commands,
        vec![Command::Answer {
            step: StepId::App,
            run_id: 2,
            answer: Answer::Accept
        }]
    );
    assert!(app.waiting.is_none());
    assert!(app.is_busy(), "the step now writes the files");
}

#[test]
fn the_dockerfile_can_be_edited_regenerated_or_accepted() {
    use dashdeploy::pipeline::Answer;
    let (_, dockerfile) = tutorial_proposals();
    let mut app = waiting_on(StepId::Dockerfile, dockerfile.clone());
    let dashdeploy::pipeline::Proposal::Dockerfile(proposal) = &dockerfile else {
        unreachable!()
    };
    let commands = app.update(Input::Key(Action::Edit), NOW);
    assert_eq!(
        commands,
        vec![Command::Edit {
            step: StepId::Dockerfile,
            run_id: 2,
            text: proposal.dockerfile.clone()
        }]
    );
    assert!(
        app.waiting.is_some(),
        "still waiting while the editor is open"
    );
    let commands = app.update(Input::Key(Action::Regenerate), NOW);
    assert_eq!(
        commands,
        vec![Command::Answer {
            step: StepId::Dockerfile,
            run_id: 2,
            answer: Answer::Regenerate
        }]
    );
}

#[test]
fn an_entry_is_chosen_by_number() {
    use dashdeploy::pipeline::{Answer, Proposal};
    let mut app = waiting_on(
        StepId::App,
        Proposal::ChooseEntry(vec!["admin.py".into(), "dashboard.py".into()]),
    );
    assert!(
        app.update(Input::Key(Action::Choose(3)), NOW).is_empty(),
        "no third choice"
    );
    assert_eq!(
        app.update(Input::Key(Action::Choose(2)), NOW),
        vec![Command::Answer {
            step: StepId::App,
            run_id: 2,
            answer: Answer::Choose("dashboard.py".into())
        }]
    );
}

#[test]
fn a_retry_drops_the_old_proposal() {
    let (app_fixes, _) = tutorial_proposals();
    let mut app = waiting_on(StepId::App, app_fixes);
    app.update(
        event(
            StepId::App,
            2,
            EventKind::Finished(Err(dashdeploy::pipeline::StepFailure::new("boom"))),
        ),
        NOW,
    );
    assert!(app.waiting.is_none());
    let commands = app.update(Input::Key(Action::Retry), NOW);
    assert_eq!(
        commands,
        vec![Command::Start {
            step: StepId::App,
            run_id: 3
        }]
    );
}

#[test]
fn esc_cancels_a_running_step_and_r_runs_it_again() {
    let mut app = started();
    let commands = app.update(Input::Key(Action::Back), NOW);
    assert_eq!(
        commands,
        vec![Command::Cancel {
            step: StepId::Prereqs
        }]
    );
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Failed);
    assert!(!app.is_busy());
    // Late events of the cancelled run are dropped.
    prereqs_pass(&mut app, 1);
    assert_eq!(app.step(StepId::Prereqs).status, StepStatus::Failed);
    assert_eq!(
        app.update(Input::Key(Action::Retry), NOW),
        vec![Command::Start {
            step: StepId::Prereqs,
            run_id: 2
        }]
    );
    // Esc on a step that does not run does nothing.
    prereqs_pass(&mut app, 2);
    assert!(app.update(Input::Key(Action::Back), NOW).is_empty());
}

#[test]
fn build_progress_is_kept_for_the_panel_until_the_step_ends() {
    let mut app = started();
    feed(
        &mut app,
        vec![event(
            StepId::Prereqs,
            1,
            EventKind::Progress {
                label: "Step 4/9 : RUN pip install -r requirements.txt".into(),
                done: 4,
                total: 9,
                elapsed_ms: 12_300,
            },
        )],
    );
    let progress = app.progress.clone().unwrap();
    assert_eq!((progress.done, progress.total), (4, 9));
    prereqs_pass(&mut app, 1);
    assert!(app.progress.is_none());
}

#[test]
fn enter_stops_the_local_test_once_the_user_has_looked() {
    use dashdeploy::pipeline::{Answer, Proposal};
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in [StepId::App, StepId::Dockerfile, StepId::Build] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::LocalTest;
    let start = app.update(Input::Key(Action::Activate), NOW);
    assert_eq!(
        start,
        vec![Command::Start {
            step: StepId::LocalTest,
            run_id: 2
        }]
    );
    feed(
        &mut app,
        vec![event(
            StepId::LocalTest,
            2,
            EventKind::Proposal(Proposal::LocalTestUp {
                url: "http://127.0.0.1:40123/".into(),
            }),
        )],
    );
    assert_eq!(
        app.update(Input::Key(Action::Activate), NOW),
        vec![Command::Answer {
            step: StepId::LocalTest,
            run_id: 2,
            answer: Answer::Accept
        }]
    );
}

#[test]
fn root_credentials_need_an_explicit_yes() {
    use dashdeploy::pipeline::{Answer, Proposal};
    let mut app = started();
    let root = Proposal::ConfirmRoot {
        arn: "arn:aws:iam::123456789012:root".into(),
    };
    feed(
        &mut app,
        vec![event(StepId::Prereqs, 1, EventKind::Proposal(root.clone()))],
    );
    assert!(!app.is_busy());
    // Enter and a do not confirm it.
    assert!(app.update(Input::Key(Action::Accept), NOW).is_empty());
    app.update(Input::Key(Action::Activate), NOW);
    assert!(app.waiting.is_some());
    let mut declined = app.clone();
    assert_eq!(
        declined.update(Input::Key(Action::No), NOW),
        vec![Command::Answer {
            step: StepId::Prereqs,
            run_id: 1,
            answer: Answer::Skip
        }]
    );
    assert_eq!(
        app.update(Input::Key(Action::Yes), NOW),
        vec![Command::Answer {
            step: StepId::Prereqs,
            run_id: 1,
            answer: Answer::Accept
        }]
    );
}

fn form_keys(app: &mut App, keys: &[dashdeploy::app::FormKey]) -> Vec<Command> {
    keys.iter()
        .flat_map(|k| app.update(Input::Form(*k), NOW))
        .collect()
}

fn typed(app: &mut App, text: &str) {
    let keys: Vec<_> = text.chars().map(dashdeploy::app::FormKey::Char).collect();
    form_keys(app, &keys);
}

#[test]
fn c_opens_the_credentials_form_and_an_existing_profile_is_used() {
    use dashdeploy::app::FormKey;
    let mut app = started();
    prereqs_fail(&mut app, 1);
    assert_eq!(
        app.update(Input::Key(Action::Credentials), NOW),
        vec![Command::LoadProfiles]
    );
    assert!(app.wants_text());
    app.update(
        Input::Profiles(
            vec!["default".into(), "work".into()],
            Some("/home/ana/.aws/credentials".into()),
        ),
        NOW,
    );
    // Down to "work", Tab to the region, one region to the right, Enter.
    let commands = form_keys(
        &mut app,
        &[FormKey::Down, FormKey::Tab, FormKey::Right, FormKey::Enter],
    );
    assert_eq!(
        commands,
        vec![Command::Start {
            step: StepId::Prereqs,
            run_id: 2
        }]
    );
    // Every step from now on uses them.
    assert_eq!(
        app.step_choices().aws,
        dashdeploy::aws::AwsTarget {
            profile: Some("work".into()),
            region: Some("us-east-2".into())
        }
    );
    assert!(!app.wants_text());
    assert_eq!(app.credentials, "profile work");
    assert_eq!(app.region.as_deref(), Some("us-east-2"));
}

#[test]
fn a_new_key_is_handed_to_the_loop_once_and_the_form_keeps_no_secret() {
    use dashdeploy::app::{FormKey, Overlay};
    let mut app = started();
    prereqs_fail(&mut app, 1);
    app.update(Input::Key(Action::Credentials), NOW);
    app.update(Input::Profiles(vec!["default".into()], None), NOW);
    // To "a new access key", then the name, key id and secret fields.
    form_keys(&mut app, &[FormKey::Down, FormKey::Tab, FormKey::Tab]);
    for _ in 0.."dashdeploy".len() {
        form_keys(&mut app, &[FormKey::Backspace]);
    }
    typed(&mut app, "deploy");
    form_keys(&mut app, &[FormKey::Tab]);
    typed(&mut app, "AKIAEXAMPLE");
    // Enter without a secret: a sentence, nothing saved.
    assert!(form_keys(&mut app, &[FormKey::Enter]).is_empty());
    let Overlay::Credentials(form) = &app.overlay else {
        panic!("the form stays open")
    };
    assert!(form.error.as_deref().unwrap().contains("secret access key"));
    form_keys(&mut app, &[FormKey::Tab]);
    typed(&mut app, "s3cret");
    let commands = form_keys(&mut app, &[FormKey::Enter]);
    assert_eq!(
        commands,
        vec![Command::SaveKey {
            profile: "deploy".into(),
            key_id: "AKIAEXAMPLE".into(),
            secret: "s3cret".into()
        }]
    );
    assert!(
        !format!("{app:?}").contains("s3cret"),
        "the form let go of the secret"
    );
    let commands = app.update(Input::KeySaved(Ok("deploy".into())), NOW);
    assert!(matches!(
        commands[0],
        Command::Start {
            step: StepId::Prereqs,
            ..
        }
    ));
    assert_eq!(
        app.step_choices().aws,
        dashdeploy::aws::AwsTarget {
            profile: Some("deploy".into()),
            region: Some("us-east-1".into())
        }
    );
    assert!(!app.wants_text());
}

#[test]
fn a_failed_save_is_shown_in_the_form() {
    use dashdeploy::app::Overlay;
    let mut app = started();
    prereqs_fail(&mut app, 1);
    app.update(Input::Key(Action::Credentials), NOW);
    app.update(
        Input::KeySaved(Err("could not write /x: read-only".into())),
        NOW,
    );
    let Overlay::Credentials(form) = &app.overlay else {
        panic!("the form stays open")
    };
    assert_eq!(form.error.as_deref(), Some("could not write /x: read-only"));
    // Esc closes it.
    app.update(Input::Form(dashdeploy::app::FormKey::Esc), NOW);
    assert_eq!(app.overlay, Overlay::None);
}

fn sizing_proposal() -> dashdeploy::pipeline::Proposal {
    dashdeploy::pipeline::Proposal::Sizing(Box::new(dashdeploy::pipeline::SizingProposal {
        region: "us-east-1".into(),
        cpu: 512,
        memory: 1024,
        arch: dashdeploy::fargate::Arch::X86_64,
        arch_reason: "the image is linux/amd64".into(),
        desired: 1,
    }))
}

/// (cpu, memory, desired) of the waiting sizing proposal, as the panel shows it.
fn shown_size(app: &App) -> (u32, u32, u32) {
    match app.waiting.as_ref().map(|w| &w.proposal) {
        Some(dashdeploy::pipeline::Proposal::Sizing(p)) => (p.cpu, p.memory, p.desired),
        other => panic!("not waiting on a size: {other:?}"),
    }
}

fn keys(app: &mut App, actions: &[Action]) -> Vec<Command> {
    actions
        .iter()
        .flat_map(|a| app.update(Input::Key(*a), NOW))
        .collect()
}

#[test]
fn sizing_keys_pick_the_cpu_keeping_the_memory_while_it_is_valid() {
    let mut app = waiting_on(StepId::Sizing, sizing_proposal());
    assert!(!app.is_busy());
    assert_eq!(shown_size(&app), (512, 1024, 1));
    // 1 = 0.25 vCPU: 1 GB is still valid with it.
    assert!(keys(&mut app, &[Action::Choose(1)]).is_empty());
    assert_eq!(shown_size(&app), (256, 1024, 1));
    // 3 = 1 vCPU: 1 GB is not, so the smallest valid size (2 GB).
    keys(&mut app, &[Action::Choose(3)]);
    assert_eq!(shown_size(&app), (1024, 2048, 1));
    // 7 = 16 vCPU: from 32 GB.
    keys(&mut app, &[Action::Choose(7)]);
    assert_eq!(shown_size(&app), (16384, 32768, 1));
    // Back to 4 vCPU: 32 GB is too much for it, so 8 GB.
    keys(&mut app, &[Action::Choose(5)]);
    assert_eq!(shown_size(&app), (4096, 8192, 1));
    // 8 and 9 are no CPU: nothing changes, nothing is sent.
    assert!(keys(&mut app, &[Action::Choose(8), Action::Choose(9)]).is_empty());
    assert_eq!(shown_size(&app), (4096, 8192, 1));
    assert!(app.waiting.is_some());
}

#[test]
fn sizing_arrows_step_the_memory_within_the_valid_sizes() {
    let mut app = waiting_on(StepId::Sizing, sizing_proposal());
    // 0.5 vCPU takes 1 to 4 GB; ← at 1 GB stays.
    keys(&mut app, &[Action::Left]);
    assert_eq!(shown_size(&app).1, 1024);
    keys(&mut app, &[Action::Right]);
    assert_eq!(shown_size(&app).1, 2048);
    keys(
        &mut app,
        &[Action::Right, Action::Right, Action::Right, Action::Right],
    );
    assert_eq!(shown_size(&app).1, 4096, "→ stops at the largest");
    keys(&mut app, &[Action::Left]);
    assert_eq!(shown_size(&app).1, 3072);
    // 8 vCPU goes by 4 GB.
    keys(&mut app, &[Action::Choose(6), Action::Right]);
    assert_eq!(shown_size(&app), (8192, 20480, 1));
    // 0.25 vCPU cannot have 20 GB: its smallest size, and ← stays there.
    keys(
        &mut app,
        &[Action::Choose(1), Action::Left, Action::Left, Action::Left],
    );
    assert_eq!(shown_size(&app), (256, 512, 1));
}

#[test]
fn sizing_plus_and_minus_keep_the_tasks_between_1_and_100() {
    let mut app = waiting_on(StepId::Sizing, sizing_proposal());
    keys(&mut app, &[Action::Less]);
    assert_eq!(shown_size(&app).2, 1, "never fewer than one task");
    keys(&mut app, &[Action::More, Action::More]);
    assert_eq!(shown_size(&app).2, 3);
    keys(&mut app, &[Action::Less]);
    assert_eq!(shown_size(&app).2, 2);
    for _ in 0..120 {
        keys(&mut app, &[Action::More]);
    }
    assert_eq!(shown_size(&app).2, 100, "never more than 100");
}

#[test]
fn sizing_a_and_enter_answer_with_the_size_shown() {
    use dashdeploy::pipeline::Answer;
    let mut app = waiting_on(StepId::Sizing, sizing_proposal());
    keys(&mut app, &[Action::Choose(3), Action::Right, Action::More]);
    let mut by_enter = app.clone();
    let expected = vec![Command::Answer {
        step: StepId::Sizing,
        run_id: 2,
        answer: Answer::Size {
            cpu: 1024,
            memory: 3072,
            desired: 2,
        },
    }];
    assert_eq!(keys(&mut app, &[Action::Accept]), expected);
    assert!(app.waiting.is_none());
    assert!(app.is_busy(), "the step now saves the size");
    assert_eq!(keys(&mut by_enter, &[Action::Activate]), expected);
    // The sizes are answered once: a second a has nothing to answer.
    assert!(keys(&mut app, &[Action::Accept]).is_empty());
}

#[test]
fn the_size_and_the_source_answered_are_the_choices_later_steps_start_with() {
    let mut app = waiting_on(StepId::Sizing, sizing_proposal());
    assert_eq!(app.step_choices().cpu, None, "nothing chosen yet");
    keys(&mut app, &[Action::Choose(3), Action::Right, Action::More]);
    assert_eq!(
        app.step_choices().cpu,
        None,
        "moving through sizes is no choice"
    );
    keys(&mut app, &[Action::Accept]);
    let chosen = app.step_choices();
    assert_eq!(
        (chosen.cpu, chosen.memory, chosen.desired_count),
        (Some(1024), Some(3072), Some(2))
    );
    assert_eq!(chosen.app_dir, app.app_dir, "in the wizard's app folder");
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    app.choices.cpu = Some(1024);
    keys(&mut app, &[Action::Choose(2)]);
    let chosen = app.step_choices();
    assert!(chosen.allow_from.is_some_and(|c| c.is_anywhere()));
    assert_eq!(chosen.cpu, Some(1024), "the size stays");
}

#[test]
fn each_removal_of_a_tear_down_is_a_log_line_and_a_failure_is_red() {
    use dashdeploy::pipeline::tear_down::{Removal, RemovalOutcome};
    use dashdeploy::store::record::ResourceKind;
    let mut app = listed(deployed(), made());
    app.update(Input::Key(Action::Yes), NOW);
    app.update(
        Input::Removal(Removal {
            kind: ResourceKind::Service,
            id: "arn:aws:ecs:us-east-1:123456789012:service/sales-dashboard/sales-dashboard".into(),
            outcome: RemovalOutcome::Removed,
        }),
        NOW,
    );
    let last = app.log.back().unwrap();
    assert_eq!(
        last.text,
        "ECS service arn:aws:ecs:us-east-1:123456789012:service/sales-dashboard/sales-dashboard: removed"
    );
    assert_eq!(last.level, LogLevel::Info);
    app.update(
        Input::Removal(Removal {
            kind: ResourceKind::Cluster,
            id: "sales-dashboard".into(),
            outcome: RemovalOutcome::Failed("it still has tasks".into()),
        }),
        NOW,
    );
    let last = app.log.back().unwrap();
    assert_eq!(
        last.text,
        "ECS cluster sales-dashboard: FAILED: it still has tasks"
    );
    assert_eq!(last.level, LogLevel::Error);
}

#[test]
fn a_taken_name_is_answered_with_the_free_one_and_later_steps_use_it() {
    use dashdeploy::pipeline::{Answer, Proposal};
    let proposal = Proposal::NameTaken {
        sentence: "The name sales-dashboard is already used in account 123456789012 (us-east-1) by another app".into(),
        suggested: "sales-dashboard-2".into(),
    };
    let mut app = waiting_on(StepId::Registry, proposal);
    assert_eq!(
        keys(&mut app, &[Action::Accept]),
        vec![Command::Answer {
            step: StepId::Registry,
            run_id: 2,
            answer: Answer::Choose("sales-dashboard-2".into()),
        }]
    );
    assert_eq!(
        app.step_choices().name.as_deref(),
        Some("sales-dashboard-2")
    );
    assert_eq!(app.app_name.as_deref(), Some("sales-dashboard-2"));
}

#[test]
fn arrows_and_plus_minus_do_nothing_away_from_the_sizing_screen() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    let before = app.clone();
    assert!(
        keys(
            &mut app,
            &[Action::Left, Action::Right, Action::More, Action::Less]
        )
        .is_empty()
    );
    assert_eq!(app, before, "no state change, no log line");
    // Nor on another proposal.
    let (app_fixes, _) = tutorial_proposals();
    let mut app = waiting_on(StepId::App, app_fixes);
    let before = app.clone();
    assert!(
        keys(
            &mut app,
            &[Action::Left, Action::Right, Action::More, Action::Less]
        )
        .is_empty()
    );
    assert_eq!(app, before);
}

fn ingress_proposal(suggested: Option<&str>) -> dashdeploy::pipeline::Proposal {
    dashdeploy::pipeline::Proposal::Ingress(Box::new(dashdeploy::pipeline::IngressProposal {
        vpc: "vpc-0a1b2c3d4e5f60718".into(),
        vpc_is_default: true,
        subnets: vec![
            "subnet-0a1b2c3d4e5f60001".into(),
            "subnet-0a1b2c3d4e5f60002".into(),
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

fn network_answer(text: &str) -> Vec<Command> {
    vec![Command::Answer {
        step: StepId::Network,
        run_id: 2,
        answer: dashdeploy::pipeline::Answer::Network {
            source: text.into(),
            load_balancer: false,
        },
    }]
}

#[test]
fn network_1_takes_the_given_source_and_2_anywhere() {
    let mut app = waiting_on(StepId::Network, ingress_proposal(Some("198.51.100.0/24")));
    let mut anywhere = app.clone();
    assert_eq!(
        keys(&mut app, &[Action::Choose(1)]),
        network_answer("198.51.100.0/24")
    );
    assert!(app.waiting.is_none());
    assert_eq!(
        keys(&mut anywhere, &[Action::Choose(2)]),
        network_answer("0.0.0.0/0")
    );
}

#[test]
fn network_b_switches_to_the_load_balancer_and_back_and_the_answer_carries_it() {
    let mut app = waiting_on(StepId::Network, ingress_proposal(Some("198.51.100.0/24")));
    assert!(keys(&mut app, &[Action::LoadBalancer]).is_empty());
    let chosen = |app: &App| match &app.waiting.as_ref().unwrap().proposal {
        dashdeploy::pipeline::Proposal::Ingress(p) => p.load_balancer,
        other => panic!("{other:?}"),
    };
    assert!(chosen(&app), "b chose the load balancer");
    let mut back = app.clone();
    assert_eq!(
        keys(&mut app, &[Action::Choose(1)]),
        vec![Command::Answer {
            step: StepId::Network,
            run_id: 2,
            answer: dashdeploy::pipeline::Answer::Network {
                source: "198.51.100.0/24".into(),
                load_balancer: true,
            },
        }]
    );
    keys(&mut back, &[Action::LoadBalancer]);
    assert!(!chosen(&back), "b again: the public IP");
    assert_eq!(
        keys(&mut back, &[Action::Choose(1)]),
        network_answer("198.51.100.0/24")
    );
}

#[test]
fn b_elsewhere_only_says_where_it_works() {
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    app.selected = StepId::Build;
    let before = app.waiting.clone();
    assert!(keys(&mut app, &[Action::LoadBalancer]).is_empty());
    assert_eq!(app.waiting, before);
    assert!(
        app.log
            .back()
            .unwrap()
            .text
            .contains("b chooses the load balancer"),
        "{:?}",
        app.log.back()
    );
}

#[test]
fn network_1_without_a_source_says_what_to_do_instead() {
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    assert!(keys(&mut app, &[Action::Choose(1)]).is_empty());
    assert!(app.waiting.is_some(), "still waiting");
    let last = app.log.back().unwrap();
    assert!(last.text.contains("press e"), "{}", last.text);
    // Neither a nor Enter opens the port to anyone.
    assert!(keys(&mut app, &[Action::Accept, Action::Activate]).is_empty());
    assert!(app.waiting.is_some());
    assert!(
        keys(&mut app, &[Action::Choose(3)]).is_empty(),
        "no third choice"
    );
}

#[test]
fn network_e_takes_an_address_and_a_bad_one_is_explained_under_it() {
    use dashdeploy::app::FormKey;
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    assert!(!app.wants_text());
    assert!(keys(&mut app, &[Action::Edit]).is_empty());
    assert!(app.wants_text(), "keys now arrive as text");
    typed(&mut app, "203.0.113.x");
    assert_eq!(app.typing.as_ref().unwrap().text, "203.0.113.x");
    assert!(form_keys(&mut app, &[FormKey::Enter]).is_empty());
    let error = app.typing.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("not an IPv4 address"), "{error}");
    assert!(app.waiting.is_some() && app.wants_text(), "still typing");
    // Host bits set are refused too.
    form_keys(&mut app, &[FormKey::Backspace]);
    assert_eq!(
        app.typing.as_ref().unwrap().error,
        None,
        "editing clears it"
    );
    typed(&mut app, "7/24");
    assert!(form_keys(&mut app, &[FormKey::Enter]).is_empty());
    let error = app.typing.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("host bits"), "{error}");
    // Nothing typed: told what to type.
    let mut empty = waiting_on(StepId::Network, ingress_proposal(None));
    keys(&mut empty, &[Action::Edit]);
    assert!(form_keys(&mut empty, &[FormKey::Enter]).is_empty());
    assert!(empty.typing.as_ref().unwrap().error.is_some());
}

#[test]
fn network_a_good_address_answers_as_a_32() {
    use dashdeploy::app::FormKey;
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    keys(&mut app, &[Action::Edit]);
    typed(&mut app, "203.0.113.7");
    assert_eq!(
        form_keys(&mut app, &[FormKey::Enter]),
        network_answer("203.0.113.7/32")
    );
    assert!(app.waiting.is_none());
    assert!(app.typing.is_none());
    assert!(!app.wants_text(), "keys are keys again");
    // Written as a /32 already, or with spaces around it, it is the same.
    let mut app = waiting_on(StepId::Network, ingress_proposal(Some("0.0.0.0/0")));
    keys(&mut app, &[Action::Edit]);
    typed(&mut app, " 203.0.113.7/32 ");
    assert_eq!(
        form_keys(&mut app, &[FormKey::Enter]),
        network_answer("203.0.113.7/32")
    );
}

#[test]
fn network_esc_stops_typing_and_leaves_the_proposal_waiting() {
    use dashdeploy::app::FormKey;
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    keys(&mut app, &[Action::Edit]);
    typed(&mut app, "203.0");
    assert!(form_keys(&mut app, &[FormKey::Esc]).is_empty());
    assert!(app.typing.is_none());
    assert!(!app.wants_text());
    assert!(
        app.waiting.is_some(),
        "Esc while typing does not cancel the step"
    );
    assert_eq!(app.step(StepId::Network).status, StepStatus::Running);
    // e again starts from nothing.
    keys(&mut app, &[Action::Edit]);
    assert_eq!(app.typing.as_ref().unwrap().text, "");
}

#[test]
fn typing_ends_with_the_proposal() {
    use dashdeploy::app::FormKey;
    let mut app = waiting_on(StepId::Network, ingress_proposal(None));
    keys(&mut app, &[Action::Edit]);
    typed(&mut app, "203.0.113.7");
    app.update(
        event(
            StepId::Network,
            2,
            EventKind::Finished(Err(dashdeploy::pipeline::StepFailure::new("boom"))),
        ),
        NOW,
    );
    assert!(app.typing.is_none());
    assert!(!app.wants_text());
    // A stray text key then does nothing.
    assert!(form_keys(&mut app, &[FormKey::Enter]).is_empty());
}

/// Everything before Monitor done and Monitor running as run 2.
fn watching() -> App {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..StepId::Monitor.index()] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Monitor;
    assert_eq!(
        app.update(Input::Key(Action::Activate), NOW),
        vec![Command::Start {
            step: StepId::Monitor,
            run_id: 2
        }]
    );
    app
}

fn snapshot(running: i32) -> dashdeploy::monitor::Snapshot {
    dashdeploy::monitor::Snapshot {
        service: Some(dashdeploy::monitor::snapshot::ServiceFacts {
            name: "sales-dashboard".into(),
            cluster: "sales-dashboard".into(),
            status: "ACTIVE".into(),
            desired: 1,
            running,
            pending: 1 - running,
            rollout: "IN_PROGRESS".into(),
            rollout_reason: None,
            task_definition: "sales-dashboard:3".into(),
            deployments: 1,
        }),
        taken_at: "2025-06-03T12:01:02Z".into(),
        ..Default::default()
    }
}

fn monitor_event(run_id: u64, snapshot: dashdeploy::monitor::Snapshot) -> Input {
    event(
        StepId::Monitor,
        run_id,
        EventKind::Monitor(Box::new(snapshot)),
    )
}

#[test]
fn the_monitor_snapshot_is_kept_and_a_later_one_replaces_it() {
    let mut app = watching();
    assert!(app.monitor.is_none());
    assert!(
        app.update(monitor_event(2, snapshot(0)), NOW).is_empty(),
        "a snapshot asks nothing of the loop"
    );
    assert_eq!(app.monitor.as_deref(), Some(&snapshot(0)));
    app.update(monitor_event(2, snapshot(1)), NOW);
    assert_eq!(app.monitor.as_deref(), Some(&snapshot(1)));
    // One from another run is stale.
    app.update(monitor_event(1, snapshot(0)), NOW);
    assert_eq!(app.monitor.as_deref(), Some(&snapshot(1)));
    // Stopping keeps the last look on screen; running again starts afresh.
    app.update(Input::Key(Action::Back), NOW);
    assert_eq!(app.step(StepId::Monitor).status, StepStatus::Failed);
    assert!(
        app.step(StepId::Monitor)
            .error
            .as_deref()
            .is_some_and(|e| e.contains("r to watch again")),
        "{:?}",
        app.step(StepId::Monitor).error
    );
    assert_eq!(app.monitor.as_deref(), Some(&snapshot(1)));
    assert_eq!(
        app.update(Input::Key(Action::Retry), NOW),
        vec![Command::Start {
            step: StepId::Monitor,
            run_id: 3
        }]
    );
    assert!(app.monitor.is_none());
}

/// A desktop where o can open a browser.
fn desktop() -> dashdeploy::app::BrowserFacts {
    dashdeploy::app::BrowserFacts {
        os: "linux".into(),
        over_ssh: false,
        display: true,
        on_path: vec!["xdg-open".into()],
    }
}

#[test]
fn o_on_the_monitor_opens_the_app_s_url_in_the_browser() {
    let mut app = watching();
    app.browser = desktop();
    let url = "http://203.0.113.7:8050/";
    app.update(
        monitor_event(
            2,
            dashdeploy::monitor::Snapshot {
                url: Some(url.into()),
                ..snapshot(1)
            },
        ),
        NOW,
    );
    assert_eq!(
        app.update(Input::Key(Action::OpenUrl), NOW),
        vec![Command::OpenUrl {
            program: "xdg-open",
            url: url.into()
        }]
    );
    assert_eq!(
        app.log.back().unwrap().text,
        format!("opening {url} in your browser")
    );
    // After watching stops, the last look's URL still opens.
    app.update(Input::Key(Action::Back), NOW);
    assert_eq!(
        app.update(Input::Key(Action::OpenUrl), NOW),
        vec![Command::OpenUrl {
            program: "xdg-open",
            url: url.into()
        }]
    );
    // Over SSH it is said instead, URL and all.
    app.browser.over_ssh = true;
    assert!(app.update(Input::Key(Action::OpenUrl), NOW).is_empty());
    let said = &app.log.back().unwrap().text;
    assert!(said.contains("over SSH") && said.contains(url), "{said}");
}

#[test]
fn o_without_a_url_says_there_is_none_yet() {
    let mut app = watching();
    app.browser = desktop();
    // No look yet, then a look before any task has an address.
    assert!(app.update(Input::Key(Action::OpenUrl), NOW).is_empty());
    assert!(app.log.back().unwrap().text.starts_with("no URL yet"));
    app.update(monitor_event(2, snapshot(0)), NOW);
    let before = app.log.len();
    assert!(app.update(Input::Key(Action::OpenUrl), NOW).is_empty());
    assert_eq!(app.log.len(), before + 1);
    assert!(app.log.back().unwrap().text.starts_with("no URL yet"));
}

#[test]
fn o_elsewhere_says_where_it_works() {
    let mut app = watching();
    app.browser = desktop();
    app.update(
        monitor_event(
            2,
            dashdeploy::monitor::Snapshot {
                url: Some("http://203.0.113.7:8050/".into()),
                ..snapshot(1)
            },
        ),
        NOW,
    );
    app.update(Input::Key(Action::Up), NOW);
    assert_ne!(app.selected, StepId::Monitor);
    assert!(app.update(Input::Key(Action::OpenUrl), NOW).is_empty());
    assert!(app.log.back().unwrap().text.contains("on the Monitor step"),);
}

#[test]
fn q_while_only_the_monitor_watches_quits_at_once() {
    let mut app = watching();
    app.update(monitor_event(2, snapshot(1)), NOW);
    assert!(app.is_busy(), "the monitor runs (and its spinner turns)");
    assert!(!app.quit_needs_asking());
    assert_eq!(
        app.update(Input::Key(Action::Quit), NOW),
        vec![Command::Quit]
    );
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.should_quit);
    // Ctrl-C too.
    let mut app = watching();
    assert_eq!(
        app.update(Input::Key(Action::Interrupt), NOW),
        vec![Command::Quit]
    );
}

#[test]
fn q_while_build_runs_still_asks() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in [StepId::App, StepId::Dockerfile] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Build;
    app.update(Input::Key(Action::Activate), NOW);
    assert_eq!(app.running_step(), Some(StepId::Build));
    assert!(app.quit_needs_asking());
    assert!(app.update(Input::Key(Action::Quit), NOW).is_empty());
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    assert!(!app.should_quit);
}

#[test]
fn an_earlier_runs_work_is_found_and_the_wizard_goes_on_after_it() {
    let mut app = started();
    let found = vec![
        (
            StepId::App,
            "dashapp.py serves dashapp:server · nothing to fix".to_string(),
        ),
        (StepId::Dockerfile, "Dockerfile in place".to_string()),
        (
            StepId::Build,
            "sales-dashboard:latest is newer than the app's files".to_string(),
        ),
    ];
    let commands = app.update(Input::Resumed(found), NOW);
    assert!(commands.is_empty());
    for step in [StepId::App, StepId::Dockerfile, StepId::Build] {
        assert_eq!(app.step(step).status, StepStatus::Done);
        assert!(
            app.step(step)
                .summary
                .as_deref()
                .is_some_and(|s| s.ends_with("(from an earlier run)"))
        );
    }
    assert_eq!(app.step(StepId::LocalTest).status, StepStatus::Pending);
    assert_eq!(app.selected, StepId::LocalTest);
    let last = &app.log.back().unwrap().text;
    assert!(
        last.contains("App, Dockerfile, Build") && last.contains("going on from Local test"),
        "{last}"
    );
}

#[test]
fn r_on_a_done_step_runs_it_again_and_later_steps_go_back_to_pending() {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..=StepId::Network.index()] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Sizing;
    let commands = app.update(Input::Key(Action::Retry), NOW);
    assert!(
        matches!(
            commands.as_slice(),
            [Command::Start {
                step: StepId::Sizing,
                ..
            }]
        ),
        "{commands:?}"
    );
    assert_eq!(app.step(StepId::Sizing).status, StepStatus::Running);
    assert_eq!(app.step(StepId::Network).status, StepStatus::Pending);
    assert_eq!(app.step(StepId::Push).status, StepStatus::Done);
    // A pending step is neither failed nor done: r says so and starts nothing.
    app.selected = StepId::Deploy;
    assert!(app.update(Input::Key(Action::Retry), NOW).is_empty());
}

// Tear down (t): the list first, then y removes it.

fn nothing_made() -> dashdeploy::pipeline::tear_down::TearDown {
    dashdeploy::pipeline::tear_down::TearDown {
        app: "sales-dashboard".into(),
        region: "us-east-1".into(),
        remove: Vec::new(),
        keep: Vec::new(),
    }
}

/// Every step done, nothing running, Deploy selected.
fn deployed() -> App {
    let mut app = started();
    prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..] {
        app.steps[step.index()].status = StepStatus::Done;
        app.steps[step.index()].summary = Some(format!("{} finished", step.title()));
    }
    app.selected = StepId::Deploy;
    app
}

/// `app` with the tear-down list of `list` open, asked for with t.
fn listed(mut app: App, list: dashdeploy::pipeline::tear_down::TearDown) -> App {
    assert_eq!(
        app.update(Input::Key(Action::TearDown), NOW),
        vec![Command::ListTearDown]
    );
    assert_eq!(app.tear_down, Some(dashdeploy::app::TearDownPhase::Listing));
    assert!(app.is_animating(), "the title's spinner turns");
    assert!(app.update(Input::TearDownList(Ok(list)), NOW).is_empty());
    assert_eq!(app.tear_down, None);
    app
}

fn last_log(app: &App) -> &str {
    &app.log.back().unwrap().text
}

#[test]
fn t_lists_what_a_tear_down_would_remove_and_the_list_opens_as_an_overlay() {
    let app = listed(deployed(), made());
    assert_eq!(
        app.overlay,
        Overlay::TearDown {
            list: Box::new(made()),
            scroll: 0
        }
    );
    assert!(!app.quit_needs_asking(), "a list removes nothing");
}

#[test]
fn n_esc_or_q_closes_the_list_and_removes_nothing() {
    for key in [Action::No, Action::Back, Action::Quit] {
        let mut app = listed(deployed(), made());
        assert!(app.update(Input::Key(key), NOW).is_empty(), "{key:?}");
        assert_eq!(app.overlay, Overlay::None, "{key:?}");
        assert_eq!(app.tear_down, None);
        assert!(last_log(&app).contains("kept everything"), "{key:?}");
        assert!(!app.should_quit);
        assert!(
            StepId::ALL
                .iter()
                .all(|s| app.step(*s).status == StepStatus::Done)
        );
    }
}

#[test]
fn enter_on_the_list_removes_nothing_and_says_which_key_does() {
    let mut app = listed(deployed(), made());
    assert!(app.update(Input::Key(Action::Activate), NOW).is_empty());
    assert!(matches!(app.overlay, Overlay::TearDown { .. }));
    assert!(
        last_log(&app).contains("y removes them"),
        "{}",
        last_log(&app)
    );
}

#[test]
fn the_list_scrolls_within_its_lines() {
    let mut app = listed(deployed(), made());
    let lines = made().lines().len() as u16;
    app.update(Input::Key(Action::Down), NOW);
    assert!(matches!(app.overlay, Overlay::TearDown { scroll: 1, .. }));
    app.update(Input::Key(Action::ScrollDown), NOW);
    assert!(
        matches!(app.overlay, Overlay::TearDown { scroll, .. } if scroll == lines - 1),
        "{:?}",
        app.overlay
    );
    app.update(Input::Key(Action::ScrollUp), NOW);
    app.update(Input::Key(Action::Up), NOW);
    assert!(matches!(app.overlay, Overlay::TearDown { scroll: 0, .. }));
    assert_eq!(app.selected, StepId::Deploy, "the step list stays put");
}

#[test]
fn y_removes_and_the_progress_lines_are_logged() {
    let mut app = listed(deployed(), made());
    assert_eq!(
        app.update(Input::Key(Action::Yes), NOW),
        vec![Command::TearDown]
    );
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(
        app.tear_down,
        Some(dashdeploy::app::TearDownPhase::Removing)
    );
    assert!(
        last_log(&app)
            .contains("removing 7 resource(s) dashdeploy made for sales-dashboard in us-east-1"),
        "{}",
        last_log(&app)
    );
    assert!(app.is_busy() && app.is_animating());
    assert!(app.quit_needs_asking(), "q asks while it removes");
    let line = "ECS service arn:aws:ecs:us-east-1:123456789012:service/sales-dashboard/sales-dashboard: removed";
    app.update(Input::Notice(LogLevel::Info, line.into()), NOW);
    assert_eq!(last_log(&app), line);
    // Nothing starts while it removes, and t is not asked twice.
    app.selected = StepId::Deploy;
    assert!(app.update(Input::Key(Action::Retry), NOW).is_empty());
    assert!(
        last_log(&app).contains("wait for the tear-down"),
        "{}",
        last_log(&app)
    );
    assert!(app.update(Input::Key(Action::TearDown), NOW).is_empty());
    assert!(
        last_log(&app).contains("already running"),
        "{}",
        last_log(&app)
    );
}

#[test]
fn q_during_the_removal_asks_first() {
    let mut app = listed(deployed(), made());
    app.update(Input::Key(Action::Yes), NOW);
    assert!(app.update(Input::Key(Action::Quit), NOW).is_empty());
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    assert_eq!(
        app.update(Input::Key(Action::Yes), NOW),
        vec![Command::Quit]
    );
}

#[test]
fn a_finished_tear_down_takes_the_aws_steps_back_to_pending() {
    let mut app = listed(deployed(), made());
    app.monitor = Some(Box::new(snapshot(1)));
    app.update(Input::Key(Action::Yes), NOW);
    let summary = "removed 7 resource(s): everything dashdeploy made for sales-dashboard in us-east-1 is gone";
    assert!(
        app.update(Input::TornDown(Ok(summary.into())), NOW)
            .is_empty()
    );
    assert_eq!(app.tear_down, None);
    assert!(!app.is_busy());
    assert!(last_log(&app).contains(summary), "{}", last_log(&app));
    assert_eq!(app.log.back().unwrap().level, LogLevel::Info);
    for step in &StepId::ALL[..StepId::Registry.index()] {
        assert_eq!(app.step(*step).status, StepStatus::Done, "{step:?}");
    }
    for step in &StepId::ALL[StepId::Registry.index()..] {
        let state = app.step(*step);
        assert_eq!(state.status, StepStatus::Pending, "{step:?}");
        assert_eq!((&state.summary, state.run_id), (&None, None), "{step:?}");
    }
    assert!(app.monitor.is_none());
    // The wizard goes on as before: Registry runs again.
    app.selected = StepId::Registry;
    assert!(matches!(
        app.update(Input::Key(Action::Activate), NOW).as_slice(),
        [Command::Start {
            step: StepId::Registry,
            ..
        }]
    ));
}

#[test]
fn a_failed_tear_down_keeps_the_steps_and_says_to_try_again() {
    let mut app = listed(deployed(), made());
    app.update(Input::Key(Action::Yes), NOW);
    let before = app.steps.clone();
    app.update(
        Input::Notice(
            LogLevel::Error,
            "ECS cluster sales-dashboard: FAILED: it still has tasks".into(),
        ),
        NOW,
    );
    let reason = "1 resource(s) could not be removed (ECS cluster sales-dashboard); run destroy again to retry them";
    assert!(
        app.update(Input::TornDown(Err(reason.into())), NOW)
            .is_empty()
    );
    assert_eq!(app.steps, before);
    assert_eq!(app.tear_down, None);
    let last = app.log.back().unwrap();
    assert_eq!(last.level, LogLevel::Error);
    assert!(
        last.text.contains(reason) && last.text.contains("press t to try again"),
        "{}",
        last.text
    );
    // And t does.
    assert_eq!(
        app.update(Input::Key(Action::TearDown), NOW),
        vec![Command::ListTearDown]
    );
}

#[test]
fn t_while_a_step_runs_is_refused() {
    let mut app = started();
    assert!(app.update(Input::Key(Action::TearDown), NOW).is_empty());
    assert_eq!(app.tear_down, None);
    assert_eq!(app.overlay, Overlay::None);
    assert!(
        last_log(&app).contains("Prerequisites is running") && last_log(&app).contains("Esc"),
        "{}",
        last_log(&app)
    );
}

#[test]
fn t_while_a_step_waits_for_an_answer_is_refused() {
    let (fixes, _) = tutorial_proposals();
    let mut app = waiting_on(StepId::App, fixes);
    assert!(app.update(Input::Key(Action::TearDown), NOW).is_empty());
    assert!(
        last_log(&app).contains("App is running"),
        "{}",
        last_log(&app)
    );
}

#[test]
fn t_while_watching_lists_and_y_stops_the_monitor_before_removing() {
    let mut app = watching();
    app.update(monitor_event(2, snapshot(1)), NOW);
    let mut app = listed(app, made());
    assert_eq!(
        app.step(StepId::Monitor).status,
        StepStatus::Running,
        "the list alone changes nothing"
    );
    assert_eq!(
        app.update(Input::Key(Action::Yes), NOW),
        vec![
            Command::Cancel {
                step: StepId::Monitor
            },
            Command::TearDown
        ]
    );
    assert_eq!(app.step(StepId::Monitor).status, StepStatus::Failed);
    app.update(Input::TornDown(Ok("removed 7 resource(s)".into())), NOW);
    assert_eq!(app.step(StepId::Monitor).status, StepStatus::Pending);
    assert!(app.monitor.is_none());
}

#[test]
fn nothing_to_remove_is_said_and_any_key_closes_it_without_removing() {
    for key in [Action::Back, Action::Activate, Action::No, Action::Yes] {
        let mut app = listed(deployed(), nothing_made());
        assert!(matches!(app.overlay, Overlay::TearDown { .. }));
        assert!(
            last_log(&app).starts_with(
                "Nothing to remove: dashdeploy has made nothing for sales-dashboard in us-east-1"
            ),
            "{}",
            last_log(&app)
        );
        assert!(app.update(Input::Key(key), NOW).is_empty(), "{key:?}");
        assert_eq!(app.overlay, Overlay::None, "{key:?}");
        assert_eq!(app.tear_down, None);
        assert_eq!(app.step(StepId::Deploy).status, StepStatus::Done);
    }
}

#[test]
fn a_list_that_cannot_be_read_is_logged_in_red() {
    let mut app = deployed();
    app.update(Input::Key(Action::TearDown), NOW);
    let reason = "No AWS region is set: choose one with --region";
    assert!(
        app.update(Input::TearDownList(Err(reason.into())), NOW)
            .is_empty()
    );
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.tear_down, None);
    let last = app.log.back().unwrap();
    assert_eq!(last.level, LogLevel::Error);
    assert!(
        last.text.contains(reason) && last.text.contains("press t to try again"),
        "{}",
        last.text
    );
}

#[test]
fn t_twice_while_listing_asks_once() {
    let mut app = deployed();
    assert_eq!(
        app.update(Input::Key(Action::TearDown), NOW),
        vec![Command::ListTearDown]
    );
    assert!(app.update(Input::Key(Action::TearDown), NOW).is_empty());
    assert!(
        last_log(&app).contains("already listing"),
        "{}",
        last_log(&app)
    );
}

#[test]
fn t_without_an_app_folder_says_what_to_do() {
    let mut init = init();
    init.app_dir = None;
    let (mut app, _) = App::new(init);
    prereqs_pass(&mut app, 1);
    assert!(app.update(Input::Key(Action::TearDown), NOW).is_empty());
    assert!(
        last_log(&app).contains("no app folder"),
        "{}",
        last_log(&app)
    );
}
