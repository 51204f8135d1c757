//! The `registry` step: the ECR repository created or reused, a push token
//! fetched (kept in memory only), and the built image tagged for ECR with
//! its content tag and `latest`.

use crate::aws::ecr;
use crate::docker::image;
use crate::pipeline::registry_target::{Target, target};
use crate::pipeline::runner::Reporter;
use crate::pipeline::{LogLevel, Spec, StepFailure};
use crate::store::record::ResourceKind;

pub async fn run(spec: &Spec, reporter: &Reporter) -> Result<String, StepFailure> {
    let Target {
        engine,
        name,
        tag,
        cloud,
        repository,
    } = target(spec).await?;
    cloud.record(
        ResourceKind::Repository,
        &repository.name,
        repository.created,
    )?;
    let how = if repository.created {
        "created"
    } else {
        "reused"
    };
    reporter.log(
        LogLevel::Info,
        format!("repository {} {how}: {}", repository.name, repository.uri),
    );
    let login = ecr::login(&cloud.session).await.map_err(StepFailure::new)?;
    reporter.log(
        LogLevel::Info,
        format!(
            "push token for {} received (kept in memory, valid 12 h)",
            login.server
        ),
    );
    for ecr_tag in [tag.as_str(), "latest"] {
        image::tag(&engine, &format!("{name}:latest"), &repository.uri, ecr_tag)
            .await
            .map_err(|e| StepFailure::new(format!("Could not tag the image for ECR: {e}")))?;
    }
    Ok(format!(
        "{} {how} · tagged {}:{} and :latest",
        repository.name, repository.uri, tag
    ))
}
