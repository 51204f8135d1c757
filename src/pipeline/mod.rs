//! The deploy pipeline: the steps, what they report, and the code that runs
//! them. Free of any terminal UI: the wizard and the headless commands both
//! drive it.

pub mod app_step;
pub mod ask;
pub mod build_step;
pub mod cloud;
pub mod deploy_step;
pub mod dockerfile_step;
pub mod event;
pub mod local_test_step;
pub mod monitor_step;
pub mod network_step;
pub mod prereqs;
pub mod push_step;
pub mod registry_step;
pub mod resume;
pub mod runner;
pub mod settings;
pub mod sizing_step;
pub mod step;
pub mod transfer;

pub use ask::{Answer, Answers, DockerfileProposal, IngressProposal, Proposal, SizingProposal};
pub use event::{CheckId, CheckState, EventKind, LogLevel, PipelineEvent, RunId, StepFailure};
pub use settings::Settings;
pub use step::{StepId, StepStatus};
pub use transfer::{LayerProgress, LayerState, Transfer};
