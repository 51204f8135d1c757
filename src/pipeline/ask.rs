//! Steps that need the user's word: what they propose, what the user
//! answers, and the two ways an answer arrives (the wizard's keys through a
//! channel, or `--yes` accepting every proposal).

use tokio::sync::mpsc::UnboundedReceiver;

use crate::dashapp::analysis::Analysis;

use super::event::{EventKind, StepFailure};
use super::runner::Reporter;

/// What a step asks the user to decide.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// Several modules run a Dash app: which one?
    ChooseEntry(Vec<String>),
    /// Source fixes for the app, with what was found.
    AppFixes(Box<Analysis>),
    /// The Dockerfile and .dockerignore to use.
    Dockerfile(Box<DockerfileProposal>),
    /// The credentials are the root user's: go on anyway?
    ConfirmRoot { arn: String },
    /// The app answers locally at `url`; the container goes when the user continues.
    LocalTestUp { url: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileProposal {
    pub dockerfile: String,
    pub dockerignore: String,
    /// The Dockerfile is the app's own (checked, not rewritten).
    pub existing: bool,
    /// The .dockerignore is the app's own.
    pub existing_ignore: bool,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Skip,
    Choose(String),
    /// Start again from the generated text.
    Regenerate,
    /// The user edited the proposed text (the Dockerfile).
    Edited(String),
}

/// Where a step's answers come from.
pub enum Answers {
    /// The wizard: answers arrive on this channel.
    Channel(UnboundedReceiver<Answer>),
    /// Headless `--yes`: every proposal is accepted; choices cannot be made.
    AcceptAll,
}

impl Answers {
    pub async fn ask(
        &mut self,
        reporter: &Reporter,
        proposal: Proposal,
    ) -> Result<Answer, StepFailure> {
        match self {
            Answers::AcceptAll => match proposal {
                Proposal::ChooseEntry(candidates) => Err(StepFailure::new(format!(
                    "Several modules run a Dash app ({}): set entry = \"<file>\" in dashdeploy.toml, or run the wizard to choose.",
                    candidates.join(", ")
                ))),
                _ => Ok(Answer::Accept),
            },
            Answers::Channel(rx) => {
                reporter.send(EventKind::Proposal(proposal));
                rx.recv()
                    .await
                    .ok_or_else(|| StepFailure::new("stopped before an answer came"))
            }
        }
    }
}
