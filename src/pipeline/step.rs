//! The eleven steps of a deploy, in the order the tutorial does them, and the
//! state each one is in.

use std::fmt;
use std::str::FromStr;

/// One step of the deploy. The order of [`StepId::ALL`] is the order the
/// wizard lists and runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepId {
    Prereqs,
    App,
    Dockerfile,
    Build,
    LocalTest,
    Registry,
    Push,
    Sizing,
    Network,
    Deploy,
    Monitor,
}

impl StepId {
    pub const ALL: [StepId; 11] = [
        StepId::Prereqs,
        StepId::App,
        StepId::Dockerfile,
        StepId::Build,
        StepId::LocalTest,
        StepId::Registry,
        StepId::Push,
        StepId::Sizing,
        StepId::Network,
        StepId::Deploy,
        StepId::Monitor,
    ];

    /// Position in [`StepId::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(index: usize) -> Option<StepId> {
        StepId::ALL.get(index).copied()
    }

    pub fn next(self) -> Option<StepId> {
        StepId::from_index(self.index() + 1)
    }

    pub fn previous(self) -> Option<StepId> {
        self.index().checked_sub(1).and_then(StepId::from_index)
    }

    /// The step makes or changes something of the app's in AWS (and so
    /// holds the app's run lock while it runs).
    pub fn changes_aws(self) -> bool {
        matches!(
            self,
            StepId::Registry | StepId::Push | StepId::Network | StepId::Deploy
        )
    }

    /// The id used on the command line (`--until local-test`).
    pub fn id(self) -> &'static str {
        match self {
            StepId::Prereqs => "prereqs",
            StepId::App => "app",
            StepId::Dockerfile => "dockerfile",
            StepId::Build => "build",
            StepId::LocalTest => "local-test",
            StepId::Registry => "registry",
            StepId::Push => "push",
            StepId::Sizing => "sizing",
            StepId::Network => "network",
            StepId::Deploy => "deploy",
            StepId::Monitor => "monitor",
        }
    }

    /// The name shown in the step list.
    pub fn title(self) -> &'static str {
        match self {
            StepId::Prereqs => "Prerequisites",
            StepId::App => "App",
            StepId::Dockerfile => "Dockerfile",
            StepId::Build => "Build",
            StepId::LocalTest => "Local test",
            StepId::Registry => "Registry (ECR)",
            StepId::Push => "Push",
            StepId::Sizing => "Sizing",
            StepId::Network => "Network :8050",
            StepId::Deploy => "Deploy (ECS)",
            StepId::Monitor => "Monitor",
        }
    }

    /// What the step does, in the words of the tutorial it automates.
    pub fn purpose(self) -> &'static str {
        match self {
            StepId::Prereqs => {
                "Checks that the Docker engine answers, that AWS credentials and a region \
                 resolve, who they belong to, and the CPU architecture images are built for."
            }
            StepId::App => {
                "Finds the Dash app's entry file, makes it listen on 0.0.0.0:8050 with debug \
                 off, lists the files it reads by relative paths, and checks requirements.txt."
            }
            StepId::Dockerfile => {
                "Writes (or respects) a Dockerfile and .dockerignore that run the app with \
                 gunicorn from WORKDIR /app, so relative paths keep working."
            }
            StepId::Build => {
                "Builds the image through the Docker engine, streaming the build context and \
                 the build log."
            }
            StepId::LocalTest => {
                "Runs the image on this machine and checks that it answers with a Dash page \
                 before anything goes to AWS."
            }
            StepId::Registry => {
                "Creates (or reuses) the ECR repository and gets a short-lived push token, \
                 kept in memory only."
            }
            StepId::Push => "Tags the image and pushes it to ECR, layer by layer.",
            StepId::Sizing => {
                "Chooses the Fargate CPU and memory (0.5 vCPU and 1 GB by default), the CPU \
                 architecture and the number of tasks, with the cost per hour and month."
            }
            StepId::Network => {
                "Finds the default VPC and its public subnets and opens TCP 8050 in a security \
                 group of the app's own."
            }
            StepId::Deploy => {
                "Creates the execution role, log group, ECS cluster, task definition and \
                 service with a public IP."
            }
            StepId::Monitor => {
                "Watches the service and its tasks, finds the public URL, checks it answers \
                 and follows the app's logs."
            }
        }
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A step id that is not one of the eleven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown step '{0}': expected one of {list}", list = step_id_list())]
pub struct UnknownStep(pub String);

fn step_id_list() -> String {
    StepId::ALL
        .iter()
        .map(|s| s.id())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for StepId {
    type Err = UnknownStep;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StepId::ALL
            .iter()
            .copied()
            .find(|step| step.id() == s)
            .ok_or_else(|| UnknownStep(s.to_string()))
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

impl StepStatus {
    /// Done or skipped: the steps after it may run.
    pub fn is_settled(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_order() {
        for (i, step) in StepId::ALL.iter().enumerate() {
            assert_eq!(step.index(), i);
            assert_eq!(step.id().parse::<StepId>(), Ok(*step));
        }
        assert_eq!(StepId::Prereqs.previous(), None);
        assert_eq!(StepId::Monitor.next(), None);
        assert_eq!(StepId::Build.next(), Some(StepId::LocalTest));
    }

    #[test]
    fn unknown_step_lists_the_valid_ids() {
        let err = "deploy-now".parse::<StepId>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown step 'deploy-now'"), "{text}");
        assert!(text.contains("prereqs, app, dockerfile"), "{text}");
        assert!(text.contains("local-test"), "{text}");
    }
}
