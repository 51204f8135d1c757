//! The `sizing` step: the task's CPU and memory among the sizes Fargate
//! accepts (flags, else dashdeploy.toml, else the tutorial's 0.5 vCPU and
//! 1 GB), the CPU architecture of the built image, the number of tasks, and
//! what that costs. The choice is kept in dashdeploy.toml.

use crate::config::{self, AppConfig};
use crate::docker::engine;
use crate::fargate::{self, Arch};
use crate::pricing;

use super::app_step::app_dir;
use super::ask::{Answer, Answers, Proposal, SizingProposal};
use super::build_step::image_name;
use super::cloud::Cloud;
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::settings::Settings;

/// A task size and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cpu: u32,
    pub memory: u32,
    pub desired: u32,
}

/// Flags first, then dashdeploy.toml, then 512/1024 and one task; the pair
/// checked against Fargate's table, naming where a bad value came from.
pub fn resolve_size(settings: &Settings, config: &AppConfig) -> Result<Size, String> {
    // A CPU given alone takes the smallest memory it allows; memory alone
    // goes with the default CPU.
    let pair = |cpu: Option<u32>, memory: Option<u32>| {
        let cpu = cpu.unwrap_or(fargate::DEFAULT_CPU);
        let memory = memory.unwrap_or_else(|| {
            fargate::memory_choices(cpu)
                .and_then(|m| m.first().copied())
                .unwrap_or(fargate::DEFAULT_MEMORY)
        });
        (cpu, memory)
    };
    let ((cpu, memory), from) = if settings.cpu.is_some() || settings.memory.is_some() {
        (pair(settings.cpu, settings.memory), "--cpu/--memory")
    } else if config.cpu.is_some() || config.memory.is_some() {
        (pair(config.cpu, config.memory), "dashdeploy.toml")
    } else {
        (
            (fargate::DEFAULT_CPU, fargate::DEFAULT_MEMORY),
            "the defaults",
        )
    };
    fargate::check_pair(cpu, memory).map_err(|e| format!("{e} (from {from})."))?;
    let (desired, from) = match (settings.desired_count, config.desired_count) {
        (Some(n), _) => (n, "--desired-count"),
        (None, Some(n)) => (n, "desired_count in dashdeploy.toml"),
        (None, None) => (1, "the default"),
    };
    if !(1..=100).contains(&desired) {
        return Err(format!(
            "{desired} tasks (from {from}): run between 1 and 100 tasks."
        ));
    }
    Ok(Size {
        cpu,
        memory,
        desired,
    })
}

