//! The deploy pipeline and the other use cases: the steps, what they
//! report, the code that runs them, the resolved spec they start from, and
//! the plan, resume and tear-down beside them. Free of any terminal UI: the
//! wizard and the command line both drive it, and it reaches Docker and AWS
//! only through `src/docker` and `src/aws`.

pub mod app_env;
pub mod app_files;
pub mod ask;
pub mod built_image;
pub mod cloud;
pub mod cloud_env;
pub mod event;
pub mod load_balancer;
pub mod ownership;
pub mod plan;
pub mod policy;
pub mod policy_lb;
pub mod push_progress;
pub mod record_rebuild;
pub mod record_rebuild_lb;
pub mod registry_target;
pub mod releases;
pub mod resume;
pub mod rollback;
pub mod run_lock;
pub mod runner;
pub mod scaling;
pub mod spec;
pub mod step;
pub mod steps;
pub mod tear_down;
pub mod values;

pub use ask::{
    Answer, Answers, DockerfileProposal, EnvProposal, IngressProposal, Proposal, SizingProposal,
};
pub use event::{CheckId, CheckState, EventKind, LogLevel, PipelineEvent, RunId, StepFailure};
pub use push_progress::{LayerProgress, LayerState, PushProgress};
pub use spec::{Choices, Spec};
pub use step::{StepId, StepStatus};
