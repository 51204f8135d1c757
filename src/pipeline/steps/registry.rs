//! The `registry` step: the app's name checked to be free (or this
//! folder's) in the account and region before anything is made, what
//! identifies the deployment kept in dashdeploy.toml, the ECR repository
//! created or reused, a push token fetched (kept in memory only), and the
//! built image tagged for ECR with its content tag and `latest`.

use crate::aws::ecr;
use crate::aws::tags::{Claim, claim};
use crate::docker::{engine, image};
use crate::pipeline::cloud::Cloud;
use crate::pipeline::ownership;
use crate::pipeline::registry_target::{Target, ecr_tags, target};
use crate::pipeline::runner::Reporter;
use crate::pipeline::{Answer, Answers, LogLevel, Proposal, Spec, StepFailure};
use crate::store::record::ResourceKind;

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let mut spec = spec.clone();
    let mut cloud = Cloud::new(&spec).await?;
    let account = ownership::account(&spec, &cloud).await?;
    let mut owner = ownership::owner(&spec)?;
    let built_as = spec.name.clone();
    while let Some(held) = ownership::check(&cloud, &owner, &[ResourceKind::Repository]).await? {
        let free = ownership::free_name(&cloud, &spec.name).await;
        let sentence =
            ownership::taken(&spec.name, &account, &cloud.region, &held, free.as_deref());
        let Some(suggested) = free.filter(|_| !matches!(answers, Answers::AcceptAll)) else {
            return Err(StepFailure::new(sentence));
        };
        let proposal = Proposal::NameTaken {
            sentence: sentence.clone(),
            suggested,
        };
        match answers.ask(reporter, proposal).await? {
            Answer::Choose(name) => {
                reporter.log(
                    LogLevel::Info,
                    format!("the app is named {name} from now on"),
                );
                spec.name = name.clone();
                owner.app = name.clone();
                cloud.app = name;
            }
            _ => return Err(StepFailure::new(sentence)),
        }
    }
    if spec.name != built_as {
        // The image was built under the old name: it is the same image.
        let (engine, _) = engine::connect(&spec.docker)
            .await
            .map_err(|e| StepFailure::new(e.to_string()))?;
        image::tag(&engine, &format!("{built_as}:latest"), &spec.name, "latest")
            .await
            .map_err(|e| {
                StepFailure::new(format!("Could not tag the image as {}: {e}", spec.name))
            })?;
    }
    ownership::keep_identity(&spec, &cloud.region, &account, &owner)?;
    let Target {
        engine,
        name,
        tag,
        cloud,
        repository,
    } = target(&spec, cloud, &owner).await?;
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
    // The repositories dashdeploy makes keep their last images only.
    let ours = repository.created
        || ecr::repository_tags(&cloud.session, &repository.name)
            .await
            .map_err(StepFailure::new)?
            .is_some_and(|(_, tags)| {
                claim(
                    tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    &name,
                    Some(&owner.id),
                ) == Claim::Ours
            });
    if ours {
        let keep = spec.config.ecr_keep_images.unwrap_or(ecr::KEEP_IMAGES);
        ecr::keep_last(&cloud.session, &repository.name, keep)
            .await
            .map_err(StepFailure::new)?;
        reporter.log(
            LogLevel::Info,
            format!("the repository keeps its last {keep} images"),
        );
    }
    let tags = ecr_tags(&tag, repository.immutable);
    if repository.immutable {
        reporter.log(
            LogLevel::Info,
            "the repository's tags are immutable: only the content tag is pushed (a second latest would be refused)",
        );
    }
    for ecr_tag in &tags {
        image::tag(&engine, &format!("{name}:latest"), &repository.uri, ecr_tag)
            .await
            .map_err(|e| StepFailure::new(format!("Could not tag the image for ECR: {e}")))?;
    }
    Ok(format!(
        "{} {how} · tagged {}:{}",
        repository.name,
        repository.uri,
        tags.join(" and :")
    ))
}
