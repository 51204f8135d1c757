//! [`App::update`]: every change to the wizard's state happens here,
//! synchronously and without IO.

use crate::pipeline::{
    Answer, CheckState, EventKind, LogLevel, PipelineEvent, Proposal, StepId, StepStatus,
};

use super::input::{Action, Command, Input};
use super::state::{App, Overlay, Waiting};

/// The source that lets anyone on the internet open the app.
const ANYWHERE: &str = "0.0.0.0/0";
/// Health check latencies kept for the monitor's sparkline.
const LATENCIES_KEPT: usize = 120;

impl App {
    /// Applies one input. `now` (`HH:MM:SS`) stamps any log line it adds.
    pub fn update(&mut self, input: Input, now: &str) -> Vec<Command> {
        match input {
            Input::Key(action) => self.on_action(action, now),
            Input::Pipeline(event) => {
                self.on_event(event, now);
                Vec::new()
            }
            Input::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                Vec::new()
            }
            Input::SampleCopied(result) => {
                self.on_sample_copied(result, now);
                Vec::new()
            }
            Input::Terminate => self.quit(),
            Input::Form(key) => self.form_key(key, now),
            Input::Profiles(profiles, file) => {
                self.profiles_loaded(profiles, file);
                Vec::new()
            }
            Input::KeySaved(result) => self.key_saved(result, now),
            Input::Resumed(found) => {
                self.on_resumed(found, now);
                Vec::new()
            }
            Input::Notice(level, text) => {
                self.add_log(now, level, text);
                Vec::new()
            }
            Input::TearDownList(result) => {
                self.tear_down_listed(result, now);
                Vec::new()
            }
            Input::ReleasesList(result) => {
                self.releases_listed(result, now);
                Vec::new()
            }
            Input::RolledBack(result) => {
                self.rolled_back(result, now);
                Vec::new()
            }
            Input::Removal(removal) => {
                let level = if removal.failed() {
                    LogLevel::Error
                } else {
                    LogLevel::Info
                };
                self.add_log(now, level, removal.line());
                Vec::new()
            }
            Input::TornDown(result) => {
                self.torn_down(result, now);
                Vec::new()
            }
        }
    }

    fn on_action(&mut self, action: Action, now: &str) -> Vec<Command> {
        match self.overlay.clone() {
            Overlay::Help => match action {
                Action::Help | Action::Back | Action::Quit | Action::Activate => {
                    self.overlay = Overlay::None;
                    Vec::new()
                }
                Action::Interrupt => self.ask_to_quit(),
                _ => Vec::new(),
            },
            Overlay::ConfirmQuit => match action {
                Action::Yes | Action::Activate | Action::Interrupt => self.quit(),
                Action::No | Action::Back | Action::Quit => {
                    self.overlay = Overlay::None;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Overlay::SampleOffer { dest } => match action {
                Action::Yes | Action::Activate => {
                    self.overlay = Overlay::None;
                    self.add_log(
                        now,
                        LogLevel::Info,
                        format!("copying the bundled sample app to {}", dest.display()),
                    );
                    vec![Command::CopySample { dest }]
                }
                Action::No | Action::Back => {
                    self.overlay = Overlay::None;
                    self.add_log(
                        now,
                        LogLevel::Warn,
                        "no app folder: quit and run `dashdeploy APP_DIR` with your Dash app's folder",
                    );
                    Vec::new()
                }
                Action::Quit | Action::Interrupt => self.ask_to_quit(),
                Action::Help => {
                    self.overlay = Overlay::Help;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            // Keys reach the form as Input::Form; Ctrl-C still asks to quit.
            Overlay::Credentials(_) => match action {
                Action::Interrupt => self.ask_to_quit(),
                _ => Vec::new(),
            },
            Overlay::TearDown { list, scroll } => self.tear_down_key(action, &list, scroll, now),
            Overlay::Releases { list, selected } => self.releases_key(action, list, selected, now),
            Overlay::ConfirmRollback { plan, list } => self.rollback_key(action, *plan, list, now),
            Overlay::None => self.on_main_action(action, now),
        }
    }

    fn on_main_action(&mut self, action: Action, now: &str) -> Vec<Command> {
        if self.waits_on_environment()
            && let Some(commands) = self.env_action(action, now)
        {
            return commands;
        }
        match action {
            Action::Up => {
                if let Some(prev) = self.selected.previous() {
                    self.select(prev);
                }
                Vec::new()
            }
            Action::Down => {
                if let Some(next) = self.selected.next() {
                    self.select(next);
                }
                Vec::new()
            }
            Action::ScrollUp => {
                self.scroll = self.scroll.saturating_sub(10);
                Vec::new()
            }
            Action::ScrollDown => {
                self.scroll = self.scroll.saturating_add(10);
                Vec::new()
            }
            Action::Accept
            | Action::Skip
            | Action::Edit
            | Action::Regenerate
            | Action::Choose(_) => self.answer(action, now),
            // Only the sizing screen has sizes to step through.
            Action::Left | Action::Right | Action::More | Action::Less => {
                if self.waiting.as_ref().is_some_and(|w| {
                    w.step == self.selected && matches!(w.proposal, Proposal::Sizing(_))
                }) {
                    self.answer(action, now)
                } else {
                    Vec::new()
                }
            }
            Action::Activate => self.activate(now),
            Action::Retry => self.retry(now),
            Action::Credentials if self.selected == StepId::Prereqs && !self.is_busy() => {
                self.open_credentials()
            }
            Action::Credentials => {
                self.add_log(
                    now,
                    LogLevel::Info,
                    "c changes the AWS profile on the Prerequisites step, when nothing runs",
                );
                Vec::new()
            }
            Action::ToggleLog => {
                self.show_log = !self.show_log;
                Vec::new()
            }
            Action::TearDown => self.ask_tear_down(now),
            Action::Releases => self.ask_releases(now),
            Action::OpenUrl => self.open_url(now),
            Action::Help => {
                self.overlay = Overlay::Help;
                Vec::new()
            }
            Action::Quit | Action::Interrupt => self.ask_to_quit(),
            Action::Back => self.cancel(now),
            Action::Yes | Action::No
                if self
                    .waiting
                    .as_ref()
                    .is_some_and(|w| w.step == self.selected) =>
            {
                self.answer(action, now)
            }
            Action::Yes | Action::No => Vec::new(),
            Action::LoadBalancer => {
                let selected = self.selected;
                match self.waiting.as_mut() {
                    Some(Waiting {
                        step,
                        proposal: Proposal::Ingress(p),
                        ..
                    }) if *step == selected => p.load_balancer = !p.load_balancer,
                    _ => self.add_log(
                        now,
                        LogLevel::Info,
                        "b chooses the load balancer on the Network step's screen",
                    ),
                }
                Vec::new()
            }
        }
    }

    /// Esc: stop the selected running step.
    fn cancel(&mut self, now: &str) -> Vec<Command> {
        let step = self.selected;
        if self.step(step).status != StepStatus::Running {
            return Vec::new();
        }
        self.stop(step, now)
    }

    /// Stops the running `step`: it fails as cancelled (watching just stops).
    pub(super) fn stop(&mut self, step: StepId, now: &str) -> Vec<Command> {
        self.clear_waiting(step);
        let state = self.step_mut(step);
        state.status = StepStatus::Failed;
        state.run_id = None;
        if step == StepId::Monitor {
            // Watching is not work: stopping it loses nothing.
            state.error = Some("Stopped watching. Press r to watch again.".into());
            self.add_log(now, LogLevel::Info, "stopped watching the app");
        } else {
            state.error = Some("Cancelled. Press r to run it again.".into());
            self.add_log(now, LogLevel::Warn, format!("{} cancelled", step.title()));
        }
        vec![Command::Cancel { step }]
    }

    fn select(&mut self, step: StepId) {
        self.selected = step;
        self.scroll = 0;
    }

    /// a / s / e / g / 1-9 (and ←→ +/- on the sizing screen): answer the
    /// proposal of the selected step, or change what it proposes.
    fn answer(&mut self, action: Action, now: &str) -> Vec<Command> {
        let selected = self.selected;
        // A size change redraws the panel, cost included; nothing is sent yet.
        if let Some(Waiting {
            step,
            proposal: Proposal::Sizing(proposal),
            ..
        }) = self.waiting.as_mut()
            && *step == selected
            && super::choices::resize(proposal, action)
        {
            return Vec::new();
        }
        let Some(waiting) = self.waiting.clone().filter(|w| w.step == selected) else {
            self.add_log(
                now,
                LogLevel::Info,
                format!("{} is not waiting for an answer", selected.title()),
            );
            return Vec::new();
        };
        let (step, run_id) = (waiting.step, waiting.run_id);
        let answer = match (&waiting.proposal, action) {
            (Proposal::AppFixes(_), Action::Accept) => Answer::Accept,
            (Proposal::AppFixes(_), Action::Skip) => Answer::Skip,
            (Proposal::Dockerfile(_), Action::Accept) => Answer::Accept,
            (Proposal::Dockerfile(_), Action::Regenerate) => Answer::Regenerate,
            (Proposal::Dockerfile(proposal), Action::Edit) => {
                return vec![Command::Edit {
                    step,
                    run_id,
                    text: proposal.dockerfile.clone(),
                }];
            }
            (Proposal::LocalTestUp { .. }, Action::Accept) => Answer::Accept,
            (Proposal::NameTaken { suggested, .. }, Action::Accept) => {
                Answer::Choose(suggested.clone())
            }
            (Proposal::ConfirmRoot { .. }, Action::Yes) => Answer::Accept,
            (Proposal::ConfirmRoot { .. }, Action::No) => Answer::Skip,
            (Proposal::ChooseEntry(candidates), Action::Choose(n))
                if (1..=candidates.len()).contains(&n) =>
            {
                Answer::Choose(candidates[n - 1].clone())
            }
            (Proposal::Sizing(p), Action::Accept) => {
                if let Err(e) = crate::fargate::check_pair(p.cpu, p.memory) {
                    self.add_log(now, LogLevel::Error, e);
                    return Vec::new();
                }
                Answer::Size {
                    cpu: p.cpu,
                    memory: p.memory,
                    desired: p.desired,
                }
            }
            (Proposal::Ingress(p), Action::Choose(1)) => match &p.suggested {
                Some(source) => Answer::Network {
                    source: source.clone(),
                    load_balancer: p.load_balancer,
                },
                None => {
                    self.add_log(
                        now,
                        LogLevel::Info,
                        "no source was given (--allow-from or allow_from in dashdeploy.toml): press e to type your address, or 2 for anywhere",
                    );
                    return Vec::new();
                }
            },
            (Proposal::Ingress(p), Action::Choose(2)) => Answer::Network {
                source: ANYWHERE.into(),
                load_balancer: p.load_balancer,
            },
            (Proposal::Ingress(_), Action::Edit) => {
                self.start_typing();
                return Vec::new();
            }
            _ => {
                self.add_log(
                    now,
                    LogLevel::Info,
                    "that key does nothing here: see the keys under the panel",
                );
                return Vec::new();
            }
        };
        self.send_answer(answer, now)
    }

    /// Answers the waiting proposal of the selected step with `answer`.
    pub(super) fn send_answer(&mut self, answer: Answer, now: &str) -> Vec<Command> {
        let Some(waiting) = self.waiting.take_if(|w| w.step == self.selected) else {
            self.add_log(
                now,
                LogLevel::Info,
                format!("{} is not waiting for an answer", self.selected.title()),
            );
            return Vec::new();
        };
        self.typing = None;
        self.scroll = 0;
        self.remember(waiting.step, &answer);
        vec![Command::Answer {
            step: waiting.step,
            run_id: waiting.run_id,
            answer,
        }]
    }

    /// Enter: run a pending or failed step, or move on from a done one.
    fn activate(&mut self, now: &str) -> Vec<Command> {
        let step = self.selected;
        match self.step(step).status {
            StepStatus::Running
                if self.waiting.as_ref().is_some_and(|w| {
                    w.step == step
                        && matches!(
                            w.proposal,
                            Proposal::LocalTestUp { .. } | Proposal::Sizing(_)
                        )
                }) =>
            {
                self.answer(Action::Accept, now)
            }
            StepStatus::Running => {
                let text = if self.waiting.as_ref().is_some_and(|w| w.step == step) {
                    format!(
                        "{} waits for your answer: see the keys under the panel",
                        step.title()
                    )
                } else {
                    format!("{} is running", step.title())
                };
                self.add_log(now, LogLevel::Info, text);
                Vec::new()
            }
            StepStatus::Done => {
                if let Some(next) = step.next() {
                    self.select(next);
                }
                Vec::new()
            }
            StepStatus::Failed => self.retry(now),
            StepStatus::Pending | StepStatus::Skipped => self.try_start(step, now),
        }
    }

    /// r: run the selected failed step again with the same choices; the
    /// steps after it go back to pending.
    /// r: run the selected failed step again, or a done one (to change a
    /// choice); the steps after it go back to pending.
    fn retry(&mut self, now: &str) -> Vec<Command> {
        let step = self.selected;
        let text = match self.step(step).status {
            StepStatus::Failed => format!("retrying {}", step.title()),
            StepStatus::Done => format!(
                "running {} again; the steps after it go back to pending",
                step.title()
            ),
            _ => {
                self.add_log(
                    now,
                    LogLevel::Info,
                    format!(
                        "r runs a failed or done step again; {} is neither",
                        step.title()
                    ),
                );
                return Vec::new();
            }
        };
        self.add_log(now, LogLevel::Info, text);
        self.try_start(step, now)
    }

    /// What an earlier run finished: those steps count as done, and the
    /// wizard goes on from the first that is not.
    fn on_resumed(&mut self, found: Vec<(StepId, String)>, now: &str) {
        let mut names = Vec::new();
        for (step, summary) in found {
            let state = self.step_mut(step);
            if state.status == StepStatus::Pending {
                state.status = StepStatus::Done;
                state.summary = Some(format!("{summary} (from an earlier run)"));
                names.push(step.title());
            }
        }
        if names.is_empty() {
            return;
        }
        let next = StepId::ALL[1..]
            .iter()
            .copied()
            .find(|s| self.step(*s).status == StepStatus::Pending);
        let mut text = format!("found done from an earlier run: {}", names.join(", "));
        if let Some(next) = next {
            text.push_str(&format!("; going on from {}", next.title()));
            let here = self.step(self.selected).status;
            if self.waiting.is_none()
                && (self.selected == StepId::Prereqs || here == StepStatus::Done)
            {
                self.select(next);
            }
        }
        self.add_log(now, LogLevel::Info, text);
    }

    fn try_start(&mut self, step: StepId, now: &str) -> Vec<Command> {
        if self.rolling_back() && step != StepId::Monitor {
            self.add_log(now, LogLevel::Info, "wait for the rollback to finish first");
            return Vec::new();
        }
        if self.tear_down.is_some() {
            self.add_log(
                now,
                LogLevel::Info,
                "wait for the tear-down to finish first",
            );
            return Vec::new();
        }
        if let Some(running) = self.running_step() {
            self.add_log(
                now,
                LogLevel::Info,
                format!("wait for {} to finish first", running.title()),
            );
            return Vec::new();
        }
        if let Some(blocker) = self.blocker(step) {
            self.add_log(
                now,
                LogLevel::Info,
                format!(
                    "{} comes after {}: finish that first",
                    step.title(),
                    blocker.title()
                ),
            );
            return Vec::new();
        }
        if step != StepId::Prereqs && self.app_dir.is_none() {
            self.add_log(
                now,
                LogLevel::Warn,
                "no app folder: quit and run `dashdeploy APP_DIR` with your Dash app's folder",
            );
            return Vec::new();
        }
        vec![self.start(step)]
    }

    /// Marks `step` running under a new run id; the steps after it go back
    /// to pending, since they depend on it.
    pub(super) fn start(&mut self, step: StepId) -> Command {
        let run_id = self.next_run_id;
        self.next_run_id += 1;
        for later in &StepId::ALL[step.index() + 1..] {
            let state = self.step_mut(*later);
            state.status = StepStatus::Pending;
            state.run_id = None;
            state.summary = None;
            state.error = None;
        }
        if self.waiting.as_ref().is_some_and(|w| w.step >= step) {
            self.waiting = None;
            self.typing = None;
        }
        self.scroll = 0;
        self.progress = None;
        if self.push.as_ref().is_some_and(|(s, _)| *s >= step) {
            self.push = None;
        }
        // Monitor is the last step: whatever runs again makes its facts stale.
        self.monitor = None;
        self.latencies.clear();
        let state = self.step_mut(step);
        state.status = StepStatus::Running;
        state.run_id = Some(run_id);
        state.summary = None;
        state.error = None;
        if step == StepId::Prereqs {
            for (_, check) in &mut self.checks {
                *check = CheckState::Pending;
            }
        }
        Command::Start { step, run_id }
    }

    fn on_event(&mut self, event: PipelineEvent, now: &str) {
        let state = self.step(event.step);
        if state.run_id != Some(event.run_id) || state.status != StepStatus::Running {
            // From a run that was superseded (retried) or already ended.
            return;
        }
        match event.kind {
            EventKind::Log { level, text } => self.add_log(now, level, text),
            EventKind::Check { check, state } => {
                if let Some(slot) = self.checks.iter_mut().find(|(id, _)| *id == check) {
                    slot.1 = state;
                }
            }
            EventKind::AwsTarget {
                credentials,
                region,
            } => {
                self.credentials = credentials;
                self.region = Some(region);
            }
            EventKind::Progress {
                label,
                done,
                total,
                elapsed_ms,
            } => {
                self.progress = Some(crate::app::Progress {
                    step: event.step,
                    label,
                    done,
                    total,
                    elapsed_ms,
                });
            }
            EventKind::Push(push) => self.push = Some((event.step, push)),
            EventKind::Monitor(snapshot) => {
                if let Some(ms) = snapshot.health.as_ref().and_then(|h| h.latency_ms) {
                    self.latencies.push(ms);
                    let over = self.latencies.len().saturating_sub(LATENCIES_KEPT);
                    self.latencies.drain(..over);
                }
                self.monitor = Some(snapshot)
            }
            EventKind::Proposal(proposal) => {
                self.typing = None;
                self.env_screen = Default::default();
                self.waiting = Some(Waiting {
                    step: event.step,
                    run_id: event.run_id,
                    proposal,
                });
                self.select(event.step);
            }
            EventKind::Finished(Ok(summary)) => {
                self.clear_waiting(event.step);
                self.add_log(
                    now,
                    LogLevel::Info,
                    format!("{} done: {summary}", event.step.title()),
                );
                let state = self.step_mut(event.step);
                state.status = StepStatus::Done;
                state.summary = Some(summary);
                if self.selected == event.step
                    && let Some(next) = event.step.next()
                {
                    self.select(next);
                }
            }
            EventKind::Finished(Err(failure)) => {
                self.clear_waiting(event.step);
                self.add_log(
                    now,
                    LogLevel::Error,
                    format!("{} failed: {}", event.step.title(), failure.message),
                );
                let state = self.step_mut(event.step);
                state.status = StepStatus::Failed;
                state.error = Some(failure.message);
                self.selected = event.step;
            }
        }
    }

    pub(super) fn clear_waiting(&mut self, step: StepId) {
        if self.waiting.as_ref().is_some_and(|w| w.step == step) {
            self.waiting = None;
            self.typing = None;
        }
        if self.progress.as_ref().is_some_and(|p| p.step == step) {
            self.progress = None;
        }
    }

    fn on_sample_copied(&mut self, result: Result<std::path::PathBuf, String>, now: &str) {
        match result {
            Ok(dir) => {
                self.add_log(
                    now,
                    LogLevel::Info,
                    format!("the sample app is in {}", dir.display()),
                );
                if self.app_name.is_none() {
                    let folder = dir
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.app_name = Some(crate::pipeline::values::name_from_folder(&folder));
                }
                self.app_dir = Some(dir);
            }
            Err(reason) => self.add_log(now, LogLevel::Error, reason),
        }
    }

    pub(super) fn ask_to_quit(&mut self) -> Vec<Command> {
        if self.quit_needs_asking() {
            self.overlay = Overlay::ConfirmQuit;
            Vec::new()
        } else {
            self.quit()
        }
    }

    fn quit(&mut self) -> Vec<Command> {
        self.should_quit = true;
        vec![Command::Quit]
    }
}
