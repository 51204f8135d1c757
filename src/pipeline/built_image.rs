//! What the Sizing and Deploy steps ask of the built image: the CPU
//! architecture it is for, and the digest it was pushed with.

use crate::docker::{engine, image};
use crate::fargate::Arch;

use super::event::StepFailure;
use super::spec::Spec;

/// The built image `<name>:latest` as the local engine knows it.
async fn latest(spec: &Spec) -> Result<image::ImageFacts, StepFailure> {
    let name = &spec.name;
    let (engine, _) = engine::connect(&spec.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    image::inspect(&engine, &format!("{name}:latest"))
        .await
        .map_err(|e| {
            StepFailure::new(format!(
                "There is no image {name}:latest ({e}): run the Build step first."
            ))
        })
}

/// The architecture the built image `<name>:latest` is for.
pub async fn arch(spec: &Spec) -> Result<Arch, StepFailure> {
    let name = &spec.name;
    let facts = latest(spec).await?;
    Arch::parse(&facts.arch).map_err(|_| {
        StepFailure::new(format!(
            "The image {name}:latest is built for {}, which Fargate does not run (it runs amd64 and arm64).",
            facts.arch
        ))
    })
}

/// The built image by the digest it was pushed with (`<uri>@sha256:...`),
/// from the local engine's record of the push: the image built last, so a
/// build that was not pushed yet is never deployed in its place.
pub async fn pushed(spec: &Spec, repository_uri: &str) -> Result<String, StepFailure> {
    let name = &spec.name;
    let facts = latest(spec).await?;
    facts
        .repo_digests
        .into_iter()
        .find(|d| d.starts_with(&format!("{repository_uri}@")))
        .ok_or_else(|| {
            StepFailure::new(format!(
                "{name}:latest has not been pushed to {repository_uri} (no digest from the registry): run the Push step first."
            ))
        })
}
