//! `dashdeploy plan`: everything the `app` and `dockerfile` steps would do,
//! and the AWS resources a deploy would create or reuse with their cost,
//! reading nothing but the app folder and calling nothing.

use crate::dashapp::analysis::{Analysis, analyze};
use crate::fargate::Arch;

use super::app_files::propose;
use super::ask::DockerfileProposal;
use super::spec::{Size, Spec};

/// The plan for the app in `spec.app_dir`, or why there is none.
pub fn make(spec: &Spec) -> Result<(Analysis, DockerfileProposal), String> {
    let dir = spec.app_dir.clone().ok_or("no app folder: give APP_DIR")?;
    let analysis = analyze(&dir, spec.entry.as_deref()).map_err(|e| e.to_string())?;
    let proposal = propose(&dir, &analysis, &spec.base_image);
    Ok((analysis, proposal))
}

/// The AWS resources a deploy would create or reuse, with the size and
/// its cost. Asks AWS nothing: names come from the app's name.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsPlan {
    pub region: Option<String>,
    pub size: Result<Size, String>,
    pub arch: Arch,
    pub cost: Option<Result<crate::pricing::Cost, String>>,
    pub source: Option<String>,
    /// (what, name), each created or reused.
    pub resources: Vec<(&'static str, String)>,
    /// The load balancer way, when chosen (or why its settings are wrong).
    pub balancing: Result<Option<super::spec::Balancing>, String>,
    /// Its cost in the region, when one is known.
    pub lb_cost: Option<Result<crate::pricing::LoadBalancerCost, String>>,
}

pub fn aws(spec: &Spec) -> Result<AwsPlan, String> {
    spec.app_dir.as_ref().ok_or("no app folder: give APP_DIR")?;
    let name = spec.name.clone();
    let region = spec.aws.region.clone();
    let size = spec.size.clone();
    // Before the build, the architecture is the override or this machine's.
    let arch = spec
        .arch
        .clone()
        .ok()
        .flatten()
        .map(|(arch, _)| arch)
        .or_else(|| Arch::parse(std::env::consts::ARCH).ok())
        .unwrap_or(Arch::X86_64);
    let cost = match (&region, &size) {
        (Some(region), Ok(size)) => Some(crate::pricing::cost(
            region,
            size.cpu,
            size.memory,
            arch,
            size.desired,
        )),
        _ => None,
    };
    // As written: a value that is not valid is shown as it is.
    let source = match &spec.allow_from {
        Ok(cidr) => cidr.map(|c| c.to_string()),
        Err(_) => spec.config.allow_from.clone(),
    };
    let balancing = spec.balancing.clone();
    let lb_cost = match (&region, &balancing) {
        (Some(region), Ok(Some(_))) => Some(crate::pricing::load_balancer(region)),
        _ => None,
    };
    let mut resources = vec![
        ("ECR repository", name.clone()),
        (
            "execution role",
            spec.config
                .execution_role
                .clone()
                .unwrap_or_else(|| crate::aws::iam::role_name(&spec.name)),
        ),
        ("log group", crate::aws::logs::group_name(&name)),
        ("ECS cluster", name.clone()),
        ("security group", crate::aws::network::group_name(&name)),
        ("task definition family", name.clone()),
        ("ECS service", name.clone()),
    ];
    if let Ok(Some(b)) = &balancing {
        resources.extend(balancing_resources(&name, b));
    }
    Ok(AwsPlan {
        region,
        size,
        arch,
        cost,
        source,
        resources,
        balancing,
        lb_cost,
    })
}

/// What the load balancer way adds.
fn balancing_resources(name: &str, b: &super::spec::Balancing) -> Vec<(&'static str, String)> {
    use crate::aws::{autoscaling, elbv2, network};
    let mut out = vec![
        ("load balancer", elbv2::load_balancer_name(name)),
        ("LB security group", network::lb_group_name(name)),
        (
            "target group",
            format!(
                "{} (health check {}, deregistration delay {} s)",
                elbv2::target_group_name(name),
                b.health_check_path,
                elbv2::DEREGISTRATION_DELAY
            ),
        ),
    ];
    match &b.domain {
        Some(domain) => {
            out.push((
                "listeners",
                "HTTPS 443 to the target group, HTTP 80 redirecting to it".into(),
            ));
            out.push((
                "ACM certificate",
                b.certificate_arn
                    .clone()
                    .unwrap_or_else(|| format!("{domain} (an issued one, else requested)")),
            ));
            out.push((
                "DNS alias",
                format!("{domain}, when the account has its hosted zone"),
            ));
        }
        None => out.push(("listener", "HTTP 80 to the target group".into())),
    }
    if let Some(s) = &b.scaling {
        out.push((
            "scaling",
            format!(
                "{}: {} to {} tasks at {} % CPU",
                autoscaling::resource_id(name, name),
                s.min,
                s.max,
                s.cpu_percent
            ),
        ));
    }
    out
}
