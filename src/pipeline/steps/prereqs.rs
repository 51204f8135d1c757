//! The prerequisites step: the Docker engine answers, AWS credentials and a
//! region resolve (and whose they are), and the CPU architecture that images
//! built here will need on Fargate.

use crate::aws::{self, AwsError, Identity};
use crate::docker::{self, DockerError, EngineInfo};

use crate::pipeline::runner::Reporter;
use crate::pipeline::{
    Answer, Answers, CheckId, CheckState, LogLevel, Proposal, Spec, StepFailure,
};

/// What the prerequisites found, for the steps after it.
#[derive(Debug, Clone)]
pub struct PrereqsFacts {
    pub engine: Result<EngineInfo, DockerError>,
    /// None when AWS is not needed (building and testing locally only).
    pub identity: Option<Result<Identity, AwsError>>,
}

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    for check in CheckId::ALL {
        reporter.check(check, CheckState::Running);
    }
    reporter.log(
        LogLevel::Info,
        format!("docker: connecting to {}", spec.docker.host),
    );
    reporter.log(
        LogLevel::Info,
        format!("aws: resolving credentials from {}", spec.aws.source()),
    );
    let docker_check = async {
        let started = std::time::Instant::now();
        let result = docker::engine::connect(&spec.docker)
            .await
            .map(|(_, info)| info);
        if result.is_ok() {
            reporter.log(
                LogLevel::Info,
                format!(
                    "docker: engine answered in {} ms",
                    started.elapsed().as_millis()
                ),
            );
        }
        reporter.check(CheckId::Docker, docker_state(&result));
        result
    };
    let aws_check = async {
        if !spec.needs_aws {
            reporter.check(
                CheckId::Aws,
                CheckState::Passed {
                    summary: "not needed: this run stops before the registry step".into(),
                    lines: Vec::new(),
                },
            );
            return None;
        }
        let result = aws::identity::resolve(&spec.aws).await;
        if let Ok(identity) = &result {
            reporter.aws_target(spec.aws.label(), identity.region.clone());
            reporter.log(
                LogLevel::Info,
                format!("aws: account {} ({})", identity.account, identity.arn),
            );
        }
        reporter.check(CheckId::Aws, aws_state(&result));
        Some(result)
    };
    let (engine, identity) = tokio::join!(docker_check, aws_check);
    let facts = PrereqsFacts { engine, identity };
    reporter.check(
        CheckId::Arch,
        arch_state(std::env::consts::ARCH, &facts.engine),
    );
    let summary = outcome(&facts, reporter)?;
    if let Some(Ok(identity)) = &facts.identity
        && identity.is_root()
    {
        let proposal = Proposal::ConfirmRoot {
            arn: identity.arn.clone(),
        };
        return match answers.ask(reporter, proposal).await? {
            Answer::Accept => {
                reporter.log(
                    LogLevel::Warn,
                    "going on with the root user's credentials, as you confirmed",
                );
                Ok(format!("{summary} · root user confirmed"))
            }
            _ => Err(StepFailure::new(
                "Stopped: these are the root user's credentials. Use the profile of an IAM \
                 Identity Center (SSO) or IAM user (--profile NAME or AWS_PROFILE), then retry.",
            )),
        };
    }
    Ok(summary)
}

fn outcome(facts: &PrereqsFacts, reporter: &Reporter) -> Result<String, StepFailure> {
    let mut missing = Vec::new();
    if let Err(e) = &facts.engine {
        reporter.log(LogLevel::Error, format!("docker: {e}"));
        missing.push("the Docker engine");
    }
    if let Some(Err(e)) = &facts.identity {
        reporter.log(LogLevel::Error, format!("aws: {e}"));
        missing.push("AWS credentials");
    }
    match (&facts.engine, &facts.identity) {
        (Ok(engine), None) => Ok(format!(
            "Docker {} · {} · AWS not needed",
            engine.version, engine.arch
        )),
        (Ok(engine), Some(Ok(identity))) => {
            if identity.is_root() {
                reporter.log(
                    LogLevel::Warn,
                    "aws: these are the account's root user credentials",
                );
            }
            Ok(format!(
                "Docker {} · account {} · {} · {}",
                engine.version, identity.account, identity.region, engine.arch
            ))
        }
        _ => Err(StepFailure::new(format!(
            "Not ready: {}. Fix what is said above, then retry the step.",
            missing.join(" and ")
        ))),
    }
}

