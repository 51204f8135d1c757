//! `dashdeploy deploy --yes`: the wizard's steps without the wizard, each
//! proposal accepted, progress as plain lines on stderr, and with `--json` a
//! summary on stdout.

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

use crate::pipeline::push_progress::{human_bytes, human_rate};
use crate::pipeline::run_lock::{self, RunLock};
use crate::pipeline::runner::spawn_step;
use crate::pipeline::steps::local_test;
use crate::pipeline::{
    Answers, CheckState, Choices, EventKind, LayerState, LogLevel, Spec, StepId,
};

pub async fn run(choices: Choices, until: Option<StepId>, json: bool) -> ExitCode {
    let until = until.unwrap_or(StepId::Monitor);
    let mut choices = choices;
    choices.needs_aws = until >= StepId::Registry;
    let choices = Arc::new(choices);
    let mut results = Vec::new();
    let mut ok = true;
    let (mut sigint, mut sigterm) = match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(i), Ok(t)) => (i, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("dashdeploy: could not watch for Ctrl-C: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The steps that change the app in AWS run under its run lock, held
    // from the first to the last of them so another run cannot interleave.
    let mut lock = None;
    for step in StepId::ALL {
        if step > until {
            break;
        }
        if step.changes_aws() && lock.is_none() {
            let say = |text: String| eprintln!("{}: {text}", step.id());
            match hold_lock(&choices, &say).await {
                Ok(held) => lock = held,
                Err(failure) => {
                    eprintln!("{}: FAILED: {}", step.id(), failure.message);
                    results.push(
                        json!({"id": step.id(), "status": "failed", "error": failure.message}),
                    );
                    ok = false;
                    break;
                }
            }
        } else if step > StepId::Deploy
            && let Some(held) = lock.take()
        {
            // Watching changes nothing: another run may go on meanwhile.
            held.release().await;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let handle = spawn_step(step, 1, choices.clone(), tx, Answers::AcceptAll);
        let mut outcome = None;
        let mut last_push: Option<std::time::Instant> = None;
        let mut last_monitor: Option<String> = None;
        let mut told: Vec<String> = Vec::new();
        let mut interrupted = None;
        loop {
            let event = tokio::select! {
                event = rx.recv() => event,
                _ = sigint.recv() => {
                    interrupted = Some("Ctrl-C");
                    None
                }
                _ = sigterm.recv() => {
                    interrupted = Some("SIGTERM");
                    None
                }
            };
            let Some(event) = event else { break };
            if json && let Some(line) = json_line(step, &event.kind) {
                stdout_line(&line.to_string());
            }
            match event.kind {
                EventKind::Log { level, text } => {
                    let mark = match level {
                        LogLevel::Info => "",
                        LogLevel::Warn => "warning: ",
                        LogLevel::Error => "error: ",
                    };
                    eprintln!("{}: {mark}{text}", step.id());
                }
                EventKind::Check { check, state } => {
                    if let CheckState::Passed { summary, .. }
                    | CheckState::Warning { summary, .. } = &state
                    {
                        eprintln!("{}: ✓ {}: {summary}", step.id(), check.title());
                    }
                }
                EventKind::Push(t) => {
                    let moving = t.layers.iter().any(|l| l.state == LayerState::Pushing);
                    if moving && last_push.is_none_or(|at| at.elapsed().as_secs() >= 1) {
                        last_push = Some(std::time::Instant::now());
                        eprintln!("{}: {}", step.id(), push_line(&t));
                    }
                }
                EventKind::Finished(result) => {
                    outcome = Some(result);
                    break;
                }
                EventKind::Progress {
                    label, done, total, ..
                } => eprintln!("{}: [{done}/{total}] {label}", step.id()),
                EventKind::Monitor(snapshot) => {
                    if last_monitor.as_deref() != Some(snapshot.state_line().as_str()) {
                        eprintln!("{}: {}", step.id(), snapshot.line());
                        last_monitor = Some(snapshot.state_line());
                    }
                    for e in &snapshot.explanations {
                        if !told.contains(e) {
                            eprintln!("{}: warning: {e}", step.id());
                            told.push(e.clone());
                        }
                    }
                }
                EventKind::AwsTarget { .. } | EventKind::Proposal(_) => {}
            }
        }
        if let Some(by) = interrupted {
            handle.abort();
            let _ = handle.await;
            if step == StepId::LocalTest {
                local_test::remove_containers(&choices).await;
            }
            eprintln!(
                "{}: stopped by {by}. Nothing finished so far is lost: run the same command again to go on from here.",
                step.id()
            );
            if let Some(held) = lock.take() {
                held.release().await;
            }
            results.push(json!({"id": step.id(), "status": "interrupted"}));
            if json {
                stdout_line(&json!({"ok": false, "steps": results}).to_string());
            }
            return ExitCode::from(130);
        }
        let _ = handle.await;
        match outcome {
            Some(Ok(summary)) => {
                eprintln!("{}: done: {summary}", step.id());
                results.push(json!({"id": step.id(), "status": "done", "summary": summary}));
            }
            Some(Err(failure)) => {
                eprintln!("{}: FAILED: {}", step.id(), failure.message);
                results
                    .push(json!({"id": step.id(), "status": "failed", "error": failure.message}));
                ok = false;
                break;
            }
            None => {
                eprintln!("{}: FAILED: the step stopped without a result", step.id());
                results.push(json!({"id": step.id(), "status": "failed", "error": "stopped without a result"}));
                ok = false;
                break;
            }
        }
    }
    if let Some(held) = lock.take() {
        held.release().await;
    }
    if json {
        stdout_line(&json!({"ok": ok, "steps": results}).to_string());
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A line on stdout; a reader that went away (`| head`) is not an error
/// worth a panic: the deploy goes on and its log says what happened.
/// The app's run lock for a headless deploy.
async fn hold_lock(
    choices: &Choices,
    say: &(dyn Fn(String) + Sync),
) -> Result<Option<RunLock>, crate::pipeline::StepFailure> {
    let spec = Spec::load(choices).map_err(crate::pipeline::StepFailure::new)?;
    run_lock::hold(&spec, "deploy", run_lock::NoGroup::Make, say).await
}

fn stdout_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// The event as one JSON line for `--json` (the summary is the last line).
fn json_line(step: StepId, kind: &EventKind) -> Option<serde_json::Value> {
    let level = |l: &LogLevel| match l {
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    };
    let body = match kind {
        EventKind::Log { level: l, text } => {
            json!({"event": "log", "level": level(l), "text": text})
        }
        EventKind::Check { check, state } => {
            let (status, summary) = match state {
                CheckState::Pending | CheckState::Running => return None,
                CheckState::Passed { summary, .. } => ("passed", summary),
                CheckState::Warning { summary, .. } => ("warning", summary),
                CheckState::Failed { summary, .. } => ("failed", summary),
            };
            json!({"event": "check", "check": check.title(), "status": status, "summary": summary})
        }
        EventKind::Progress {
            label,
            done,
            total,
            elapsed_ms,
        } => {
            json!({"event": "progress", "label": label, "done": done, "total": total, "elapsed_ms": elapsed_ms})
        }
        EventKind::Push(t) => json!({
            "event": "push",
            "label": t.label,
            "layers": t.layers.len(),
            "layers_done": t.finished(),
            "bytes_sent": t.sent,
            "bytes_total": t.total,
            "bytes_per_sec": t.bytes_per_sec.round(),
        }),
        EventKind::Finished(Ok(summary)) => json!({"event": "done", "summary": summary}),
        EventKind::Finished(Err(failure)) => json!({"event": "failed", "error": failure.message}),
        EventKind::Monitor(snapshot) => {
            json!({"event": "monitor", "status": serde_json::to_value(snapshot.as_ref()).ok()})
        }
        EventKind::AwsTarget { .. } | EventKind::Proposal(_) => return None,
    };
    let mut line = json!({"step": step.id()});
    if let (Some(line), Some(body)) = (line.as_object_mut(), body.as_object()) {
        line.extend(body.clone());
    }
    Some(line)
}

/// One line for a push in flight: layers done, bytes and throughput.
fn push_line(t: &crate::pipeline::PushProgress) -> String {
    format!(
        "{} · {}/{} layers · {} of {} · {}",
        t.label,
        t.finished(),
        t.layers.len(),
        human_bytes(t.sent),
        human_bytes(t.total),
        human_rate(t.bytes_per_sec)
    )
}
