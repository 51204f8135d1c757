//! The `local-test` step: the built image run on this machine, asked for
//! its page until it answers with a Dash page (bounded), its log shown, and
//! the container removed afterwards, whatever happened.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::docker::{Engine, engine, image, local_run};
use crate::http_probe;
use crate::pipeline::app_env;
use crate::pipeline::runner::Reporter;
use crate::pipeline::{Answers, Choices, LogLevel, Proposal, Spec, StepFailure};
use crate::store::local_tests;

/// How long the app may take to answer.
const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(500);
const LOG_KEPT: usize = 40;

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let (docker, _) = engine::connect(&spec.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let name = &spec.name;
    let image = format!("{name}:latest");
    // The variables the task will have: the plain values, and the secrets
    // that have a value here (the shell, .env, typed in the wizard).
    let dir = spec.app_dir()?;
    let local = tokio::task::spawn_blocking(move || app_env::Local::read(&dir))
        .await
        .map_err(|e| StepFailure::new(format!("reading the .env files stopped: {e}")))?;
    let values = app_env::Values::of(&spec.config, &local, &spec.secret_values);
    for (var, _) in values.secrets.iter().filter(|(_, v)| v.is_none()) {
        reporter.log(
            LogLevel::Warn,
            format!(
                "secret {var} has no value here (not in the shell or .env): the local test runs without it; \
                 in the cloud the value in Parameter Store is used"
            ),
        );
    }
    // Headless, an image that passed already with the same settings (the
    // same id: the same content) is not tried again; the wizard runs what
    // the user asks for.
    let id = image::inspect(&docker, &image)
        .await
        .map(|i| values.pass_key(&i.id))
        .ok();
    let state_dir = crate::store::state_dir().ok();
    if let (Answers::AcceptAll, Some(id), Some(dir)) = (&*answers, &id, &state_dir)
        && local_tests::passed(dir, name).as_ref() == Some(id)
    {
        let tag = crate::docker::build::content_tag(id.split(' ').next().unwrap_or(id));
        return Ok(format!(
            "{name}:{tag} passed the local test before and is unchanged: not run again"
        ));
    }
    let removed = local_run::remove_leftovers(&docker, name)
        .await
        .map_err(StepFailure::new)?;
    if removed > 0 {
        reporter.log(
            LogLevel::Info,
            format!("removed {removed} container(s) left by an earlier local test"),
        );
    }
    let running = local_run::start(&docker, &image, name, values.container_env())
        .await
        .map_err(|e| StepFailure::new(format!("{e}. Has the Build step made {image}?")))?;
    let url = format!("http://127.0.0.1:{}/", running.port);
    reporter.log(LogLevel::Info, format!("running {image} at {url}"));

    let log: Arc<Mutex<VecDeque<String>>> = Arc::new(Mutex::new(VecDeque::new()));
    let follower = {
        let log = log.clone();
        let reporter = reporter.clone();
        let values = values.clone();
        let mut lines = Box::pin(local_run::follow_logs(&docker, &running.id));
        tokio::spawn(async move {
            while let Some(line) = lines.next().await {
                // The app may print a secret it was given: never shown.
                let line = values.redact(&line);
                reporter.log(LogLevel::Info, format!("app | {line}"));
                if let Ok(mut kept) = log.lock() {
                    if kept.len() == LOG_KEPT {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            }
        })
    };
    let outcome = wait_for_page(&docker, &running, &log).await;
    let result = match outcome {
        Ok(probe) => {
            reporter.log(
                LogLevel::Info,
                format!(
                    "{url} answered {} with a Dash page in {} ms",
                    probe.status,
                    probe.latency.as_millis()
                ),
            );
            if let (Some(id), Some(dir)) = (&id, &state_dir)
                && let Err(e) = local_tests::note_passed(dir, name, id)
            {
                reporter.log(LogLevel::Warn, e);
            }
            // Let the user look before the container goes.
            answers
                .ask(reporter, Proposal::LocalTestUp { url: url.clone() })
                .await
                .map(|_| {
                    format!(
                        "answered 200 with a Dash page in {} ms at {url}",
                        probe.latency.as_millis()
                    )
                })
        }
        Err(failure) => Err(StepFailure::new(failure)),
    };
    follower.abort();
    local_run::remove(&docker, &running.id)
        .await
        .map_err(StepFailure::new)?;
    reporter.log(LogLevel::Info, "the local test container is removed");
    result
}

/// Polls until a Dash page answers, the container dies, or time runs out.
async fn wait_for_page(
    docker: &Engine,
    running: &local_run::Running,
    log: &Arc<Mutex<VecDeque<String>>>,
) -> Result<http_probe::Probe, String> {
    let deadline = Instant::now() + WAIT;
    let mut last_answer = None;
    let snapshot = || {
        log.lock()
            .map(|l| l.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    loop {
        match http_probe::get("127.0.0.1", running.port, "/", Duration::from_secs(5)).await {
            Ok(probe) if probe.status == 200 && probe.is_dash_page() => return Ok(probe),
            Ok(probe) => last_answer = Some((probe.status, probe.is_dash_page())),
            Err(_) => {}
        }
        if let Some(code) = local_run::exit_code(docker, &running.id).await? {
            // Give the log follower a moment to catch the last lines.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Err(local_run::diagnose(&snapshot(), Some(code), last_answer));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{} (waited {} s)",
                local_run::diagnose(&snapshot(), None, last_answer),
                WAIT.as_secs()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Removes the local test's container(s), bounded in time; on failure the
/// next local test removes them. For a stop in the middle (quit, Ctrl-C).
pub async fn remove_containers(choices: &Choices) {
    let spec = Spec::load(choices)
        .unwrap_or_else(|_| Spec::resolve(choices, crate::store::config::AppConfig::default()));
    let cleanup = async {
        let (docker, _) = engine::connect(&spec.docker)
            .await
            .map_err(|e| e.to_string())?;
        local_run::remove_leftovers(&docker, &spec.name).await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), cleanup).await {
        Ok(Ok(n)) => tracing::info!("removed {n} local test container(s)"),
        Ok(Err(e)) => tracing::warn!("local test containers not removed: {e}"),
        Err(_) => tracing::warn!("local test containers not removed within 10 s"),
    }
}
