//! What a running step reports back to whoever started it (the wizard or the
//! headless runner), over a channel.

use super::step::StepId;

/// Identifies one run of one step. A retry gets a new id, so events from a
/// superseded run can be told apart and dropped.
pub type RunId = u64;

/// One message from a running step.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineEvent {
    pub run_id: RunId,
    pub step: StepId,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A line for the event log.
    Log { level: LogLevel, text: String },
    /// One check of the prerequisites changed state.
    Check { check: CheckId, state: CheckState },
    /// Whose credentials (`profile default`, `env credentials`) and the
    /// region the chain settled on.
    AwsTarget { credentials: String, region: String },
    /// How far a long step is: `done` of `total` (build instructions).
    Progress {
        label: String,
        done: u64,
        total: u64,
        elapsed_ms: u64,
    },
    /// What the monitor saw: the service, tasks, URL, health, events, log.
    Monitor(Box<crate::monitor::Snapshot>),
    /// A push, layer by layer.
    Push(super::push_progress::PushProgress),
    /// The step waits for the user's answer to this.
    Proposal(super::ask::Proposal),
    /// The step ended: `Ok` with a one-line summary, or what went wrong.
    Finished(Result<String, StepFailure>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// Why a step failed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    pub message: String,
}

impl StepFailure {
    pub fn new(message: impl Into<String>) -> Self {
        StepFailure {
            message: message.into(),
        }
    }
}

/// The checks the prerequisites step makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    Docker,
    Aws,
    Arch,
}

impl CheckId {
    pub const ALL: [CheckId; 3] = [CheckId::Docker, CheckId::Aws, CheckId::Arch];

    pub fn title(self) -> &'static str {
        match self {
            CheckId::Docker => "Docker engine",
            CheckId::Aws => "AWS credentials",
            CheckId::Arch => "Host architecture",
        }
    }
}

/// Where one check stands. `lines` hold the facts found, or for a failure
/// what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    Pending,
    Running,
    Passed {
        summary: String,
        lines: Vec<String>,
    },
    /// Passed, but with something the user must know (a root account).
    Warning {
        summary: String,
        lines: Vec<String>,
    },
    Failed {
        summary: String,
        lines: Vec<String>,
    },
}
