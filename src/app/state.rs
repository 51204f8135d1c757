//! The wizard's state: what each step is doing, what the prerequisites
//! found, the event log, and which overlay is open.

use std::collections::VecDeque;
use std::path::PathBuf;

use crate::pipeline::{
    CheckId, CheckState, Choices, LogLevel, Proposal, RunId, StepId, StepStatus,
};

/// How many event lines the wizard keeps; older ones stay in the log file.
pub const LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    pub status: StepStatus,
    /// The run whose events count; anything from another run is stale.
    pub run_id: Option<RunId>,
    /// One line on what a done step achieved.
    pub summary: Option<String>,
    /// What went wrong, for a failed step.
    pub error: Option<String>,
}

impl StepState {
    fn pending() -> Self {
        StepState {
            status: StepStatus::Pending,
            run_id: None,
            summary: None,
            error: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `HH:MM:SS`, stamped when the line arrived.
    pub time: String,
    pub level: LogLevel,
    pub text: String,
}

/// A step waiting for the user's answer to its proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub step: StepId,
    pub run_id: RunId,
    pub proposal: Proposal,
}

/// An address being typed on the network screen, and why it was refused
/// when Enter was pressed, if it was.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Typing {
    pub text: String,
    pub error: Option<String>,
}

/// How far the running step is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub step: StepId,
    pub label: String,
    pub done: u64,
    pub total: u64,
    pub elapsed_ms: u64,
}

/// What covers the step panels, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    /// Work is running: quit anyway?
    ConfirmQuit,
    /// No Dash app here: copy the bundled sample to this folder?
    SampleOffer {
        dest: PathBuf,
    },
    /// Pick another AWS profile and region, or enter an access key.
    Credentials(Box<super::credentials::CredentialsForm>),
    /// What a tear-down would remove and keep: remove them? `scroll` is how
    /// many lines of the list are scrolled past.
    TearDown {
        list: Box<crate::pipeline::tear_down::TearDown>,
        scroll: u16,
    },
    /// The app's releases, newest first, `selected` the highlighted one.
    Releases {
        list: Vec<crate::pipeline::releases::Listed>,
        selected: usize,
    },
    /// What a rollback would change: roll back?
    ConfirmRollback {
        plan: Box<crate::pipeline::rollback::Plan>,
        list: Vec<crate::pipeline::releases::Listed>,
    },
}

/// What the releases view waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleasesBusy {
    Listing,
    RollingBack,
}

/// A tear-down the event loop is carrying out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TearDownPhase {
    /// Reading what dashdeploy made, to show before anything goes.
    Listing,
    /// Removing it, one resource at a time.
    Removing,
}

/// What the wizard starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInit {
    pub app_dir: Option<PathBuf>,
    pub app_name: Option<String>,
    /// Whose credentials: `profile default`, `env credentials`.
    pub credentials: String,
    pub region: Option<String>,
    /// Where the log file is, or why there is none.
    pub log_file: Result<PathBuf, String>,
    /// Set when no app was given or found: where the sample would go.
    pub sample_dest: Option<PathBuf>,
    /// What the command line chose (its app folder is `app_dir`'s).
    pub choices: Choices,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub steps: Vec<StepState>,
    pub selected: StepId,
    pub checks: Vec<(CheckId, CheckState)>,
    pub log: VecDeque<LogLine>,
    pub show_log: bool,
    pub overlay: Overlay,
    /// The proposal a running step waits on.
    pub waiting: Option<Waiting>,
    /// The source address being typed for the waiting network proposal;
    /// while it is Some, keys arrive as text.
    pub typing: Option<Typing>,
    /// The environment screen's selection, typed values and value being
    /// typed, while the App step waits on its environment proposal.
    pub env_screen: super::environment::EnvScreen,
    /// Lines the middle panel is scrolled down by.
    pub scroll: u16,
    /// The latest progress of the running step.
    pub progress: Option<Progress>,
    /// The latest push snapshot, kept after the push ends (which layers
    /// made it) until that step runs again.
    pub push: Option<(StepId, crate::pipeline::PushProgress)>,
    /// The monitor's latest snapshot, kept after it stops until a step
    /// runs again.
    pub monitor: Option<Box<crate::monitor::Snapshot>>,
    /// The health check's latencies (ms) of the last looks, oldest first,
    /// for the monitor's sparkline.
    pub latencies: Vec<u64>,
    /// The releases are being read, or a rollback runs.
    pub releases_busy: Option<ReleasesBusy>,
    /// The local time zone's offset from UTC, to show AWS's UTC times as
    /// the log shows its own. UTC until the event loop sets it; the screens
    /// never read the clock.
    pub local_offset: chrono::FixedOffset,
    /// Whether key o can open a browser here (SSH, PATH, display). None
    /// known until the event loop reads them: o then says the URL.
    pub browser: super::open_url::BrowserFacts,
    pub app_dir: Option<PathBuf>,
    pub app_name: Option<String>,
    pub credentials: String,
    pub region: Option<String>,
    pub log_file: Result<PathBuf, String>,
    /// What the user chose, on the command line and then in the wizard (the
    /// profile and region, the size, the source of the port-8050 rule):
    /// every step starts with them ([`App::step_choices`]).
    pub choices: Choices,
    /// The tear-down under way, if one is.
    pub tear_down: Option<TearDownPhase>,
    /// Advances on every tick while something runs; picks the spinner frame.
    pub spinner: usize,
    pub should_quit: bool,
    pub(super) next_run_id: RunId,
}

