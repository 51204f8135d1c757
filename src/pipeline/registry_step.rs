//! The `registry` step: the ECR repository created or reused, a push token
//! fetched (kept in memory only), and the built image tagged for ECR with
//! its content tag and `latest`.

use bollard::query_parameters::TagImageOptionsBuilder;

use crate::aws::{ecr, identity};
use crate::docker::build::content_tag;
use crate::docker::engine;

use super::build_step::image_name;
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::settings::Settings;

/// The local `<name>:latest`: its content tag and how many layers it has.
async fn local_image(docker: &bollard::Docker, name: &str) -> Result<(String, u64), StepFailure> {
    let latest = format!("{name}:latest");
    let inspect = docker.inspect_image(&latest).await.map_err(|e| {
        StepFailure::new(format!(
            "There is no image {latest} ({e}): run the Build step first."
        ))
    })?;
    let layers = inspect
        .root_fs
        .and_then(|r| r.layers)
        .map_or(0, |l| l.len() as u64);
    Ok((content_tag(&inspect.id.unwrap_or_default()), layers))
}

/// What the registry and push steps both start from: the engine, the local
/// image's name, content tag and layer count, the ECR client and the repository (created
/// or reused).
pub struct Target {
    pub docker: bollard::Docker,
    pub name: String,
    pub tag: String,
    /// Layers of the local image.
    pub layers: u64,
    pub client: aws_sdk_ecr::Client,
    pub repository: ecr::Repository,
}

pub async fn target(settings: &Settings) -> Result<Target, StepFailure> {
    let name = image_name(settings);
    let (docker, _) = engine::connect(&settings.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let (tag, layers) = local_image(&docker, &name).await?;
    let client = aws_sdk_ecr::Client::new(&identity::load_config(&settings.aws).await);
    let repository = ecr::ensure_repository(&client, &name, &name)
        .await
        .map_err(StepFailure::new)?;
    Ok(Target {
        docker,
        name,
        tag,
        layers,
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
        ..
    } = target(settings).await?;
    super::cloud::Cloud::new(settings).await?.record(
        crate::record::ResourceKind::Repository,
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
