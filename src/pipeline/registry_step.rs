//! The `registry` step: the ECR repository created or reused, a push token
//! fetched (kept in memory only), and the built image tagged for ECR with
//! its content tag and `latest`.

use bollard::query_parameters::TagImageOptionsBuilder;

use crate::aws::{ecr, identity};
use crate::docker::engine;

use super::build_step::image_name;
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::settings::Settings;

/// The content tag of the local `<name>:latest` (the first 12 hex digits of its id).
pub async fn content_tag(docker: &bollard::Docker, name: &str) -> Result<String, StepFailure> {
    let latest = format!("{name}:latest");
    let inspect = docker.inspect_image(&latest).await.map_err(|e| {
        StepFailure::new(format!(
            "There is no image {latest} ({e}): run the Build step first."
        ))
    })?;
    Ok(inspect
        .id
        .unwrap_or_default()
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect())
}

/// What the registry and push steps both start from: the engine, the local
/// image's name and content tag, the ECR client and the repository (created
/// or reused).
pub struct Target {
    pub docker: bollard::Docker,
    pub name: String,
    pub tag: String,
    pub client: aws_sdk_ecr::Client,
    pub repository: ecr::Repository,
}

pub async fn target(settings: &Settings) -> Result<Target, StepFailure> {
    let name = image_name(settings);
    let (docker, _) = engine::connect(&settings.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let tag = content_tag(&docker, &name).await?;
    let client = aws_sdk_ecr::Client::new(&identity::load_config(&settings.aws).await);
    let repository = ecr::ensure_repository(&client, &name, &name)
        .await
        .map_err(StepFailure::new)?;
    Ok(Target {
        docker,
        name,
        tag,
        client,
        repository,
    })
}

pub async fn run(settings: &Settings, reporter: &Reporter) -> Result<String, StepFailure> {
    let Target {
        docker,
        name,
        tag,
        client,
        repository,
    } = target(settings).await?;
    let how = if repository.created {
        "created"
    } else {
        "reused"
    };
    reporter.log(
        LogLevel::Info,
        format!("repository {} {how}: {}", repository.name, repository.uri),
    );
    let login = ecr::login(&client).await.map_err(StepFailure::new)?;
    reporter.log(
        LogLevel::Info,
        format!(
            "push token for {} received (kept in memory, valid 12 h)",
            login.server
        ),
    );
    for ecr_tag in [tag.as_str(), "latest"] {
        docker
            .tag_image(
                &format!("{name}:latest"),
                Some(
                    TagImageOptionsBuilder::default()
                        .repo(&repository.uri)
                        .tag(ecr_tag)
                        .build(),
                ),
            )
            .await
            .map_err(|e| StepFailure::new(format!("Could not tag the image for ECR: {e}")))?;
    }
    Ok(format!(
        "{} {how} · tagged {}:{} and :latest",
        repository.name, repository.uri, tag
    ))
}
