//! What the registry and push steps both start from: the engine, the local
//! image's content tag, and the ECR repository (created or reused).

use crate::aws::ecr::{self, Repository};
use crate::aws::tags::Owner;
use crate::docker::{Engine, engine, image};

use super::cloud::Cloud;
use super::event::StepFailure;
use super::spec::Spec;

pub struct Target {
    pub engine: Engine,
    pub name: String,
    /// The local image's content tag.
    pub tag: String,
    pub cloud: Cloud,
    pub repository: Repository,
}

pub async fn target(spec: &Spec, cloud: Cloud, owner: &Owner) -> Result<Target, StepFailure> {
    let name = spec.name.clone();
    let (engine, _) = engine::connect(&spec.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let latest = format!("{name}:latest");
    let local = image::inspect(&engine, &latest).await.map_err(|e| {
        StepFailure::new(format!(
            "There is no image {latest} ({e}): run the Build step first."
        ))
    })?;
    let repository = ecr::ensure_repository(&cloud.session, &name, owner)
        .await
        .map_err(StepFailure::new)?;
    Ok(Target {
        engine,
        tag: local.content_tag(),
        name,
        cloud,
        repository,
    })
}

/// The tags pushed: the content tag, and `latest` unless the repository's
/// tags are immutable (ECR refuses a second `latest` there).
pub fn ecr_tags(content_tag: &str, immutable: bool) -> Vec<String> {
    let mut tags = vec![content_tag.to_string()];
    if !immutable {
        tags.push("latest".to_string());
    }
    tags
}
