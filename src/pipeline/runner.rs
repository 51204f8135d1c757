//! Starting a step in its own task and reporting what it does over the
//! event channel.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::ask::Answers;
use super::event::{CheckId, CheckState, EventKind, LogLevel, PipelineEvent, RunId, StepFailure};
use super::spec::{Choices, Spec};
use super::step::StepId;
use super::steps;

/// Sends one run's events. A closed channel (the wizard quit) is not an
/// error for the step: it just has nobody left to tell.
#[derive(Debug, Clone)]
pub struct Reporter {
    run_id: RunId,
    step: StepId,
    tx: UnboundedSender<PipelineEvent>,
}

impl Reporter {
    pub fn new(run_id: RunId, step: StepId, tx: UnboundedSender<PipelineEvent>) -> Self {
        Reporter { run_id, step, tx }
    }

    pub(crate) fn send(&self, kind: EventKind) {
        let event = PipelineEvent {
            run_id: self.run_id,
            step: self.step,
            kind,
        };
        // The receiver is gone only when the program is shutting down.
        let _ = self.tx.send(event);
    }

    pub fn log(&self, level: LogLevel, text: impl Into<String>) {
        let text = text.into();
        match level {
            LogLevel::Info => tracing::info!(step = %self.step, "{text}"),
            LogLevel::Warn => tracing::warn!(step = %self.step, "{text}"),
            LogLevel::Error => tracing::error!(step = %self.step, "{text}"),
        }
        self.send(EventKind::Log { level, text });
    }

    pub fn check(&self, check: CheckId, state: CheckState) {
        self.send(EventKind::Check { check, state });
    }

    pub fn aws_target(&self, credentials: String, region: String) {
        self.send(EventKind::AwsTarget {
            credentials,
            region,
        });
    }

    pub fn finish(&self, outcome: Result<String, StepFailure>) {
        match &outcome {
            Ok(summary) => tracing::info!(step = %self.step, "done: {summary}"),
            Err(failure) => tracing::warn!(step = %self.step, "failed: {}", failure.message),
        }
        self.send(EventKind::Finished(outcome));
    }
}

/// Runs one step in its own task with `choices`; its events go to `tx`,
/// ending with `Finished`. Aborting the handle stops the step.
pub fn spawn_step(
    step: StepId,
    run_id: RunId,
    choices: Arc<Choices>,
    tx: UnboundedSender<PipelineEvent>,
    mut answers: Answers,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let reporter = Reporter::new(run_id, step, tx);
        let outcome = run_step(step, &choices, &reporter, &mut answers).await;
        reporter.finish(outcome);
    })
}

/// Runs one step to its end, in the caller's task: the spec is resolved
/// from `choices` and dashdeploy.toml as it is now, then the step runs.
pub async fn run_step(
    step: StepId,
    choices: &Choices,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let spec = Spec::load(choices).map_err(StepFailure::new)?;
    let spec = &spec;
    // The steps that change the app in AWS run one run at a time.
    let lock = if step.changes_aws() {
        let say = |text: String| reporter.log(LogLevel::Info, text);
        super::run_lock::hold(spec, step.id(), super::run_lock::NoGroup::Make, &say).await?
    } else {
        None
    };
    // Read again: taking the lock may have given the folder its id.
    let spec = if lock.is_some() {
        &Spec::load(choices).map_err(StepFailure::new)?
    } else {
        spec
    };
    let outcome = run_one(step, spec, reporter, answers).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    outcome
}

async fn run_one(
    step: StepId,
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    match step {
        StepId::Prereqs => steps::prereqs::run(spec, reporter, answers).await,
        StepId::App => steps::app::run(spec, reporter, answers).await,
        StepId::Dockerfile => steps::dockerfile::run(spec, reporter, answers).await,
        StepId::Build => steps::build::run(spec, reporter).await,
        StepId::LocalTest => steps::local_test::run(spec, reporter, answers).await,
        StepId::Registry => steps::registry::run(spec, reporter, answers).await,
        StepId::Push => steps::push::run(spec, reporter).await,
        StepId::Sizing => steps::sizing::run(spec, reporter, answers).await,
        StepId::Network => steps::network::run(spec, reporter, answers).await,
        StepId::Deploy => steps::deploy::run(spec, reporter).await,
        StepId::Monitor => steps::monitor::run(spec, reporter, answers).await,
    }
}