/// The architecture the built image `<name>:latest` is for.
pub async fn image_arch(settings: &Settings) -> Result<Arch, StepFailure> {
    let name = image_name(settings);
    let (docker, _) = engine::connect(&settings.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let inspect = docker
        .inspect_image(&format!("{name}:latest"))
        .await
        .map_err(|e| {
            StepFailure::new(format!(
                "There is no image {name}:latest ({e}): run the Build step first."
            ))
        })?;
    let arch = inspect.architecture.unwrap_or_default();
    Arch::parse(&arch).map_err(|_| {
        StepFailure::new(format!(
            "The image {name}:latest is built for {arch}, which Fargate does not run (it runs amd64 and arm64)."
        ))
    })
}

/// The task's architecture: the image's, unless overridden; an override
/// that differs from the image is refused before it becomes "exec format
/// error" in a stopped task.
pub fn choose_arch(
    settings: &Settings,
    config: &AppConfig,
    image: Arch,
) -> Result<(Arch, String), String> {
    let chosen = match (settings.arch, &config.arch) {
        (Some(arch), _) => Some((arch, "--arch")),
        (None, Some(text)) => Some((
            Arch::parse(text).map_err(|e| format!("arch = \"{text}\" in dashdeploy.toml: {e}"))?,
            "dashdeploy.toml",
        )),
        (None, None) => None,
    };
    let docker_name = |a: Arch| match a {
        Arch::X86_64 => "linux/amd64",
        Arch::Arm64 => "linux/arm64",
    };
    match chosen {
        Some((arch, from)) if arch != image => Err(format!(
            "The image is built for {} but {from} asks for {} tasks: the container would stop at once with \"exec format error\". \
             Build the image for {} (docker buildx build --platform {}), or drop the override to run {} tasks.",
            docker_name(image),
            arch.ecs_name(),
            docker_name(arch),
            docker_name(arch),
            image.ecs_name()
        )),
        Some((arch, from)) => Ok((arch, format!("{from}; the image is {}", docker_name(image)))),
        None => Ok((image, format!("the image is {}", docker_name(image)))),
    }
}

pub async fn run(
    settings: &Settings,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = app_dir(settings)?;
    let mut config = config::load(&dir).map_err(StepFailure::new)?;
    let size = resolve_size(settings, &config).map_err(StepFailure::new)?;
    let image = image_arch(settings).await?;
    let (arch, arch_reason) = choose_arch(settings, &config, image).map_err(StepFailure::new)?;
    let cloud = Cloud::new(settings).await?;
    let proposal = SizingProposal {
        region: cloud.region.clone(),
        cpu: size.cpu,
        memory: size.memory,
        arch,
        arch_reason,
        desired: size.desired,
    };
    let size = match answers
        .ask(reporter, Proposal::Sizing(Box::new(proposal)))
        .await?
    {
        Answer::Size {
            cpu,
            memory,
            desired,
        } => {
            fargate::check_pair(cpu, memory).map_err(StepFailure::new)?;
            Size {
                cpu,
                memory,
                desired: desired.clamp(1, 100),
            }
        }
        _ => size,
    };
    config.cpu = Some(size.cpu);
    config.memory = Some(size.memory);
    config.desired_count = Some(size.desired);
    config::save(&dir, &config).map_err(StepFailure::new)?;
    let cost = match pricing::cost(&cloud.region, size.cpu, size.memory, arch, size.desired) {
        Ok(cost) => format!(
            "≈ ${:.4}/h, ${:.2} a 30-day month (list prices of {})",
            cost.per_hour(),
            cost.per_month(),
            cost.taken
        ),
        Err(e) => {
            reporter.log(LogLevel::Warn, e);
            "cost unknown for this region".to_string()
        }
    };
    Ok(format!(
        "{} · {} · {} · {} task{} · {cost}",
        fargate::vcpu_label(size.cpu),
        fargate::memory_label(size.memory),
        arch.ecs_name(),
        size.desired,
        if size.desired == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::new(None, crate::docker::DockerTarget::new("unix:///nowhere"))
    }

    #[test]
    fn flags_then_toml_then_the_tutorials_size() {
        let mut s = settings();
        let mut c = AppConfig::default();
        assert_eq!(
            resolve_size(&s, &c),
            Ok(Size {
                cpu: 512,
                memory: 1024,
                desired: 1
            })
        );
        c.cpu = Some(1024);
        c.desired_count = Some(2);
        assert_eq!(
            resolve_size(&s, &c),
            Ok(Size {
                cpu: 1024,
                memory: 2048,
                desired: 2
            })
        );
        s.cpu = Some(256);
        s.memory = Some(512);
        s.desired_count = Some(3);
        assert_eq!(
            resolve_size(&s, &c),
            Ok(Size {
                cpu: 256,
                memory: 512,
                desired: 3
            })
        );
    }

    #[test]
    fn a_bad_pair_in_the_toml_names_the_file_and_the_choices() {
        let c = AppConfig {
            cpu: Some(512),
            memory: Some(512),
            ..Default::default()
        };
        let e = resolve_size(&settings(), &c).unwrap_err();
        assert!(e.contains("dashdeploy.toml") && e.contains("1 GB"), "{e}");
        let c = AppConfig {
            desired_count: Some(0),
            ..Default::default()
        };
        let e = resolve_size(&settings(), &c).unwrap_err();
        assert!(
            e.contains("between 1 and 100") && e.contains("dashdeploy.toml"),
            "{e}"
        );
        let mut s = settings();
        s.cpu = Some(1024);
        assert_eq!(
            resolve_size(&s, &AppConfig::default()).map(|z| z.memory),
            Ok(2048)
        );
    }

    #[test]
    fn the_architecture_follows_the_image_and_a_mismatch_is_explained() {
        let mut s = settings();
        let c = AppConfig::default();
        assert_eq!(choose_arch(&s, &c, Arch::Arm64).unwrap().0, Arch::Arm64);
        s.arch = Some(Arch::X86_64);
        let e = choose_arch(&s, &c, Arch::Arm64).unwrap_err();
        assert!(
            e.contains("exec format error") && e.contains("--arch"),
            "{e}"
        );
        assert_eq!(choose_arch(&s, &c, Arch::X86_64).unwrap().0, Arch::X86_64);
        let c = AppConfig {
            arch: Some("sparc".into()),
            ..Default::default()
        };
        assert!(
            choose_arch(&settings(), &c, Arch::X86_64)
                .unwrap_err()
                .contains("dashdeploy.toml")
        );
    }
}
