//! The App step's environment screen, driven through `App::update` and
//! drawn into ratatui's TestBackend: picking a variable, switching it
//! between secret and plain, leaving it unset, typing a value (masked for a
//! secret), refusing to go on while a required variable has no value, and
//! the answer and the wizard's choices carrying typed secrets, which never
//! reach the screen or a Debug print.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use dashdeploy::app::{Action, App, Command, FormKey, Input};
use dashdeploy::pipeline::app_env::{Kind, Setting, Source};
use dashdeploy::pipeline::{Answer, EnvProposal, Proposal, StepId};
use dashdeploy::secret::Secret;

const FROM_DOTENV: &str = "postgres://ana:hunter2@db/sales";
const TYPED: &str = "typed-k3y-value";

fn setting(name: &str, kind: Kind, source: Source, required: bool, at: &str) -> Setting {
    Setting {
        name: name.into(),
        required,
        read_at: vec![at.into()],
        kind,
        source,
        plain: None,
        local: None,
        declared: false,
        looks_secret: dashdeploy::dashapp::env_reads::looks_secret(name),
        in_dotenv: false,
        in_environment: false,
    }
}

fn proposal() -> Proposal {
    let mut db = setting(
        "DATABASE_URL",
        Kind::Secret,
        Source::File(".env".into()),
        true,
        "app.py:3",
    );
    db.local = Some(Secret::new(FROM_DOTENV));
    db.in_dotenv = true;
    let mut debug = setting(
        "DEBUG",
        Kind::Plain,
        Source::File(".env".into()),
        false,
        "app.py:4",
    );
    debug.plain = Some("false".into());
    debug.local = Some(Secret::new("false"));
    let key = setting("API_KEY", Kind::Unset, Source::Nowhere, true, "app.py:7");
    let home = setting("HOME", Kind::Unset, Source::Nowhere, false, "app.py:8");
    Proposal::Environment(Box::new(EnvProposal {
        settings: vec![db, debug, key, home],
    }))
}

fn shown(app: &App) -> Vec<(String, Kind, Source)> {
    match app.waiting.as_ref().map(|w| &w.proposal) {
        Some(Proposal::Environment(p)) => p
            .settings
            .iter()
            .map(|s| (s.name.clone(), s.kind, s.source.clone()))
            .collect(),
        other => panic!("not on the environment screen: {other:?}"),
    }
}

fn keys(app: &mut App, actions: &[Action]) -> Vec<Command> {
    actions
        .iter()
        .flat_map(|a| app.update(Input::Key(*a), NOW))
        .collect()
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Input::Form(FormKey::Char(c)), NOW);
    }
}

#[test]
fn a_required_variable_without_a_value_keeps_the_screen_open_until_one_is_typed() {
    let mut app = waiting_on(StepId::App, proposal());
    assert!(
        keys(&mut app, &[Action::Accept]).is_empty(),
        "API_KEY has no value"
    );
    assert!(app.waiting.is_some());
    assert!(
        app.env_screen
            .error
            .as_deref()
            .is_some_and(|e| e.contains("press e")),
        "{:?}",
        app.env_screen
    );
    assert!(
        app.log
            .iter()
            .any(|l| l.text.contains("API_KEY (read at app.py:7)")),
        "the log names it and where it is read"
    );
    // 3 picks API_KEY; e types a value, which it takes as a secret.
    keys(&mut app, &[Action::Choose(3), Action::Edit]);
    assert!(app.wants_text(), "keys go to the value now");
    type_text(&mut app, TYPED);
    let screen = render(&app, 100, 30);
    assert!(
        !screen.contains(TYPED) && screen.contains("Value of API_KEY: ••••"),
        "{screen}"
    );
    app.update(Input::Form(FormKey::Enter), NOW);
    assert!(!app.wants_text());
    assert_eq!(
        shown(&app)[2],
        ("API_KEY".into(), Kind::Secret, Source::Typed)
    );
    let commands = keys(&mut app, &[Action::Accept]);
    let [Command::Answer { step, answer, .. }] = commands.as_slice() else {
        panic!("one answer: {commands:?}");
    };
    assert_eq!(*step, StepId::App);
    let Answer::Environment { settings, typed } = answer else {
        panic!("{answer:?}");
    };
    assert_eq!(settings.len(), 4);
    assert_eq!(typed.get("API_KEY").map(Secret::expose), Some(TYPED));
    // Later steps start with the typed secret; no Debug print shows it.
    assert_eq!(
        app.step_choices()
            .secret_values
            .get("API_KEY")
            .map(Secret::expose),
        Some(TYPED)
    );
    let printed = format!("{commands:?} {app:?}");
    assert!(
        !printed.contains(TYPED) && !printed.contains("hunter2"),
        "a secret in a Debug print"
    );
}

#[test]
fn s_switches_secret_and_plain_without_losing_the_value_and_minus_unsets() {
    let mut app = waiting_on(StepId::App, proposal());
    // → to DEBUG, s: a secret now, its value kept.
    keys(&mut app, &[Action::Right, Action::Skip]);
    assert_eq!(shown(&app)[1].1, Kind::Secret);
    // s again: plain, with its value "false" back.
    keys(&mut app, &[Action::Skip]);
    match app.waiting.as_ref().map(|w| &w.proposal) {
        Some(Proposal::Environment(p)) => {
            assert_eq!(p.settings[1].kind, Kind::Plain);
            assert_eq!(p.settings[1].plain.as_deref(), Some("false"));
        }
        _ => unreachable!(),
    }
    // ← to DATABASE_URL, s: a plain value shown on the screen (the user's choice).
    keys(&mut app, &[Action::Left, Action::Skip]);
    assert_eq!(shown(&app)[0].1, Kind::Plain);
    keys(&mut app, &[Action::Skip]);
    assert_eq!(shown(&app)[0].1, Kind::Secret);
    // - leaves it unset: it is required, so a is refused again.
    keys(&mut app, &[Action::Less]);
    assert_eq!(shown(&app)[0].1, Kind::Unset);
    // Arrows stay within the list; ↑↓ still select steps.
    keys(&mut app, &[Action::Left, Action::Left]);
    assert_eq!(app.env_screen.selected, 0);
    keys(&mut app, &[Action::Down]);
    assert_eq!(app.selected, StepId::Dockerfile);
}

#[test]
fn esc_stops_typing_and_the_value_is_not_taken() {
    let mut app = waiting_on(StepId::App, proposal());
    keys(&mut app, &[Action::Choose(4), Action::Edit]);
    type_text(&mut app, "/home/x");
    app.update(Input::Form(FormKey::Esc), NOW);
    assert!(!app.wants_text());
    assert_eq!(
        shown(&app)[3],
        ("HOME".into(), Kind::Unset, Source::Nowhere)
    );
}

#[test]
fn the_screen_masks_secrets_and_shows_plain_values() {
    let app = waiting_on(StepId::App, proposal());
    for (width, height) in [(100, 30), (80, 24)] {
        let screen = render(&app, width, height);
        assert!(!screen.contains("hunter2"), "{screen}");
        assert!(screen.contains("••••••••"), "{screen}");
        assert!(screen.contains("\"false\""), "{screen}");
        insta::assert_snapshot!(format!("environment_{width}x{height}"), screen);
    }
}