impl App {
    /// The wizard at start, and what to do first: run the prerequisites.
    pub fn new(init: AppInit) -> (App, Vec<crate::app::Command>) {
        let overlay = match &init.sample_dest {
            Some(dest) if init.app_dir.is_none() => Overlay::SampleOffer { dest: dest.clone() },
            _ => Overlay::None,
        };
        let mut app = App {
            steps: StepId::ALL.iter().map(|_| StepState::pending()).collect(),
            selected: StepId::Prereqs,
            checks: CheckId::ALL
                .iter()
                .map(|c| (*c, CheckState::Pending))
                .collect(),
            log: VecDeque::new(),
            show_log: true,
            overlay,
            waiting: None,
            typing: None,
            env_screen: Default::default(),
            scroll: 0,
            progress: None,
            push: None,
            monitor: None,
            latencies: Vec::new(),
            releases_busy: None,
            local_offset: chrono::Offset::fix(&chrono::Utc),
            browser: Default::default(),
            app_dir: init.app_dir,
            app_name: init.app_name,
            credentials: init.credentials,
            region: init.region,
            log_file: init.log_file,
            choices: init.choices,
            tear_down: None,
            spinner: 0,
            should_quit: false,
            next_run_id: 1,
        };
        let start = app.start(StepId::Prereqs);
        let mut commands = vec![start];
        // An app folder may hold an earlier run's work: check what is done.
        if app.app_dir.is_some() {
            commands.push(crate::app::Command::FindDone);
        }
        (app, commands)
    }

    /// The choices a step (or a tear-down) starts with now: the user's,
    /// in the wizard's app folder (the sample's, once copied).
    pub fn step_choices(&self) -> Choices {
        Choices {
            app_dir: self.app_dir.clone(),
            ..self.choices.clone()
        }
    }

    pub fn step(&self, step: StepId) -> &StepState {
        &self.steps[step.index()]
    }

    pub(super) fn step_mut(&mut self, step: StepId) -> &mut StepState {
        &mut self.steps[step.index()]
    }

    pub fn check(&self, check: CheckId) -> &CheckState {
        self.checks
            .iter()
            .find(|(id, _)| *id == check)
            .map(|(_, state)| state)
            .unwrap_or(&CheckState::Pending)
    }

    /// Some step is running and not just waiting for an answer, or a
    /// tear-down is under way.
    pub fn is_busy(&self) -> bool {
        self.tear_down.is_some() || self.rolling_back() || self.step_is_busy()
    }

    /// A rollback from the releases view is under way.
    pub fn rolling_back(&self) -> bool {
        self.releases_busy == Some(ReleasesBusy::RollingBack)
    }

    fn step_is_busy(&self) -> bool {
        self.running_step()
            .is_some_and(|step| self.waiting.as_ref().is_none_or(|w| w.step != step))
    }

    /// Quitting now would stop work, not just watching: q asks first.
    /// The monitor only looks at the deployed app, and listing what a
    /// tear-down would remove changes nothing, so quitting loses nothing.
    pub fn quit_needs_asking(&self) -> bool {
        self.tear_down == Some(TearDownPhase::Removing)
            || self.rolling_back()
            || (self.step_is_busy() && self.running_step() != Some(StepId::Monitor))
    }

    pub fn running_step(&self) -> Option<StepId> {
        StepId::ALL
            .iter()
            .copied()
            .find(|s| self.step(*s).status == StepStatus::Running)
    }

    /// Something on screen moves: ticks are wanted.
    pub fn is_animating(&self) -> bool {
        self.is_busy()
    }

    /// The step that must be done before `step` may run, if it is not.
    pub fn blocker(&self, step: StepId) -> Option<StepId> {
        StepId::ALL[..step.index()]
            .iter()
            .copied()
            .find(|s| !self.step(*s).status.is_settled())
    }

    pub(super) fn add_log(&mut self, time: &str, level: LogLevel, text: impl Into<String>) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogLine {
            time: time.to_string(),
            level,
            text: text.into(),
        });
    }
}
