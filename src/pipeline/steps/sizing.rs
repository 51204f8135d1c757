//! The `sizing` step: the task's CPU and memory among the sizes Fargate
//! accepts (as the spec resolved them: flags, else dashdeploy.toml, else the
//! tutorial's 0.5 vCPU and 1 GB), the CPU architecture of the built image,
//! the number of tasks, and what that costs. The choice is kept in
//! dashdeploy.toml.

use crate::aws::Session;
use crate::fargate;
use crate::pipeline::built_image;
use crate::pipeline::runner::Reporter;
use crate::pipeline::spec::Size;
use crate::pipeline::{Answer, Answers, LogLevel, Proposal, SizingProposal, Spec, StepFailure};
use crate::pricing;

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    spec.app_dir()?;
    let size = spec.size.clone().map_err(StepFailure::new)?;
    let image = built_image::arch(spec).await?;
    let (arch, arch_reason) = spec.task_arch(image).map_err(StepFailure::new)?;
    let region = Session::open(&spec.aws)
        .await
        .map_err(StepFailure::new)?
        .region;
    let proposal = SizingProposal {
        region: region.clone(),
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
    spec.keep(|config| {
        config.cpu = Some(size.cpu);
        config.memory = Some(size.memory);
        config.desired_count = Some(size.desired);
    })?;
    let cost = match pricing::cost(&region, size.cpu, size.memory, arch, size.desired) {
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
