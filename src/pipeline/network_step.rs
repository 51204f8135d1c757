//! The `network` step: the VPC (the default one unless chosen) and its
//! public subnets, a security group of dashdeploy's own, and the TCP 8050
//! rule from the source the user chooses. Nothing is created before the
//! source is known.

use crate::aws::network::{self, Vpc};
use crate::config;
use crate::record::ResourceKind;

use super::app_step::app_dir;
use super::ask::{Answer, Answers, IngressProposal, Proposal};
use super::cloud::Cloud;
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::settings::{Cidr, Settings, parse_cidr};

/// The VPC and subnets: flags, then dashdeploy.toml, then the default VPC.
pub async fn find_vpc(
    settings: &Settings,
    config: &config::AppConfig,
    client: &aws_sdk_ec2::Client,
) -> Result<Vpc, StepFailure> {
    let vpc = settings.vpc.clone().or(config.vpc.clone());
    let subnets = if settings.subnets.is_empty() {
        config.subnets.clone()
    } else {
        settings.subnets.clone()
    };
    network::find_vpc(client, vpc.as_deref(), &subnets)
        .await
        .map_err(StepFailure::new)
}

/// The source of the port-8050 rule from --allow-from or dashdeploy.toml.
fn suggested_source(
    settings: &Settings,
    config: &config::AppConfig,
) -> Result<Option<Cidr>, StepFailure> {
    if let Some(cidr) = settings.allow_from {
        return Ok(Some(cidr));
    }
    config
        .allow_from
        .as_deref()
        .map(|text| {
            parse_cidr(text).map_err(|e| {
                StepFailure::new(format!(
                    "allow_from = \"{text}\" in dashdeploy.toml: {e}. Fix it, then retry the step."
                ))
            })
        })
        .transpose()
}

pub async fn run(
    settings: &Settings,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = app_dir(settings)?;
    let mut config = config::load(&dir).map_err(StepFailure::new)?;
    let suggested = suggested_source(settings, &config)?;
    let cloud = Cloud::new(settings).await?;
    let ec2 = aws_sdk_ec2::Client::new(&cloud.config);
    let vpc = find_vpc(settings, &config, &ec2).await?;
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
    let existing = network::find_group(&ec2, &vpc.id, &cloud.app)
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
    let group = network::ensure_group(&ec2, &vpc.id, &cloud.app)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::SecurityGroup, &group.id, group.created)?;
    let added = network::allow_port(&ec2, &group.id, &source.to_string())
        .await
        .map_err(StepFailure::new)?;
    cloud.record(
        ResourceKind::IngressRule,
        &format!("{}/tcp/{}/{source}", group.id, network::APP_PORT),
        added,
    )?;
    config.allow_from = Some(source.to_string());
    config::save(&dir, &config).map_err(StepFailure::new)?;
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
