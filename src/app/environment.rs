//! The environment screen of the App step: how each variable the app
//! reads reaches it in the cloud. ←→ (or 1-9) pick a variable, `s`
//! switches it between secret and plain, `-` leaves it unset, `e` types a
//! value (masked for a secret), `a` accepts. The proposal is changed in
//! place, so the screen redraws at once; typed secret values stay in
//! memory ([`EnvScreen::typed`]) and travel with the answer.

use std::collections::BTreeMap;

use crate::pipeline::app_env::{Kind, Setting, Source};
use crate::pipeline::{Answer, LogLevel, Proposal};
use crate::secret::Secret;

use super::credentials::FormKey;
use super::input::{Action, Command};
use super::state::{App, Waiting};

/// The longest value taken from the keyboard.
const MAX_VALUE: usize = 4096;

/// Where the user is on the environment screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvScreen {
    /// The variable the keys act on.
    pub selected: usize,
    /// Secret values typed, by variable.
    pub typed: BTreeMap<String, Secret>,
    /// A value being typed for the selected variable.
    pub typing: Option<Secret>,
    /// Why the last key could not be taken.
    pub error: Option<String>,
}

impl App {
    /// The environment proposal the selected step waits on.
    fn env_proposal(&mut self) -> Option<&mut Vec<Setting>> {
        let selected = self.selected;
        match self.waiting.as_mut() {
            Some(Waiting {
                step,
                proposal: Proposal::Environment(p),
                ..
            }) if *step == selected => Some(&mut p.settings),
            _ => None,
        }
    }

    pub(super) fn waits_on_environment(&self) -> bool {
        self.waiting.as_ref().is_some_and(|w| {
            w.step == self.selected && matches!(w.proposal, Proposal::Environment(_))
        })
    }

    /// A value is being typed on the environment screen.
    pub(super) fn typing_env_value(&self) -> bool {
        self.env_screen.typing.is_some() && self.waits_on_environment()
    }

    /// A key on the environment screen; None when it means nothing here
    /// (it then goes where it would otherwise).
    pub(super) fn env_action(&mut self, action: Action, now: &str) -> Option<Vec<Command>> {
        let count = self.env_proposal()?.len();
        let at = self.env_screen.selected.min(count.saturating_sub(1));
        self.env_screen.error = None;
        match action {
            Action::Left => self.env_screen.selected = at.saturating_sub(1),
            Action::Right => self.env_screen.selected = (at + 1).min(count.saturating_sub(1)),
            Action::Choose(n) if (1..=count).contains(&n) => self.env_screen.selected = n - 1,
            Action::Skip => self.switch_kind(at),
            Action::Less => {
                if let Some(s) = self.env_proposal().and_then(|p| p.get_mut(at)) {
                    s.kind = Kind::Unset;
                }
            }
            Action::Edit => self.env_screen.typing = Some(Secret::default()),
            Action::Accept | Action::Activate => return Some(self.accept_environment(now)),
            _ => return None,
        }
        Some(Vec::new())
    }

    /// `s`: a secret becomes a plain value (its value here shown and kept
    /// in dashdeploy.toml), anything else a secret (a plain value kept as
    /// the secret's typed value, so nothing is lost).
    fn switch_kind(&mut self, at: usize) {
        let Some(setting) = self.env_proposal().and_then(|p| p.get_mut(at)).cloned() else {
            return;
        };
        let mut s = setting;
        match s.kind {
            Kind::Secret => {
                s.kind = Kind::Plain;
                if s.plain.is_none() {
                    s.plain = s.local.as_ref().map(|v| v.expose().to_string());
                }
            }
            Kind::Plain | Kind::Unset => {
                s.kind = Kind::Secret;
                if s.local.is_none()
                    && let Some(plain) = s.plain.clone()
                {
                    let value = Secret::new(plain);
                    self.env_screen.typed.insert(s.name.clone(), value.clone());
                    s.local = Some(value);
                    s.source = Source::Typed;
                }
                if s.source == Source::Toml {
                    s.source = if s.local.is_some() {
                        Source::Typed
                    } else {
                        Source::Nowhere
                    };
                }
            }
        }
        if let Some(slot) = self.env_proposal().and_then(|p| p.get_mut(at)) {
            *slot = s;
        }
    }

    /// `a`: answers with the settings, unless the app requires a variable
    /// that nothing gives (said on the screen).
    fn accept_environment(&mut self, now: &str) -> Vec<Command> {
        let Some(settings) = self.env_proposal().cloned() else {
            return Vec::new();
        };
        if let Some(sentence) = crate::pipeline::app_env::missing(&settings) {
            self.env_screen.error = Some(
                "The app requires a variable that has no value: select it, press e and type one."
                    .into(),
            );
            self.add_log(now, LogLevel::Warn, sentence);
            return Vec::new();
        }
        let typed = std::mem::take(&mut self.env_screen.typed);
        self.env_screen = EnvScreen::default();
        self.send_answer(Answer::Environment { settings, typed }, now)
    }

    /// A key while a value is typed: characters add, Backspace deletes,
    /// Esc stops, Enter gives the selected variable the value.
    pub(super) fn env_value_key(&mut self, key: FormKey) -> Vec<Command> {
        let Some(typing) = self.env_screen.typing.as_mut() else {
            return Vec::new();
        };
        match key {
            FormKey::Char(c) => {
                if !c.is_control() && typing.expose().chars().count() < MAX_VALUE {
                    *typing = Secret::new(format!("{}{c}", typing.expose()));
                }
            }
            FormKey::Backspace => {
                let mut text = typing.expose().to_string();
                text.pop();
                *typing = Secret::new(text);
            }
            FormKey::Esc => self.env_screen.typing = None,
            FormKey::Enter => {
                let value = self.env_screen.typing.take().unwrap_or_default();
                let at = self.env_screen.selected;
                let mut typed = std::mem::take(&mut self.env_screen.typed);
                if let Some(s) = self.env_proposal().and_then(|p| p.get_mut(at)) {
                    if s.kind == Kind::Unset {
                        s.kind = if s.looks_secret {
                            Kind::Secret
                        } else {
                            Kind::Plain
                        };
                    }
                    s.source = Source::Typed;
                    match s.kind {
                        Kind::Plain => s.plain = Some(value.expose().to_string()),
                        _ => {
                            typed.insert(s.name.clone(), value.clone());
                        }
                    }
                    s.local = Some(value);
                }
                self.env_screen.typed = typed;
            }
            FormKey::Up | FormKey::Down | FormKey::Left | FormKey::Right | FormKey::Tab => {}
        }
        Vec::new()
    }
}
