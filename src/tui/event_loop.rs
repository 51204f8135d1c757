//! The wizard's event loop: one `select!` over the terminal's events, the
//! pipeline's events, a tick while something moves, and the signals that
//! end a program. It carries out the commands `App::update` returns; it is
//! the only place that starts work.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::app::{App, Command, Input};
use crate::aws::profiles;
use crate::pipeline::cloud::Cloud;
use crate::pipeline::steps::local_test;
use crate::pipeline::{
    Answer, Answers, Choices, LogLevel, PipelineEvent, RunId, Spec, StepId, releases, resume,
    rollback, runner, tear_down,
};
use crate::{sample, ui};

use super::keys::action_for;
use super::terminal::Term;

const TICK: Duration = Duration::from_millis(100);

/// Runs the wizard until the user quits or a signal ends it.
pub async fn run(
    terminal: &mut Term,
    mut app: App,
    initial: Vec<Command>,
    started: Instant,
) -> io::Result<()> {
    let (pipeline_tx, mut pipeline_rx) = mpsc::unbounded_channel::<PipelineEvent>();
    let (side_tx, mut side_rx) = mpsc::unbounded_channel::<Input>();
    let mut jobs = Jobs {
        steps: HashMap::new(),
        answers: HashMap::new(),
        edit: None,
        local_test: None,
        tear_down: None,
        rollback: None,
        pipeline_tx,
        side_tx,
    };
    let mut terminal_events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;

    // The screens show AWS's UTC times in the local zone, as the log's.
    app.local_offset = *chrono::Local::now().offset();
    app.browser = super::open_url::facts();
    jobs.execute(initial, &app);
    terminal.draw(|frame| ui::draw(&app, frame))?;
    tracing::info!(
        "first frame drawn {} µs after start",
        started.elapsed().as_micros()
    );

    while !app.should_quit {
        let input = tokio::select! {
            event = terminal_events.next() => match event {
                Some(Ok(event)) => terminal_input(&event, app.wants_text()),
                Some(Err(e)) => return Err(e),
                None => Some(Input::Terminate),
            },
            Some(event) = pipeline_rx.recv() => Some(Input::Pipeline(event)),
            Some(input) = side_rx.recv() => Some(input),
            _ = tick.tick(), if app.is_animating() => Some(Input::Tick),
            _ = sigint.recv() => Some(Input::Key(crate::app::Action::Interrupt)),
            _ = sigterm.recv() => Some(Input::Terminate),
            _ = sighup.recv() => Some(Input::Terminate),
        };
        let mut redraw = false;
        if let Some(input) = input {
            redraw = true;
            let commands = app.update(input, &now());
            jobs.execute(commands, &app);
        }
        // Drain what else is queued before drawing, so a burst of events
        // costs one frame.
        while let Ok(event) = pipeline_rx.try_recv() {
            let commands = app.update(Input::Pipeline(event), &now());
            jobs.execute(commands, &app);
            redraw = true;
        }
        if let Some((step, run_id, text)) = jobs.edit.take() {
            // The editor owns the terminal meanwhile: stop reading its keys.
            drop(terminal_events);
            let edited = super::editor::edit(terminal, "Dockerfile", &text);
            terminal_events = EventStream::new();
            match edited {
                Ok(text) => {
                    jobs.answer(step, run_id, Answer::Edited(text));
                }
                Err(reason) => {
                    app.update(Input::Notice(LogLevel::Error, reason), &now());
                }
            }
            redraw = true;
        }
        if redraw && !app.should_quit {
            terminal.draw(|frame| ui::draw(&app, frame))?;
        }
    }
    jobs.stop_all();
    if let Some(choices) = jobs.local_test.take() {
        local_test::remove_containers(&choices).await;
    }
    Ok(())
}

/// A terminal event as wizard input; a resize needs only a redraw. While a
/// form takes text, keys go to it as they are (Ctrl-C still interrupts).
fn terminal_input(event: &Event, wants_text: bool) -> Option<Input> {
    match event {
        Event::Key(key) if wants_text => match super::keys::form_key(key) {
            Some(form_key) => Some(Input::Form(form_key)),
            None => action_for(key)
                .filter(|a| *a == crate::app::Action::Interrupt)
                .map(Input::Key),
        },
        Event::Key(key) => action_for(key).map(Input::Key),
        Event::Resize(..) => Some(Input::Tick),
        _ => None,
    }
}

fn now() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

/// The work the loop has started.
struct Jobs {
    steps: HashMap<StepId, JoinHandle<()>>,
    /// Where each running step's answers go, with the run they belong to.
    answers: HashMap<StepId, (RunId, mpsc::UnboundedSender<Answer>)>,
    /// An edit to run once the loop can hand the terminal over.
    edit: Option<(StepId, RunId, String)>,
    /// The choices the local test last ran with: its containers go at quit.
    local_test: Option<Arc<Choices>>,
    /// The tear-down removing what dashdeploy made, while it runs.
    tear_down: Option<JoinHandle<()>>,
    /// A rollback from the releases view, while it runs.
    rollback: Option<JoinHandle<()>>,
    pipeline_tx: mpsc::UnboundedSender<PipelineEvent>,
    side_tx: mpsc::UnboundedSender<Input>,
}

