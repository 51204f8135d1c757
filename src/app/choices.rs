//! The choices made on a waiting proposal before it is answered: the task
//! size on the sizing screen (changed in place, so the panel and its cost
//! redraw at once), and the address typed on the network screen; and the
//! answers kept in [`App::choices`] for the steps that start later.

use crate::fargate::{self, CPU_CHOICES};
use crate::pipeline::values::parse_cidr;
use crate::pipeline::{Answer, Proposal, SizingProposal, StepId};

use super::credentials::FormKey;
use super::input::{Action, Command};
use super::state::{App, Typing};

/// The most tasks the sizing screen offers (as the sizing step accepts).
pub const MAX_TASKS: u32 = 100;

/// The longest address text taken; `255.255.255.255/32` is 18 characters.
const MAX_ADDRESS: usize = 40;

/// Applies a sizing key to the proposal: 1-7 pick the CPU (keeping the
/// memory when it is still valid, else the smallest valid one), ←/→ step
/// the memory through the sizes valid with that CPU, +/- the tasks. Returns
/// false for a key that means nothing here.
pub fn resize(p: &mut SizingProposal, action: Action) -> bool {
    match action {
        Action::Choose(n) => {
            let Some(cpu) = n.checked_sub(1).and_then(|i| CPU_CHOICES.get(i)) else {
                return false;
            };
            p.cpu = *cpu;
            let choices = fargate::memory_choices(p.cpu).unwrap_or_default();
            if !choices.contains(&p.memory)
                && let Some(first) = choices.first()
            {
                p.memory = *first;
            }
            true
        }
        Action::Left | Action::Right => {
            let choices = fargate::memory_choices(p.cpu).unwrap_or_default();
            let next = if action == Action::Right {
                choices.iter().find(|m| **m > p.memory)
            } else {
                choices.iter().rev().find(|m| **m < p.memory)
            };
            if let Some(memory) = next {
                p.memory = *memory;
            }
            true
        }
        Action::More => {
            p.desired = p.desired.saturating_add(1).clamp(1, MAX_TASKS);
            true
        }
        Action::Less => {
            p.desired = p.desired.saturating_sub(1).clamp(1, MAX_TASKS);
            true
        }
        _ => false,
    }
}

impl App {
    /// Keeps an answer later steps must start from: the free name taken
    /// when another app held the app's, the task size chosen on the sizing
    /// screen, the source chosen on the network screen.
    pub(super) fn remember(&mut self, step: StepId, answer: &Answer) {
        match (step, answer) {
            (
                StepId::Sizing,
                Answer::Size {
                    cpu,
                    memory,
                    desired,
                },
            ) => {
                self.choices.cpu = Some(*cpu);
                self.choices.memory = Some(*memory);
                self.choices.desired_count = Some(*desired);
            }
            (StepId::Registry, Answer::Choose(name)) => {
                self.choices.name = Some(name.clone());
                self.app_name = Some(name.clone());
            }
            (StepId::App, Answer::Environment { typed, .. }) => {
                self.choices
                    .secret_values
                    .extend(typed.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            (
                StepId::Network,
                Answer::Network {
                    source,
                    load_balancer,
                },
            ) => {
                if let Ok(cidr) = parse_cidr(source) {
                    self.choices.allow_from = Some(cidr);
                }
                self.choices.load_balancer = Some(*load_balancer);
            }
            _ => {}
        }
    }

    /// The selected step waits on the network proposal and an address is
    /// being typed for it.
    pub(super) fn typing_address(&self) -> bool {
        self.typing.is_some()
            && self.waiting.as_ref().is_some_and(|w| {
                w.step == self.selected && matches!(w.proposal, Proposal::Ingress(_))
            })
    }

    /// e on the network screen: start typing an address.
    pub(super) fn start_typing(&mut self) {
        self.typing = Some(Typing::default());
        self.scroll = 0;
    }

    /// A key while an address is typed: characters add, Backspace deletes,
    /// Esc stops typing, Enter checks the address and answers with it.
    pub(super) fn address_key(&mut self, key: FormKey, now: &str) -> Vec<Command> {
        if !self.typing_address() {
            self.typing = None;
            return Vec::new();
        }
        let Some(typing) = self.typing.as_mut() else {
            return Vec::new();
        };
        match key {
            FormKey::Char(c) => {
                if !c.is_control() && typing.text.chars().count() < MAX_ADDRESS {
                    typing.text.push(c);
                }
                typing.error = None;
                Vec::new()
            }
            FormKey::Backspace => {
                typing.text.pop();
                typing.error = None;
                Vec::new()
            }
            FormKey::Esc => {
                self.typing = None;
                Vec::new()
            }
            FormKey::Enter => {
                let text = typing.text.trim();
                if text.is_empty() {
                    typing.error = Some(
                        "Type an address like 203.0.113.7 (taken as 203.0.113.7/32), or press Esc and 2 for anywhere."
                            .into(),
                    );
                    return Vec::new();
                }
                let load_balancer = matches!(
                    self.waiting.as_ref().map(|w| &w.proposal),
                    Some(Proposal::Ingress(p)) if p.load_balancer
                );
                match parse_cidr(text) {
                    Ok(cidr) => self.send_answer(
                        Answer::Network {
                            source: cidr.to_string(),
                            load_balancer,
                        },
                        now,
                    ),
                    Err(e) => {
                        typing.error = Some(e);
                        Vec::new()
                    }
                }
            }
            FormKey::Up | FormKey::Down | FormKey::Left | FormKey::Right | FormKey::Tab => {
                Vec::new()
            }
        }
    }
}