pub fn docker_state(result: &Result<EngineInfo, DockerError>) -> CheckState {
    match result {
        Ok(info) => CheckState::Passed {
            summary: format!(
                "Docker Engine {} (API {}) at {}",
                info.version, info.api_version, info.host
            ),
            lines: vec![format!("engine runs {}/{}", info.os, info.arch)],
        },
        Err(e) => CheckState::Failed {
            summary: "Docker engine not reachable".into(),
            lines: vec![e.to_string()],
        },
    }
}

pub fn aws_state(result: &Result<Identity, AwsError>) -> CheckState {
    match result {
        Ok(id) => {
            let mut lines = vec![
                format!("account {} · region {}", id.account, id.region),
                format!("credentials from {}", id.source),
            ];
            if let Some(endpoint) = &id.endpoint {
                lines.push(format!("endpoint {endpoint} (AWS_ENDPOINT_URL)"));
            }
            if id.is_root() {
                lines.insert(
                    0,
                    "These are the root user's keys, as the tutorial uses. Root keys can do \
                     anything, close the account included, and cannot be limited or safely \
                     shared. Create an IAM Identity Center (SSO) or IAM user with only the \
                     rights a deploy needs, and use its profile instead."
                        .into(),
                );
                CheckState::Warning {
                    summary: format!("ROOT USER {}", id.arn),
                    lines,
                }
            } else {
                CheckState::Passed {
                    summary: id.arn.clone(),
                    lines,
                }
            }
        }
        Err(e) => CheckState::Failed {
            summary: "AWS credentials not usable".into(),
            lines: vec![e.to_string()],
        },
    }
}

/// Fargate runs X86_64 and ARM64 tasks; an image must match the task's
/// architecture or it dies with "exec format error". Images are built by the
/// engine, so its architecture is the one that counts.
pub fn arch_state(host_arch: &str, engine: &Result<EngineInfo, DockerError>) -> CheckState {
    let host = match host_arch {
        "x86_64" => "x86_64",
        "aarch64" => "arm64",
        other => other,
    };
    let build_arch = match engine {
        Ok(info) if info.arch != "unknown" => info.arch.as_str(),
        _ => host,
    };
    let fargate = match build_arch {
        "x86_64" => Some("X86_64"),
        "arm64" => Some("ARM64"),
        _ => None,
    };
    let mut lines = Vec::new();
    if build_arch != host {
        lines.push(format!(
            "this machine is {host}, the Docker engine is {build_arch}: images are built for {build_arch}"
        ));
    }
    match fargate {
        Some(task_arch) => {
            lines.push(format!(
                "the task will run on {task_arch} Fargate so the image is not rejected with \"exec format error\""
            ));
            CheckState::Passed {
                summary: format!("{build_arch}: images built here run on {task_arch} tasks"),
                lines,
            }
        }
        None => {
            lines.push(
                "Fargate runs only X86_64 and ARM64: the image must be built for one of them \
                 (--arch) on an engine that can."
                    .into(),
            );
            CheckState::Warning {
                summary: format!("{build_arch}: not an architecture Fargate runs"),
                lines,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(arch: &str) -> Result<EngineInfo, DockerError> {
        Ok(EngineInfo {
            host: "unix:///var/run/docker.sock".into(),
            version: "27.3.1".into(),
            api_version: "1.47".into(),
            os: "linux".into(),
            arch: arch.into(),
        })
    }

    #[test]
    fn arch_follows_the_engine() {
        let CheckState::Passed { summary, lines } = arch_state("x86_64", &engine("x86_64")) else {
            panic!("x86_64 should pass");
        };
        assert_eq!(summary, "x86_64: images built here run on X86_64 tasks");
        assert_eq!(lines.len(), 1);
        let CheckState::Passed { summary, lines } = arch_state("x86_64", &engine("arm64")) else {
            panic!("arm64 engine should pass");
        };
        assert!(summary.contains("ARM64 tasks"), "{summary}");
        assert!(lines[0].contains("this machine is x86_64"), "{lines:?}");
        let missing = Err(DockerError::NotRunning { host: "x".into() });
        assert!(matches!(
            arch_state("aarch64", &missing),
            CheckState::Passed { summary, .. } if summary.starts_with("arm64")
        ));
        assert!(matches!(
            arch_state("riscv64", &missing),
            CheckState::Warning { .. }
        ));
    }

    #[test]
    fn root_identity_is_a_warning_that_says_why() {
        let identity = Identity {
            profile: "default".into(),
            source: "profile default".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:root".into(),
            endpoint: None,
        };
        let CheckState::Warning { summary, lines } = aws_state(&Ok(identity)) else {
            panic!("root must be a warning");
        };
        assert!(summary.starts_with("ROOT USER"), "{summary}");
        assert!(lines[0].contains("cannot be limited"), "{lines:?}");
    }
}
