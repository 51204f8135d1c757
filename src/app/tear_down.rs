//! t: tear down what dashdeploy made on AWS for this app. The list comes
//! first ([`Command::ListTearDown`] → [`Input::TearDownList`]) and is shown
//! in an overlay; y removes it ([`Command::TearDown`] → one
//! [`Input::Notice`] per resource → [`Input::TornDown`]).
//!
//! [`Input::TearDownList`]: super::Input::TearDownList
//! [`Input::Notice`]: super::Input::Notice
//! [`Input::TornDown`]: super::Input::TornDown

use crate::pipeline::tear_down::TearDown;
use crate::pipeline::{LogLevel, StepId, StepStatus};

use super::input::{Action, Command};
use super::state::{App, Overlay, TearDownPhase};

/// The first step whose results live on AWS: a tear-down takes it and the
/// steps after it back to pending.
const FIRST_AWS_STEP: StepId = StepId::Registry;

impl App {
    /// t: list what a tear-down would remove. Works when no step runs, or
    /// only the monitor (which y stops before anything is removed).
    pub(super) fn ask_tear_down(&mut self, now: &str) -> Vec<Command> {
        if let Some(phase) = self.tear_down {
            let text = match phase {
                TearDownPhase::Listing => "already listing what a tear-down would remove",
                TearDownPhase::Removing => "the tear-down is already running",
            };
            self.add_log(now, LogLevel::Info, text);
            return Vec::new();
        }
        if self.rolling_back() {
            self.add_log(
                now,
                LogLevel::Info,
                "a rollback is running: press t again once it ends",
            );
            return Vec::new();
        }
        if let Some(text) = self.tear_down_refused() {
            self.add_log(now, LogLevel::Info, text);
            return Vec::new();
        }
        if self.app_dir.is_none() {
            self.add_log(
                now,
                LogLevel::Warn,
                "no app folder: quit and run `dashdeploy APP_DIR` with your Dash app's folder",
            );
            return Vec::new();
        }
        self.tear_down = Some(TearDownPhase::Listing);
        self.add_log(
            now,
            LogLevel::Info,
            "tear down: listing what dashdeploy made on AWS for this app",
        );
        vec![Command::ListTearDown]
    }

    /// Why a tear-down may not start now: a step other than the monitor is
    /// running (or waits for an answer).
    fn tear_down_refused(&self) -> Option<String> {
        self.running_step()
            .filter(|step| *step != StepId::Monitor)
            .map(|step| {
                format!(
                    "{} is running: let it finish or cancel it (Esc), then press t to tear down",
                    step.title()
                )
            })
    }

    /// The list arrived: it opens as an overlay, or its error is logged.
    pub(super) fn tear_down_listed(&mut self, result: Result<TearDown, String>, now: &str) {
        if self.tear_down == Some(TearDownPhase::Listing) {
            self.tear_down = None;
        }
        let list = match result {
            Ok(list) => list,
            Err(reason) => {
                self.add_log(
                    now,
                    LogLevel::Error,
                    format!(
                        "tear down: could not list what to remove: {reason} (press t to try again)"
                    ),
                );
                return;
            }
        };
        if list.remove.is_empty()
            && let Some(line) = list.lines().into_iter().next()
        {
            self.add_log(now, LogLevel::Info, line);
        }
        // Only help can be open meanwhile: t is a key of the main screen,
        // and the credentials form waits while anything runs.
        if matches!(self.overlay, Overlay::None | Overlay::Help) {
            self.overlay = Overlay::TearDown {
                list: Box::new(list),
                scroll: 0,
            };
        } else {
            self.add_log(
                now,
                LogLevel::Info,
                "the tear-down list is ready: press t again to see it",
            );
        }
    }

    /// A key while the list is open: y removes, n / Esc / q keep everything,
    /// ↑↓ and PgUp/PgDn scroll. With nothing to remove, any key closes it.
    pub(super) fn tear_down_key(
        &mut self,
        action: Action,
        list: &TearDown,
        scroll: u16,
        now: &str,
    ) -> Vec<Command> {
        if action == Action::Interrupt {
            return self.ask_to_quit();
        }
        if list.remove.is_empty() {
            self.overlay = Overlay::None;
            return Vec::new();
        }
        let last = u16::try_from(list.lines().len().saturating_sub(1)).unwrap_or(u16::MAX);
        let scroll_to = |to: u16| Overlay::TearDown {
            list: Box::new(list.clone()),
            scroll: to.min(last),
        };
        match action {
            Action::Yes => self.start_tear_down(list, now),
            Action::No | Action::Back | Action::Quit => {
                self.overlay = Overlay::None;
                self.add_log(now, LogLevel::Info, "tear down: kept everything");
                Vec::new()
            }
            Action::Up => {
                self.overlay = scroll_to(scroll.saturating_sub(1));
                Vec::new()
            }
            Action::Down => {
                self.overlay = scroll_to(scroll.saturating_add(1));
                Vec::new()
            }
            Action::ScrollUp => {
                self.overlay = scroll_to(scroll.saturating_sub(10));
                Vec::new()
            }
            Action::ScrollDown => {
                self.overlay = scroll_to(scroll.saturating_add(10));
                Vec::new()
            }
            Action::Activate => {
                // Removing is said with y, never by a habitual Enter.
                self.add_log(
                    now,
                    LogLevel::Info,
                    "y removes them; n or Esc keeps everything",
                );
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// y: the monitor stops (the service it watches is going), then the
    /// removal starts.
    fn start_tear_down(&mut self, list: &TearDown, now: &str) -> Vec<Command> {
        self.overlay = Overlay::None;
        if let Some(text) = self.tear_down_refused() {
            self.add_log(now, LogLevel::Info, text);
            return Vec::new();
        }
        let mut commands = Vec::new();
        if self.step(StepId::Monitor).status == StepStatus::Running {
            commands.extend(self.stop(StepId::Monitor, now));
        }
        self.tear_down = Some(TearDownPhase::Removing);
        self.add_log(
            now,
            LogLevel::Info,
            format!(
                "tear down: removing {} resource(s) dashdeploy made for {} in {}",
                list.remove.len(),
                list.app,
                list.region
            ),
        );
        commands.push(Command::TearDown);
        commands
    }

    /// The tear-down ended. Done: what the AWS steps made is gone, so they
    /// are pending again. Failed: the steps stay as they are; t tries again.
    pub(super) fn torn_down(&mut self, result: Result<String, String>, now: &str) {
        self.tear_down = None;
        match result {
            Ok(summary) => {
                self.add_log(now, LogLevel::Info, format!("tear down done: {summary}"));
                for step in &StepId::ALL[FIRST_AWS_STEP.index()..] {
                    self.clear_waiting(*step);
                    let state = self.step_mut(*step);
                    state.status = StepStatus::Pending;
                    state.run_id = None;
                    state.summary = None;
                    state.error = None;
                }
                if self
                    .push
                    .as_ref()
                    .is_some_and(|(step, _)| *step >= FIRST_AWS_STEP)
                {
                    self.push = None;
                }
                self.monitor = None;
                self.latencies.clear();
            }
            Err(reason) => self.add_log(
                now,
                LogLevel::Error,
                format!("tear down failed: {reason} (press t to try again)"),
            ),
        }
    }
}
