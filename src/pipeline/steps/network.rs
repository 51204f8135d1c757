//! The `network` step: the VPC (the default one unless chosen) and its
//! public subnets, a security group of dashdeploy's own, and who may open
//! the app: TCP 8050 on the tasks' public IPs from the source the user
//! chooses, or, the load balancer way, 80 (and 443) on the load balancer
//! from that source and 8050 on the tasks from the load balancer only.
//! Nothing is created before the source is known.

use crate::aws::network;
use crate::pipeline::cloud::Cloud;
use crate::pipeline::runner::Reporter;
use crate::pipeline::spec::Balancing;
use crate::pipeline::values::parse_cidr;
use crate::pipeline::{
    Answer, Answers, IngressProposal, LogLevel, Proposal, Spec, StepFailure, load_balancer,
    ownership,
};
use crate::store::record::ResourceKind;

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    spec.app_dir()?;
    let suggested = spec.allow_from.clone().map_err(StepFailure::new)?;
    let balancing = spec.balancing.clone().map_err(StepFailure::new)?;
    let cloud = Cloud::new(spec).await?;
    let vpc = network::find_vpc(&cloud.session, spec.vpc.as_deref(), &spec.subnets)
        .await
        .map_err(StepFailure::new)?;
    let owner = ownership::guard(spec, &cloud, &[ResourceKind::SecurityGroup]).await?;
    let mut zones: Vec<&str> = vpc.subnets.iter().map(|s| s.zone.as_str()).collect();
    zones.sort();
    zones.dedup();
    reporter.log(
        LogLevel::Info,
        format!(
            "VPC {}{} with {} public subnet{} in {} zone{}: {}",
            vpc.id,
            if vpc.is_default { " (default)" } else { "" },
            vpc.subnets.len(),
            if vpc.subnets.len() == 1 { "" } else { "s" },
            zones.len(),
            if zones.len() == 1 { "" } else { "s" },
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
    let desired = spec.size.as_ref().map(|s| s.desired).unwrap_or(1);
    let proposal = IngressProposal {
        vpc: vpc.id.clone(),
        vpc_is_default: vpc.is_default,
        subnets: vpc.subnets.iter().map(|s| s.id.clone()).collect(),
        group: group_name.clone(),
        group_exists: existing.is_some(),
        suggested: suggested.map(|c| c.to_string()),
        load_balancer: balancing.is_some(),
        lb_cost: crate::pricing::load_balancer(&cloud.region)
            .ok()
            .map(|c| format!("{} (list prices of {})", c.short(), c.taken)),
        zones: zones.len(),
        desired,
    };
    let (source, behind) = match answers
        .ask(reporter, Proposal::Ingress(Box::new(proposal)))
        .await?
    {
        Answer::Network {
            source,
            load_balancer,
        } => (
            parse_cidr(&source).map_err(StepFailure::new)?,
            load_balancer,
        ),
        Answer::Choose(text) => (
            parse_cidr(&text).map_err(StepFailure::new)?,
            balancing.is_some(),
        ),
        Answer::Accept => (
            suggested.ok_or_else(|| {
                StepFailure::new(
                    "No source for the app's address was chosen; retry the step and choose one.",
                )
            })?,
            balancing.is_some(),
        ),
        _ => {
            return Err(StepFailure::new(
                "The network was not set up: the app's address needs a source. Retry the step to choose one.",
            ));
        }
    };
    if source.is_anywhere() {
        reporter.log(
            LogLevel::Warn,
            "the app is opened to 0.0.0.0/0: anyone on the internet can open it",
        );
    }
    let group = network::ensure_group(&cloud.session, &vpc.id, &owner)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::SecurityGroup, &group.id, group.created)?;
    let vpc_line = format!(
        "{}{} · {} public subnet{}",
        vpc.id,
        if vpc.is_default { " (default)" } else { "" },
        vpc.subnets.len(),
        if vpc.subnets.len() == 1 { "" } else { "s" },
    );
    if behind {
        // Chosen in the wizard without dashdeploy.toml saying so: the
        // defaults, with the toml's health check path.
        let balancing = balancing.unwrap_or_else(|| Balancing {
            domain: None,
            certificate_arn: None,
            health_check_path: spec
                .config
                .health_check_path
                .clone()
                .unwrap_or_else(|| "/".into()),
            scaling: None,
        });
        let made = load_balancer::ensure(
            &cloud,
            &owner,
            &vpc,
            &group,
            &source.to_string(),
            &balancing,
            reporter,
        )
        .await?;
        if let Some(pending) = &made.pending {
            reporter.log(LogLevel::Warn, pending.clone());
        }
        // What the flags chose is kept, so that `status`, `destroy` and the
        // next run see the same load balancer.
        spec.keep(|config| {
            config.allow_from = Some(source.to_string());
            config.load_balancer = Some(true);
            config.domain = balancing.domain.clone();
            config.certificate_arn = balancing.certificate_arn.clone();
            config.min_tasks = balancing.scaling.map(|s| s.min);
            config.max_tasks = balancing.scaling.map(|s| s.max);
        })?;
        return Ok(format!(
            "{vpc_line} · load balancer {} ({}) · {} · HTTP{} from {source}",
            made.load_balancer.name,
            made.load_balancer.state,
            made.url,
            if balancing.domain.is_some() {
                "(S)"
            } else {
                ""
            }
        ));
    }
    if desired > 1 {
        reporter.log(
            LogLevel::Warn,
            format!(
                "{desired} tasks on public IPs: each has its own address, which changes when the task is replaced; \
                 a load balancer (b in the wizard, --load-balancer) gives them one"
            ),
        );
    }
    let added = network::allow_port(&cloud.session, &group.id, &source.to_string())
        .await
        .map_err(StepFailure::new)?;
    cloud.record(
        ResourceKind::IngressRule,
        &format!("{}/tcp/{}/{source}", group.id, network::APP_PORT),
        added,
    )?;
    spec.keep(|config| {
        config.allow_from = Some(source.to_string());
        if config.load_balancer == Some(true) {
            config.load_balancer = Some(false);
        }
    })?;
    Ok(format!(
        "{vpc_line} · {} {} ({}) · TCP {} from {source}{}",
        group.name,
        group.id,
        if group.created { "created" } else { "reused" },
        network::APP_PORT,
        if added { "" } else { " (rule already there)" }
    ))
}
