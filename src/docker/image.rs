//! What the engine knows of an image (its id, architecture, age, the
//! digests it was pushed with, its tags and layers), and tagging one.

use std::time::SystemTime;

use bollard::query_parameters::TagImageOptionsBuilder;

use super::engine::Engine;

/// An image as `docker image inspect` shows it, in plain facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// `sha256:...`
    pub id: String,
    /// The Go name the engine gives: `amd64`, `arm64`.
    pub arch: String,
    /// When it was built.
    pub created: Option<SystemTime>,
    /// `<repository uri>@sha256:...` for each registry it was pushed to.
    pub repo_digests: Vec<String>,
    /// `<repository>:<tag>` for each of its tags.
    pub repo_tags: Vec<String>,
    /// How many layers it has.
    pub layers: usize,
}

impl ImageFacts {
    /// The tag derived from its content: the first 12 hex digits of its id.
    pub fn content_tag(&self) -> String {
        super::build::content_tag(&self.id)
    }
}

/// The image `reference` (`name:tag`), or the engine's words for why not
/// (there is no such image, the engine does not answer).
pub async fn inspect(engine: &Engine, reference: &str) -> Result<ImageFacts, String> {
    let inspect = engine
        .client
        .inspect_image(reference)
        .await
        .map_err(|e| e.to_string())?;
    let created = inspect
        .created
        .as_deref()
        .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .map(|t| SystemTime::from(t.with_timezone(&chrono::Utc)));
    Ok(ImageFacts {
        id: inspect.id.unwrap_or_default(),
        arch: inspect.architecture.unwrap_or_default(),
        created,
        repo_digests: inspect.repo_digests.unwrap_or_default(),
        repo_tags: inspect.repo_tags.unwrap_or_default(),
        layers: inspect
            .root_fs
            .and_then(|r| r.layers)
            .map_or(0, |l| l.len()),
    })
}

/// Tags `source` as `repository:tag`.
pub async fn tag(engine: &Engine, source: &str, repository: &str, tag: &str) -> Result<(), String> {
    engine
        .client
        .tag_image(
            source,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(repository)
                    .tag(tag)
                    .build(),
            ),
        )
        .await
        .map_err(|e| e.to_string())
}