impl Jobs {
    fn execute(&mut self, commands: Vec<Command>, app: &App) {
        for command in commands {
            match command {
                Command::Start { step, run_id } => {
                    if let Some(old) = self.steps.remove(&step) {
                        old.abort();
                    }
                    let (answer_tx, answer_rx) = mpsc::unbounded_channel();
                    let choices = Arc::new(app.step_choices());
                    if step == StepId::LocalTest {
                        self.local_test = Some(choices.clone());
                    }
                    let handle = runner::spawn_step(
                        step,
                        run_id,
                        choices,
                        self.pipeline_tx.clone(),
                        Answers::Channel(answer_rx),
                    );
                    self.steps.insert(step, handle);
                    self.answers.insert(step, (run_id, answer_tx));
                }
                Command::Answer {
                    step,
                    run_id,
                    answer,
                } => self.answer(step, run_id, answer),
                Command::Edit { step, run_id, text } => self.edit = Some((step, run_id, text)),
                Command::FindDone => {
                    let tx = self.side_tx.clone();
                    let choices = app.step_choices();
                    tokio::spawn(async move {
                        let Ok(state_dir) = crate::store::state_dir() else {
                            return;
                        };
                        let found = resume::done_steps(&choices, &state_dir).await;
                        let _ = tx.send(Input::Resumed(found));
                    });
                }
                Command::LoadProfiles => {
                    let tx = self.side_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let (profiles, file) = profiles::list();
                        let _ = tx.send(Input::Profiles(profiles, file));
                    });
                }
                Command::SaveKey {
                    profile,
                    key_id,
                    secret,
                } => {
                    let tx = self.side_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = profiles::save(&profile, &key_id, &secret).map(|()| profile);
                        let _ = tx.send(Input::KeySaved(result));
                    });
                }
                Command::Cancel { step } => {
                    if let Some(handle) = self.steps.remove(&step) {
                        handle.abort();
                    }
                    self.answers.remove(&step);
                    if let Some(choices) = self
                        .local_test
                        .clone()
                        .filter(|_| step == StepId::LocalTest)
                    {
                        // An aborted local test cannot remove its container itself.
                        tokio::spawn(async move { local_test::remove_containers(&choices).await });
                    }
                }
                Command::CopySample { dest } => {
                    let tx = self.side_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = sample::copy_to(&dest)
                            .map(|()| dest.clone())
                            .map_err(|e| e.to_string());
                        let _ = tx.send(Input::SampleCopied(result));
                    });
                }
                Command::ListTearDown => {
                    let tx = self.side_tx.clone();
                    let choices = app.step_choices();
                    tokio::spawn(async move {
                        let list = match Spec::load(&choices) {
                            Ok(spec) => tear_down::list(&spec, false).await,
                            Err(e) => Err(e),
                        };
                        let _ = tx.send(Input::TearDownList(list));
                    });
                }
                Command::TearDown => {
                    if let Some(old) = self.tear_down.take() {
                        old.abort();
                    }
                    let tx = self.side_tx.clone();
                    let choices = app.step_choices();
                    self.tear_down = Some(tokio::spawn(async move {
                        let removals = tx.clone();
                        let progress = move |removal| {
                            let _ = removals.send(Input::Removal(removal));
                        };
                        let notices = tx.clone();
                        let say = move |text: String| {
                            let _ = notices.send(Input::Notice(LogLevel::Info, text));
                        };
                        let result = match Spec::load(&choices) {
                            Ok(spec) => tear_down::remove(&spec, false, &say, progress).await,
                            Err(e) => Err(e),
                        };
                        let _ = tx.send(Input::TornDown(result));
                    }));
                }
                Command::ListReleases => {
                    let tx = self.side_tx.clone();
                    let choices = app.step_choices();
                    tokio::spawn(async move {
                        let list = async {
                            let spec = Spec::load(&choices)?;
                            let cloud = Cloud::new(&spec).await.map_err(|e| e.message)?;
                            releases::list(&cloud).await
                        };
                        let _ = tx.send(Input::ReleasesList(list.await));
                    });
                }
                Command::Rollback { to } => {
                    if let Some(old) = self.rollback.take() {
                        old.abort();
                    }
                    let tx = self.side_tx.clone();
                    let choices = app.step_choices();
                    self.rollback = Some(tokio::spawn(async move {
                        let notices = tx.clone();
                        let say = move |text: String| {
                            let _ = notices.send(Input::Notice(LogLevel::Info, text));
                        };
                        let result = async {
                            let spec = Spec::load(&choices)?;
                            let cloud = Cloud::new(&spec).await.map_err(|e| e.message)?;
                            let plan = rollback::plan(&cloud, Some(to)).await?;
                            rollback::run(&spec, &cloud, &plan, &say).await
                        };
                        let _ = tx.send(Input::RolledBack(result.await));
                    }));
                }
                Command::OpenUrl { program, url } => {
                    if let Err(e) = super::open_url::spawn(program, &url) {
                        let text =
                            format!("{program} could not start ({e}): open {url} in your browser");
                        let _ = self.side_tx.send(Input::Notice(LogLevel::Warn, text));
                    }
                }
                Command::Quit => self.stop_all(),
            }
        }
    }

    /// Hands an answer to the run it belongs to; a superseded run gets none.
    fn answer(&mut self, step: StepId, run_id: RunId, answer: Answer) {
        if let Some((current, tx)) = self.answers.get(&step)
            && *current == run_id
        {
            // A run that ended meanwhile has nobody left to answer.
            let _ = tx.send(answer);
        }
    }

    fn stop_all(&mut self) {
        for (_, handle) in self.steps.drain() {
            handle.abort();
        }
        // What is removed stays removed; the record says what is left.
        if let Some(handle) = self.tear_down.take() {
            handle.abort();
        }
        // The service keeps the revision it was pointed at.
        if let Some(handle) = self.rollback.take() {
            handle.abort();
        }
    }
}
