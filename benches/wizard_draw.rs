//! Draw time of one wizard frame at 200x60 (the goal is under 1 ms), and
//! the cost of `App::update`. Prints figures; asserts nothing.
//!
//! Run with `cargo bench --bench wizard_draw`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use dashdeploy::app::{Action, App, AppInit, Input};
use dashdeploy::pipeline::{CheckId, CheckState, EventKind, LogLevel, PipelineEvent, StepId};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn busy_app() -> App {
    let (mut app, _) = App::new(AppInit {
        app_dir: Some(PathBuf::from("/home/ana/sales-dashboard")),
        app_name: Some("sales-dashboard".into()),
        credentials: "profile default".into(),
        region: Some("us-east-1".into()),
        log_file: Ok(PathBuf::from(
            "/home/ana/.local/state/dashdeploy/dashdeploy.log",
        )),
        sample_dest: None,
        choices: dashdeploy::pipeline::Choices::new(
            None,
            dashdeploy::docker::DockerTarget::new("unix:///var/run/docker.sock"),
        ),
    });
    let event = |kind| {
        Input::Pipeline(PipelineEvent {
            run_id: 1,
            step: StepId::Prereqs,
            kind,
        })
    };
    app.update(
        event(EventKind::Check {
            check: CheckId::Docker,
            state: CheckState::Passed {
                summary: "Docker Engine 27.3.1 (API 1.47) at unix:///var/run/docker.sock".into(),
                lines: vec!["engine runs linux/x86_64".into()],
            },
        }),
        "12:00:00",
    );
    for i in 0..200 {
        app.update(
            event(EventKind::Log {
                level: LogLevel::Info,
                text: format!("log line {i} with some words to wrap and draw"),
            }),
            "12:00:00",
        );
    }
    app
}

fn figures(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    let total: Duration = samples.iter().sum();
    println!(
        "{name:<34} n={n:<6} mean {:>8.1} µs  median {:>8.1} µs  p99 {:>8.1} µs",
        total.as_secs_f64() * 1e6 / n as f64,
        samples[n / 2].as_secs_f64() * 1e6,
        samples[n * 99 / 100].as_secs_f64() * 1e6,
    );
}

fn main() {
    let mut app = busy_app();
    let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("could not make a test terminal: {e}");
            std::process::exit(1);
        }
    };
    // Warm up, then time each frame (the spinner moves so each differs).
    for _ in 0..50 {
        let _ = terminal.draw(|f| dashdeploy::ui::draw(&app, f));
    }
    let mut draws = Vec::new();
    for _ in 0..2000 {
        app.update(Input::Tick, "12:00:00");
        let start = Instant::now();
        let _ = terminal.draw(|f| dashdeploy::ui::draw(black_box(&app), f));
        draws.push(start.elapsed());
    }
    figures("draw 200x60 (prereqs, 200 log)", draws);

    let mut updates = Vec::new();
    for i in 0..20000 {
        let action = if i % 2 == 0 { Action::Down } else { Action::Up };
        let start = Instant::now();
        black_box(app.update(Input::Key(action), "12:00:00"));
        updates.push(start.elapsed());
    }
    figures("App::update (key)", updates);
}
