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
    Ok(AwsPlan {
        region,
        size,
        arch,
        cost,
        source,
        resources: vec![
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
            ("ECS service", name),
        ],
    })
}
