//! The `network` step: the VPC (the default one unless chosen) and its
//! public subnets, a security group of dashdeploy's own, and the TCP 8050
//! rule from the source the user chooses. Nothing is created before the
//! source is known.

use crate::aws::network;
use crate::pipeline::cloud::Cloud;
use crate::pipeline::ownership;
use crate::pipeline::runner::Reporter;
use crate::pipeline::values::parse_cidr;
use crate::pipeline::{Answer, Answers, IngressProposal, LogLevel, Proposal, Spec, StepFailure};
use crate::store::record::ResourceKind;

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    spec.app_dir()?;
    let suggested = spec.allow_from.clone().map_err(StepFailure::new)?;
    let cloud = Cloud::new(spec).await?;
    let vpc = network::find_vpc(&cloud.session, spec.vpc.as_deref(), &spec.subnets)
        .await
        .map_err(StepFailure::new)?;
    let owner = ownership::guard(spec, &cloud, &[ResourceKind::SecurityGroup]).await?;
    reporter.log(
        LogLevel::Info,
        format!(
            "VPC {}{} with {} public subnet{}: {}",
            vpc.id,
            if vpc.is_default { " (default)" } else { "" },
            vpc.subnets.len(),
            if vpc.subnets.len() == 1 { "" } else { "s" },
            vpc.subnets
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let group_name = network::group_name(&cloud.app);
    let existing = network::find_group(&cloud.session, &vpc.id, &cloud.app)
        .await
        .map_err(StepFailure::new)?;
    let proposal = IngressProposal {
        vpc: vpc.id.clone(),
        vpc_is_default: vpc.is_default,
        subnets: vpc.subnets.iter().map(|s| s.id.clone()).collect(),
        group: group_name.clone(),
        group_exists: existing.is_some(),
        suggested: suggested.map(|c| c.to_string()),
    };
    let source = match answers
        .ask(reporter, Proposal::Ingress(Box::new(proposal)))
        .await?
    {
        Answer::Choose(text) => parse_cidr(&text).map_err(StepFailure::new)?,
        Answer::Accept => suggested.ok_or_else(|| {
            StepFailure::new(
                "No source for the port-8050 rule was chosen; retry the step and choose one.",
            )
        })?,
        _ => {
            return Err(StepFailure::new(
                "The network was not set up: the port-8050 rule needs a source. Retry the step to choose one.",
            ));
        }
    };
    if source.is_anywhere() {
        reporter.log(
            LogLevel::Warn,
            "port 8050 is opened to 0.0.0.0/0: anyone on the internet can open the app",
        );
    }
    let group = network::ensure_group(&cloud.session, &vpc.id, &owner)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::SecurityGroup, &group.id, group.created)?;
    let added = network::allow_port(&cloud.session, &group.id, &source.to_string())
        .await
        .map_err(StepFailure::new)?;
    cloud.record(
        ResourceKind::IngressRule,
        &format!("{}/tcp/{}/{source}", group.id, network::APP_PORT),
        added,
    )?;
    spec.keep(|config| config.allow_from = Some(source.to_string()))?;
    Ok(format!(
        "{}{} · {} public subnet{} · {} {} ({}) · TCP {} from {source}{}",
        vpc.id,
        if vpc.is_default { " (default)" } else { "" },
        vpc.subnets.len(),
        if vpc.subnets.len() == 1 { "" } else { "s" },
        group.name,
        group.id,
        if group.created { "created" } else { "reused" },
        network::APP_PORT,
        if added { "" } else { " (rule already there)" }
    ))
}
