//! h on the monitor: the app's releases ([`Command::ListReleases`] →
//! [`Input::ReleasesList`]) in an overlay; Enter on one shows what a
//! rollback to it would change, and y rolls back ([`Command::Rollback`] →
//! notices → [`Input::RolledBack`]) while the monitor keeps watching.
//!
//! [`Input::ReleasesList`]: super::Input::ReleasesList
//! [`Input::RolledBack`]: super::Input::RolledBack

use crate::pipeline::releases::Listed;
use crate::pipeline::rollback::{self, Plan};
use crate::pipeline::{LogLevel, StepId, StepStatus};

use super::input::{Action, Command};
use super::state::{App, Overlay, ReleasesBusy};

impl App {
    /// h: read the releases, on the Monitor step once something is deployed.
    pub(super) fn ask_releases(&mut self, now: &str) -> Vec<Command> {
        if self.selected != StepId::Monitor {
            self.add_log(
                now,
                LogLevel::Info,
                "h shows the app's releases on the Monitor step",
            );
            return Vec::new();
        }
        if self.step(StepId::Deploy).status != StepStatus::Done {
            self.add_log(
                now,
                LogLevel::Info,
                "there are releases once the Deploy step has run",
            );
            return Vec::new();
        }
        if self.tear_down.is_some() {
            self.add_log(
                now,
                LogLevel::Info,
                "a tear-down is under way: no rollback now",
            );
            return Vec::new();
        }
        match self.releases_busy {
            Some(ReleasesBusy::Listing) => Vec::new(),
            Some(ReleasesBusy::RollingBack) => {
                self.add_log(
                    now,
                    LogLevel::Info,
                    "a rollback is running: h again once it ends",
                );
                Vec::new()
            }
            None => {
                self.releases_busy = Some(ReleasesBusy::Listing);
                vec![Command::ListReleases]
            }
        }
    }

    /// The releases arrived: they open as an overlay, or the error is logged.
    pub(super) fn releases_listed(&mut self, result: Result<Vec<Listed>, String>, now: &str) {
        if self.releases_busy == Some(ReleasesBusy::Listing) {
            self.releases_busy = None;
        }
        match result {
            Ok(list) if list.is_empty() => self.add_log(
                now,
                LogLevel::Info,
                "no releases yet: each deploy that changes what runs is written down as one",
            ),
            Ok(list) if matches!(self.overlay, Overlay::None | Overlay::Help) => {
                // The cursor starts on the release `rollback` goes back to
                // by default.
                let all: Vec<_> = list.iter().map(|l| l.release.clone()).collect();
                let running = list
                    .iter()
                    .find(|l| l.running)
                    .map(|l| l.release.task_definition.as_str());
                let selected = crate::store::releases::previous(&all, running)
                    .and_then(|p| list.iter().position(|l| l.release.number == p.number))
                    .unwrap_or(0);
                self.overlay = Overlay::Releases { list, selected };
            }
            Ok(_) => {}
            Err(e) => self.add_log(
                now,
                LogLevel::Error,
                format!("the releases could not be read: {e} (press h to try again)"),
            ),
        }
    }

    /// A key while the releases are shown: ↑↓ select, Enter asks to roll
    /// back to the selected one, Esc/q/h close.
    pub(super) fn releases_key(
        &mut self,
        action: Action,
        list: Vec<Listed>,
        selected: usize,
        now: &str,
    ) -> Vec<Command> {
        let last = list.len().saturating_sub(1);
        match action {
            Action::Interrupt => self.ask_to_quit(),
            Action::Up => {
                self.overlay = Overlay::Releases {
                    list,
                    selected: selected.saturating_sub(1),
                };
                Vec::new()
            }
            Action::Down => {
                self.overlay = Overlay::Releases {
                    list,
                    selected: (selected + 1).min(last),
                };
                Vec::new()
            }
            Action::Activate => {
                let Some(chosen) = list.get(selected).map(|l| l.release.number) else {
                    return Vec::new();
                };
                let app = self.app_name.clone().unwrap_or_else(|| "the app".into());
                match rollback::choose(list.clone(), Some(chosen), &app) {
                    Ok(plan) => {
                        self.overlay = Overlay::ConfirmRollback {
                            plan: Box::new(plan),
                            list,
                        };
                    }
                    Err(e) => {
                        self.add_log(now, LogLevel::Warn, e);
                        self.overlay = Overlay::Releases { list, selected };
                    }
                }
                Vec::new()
            }
            Action::Back | Action::Quit | Action::Releases | Action::No => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            _ => {
                self.overlay = Overlay::Releases { list, selected };
                Vec::new()
            }
        }
    }

    /// A key on the rollback question: y rolls back, n/Esc goes back to the list.
    pub(super) fn rollback_key(
        &mut self,
        action: Action,
        plan: Plan,
        list: Vec<Listed>,
        now: &str,
    ) -> Vec<Command> {
        let number = plan.target.release.number;
        match action {
            Action::Interrupt => self.ask_to_quit(),
            Action::Yes => {
                self.overlay = Overlay::None;
                self.releases_busy = Some(ReleasesBusy::RollingBack);
                self.add_log(
                    now,
                    LogLevel::Info,
                    format!("rollback: going back to release {number}"),
                );
                vec![Command::Rollback { to: number }]
            }
            Action::No | Action::Back | Action::Quit => {
                let selected = list
                    .iter()
                    .position(|l| l.release.number == number)
                    .unwrap_or(0);
                self.overlay = Overlay::Releases { list, selected };
                Vec::new()
            }
            _ => {
                self.overlay = Overlay::ConfirmRollback {
                    plan: Box::new(plan),
                    list,
                };
                Vec::new()
            }
        }
    }

    /// The rollback ended.
    pub(super) fn rolled_back(&mut self, result: Result<String, String>, now: &str) {
        self.releases_busy = None;
        match result {
            Ok(summary) => self.add_log(now, LogLevel::Info, format!("rollback: {summary}")),
            Err(e) => self.add_log(now, LogLevel::Error, format!("rollback: {e}")),
        }
    }
}
