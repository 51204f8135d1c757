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
    /// The task size to run, among the sizes Fargate accepts.
    Sizing(Box<SizingProposal>),
    /// Who may open port 8050, in the VPC and security group found.
    Ingress(Box<IngressProposal>),
    /// Another app holds the app's name in this account and region: use
    /// the free name `suggested` instead?
    NameTaken { sentence: String, suggested: String },
    /// How each variable the app reads reaches it in the cloud: plain,
    /// secret or unset (never a secret's value).
    Environment(Box<EnvProposal>),
}

/// The app's variables as proposed; the wizard lets the user make each
/// plain, secret or unset and type a value, and answers
/// [`Answer::Environment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvProposal {
    pub settings: Vec<super::app_env::Setting>,
}

/// The size the sizing step proposes; the wizard lets the user change it
/// (showing the cost as it changes) and answers [`Answer::Size`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizingProposal {
    pub region: String,
    pub cpu: u32,
    pub memory: u32,
    pub arch: crate::fargate::Arch,
    /// Why this architecture: "the image is linux/amd64".
    pub arch_reason: String,
    pub desired: u32,
}

/// Where the app will run and the port-8050 rule to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressProposal {
    pub vpc: String,
    pub vpc_is_default: bool,
    pub subnets: Vec<String>,
    pub group: String,
    /// The group exists already (made by an earlier run).
    pub group_exists: bool,
    /// The source from --allow-from or dashdeploy.toml, when there is one.
    pub suggested: Option<String>,
    /// Behind a load balancer (the wizard switches it with `b`), else on a
    /// task's public IP.
    pub load_balancer: bool,
    /// The load balancer's cost, in words, with the date of the prices.
    pub lb_cost: Option<String>,
    /// The availability zones of the public subnets (a load balancer
    /// needs two).
    pub zones: usize,
    /// How many tasks run: more than one on public IPs is warned about.
    pub desired: u32,
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
    /// The change proposed to the app's own Dockerfile (it served another
    /// port than 8050): what and why, then its diff.
    pub fix: Option<String>,
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
    /// The task size chosen on the sizing screen.
    Size {
        cpu: u32,
        memory: u32,
        desired: u32,
    },
    /// Who may open the app (a CIDR) and whether a load balancer serves it,
    /// as chosen on the network screen.
    Network {
        source: String,
        load_balancer: bool,
    },
    /// The variables as chosen on the environment screen, with the secret
    /// values typed there (kept in memory only).
    Environment {
        settings: Vec<super::app_env::Setting>,
        typed: std::collections::BTreeMap<String, crate::secret::Secret>,
    },
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
                Proposal::Ingress(p) if p.suggested.is_none() => Err(StepFailure::new(format!(
                    "Say who may open port 8050 before anything is created: --allow-from <your address>/32 (or allow_from in dashdeploy.toml); \
                     --allow-from 0.0.0.0/0 opens the app to anyone on the internet. Nothing was created in {}.",
                    p.vpc
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
